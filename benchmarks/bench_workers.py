"""Parallel speed-up of ``proofs-check run``: wall time with 1 worker against 2 (or more).

    .venv/bin/python benchmarks/bench_workers.py                    # standard profile, all claims
    .venv/bin/python benchmarks/bench_workers.py --profile quick 'arora2018.*'

Each measurement is a fresh sweep (``--fresh``, no reports) into a temporary
folder. The target of issue 3 is a speed-up of at least 1.6 with 2 workers on
the standard profile; the script prints the ratio and whether it was met. It
is a benchmark, not a test: it takes as long as the profile takes, twice.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from proofs_check import registry
from proofs_check.claim import PROFILES, Claim
from proofs_check.runner import run_claims

TARGET = 1.6


def wall_time(claims: tuple[Claim, ...], profile: str, workers: int) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as out:
        start = time.perf_counter()
        res = run_claims(claims, profile, out, workers=workers, fresh=True, reports=False)
        seconds = time.perf_counter() - start
    print(f"workers={workers}: {seconds:8.1f} s  ({res.computed} runs, {res.failed} failed)", flush=True)
    return seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("claims", nargs="*", help="claim ids or globs (default: all)")
    p.add_argument("--profile", choices=PROFILES, default="standard")
    p.add_argument("--workers", type=int, default=2, help="the parallel case (default: 2)")
    args = p.parse_args()
    claims = registry.select(args.claims)  # imported before timing: both cases pay the same
    serial = wall_time(claims, args.profile, 1)
    parallel = wall_time(claims, args.profile, args.workers)
    speedup = serial / parallel
    verdict = "meets" if speedup >= TARGET else "misses"
    print(f"speed-up with {args.workers} workers: {speedup:.2f}x ({verdict} the {TARGET}x target)")


if __name__ == "__main__":
    main()
