"""The compiled float64 GD kernel against the generic trainer ``lintheory.train.gd``.

Both compute the same iteration in float64 with products summed in different orders, so
the iterates differ by round-off, a few ulps of ``|E|`` per step (measured: below 1e-14
relative after hundreds of steps).  Losses are compared with

    |l_fast - l_ref| <= RTOL * l_ref + RTOL * scale * sqrt(2 l_ref),

the second term because ``sqrt(2 l) = ||E - Phi||_F`` is 1-Lipschitz in ``E``: near a fit the
loss agrees only to ``|delta E| * ||E - Phi||_F``, not relatively.  Decisions (status, exact
iteration counts, the history's time points) must agree exactly.
"""

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lintheory
from lintheory.inits import gaussian, near_identity
from lintheory import kernels
from lintheory.kernels import STATUSES, gd_float64
from lintheory.nets import Problem, residual_net
from lintheory.train import Stop, gd

RTOL = 1e-12


def _both(net, problem, eta, stop, history=1000):
    """The same run through ``train.gd`` and ``gd_float64``."""
    traj, net_T = gd(net, problem, eta, stop, history=history, compiled=False)
    schedule = eta if not callable(eta) else np.array([eta(t) for t in range(max(stop.max_iter, 1))])
    fast = gd_float64(
        net.factors, net.trainable, problem.Y, schedule, X=problem.X, eps=stop.eps, max_iter=stop.max_iter,
        diverge_factor=stop.diverge_factor, stall_window=stop.stall_window, stall_rtol=stop.stall_rtol,
        history=history,
    )
    return traj, net_T, fast


def _assert_losses_close(fast, ref, scale):
    fast, ref = np.asarray(fast, dtype=float), np.asarray(ref, dtype=float)
    tol = RTOL * ref + RTOL * scale * np.sqrt(2 * ref)
    assert np.all(np.abs(fast - ref) <= tol), np.max(np.abs(fast - ref) / tol)


def _assert_same_run(traj, net_T, fast):
    assert fast.status == traj.status
    assert fast.iterations == traj.iterations
    t_ref, loss_ref = traj.losses()
    np.testing.assert_array_equal(fast.history_t, t_ref)
    scale = max(1.0, float(np.linalg.norm(net_T.end_to_end())))
    _assert_losses_close(fast.history_loss, loss_ref, scale)
    _assert_losses_close([fast.loss0, fast.loss], [traj.loss0, traj.loss], scale)
    for F_fast, F_ref, trainable in zip(fast.factors, net_T.factors, net_T.trainable):
        np.testing.assert_allclose(F_fast, F_ref, rtol=0, atol=RTOL * max(1.0, np.abs(F_ref).max()))
        if not trainable:
            np.testing.assert_array_equal(F_fast, F_ref)


def test_whitened_deep_linear_with_mixed_widths_matches_gd():
    rng = np.random.default_rng(0)
    net = gaussian([3, 4, 2, 4], 0.6, rng)
    problem = Problem.whitened(rng.standard_normal((4, 3)))
    traj, net_T, fast = _both(net, problem, 0.05, Stop(eps=1e-6, max_iter=400))
    assert traj.iterations > 50  # a run long enough to accumulate round-off
    _assert_same_run(traj, net_T, fast)


def test_data_loss_matches_gd():
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((3, 9)), rng.standard_normal((2, 9))
    net = gaussian([3, 4, 4, 2], 0.5, rng)
    traj, net_T, fast = _both(net, Problem.data(X, Y), 0.05, Stop(eps=1e-12, max_iter=300))
    assert traj.status == "max_iter"  # the data are not fit exactly: the loss plateaus above eps
    _assert_same_run(traj, net_T, fast)


def test_residual_net_with_frozen_input_embedding_matches_gd():
    rng = np.random.default_rng(2)
    d, d_in, L = 4, 2, 6
    blocks = [0.1 * rng.standard_normal((d, d)) for _ in range(L)]
    W_in = np.vstack([np.eye(d_in), np.zeros((d - d_in, d_in))])
    net = residual_net(blocks, 0.3 * rng.standard_normal((3, d)), W_in)
    assert net.trainable[0] is False
    problem = Problem.whitened(rng.standard_normal((3, d_in)))
    traj, net_T, fast = _both(net, problem, 0.02, Stop(eps=1e-8, max_iter=300))
    _assert_same_run(traj, net_T, fast)


