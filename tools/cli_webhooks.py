"""`python -m crm webhooks send [--once] [--every S]`: send the webhook deliveries that are due, for a cron job
or systemd timer (``--once``) or as a worker of its own. Safe beside the servers' own senders: each delivery is
claimed in the database before it is sent (docs/deploy.md)."""
from __future__ import annotations

import argparse
import threading

from crm.webhooks.sender import BackgroundSender, deliver_due
from tools.commands import command


def _webhook_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    send = sub.add_parser("send", help="send the deliveries that are due, and keep sending (or --once)")
    send.add_argument("--once", action="store_true", help="send what is due now, then exit (for a timer)")
    send.add_argument("--every", type=float, default=5.0, metavar="SECONDS",
                      help="without --once: how often to look for due deliveries (default 5)")


@command("webhooks", "send queued webhook deliveries (see docs/deploy.md)", _webhook_args)
def cmd_webhooks(args: argparse.Namespace) -> int:
    if args.once:
        report = deliver_due()
        print(f"Webhooks: {report.delivered} delivered, {report.retrying} to retry later, {report.failed} failed"
              + (f", {report.released} left for the next run" if report.released else "") + ".")
        return 1 if report.failed else 0
    worker = BackgroundSender(interval=args.every)
    worker.start()
    print(f"Sending webhook deliveries every {args.every:g} s; Ctrl+C stops.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
    return 0
