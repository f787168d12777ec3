"""The run cache never serves stale runs, and a damaged or unwritable cache is one clear line."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import toy_claims

from proofs_check import cli, provenance
from proofs_check.cache import CacheError, RunCache
from proofs_check.runner import run_claims

MEAN = next(c for c in toy_claims.CLAIMS if c.id == "toy0000.sample_mean_bound")
SLOW = next(c for c in toy_claims.CLAIMS if c.id == "toy0000.slow_counter")


@pytest.fixture(autouse=True)
def _toy_registry(monkeypatch):
    monkeypatch.setenv("PROOFS_CHECK_CLAIM_MODULES", "toy_claims")


def test_the_code_version_covers_every_file_of_both_packages_and_the_library_versions(tmp_path, monkeypatch):
    files = {p.relative_to(provenance._REPO).as_posix() for p in provenance.source_files()}
    assert {"proofs_check/data/__init__.py", "proofs_check/claims/zhang2017/_protocol.py", "proofs_check/runner.py",
            "lintheory/train.py", "proofs_check/claims/zhang2017/bcd_vs_sgd_mnist.py"} <= files
    assert not any("__pycache__" in f or f.endswith(".pyc") for f in files)
    before = provenance.code_version(MEAN.run)
    monkeypatch.setattr(provenance, "package_versions", lambda: {"numpy": "0.0-other"})
    assert provenance.code_version(MEAN.run) != before


def test_editing_a_helper_outside_the_claim_modules_recomputes_the_runs(tmp_path, monkeypatch):
    """A copy of both packages stands for the installed source; its data.py (which the Zhang runs
    call, and which no claim module defines) is edited between two sweeps."""
    copy = tmp_path / "src"
    for root in provenance.SOURCE_ROOTS:
        shutil.copytree(root, copy / root.name, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(provenance, "SOURCE_ROOTS", tuple(copy / r.name for r in provenance.SOURCE_ROOTS))
    out = tmp_path / "out"
    assert run_claims([MEAN], "quick", out, workers=1, reports=False).computed == 3
    assert run_claims([MEAN], "quick", out, workers=1, reports=False).computed == 0
    helper = copy / "proofs_check" / "data" / "__init__.py"
    helper.write_text(helper.read_text() + "\n# edited: one_hot now scales by 0.5\n")
    again = run_claims([MEAN], "quick", out, workers=1, reports=False)
    assert (again.computed, again.cached) == (3, 0)


def _filled(path: Path) -> Path:
    with RunCache(path) as cache:
        for i in range(300):
            cache.store("toy0000.x", f'{{"i":{i}}}', 0, "v", status="ok", value={"pad": "x" * 200},
                        error=None, seconds=0.1)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _truncated(path: Path) -> None:
    data = _filled(path).read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(64 * 1024))


def _garbage_in_the_middle(path: Path) -> None:
    data = bytearray(_filled(path).read_bytes())
    middle = len(data) // 2
    data[middle:middle + 8192] = os.urandom(8192)
    path.write_bytes(bytes(data))


def _a_folder(path: Path) -> None:
    path.mkdir()


def _wrong_table(path: Path) -> None:
    with sqlite3.connect(_filled(path)) as db:
        db.execute("DROP TABLE runs")
        db.execute("CREATE TABLE runs (anything)")


DAMAGED = {"truncated": _truncated, "random bytes": _random_bytes, "garbage in the middle": _garbage_in_the_middle,
           "a folder in its place": _a_folder, "a table with other columns": _wrong_table}


@pytest.mark.parametrize("state", list(DAMAGED))
def test_a_damaged_cache_is_one_line_naming_the_file_and_the_remedy_then_reset_rebuilds_it(state, tmp_path, capsys):
    cache = tmp_path / "cache.sqlite"
    DAMAGED[state](cache)
    argv = ["run", MEAN.id, "--out", str(tmp_path), "--workers", "1", "--no-search"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(cache) in err and "--reset-cache" in err and "Traceback" not in err, err
    assert cli.main([*argv, "--reset-cache"]) == 0
    assert "moved to" in capsys.readouterr().err
    assert [p for p in tmp_path.iterdir() if p.name.startswith("cache.sqlite.bad-")]
    with RunCache(cache) as rebuilt:
        assert len(rebuilt.finished(MEAN.id, provenance.code_version(MEAN.run))) == 3


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[None]:
    """``path`` read-only even for root (the immutable attribute), restored on exit."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        yield
        return
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("running as root where chattr +i is not supported: no way to make a file read-only")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_cache_serves_finished_runs_but_fresh_is_one_line_before_any_work(tmp_path, capsys):
    argv = ["run", MEAN.id, "--out", str(tmp_path), "--workers", "1", "--no-search"]
    assert cli.main(argv) == 0
    with sqlite3.connect(tmp_path / "cache.sqlite") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    capsys.readouterr()
    with _read_only(tmp_path / "cache.sqlite"):
        assert cli.main([*argv, "--fresh"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "cache.sqlite" in err and "writable" in err, err
        assert cli.main(argv) == 0  # nothing to store: the read-only cache still serves its runs
        assert "0 runs computed, 3 from the cache" in capsys.readouterr().out


def test_a_table_dropped_mid_run_stops_the_sweep_with_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TOY_SLEEP", "0.3")
    from proofs_check import runner

    real = runner.RunCache.store
    calls = []

    def store(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # another process drops the table between two commits
            with sqlite3.connect(self.path) as other:
                other.execute("DROP TABLE runs")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(runner.RunCache, "store", store)
    assert cli.main(["run", SLOW.id, "--out", str(tmp_path), "--workers", "1", "--no-search"]) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith("(its runs will be recomputed)") and "no such table: runs" in err, err
    assert threading.active_count() < 20


def test_cache_errors_in_the_api_are_cache_errors(tmp_path):
    (tmp_path / "cache.sqlite").write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    with pytest.raises(CacheError, match="damaged"):
        run_claims([MEAN], "quick", tmp_path, workers=1, reports=False)
    assert run_claims([MEAN], "quick", tmp_path, workers=1, reports=False, reset_cache=True).computed == 3
