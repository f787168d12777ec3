r"""One-dimensional deep linear networks (Shamir 2018): :math:`F(w) = \tfrac12(\prod_{i=1}^k w_i - y)^2`.

Gradient descent :math:`w_i \leftarrow w_i - \eta\,(\prod_j w_j - y)\prod_{j \ne i} w_j`, for many
independent runs at once (one row of ``w`` per run).  Products and leave-one-out products are
computed in log space (signs, and :math:`\sum_j \log|w_j|` exponentiated once), so no partial
product under- or overflows: a product of :math:`k` standard normals is about :math:`e^{-0.635k}`,
and a left-to-right float64 product of factors of mixed sizes can underflow long before its value
does.  Only a product that is itself outside float64's range (beyond :math:`k \approx 1100` for
standard normals) is rounded, to 0 or infinity, at the final exponentiation; as a GD update that is
far below the unit round-off of every :math:`w_i`, so float64 GD is unchanged by it.

The 1-D residual network :math:`w_{out}\prod_l(1 + v_l)` is the same model with factors
:math:`(1 + v_1, \dots, 1 + v_L, w_{out})` (the shift does not change gradients); its ZAS
initialization is :math:`(1, \dots, 1, 0)` (Wu, Wang, Ma 2019).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np
from numba import njit

from lintheory import _numba_cache  # noqa: F401  (before any @njit: the compiled code is shared by checkouts)

__all__ = [
    "ProductRun",
    "leave_one_out",
    "near_identity_1d",
    "product_gd",
    "product_gd_mp",
    "xavier_1d",
    "zas_1d",
]


def _check_k(k: int, name: str = "k") -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {k!r}")
    return int(k)


def near_identity_1d(k: int, runs: int, variance: float, rng: np.random.Generator) -> np.ndarray:
    r""":math:`w_i = 1 + \mathcal N(0, \mathrm{variance})`, shape ``runs x k``."""
    k, runs = _check_k(k), _check_k(runs, "runs")
    if not (math.isfinite(variance) and variance >= 0):
        raise ValueError(f"variance must be a finite number >= 0, got {variance!r}")
    return 1.0 + math.sqrt(variance) * rng.standard_normal((runs, k))


def xavier_1d(k: int, runs: int, rng: np.random.Generator) -> np.ndarray:
    r"""Xavier-type :math:`w_i \sim \mathcal N(0, 1)` (fan-in 1), shape ``runs x k``."""
    return rng.standard_normal((_check_k(runs, "runs"), _check_k(k)))


def zas_1d(L: int) -> np.ndarray:
    """ZAS of the 1-D residual net with ``L`` blocks: factors ``(1, ..., 1, 0)``, shape ``1 x (L + 1)``."""
    w = np.ones((1, _check_k(L, "L") + 1))
    w[0, -1] = 0.0
    return w


def leave_one_out(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Row products :math:`p = \prod_j w_j` and :math:`q_i = \prod_{j\ne i} w_j`, in log space.

    ``w`` is ``runs x k``; returns ``p`` (``runs``) and ``q`` (``runs x k``):
    :math:`|q_i| = \exp(\sum_j \log|w_j| - \log|w_i|)` over the non-zero factors, signs from the
    parity of negative factors, and exact zeros wherever a product contains a zero factor.  The
    relative error is a few units of round-off times :math:`|\sum_j \log|w_j||`.
    """
    zero = w == 0
    logs = np.log(np.where(zero, 1.0, np.abs(w)))
    total = logs.sum(axis=1)
    zeros = zero.sum(axis=1)
    neg = w < 0
    parity = neg.sum(axis=1) % 2
    p = np.where((parity == 1), -1.0, 1.0) * np.exp(total) * (zeros == 0)
    q = np.where(neg ^ (parity == 1)[:, None], -1.0, 1.0) * np.exp(total[:, None] - logs)
    return p, q * ((zeros[:, None] - zero) == 0)


@dataclass(frozen=True)
class ProductRun:
    r"""Outcome of :func:`product_gd` for each run: ``iterations`` (first :math:`t` with
    :math:`F \le \varepsilon`, else ``max_iter``), ``converged`` flags, initial and final losses."""

    iterations: np.ndarray
    converged: np.ndarray
    loss0: np.ndarray
    loss: np.ndarray


