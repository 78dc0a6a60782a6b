"""Process figures from Linux's /proc for the benchmarks (run by hand): a process's status
fields, its children, and the CPU of the service's processes by role."""
import contextlib
import os
from pathlib import Path


def proc_status(pid: int) -> dict[str, str]:
    with contextlib.suppress(OSError):
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        return {key: value.strip() for key, _, value in (line.partition(":") for line in lines)}
    return {}


def service_cpu(pid: int | None) -> dict[str, float]:
    """CPU seconds (user + system, /proc/<pid>/stat) so far of the service's processes, summed
    by role: web (the service and its web children), main store, log store (NX-27017)."""
    out: dict[str, float] = {}
    todo = [pid] if pid else []
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError, IndexError):
            ticks = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[11:13]
            cmd = Path(f"/proc/{p}/cmdline").read_bytes()
            role = ("log store" if b"whatsapp-log" in cmd else "main store") if b"nx" in cmd else "web"
            out[role] = out.get(role, 0.0) + sum(map(int, ticks)) / os.sysconf("SC_CLK_TCK")
            todo += children(p)
    return out


def children(pid: int) -> list[int]:
    """The pids whose parent is `pid`."""
    return [int(k.name) for k in Path("/proc").iterdir()
            if k.name.isdigit() and proc_status(int(k.name)).get("PPid") == str(pid)]


def report_rss(pid: int | None, target_mb: float) -> bool:
    """Peak RSS (VmHWM) of the service and of its children (the embedded DB server)."""
    if not pid:
        print("\nPeak RSS: not measured (pass --pid)")
        return True
    print("\nPeak RSS (VmHWM from /proc/<pid>/status); the target applies to the service process:")
    kids = children(pid)
    mb = lambda info, key: int(info.get(key, "0 kB").split()[0]) / 1024  # noqa: E731
    ok = 0 < mb(proc_status(pid), "VmHWM") <= target_mb
    for label, p in [("service", pid)] + [("child", kid) for kid in kids]:
        info = proc_status(p)
        target = f"   target <= {target_mb} MB: {'met' if ok else 'NOT MET'}" if p == pid else ""
        print(f"  {label:<8} pid {p:<7} {info.get('Name', '?'):<15} peak {mb(info, 'VmHWM'):7.1f} MB  now "
              f"{mb(info, 'VmRSS'):7.1f} MB{target}")
    return ok
