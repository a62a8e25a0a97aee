"""Text folding for search: case, accents, spacing and script variants.

``fold("  José   ÁLVAREZ ")`` -> ``"jose alvarez"``; Cyrillic and Urdu/Arabic
keep their script, with diacritics and letter variants unified.
"""
from __future__ import annotations

import re
import unicodedata

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
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.translate(_SPECIAL).translate(_ARABIC_VARIANTS)
    return _SPACES.sub(" ", unicodedata.normalize("NFC", stripped)).strip()


def words(text: str | None) -> list[str]:
    """Folded words of ``text`` (letters and digits only)."""
    return _WORD.findall(fold(text))


def digits(text: str | None) -> str:
    return "".join(ch for ch in (text or "") if ch.isdigit())


def national_digits(phone: str | None) -> str | None:
    """The national significant number of an international phone (no trunk 0), or None."""
    if not phone or not phone.startswith("+"):
        return None
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    return str(parsed.national_number) or None


def search_tokens(
    name: str | None, company: str | None, email: str | None, phone: str | None
) -> set[str]:
    """Everything the search box should find a customer by, as prefix-searchable tokens."""
    tokens: set[str] = set(words(name)) | set(words(company))
    if email:
        e = fold(email)
        tokens.add(e)
        tokens.update(words(e.split("@", 1)[0]))
    phone_digits = digits(phone)
    if phone_digits:
        tokens.add(phone_digits)
        national = national_digits(phone)
        if national:
            tokens.add(national)  # found when typed without the country code
    return {t[:120] for t in tokens if t}


def similar_names(a: str, b: str, threshold: int = 90) -> bool:
    """Very similar folded names (word order and small typos ignored), but never names whose
    numbers differ ("Person 123" is not "Person 1234")."""
    from rapidfuzz import fuzz

    if digits(a) != digits(b):
        return False
    return fuzz.token_sort_ratio(a, b) >= threshold
