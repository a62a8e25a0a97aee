"""Records keep the id they have in the system they came from (``external_ids``), so that importing the same
file again, or a newer export of it, finds them instead of creating them twice; and a receipt or an interaction
names its customer by that system's customer id.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.bulk import insert_rows
from db.models import Customer, ExternalId

CHUNK = 900  # ids per IN (...) list (SQLite allows 999 parameters by default in older builds)
_PORTAL_ID = re.compile(r"#?\s*(\d{1,18})")


def find(session: Session, source: str | None, entity: str, external_ids: Iterable[str]) -> dict[str, int]:
    """External id -> the record's id in the portal, for the ids of ``source`` already known."""
    wanted = sorted({e for e in external_ids if e})
    out: dict[str, int] = {}
    if not source or not wanted:
        return out
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start:start + CHUNK]
        out.update(session.execute(select(ExternalId.external_id, ExternalId.entity_id).where(
            ExternalId.source_system == source, ExternalId.entity == entity, ExternalId.external_id.in_(part))).all())
    return out


def remember(session: Session, source: str | None, entity: str, pairs: Iterable[tuple[str, int]],
             batch_id: int | None) -> None:
    """Keep the external ids of records this import created or first linked (ids already known are skipped)."""
    rows = [(source, entity, ext, entity_id, batch_id) for ext, entity_id in dict(pairs).items() if ext]
    if not source or not rows:
        return
    known = find(session, source, entity, (r[2] for r in rows))
    new = [r for r in rows if r[2] not in known]
    if new:
        insert_rows(session, ExternalId.__table__,
                    ["source_system", "entity", "external_id", "entity_id", "import_batch_id"], new)


def forget(session: Session, source: str | None, entity: str, external_ids: Iterable[str]) -> None:
    """Forget these ids of ``source`` (their records no longer exist: the rows that bring them again are linked anew)."""
    gone = sorted(set(external_ids))
    for start in range(0, len(gone), CHUNK) if source else ():
        session.execute(delete(ExternalId).where(ExternalId.source_system == source, ExternalId.entity == entity,
                                                 ExternalId.external_id.in_(gone[start:start + CHUNK])))


def forget_batch(session: Session, batch_id: int) -> None:
    """Remove the external ids an import added (its revert)."""
    session.execute(delete(ExternalId).where(ExternalId.import_batch_id == batch_id))


def has_ids(session: Session, source: str | None, entity: str) -> bool:
    """Whether any record of ``entity`` keeps an id of ``source`` (one index probe)."""
    return bool(source) and session.execute(select(ExternalId.entity_id).where(
        ExternalId.source_system == source, ExternalId.entity == entity).limit(1)).first() is not None


def customers_by_reference(session: Session, source: str | None, refs: Iterable[str], *,
                           source_ids: bool = True) -> dict[str, int]:
    """Reference -> customer, for the customer references of a file (customers that were not erased).

    A reference is, in this order: the customer's id in ``source`` (the system the file's customers come from);
    an e-mail address (any case); the portal's own customer number ("123" or "#123") when no source is given.
    References that match nothing are left out: the caller reports their rows. ``source_ids=False`` skips the
    look-up of the source's ids (the caller knows that the source has none: see ``has_ids``).
    """
    wanted = {r.strip() for r in refs if r and r.strip()}
    by_id = find(session, source, "customer", wanted) if source_ids else {}
    live = _not_erased(session, set(by_id.values()))
    found = {r: cid for r, cid in by_id.items() if cid in live}
    rest = wanted - by_id.keys()
    emails = sorted(r for r in rest if "@" in r)
    for start in range(0, len(emails), CHUNK):
        part = emails[start:start + CHUNK]
        by_key = {r.lower(): r for r in part}
        for cid, key in session.execute(select(Customer.id, Customer.email_key).where(
                Customer.email_key.in_(list(by_key)), Customer.erased_at.is_(None))):
            found.setdefault(by_key[key], cid)
    if not source:
        numbers = {r: int(m.group(1)) for r in rest.difference(emails) if (m := _PORTAL_ID.fullmatch(r))}
        ids = sorted(set(numbers.values()))
        existing: set[int] = set()
        for start in range(0, len(ids), CHUNK):
            existing |= set(session.scalars(select(Customer.id).where(
                Customer.id.in_(ids[start:start + CHUNK]), Customer.erased_at.is_(None))))
        found.update({r: n for r, n in numbers.items() if n in existing})
    return found


def _not_erased(session: Session, ids: set[int]) -> set[int]:
    out: set[int] = set()
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        out |= set(session.scalars(select(Customer.id).where(
            Customer.id.in_(ordered[start:start + CHUNK]), Customer.erased_at.is_(None))))
    return out
