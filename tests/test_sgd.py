"""lintheory.sgd: the MLP's gradients and the six Caffe update rules written out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from lintheory import sgd
from lintheory.lifted import predict


@pytest.fixture(autouse=True, scope="module")
def _single_threaded_blas():
    """Small matrices: a multi-threaded BLAS only adds contention on a loaded machine (as in the runner)."""
    with threadpool_limits(limits=1):
        yield


def test_mlp_gradients_match_central_differences():
    rng = np.random.default_rng(0)
    W = sgd.init_weights([7, 5, 4, 3], rng)
    W = [w + 0.1 * rng.standard_normal(w.shape) for w in W]  # non-zero biases
    X, y = rng.standard_normal((7, 11)), rng.integers(0, 3, 11)
    _, grads = sgd.loss_and_gradients(W, X, y)
    h = 1e-6
    for k, (w, g) in enumerate(zip(W, grads)):
        D = rng.standard_normal(w.shape)
        plus = [x + h * D if i == k else x for i, x in enumerate(W)]
        minus = [x - h * D if i == k else x for i, x in enumerate(W)]
        fd = (sgd.loss_and_gradients(plus, X, y)[0] - sgd.loss_and_gradients(minus, X, y)[0]) / (2 * h)
        assert fd == pytest.approx(float(np.sum(g * D)), rel=1e-6, abs=1e-9)


def test_cross_entropy_value_and_gradient():
    S = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 0.0]])
    loss, G = sgd.cross_entropy(S, np.array([1, 2]))
    p0 = np.exp([1, 2, 0]) / np.exp([1, 2, 0]).sum()
    assert loss == pytest.approx(0.5 * (-math.log(p0[1]) - math.log(1 / 3)), rel=1e-14)
    assert G[:, 0] == pytest.approx((p0 - [0, 1, 0]) / 2, rel=1e-14)
    assert np.allclose(G.sum(axis=0), 0)


def _two_steps(name, lr, g1, g2):
    s = sgd.caffe_solver(name, lr)
    h = [np.zeros_like(g1), np.zeros_like(g1)]
    update = sgd.updater(s)
    return s, update(h, g1, 1).copy(), update(h, g2, 2).copy()


G1, G2 = np.array([0.5, -2.0]), np.array([1.0, 3.0])


def test_sgd_and_nesterov_match_caffe_formulas():
    s, a, b = _two_steps("sgd", 0.1, G1, G2)
    v1 = -0.1 * G1
    assert a == pytest.approx(v1) and b == pytest.approx(0.9 * v1 - 0.1 * G2)
    s, a, b = _two_steps("nesterov", 0.1, G1, G2)
    v2 = 0.9 * v1 - 0.1 * G2
    assert a == pytest.approx((1 + 0.9) * v1) and b == pytest.approx(-0.9 * v1 + 1.9 * v2)


def test_adaptive_solvers_match_caffe_formulas():
    _, a, b = _two_steps("adagrad", 0.1, G1, G2)
    assert b == pytest.approx(-0.1 * G2 / (np.sqrt(G1 ** 2 + G2 ** 2) + 1e-8))
    _, a, b = _two_steps("rmsprop", 0.01, G1, G2)
    h = 0.98 * 0.02 * G1 ** 2 + 0.02 * G2 ** 2
    assert b == pytest.approx(-0.01 * G2 / (np.sqrt(h) + 1e-8))
    _, a, b = _two_steps("adam", 0.001, G1, G2)
    m = 0.9 * 0.1 * G1 + 0.1 * G2
    v = 0.999 * 0.001 * G1 ** 2 + 0.001 * G2 ** 2
    assert a == pytest.approx(-0.001 * np.sign(G1), rel=1e-6)  # Adam's first step is lr * sign(g)
    assert b == pytest.approx(-0.001 * math.sqrt(1 - 0.999 ** 2) / (1 - 0.9 ** 2) * m / (np.sqrt(v) + 1e-8))
    _, a, b = _two_steps("adadelta", 1.0, G1, G2)
    h1 = 0.05 * G1 ** 2
    v1 = G1 * np.sqrt(1e-6) / np.sqrt(h1 + 1e-6)
    u1 = 0.05 * v1 ** 2
    h2 = 0.95 * h1 + 0.05 * G2 ** 2
    assert a == pytest.approx(-v1) and b == pytest.approx(-G2 * np.sqrt(u1 + 1e-6) / np.sqrt(h2 + 1e-6))


@pytest.mark.parametrize("name", sgd.SOLVERS)
def test_every_solver_trains_the_mlp(name):
    rng = np.random.default_rng(1)
    centres = 3 * rng.standard_normal((4, 3))
    y = rng.integers(0, 3, 300)
    X = centres[:, y] + 0.5 * rng.standard_normal((4, 300))
    W0 = sgd.init_weights([4, 8, 3], rng)
    lr = {"adadelta": 1.0, "rmsprop": 3e-3, "adam": 3e-3}.get(name, 0.05)
    r = sgd.train(W0, X, y, sgd.caffe_solver(name, lr), 15, 32, 1e-4, np.random.default_rng(2))
    assert not r.diverged and r.epoch_loss[-1] < 0.5 * r.epoch_loss[0]
    assert np.mean(predict(r.W, X, True) == y) > 0.9


def test_divergence_is_reported():
    rng = np.random.default_rng(3)
    X, y = 100 * rng.standard_normal((4, 64)), rng.integers(0, 3, 64)
    r = sgd.train(sgd.init_weights([4, 8, 3], rng), X, y, sgd.caffe_solver("sgd", 1e6), 50, 16, 0.0,
                  np.random.default_rng(0))
    assert r.diverged and r.epoch_loss[-1] == float("inf")


def test_validation():
    with pytest.raises(ValueError, match="name"):
        sgd.Solver("lbfgs", 0.1)
    with pytest.raises(ValueError, match="lr"):
        sgd.Solver("adam", 0.0)
    with pytest.raises(ValueError, match="scheme"):
        sgd.init_weights([3, 2], np.random.default_rng(0), "orthogonal")
    with pytest.raises(ValueError, match="X must"):
        sgd.train([np.ones((2, 4))], np.ones((3, 5)), np.zeros(4, int), sgd.caffe_solver("sgd", 0.1), 1, 2, 0.0,
                  np.random.default_rng(0))
