"""Phone numbers: reading what people type into the one stored form, E.164 ("+6281234567890").

``normalize_phone`` is the only entry the business rules need. Numbers written the usual way
(international, or national in a region whose trunk prefix is plain digits) are read here from
libphonenumber's own metadata; anything else goes to a full libphonenumber parse. The tests in
``tests/unit/test_phones.py`` compare both readings on thousands of numbers of every region.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import phonenumbers

from crm.core.i18n import _
from crm.core.text import digits


def normalize_phone(value: str | None, country: str | None = None) -> tuple[str | None, str | None]:
    """(E.164 phone or None, error or None). National numbers need the country."""
    value = (value or "").strip()
    if not value:
        return None, None
    region = (country or "").upper() or None
    candidate = value
    if region is None and not value.startswith("+") and not value.startswith("00"):
        return None, _("Phone '{value}' needs a country code (e.g. +62...) or a country.").format(value=value)
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    fast = _international(candidate) if candidate.startswith("+") else _national(candidate, region or "")
    if fast is not None:
        return fast, None
    try:
        parsed = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None, _("Phone '{value}' is not a phone number.").format(value=value)
    if not phonenumbers.is_possible_number(parsed):
        return None, _("Phone '{value}' has the wrong number of digits.").format(value=value)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None


def is_region(code: str) -> bool:
    """A two-letter region code that libphonenumber knows (and so a country a phone can belong to)."""
    return code in phonenumbers.SUPPORTED_REGIONS


def national_digits(phone: str | None) -> str | None:
    """The national significant number of an E.164 phone (no country code, no trunk 0), or None.

    E.164 country codes are prefix-free, so the code is the one of the first 1-3 digits that
    libphonenumber knows; no full parse is needed.
    """
    if not phone or not phone.startswith("+"):
        return None
    return _national_of(digits(phone))


def _national_of(d: str) -> str | None:
    for size in (1, 2, 3):
        if int(d[:size] or 0) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            rest = d[size:].lstrip("0")
            return rest or None
    return None


# ------------------------------------------------------- international numbers

_INTERNATIONAL_PHONE = re.compile(r"\+[1-9][0-9 ().-]{1,40}")


@functools.lru_cache(maxsize=None)
def _calling_code_rules(code: int) -> tuple[re.Pattern[str] | None, frozenset[int]]:
    """(national prefix pattern, national number lengths libphonenumber calls possible) for a calling code."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
        code, phonenumbers.region_code_for_country_code(code))
    prefix = metadata.national_prefix_for_parsing if metadata else None
    possible = frozenset(n for n in range(2, 18) if phonenumbers.is_possible_number(
        phonenumbers.PhoneNumber(country_code=code, national_number=int("1" + "0" * (n - 1)))))
    return (re.compile(prefix) if prefix else None), possible


def _international(value: str) -> str | None:
    """The E.164 form of a plainly written international number ("+62 812-3456 7890"), or None to
    let libphonenumber decide.

    libphonenumber's answer for such a number is "+", the calling code and the national number,
    when the number has a possible length and nothing that could be a national prefix or an
    Italian leading zero. Anything else (letters, extensions, a national prefix, an unknown code,
    an impossible length) goes to the library.
    """
    if _INTERNATIONAL_PHONE.fullmatch(value) is None or not value[-1].isdigit():
        return None
    number = digits(value)
    for size in (1, 2, 3):
        code = int(number[:size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = number[size:]
    if not national or national[0] == "0":
        return None
    prefix, possible = _calling_code_rules(code)
    if len(national) not in possible or (prefix is not None and prefix.match(national)):
        return None
    return f"+{number}"


# ---------------------------------------------------------- national numbers

_NATIONAL_PHONE = re.compile(r"[0-9(][0-9 ().-]{1,40}")


@dataclass(frozen=True)
class _RegionRules:
    """What libphonenumber consults to read a nationally written number of one region."""

    calling_code: str
    international_prefix: re.Pattern[str] | None
    national_prefix: str
    national_number: re.Pattern[str]
    lengths: tuple[int, ...]
    local_lengths: frozenset[int]

    def keeps_length(self, number: str) -> bool:
        """libphonenumber's length test gives neither too short, nor local-only, nor an invalid length."""
        n = len(number)
        if n in self.local_lengths or n < self.lengths[0]:
            return False
        return n == self.lengths[0] or n > self.lengths[-1] or n in self.lengths[1:]


@functools.lru_cache(maxsize=None)
def _region_rules(region: str) -> _RegionRules | None:
    """The rules of regions whose national prefix is plain digits ("0", "1", "8"), else None (the library decides)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.national_prefix_transform_rule:
        return None
    prefix = metadata.national_prefix_for_parsing or ""
    general = metadata.general_desc
    if (prefix and not prefix.isdigit()) or not general.national_number_pattern or not general.possible_length:
        return None
    idd = metadata.international_prefix
    return _RegionRules(str(metadata.country_code), re.compile(idd) if idd else None, prefix,
                        re.compile(general.national_number_pattern), tuple(general.possible_length),
                        frozenset(general.possible_length_local_only))


def _national(value: str, region: str) -> str | None:
    """The E.164 form of a number written nationally ("0812-3456-7890" in ID), or None to let libphonenumber decide.

    Follows libphonenumber's reading for the usual case: no international dialling prefix or
    calling code in front, a national prefix of plain digits that is dropped when the rest still
    looks like a number of the region, and no leading zero left.
    """
    if _NATIONAL_PHONE.fullmatch(value) is None or not value[-1].isdigit():
        return None
    rules = _region_rules(region)
    number = digits(value)
    if rules is None or len(number) < 3 or number.startswith(rules.calling_code):
        return None
    if rules.international_prefix is not None and rules.international_prefix.match(number):
        return None
    if rules.national_prefix and number.startswith(rules.national_prefix):
        rest = number[len(rules.national_prefix):]
        if rules.national_number.fullmatch(rest) or not rules.national_number.fullmatch(number):
            if rules.keeps_length(rest):
                number = rest
    if number[0] == "0":
        return None
    return _international(f"+{rules.calling_code}{number}")
