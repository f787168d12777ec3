r"""Trainers: gradient descent and layer-wise block coordinate gradient descent (BCGD).

Both are written once against :class:`lintheory.arith.Arithmetic`, so the same code runs
in float64, mpmath and Arb.  The float64 fast path in :mod:`lintheory.kernels` has the
same semantics and is tested against :func:`gd`.

Stopping rules (:class:`Stop`), checked on the loss :math:`\ell_t` *before* step
:math:`t` is taken, in this order: converged (:math:`\ell_t \le \epsilon`; the iteration
count is the first such :math:`t`), diverged (non-finite, or
:math:`\ell_t > \text{diverge\_factor}\cdot\ell_0`), stalled (over the last
``stall_window`` iterations the loss fell by at most ``stall_rtol`` relative), and
``max_iter`` reached.

A BCGD block update that cannot be computed (an SVD or solve that fails on overflowed
entries) ends the run as diverged in the sweep where it happened (``iterations`` is that
sweep, the loss is that of the blocks updated so far); ``Trajectory.reason`` names the
block and the error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import flint
import numpy as np

from lintheory.arith import Arithmetic, Float64
from lintheory.nets import Network, Problem, _check_compatible, _forward

__all__ = ["MAX_ITER", "Stop", "Trajectory", "gd", "bcgd", "Exact", "Normalised", "BlockStep", "Observer"]

MAX_ITER = 10**9
"""The largest ``Stop.max_iter``: a billion steps is hours of compiled float64 GD, far past any
budget a claim sets; a larger value is a typo that would make a run that never ends."""

Status = Literal["converged", "max_iter", "diverged", "stalled"]
Order = Literal["ascending", "descending"]
Observer = Callable[[int, Network, Any, tuple[Any, ...]], Any]


@dataclass(frozen=True)
class Stop:
    """When to stop a run (see the module docstring for the order of the checks)."""

    eps: float | None = None
    max_iter: int = 10_000
    diverge_factor: float = 1e8
    stall_window: int | None = None
    stall_rtol: float = 0.0

    def __post_init__(self) -> None:
        if self.eps is not None and not (_real(self.eps, "eps") and math.isfinite(self.eps) and self.eps > 0):
            raise ValueError(f"eps must be finite and > 0 (or None), got {self.eps!r}")
        if not _integer(self.max_iter, "max_iter") or not 0 <= self.max_iter <= MAX_ITER:
            raise ValueError(f"max_iter must be an integer in [0, {MAX_ITER}], got {self.max_iter!r}")
        if not (_real(self.diverge_factor, "diverge_factor") and self.diverge_factor > 1):
            raise ValueError(f"diverge_factor must be > 1, got {self.diverge_factor!r}")
        if self.stall_window is not None and not (_integer(self.stall_window, "stall_window")
                                                  and self.stall_window >= 1):
            raise ValueError(f"stall_window must be an integer >= 1 (or None), got {self.stall_window!r}")
        if not (_real(self.stall_rtol, "stall_rtol") and math.isfinite(self.stall_rtol) and self.stall_rtol >= 0):
            raise ValueError(f"stall_rtol must be finite and >= 0, got {self.stall_rtol!r}")


def _real(value: Any, name: str) -> bool:
    """True for a real number; a TypeError naming ``name`` otherwise (``True`` is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    return True


def _integer(value: Any, name: str) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    return True


@dataclass(frozen=True)
class Trajectory:
    """The record of one run.

    ``iterations`` is exact (GD steps, or BCGD sweeps); ``history`` holds at most the
    requested number of ``(t, loss)`` points, always including the first and the last.
    Losses are backend numbers (``float``, ``mpf`` or ``arb``).
    """

    status: Status
    iterations: int
    updates: int
    loss0: Any
    loss: Any
    history: tuple[tuple[int, Any], ...]
    observations: Mapping[str, tuple[tuple[int, Any], ...]]
    arithmetic: str
    reason: str | None = None

    @property
    def converged(self) -> bool:
        return self.status == "converged"

    def losses(self) -> tuple[np.ndarray, np.ndarray]:
        """``(t, loss)`` of the history as float64 arrays (midpoints for Arb)."""
        ts = np.array([t for t, _ in self.history], dtype=np.int64)
        values = np.array([float(v.mid()) if isinstance(v, flint.arb) else float(v) for _, v in self.history])
        return ts, values


class _History:
    """Keeps at most ``capacity`` points: the stride doubles whenever the buffer fills."""

    def __init__(self, capacity: int):
        if not isinstance(capacity, int) or capacity < 2:
            raise ValueError(f"history must be an integer >= 2, got {capacity!r}")
        self.capacity, self.stride = capacity, 1
        self.points: list[tuple[int, Any]] = []

    def add(self, t: int, value: Any) -> None:
        if t % self.stride:
            return
        self.points.append((t, value))
        if len(self.points) > self.capacity:
            self.stride *= 2
            self.points = [p for p in self.points if p[0] % self.stride == 0]

    def final(self, t: int, value: Any) -> tuple[tuple[int, Any], ...]:
        if not self.points or self.points[-1][0] != t:
            if len(self.points) >= self.capacity:
                self.points.pop()
            self.points.append((t, value))
        return tuple(self.points)


def _mid(x: Any) -> Any:
    return x.mid() if isinstance(x, flint.arb) else x


class _Monitor:
    """Applies :class:`Stop` to a stream of losses."""

    def __init__(self, stop: Stop, ar: Arithmetic, loss0: Any):
        self.stop, self.loss0 = stop, _mid(loss0)
        self.eps = None if stop.eps is None else _mid(ar.number(stop.eps))
        self.ceiling = self.loss0 * _mid(ar.number(stop.diverge_factor))
        self.finite = ar.is_finite
        self.last_check = self.loss0

    def status(self, t: int, value: Any) -> Status | None:
        value = _mid(value)
        if self.eps is not None and value <= self.eps:
            return "converged"
        if not self.finite(value) or value > self.ceiling:
            return "diverged"
        window = self.stop.stall_window
        if window is not None and t > 0 and t % window == 0:
            previous, self.last_check = self.last_check, value
            if previous - value <= self.stop.stall_rtol * abs(previous):
                return "stalled"
        if t >= self.stop.max_iter:
            return "max_iter"
        return None


def _check_eta(eta: Any, t: int | None = None) -> Any:
    where = "" if t is None else f" (the schedule's value at step {t})"
    try:
        if isinstance(eta, (str, bytes)):
            raise TypeError
        value = float(_mid(eta))
    except (TypeError, ValueError):
        raise TypeError(f"eta must be a real number{where}, got {type(eta).__name__} {eta!r}") from None
    if isinstance(eta, bool) or not (math.isfinite(value) and value > 0):
        raise ValueError(f"eta must be finite and > 0{where}, got {eta!r}")
    return eta


def _eta_schedule(eta: Any) -> Callable[[int], Any]:
    if callable(eta):
        return lambda t: _check_eta(eta(t), t)
    _check_eta(eta)
    return lambda t: eta


def gd(
    net: Network,
    problem: Problem,
    eta: Any,
    stop: Stop = Stop(),
    observers: Mapping[str, Observer] | None = None,
    observe_every: int = 1,
    history: int = 1000,
    compiled: bool = True,
) -> tuple[Trajectory, Network]:
    r"""Gradient descent :math:`F_j \leftarrow F_j - \eta_t \nabla_{F_j}\ell` on every trainable factor.

    Arora et al. (2018), Eq. (3).  ``eta`` is a number or a schedule ``t -> eta_t``.
    Each observer ``fn(t, net, loss, grads)`` is recorded every ``observe_every``
    iterations and at the last one.

    A float64 run with a constant step and no observers goes to the compiled kernel
    :func:`lintheory.kernels.gd_float64`, which takes the same steps with the same
    stopping rules; ``compiled=False`` forces the generic loop (for comparisons).
    """
    _check_compatible(net, problem)
    schedule = _eta_schedule(eta)
    if not isinstance(observe_every, int) or observe_every < 1:
        raise ValueError(f"observe_every must be an integer >= 1, got {observe_every!r}")
    if compiled and not observers and not callable(eta) and isinstance(net.arith, Float64):
        return _gd_compiled(net, problem, float(eta), stop, history)
    with net.arith.context():
        return _gd(net, problem, schedule, stop, dict(observers or {}), observe_every, history)


def _gd(
    net: Network,
    problem: Problem,
    schedule: Callable[[int], Any],
    stop: Stop,
    observers: dict[str, Observer],
    observe_every: int,
    history: int,
) -> tuple[Trajectory, Network]:
    # gd checked the network against the problem and entered the arithmetic's context once:
    # the step does not repeat either (at small widths each costs a sizeable part of a step).
    ar = net.arith
    value, P, Q = _forward(net, problem)
    record, monitor = _History(history), _Monitor(stop, ar, value)
    observed: dict[str, list[tuple[int, Any]]] = {name: [] for name in observers}
    loss0, t = value, 0
    while True:
        record.add(t, value)
        status = monitor.status(t, value)
        if observers and (t % observe_every == 0 or status is not None):
            grads = tuple(ar.backprop(net.factors, P, Q, net.trainable))
            for name, fn in observers.items():
                observed[name].append((t, fn(t, net, value, grads)))
        if status is not None:
            break
        # The step never reuses the observers' gradients, so that observing cannot change a
        # trajectory (Arb forms the steps eta*G_j without the gradients: other roundings).
        net = net.with_factors(ar.backprop_descend(net.factors, P, Q, net.trainable, schedule(t)))
        t += 1
        value, P, Q = _forward(net, problem)
    trajectory = Trajectory(
        status, t, t, loss0, value, record.final(t, value),
        {k: tuple(v) for k, v in observed.items()}, net.arith.name,
    )
    return trajectory, net


def _gd_compiled(
    net: Network, problem: Problem, eta: float, stop: Stop, history: int
) -> tuple[Trajectory, Network]:
    from lintheory.kernels import gd_float64  # numba compiles on first use: import lazily

    r = gd_float64(
        net.factors, net.trainable, problem.Y, eta, X=problem.X, eps=stop.eps, max_iter=stop.max_iter,
        diverge_factor=stop.diverge_factor, stall_window=stop.stall_window, stall_rtol=stop.stall_rtol,
        history=history,
    )
    trajectory = Trajectory(r.status, r.iterations, r.iterations, r.loss0, r.loss, r.history, {}, net.arith.name)
    return trajectory, net.with_factors(r.factors)


# --- layer-wise BCGD ---------------------------------------------------------------------


@dataclass(frozen=True)
class Exact:
    r"""Exact line search along the block gradient (Shin 2019; reconstructed, Eq. E1):
    :math:`\eta_j^* = m\|G_j\|_F^2 / \|A_j G_j B_j\|_F^2`."""


@dataclass(frozen=True)
class Normalised:
    r"""Normalised block step (Shin 2019; reconstructed, Eq. E2):
    :math:`\eta_j = \eta\, m / (\|A_j\|_2^2 \|B_j\|_2^2)`; decrease guaranteed for
    :math:`0 < \eta < 2`, fastest guaranteed at :math:`\eta = 1`."""

    eta: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.eta) and self.eta > 0):
            raise ValueError(f"Normalised.eta must be finite and > 0, got {self.eta!r}")


