"""Interactions from a helpdesk or a call log: one row per ticket, call or contact, about one customer.

A row names its customer by a reference (``crm.importing.customer_refs``). A row the portal already has (its
ticket id in the same source system, or the same customer, time and subject) is updated, or reported as a
duplicate when nothing changed: importing a file again, or a newer export of it, never doubles the history.
Imported interactions are the customer's contact history like typed ones: the timeline, the feedback board,
the customer's last contact and the interactions per month of Insights all include them, and a revert takes
them out of every one again.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from crm.accounts.users import department_id
from crm.core import audit
from crm.importing import custom_values
from crm.settings.field_values import delete_values
from crm.core.access import DEPARTMENTS, Actor
from crm.core.i18n import N_, _, label, ngettext, number
from crm.core.text import fold
from crm.importing import identity
from crm.importing.customer_refs import customers_of
from crm.importing.kinds import Field, Kind, register
from crm.insights.cache import figures_changed
from crm.importing.writing import CleanRow, Context, RowResult, Writer
from crm.insights.rollups import InteractionKey, add_interactions, interaction_key
from crm.interactions.service import CHANNELS, DIRECTIONS, FEEDBACK_KINDS, MAX_TAGS, _clean_tags
from db.bulk import insert_rows, reserve_ids
from db.models import Customer, ImportRow, Interaction, InteractionTag, User
from db.types import utcnow

ENTITY = "interaction"
DEFAULT_CHANNEL = "support_ticket"  # a helpdesk export without a channel column holds tickets
SUBJECT_LENGTH = 120  # of a subject taken from the notes when the file has none
STORED = ("customer_id", "user_id", "department_id", "channel", "direction", "occurred_at", "subject", "notes",
          "outcome", "feedback_kind", "tags")
CHUNK = 900  # ids per IN (...) list

INTERACTIONS = Kind("interactions", N_("Interactions"), ENTITY, (
    Field("external_id", N_("Ticket or record id"), max_length=120,
          aliases=("ticket id", "ticket", "ticket number", "ticket no", "ticket #", "case id", "case number",
                   "call id", "interaction id", "record id", "id", "no tiket", "номер")),
    Field("customer", N_("Customer"), type="ref", required=True,
          aliases=("customer", "customer id", "customer ref", "customer reference", "customer email", "client",
                   "client id", "contact", "contact id", "contact email", "requester", "requester email", "caller",
                   "email", "e-mail", "pelanggan", "клиент")),
    Field("occurred_at", N_("When"), type="datetime", required=True,
          aliases=("occurred at", "date", "date time", "datetime", "time", "created", "created at", "created on",
                   "opened", "opened at", "call time", "call date", "start time", "timestamp", "tanggal", "waktu",
                   "дата", "час")),
    Field("channel", N_("Channel"), type="choice", choices=CHANNELS, managed="channels",
          aliases=("channel", "type", "via", "medium", "contact type", "kanal", "канал")),
    Field("direction", N_("Direction"), type="choice", choices=DIRECTIONS,
          aliases=("direction", "call direction", "in out", "arah", "посока")),
    Field("department", N_("Department"), type="choice", choices=DEPARTMENTS, managed="departments",
          aliases=("department", "dept", "team", "group", "queue", "departemen", "отдел")),
    Field("subject", N_("Subject"), max_length=300,
          aliases=("subject", "summary", "title", "topic", "ticket subject", "perihal", "subjek", "тема")),
    Field("notes", N_("Notes"), type="long_text",
          aliases=("notes", "note", "description", "details", "body", "message", "comment", "comments",
                   "transcript", "catatan", "бележки")),
    Field("outcome", N_("Outcome"), max_length=300,
          aliases=("outcome", "resolution", "result", "disposition", "hasil", "резултат")),
    Field("feedback_kind", N_("Feedback kind"), type="choice", choices=FEEDBACK_KINDS,
          managed="feedback_kinds",
          aliases=("feedback", "feedback kind", "feedback type", "jenis masukan")),
    Field("tags", N_("Tags"), aliases=("tags", "tag", "labels", "topics", "label")),
    Field("agent", N_("Agent"), aliases=("agent", "assignee", "handled by", "owner", "user", "staff", "petugas",
                                         "агент", "служител")),
), help=N_("One row per ticket, call or contact: the customer (their id in the source system, an e-mail, or the "
           "portal's customer number), when, channel, department, subject, notes, outcome and feedback kind. "
           "Without a subject the first line of the notes is used; without a department, yours; tags are kept "
           "with feedback only. A ticket id already imported from the same source system is updated."))


class InteractionWriter(Writer):
    """Creates the new interactions of a chunk at once and updates the ones the portal already has."""

    def check(self, values: dict[str, Any]) -> dict[str, str]:
        problems: dict[str, str] = {}
        occurred = values.get("occurred_at")
        if occurred is not None and occurred > utcnow() + dt.timedelta(minutes=5):
            problems["occurred_at"] = _("An interaction cannot happen in the future.")
        if "tags" in values:
            tags = _clean_tags((values["tags"] or "").replace(";", ",")) if isinstance(values["tags"], str) \
                else list(values["tags"] or [])
            values["tags"] = tags
            if len(tags) > MAX_TAGS:
                problems["tags"] = ngettext("At most {n} tag.", "At most {n} tags.", MAX_TAGS).format(
                    n=number(MAX_TAGS))
        return problems

    def write(self, ctx: Context, rows: list[CleanRow]) -> list[RowResult]:
        session = ctx.session
        matched, results = customers_of(ctx, rows)
        ctx.state["custom_rows"] = {r.row: custom_values.custom_of(r.values) for r in rows}  # this chunk's
        given = [(r, self._given(ctx, r, cid)) for r, cid in matched]
        source = ctx.options.source_system
        known = identity.find(session, source, ENTITY, (r.values.get("external_id") for r, _g in given))
        same = _same_interactions(session, [g for r, g in given if r.values.get("external_id") not in known])
        existing = _load(session, set(known.values()) | set(same.values()))
        seen_ext: dict[str, int] = ctx.state.setdefault("rows_by_id", {})
        seen_key: dict[tuple[Any, ...], int] = ctx.state.setdefault("rows_by_key", {})
        counts: Counter[InteractionKey] = ctx.state.setdefault("counts", Counter())
        new: list[tuple[CleanRow, dict[str, Any]]] = []
        links: list[tuple[str, int]] = []
        moved: set[int] = set()  # customers whose last contact may have moved back
        for r, g in given:
            ext = r.values.get("external_id")
            record = {**self._defaults(ctx), **g}
            record.setdefault("subject", _subject(r.values, record["channel"]))
            key = _natural_key(record)
            name = ext or record["subject"]
            if ext and ext in seen_ext:
                results.append(RowResult(r.row, "duplicate", reasons=_("same {column} as row {row} of this file")
                                         .format(column=ctx.column("external_id"), row=seen_ext[ext]), name=name))
                continue
            if key in seen_key:
                results.append(RowResult(r.row, "duplicate", reasons=_(
                    "same customer, time and subject as row {row} of this file").format(row=seen_key[key]), name=name))
                continue
            if ext:
                seen_ext[ext] = r.row
            seen_key[key] = r.row
            target = existing.get(known.get(ext) if ext else None) or existing.get(same.get(key))
            if target is None:
                new.append((r, record))
                continue
            if ext and ext not in known:
                links.append((ext, target.id))
            if "subject" not in g:
                g = {**g, "subject": target.subject}  # a subject taken from the notes never replaces a real one
            results.append(_update(ctx, target, r, g, counts, moved, name))
        created = self._create(ctx, new, counts)
        results.extend(created)
        gone = {ext for ext, iid in known.items() if iid not in existing}  # removed since (an erased customer's)
        made = {res.row: res.entity_id for res in created if res.outcome == "imported"}
        links += [(r.values["external_id"], made[r.row]) for r, _rec in new
                  if r.row in made and r.values.get("external_id") in gone]
        identity.forget(session, source, ENTITY, gone)
        identity.remember(session, source, ENTITY, links, ctx.batch_id)
        session.flush()
        _recount_last_contact(session, moved)
        return results

    def finish(self, ctx: Context) -> None:
        add_interactions(ctx.session, ctx.state.get("counts", Counter()))
        figures_changed(ctx.session)

    def revert(self, session: Session, actor: Actor, batch_id: int) -> dict[str, int]:
        counts: Counter[InteractionKey] = Counter()
        customers: set[int] = set()
        created = session.execute(select(Interaction.id, Interaction.customer_id, Interaction.occurred_at,
                                         Interaction.department_id, Interaction.channel)
                                  .where(Interaction.import_batch_id == batch_id)).all()
        for _iid, cid, at, dept, channel in created:
            counts[interaction_key(at, dept, channel)] -= 1
            customers.add(cid)
        ids = [row[0] for row in created]
        for start in range(0, len(ids), CHUNK):
            part = ids[start:start + CHUNK]
            session.execute(delete(InteractionTag).where(InteractionTag.interaction_id.in_(part)))
            delete_values(session, "interactions", part)
            session.execute(delete(Interaction).where(Interaction.id.in_(part)))
        restored = 0
        for row in session.scalars(select(ImportRow).where(ImportRow.batch_id == batch_id,
                                                           ImportRow.outcome == "updated")):
            interaction = session.get(Interaction, row.entity_id) if row.entity_id else None
            if interaction is None or not row.before:
                continue
            counts[_key_of(interaction)] -= 1
            customers.add(interaction.customer_id)
            _apply(session, interaction, _from_snapshot(row.before))
            if row.before.get("custom"):
                custom_values.restore(session, "interactions", interaction.id, row.before["custom"])
            counts[_key_of(interaction)] += 1
            customers.add(interaction.customer_id)
            restored += 1
        session.flush()
        add_interactions(session, counts)
        _recount_last_contact(session, customers)
        identity.forget_batch(session, batch_id)
        figures_changed(session)
        return {"removed": len(ids), "archived": 0, "restored": restored}

    # ------------------------------------------------------------------ helpers

    def _given(self, ctx: Context, r: CleanRow, customer_id: int) -> dict[str, Any]:
        """The stored values the row gives (what an update replaces); empty cells give nothing."""
        v = r.values
        out: dict[str, Any] = {"customer_id": customer_id, "occurred_at": v["occurred_at"]}
        for key in ("channel", "direction", "subject", "notes", "outcome", "feedback_kind"):
            if v.get(key) is not None:
                out[key] = v[key]
        if v.get("department"):
            out["department_id"] = _department(ctx, v["department"])
        if v.get("agent"):
            user = _users(ctx).get(fold(v["agent"]))
            if user is not None:
                out["user_id"] = user
        if v.get("tags"):
            out["tags"] = tuple(sorted(v["tags"]))
        return out

    def _defaults(self, ctx: Context) -> dict[str, Any]:
        return {"user_id": None, "department_id": _department(ctx, ctx.actor.department), "channel": DEFAULT_CHANNEL,
                "direction": "inbound", "notes": None, "outcome": None, "feedback_kind": None, "tags": ()}

    def _create(self, ctx: Context, new: list[tuple[CleanRow, dict[str, Any]]],
                counts: Counter[InteractionKey]) -> list[RowResult]:
        """Insert the chunk's new interactions and their tags at once; count them for the summaries."""
        session = ctx.session
        lacking = {r.row: reason for r, _rec in new
                   if (reason := custom_values.missing_required(session, "interactions", ctx.state, r.row))}
        refused = [RowResult(r.row, "rejected", reasons=lacking[r.row], name=r.values.get("external_id") or
                             rec["subject"]) for r, rec in new if r.row in lacking]
        new = [(r, rec) for r, rec in new if r.row not in lacking]
        if not new:
            return refused
        ids = reserve_ids(session, Interaction.__table__, len(new))
        insert_rows(session, Interaction.__table__,
                    ["id", "customer_id", "user_id", "department_id", "channel", "direction", "occurred_at",
                     "subject", "notes", "outcome", "feedback_kind", "created_at", "import_batch_id"],
                    [(iid, rec["customer_id"], rec["user_id"], rec["department_id"], rec["channel"], rec["direction"],
                      rec["occurred_at"], rec["subject"], rec["notes"], rec["outcome"], rec["feedback_kind"], ctx.now,
                      ctx.batch_id) for iid, (_r, rec) in zip(ids, new)])
        tags = [(iid, tag) for iid, (_r, rec) in zip(ids, new) if rec["feedback_kind"] for tag in rec["tags"]]
        if tags:
            insert_rows(session, InteractionTag.__table__, ["interaction_id", "tag"], tags)
        custom = ctx.state.get("custom_rows", {})
        custom_values.write_new(session, "interactions", [(iid, custom[r.row]) for iid, (r, _rec) in zip(ids, new)
                                                          if custom.get(r.row)])
        last: dict[int, dt.datetime] = {}
        for _r, rec in new:
            counts[interaction_key(rec["occurred_at"], rec["department_id"], rec["channel"])] += 1
            last[rec["customer_id"]] = max(rec["occurred_at"], last.get(rec["customer_id"], rec["occurred_at"]))
        _touch_last_contact(session, last)
        identity.remember(session, ctx.options.source_system, ENTITY,
                          ((r.values["external_id"], iid) for iid, (r, _rec) in zip(ids, new)
                           if r.values.get("external_id")), ctx.batch_id)
        return refused + [RowResult(r.row, "imported", iid, name=r.values.get("external_id") or rec["subject"])
                          for iid, (r, rec) in zip(ids, new)]


