"""Interrupted sweeps resume from the cache; a Dask cluster computes what the local pool computes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import toy_claims
from results_compare import comparable

from proofs_check.runner import run_claims

SLOW = tuple(c for c in toy_claims.CLAIMS if c.id == "toy0000.slow_counter")
REPO = Path(__file__).resolve().parent.parent


def _committed(cache: Path) -> dict[tuple[str, str], str]:
    """``(params, status) -> computed_at`` of every run in the cache (empty while it does not exist)."""
    try:
        with sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=5) as db:
            return {(p, s): t for p, s, t in db.execute("SELECT params, status, computed_at FROM runs")}
    except sqlite3.OperationalError:  # not created yet
        return {}


def test_kill_9_mid_sweep_then_rerun_recomputes_nothing_finished(tmp_path, toy_env):
    out = tmp_path / "run"
    env = {**toy_env, "TOY_SLEEP": "0.2"}
    cmd = [sys.executable, "-m", "proofs_check", "run", "toy0000.slow_counter", "--out", str(out), "--workers", "1"]
    with open(tmp_path / "first.log", "wb") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=log, stderr=log, start_new_session=True)
        try:
            deadline = time.monotonic() + 90
            while len(_committed(out / "cache.sqlite")) < 4:
                assert proc.poll() is None, (tmp_path / "first.log").read_text()
                assert time.monotonic() < deadline, "no run was committed in 90 s"
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):  # the pool's workers are in the session we started
                os.killpg(proc.pid, signal.SIGKILL)
    before = _committed(out / "cache.sqlite")
    assert 4 <= len(before) < 12 and not (out / "results.json").exists()

    subprocess.run(cmd, env=env, cwd=REPO, check=True, timeout=120, capture_output=True)
    after = _committed(out / "cache.sqlite")
    assert len(after) == 12
    assert all(after[key] == stamp for key, stamp in before.items())  # no committed run was redone
    markers = Path(env["TOY_MARKER_DIR"])
    for params, _ in before:
        p = json.loads(params)
        assert (markers / f"{p['n']}-{p['rep']}").read_text() == "ran\n", p  # computed exactly once

    reference = run_claims(SLOW, "quick", tmp_path / "reference", workers=1, reports=False)
    assert comparable(out / "results.json") == comparable(reference.data)
    assert reference.data["claims"][0]["verdict"] == "confirmed"


def test_dask_local_cluster_gives_the_local_pool_results(tmp_path, monkeypatch):
    from conftest import FIXTURES
    from distributed import LocalCluster

    # worker processes must import the toy claims by name
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(FIXTURES), str(REPO)]))
    claims = toy_claims.CLAIMS
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        on_dask = run_claims(claims, "quick", tmp_path / "dask", scheduler=cluster.scheduler_address, reports=False)
    local = run_claims(claims, "quick", tmp_path / "local", workers=2, reports=False)
    assert on_dask.data["provenance"]["scheduler"] == cluster.scheduler_address
    assert comparable(on_dask.data) == comparable(local.data)
    assert on_dask.computed == local.computed == sum(len(c.runs_for("quick")) for c in claims)
