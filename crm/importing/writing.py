"""What the import runner hands to a kind's writer, and what the writer hands back: rows, results, options."""
from __future__ import annotations

import datetime as dt
import heapq
import itertools
from array import array
from collections.abc import Iterable, Iterator, Sequence
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


class ReportRows(Sequence[RowResult]):
    """The rows of a report in file order, kept compactly: a run of consecutive rows imported into one record
    (the lines of one receipt) takes three numbers and a name instead of an object per row, so a million rows'
    report fits in tens of megabytes. Other rows (rejected, duplicate, updated...) are kept as they are: a
    writer may still change them (a receipt found changed later in the file turns its duplicates into updates).

    Reading gives ``RowResult`` objects, made afresh for the compacted rows (changing those changes nothing).
    """

    def __init__(self, rows: Iterable[RowResult] = ()) -> None:
        self._first = array("q")  # compacted runs: first row, number of rows, record id (0: none), name
        self._count = array("q")
        self._entity = array("q")
        self._names: list[str] = []
        self._imported = 0
        self._others: list[RowResult] = []
        self._sorted = True
        self.extend(rows)

    def append(self, r: RowResult) -> None:
        if r.outcome != "imported" or r.reasons:
            self._others.append(r)
            return
        self._imported += 1
        entity = r.entity_id or 0
        n = len(self._first)
        if n and self._names[-1] == r.name and self._entity[-1] == entity and \
                self._first[-1] + self._count[-1] == r.row:
            self._count[-1] += 1
            return
        if n and self._first[-1] + self._count[-1] > r.row:
            self._sorted = False
        self._first.append(r.row)
        self._count.append(1)
        self._entity.append(entity)
        self._names.append(r.name)

    def extend(self, rows: Iterable[RowResult]) -> None:
        for r in rows:
            self.append(r)

    def sort(self, key: Any = None) -> None:
        """File order (the only order a report has; ``key`` is accepted for list compatibility)."""
        self._others.sort(key=lambda r: r.row)
        if not self._sorted:
            order = sorted(range(len(self._first)), key=self._first.__getitem__)
            self._first = array("q", (self._first[i] for i in order))
            self._count = array("q", (self._count[i] for i in order))
            self._entity = array("q", (self._entity[i] for i in order))
            self._names = [self._names[i] for i in order]
            self._sorted = True

    def forget_records(self, outcomes: Iterable[str]) -> None:
        """No record id for the rows of these outcomes (a dry run's records were rolled back)."""
        outcomes = set(outcomes)
        if "imported" in outcomes:
            self._entity = array("q", bytes(len(self._entity) * 8))
        for r in self._others:
            if r.outcome in outcomes:
                r.entity_id = None

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in OUTCOMES}
        out["imported"] = self._imported
        for r in self._others:
            out[r.outcome] += 1
        return out

    def _compacted(self) -> Iterator[RowResult]:
        for first, count, entity, name in zip(self._first, self._count, self._entity, self._names):
            for row in range(first, first + count):
                yield RowResult(row, "imported", entity or None, name=name)

    def __iter__(self) -> Iterator[RowResult]:
        if not self._sorted or any(a.row > b.row for a, b in zip(self._others, self._others[1:])):
            self.sort()
        return heapq.merge(self._compacted(), self._others, key=lambda r: r.row)

    def __len__(self) -> int:
        return self._imported + len(self._others)

    def __getitem__(self, index: Any) -> Any:  # type: ignore[override]
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return next(itertools.islice(iter(self), index, None))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (list, ReportRows)) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"ReportRows({len(self)} rows)"


@dataclass
class ImportReport:
    """The outcome of every row of one import (or of one dry run: nothing kept, ``batch_id`` None)."""

    batch_id: int | None
    filename: str
    kind: str = "customers"
    rows: ReportRows = field(default_factory=ReportRows)
    dry_run: bool = False
    extra: dict[str, int] = field(default_factory=dict)  # e.g. products created by a receipts import

    def __post_init__(self) -> None:
        if not isinstance(self.rows, ReportRows):
            self.rows = ReportRows(self.rows)

    @property
    def counts(self) -> dict[str, int]:
        return self.rows.counts()

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
    """Writes one kind's cleaned rows. ``write`` is called once per chunk, ``finish`` after the last one.

    Results with the outcome "imported" are final once ``write`` returns them (the report keeps them compactly);
    a writer may still change other results it returned (e.g. duplicates that become updates).
    """

    # Tables the writer looks rows up in while it writes (analyzed on PostgreSQL after a big import's first
    # chunk when they have no statistics yet: see ``crm.importing.runner.analyze_new_tables``).
    looked_up: tuple[str, ...] = ("external_ids",)

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