def _update(ctx: Context, target: Interaction, r: CleanRow, given: dict[str, Any], counts: Counter[InteractionKey],
            moved: set[int], name: str) -> RowResult:
    """A row the portal already has: its values replace the stored ones; nothing changed is a duplicate."""
    before = _snapshot(target)
    current = _stored(target)
    if "tags" in given and not (given.get("feedback_kind") or current["feedback_kind"]):
        given = {k: v for k, v in given.items() if k != "tags"}  # tags are kept with feedback only
    changes = {k: v for k, v in given.items() if current[k] != v}
    custom = ctx.state.get("custom_rows", {}).get(r.row, {})
    custom_before, custom_after = custom_values.changes(ctx.session, "interactions", target.id, custom)
    if not changes and not custom_after:
        return RowResult(r.row, "duplicate", target.id, _("already imported as interaction #{id}; no change").format(
            id=target.id), name)
    counts[_key_of(target)] -= 1
    moved.add(target.customer_id)
    _apply(ctx.session, target, changes)
    counts[_key_of(target)] += 1
    moved.add(target.customer_id)
    after = _snapshot(target)
    b, a = {k: before[k] for k in changes}, {k: after[k] for k in changes}
    if custom_after:
        custom_values.apply(ctx.session, "interactions", target.id, custom, custom_after)
        b["custom"], a["custom"] = custom_before, custom_after
        before = {**before, "custom": custom_before}  # for a revert
    audit.record(ctx.session, ctx.actor, "update", ENTITY, target.id, before=b, after=a,
                 detail=f"import batch {ctx.batch_id}")
    ctx.session.add(ImportRow(batch_id=ctx.batch_id, row_number=r.row, outcome="updated", entity_id=target.id,
                              before=before))
    return RowResult(r.row, "updated", target.id, name=name)


