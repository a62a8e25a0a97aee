"""Survey answers from a survey tool's export: one row per answer (customer, score 0-10, why they chose us
first and again, comment, when).

A row names its customer by a reference (``crm.importing.customer_refs``). An answer the portal already has
(its id in the same source system, or the same customer, moment and score) is updated, or reported as a
duplicate when nothing changed. The answers carry their customer's segment and country, as typed ones do, so
that the Insights figures per group include them at once.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor
from crm.core.i18n import N_, _, number
from crm.importing import identity
from crm.importing.customer_refs import customers_of
from crm.importing.kinds import Field, Kind, register
from crm.insights.cache import figures_changed
from crm.importing.writing import CleanRow, Context, RowResult, Writer
from crm.insights.surveys import REASON_TOO_LONG, segment_and_country
from db.bulk import insert_rows, reserve_ids
from db.models import ImportRow, SurveyResponse
from db.types import utcnow

ENTITY = "survey_response"
STORED = ("customer_id", "score", "reason_first", "reason_again", "comment", "answered_at")
REASON_LENGTH = 120
CHUNK = 900  # ids per IN (...) list

SURVEYS = Kind("surveys", N_("Survey answers"), ENTITY, (
    Field("external_id", N_("Answer id"), max_length=120,
          aliases=("answer id", "response id", "survey response id", "submission id", "record id", "id")),
    Field("customer", N_("Customer"), type="ref", required=True,
          aliases=("customer", "customer id", "customer number", "customer email", "client", "client id",
                   "respondent", "respondent email", "contact", "email", "e-mail", "pelanggan", "клиент")),
    Field("score", N_("Score (0-10)"), type="int", required=True,
          aliases=("score", "nps", "nps score", "rating", "recommend", "likelihood to recommend", "nilai", "skor",
                   "оценка")),
    Field("reason_first", N_("Why they chose us first"),
          aliases=("reason first", "reason chosen first", "why first", "why chosen first", "first reason",
                   "why did you choose us", "alasan pertama")),
    Field("reason_again", N_("Why they chose us again"),
          aliases=("reason again", "reason chosen again", "why again", "why chosen again", "why did you come back",
                   "alasan kembali")),
    Field("comment", N_("Comment"), type="long_text",
          aliases=("comment", "comments", "feedback", "remarks", "verbatim", "komentar", "коментар")),
    Field("answered_at", N_("Answered on"), type="datetime",
          aliases=("answered at", "answered on", "answered", "date", "submitted", "submitted at", "response date",
                   "completed", "completed at", "timestamp", "created", "tanggal", "дата")),
), help=N_("One row per answer: the customer (their id in the source system, an e-mail, or the portal's customer "
           "number), the score from 0 to 10, why they chose us first and again, a comment and the date. An answer "
           "id already imported from the same source system is updated."))


class SurveyWriter(Writer):
    """Creates the new answers of a chunk at once and updates the ones the portal already has."""

    def check(self, values: dict[str, Any]) -> dict[str, str]:
        problems: dict[str, str] = {}
        score = values.get("score")
        if score is not None and not 0 <= score <= 10:
            problems["score"] = _("The score must be a whole number from 0 to 10.")
        for key in ("reason_first", "reason_again"):
            if len(values.get(key) or "") > REASON_LENGTH:
                problems[key] = _(REASON_TOO_LONG[key]).format(n=number(REASON_LENGTH))
        answered = values.get("answered_at")
        if answered is not None and answered > utcnow() + dt.timedelta(minutes=5):
            problems["answered_at"] = _("The answer date is in the future.")
        return problems

    def write(self, ctx: Context, rows: list[CleanRow]) -> list[RowResult]:
        session, source = ctx.session, ctx.options.source_system
        matched, results = customers_of(ctx, rows)
        known = identity.find(session, source, ENTITY, (r.values.get("external_id") for r, _c in matched))
        same = _same_answers(session, [(cid, r.values) for r, cid in matched
                                       if r.values.get("external_id") not in known])
        existing = _load(session, set(known.values()) | set(same.values()))
        seen_ext: dict[str, int] = ctx.state.setdefault("rows_by_id", {})
        seen_key: dict[tuple[Any, ...], int] = ctx.state.setdefault("rows_by_key", {})
        new: list[tuple[CleanRow, dict[str, Any]]] = []
        links: list[tuple[str, int]] = []
        for r, cid in matched:
            ext = r.values.get("external_id")
            given = {"customer_id": cid, **{k: r.values[k] for k in STORED[1:] if r.values.get(k) is not None}}
            key = _natural_key(cid, r.values)
            name = ext or r.values["customer"]
            if ext and ext in seen_ext:
                results.append(RowResult(r.row, "duplicate", reasons=_("same {column} as row {row} of this file")
                                         .format(column=ctx.column("external_id"), row=seen_ext[ext]), name=name))
                continue
            if key and key in seen_key:
                results.append(RowResult(r.row, "duplicate", reasons=_(
                    "same customer, date and score as row {row} of this file").format(row=seen_key[key]), name=name))
                continue
            if ext:
                seen_ext[ext] = r.row
            if key:
                seen_key[key] = r.row
            target = existing.get(known.get(ext) if ext else None) or existing.get(same.get(key) if key else None)
            if target is None:
                new.append((r, {**dict.fromkeys(STORED), "answered_at": ctx.now, **given}))
                continue
            if ext and ext not in known:
                links.append((ext, target.id))
            results.append(_update(ctx, target, r, given, name))
        created = _create(ctx, new)
        results.extend(created)
        gone = {ext for ext, aid in known.items() if aid not in existing}  # removed since (an erased customer's)
        links += [(r.values["external_id"], res.entity_id) for (r, _rec), res in zip(new, created)
                  if r.values.get("external_id") in gone]
        identity.forget(session, source, ENTITY, gone)
        identity.remember(session, source, ENTITY, links, ctx.batch_id)
        session.flush()
        return results

    def finish(self, ctx: Context) -> None:
        figures_changed(ctx.session)

    def revert(self, session: Session, actor: Actor, batch_id: int) -> dict[str, int]:
        removed = session.execute(delete(SurveyResponse).where(SurveyResponse.import_batch_id == batch_id)).rowcount
        restored = 0
        for row in session.scalars(select(ImportRow).where(ImportRow.batch_id == batch_id,
                                                           ImportRow.outcome == "updated")):
            answer = session.get(SurveyResponse, row.entity_id) if row.entity_id else None
            if answer is None or not row.before:
                continue
            _apply(session, answer, _from_snapshot(row.before))
            restored += 1
        session.flush()
        identity.forget_batch(session, batch_id)
        figures_changed(session)
        return {"removed": removed or 0, "archived": 0, "restored": restored}


def _create(ctx: Context, new: list[tuple[CleanRow, dict[str, Any]]]) -> list[RowResult]:
    """Insert the chunk's new answers at once, each with its customer's segment and country."""
    if not new:
        return []
    session = ctx.session
    customers = sorted({rec["customer_id"] for _r, rec in new})
    groups: dict[int, dict[str, str | None]] = {}
    for start in range(0, len(customers), CHUNK):
        groups.update(segment_and_country(session, customers[start:start + CHUNK]))
    ids = reserve_ids(session, SurveyResponse.__table__, len(new))
    insert_rows(session, SurveyResponse.__table__,
                ["id", *STORED, "source", "recorded_by_id", "import_batch_id", "segment", "country"],
                [(aid, *(rec[k] for k in STORED), "import", ctx.actor.user_id, ctx.batch_id,
                  groups[rec["customer_id"]]["segment"], groups[rec["customer_id"]]["country"])
                 for aid, (_r, rec) in zip(ids, new)])
    identity.remember(session, ctx.options.source_system, ENTITY,
                      ((r.values["external_id"], aid) for aid, (r, _rec) in zip(ids, new)
                       if r.values.get("external_id")), ctx.batch_id)
    return [RowResult(r.row, "imported", aid, name=r.values.get("external_id") or r.values["customer"])
            for aid, (r, _rec) in zip(ids, new)]


def _update(ctx: Context, target: SurveyResponse, r: CleanRow, given: dict[str, Any], name: str) -> RowResult:
    """An answer the portal already has: the row's values replace the stored ones; nothing changed is a duplicate."""
    before = _snapshot(target)
    changes = {k: v for k, v in given.items() if getattr(target, k) != v}
    if not changes:
        return RowResult(r.row, "duplicate", target.id, _("already imported as answer #{id}; no change").format(
            id=target.id), name)
    _apply(ctx.session, target, changes)
    after = _snapshot(target)
    audit.record(ctx.session, ctx.actor, "update", ENTITY, target.id, before={k: before[k] for k in changes},
                 after={k: after[k] for k in changes}, detail=f"import batch {ctx.batch_id}")
    ctx.session.add(ImportRow(batch_id=ctx.batch_id, row_number=r.row, outcome="updated", entity_id=target.id,
                              before=before))
    return RowResult(r.row, "updated", target.id, name=name)


