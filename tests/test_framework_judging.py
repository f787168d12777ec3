"""proofs_check.judging: each rule confirms, refutes and stays inconclusive where it should."""

import math

import numpy as np
import pytest

from lintheory import fit
from proofs_check import judging
from proofs_check.claim import RunFailed, RunRecord

TEXTS = dict(predicted="p", observed="o", arithmetic="float64")


def _runs(pairs, status="ok"):
    return [RunRecord("toy0000.x", {"n": i}, i, status, {"bound": p, "obs": o, "status": "converged"})
            for i, (p, o) in enumerate(pairs)]


def test_slack_rows_and_confirmed_bound_report_the_slack_range():
    rows = judging.slack_table_rows(_runs([(2.0, 1.0), (4.0, 1.0), (0.0, 1.0)]), predicted="bound", observed="obs")
    assert [r["slack"] for r in rows] == [0.5, 0.25, None]
    assert rows[0]["status"] == "converged" and rows[0]["params"] == {"n": 0}
    v = judging.bound_verdict(rows[:2], rtol=1e-12, reason="float64 round-off", **TEXTS)
    assert v.verdict == "confirmed"
    assert v.evidence["slack"] == {"min": 0.25, "median": 0.375, "max": 0.5}
    assert "float64 round-off" in v.tolerance and v.evidence["violations"] == []


def test_bound_refutation_names_the_worst_instance_and_respects_the_tolerance():
    rows = judging.slack_table_rows(_runs([(1.0, 1.0 + 1e-13), (1.0, 1.5), (1.0, 3.0)]),
                                    predicted="bound", observed="obs")
    v = judging.bound_verdict(rows, rtol=1e-12, **TEXTS)
    assert v.verdict == "refuted"
    assert v.evidence["violations"] == [{"n": 2}, {"n": 1}]  # worst first; the 1e-13 excess is round-off
    assert "n=2" in v.summary


def test_lower_bound_mirrors_upper_bound():
    rows = judging.slack_table_rows(_runs([(1.0, 2.0), (1.0, 0.5)]), predicted="bound", observed="obs")
    assert judging.bound_verdict(rows, rtol=0.0, sense="lower", **TEXTS).evidence["violations"] == [{"n": 1}]
    assert judging.bound_verdict(rows[:1], rtol=0.0, sense="lower", **TEXTS).verdict == "confirmed"


def test_non_finite_rows_make_a_bound_inconclusive_unless_something_violates():
    rows = judging.slack_table_rows(_runs([(1.0, 0.5), (1.0, math.inf)]), predicted="bound", observed="obs")
    assert judging.bound_verdict(rows, rtol=0.0, **TEXTS).verdict == "refuted"  # inf > 1 is a violation
    rows = judging.slack_table_rows(_runs([(1.0, 0.5), (1.0, math.nan)]), predicted="bound", observed="obs")
    assert judging.bound_verdict(rows, rtol=0.0, **TEXTS).verdict == "inconclusive"
    assert judging.bound_verdict([], rtol=0.0, **TEXTS).verdict == "inconclusive"


def test_missing_runs_make_a_claim_inconclusive_and_are_listed():
    ok = _runs([(1.0, 0.5)])
    assert judging.missing_runs_inconclusive(ok, tolerance="t", **TEXTS) is None
    bad = ok + [RunRecord("toy0000.x", {"n": 9}, 9, "diverged", {}, "RunFailed: boom")]
    v = judging.missing_runs_inconclusive(bad, tolerance="t", **TEXTS)
    assert v.verdict == "inconclusive" and v.evidence["failed"] == [
        {"params": {"n": 9}, "status": "diverged", "error": "RunFailed: boom"}]
    assert judging.missing_runs_inconclusive([], tolerance="t", **TEXTS).verdict == "inconclusive"


