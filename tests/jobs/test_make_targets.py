"""`make jobs-due NOW=…` and `make jobs` get the development defaults `make run` gets (issue 9
item 3: a hand-started pass had no payment provider and issued no invoice). The targets run a
stand-in `python` that records its arguments and environment, so no venv is built."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAKE_PYTHON = """#!/bin/sh
exec "{python}" -c 'import json, os, sys; print(json.dumps([sys.argv[1:], dict(os.environ)]))' "$@"
"""
DEFAULTS = ("SALDO_ADMIN_TOKEN", "WHATSAPP_APP_SECRETS", "WHATSAPP_VERIFY_TOKEN",
            "PAYMENT_WEBHOOK_SECRET", "SALDO_PAYMENT_PROVIDER")

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _make(tmp_path: Path, *args: str) -> tuple[list[str], dict]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "python"
    fake.write_text(FAKE_PYTHON.format(python=sys.executable))
    fake.chmod(0o755)
    stamp = tmp_path / "installed"
    stamp.touch()
    out = subprocess.run(["make", "-s", "-C", str(ROOT), f"BIN={bin_dir}", f"STAMP={stamp}",
                          "-o", str(stamp), *args], env={"PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=60, check=True)
    argv, env = json.loads(out.stdout.strip().splitlines()[-1])
    return argv, env


def test_make_jobs_due_runs_one_pass_at_now_with_the_defaults_of_make_run(tmp_path):
    argv, env = _make(tmp_path, "jobs-due", "NOW=2026-12-19T10:00:00")
    assert argv == ["-m", "jobs", "run-due", "--now", "2026-12-19T10:00:00"]
    _, service_env = _make(tmp_path, "run")
    assert env["SALDO_PAYMENT_PROVIDER"] == "sandbox"
    assert {k: env.get(k) for k in DEFAULTS} == {k: service_env.get(k) for k in DEFAULTS}


def test_make_jobs_due_without_now_runs_at_the_real_time(tmp_path):
    argv, _ = _make(tmp_path, "jobs-due")
    assert argv == ["-m", "jobs", "run-due"]


def test_make_jobs_gets_the_same_defaults(tmp_path):
    argv, env = _make(tmp_path, "jobs")
    assert argv == ["-m", "jobs"] and env["SALDO_PAYMENT_PROVIDER"] == "sandbox"
