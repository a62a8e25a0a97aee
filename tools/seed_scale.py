"""N made-up customers with their history, fast enough for a million (``seed --customers N``).

Columns are drawn with NumPy, a chunk of customers at a time (every child row of a customer is in
the same chunk, so lifetime figures are exact sums); rows go in through the driver's bulk path
(``db.bulk``); on a large load the secondary indexes are built once at the end. The same seed
gives the same data. Python work per customer is limited to the strings (names, e-mail, search
tokens), with the tokens of the pooled names and companies computed once.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from tools.demo_data import (
    CHANNELS, FEEDBACK_TAGS, FIXED_CUSTOMERS, LOCALES, PRODUCTS, REASONS_AGAIN, REASONS_FIRST,
    SEGMENTS, SOURCES, SUBJECTS, NamePool, SeedResult,
)
from crm.core.text import digits, fold, folded_words, words
from crm.customers.contact_rules import CONTACT_MARK, search_tokens
from crm.customers.phones import national_digits
from crm.accounts.users import ensure_departments
from db.bulk import fast_sqlite_writes, indexes_built_after, insert_rows
from db.models import (
    Consent, Customer, CustomerMonth, CustomerToken, Department, Interaction, InteractionMonthly, InteractionTag,
    Product, Receipt, ReceiptLine, SurveyResponse, User,
)

CHUNK = 10_000  # customers per chunk: about 220k rows, ~80 MB of Python objects at most
BULK_FROM = 50_000  # from this many customers on, indexes are dropped and built after the load
SPAN_DAYS = 730
US = 1_000_000
MINUTE, HOUR, DAY = 60 * US, 3600 * US, 86400 * US
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
OUTCOMES = ["Resolved", "Waiting for customer", "Quote requested", "Booked", None]
COMMENTS = [None, "Great service", "Delivery was late", "Support solved it fast", "Too expensive",
            "Easy to install", "Would like a mobile app"]
RECEIPT_CHANNELS = ["store", "online", "partner"]
DIRECTIONS = ["inbound", "outbound"]
STATUSES = ["prospect", "customer", "former"]
TABLES = [t.__table__ for t in (Customer, CustomerToken, Interaction, InteractionTag, Receipt, ReceiptLine,
                                SurveyResponse, Consent, CustomerMonth)]


def _next_id(session: Session, model: Any) -> int:
    return (session.scalar(select(func.max(model.id))) or 0) + 1


def ensure_products(*, session: Session, rng: random.Random) -> list[dict[str, Any]]:
    rows = [dict(id=p.id, price=p.price, cost=p.cost) for p in session.scalars(select(Product).order_by(Product.id))]
    if rows:
        return rows
    start = _next_id(session, Product)
    for i, (category, name, price, cost) in enumerate(PRODUCTS):
        session.add(Product(id=start + i, sku=f"SKU-{1000 + i}", name=name, category=category,
                            price=Decimal(price), cost=Decimal(cost), stock=rng.randint(5, 400), active=True))
    session.flush()
    return ensure_products(session=session, rng=rng)


def _fix_sequences(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ["customers", "interactions", "receipts", "receipt_lines", "survey_responses", "products",
                  "consents"]:
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))


class _Codec:
    """Values in the form the database stores them (SQLite text timestamps, PostgreSQL UTC literals)."""

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"

    def stamps(self, micros: np.ndarray) -> list[str | None]:
        """Microseconds since 1970 (negative = none) as stored timestamps."""
        if len(micros) == 0:
            return []
        out = np.datetime_as_string(np.maximum(micros, 0).astype("datetime64[us]"), unit="us")
        text_ = np.char.replace(out, "T", " ")
        if self.pg:
            text_ = np.char.add(text_, "+00")
        return [None if m < 0 else s for m, s in zip(micros.tolist(), text_.tolist())]

    @staticmethod
    def days(day_numbers: np.ndarray) -> list[str | None]:
        """Days since 1970 (negative = none) as ISO dates."""
        if len(day_numbers) == 0:
            return []
        out = np.datetime_as_string(np.maximum(day_numbers, 0).astype("datetime64[D]")).tolist()
        return [None if d < 0 else s for d, s in zip(day_numbers.tolist(), out)]

    def flags(self, values: np.ndarray) -> list[Any]:
        return values.tolist() if self.pg else values.astype(np.int8).tolist()

    @staticmethod
    def money(cents: np.ndarray) -> list[float]:
        return (np.rint(cents) / 100).tolist()


@dataclass
class _DrawSources:
    """What every chunk draws from: departments, staff, products, names, counters."""

    now_us: int
    today_day: int
    dept_codes: list[str]
    dept_ids: np.ndarray
    staff_flat: np.ndarray
    staff_off: np.ndarray
    staff_cnt: np.ndarray
    owners: np.ndarray
    product_ids: np.ndarray
    price_cents: np.ndarray
    cost_cents: np.ndarray
    pools: list[dict[str, Any]]
    weights: np.ndarray
    ids: dict[str, int] = field(default_factory=dict)
    interaction_months: Counter[tuple[int, int, int]] = field(default_factory=Counter)  # (month, dept, channel)

    @classmethod
    def load(cls, session: Session, seed: int, n_customers: int, today: dt.date) -> _DrawSources:
        ensure_departments(session=session)
        dept_ids = dict(session.execute(select(Department.code, Department.id)).all())
        staff: dict[str, list[int]] = {}
        for uid, code in session.execute(select(User.id, Department.code).join(Department).order_by(User.id)):
            staff.setdefault(code, []).append(uid)
        codes = list(SUBJECTS)
        counts = np.array([len(staff.get(c, [])) for c in codes], dtype=np.int64)
        flat = np.array([u for c in codes for u in staff.get(c, [])] + [-1], dtype=np.int64)
        products = ensure_products(session=session, rng=random.Random(seed))
        first = _next_id(session, Customer)
        pool = NamePool(random.Random(seed + first), size=min(2000, max(50, n_customers // 20)))
        now = dt.datetime.combine(today, dt.time(12, 0), tzinfo=dt.timezone.utc)
        world = cls(
            now_us=int((now - EPOCH).total_seconds()) * US,
            today_day=(today - EPOCH.date()).days,
            dept_codes=codes,
            dept_ids=np.array([dept_ids[c] for c in codes], dtype=np.int64),
            staff_flat=flat,
            staff_off=np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64),
            staff_cnt=counts,
            owners=np.array(staff.get("sales", []) + staff.get("customer_service", []), dtype=np.int64),
            product_ids=np.array([p["id"] for p in products], dtype=np.int64),
            price_cents=np.array([int(Decimal(p["price"]) * 100) for p in products], dtype=np.int64),
            cost_cents=np.array([int(Decimal(p["cost"]) * 100) for p in products], dtype=np.int64),
            pools=[_locale_pool(pool.pools[loc], country, prefix) for loc, country, prefix, _w in LOCALES],
            weights=np.array([w for *_rest, w in LOCALES]) / sum(w for *_rest, w in LOCALES),
        )
        world.ids = {name: _next_id(session, model) for name, model in [
            ("customers", Customer), ("interactions", Interaction), ("receipts", Receipt),
            ("lines", ReceiptLine), ("surveys", SurveyResponse), ("consents", Consent)]}
        return world


def _locale_pool(pool: dict[str, list[str]], country: str, prefix: str) -> dict[str, Any]:
    """A locale's names and companies with their folded keys and search tokens, computed once."""
    sample = "+" + digits(prefix) + "1234567"
    cc = len(digits(sample)) - len(national_digits(sample) or "")
    return {
        "country": country, "prefix": digits(prefix), "cc_len": cc,
        "names": pool["names"], "companies": pool["companies"], "cities": pool["cities"],
        "name_keys": [fold(n) for n in pool["names"]],
        "company_keys": [fold(c) or None for c in pool["companies"]],
        "name_tokens": [frozenset(words(n)) for n in pool["names"]],
        "company_tokens": [frozenset(words(c)) for c in pool["companies"]],
        "handles": [".".join(w for w in fold(n).split() if w.isascii() and w.isalnum()) for n in pool["names"]],
    }


