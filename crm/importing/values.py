"""Known values of the choice fields, and the values of a file the portal does not know (for the user to map).

A cell matches a known value when, folded (any case, accents, spaces), it equals the code or its label (in
English or in the user's language). What does not match is listed with its count; the user maps each such
value to a known one, to "leave empty", to "keep as new" (open lists only), or lets its rows be rejected.
The choice is kept in ``ImportOptions.value_map`` (field -> {folded value: target}) and applied to every row.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from crm.core.i18n import _, label
from crm.core.text import fold
from crm.importing.cleaning import CleaningError, country_code
from crm.importing.kinds import Field, Kind
from crm.importing.writing import KEEP_AS_NEW, LEAVE_EMPTY, REJECT, ImportOptions


@dataclass(frozen=True)
class UnknownValues:
    """The values of one column that the portal does not know, most frequent first."""

    field: str
    column: str  # the file's header
    values: list[tuple[str, int]]  # (value as found, rows)
    choices: list[tuple[str, str]]  # (code, label) of the known values
    open_list: bool


def known_codes(f: Field, session: Session | None = None) -> dict[str, str]:
    """Folded variant -> code, for a choice field: its codes, their labels, and (open lists) values in use."""
    out: dict[str, str] = {}
    for code, text in (f.choices or {}).items():
        out[fold(code)] = code
        out[fold(code.replace("_", " "))] = code
        out.setdefault(fold(text), code)
        out.setdefault(fold(label(f.choices, code)), code)
    if f.managed and session is not None:
        from crm.core.i18n import LANGUAGES
        from crm.settings.lists import values
        for v in values(session, f.managed, include_inactive=True):
            out.setdefault(fold(v.code), v.code)
            out.setdefault(fold(v.code.replace("_", " ")), v.code)
            for lang in LANGUAGES:
                out.setdefault(fold(v.label_in(lang)), v.code)
    if f.open_list and session is not None:
        from crm.importing.open_lists import values_in_use

        for value in values_in_use(session, f):
            out.setdefault(fold(value), value)
    return out


def map_choice(f: Field, raw: str, known: dict[str, str], options: ImportOptions) -> str | None:
    """The value to store for a choice cell; raises CleaningError when it is unknown and not mapped."""
    key = fold(raw)
    chosen = options.value_map.get(f.name, {}).get(key)
    if chosen is not None:
        if chosen == LEAVE_EMPTY:
            return None
        if chosen == KEEP_AS_NEW:
            return " ".join(raw.split())
        if chosen != REJECT:
            return chosen
    elif key in known:
        return known[key]
    elif f.open_list:  # nobody said otherwise: a new value of an open list is kept
        return " ".join(raw.split())
    raise CleaningError(_("'{value}' is not a known value; map it to one of: {choices}.").format(
        value=raw, choices=", ".join(text for _code, text in field_choices(f))))


def field_choices(f: Field, session: Session | None = None) -> list[tuple[str, str]]:
    """(code, label) of the values a choice field offers: its managed list's active ones, else its codes."""
    if f.managed and session is not None:
        from crm.settings.lists import values
        return [(v.code, v.label) for v in values(session, f.managed)]
    return [(c, label(f.choices, c)) for c in (f.choices or {})]


def map_country(raw: str, options: ImportOptions) -> str | None:
    """An ISO code for a country cell: the user's mapping first, then names and codes in any language."""
    chosen = options.value_map.get("country", {}).get(fold(raw))
    if chosen is not None and chosen != REJECT:
        return chosen or None
    return country_code(raw)


def unknown_values(k: Kind, headers: Sequence[str], rows: Iterable[Sequence[str]], mapping: dict[str, int],
                   options: ImportOptions, session: Session | None = None) -> list[UnknownValues]:
    """Per mapped choice or country column, the values that match nothing known and are not mapped yet."""
    columns = {f.name: mapping[f.name] for f in k.fields if f.type in ("choice", "country") and f.name in mapping}
    seen: dict[str, Counter[str]] = {name: Counter() for name in columns}
    for raw in rows:
        for name, index in columns.items():
            if index < len(raw):
                cell = " ".join(str(raw[index]).split())
                if cell:
                    seen[name][cell] += 1
    out = []
    for name, counter in seen.items():
        f = k.field(name)
        unknown = _unknown(f, counter, options, session)
        if unknown:
            choices = field_choices(f, session)
            out.append(UnknownValues(name, headers[columns[name]], unknown, choices, f.open_list))
    return out


def _unknown(f: Field, counter: Counter[str], options: ImportOptions, session: Session | None) -> list[tuple[str, int]]:
    mapped = options.value_map.get(f.name, {})
    if f.type == "country":
        found = []
        for value, n in counter.most_common():
            if fold(value) in mapped:
                continue
            try:
                country_code(value)
            except CleaningError:
                found.append((value, n))
        return found
    known = known_codes(f, session)
    return [(v, n) for v, n in counter.most_common() if fold(v) not in known and fold(v) not in mapped]
