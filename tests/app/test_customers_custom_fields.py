"""Customers page with custom fields: columns to choose (kept for the session), a filter per field, bulk edit."""
from __future__ import annotations

from sqlalchemy import select

from crm.core.access import Actor
from crm.core.database import session_scope
from crm.settings.field_values import set_values, values_of
from crm.settings.fields import add_field
from db.models import Customer
from tests.app.helpers import signed_in, texts

PAGE = "pages/customers.py"
ADMIN = Actor(None, "ada", "Ada Admin", "it", "admin")


def _branches(url: str) -> dict[str, int]:
    """A choice field 'Preferred branch' on the demo customers: the first three North, the next two South."""
    with session_scope(url) as session:
        add_field(ADMIN, "customers", {"en": "Preferred branch"}, "choice", choices=["North", "South"],
                  session=session)
        ids = list(session.scalars(select(Customer.id).where(Customer.archived_at.is_(None))
                                   .order_by(Customer.id).limit(5)))
        for i, cid in enumerate(ids):
            set_values(session, "customers", cid, {"preferred_branch": "north" if i < 3 else "south"})
        return {"north": ids[:3], "south": ids[3:]}  # type: ignore[dict-item]


def test_default_columns_fit_and_a_custom_field_column_can_be_added_and_is_kept(app_env) -> None:
    _branches(app_env)
    at = signed_in("sales", PAGE)
    assert not at.exception
    assert list(at.dataframe[0].value.columns) == ["Name", "Company", "Status", "Segment", "Owner", "Last contact",
                                                   "Lifetime revenue (USD)"]
    at.multiselect(key="cust_columns").select("custom.preferred_branch").run()
    assert "Preferred branch" in list(at.dataframe[0].value.columns)
    at.switch_page("pages/home.py").run()
    at.switch_page(PAGE).run()
    assert "Preferred branch" in list(at.dataframe[0].value.columns)


def test_filter_by_a_choice_field_shows_only_matching_customers(app_env) -> None:
    branches = _branches(app_env)
    at = signed_in("sales", PAGE)
    at.multiselect(key="cust_cf_preferred_branch").select("south").run()
    assert not at.exception
    assert "2 customers" in texts(at)
    at.multiselect(key="cust_columns").select("custom.preferred_branch").run()
    assert set(at.dataframe[0].value["Preferred branch"]) == {"South"}
    at.multiselect(key="cust_cf_preferred_branch").unselect("south").select("north").run()
    assert "3 customers" in texts(at)
    assert len(branches["north"]) == 3


def test_bulk_edit_sets_a_custom_field_on_the_selected_customers(app_env) -> None:
    branches = _branches(app_env)
    at = signed_in("sales", PAGE)
    at.multiselect(key="cust_cf_preferred_branch").select("south").run()
    bulk = next(m for m in at.multiselect if m.label == "Customers to change")
    bulk.set_value(list(bulk.options)).run()
    at.selectbox(key="cust_bulk_field").select("preferred_branch").run()
    at.selectbox(key="cust_bulk_value_preferred_branch").select("north").run()
    next(b for b in at.button if b.label == "Apply to selected").click().run()
    assert not at.exception
    assert "Changed 2 customers." in texts(at)
    with session_scope(app_env) as session:
        values = values_of(session, "customers", branches["south"])
    assert {v["preferred_branch"] for v in values.values()} == {"north"}


def test_a_saved_view_brings_back_its_columns_and_custom_field_filter(app_env) -> None:
    from crm.customers.saved_views import save_view
    from tests.conftest import make_actor

    _branches(app_env)
    with session_scope(app_env) as session:
        save_view(make_actor(session, "sales"), "South branch", {
            "columns": ["name", "owner", "custom.preferred_branch"],
            "custom": [{"code": "preferred_branch", "any_of": ["south"]}]}, session=session)
    at = signed_in("sales", PAGE)
    view = next(s for s in at.selectbox if s.label == "Saved view")
    view.select_index(0).run()
    next(b for b in at.button if b.label == "Apply view").click().run()
    assert not at.exception
    assert list(at.dataframe[0].value.columns) == ["Name", "Owner", "Preferred branch"]
    assert "2 customers" in texts(at)
    assert at.multiselect(key="cust_cf_preferred_branch").value == ["south"]


def test_every_type_has_a_filter_input_and_a_column(app_env) -> None:
    import datetime as dt

    with session_scope(app_env) as session:
        for label, type_ in (("Nickname", "text"), ("Story", "long_text"), ("Staff count", "number"),
                             ("Credit limit", "money"), ("Contract end", "date"), ("Key account", "yes_no"),
                             ("Billing e-mail", "email"), ("Website", "url")):
            add_field(ADMIN, "customers", {"en": label}, type_, session=session)
        add_field(ADMIN, "customers", {"en": "Interests"}, "multi_choice", choices=["Cloud", "Training"],
                  session=session)
        first = session.scalar(select(Customer.id).where(Customer.archived_at.is_(None)).order_by(Customer.id))
        set_values(session, "customers", first, {"staff_count": 12, "contract_end": dt.date(2027, 3, 31),
                                                 "key_account": True, "interests": ["cloud"], "nickname": "Ace"})
    at = signed_in("sales", PAGE)
    at.multiselect(key="cust_columns").set_value(["name", "custom.staff_count", "custom.contract_end",
                                                  "custom.key_account", "custom.interests"]).run()
    at.number_input(key="cust_cf_staff_count_from").set_value(10).run()
    at.date_input(key="cust_cf_contract_end_to").set_value(dt.date(2027, 12, 31)).run()
    at.selectbox(key="cust_cf_key_account").select("yes").run()
    at.multiselect(key="cust_cf_interests").select("cloud").run()
    at.text_input(key="cust_cf_nickname").input("ac").run()
    assert not at.exception
    assert "1 customer" in texts(at)
    row = at.dataframe[0].value.iloc[0]
    assert row["Staff count"] == 12 and row["Key account"] == "yes" and row["Interests"] == "Cloud"
    at.multiselect(key="cust_cf_empty").select("website").run()
    assert "1 customer" in texts(at)
    at.multiselect(key="cust_cf_empty").select("nickname").run()
    assert "0 customers" in texts(at)
