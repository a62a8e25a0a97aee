"""Custom fields on customers and interactions: administrators define them; forms, profiles and lists show them.

Definitions (this module): ``list_fields`` (any signed-in actor), ``add_field``, ``update_field``,
``reorder_fields``, ``deactivate_field``, ``reactivate_field`` (capability ``settings.manage``, audited with
before and after). Values: ``crm.settings.field_values`` (``validate_values``, ``values_of``, ``set_values``,
``delete_values``, ``record_filter``). Types and the ``FieldDef`` dataclass: ``crm.settings.field_types``.
The configuration file's ``fields`` section is registered here.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, insert, literal, select
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import ConflictError, NotFound, ValidationError
from crm.core.i18n import LANGUAGES, _, label
from crm.core.text import fold
from crm.settings import definitions, lists
from crm.settings.config_file import Section, register
from crm.settings.field_types import (
    CHOICE_TYPES,
    ENTITIES,
    TYPES,
    Choice,
    FieldDef,
    as_text,
    clean_value,
    from_storage,
    is_empty,
    storage_rows,
)
from db.models import Customer, CustomField, CustomValue, Interaction, ListValue

__all__ = [
    "FieldDef", "TYPES", "ENTITIES", "list_fields", "fields_for", "get_field", "add_field", "update_field", "reorder_fields",
    "deactivate_field", "reactivate_field", "records_of",
]

_RECORDS = {"customers": Customer, "interactions": Interaction}
_NUMBER_OPTIONS = ("min", "max", "decimals")


# ------------------------------------------------------------------ reading


def _choices(session: Session, list_codes: set[str]) -> dict[str, tuple[Choice, ...]]:
    if not list_codes:
        return {}
    rows = session.scalars(select(ListValue).where(ListValue.list_code.in_(list_codes))
                           .order_by(ListValue.position, ListValue.id))
    out: dict[str, list[Choice]] = {}
    for v in rows:
        out.setdefault(v.list_code, []).append(Choice(v.code, dict(v.labels or {}), v.active))
    return {code: tuple(values) for code, values in out.items()}


def _defs(session: Session, rows: list[CustomField]) -> list[FieldDef]:
    codes = {str(r.options.get("list_code")) for r in rows if r.type in CHOICE_TYPES and r.options.get("list_code")}
    choices = _choices(session, codes)
    return [FieldDef(r.id, r.entity, r.code, dict(r.labels or {}), dict(r.help or {}), r.type, r.required,
                     dict(r.options or {}), r.position, r.active, r.version,
                     choices.get(str((r.options or {}).get("list_code")), ())) for r in rows]


def list_fields(session: Session, entity: str, include_inactive: bool = False) -> list[FieldDef]:
    """The entity's custom fields in their order (active ones only unless asked), choices included: this server's
    copy while nobody changed them (``crm.settings.definitions``)."""
    _check_entity(entity)
    every = definitions.cached(session, entity, lambda: _defs(session, list(session.scalars(
        select(CustomField).where(CustomField.entity == entity).order_by(CustomField.position, CustomField.id)))))
    return every if include_inactive else [f for f in every if f.active]


def fields_for(actor: Actor, entity: str, *, include_inactive: bool = False, session: Session) -> list[FieldDef]:
    """``list_fields`` for pages and other entry points: any signed-in actor reads the definitions."""
    require(actor, "home.read")
    return list_fields(session, entity, include_inactive=include_inactive)


def get_field(session: Session, field_id: int) -> FieldDef:
    """One field by id (``NotFound`` when there is none)."""
    row = session.get(CustomField, field_id)
    if row is None:
        raise NotFound(_("This custom field does not exist (any more)."))
    return _defs(session, [row])[0]


def records_of(entity: str) -> Any:
    """The model whose rows an entity's values belong to (``Customer`` or ``Interaction``)."""
    _check_entity(entity)
    return _RECORDS[entity]


def _check_entity(entity: str) -> None:
    if entity not in ENTITIES:
        raise ValidationError({"entity": _("Custom fields exist for customers and interactions only.")})


# ------------------------------------------------------------------ checking a definition


def _clean_labels(labels: dict[str, str] | None) -> dict[str, str]:
    return {lang: " ".join(str(text).split()) for lang, text in (labels or {}).items()
            if lang in LANGUAGES and text and str(text).strip()}


