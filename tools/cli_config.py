"""`python -m crm config export|import`: the portal's configuration (fields, lists, templates, rights) as a file.

YAML or JSON by the file's extension. ``import`` checks the whole file first, prints what would change, and
(unless ``--dry-run``) applies every section in one transaction: nothing is half-applied.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crm.core.database import session_scope
from crm.core.errors import ValidationError
from crm.settings.config_file import dumps, export_config, import_config, loads
from tools.cli_api_keys import OPERATOR
from tools.commands import command


def _args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = sub.add_parser("export", help="write the configuration to FILE (.yaml, .yml or .json)")
    export.add_argument("--out", required=True, metavar="FILE")
    load = sub.add_parser("import", help="show what FILE would change, then apply it (all or nothing)")
    load.add_argument("file", metavar="FILE")
    load.add_argument("--dry-run", action="store_true", help="only show what would change")


@command("config", "export or import the portal's configuration as a YAML or JSON file", _args)
def cmd_config(args: argparse.Namespace) -> int:
    try:
        if args.action == "export":
            with session_scope() as session:
                data = export_config(OPERATOR, session=session)
            text = dumps(data, args.out)
            Path(args.out).write_text(text, encoding="utf-8")
            sections = [k for k in data if k not in ("format_version", "portal")]
            print(f"Wrote the configuration ({', '.join(sections) or 'no sections'}) to {args.out}.")
            return 0
        data = loads(Path(args.file).read_text(encoding="utf-8"), args.file)
        with session_scope() as session:
            changes = import_config(OPERATOR, data, dry_run=args.dry_run, session=session)
    except ValidationError as exc:
        print("Error: nothing was imported. Please correct:", file=sys.stderr)
        for problem in exc.errors.values():
            print(f"  - {problem}", file=sys.stderr)
        return 1
    if not changes:
        print("Nothing to change: the configuration already matches the file.")
        return 0
    for change in changes:
        print(f"{change.section}: {change.description}")
    print("Dry run: nothing was changed." if args.dry_run else f"Applied {len(changes)} change(s).")
    return 0
