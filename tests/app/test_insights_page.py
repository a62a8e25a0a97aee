"""Insights page per role."""
from __future__ import annotations

import pytest


from tests.app.helpers import signed_in


@pytest.mark.parametrize("username", ["marketing", "salesmgr", "sponsor", "budget"])
def test_insights_render_for_allowed_roles_with_kpis_and_downloads(app_env, username: str) -> None:
    at = signed_in(username, "pages/insights.py")
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric]
    assert labels[:5] == ["New customers", "Revenue", "Margin", "Repeat-purchase rate", "NPS"]
    assert [t.label for t in at.tabs][:5] == ["Trends", "Customer groups", "Why customers choose us", "Sales",
                                              "Lifetime value"]
    revenue = float(at.metric[1].value.replace(",", ""))
    assert revenue > 0


def test_segment_filter_changes_the_kpis(app_env) -> None:
    at = signed_in("marketing", "pages/insights.py")
    total = float(at.metric[1].value.replace(",", ""))
    at.selectbox[0].select("SMB").run()
    smb = float(at.metric[1].value.replace(",", ""))
    assert 0 < smb < total


@pytest.mark.parametrize("username", ["service", "support", "training", "it"])
def test_roles_without_insights_cannot_open_the_page(app_env, username: str) -> None:
    with pytest.raises(ValueError):
        signed_in(username).switch_page("pages/insights.py")


@pytest.mark.parametrize("language", ["bg", "ur", "id"])
def test_insights_render_in_other_languages(app_env, language: str) -> None:
    at = signed_in("marketing", "pages/insights.py", language=language)
    assert not at.exception, at.exception
    assert len(at.metric) >= 5 and len(at.tabs) >= 5
    at.radio[0].set_value("country").run()
    assert not at.exception, at.exception
