"""Wide tables show the columns that fit and let the user pick more; Home's figures keep short labels."""
from __future__ import annotations

from tests.app.helpers import signed_in


def test_requirements_show_the_goal_and_let_the_user_add_columns(app_env) -> None:
    at = signed_in("it", "pages/requirements.py")
    assert not at.exception
    shown = list(at.dataframe[0].value.columns)
    assert shown == ["Kind", "Requirement", "Priority", "Status", "Company goal", "Estimated cost"]
    at.multiselect(key="requirements_columns").select("Budget line").run()
    assert list(at.dataframe[0].value.columns)[-1] == "Budget line"


def test_budget_lines_show_plan_and_actual_quarters_first(app_env) -> None:
    at = signed_in("salesmgr", "pages/budget.py")
    assert not at.exception
    lines = next(d.value for d in at.dataframe if "Description" in d.value.columns)
    assert list(lines.columns) == ["Description", "Plan Q1", "Plan Q2", "Plan Q3", "Plan Q4", "Actual Q1",
                                   "Actual Q2", "Actual Q3", "Actual Q4"]
    at.multiselect(key="budget_lines_columns").select("Goal").run()
    lines = next(d.value for d in at.dataframe if "Description" in d.value.columns)
    assert "Goal" in lines.columns


def test_home_figures_have_labels_that_fit_and_say_the_rest_in_their_help(app_env) -> None:
    at = signed_in("sales")
    assert not at.exception
    assert all(len(m.label) <= 22 for m in at.metric), [m.label for m in at.metric]
    department = next(m for m in at.metric if m.label == "Interactions, 30 days")
    assert department.help == "Interactions by my department, last 30 days"
