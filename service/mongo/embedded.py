"""The embedded MongoDB wire-protocol server (NX-27017) used when MONGODB_URI is unset.

One server per data directory: the process that starts it records its address in
`<data_dir>/nx-27017.json`; another Saldo process (e.g. `python -m jobs`) finds it there and
connects instead of starting a second server on the same files (it *adopts* it). A server that
died is started again on the same files and port by `restart` (service/mongo/supervisor.py
decides when), so the clients that know its address reconnect by themselves.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pymongo import AsyncMongoClient

log = logging.getLogger("saldo.embedded")
BOOT_DEADLINE_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def uri_for(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/?directConnection=true"


def port_of(uri: str) -> int:
    return int(uri.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


def running(pid: int) -> bool:
    """A live process; a zombie (dead, not yet reaped by its parent) is not one."""
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):   # no /proc (macOS): the signal's answer stands
        return True


def _store_process(pid: int) -> bool:
    """A live NX-27017 server (the pid an address file recorded may since belong to another
    program, e.g. after a reboot)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return running(pid)
    return running(pid) and b"nx" in cmdline and b"--data-dir" in cmdline


def _executable() -> list[str]:
    found = shutil.which("nx-27017", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "nx_27017"]


async def ping(uri: str, timeout_ms: int = 300) -> bool:
    client = AsyncMongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
    try:
        await client.admin.command("ping")
        return True
    except Exception:
        return False
    finally:
        await client.close()


@dataclass
class EmbeddedServer:
    data_dir: Path
    uri: str = ""
    process: subprocess.Popen | None = None
    adopted_pid: int | None = None     # a server another process started (its address file)

    @property
    def address_file(self) -> Path:
        return self.data_dir / "nx-27017.json"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "nx-27017.pid"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else self.adopted_pid

    @property
    def owned(self) -> bool:
        """Started by this process (not found running, started by another)."""
        return self.process is not None

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return self.adopted_pid is not None and running(self.adopted_pid)

    async def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        shared = await self._running_elsewhere()
        if shared:
            self.uri, self.adopted_pid = shared
            log.info("using the embedded store already running for %s", self.data_dir)
            return self.uri
        await self._launch(free_port())
        return self.uri

    async def restart(self) -> None:
        """Start the dead server again on its files and port, or adopt the one another process
        (its owner, or a second Saldo process) started there first. Raises if it cannot start
        (e.g. the port was taken meanwhile: its log says why)."""
        if self.process is not None:
            self.process.poll()            # reap it, so its pid no longer looks alive
        if await ping(self.uri):
            self.process, self.adopted_pid = None, _recorded_pid(self.pid_file)
            return
        stale = _recorded_pid(self.pid_file)
        if stale is not None and not running(stale):
            self.pid_file.unlink(missing_ok=True)   # NX-27017 refuses to start over a live pid
        await self._launch(port_of(self.uri))

    async def _launch(self, port: int) -> None:
        db_dir = self.data_dir / "db"
        db_dir.mkdir(exist_ok=True)
        cmd = _executable() + [
            "--data-dir", str(db_dir), "--host", "127.0.0.1", "--port", str(port),
            "--pid-file", str(self.pid_file),
            "--log-file", str(self.data_dir / "nx-27017.log"),
        ]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        self.adopted_pid = None
        self.uri = uri_for(port)
        # Recorded before it is ready: if this process dies meanwhile, the next one adopts the
        # server (it waits for it to boot) instead of starting a second one on the same files.
        self.address_file.write_text(json.dumps({"uri": self.uri, "pid": self.process.pid}))
        await self._wait_ready()
        log.info("embedded store started on 127.0.0.1:%d (pid %d)", port, self.process.pid)

    async def _running_elsewhere(self) -> tuple[str, int] | None:
        try:
            recorded = json.loads(self.address_file.read_text())
            pid = int(recorded["pid"])
        except (OSError, ValueError, KeyError):
            return None
        deadline = time.monotonic() + BOOT_DEADLINE_S
        while _store_process(pid) and time.monotonic() < deadline:
            if await ping(recorded["uri"]):
                return recorded["uri"], pid
            await asyncio.sleep(0.1)  # it may still be booting: polling it, not synchronisation
        return None

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + BOOT_DEADLINE_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"NX-27017 exited with {self.process.returncode}; "
                                   f"see {self.data_dir / 'nx-27017.log'}")
            if await ping(self.uri):
                return
            await asyncio.sleep(0.1)  # polling a child process's boot, not test synchronisation
        self.stop()
        raise RuntimeError("NX-27017 did not answer ping within 30 s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            recorded = json.loads(self.address_file.read_text())
            if recorded.get("pid") == self.process.pid:
                self.address_file.unlink()
        except (OSError, ValueError):
            pass
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _recorded_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
