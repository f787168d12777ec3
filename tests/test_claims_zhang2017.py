"""Claims of Zhang & Brand (2017): each claim's run + judge on small grids, the judges on
constructed records (so that a broken computation or a broken rule fails here), the data
loaders and the SymPy derivations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from threadpoolctl import threadpool_limits
import sympy as sp

from lintheory.symbolic import zhang2017 as sym
from proofs_check import data
from proofs_check.claims import _zhang2017_protocol as protocol
from proofs_check.claim import RunRecord
from proofs_check.claims import zhang2017 as Z
from proofs_check.judging import jsonable

CLAIMS = {c.id.split(".")[1]: c for c in Z.CLAIMS}


@pytest.fixture(autouse=True, scope="module")
def _single_threaded_blas():
    """Small matrices: a multi-threaded BLAS only adds contention on a loaded machine (as in the runner)."""
    with threadpool_limits(limits=1):
        yield


def _records(claim, grid, seed=11):
    return [RunRecord(claim.id, dict(p), seed + i, "ok", jsonable(claim.run(p, seed + i))) for i, p in enumerate(grid)]


def _fake(claim_id, values, params=None):
    return [RunRecord(claim_id, dict(params or {"i": i}), i, "ok", jsonable(v)) for i, v in enumerate(values)]


def test_every_issue_claim_is_registered_with_a_quick_grid():
    expected = {"lifted_relu_identity", "tikhonov_matrix", "block_closed_forms", "monotone_decrease",
                "sufficient_decrease", "global_convergence", "r_linear_rate", "multiconvexity",
                "bcd_vs_sgd_mnist", "cost_linear_in_samples"}
    assert set(CLAIMS) == expected
    for c in CLAIMS.values():
        assert c.runs_for("quick") and c.runs_for("standard")
    grid = CLAIMS["bcd_vs_sgd_mnist"].runs_for("quick")
    assert {p["dataset"] for p in grid} == {"digits"}
    standard = CLAIMS["bcd_vs_sgd_mnist"].runs_for("standard")
    assert {p["hidden"] for p in standard} == {"256x2", "256x4"}
    assert {p["method"] for p in standard} == {"bcd", *protocol.LEARNING_RATES}
    assert {p["replicate"] for p in standard} == set(range(5))


# --------------------------------------------------------------------------- identities

def test_relu_identity_confirmed_and_breaks_with_a_wrong_projection(monkeypatch):
    c = CLAIMS["lifted_relu_identity"]
    grid = [{"n": 2000, "magnitudes": "mixed"}, {"n": 300, "magnitudes": "tiny"}]
    v = c.judge(_records(c, grid))
    assert v.verdict == "confirmed", v.summary
    monkeypatch.setattr(Z, "relu_projection", lambda x: (np.maximum(x, 1e-12), float(np.sum(np.minimum(x, 0) ** 2))))
    assert c.judge(_records(c, grid[:1])).verdict == "refuted"


def test_relu_runs_include_zeros_and_subnormals():
    run = Z._run_relu({"n": 2000, "magnitudes": "tiny"}, 3)
    assert run["zeros"] > 0 and run["subnormal"] > 0 and run["kkt_violations"] == 0


def test_tikhonov_confirmed_in_float64_and_mpmath_and_breaks_with_a_wrong_Q(monkeypatch):
    c = CLAIMS["tikhonov_matrix"]
    grid = [{"N": 2, "instance": 0, "arith": "float64"}, {"N": 4, "instance": 0, "arith": "float64"},
            {"N": 2, "instance": 0, "arith": "mpmath:dps=50"}]
    recs = _records(c, grid)
    v = c.judge(recs)
    assert v.verdict == "confirmed", v.summary
    mp = recs[-1].value
    assert mp["difference"] <= 4 * mp["D"] * 1e-49 * mp["abs_scale"] and mp["lambda_min_QUU"] > 0
    original = Z.tikhonov_matrix

    def perturbed(W, gamma):
        Q = original(W, gamma)
        Q[0, -1] += 1e-6
        Q[-1, 0] += 1e-6
        return Q

    monkeypatch.setattr(Z, "tikhonov_matrix", perturbed)
    assert c.judge(_records(c, grid[:1])).verdict == "refuted"


def test_closed_forms_confirmed_and_break_with_a_perturbed_update(monkeypatch):
    c = CLAIMS["block_closed_forms"]
    grid = [p for p in c.runs_for("quick") if (p["output"], p["loss"]) in
            {("free", "squared"), ("relu", "squared_hinge"), ("none", "squared")}]
    v = c.judge(_records(c, grid))
    assert v.verdict == "confirmed", v.summary
    checks = {r["params"]["check"] for r in v.evidence["table"]}
    assert {"U1 vs scipy nnls on stacked design", "U2 unique: PG from U^(t-1) and from 0"} <= checks
    original = Z.bcd_mod.update_output
    monkeypatch.setattr(Z.bcd_mod, "update_output", lambda *a: original(*a) + 1e-4)
    assert c.judge(_records(c, grid[:1])).verdict == "refuted"


def test_multiconvexity_confirmed_with_an_explicit_nonconvex_segment():
    c = CLAIMS["multiconvexity"]
    recs = _records(c, c.runs_for("quick")[:2])
    v = c.judge(recs)
    assert v.verdict == "confirmed", v.summary
    assert all(r.value["joint_found"] and r.value["joint_d2"] < 0 for r in recs)
    assert all(r.value["within_block_min_d2"] >= -1e-12 for r in recs)


# --------------------------------------------------------------------------- descent and convergence

def test_monotone_and_sufficient_decrease_confirmed_on_real_runs():
    mono, suff = CLAIMS["monotone_decrease"], CLAIMS["sufficient_decrease"]
    grid = [p for p in mono.runs_for("quick") if p["data"] == "synthetic"][::3]
    assert mono.judge(_records(mono, grid)).verdict == "confirmed"
    grid = [p for p in suff.runs_for("quick") if p["data"] == "synthetic"][::4]
    v = suff.judge(_records(suff, grid))
    assert v.verdict == "confirmed", v.summary
    assert all(r["slack"] >= 1.0 for r in v.evidence["table"])


def test_descent_judges_refute_violations():
    base = {"blocks": 10, "max_rel_increase": -1e-3, "worst_block": "U1", "worst_sweep": 1, "min_hidden": 0.0,
            "F": [3.0, 2.0], "step": [1.0], "sufficient_excess": -0.1, "worst_decrease": 1.0,
            "worst_required": 0.5, "min_ratio": 2.0, "sweep_of_worst": 1}
    p = {"data": "synthetic", "output": "free", "loss": "squared", "inner": "pg1", "eta": 1.0}
    assert Z._judge_monotone(_fake("m", [base], p)).verdict == "confirmed"
    assert Z._judge_monotone(_fake("m", [{**base, "max_rel_increase": 1e-9}], p)).verdict == "refuted"
    assert Z._judge_monotone(_fake("m", [{**base, "min_hidden": -1e-300}], p)).verdict == "refuted"
    assert Z._judge_sufficient(_fake("s", [{**base, "sufficient_excess": 1e-10}], p)).verdict == "refuted"


def _long_values(steps, eta=0.1):
    steps = np.asarray(steps, dtype=float)
    F0 = 1.0 + np.sum(steps ** 2) / eta
    F = [F0] + list(F0 - np.cumsum(steps ** 2) / eta * 0.5 - 1e-3 * np.arange(1, steps.size + 1) * 0)
    return {"F": F, "step": steps.tolist(), "kkt": (1.3 * steps).tolist()}


LONG = {"data": "digits", "M": 300, "hidden": [16, 16], "output": "free", "eta": 0.1, "sweeps": 400}


def test_rate_judge_separates_linear_sublinear_and_growing_steps():
    t = np.arange(1, 401)
    assert Z._judge_rate(_fake("r", [_long_values(0.97 ** t)], LONG)).verdict == "confirmed"
    v = Z._judge_rate(_fake("r", [_long_values(t ** -0.7)], LONG))
    assert v.verdict == "inconclusive" and "power law" in v.summary
    assert Z._judge_rate(_fake("r", [_long_values(1.01 ** t)], LONG)).verdict == "refuted"


def test_convergence_judge_on_constructed_sequences():
    t = np.arange(1, 401)
    assert Z._judge_convergence(_fake("g", [_long_values(0.97 ** t)], LONG)).verdict == "confirmed"
    slow = Z._judge_convergence(_fake("g", [_long_values(t ** -0.5)], LONG))
    assert slow.verdict == "inconclusive" and "finite length" in slow.summary
    broken = _long_values(0.97 ** t)
    broken["F"] = [broken["F"][0]] * len(broken["F"])  # steps taken without any decrease: L3 violated
    assert Z._judge_convergence(_fake("g", [broken], LONG)).verdict == "refuted"


def test_convergence_and_rate_on_a_real_run():
    params = {**Z._long_grid("quick")[0], "M": 200, "sweeps": 160}
    value = jsonable(Z._run_long(params, 5))
    rec = [RunRecord("g", params, 5, "ok", value)]
    checks = {r["params"]["check"]: r for r in Z._judge_convergence(rec).evidence["table"]}
    assert checks["L3: sum ||step||^2 <= 2(F^0 - F^T)/eta"]["status"] == "ok"
    assert checks["L4: max r/||step|| (late half) <= 2 x (sweeps T/4..T/2)"]["status"] == "ok"
    rate = Z._judge_rate(rec)
    assert rate.verdict != "refuted" and rate.evidence["table"][0]["observed"] < 1.0


# --------------------------------------------------------------------------- MNIST comparison

def _cmp_values(test_bcd, tests):
    rows = []
    for rep, e in enumerate(test_bcd):
        rows.append(({"dataset": "digits", "hidden": "32x2", "method": "bcd", "variant": "tuned", "replicate": rep},
                     {"checkpoints": [1, 2], "fit_error": [0.1, 0.05], "holdout_error": [0.2, 0.1],
                      "test_error": [0.5, e], "objective_per_sample": [2.0, 1.0], "monotone": True,
                      "lifted_fit_error": 0.0, "seconds_per_sweep": 0.01,
                      "variant": {"description": "tuned"}}))
    for solver, errs in tests.items():
        for rep, e in enumerate(errs):
            rows.append(({"dataset": "digits", "hidden": "32x2", "method": solver, "replicate": rep},
                         {"lr": 0.1, "train_loss": [1.0, 0.5], "test_error": e, "holdout_error": e,
                          "fit_error": 0.0, "diverged": False}))
    return [RunRecord("c", p, i, "ok", v) for i, (p, v) in enumerate(rows)]


def test_comparison_judge_follows_the_numbers():
    judge = CLAIMS["bcd_vs_sgd_mnist"].judge
    better = judge(_cmp_values([0.05, 0.06, 0.05], {"sgd": [0.08, 0.09, 0.08], "adam": [0.07, 0.08, 0.09]}))
    assert better.verdict == "confirmed"
    worse = judge(_cmp_values([0.10, 0.11, 0.10], {"sgd": [0.05, 0.06, 0.05], "adam": [0.08, 0.2, 0.06]}))
    assert worse.verdict == "refuted" and "sgd" in worse.summary
    tie = judge(_cmp_values([0.05, 0.07, 0.06], {"sgd": [0.06, 0.05, 0.065]}))
    assert tie.verdict == "inconclusive"
    rows = {r["params"]["method"]: r for r in better.evidence["table"]}
    assert rows["BCD tuned"]["status"] == "headline" and rows["BCD tuned"]["observed"] == pytest.approx(0.05333, 1e-3)


def test_protocol_runs_train_real_networks_on_digits():
    b = protocol.run_baseline("digits", "32x2", "adam", 0, 1, tune_epochs=1, epochs=6)
    assert b["test_error"] < 0.15 and b["lr"] in protocol.LEARNING_RATES["adam"]
    assert len(b["train_loss"]) == 6 and b["train_loss"][-1] < b["train_loss"][0]
    r = protocol.run_bcd("digits", "32x2", "tuned", 0, 1, 4, (1, 4))
    assert r["monotone"] and r["test_error"][-1] < 0.3
    assert r["objective_per_sample"][-1] < r["objective_per_sample"][0]
    assert r["lifted_fit_error"] <= r["fit_error"][-1]  # the lifted U fit the labels at least as well


def test_variants_build_valid_configs():
    for v in protocol.VARIANTS.values():
        for t in (1, 30):
            cfg = v.config(3, 1000, t)
            assert cfg.layers == 3 and min(cfg.gamma) > 0
    cont = protocol.VARIANTS["gamma_continuation"]
    assert cont.config(3, 100, 1).gamma[0] == pytest.approx(0.1) and cont.config(3, 100, 100).gamma[0] == 100.0
    assert protocol.VARIANTS["gamma_by_layer"].config(3, 100).gamma == pytest.approx((0.1, 1.0, 10.0))


# --------------------------------------------------------------------------- cost

def test_cost_judge_fits_the_exponent_of_synthetic_timings():
    Ms = [500, 1000, 2000, 4000]
    p = {"dataset": "digits", "hidden": [8], "Ms": Ms, "inner": 1, "repeats": 1, "instance": 0}

    def rec(times):
        return _fake("c", [{"Ms": Ms, "seconds": times, "flops": [1e6 * m for m in Ms]}], p)

    linear = Z._judge_cost(rec([1e-4 * m * (1 + 0.01 * (-1) ** i) for i, m in enumerate(Ms)]))
    assert linear.verdict == "confirmed" and linear.evidence["fit"]["exponent"] == pytest.approx(1.0, abs=0.02)
    quadratic = Z._judge_cost(rec([1e-8 * m * m for m in Ms]))
    assert quadratic.verdict == "refuted"
    noisy = Z._judge_cost(rec([0.05, 0.2, 0.1, 0.4]))  # slope ~0.8 but an interval far wider than 0.8
    assert noisy.verdict == "inconclusive"


def test_cost_run_reports_times_and_the_flop_model():
    out = Z._run_cost({"dataset": "digits", "hidden": [16], "Ms": [50, 100, 200], "inner": 2, "repeats": 1,
                       "instance": 0}, 0)
    assert len(out["seconds"]) == 3 and all(s > 0 for s in out["seconds"])
    assert out["flops"][2] - out["flops"][1] == pytest.approx(2 * (out["flops"][1] - out["flops"][0]))


# --------------------------------------------------------------------------- data and symbolic

def test_stratified_split_is_seeded_disjoint_and_balanced():
    y = np.repeat(np.arange(10), 50)
    a = data.stratified_split(y, 0.2, 0.16, seed=4)
    b = data.stratified_split(y, 0.2, 0.16, seed=4)
    assert all(np.array_equal(x, z) for x, z in zip((a.fit, a.holdout, a.test), (b.fit, b.holdout, b.test)))
    parts = np.concatenate([a.fit, a.holdout, a.test])
    assert np.array_equal(np.sort(parts), np.arange(500))
    assert np.all(np.bincount(y[a.test]) == 10) and np.all(np.bincount(y[a.holdout]) == 8)
    with pytest.raises(ValueError, match="fractions"):
        data.stratified_split(y, 0.7, 0.5, seed=0)


def test_loaders():
    d = data.load("digits")
    assert d.X.shape == (1797, 64) and 0 <= d.X.min() and d.X.max() <= 1
    with pytest.raises(ValueError, match="name must be one of"):
        data.load("cifar10")
    with pytest.raises(ValueError, match="labels"):
        data.one_hot(np.array([0, 10]))


def test_mnist5k_ships_with_the_package():
    d = data.load("mnist5k")
    assert d.X.shape == (5000, 784) and np.all(np.bincount(d.y) == 500) and d.X.max() == 1.0
    assert np.all(np.diff(d.y) >= 0) and not d.X.flags.writeable  # sorted by label, read-only


def test_symbolic_relu_and_closed_forms():
    assert all(sym.relu_projection_proofs().values())
    assert sym.tikhonov_identity()["difference"] == 0
    o = sym.output_update()
    u, y, v, up = sp.symbols("u y v u'", real=True)
    g, eta = sp.symbols("gamma eta", positive=True)
    assert sp.simplify(sp.diff(o["objective_squared"], u).subs(u, o["squared"])) == 0
    # hinge closed form against a numeric 1-D minimisation
    yt, c, kappa = 1.0, 0.3, 2.0
    hinge = float(o["hinge"].subs({sp.Symbol("ytilde", real=True): yt, sp.Symbol("c", real=True): c,
                                   sp.Symbol("kappa", positive=True): kappa}))
    grid = np.linspace(-2, 2, 400_001)
    vals = 0.5 * np.maximum(0, 1 - yt * grid) ** 2 + kappa / 2 * (grid - c) ** 2
    assert hinge == pytest.approx(grid[np.argmin(vals)], abs=2e-5)
    for name, steps in sym.DERIVATIONS.items():
        assert name.startswith("zhang2017.") and all(isinstance(e, sp.Basic) for _, e in steps())


def test_symbolic_strings_of_claims_are_latex():
    for c in Z.CLAIMS:
        if c.symbolic is not None:
            assert all(isinstance(s, str) and s for s in c.symbolic().values())
    assert math.isfinite(Z._EPS)
