"""Store time per command shape, from a PyMongo CommandListener (bench/billing_run.py
--profile-commands). A shape is the command, its collection, its filter's keys and operators
(values replaced by their type: `{_id: str, version: int}`, `{due.at: {$lte: datetime}}`), and
its sort; the table lists count, total and maximum duration per shape, by total time."""
from __future__ import annotations

from collections import defaultdict

from pymongo import monitoring

IGNORED = {"endSessions", "hello", "ismaster", "isMaster", "ping", "buildInfo", "saslStart"}
FILTERS = {"find": "filter", "findAndModify": "query", "count": "query", "distinct": "query"}
NESTED = {"update": ("updates", "q"), "delete": ("deletes", "q")}


def _shape(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_shape(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return "[" + ", ".join(sorted({_shape(v) for v in value})) + "]"
        return f"[{type(value[0]).__name__}…]" if value else "[]"
    return type(value).__name__


def shape_of(command_name: str, command: dict) -> str:
    target = command.get("collection") if command_name == "getMore" else command.get(command_name)
    parts = [command_name, str(target)]
    if command_name in FILTERS:
        parts.append(_shape(command.get(FILTERS[command_name]) or {}))
    elif command_name in NESTED:
        key, sub = NESTED[command_name]
        ops = command.get(key) or []
        first = ops[0] if ops else {}
        parts.append(_shape(first.get(sub, {})) + (f" ×{len(ops)}" if len(ops) > 1 else "")
                     + (" upsert" if first.get("upsert") else ""))
    elif command_name == "insert":
        parts.append(f"{len(command.get('documents') or [])} docs")
    elif command_name == "aggregate":
        parts.append(_shape([{k: _shape(v)[:60] for k, v in stage.items()}
                             for stage in command.get("pipeline", [])]))
    if command.get("sort"):
        parts.append("sort " + ",".join(f"{k}:{v}" for k, v in command["sort"].items()))
    if command.get("limit"):
        parts.append("limit")
    return " ".join(parts)


class CommandProfile(monitoring.CommandListener):
    """count, total and max duration (µs) per shape; `on` only while measuring."""

    def __init__(self) -> None:
        self.on = False
        self.pending: dict[tuple, str] = {}
        self.stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        self.written: dict[str, int] = defaultdict(int)   # collection -> documents written

    def _count_written(self, name: str, command: dict) -> None:
        """Documents a write command carries (an insert's documents, an update's or delete's
        ops, one per findAndModify), by collection."""
        many = {"insert": "documents", "update": "updates", "delete": "deletes"}
        if name in many:
            self.written[str(command.get(name))] += len(command.get(many[name]) or [])
        elif name == "findAndModify":
            self.written[str(command.get(name))] += 1

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.on and event.command_name not in IGNORED:
            self.pending[(event.connection_id, event.request_id)] = shape_of(
                event.command_name, event.command)
            self._count_written(event.command_name, event.command)

    def _done(self, event) -> None:
        shape = self.pending.pop((event.connection_id, event.request_id), None)
        if shape is not None:
            s = self.stats[shape]
            s[0] += 1
            s[1] += event.duration_micros
            s[2] = max(s[2], event.duration_micros)

    succeeded = failed = _done

    def table(self, per: int, top: int = 25) -> str:
        rows = sorted(self.stats.items(), key=lambda kv: -kv[1][1])
        total = sum(s[1] for _, s in rows) or 1
        out = [f"store commands: {sum(s[0] for _, s in rows)} ({sum(s[0] for _, s in rows) / per:.1f}"
               f" per subscription), {total / 1e6:.1f} s summed over concurrent calls",
               f"  {'count':>7} {'total s':>8} {'share':>6} {'mean ms':>8} {'max ms':>8}  shape"]
        for shape, (n, t, m) in rows[:top]:
            out.append(f"  {n:7d} {t / 1e6:8.1f} {100 * t / total:5.1f}% {t / n / 1e3:8.2f}"
                       f" {m / 1e3:8.1f}  {shape}")
        if self.written:
            docs = sorted(self.written.items(), key=lambda kv: -kv[1])
            out.append(f"documents written: {sum(self.written.values()) / per:.2f} per subscription ("
                       + ", ".join(f"{c} {n / per:.2f}" for c, n in docs) + ")")
        return "\n".join(out)
