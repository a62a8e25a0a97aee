"""Text folding for search: case, accents, spacing and script variants.

``fold("  José   ÁLVAREZ ")`` -> ``"jose alvarez"``; Cyrillic and Urdu/Arabic
keep their script, with diacritics and letter variants unified.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

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
    if text.isascii():  # nothing to decompose, strip or unify: the common case, done without unicodedata
        return _SPACES.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.translate(_SPECIAL).translate(_ARABIC_VARIANTS)
    return _SPACES.sub(" ", unicodedata.normalize("NFC", stripped)).strip()


def words(text: str | None) -> list[str]:
    """Folded words of ``text`` (letters and digits only)."""
    return _WORD.findall(fold(text))


def folded_words(folded: str | None) -> list[str]:
    """The words of text that is already folded (``fold(folded) == folded``), without folding it again."""
    return _WORD.findall(folded or "")


_NOT_DIGIT = re.compile(r"\D+")


def digits(text: str | None) -> str:
    """The decimal digits of ``text`` (any script's), in order."""
    return _NOT_DIGIT.sub("", text or "")


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