def _check_labels(session: Session, entity: str, labels: dict[str, str], code: str, errors: dict[str, str], *,
                  own_id: int | None = None) -> None:
    if not labels.get("en"):
        errors["en"] = _("The English label is required.")
        return
    if not code:
        errors["code"] = _("The label needs at least one letter or digit.")
        return
    reserved = set(records_of(entity).__table__.columns.keys())
    if code in reserved:
        errors["code"] = _("“{label}” is already a built-in field.").format(label=labels["en"])
        return
    others = session.scalars(select(CustomField).where(CustomField.entity == entity)).all()
    for other in others:
        if other.id == own_id:
            continue
        if other.code == code:
            errors["code"] = _("A field “{label}” already exists.").format(label=labels["en"])
            return
        for lang, text in labels.items():
            if fold(text) and fold(text) == fold(other.labels.get(lang, "")):
                errors[lang] = _("A field “{label}” already exists.").format(label=text)


def _clean_options(type_: str, options: dict[str, Any] | None, errors: dict[str, str]) -> dict[str, Any]:
    options = dict(options or {})
    out: dict[str, Any] = {}
    if type_ == "number":
        for key in _NUMBER_OPTIONS:
            value = options.get(key)
            if value is None or str(value).strip() == "":
                continue
            try:
                number = float(str(value).replace(",", "."))
            except ValueError:
                errors[key] = _("“{value}” is not a number.").format(value=value)
                continue
            if key == "decimals":
                if number != int(number) or not 0 <= number <= 6:
                    errors[key] = _("Decimal places must be a whole number from 0 to 6.")
                    continue
                out[key] = int(number)
            else:
                out[key] = int(number) if number == int(number) else number
        if "min" in out and "max" in out and out["min"] > out["max"]:
            errors["max"] = _("The maximum is below the minimum.")
    if type_ in CHOICE_TYPES and options.get("list_code"):
        out["list_code"] = str(options["list_code"])
    return out


def _snapshot(row: CustomField) -> dict[str, Any]:
    return audit.snapshot(row, exclude=("created_at",))


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError(errors)


# ------------------------------------------------------------------ existing records


def _missing_filter(entity: str, field_id: int) -> ColumnElement[bool]:
    """Records of ``entity`` (live ones: not erased) that hold no value of the field."""
    model = records_of(entity)
    cond = ~exists().where(CustomValue.field_id == field_id, CustomValue.record_id == model.id)
    if entity == "customers":
        cond = cond & Customer.erased_at.is_(None)
    return cond


def _count_missing(session: Session, entity: str, field_id: int | None) -> int:
    model = records_of(entity)
    stmt = select(func.count()).select_from(model)
    if field_id is None:
        if entity == "customers":
            stmt = stmt.where(Customer.erased_at.is_(None))
    else:
        stmt = stmt.where(_missing_filter(entity, field_id))
    return int(session.scalar(stmt) or 0)


def _fill_missing(session: Session, f: FieldDef, value: Any) -> int:
    """Write ``value`` to every live record without a value of ``f``, in bulk; returns how many records."""
    model = records_of(f.entity)
    missing = select(model.id).where(_missing_filter(f.entity, f.id))
    count = _count_missing(session, f.entity, f.id)
    rows = storage_rows(f, value)
    if not rows or not count:
        return 0
    if len(rows) == 1:
        column, stored = next(iter(rows[0].items()))
        select_rows = select(literal(f.id), model.id, literal(stored, type_=CustomValue.__table__.c[column].type)) \
            .where(_missing_filter(f.entity, f.id))
        session.execute(insert(CustomValue).from_select(["field_id", "record_id", column], select_rows))
        return count
    ids = list(session.scalars(missing))  # a multiple choice default: one row per chosen value
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        session.execute(insert(CustomValue), [{"field_id": f.id, "record_id": rid, **row}
                                              for rid in chunk for row in rows])
    return count


def _default(session: Session, f: FieldDef, default: Any, errors: dict[str, str]) -> Any:
    """The default for existing records when ``f`` is (becoming) required and some records have no value."""
    missing = _count_missing(session, f.entity, f.id if f.id else None)
    if not missing:
        return None
    if is_empty(default):
        errors["default"] = _("Existing records without a value: {count}. Give a default value for them to make "
                              "this field required.").format(count=missing)
        return None
    value, error = clean_value(f, default)
    if error:
        errors["default"] = error
    return value


# ------------------------------------------------------------------ writing