def test_generic_loop_path_matches_gd():
    """Widths above SPECIALISE_MAX but products below the BLAS threshold: run-time loop bounds."""
    rng = np.random.default_rng(11)
    net = gaussian([3, 12, 2], 0.3, rng)
    assert max(net.widths) > kernels.SPECIALISE_MAX
    problem = Problem.whitened(rng.standard_normal((2, 3)))
    traj, net_T, fast = _both(net, problem, 0.05, Stop(eps=1e-9, max_iter=300))
    _assert_same_run(traj, net_T, fast)


def test_padded_small_widths_equal_the_generic_path_bit_for_bit(monkeypatch):
    """Zero padding to D x D only adds exact zeros to each sum, in the same order."""
    rng = np.random.default_rng(12)
    net = gaussian([3, 4, 2, 4], 0.6, rng)
    Phi, X, Y = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal((4, 5))
    problems = ((Phi, None), (Y, X))

    def runs():
        return [gd_float64(net.factors, (False, True, True), target, 0.05, X=data, eps=1e-9, max_iter=150)
                for target, data in problems]

    padded = runs()
    monkeypatch.setattr(kernels, "SPECIALISE_MAX", 0)
    for p, g in zip(padded, runs()):
        assert (p.status, p.iterations) == (g.status, g.iterations)
        np.testing.assert_array_equal(p.history_loss, g.history_loss)
        for F_p, F_g in zip(p.factors, g.factors):
            np.testing.assert_array_equal(F_p, F_g)


def test_blas_path_matches_gd():
    """Widths above the BLAS threshold take the BLAS products inside the kernel."""
    rng = np.random.default_rng(3)
    d = 40
    net = near_identity(d, 3, 0.05, rng)
    problem = Problem.whitened(np.eye(d) + 0.1 * rng.standard_normal((d, d)))
    traj, net_T, fast = _both(net, problem, 0.05, Stop(eps=1e-12, max_iter=40))
    _assert_same_run(traj, net_T, fast)


@pytest.mark.parametrize("blas_min", [None, 10**12])
def test_middle_widths_match_gd_through_blas_and_through_loops(monkeypatch, blas_min):
    """Widths between SPECIALISE_MAX and the old 24^3 threshold, through BLAS (the measured
    default) and through the vectorised run-time loops, on a data loss."""
    if blas_min is not None:
        monkeypatch.setattr(kernels, "_BLAS_MIN", blas_min)
    rng = np.random.default_rng(13)
    d = 13
    net = near_identity(d, 3, 0.05, rng)
    X, Y = rng.standard_normal((d, 17)), rng.standard_normal((d, 17))
    assert kernels.SPECIALISE_MAX < d < 24
    traj, net_T, fast = _both(net, Problem.data(X, Y), 0.05, Stop(eps=1e-12, max_iter=60))
    _assert_same_run(traj, net_T, fast)


def test_schedule_matches_gd_and_holds_its_last_entry():
    rng = np.random.default_rng(4)
    net = gaussian([2, 4, 2], 0.7, rng)
    problem = Problem.whitened(rng.standard_normal((2, 2)))
    steps = np.array([0.01, 0.02, 0.04, 0.08])
    traj, net_T = gd(net, problem, lambda t: steps[min(t, len(steps) - 1)], Stop(eps=1e-9, max_iter=200))
    fast = gd_float64(net.factors, None, problem.Y, steps, eps=1e-9, max_iter=200)
    _assert_same_run(traj, net_T, fast)


def test_iteration_count_is_the_first_below_eps():
    rng = np.random.default_rng(5)
    net = gaussian([2, 4, 4, 2], 0.6, rng)
    Phi = rng.standard_normal((2, 2))
    eps = 1e-7
    fast = gd_float64(net.factors, None, Phi, 0.05, eps=eps, max_iter=10_000, history=10_000)
    assert fast.status == "converged"
    assert fast.history_t[-1] == fast.iterations and fast.history_t[-2] == fast.iterations - 1
    assert fast.history_loss[-1] <= eps < fast.history_loss[-2]
    assert np.all(fast.history_loss[:-1] > eps)
    # Stopping at exactly that many steps reaches the same point with status max_iter.
    again = gd_float64(net.factors, None, Phi, 0.05, eps=None, max_iter=fast.iterations)
    assert again.status == "max_iter" and again.iterations == fast.iterations
    assert again.loss == fast.loss


