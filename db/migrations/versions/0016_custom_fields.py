"""custom_fields and custom_values: fields administrators add to customers and interactions, and their values.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

from db.types import JSONText, UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "custom_fields",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("labels", JSONText(), nullable=False),
        sa.Column("help", JSONText(), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("options", JSONText(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("uq_custom_fields_entity_code", "custom_fields", ["entity", "code"], unique=True)
    op.create_table(
        "custom_values",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("field_id", sa.Integer(), sa.ForeignKey("custom_fields.id", name="fk_custom_values_field_id_custom_fields"),
                  nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("value_text", sa.String(500), nullable=True),
        sa.Column("value_long", sa.Text(), nullable=True),
        sa.Column("value_number", sa.Numeric(20, 6), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=True),
    )
    op.create_index("ix_custom_values_text", "custom_values", ["field_id", "value_text", "record_id"])
    op.create_index("ix_custom_values_number", "custom_values", ["field_id", "value_number", "record_id"])
    op.create_index("ix_custom_values_date", "custom_values", ["field_id", "value_date", "record_id"])
    op.create_index("ix_custom_values_record", "custom_values", ["record_id", "field_id"])


def downgrade() -> None:
    op.drop_table("custom_values")
    op.drop_index("uq_custom_fields_entity_code", table_name="custom_fields")
    op.drop_table("custom_fields")