def add_field(actor: Actor, entity: str, labels: dict[str, str], type: str, *,  # noqa: A002 - the field's type
              required: bool = False, help: dict[str, str] | None = None,  # noqa: A002
              options: dict[str, Any] | None = None, choices: list[str | dict[str, str]] | None = None,
              default_for_existing: Any = None, code: str | None = None, session: Session) -> FieldDef:
    """Add a custom field at the end of the entity's fields; every problem is reported at once.

    ``choices`` (choice types) are the labels of a new managed list ``custom:<code>`` (a string is the English
    label, a dict gives labels per language); ``options={"list_code": ...}`` uses an existing list instead.
    A required field on a table that already has records needs ``default_for_existing``, written to them.
    """
    require(actor, "settings.manage")
    _check_entity(entity)
    errors: dict[str, str] = {}
    clean = _clean_labels(labels)
    stored = (code or lists.code_for(clean.get("en", ""))).strip()
    _check_labels(session, entity, clean, stored, errors)
    if type not in TYPES:
        errors["type"] = _("Type “{type}” is not one of: {types}.").format(
            type=type, types=", ".join(TYPES))
    opts = _clean_options(type, options, errors)
    choice_labels = [c if isinstance(c, dict) else {"en": str(c)} for c in (choices or []) if not is_empty(c)
                     and not (isinstance(c, dict) and not c.get("en"))]
    if type in CHOICE_TYPES:
        if opts.get("list_code") and not choice_labels:
            if not lists.values(session, opts["list_code"], include_inactive=True):
                errors["choices"] = _("The list “{list}” has no values.").format(list=opts["list_code"])
        elif not choice_labels:
            errors["choices"] = _("A choice field needs at least one choice.")
        else:
            folded = [fold(c["en"]) for c in choice_labels]
            twice = sorted({c["en"] for c, key in zip(choice_labels, folded) if folded.count(key) > 1})
            if twice:
                errors["choices"] = _("Each choice may appear once: {choices}.").format(choices=", ".join(twice))
            opts["list_code"] = f"custom:{stored}"[:60]
    _raise(errors)
    list_code = opts.get("list_code")
    if type in CHOICE_TYPES and choice_labels and list_code:
        existing = {v.code for v in lists.values(session, list_code, include_inactive=True)}
        for choice in choice_labels:
            if lists.code_for(choice["en"]) not in existing:
                lists.add_value(actor, list_code, choice, session=session)
    position = (session.scalar(select(func.max(CustomField.position)).where(CustomField.entity == entity)) or 0) + 1
    draft = FieldDef(0, entity, stored, clean, _clean_labels(help), type, required, opts, position, True, 1,
                     _choices(session, {list_code}).get(list_code or "", ()) if list_code else ())
    default = _default(session, draft, default_for_existing, errors) if required else None
    _raise(errors)
    row = CustomField(entity=entity, code=stored, labels=clean, help=draft.help, type=type, required=required,
                      options=opts, position=position, active=True)
    session.add(row)
    session.flush()
    f = get_field(session, row.id)
    filled = _fill_missing(session, f, default) if default is not None else 0
    audit.record(session, actor, "create", "custom_field", row.id, after=_snapshot(row),
                 detail=_default_detail(filled, f, default))
    return f


def _default_detail(filled: int, f: FieldDef, default: Any) -> str | None:
    if not filled:
        return None
    return f"default {as_text(f, default)!r} written to {filled} existing records"


def _load(session: Session, field_id: int, version: int | None) -> CustomField:
    row = session.get(CustomField, field_id)
    if row is None:
        raise NotFound(_("This custom field does not exist (any more)."))
    if version is not None and row.version != version:
        raise ConflictError(_("Someone else changed this field since you opened it; reload and try again."))
    return row


