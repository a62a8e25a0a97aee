"""HTTP routes beside the portal's screens: another entry point over crm/, like pages/ (never imported by crm/)."""
