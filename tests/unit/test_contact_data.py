import pytest

from crm.customers.contact_rules import clean_customer_fields, normalize_phone
from crm.core.errors import ValidationError


def test_every_field_error_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as err:
        clean_customer_fields({"name": " ", "email": "not-an-email", "phone": "12", "status": "vip",
                               "country": "XX"})
    assert set(err.value.errors) == {"name", "email", "phone", "status", "country"}
    assert "Name is required" in err.value.errors["name"]


def test_phone_is_stored_in_international_format() -> None:
    assert normalize_phone("0812 3456 7890", "ID") == ("+6281234567890", None)
    assert normalize_phone("+62 812-3456-7890") == ("+6281234567890", None)
    assert normalize_phone("0062 812 3456 7890") == ("+6281234567890", None)
    assert normalize_phone("0812 3456 7890")[1] is not None  # no country: cannot know


def test_clean_values_are_normalised() -> None:
    out = clean_customer_fields({"name": "  José   Álvarez ", "email": "Jose@Example.COM", "country": "es",
                                 "phone": "612 345 678", "status": "Customer"})
    assert out["name"] == "José Álvarez"
    assert out["email"] == "Jose@example.com"
    assert out["country"] == "ES" and out["phone"] == "+34612345678" and out["status"] == "customer"
