"""Every kind of record can be imported and keeps its id in the system it came from: ``external_ids``,
import profiles, source databases; imported products, receipts, interactions and survey answers name their
batch (for the revert); a receipt number is unique per source system only, no longer across the company.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

import db.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BATCH_FK = "import_batches.id"


def _sqlite_trigger() -> str:
    """The trigger of 0010 that copies a customer's groups (SQLite checks it when survey_responses is rebuilt)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("m0010", Path(__file__).with_name("0010_survey_groups.py"))
    previous = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previous)
    return previous.SQLITE_TRIGGER


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER customers_groups_to_months")
    op.create_table(
        "import_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("source_system", sa.String(40), nullable=True),
        sa.Column("mapping", db.types.JSONText(), nullable=False),
        sa.Column("value_map", db.types.JSONText(), nullable=False),
        sa.Column("options", db.types.JSONText(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_import_profiles_created_by_id_users")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_import_profiles_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_profiles")),
        sa.UniqueConstraint("name", name=op.f("uq_import_profiles_name")),
    )
    op.create_table(
        "data_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("change_column", sa.String(120), nullable=True),
        sa.Column("change_mark", sa.Text(), nullable=True),
        sa.Column("profile_id", sa.Integer(), nullable=True),
        sa.Column("mapping", db.types.JSONText(), nullable=False),
        sa.Column("value_map", db.types.JSONText(), nullable=False),
        sa.Column("options", db.types.JSONText(), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_sync_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_batch_id", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(120), nullable=True),
        sa.Column("lease_until", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_data_sources_created_by_id_users")),
        sa.ForeignKeyConstraint(["profile_id"], ["import_profiles.id"],
                                name=op.f("fk_data_sources_profile_id_import_profiles"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_data_sources_name")),
    )
    with op.batch_alter_table("import_batches") as batch:
        batch.add_column(sa.Column("source_system", sa.String(40), nullable=True))
        batch.add_column(sa.Column("options", db.types.JSONText(), nullable=True))
        batch.add_column(sa.Column("profile_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("data_source_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_import_batches_profile_id_import_profiles"), "import_profiles",
                                 ["profile_id"], ["id"], ondelete="SET NULL")
        batch.create_foreign_key(op.f("fk_import_batches_data_source_id_data_sources"), "data_sources",
                                 ["data_source_id"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("import_rows") as batch:
        batch.add_column(sa.Column("entity_id", sa.Integer(), nullable=True))
    op.create_table(
        "external_ids",
        sa.Column("source_system", sa.String(40), nullable=False),
        sa.Column("entity", sa.String(30), nullable=False),
        sa.Column("external_id", sa.String(120), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["import_batch_id"], [BATCH_FK],
                                name=op.f("fk_external_ids_import_batch_id_import_batches")),
        sa.PrimaryKeyConstraint("source_system", "entity", "external_id", name=op.f("pk_external_ids")),
    )
    op.create_index("ix_external_ids_entity", "external_ids", ["entity", "entity_id"])
    op.create_index("ix_external_ids_import_batch_id", "external_ids", ["import_batch_id"])
    for table in ("products", "interactions", "survey_responses"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("import_batch_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(op.f(f"fk_{table}_import_batch_id_import_batches"), "import_batches",
                                     ["import_batch_id"], ["id"])
        op.create_index(f"ix_{table}_import_batch_id", table, ["import_batch_id"])
    with op.batch_alter_table("receipts", recreate="always" if sqlite else "auto") as batch:
        batch.drop_constraint("uq_receipts_number", type_="unique")
        batch.add_column(sa.Column("import_batch_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_receipts_import_batch_id_import_batches"), "import_batches",
                                 ["import_batch_id"], ["id"])
    op.create_index("ix_receipts_number", "receipts", ["number"])
    op.create_index("ix_receipts_import_batch_id", "receipts", ["import_batch_id"])
    if sqlite:
        op.execute(_sqlite_trigger())


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER customers_groups_to_months")
    op.drop_index("ix_receipts_import_batch_id", "receipts")
    op.drop_index("ix_receipts_number", "receipts")
    with op.batch_alter_table("receipts") as batch:
        batch.drop_constraint("fk_receipts_import_batch_id_import_batches", type_="foreignkey")
        batch.drop_column("import_batch_id")
        batch.create_unique_constraint("uq_receipts_number", ["number"])
    for table in ("products", "interactions", "survey_responses"):
        op.drop_index(f"ix_{table}_import_batch_id", table)
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_import_batch_id_import_batches", type_="foreignkey")
            batch.drop_column("import_batch_id")
    op.drop_table("external_ids")
    with op.batch_alter_table("import_rows") as batch:
        batch.drop_column("entity_id")
    with op.batch_alter_table("import_batches") as batch:
        batch.drop_constraint("fk_import_batches_data_source_id_data_sources", type_="foreignkey")
        batch.drop_constraint("fk_import_batches_profile_id_import_profiles", type_="foreignkey")
        for column in ("data_source_id", "profile_id", "options", "source_system"):
            batch.drop_column(column)
    op.drop_table("data_sources")
    op.drop_table("import_profiles")
    if sqlite:
        op.execute(_sqlite_trigger())
