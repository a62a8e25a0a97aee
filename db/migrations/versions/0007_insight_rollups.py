"""interaction_monthly and customer_months: the summaries behind the Insights page, filled from the data;
the survey date index also holds the score, so the NPS of a period is read from the index alone.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "interaction_monthly",
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("department_id", sa.Integer(),
                  sa.ForeignKey("departments.id", name="fk_interaction_monthly_department_id_departments"),
                  nullable=False),
        sa.Column("channel", sa.String(30), nullable=False),
        sa.Column("interactions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "department_id", "channel", name="pk_interaction_monthly"),
    )
    op.create_table(
        "customer_months",
        sa.Column("customer_id", sa.Integer(),
                  sa.ForeignKey("customers.id", name="fk_customer_months_customer_id_customers", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("receipts", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.Numeric(14, 2), nullable=False),
        sa.Column("cost", sa.Numeric(14, 2), nullable=False),
        sa.Column("previous_month", sa.String(7), nullable=True),
        sa.Column("next_month", sa.String(7), nullable=True),
        sa.PrimaryKeyConstraint("customer_id", "month", name="pk_customer_months"),
    )
    op.create_index("ix_customer_months_month", "customer_months",
                    ["month", "previous_month", "next_month", "receipts", "customer_id"])
    op.drop_index("ix_survey_responses_answered_at", "survey_responses")
    op.create_index("ix_survey_responses_answered_at", "survey_responses", ["answered_at", "score"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        month = "to_char({}, 'YYYY-MM')"
    else:
        month = "strftime('%Y-%m', {})"
    op.execute(f"""
        INSERT INTO interaction_monthly (month, department_id, channel, interactions)
        SELECT {month.format("occurred_at")}, department_id, channel, count(*)
        FROM interactions GROUP BY 1, 2, 3""")
    op.execute(f"""
        INSERT INTO customer_months (customer_id, month, receipts, revenue, cost, previous_month, next_month)
        SELECT customer_id, month, receipts, revenue, cost,
               lag(month) OVER (PARTITION BY customer_id ORDER BY month),
               lead(month) OVER (PARTITION BY customer_id ORDER BY month)
        FROM (SELECT customer_id, {month.format("purchased_at")} AS month, count(*) AS receipts,
                     sum(total) AS revenue, sum(total_cost) AS cost
              FROM receipts GROUP BY 1, 2) AS per_month""")


def downgrade() -> None:
    op.drop_index("ix_survey_responses_answered_at", "survey_responses")
    op.create_index("ix_survey_responses_answered_at", "survey_responses", ["answered_at"])
    op.drop_index("ix_customer_months_month", "customer_months")
    op.drop_table("customer_months")
    op.drop_table("interaction_monthly")
