"""`python -m crm sync [SOURCE] [--user U] [--all] [--dry-run]`: the syncs of departmental databases that are due,
for cron or a systemd timer (docs/deploy.md). One line per source; exit 0 when every source was synced or
skipped because another sync (on any server) holds it, 1 when any failed."""
from __future__ import annotations

import argparse
import dataclasses
import sys

from crm.accounts.users import SYSTEM, actor_for
from crm.core.access import Actor
from crm.core.database import session_scope
from crm.core.errors import CRMError
from crm.core.i18n import _
from crm.importing import sources
from crm.importing.writing import ImportReport
from tools.commands import command

# Who runs a scheduled sync when no --user is given: the portal itself (audited as "sync", no user account).
SHOWN_REJECTIONS = 20
SYNC_ACTOR = dataclasses.replace(SYSTEM, username="sync", full_name="Scheduled sync", source="sync")


def _sync_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", nargs="?", help="the data source's name (default: every source that is due)")
    p.add_argument("--user", help="sync as this account (needs data.import); default: the portal's own 'sync' "
                                  "actor, recorded as 'sync' in the audit log and the import list")
    p.add_argument("--all", action="store_true", help="every active source, due or not")
    p.add_argument("--dry-run", action="store_true", help="read and check, report, write nothing")


def _actor(username: str | None) -> Actor:
    if not username:
        return SYNC_ACTOR
    with session_scope() as session:
        who = actor_for(username, session=session, source="sync")
    if who is None:
        raise CRMError(_("No active user named {name}.").format(name=repr(username)))
    return who


def _chosen(who: Actor, args: argparse.Namespace) -> list[sources.SourceInfo]:
    with session_scope() as session:
        if args.source:
            return [sources.source_named(who, args.source, session=session)]
        if args.all:
            return [s for s in sources.list_sources(who, session=session) if s.active]
        return sources.due_sources(who, session=session)


def _line(info: sources.SourceInfo, report: ImportReport) -> str:
    counts = ", ".join(f"{n} {outcome.replace('_', ' ')}" for outcome, n in report.counts.items() if n)
    batch = "dry run, nothing written" if report.dry_run else f"batch {report.batch_id}"
    return f"{info.name}: {counts or 'nothing new'} ({batch})"


@command("sync", "sync the data sources that are due (departmental databases; see docs/deploy.md)", _sync_args)
def cmd_sync(args: argparse.Namespace) -> int:
    who = _actor(args.user)
    chosen = _chosen(who, args)
    if not chosen:
        print("No data source is due.")
        return 0
    failed = 0
    for info in chosen:
        try:
            with session_scope() as session:
                report = sources.sync(who, info.id, session=session, dry_run=args.dry_run)
            print(_line(info, report))
            rejected = [r for r in report.rows if r.outcome == "rejected"]
            for r in rejected[:SHOWN_REJECTIONS]:
                print(f"  row {r.row}: rejected: {r.reasons}")
            if len(rejected) > SHOWN_REJECTIONS:
                print(f"  ... and {len(rejected) - SHOWN_REJECTIONS} more rejected rows (see the import's report)")
        except sources.SyncRunning as exc:
            print(f"{info.name}: skipped: {exc.message}")
        except CRMError as exc:
            failed += 1
            print(f"{info.name}: failed: {exc.message}", file=sys.stderr)
    return 1 if failed else 0
