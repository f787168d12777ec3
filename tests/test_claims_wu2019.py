"""Wu, Wang, Ma (2019): the ZAS maths (lintheory.zas, lintheory.zas_reduced) against the engine,
and every claim of the package proofs_check/claims/wu2019/ on a small grid, plus tampered runs that
its checks must reject (not reproduced for the reconstructed statements, refuted for the engine)."""

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
from proofs_check import registry
from proofs_check.checks import judge
from proofs_check.claims.wu2019 import (near_identity_negative_eigenvalue, symbolic, zas_depth_exponent,
                                        zas_edge_of_stability, zas_gradient_flow_rate, zas_invariants,
                                        zas_iteration_bound, zas_log_eps_slope, zas_pl_inequality)
from proofs_check.claims.wu2019._common import agree, target
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
    Phi = target(3, 1.0, 0)
    for L in (2, 5):
        eta = Z.step_size(L, 1.0) * 64  # a larger step keeps the test short; the reduction is exact at any step
        red = reduced_gd(singular_targets(Phi), L, eta, eps=1e-6, max_iter=10**7)
        net = zas(3, L, 3)
        k = gd_float64(net.factors, net.trainable, Phi, eta, eps=1e-6, max_iter=10**7)
        assert red.status == k.status == "converged"
        assert agree(red.iterations, k.iterations)


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


def test_min_decay_is_the_slowest_average_rate_over_every_step():
    red = reduced_gd([1.0, 0.3], 3, 2e-2, eps=1e-6, max_iter=10**4, history=10**4)
    t, loss = red.history_t, red.history_loss
    assert t.size == red.iterations + 1
    assert red.min_decay == pytest.approx(np.min((math.log(loss[0]) - np.log(loss[1:])) / t[1:]), rel=1e-12)
    # the first step from ZAS is exact: R(1) = (1 - eta)^2 R(0), the slowest average decay here
    assert red.min_decay == pytest.approx(-2 * math.log1p(-2e-2), rel=1e-12)


def test_mpmath_reduction_agrees_with_float64():
    sig = singular_targets(target(2, 1.0, 0))
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


def _verdict(claim, runs, **constants):
    return judge(claim, runs, constants or None)[0]


BOUND = zas_iteration_bound.CLAIM


@pytest.fixture(scope="module")
def bound_runs():
    grid = [c for c in BOUND.runs_for("quick") if c["phi_fro"] in (0.5, 1.0) and c["L"] <= 4 and c["d"] <= 3]
    return _records(BOUND, grid)


def test_iteration_bound_confirmed_with_the_table(bound_runs):
    v = _verdict(BOUND, bound_runs)
    assert v.verdict == "confirmed", v.summary
    table = v.evidence["table"]
    assert {r["params"]["L"] for r in table} == {2, 4}
    assert any(r["params"]["d_out"] != r["params"]["d"] for r in table)  # rectangular targets are in
    for row in table:
        assert row["L_counts_output_layer"] is False
        assert 0 < row["slack"] < 0.25 and row["observed"] < row["predicted"]
        assert row["source"] == "full net"
    shares = v.evidence["checks"]["rate envelope"]["table"]
    # the first step makes the theorem's rate four times loose in the exponent, on every instance
    assert all(0.24 < r["observed"] <= 0.25 for r in shares)


def test_iteration_bound_mutants_one_true_one_false(bound_runs):
    assert _verdict(BOUND, bound_runs, rate_coefficient=1.0).verdict == "confirmed"
    v = _verdict(BOUND, bound_runs, rate_coefficient=3.0)
    assert v.verdict == "not_reproduced" and "rate envelope" in v.summary


def test_iteration_bound_rejects_an_exceeded_count(bound_runs):
    def slower(params, value):
        if params["L"] == 4:
            value["full"]["iterations"] = value["predicted"] + 5
            value["reduced"]["iterations"] = value["predicted"] + 5
    v = _verdict(BOUND, _tampered(bound_runs, slower))
    assert v.verdict == "not_reproduced" and "L=4" in v.summary


