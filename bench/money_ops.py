"""Micro-benchmark of Money arithmetic on the webhook path, run by hand (not a test).

Times N of each operation (CPU time of this process, best of --repeat runs, ns per op) and counts the Money objects each
builds through the validating constructor (`Money.__post_init__`), which is deterministic and does
not depend on the machine's load. Pure domain code only; runs on any commit (base vs branch).

    .venv/bin/python bench/money_ops.py [-n 200000] [--repeat 5]
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from billing.money import Money  # noqa: E402
from billing.wallet import Buckets, LedgerIntent, apply_intent  # noqa: E402


def operations() -> dict:
    a, b = Money(1_500), Money(30)
    state = Buckets(Money(15_000), Money(2_000), Money(0))
    charge = LedgerIntent("k", "charge", "conversation", Money(30))
    topup = LedgerIntent("t", "topup", "conversation", Money(50_000))
    in_arrears = Buckets(Money(0), Money(0), Money(900))
    return {
        "Money + Money": lambda: a + b,
        "Money - Money": lambda: a - b,
        "-Money": lambda: -a,
        "Money * int": lambda: a * 3,
        "Money < Money": lambda: a < b,
        "Buckets.total": lambda: state.total,
        "Buckets.net": lambda: state.net,
        "apply_intent(charge)": lambda: apply_intent(state, charge),
        "apply_intent(topup, settles)": lambda: apply_intent(in_arrears, topup),
    }


def time_op(fn, n: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time_ns()
        for _ in range(n):
            fn()
        best = min(best, (time.process_time_ns() - start) / n)
    return best


def validated_constructions(fn) -> int:
    """How many Money objects one call builds through the validating constructor."""
    original, count = Money.__post_init__, [0]

    def counting(self):
        count[0] += 1
        original(self)
    Money.__post_init__ = counting
    try:
        fn()
    finally:
        Money.__post_init__ = original
    return count[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    empty = time_op(lambda: None, args.n, args.repeat)
    print(f"{'operation':<30}{'ns/op':>8}{'validated Money built':>24}")
    for name, fn in operations().items():
        ns = time_op(fn, args.n, args.repeat) - empty
        print(f"{name:<30}{ns:>8.0f}{validated_constructions(fn):>24}")
    print(f"(best of {args.repeat} x {args.n:,}; a bare lambda call, {empty:.0f} ns, subtracted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
