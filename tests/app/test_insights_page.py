"""Insights page per role."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crm.core.access import require
from crm.insights import figures
from tests.app.helpers import signed_in

PAGE = Path(__file__).resolve().parents[2] / "pages" / "insights.py"


@pytest.mark.parametrize("username", ["marketing", "salesmgr", "sponsor", "budget"])
def test_insights_render_for_allowed_roles_with_kpis_and_downloads(app_env, username: str) -> None:
    at = signed_in(username, "pages/insights.py")
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric]
    assert labels[:5] == ["New customers", "Revenue", "Margin", "Repeat-purchase rate", "NPS"]
    assert [t.label for t in at.tabs][:5] == ["Trends", "Customer groups", "Why customers choose us", "Sales",
                                              "Lifetime value"]
    revenue = float(at.metric[1].value.replace(",", "").lstrip("$"))
    assert revenue > 0


def test_segment_filter_changes_the_kpis(app_env) -> None:
    at = signed_in("marketing", "pages/insights.py")
    total = float(at.metric[1].value.replace(",", "").lstrip("$"))
    at.selectbox[0].select("SMB").run()
    smb = float(at.metric[1].value.replace(",", "").lstrip("$"))
    assert 0 < smb < total


@pytest.mark.parametrize("username", ["service", "support", "training", "it"])
def test_roles_without_insights_cannot_open_the_page(app_env, username: str) -> None:
    with pytest.raises(ValueError):
        signed_in(username).switch_page("pages/insights.py")


def open_tab(at, label: str):  # noqa: ANN001, ANN201
    """Click a tab: AppTest has no click for tabs, so set the tab's state as the click would."""
    at.session_state["insights_tab"] = label
    return at.run()


def test_only_the_open_tab_is_computed_and_every_tab_opens(app_env) -> None:
    at = signed_in("marketing", "pages/insights.py")
    assert at.session_state["insights_tab"] == "Trends"
    assert not at.radio  # the "Group by" choice lives on the Customer groups tab, not computed yet
    open_tab(at, "Customer groups")
    assert not at.exception, at.exception
    assert [r.label for r in at.radio] == ["Group by"]
    for label in ("Why customers choose us", "Sales", "Lifetime value", "Survey answers", "Trends"):
        open_tab(at, label)
        assert not at.exception, (label, at.exception)
    assert not at.radio


@pytest.mark.parametrize("language", ["bg", "ur", "id"])
def test_insights_render_in_other_languages(app_env, language: str) -> None:
    at = signed_in("marketing", "pages/insights.py", language=language)
    assert not at.exception, at.exception
    assert len(at.metric) >= 5 and len(at.tabs) >= 5
    open_tab(at, at.tabs[1].label)
    at.radio[0].set_value("country").run()
    assert not at.exception, at.exception


def test_every_figure_is_read_as_the_signed_in_user(app_env, monkeypatch) -> None:
    """The services check the sponsor's own right on every run, cached figures included; the page never
    makes up a user of its own."""
    readers: list[tuple[str, str]] = []

    def recording(actor: Any, capability: str) -> Any:
        readers.append((actor.username, capability))
        return require(actor, capability)

    monkeypatch.setattr(figures, "require", recording)
    at = signed_in("sponsor", "pages/insights.py")
    assert not at.exception, at.exception
    assert [m.label for m in at.metric][:5] == ["New customers", "Revenue", "Margin", "Repeat-purchase rate", "NPS"]
    first_run = len(readers)
    at.run()  # the figures now come from the shared cache: still checked, as the same user
    assert first_run >= 5 and len(readers) == 2 * first_run
    assert set(readers) == {("sponsor", "insights.read")}
    assert "Actor(" not in PAGE.read_text(encoding="utf-8")


def test_lifetime_value_and_survey_tabs_show_their_figures(app_env) -> None:
    at = open_tab(signed_in("marketing", "pages/insights.py"), "Lifetime value")
    assert not at.exception, at.exception
    shown = {m.label: float(m.value.replace(",", "").lstrip("$")) for m in at.metric
             if m.label in ("Customers who bought", "Lifetime revenue", "Average revenue per customer")}
    buyers, revenue = shown["Customers who bought"], shown["Lifetime revenue"]
    assert buyers > 0 and revenue > 0
    assert abs(shown["Average revenue per customer"] - revenue / buyers) < 1
    assert list(at.dataframe[0].value.columns[:2]) == ["Customer", "Company"]
    open_tab(at, "Why customers choose us")
    assert not at.exception, at.exception
    themes = at.dataframe[0].value
    assert list(themes.columns) == ["Word", "Mentions"] and len(themes) > 0


def test_the_sales_tab_shows_the_sales_per_month_that_the_command_line_prints(app_env) -> None:
    at = open_tab(signed_in("budget", "pages/insights.py"), "Sales")
    assert not at.exception, at.exception
    monthly = [d.value for d in at.dataframe
               if list(d.value.columns) == ["Month", "Receipts", "Units", "Revenue", "Cost", "Margin",
                                            "Active customers"]]
    assert len(monthly) == 1 and monthly[0]["Receipts"].sum() > 0