def update_field(actor: Actor, field_id: int, *, version: int | None, labels: dict[str, str] | None = None,
                 help: dict[str, str] | None = None, required: bool | None = None,  # noqa: A002
                 position: int | None = None, options: dict[str, Any] | None = None, type: str | None = None,  # noqa: A002
                 default_for_existing: Any = None, session: Session) -> FieldDef:
    """Change a field's labels, help, required flag, position, options (number) or type; what is not given stays.

    ``version`` is the one the editor loaded (``ConflictError`` when stale; None skips the check, for
    scripts). A type change converts the stored values and is refused, with how many values would be lost,
    when some cannot be converted. Making a field required needs ``default_for_existing`` when records lack a
    value. The code (and so the key of the values) never changes.
    """
    require(actor, "settings.manage")
    row = _load(session, field_id, version)
    before = _snapshot(row)
    old = get_field(session, field_id)
    errors: dict[str, str] = {}
    new_labels = _clean_labels(labels) if labels is not None else dict(row.labels)
    if labels is not None:
        _check_labels(session, row.entity, new_labels, row.code, errors, own_id=row.id)
    new_type = type or row.type
    if new_type not in TYPES:
        errors["type"] = _("Type “{type}” is not one of: {types}.").format(type=new_type, types=", ".join(TYPES))
    opts = dict(row.options or {})
    if options is not None or new_type != row.type:
        opts = _clean_options(new_type, {**({"list_code": row.options.get("list_code")}
                                            if row.options.get("list_code") else {}), **(options or {})}, errors)
    if new_type in CHOICE_TYPES and not opts.get("list_code"):
        errors["type"] = _("A field can become a choice field only if it already was one (its list of choices).")
    _raise(errors)
    new = FieldDef(row.id, row.entity, row.code, new_labels,
                   _clean_labels(help) if help is not None else dict(row.help), new_type,
                   row.required if required is None else required, opts, row.position, row.active, row.version,
                   old.choices)
    converted = _convert(session, old, new, errors) if new_type != row.type else None
    default = _default(session, new, default_for_existing, errors) if new.required and not old.required else None
    _raise(errors)
    if converted is not None:
        session.execute(delete(CustomValue).where(CustomValue.field_id == row.id))
        _insert_values(session, new, converted)
    row.labels, row.help, row.type, row.required, row.options = new.labels, new.help, new.type, new.required, opts
    if position is not None:
        row.position = position
    session.flush()
    filled = _fill_missing(session, new, default) if default is not None else 0
    after = _snapshot(row)
    b, a = audit.diff(before, after)
    audit.record(session, actor, "update", "custom_field", row.id, before=b, after=a,
                 detail=_default_detail(filled, new, default))
    return get_field(session, row.id)


def _values_for_field(session: Session, f: FieldDef) -> dict[int, Any]:
    column = CustomValue.__table__.c[f.column]
    stored: dict[int, list[Any]] = {}
    for rid, value in session.execute(select(CustomValue.record_id, column).where(CustomValue.field_id == f.id)):
        stored.setdefault(rid, []).append(value)
    return {rid: from_storage(f, values) for rid, values in stored.items()}


def _convert(session: Session, old: FieldDef, new: FieldDef, errors: dict[str, str]) -> dict[int, Any] | None:
    """Every stored value in the new type, or None (with an error) when some would be lost."""
    converted: dict[int, Any] = {}
    lost = 0
    for rid, value in _values_for_field(session, old).items():
        text = (", ".join(old.choice_label(c) for c in value) if old.type == "multi_choice" and new.type not in
                CHOICE_TYPES else old.choice_label(value) if old.type == "choice" and new.type not in CHOICE_TYPES
                else as_text(old, value))
        clean, error = clean_value(new, text, decimal_mark=".", current=value)
        if error or is_empty(clean):
            lost += 1
        else:
            converted[rid] = clean
    if lost:
        errors["type"] = _("Stored values that changing the type to {type} would lose: {count}. The type was not "
                           "changed.").format(type=label(TYPES, new.type), count=lost)
        return None
    return converted


def _insert_values(session: Session, f: FieldDef, values: dict[int, Any]) -> None:
    rows = [{"field_id": f.id, "record_id": rid, **row} for rid, value in values.items()
            for row in storage_rows(f, value)]
    for start in range(0, len(rows), 5000):
        session.execute(insert(CustomValue), rows[start:start + 5000])


def reorder_fields(actor: Actor, entity: str, codes: list[str], *, session: Session) -> list[FieldDef]:
    """Put the entity's fields in the order of ``codes`` (fields not named keep their order, after them)."""
    require(actor, "settings.manage")
    rows = list(session.scalars(select(CustomField).where(CustomField.entity == entity)
                                .order_by(CustomField.position, CustomField.id)))
    rank = {code: i for i, code in enumerate(codes)}
    ordered = sorted(rows, key=lambda r: (rank.get(r.code, len(rank)), r.position, r.id))
    before = {r.code: r.position for r in rows}
    for position, row in enumerate(ordered, start=1):
        row.position = position
    session.flush()
    audit.record(session, actor, "update", "custom_field_order", entity, before={"order": list(before)},
                 after={"order": [r.code for r in ordered]})
    return list_fields(session, entity, include_inactive=True)


