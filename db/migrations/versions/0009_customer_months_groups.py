"""customer_months carries the customer's segment, country, acquisition source and cohort (month of acquired_on),
kept equal to the customer by a trigger, so figures per group over a period read one index range instead of
looking up each buyer among a million customers.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

GROUP_COLUMNS = ("segment", "country", "acquisition_source", "acquired_on")
SQLITE_TRIGGER = """
CREATE TRIGGER customers_groups_to_months AFTER UPDATE OF segment, country, acquisition_source, acquired_on
ON customers FOR EACH ROW
WHEN OLD.segment IS NOT NEW.segment OR OLD.country IS NOT NEW.country
  OR OLD.acquisition_source IS NOT NEW.acquisition_source OR OLD.acquired_on IS NOT NEW.acquired_on
BEGIN
  UPDATE customer_months SET segment = NEW.segment, country = NEW.country,
    acquisition_source = NEW.acquisition_source, cohort = strftime('%Y-%m', NEW.acquired_on)
  WHERE customer_id = NEW.id;
END"""
POSTGRES_FUNCTION = """
CREATE FUNCTION customers_groups_to_months() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE customer_months SET segment = NEW.segment, country = NEW.country,
    acquisition_source = NEW.acquisition_source, cohort = to_char(NEW.acquired_on, 'YYYY-MM')
  WHERE customer_id = NEW.id;
  RETURN NULL;
END $$"""
POSTGRES_TRIGGER = """
CREATE TRIGGER customers_groups_to_months AFTER UPDATE OF segment, country, acquisition_source, acquired_on
ON customers FOR EACH ROW
WHEN (OLD.segment IS DISTINCT FROM NEW.segment OR OLD.country IS DISTINCT FROM NEW.country
  OR OLD.acquisition_source IS DISTINCT FROM NEW.acquisition_source OR OLD.acquired_on IS DISTINCT FROM NEW.acquired_on)
EXECUTE FUNCTION customers_groups_to_months()"""


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("customer_months") as batch:
        batch.drop_index("ix_customer_months_month")
        batch.add_column(sa.Column("segment", sa.String(60), nullable=True))
        batch.add_column(sa.Column("country", sa.String(2), nullable=True))
        batch.add_column(sa.Column("acquisition_source", sa.String(60), nullable=True))
        batch.add_column(sa.Column("cohort", sa.String(7), nullable=True))
    month = "to_char(c.acquired_on, 'YYYY-MM')" if postgres else "strftime('%Y-%m', c.acquired_on)"
    if postgres:
        op.execute(f"""UPDATE customer_months AS m SET segment = c.segment, country = c.country,
                       acquisition_source = c.acquisition_source, cohort = {month}
                       FROM customers AS c WHERE c.id = m.customer_id""")
    else:
        op.execute(f"""UPDATE customer_months SET (segment, country, acquisition_source, cohort) =
                       (SELECT c.segment, c.country, c.acquisition_source, {month}
                        FROM customers AS c WHERE c.id = customer_months.customer_id)""")
    op.create_index("ix_customer_months_month", "customer_months",
                    ["month", "previous_month", "next_month", "receipts", "segment", "country", "acquisition_source",
                     "cohort", "revenue", "cost"])
    if postgres:
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS customers_groups_to_months" +
               (" ON customers" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS customers_groups_to_months()")
    with op.batch_alter_table("customer_months") as batch:
        batch.drop_index("ix_customer_months_month")
        for column in ("cohort", "acquisition_source", "country", "segment"):
            batch.drop_column(column)
        batch.create_index("ix_customer_months_month", ["month", "previous_month", "next_month", "receipts",
                                                       "customer_id"])
