"""`python -m crm rights grant|revoke|reset|list`: administrators' rights from the command line.

A change prints who gains or loses what (by name), then applies it; every server holds it from its next
request. The operator acts as the portal itself (audited as "cli").
"""
from __future__ import annotations

import argparse
import sys

from crm.core.access import ANY
from crm.core.database import session_scope
from crm.core.errors import ValidationError
from crm.settings import rights
from tools.cli_api_keys import OPERATOR
from tools.commands import command

ACTIONS = {"grant": rights.grant, "revoke": rights.revoke, "reset": rights.reset}


def _args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, help_text in (("grant", "give CAPABILITY to ROLE (in DEPT, else in every department)"),
                            ("revoke", "take CAPABILITY from ROLE (in DEPT, else in every department)"),
                            ("reset", "back to the built-in table for ROLE (in DEPT, else every entry of the role)")):
        action = sub.add_parser(name, help=help_text)
        action.add_argument("capability")
        action.add_argument("--role", required=True)
        action.add_argument("--department", default=ANY, help="a department code; default * (every department)")
    sub.add_parser("list", help="the grants and revocations in force over the built-in table")


@command("rights", "grant or revoke a capability per role and department (prints who gains or loses what)", _args)
def cmd_rights(args: argparse.Namespace) -> int:
    with session_scope() as session:
        if args.action == "list":
            entries = rights.list_overrides(OPERATOR, session=session)
            if not entries:
                print("No grants or revocations: the built-in table is in force.")
            for entry in entries:
                print(rights.describe(entry))
            return 0
        try:
            preview = ACTIONS[args.action](OPERATOR, args.capability, args.role, args.department, session=session)
        except ValidationError as exc:
            for problem in exc.errors.values():
                print(f"Error: {problem}", file=sys.stderr)
            return 1
    for user in preview.users:
        print(rights.describe_user(user))
    if not preview.users:
        print("No active user account gains or loses anything.")
    done = {"grant": "Granted", "revoke": "Revoked", "reset": "Back to the built-in table:"}[args.action]
    print(f"{done} {args.capability} for {rights.where(args.role, args.department)}; "
          "every server applies it from its next request.")
    return 0
