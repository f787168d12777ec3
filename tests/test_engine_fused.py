"""The fused GD operations of the arithmetics against the primitives they fuse.

The unfused references below are written with the primitives only (``matmul``, ``T``,
``sub``, ``scale``), in the textbook order (``Q_{j-1} = F_j^T Q_j``, ``G_j = Q_j P_{j-1}^T``),
so that a fused operation that reorders or skips work is checked against the algebra itself.
"""

import numpy as np
import pytest

from lintheory.arith import Arb, MPMath
from lintheory.nets import Problem, deep_linear, loss_and_gradients, prefixes, residual_net
from lintheory.train import Stop, gd

MP = MPMath(dps=50)
REF = MPMath(dps=120)  # the "exact" values the Arb balls must contain: 400 bits against Arb's 200
ARB = Arb(prec=200)


def _cases(ar, rng):
    """Mixed widths (whitened and data, m > 1), and a residual net with a frozen W_in."""
    widths = [3, 5, 2, 4, 2]
    weights = [0.5 * rng.standard_normal((widths[j + 1], widths[j])) for j in range(len(widths) - 1)]
    X, Y = rng.standard_normal((3, 7)), rng.standard_normal((2, 7))
    yield deep_linear(weights, ar), Problem.whitened(rng.standard_normal((2, 3)), ar)
    yield deep_linear(weights, ar), Problem.data(X, Y, ar)
    blocks = [0.2 * rng.standard_normal((4, 4)) for _ in range(3)]
    yield residual_net(blocks, rng.standard_normal((2, 4)), np.eye(4, 3), ar), Problem.data(X, Y, ar)


def _unfused(ar, net, problem, eta):
    """Prefixes, gradients and the GD step from the primitives, one call per product."""
    F, P = net.factors, [problem.X]
    for j in range(len(F)):
        P.append(F[j] if P[j] is None else ar.matmul(F[j], P[j]))
    R = ar.sub(P[-1], problem.Y)
    Q = R if problem.m == 1 else ar.scale(ar.number(1) / ar.number(problem.m), R)
    grads = [None] * len(F)
    for j in range(len(F) - 1, -1, -1):
        if net.trainable[j]:
            grads[j] = Q if P[j] is None else ar.matmul(Q, ar.T(P[j]))
        Q = ar.matmul(ar.T(F[j]), Q)
    eta = ar.number(eta)
    stepped = [Fj if G is None else ar.sub(Fj, ar.scale(eta, G)) for Fj, G in zip(F, grads)]
    return P, grads, stepped


def _fused(ar, net, problem, eta):
    with ar.context():
        P = prefixes(net, problem)
        _, grads = loss_and_gradients(net, problem)
        R = ar.sub(P[-1], problem.Y)
        Q = R if problem.m == 1 else ar.scale(ar.number(1) / ar.number(problem.m), R)
        stepped = ar.backprop_descend(net.factors, P, Q, net.trainable, eta)
        return P, list(grads), list(ar.descend(net.factors, eta, grads)), list(stepped)


def _pairs(fused, unfused):
    """Matching matrices of two lists (both ``None`` where one is)."""
    assert len(fused) == len(unfused)
    for a, b in zip(fused, unfused):
        assert (a is None) == (b is None)
        if a is not None:
            yield a, b


@pytest.mark.parametrize("case", range(3))
def test_mpmath_fused_operations_equal_the_primitives_to_the_digit(case):
    net, problem = list(_cases(MP, np.random.default_rng(case)))[case]
    eta = MP.number("0.0625")
    P, grads, stepped = _unfused(MP, net, problem, eta)
    fP, fgrads, fdescend, fstepped = _fused(MP, net, problem, eta)
    # The fused operations sum the same exact products in the same order and round once per
    # entry, as the primitives do: every digit agrees.
    for fused, unfused in [(fP, P), (fgrads, grads), (fdescend, stepped), (fstepped, stepped)]:
        for a, b in _pairs(fused, unfused):
            assert a.shape == b.shape and all(x == y for x, y in zip(a.ravel(), b.ravel()))
    assert any(G is None for G in grads) == (case == 2)  # the frozen W_in has no gradient


