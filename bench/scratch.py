"""A benchmark's service in a scratch directory: started, run, stopped; the directory (its log
and data) kept after a failed run, removed after a run that passed. → the exit status."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Callable


def with_service(prefix: str, start: Callable, stop: Callable, run: Callable) -> int:
    """`start(workdir)` → (process, base URL); `run(base, process)` → passed; `stop(process)` →
    its exit code."""
    workdir, ok = Path(tempfile.mkdtemp(prefix=prefix)), False
    proc, base = start(workdir)
    try:
        ok = run(base, proc)
    finally:
        print(f"\nservice stopped (exit code {stop(proc)}); its log and data: {workdir}"
              + (" (removed: the run passed)" if ok else ""))
        if ok:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1