def _stored(i: Interaction) -> dict[str, Any]:
    return {**{k: getattr(i, k) for k in STORED if k != "tags"}, "tags": tuple(sorted(t.tag for t in i.tags))}


def _snapshot(i: Interaction) -> dict[str, Any]:
    """The interaction's stored values as JSON (an update's "before", restored by a revert)."""
    out = _stored(i)
    return {**out, "occurred_at": out["occurred_at"].isoformat(), "tags": list(out["tags"])}


def _from_snapshot(before: dict[str, Any]) -> dict[str, Any]:
    out = {k: before[k] for k in STORED if k in before}
    if out.get("occurred_at"):
        out["occurred_at"] = dt.datetime.fromisoformat(out["occurred_at"])
    out["tags"] = tuple(out.get("tags") or ())
    return out


def _apply(session: Session, i: Interaction, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if key == "tags":
            have = {t.tag: t for t in i.tags}
            for tag, obj in have.items():
                if tag not in value:
                    i.tags.remove(obj)
            i.tags.extend(InteractionTag(tag=t) for t in value if t not in have)
        else:
            setattr(i, key, value)
    session.flush()


def _key_of(i: Interaction) -> InteractionKey:
    return interaction_key(i.occurred_at, i.department_id, i.channel)


def _natural_key(record: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two rows the same contact when the file has no ids: customer, moment and subject."""
    return record["customer_id"], record["occurred_at"].astimezone(dt.timezone.utc), fold(record["subject"])


def _same_interactions(session: Session, given: list[dict[str, Any]]) -> dict[tuple[Any, ...], int]:
    """Natural key -> an interaction the portal has with the same customer, moment and subject."""
    if not given:
        return {}
    customers = sorted({g["customer_id"] for g in given})
    moments = [g["occurred_at"] for g in given]
    out: dict[tuple[Any, ...], int] = {}
    for start in range(0, len(customers), CHUNK):
        for iid, cid, at, subject in session.execute(
                select(Interaction.id, Interaction.customer_id, Interaction.occurred_at, Interaction.subject).where(
                    Interaction.customer_id.in_(customers[start:start + CHUNK]),
                    Interaction.occurred_at.between(min(moments), max(moments)))):
            out.setdefault((cid, at.astimezone(dt.timezone.utc), fold(subject)), iid)
    return out


def _load(session: Session, ids: set[int]) -> dict[int, Interaction]:
    ordered = sorted(ids)
    out: dict[int, Interaction] = {}
    for start in range(0, len(ordered), CHUNK):
        out.update((i.id, i) for i in session.scalars(select(Interaction).options(selectinload(Interaction.tags))
                                                      .where(Interaction.id.in_(ordered[start:start + CHUNK]))))
    return out


def _subject(values: dict[str, Any], channel: str) -> str:
    """A subject for a row without one: the first line of its notes (or outcome), else the channel's name."""
    for text in (values.get("notes"), values.get("outcome")):
        line = next((x.strip() for x in (text or "").splitlines() if x.strip()), "")
        if line:
            line = " ".join(line.split())
            if len(line) <= SUBJECT_LENGTH:
                return line
            cut = line[:SUBJECT_LENGTH - 1]
            return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"
    return label(CHANNELS, channel)


def _department(ctx: Context, code: str) -> int:
    found: dict[str, int] = ctx.state.setdefault("departments", {})
    if code not in found:
        found[code] = department_id(code, session=ctx.session)
    return found[code]


def _users(ctx: Context) -> dict[str, int]:
    """Folded user name, e-mail or full name -> the portal user (an agent named in the file)."""
    if "users" not in ctx.state:
        users: dict[str, int] = {}
        for uid, username, email, full_name in ctx.session.execute(
                select(User.id, User.username, User.email, User.full_name).order_by(User.id)):
            for key in (username, email, full_name):
                if key:
                    users.setdefault(fold(key), uid)
        ctx.state["users"] = users
    return ctx.state["users"]


def _touch_last_contact(session: Session, last: dict[int, dt.datetime]) -> None:
    """Move each customer's last contact forward to their newest imported interaction (one statement)."""
    if not last:
        return
    c = Customer.__table__.c
    session.execute(update(Customer.__table__)
                    .where(c.id == bindparam("b_id"), or_(c.last_contact_at.is_(None), c.last_contact_at < bindparam(
                        "b_at", type_=c.last_contact_at.type)))
                    .values(last_contact_at=bindparam("b_at", type_=c.last_contact_at.type)),
                    [{"b_id": cid, "b_at": at} for cid, at in sorted(last.items())])


def _recount_last_contact(session: Session, customers: set[int]) -> None:
    """Each customer's last contact again from their interactions (after a revert, or a moved interaction)."""
    newest = select(func.max(Interaction.occurred_at)).where(Interaction.customer_id == Customer.id) \
        .correlate(Customer).scalar_subquery()
    ordered = sorted(customers)
    for start in range(0, len(ordered), CHUNK):
        session.execute(update(Customer).where(Customer.id.in_(ordered[start:start + CHUNK]))
                        .values(last_contact_at=newest).execution_options(synchronize_session=False))


register(INTERACTIONS, InteractionWriter())
