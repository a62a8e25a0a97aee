"""Demo accounts and deterministic, realistic demo / scale data.

Everything is generated from a seeded RNG, so the same call gives the same
data. Rows go in with Core bulk inserts in chunks (not one ORM object at a
time); ids are assigned here so that children link without round trips.
"""
from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from faker import Faker
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from crm import audit
from crm.access import Actor
from crm.text import digits, fold, search_tokens
from crm.users import SYSTEM, create_user, ensure_departments, hash_password
from db.models import (
    Consent,
    Customer,
    CustomerToken,
    Department,
    Interaction,
    InteractionTag,
    Product,
    Receipt,
    ReceiptLine,
    SurveyResponse,
    User,
)

DEMO_PASSWORD = "demo"

# username -> (full name, department, role)
DEMO_ACCOUNTS: dict[str, tuple[str, str, str]] = {
    "admin": ("Ada Admin", "it", "admin"),
    "sales": ("Sari Wijaya", "sales", "staff"),
    "salesmgr": ("Georgi Dimitrov", "sales", "manager"),
    "marketing": ("Maria Ivanova", "marketing", "staff"),
    "service": ("Ayesha Khan", "customer_service", "staff"),
    "support": ("Budi Santoso", "technical_support", "staff"),
    "training": ("Tom Becker", "training", "staff"),
    "hr": ("Hana Putri", "hr_development", "staff"),
    "comp": ("Carlos Mendes", "compensation", "staff"),
    "budget": ("Bilal Ahmed", "finance", "budget_officer"),
    "sponsor": ("Susan Park", "management", "sponsor"),
    "it": ("Ivan Petkov", "it", "staff"),
}

CHANNELS = ["call", "email", "meeting", "chat", "visit", "support_ticket"]
SEGMENTS = ["Enterprise", "SMB", "Consumer", "Public sector"]
SOURCES = ["Website", "Referral", "Trade fair", "Partner", "Cold call", "Social media"]
REASONS_FIRST = ["Price", "Product quality", "Recommendation", "Location", "Brand", "Service"]
REASONS_AGAIN = ["Service", "Product quality", "Price", "Habit", "Support", "Delivery"]
FEEDBACK_TAGS = {
    "feature_request": ["mobile app", "reporting", "integration", "bulk pricing", "dark mode"],
    "complaint": ["delivery delay", "billing error", "slow support", "defect", "price increase"],
    "praise": ["friendly staff", "fast delivery", "quality", "support"],
}
SUBJECTS = {
    "sales": ["Quote sent", "Renewal discussion", "Demo of new range", "Price negotiation"],
    "marketing": ["Newsletter reply", "Event invitation", "Campaign follow-up", "Case study interview"],
    "customer_service": ["Order status", "Invoice question", "Return request", "Address change"],
    "technical_support": ["Installation help", "Error on login", "Device not starting", "Configuration"],
    "training": ["Onboarding session", "Product training booked", "Certification exam"],
    "hr_development": ["Career fair contact", "Internship enquiry"],
    "compensation": ["Partner commission query"],
    "finance": ["Payment reminder", "Credit limit review"],
    "it": ["Portal access request", "Data export request"],
    "management": ["Executive business review"],
}
PRODUCTS = [
    ("Hardware", "Smart meter S1", 120, 70),
    ("Hardware", "Smart meter S2 Pro", 210, 120),
    ("Hardware", "Sensor hub", 85, 40),
    ("Hardware", "Gateway G5", 340, 210),
    ("Software", "Analytics licence (year)", 600, 90),
    ("Software", "Mobile app seat (year)", 48, 6),
    ("Software", "Reporting add-on", 150, 20),
    ("Services", "Installation visit", 180, 110),
    ("Services", "Annual maintenance", 420, 260),
    ("Services", "Premium support plan", 300, 140),
    ("Training", "Operator course", 250, 120),
    ("Training", "Administrator certification", 480, 210),
    ("Accessories", "Mounting kit", 25, 9),
    ("Accessories", "Spare battery pack", 40, 18),
    ("Accessories", "Cable set", 15, 5),
]

