"""Batched GD equals the same runs done one by one, each with its own stopping point."""

import math

import numpy as np
import pytest

from lintheory.batched import gd_batched
from lintheory.kernels import gd_float64
from lintheory.nets import Problem, residual_net
from lintheory.train import Stop, gd


def _one_by_one(factors, target, etas, X=None, trainable=None, **stop):
    return [
        gd_float64([F[b] for F in factors], trainable, target[b], etas[b], X=None if X is None else X[b], **stop)
        for b in range(target.shape[0])
    ]


def _assert_equal_runs(batch, singles):
    """Identical arithmetic in the same order: equal bit for bit."""
    assert len(batch) == len(singles)
    for b, one in enumerate(singles):
        assert batch.status[b] == one.status
        assert batch.iterations[b] == one.iterations
        assert batch.loss0[b] == one.loss0 and batch.loss[b] == one.loss
        np.testing.assert_array_equal(batch.history_t[b], one.history_t)
        np.testing.assert_array_equal(batch.history_loss[b], one.history_loss)
        for F_batch, F_one in zip(batch.factors, one.factors):
            np.testing.assert_array_equal(F_batch[b], F_one)


def test_batched_equals_one_by_one_with_per_run_stopping():
    rng = np.random.default_rng(0)
    B, widths = 6, (2, 4, 4, 2)
    factors = [0.6 * rng.standard_normal((B, widths[k + 1], widths[k])) for k in range(len(widths) - 1)]
    target = rng.standard_normal((B, 2, 2))
    # Small steps converge at different iterations, a large one diverges, a tiny one hits max_iter.
    etas = np.array([0.05, 0.02, 0.08, 3.0, 1e-5, 0.04])
    stop = dict(eps=1e-8, max_iter=3000, diverge_factor=1e6, history=50)
    batch = gd_batched(factors, target, etas, **stop)
    assert {"converged", "diverged", "max_iter"} <= set(batch.status)
    assert len(set(batch.iterations[np.array(batch.status) == "converged"].tolist())) > 1
    _assert_equal_runs(batch, _one_by_one(factors, target, etas, **stop))


def test_batched_data_loss_with_frozen_factor_equals_one_by_one():
    rng = np.random.default_rng(1)
    B, d, d_in, m = 4, 4, 2, 7
    W_in = np.broadcast_to(np.vstack([np.eye(d_in), np.zeros((d - d_in, d_in))]), (B, d, d_in)).copy()
    blocks = [np.eye(d) + 0.1 * rng.standard_normal((B, d, d)) for _ in range(3)]
    factors = [W_in, *blocks, 0.3 * rng.standard_normal((B, 2, d))]
    trainable = [False, True, True, True, True]
    X, Y = rng.standard_normal((B, d_in, m)), rng.standard_normal((B, 2, m))
    stop = dict(eps=1e-10, max_iter=2000, stall_window=40, stall_rtol=1e-9)
    batch = gd_batched(factors, Y, 0.05, X=X, trainable=trainable, **stop)
    # m > d_in generic data are not fit exactly: every run stalls, each at its own time.
    assert set(batch.status) == {"stalled"} and len(set(batch.iterations.tolist())) > 1
    np.testing.assert_array_equal(batch.factors[0], W_in)
    _assert_equal_runs(batch, _one_by_one(factors, Y, np.full(B, 0.05), X=X, trainable=trainable, **stop))


def test_batched_matches_the_generic_trainer():
    rng = np.random.default_rng(2)
    B, d, L = 3, 2, 5
    blocks = [0.1 * rng.standard_normal((B, d, d)) for _ in range(L)]
    W_out = rng.standard_normal((B, d, d))
    Phi = rng.standard_normal((B, d, d))
    factors = [np.eye(d) + W for W in blocks] + [W_out]
    batch = gd_batched(factors, Phi, 0.02, eps=1e-9, max_iter=400)
    for b in range(B):
        net = residual_net([W[b] for W in blocks], W_out[b])
        traj, net_T = gd(net, Problem.whitened(Phi[b]), 0.02, Stop(eps=1e-9, max_iter=400), compiled=False)
        assert (batch.status[b], int(batch.iterations[b])) == (traj.status, traj.iterations)
        t_ref, loss_ref = traj.losses()
        np.testing.assert_array_equal(batch.history_t[b], t_ref)
        scale = max(1.0, float(np.linalg.norm(net_T.end_to_end())))
        # float64 round-off bound: see tests/test_kernels.py (residual norm is 1-Lipschitz in E).
        tol = 1e-12 * loss_ref + 1e-12 * scale * np.sqrt(2 * loss_ref)
        assert np.all(np.abs(batch.history_loss[b] - loss_ref) <= tol)
        for F_batch, F_ref in zip(batch.factors, net_T.factors):
            np.testing.assert_allclose(F_batch[b], F_ref, rtol=0, atol=1e-12 * max(1.0, np.abs(F_ref).max()))


_F = [np.ones((3, 2, 2)), np.ones((3, 2, 2))]
_GOOD = dict(eps=1e-6, max_iter=10)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (([np.ones((3, 2, 2)), np.ones((2, 2, 2))], np.ones((3, 2, 2)), 0.1), _GOOD, "factors\\[1\\] holds 2 runs"),
        (([np.ones((3, 2, 2)), np.ones((3, 2, 3))], np.ones((3, 2, 2)), 0.1), _GOOD, "factors\\[1\\] has 3 columns"),
        (([np.ones((2, 2))], np.ones((3, 2, 2)), 0.1), _GOOD, "factors\\[0\\]"),
        ((_F, np.ones((2, 2, 2)), 0.1), _GOOD, "target"),
        ((_F, np.ones((3, 2, 2)), [0.1, 0.2]), _GOOD, "eta"),
        ((_F, np.ones((3, 2, 2)), [0.1, 0.2, -1.0]), _GOOD, "eta"),
        ((_F, np.ones((3, 2, 2)), math.inf), _GOOD, "eta"),
        ((_F, np.ones((3, 2, 2)), 0.1), dict(eps=0.0, max_iter=10), "eps"),
        ((_F, np.ones((3, 2, 4)), 0.1), dict(_GOOD, X=np.ones((2, 2, 4))), "X must be"),
        ((_F, np.ones((3, 2, 2)), 0.1), dict(_GOOD, trainable=[True, True, False]), "trainable"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        gd_batched(*args, **kwargs)
