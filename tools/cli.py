"""Command line: ``python -m crm COMMAND``. Every command migrates the database first."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from collections.abc import Sequence

from crm.core import config
from crm.core.database import ready, session_scope
from crm.core.errors import CRMError
from tools.commands import COMMANDS, command

def _no_args(_p: argparse.ArgumentParser) -> None:
    return None


@command("migrate", "upgrade the database to the newest schema", _no_args)
def cmd_migrate(_args: argparse.Namespace) -> int:
    url = ready()
    print(f"Database is at the newest schema: {_safe_url(url)}")
    return 0


def _seed_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--demo", action="store_true", help="demo accounts (password 'demo') and demo data")
    p.add_argument("--customers", type=int, metavar="N", help="add N customers with history")
    p.add_argument("--seed", type=int, default=42, help="random seed (deterministic output)")


@command("seed", "fill the database with demo data or N customers for scale tests", _seed_args)
def cmd_seed(args: argparse.Namespace) -> int:
    from tools import seed

    if not args.demo and not args.customers:
        print("Nothing to do: give --demo and/or --customers N.", file=sys.stderr)
        return 2
    if args.demo:
        with session_scope() as session:
            result = seed.seed_demo(session=session)
        print(f"Demo accounts created: {result.users}; customers added: {result.customers}")
    if args.customers:
        started = time.perf_counter()

        def progress(_what: str, done: int) -> None:
            rate = done / max(1e-9, time.perf_counter() - started)
            print(f"  {done:,} customers ({rate:,.0f}/s)", flush=True)

        from tools.seed_scale import BULK_FROM
        from db.bulk import sqlite_rollback_journal

        with sqlite_rollback_journal(config.database_url(), enabled=args.customers >= BULK_FROM), \
                session_scope() as session:
            result = seed.generate(args.customers, session=session, seed=args.seed, progress=progress)
        took = time.perf_counter() - started
        print(
            f"Added {result.customers:,} customers, {result.interactions:,} interactions, "
            f"{result.receipts:,} receipts ({result.receipt_lines:,} lines), {result.surveys:,} survey "
            f"answers in {took:.1f} s"
        )
    return 0


def _user_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("username")
    p.add_argument("--name", required=True, help="full name")
    p.add_argument("--department", default="it")
    p.add_argument("--role", default="admin")
    p.add_argument("--email")
    p.add_argument("--password-env", default="CRM_NEW_USER_PASSWORD",
                   help="environment variable holding the password (else it is asked for)")


@command("create-user", "create a user account (the first admin, for example)", _user_args)
def cmd_create_user(args: argparse.Namespace) -> int:
    from crm.accounts.users import SYSTEM, create_user

    password = os.environ.get(args.password_env)
    if not password:
        if not sys.stdin.isatty():
            print(f"No password: set {args.password_env} or run in a terminal.", file=sys.stderr)
            return 2
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat password: "):
            print("The passwords differ.", file=sys.stderr)
            return 2
    actor = SYSTEM.__class__(**{**SYSTEM.__dict__, "source": "cli"})
    with session_scope() as session:
        info = create_user(actor, username=args.username, full_name=args.name,
                           department=args.department, role=args.role, password=password,
                           email=args.email, session=session)
    print(f"Created user {info.username} ({info.department}, {info.role}).")
    return 0


def _safe_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m crm", description="CRM portal command line")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, configure, _fn) in COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _register_plugins()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        ready()
        _rights_in_force()
        return COMMANDS[args.command][2](args)
    except CRMError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except config.ConfigError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1


def _rights_in_force() -> None:
    """Administrators' grants and revocations, as the database holds them now."""
    from crm.settings.rights import refresh

    with session_scope() as session:
        refresh(session)


def _register_plugins() -> None:
    """The modules that add commands (import, export, bench) register themselves when imported."""
    import bench.cli  # noqa: F401
    import tools.cli_api_keys  # noqa: F401
    import tools.cli_config  # noqa: F401
    import tools.cli_data  # noqa: F401
    import tools.cli_fields  # noqa: F401
    import tools.cli_insights  # noqa: F401
    import tools.cli_rights  # noqa: F401
    import tools.cli_sync  # noqa: F401
    import tools.cli_webhooks  # noqa: F401
