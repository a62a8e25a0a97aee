"""The custom fields' definitions are read once per server and again on the next read after any change, made
here or by another server (crm/settings/definitions.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event

from crm.core.access import Actor
from crm.core.database import session_scope
from crm.settings import definitions
from crm.settings.fields import add_field, deactivate_field, list_fields
from crm.settings.list_admin import rename_value
from db.engine import get_engine

ROOT = Path(__file__).resolve().parents[2]
ADMIN = Actor(None, "ada", "Ada Admin", "it", "admin")
# another server: reads the definitions whenever it is sent a line, prints their codes and choices' English labels
OTHER_SERVER = """
import sys
from crm.core.database import session_scope
from crm.settings.fields import list_fields
for _line in sys.stdin:
    with session_scope(sys.argv[1]) as s:
        print(";".join(f.code + ":" + ",".join(c.labels.get("en", c.code) for c in f.choices)
                       for f in list_fields(s, "customers")), flush=True)
"""


@contextmanager
def reads_of_definitions(url: str) -> Iterator[list[str]]:
    """The SQL statements that read the custom_fields table while the block runs."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if "FROM custom_fields" in statement:
            seen.append(statement)

    engine = get_engine(url)
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _codes(url: str) -> list[str]:
    with session_scope(url) as s:
        return [f.code for f in list_fields(s, "customers")]


def test_the_definitions_are_read_once_until_they_change(db_url) -> None:
    definitions.forget()
    with session_scope(db_url) as s:
        add_field(ADMIN, "customers", {"en": "Branch"}, "choice", choices=["North", "South"], session=s)
    with reads_of_definitions(db_url) as reads:
        assert _codes(db_url) == ["branch"] and _codes(db_url) == ["branch"] and _codes(db_url) == ["branch"]
    assert len(reads) == 1
    with session_scope(db_url) as s:
        add_field(ADMIN, "customers", {"en": "Region"}, "text", session=s)
    with reads_of_definitions(db_url) as reads:
        assert _codes(db_url) == ["branch", "region"] and _codes(db_url) == ["branch", "region"]
    assert len(reads) == 1


def test_a_session_sees_its_own_change_and_a_rolled_back_one_is_never_kept(db_url) -> None:
    definitions.forget()
    assert _codes(db_url) == []
    with session_scope(db_url) as s:
        add_field(ADMIN, "customers", {"en": "Branch"}, "text", session=s)
        assert [f.code for f in list_fields(s, "customers")] == ["branch"]
        s.rollback()
    assert _codes(db_url) == []
    with session_scope(db_url) as s:
        field = add_field(ADMIN, "customers", {"en": "Tier"}, "text", session=s)
    assert _codes(db_url) == ["tier"]
    with session_scope(db_url) as s:
        deactivate_field(ADMIN, field.id, session=s)
    assert _codes(db_url) == []


def test_another_server_sees_a_new_field_and_a_renamed_choice_on_its_next_read(db_url) -> None:
    definitions.forget()
    with session_scope(db_url) as s:
        add_field(ADMIN, "customers", {"en": "Branch"}, "choice", choices=["North", "South"], session=s)
    other = subprocess.Popen([sys.executable, "-c", OTHER_SERVER, db_url], cwd=ROOT, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ})

    def other_reads() -> str:
        other.stdin.write("read\n")
        other.stdin.flush()
        return other.stdout.readline().strip()

    try:
        assert other_reads() == "branch:North,South"
        assert other_reads() == "branch:North,South"  # its own copy now
        with session_scope(db_url) as s:
            field = list_fields(s, "customers")[0]
            list_code = field.options["list_code"]
            north = next(c.code for c in field.choices if c.labels.get("en") == "North")
            rename_value(ADMIN, list_code, north, {"en": "Northern"}, session=s)
        assert other_reads() == "branch:Northern,South"
        with session_scope(db_url) as s:
            add_field(ADMIN, "customers", {"en": "Region"}, "text", session=s)
        assert other_reads() == "branch:Northern,South;region:"
    finally:
        other.stdin.close()
        other.wait(timeout=60)


def test_a_session_bound_to_a_connection_reads_the_definitions_too(db_url) -> None:
    from sqlalchemy.orm import Session

    with session_scope(db_url) as s:
        add_field(ADMIN, "customers", {"en": "Branch"}, "text", session=s)
    with get_engine(db_url).connect() as conn:
        session = Session(bind=conn)
        assert [f.code for f in list_fields(session, "customers")] == ["branch"]
        session.close()
