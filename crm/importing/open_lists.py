"""The values already in use for the open lists (segments, sources, categories...): the portal's own."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from crm.importing.kinds import Field
from db.distinct import distinct_values
from db.models import Customer, Product

# (kind's field) -> the indexed column that holds its values
_COLUMNS: dict[str, Any] = {"segment": Customer.segment, "acquisition_source": Customer.acquisition_source,
                            "category": Product.category}


def values_in_use(session: Session, f: Field) -> list[str]:
    column = _COLUMNS.get(f.name)
    return [str(v) for v in distinct_values(session, column)] if column is not None else []