def _set_active(actor: Actor, field_id: int, active: bool, version: int | None, session: Session) -> FieldDef:
    require(actor, "settings.manage")
    row = _load(session, field_id, version)
    if row.active != active:
        row.active = active
        session.flush()
        audit.record(session, actor, "update", "custom_field", row.id, before={"active": not active},
                     after={"active": active})
    return get_field(session, row.id)


def deactivate_field(actor: Actor, field_id: int, *, version: int | None = None, session: Session) -> FieldDef:
    """Hide a field from forms, profiles and lists; its values are kept (``reactivate_field`` shows them again)."""
    return _set_active(actor, field_id, False, version, session)


def reactivate_field(actor: Actor, field_id: int, *, version: int | None = None, session: Session) -> FieldDef:
    """Show a deactivated field again, with the values it kept."""
    return _set_active(actor, field_id, True, version, session)


# ------------------------------------------------------------------ configuration file section


def _export(session: Session) -> list[dict[str, Any]]:
    out = []
    for entity in ENTITIES:
        for f in list_fields(session, entity, include_inactive=True):
            item: dict[str, Any] = {"entity": f.entity, "code": f.code, "labels": f.labels, "help": f.help,
                                    "type": f.type, "required": f.required, "options": f.options,
                                    "position": f.position, "active": f.active}
            if f.type in CHOICE_TYPES:
                item["choices"] = [{"code": c.code, "labels": c.labels} for c in f.choices]
            out.append(item)
    return out


def _existing(session: Session) -> dict[tuple[str, str], FieldDef]:
    return {(f.entity, f.code): f for entity in ENTITIES for f in list_fields(session, entity, include_inactive=True)}


def _changes(session: Session, data: Any) -> list[str]:
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValidationError({"fields": _("The “fields” section must be a list of fields.")})
    errors: dict[str, str] = {}
    out: list[str] = []
    existing = _existing(session)
    for i, item in enumerate(data, start=1):
        entity, code, type_ = item.get("entity"), item.get("code"), item.get("type")
        name = f"{entity}.{code}"
        if entity not in ENTITIES or not code or type_ not in TYPES or not (item.get("labels") or {}).get("en"):
            errors[f"fields.{i}"] = _("Field {number} needs an entity (customers or interactions), a code, a type "
                                      "and an English label.").format(number=i)
            continue
        current = existing.get((entity, code))
        if current is None:
            if item.get("required") and _count_missing(session, entity, None) \
                    and is_empty(item.get("default_for_existing")):
                errors[f"fields.{i}"] = _("Required field {name} needs “default_for_existing” for the records "
                                          "that already exist.").format(name=name)
            out.append(_("Add field {name} ({type})").format(name=name, type=type_))
            continue
        changed = [key for key in ("labels", "help", "type", "required", "position", "active")
                   if item.get(key, getattr(current, key)) != getattr(current, key)]
        if type_ in ("number",) and (item.get("options") or {}) != current.options:
            changed.append("options")
        if changed:
            out.append(_("Change field {name}: {what}").format(name=name, what=", ".join(changed)))
    _raise(errors)
    return out


def _apply(actor: Actor, data: Any, session: Session) -> None:
    require(actor, "settings.manage")
    existing = _existing(session)
    for item in data or []:
        entity, code = item["entity"], item["code"]
        current = existing.get((entity, code))
        choices = [c.get("labels") or {"en": c.get("code")} for c in item.get("choices") or []]
        options = dict(item.get("options") or {})
        if current is None:
            if item["type"] in CHOICE_TYPES and choices:
                options.pop("list_code", None)
            f = add_field(actor, entity, item["labels"], item["type"], required=bool(item.get("required")),
                          help=item.get("help"), options=options, choices=choices, code=code,
                          default_for_existing=item.get("default_for_existing"), session=session)
            if item.get("active") is False:
                deactivate_field(actor, f.id, session=session)
            continue
        if current.list_code and choices:
            have = {c.code for c in current.choices}
            for c in item.get("choices") or []:
                if c.get("code") not in have:
                    lists.add_value(actor, current.list_code, c.get("labels") or {"en": c["code"]},
                                    code=c.get("code"), session=session)
        update_field(actor, current.id, version=None, labels=item.get("labels"), help=item.get("help"),
                     required=item.get("required"), position=item.get("position"),
                     options=options if item["type"] == "number" else None, type=item["type"],
                     default_for_existing=item.get("default_for_existing"), session=session)
        if item.get("active") is not None and bool(item["active"]) != current.active:
            (reactivate_field if item["active"] else deactivate_field)(actor, current.id, session=session)


register(Section("fields", _export, _changes, _apply, order=20))