@dataclass(frozen=True)
class BlockStep:
    r"""One block update of BCGD, for observers of the per-block theory.

    ``A`` :math:`= F_K\cdots F_{j+1}` (factors above), ``B`` :math:`= F_{j-1}\cdots F_1 X`
    (what enters block ``j``), ``G`` the block gradient, ``eta`` the step taken,
    ``R`` and ``R_after`` the residuals before and after the update, ``F_before`` the
    block's factor before it.  ``block`` is 0-based.
    """

    sweep: int
    block: int
    eta: Any
    loss_before: Any
    loss_after: Any
    A: Any
    B: Any
    G: Any
    R: Any
    R_after: Any = field(repr=False)
    F_before: Any = field(repr=False)


def _block_update(
    ar: Arithmetic, problem: Problem, step: Exact | Normalised, A: Any, F: Any, B: Any, R: Any
) -> tuple[Any, Any, Any, Any]:
    """One block's gradient, step, new factor and new residual (``A``/``B`` are never None)."""
    m = ar.number(problem.m)
    G = ar.scale(ar.number(1) / m, ar.matmul(ar.matmul(ar.T(A), R), ar.T(B)))
    if isinstance(step, Exact):
        AGB = ar.matmul(ar.matmul(A, G), B)
        denom = ar.frob_sq(AGB)
        eta = ar.number(0) if ar.to_float(denom) == 0 else m * ar.frob_sq(G) / denom
    else:
        eta = ar.number(step.eta) * m / (ar.spectral_norm(A) ** 2 * ar.spectral_norm(B) ** 2)
    F_new = ar.sub(F, ar.scale(eta, G))
    R_new = ar.sub(ar.matmul(ar.matmul(A, F_new), B), problem.Y)
    return G, eta, F_new, R_new


