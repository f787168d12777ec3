"""Claims of Zhang & Brand (2017): each claim's run + checks on small grids, the checks on
constructed records (so that a broken computation or a broken rule fails here), the mutants,
the data loaders and the SymPy derivations."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from threadpoolctl import threadpool_limits

from lintheory.lifted import algorithm as bcd_mod
from lintheory.symbolic import zhang2017 as sym
from proofs_check import data, registry
from proofs_check.checks import judge
from proofs_check.claim import RunRecord
from proofs_check.claims.zhang2017 import PAPER, _protocol as protocol
from proofs_check.claims.zhang2017 import (
    block_closed_forms, cost_linear_in_samples, lifted_relu_identity, r_linear_rate, tikhonov_matrix,
)
from proofs_check.claims.zhang2017._common import long_grid, run_long
from proofs_check.judging import jsonable

CLAIMS = {c.id.split(".")[1]: c for c in registry.all_claims() if c.paper == "zhang2017"}


@pytest.fixture(autouse=True, scope="module")
def _single_threaded_blas():
    """Small matrices: a multi-threaded BLAS only adds contention on a loaded machine (as in the runner)."""
    with threadpool_limits(limits=1):
        yield


def _records(claim, grid, seed=11):
    return [RunRecord(claim.id, dict(p), seed + i, "ok", jsonable(claim.run(p, seed + i))) for i, p in enumerate(grid)]


def _fake(claim_id, values, params=None):
    return [RunRecord(claim_id, dict(params or {"i": i}), i, "ok", jsonable(v)) for i, v in enumerate(values)]


def _verdict(claim, runs, constants=None):
    return judge(claim, runs, constants)[0]


def test_every_claim_is_registered_with_a_quick_grid_mutants_and_a_figure():
    expected = {"lifted_relu_identity", "tikhonov_matrix", "block_closed_forms", "monotone_decrease",
                "sufficient_decrease", "global_convergence", "r_linear_rate", "multiconvexity",
                "bcd_vs_sgd_mnist", "cost_linear_in_samples"}
    assert set(CLAIMS) == expected and PAPER.arxiv == "1711.07354"
    for c in CLAIMS.values():
        assert c.runs_for("quick") and c.runs_for("standard") and c.figures and c.mutants
        assert "brief" not in c.source and "experiment C" not in c.source
    grid = CLAIMS["bcd_vs_sgd_mnist"].runs_for("quick")
    assert {p["dataset"] for p in grid} == {"digits"}
    standard = CLAIMS["bcd_vs_sgd_mnist"].runs_for("standard")
    assert {p["hidden"] for p in standard} == {"256x2", "256x4"}
    assert {p["method"] for p in standard} == {"bcd", "ridge", "three_split", *protocol.LEARNING_RATES}
    assert {p["replicate"] for p in standard} == set(range(5))


# --------------------------------------------------------------------------- identities

def test_relu_identity_confirmed_catches_its_mutant_and_breaks_with_a_wrong_projection(monkeypatch):
    c = CLAIMS["lifted_relu_identity"]
    grid = [{"n": 2000, "magnitudes": "mixed", "floor": 0.0}, {"n": 300, "magnitudes": "tiny", "floor": 0.0}]
    recs = _records(c, grid)
    assert _verdict(c, recs).verdict == "confirmed"
    assert _verdict(c, recs, {"value_factor": 0.5}).verdict == "not_reproduced"
    monkeypatch.setattr(lifted_relu_identity, "relu_projection",
                        lambda x: (np.maximum(x, 1e-12), float(np.sum(np.minimum(x, 0) ** 2))))
    assert _verdict(c, _records(c, grid[:1])).verdict == "not_reproduced"


def test_relu_runs_include_zeros_and_subnormals():
    run = lifted_relu_identity.run({"n": 2000, "magnitudes": "tiny", "floor": 0.0}, 3)
    assert run["zeros"] > 0 and run["subnormal"] > 0 and run["kkt_violations"] == 0
    assert lifted_relu_identity.run({"n": 2000, "magnitudes": "tiny", "floor": 1e-12}, 3)["kkt_violations"] > 0


def test_tikhonov_confirmed_in_float64_and_mpmath_and_breaks_with_a_wrong_Q(monkeypatch):
    c = CLAIMS["tikhonov_matrix"]
    grid = [{"N": 2, "instance": 0, "arith": "float64"}, {"N": 4, "instance": 0, "arith": "float64"},
            {"N": 2, "instance": 0, "arith": "mpmath:dps=50"}]
    recs = _records(c, grid)
    assert _verdict(c, recs).verdict == "confirmed"
    mp = recs[-1].value
    assert mp["difference"] <= 4 * mp["D"] * 1e-49 * mp["abs_scale"] and mp["lambda_min_QUU"] > 0
    assert mp["near_zero_eigenvalues"] == mp["d0"]
    assert _verdict(c, recs, {"nullity_per_input": 0}).verdict == "not_reproduced"
    original = tikhonov_matrix.tikhonov_matrix

    def perturbed(W, gamma):
        Q = original(W, gamma)
        Q[0, -1] += 1e-6
        Q[-1, 0] += 1e-6
        return Q

    monkeypatch.setattr(tikhonov_matrix, "tikhonov_matrix", perturbed)
    assert _verdict(c, _records(c, grid[:1])).verdict == "not_reproduced"


def test_closed_forms_confirmed_and_break_with_a_perturbed_update(monkeypatch):
    c = CLAIMS["block_closed_forms"]
    grid = [p for p in c.runs_for("quick") if (p["output"], p["loss"]) in
            {("free", "squared"), ("relu", "squared_hinge"), ("none", "squared")}]
    v = _verdict(c, _records(c, grid))
    assert v.verdict == "confirmed", v.summary
    checks = {r["params"]["check"] for r in v.evidence["checks"]["hidden NNLS"]["table"]}
    assert {"U1 vs scipy nnls on stacked design", "U2 unique: PG from U^(t-1) and from 0"} <= checks
    no_prox = [{**p, "prox_factor": 0.0} for p in grid[:1]]
    assert _verdict(c, _records(c, no_prox)).verdict == "not_reproduced"
    original = bcd_mod.update_output
    monkeypatch.setattr(bcd_mod, "update_output", lambda *a: original(*a) + 1e-4)
    assert _verdict(c, _records(c, grid[:1])).verdict == "not_reproduced"


def test_multiconvexity_confirmed_with_an_explicit_nonconvex_segment():
    c = CLAIMS["multiconvexity"]
    recs = _records(c, c.runs_for("quick")[:2])
    assert _verdict(c, recs).verdict == "confirmed"
    assert all(r.value["joint_found"] and r.value["joint_rel_d2"] < 0 for r in recs)
    assert all(r.value["within_block_min_d2"] >= -1e-12 for r in recs)
    assert _verdict(c, recs, {"joint_convex": True}).verdict == "not_reproduced"
    assert _verdict(c, recs, {"modulus": 1e3}).verdict == "not_reproduced"


# --------------------------------------------------------------------------- descent and convergence

def test_monotone_and_sufficient_decrease_confirmed_on_real_runs_and_x3_caught_where_tight():
    mono, suff = CLAIMS["monotone_decrease"], CLAIMS["sufficient_decrease"]
    grid = [p for p in mono.runs_for("quick") if p["data"] == "synthetic"][::3]
    recs = _records(mono, grid)
    assert _verdict(mono, recs).verdict == "confirmed"
    assert _verdict(mono, recs, {"floor": 1e-300}).verdict == "not_reproduced"
    tight = [p for p in suff.runs_for("quick") if p.get("regime") == "tight"]
    recs = _records(suff, [p for p in suff.runs_for("quick") if p["data"] == "synthetic"][::4] + tight)
    v = _verdict(suff, recs)
    assert v.verdict == "confirmed", v.summary
    assert v.evidence["slack"]["min"] >= 1.0
    assert _verdict(suff, recs, {"c": 1.5}).verdict == "not_reproduced"


def test_descent_checks_catch_violations():
    base = {"blocks": 10, "eta": 1.0, "max_rel_increase": -1e-3, "worst_block": "U1", "worst_sweep": 1,
            "min_hidden": 0.0, "F": [3.0, 2.0], "step": [1.0]}
    p = {"data": "synthetic", "output": "free", "loss": "squared", "inner": "pg1", "eta": 1.0}
    mono, suff = CLAIMS["monotone_decrease"], CLAIMS["sufficient_decrease"]
    assert _verdict(mono, _fake("m", [base], p)).verdict == "confirmed"
    assert _verdict(mono, _fake("m", [{**base, "max_rel_increase": 1e-9}], p)).verdict == "not_reproduced"
    assert _verdict(mono, _fake("m", [{**base, "min_hidden": -1e-300}], p)).verdict == "not_reproduced"
    assert _verdict(suff, _fake("s", [base], p)).verdict == "confirmed"  # decrease 1 >= 0.5 * 1 * 1
    assert _verdict(suff, _fake("s", [{**base, "step": [1.5]}], p)).verdict == "not_reproduced"


def _long_values(steps, eta=0.1):
    steps = np.asarray(steps, dtype=float)
    F0 = 1.0 + np.sum(steps ** 2) / eta
    F = [F0] + list(F0 - np.cumsum(steps ** 2) / eta * 0.5)
    return {"F": F, "step": steps.tolist(), "kkt": (1.3 * steps).tolist()}


LONG = {"data": "digits", "M": 300, "hidden": [16, 16], "output": "free", "eta": 0.1, "sweeps": 400,
        "inner": "exact"}


def test_rate_checks_separate_linear_sublinear_and_growing_steps():
    c = CLAIMS["r_linear_rate"]
    t = np.arange(1, 401)
    assert _verdict(c, _fake("r", [_long_values(0.97 ** t)], LONG)).verdict == "confirmed"
    assert _verdict(c, _fake("r", [_long_values(0.97 ** t)], LONG), {"tau_max": 0.9}).verdict == "not_reproduced"
    v = _verdict(c, _fake("r", [_long_values(t ** -0.7)], LONG))
    assert v.verdict == "inconclusive" and "power law" in v.summary
    assert _verdict(c, _fake("r", [_long_values(1.01 ** t)], LONG)).verdict == "not_reproduced"


def test_convergence_checks_on_constructed_sequences():
    c = CLAIMS["global_convergence"]
    t = np.arange(1, 401)
    assert _verdict(c, _fake("g", [_long_values(0.97 ** t)], LONG)).verdict == "confirmed"
    slow = _verdict(c, _fake("g", [_long_values(t ** -0.5)], LONG))
    assert slow.verdict == "inconclusive" and "finite length" in slow.summary
    broken = _long_values(0.97 ** t)
    broken["F"] = [broken["F"][0]] * len(broken["F"])  # steps taken without any decrease: L3 violated
    assert _verdict(c, _fake("g", [broken], LONG)).verdict == "not_reproduced"


def test_convergence_and_rate_on_a_real_run():
    params = {**long_grid("quick", "pg20")[0], "M": 200, "sweeps": 160}
    rec = [RunRecord("g", params, 5, "ok", jsonable(run_long(params, 5)))]
    parts = {p.check.label: p for p in judge(CLAIMS["global_convergence"], rec)[1]}
    assert parts["L3"].verdict.verdict == "confirmed" and parts["L4 relative error"].verdict.verdict == "confirmed"
    a = r_linear_rate.analysis(rec[0].value["step"])
    assert a["tail_fit"].rate < 0


# --------------------------------------------------------------------------- MNIST comparison

def _cmp(bcd_test, tests, ridge=(0.2, 0.2, 0.2), bcd_fit=0.01, ridge_fit=0.1):
    rows = []
    for rep, e in enumerate(bcd_test):
        base = {"dataset": "digits", "hidden": "32x2", "replicate": rep}
        curve = {"checkpoints": [1, 2], "fit_error": [0.5, bcd_fit], "holdout_error": [0.5, 0.1],
                 "test_error": [0.5, e], "objective_per_sample": [2.0, 1.0], "monotone": True}
        rows.append(({**base, "method": "bcd", "variant": "tuned"}, curve))
        rows.append(({**base, "method": "three_split"}, curve))
        rows.append(({**base, "method": "ridge"}, {"fit_error": ridge_fit, "holdout_error": 0.2,
                                                   "test_error": ridge[rep] + 0.01 * rep}))
    for solver, errs in tests.items():
        for rep, e in enumerate(errs):
            rows.append(({"dataset": "digits", "hidden": "32x2", "method": solver, "replicate": rep},
                         {"lr": 0.1, "train_loss": [1.0, 0.5], "test_error": e, "holdout_error": e,
                          "fit_error": 0.0, "diverged": False}))
    return [RunRecord("c", p, i, "ok", v) for i, (p, v) in enumerate(rows)]


def test_comparison_follows_the_numbers_and_its_controls():
    c = CLAIMS["bcd_vs_sgd_mnist"]
    better = _cmp([0.05, 0.06, 0.05], {"sgd": [0.08, 0.09, 0.08], "adam": [0.07, 0.08, 0.09]})
    assert _verdict(c, better).verdict == "confirmed"
    assert _verdict(c, better, {"margin": 0.05}).verdict == "not_reproduced"
    worse = _verdict(c, _cmp([0.10, 0.11, 0.10], {"sgd": [0.05, 0.06, 0.05], "adam": [0.08, 0.2, 0.06]}))
    assert worse.verdict == "not_reproduced" and "sgd" in worse.summary
    tie = _cmp([0.05, 0.07, 0.06], {"sgd": [0.06, 0.05, 0.065]})
    assert _verdict(c, tie).verdict == "inconclusive"
    # a BCD network no better than the linear classifier: no verdict, whatever the solvers say
    linear = _verdict(c, _cmp([0.10, 0.11, 0.10], {"sgd": [0.05, 0.06, 0.05]}, ridge=(0.1, 0.1, 0.1)))
    assert linear.verdict == "inconclusive" and "fails its control" in linear.summary
    fit_control = _verdict(c, _cmp([0.05, 0.06, 0.05], {"sgd": [0.08, 0.09, 0.08]}, bcd_fit=0.2))
    assert fit_control.verdict == "inconclusive" and "linear control (train)" in fit_control.summary


def test_protocol_runs_train_real_networks_on_digits():
    b = protocol.run_baseline("digits", "32x2", "adam", 0, 1, tune_epochs=1, epochs=6)
    assert b["test_error"] < 0.15 and b["lr"] in protocol.LEARNING_RATES["adam"]
    assert len(b["train_loss"]) == 6 and b["train_loss"][-1] < b["train_loss"][0]
    r = protocol.run_bcd("digits", "32x2", "tuned", 0, 1, 4, (1, 4))
    assert r["test_error"][-1] < 0.3 and r["objective_per_sample"][-1] < r["objective_per_sample"][0]
    assert r["lifted_fit_error"] <= r["fit_error"][-1]  # the lifted U fit the labels at least as well
    ridge = protocol.run_ridge("digits", "32x2", 0)
    assert ridge["test_error"] < 0.15 and ridge["penalty_per_sample"] in protocol.RIDGE_PENALTIES
    ref = protocol.run_three_split("digits", "32x2", 0, 1, 4, (1, 4), protocol_config())
    assert ref["monotone"] and ref["test_error"][-1] < ref["test_error"][0] + 0.05


def protocol_config():
    from proofs_check.claims.zhang2017.bcd_vs_sgd_mnist import THREE_SPLIT
    return THREE_SPLIT


def test_variants_build_valid_configs():
    for v in protocol.VARIANTS.values():
        for t in (1, 30):
            cfg = v.config(3, 1000, t)
            assert cfg.layers == 3 and min(cfg.gamma) > 0
    cont = protocol.VARIANTS["gamma_continuation"]
    assert cont.config(3, 100, 1).gamma[0] == pytest.approx(0.1) and cont.config(3, 100, 100).gamma[0] == 100.0
    assert protocol.VARIANTS["gamma_by_layer"].config(3, 100).gamma == pytest.approx((0.1, 1.0, 10.0))


# --------------------------------------------------------------------------- cost

def test_cost_checks_fit_the_exponent_of_operation_counts():
    c = CLAIMS["cost_linear_in_samples"]
    Ms = [500, 1000, 2000, 4000]
    p = {"dataset": "digits", "hidden": [8], "Ms": Ms, "instance": 0}

    def rec(flops):
        return _fake("c", [{"Ms": Ms, "flops_per_sample_part": flops, "flops_fixed_part": [1e3] * 4,
                            "inner_iterations": [[3.0]] * 4}], p)

    linear = _verdict(c, rec([1e4 * m * (1 + 0.01 * (-1) ** i) for i, m in enumerate(Ms)]))
    assert linear.verdict == "confirmed" and linear.evidence["fit"]["exponent"] == pytest.approx(1.0, abs=0.02)
    assert _verdict(c, rec([1e4 * m * (1 + 0.01 * (-1) ** i) for i, m in enumerate(Ms)]),
                    {"exponent": 1.5}).verdict == "not_reproduced"
    assert _verdict(c, rec([1e-2 * m * m for m in Ms])).verdict == "not_reproduced"


def test_cost_run_counts_operations_with_the_iterations_used():
    out = cost_linear_in_samples.run({"dataset": "digits", "hidden": [16], "Ms": [50, 100, 200], "instance": 0}, 0)
    assert len(out["flops_per_sample_part"]) == 3 and all(i[0] >= 1 for i in out["inner_iterations"])
    assert len(set(out["flops_fixed_part"])) == 1  # the M-free part depends on the widths only


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
    u = sp.symbols("u", real=True)
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
    for c in CLAIMS.values():
        if c.symbolic is not None:
            assert all(isinstance(s, str) and s for s in c.symbolic().values())
    assert block_closed_forms.CLAIM.symbolic is not None