def test_divergence_matches_gd():
    rng = np.random.default_rng(6)
    net = gaussian([2, 4, 2], 1.0, rng)
    problem = Problem.whitened(3 * rng.standard_normal((2, 2)))
    for stop in (Stop(eps=1e-8, max_iter=500, diverge_factor=1e6), Stop(eps=1e-8, max_iter=5000, diverge_factor=math.inf)):
        with np.errstate(over="ignore", invalid="ignore"):  # the reference trainer overflows on purpose
            traj, net_T, fast = _both(net, problem, 2.0, stop)
        assert fast.status == traj.status == "diverged"
        assert fast.iterations == traj.iterations
        if math.isfinite(stop.diverge_factor):
            assert fast.loss > 1e6 * fast.loss0
        else:
            assert not math.isfinite(fast.loss)


def test_max_iter_and_zero_steps():
    rng = np.random.default_rng(7)
    net = gaussian([2, 2, 2], 0.5, rng)
    Phi = rng.standard_normal((2, 2))
    fast = gd_float64(net.factors, None, Phi, 1e-3, eps=1e-12, max_iter=17)
    assert (fast.status, fast.iterations) == ("max_iter", 17)
    zero = gd_float64(net.factors, None, Phi, 1e-3, eps=1e-12, max_iter=0)
    assert (zero.status, zero.iterations, zero.loss) == ("max_iter", 0, zero.loss0)
    assert zero.history == ((0, zero.loss0),)
    for F, F0 in zip(zero.factors, net.factors):
        np.testing.assert_array_equal(F, F0)


def test_stall_matches_gd():
    rng = np.random.default_rng(8)
    # A rank-1 bottleneck cannot fit a rank-2 target: the loss plateaus and the run stalls.
    net = gaussian([2, 1, 2], 0.5, rng)
    problem = Problem.whitened(np.diag([1.0, 0.7]))
    traj, net_T, fast = _both(net, problem, 0.1, Stop(eps=1e-10, max_iter=5000, stall_window=50, stall_rtol=1e-6))
    assert traj.status == "stalled"
    _assert_same_run(traj, net_T, fast)


@pytest.mark.parametrize("history", [2, 3, 10, 64])
def test_bounded_history_matches_gd_and_keeps_first_and_last(history):
    rng = np.random.default_rng(9)
    net = gaussian([2, 4, 2], 0.6, rng)
    problem = Problem.whitened(rng.standard_normal((2, 2)))
    for max_iter in (0, 1, 5, 333, 1000):
        traj, net_T, fast = _both(net, problem, 0.01, Stop(eps=1e-30, max_iter=max_iter), history=history)
        assert len(fast.history_t) <= history
        assert fast.history_t[0] == 0 and fast.history_t[-1] == fast.iterations == max_iter
        assert fast.history_loss[0] == fast.loss0 and fast.history_loss[-1] == fast.loss
        _assert_same_run(traj, net_T, fast)


def test_inputs_are_not_modified():
    rng = np.random.default_rng(10)
    factors = [rng.standard_normal((2, 2)) for _ in range(3)]
    copies = [F.copy() for F in factors]
    gd_float64(factors, None, np.eye(2), 0.01, eps=1e-9, max_iter=20)
    for F, F0 in zip(factors, copies):
        np.testing.assert_array_equal(F, F0)


def test_statuses_are_the_trainers():
    assert set(STATUSES) == {"converged", "max_iter", "diverged", "stalled"}


