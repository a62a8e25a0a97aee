"""A user's time zone: saved with the account, and every date and time shown on that clock in the user's
language (tables, the audit log's file); none stays a raw value."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from crm.accounts.users import SYSTEM, actor_for, create_user, save_my_time_zone
from crm.core import audit
from crm.core.errors import ValidationError
from crm.core.i18n import date, set_time_zone, use_language, use_time_zone
from crm.core.i18n import datetime as _datetime
from db.models import AuditEvent

def datetime(value, style: str = "medium") -> str:  # type: ignore[no-untyped-def]
    """``crm.core.i18n.datetime`` with CLDR's narrow spaces (before AM/PM) written as plain ones."""
    return _datetime(value, style).replace("\u202f", " ")


LATE = dt.datetime(2026, 11, 17, 20, 59)  # UTC, as stored: already 18 November in Karachi (UTC+5)


@pytest.fixture(autouse=True)
def _utc_after_each_test():
    yield
    set_time_zone(None)


def _user(db, username: str = "dewi", role: str = "staff"):  # type: ignore[no-untyped-def]
    create_user(SYSTEM, username=username, full_name="Dewi Lestari", department="it", role=role,
                password="long enough pw", session=db)
    db.commit()
    return actor_for(username, session=db)


def test_a_chosen_time_zone_is_saved_with_the_account_and_audited(db) -> None:
    who = _user(db)
    assert who.time_zone is None  # until chosen: the browser's
    save_my_time_zone(who, "Asia/Karachi", session=db)
    db.commit()
    assert actor_for("dewi", session=db).time_zone == "Asia/Karachi"
    event = db.scalars(select(AuditEvent).where(AuditEvent.entity == "user").order_by(AuditEvent.id.desc())).first()
    assert event.before == {"time_zone": None} and event.after == {"time_zone": "Asia/Karachi"}
    save_my_time_zone(who, None, session=db)  # back to the browser's zone
    db.commit()
    assert actor_for("dewi", session=db).time_zone is None


def test_an_unknown_time_zone_is_refused(db) -> None:
    who = _user(db)
    with pytest.raises(ValidationError) as refused:
        save_my_time_zone(who, "Mars/Olympus_Mons", session=db)
    assert "time_zone" in refused.value.errors


def test_times_and_days_follow_the_users_zone_and_language() -> None:
    assert datetime(LATE, "short") == "11/17/26, 8:59 PM"  # UTC when no zone is chosen (command line)
    with use_time_zone("Asia/Karachi"):
        assert datetime(LATE, "short") == "11/18/26, 1:59 AM"
        assert date(LATE) == "Nov 18, 2026"  # the day it is on the user's clock
        assert datetime(LATE.replace(tzinfo=dt.timezone.utc), "short") == "11/18/26, 1:59 AM"  # PostgreSQL's kind
        with use_language("bg"):
            assert datetime(LATE, "short") == "18.11.26 г., 1:59"


@pytest.mark.parametrize("missing", [None, float("nan"), "", "  "])
def test_a_missing_date_is_shown_as_nothing(missing) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    assert datetime(missing) == "" and date(missing) == "" and datetime(pd.NaT) == "" and date(pd.NaT) == ""


def test_the_audit_log_file_gives_times_on_the_users_clock(db) -> None:
    admin = _user(db, "ada", "admin")
    audit.record(db, admin, "update", "user", 1, at=LATE)
    db.commit()
    with use_time_zone("Asia/Karachi"):
        data = audit.export_events_csv(admin, session=db)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    late = next(r for r in rows if r["action"] == "update" and r["entity_id"] == "1")
    assert late["at"].replace("\u202f", " ") == "Nov 18, 2026, 1:59:00 AM"
