"""list_values: the managed lists of values (segments, channels, departments, custom fields' choices).

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

from db.types import JSONText, UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "list_values",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("list_code", sa.String(60), nullable=False),
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("labels", JSONText(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("uq_list_values_list_code_code", "list_values", ["list_code", "code"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_list_values_list_code_code", table_name="list_values")
    op.drop_table("list_values")
