"""`make fuzz`: schemathesis against a running Saldo's /openapi.json, run by hand (and, small and
derandomized, by tests/handlers/test_fuzz_openapi.py on every run of the suite).

Starts the service on a fresh embedded store (or takes `--url` and `--admin-token`), seeds real
data through the API (a reseller, a Growth workspace of it with a top-up and a paid add-on, each
with its key), then generates requests for every operation of /openapi.json, valid and invalid
(schemathesis' positive and negative modes), as the admin, the workspace and the reseller, with
the path ids both generated and taken from the seeded data. It fails on any 5xx and on any
response that does not match the document (body schema, content type, declared status).
Exit status 0 only if no check failed."""
from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))       # `python bench/fuzz.py` from the repository root

from bench.webhooks import stop_service  # noqa: E402


# Statuses Saldo answers but /openapi.json does not declare yet (issue 17 item 6 declares 400,
# 403, 409, 415 and 503; 402 `insufficient_balance` of …/wallet/authorize is not in that list):
# schemathesis' status_code_conformance flags them; they are counted and printed, not failed.
# Shrink this set as the document catches up; any other undeclared status fails the run.
UNDECLARED_YET = frozenset({400, 402, 403, 409, 415, 503})
PRINCIPALS = ("workspace", "admin", "reseller")


@dataclass
class Seeded:
    """Keys by principal, and the ids a path can name (`{ws}`, `{code}`…)."""
    keys: dict[str, str]
    ids: dict[str, str]


@dataclass
class Findings:
    """The first failure of each (operation, check), with how to reproduce it."""
    failures: dict[tuple[str, str], str] = field(default_factory=dict)
    undeclared: dict[str, set[int]] = field(default_factory=dict)   # known gaps (above)
    requests: int = 0
    operations: int = 0
    timed_out: bool = False

    def add(self, operation: str, check: str, text: str) -> None:
        self.failures.setdefault((operation, check), text)


def _call(session: requests.Session, base: str, method: str, path: str, key: str,
          body: dict | None = None, want: int = 200) -> dict:
    resp = session.request(method, base + path, json=body, timeout=30,
                           headers={"Authorization": f"Bearer {key}"})
    if resp.status_code != want:
        raise SystemExit(f"seeding: {method} {path} -> {resp.status_code}: {resp.text[:300]}")
    return resp.json() if resp.content else {}


def seed(base: str, admin_token: str) -> Seeded:
    """A reseller; its workspace on Growth (complimentary) with a pending top-up and a paid
    recurring add-on; keys of the admin, the workspace and the reseller."""
    s, run = requests.Session(), secrets.token_hex(3)
    reseller = _call(s, base, "POST", "/v1/admin/resellers", admin_token,
                     {"name": f"fuzz-{run}"}, 201)
    ws = _call(s, base, "POST", "/v1/workspaces", reseller["api_key"], {
        "name": f"fuzz-{run}", "phone_number_ids": [str(10**14 + secrets.randbelow(9 * 10**14))],
        "plan": "growth", "complimentary": True}, 201)
    ws_id, ws_key = ws["workspace"]["id"], ws["api_key"]
    addon = _call(s, base, "POST", "/v1/admin/addons", admin_token, {
        "name": f"fuzz-user-{run}", "display_name": "Extra user", "description": "",
        "type": "users", "consumption": 1, "applicable_plans": "all", "billing": "recurring",
        "pricing_scheme": "unit", "periods": {"monthly": {"currency": "IDR", "amount": 10_000}},
        "limits": [{"key": "users", "value": 1, "action": "increment"}], "max_quantity": 50},
        201)
    _call(s, base, "PUT", f"/v1/workspaces/{ws_id}/billing-info", ws_key, {   # before buying
        "legal_name": f"PT Fuzz {run}", "billing_email": "finance@example.com",
        "phone": "+6281234567890", "address": "Jl. Contoh 1, Jakarta", "npwp": "012345678901000"})
    bought = _call(s, base, "POST", f"/v1/workspaces/{ws_id}/subscription/addons", ws_key,
                   {"addon_id": addon["id"], "quantity": 1}, 201)
    s.post(base + "/sandbox/checkout/" + bought["payment"]["id"] + "/pay", timeout=30)
    topup = _call(s, base, "POST", f"/v1/workspaces/{ws_id}/topups", ws_key,
                  {"balance": "conversation", "amount": 50_000}, 201)
    return Seeded(keys={"admin": admin_token, "workspace": ws_key,
                        "reseller": reseller["api_key"]},
                  ids={"ws": ws_id, "code": topup["invoice"]["code"], "addon_id": addon["id"],
                       "payment_id": topup["payment"]["id"], "provider": "sandbox",
                       "reseller": reseller["reseller"]["id"]})


