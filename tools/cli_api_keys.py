"""`python -m crm api-key create|list|revoke`: the API keys of other systems, made by an operator on the server.

``create`` prints the secret alone on its last line (shown once, stored only as a hash), so a script can take it
with ``tail -n 1``. The operator acts as the portal itself (audited as "cli").
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt

from crm.accounts.api_keys import create_key, list_keys, revoke_key
from crm.accounts.users import SYSTEM
from crm.core.database import session_scope
from crm.core.errors import ValidationError
from tools.commands import command

OPERATOR = dataclasses.replace(SYSTEM, username="cli", full_name="Command line", source="cli")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="make a key acting as USER (the secret is printed once, last line)")
    create.add_argument("name", help="the key's name (e.g. the system that uses it: shop, helpdesk)")
    create.add_argument("--user", required=True, help="the integration user the key acts as")
    create.add_argument("--capability", action="append", dest="capabilities", metavar="C",
                        help="narrow the key to this capability of the user (repeatable; default: all of them)")
    create.add_argument("--expires", type=_date, metavar="YYYY-MM-DD", help="last day the key works")
    create.add_argument("--rate", type=int, default=600, help="requests per minute (per server; default 600)")
    sub.add_parser("list", help="every key with its user, rights, expiry and last use")
    revoke = sub.add_parser("revoke", help="refuse the key from now on, on every server")
    revoke.add_argument("name")


def _when(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return "-"
    return value.strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, dt.datetime) else value.isoformat()


@command("api-key", "create, list or revoke the API keys other systems call the HTTP API with", _args)
def cmd_api_key(args: argparse.Namespace) -> int:
    with session_scope() as session:
        if args.action == "create":
            try:
                info, secret = create_key(OPERATOR, args.name, args.user, args.capabilities, args.expires,
                                          rate_per_minute=args.rate, session=session)
            except ValidationError as exc:
                for field, problem in exc.errors.items():
                    print(f"Error: {field}: {problem}", file=__import__("sys").stderr)
                return 1
            rights = ", ".join(info.capabilities) if info.capabilities is not None else "all of the user's"
            print(f"Created API key {info.name} for {info.username} ({rights}; expires {_when(info.expires_on)}).")
            print("The secret is shown this once; send it as 'Authorization: Bearer SECRET':")
            print(secret)
            return 0
        if args.action == "list":
            keys = list_keys(OPERATOR, session=session)
            if not keys:
                print("No API keys.")
            for k in keys:
                state = "revoked " + _when(k.revoked_at) if k.revoked_at else (
                    "expired" if not k.active_on(dt.date.today()) else "active")
                rights = ",".join(k.capabilities) if k.capabilities is not None else "all"
                print(f"{k.name}\tuser={k.username}\t{state}\tcapabilities={rights}\texpires={_when(k.expires_on)}"
                      f"\tlast used={_when(k.last_used_at)}\trate={k.rate_per_minute}/min")
            return 0
        info = revoke_key(OPERATOR, args.name, session=session)
        print(f"Revoked API key {info.name} ({_when(info.revoked_at)}).")
        return 0
