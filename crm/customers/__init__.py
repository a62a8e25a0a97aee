"""Customers: the record, its contact rules, profile, saved views, data quality, privacy and importing."""
