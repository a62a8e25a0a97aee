"""The made-up world of the demo and of scale tests: accounts, products, names per locale."""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from faker import Faker

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


class NamePool:
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
