"""What administrators shape without a code change: lists of values, custom fields, templates, rights."""
