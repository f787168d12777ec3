"""Wu, Wang, Ma (2019): the ZAS maths (lintheory.zas, lintheory.zas_reduced) against the engine,
and every claim of proofs_check/claims/wu2019.py on a small grid, plus tampered runs that its
judge must refute."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from lintheory import zas as Z
from lintheory.inits import zas
from lintheory.kernels import gd_float64
from lintheory.nets import Problem, deep_linear
from lintheory.train import Stop, gd
from lintheory.zas_reduced import reduced_gd, reduced_gd_mp, singular_targets
from proofs_check.claim import RunRecord
from proofs_check.claims import wu2019 as W
from proofs_check.runner import params_key, run_seed


# --------------------------------------------------------------------------------------
# the exact reduction against the full network
# --------------------------------------------------------------------------------------
def _phi(d_out, d, seed=1):
    return np.random.default_rng(seed).standard_normal((d_out, d)) * 0.8


@pytest.mark.parametrize("d_out, d, L", [(3, 3, 3), (2, 3, 2), (1, 1, 5)])
def test_reduction_reproduces_full_gd_step_by_step(d_out, d, L):
    Phi = _phi(d_out, d)
    eta, steps = 0.02, 300
    traj, net = gd(zas(d, L, d_out), Problem.whitened(Phi), eta, Stop(eps=None, max_iter=steps), history=steps + 1)
    red = reduced_gd(singular_targets(Phi, d), L, eta, eps=1e-300, max_iter=steps, history=steps + 2)
    t_full, loss_full = traj.losses()
    assert np.array_equal(t_full, red.history_t)
    np.testing.assert_allclose(red.history_loss, loss_full, rtol=1e-11, atol=1e-15)
    # the state itself: I + W_l = V diag(a) V^T for every block, W_out = U diag(w) V^T
    U, s, Vt = np.linalg.svd(Phi)
    V = Vt.T
    block = V @ np.diag(red.a) @ V.T
    W_out = U @ np.diag(red.w[: d_out]) @ Vt[: d_out] if d_out <= d else None
    for F in net.factors[:-1]:
        np.testing.assert_allclose(F, block, atol=1e-12)
    np.testing.assert_allclose(net.factors[-1], W_out, atol=1e-12)


def test_reduction_counts_the_same_iterations_as_the_kernel():
    Phi = W.target(3, 1.0, 0)
    for L in (2, 5):
        eta = Z.step_size(L, 1.0) * 64  # a larger step keeps the test short; the reduction is exact at any step
        red = reduced_gd(singular_targets(Phi), L, eta, eps=1e-6, max_iter=10**7)
        net = zas(3, L, 3)
        k = gd_float64(net.factors, net.trainable, Phi, eta, eps=1e-6, max_iter=10**7)
        assert red.status == k.status == "converged"
        assert W._agree(red.iterations, k.iterations)


def test_reduction_diagnostics_match_the_engine_invariants():
    Phi = _phi(2, 2, seed=4)
    L, eta, steps = 3, 0.05, 200
    red = reduced_gd(singular_targets(Phi), L, eta, eps=1e-300, max_iter=steps)
    traj, _ = gd(zas(2, L, 2), Problem.whitened(Phi), eta, Stop(eps=None, max_iter=steps),
                 observers={"inv": lambda t, n, loss, g: (Z.invariants(n), Z.pl_quantities(n, Problem.whitened(Phi)))})
    seen = [v for _, v in traj.observations["inv"]]
    assert max(i.output_balance for i, _ in seen) == pytest.approx(red.max_output_balance, rel=1e-9)
    assert min(i.sigma_min_P for i, _ in seen) == pytest.approx(red.min_sigma_min_P, rel=1e-12)
    assert min(p.gradient_ratio for _, p in seen) == pytest.approx(red.min_gradient_ratio, rel=1e-9)
    assert max(i.block_balance for i, _ in seen) < 1e-13  # equal symmetric blocks: balanced exactly
    assert red.max_output_balance > 1e-4  # the output balance does drift under GD (it is O(eta))


def test_invariants_and_pl_at_zas_are_exact():
    Phi = _phi(3, 3)
    net = zas(3, 4, 3)
    inv = Z.invariants(net)
    assert inv.output_balance == 0 and inv.block_balance == 0 and inv.sigma_min_P == 1
    pl = Z.pl_quantities(net, Problem.whitened(Phi))
    assert pl.gradient_ratio == pytest.approx(1.0, abs=1e-15)
    assert pl.pl_ratio == pytest.approx(1.0, abs=1e-15)
    with pytest.raises(ValueError, match="residual"):
        Z.invariants(deep_linear([np.eye(2)] * 2))


@pytest.mark.parametrize("rate", [0.5, 0.99, 1 - 1e-2 / 2])
def test_envelope_is_the_max_over_every_step(rate):
    red = reduced_gd([1.0, 0.3], 2, 1e-2, eps=1e-4, max_iter=10**4, envelope_rate=rate, history=10**4)
    t, loss = red.history_t, red.history_loss
    assert t.size == red.iterations + 1  # the whole history was kept
    excess = np.log(loss) - math.log(loss[0]) - t * math.log(rate)
    assert red.envelope_max == pytest.approx(excess.max(), abs=1e-12)
    assert red.envelope_argmax == int(t[np.argmax(excess)])


def test_mpmath_reduction_agrees_with_float64():
    sig = singular_targets(W.target(2, 1.0, 0))
    eta = 1e-2
    thresholds = [1e-2, 1e-4, 1e-8]
    crossings, _ = reduced_gd_mp([repr(float(s)) for s in sig], 3, repr(eta), [repr(e) for e in thresholds],
                                 dps=40, max_iter=10**5)
    red = reduced_gd(sig, 3, eta, eps=1e-8, max_iter=10**5, thresholds=thresholds)
    assert crossings == red.crossings


def test_reduction_refuses_bad_input():
    with pytest.raises(ValueError, match="sigmas"):
        reduced_gd([-1.0], 2, 0.1, eps=1e-3, max_iter=10)
    with pytest.raises(ValueError, match="L"):
        reduced_gd([1.0], 0, 0.1, eps=1e-3, max_iter=10)
    with pytest.raises(ValueError, match="envelope_rate"):
        reduced_gd([1.0], 2, 0.1, eps=1e-3, max_iter=10, envelope_rate=1.5)
    with pytest.raises(ValueError, match="history"):
        reduced_gd([1.0], 2, 0.1, eps=1e-3, max_iter=10, history=1)


# --------------------------------------------------------------------------------------
# the claims, run on small grids, and judged on tampered runs
# --------------------------------------------------------------------------------------
def _records(claim, grid):
    return [RunRecord(claim.id, dict(p), 0, "ok", claim.run(p, run_seed(0, claim.id, params_key(p))))
            for p in grid]


def _tampered(records, change):
    out = []
    for r in records:
        value = copy.deepcopy(r.value)
        change(r.params, value)
        out.append(RunRecord(r.claim_id, r.params, r.seed, r.status, value))
    return out


@pytest.fixture(scope="module")
def bound_runs():
    grid = [c for c in W.ITERATION_BOUND.runs_for("quick") if c["phi_fro"] <= 1 and c["L"] <= 4]
    return _records(W.ITERATION_BOUND, grid)


def test_iteration_bound_confirmed_with_the_table(bound_runs):
    v = W.ITERATION_BOUND.judge(bound_runs)
    assert v.verdict == "confirmed", v.summary
    table = v.evidence["table"]
    assert {r["params"]["L"] for r in table} == {2, 4}
    for row in table:
        assert row["L_counts_output_layer"] is False
        assert 0 < row["slack"] < 1 and row["observed"] < row["predicted"]
    for cell in v.evidence["cells"]:
        assert cell["source"] == "full net" and cell["agree"] is True
        assert cell["envelope_max"] <= W.ENVELOPE_TOL


def test_iteration_bound_refutes_an_exceeded_count(bound_runs):
    def slower(params, value):
        if params["L"] == 4:
            value["full"]["iterations"] = value["predicted"] + 5
            value["reduced"]["iterations"] = value["predicted"] + 5
    v = W.ITERATION_BOUND.judge(_tampered(bound_runs, slower))
    assert v.verdict == "refuted" and "L': 4" in v.summary


def test_iteration_bound_refutes_an_envelope_violation(bound_runs):
    def above(params, value):
        value["reduced"]["envelope_max"] = 1e-6
    assert W.ITERATION_BOUND.judge(_tampered(bound_runs, above)).verdict == "refuted"


def test_iteration_bound_keeps_over_budget_cells():
    grid = [{**c, "reduced_budget": 10_000} for c in W.ITERATION_BOUND.runs_for("quick")
            if c["phi_fro"] == 0.5 and c["d"] == 2]
    v = W.ITERATION_BOUND.judge(_records(W.ITERATION_BOUND, grid))
    assert v.verdict == "inconclusive"  # every cell over a 5,000-step cap
    assert len(v.evidence["over_budget"]) == len(grid)
    assert all(r["status"] == "over budget" and r["predicted"] > 0 for r in v.evidence["table"])


def test_depth_exponent_confirmed_and_refuted():
    runs = _records(W.DEPTH_EXPONENT, W.DEPTH_EXPONENT.runs_for("quick"))
    v = W.DEPTH_EXPONENT.judge(runs)
    assert v.verdict == "confirmed", v.summary
    lo, hi = v.evidence["fit"]["ci95"]
    assert 2 < lo <= hi < 3
    assert v.evidence["predicted_exponent_fit"]["exponent"] == pytest.approx(3, abs=0.01)

    def quartic(params, value):
        if value["regime"] == "L^3":
            value["observed"] = int(10 * params["L"] ** 4)
    assert W.DEPTH_EXPONENT.judge(_tampered(runs, quartic)).verdict == "refuted"


def test_log_eps_slope_confirmed_and_refuted():
    runs = _records(W.LOG_EPS_SLOPE, W.LOG_EPS_SLOPE.runs_for("quick"))
    v = W.LOG_EPS_SLOPE.judge(runs)
    assert v.verdict == "confirmed", v.summary
    row = v.evidence["table"][0]
    assert row["eps_min"] == 1e-10 and row["r2_tail"] > 0.999 and row["slack"] < 1

    def steep(params, value):
        bound = 1 / -math.log1p(-value["eta"] / 2)
        value["reduced"] = [int(3 * bound * math.log(1 / e)) for e in value["eps"]]
        value["full"] = list(value["reduced"])
    assert W.LOG_EPS_SLOPE.judge(_tampered(runs, steep)).verdict == "refuted"


@pytest.fixture(scope="module")
def diagnostic_runs():
    return _records(W.INVARIANTS, W.INVARIANTS.runs_for("quick"))


def test_invariants_confirmed_and_refuted(diagnostic_runs):
    v = W.INVARIANTS.judge(diagnostic_runs)
    assert v.verdict == "confirmed", v.summary
    (f,) = v.evidence["fits"].values()
    assert f["exponent"] == pytest.approx(1.0, abs=0.01)

    def quadratic(params, value):
        value["reduced"]["max_output_balance"] = value["eta"] ** 2
    assert W.INVARIANTS.judge(_tampered(diagnostic_runs, quadratic)).verdict == "refuted"


def test_pl_inequality_confirmed_and_refuted(diagnostic_runs):
    v = W.PL_INEQUALITY.judge(diagnostic_runs)
    assert v.verdict == "confirmed", v.summary
    assert all(r["observed"] >= 1 - 1e-12 and r["t0_error_mp"] < 1e-45 for r in v.evidence["table"])

    def weak(params, value):
        value["reduced"]["min_pl_ratio"] = 0.9
    assert W.PL_INEQUALITY.judge(_tampered(diagnostic_runs, weak)).verdict == "refuted"


def test_flow_rate_confirmed_and_refuted():
    runs = _records(W.FLOW_RATE, W.FLOW_RATE.runs_for("quick"))
    v = W.FLOW_RATE.judge(runs)
    assert v.verdict == "confirmed", v.summary
    smallest = min(v.evidence["table"], key=lambda r: r["params"]["eta"])
    assert smallest["initial_slope"] == pytest.approx(-2, rel=1e-3)

    def slow(params, value):
        value["envelope_max"] = 1e-3
    assert W.FLOW_RATE.judge(_tampered(runs, slow)).verdict == "refuted"


def test_edge_of_stability_confirmed_and_refuted():
    runs = _records(W.EDGE_OF_STABILITY, W.EDGE_OF_STABILITY.runs_for("quick"))
    v = W.EDGE_OF_STABILITY.judge(runs)
    assert v.verdict == "confirmed", v.summary
    assert all(r["eta_theorem"] < r["eta_star"] for r in v.evidence["table"])

    def narrower(params, value):
        value["eta_star"] = 1.0 / params["L"] ** 2
    assert W.EDGE_OF_STABILITY.judge(_tampered(runs, narrower)).verdict == "refuted"


def test_near_identity_confirmed_and_refuted():
    runs = _records(W.NEAR_IDENTITY, W.NEAR_IDENTITY.runs_for("quick"))
    v = W.NEAR_IDENTITY.judge(runs)
    assert v.verdict == "confirmed", v.summary
    ident = [r for r in v.evidence["table"] if r["params"]["init"] == "identity" and r["params"]["target"] == "negative"]
    assert all(abs(r["final_loss"] - 0.5) < 1e-2 for r in ident)

    def stuck(params, value):
        if params["init"] == "zas":
            for x in value["runs"]:
                x["status"] = "max_iter"
    assert W.NEAR_IDENTITY.judge(_tampered(runs, stuck)).verdict == "refuted"


def test_symbolic_claim_confirmed_and_refuted():
    grid = W.SYMBOLIC.runs_for("quick")
    runs = _records(W.SYMBOLIC, grid)
    assert W.SYMBOLIC.judge(runs).verdict == "confirmed"

    def wrong(params, value):
        value["symbolically_zero"], value["numeric_max_error"] = False, 0.5
    assert W.SYMBOLIC.judge(_tampered(runs, wrong)).verdict == "refuted"


def test_every_claim_has_a_quick_grid():
    ids = {c.id for c in W.CLAIMS}
    assert ids == {"wu2019.zas_iteration_bound", "wu2019.zas_depth_exponent", "wu2019.zas_log_eps_slope",
                   "wu2019.zas_invariants", "wu2019.zas_pl_inequality", "wu2019.zas_gradient_flow_rate",
                   "wu2019.zas_edge_of_stability", "wu2019.near_identity_negative_eigenvalue", "wu2019.symbolic"}
    for claim in W.CLAIMS:
        assert claim.runs_for("quick")
