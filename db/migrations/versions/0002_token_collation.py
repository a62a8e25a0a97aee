"""Search tokens compare byte-wise on PostgreSQL so prefix range scans use the index.

With a linguistic collation (en_US.UTF-8) a range ``token >= 'jos' AND token < 'jos\uffff'``
neither matches prefix semantics reliably nor uses the btree for every script; the C collation
does both. SQLite already compares with BINARY.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute('ALTER TABLE customer_tokens ALTER COLUMN token TYPE varchar(120) COLLATE "C"')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute('ALTER TABLE customer_tokens ALTER COLUMN token TYPE varchar(120) COLLATE "default"')
