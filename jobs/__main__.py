"""`python -m jobs`: the billing scheduler (Procfile `clock:`), a pass every minute.
`python -m jobs run-due [--now ISO]`: one pass now, or at `--now` (the operator's and the
tests' time machine; a time without offset is read in SALDO_TIMEZONE). Prints the pass report
as the last line of JSON; exits 1 if a subscription failed or a workspace does not reconcile.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from datetime import datetime

from jobs.run import run_due, run_forever
from service.runtime.logs import configure
from service.runtime.settings import Settings


def _instant(text: str, settings: Settings) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=settings.tz)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m jobs", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    once = commands.add_parser("run-due", help="run one billing pass and exit")
    once.add_argument("--now", help="the pass's time (ISO 8601), default: the real time")
    return parser


async def _forever(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run_forever(settings, stop)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    configure(settings.log_level)
    if args.command != "run-due":
        asyncio.run(_forever(settings))
        return 0
    try:
        now = _instant(args.now, settings) if args.now else None
    except argparse.ArgumentTypeError as exc:
        _parser().error(str(exc))
    report = asyncio.run(run_due(settings, now))
    print(json.dumps(report, sort_keys=True), flush=True)
    return 1 if report.get("errors") or report.get("not_reconciled") else 0


if __name__ == "__main__":
    sys.exit(main())