def bcgd(
    net: Network,
    problem: Problem,
    step: Exact | Normalised = Exact(),
    order: Order = "ascending",
    stop: Stop = Stop(),
    observers: Mapping[str, Observer] | None = None,
    observe_every: int = 1,
    history: int = 1000,
    on_block: Callable[[BlockStep], None] | None = None,
) -> tuple[Trajectory, Network]:
    r"""Layer-wise block coordinate gradient descent (Shin 2019; details reconstructed).

    A sweep updates every trainable block once, Gauss--Seidel style, in ``order``:
    for block :math:`j`, with :math:`A = W_{L:j+1}`, :math:`B = W_{j-1:1}X`,
    :math:`R = A W_j B - Y` and :math:`G = \frac1m A^\top R B^\top`,
    :math:`W_j \leftarrow W_j - \eta_j G`.  Iterations count sweeps.  Observers see the
    network after each sweep (gradients are not formed: they receive ``()``).
    The products above (ascending) or below (descending) the current block are cached
    at the start of the sweep and the other side is grown block by block, so a sweep
    costs :math:`O(K)` matrix products.
    """
    _check_compatible(net, problem)
    if order not in ("ascending", "descending"):
        raise ValueError(f"order must be 'ascending' or 'descending', got {order!r}")
    if not isinstance(step, (Exact, Normalised)):
        raise ValueError(f"step must be Exact() or Normalised(eta), got {step!r}")
    if not isinstance(observe_every, int) or observe_every < 1:
        raise ValueError(f"observe_every must be an integer >= 1, got {observe_every!r}")
    with net.arith.context():
        return _bcgd(net, problem, step, order, stop, dict(observers or {}), observe_every, history, on_block)


