"""What the Import page needs for a file of any kind: the kinds offered, the mapping guessed, the questions the
file raises before anything is written (date order, decimal mark, values the portal does not know), the preview,
the import itself, and earlier imports as tables.

The page only renders these. Customers are imported by the old customer import
(``crm.customers.importing``) until ``crm.importing.customers`` registers the kind.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from babel import Locale
from sqlalchemy.orm import Session

from crm.core.access import Actor, require
from crm.core.errors import CRMError, ValidationError
from crm.core.i18n import N_, Codes, _, date, datetime, get_language, label, number
from crm.core.text import fold
from crm.customers import importing as customer_import
from crm.customers.contact_rules import CUSTOMER_FIELDS
from crm.importing import batches, jobs, runner, values
from crm.importing.cleaning import DateOrder
from crm.importing.kinds import KIND_LABELS, Field, Kind, auto_mapping, available, kind as kind_named
from crm.importing.open_lists import values_in_use
from crm.importing.writing import (
    KEEP_AS_NEW,
    LEAVE_EMPTY,
    OUTCOMES,
    REJECT,
    ImportOptions,
    ImportReport,
    RowResult,
)

try:  # saved import profiles (crm.importing.profiles) may not be there yet
    from crm.importing import profiles
except ImportError:  # pragma: no cover - until the profiles module lands
    profiles = None  # type: ignore[assignment]

Table = customer_import.Table
ImportFileError = customer_import.ImportFileError
SHOWN_VALUES = 30  # unknown values asked about per column (the rest keep the default: new, or rejected)

# The customer fields of the old customer import, as a kind (used until crm.importing.customers registers one).
_LEGACY_CUSTOMERS = Kind("customers", N_("Customers"), "customer",
                         tuple(Field(f, CUSTOMER_FIELDS[f], required=f == "name")
                               for f in customer_import.FIELDS),
                         help=N_("One row per customer: name, company, e-mail, phone, country, status, segment... "
                                 "A row that matches an existing customer is skipped, updated or created anyway, "
                                 "as you choose."))
# Where an import was started (ImportBatch.source).
STARTED_FROM = Codes("import started from", {"page": N_("Import page"), "cli": N_("Command line"),
                                              "sync": N_("Database sync"), "api": N_("API"),
                                              "import": N_("Import"), "system": N_("System")})
# How an import ended (ImportBatch.status, crm.importing.jobs).
IMPORT_STATUS = Codes("import status", {"running": N_("Running"), "done": N_("Done"), "failed": N_("Failed"),
                                        "interrupted": N_("Interrupted: nothing was imported")})
# Counts a writer reports besides the row outcomes (ImportReport.extra), and what a revert did.
EXTRA_COUNTS = Codes("import extra count", {"products_created": N_("Products created"),
                                            "removed": N_("Removed"),
                                            "archived": N_("Archived (already in use)"),
                                            "restored": N_("Restored")})
# What a value the portal does not know may become, besides one of the known values.
SPECIAL_TARGETS = Codes("value mapping target", {LEAVE_EMPTY: N_("Leave empty"), KEEP_AS_NEW: N_("Keep as new"),
                                                 REJECT: N_("Reject these rows")})


# ------------------------------------------------------------------ kinds and mapping


def read_file(data: bytes, filename: str) -> Table:
    """Headers and rows (cells as text) of a CSV (UTF-8, comma, semicolon or tab) or Excel file."""
    return customer_import.read_table(data, filename)


def kinds() -> list[str]:
    """The kinds the page offers, in order (customers always: by the old import until its kind is registered)."""
    names = available()
    return names if "customers" in names else ["customers", *names]


def _legacy(name: str) -> bool:
    return name == "customers" and "customers" not in available()


def kind_of(name: str) -> Kind:
    return _LEGACY_CUSTOMERS if _legacy(name) else kind_named(name)


def kind_for(actor: Actor, name: str, *, session: Session) -> Kind:
    """The kind as the Import page maps it: its own fields, then one per active custom field."""
    require(actor, "data.import")
    return _LEGACY_CUSTOMERS if _legacy(name) else kind_named(name, session)


def help_of(name: str) -> str:
    """One sentence on what a file of this kind holds."""
    k = kind_of(name)
    return _(k.help) if k.help else ""


def asks_customer_source(name: str) -> bool:
    """Whether the kind refers to customers (receipts, interactions, surveys): ask whose ids they are."""
    return name != "customers" and any(f.type == "ref" for f in kind_of(name).fields)


def field_label(f: Field) -> str:
    return _("{field} (required)").format(field=_(f.label)) if f.required else _(f.label)


def guess_mapping(name: str, headers: list[str], profile: Any = None, k: Kind | None = None) -> dict[str, int]:
    """Field -> column index: the profile's columns when one is chosen, else the usual headers (of ``k``'s
    fields when given: with its custom fields, see ``kind_for``)."""
    if profile is not None and profiles is not None:
        return profiles.mapping_for(profile, headers)
    return customer_import.auto_mapping(headers) if _legacy(name) else auto_mapping(k or kind_of(name), headers)


def missing_fields(name: str, mapping: dict[str, int]) -> list[str]:
    """Labels of the required fields that have no column yet."""
    return [_(f.label) for f in kind_of(name).fields if f.required and f.name not in mapping]


def time_zones() -> list[str]:
    """Every time zone name, sorted (for times written without a zone)."""
    return sorted(zoneinfo.available_timezones() | {"UTC"})


def has_times(name: str, mapping: dict[str, int]) -> bool:
    """Whether a mapped column holds date-times (then the time zone of times written without one matters)."""
    return any(f.type == "datetime" and f.name in mapping for f in kind_of(name).fields)


# ------------------------------------------------------------------ profiles


def profiles_available() -> bool:
    return profiles is not None


def list_profiles(actor: Actor, *, kind: str, session: Session) -> list[Any]:
    """The saved import profiles of this kind (none while the profiles module is not there)."""
    require(actor, "data.import")
    return [] if profiles is None else list(profiles.list_profiles(actor, kind=kind, session=session))


def save_profile(actor: Actor, *, name: str, kind: str, headers: Sequence[str], mapping: dict[str, int],
                 options: ImportOptions, session: Session) -> Any:
    """Save the mapping, value mapping and options under ``name``: a new profile, or the one of that name
    (updated, with the version it was read at)."""
    require(actor, "data.import")
    if profiles is None:
        raise CRMError(_("Import profiles are not available yet."))
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the profile a name.")})
    same = next((p for p in profiles.list_profiles(actor, session=session) if fold(p.name) == fold(name)), None)
    kept = {k: v for k, v in options.as_dict().items() if k not in ("value_map", "source_system", "dry_run")}
    return profiles.save_profile(actor, name=same.name if same else name, kind=kind,
                                 source_system=options.source_system,
                                 mapping={f: headers[i] for f, i in mapping.items()}, value_map=options.value_map,
                                 options=kept, version=same.version if same else None, session=session)


def profile_options(profile: Any) -> ImportOptions:
    """The options a profile starts from (defaults without one)."""
    if profile is None:
        return ImportOptions()
    if profiles is not None:
        return profiles.options_for(profile)
    return ImportOptions.from_dict({**(profile.options or {}), "source_system": profile.source_system,
                                    "value_map": profile.value_map or {}})


# ------------------------------------------------------------------ questions the file raises


@dataclass(frozen=True)
class ValueQuestion:
    """Values of one column the portal does not know: each is mapped to one of ``targets``."""

    field: str
    label: str
    column: str
    values: list[tuple[str, int]]  # (value as found, rows), the most frequent first, at most SHOWN_VALUES
    more: int  # further unknown values not asked about (they keep the default)
    targets: list[tuple[str, str]]  # (target, label): known values, then leave empty, keep as new, reject
    default: str  # keep as new for open lists, reject otherwise


@dataclass(frozen=True)
class FileQuestions:
    """What the user decides about a file before it is imported."""

    dates: DateOrder | None  # the day/month order of its date columns (None: no date columns)
    decimal_mark: str | None  # the guessed decimal mark of its amounts (None: no amount columns)
    unknown: list[ValueQuestion]


def questions(actor: Actor, kind: str, table: Table, mapping: dict[str, int], *,
              session: Session) -> FileQuestions:
    """The day/month order, decimal mark and unknown values of the mapped columns, read from the whole file."""
    require(actor, "data.import")
    if _legacy(kind):  # the old customer import cleans as it writes
        return FileQuestions(None, None, [])
    k = kind_of(kind)
    headers, rows = table
    unknown = values.unknown_values(k, headers, rows, mapping, ImportOptions(), session)
    return FileQuestions(runner.date_columns(k, rows, mapping), runner.amount_mark(k, rows, mapping),
                         [_question(k.field(u.field), u, session) for u in unknown])


def _question(f: Field, u: values.UnknownValues, session: Session) -> ValueQuestion:
    known = list(u.choices)
    if f.type == "country":
        known = _countries()
    elif f.open_list:
        codes = {c for c, _label in known}
        known += [(v, v) for v in sorted(values_in_use(session, f), key=fold) if v not in codes]
    specials = [LEAVE_EMPTY, *([KEEP_AS_NEW] if f.open_list else []), REJECT]
    targets = known + [(t, _(SPECIAL_TARGETS[t])) for t in specials]
    return ValueQuestion(f.name, _(f.label), u.column, u.values[:SHOWN_VALUES], max(0, len(u.values) - SHOWN_VALUES),
                         targets, KEEP_AS_NEW if f.open_list else REJECT)


def _countries() -> list[tuple[str, str]]:
    """(ISO code, name in the user's language) of every country, by name."""
    import pycountry

    names = Locale.parse(get_language()).territories
    pairs = [(c.alpha_2, names.get(c.alpha_2, c.name)) for c in pycountry.countries]
    return sorted(pairs, key=lambda p: fold(p[1]))


def value_map(chosen: dict[str, dict[str, str]], saved: dict[str, dict[str, str]] | None = None) -> dict[str, dict[str, str]]:
    """The user's choices (field -> {value as found: target}) as ImportOptions.value_map (folded keys), over
    the ``saved`` one (a profile's: values this file does not have keep their mapping)."""
    out = {f: dict(targets) for f, targets in (saved or {}).items()}
    for f, targets in chosen.items():
        out.setdefault(f, {}).update({fold(v): t for v, t in targets.items()})
    return {f: targets for f, targets in out.items() if targets}


def saved_target(q: ValueQuestion, value: str, options: ImportOptions) -> str:
    """The target a profile's value mapping gives this value, else the question's default."""
    saved = options.value_map.get(q.field, {}).get(fold(value))
    return saved if saved in {t for t, _label in q.targets} else q.default


# ------------------------------------------------------------------ preview


@dataclass(frozen=True)
class Preview:
    """The first rows as found and as they will be stored; ``problem_rows``: positions of rows with problems."""

    frame: pd.DataFrame
    problem_rows: list[int]


def preview(actor: Actor, kind: str, table: Table, mapping: dict[str, int], options: ImportOptions, *,
            limit: int = 20, session: Session) -> Preview:
    """Each mapped field as found and as stored for the first ``limit`` rows, and what is wrong with each row."""
    require(actor, "data.import")
    headers, rows = table
    k = kind_of(kind)
    if _legacy(kind):  # cleaned while writing: the preview shows the cells as found
        frame = pd.DataFrame([{_(k.field(f).label): (r[i] if i < len(r) else "") for f, i in mapping.items()}
                              for r in rows[:limit]])
        return Preview(frame, [])
    found, stored = _("{field} (as found)"), _("{field} (as stored)")
    records = []
    for p in runner.preview(actor, kind, rows, headers=headers, mapping=mapping, options=options, limit=limit,
                            session=session):
        record: dict[str, Any] = {_("Row"): p.row, _("Problems"): "; ".join(p.problems)}  # problems first: seen
        for f in mapping:
            name = _(k.field(f).label)
            record[found.format(field=name)] = p.found.get(f, "")
            record[stored.format(field=name)] = "" if p.problems and f not in p.stored else _shown(p.stored.get(f))
        records.append(record)
    frame = pd.DataFrame(records)
    return Preview(frame, [n for n, r in enumerate(records) if r[_("Problems")]])


def _shown(value: Any) -> str:
    """A stored value written so that its meaning is unmistakable: dates with the month by name in the user's
    language (so 1 February never reads as 2 January), times on the user's clock, a point as decimal mark."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return datetime(value, "medium")
    if isinstance(value, dt.date):
        return date(value, "medium")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


# ------------------------------------------------------------------ import and report


def import_file(actor: Actor, kind: str, table: Table, *, filename: str, data: bytes, mapping: dict[str, int],
                options: ImportOptions, progress: Callable[[float], None] | None = None,
                profile_id: int | None = None, session: Session) -> ImportReport:
    """Import the file as the user set it up (a dry run saves nothing and says what would have happened).

    The import is a job (``crm.importing.jobs``): its batch is announced and committed first, the import runs
    in a transaction of its own, so this ends ``session``'s transaction (pass one that holds nothing else)."""
    require(actor, "data.import")
    headers, rows = table
    if not _legacy(kind):
        session.commit()  # on SQLite an open transaction would hold the write lock the announcement needs
        return jobs.run_import(actor, kind, rows, headers=headers, mapping=mapping, options=options,
                               filename=filename, total=len(rows), progress=progress, profile_id=profile_id,
                               sessions=jobs.sessions_of(session))
    savepoint = session.begin_nested() if options.dry_run else None
    old = customer_import.run_import(actor, filename, data, table=table, mapping=mapping,
                                     on_duplicate=options.on_duplicate, progress=progress, session=session)
    if savepoint is not None:
        savepoint.rollback()
    return ImportReport(None if options.dry_run else old.batch_id, old.filename, "customers",
                        [RowResult(r.row, r.outcome, r.customer_id, r.reasons, r.name) for r in old.rows],
                        dry_run=options.dry_run)


def counts(report: ImportReport) -> list[tuple[str, int]]:
    """(label, number) per outcome, then the writer's own counts (products created...)."""
    return [(label(OUTCOMES, k), n) for k, n in report.counts.items()] + \
        [(_count_label(k), n) for k, n in report.extra.items()]


def report_table(report: ImportReport) -> pd.DataFrame:
    record = _("Customer #") if report.kind == "customers" else _("Record #")
    return pd.DataFrame([{_("Row"): r.row, _("Outcome"): label(OUTCOMES, r.outcome), record: r.entity_id,
                          _("Name"): r.name, _("Reasons"): r.reasons} for r in report.rows],
                        columns=[_("Row"), _("Outcome"), record, _("Name"), _("Reasons")])


def _count_label(key: str) -> str:
    return label(EXTRA_COUNTS, key) if key in EXTRA_COUNTS else key.replace("_", " ").capitalize()


def counts_text(found: dict[str, int] | None) -> str:
    """"Imported: 3, Updated: 1, ..." for a batch's counts (outcomes and the writer's own)."""
    return ", ".join(_("{outcome}: {n}").format(outcome=label(OUTCOMES, k) if k in OUTCOMES else _count_label(k),
                                                n=number(v)) for k, v in (found or {}).items())


@dataclass(frozen=True)
class EarlierImports:
    """Earlier imports as a table, and those that can still be reverted (choice label -> batch id)."""

    frame: pd.DataFrame
    revertible: dict[str, int]


def earlier_imports(actor: Actor, *, session: Session) -> EarlierImports:
    past = batches.list_imports(actor, session=session)
    frame = pd.DataFrame([{"id": b.id, _("When"): datetime(b.created_at, "short"),
                           _("Kind"): label(KIND_LABELS, b.kind),
                           _("File"): b.filename, _("Source system"): b.source_system or "",
                           _("Started from"): label(STARTED_FROM, b.source),
                           _("Status"): status_text(b),
                           _("Counts"): counts_text(b.counts),
                           _("Reverted"): datetime(b.reverted_at, "short") if b.reverted_at else ""} for b in past])
    revertible = {f"#{b.id} {b.filename} ({datetime(b.created_at, 'short')})": b.id for b in past
                  if not b.reverted_at and b.status == jobs.DONE}
    return EarlierImports(frame, revertible)


def status_text(b: batches.PastImport) -> str:
    """How an import ended, as the earlier imports' table says it (a failure with its reason)."""
    shown = label(IMPORT_STATUS, b.status)
    return _("{status}: {reason}").format(status=shown, reason=b.error) if b.status == jobs.FAILED and b.error \
        else shown


def revert(actor: Actor, batch_id: int, *, session: Session) -> str:
    """Revert an import of any kind; returns what was done, for the message."""
    done = batches.revert(actor, batch_id, session=session)
    return _("Import reverted: {counts}.").format(counts=", ".join(
        _("{outcome}: {n}").format(outcome=_count_label(k), n=number(v)) for k, v in done.items()))
