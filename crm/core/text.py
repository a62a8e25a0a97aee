"""Text folding for search: case, accents, spacing and script variants.

``fold("  José   ÁLVAREZ ")`` -> ``"jose alvarez"``; Cyrillic and Urdu/Arabic
keep their script, with diacritics and letter variants unified.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

import phonenumbers

# Arabic-script letter variants that users type interchangeably (Urdu keyboards
# produce the first of each pair, Arabic keyboards the second).
_ARABIC_VARIANTS = str.maketrans(
    {
        "ي": "ی",  # ARABIC YEH -> FARSI YEH
        "ى": "ی",  # ALEF MAKSURA
        "ك": "ک",  # ARABIC KAF -> KEHEH
        "ه": "ہ",  # HEH -> HEH GOAL
        "ة": "ہ",  # TEH MARBUTA
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ۃ": "ہ",
        "ـ": "",  # tatweel
    }
)
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SPECIAL = str.maketrans({"ß": "ss", "ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "ı": "i"})


def fold(text: str | None) -> str:
    """Lower case, accents removed, Arabic variants unified, spaces collapsed."""
    if not text:
        return ""
    if text.isascii():  # nothing to decompose, strip or unify: the common case, ten times faster
        return _SPACES.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.translate(_SPECIAL).translate(_ARABIC_VARIANTS)
    return _SPACES.sub(" ", unicodedata.normalize("NFC", stripped)).strip()


def words(text: str | None) -> list[str]:
    """Folded words of ``text`` (letters and digits only)."""
    return _WORD.findall(fold(text))


_NOT_DIGIT = re.compile(r"\D+")


def digits(text: str | None) -> str:
    """The decimal digits of ``text`` (any script's), in order."""
    return _NOT_DIGIT.sub("", text or "")


def national_digits(phone: str | None) -> str | None:
    """The national significant number of an E.164 phone (no country code, no trunk 0), or None.

    E.164 country codes are prefix-free, so the code is the one of the first 1-3 digits that
    libphonenumber knows; this avoids a full parse (about 75 µs) per phone on imports and seeds.
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


def search_tokens(
    name: str | None, company: str | None, email: str | None, phone: str | None
) -> set[str]:
    """Everything the search box should find a customer by, as prefix-searchable tokens."""
    return search_tokens_of_keys(fold(name), fold(company), fold(email), digits(phone), phone)


def search_tokens_of_keys(name_key: str | None, company_key: str | None, email_key: str | None,
                          phone_digits: str | None, phone: str | None) -> set[str]:
    """``search_tokens`` from a customer's folded keys (see ``contact_data.search_keys``), without folding again."""
    tokens: set[str] = set(_WORD.findall(f"{name_key or ''} {company_key or ''}"))
    if email_key:
        tokens.add(email_key)
        tokens.update(words(email_key.split("@", 1)[0]))
    if phone_digits:
        tokens.add(phone_digits)
        national = _national_of(phone_digits) if phone and phone.startswith("+") else None
        if national:
            tokens.add(national)  # found when typed without the country code
    return {t[:120] for t in tokens if t}


class SimilarNames:
    """Names to compare a new name with (e.g. everyone at one company), each with a reference.

    ``find`` answers like asking ``similar_names`` of each in turn (first match wins), but buckets
    the names by their digits (names whose numbers differ never match) and scores a bucket in one
    rapidfuzz call (C), instead of a Python loop over thousands of names at a busy company.
    """

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[list[str], list[Any]]] = {}

    def add(self, name: str, ref: Any) -> None:
        names, refs = self._buckets.setdefault(digits(name), ([], []))
        names.append(name)
        refs.append(ref)

    def find(self, name: str, threshold: int = 90) -> Any | None:
        from rapidfuzz import fuzz, process

        bucket = self._buckets.get(digits(name))
        if not bucket:
            return None
        names, refs = bucket
        hits = process.extract(name, names, scorer=fuzz.token_sort_ratio, score_cutoff=threshold, limit=None)
        return refs[min(index for _match, _score, index in hits)] if hits else None


def similar_names(a: str, b: str, threshold: int = 90) -> bool:
    """Very similar folded names (word order and small typos ignored), but never names whose
    numbers differ ("Person 123" is not "Person 1234")."""
    from rapidfuzz import fuzz

    if digits(a) != digits(b):
        return False
    return fuzz.token_sort_ratio(a, b) >= threshold
