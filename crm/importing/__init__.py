"""Bringing other systems' data in: every record kind, cleaned on the way, by file or from a source database."""
