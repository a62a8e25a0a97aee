"""survey_responses carries the customer's segment and country (the trigger of 0009 now keeps both tables equal
to the customer), and the answer-date index covers reasons and groups: the survey breakdowns of a period read
one index range instead of looking up each answer's customer.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SQLITE_TRIGGER = """
CREATE TRIGGER customers_groups_to_months AFTER UPDATE OF segment, country, acquisition_source, acquired_on
ON customers FOR EACH ROW
WHEN OLD.segment IS NOT NEW.segment OR OLD.country IS NOT NEW.country
  OR OLD.acquisition_source IS NOT NEW.acquisition_source OR OLD.acquired_on IS NOT NEW.acquired_on
BEGIN
  UPDATE customer_months SET segment = NEW.segment, country = NEW.country,
    acquisition_source = NEW.acquisition_source, cohort = strftime('%Y-%m', NEW.acquired_on)
  WHERE customer_id = NEW.id;
  UPDATE survey_responses SET segment = NEW.segment, country = NEW.country
  WHERE customer_id = NEW.id AND (segment IS NOT NEW.segment OR country IS NOT NEW.country);
END"""
POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION customers_groups_to_months() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE customer_months SET segment = NEW.segment, country = NEW.country,
    acquisition_source = NEW.acquisition_source, cohort = to_char(NEW.acquired_on, 'YYYY-MM')
  WHERE customer_id = NEW.id;
  UPDATE survey_responses SET segment = NEW.segment, country = NEW.country
  WHERE customer_id = NEW.id AND (segment IS DISTINCT FROM NEW.segment OR country IS DISTINCT FROM NEW.country);
  RETURN NULL;
END $$"""


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("survey_responses") as batch:
        batch.drop_index("ix_survey_responses_answered_at")
        batch.add_column(sa.Column("segment", sa.String(60), nullable=True))
        batch.add_column(sa.Column("country", sa.String(2), nullable=True))
    if postgres:
        op.execute("""UPDATE survey_responses AS s SET segment = c.segment, country = c.country
                      FROM customers AS c WHERE c.id = s.customer_id""")
        op.execute(POSTGRES_FUNCTION)
    else:
        op.execute("""UPDATE survey_responses SET (segment, country) =
                      (SELECT c.segment, c.country FROM customers AS c WHERE c.id = survey_responses.customer_id)""")
        op.execute("DROP TRIGGER customers_groups_to_months")
        op.execute(SQLITE_TRIGGER)
    op.create_index("ix_survey_responses_answered_at", "survey_responses",
                    ["answered_at", "score", "reason_first", "reason_again", "segment", "country"])


def downgrade() -> None:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("m0009", Path(__file__).with_name("0009_customer_months_groups.py"))
    previous = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previous)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(previous.POSTGRES_FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    else:
        op.execute("DROP TRIGGER customers_groups_to_months")
        op.execute(previous.SQLITE_TRIGGER)
    with op.batch_alter_table("survey_responses") as batch:
        batch.drop_index("ix_survey_responses_answered_at")
        batch.drop_column("country")
        batch.drop_column("segment")
        batch.create_index("ix_survey_responses_answered_at", ["answered_at", "score"])
