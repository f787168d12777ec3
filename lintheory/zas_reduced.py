r"""Exact reduction of gradient descent from ZAS to one two-variable recursion per singular value.

Reconstructed (not in the paper as far as retrieved; proof by induction on :math:`t`).  Let
:math:`\Phi = U\,\mathrm{diag}(\sigma)\,V^\top` (``d_y x d``, :math:`\sigma` padded with zeros to
length :math:`d`).  GD with constant step :math:`\eta` on
:math:`R = \tfrac12\|W_{out}(I+W_L)\cdots(I+W_1) - \Phi\|_F^2` from ZAS keeps

.. math:: I + W_l(t) = V\,\mathrm{diag}(a(t))\,V^\top \ (\text{every } l), \qquad
          W_{out}(t) = U\,\mathrm{diag}(w(t))\,V^\top,

because if it holds at :math:`t` then :math:`E = U\mathrm{diag}(r)V^\top` with
:math:`r_i = w_ia_i^L - \sigma_i`, :math:`\nabla_{W_{out}}R = U\mathrm{diag}(r_ia_i^L)V^\top` and every
block gradient is :math:`V\mathrm{diag}(r_iw_ia_i^{L-1})V^\top`.  So, per singular value,

.. math:: a_i \leftarrow a_i - \eta\, r_i w_i a_i^{L-1}, \qquad w_i \leftarrow w_i - \eta\, r_i a_i^L,
          \qquad a_i(0) = 1,\ w_i(0) = 0,

and along the run :math:`R = \tfrac12\sum_i r_i^2`,
:math:`\|A_LA_L^\top - I - W_{out}^\top W_{out}\|_F^2 = \sum_i (a_i^2 - 1 - w_i^2)^2`,
:math:`\sigma_{\min}(P) = \min_i |a_i|^L`,
:math:`\|\nabla R\|^2 = \sum_i r_i^2(a_i^{2L} + L\,w_i^2a_i^{2L-2})`, and the residual blocks stay
equal and symmetric (their balance is exactly 0).  One step costs :math:`O(d\log L)` instead of
:math:`O(Ld^3)`, which makes the :math:`10^8`-step runs of the theorem's step size affordable and lets
every diagnostic be checked at every step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import mpmath
import numpy as np
from numba import njit

from lintheory import _numba_cache  # noqa: F401  (before any @njit: the compiled code is shared by checkouts)


__all__ = ["ReducedRun", "reduced_gd", "reduced_gd_mp", "singular_targets"]

_STATUSES = ("converged", "max_iter", "diverged")  # the names lintheory.train.gd uses
_CONVERGED, _MAX_ITER, _DIVERGED = 0, 1, 2


def singular_targets(Phi: np.ndarray, d: int | None = None) -> np.ndarray:
    """Singular values of ``Phi`` (descending), zero-padded to the hidden width ``d`` (default: columns)."""
    Phi = np.asarray(Phi, dtype=np.float64)
    if Phi.ndim != 2 or not np.all(np.isfinite(Phi)):
        raise ValueError(f"Phi must be a finite 2-D matrix, got shape {Phi.shape}")
    width = Phi.shape[1] if d is None else d
    if width < Phi.shape[1]:
        raise ValueError(f"d must be >= the number of columns of Phi ({Phi.shape[1]}), got {d!r}")
    s = np.linalg.svd(Phi, compute_uv=False)
    return np.concatenate([s, np.zeros(width - s.size)])


def _check(sigmas: Sequence[float], L: int, eta: float) -> np.ndarray:
    s = np.asarray(sigmas, dtype=np.float64)
    if s.ndim != 1 or s.size < 1 or not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError(f"sigmas must be a non-empty 1-D array of finite singular values >= 0, got {sigmas!r}")
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 1:
        raise ValueError(f"L (number of residual blocks) must be an integer >= 1, got {L!r}")
    if not (isinstance(eta, (int, float)) and math.isfinite(eta) and eta > 0):
        raise ValueError(f"eta must be a finite number > 0, got {eta!r}")
    return s


def _check_stop(eps: float, max_iter: int, diverge_factor: float, history: int) -> None:
    if not (isinstance(eps, (int, float)) and math.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise ValueError(f"max_iter must be an integer >= 0, got {max_iter!r}")
    if not (isinstance(diverge_factor, (int, float)) and diverge_factor > 1):
        raise ValueError(f"diverge_factor must be a number > 1, got {diverge_factor!r}")
    if isinstance(history, bool) or not isinstance(history, (int, np.integer)) or history < 2:
        raise ValueError(f"history must be an integer >= 2 (first and last point), got {history!r}")


@dataclass(frozen=True)
class ReducedRun:
    r"""One GD run from ZAS through the reduction, with every-step diagnostics.

    ``iterations``: first :math:`t` with :math:`R(t) \le \varepsilon` (converged) or steps taken.
    ``crossings[j]``: first :math:`t` with :math:`R(t) \le` ``thresholds[j]`` (-1 if never).
    ``envelope_max``: :math:`\max_t [\log R(t) - \log R(0) - t\log q]` (``nan`` without a rate),
    attained first at ``envelope_argmax``.  ``max_output_balance``: :math:`\max_t\|A_LA_L^\top - I -
    W_{out}^\top W_{out}\|_F`; ``min_decay``: :math:`\min_{t \ge 1} \tfrac1t\log(R(0)/R(t))`, the slowest
    average decay rate per step (``inf`` before the first step; :math:`R(t) \le q^tR(0)` for every
    :math:`t` exactly when :math:`\log(1/q) \le` ``min_decay``); ``min_sigma_min_P``: :math:`\min_t\sigma_{\min}(P(t))`;
    ``min_gradient_ratio``: :math:`\min_t \|\nabla R\|^2/(2R)`; ``min_pl_ratio``:
    :math:`\min_t \|\nabla R\|^2/(2\sigma_{\min}(P)^2R)`, over the iterates :math:`t <` ``iterations``
    with :math:`R(t) > 0` (and the last one).
    """

    status: str
    iterations: int
    loss0: float
    loss: float
    crossings: tuple[int, ...]
    envelope_max: float
    envelope_argmax: int
    max_output_balance: float
    min_decay: float
    min_sigma_min_P: float
    min_gradient_ratio: float
    min_pl_ratio: float
    history_t: np.ndarray
    history_loss: np.ndarray
    a: np.ndarray
    w: np.ndarray


@njit(cache=True, error_model="numpy")
def _powi(x, n):
    result = 1.0
    while n > 0:
        if n & 1:
            result *= x
        x *= x
        n >>= 1
    return result


@njit(cache=True, error_model="numpy")
def _diagnose(a, w, s, L, aLm1_out, r_out):
    """Loss, ||grad R||^2, sigma_min(P), squared output balance of the reduced state; a^(L-1) and the
    residuals are left in ``aLm1_out`` and ``r_out`` for the step."""
    loss = 0.0
    grad_sq = 0.0
    smin = np.inf
    bal = 0.0
    for i in range(s.shape[0]):
        aLm1 = _powi(a[i], L - 1)
        aL = aLm1 * a[i]
        r = w[i] * aL - s[i]
        aLm1_out[i] = aLm1
        r_out[i] = r
        loss += 0.5 * r * r
        grad_sq += r * r * (aL * aL + L * (w[i] * aLm1) ** 2)
        smin = min(smin, abs(aL))
        c = a[i] * a[i] - 1.0 - w[i] * w[i]
        bal += c * c
    return loss, grad_sq, smin, bal


@njit(cache=True, error_model="numpy")
def _reduced_run(a, w, s, L, eta, eps, max_iter, diverge_factor, log_q, thresholds, crossings,
                 hist_t, hist_l, stats):
    """The recursion with every-step diagnostics.  Returns (status, t, loss0, loss, n_hist)."""
    aLm1, res = np.empty_like(a), np.empty_like(a)
    loss, grad_sq, smin, bal = _diagnose(a, w, s, L, aLm1, res)
    loss0 = loss
    log0 = math.log(loss0) if loss0 > 0 else 0.0
    env_max, env_arg = -np.inf, 0
    track_envelope = not math.isnan(log_q)
    q = math.exp(log_q) if track_envelope else 1.0
    ceiling = 0.0
    # min_t log(R0/R(t))/t with the same trick: the logarithm only when R(t) comes near the floor
    # R(0) exp(-t min_decay) that a new minimum must exceed
    min_decay, floor, shrink = np.inf, 0.0, 0.0
    max_bal, min_smin, min_gr, min_pl = bal, smin, np.inf, np.inf
    n, stride, cap = 0, 1, hist_t.shape[0]
    next_record = 0
    t = 0
    status = _MAX_ITER
    while True:
        if t == next_record:
            if n == cap - 1:
                half = 0
                for k in range(0, n, 2):
                    hist_t[half] = hist_t[k]
                    hist_l[half] = hist_l[k]
                    half += 1
                n = half
                stride *= 2
            if t % stride == 0:
                hist_t[n] = t
                hist_l[n] = loss
                n += 1
            next_record = (t // stride + 1) * stride
        for j in range(thresholds.shape[0]):
            if crossings[j] < 0 and loss <= thresholds[j]:
                crossings[j] = t
        if loss > 0:
            # the logarithm is taken only when R(t) comes within 1e-6 (relative) of the running ceiling
            # exp(env_max + log R(0) + t log q), kept as a product renormalised every 2^16 steps
            if track_envelope and (loss > 0.999999 * ceiling or t & 0xFFFF == 0):
                excess = math.log(loss) - log0 - t * log_q
                if excess > env_max:
                    env_max, env_arg = excess, t
                ceiling = math.exp(env_max + log0 + t * log_q)
            ceiling *= q
            if t > 0 and (loss > 0.999999 * floor or t & 0xFFFF == 0):
                decay = (log0 - math.log(loss)) / t
                if decay < min_decay:
                    min_decay = decay
                    shrink = math.exp(-min_decay)
                floor = math.exp(log0 - t * min_decay)
            floor *= shrink
            # compare before dividing: a division per step costs more than the rest of the bookkeeping
            if grad_sq < 2.0 * loss * min_gr:
                min_gr = grad_sq / (2.0 * loss)
            if grad_sq < 2.0 * smin * smin * loss * min_pl:
                min_pl = grad_sq / (2.0 * smin * smin * loss)
        max_bal = max(max_bal, bal)
        min_smin = min(min_smin, smin)
        if not math.isfinite(loss) or loss > diverge_factor * loss0:
            status = _DIVERGED
            break
        if loss <= eps:
            status = _CONVERGED
            break
        if t >= max_iter:
            break
        for i in range(s.shape[0]):
            step = eta * res[i] * aLm1[i]
            a_new = a[i] - step * w[i]
            w[i] = w[i] - step * a[i]
            a[i] = a_new
        t += 1
        loss, grad_sq, smin, bal = _diagnose(a, w, s, L, aLm1, res)
    if n == 0 or hist_t[n - 1] != t:
        hist_t[n] = t
        hist_l[n] = loss
        n += 1
    stats[0], stats[1], stats[2] = env_max, env_arg, math.sqrt(max_bal)
    stats[3], stats[4], stats[5] = min_smin, min_gr, min_pl
    stats[6] = min_decay
    return status, t, loss0, loss, n


def reduced_gd(
    sigmas: Sequence[float],
    L: int,
    eta: float,
    *,
    eps: float,
    max_iter: int,
    thresholds: Sequence[float] = (),
    envelope_rate: float | None = None,
    diverge_factor: float = 1e8,
    history: int = 1000,
) -> ReducedRun:
    r"""GD from ZAS on a residual net with ``L`` blocks and a target of singular values ``sigmas``,
    through the exact reduction (module docstring), in compiled float64.

    ``envelope_rate`` :math:`q` turns on the every-step check of :math:`R(t) \le q^tR(0)`.
    Stopping as in :func:`lintheory.train.gd` (converged, diverged, ``max_iter``).
    """
    s = _check(sigmas, L, eta)
    _check_stop(eps, max_iter, diverge_factor, history)
    if envelope_rate is not None and not (0 < envelope_rate <= 1):
        raise ValueError(f"envelope_rate must be in (0, 1] or None, got {envelope_rate!r}")
    thr = np.asarray(thresholds, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(thr) & (thr > 0)):
        raise ValueError(f"thresholds must be finite numbers > 0, got {thresholds!r}")
    a, w = np.ones_like(s), np.zeros_like(s)
    crossings = np.full(thr.size, -1, dtype=np.int64)
    hist_t, hist_l, stats = np.zeros(history, dtype=np.int64), np.zeros(history), np.zeros(7)
    log_q = math.nan if envelope_rate is None else math.log(envelope_rate)
    status, t, l0, l1, n = _reduced_run(a, w, s, int(L), float(eta), float(eps), int(max_iter),
                                        float(diverge_factor), log_q, thr, crossings, hist_t, hist_l, stats)
    return ReducedRun(
        status=_STATUSES[status], iterations=int(t), loss0=float(l0), loss=float(l1),
        crossings=tuple(int(c) for c in crossings),
        envelope_max=float(stats[0]) if envelope_rate is not None else math.nan,
        envelope_argmax=int(stats[1]), max_output_balance=float(stats[2]), min_decay=float(stats[6]),
        min_sigma_min_P=float(stats[3]),
        min_gradient_ratio=float(stats[4]), min_pl_ratio=float(stats[5]),
        history_t=hist_t[:n].copy(), history_loss=hist_l[:n].copy(), a=a, w=w,
    )


def reduced_gd_mp(
    sigmas: Sequence[float | str],
    L: int,
    eta: float | str,
    thresholds: Sequence[float | str],
    *,
    dps: int,
    max_iter: int,
) -> tuple[tuple[int, ...], str]:
    r"""The same recursion in mpmath at ``dps`` digits: the first :math:`t` with :math:`R(t) \le`
    each threshold (-1 if not reached within ``max_iter`` steps) and the final loss as a string.

    For accuracies below float64's reach (:math:`R \lesssim 10^{-28}\|\Phi\|_F^2`).
    ``eta`` and ``sigmas`` may be decimal strings, read exactly at ``dps`` digits.
    """
    if not (isinstance(dps, int) and 16 <= dps <= 10_000):
        raise ValueError(f"dps must be an integer in [16, 10000], got {dps!r}")
    if not (isinstance(max_iter, int) and max_iter >= 0):
        raise ValueError(f"max_iter must be an integer >= 0, got {max_iter!r}")
    _check([float(x) for x in sigmas], L, float(eta))
    ctx = mpmath.MPContext()
    ctx.dps = dps
    s = [ctx.mpf(x) for x in sigmas]
    step = ctx.mpf(eta)
    thr = [ctx.mpf(x) for x in thresholds]
    a, w = [ctx.one] * len(s), [ctx.zero] * len(s)
    crossings = [-1] * len(thr)
    t = 0
    while True:
        aLm1 = [x ** (L - 1) for x in a]
        r = [wi * p * ai - si for wi, p, ai, si in zip(w, aLm1, a, s)]
        loss = sum(ri * ri for ri in r) / 2
        for j, th in enumerate(thr):
            if crossings[j] < 0 and loss <= th:
                crossings[j] = t
        if all(c >= 0 for c in crossings) or t >= max_iter:
            return tuple(crossings), ctx.nstr(loss, 20)
        a, w = ([ai - step * ri * wi * p for ai, ri, wi, p in zip(a, r, w, aLm1)],
                [wi - step * ri * p * ai for wi, ri, p, ai in zip(w, r, aLm1, a)])
        t += 1