def product_gd(w0: np.ndarray, y: float, eta: float, *, eps: float, max_iter: int) -> ProductRun:
    r"""GD on :math:`\tfrac12(\prod_i w_i - y)^2` for every row of ``w0`` (``runs x k``), in float64
    with log-space products; each run stops at its own first :math:`t` with loss :math:`\le\varepsilon`.

    A run whose loss becomes non-finite is reported as not converged at the step where it did.
    """
    w = np.array(w0, dtype=np.float64, copy=True)
    if w.ndim != 2 or w.size == 0 or not np.all(np.isfinite(w)):
        raise ValueError(f"w0 must be a finite non-empty 2-D array (runs x k), got shape {np.shape(w0)}")
    for name, value in (("y", y), ("eta", eta), ("eps", eps)):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
    if not (eta > 0 and eps > 0):
        raise ValueError(f"eta and eps must be > 0, got eta={eta!r}, eps={eps!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise ValueError(f"max_iter must be an integer >= 0, got {max_iter!r}")
    runs = w.shape[0]
    iterations = np.full(runs, int(max_iter), dtype=np.int64)
    converged = np.zeros(runs, dtype=np.bool_)
    loss0, final = np.empty(runs), np.empty(runs)
    _gd_rows(w, float(y), float(eta), float(eps), int(max_iter), iterations, converged, loss0, final)
    return ProductRun(iterations=iterations, converged=converged, loss0=loss0, loss=final)


@njit(cache=True)
def _gd_rows(w, y, eta, eps, max_iter, iterations, converged, loss0, final):  # type: ignore[no-untyped-def]
    """The loop of :func:`product_gd`, one run at a time (compiled: a vectorised NumPy step costs
    about 10 us of dispatch per iteration, against a few hundred ns of arithmetic at k = 8).
    The products are those of :func:`leave_one_out`, factor by factor."""
    k = w.shape[1]
    logs = np.empty(k)
    for r in range(w.shape[0]):
        row = w[r]
        for t in range(max_iter + 1):
            total, zeros, parity = 0.0, 0, 0
            for i in range(k):
                x = row[i]
                logs[i] = 0.0 if x == 0.0 else math.log(abs(x))
                total += logs[i]
                zeros += x == 0.0
                parity ^= x < 0.0
            p = 0.0 if zeros else (-1.0 if parity else 1.0) * math.exp(total)
            loss = 0.5 * (p - y) ** 2
            if t == 0:
                loss0[r] = loss
            final[r] = loss
            if loss <= eps or not math.isfinite(loss):
                iterations[r] = t
                converged[r] = loss <= eps
                break
            if t == max_iter:
                break
            step = eta * (p - y)
            for i in range(k):
                # q_i = prod_{j != i} w_j: zero iff another factor is zero
                if zeros - (row[i] == 0.0) > 0:
                    continue
                sign = -1.0 if parity ^ (row[i] < 0.0) else 1.0
                row[i] = row[i] - step * sign * math.exp(total - logs[i])


def product_gd_mp(w0: np.ndarray, y: float | str, eta: float | str, steps: int, *, dps: int) -> list[list[str]]:
    """The same GD in mpmath at ``dps`` digits for ``steps`` steps: the final ``w`` as decimal strings
    (a reference for :func:`product_gd`; cost grows like ``steps * k^2``)."""
    if not (isinstance(dps, int) and 16 <= dps <= 10_000):
        raise ValueError(f"dps must be an integer in [16, 10000], got {dps!r}")
    ctx = mpmath.MPContext()
    ctx.dps = dps
    step, target = ctx.mpf(eta), ctx.mpf(y)
    out = []
    for row in np.asarray(w0, dtype=np.float64):
        w = [ctx.mpf(float(x)) for x in row]
        for _ in range(int(steps)):
            r = ctx.fprod(w) - target
            w = [wi - step * r * ctx.fprod(w[:i] + w[i + 1:]) for i, wi in enumerate(w)]
        out.append([ctx.nstr(x, dps) for x in w])
    return out
