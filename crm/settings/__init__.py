"""What administrators shape without a code change: lists of values, custom fields, templates, rights."""

# the listeners that note a change of the custom fields' definitions (whichever module writes them) are registered
# with the first import of any settings module
from crm.settings import definitions as definitions  # noqa: E402
