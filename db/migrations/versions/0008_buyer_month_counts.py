"""buyer_month_counts: customer_months counted by month, previous and next purchase month and single receipt,
so the headline Insights figures of a period read a few thousand rows instead of one per buying customer.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "buyer_month_counts",
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("previous_month", sa.String(7), nullable=False),
        sa.Column("next_month", sa.String(7), nullable=False),
        sa.Column("once", sa.Boolean(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "previous_month", "next_month", "once", name="pk_buyer_month_counts"),
    )
    op.execute("""
        INSERT INTO buyer_month_counts (month, previous_month, next_month, once, customers)
        SELECT month, coalesce(previous_month, ''), coalesce(next_month, ''), receipts = 1, count(*)
        FROM customer_months GROUP BY 1, 2, 3, 4""")


def downgrade() -> None:
    op.drop_table("buyer_month_counts")
