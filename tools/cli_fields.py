"""`python -m crm fields add|list`: define custom fields on customers and interactions from a script."""
from __future__ import annotations

import argparse

from crm.accounts.users import SYSTEM
from crm.core.database import session_scope
from crm.core.i18n import label
from crm.settings.field_types import ENTITIES, TYPES
from crm.settings.fields import add_field, list_fields
from tools.commands import command

OPERATOR = SYSTEM.__class__(**{**SYSTEM.__dict__, "source": "cli"})


def _fields_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add a custom field")
    add.add_argument("entity", choices=list(ENTITIES))
    add.add_argument("label", help="the field's English label (its code is made from it)")
    add.add_argument("--type", required=True, choices=list(TYPES), dest="field_type")
    add.add_argument("--options", help='choices of a choice field, comma-separated: "North,South,East"')
    add.add_argument("--required", action="store_true", help="a value is required")
    add.add_argument("--default", metavar="VALUE",
                     help="with --required: the value written to the records that already exist")
    add.add_argument("--help-text", metavar="TEXT", help="help shown under the field (English)")
    add.add_argument("--min", help="number: smallest value allowed")
    add.add_argument("--max", help="number: largest value allowed")
    add.add_argument("--decimals", help="number: decimal places allowed")
    lst = sub.add_parser("list", help="list the custom fields")
    lst.add_argument("entity", nargs="?", choices=list(ENTITIES))
    lst.add_argument("--all", action="store_true", help="include deactivated fields")


@command("fields", "add or list custom fields (customers, interactions)", _fields_args)
def cmd_fields(args: argparse.Namespace) -> int:
    with session_scope() as session:
        if args.action == "add":
            choices = [c.strip() for c in (args.options or "").split(",") if c.strip()]
            options = {k: getattr(args, k) for k in ("min", "max", "decimals") if getattr(args, k) is not None}
            f = add_field(OPERATOR, args.entity, {"en": args.label}, args.field_type, required=args.required,
                          help={"en": args.help_text} if args.help_text else None, options=options,
                          choices=choices, default_for_existing=args.default, session=session)
            print(f"Added field {f.entity}.{f.code} ({f.type}{', required' if f.required else ''}).")
            return 0
        for entity in [args.entity] if args.entity else list(ENTITIES):
            for f in list_fields(session, entity, include_inactive=args.all):
                extra = [label(TYPES, f.type)]
                if f.required:
                    extra.append("required")
                if not f.active:
                    extra.append("inactive")
                if f.choices:
                    extra.append("choices: " + ", ".join(c.code for c in f.offered))
                print(f"{f.entity}.{f.code}\t{f.labels.get('en', '')}\t{'; '.join(extra)}")
    return 0
