"""Gradients, trajectories and enclosures of the engine across the three arithmetics."""

import mpmath
import numpy as np
import pytest

from lintheory.arith import Arb, MPMath, arithmetic
from lintheory.inits import balanced, gaussian, imbalance
from lintheory.nets import Problem, deep_linear, loss, loss_and_gradients, residual_net
from lintheory.train import Stop, gd

MP = MPMath(dps=50)


def _nets_and_problems(rng):
    """A deep linear net with mixed widths (whitened and data) and a residual net with W_in."""
    widths = [3, 5, 2, 4, 2]
    weights = [0.5 * rng.standard_normal((widths[j + 1], widths[j])) for j in range(len(widths) - 1)]
    Phi = rng.standard_normal((2, 3))
    X, Y = rng.standard_normal((3, 7)), rng.standard_normal((2, 7))
    yield deep_linear(weights, MP), Problem.whitened(Phi, MP)
    yield deep_linear(weights, MP), Problem.data(X, Y, MP)
    blocks = [0.2 * rng.standard_normal((4, 4)) for _ in range(3)]
    yield residual_net(blocks, rng.standard_normal((2, 4)), np.eye(4, 3), MP), Problem.data(X, Y, MP)


@pytest.mark.parametrize("case", range(3))
def test_gradients_match_central_differences_at_50_digits(case):
    """Central differences with h = 1e-17: truncation O(h^2) ~ 1e-34, round-off ~ 1e-50/h ~ 1e-33."""
    net, problem = list(_nets_and_problems(np.random.default_rng(case)))[case]
    _, grads = loss_and_gradients(net, problem)
    h = MP.number("1e-17")
    worst = 0
    for k, G in enumerate(grads):
        if G is None:
            continue
        for idx in np.ndindex(*G.shape):
            def shifted(sign):
                F = net.factors[k].copy()
                F[idx] += sign * h
                return loss(net.with_factors(net.factors[:k] + (F,) + net.factors[k + 1 :]), problem)

            fd = (shifted(1) - shifted(-1)) / (2 * h)
            worst = max(worst, abs(fd - G[idx]) / max(abs(G[idx]), MP.number(1e-3)))
    assert worst < mpmath.mpf("1e-30"), worst


def test_frozen_factor_has_no_gradient():
    net, problem = list(_nets_and_problems(np.random.default_rng(2)))[2]
    _, grads = loss_and_gradients(net, problem)
    assert grads[0] is None and all(G is not None for G in grads[1:])


class CountingFloat64(type(arithmetic("float64"))):
    """Float64 that counts matrix products, to check the O(K) gradient cost."""

    def __init__(self):
        object.__setattr__(self, "calls", [0])

    def matmul(self, A, B):
        self.calls[0] += 1
        return A @ B


@pytest.mark.parametrize("K", [2, 8, 32])
def test_full_gradient_costs_linear_number_of_products(K):
    ar = CountingFloat64()
    rng = np.random.default_rng(K)
    net = deep_linear([rng.standard_normal((3, 3)) for _ in range(K)], ar)
    problem = Problem.data(rng.standard_normal((3, 5)), rng.standard_normal((3, 5)), ar)
    ar.calls[0] = 0
    loss_and_gradients(net, problem)
    assert ar.calls[0] <= 3 * K  # K prefixes, K - 1 backward products, one per gradient


@pytest.mark.parametrize("compiled", [True, False])
def test_float64_run_agrees_with_mpmath_to_roundoff(compiled):
    rng = np.random.default_rng(5)
    Phi = rng.standard_normal((3, 3))
    net = gaussian([3, 4, 4, 3], 0.5, rng)
    runs = [
        gd(net.to(ar), Problem.whitened(Phi, ar), 0.05, Stop(max_iter=60), compiled=compiled)[0]
        for ar in ("float64", MP)
    ]
    (_, f64), (_, mp) = runs[0].losses(), runs[1].losses()
    # 60 steps of O(K) products on 3x3 matrices: a few hundred roundings of 2^-53 each.
    np.testing.assert_allclose(f64, mp, rtol=1e-12)
    assert np.max(np.abs(f64 - mp) / mp) > 0  # float64 really is rounding


def test_arb_run_encloses_high_precision_run():
    rng = np.random.default_rng(6)
    Phi = rng.standard_normal((2, 3))
    net = gaussian([3, 3, 2], 0.7, rng)
    arb, ref = Arb(prec=200), MPMath(dps=100)
    traj_arb, net_arb = gd(net.to(arb), Problem.whitened(Phi, arb), 0.125, Stop(max_iter=40), history=100)
    traj_ref, net_ref = gd(net.to(ref), Problem.whitened(Phi, ref), 0.125, Stop(max_iter=40), history=100)
    for (t, ball), (s, value) in zip(traj_arb.history, traj_ref.history):
        assert t == s
        assert abs(ref.number(ball.mid()) - value) <= ref.number(ball.rad())
        assert ball.rad() < 1e-50
    for F_ball, F_ref in zip(net_arb.factors, net_ref.factors):
        for ball, value in zip(F_ball.entries(), F_ref.ravel()):
            assert abs(ref.number(ball.mid()) - value) <= ref.number(ball.rad())


def test_balance_drift_identity_in_mpmath():
    r"""Arora et al. (2018), proof of Thm 1: after one GD step
    D_j' = D_j + eta^2 (G_{j+1}^T G_{j+1} - G_j G_j^T), D_j = W_{j+1}^T W_{j+1} - W_j W_j^T."""
    rng = np.random.default_rng(7)
    net = gaussian([3, 4, 4, 2], 0.6, rng, MP)
    problem = Problem.whitened(rng.standard_normal((2, 3)), MP)
    eta = MP.number("0.03")
    _, G = loss_and_gradients(net, problem)
    _, stepped = gd(net, problem, eta, Stop(max_iter=1))
    W, V = net.factors, stepped.factors
    for j in range(len(W) - 1):
        before = W[j + 1].T @ W[j + 1] - W[j] @ W[j].T
        after = V[j + 1].T @ V[j + 1] - V[j] @ V[j].T
        predicted = before + eta**2 * (G[j + 1].T @ G[j + 1] - G[j] @ G[j].T)
        assert MP.frob(after - predicted) < mpmath.mpf("1e-45")


@pytest.mark.parametrize("spec,tol", [("float64", 1e-13), ("mpmath:dps=50", 1e-45)])
@pytest.mark.parametrize("insertion", [False, True])
@pytest.mark.parametrize("widths", [[3, 4, 4, 2], [2, 5, 3, 3, 4], [5, 6, 1], [4, 4]])
def test_procedure1_product_balance_and_roots(spec, tol, insertion, widths):
    ar = arithmetic(spec)
    rng = np.random.default_rng(len(widths))
    A = rng.standard_normal((widths[-1], widths[0]))
    net = balanced(A, widths, rng=1, ar=ar, orthogonal_insertion=insertion)
    scale = float(np.linalg.norm(A))
    assert ar.to_float(ar.frob(ar.sub(net.end_to_end(), ar.matrix(A)))) < tol * scale
    assert ar.to_float(imbalance(net)) < tol * scale
    N = len(widths) - 1
    sigma = np.linalg.svd(A, compute_uv=False)
    for W in net.factors:
        s = [ar.to_float(x) for x in ar.singular_values(W)][: len(sigma)]
        np.testing.assert_allclose(s, sigma ** (1.0 / N), rtol=1e-12)