# Faker locale -> (country code, phone prefix, share of customers)
LOCALES: list[tuple[str, str, str, float]] = [
    ("id_ID", "ID", "+62 812", 0.22),
    ("bg_BG", "BG", "+359 88", 0.16),
    ("en_PK", "PK", "+92 300", 0.08),
    ("ur", "PK", "+92 321", 0.10),
    ("ru_RU", "RU", "+7 916", 0.06),
    ("es_ES", "ES", "+34 612", 0.10),
    ("de_DE", "DE", "+49 151", 0.08),
    ("en_GB", "GB", "+44 7700", 0.10),
    ("en_US", "US", "+1 415", 0.10),
]
URDU_GIVEN = ["عمران", "فاطمہ", "احمد", "عائشہ", "محمد", "زینب", "بلال", "سعدیہ", "حسن", "مریم", "علی", "نادیہ"]
URDU_FAMILY = ["خان", "علی", "رضا", "صدیقی", "ملک", "حسین", "قریشی", "چوہدری", "شیخ", "بٹ"]
URDU_COMPANIES = ["لاہور ٹریڈرز", "کراچی انجینئرنگ", "پنجاب ٹیکسٹائل", "اسلام آباد سولر", "سندھ فوڈز"]
URDU_CITIES = ["لاہور", "کراچی", "اسلام آباد", "فیصل آباد", "ملتان"]

# Fixed, recognisable customers that the docs and tests refer to.
FIXED_CUSTOMERS: list[dict[str, Any]] = [
    {"name": "José Álvarez", "company": "Álvarez Hermanos S.L.", "email": "jose.alvarez@alvarez-hermanos.es",
     "phone": "+34 612 345 678", "country": "ES", "city": "Sevilla"},
    {"name": "Иван Петров", "company": "Петров ЕООД", "email": "ivan.petrov@petrov.bg",
     "phone": "+359 88 123 4567", "country": "BG", "city": "София"},
    {"name": "عمران خان", "company": "لاہور ٹریڈرز", "email": "imran.khan@lahoretraders.pk",
     "phone": "+92 300 1234567", "country": "PK", "city": "لاہور"},
    {"name": "Siti Rahayu", "company": "PT Sinar Jaya", "email": "siti.rahayu@sinarjaya.co.id",
     "phone": "+62 812 3456 7890", "country": "ID", "city": "Bandung"},
]


@dataclass
class SeedResult:
    customers: int = 0
    interactions: int = 0
    receipts: int = 0
    receipt_lines: int = 0
    surveys: int = 0
    products: int = 0
    users: int = 0


