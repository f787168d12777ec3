"""Runs always end: time limits, workers that die with the main process, pinned native threads,
BCGD divergence as data, and results that do not depend on timing."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import toy_claims
import toy_reliability

from proofs_check import cli, results
from proofs_check.runner import run_claims

REPO = Path(__file__).resolve().parent.parent
HANGS, THREADS = toy_reliability.CLAIMS


def _statuses(out: Path) -> dict[str, str]:
    with sqlite3.connect(out / "cache.sqlite") as db:
        return {p: s for p, s in db.execute("SELECT params, status FROM runs")}


def test_a_run_past_its_time_limit_is_killed_recorded_as_timeout_and_never_cached(tmp_path):
    t0 = time.monotonic()
    res = run_claims([HANGS], "quick", tmp_path, workers=2, reports=True, pdf=False)
    assert time.monotonic() - t0 < 60  # the hanging run sleeps an hour
    entry = res.data["claims"][0]
    assert entry["verdict"] == "inconclusive" and entry["failed_runs"] == 1
    assert [f["status"] for f in entry["failures"]] == ["timeout"]
    assert "time limit of 2 s" in entry["failures"][0]["error"]
    assert sorted(_statuses(tmp_path).values()) == ["ok", "ok", "timeout"]
    assert "timeout" in (tmp_path / "report.md").read_text()  # reported like a failed run
    again = run_claims([HANGS], "quick", tmp_path, workers=1, reports=False, run_timeout=0.5)
    assert (again.computed, again.cached) == (1, 2)  # the timed-out run is retried, never served from the cache
    assert "time limit of 0.5 s" in again.data["claims"][0]["failures"][0]["error"]


def test_run_timeout_on_the_command_line_overrides_the_claim(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PROOFS_CHECK_CLAIM_MODULES", "toy_reliability")
    argv = ["run", "toy0000.hangs_once", "--out", str(tmp_path), "--workers", "1", "--no-search",
            "--run-timeout", "1"]
    assert cli.main(argv) == 0
    assert "time limit of 1 s" in capsys.readouterr().err


def test_the_other_runs_in_flight_with_a_killed_one_are_computed_again(tmp_path):
    slow = next(c for c in toy_claims.CLAIMS if c.id == "toy0000.slow_counter")
    res = run_claims([HANGS, slow], "quick", tmp_path, workers=2, reports=False)
    assert res.failed == 1 and res.computed == 3 + 12
    assert res.data["claims"][1]["verdict"] == "confirmed"


def test_pool_workers_and_dask_tasks_use_one_native_thread(tmp_path, monkeypatch):
    from conftest import FIXTURES
    from distributed import LocalCluster

    local = run_claims([THREADS], "quick", tmp_path / "local", workers=2, reports=False)
    rows = local.data["claims"][0]
    assert rows["failed_runs"] == 0
    from proofs_check.cache import RunCache

    with RunCache(tmp_path / "local" / "cache.sqlite") as cache:
        values = [v["value"] for v in cache.finished(THREADS.id, rows["code_version"]).values()]
    assert values and all(v["max_threads"] == 1 and v["pools"] >= 1 for v in values), values
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(FIXTURES), str(REPO)]))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        on_dask = run_claims([THREADS, HANGS], "quick", tmp_path / "dask", scheduler=cluster.scheduler_address,
                             reports=False)
    with RunCache(tmp_path / "dask" / "cache.sqlite") as cache:
        values = [v["value"] for v in cache.finished(THREADS.id, rows["code_version"]).values()]
    assert values and all(v["max_threads"] == 1 for v in values), values
    hang = on_dask.data["claims"][0]
    assert [f["status"] for f in hang["failures"]] == ["timeout"] and hang["runs"] == 3


def test_the_parent_pins_its_own_thread_pools_while_a_pool_runs(tmp_path, monkeypatch):
    from threadpoolctl import threadpool_info

    from proofs_check import runner

    seen = []

    def spy(queue, workers, on_done):
        seen.append(max(p["num_threads"] for p in threadpool_info()))
        return real(queue, workers, on_done)

    real = runner._run_pool
    monkeypatch.setattr(runner, "_run_pool", spy)
    run_claims([THREADS], "quick", tmp_path, workers=2, reports=False)
    assert seen and all(n == 1 for n in seen)


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow  # a real `proofs-check run` subprocess: imports, a pool, a kill (about 15 s)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_workers_and_the_resource_tracker_never_outlive_the_main_process(sig, tmp_path, toy_env):
    env = {**toy_env, "PROOFS_CHECK_CLAIM_MODULES": "toy_reliability"}
    cmd = [sys.executable, "-m", "proofs_check", "run", "toy0000.hangs_once", "--out", str(tmp_path / "out"),
           "--workers", "2", "--run-timeout", "600", "--no-search"]
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while len(_children(proc.pid)) < 3:  # two workers and the resource tracker
            assert proc.poll() is None and time.monotonic() < deadline, "the pool did not start"
            time.sleep(0.1)
        time.sleep(1.0)  # the workers are inside their runs
        descendants = _children(proc.pid)
        os.kill(proc.pid, sig)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 15
        while any(_alive(p) for p in descendants) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in descendants if _alive(p)]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    if sig == signal.SIGTERM:
        assert proc.returncode == cli.EXIT_INTERRUPTED


def test_bcgd_divergence_is_a_diverged_trajectory_with_its_block_not_an_exception():
    from lintheory.inits import gaussian
    from lintheory.nets import Problem
    from lintheory.train import Normalised, bcgd

    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((3, 20)), rng.standard_normal((3, 20))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the overflow is the point
        traj, _ = bcgd(gaussian([3] * 65, 1.0, 0), Problem.data(X, Y), Normalised(1e6))
    assert traj.status == "diverged" and traj.iterations == 0
    assert traj.reason is not None and "sweep 0" in traj.reason and "LinAlgError" in traj.reason
    assert 0 < traj.updates < 64


def test_same_seed_gives_byte_identical_results_apart_from_the_timing_section(tmp_path):
    claims = [c for c in toy_claims.CLAIMS if c.id in ("toy0000.sample_mean_bound", "toy0000.slow_counter")]
    texts = []
    for name in ("a", "b"):
        run_claims(claims, "quick", tmp_path / name, workers=2, seed=3, reports=False)
        data = json.loads((tmp_path / name / "results.json").read_text())
        assert set(data["timing"]) == {"started", "finished", "wall_seconds", "claims"}
        assert set(data["timing"]["claims"]["toy0000.slow_counter"]) == {"runs"}
        assert not any("seconds" in c for c in data["claims"])
        assert not {"started", "finished", "wall_seconds"} & set(data["provenance"])
        texts.append(results.dumps({k: v for k, v in data.items() if k != "timing"}))
    assert texts[0] == texts[1]
    raw = [(tmp_path / n / "results.json").read_text() for n in ("a", "b")]
    assert raw[0].split('"timing"')[0] == raw[1].split('"timing"')[0]  # the timing section is last
