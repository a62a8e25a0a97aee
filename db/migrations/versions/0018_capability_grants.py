"""capability_grants: administrators' grants and revocations over the capability table.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "capability_grants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("capability", sa.String(80), nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("department", sa.String(40), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("changed_by", sa.String(80), nullable=True),
    )
    op.create_index("uq_capability_grants_capability_role_department", "capability_grants",
                    ["capability", "role", "department"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_capability_grants_capability_role_department", table_name="capability_grants")
    op.drop_table("capability_grants")
