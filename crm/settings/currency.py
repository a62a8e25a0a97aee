"""The portal's currency: one admin setting (ISO 4217 code) used for every money amount on every screen."""
from __future__ import annotations

from babel.numbers import get_currency_name, is_currency, list_currencies
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import ValidationError
from crm.core.i18n import DEFAULT_CURRENCY, _, get_language, set_currency as use_currency
from db.models import Setting

KEY = "currency"


def load_currency(*, session: Session) -> str:
    """The stored currency code (the default when none was chosen): read by each entry point once per run."""
    row = session.get(Setting, KEY)
    code = str(row.value).upper() if row and row.value else DEFAULT_CURRENCY
    return code if is_currency(code) else DEFAULT_CURRENCY


def currency_for_page(actor: Actor, *, session: Session) -> str:
    require(actor, "settings.manage")
    return load_currency(session=session)


def currency_choices() -> dict[str, str]:
    """Every ISO 4217 code Babel knows -> its name in the current language, ordered by code."""
    lang = get_language()
    return {code: get_currency_name(code, locale=lang) for code in sorted(list_currencies())}


def set_currency(actor: Actor, code: str, *, session: Session) -> str:
    """Choose the portal's currency; every amount on every screen is shown in it from the next run on."""
    require(actor, "settings.manage")
    code = (code or "").strip().upper()
    if not is_currency(code):
        raise ValidationError({"currency": _("“{code}” is not an ISO 4217 currency code (for example EUR, IDR, "
                                             "BGN, PKR, USD).").format(code=code)})
    before = load_currency(session=session)
    session.merge(Setting(key=KEY, value=code))
    audit.record(session, actor, "update", "setting", KEY, before={"currency": before}, after={"currency": code})
    use_currency(code)
    return code
