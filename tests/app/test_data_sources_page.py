"""Data sources page: a manager registers a departmental database, maps its columns, previews and syncs it;
the password is never shown back; staff cannot open the page."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.core.database import session_scope
from crm.importing import sources
from db.models import DataSource, Product
from tests.app.helpers import button, signed_in, texts
from tests.conftest import make_actor

PAGE = "pages/data_sources.py"


@pytest.fixture
def shop_file(tmp_path: Path) -> Path:
    path = tmp_path / "shop.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE stock (item_code TEXT, description TEXT, product_group TEXT, unit_price NUMERIC, "
                     "on_hand INTEGER, changed INTEGER)")
        conn.executemany("INSERT INTO stock VALUES (?, ?, ?, ?, ?, ?)",
                         [("P-1", "Kopi", "Coffee", 12.5, 10, 1), ("P-2", "Teh", "Tea", 4, 30, 2)])
    return path


def test_a_manager_adds_a_source_maps_it_and_syncs_it(app_env, shop_file: Path) -> None:
    at = signed_in("salesmgr", PAGE)
    assert not at.exception and "No data sources yet." in texts(at)
    at.text_input(key="src_name").input("shop")
    at.selectbox(key="src_kind").set_value("products")
    at.text_input(key="src_url").input(f"sqlite:///{shop_file}")
    at.text_area(key="src_query").input("stock")
    at.text_input(key="src_change").input("changed")
    button(at, "Test connection").click().run()
    assert not at.exception and "Connected: 2 rows." in texts(at)
    assert at.selectbox(key="src_map_products_sku").value == 0  # item_code, recognised as the SKU
    button(at, "Save source").click().run()
    assert not at.exception and "shop saved" in texts(at)
    button(at, "Preview").click().run()
    assert not at.exception
    assert list(at.dataframe[-1].value["SKU"]) == ["P-1", "P-2"]
    button(at, "Sync now").click().run()
    assert not at.exception and "Report: shop" in texts(at)
    assert [m.value for m in at.metric][:1] == ["2"]
    with session_scope(app_env) as session:
        assert session.scalar(select(func.count()).select_from(Product).where(Product.sku.in_(["P-1", "P-2"]))) == 2
        assert session.scalar(select(DataSource.change_mark)) == "int:2"


def test_the_password_of_a_source_is_never_shown(app_env) -> None:
    secret = "Pa55-Never-Shown"
    with session_scope(app_env) as session:
        sources.register_source(make_actor(session, "salesmgr"), name="ledger", kind="products",
                                url=f"postgresql+psycopg://reader:{secret}@127.0.0.1:1/ledger", query="items",
                                mapping={"sku": "code", "name": "title"}, session=session)
    at = signed_in("salesmgr", PAGE)
    button(at, "Test connection").click().run()
    assert not at.exception
    shown = texts(at) + "".join(df.value.to_csv() for df in at.dataframe)
    assert "cannot be reached" in shown and "reader:***@127.0.0.1:1/ledger" in shown
    assert secret not in shown


@pytest.mark.parametrize("username", ["sales", "support", "sponsor"])
def test_staff_cannot_open_data_sources(app_env, username: str) -> None:
    at = signed_in(username)
    with pytest.raises(ValueError):
        at.switch_page(PAGE)