def path_ids(path: str, seeded: Seeded) -> dict[str, str]:
    """The seeded value of each parameter of `path` (`{id}` depends on the collection)."""
    ids = dict(seeded.ids)
    ids["id"] = "growth" if path.startswith("/v1/admin/plans/") else seeded.ids["addon_id"]
    return {name: ids[name] for name in _names(path) if name in ids}


def _names(path: str) -> list[str]:
    return [part[1:-1].split(".")[0].rstrip("}") for part in path.replace("}.", "}/.").split("/")
            if part.startswith("{")]


def _checks():
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (content_type_conformance,
                                                   response_schema_conformance,
                                                   status_code_conformance)
    return [not_a_server_error, response_schema_conformance, content_type_conformance,
            status_code_conformance]


def fuzz(base: str, seeded: Seeded, *, examples: int, seed_value: int | None = None,
         time_limit: float = 600, principals: tuple[str, ...] = PRINCIPALS) -> Findings:
    """Every operation, `examples` requests per run of it (`_runs`; fewer when the operation's
    equal share of `time_limit` seconds runs out). Synchronous (the `requests` library): call
    it from a thread when the app runs on this process' loop. `seed_value` None: derandomized
    (the same requests every time)."""
    import schemathesis
    schema = schemathesis.openapi.from_url(base + "/openapi.json")
    found, session = Findings(), requests.Session()
    operations = [result.ok() for result in schema.get_all_operations()]
    end = time.monotonic() + time_limit
    for done, op in enumerate(operations):
        found.operations += 1
        share = (end - time.monotonic()) / (len(operations) - done)     # an equal share each
        stop_at = time.monotonic() + share
        for who, mode, fixed in _runs(op.path, seeded, principals):
            if time.monotonic() > stop_at:
                found.timed_out = True
                break
            _run(base, session, op, who, mode, fixed, seeded, found,
                 examples=examples, seed_value=seed_value, stop_at=stop_at)
    return found


def _runs(path: str, seeded: Seeded, principals: tuple[str, ...]):
    """(principal, mode, fixed path ids): each principal on the seeded ids, valid and invalid;
    the first one also with generated ids (missing, malformed)."""
    from schemathesis import GenerationMode
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ids = path_ids(path, seeded)
    runs = [(who, mode, ids or None) for who in principals for mode in modes]
    return runs + ([(principals[0], mode, None) for mode in modes] if ids else [])