def test_iteration_bound_rejects_an_envelope_violation(bound_runs):
    def above(params, value):
        value["reduced"]["min_decay"] = value["eta"] / 4  # R(t) fell slower than (1 - eta/2)^t somewhere
    assert _verdict(BOUND, _tampered(bound_runs, above)).verdict == "not_reproduced"


def test_iteration_bound_engine_disagreement_is_refuted_loudly(bound_runs):
    def halved(params, value):  # as if the reduction took half the step: twice the iterations
        value["reduced"]["iterations"] *= 2
    v = _verdict(BOUND, _tampered(bound_runs, halved))
    assert v.verdict == "refuted" and "engine: full network = reduction" in v.summary


def test_iteration_bound_keeps_over_budget_cells():
    grid = [{**c, "reduced_budget": 10_000} for c in BOUND.runs_for("quick")
            if c["phi_fro"] == 0.5 and c["d"] == 2 and c["L"] <= 8]
    v = _verdict(BOUND, _records(BOUND, grid))
    assert v.verdict == "inconclusive"  # every cell over a 5,000-step cap
    over = v.evidence["checks"]["iterations"]["over_budget"]
    assert len(over) == len(grid) and all(o["predicted"] > 0 for o in over)


def test_depth_exponent_fixed_step_and_theorem_step():
    claim = zas_depth_exponent.CLAIM
    runs = _records(claim, claim.runs_for("quick"))
    v = _verdict(claim, runs)
    assert v.verdict == "confirmed", v.summary
    fixed = v.evidence["checks"]["fixed step: depth exponent"]["fit"]
    assert fixed["ci95"][1] < 0  # at a fixed step the iterations fall with depth
    lo, hi = v.evidence["checks"]["theorem's step: exponent <= depth power"]["fit"]["ci95"]
    assert 2 < lo <= hi < 3
    assert _verdict(claim, runs, depth_power=2).verdict == "not_reproduced"
    assert _verdict(claim, runs, fixed_step_exponent=-1).verdict == "not_reproduced"

    def grows(params, value):
        if params["step"] == "fixed":
            value["observed"] = int(100 * params["L"] ** 1.5)
    assert _verdict(claim, _tampered(runs, grows)).verdict == "not_reproduced"


def test_log_eps_slope_confirmed_and_rejected():
    claim = zas_log_eps_slope.CLAIM
    runs = _records(claim, claim.runs_for("quick"))
    v = _verdict(claim, runs)
    assert v.verdict == "confirmed", v.summary
    row = v.evidence["table"][0]
    assert row["eps_min"] == 1e-10 and row["slack"] < 1

    def steep(params, value):
        bound = 1 / -math.log1p(-value["eta"] / 2)
        value["reduced"] = [int(3 * bound * math.log(1 / e)) for e in value["eps"]]
        value["full"] = list(value["reduced"])
    assert _verdict(claim, _tampered(runs, steep)).verdict == "not_reproduced"

    def apart(params, value):
        value["full"] = [t + 10 for t in value["reduced"]]
    assert _verdict(claim, _tampered(runs, apart)).verdict == "refuted"


@pytest.fixture(scope="module")
def diagnostic_runs():
    return _records(zas_invariants.CLAIM, zas_invariants.CLAIM.runs_for("quick"))


def test_invariants_confirmed_and_rejected(diagnostic_runs):
    claim = zas_invariants.CLAIM
    v = _verdict(claim, diagnostic_runs)
    assert v.verdict == "confirmed", v.summary
    (label,) = [k for k in v.evidence["checks"] if k.startswith("drift order")]
    assert v.evidence["checks"][label]["fit"]["exponent"] == pytest.approx(1.0, abs=0.01)
    assert _verdict(claim, diagnostic_runs, drift_order=2).verdict == "not_reproduced"

    def quadratic(params, value):
        value["reduced"]["max_output_balance"] = value["eta"] ** 2
        value["full"]["max_output_balance"] = 0.0
    assert _verdict(claim, _tampered(diagnostic_runs, quadratic)).verdict == "not_reproduced"


