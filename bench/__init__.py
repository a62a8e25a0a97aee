"""The benchmark: `python -m crm bench --customers N` (see bench/README.md)."""
