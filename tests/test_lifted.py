"""lintheory.lifted: objective, gradients, Tikhonov matrix, block updates, NNLS, forward pass."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from threadpoolctl import threadpool_limits
import scipy.optimize

from lintheory.lifted import (
    LiftedConfig, LiftedState, NNLSConfig, bcd, forward, forward_state, gradients, kkt_residual, objective,
    objective_terms, predict, relu_projection, sweep, sweep_flops, tikhonov_coupling, tikhonov_matrix,
)
from lintheory.lifted import algorithm, nnls

@pytest.fixture(autouse=True, scope="module")
def _single_threaded_blas():
    """Small matrices: a multi-threaded BLAS only adds contention on a loaded machine (as in the runner)."""
    with threadpool_limits(limits=1):
        yield


COMBOS = [("free", "squared", False), ("free", "squared_hinge", True), ("relu", "squared", True),
          ("relu", "squared_hinge", False), ("none", "squared", True), ("none", "squared", False)]


def _instance(output, loss, bias, seed=0, dims=(5, 4, 3, 2), M=9):
    rng = np.random.default_rng(seed)
    N = len(dims) - 1
    cfg = LiftedConfig.uniform(N, 1.7, 0.3, eta=0.1, loss=loss, output=output, bias=bias)
    W = [rng.standard_normal((dims[n + 1], dims[n] + int(bias))) for n in range(N)]
    X = rng.standard_normal((dims[0], M))
    Y = np.eye(dims[-1])[:, rng.integers(0, dims[-1], M)]
    st = forward_state(W, X, cfg)
    st = st.replace(U=[u + 0.3 * np.abs(rng.standard_normal(u.shape)) for u in st.U])
    return X, Y, st, cfg, rng


@pytest.mark.parametrize("output,loss,bias", COMBOS)
def test_gradients_match_central_differences(output, loss, bias):
    X, Y, st, cfg, rng = _instance(output, loss, bias)
    gW, gU = gradients(X, Y, st, cfg)
    h = 1e-5
    for which, blocks, grads in (("W", st.W, gW), ("U", st.U, gU)):
        for k, (B, g) in enumerate(zip(blocks, grads)):
            D = rng.standard_normal(B.shape)

            def f(s, k=k, B=B, D=D, which=which, blocks=blocks):
                parts = list(blocks)
                parts[k] = B + s * D
                return objective(X, Y, st.replace(**{which: parts}), cfg)

            # F is (piecewise) quadratic along a block direction: central differences are exact up to round-off
            fd = (f(h) - f(-h)) / (2 * h)
            assert fd == pytest.approx(float(np.sum(g * D)), rel=1e-6, abs=1e-8)


def test_forward_state_coupling_is_the_squared_negative_part():
    """(ZB-1) at the forward pass: each hidden coupling term equals gamma/2 ||min(W H, 0)||^2."""
    X, Y, st, cfg, _ = _instance("free", "squared", True)
    fs = forward_state(st.W, X, cfg)
    terms = objective_terms(X, Y, fs, cfg)
    H = X
    for n in range(cfg.layers - 1):
        Z = fs.W[n] @ np.vstack([H, np.ones((1, H.shape[1]))])
        assert terms.coupling[n] == pytest.approx(0.5 * cfg.gamma[n] * np.sum(np.minimum(Z, 0) ** 2), rel=1e-13)
        assert np.array_equal(fs.U[n], np.maximum(Z, 0))
        H = fs.U[n]
    assert terms.coupling[-1] == 0.0
    assert np.array_equal(predict(fs.W, X, True), np.argmax(forward(fs.W, X, True)[-1], axis=0))


def test_relu_projection_kkt_is_exact_on_special_values():
    v = np.array([0.0, -0.0, 1e-300, -1e-300, 5e-324, -5e-324, 3.5, -2.25, 1e300, -1e150])
    u, value = relu_projection(v)
    assert np.all(u >= 0) and np.all(u - v >= 0) and np.all(u * (u - v) == 0)
    assert np.array_equal(u, [0, 0, 1e-300, 0, 5e-324, 0, 3.5, 0, 1e300, 0])
    assert value == pytest.approx(2.25 ** 2 + 1e150 ** 2, rel=1e-15)  # (-1e-300)^2, (-5e-324)^2 underflow


def test_tikhonov_identity_structure_and_precision():
    rng = np.random.default_rng(3)
    dims, gamma = [4, 3, 5, 2], [0.5, 2.0, 7.0]
    W = [rng.standard_normal((dims[n + 1], dims[n])) for n in range(3)]
    u = [rng.standard_normal(d) for d in dims]
    Q = tikhonov_matrix(W, gamma)
    s = np.concatenate(u)
    assert s @ Q @ s == pytest.approx(tikhonov_coupling(W, gamma, u), rel=1e-12)
    off = np.cumsum([0] + dims)
    for i in range(4):
        for j in range(4):
            if abs(i - j) > 1:
                assert not Q[off[i]:off[i + 1], off[j]:off[j + 1]].any()
    assert np.linalg.eigvalsh(Q[dims[0]:, dims[0]:])[0] > 1e-3
    ctx = mpmath.MPContext()
    ctx.dps = 40
    to = np.vectorize(ctx.mpf, otypes=[object])
    Qm = tikhonov_matrix([to(w) for w in W], [ctx.mpf(g) for g in gamma])
    assert np.max(np.abs(Qm.astype(float) - Q)) < 1e-13 * np.max(np.abs(Q))


def test_tikhonov_matrix_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="columns"):
        tikhonov_matrix([np.ones((3, 2)), np.ones((2, 4))], [1.0, 1.0])
    with pytest.raises(ValueError, match="equal length"):
        tikhonov_matrix([np.ones((3, 2))], [1.0, 2.0])


@pytest.mark.parametrize("method,iters", [("pg", 3), ("apg", 3), ("pg", 5000), ("apg", 2000)])
def test_nnls_never_increases_the_qp_and_converges(method, iters):
    rng = np.random.default_rng(1)
    R = rng.standard_normal((6, 6))
    A, B = R.T @ R + 0.2 * np.eye(6), 3 * rng.standard_normal((6, 15))
    U0 = np.abs(rng.standard_normal((6, 15)))
    exact = nnls.solve(A, B, U0, NNLSConfig("active_set")).U
    res = nnls.solve(A, B, U0, NNLSConfig(method, iters))
    assert np.all(res.U >= 0)
    assert nnls.qp_value(A, B, res.U) <= nnls.qp_value(A, B, U0) + 1e-12 * abs(nnls.qp_value(A, B, U0))
    if iters > 1000:
        assert np.max(np.abs(res.U - exact)) < 1e-8
    for j in range(3):  # the active-set solution matches scipy's nnls on the Cholesky design
        L = np.linalg.cholesky(A)
        x = scipy.optimize.nnls(L.T, np.linalg.solve(L, B[:, j]))[0]
        assert np.max(np.abs(x - exact[:, j])) < 1e-10


def test_nnls_input_validation():
    A = np.eye(2)
    with pytest.raises(ValueError, match="non-negative"):
        nnls.solve(A, np.ones((2, 3)), -np.ones((2, 3)))
    with pytest.raises(ValueError, match="B must"):
        nnls.solve(A, np.ones((3, 3)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="method"):
        NNLSConfig("newton")


@pytest.mark.parametrize("output,loss,bias", COMBOS)
def test_each_block_update_decreases_F_by_eta_over_two_step_squared(output, loss, bias):
    X, Y, st, cfg, _ = _instance(output, loss, bias, seed=5)
    events = []
    for t in range(1, 6):
        st = sweep(X, Y, st, cfg, NNLSConfig("pg", 2), t=t, on_block=events.append)
    assert len(events) == 5 * (cfg.lifted_layers + cfg.layers)
    for e in events:
        assert e.F_before - e.F_after >= 0.5 * cfg.eta * e.step_sq - 1e-12 * abs(e.F_before)
    assert all(np.min(u) >= 0 for u in st.U[:cfg.layers - 1])


def test_w_update_is_the_ridge_solution():
    X, Y, st, cfg, _ = _instance("free", "squared", True, seed=2)
    H = np.vstack([X, np.ones((1, X.shape[1]))])
    W = algorithm.update_w(0, H, Y, st, cfg)
    g, eta, lam = cfg.gamma[0], cfg.eta, cfg.lam[0]
    direct = (g * st.U[0] @ H.T + eta * st.W[0]) @ np.linalg.inv(g * H @ H.T + (lam + eta) * np.eye(H.shape[0]))
    assert np.max(np.abs(W - direct)) < 1e-10 * np.max(np.abs(direct))


def test_bcd_trace_and_kkt_residual_shrink():
    X, Y, st, cfg, _ = _instance("none", "squared", True, seed=4, M=20)
    r0 = kkt_residual(X, Y, st, cfg)
    trace, end = bcd(X, Y, st, cfg, 200, NNLSConfig("pg", 20), kkt=lambda s, c: kkt_residual(X, Y, s, c))
    assert trace.records[-1].kkt < 1e-2 * r0
    F = [trace.F0] + trace.column("F")
    assert all(b <= a * (1 + 1e-12) for a, b in zip(F, F[1:]))
    assert trace.records[-1].F == pytest.approx(objective(X, Y, end, cfg), rel=1e-14)


def test_gamma_schedule_is_applied_per_sweep():
    X, Y, st, cfg, _ = _instance("free", "squared", False, seed=6)
    seen = []

    def schedule(t):
        seen.append(t)
        return LiftedConfig.uniform(3, 0.1 * 2 ** t, 0.3, eta=0.1)

    bcd(X, Y, st, schedule, 3)
    assert set(seen) == {1, 2, 3}


def test_config_and_state_validation():
    with pytest.raises(ValueError, match="gamma must have 2"):
        LiftedConfig((1.0, 1.0, 1.0), (0.1, 0.1, 0.1), output="none")
    with pytest.raises(ValueError, match="gamma must be positive"):
        LiftedConfig.uniform(2, 0.0, 0.1)
    with pytest.raises(ValueError, match="output='none' needs"):
        LiftedConfig.uniform(2, 1.0, 0.1, output="none", loss="squared_hinge")
    X, Y, st, cfg, _ = _instance("free", "squared", False)
    with pytest.raises(ValueError, match="lifted"):
        objective(X, Y, LiftedState(st.W, st.U[:-1]), cfg)
    with pytest.raises(ValueError, match="sweeps"):
        bcd(X, Y, st, cfg, -1)


def test_flop_model_is_affine_in_M():
    cfg = LiftedConfig.uniform(3, 1.0, 1e-3, eta=1e-3, bias=True)
    widths = [784, 256, 256, 10]
    f1, f2, f4 = (sweep_flops(widths, M, 10, cfg) for M in (1000, 2000, 4000))
    assert f4 - f2 == pytest.approx(2 * (f2 - f1), rel=1e-12)  # exactly affine
    assert np.log(f4 / f2) / np.log(2) == pytest.approx(1.0, abs=0.05)  # the offset is small at these M


def test_backward_order_is_monotone_per_block_and_differs_from_forward():
    X, Y, st, cfg, _ = _instance("none", "squared", True)
    events = []
    fwd = sweep(X, Y, st, cfg, NNLSConfig("pg", 3))
    bwd = sweep(X, Y, st, cfg, NNLSConfig("pg", 3), on_block=events.append, order="backward")
    assert [e.block for e in events] == ["W3", "U2", "W2", "U1", "W1"]
    assert all(e.F_after <= e.F_before * (1 + 1e-12) for e in events)
    assert not np.allclose(fwd.W[0], bwd.W[0])
    with pytest.raises(ValueError, match="order must be one of"):
        sweep(X, Y, st, cfg, order="sideways")


def test_flop_terms_split_the_count_and_take_per_block_iterations():
    cfg = LiftedConfig.uniform(3, 1.0, 0.1, bias=True)
    widths = [20, 8, 6, 3]
    fixed, per_sample = algorithm.sweep_flop_terms(widths, 100, [4, 4], cfg)
    assert fixed + per_sample == pytest.approx(sweep_flops(widths, 100, 4, cfg))
    assert algorithm.sweep_flop_terms(widths, 200, [4, 4], cfg) == pytest.approx((fixed, 2 * per_sample))
    assert algorithm.sweep_flop_terms(widths, 100, [5, 4], cfg)[1] - per_sample == pytest.approx(2 * 100 * 8 * 8)
    with pytest.raises(ValueError, match="one per hidden block"):
        algorithm.sweep_flop_terms(widths, 100, [4], cfg)


def test_relu_prox_is_the_exact_scalar_minimiser():
    from lintheory.lifted.threesplit import relu_prox

    rng = np.random.default_rng(0)
    v, c = 3 * rng.standard_normal(500), 3 * rng.standard_normal(500)
    for kappa in (0.1, 1.0, 7.0):
        u = relu_prox(v, c, kappa)
        grid = np.linspace(-20, 20, 80_001)[None, :]
        brute = (0.5 * (v[:, None] - np.maximum(0, grid)) ** 2 + 0.5 * kappa * (grid - c[:, None]) ** 2).min(axis=1)
        at_u = 0.5 * (v - np.maximum(0, u)) ** 2 + 0.5 * kappa * (u - c) ** 2
        assert np.all(at_u <= brute + 1e-12)
    with pytest.raises(ValueError, match="kappa must be positive"):
        relu_prox(v, c, 0.0)


def test_three_split_bcd_is_monotone_and_keeps_the_forward_pass_at_a_fixed_point():
    from lintheory.lifted.threesplit import ThreeSplitConfig, three_split_bcd, three_split_init, three_split_objective

    rng = np.random.default_rng(1)
    X = rng.standard_normal((5, 40))
    Y = np.eye(3)[:, rng.integers(0, 3, 40)]
    W = [rng.standard_normal((4, 6)), rng.standard_normal((3, 5))]
    values, state = three_split_bcd(X, Y, W, ThreeSplitConfig(1.0, 1.0, 0.5), 15)
    assert all(b <= a * (1 + 1e-12) for a, b in zip(values, values[1:])) and values[-1] < values[0]
    init = three_split_init(W, X)
    # at the forward pass only the output loss remains
    assert three_split_objective(X, Y, init, ThreeSplitConfig()) == pytest.approx(0.5 * np.sum((init.V[-1] - Y) ** 2))
    with pytest.raises(ValueError, match="positive"):
        ThreeSplitConfig(alpha=0.0)
