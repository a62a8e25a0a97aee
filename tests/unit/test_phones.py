"""Phone numbers: the stored E.164 form, and the fast readings checked against libphonenumber itself."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crm.customers.phones import normalize_phone


def test_phone_is_stored_in_international_format() -> None:
    assert normalize_phone("0812 3456 7890", "ID") == ("+6281234567890", None)
    assert normalize_phone("+62 812-3456-7890") == ("+6281234567890", None)
    assert normalize_phone("0062 812 3456 7890") == ("+6281234567890", None)
    assert normalize_phone("0812 3456 7890")[1] is not None  # no country: cannot know


def test_numbers_the_fast_readings_leave_to_libphonenumber_are_still_read() -> None:
    assert normalize_phone("+44 (0) 20 7946 0958") == ("+442079460958", None)  # a national prefix after the code
    assert normalize_phone("+1 650 FLOWERS")[0] == "+16503569377"  # letters
    assert "wrong number of digits" in normalize_phone("+62 81", None)[1]
    assert "not a phone number" in normalize_phone("call me", "ID")[1]


def _region_examples(number_format: int) -> list[tuple[str, str]]:
    """(number, region) for every region's mobile and fixed-line example, written in ``number_format``."""
    import phonenumbers

    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                out.append((phonenumbers.format_number(example, number_format), region))
    return out


def _typed(rng: Any, text: str) -> str:
    """``text`` with the separators people type between its characters."""
    return "".join(ch + rng.choice(["", "", "", " ", "-", ".", ")"]) for ch in text).rstrip(" -.)")


def _agrees_with_libphonenumber(fast_path: Callable[[str, str | None], str | None],
                                samples: list[tuple[str, str | None]]) -> int:
    """Every number the fast path accepts is one libphonenumber parses to the same possible E.164 number;
    returns how many it accepted (the others go to the library)."""
    import phonenumbers

    taken = 0
    for text, region in samples:
        fast = fast_path(text, region)
        if fast is None:
            continue
        taken += 1
        try:
            parsed = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            pytest.fail(f"fast path accepted {text!r} ({region}), which libphonenumber cannot parse")
        assert phonenumbers.is_possible_number(parsed), (text, region)
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == fast, (text, region)
    return taken


def test_the_fast_international_phone_check_agrees_with_libphonenumber() -> None:
    import random

    import phonenumbers

    from crm.customers.phones import _international as international_phone

    rng = random.Random(11)
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    examples = [(text, None) for fmt in (phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.E164)
                for text, _region in _region_examples(fmt)]  # as printed and as stored
    samples = examples + [(text, None) for text in (
        "+62 812-3456-7890", "+44 (0) 20 7946 0958", "+39 06 6988 4000", "+1 (650) 253-0000", "+7 8 495 123-45-67",
        "+800 1234 5678", "+0 812 3456", "+62 812 3456 7890 ext. 12", "+1 650 FLOWERS")]
    for _ in range(12000):  # random numbers: any code, any length, a national prefix or not
        body = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 16)))
        samples.append((_typed(rng, "+" + str(rng.choice(codes)) + rng.choice(["", " ", "-", " (", "."]) + body), None))
    assert _agrees_with_libphonenumber(lambda text, _region: international_phone(text), samples) > 1500
    # it serves the usual way of writing a number: 9 in 10 of the regions' examples (not those with a national 0)
    assert sum(international_phone(text) is not None for text, _region in examples) > 0.9 * len(examples)
    assert international_phone("+62 812-3456-7890") == "+6281234567890"
    assert international_phone("+44 (0) 20 7946 0958") is None  # the national prefix: the library decides


def test_the_fast_national_phone_check_agrees_with_libphonenumber() -> None:
    import random

    import phonenumbers

    from crm.customers.phones import _national as national_phone

    rng = random.Random(5)
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    examples = _region_examples(phonenumbers.PhoneNumberFormat.NATIONAL)  # as each region's people write them
    samples: list[tuple[str, str | None]] = [*examples, ("0812-3456-7890", "ID"), ("0888 123 456", "BG"),
                                             ("00 62 812 3456", "ID"), ("0", "ID"), ("6281234567890", "ID"),
                                             ("0300 1234567", "XX"), ("1 650 253 0000", "US")]
    for _ in range(20000):  # random numbers: national prefixes, dialling prefixes, calling codes, any length
        body = "".join(rng.choice("0123456789") for _ in range(rng.randint(2, 15)))
        samples.append((_typed(rng, rng.choice(["", "0", "1", "8", "00", "011", "62", "0"]) + body), rng.choice(regions)))
    assert _agrees_with_libphonenumber(lambda text, region: national_phone(text, region or ""), samples) > 1500
    assert sum(national_phone(text, region) is not None for text, region in examples) > 0.75 * len(examples)
    assert national_phone("0812-3456-7890", "ID") == "+6281234567890"


def test_national_digits_equal_libphonenumbers_parse_for_every_region() -> None:
    import phonenumbers

    from crm.customers.phones import national_digits

    checked = 0
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            assert national_digits(e164) == str(phonenumbers.parse(e164, None).national_number), e164
            checked += 1
    assert checked > 400
