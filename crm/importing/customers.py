"""Customers from other systems' files: every row accounted for, duplicates found, ids of the source kept.

Outcomes per row: imported, possible duplicate (imported, but its e-mail or phone is an existing customer's
under a clearly different name: the user decides), updated, duplicate (with the customer or row it matches),
rejected (every reason, naming the column), blank. Matches (``crm.customers.matching``): same e-mail, same
phone, or a very similar name at the same company; within the file and against the database.

With a source system and its customer ids, a customer keeps its id there: a row whose id is known updates
that customer (a newer export, or the same file again, changes nothing twice), and the customers the import
creates or matches are linked to their id, so that later receipts and interactions from that source find them.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor
from crm.core.errors import ValidationError
from crm.core.i18n import N_, _
from crm.customers.contact_rules import CUSTOMER_STATUSES, clean_customer_fields, refresh_search_keys, search_keys
from crm.customers.matching import POSSIBLY_SAME_AS, SAME_AS, Candidate, FileIndex, KnownCustomers
from crm.customers.service import _customer_rows, _write_audit_rows, _write_customers
from crm.importing import custom_values, identity
from crm.importing.kinds import Field, Kind, register
from crm.insights.cache import figures_changed
from crm.importing.writing import CleanRow, Context, RowResult, Writer
from crm.settings.field_types import plain
from crm.settings.field_values import delete_values
from db.bulk import reserve_ids
from db.models import AuditEvent, Consent, Customer, CustomerToken, ExternalId, ImportRow, Interaction, Receipt
from db.types import utcnow

ENTITY = "customer"
# The customer's own fields (what a file's columns may hold); "external_id" is the customer's id in the source.
FIELDS = ("name", "company", "email", "phone", "country", "city", "address", "status", "segment",
          "acquisition_source", "notes")
CHUNK = 500  # ids per statement of a revert

CUSTOMERS = Kind("customers", N_("Customers"), ENTITY, (
    Field("external_id", N_("Customer id in the source system"), max_length=120,
          aliases=("customer id", "customer number", "customer no", "client id", "client number", "account id",
                   "account number", "contact id", "record id", "id", "no pelanggan", "id pelanggan",
                   "клиентски номер")),
    Field("name", N_("Name"), required=True,
          aliases=("name", "full name", "fullname", "customer", "customer name", "contact", "contact name", "nama",
                   "име", "نام")),
    Field("company", N_("Company"),
          aliases=("company", "organisation", "organization", "org", "firm", "business", "account", "perusahaan",
                   "фирма", "компания", "کمپنی")),
    Field("email", N_("E-mail"),
          aliases=("email", "e-mail", "e mail", "mail", "email address", "e-mail address", "електронна поща")),
    Field("phone", N_("Phone"),
          aliases=("phone", "telephone", "tel", "mobile", "phone number", "telepon", "телефон", "فون")),
    Field("country", N_("Country"), type="country", aliases=("country", "country code", "negara", "държава")),
    Field("city", N_("City"), aliases=("city", "town", "kota", "град")),
    Field("address", N_("Address"), type="long_text", aliases=("address", "street", "alamat", "адрес")),
    Field("status", N_("Status"), type="choice", choices=CUSTOMER_STATUSES,
          aliases=("status", "type", "customer status")),
    Field("segment", N_("Segment"), type="choice", open_list=True, managed="segments",
          aliases=("segment", "group", "customer group")),
    Field("acquisition_source", N_("Acquisition source"), type="choice", open_list=True,
          managed="acquisition_sources",
          aliases=("acquisition source", "source", "lead source", "channel")),
    Field("notes", N_("Notes"), type="long_text", aliases=("notes", "note", "comment", "comments", "remarks")),
), help=N_("One row per customer: name (required), company, e-mail, phone, country, city, address, status, segment, "
           "acquisition source, notes. A row that matches a customer the portal has (same e-mail, phone, or a very "
           "similar name at the same company) is skipped, updates it, or is created anyway, as you choose; a "
           "customer id already imported from the same source system updates that customer."))


class CustomerWriter(Writer):
    """Creates the new customers of a chunk at once (as a typed customer is), updates or skips the others."""

    def check(self, values: dict[str, Any]) -> dict[str, str]:
        """The rules of a typed customer (e-mail, phone, lengths), every one at once; values normalised in place."""
        given = {k: v for k, v in values.items() if k in FIELDS and v is not None}
        try:
            values.update(clean_customer_fields(given, partial=True))
        except ValidationError as exc:
            return dict(exc.errors)
        return {}

    def write(self, ctx: Context, rows: list[CleanRow]) -> list[RowResult]:
        session, options = ctx.session, ctx.options
        source, on_duplicate = options.source_system, options.on_duplicate
        seen: FileIndex = ctx.state.setdefault("seen", FileIndex())
        known: KnownCustomers = ctx.state.setdefault("known", KnownCustomers(session))
        rows_by_id: dict[str, int] = ctx.state.setdefault("rows_by_id", {})
        customer_of_row: dict[int, int] = ctx.state.setdefault("customer_of_row", {})
        by_id = _known_ids(session, source, rows)
        ctx.state["custom_rows"] = {r.row: custom_values.custom_of(r.values) for r in rows}  # this chunk's
        results: list[RowResult] = []
        candidates: list[Candidate] = []
        file_links: list[tuple[str, int]] = []  # (id in the source, row of this file whose customer it is)
        for r in rows:
            fields = {k: v for k, v in r.values.items() if k in FIELDS and v is not None}
            ext = r.values.get("external_id") if source else None
            cand = Candidate(r.row, fields, search_keys(fields.get("name"), fields.get("company"),
                                                        fields.get("email"), fields.get("phone")), ext)
            if ext and ext in rows_by_id:
                results.append(RowResult(r.row, "duplicate", reasons=_("same {column} as row {row} of this file")
                                         .format(column=ctx.column("external_id"), row=rows_by_id[ext]),
                                         name=fields["name"]))
                continue
            if ext:
                rows_by_id[ext] = r.row
            if ext and ext in by_id:
                results.append(_known(ctx, by_id[ext], cand))
                if results[-1].entity_id:
                    customer_of_row[r.row] = results[-1].entity_id
                    seen.add(r.row, cand.keys)
                continue
            dup = seen.match(cand.keys)
            if dup and on_duplicate != "create":
                results.append(RowResult(r.row, "duplicate", customer_of_row.get(dup[0]),
                                         _(dup[1]).format(row=dup[0]), fields["name"]))
                if ext:
                    file_links.append((ext, dup[0]))
                continue
            seen.add(r.row, cand.keys)
            candidates.append(cand)
        results.extend(self._matched_or_new(ctx, candidates, known, customer_of_row))
        links = [(c.external_id, customer_of_row[c.row]) for c in candidates
                 if c.external_id and c.row in customer_of_row]
        links += [(ext, customer_of_row[row]) for ext, row in file_links if row in customer_of_row]
        identity.remember(session, source, ENTITY, links, ctx.batch_id)
        return results

    def _matched_or_new(self, ctx: Context, candidates: list[Candidate], known: KnownCustomers,
                        customer_of_row: dict[int, int]) -> list[RowResult]:
        """Rows that are no duplicate within the file: matched against the customers the portal has."""
        on_duplicate = ctx.options.on_duplicate
        matches = known.matches(candidates) if on_duplicate != "create" else {}
        names = known.names({m.customer_id for m in matches.values()})
        results: list[RowResult] = []
        to_create: list[Candidate] = []
        flagged: dict[int, str] = {}  # row -> why it may be an existing customer (created all the same)
        for cand in candidates:
            match = matches.get(cand.row)
            if match is None:
                to_create.append(cand)
            elif match.possible:  # the user decides: created, and reported beside the customer it may be
                to_create.append(cand)
                flagged[cand.row] = _(POSSIBLY_SAME_AS[match.field]).format(
                    id=match.customer_id, name=names.get(match.customer_id, "?"), row_name=cand.values["name"])
            elif on_duplicate == "skip":
                customer_of_row[cand.row] = match.customer_id
                results.append(RowResult(cand.row, "duplicate", match.customer_id, _(SAME_AS[match.field]).format(
                    id=match.customer_id, name=names.get(match.customer_id, "?")), cand.values["name"]))
            else:
                customer_of_row[cand.row] = match.customer_id
                results.append(_update(ctx, ctx.session.get(Customer, match.customer_id), cand))
        created = _create(ctx, to_create, flagged)
        customer_of_row.update((r.row, r.entity_id) for r in created if r.entity_id is not None)
        return results + created

    def finish(self, ctx: Context) -> None:
        figures_changed(ctx.session)

    def revert(self, session: Session, actor: Actor, batch_id: int) -> dict[str, int]:
        """Remove the customers the import created (archive those someone already worked with), restore the
        ones it updated, forget the ids it kept."""
        created = list(session.scalars(select(Customer.id).where(Customer.import_batch_id == batch_id)))
        kept: list[int] = []
        removable: list[int] = []
        if created:
            used = set(session.scalars(select(Interaction.customer_id).where(Interaction.customer_id.in_(created))))
            used |= set(session.scalars(select(Receipt.customer_id).where(Receipt.customer_id.in_(created))))
            kept = sorted(used)
            removable = [c for c in created if c not in used]
            for chunk in range(0, len(removable), CHUNK):
                ids = removable[chunk:chunk + CHUNK]
                session.execute(delete(CustomerToken).where(CustomerToken.customer_id.in_(ids)))
                session.execute(delete(Consent).where(Consent.customer_id.in_(ids)))
                session.execute(delete(ImportRow).where(ImportRow.customer_id.in_(ids), ImportRow.batch_id == batch_id))
                session.execute(delete(ExternalId).where(ExternalId.entity == ENTITY, ExternalId.entity_id.in_(ids)))
                delete_values(session, "customers", ids)
                session.execute(delete(Customer).where(Customer.id.in_(ids)))
                # their audit rows keep who did what and when, without the personal data (as after an erasure)
                session.execute(update(AuditEvent).where(AuditEvent.entity == "customer",
                                                         AuditEvent.entity_id.in_([str(i) for i in ids]))
                                .values(before=None, after=None))
            now = utcnow()
            for cid in kept:  # someone already worked with them: archive instead of deleting history
                session.get(Customer, cid).archived_at = now
            session.flush()
            event = {"at": now, "user_id": actor.user_id, "username": actor.username, "entity": "customer",
                     "source": actor.source, "detail": f"import batch {batch_id} reverted"}
            _write_audit_rows(session, [
                *({**event, "action": "delete", "entity_id": str(cid), "before": None, "after": None}
                  for cid in removable),
                *({**event, "action": "archive", "entity_id": str(cid), "before": {"archived_at": None},
                   "after": {"archived_at": now.isoformat()}} for cid in kept)])
        restored = 0
        for row in session.scalars(select(ImportRow).where(ImportRow.batch_id == batch_id,
                                                           ImportRow.outcome == "updated")):
            customer = session.get(Customer, row.customer_id) if row.customer_id else None
            if customer is None or not row.before:
                continue
            for key in FIELDS:
                setattr(customer, key, row.before.get(key))
            if row.before.get("custom"):
                custom_values.restore(session, "customers", customer.id, row.before["custom"])
            customer.updated_at = utcnow()
            customer.updated_by_id = actor.user_id
            session.flush()
            refresh_search_keys(customer, session=session)
            restored += 1
        identity.forget_batch(session, batch_id)
        figures_changed(session)
        return {"removed": len(removable), "archived": len(kept), "restored": restored}


def _known_ids(session: Session, source: str | None, rows: list[CleanRow]) -> dict[str, int]:
    """The chunk's source ids already known -> their customer (erased customers included: they are not
    imported again); ids of customers removed since are forgotten, so that their rows create them again."""
    found = identity.find(session, source, ENTITY, (r.values.get("external_id") for r in rows))
    if not found:
        return {}
    ids = sorted(set(found.values()))
    exist: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        exist |= set(session.scalars(select(Customer.id).where(Customer.id.in_(ids[start:start + CHUNK]))))
    identity.forget(session, source, ENTITY, (ext for ext, cid in found.items() if cid not in exist))
    return {ext: cid for ext, cid in found.items() if cid in exist}


def _known(ctx: Context, customer_id: int, cand: Candidate) -> RowResult:
    """A row whose id in the source is known: it updates that customer (not when erased at their request)."""
    customer = ctx.session.get(Customer, customer_id)
    if customer.erased_at is not None:
        return RowResult(cand.row, "rejected", reasons=_(
            "{column}: customer #{id} with this id was erased at their request; the row is not imported again.")
                         .format(column=ctx.column("external_id"), id=customer_id), name=cand.values["name"])
    if not _changes(customer, cand) and not _custom_changes(ctx, customer.id, cand)[1]:  # the same record again
        return RowResult(cand.row, "duplicate", customer_id, _(
            "already imported from {source} as customer #{id}; no change").format(
            source=ctx.options.source_system, id=customer_id), cand.values["name"])
    return _update(ctx, customer, cand)


def _create(ctx: Context, cands: list[Candidate], flagged: dict[int, str]) -> list[RowResult]:
    """The new customers of a chunk, written as a typed customer is, many at once, each with its audit row;
    ``flagged`` rows (row -> reason) are reported as possible duplicates."""
    lacking = {c.row: reason for c in cands
               if (reason := custom_values.missing_required(ctx.session, "customers", ctx.state, c.row))}
    refused = [RowResult(c.row, "rejected", reasons=lacking[c.row], name=c.values["name"]) for c in cands
               if c.row in lacking]
    cands = [c for c in cands if c.row not in lacking]
    if not cands:
        return refused
    session, batch_id = ctx.session, ctx.batch_id
    ids = reserve_ids(session, Customer.__table__, len(cands))
    custom = ctx.state.get("custom_rows", {})
    new = [_customer_rows(ctx.actor, cid, cand.values, now=ctx.now, keys=cand.keys, import_batch_id=batch_id,
                          source="import", detail=f"import batch {batch_id}") for cid, cand in zip(ids, cands)]
    for n, cand in zip(new, cands):
        if custom.get(cand.row):
            n.audit["after"]["custom"] = plain(custom[cand.row])
    _write_customers(session, new)
    custom_values.write_new(session, "customers", [(cid, custom[cand.row]) for cid, cand in zip(ids, cands)
                                                   if custom.get(cand.row)])
    return refused + [RowResult(cand.row, "possible_duplicate" if cand.row in flagged else "imported", cid,
                                flagged.get(cand.row, ""), cand.values["name"]) for cid, cand in zip(ids, cands)]


def _update(ctx: Context, customer: Customer, cand: Candidate) -> RowResult:
    """The row's non-empty values replace the customer's; the "before" is kept for a revert. A row that
    changes nothing says so in its reasons ("no change")."""
    session = ctx.session
    before = audit.snapshot(customer)
    changes = _changes(customer, cand)
    custom_before, custom_after = _custom_changes(ctx, customer.id, cand)
    for key, value in changes.items():
        setattr(customer, key, value)
    if changes or custom_after:
        customer.updated_at = utcnow()
        customer.updated_by_id = ctx.actor.user_id
        session.flush()
        refresh_search_keys(customer, session=session)
        b, a = audit.diff(before, audit.snapshot(customer))
        if custom_after:
            custom_values.apply(session, "customers", customer.id, ctx.state["custom_rows"][cand.row], custom_after)
            b["custom"], a["custom"] = custom_before, custom_after
            before = {**before, "custom": custom_before}  # for a revert
        audit.record(session, ctx.actor, "update", "customer", customer.id, before=b, after=a,
                     detail=f"import batch {ctx.batch_id}")
    changed = bool(changes or custom_after)
    session.add(ImportRow(batch_id=ctx.batch_id, row_number=cand.row, outcome="updated", customer_id=customer.id,
                          reasons=None if changed else _("no change"), before=before))
    return RowResult(cand.row, "updated", customer.id, "" if changed else _("no change"), cand.values["name"])


def _custom_changes(ctx: Context, customer_id: int, cand: Candidate) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) of the custom values the row changes on the customer."""
    custom = ctx.state.get("custom_rows", {}).get(cand.row, {})
    return custom_values.changes(ctx.session, "customers", customer_id, custom)


def _changes(customer: Customer, cand: Candidate) -> dict[str, Any]:
    return {k: v for k, v in cand.values.items() if v not in (None, "") and getattr(customer, k) != v}


register(CUSTOMERS, CustomerWriter())