class _NamePool:
    """Pre-generated names/companies/cities per locale: Faker is too slow per row at scale."""

    def __init__(self, rng: random.Random, size: int) -> None:
        self.pools: dict[str, dict[str, list[str]]] = {}
        for locale, _country, _prefix, _share in LOCALES:
            if locale == "ur":
                names = [f"{g} {f}" for g in URDU_GIVEN for f in URDU_FAMILY]
                self.pools[locale] = {"names": names, "companies": URDU_COMPANIES, "cities": URDU_CITIES}
                continue
            fake = Faker(locale)
            fake.seed_instance(rng.randrange(1 << 30))
            self.pools[locale] = {
                "names": [f"{fake.first_name()} {fake.last_name()}" for _ in range(size)],
                "companies": [fake.company() for _ in range(max(20, size // 4))],
                "cities": [fake.city() for _ in range(max(10, size // 10))],
            }


def _ascii_handle(name: str, rng: random.Random, n: int) -> str:
    handle = ".".join(w for w in fold(name).split() if w.isascii() and w.isalnum())
    return handle or f"customer{n}"


def _pick_locale(rng: random.Random) -> tuple[str, str, str, float]:
    x = rng.random()
    acc = 0.0
    for entry in LOCALES:
        acc += entry[3]
        if x <= acc:
            return entry
    return LOCALES[-1]


def _next_id(session: Session, model: Any) -> int:
    return (session.scalar(select(func.max(model.id))) or 0) + 1


def _chunks(rows: list[dict[str, Any]], size: int = 5000) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _bulk(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        session.execute(insert(model), chunk)


def _fix_sequences(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ["customers", "interactions", "receipts", "receipt_lines", "survey_responses",
                  "products", "consents"]:
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))


@functools.lru_cache(maxsize=1)
def _demo_hash() -> str:
    return hash_password(DEMO_PASSWORD)


def ensure_demo_accounts(*, session: Session) -> int:
    """Create the demo accounts (password ``demo``) that do not exist yet."""
    ensure_departments(session=session)
    existing = set(session.scalars(select(User.username)))
    missing = [u for u in DEMO_ACCOUNTS if u not in existing]
    if not missing:
        return 0
    shared_hash = _demo_hash()
    for username in missing:
        full_name, department, role = DEMO_ACCOUNTS[username]
        create_user(
            SYSTEM, username=username, full_name=full_name, department=department, role=role,
            password="", email=f"{username}@demo.example", session=session,
            _password_hash=shared_hash,
        )
    return len(missing)


def ensure_products(*, session: Session, rng: random.Random) -> list[dict[str, Any]]:
    rows = [dict(id=p.id, price=p.price, cost=p.cost) for p in session.scalars(select(Product))]
    if rows:
        return rows
    start = _next_id(session, Product)
    new = []
    for i, (category, name, price, cost) in enumerate(PRODUCTS):
        new.append(dict(id=start + i, sku=f"SKU-{1000 + i}", name=name, category=category,
                        price=Decimal(price), cost=Decimal(cost), stock=rng.randint(5, 400), active=True))
    _bulk(session, Product, new)
    return [dict(id=r["id"], price=r["price"], cost=r["cost"]) for r in new]


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
    """Add ``n_customers`` customers with history. Adds to what is there."""
    rng = random.Random(seed + _next_id(session, Customer))
    today = today or dt.date.today()
    now = dt.datetime.combine(today, dt.time(12, 0), tzinfo=dt.timezone.utc)
    ensure_departments(session=session)
    result = SeedResult()
    dept_ids = dict(session.execute(select(Department.code, Department.id)).all())
    users = session.execute(select(User.id, Department.code).join(Department)).all()
    staff_by_dept: dict[str, list[int]] = {}
    for uid, code in users:
        staff_by_dept.setdefault(code, []).append(uid)
    owner_pool = staff_by_dept.get("sales", []) + staff_by_dept.get("customer_service", [])
    products = ensure_products(session=session, rng=random.Random(seed))
    result.products = len(products)
    pool = _NamePool(rng, size=min(2000, max(50, n_customers // 20)))

    cust_id = _next_id(session, Customer)
    inter_id = _next_id(session, Interaction)
    receipt_id = _next_id(session, Receipt)
    line_id = _next_id(session, ReceiptLine)
    survey_id = _next_id(session, SurveyResponse)
    consent_id = _next_id(session, Consent)
    receipt_no = receipt_id

    batch: dict[str, list[dict[str, Any]]] = {k: [] for k in
        ["customers", "tokens", "interactions", "tags", "receipts", "lines", "surveys", "consents"]}
    flush_every = 20000
    span_days = 730

    def flush() -> None:
        for key, model in [("customers", Customer), ("tokens", CustomerToken),
                           ("interactions", Interaction), ("tags", InteractionTag),
                           ("receipts", Receipt), ("lines", ReceiptLine),
                           ("surveys", SurveyResponse), ("consents", Consent)]:
            if batch[key]:
                _bulk(session, model, batch[key])
                batch[key].clear()

    fixed = list(FIXED_CUSTOMERS) if include_fixed else []
    for n in range(n_customers):
        if fixed:
            base = fixed.pop(0)
            name, company, email, phone = base["name"], base["company"], base["email"], base["phone"]
            country, city = base["country"], base["city"]
        else:
            locale, country, prefix, _ = _pick_locale(rng)
            p = pool.pools[locale]
            name = rng.choice(p["names"])
            company = rng.choice(p["companies"]) if rng.random() < 0.75 else None
            city = rng.choice(p["cities"])
            handle = _ascii_handle(name, rng, cust_id)
            email = f"{handle}{cust_id}@example.{country.lower()}" if rng.random() < 0.9 else None
            phone = f"{prefix} {rng.randint(100, 999)} {rng.randint(1000, 9999)}" if rng.random() < 0.85 else None
        created_days_ago = rng.randint(0, span_days)
        created = now - dt.timedelta(days=created_days_ago, minutes=rng.randint(0, 600))
        r = rng.random()
        status = "prospect" if r < 0.3 else ("customer" if r < 0.88 else "former")
        owner = rng.choice(owner_pool) if owner_pool and rng.random() < 0.92 else None
        phone_e164 = None
        if phone:
            phone_e164 = "+" + digits(phone)
        consent_m = rng.random() < 0.55
        consent_t = rng.random() < 0.25
        cid = cust_id
        cust_id += 1

        # interactions
        n_inter = max(0, int(rng.expovariate(1 / interactions_per_customer))) if interactions_per_customer else 0
        last_contact = None
        for _ in range(n_inter):
            dept = rng.choice(list(SUBJECTS))
            uid = rng.choice(staff_by_dept[dept]) if staff_by_dept.get(dept) else None
            occurred = created + dt.timedelta(days=rng.randint(0, max(1, created_days_ago)),
                                              minutes=rng.randint(0, 480))
            if occurred > now:
                occurred = now - dt.timedelta(minutes=rng.randint(1, 600))
            last_contact = occurred if last_contact is None or occurred > last_contact else last_contact
            channel = "support_ticket" if dept == "technical_support" and rng.random() < 0.6 else rng.choice(CHANNELS[:5])
            kind = None
            if dept in ("technical_support", "customer_service", "sales") and rng.random() < 0.25:
                kind = rng.choice(list(FEEDBACK_TAGS))
            follow = None
            if rng.random() < 0.15:
                follow = (occurred + dt.timedelta(days=rng.randint(1, 30))).date()
            done = None
            if follow and follow < today - dt.timedelta(days=3) and rng.random() < 0.8:
                done = dt.datetime.combine(follow, dt.time(15, 0), tzinfo=dt.timezone.utc)
            batch["interactions"].append(dict(
                id=inter_id, customer_id=cid, user_id=uid, department_id=dept_ids[dept], channel=channel,
                direction=rng.choice(["inbound", "outbound"]), occurred_at=occurred,
                subject=rng.choice(SUBJECTS[dept]), notes=None,
                outcome=rng.choice(["Resolved", "Waiting for customer", "Quote requested", "Booked", None]),
                follow_up_on=follow, follow_up_user_id=uid if follow else None, follow_up_done_at=done,
                feedback_kind=kind, created_at=occurred,
            ))
            if kind:
                batch["tags"].append(dict(interaction_id=inter_id, tag=rng.choice(FEEDBACK_TAGS[kind])))
            inter_id += 1
            result.interactions += 1

        # receipts
        revenue = Decimal("0")
        cost = Decimal("0")
        last_purchase = None
        first_purchase = None
        n_rec = 0
        if status != "prospect" and receipts_per_customer:
            n_rec = 1 + int(rng.expovariate(1 / max(0.01, receipts_per_customer - 1)))
        for _ in range(n_rec):
            purchased = created + dt.timedelta(days=rng.randint(0, max(1, created_days_ago)),
                                               hours=rng.randint(8, 18))
            if purchased > now:
                purchased = now - dt.timedelta(hours=1)
            total = Decimal("0")
            total_cost = Decimal("0")
            for _ in range(rng.randint(1, 3)):
                prod = rng.choice(products)
                qty = rng.randint(1, 4)
                batch["lines"].append(dict(id=line_id, receipt_id=receipt_id, product_id=prod["id"],
                                           quantity=qty, unit_price=prod["price"], unit_cost=prod["cost"]))
                line_id += 1
                result.receipt_lines += 1
                total += prod["price"] * qty
                total_cost += prod["cost"] * qty
            batch["receipts"].append(dict(id=receipt_id, customer_id=cid, number=f"R{receipt_no:08d}",
                                          purchased_at=purchased, channel=rng.choice(["store", "online", "partner"]),
                                          total=total, total_cost=total_cost))
            receipt_id += 1
            receipt_no += 1
            result.receipts += 1
            revenue += total
            cost += total_cost
            last_purchase = purchased if last_purchase is None or purchased > last_purchase else last_purchase
            first_purchase = purchased if first_purchase is None or purchased < first_purchase else first_purchase

        # survey answers
        if status != "prospect" and rng.random() < 0.3:
            score = min(10, max(0, int(rng.gauss(7.5, 2.2))))
            batch["surveys"].append(dict(
                id=survey_id, customer_id=cid,
                answered_at=(last_purchase or created) + dt.timedelta(days=rng.randint(1, 20)),
                score=score, reason_first=rng.choice(REASONS_FIRST), reason_again=rng.choice(REASONS_AGAIN),
                comment=rng.choice([None, "Great service", "Delivery was late", "Support solved it fast",
                                    "Too expensive", "Easy to install", "Would like a mobile app"]),
                source="form",
            ))
            survey_id += 1
            result.surveys += 1

        for purpose, granted in (("marketing", consent_m), ("third_party", consent_t)):
            if granted:
                batch["consents"].append(dict(id=consent_id, customer_id=cid, purpose=purpose, granted=True,
                                              recorded_at=created, source="web form", wording_version="2025-01"))
                consent_id += 1

        batch["customers"].append(dict(
            id=cid, name=name, company=company, email=email, phone=phone_e164, city=city, country=country,
            status=status, segment=rng.choice(SEGMENTS), acquisition_source=rng.choice(SOURCES),
            owner_id=owner, name_key=fold(name), company_key=fold(company) or None,
            email_key=fold(email) or None, phone_digits=digits(phone_e164) or None,
            consent_marketing=consent_m, consent_third_party=consent_t,
            acquired_on=(first_purchase.date() if first_purchase else None),
            last_contact_at=last_contact, last_purchase_at=last_purchase,
            lifetime_revenue=revenue, lifetime_cost=cost, purchase_count=n_rec,
            created_at=created, updated_at=created, version=1,
        ))
        for token in search_tokens(name, company, email, phone_e164):
            batch["tokens"].append(dict(token=token, customer_id=cid))
        result.customers += 1
        if len(batch["customers"]) >= flush_every:
            flush()
            if progress:
                progress("customers", result.customers)
    flush()
    _fix_sequences(session)
    from crm.rollups import rebuild_all

    rebuild_all(session)
    if progress:
        progress("customers", result.customers)
    return result


def seed_demo(*, session: Session, today: dt.date | None = None) -> SeedResult:
    """Demo accounts and a demo data set, if the database has no customers yet.

    Several app servers may start together on one empty PostgreSQL database: the
    advisory lock makes the second wait and then find the data already there.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(424243)"))
    users = ensure_demo_accounts(session=session)
    result = SeedResult(users=users)
    if session.scalar(select(func.count()).select_from(Customer)):
        return result
    data = generate(400, session=session, seed=7, today=today, include_fixed=True)
    data.users = users
    _demo_follow_ups(session=session, today=today or dt.date.today())
    from crm import checklist, requirements

    checklist.seed_demo(session=session, today=today or dt.date.today())
    requirements.seed_demo(session=session, today=today or dt.date.today())
    from crm import budget

    budget.seed_demo(session=session, today=today or dt.date.today())
    audit.record(session, SYSTEM, "seed", "database", None,
                 detail=f"demo data: {data.customers} customers, {data.interactions} interactions")
    return data


def _demo_follow_ups(*, session: Session, today: dt.date) -> None:
    """Give the customer-facing demo users open, due and overdue follow-ups to work on."""
    rng = random.Random(11)
    customer_ids = list(session.scalars(select(Customer.id).where(Customer.status != "former").order_by(Customer.id).limit(60)))
    plans = [(-3, "Call back about the quote"), (0, "Confirm installation date"),
             (2, "Send the renewal offer"), (9, "Check satisfaction after delivery")]
    now = dt.datetime.combine(today, dt.time(9, 0), tzinfo=dt.timezone.utc)
    for username in ("sales", "salesmgr", "service", "support"):
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            continue
        for offset, subject in plans:
            cid = rng.choice(customer_ids)
            occurred = now - dt.timedelta(days=rng.randint(5, 12))
            session.add(Interaction(
                customer_id=cid, user_id=user.id, department_id=user.department_id, channel="call",
                direction="outbound", occurred_at=occurred, subject=subject, outcome="Follow-up planned",
                follow_up_on=today + dt.timedelta(days=offset), follow_up_user_id=user.id, created_at=occurred,
            ))
    session.flush()


def is_empty(*, session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(User))


def system_actor() -> Actor:
    return SYSTEM
