"""What the import runner hands to a kind's writer, and what the writer hands back: rows, results, options."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from crm.core.access import Actor
from crm.core.i18n import N_, Codes
from crm.core.spreadsheet import csv_bytes

# What happened to a row of the file (the report's outcome codes).
OUTCOMES = Codes("import outcome", {"imported": N_("Imported"),
                                   "possible_duplicate": N_("Possible duplicate"), "updated": N_("Updated"),
                                   "duplicate": N_("Duplicate"), "rejected": N_("Rejected"), "blank": N_("Blank")})
# What to do with a customer row that matches an existing customer.
ON_DUPLICATE = Codes("duplicate handling", {"skip": N_("Skip it"), "update": N_("Update the customer"),
                                            "create": N_("Create a new customer anyway")})
# What to do with a receipt line whose product the portal does not know.
UNKNOWN_PRODUCTS = Codes("unknown product handling", {"reject": N_("Reject the line"),
                                                      "create": N_("Create the product")})
# Value-mapping targets besides a known value.
LEAVE_EMPTY = ""
KEEP_AS_NEW = "(new)"
REJECT = "(reject)"


@dataclass
class ImportOptions:
    """Everything the user decided about one import besides the column mapping (saved in profiles and batches)."""

    source_system: str | None = None  # the system the file comes from: shop, helpdesk... (its ids are kept)
    customer_source: str | None = None  # where the file's customer references come from (default: source_system)
    on_duplicate: str = "skip"  # customers: skip | update | create
    unknown_products: str = "reject"  # receipts: reject | create
    day_first: bool | None = None  # 01/02/1997: 1 February (True) or January 2 (False); None: not confirmed
    decimal_mark: str | None = None  # "." or ","; None: decided per value
    time_zone: str = "UTC"  # of date-times written without one
    value_map: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {folded value: target}
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "ImportOptions":
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def customers_from(self) -> str | None:
        return self.customer_source or self.source_system


@dataclass(slots=True)
class RowResult:
    """What happened to one row of the file: its number (the header is row 1), outcome, record and reasons."""

    row: int
    outcome: str
    entity_id: int | None = None
    reasons: str = ""
    name: str = ""  # what the row is about, for the report: a customer's name, a SKU, a receipt number

    @property
    def customer_id(self) -> int | None:  # the customer import's name for the record
        return self.entity_id


@dataclass
class ImportReport:
    """The outcome of every row of one import (or of one dry run: nothing kept, ``batch_id`` None)."""

    batch_id: int | None
    filename: str
    kind: str = "customers"
    rows: list[RowResult] = field(default_factory=list)
    dry_run: bool = False
    extra: dict[str, int] = field(default_factory=dict)  # e.g. products created by a receipts import

    @property
    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in OUTCOMES}
        for r in self.rows:
            out[r.outcome] += 1
        return out

    def as_csv(self) -> bytes:
        id_column = "customer_id" if self.kind == "customers" else "record_id"
        return csv_bytes(["row", "outcome", id_column, "name", "reasons"],
                         ([r.row, r.outcome, r.entity_id or "", r.name, r.reasons] for r in self.rows))


@dataclass(slots=True)
class CleanRow:
    """A row that passed cleaning: its number and its values by field (already typed: Decimal, datetime...)."""

    row: int
    values: dict[str, Any]


@dataclass
class Context:
    """One import as its writer sees it: the transaction, who imports, the batch, the options."""

    session: Session
    actor: Actor
    batch_id: int
    options: ImportOptions
    now: dt.datetime
    state: dict[str, Any] = field(default_factory=dict)  # the writer's own, kept across chunks
    columns: dict[str, str] = field(default_factory=dict)  # field -> the file's header (for reasons naming it)

    def column(self, name: str) -> str:
        """The file's header of a field (its name when unmapped), for a reason that names the column."""
        return self.columns.get(name, name)


class Writer:
    """Writes one kind's cleaned rows. ``write`` is called once per chunk, ``finish`` after the last one."""

    def check(self, values: dict[str, Any]) -> dict[str, str]:
        """The kind's own rules for one cleaned row, before anything is written (also in the preview):
        problems by field, every one at once. May normalise ``values`` in place (a phone to +62...)."""
        return {}

    def write(self, ctx: Context, rows: list[CleanRow]) -> list[RowResult]:
        raise NotImplementedError

    def finish(self, ctx: Context) -> None:
        """Bring summaries up to date (called once, after the last chunk, in the same transaction)."""

    def done(self, ctx: Context, counts: dict[str, int]) -> None:
        """Tell others of the finished import (its counts known; same transaction): e.g. queue a webhook."""

    def revert(self, session: Session, actor: Actor, batch_id: int) -> dict[str, int]:
        """Undo the batch: remove what it created, restore what it updated; returns counts for the message."""
        raise NotImplementedError