def _run(base: str, session: requests.Session, op, who: str, mode, fixed: dict | None,
         seeded: Seeded, found: Findings, *, examples: int, seed_value: int | None,
         stop_at: float) -> None:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis.errors import Unsatisfiable
    from schemathesis.core.failures import FailureGroup
    checks = _checks()

    @settings(max_examples=examples, derandomize=seed_value is None, database=None,
              deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(op.as_strategy(generation_mode=mode, path_parameters=fixed))
    def one(case) -> None:
        if time.monotonic() > stop_at:
            found.timed_out = True
            return
        found.requests += 1
        headers = {"Authorization": f"Bearer {seeded.keys[who]}"}
        resp = case.call(base_url=base, session=session, headers=headers, timeout=30)
        _follow_key_rotation(seeded, case, resp)
        try:
            case.validate_response(resp, checks=checks, headers=headers)
        except FailureGroup as exc:
            _sort(found, op.label, who, exc)

    if seed_value is not None:
        one = hypothesis_seed(seed_value)(one)
    with contextlib.suppress(Unsatisfiable):   # nothing in the request to make invalid
        one()


def _follow_key_rotation(seeded: Seeded, case, resp) -> None:
    """POST …/{ws}/api-key revokes the seeded workspace's key: go on with the new one."""
    if (case.operation.path.endswith("/api-key") and resp.status_code == 201
            and case.path_parameters.get("ws") == seeded.ids["ws"]):
        seeded.keys["workspace"] = resp.json()["api_key"]


def _sort(found: Findings, operation: str, who: str, exc) -> None:
    from schemathesis.openapi.checks import UndefinedStatusCode
    for failure in exc.exceptions:
        if isinstance(failure, UndefinedStatusCode) and failure.status_code in UNDECLARED_YET:
            found.undeclared.setdefault(operation, set()).add(failure.status_code)
        else:
            found.add(operation, failure.title, f"as {who}: {exc}")


def report(found: Findings, seconds: float) -> bool:
    print(f"\n{found.operations} operations, {found.requests} requests in {seconds:.0f} s; "
          f"{len(found.failures)} failing (operation, check)")
    if found.timed_out:
        print("some operations got fewer examples: their share of --time-limit ran out")
    if found.undeclared:
        print(f"\nundeclared statuses tolerated (UNDECLARED_YET, {len(found.undeclared)} "
              "operations):")
        for operation, statuses in sorted(found.undeclared.items()):
            print(f"  {operation}: {', '.join(map(str, sorted(statuses)))}")
    for (operation, check), text in sorted(found.failures.items()):
        print(f"\n--- {operation}: {check}\n{text.strip()[:3000]}")
    print("\nPASS" if not found.failures else "\nFAIL")
    return not found.failures


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=10,
                    help="requests per operation, principal, mode and id source")
    ap.add_argument("--seed", type=int, help="hypothesis seed (default: a new one, printed)")
    ap.add_argument("--time-limit", type=float, default=240,
                    help="seconds of fuzzing at most, shared equally by the operations")
    ap.add_argument("--url", help="an already running service (loopback only) instead of "
                    "starting one; it gets seeded")
    ap.add_argument("--admin-token", help="its SALDO_ADMIN_TOKEN (with --url)")
    args = ap.parse_args()
    if args.url and not (args.url.startswith(("http://127.0.0.1:", "http://localhost:"))
                         and args.admin_token):
        ap.error("--url must be http://127.0.0.1:PORT (loopback) and needs --admin-token")
    if args.seed is None:
        args.seed = secrets.randbelow(2**31)
    return args


def _wait_ready(base: str, proc) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"service exited with code {proc.returncode}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(base + "/readyz", timeout=5).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"{base}/readyz did not answer 200 within 60 s")


def run(args: argparse.Namespace, base: str, proc) -> bool:
    _wait_ready(base, proc)
    seeded = seed(base, args.admin_token)
    print(f"seeded {seeded.ids}; fuzzing with --seed {args.seed}, --examples {args.examples}, "
          f"at most {args.time_limit:.0f} s ...", flush=True)
    started = time.monotonic()
    found = fuzz(base, seeded, examples=args.examples, seed_value=args.seed,
                 time_limit=args.time_limit)
    return report(found, time.monotonic() - started)


def start_service(workdir: Path, args: argparse.Namespace) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args.admin_token = secrets.token_hex(16)
    env = {**os.environ, "PORT": str(port), "SALDO_DATA_DIR": str(workdir / "data"),
           "SALDO_ADMIN_TOKEN": args.admin_token, "WHATSAPP_APP_SECRETS": secrets.token_hex(16),
           "WHATSAPP_VERIFY_TOKEN": secrets.token_hex(8), "LOG_LEVEL": "WARNING",
           "PAYMENT_WEBHOOK_SECRET": secrets.token_hex(16), "SALDO_PAYMENT_PROVIDER": "sandbox"}
    with open(workdir / "service.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "service"], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    print(f"started service pid {proc.pid} on 127.0.0.1:{port}, SALDO_DATA_DIR={workdir / 'data'}",
          flush=True)
    return proc, f"http://127.0.0.1:{port}"


def main() -> int:
    args = parse_args()
    if args.url:
        return 0 if run(args, args.url.rstrip("/"), None) else 1
    from scratch import with_service   # bench/, beside this script
    return with_service("saldo-fuzz-", lambda workdir: start_service(workdir, args), stop_service,
                        lambda base, proc: run(args, base, proc))


if __name__ == "__main__":
    sys.exit(main())
