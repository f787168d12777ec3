"""Shamir (2018): the 1-D product model in log space (lintheory.product1d) against mpmath and the
ZAS reduction, and the claim shamir2018.exponential_in_depth on a small grid (a step-size sweep), confirmed, and
rejected on tampered runs."""

from __future__ import annotations

import copy

import mpmath
import numpy as np
import pytest

from lintheory.product1d import leave_one_out, near_identity_1d, product_gd, product_gd_mp, xavier_1d, zas_1d
from lintheory.zas_reduced import reduced_gd
from proofs_check.claim import RunRecord
from proofs_check.checks import judge
from proofs_check.claims.shamir2018 import exponential_in_depth as SH
from proofs_check.runner import params_key, run_seed


def test_leave_one_out_products_with_signs_and_zeros():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 6))
    w[2, 3] = 0.0
    p, q = leave_one_out(w)
    np.testing.assert_allclose(p, w.prod(axis=1), rtol=1e-13, atol=1e-300)
    direct = np.array([[np.prod(np.delete(row, i)) for i in range(w.shape[1])] for row in w])
    np.testing.assert_allclose(q, direct, rtol=1e-13, atol=1e-250)


def test_log_space_products_survive_intermediate_underflow():
    # partial products leave float64's range (1e-400, then 1e+400) though the product does not
    w = np.array([[1e-200, 1e-200, 1e200, 1e200, 0.5, -3.0]])
    assert np.prod(w) == 0.0  # direct left-to-right float64 product underflows
    p, q = leave_one_out(w)
    exact = mpmath.fprod([mpmath.mpf(float(x)) for x in w[0]])
    assert p[0] == pytest.approx(float(exact), rel=1e-12)
    for i in range(w.shape[1]):
        assert q[0, i] == pytest.approx(float(exact / mpmath.mpf(float(w[0, i]))), rel=1e-12)


def test_product_gd_matches_mpmath():
    rng = np.random.default_rng(2)
    w0 = np.vstack([near_identity_1d(5, 2, 0.002, rng), xavier_1d(5, 2, rng)])
    steps = 200
    reference = np.array(product_gd_mp(w0, -1.0, 0.01, steps, dps=40), dtype=float)
    w = w0.copy()
    for _ in range(steps):
        p, q = leave_one_out(w)
        w -= 0.01 * (p + 1.0)[:, None] * q
    np.testing.assert_allclose(w, reference, rtol=1e-11, atol=1e-14)
    # the compiled loop takes the same steps: its loss after `steps` steps is that of the reference
    ran = product_gd(w0, -1.0, 0.01, eps=1e-300, max_iter=steps)
    exact = 0.5 * (np.prod(reference, axis=1) + 1.0) ** 2
    assert np.all(ran.iterations == steps) and not ran.converged.any()
    np.testing.assert_allclose(ran.loss, exact, rtol=1e-9)
    np.testing.assert_allclose(ran.loss0, 0.5 * (np.prod(w0, axis=1) + 1.0) ** 2, rtol=1e-13)
    # and the stopping loop counts the first t with loss <= eps, per run
    out = product_gd(w0, -1.0, 0.01, eps=1e-3, max_iter=steps)
    assert out.iterations.shape == (4,) and np.all(out.loss[out.converged] <= 1e-3)


def test_one_dimensional_zas_agrees_with_the_residual_reduction():
    # 1-D ZAS of depth L is the reduction with the single singular value |y| = 1
    for L in (2, 8, 32):
        out = product_gd(zas_1d(L), -1.0, 0.01, eps=5e-3, max_iter=10**5)
        red = reduced_gd([1.0], L, 0.01, eps=5e-3, max_iter=10**5)
        assert out.converged[0] and red.status == "converged"
        assert abs(int(out.iterations[0]) - red.iterations) <= 1


def test_product_gd_refuses_bad_input():
    with pytest.raises(ValueError, match="w0"):
        product_gd(np.ones(3), 1.0, 0.1, eps=1e-3, max_iter=10)
    with pytest.raises(ValueError, match="eta"):
        product_gd(np.ones((1, 3)), 1.0, -0.1, eps=1e-3, max_iter=10)
    with pytest.raises(ValueError, match="max_iter"):
        product_gd(np.ones((1, 3)), 1.0, 0.1, eps=1e-3, max_iter=-1)


def _records(grid):
    claim = SH.CLAIM
    return [RunRecord(claim.id, dict(p), 0, "ok", claim.run(p, run_seed(0, claim.id, params_key(p)))) for p in grid]


@pytest.fixture(scope="module")
def runs():
    return _records(SH.CLAIM.runs_for("quick"))


def _verdict(runs, **constants):
    return judge(SH.CLAIM, runs, constants or None)[0]


def test_claim_confirmed_at_every_step_of_the_sweep(runs):
    v = _verdict(runs)
    assert v.verdict == "confirmed", v.summary
    fits = v.evidence["checks"]
    etas = {r.params["eta"] for r in runs}
    assert len(etas) >= 2
    for eta in etas:
        assert fits[f"near_identity, eta={eta:g}"]["fit"]["rate"] > 0.3
        assert fits[f"zas, eta={eta:g}"]["fit"]["exponent"] < 0
    assert _verdict(runs, growth_rate=1.5).verdict == "not_reproduced"
    assert _verdict(runs, zas_exponent=-1.0).verdict == "not_reproduced"


def test_target_plus_one_from_near_identity_does_not_crash():
    # from 1 + N(0, 0.01/k) the product is already within F <= 0.005 of y = +1: medians of 0
    grid = [{"init": "near_identity", "k": k, "y": 1.0, "seeds": 5, "eta": 0.01, "max_iter": 1000} for k in (2, 4, 6, 8)]
    v = _verdict(_records(grid))
    assert v.verdict == "inconclusive" and "positive median" in v.summary


def test_claim_rejected_when_zas_grows_or_growth_vanishes(runs):
    def tamper(change):
        out = []
        for r in runs:
            value = copy.deepcopy(r.value)
            change(r.params, value)
            out.append(RunRecord(r.claim_id, r.params, r.seed, r.status, value))
        return _verdict(out)

    def zas_grows(params, value):
        if params["init"] == "zas":
            value["iterations"] = [10 * params["k"] ** 2]

    def flat(params, value):
        if params["init"] == "near_identity":
            value["iterations"] = [int(1000 * np.exp(-0.5 * params["k"]))] * len(value["iterations"])
            value["converged"] = [True] * len(value["iterations"])
    assert tamper(zas_grows).verdict == "not_reproduced"
    assert tamper(flat).verdict == "not_reproduced"