def _bcgd(
    net: Network,
    problem: Problem,
    step: Exact | Normalised,
    order: str,
    stop: Stop,
    observers: dict[str, Observer],
    observe_every: int,
    history: int,
    on_block: Callable[[BlockStep], None] | None,
) -> tuple[Trajectory, Network]:
    ar = net.arith
    value = problem.loss_of(net.end_to_end())
    record, monitor = _History(history), _Monitor(stop, ar, value)
    observed: dict[str, list[tuple[int, Any]]] = {name: [] for name in observers}
    loss0, k, updates = value, 0, 0
    K, Y = net.depth, problem.Y
    eye = {}

    def dense(M: Any, n: int) -> Any:
        if M is not None:
            return M
        if n not in eye:
            eye[n] = ar.identity(n)
        return eye[n]

    while True:
        record.add(k, value)
        status = monitor.status(k, value)
        if observers and (k % observe_every == 0 or status is not None):
            for name, fn in observers.items():
                observed[name].append((k, fn(k, net, value, ())))
        if status is not None:
            break
        factors = list(net.factors)
        widths = net.widths
        # The cached side: suffixes for an ascending sweep, prefixes for a descending one.
        cached: list[Any] = [None] * (K + 1)
        if order == "ascending":
            for j in range(K - 1, -1, -1):
                cached[j] = factors[j] if cached[j + 1] is None else ar.matmul(cached[j + 1], factors[j])
            blocks, grown = range(K), problem.X
        else:
            cached[0] = problem.X
            for j in range(K):
                cached[j + 1] = factors[j] if cached[j] is None else ar.matmul(factors[j], cached[j])
            blocks, grown = range(K - 1, -1, -1), None
        R = ar.sub(net.end_to_end() if problem.X is None else ar.matmul(net.end_to_end(), problem.X), Y)
        failure: str | None = None
        for j in blocks:
            above, below = (cached[j + 1], grown) if order == "ascending" else (grown, cached[j])
            if net.trainable[j]:
                A, B = dense(above, widths[-1]), dense(below, widths[j])
                before = ar.frob_sq(R) / ar.number(2 * problem.m)
                try:
                    G, eta, F_new, R_new = _block_update(ar, problem, step, A, factors[j], B, R)
                except (np.linalg.LinAlgError, ArithmeticError) as exc:
                    # e.g. an SVD of a matrix that overflowed to inf/NaN in the previous block
                    failure = f"block {j} of sweep {k}: {type(exc).__name__}: {exc}"
                    break
                updates += 1
                if on_block is not None:
                    after = ar.frob_sq(R_new) / ar.number(2 * problem.m)
                    on_block(BlockStep(k, j, eta, before, after, A, B, G, R, R_new, factors[j]))
                factors[j], R = F_new, R_new
            if order == "ascending":
                grown = factors[j] if grown is None else ar.matmul(factors[j], grown)
            else:
                grown = factors[j] if grown is None else ar.matmul(grown, factors[j])
        net = net.with_factors(factors)
        value = ar.frob_sq(R) / ar.number(2 * problem.m)
        if failure is not None:
            status = "diverged"
            break
        k += 1
    trajectory = Trajectory(
        status, k, updates, loss0, value, record.final(k, value),
        {name: tuple(v) for name, v in observed.items()}, ar.name, failure,
    )
    return trajectory, net