_F = [np.eye(2), np.eye(2)]
_GOOD = dict(eps=1e-6, max_iter=10)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (([np.eye(2), np.ones((3, 3))], None, np.eye(2), 0.1), _GOOD, "factors\\[1\\]"),
        (([], None, np.eye(2), 0.1), _GOOD, "factors"),
        (([np.ones(3)], None, np.eye(2), 0.1), _GOOD, "factors\\[0\\]"),
        (([np.array([[1.0, np.nan], [0, 1]])], None, np.eye(2), 0.1), _GOOD, "factors\\[0\\] must have finite"),
        ((_F, None, np.eye(3), 0.1), _GOOD, "target"),
        ((_F, None, np.array([[np.inf, 0], [0, 1]]), 0.1), _GOOD, "target"),
        ((_F, None, np.ones((2, 5)), 0.1), dict(_GOOD, X=np.ones((3, 5))), "X must be"),
        ((_F, None, np.ones((2, 4)), 0.1), dict(_GOOD, X=np.ones((2, 5))), "target"),
        ((_F, None, np.ones((2, 5)), 0.1), dict(_GOOD, X=np.full((2, 5), np.nan)), "X must have finite"),
        ((_F, [True], np.eye(2), 0.1), _GOOD, "trainable"),
        ((_F, None, np.eye(2), 0.0), _GOOD, "eta"),
        ((_F, None, np.eye(2), -0.1), _GOOD, "eta"),
        ((_F, None, np.eye(2), math.nan), _GOOD, "eta"),
        ((_F, None, np.eye(2), [0.1, math.inf]), _GOOD, "eta"),
        ((_F, None, np.eye(2), np.ones((2, 2))), _GOOD, "eta"),
        ((_F, None, np.eye(2), 0.1), dict(eps=0.0, max_iter=10), "eps"),
        ((_F, None, np.eye(2), 0.1), dict(eps=-1e-3, max_iter=10), "eps"),
        ((_F, None, np.eye(2), 0.1), dict(eps=math.nan, max_iter=10), "eps"),
        ((_F, None, np.eye(2), 0.1), dict(eps=1e-6, max_iter=-1), "max_iter"),
        ((_F, None, np.eye(2), 0.1), dict(eps=1e-6, max_iter=2.5), "max_iter"),
        ((_F, None, np.eye(2), 0.1), dict(_GOOD, diverge_factor=1.0), "diverge_factor"),
        ((_F, None, np.eye(2), 0.1), dict(_GOOD, stall_window=0), "stall_window"),
        ((_F, None, np.eye(2), 0.1), dict(_GOOD, stall_rtol=-1.0), "stall_rtol"),
        ((_F, None, np.eye(2), 0.1), dict(_GOOD, history=1), "history"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        gd_float64(*args, **kwargs)


def test_compiled_code_is_shared_by_checkouts_with_the_same_source_and_only_by_them(tmp_path):
    """A second checkout loads the machine code the first compiled; an edited source compiles anew."""
    source = Path(lintheory.__file__).parent
    ignore = shutil.ignore_patterns("__pycache__")
    for name in ("one", "two"):
        shutil.copytree(source, tmp_path / name / "lintheory", ignore=ignore)
    with open(tmp_path / "two" / "lintheory" / "product1d.py", "a") as f:
        f.write("\n# an edit\n")
    shutil.copytree(source, tmp_path / "three" / "lintheory", ignore=ignore)

    def first_use(checkout: str) -> str:
        env = {**os.environ, "PYTHONPATH": str(tmp_path / checkout), "NUMBA_DEBUG_CACHE": "1",
               "LINTHEORY_NUMBA_CACHE": str(tmp_path / "cache")}
        env.pop("NUMBA_CACHE_DIR", None)
        code = ("import lintheory.product1d as p; assert p.__file__.startswith(%r); "
                "p.product_gd(p.zas_1d(3), -1.0, 0.01, eps=1e-3, max_iter=10)" % str(tmp_path / checkout))
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path / checkout,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        return out.stdout + out.stderr

    assert "data saved" in first_use("one")
    assert "data saved" in first_use("two")  # edited source: compiled again, into a folder of its own
    third = first_use("three")  # same source as "one", another path, new modification times
    assert "data loaded" in third and "data saved" not in third
    assert len(list((tmp_path / "cache").iterdir())) == 2
    assert not list((tmp_path / "three" / "lintheory").glob("__pycache__/*.nbi"))  # nothing beside the source
