import pytest

from crm.customers.contact_rules import CONTACT_MARK, clean_customer_fields, search_tokens
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


def test_search_tokens_cover_name_company_email_and_phone_with_contact_tokens_marked() -> None:
    tokens = search_tokens("José Álvarez", "Álvarez Hermanos", "Jose.Alvarez@Example.es", "+34612345678")
    assert tokens == {"jose", "alvarez", "hermanos",
                      *(CONTACT_MARK + t for t in ("jose.alvarez@example.es", "jose", "alvarez", "34612345678",
                                                   "612345678"))}


def test_a_phone_without_country_code_is_rejected_with_the_other_errors() -> None:
    with pytest.raises(ValidationError) as err:
        clean_customer_fields({"name": "Dewi", "phone": "0812 3456 7890"})
    assert set(err.value.errors) == {"phone"} and "country" in err.value.errors["phone"]
    assert clean_customer_fields({"name": "Dewi", "phone": "0812 3456 7890", "country": "id"})["phone"] == \
        "+6281234567890"


@pytest.mark.parametrize(("typed", "code"), [("Indonesia", "ID"), ("BULGARIA", "BG"), ("България", "BG"),
                                             ("پاکستان", "PK"), ("IDN", "ID"), (" es ", "ES")])
def test_a_country_may_be_typed_as_a_name_in_any_language_or_an_iso_code(typed, code) -> None:
    assert clean_customer_fields({"name": "Dewi", "country": typed})["country"] == code


def test_a_country_nobody_knows_is_refused_by_name() -> None:
    with pytest.raises(ValidationError) as err:
        clean_customer_fields({"name": "Dewi", "country": "Atlantis"})
    assert err.value.errors == {
        "country": "Country 'Atlantis' is neither a country name nor an ISO code such as ID, BG or PK."}


def test_names_are_trimmed_and_composed_and_notes_keep_their_lines() -> None:
    out = clean_customer_fields({"name": "Jose\u0301\u00a0 A\u0301lvarez ", "notes": "first  \r\nsecond\r\n"})
    assert out["name"] == "José Álvarez" and out["notes"] == "first\nsecond"