def test_pl_inequality_confirmed_and_rejected(diagnostic_runs):
    claim = zas_pl_inequality.CLAIM
    runs = [r for r in diagnostic_runs if r.params["halving"] in (0, 2)]
    v = _verdict(claim, runs)
    assert v.verdict == "confirmed", v.summary
    assert all(r["observed"] >= 1 - 1e-12 for r in v.evidence["table"])
    assert _verdict(claim, runs, pl_constant=2.5).verdict == "not_reproduced"

    def weak(params, value):
        value["reduced"]["min_pl_ratio"] = 0.9
    assert _verdict(claim, _tampered(runs, weak)).verdict == "not_reproduced"


def test_flow_rate_confirmed_and_rejected():
    claim = zas_gradient_flow_rate.CLAIM
    runs = _records(claim, claim.runs_for("quick"))
    v = _verdict(claim, runs)
    assert v.verdict == "confirmed", v.summary
    limit = v.evidence["checks"]["initial slope -> -2"]["table"]
    assert all(r["observed"] == pytest.approx(-2, rel=1e-3) for r in limit)
    assert _verdict(claim, runs, flow_rate=2.1).verdict == "not_reproduced"

    def slow(params, value):
        value["min_decay"] = value["eta"]
    assert _verdict(claim, _tampered(runs, slow)).verdict == "not_reproduced"


def test_edge_of_stability_confirmed_and_rejected():
    claim = zas_edge_of_stability.CLAIM
    runs = _records(claim, claim.runs_for("quick"))
    v = _verdict(claim, runs)
    assert v.verdict == "confirmed", v.summary
    assert all(r["eta_theorem"] < r["eta_star"] for r in v.evidence["table"])
    assert _verdict(claim, runs, step_exponent=-3).verdict == "not_reproduced"

    def narrower(params, value):
        value["eta_star"] = 1.0 / params["L"] ** 2
    assert _verdict(claim, _tampered(runs, narrower)).verdict == "not_reproduced"


def test_near_identity_confirmed_and_rejected():
    claim = near_identity_negative_eigenvalue.CLAIM
    runs = _records(claim, claim.runs_for("quick"))
    v = _verdict(claim, runs)
    assert v.verdict == "confirmed", v.summary
    ident = [r for r in v.evidence["table"] if r["params"]["init"] == "identity" and r["params"]["target"] == "negative"]
    assert all(abs(r["final_loss"] - 0.5) < 1e-2 for r in ident)
    assert _verdict(claim, runs, saddle_value=0.25).verdict == "not_reproduced"

    def stuck(params, value):
        if params["init"] == "zas" and params["target"] == "negative":
            for x in value["runs"]:
                x["status"] = "max_iter"
    assert _verdict(claim, _tampered(runs, stuck)).verdict == "not_reproduced"

    def control_fails(params, value):
        if params["target"] == "positive_definite":
            for x in value["runs"]:
                x["status"] = "max_iter"
    assert _verdict(claim, _tampered(runs, control_fails)).verdict == "inconclusive"


def test_symbolic_claim_confirmed_and_rejected():
    claim = symbolic.CLAIM
    runs = _records(claim, claim.runs_for("quick"))
    assert _verdict(claim, runs).verdict == "confirmed"

    def wrong(params, value):
        value["symbolically_zero"], value["numeric_max_error"] = False, 0.5
    assert _verdict(claim, _tampered(runs, wrong)).verdict == "not_reproduced"


def test_every_claim_registered_with_a_quick_grid_figures_and_self_contained_source():
    claims = registry.select(["wu2019.*"])
    assert {c.id for c in claims} == {
        "wu2019.zas_iteration_bound", "wu2019.zas_depth_exponent", "wu2019.zas_log_eps_slope",
        "wu2019.zas_invariants", "wu2019.zas_pl_inequality", "wu2019.zas_gradient_flow_rate",
        "wu2019.zas_edge_of_stability", "wu2019.near_identity_negative_eigenvalue", "wu2019.symbolic"}
    for claim in claims:
        assert claim.runs_for("quick")
        assert "brief" not in claim.source and ".md" not in claim.source
        assert claim.mutants or claim.no_mutants
        assert claim.figures or claim.id == "wu2019.symbolic"  # the symbolic claim gets the default figure
    assert registry.get("wu2019.zas_edge_of_stability").level == "observation"
    assert registry.paper("wu2019").arxiv == "1911.00645"