def test_identity_verdict_uses_given_errors_or_differences():
    rows = [{"params": {"k": 1}, "predicted": 1.0, "observed": 1.0 + 1e-15},
            {"params": {"k": 2}, "predicted": 0.0, "error": 1e-20}]
    v = judging.identity_verdict(rows, rtol=1e-14, atol=1e-18, **TEXTS)
    assert v.verdict == "confirmed" and v.evidence["max_error"] == pytest.approx(1e-15, rel=0.2)
    rows.append({"params": {"k": 3}, "predicted": 2.0, "observed": 2.1})
    v = judging.identity_verdict(rows, rtol=1e-14, atol=1e-18, **TEXTS)
    assert v.verdict == "refuted" and v.evidence["violations"] == [{"k": 3}]
    nan_row = [{"params": {"k": 4}, "predicted": 1.0, "observed": math.nan}]
    assert judging.identity_verdict(nan_row, rtol=0, atol=0, **TEXTS).verdict == "inconclusive"


@pytest.mark.parametrize(
    ("expected", "sense", "max_width", "verdict"),
    [(2.0, "equal", None, "confirmed"), (2.5, "equal", None, "refuted"), (2.0, "equal", 1e-6, "inconclusive"),
     (2.1, "at_most", None, "confirmed"), (1.9, "at_most", None, "refuted"), (2.0, "at_most", None, "inconclusive"),
     (1.9, "at_least", None, "confirmed"), (2.1, "at_least", None, "refuted"), (2.0, "at_least", None, "inconclusive")],
)
def test_scaling_verdict_against_a_known_exponent(expected, sense, max_width, verdict):
    rng = np.random.default_rng(3)
    x = np.arange(2.0, 40.0)
    f = fit.power_law(x, x**2.0 * np.exp(rng.normal(0, 0.01, x.size)))
    assert f.ci95[0] < 2.0 < f.ci95[1] and f.ci95[1] - f.ci95[0] < 0.05
    v = judging.scaling_verdict(f, expected, tol=0.0, sense=sense, max_ci_width=max_width, **TEXTS)
    assert v.verdict == verdict
    assert v.evidence["fit"]["expected"] == expected and len(v.evidence["fit"]["ci95"]) == 2


def test_scaling_verdict_reads_rate_fits_too():
    r = fit.linear_rate(0.5 ** np.arange(10.0))
    assert judging.scaling_verdict(r, 0.5, tol=1e-9, **TEXTS).verdict == "confirmed"


def test_jsonable_converts_numeric_types():
    import mpmath

    out = judging.jsonable({"a": np.float64(1.5), "b": np.arange(2), "c": (np.int32(3), mpmath.mpf("0.25")),
                            1: np.bool_(True)})
    assert out == {"a": 1.5, "b": [0, 1], "c": [3, 0.25], "1": True}
    assert type(out["a"]) is float and type(out["c"][0]) is int
    with pytest.raises(TypeError):
        judging.jsonable(object())


def test_bad_tolerances_are_rejected_before_any_judging():
    with pytest.raises(ValueError, match="rtol"):
        judging.bound_verdict([], rtol=-1.0, **TEXTS)
    with pytest.raises(ValueError, match="sense"):
        judging.bound_verdict([], rtol=0.0, sense="sideways", **TEXTS)
    with pytest.raises(ValueError, match="tol"):
        judging.scaling_verdict(fit.linear([1, 2, 3], [1, 2, 3]), 1.0, tol=-1.0, **TEXTS)
    assert issubclass(RunFailed, RuntimeError)


def test_table_rows_skip_failed_runs_and_copy_extras():
    runs = _runs([(1.0, 2.0)]) + [RunRecord("toy0000.x", {"n": 5}, 5, "error", {}, "boom")]
    rows = judging.table_rows(runs, predicted=lambda r: r.value["bound"] * 3, observed="obs", extra=("status",))
    assert rows == [{"params": {"n": 0}, "predicted": 3.0, "observed": 2.0, "status": "converged"}]
    assert "slack" not in rows[0]
