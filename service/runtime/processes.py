"""`SALDO_WEB_PROCESSES=N`: N web processes on one port, so the service uses every core.

With N > 1, `python -m service` becomes a small supervisor: it starts the embedded stores once
(when MONGODB_URI is unset; each child finds them through `<data_dir>/nx-27017.json`, see
service/mongo/embedded.py, and never stops them), then runs N children (`python -m service
--web-child`), each an ordinary web process listening on the same port with SO_REUSEPORT: the
kernel spreads the connections among them. A child that dies is started again; SIGTERM or
SIGINT stops the children (each finishes its requests), then the stores. A supervisor killed
outright (`kill -9`) takes its children with it: each asks the kernel for SIGTERM when its
parent dies (`die_with_supervisor`), so no orphan keeps serving the port.

Nothing in the service assumes it is alone on its store: money moves through the ledger
protocol (unique keys, conditional writes, service/wallet/ledger.py), a message record is
upserted by its wamid, and every recovery sweep is idempotent (the WhatsApp sweep reprocesses a
payload through the same exactly-once path, the payment sweep moves invoices and payments by
revision-checked writes), so the sweeps of N processes may overlap: they repeat work, never
money. The billing pass (`python -m jobs`) shards due subscriptions among workers by claim.

Metrics: the children share PROMETHEUS_MULTIPROC_DIR (`metrics_dir`: emptied when the supervisor
starts), so `GET /metrics`, whichever child answers, sums every child's counters, those of
children that died and were started again included (service/metrics/registry.py).
"""
from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
from pathlib import Path

from service.mongo.embedded import EmbeddedServer
from service.runtime.settings import Settings

log = logging.getLogger("saldo.processes")
CHILD_FLAG = "--web-child"
SUPERVISOR_ENV = "SALDO_SUPERVISOR_PID"
RESTART_DELAY_S = 1.0
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
PR_SET_PDEATHSIG = 1     # linux/prctl.h


def is_child(argv: list[str]) -> bool:
    return CHILD_FLAG in argv


def die_with_supervisor() -> None:
    """In a web child: SIGTERM (a graceful stop) when the supervisor dies, however it dies.
    Linux only (prctl); elsewhere a child outlives a supervisor killed with -9."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.environ.get(SUPERVISOR_ENV) not in (None, str(os.getppid())):
        os.kill(os.getpid(), signal.SIGTERM)     # it died before we asked: stop now


def supervise(settings: Settings) -> int:
    """Run `settings.web_processes` web children until SIGTERM/SIGINT; → exit status."""
    return asyncio.run(_supervise(settings))


async def _supervise(settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    servers = [] if settings.mongodb_uri else [
        EmbeddedServer(settings.data_dir), EmbeddedServer(settings.data_dir / "whatsapp-log")]
    try:
        await asyncio.gather(*(server.start() for server in servers))
        log.info("starting %d web processes on port %d", settings.web_processes, settings.port)
        env = {**os.environ, SUPERVISOR_ENV: str(os.getpid()),
               MULTIPROC_ENV: str(metrics_dir(settings))}
        children = [asyncio.create_task(_keep_running(k, stop, env))
                    for k in range(settings.web_processes)]
        await asyncio.gather(*children)
    finally:
        for server in servers:
            server.stop()
    return 0


def metrics_dir(settings: Settings) -> Path:
    """The children's metric files: PROMETHEUS_MULTIPROC_DIR if set, else <data_dir>/metrics;
    the files of an earlier run are removed (prometheus-client's multiprocess mode)."""
    path = Path(os.environ.get(MULTIPROC_ENV) or settings.data_dir / "metrics")
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.db"):
        old.unlink()
    return path


async def _keep_running(k: int, stop: asyncio.Event, env: dict[str, str]) -> None:
    """Child k, started again whenever it dies before `stop`."""
    while not stop.is_set():
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "service", CHILD_FLAG, stdin=asyncio.subprocess.DEVNULL,
            env={**env, **({} if k == 0 else {"SALDO_DEMO": ""})})   # one demo link, child 0's
        waiter = asyncio.create_task(proc.wait())
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            await waiter
            return
        stopper.cancel()
        log.warning("web process %d (pid %d) exited with %s; starting it again",
                    k, proc.pid, proc.returncode)
        with contextlib.suppress(asyncio.TimeoutError):  # a back-off, not a synchronisation
            await asyncio.wait_for(stop.wait(), RESTART_DELAY_S)

