"""Trainers: stopping rules, history, BCGD steps, and bad input."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lintheory.arith import MPMath, arithmetic
from lintheory.inits import balanced, gaussian, near_identity, orthogonal_like, xavier, zas
from lintheory.nets import Problem, deep_linear, residual_net
from lintheory.train import BlockStep, Exact, Normalised, Stop, bcgd, gd


def _data_problem(rng, d_x=4, d_y=3, m=20, ar="float64"):
    return Problem.data(rng.standard_normal((d_x, m)), rng.standard_normal((d_y, m)), ar)


@pytest.mark.parametrize("order", ["ascending", "descending"])
def test_exact_step_minimises_the_block_loss_along_the_gradient(order):
    rng = np.random.default_rng(1)
    problem = _data_problem(rng)
    net = gaussian([4, 5, 6, 3], 0.7, rng)
    steps: list[BlockStep] = []
    bcgd(net, problem, Exact(), order, Stop(max_iter=2), on_block=steps.append)
    assert len(steps) == 6
    for s in steps:
        def phi(eta):
            R = s.A @ (s.F_before - eta * s.G) @ s.B - problem.Y
            return float(np.vdot(R, R)) / (2 * problem.m)

        assert math.isclose(phi(s.eta), s.loss_after, rel_tol=1e-12)
        for factor in (0.9, 0.99, 1.01, 1.1):
            assert phi(factor * s.eta) >= s.loss_after
        assert s.loss_after <= s.loss_before


def test_normalised_step_decreases_for_eta_below_two():
    rng = np.random.default_rng(2)
    problem = _data_problem(rng)
    net = gaussian([4, 6, 6, 3], 0.5, rng)
    for eta in (0.3, 1.0, 1.9):
        traj, _ = bcgd(net, problem, Normalised(eta), stop=Stop(max_iter=10))
        _, losses = traj.losses()
        assert np.all(np.diff(losses) <= 1e-15 * losses[:-1])


def test_bcgd_sweep_matches_a_naive_gauss_seidel_loop():
    rng = np.random.default_rng(3)
    problem = _data_problem(rng)
    net = orthogonal_like([4, 5, 5, 3], rng=4)
    for order in ("ascending", "descending"):
        _, fast = bcgd(net, problem, Exact(), order, Stop(max_iter=3))
        W = [F.copy() for F in net.factors]
        blocks = range(3) if order == "ascending" else range(2, -1, -1)
        for _ in range(3):
            for j in blocks:
                A = np.linalg.multi_dot([np.eye(3)] + W[:j:-1]) if j < 2 else np.eye(3)
                B = np.linalg.multi_dot(W[j - 1 :: -1] + [problem.X]) if j > 0 else problem.X
                R = A @ W[j] @ B - problem.Y
                G = A.T @ R @ B.T / problem.m
                eta = problem.m * np.vdot(G, G) / np.vdot(A @ G @ B, A @ G @ B)
                W[j] = W[j] - eta * G
        for F, V in zip(fast.factors, W):
            np.testing.assert_allclose(F, V, rtol=1e-10, atol=1e-12)


def test_gd_stopping_rules_and_exact_iteration_count():
    rng = np.random.default_rng(4)
    Phi = rng.standard_normal((2, 2))
    net = zas(2, 3, 2)
    traj, _ = gd(net, Problem.whitened(Phi), 0.05, Stop(eps=1e-6, max_iter=100_000), history=16)
    assert traj.converged and traj.loss <= 1e-6
    ts, losses = traj.losses()
    assert len(ts) <= 16 and ts[0] == 0 and ts[-1] == traj.iterations
    # The step before the reported count is still above eps: the count is the first hit.
    again, _ = gd(net, Problem.whitened(Phi), 0.05, Stop(max_iter=traj.iterations - 1))
    assert again.status == "max_iter" and again.loss > 1e-6
    blown, _ = gd(net, Problem.whitened(Phi), 5.0, Stop(max_iter=1000))
    assert blown.status == "diverged"
    stalled, _ = gd(net, Problem.whitened(np.diag([1.0, -1.0])), 1e-12, Stop(max_iter=1000, stall_window=10, stall_rtol=1e-6))
    assert stalled.status == "stalled" and stalled.iterations == 10


def test_observers_and_schedule():
    rng = np.random.default_rng(5)
    net = near_identity(3, 4, 0.01, rng)
    seen = []
    traj, _ = gd(
        net, Problem.whitened(np.eye(3) * 1.2), lambda t: 0.01 / (1 + t), Stop(max_iter=20),
        observers={"t": lambda t, n, l, g: seen.append(t) or t}, observe_every=7,
    )
    assert [t for t, _ in traj.observations["t"]] == [0, 7, 14, 20]


def test_mpmath_and_float64_bcgd_agree():
    rng = np.random.default_rng(6)
    X, Y = rng.standard_normal((3, 12)), rng.standard_normal((2, 12))
    net = xavier([3, 4, 2], rng)
    mp = MPMath(dps=40)
    a, _ = bcgd(net, Problem.data(X, Y), Exact(), stop=Stop(max_iter=5))
    b, _ = bcgd(net.to(mp), Problem.data(X, Y, mp), Exact(), stop=Stop(max_iter=5))
    np.testing.assert_allclose(a.losses()[1], b.losses()[1], rtol=1e-12)


# --- bad input -----------------------------------------------------------------------------

finite = st.floats(-10, 10, allow_nan=False)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4))
def test_mismatched_widths_are_refused(a, b, c):
    if b == c:
        return
    with pytest.raises(ValueError, match="widths must chain"):
        deep_linear([np.ones((b, a)), np.ones((a, c))])


@settings(max_examples=20, deadline=None)
@given(st.sampled_from([np.nan, np.inf, -np.inf]), st.integers(0, 3))
def test_non_finite_entries_are_refused(bad, where):
    W = np.ones((2, 2))
    W.flat[where] = bad
    with pytest.raises(ValueError, match=r"weights\[0\].*finite"):
        deep_linear([W])
    with pytest.raises(ValueError, match="Phi.*finite"):
        Problem.whitened(W)


@settings(max_examples=20, deadline=None)
@given(st.floats(-1e3, 0.0))
def test_eps_must_be_positive(eps):
    with pytest.raises(ValueError, match="eps"):
        Stop(eps=eps)


@settings(max_examples=20, deadline=None)
@given(st.integers(-5, 0))
def test_depth_must_be_at_least_one(L):
    with pytest.raises(ValueError, match="L must be an integer >= 1"):
        zas(2, L, 2)
    with pytest.raises(ValueError, match="depth >= 1|at least one"):
        deep_linear([])


@settings(max_examples=20, deadline=None)
@given(st.integers(-100, 15) | st.integers(10_001, 10**6))
def test_dps_out_of_range(dps):
    with pytest.raises(ValueError, match="dps must be"):
        arithmetic(f"mpmath:dps={abs(dps)}") if dps >= 0 else MPMath(dps=dps)


@pytest.mark.parametrize("spec", ["arb:prec=10", "arb:prec=999999", "float32", "mpmath", "eval(1)"])
def test_bad_arithmetic_specs(spec):
    with pytest.raises(ValueError, match="prec must be|arithmetic must be"):
        arithmetic(spec)


def test_width_below_what_balanced_init_needs():
    with pytest.raises(ValueError, match="hidden widths must be >= min"):
        balanced(np.ones((3, 3)), [3, 2, 3], rng=0)
    with pytest.raises(ValueError, match="A must be"):
        balanced(np.ones((2, 3)), [3, 3, 3], rng=0)


def test_network_problem_shape_mismatch_and_bad_steps():
    net = deep_linear([np.ones((2, 3))])
    with pytest.raises(ValueError, match="network maps 3 -> 2"):
        gd(net, Problem.whitened(np.ones((2, 2))), 0.1)
    with pytest.raises(ValueError, match="eta must be"):
        gd(net, Problem.whitened(np.ones((2, 3))), -0.1)
    with pytest.raises(ValueError, match="order must be"):
        bcgd(net, Problem.whitened(np.ones((2, 3))), order="random")
    with pytest.raises(ValueError, match="Normalised.eta"):
        Normalised(float("nan"))
    with pytest.raises(ValueError, match="rng must be"):
        gaussian([2, 2], 0.1, None)
    with pytest.raises(ValueError, match="blocks\\[0\\] must be square"):
        residual_net([np.ones((2, 3))], np.ones((2, 2)))
    with pytest.raises(ValueError, match="same positive number of columns"):
        Problem.data(np.ones((2, 4)), np.ones((2, 5)))
