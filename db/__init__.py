"""Database layer: SQLAlchemy models, engine factory, migrations and seeding.

Knows nothing of ``crm`` or ``pages``.
"""
