r"""Compiled float64 gradient descent on a chain of factors (the fast path of :func:`lintheory.train.gd`).

The network is a list of factors :math:`F_1, \dots, F_K` (:math:`F_k` is
:math:`n_k \times n_{k-1}`) with end-to-end matrix :math:`E = F_K \cdots F_1`, some factors
possibly frozen.  The loss is the whitened one or the data one (Arora et al. 2018, Eq. (1)
and Sec. 2):

.. math::
    \ell = \tfrac12 \|E - \Phi\|_F^2, \qquad \ell = \tfrac{1}{2m}\|E X - Y\|_F^2 .

With :math:`G = \partial\ell/\partial E` (:math:`E - \Phi`, or :math:`\frac1m (EX - Y)X^\top`),
prefixes :math:`P_k = F_k \cdots F_1` and the back-propagated
:math:`B_k = F_{k+1}^\top \cdots F_K^\top G`, the gradient of a factor is
(Arora et al. 2018, Eq. (4))

.. math::
    \nabla_{F_k}\ell = B_k P_{k-1}^\top, \qquad B_{k-1} = F_k^\top B_k, \quad B_K = G,
    \quad P_0 = I,

so one step costs :math:`K-1` products for the prefixes, at most :math:`K-1` for the
:math:`B_k` and one per trainable factor.  GD updates every trainable factor at once,
:math:`F_k \leftarrow F_k - \eta_t \nabla_{F_k}\ell`.

(The generic trainer forms the suffixes :math:`S_k = F_K \cdots F_{k+1}` instead, 4K-2
products; the iterates agree to round-off.)  Stopping rules and the bounded loss history
are those of :func:`lintheory.train.gd`, with exact iteration numbers.

Speed: nothing is allocated inside the step loop (every product lands in a preallocated
buffer).  A network whose widths are all at most ``SPECIALISE_MAX`` is zero-padded to
``D x D`` factors with ``D`` a compile-time constant, so numba unrolls every product; the
padding changes no result, since each padded term is a product with an exact zero added to
a sum in the same order (the tests check bit-for-bit equality with the unpadded path).
Wider networks use BLAS (numba's ``np.dot``) for products of at least ``_BLAS_MIN``
multiply-adds and vectorised loops with run-time bounds below that; every entry of a
product is summed in ascending order on every path.

Compilation: numba compiles on first use, once per kind of network (each ``D``; arbitrary
widths with or without BLAS), each 3-5 s on an idle core (12-13 s of CPU on a loaded one),
and caches the machine code on disk (``cache=True``), so later processes load it in about
0.3-1 s.  The cache is one folder per user, shared by every checkout with the same source
(:mod:`lintheory._numba_cache`: a fresh clone of an unchanged version compiles nothing), and it
never serves stale code: it is keyed by the SHA-256 of this file, and numba's index inside it by
numba's version, each function's bytecode and the CPU, and every compiled function lives in this
file, so any edit or upgrade recompiles.  (Measured alternatives: one signature for all
widths, with the unrolled nests for D = 1..8 inlined into it, compiled as slowly, half of it in
numba's IR inliner; one compiled function per D called from a run-time branch made d <= 4 two to
three times slower.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

from lintheory import _numba_cache  # noqa: F401  (before any @njit: the compiled code is shared by checkouts)

__all__ = ["BatchedResult", "KernelResult", "STATUSES", "gd_float64", "run_batch"]

STATUSES: tuple[str, ...] = ("converged", "max_iter", "diverged", "stalled")
_CONVERGED, _MAX_ITER, _DIVERGED, _STALLED = range(4)

# Both switches are set by measurement (``benchmarks/bench_engine.py --sweep``: GD on d x d
# factors at L = 4, one BLAS thread, each variant timed in turn within every round).
# Networks whose widths are all <= SPECIALISE_MAX run on factors zero-padded to D x D with D
# a compile-time constant, so every loop is unrolled: 1.3-2.5x faster than the run-time loops
# and than BLAS for d = 2..8.  The padding is exact: the extra terms are products with exact
# zeros.  Otherwise a product of at least _BLAS_MIN multiply-adds goes to BLAS: from d = 9
# BLAS beat the vectorised run-time loops (:func:`_rows`) at every d measured (1.2x at
# d = 9, 1.5x at d = 16, 2x at d = 32), while at d = 8 the two were within noise of each
# other.  (The earlier threshold, 24^3, was set against a dot-product loop that did not
# vectorise: widths 9-23 ran at about 1-2 GFLOP/s.)
_BLAS_MIN = 9 * 9 * 9
SPECIALISE_MAX = 8

# ``D`` and ``blas`` are compile-time switches: each is None (numba removes the branch that
# tests it) or a value.  ``D`` is a tuple of D zeros, so that ``len(D)`` is a constant of its
# type and each D gets its own compiled (and cached) loop nest.


# --------------------------------------------------------------------------------------
# products on flat buffers: matrix M with r rows, c columns lives at buf[o : o + r*c]
# --------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _loops(a, ao, ars, acs, b, bo, brs, bcs, out, oo, r, k, c, eta):
    """``out[i, j] = s_ij`` (``eta`` None) or ``out[i, j] -= eta * s_ij`` with
    :math:`s_{ij} = \\sum_p A_{ip} B_{pj}` summed in ascending p, where
    ``A[i, p] = a[ao + i*ars + p*acs]``, ``B[p, j] = b[bo + p*brs + j*bcs]``, out r x c row-major.

    The form for compile-time ``D``: fully unrolled, the D^2 sums are independent chains."""
    # Indices into views, not offsets into the buffers: with constant sizes they are
    # provably non-negative, so numba's negative-index wraparound drops out of the unrolled
    # code (about 1.9x faster on 8 x 8 products).
    A, B, O = a[ao:], b[bo:], out[oo:]
    for i in range(r):
        for j in range(c):
            s = 0.0
            for p in range(k):
                s += A[i * ars + p * acs] * B[p * brs + j * bcs]
            if eta is None:
                O[i * c + j] = s
            else:
                O[i * c + j] -= eta * s


@njit(cache=True, inline="always")
def _rows(a, ao, ars, acs, b, bo, out, oo, r, k, c):
    """``out = A @ B`` for run-time sizes, ``A[i, p] = a[ao + i*ars + p*acs]``, B row-major k x c
    at ``b[bo:]``: row i of out accumulates ``A[i, p] * B[p, :]`` for p ascending, so every
    entry is summed in the same order as :func:`_loops`, and the innermost loop runs over
    contiguous memory without a carried dependency (it vectorises; the dot-product form is
    one serial chain of dependent adds per entry, about 4x slower)."""
    for i in range(r):
        row = out[oo + i * c:oo + (i + 1) * c]
        for j in range(c):
            row[j] = 0.0
        for p in range(k):
            x = a[ao + i * ars + p * acs]
            src = b[bo + p * c:bo + (p + 1) * c]
            for j in range(c):
                row[j] += x * src[j]


@njit(cache=True, inline="always")
def _blas(r, k, c, blas):
    """Whether a product of ``r*k*c`` multiply-adds goes to BLAS (``blas`` is the threshold)."""
    return blas is not None and r * k * c >= blas


@njit(cache=True, inline="always")
def _mm(a, ao, b, bo, out, oo, r, k, c, tbuf, blas, D):
    """``out = A @ B`` with A: r x k, B: k x c."""
    if D is not None:
        r = k = c = len(D)
        _loops(a, ao, k, 1, b, bo, c, 1, out, oo, r, k, c, None)
    elif _blas(r, k, c, blas):
        np.dot(a[ao:ao + r * k].reshape((r, k)), b[bo:bo + k * c].reshape((k, c)),
               out[oo:oo + r * c].reshape((r, c)))
    else:
        _rows(a, ao, k, 1, b, bo, out, oo, r, k, c)


@njit(cache=True, inline="always")
def _mtm(a, ao, b, bo, out, oo, r, k, c, tbuf, blas, D):
    """``out = A.T @ B`` with A: k x r, B: k x c."""
    if D is not None:
        r = k = c = len(D)
        _loops(a, ao, 1, r, b, bo, c, 1, out, oo, r, k, c, None)
    elif _blas(r, k, c, blas):
        np.dot(a[ao:ao + k * r].reshape((k, r)).T, b[bo:bo + k * c].reshape((k, c)),
               out[oo:oo + r * c].reshape((r, c)))
    else:
        _rows(a, ao, 1, r, b, bo, out, oo, r, k, c)


@njit(cache=True, inline="always")
def _mmt(a, ao, b, bo, out, oo, r, k, c, eta, gbuf, tbuf, blas, D):
    """``out = A @ B.T`` (``eta`` None) or ``out -= eta * A @ B.T``, A: r x k, B: c x k;
    ``gbuf`` (r*c) and ``tbuf`` (k*c) are scratch."""
    if D is not None:
        r = k = c = len(D)
        _loops(a, ao, k, 1, b, bo, 1, k, out, oo, r, k, c, eta)
        return
    dst = out if eta is None else gbuf
    do = oo if eta is None else 0
    if _blas(r, k, c, blas):
        np.dot(a[ao:ao + r * k].reshape((r, k)), b[bo:bo + c * k].reshape((c, k)).T,
               dst[do:do + r * c].reshape((r, c)))
    else:
        # B.T made contiguous first (k*c copies against r*k*c multiply-adds) so that the
        # rows form applies.
        for j in range(c):
            for p in range(k):
                tbuf[p * c + j] = b[bo + j * k + p]
        _rows(a, ao, k, 1, tbuf, 0, dst, do, r, k, c)
    if eta is not None:
        for i in range(r * c):
            out[oo + i] -= eta * gbuf[i]


# --------------------------------------------------------------------------------------
# one run
# --------------------------------------------------------------------------------------
@njit(cache=True)
def _loss_and_G(w, off, rows, cols, pbuf, poff, m, Y, X, rbuf, G, tbuf, blas, D):
    """Prefixes into ``pbuf``, the loss, and :math:`G = \\partial\\ell/\\partial E` into ``G``.

    ``m = 0`` is the whitened loss (``Y`` = flat :math:`\\Phi`), else ``X``, ``Y`` are flat
    ``n_0 x m`` and ``n_K x m``."""
    K = rows.shape[0]
    n0 = cols[0]
    for i in range(rows[0] * n0):
        pbuf[i] = w[off[0] + i]
    for k in range(1, K):
        _mm(w, off[k], pbuf, poff[k - 1], pbuf, poff[k], rows[k], cols[k], n0, tbuf, blas, D)
    E = poff[K - 1]
    dy = rows[K - 1]
    ssq = 0.0
    if m == 0:
        for i in range(dy * n0):
            G[i] = pbuf[E + i] - Y[i]
            ssq += G[i] * G[i]
        return 0.5 * ssq
    _mm(pbuf, E, X, 0, rbuf, 0, dy, n0, m, tbuf, blas, None)
    for i in range(dy * m):
        rbuf[i] -= Y[i]
        ssq += rbuf[i] * rbuf[i]
    _mmt(rbuf, 0, X, 0, G, 0, dy, m, n0, None, G, tbuf, blas, None)
    inv_m = 1.0 / m
    for i in range(dy * n0):
        G[i] *= inv_m
    return ssq / (2.0 * m)


@njit(cache=True)
def _step(w, off, rows, cols, trainable, kmin, eta, pbuf, poff, G, b_hi, b_lo, gbuf, tbuf, blas, D):
    """One GD step in place, from the prefixes and G of the current point."""
    K = rows.shape[0]
    n0 = cols[0]
    for i in range(rows[K - 1] * n0):
        b_hi[i] = G[i]
    for k in range(K - 1, kmin - 1, -1):
        r, c = rows[k], cols[k]
        if k > kmin:
            # B_{k-1} = F_k^T B_k uses the factor before its update.
            _mtm(w, off[k], b_hi, 0, b_lo, 0, c, r, n0, tbuf, blas, D)
        if trainable[k]:
            o = off[k]
            if k == 0:
                for i in range(r * c):
                    w[o + i] -= eta * b_hi[i]
            else:
                _mmt(b_hi, 0, pbuf, poff[k - 1], w, o, r, n0, c, eta, gbuf, tbuf, blas, D)
        b_hi, b_lo = b_lo, b_hi


@njit(cache=True)
def _record(hist_t, hist_l, n, stride, capacity, t, value):
    """The history rule of :func:`lintheory.train.gd`: keep points at multiples of
    ``stride``; on overflowing ``capacity`` double the stride and keep the multiples of it.
    ``hist_t`` has ``capacity + 1`` slots.  Returns ``(n, stride)``."""
    if t % stride != 0:
        return n, stride
    hist_t[n] = t
    hist_l[n] = value
    n += 1
    if n > capacity:
        stride *= 2
        kept = 0
        for i in range(n):
            if hist_t[i] % stride == 0:
                hist_t[kept] = hist_t[i]
                hist_l[kept] = hist_l[i]
                kept += 1
        n = kept
    return n, stride


@njit(cache=True)
def _run(w, off, rows, cols, trainable, m, Y, X, etas, eps, max_iter, diverge_factor, stall_window, stall_rtol,
         hist_t, hist_l, capacity, pbuf, poff, rbuf, G, b_hi, b_lo, gbuf, tbuf, blas, D):
    """Gradient descent until a stopping rule fires.  Returns (status, t, loss0, loss, n_hist)."""
    K = rows.shape[0]
    kmin = K
    for k in range(K):
        if trainable[k]:
            kmin = k
            break
    n_eta = etas.shape[0]
    loss = _loss_and_G(w, off, rows, cols, pbuf, poff, m, Y, X, rbuf, G, tbuf, blas, D)
    loss0 = loss
    ceiling = loss0 * diverge_factor
    last_check = loss0
    n, stride = 0, 1
    t = 0
    while True:
        n, stride = _record(hist_t, hist_l, n, stride, capacity, t, loss)
        if loss <= eps:
            status = _CONVERGED
            break
        if not math.isfinite(loss) or loss > ceiling:
            status = _DIVERGED
            break
        if stall_window > 0 and t > 0 and t % stall_window == 0:
            previous, last_check = last_check, loss
            if previous - loss <= stall_rtol * abs(previous):
                status = _STALLED
                break
        if t >= max_iter:
            status = _MAX_ITER
            break
        eta = etas[t] if t < n_eta else etas[n_eta - 1]
        _step(w, off, rows, cols, trainable, kmin, eta, pbuf, poff, G, b_hi, b_lo, gbuf, tbuf, blas, D)
        t += 1
        loss = _loss_and_G(w, off, rows, cols, pbuf, poff, m, Y, X, rbuf, G, tbuf, blas, D)
    if n == 0 or hist_t[n - 1] != t:
        if n >= capacity:
            n -= 1
        hist_t[n] = t
        hist_l[n] = loss
        n += 1
    return status, t, loss0, loss, n


@njit(cache=True)
def _run_many(w, off, rows, cols, trainable, m, Y, X, etas, eps, max_iter, diverge_factor, stall_window,
              stall_rtol, hist_t, hist_l, capacity, out_status, out_t, out_loss0, out_loss, out_n, blas, D):
    """Runs ``b = 0..B-1`` one after another on ``w[b]`` (flat factors), ``Y[b]``, ``X[b]``
    (flat), ``etas[b]``; the work buffers are allocated once and shared by the runs."""
    B = w.shape[0]
    K = rows.shape[0]
    n0 = cols[0]
    dy = rows[K - 1]
    poff = np.empty(K, dtype=np.int64)
    size = 0
    wmax = n0
    gmax = 1
    for k in range(K):
        poff[k] = size
        size += rows[k] * n0
        wmax = max(wmax, rows[k])
        gmax = max(gmax, rows[k] * cols[k])
    pbuf = np.empty(size)
    rbuf = np.empty(dy * m)
    G = np.empty(dy * n0)
    b_hi = np.empty(wmax * n0)
    b_lo = np.empty(wmax * n0)
    gbuf = np.empty(gmax)
    tbuf = np.empty(n0 * max(wmax, m))
    for b in range(B):
        st, t, l0, l1, n = _run(w[b], off, rows, cols, trainable, m, Y[b], X[b], etas[b], eps, max_iter,
                                diverge_factor, stall_window, stall_rtol, hist_t[b], hist_l[b], capacity, pbuf,
                                poff, rbuf, G, b_hi, b_lo, gbuf, tbuf, blas, D)
        out_status[b] = st
        out_t[b] = t
        out_loss0[b] = l0
        out_loss[b] = l1
        out_n[b] = n


# --------------------------------------------------------------------------------------
# public entry point
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KernelResult:
    """Outcome of :func:`gd_float64`, with the fields of :class:`lintheory.train.Trajectory`.

    ``iterations`` is exact: the first ``t`` with loss <= eps when converged, else the
    number of steps taken.  ``history_t``/``history_loss`` hold at most ``history`` points
    ``(t, loss_t)``, the first (``t = 0``) and the last (``t = iterations``) included.
    ``factors`` are the factors at ``t = iterations``.
    """

    status: str
    iterations: int
    loss0: float
    loss: float
    history_t: np.ndarray
    history_loss: np.ndarray
    factors: tuple[np.ndarray, ...]

    @property
    def history(self) -> tuple[tuple[int, float], ...]:
        return tuple(zip(self.history_t.tolist(), self.history_loss.tolist()))


def finite_array(a: object, name: str, ndim: int) -> np.ndarray:
    """``a`` as a float64 array with ``ndim`` axes and finite entries, else a ValueError naming it."""
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a {ndim}-D array of real numbers ({exc})") from None
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array of real numbers, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must have finite entries")
    return arr


def check_stop(eps: float | None, max_iter: int, diverge_factor: float, stall_window: int | None,
               stall_rtol: float, history: int) -> None:
    """The stopping arguments of :class:`lintheory.train.Stop` and the history length."""
    if eps is not None and not (isinstance(eps, (int, float, np.floating)) and math.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0 (or None), got {eps!r}")
    if not (isinstance(max_iter, (int, np.integer)) and max_iter >= 0):
        raise ValueError(f"max_iter must be an integer >= 0, got {max_iter!r}")
    if not (isinstance(diverge_factor, (int, float, np.floating)) and diverge_factor > 1):
        raise ValueError(f"diverge_factor must be a number > 1 (inf allowed), got {diverge_factor!r}")
    if stall_window is not None and not (isinstance(stall_window, (int, np.integer)) and stall_window >= 1):
        raise ValueError(f"stall_window must be None or an integer >= 1, got {stall_window!r}")
    if not (isinstance(stall_rtol, (int, float, np.floating)) and math.isfinite(stall_rtol) and stall_rtol >= 0):
        raise ValueError(f"stall_rtol must be a finite number >= 0, got {stall_rtol!r}")
    if not (isinstance(history, (int, np.integer)) and history >= 2):
        raise ValueError(f"history must be an integer >= 2 (first and last point), got {history!r}")


def check_eta(eta: object, ndim: int, what: str) -> np.ndarray:
    """``eta`` as a float64 array of at most ``ndim`` axes with finite entries > 0."""
    try:
        arr = np.asarray(eta, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"eta must be {what}, got {eta!r}") from None
    if arr.ndim > ndim or arr.size == 0:
        raise ValueError(f"eta must be {what}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr) & (arr > 0)):
        raise ValueError(f"eta must be finite and > 0, got {eta!r}")
    return arr


def check_trainable(trainable: Sequence[bool] | None, K: int) -> np.ndarray:
    """One flag per factor (all True when ``None``)."""
    if trainable is None:
        return np.ones(K, dtype=np.bool_)
    flags = np.asarray(trainable)
    if flags.shape != (K,) or flags.dtype != np.bool_:
        raise ValueError(f"trainable must be {K} booleans (one per factor), got {trainable!r}")
    return flags.copy()


@dataclass(frozen=True)
class BatchedResult:
    """Per-run outcomes of :func:`run_batch` (index ``b`` is run ``b``).

    ``status[b]`` is one of :data:`STATUSES`; ``iterations[b]`` is exact; ``history_t[b]``,
    ``history_loss[b]`` hold at most ``history`` points of run ``b``, its first and last
    included; ``factors[k]`` is ``B x n_k x n_{k-1}`` (each run's factors where it stopped).
    """

    status: tuple[str, ...]
    iterations: np.ndarray
    loss0: np.ndarray
    loss: np.ndarray
    history_t: tuple[np.ndarray, ...]
    history_loss: tuple[np.ndarray, ...]
    factors: tuple[np.ndarray, ...]

    def __len__(self) -> int:
        return len(self.status)


def run_batch(
    factors: Sequence[np.ndarray], trainable: Sequence[bool] | None, target: np.ndarray, X: np.ndarray | None,
    etas: np.ndarray, *, eps: float | None, max_iter: int, diverge_factor: float, stall_window: int | None,
    stall_rtol: float, history: int,
) -> BatchedResult:
    r"""GD on ``B`` independent problems of one shape, one after another in compiled code.

    ``factors[k]`` is ``B x n_k x n_{k-1}``, ``target`` is ``B x n_K x n_0`` (:math:`\Phi`)
    or ``B x n_K x m`` (``Y``, with ``X``: ``B x n_0 x m``).  ``etas`` is one step for all
    runs, one per run (``B``), or one schedule per run (``B x T``: run ``b`` takes step
    ``etas[b, min(t, T-1)]``).  Everything is validated before any work."""
    check_stop(eps, max_iter, diverge_factor, stall_window, stall_rtol, history)
    Fs = [finite_array(F, f"factors[{k}]", 3) for k, F in enumerate(factors)]
    if not Fs:
        raise ValueError("factors must hold at least one matrix")
    B = Fs[0].shape[0]
    for k, F in enumerate(Fs):
        if F.shape[0] != B:
            raise ValueError(f"factors[{k}] holds {F.shape[0]} runs but factors[0] holds {B}")
        if k and F.shape[2] != Fs[k - 1].shape[1]:
            raise ValueError(
                f"factors[{k}] has {F.shape[2]} columns but factors[{k - 1}] has {Fs[k - 1].shape[1]} rows; "
                "widths must chain (F_k is n_k x n_{k-1})"
            )
    shapes = [F.shape[1:] for F in Fs]
    n0, nK = shapes[0][1], shapes[-1][0]
    flags = check_trainable(trainable, len(Fs))
    Y = finite_array(target, "target", 3)
    Xa = None if X is None else finite_array(X, "X", 3)
    if Xa is None and Y.shape != (B, nK, n0):
        raise ValueError(f"target must be B x n_K x n_0 = {B} x {nK} x {n0} (Phi), got {Y.shape}")
    if Xa is not None:
        if Xa.shape[:2] != (B, n0) or Xa.shape[2] < 1:
            raise ValueError(f"X must be B x n_0 x m = {B} x {n0} x m with m >= 1, got {Xa.shape}")
        if Y.shape != (B, nK, Xa.shape[2]):
            raise ValueError(f"target must be B x n_K x m = {B} x {nK} x {Xa.shape[2]} (Y), got {Y.shape}")
    if etas.ndim == 0:
        etas = np.full((B, 1), float(etas))
    elif etas.ndim == 1 and etas.shape == (B,):
        etas = etas.reshape(B, 1)
    elif etas.ndim != 2 or etas.shape[0] != B:
        raise ValueError(f"eta must be a number or give one step size per run ({B} runs), got shape {etas.shape}")

    widths = (n0,) + tuple(r for r, _ in shapes)
    D = max(widths) if max(widths) <= SPECIALISE_MAX else None
    m = 0 if Xa is None else Xa.shape[2]
    if D is None:
        largest = max([r * c * n0 for r, c in shapes] + [nK * n0 * m])
        run_shapes, blas = shapes, (_BLAS_MIN if largest >= _BLAS_MIN else None)
        w = np.concatenate([F.reshape(B, -1) for F in Fs], axis=1)
        Yf, Xf = Y, Xa
    else:
        run_shapes, blas = [(D, D)] * len(shapes), None
        w = np.concatenate([_pad(F, D, D).reshape(B, -1) for F in Fs], axis=1)
        Yf = _pad(Y, D, D if Xa is None else m)
        Xf = None if Xa is None else _pad(Xa, D, m)
    rows = np.array([r for r, _ in run_shapes], dtype=np.int64)
    cols = np.array([c for _, c in run_shapes], dtype=np.int64)
    off = np.concatenate(([0], np.cumsum(rows * cols)[:-1])).astype(np.int64)
    hist_t = np.zeros((B, history + 1), dtype=np.int64)
    hist_l = np.zeros((B, history + 1))
    status, t, n = (np.zeros(B, dtype=np.int64) for _ in range(3))
    l0, l1 = np.zeros(B), np.zeros(B)
    _run_many(
        w, off, rows, cols, flags, m, np.ascontiguousarray(Yf.reshape(B, -1)),
        np.zeros((B, 0)) if Xf is None else np.ascontiguousarray(Xf.reshape(B, -1)),
        np.ascontiguousarray(etas, dtype=np.float64), -math.inf if eps is None else float(eps), int(max_iter),
        float(diverge_factor), int(stall_window or 0), float(stall_rtol), hist_t, hist_l, int(history),
        status, t, l0, l1, n, blas, None if D is None else (0,) * D,
    )
    return BatchedResult(
        status=tuple(STATUSES[s] for s in status),
        iterations=t, loss0=l0, loss=l1,
        history_t=tuple(hist_t[b, :n[b]].copy() for b in range(B)),
        history_loss=tuple(hist_l[b, :n[b]].copy() for b in range(B)),
        factors=tuple(
            w[:, o:o + rr * cc].reshape(B, rr, cc)[:, :r, :c].copy()
            for o, rr, cc, (r, c) in zip(off, rows, cols, shapes)
        ),
    )


def _pad(A: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """``A`` (``B x r x c``) in the top-left corner of zero ``B x rows x cols`` matrices."""
    out = np.zeros((A.shape[0], rows, cols))
    out[:, :A.shape[1], :A.shape[2]] = A
    return out


def gd_float64(
    factors: Sequence[np.ndarray],
    trainable: Sequence[bool] | None,
    target: np.ndarray,
    eta: float | Sequence[float] | np.ndarray,
    *,
    X: np.ndarray | None = None,
    eps: float | None,
    max_iter: int,
    diverge_factor: float = 1e8,
    stall_window: int | None = None,
    stall_rtol: float = 0.0,
    history: int = 1000,
) -> KernelResult:
    r"""Gradient descent :math:`F_k \leftarrow F_k - \eta_t \nabla_{F_k}\ell` in compiled float64.

    The same run as :func:`lintheory.train.gd` with ``Stop(eps, max_iter, diverge_factor,
    stall_window, stall_rtol)``.  ``factors`` are :math:`F_1..F_K` (:math:`E = F_K \cdots F_1`),
    ``trainable`` one flag per factor (``None``: all).  ``target`` is :math:`\Phi` (whitened
    loss :math:`\frac12\|E-\Phi\|_F^2`) or, with ``X`` (``n_0 x m``), the targets ``Y`` (data
    loss :math:`\frac{1}{2m}\|EX - Y\|_F^2`).  ``eta`` is a constant step or a 1-D schedule:
    step ``t`` (from iterate ``t`` to ``t+1``) uses ``eta[t]``, and the last entry is held after
    the schedule ends.  ``eps = None`` never converges.

    Checked at every iterate ``t = 0, 1, ...`` in this order: loss <= eps -> ``"converged"``;
    non-finite or above ``diverge_factor * loss0`` -> ``"diverged"``; every ``stall_window``
    iterations, a fall of at most ``stall_rtol`` relative since the previous check ->
    ``"stalled"``; ``t = max_iter`` -> ``"max_iter"``.  Inputs are copied, never modified.
    """
    etas = check_eta(eta, 1, "a number or a non-empty 1-D schedule of step sizes")
    Fs = [finite_array(F, f"factors[{k}]", 2)[None] for k, F in enumerate(factors)]
    Y = finite_array(target, "target", 2)[None]
    Xa = None if X is None else finite_array(X, "X", 2)[None]
    out = run_batch(Fs, trainable, Y, Xa, etas.reshape(1, -1), eps=eps, max_iter=max_iter,
                    diverge_factor=diverge_factor, stall_window=stall_window, stall_rtol=stall_rtol, history=history)
    return KernelResult(
        status=out.status[0],
        iterations=int(out.iterations[0]),
        loss0=float(out.loss0[0]),
        loss=float(out.loss[0]),
        history_t=out.history_t[0],
        history_loss=out.history_loss[0],
        factors=tuple(F[0] for F in out.factors),
    )
