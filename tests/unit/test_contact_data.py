import pytest

from crm.customers.contact_rules import clean_customer_fields, search_tokens
from crm.core.errors import ValidationError


def test_every_field_error_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as err:
        clean_customer_fields({"name": " ", "email": "not-an-email", "phone": "12", "status": "vip",
                               "country": "XX"})
    assert set(err.value.errors) == {"name", "email", "phone", "status", "country"}
    assert "Name is required" in err.value.errors["name"]


def test_clean_values_are_normalised() -> None:
    out = clean_customer_fields({"name": "  José   Álvarez ", "email": "Jose@Example.COM", "country": "es",
                                 "phone": "612 345 678", "status": "Customer"})
    assert out["name"] == "José Álvarez"
    assert out["email"] == "Jose@example.com"
    assert out["country"] == "ES" and out["phone"] == "+34612345678" and out["status"] == "customer"


def test_search_tokens_cover_name_company_email_and_phone() -> None:
    tokens = search_tokens("José Álvarez", "Álvarez Hermanos", "Jose.Alvarez@Example.es", "+34612345678")
    assert tokens == {"jose", "alvarez", "hermanos", "jose.alvarez@example.es", "34612345678", "612345678"}


def test_a_phone_without_country_code_is_rejected_with_the_other_errors() -> None:
    with pytest.raises(ValidationError) as err:
        clean_customer_fields({"name": "Dewi", "phone": "0812 3456 7890"})
    assert set(err.value.errors) == {"phone"} and "country" in err.value.errors["phone"]
    assert clean_customer_fields({"name": "Dewi", "phone": "0812 3456 7890", "country": "id"})["phone"] == \
        "+6281234567890"
