"""Indexes for filter drop-downs read on every page load (distinct values come from the index).

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_customers_acquisition_source", "customers", ["acquisition_source"])
    op.create_index("ix_audit_events_action", "audit_events", ["action"])
    op.create_index("ix_audit_events_source", "audit_events", ["source"])
    op.create_index("ix_audit_events_username", "audit_events", ["username"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_username", "audit_events")
    op.drop_index("ix_audit_events_source", "audit_events")
    op.drop_index("ix_audit_events_action", "audit_events")
    op.drop_index("ix_customers_acquisition_source", "customers")
