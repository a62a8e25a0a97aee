"""Migrations build exactly the schema the models describe, on every backend."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from db.engine import get_engine
from db.models import Base


def test_migrated_schema_matches_the_models(db_url) -> None:
    with get_engine(db_url).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