def _apply(session: Session, answer: SurveyResponse, values: dict[str, Any]) -> None:
    for key, value in values.items():
        setattr(answer, key, value)
    if "customer_id" in values:  # the answer now counts in its (new) customer's segment and country
        groups = segment_and_country(session, [answer.customer_id])[answer.customer_id]
        answer.segment, answer.country = groups["segment"], groups["country"]
    session.flush()


def _snapshot(answer: SurveyResponse) -> dict[str, Any]:
    """The answer's stored values as JSON (an update's "before", restored by a revert)."""
    out = {k: getattr(answer, k) for k in STORED}
    return {**out, "answered_at": out["answered_at"].isoformat() if out["answered_at"] else None}


def _from_snapshot(before: dict[str, Any]) -> dict[str, Any]:
    out = {k: before[k] for k in STORED if k in before}
    if out.get("answered_at"):
        out["answered_at"] = dt.datetime.fromisoformat(out["answered_at"])
    return out


def _natural_key(customer_id: int, values: dict[str, Any]) -> tuple[Any, ...] | None:
    """What makes two rows one answer when the file has no ids: customer, moment and score (with a moment)."""
    answered = values.get("answered_at")
    if answered is None:
        return None
    return customer_id, answered.astimezone(dt.timezone.utc), values["score"]


