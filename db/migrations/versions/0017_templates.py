"""checklist_template_items and budget_plans.categories: the templates admins edit in the portal.

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

from db.types import JSONText

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checklist_template_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(60), nullable=False, unique=True),
        sa.Column("phase", sa.String(30), nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("recurrence_months", sa.Integer(), nullable=True),
        sa.Column("certification", sa.Boolean(), nullable=False),
        sa.Column("owner_department", sa.String(40), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    with op.batch_alter_table("budget_plans") as batch:
        batch.add_column(sa.Column("categories", JSONText(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("budget_plans") as batch:
        batch.drop_column("categories")
    op.drop_table("checklist_template_items")
