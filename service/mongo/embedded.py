"""The embedded MongoDB wire-protocol server (NX-27017) used when MONGODB_URI is unset.

One server per data directory: the process that starts it records its address in
`<data_dir>/nx-27017.json`; another Saldo process (e.g. `python -m jobs`) finds it there and
connects instead of starting a second server on the same files.
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

    @property
    def address_file(self) -> Path:
        return self.data_dir / "nx-27017.json"

    async def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        shared = await self._running_elsewhere()
        if shared:
            self.uri = shared
            log.info("using the embedded store already running for %s", self.data_dir)
            return shared
        port = free_port()
        db_dir = self.data_dir / "db"
        db_dir.mkdir(exist_ok=True)
        cmd = _executable() + [
            "--data-dir", str(db_dir), "--host", "127.0.0.1", "--port", str(port),
            "--pid-file", str(self.data_dir / "nx-27017.pid"),
            "--log-file", str(self.data_dir / "nx-27017.log"),
        ]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        self.uri = uri_for(port)
        await self._wait_ready()
        self.address_file.write_text(json.dumps({"uri": self.uri, "pid": self.process.pid}))
        log.info("embedded store started on 127.0.0.1:%d (pid %d)", port, self.process.pid)
        return self.uri

    async def _running_elsewhere(self) -> str | None:
        try:
            recorded = json.loads(self.address_file.read_text())
            os.kill(int(recorded["pid"]), 0)
        except (OSError, ValueError, KeyError):
            return None
        return recorded["uri"] if await ping(recorded["uri"]) else None

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