def _same_answers(session: Session, rows: list[tuple[int, dict[str, Any]]]) -> dict[tuple[Any, ...], int]:
    """Natural key -> an answer the portal has from the same customer, at the same moment, with the same score."""
    dated = [(cid, v) for cid, v in rows if v.get("answered_at") is not None]
    if not dated:
        return {}
    customers = sorted({cid for cid, _v in dated})
    moments = [v["answered_at"] for _c, v in dated]
    out: dict[tuple[Any, ...], int] = {}
    for start in range(0, len(customers), CHUNK):
        for aid, cid, at, score in session.execute(
                select(SurveyResponse.id, SurveyResponse.customer_id, SurveyResponse.answered_at, SurveyResponse.score)
                .where(SurveyResponse.customer_id.in_(customers[start:start + CHUNK]),
                       SurveyResponse.answered_at.between(min(moments), max(moments)))):
            out.setdefault((cid, at.astimezone(dt.timezone.utc), score), aid)
    return out


def _load(session: Session, ids: set[int]) -> dict[int, SurveyResponse]:
    ordered = sorted(ids)
    out: dict[int, SurveyResponse] = {}
    for start in range(0, len(ordered), CHUNK):
        out.update((a.id, a) for a in session.scalars(
            select(SurveyResponse).where(SurveyResponse.id.in_(ordered[start:start + CHUNK]))))
    return out


register(SURVEYS, SurveyWriter())