@pytest.mark.parametrize("case", range(3))
def test_arb_fused_operations_enclose_the_exact_values(case):
    rng = np.random.default_rng(case)
    net, problem = list(_cases(MP, rng))[case]
    eta = "0.0625"  # exact in binary: the Arb and reference runs take the same step
    P, grads, stepped = _unfused(REF, net.to(REF), problem.to(REF), eta)
    uP, ugrads, ustepped = _unfused(ARB, net.to(ARB), problem.to(ARB), eta)
    fP, fgrads, fdescend, fstepped = _fused(ARB, net.to(ARB), problem.to(ARB), eta)
    for fused, unfused, exact in [(fP, uP, P), (fgrads, ugrads, grads),
                                  (fdescend, ustepped, stepped), (fstepped, ustepped, stepped)]:
        for (a, b), (_, x) in zip(_pairs(fused, unfused), _pairs(fused, exact)):
            assert a.overlaps(b)
            for ball, value in zip(a.entries(), x.ravel()):
                assert abs(REF.number(ball.mid()) - value) <= REF.number(ball.rad())
            # A few dozen roundings of entries of size O(1): the radius stays near the unit
            # round-off of 2^-200 (a lost or blown-up radius tracking would not).
            assert ARB.radius(a) <= 1e6 * ARB.unit_roundoff


def test_no_trainable_factor_leaves_the_factors_unchanged():
    rng = np.random.default_rng(4)
    for ar in (MP, ARB):
        net = deep_linear([rng.standard_normal((2, 2)) for _ in range(3)], ar)
        net = net.__class__(net.factors, (False,) * 3, net.residual, ar)
        problem = Problem.whitened(rng.standard_normal((2, 2)), ar)
        with ar.context():
            P = prefixes(net, problem)
            Q = ar.sub(P[-1], problem.Y)
            assert ar.backprop(net.factors, P, Q, net.trainable) == [None] * 3
            assert ar.backprop_descend(net.factors, P, Q, net.trainable, 0.5) == net.factors


def test_arb_and_mpmath_trajectories_agree_within_the_arb_radius():
    """Deep and narrow, the shape the fused Arb path is fast for, with a frozen factor."""
    rng = np.random.default_rng(8)
    blocks = [0.05 * rng.standard_normal((2, 2)) for _ in range(12)]
    X, Y = rng.standard_normal((3, 5)), rng.standard_normal((2, 5))
    net = residual_net(blocks, np.eye(2) + 0.1 * rng.standard_normal((2, 2)), np.eye(2, 3), MP)
    problem = Problem.data(X, Y, MP)
    runs = {}
    for ar in (ARB, REF):
        runs[ar.name] = gd(net.to(ar), problem.to(ar), 0.125, Stop(max_iter=25), history=100)
    (traj_arb, net_arb), (traj_ref, net_ref) = runs[ARB.name], runs[REF.name]
    assert traj_arb.iterations == traj_ref.iterations == 25
    assert traj_arb.loss.mid() < 0.9 * traj_arb.loss0.mid()  # the steps really move the net
    for (t, ball), (s, value) in zip(traj_arb.history, traj_ref.history, strict=True):
        assert t == s
        assert abs(REF.number(ball.mid()) - value) <= REF.number(ball.rad())
    # Ball arithmetic widens along a trajectory whatever the order of operations; the fused
    # steps must widen it no more than the same steps from the primitives (up to a factor 2
    # for the reordered products eta * G).
    unfused, prob = net.to(ARB), problem.to(ARB)
    with ARB.context():
        for _ in range(25):
            unfused = unfused.with_factors(_unfused(ARB, unfused, prob, 0.125)[2])
    for F_ball, F_ref, F_unfused in zip(net_arb.factors, net_ref.factors, unfused.factors, strict=True):
        assert ARB.radius(F_ball) <= 2 * ARB.radius(F_unfused)
        for ball, value in zip(F_ball.entries(), F_ref.ravel()):
            assert abs(REF.number(ball.mid()) - value) <= REF.number(ball.rad())


def test_observing_gradients_does_not_change_an_arb_trajectory():
    rng = np.random.default_rng(9)
    net = deep_linear([np.eye(2) + 0.1 * rng.standard_normal((2, 2)) for _ in range(6)], ARB)
    problem = Problem.whitened(rng.standard_normal((2, 2)), ARB)
    seen = []
    observer = {"g": lambda t, n, v, grads: seen.append(grads) or ARB.to_float(ARB.frob(grads[0]))}
    plain, net_plain = gd(net, problem, 0.125, Stop(max_iter=10))
    watched, net_watched = gd(net, problem, 0.125, Stop(max_iter=10), observers=observer)
    assert len(seen) == 11 and all(G is not None for G in seen[0])
    # Balls compare equal only when exact, so midpoints and radii are compared.
    same = [(x.mid(), x.rad()) == (y.mid(), y.rad())
            for a, b in zip(net_plain.factors, net_watched.factors) for x, y in zip(a.entries(), b.entries())]
    assert len(same) == 24 and all(same)
    assert (plain.loss.mid(), plain.loss.rad()) == (watched.loss.mid(), watched.loss.rad())
