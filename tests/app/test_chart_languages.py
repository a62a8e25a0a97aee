"""The charts of the pages name their months in the user's language, and read from the right in Urdu."""
from __future__ import annotations

import json
import re

import pytest
from babel import Locale

from tests.app.helpers import signed_in

LANGUAGES = ("en", "id", "bg", "ur")


def month_names(language: str) -> set[str]:
    names = Locale.parse(language).months
    return {n for context in ("format", "stand-alone") for width in ("abbreviated", "wide")
            for n in names[context][width].values()}


def charts(at) -> list[dict]:  # type: ignore[no-untyped-def]
    """The Vega-Lite specification of every chart on the screen (AppTest knows charts only as elements)."""
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_checklist_timeline_names_its_months_in_the_users_language(app_env, language: str) -> None:
    at = signed_in("admin", "pages/checklist.py", language=language)
    assert not at.exception
    (timeline,) = charts(at)
    assert timeline["encoding"]["x"]["type"] == "temporal"
    months = timeline["config"]["locale"]["time"]["months"]
    assert months == [Locale.parse(language).months["format"]["wide"][m] for m in range(1, 13)]
    # the time axis runs from the right in Urdu only
    assert timeline["encoding"]["x"].get("scale", {}).get("reverse", False) is (language == "ur")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_insights_months_are_named_in_the_users_language_in_calendar_order(app_env, language: str) -> None:
    at = signed_in("admin", "pages/insights.py", language=language)
    assert not at.exception
    trends = charts(at)[0]
    months = trends["encoding"]["x"]["sort"]  # the month labels, in the order of the axis
    assert len(months) >= 6
    # 'Des 2026' -> 'Des'; Bulgarian writes a month of a year in figures ('03.2026 г.', CLDR's yMMM): no name
    words = {re.sub(r"[\d\s،,.]+|г\.", " ", m).strip() for m in months} - {""}
    assert words <= month_names(language), (words, language)
    if language in ("id", "ur"):
        assert words - month_names("en")  # not English that happens to match
    assert trends["encoding"]["x"].get("scale", {}).get("reverse", False) is (language == "ur")
    assert trends["encoding"]["y"].get("axis", {}).get("orient") == ("right" if language == "ur" else None)
