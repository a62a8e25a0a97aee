"""Tooling beside the service layer: the command line, demo and scale seeding, catalog tools."""
