"""`python -m crm import customers FILE --user U` and `python -m crm export customers --user U --out F`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.commands import command
from crm.core.database import session_scope
from crm.core.errors import CRMError
from crm.core.i18n import _
from crm.customers.importing import ON_DUPLICATE, export_customers, run_import
from crm.accounts.users import actor_for


def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=["customers"])
    p.add_argument("file")
    p.add_argument("--user", required=True, help="the account the import is done as (needs data.import)")
    p.add_argument("--report", help="write the per-row report to this CSV file")
    p.add_argument("--on-duplicate", choices=list(ON_DUPLICATE), default="skip")


def _actor(username: str, session):  # type: ignore[no-untyped-def]
    who = actor_for(username, session=session, source="cli")
    if who is None:
        raise CRMError(_("No active user named {name}.").format(name=repr(username)))
    return who


@command("import", "import customers from a CSV or Excel file", _import_args)
def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"Error: cannot read {path}: no such file.", file=sys.stderr)
        return 1
    with session_scope() as session:
        who = _actor(args.user, session)
        report = run_import(who, path.name, path.read_bytes(), on_duplicate=args.on_duplicate, session=session)
    counts = report.counts
    print(f"Import of {path.name} (batch {report.batch_id}): "
          + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
    for r in report.rows:
        if r.outcome in ("rejected", "possible_duplicate"):  # the rows someone has to look at
            print(f"  row {r.row}: {r.outcome.replace('_', ' ')}: {r.reasons}")
    if args.report:
        Path(args.report).write_bytes(report.as_csv())
        print(f"Report written to {args.report}")
    return 0


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=["customers"])
    p.add_argument("--user", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--third-party", action="store_true",
                   help="only customers who consented to sharing with third parties")


@command("export", "export customers to CSV (formula-safe, consent-aware)", _export_args)
def cmd_export(args: argparse.Namespace) -> int:
    with session_scope() as session:
        who = _actor(args.user, session)
        export = export_customers(who, third_party=args.third_party, session=session)
    Path(args.out).write_bytes(export.csv())
    extra = f"; {export.left_out} left out for lack of consent" if args.third_party else ""
    print(f"Exported {export.included} customers to {args.out}{extra}")
    return 0