def _segments_reduce(ufunc: np.ufunc, values: np.ndarray, counts: np.ndarray, empty: int) -> np.ndarray:
    """Per owner (``counts`` consecutive values each): ``ufunc`` over its values, ``empty`` if none."""
    out = np.full(len(counts), empty, dtype=np.int64)
    has = counts > 0
    if has.any():
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        out[has] = ufunc.reduceat(values, starts[has])
    return out


def _uniform_days(rng: np.random.Generator, spans: np.ndarray) -> np.ndarray:
    """An integer 0..max(1, span) (inclusive) for each span."""
    return (rng.random(len(spans)) * (np.maximum(spans, 1) + 1)).astype(np.int64)


def _month_numbers(micros: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of timestamps in microseconds since 1970 (UTC)."""
    return micros.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)


def _month_names(months: np.ndarray) -> list[str]:
    """'YYYY-MM' of months since 1970-01."""
    return np.datetime_as_string(months.astype("datetime64[M]")).tolist()


def _pick(rng: np.random.Generator, counts: np.ndarray) -> np.ndarray:
    """An index 0..count-1 for each count (0 where the count is 0)."""
    return (rng.random(len(counts)) * counts).astype(np.int64)


class _Chunk:
    """One chunk of customers and all their rows, as columns."""

    def __init__(self, world: _DrawSources, rng: np.random.Generator, size: int, fixed: list[dict[str, Any]],
                 ipc: float, rpc: float, codec: _Codec) -> None:
        self.w, self.rng, self.c, self.codec = world, rng, size, codec
        self.result = SeedResult(customers=size)
        self.rows: list[tuple[Any, list[str], Any]] = []
        ids = world.ids
        self.cid = ids["customers"] + np.arange(size, dtype=np.int64)
        ids["customers"] += size
        self.days_ago = rng.integers(0, SPAN_DAYS + 1, size)
        self.created = world.now_us - self.days_ago * DAY - rng.integers(0, 601, size) * MINUTE
        r = rng.random(size)
        self.status = np.where(r < 0.3, 0, np.where(r < 0.88, 1, 2))
        self._interactions(ipc)
        self._receipts(rpc)
        self._surveys()
        self._consents_and_customers(fixed)

    # ---- interactions and their tags
    def _interactions(self, ipc: float) -> None:
        w, rng, ids = self.w, self.rng, self.w.ids
        n = (np.floor(rng.exponential(ipc, self.c)).astype(np.int64) if ipc else np.zeros(self.c, np.int64))
        m = int(n.sum())
        owner = np.repeat(np.arange(self.c), n)
        dept = rng.integers(0, len(w.dept_codes), m)
        cnt = w.staff_cnt[dept]
        uid = np.where(cnt > 0, w.staff_flat[w.staff_off[dept] + _pick(rng, cnt)], -1)
        occ = self.created[owner] + _uniform_days(rng, self.days_ago[owner]) * DAY + rng.integers(0, 481, m) * MINUTE
        late = occ > w.now_us
        occ[late] = w.now_us - rng.integers(1, 601, int(late.sum())) * MINUTE
        tech = w.dept_codes.index("technical_support")
        channel = rng.integers(0, 5, m)
        channel[(dept == tech) & (rng.random(m) < 0.6)] = CHANNELS.index("support_ticket")
        facing = np.isin(dept, [tech, w.dept_codes.index("customer_service"), w.dept_codes.index("sales")])
        kinds = list(FEEDBACK_TAGS)
        kind = np.where(facing & (rng.random(m) < 0.25), rng.integers(0, len(kinds), m), -1)
        follow = np.where(rng.random(m) < 0.15, occ // DAY + rng.integers(1, 31, m), -1)
        done = np.where((follow >= 0) & (follow < w.today_day - 3) & (rng.random(m) < 0.8),
                        follow * DAY + 15 * HOUR, -1)
        subjects = [SUBJECTS[code] for code in w.dept_codes]
        subject_cnt = np.array([len(s) for s in subjects])
        subject_i = _pick(rng, subject_cnt[dept])
        outcome = rng.integers(0, len(OUTCOMES), m)
        direction = rng.integers(0, 2, m)
        self.last_contact = _segments_reduce(np.maximum, occ, n, -1)
        cells, counts = np.unique(np.stack([_month_numbers(occ), dept, channel]), axis=1, return_counts=True)
        w.interaction_months.update(dict(zip(map(tuple, cells.T.tolist()), counts.tolist())))
        iid = ids["interactions"] + np.arange(m, dtype=np.int64)
        ids["interactions"] += m
        codec, stamps = self.codec, self.codec.stamps(occ)
        uid_l = [None if u < 0 else u for u in uid.tolist()]
        self.rows.append((Interaction.__table__, [
            "id", "customer_id", "user_id", "department_id", "channel", "direction", "occurred_at", "subject",
            "outcome", "follow_up_on", "follow_up_user_id", "follow_up_done_at", "feedback_kind", "created_at"],
            zip(iid.tolist(), self.cid[owner].tolist(), uid_l, w.dept_ids[dept].tolist(),
                [CHANNELS[i] for i in channel.tolist()], [DIRECTIONS[i] for i in direction.tolist()], stamps,
                [subjects[d][s] for d, s in zip(dept.tolist(), subject_i.tolist())],
                [OUTCOMES[i] for i in outcome.tolist()], codec.days(follow),
                [u if f >= 0 else None for u, f in zip(uid_l, follow.tolist())], codec.stamps(done),
                [None if k < 0 else kinds[k] for k in kind.tolist()], stamps)))
        tagged = kind >= 0
        tag_kind = kind[tagged]
        tag_cnt = np.array([len(FEEDBACK_TAGS[k]) for k in kinds])
        tag_i = _pick(rng, tag_cnt[tag_kind])
        self.rows.append((InteractionTag.__table__, ["interaction_id", "tag"],
                          zip(iid[tagged].tolist(), [FEEDBACK_TAGS[kinds[k]][t] for k, t in
                                                      zip(tag_kind.tolist(), tag_i.tolist())])))
        self.result.interactions = m

    # ---- receipts and their lines
    def _receipts(self, rpc: float) -> None:
        w, rng, ids, codec = self.w, self.rng, self.w.ids, self.codec
        buying = (self.status != 0) & (rpc > 0)
        extra = np.floor(rng.exponential(max(0.01, rpc - 1), self.c)).astype(np.int64)
        n = np.where(buying, 1 + extra, 0)
        r = int(n.sum())
        owner = np.repeat(np.arange(self.c), n)
        bought = (self.created[owner] + _uniform_days(rng, self.days_ago[owner]) * DAY
                  + rng.integers(8, 19, r) * HOUR)
        bought = np.where(bought > w.now_us, w.now_us - HOUR, bought)
        per_receipt = rng.integers(1, 4, r)
        receipt_of = np.repeat(np.arange(r), per_receipt)
        n_lines = len(receipt_of)
        product = rng.integers(0, len(w.product_ids), n_lines)
        qty = rng.integers(1, 5, n_lines)
        price, cost = w.price_cents[product], w.cost_cents[product]
        total = np.bincount(receipt_of, weights=price * qty, minlength=r)
        total_cost = np.bincount(receipt_of, weights=cost * qty, minlength=r)
        rid = ids["receipts"] + np.arange(r, dtype=np.int64)
        lid = ids["lines"] + np.arange(n_lines, dtype=np.int64)
        ids["receipts"] += r
        ids["lines"] += n_lines
        self.revenue = np.bincount(owner, weights=total, minlength=self.c)
        self.cost = np.bincount(owner, weights=total_cost, minlength=self.c)
        self.purchases = n
        self.first_purchase = _segments_reduce(np.minimum, bought, n, -1)
        self.last_purchase = _segments_reduce(np.maximum, bought, n, -1)
        self.rows.append((Receipt.__table__, ["id", "customer_id", "number", "purchased_at", "channel", "total",
                                              "total_cost"],
                          zip(rid.tolist(), self.cid[owner].tolist(), [f"R{i:08d}" for i in rid.tolist()],
                              codec.stamps(bought),
                              [RECEIPT_CHANNELS[i] for i in rng.integers(0, 3, r).tolist()],
                              codec.money(total), codec.money(total_cost))))
        self.rows.append((ReceiptLine.__table__, ["id", "receipt_id", "product_id", "quantity", "unit_price",
                                                  "unit_cost"],
                          zip(lid.tolist(), rid[receipt_of].tolist(), w.product_ids[product].tolist(),
                              qty.tolist(), codec.money(price), codec.money(cost))))
        self.result.receipts, self.result.receipt_lines = r, n_lines
        # customer_months: one row per customer and month with receipts (customers never span chunks)
        cells, cell_of, receipts = np.unique(np.stack([owner, _month_numbers(bought)]), axis=1,
                                             return_inverse=True, return_counts=True)
        names = _month_names(cells[1])  # cells are sorted by customer, then month: neighbours link up
        same_as_previous = np.concatenate([[False], cells[0][1:] == cells[0][:-1]]).tolist()
        same_as_next = same_as_previous[1:] + [False]
        self.month_owner = cells[0]  # the customer's groups are added once they are drawn (_consents_and_customers)
        self.month_columns = [self.cid[cells[0]].tolist(), names, receipts.tolist(),
                              codec.money(np.bincount(cell_of, weights=total, minlength=len(receipts))),
                              codec.money(np.bincount(cell_of, weights=total_cost, minlength=len(receipts))),
                              [names[i - 1] if same else None for i, same in enumerate(same_as_previous)],
                              [names[i + 1] if same else None for i, same in enumerate(same_as_next)]]

    # ---- survey answers
    def _surveys(self) -> None:
        rng, ids = self.rng, self.w.ids
        answered = (self.status != 0) & (rng.random(self.c) < 0.3)
        who = np.flatnonzero(answered)
        k = len(who)
        base = np.where(self.last_purchase[who] >= 0, self.last_purchase[who], self.created[who])
        when = base + rng.integers(1, 21, k) * DAY
        score = np.clip(np.trunc(rng.normal(7.5, 2.2, k)), 0, 10).astype(np.int64)
        sid = ids["surveys"] + np.arange(k, dtype=np.int64)
        ids["surveys"] += k
        self.survey_owner = who  # the customer's segment and country are added once drawn (_consents_and_customers)
        self.survey_columns = [sid.tolist(), self.cid[who].tolist(), self.codec.stamps(when), score.tolist(),
                               [REASONS_FIRST[i] for i in rng.integers(0, len(REASONS_FIRST), k).tolist()],
                               [REASONS_AGAIN[i] for i in rng.integers(0, len(REASONS_AGAIN), k).tolist()],
                               [COMMENTS[i] for i in rng.integers(0, len(COMMENTS), k).tolist()],
                               ["form"] * k]
        self.result.surveys = k

    # ---- customers, their consents and search tokens
    def _consents_and_customers(self, fixed: list[dict[str, Any]]) -> None:
        w, rng, codec, c = self.w, self.rng, self.codec, self.c
        loc = rng.choice(len(w.pools), size=c, p=w.weights)
        name_i = _pick(rng, np.array([len(p["names"]) for p in w.pools])[loc])
        company_i = np.where(rng.random(c) < 0.75,
                             _pick(rng, np.array([len(p["companies"]) for p in w.pools])[loc]), -1)
        city_i = _pick(rng, np.array([len(p["cities"]) for p in w.pools])[loc])
        has_email = rng.random(c) < 0.9
        has_phone = rng.random(c) < 0.85
        phone_a, phone_b = rng.integers(100, 1000, c), rng.integers(1000, 10000, c)
        owner = np.where((rng.random(c) < 0.92) & (len(w.owners) > 0),
                         w.owners[_pick(rng, np.full(c, len(w.owners)))] if len(w.owners) else -1, -1)
        consent_m, consent_t = rng.random(c) < 0.55, rng.random(c) < 0.25
        for j, f in enumerate(fixed):  # the recognisable customers have known consents
            consent_m[j], consent_t[j] = f.get("consent_marketing", True), f.get("consent_third_party", False)
        segment = rng.integers(0, len(SEGMENTS), c)
        source = rng.integers(0, len(SOURCES), c)

        cols: dict[str, list[Any]] = {k: [] for k in (
            "name", "company", "email", "phone", "city", "country", "name_key", "company_key", "email_key",
            "phone_digits")}
        tokens: list[tuple[str, int]] = []
        for j, (cid, li, ni, ci, ti, e, p, a, b) in enumerate(zip(
                self.cid.tolist(), loc.tolist(), name_i.tolist(), company_i.tolist(), city_i.tolist(),
                has_email.tolist(), has_phone.tolist(), phone_a.tolist(), phone_b.tolist())):
            pool = w.pools[li]
            if j < len(fixed):
                f = fixed[j]
                name, company, email, phone = f["name"], f["company"], f["email"], f["phone"]
                country, city = f["country"], f["city"]
                phone = "+" + digits(phone)
                found = search_tokens(name, company, email, phone)
                name_key, company_key = fold(name), fold(company) or None
            else:
                name, country, city = pool["names"][ni], pool["country"], pool["cities"][ti]
                company = pool["companies"][ci] if ci >= 0 else None
                email = f"{pool['handles'][ni] or 'customer'}{cid}@example.{country.lower()}" if e else None
                phone = f"+{pool['prefix']}{a}{b}" if p else None
                found = set(pool["name_tokens"][ni])
                if company is not None:
                    found |= pool["company_tokens"][ci]
                if email:  # made of folded ASCII words and digits: fold() would change nothing
                    found.add(CONTACT_MARK + email)
                    found.update(CONTACT_MARK + w for w in folded_words(email.split("@", 1)[0]))
                if phone:
                    found.add(CONTACT_MARK + phone[1:])
                    found.add(CONTACT_MARK + phone[1 + pool["cc_len"]:])
                name_key = pool["name_keys"][ni]
                company_key = pool["company_keys"][ci] if ci >= 0 else None
            cols["name"].append(name)
            cols["company"].append(company)
            cols["email"].append(email)
            cols["phone"].append(phone)
            cols["city"].append(city)
            cols["country"].append(country)
            cols["name_key"].append(name_key)
            cols["company_key"].append(company_key)
            cols["email_key"].append((fold(email) if j < len(fixed) else email) if email else None)
            cols["phone_digits"].append(phone[1:] if phone else None)
            tokens.extend((t[:120], cid) for t in found if t)
        tokens.sort()  # index order: the token B-tree is appended to, not split at random
        created = codec.stamps(self.created)
        self.rows.append((Customer.__table__, [
            "id", "name", "company", "email", "phone", "city", "country", "status", "segment", "acquisition_source",
            "owner_id", "name_key", "company_key", "email_key", "phone_digits", "consent_marketing",
            "consent_third_party", "acquired_on", "last_contact_at", "last_purchase_at", "lifetime_revenue",
            "lifetime_cost", "purchase_count", "created_at", "updated_at", "version"],
            zip(self.cid.tolist(), cols["name"], cols["company"], cols["email"], cols["phone"], cols["city"],
                cols["country"], [STATUSES[s] for s in self.status.tolist()],
                [SEGMENTS[i] for i in segment.tolist()], [SOURCES[i] for i in source.tolist()],
                [None if o < 0 else o for o in owner.tolist()], cols["name_key"], cols["company_key"],
                cols["email_key"], cols["phone_digits"], codec.flags(consent_m), codec.flags(consent_t),
                codec.days(np.where(self.first_purchase >= 0, self.first_purchase // DAY, -1)),
                codec.stamps(self.last_contact), codec.stamps(self.last_purchase), codec.money(self.revenue),
                codec.money(self.cost), self.purchases.tolist(), created, created, [1] * c)))
        # children reference customers: put the customers first
        self.rows.insert(0, self.rows.pop())
        owner = self.month_owner
        self.rows.append((CustomerMonth.__table__, ["customer_id", "month", "receipts", "revenue", "cost",
                                                    "previous_month", "next_month", "segment", "country",
                                                    "acquisition_source", "cohort"],
                          zip(*self.month_columns, [SEGMENTS[i] for i in segment[owner].tolist()],
                              [cols["country"][i] for i in owner.tolist()],
                              [SOURCES[i] for i in source[owner].tolist()],
                              _month_names(_month_numbers(self.first_purchase[owner])))))
        owner = self.survey_owner
        self.rows.append((SurveyResponse.__table__, ["id", "customer_id", "answered_at", "score", "reason_first",
                                                     "reason_again", "comment", "source", "segment", "country"],
                          zip(*self.survey_columns, [SEGMENTS[i] for i in segment[owner].tolist()],
                              [cols["country"][i] for i in owner.tolist()])))
        self.rows.append((CustomerToken.__table__, ["token", "customer_id"], tokens))
        consent_rows = []
        ids = self.w.ids
        for purpose, granted in (("marketing", consent_m), ("third_party", consent_t)):
            who = np.flatnonzero(granted)
            consent_rows.extend(zip(who.tolist(), [purpose] * len(who)))
        consent_rows.sort()
        stamps = created
        self.rows.append((Consent.__table__, ["id", "customer_id", "purpose", "granted", "recorded_at", "source",
                                              "wording_version"],
                          [(ids["consents"] + k, int(self.cid[j]), purpose, True if codec.pg else 1, stamps[j],
                            "web form", "2025-01") for k, (j, purpose) in enumerate(consent_rows)]))
        ids["consents"] += len(consent_rows)

    def load(self, session: Session, staging: str | None) -> None:
        for table, columns, rows in self.rows:
            if table is CustomerToken.__table__ and staging:
                insert_rows(session, staging, columns, rows)
            else:
                insert_rows(session, table, columns, rows)
        self.rows.clear()


@contextlib.contextmanager
def _tokens_staged(session: Session, enabled: bool) -> Iterator[str | None]:
    """On a big load, collect the search tokens in a temporary table and add them in index order at
    the end: the token index then grows at its end instead of being split at random pages (which
    made a million-customer load slow down by half as the index outgrew the cache)."""
    if not enabled:
        yield None
        return
    pg = session.get_bind().dialect.name == "postgresql"
    session.execute(text("DROP TABLE IF EXISTS seed_tokens"))
    collate = ' COLLATE "C"' if pg else ""  # the token index's byte order (migration 0002)
    session.execute(text(f"CREATE TEMPORARY TABLE seed_tokens (token VARCHAR(120){collate}, customer_id INTEGER)"))
    yield "seed_tokens"
    session.execute(text("INSERT INTO customer_tokens (token, customer_id) "
                         "SELECT token, customer_id FROM seed_tokens ORDER BY token, customer_id"))
    session.execute(text("DROP TABLE seed_tokens"))


def generate(
    n_customers: int,
    *,
    session: Session,
    seed: int = 42,
    today: dt.date | None = None,
    interactions_per_customer: float = 5.0,
    receipts_per_customer: float = 3.0,
    include_fixed: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> SeedResult:
    """Add ``n_customers`` customers with history (adds to what is there); the same seed, the same data."""
    today = today or dt.date.today()
    world = _DrawSources.load(session, seed, n_customers, today)
    rng = np.random.default_rng(seed + world.ids["customers"])
    codec = _Codec(session.get_bind().dialect.name)
    result = SeedResult(products=len(world.product_ids))
    fixed = list(FIXED_CUSTOMERS) if include_fixed else []
    big = n_customers >= BULK_FROM
    with fast_sqlite_writes(session), indexes_built_after(session, TABLES, enabled=big), \
            _tokens_staged(session, enabled=big) as staging:
        done = 0
        while done < n_customers:
            size = min(CHUNK, n_customers - done)
            chunk = _Chunk(world, rng, size, fixed[:size], interactions_per_customer, receipts_per_customer, codec)
            fixed = fixed[size:]
            chunk.load(session, staging)
            for name in ("customers", "interactions", "receipts", "receipt_lines", "surveys"):
                setattr(result, name, getattr(result, name) + getattr(chunk.result, name))
            done += size
            if progress:
                progress("customers", done)
    _fix_sequences(session)
    _add_interaction_months(session, world)
    from crm.insights.rollups import rebuild_buyer_counts, rebuild_sales

    rebuild_sales(session)
    rebuild_buyer_counts(session)
    return result


def _add_interaction_months(session: Session, world: _DrawSources) -> None:
    """Add the counted interactions to ``interaction_monthly`` (a small table: merged in Python)."""
    counts: Counter[tuple[str, int, str]] = Counter()
    for (month, dept, channel), n in world.interaction_months.items():
        counts[(_month_names(np.array([month]))[0], int(world.dept_ids[dept]), CHANNELS[channel])] += n
    table = InteractionMonthly.__table__
    for month, dept_id, channel, n in session.execute(select(table)):  # what was there before this load
        counts[(month, dept_id, channel)] += n
    session.execute(delete(table))
    insert_rows(session, table, ["month", "department_id", "channel", "interactions"],
                [(*key, n) for key, n in sorted(counts.items())])
