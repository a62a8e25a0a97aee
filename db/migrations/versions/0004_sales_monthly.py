"""sales_monthly: receipt lines summed per month and product for the Insights page.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sales_monthly",
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("products.id", name="fk_sales_monthly_product_id_products"),
                  nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.Numeric(14, 2), nullable=False),
        sa.Column("cost", sa.Numeric(14, 2), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "product_id", name="pk_sales_monthly"),
    )


def downgrade() -> None:
    op.drop_table("sales_monthly")
