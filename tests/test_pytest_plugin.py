"""The pytest plugin: claims as test items that pass, fail and xfail/skip as their verdicts say."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

pytest_plugins = ("pytester",)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PLUGIN = "proofs_check.pytest_plugin"


def _preload() -> None:
    """Import what the inner sessions import, before the first of them: in-process pytester
    runs drop the modules first imported inside them, and NumPy cannot be imported twice."""
    import proofs_check.runner  # noqa: F401
    import proofs_check.search.pipeline  # noqa: F401
    import toy_search_claims  # noqa: F401
    from proofs_check import registry

    registry.all_claims()


_preload()


@pytest.fixture
def toys(pytester, monkeypatch):
    monkeypatch.setenv("PROOFS_CHECK_CLAIM_MODULES", "toy_search_claims")
    monkeypatch.syspath_prepend(str(FIXTURES))
    return pytester


def _run(pytester, *args):
    return pytester.runpytest_inprocess("-p", PLUGIN, "--claims-out", str(pytester.path / "out"),
                                        "--claims-workers", "1", "-rA", *args)


def test_items_pass_fail_and_xfail_by_verdict(toys):
    result = _run(toys, "--claims", "toy0000.*")
    result.assert_outcomes(passed=4, failed=1, xfailed=1)
    result.stdout.fnmatch_lines([
        "*toy0000.reversed_bound refuted (toy (tests), bound): violated in 2 of 3 instances*",
        "*violating instances (2):*",
    ])
    result.stdout.fnmatch_lines(["XFAIL claims::toy0000.undecidable*inconclusive*did not finish*"])
    result.stdout.fnmatch_lines(["FAILED claims::toy0000.reversed_bound*"])


def test_inconclusive_can_be_reported_as_skip(toys):
    result = _run(toys, "--claims", "toy0000.undecidable", "--claims-inconclusive", "skip")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*SKIPPED*toy0000.undecidable inconclusive*"])


def test_keyword_selection_and_certification(toys):
    result = _run(toys, "--claims", "toy0000.*", "-k", "frobenius or tie", "--claims-certify")
    result.assert_outcomes(passed=2, deselected=4)


def test_a_search_counterexample_is_in_the_failure_message():
    from proofs_check.pytest_plugin import failure_message
    from proofs_check.search import search
    from proofs_check.search.results import attach_search
    from toy_search_claims import CLAIMS

    halved = next(c for c in CLAIMS if c.id == "toy0000.product_norm_bound_halved")
    entry = attach_search({"id": halved.id, "verdict": "confirmed", "summary": "holds", "evidence": {}},
                          search(halved, budget=10).to_json())
    message = failure_message(entry)
    assert "search counterexample" in message and "rerun: python -m proofs_check.search" in message


def test_unknown_claim_pattern_is_a_usage_error(toys):
    result = _run(toys, "--claims", "nosuchpaper.*")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--claims*matches no registered claim*"])


def test_without_claims_option_nothing_is_added(toys):
    toys.makepyfile("def test_plain():\n    assert True\n")
    _run(toys).assert_outcomes(passed=1)


def test_entry_point_makes_claims_work_from_outside_the_tree(tmp_path):
    """``pytest --claims`` in a folder unrelated to this project, with no ``-p``."""
    names = {ep.value for ep in metadata.entry_points(group="pytest11")}
    assert PLUGIN in names, (
        "proofs_check.pytest_plugin is not registered as a pytest11 entry point; add to pyproject.toml "
        '[project.entry-points.pytest11] "proofs_check.pytest_plugin" = "proofs_check.pytest_plugin" '
        "and reinstall the package")
    env = {**os.environ, "PROOFS_CHECK_CLAIM_MODULES": "toy_search_claims",
           "PYTHONPATH": os.pathsep.join([str(FIXTURES), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "pytest", "--claims", "toy0000.product_norm_bound",
                           "--claims-workers", "1", "-p", "no:cacheprovider", "-q"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout


def test_a_real_claim_runs_as_an_item(pytester):
    result = pytester.runpytest_inprocess("-p", PLUGIN, "--claims", "arora2018.whitening_reduction",
                                          "--claims-out", str(pytester.path / "out"), "--claims-workers", "1")
    result.assert_outcomes(passed=1)


def test_smoke_run_of_every_registered_claim(pytester):
    """Every claim of the package runs on the quick profile and yields a verdict, none an error."""
    from proofs_check import registry

    claims = registry.all_claims()
    assert claims, "no claims are registered"
    result = pytester.runpytest_inprocess("-p", PLUGIN, "--claims", "*", "--claims-profile", "quick",
                                          "--claims-out", str(pytester.path / "out"), "-rA")
    outcomes = result.parseoutcomes()
    assert "errors" not in outcomes and "error" not in outcomes, result.stdout.str()
    decided = sum(outcomes.get(k, 0) for k in ("passed", "failed", "xfailed"))
    assert decided == len(claims), outcomes


def test_header_and_collected_count_include_the_claims(toys):
    result = _run(toys, "--claims", "toy0000.*", "--co")
    result.stdout.fnmatch_lines(["proofs-check: 6 claims selected by --claims toy0000.* (profile quick, seed 0)",
                                 "collected 6 items"])
