r"""Initializations of deep linear and linear residual networks, and the quantities
the theory measures on them.

Every random initialization takes an explicit seed or ``numpy.random.Generator``.
Random draws are made in float64 and converted exactly; factorizations that the
construction relies on (SVD, orthogonalization) are done in the target precision, so
that e.g. Procedure 1's :math:`W_{N:1} = A` holds to that precision and not to float64.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from lintheory.arith import Arithmetic, Float64, MPMath, arithmetic
from lintheory.nets import Network, deep_linear, residual_net

__all__ = [
    "balanced", "orthogonal_like", "gaussian", "xavier", "zas", "near_identity",
    "imbalance", "deficiency_margin", "as_rng",
]


def as_rng(rng: int | np.random.Generator) -> np.random.Generator:
    """A Generator from an explicit seed or Generator (``None`` is refused: seeds are explicit)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise ValueError(f"rng must be a non-negative integer seed or a numpy Generator, got {rng!r}")


def _check_widths(widths: Sequence[int]) -> tuple[int, ...]:
    widths = tuple(widths)
    if len(widths) < 2:
        raise ValueError(f"widths must list d_0..d_N with N >= 1 (at least 2 entries), got {widths!r}")
    if not all(isinstance(w, (int, np.integer)) and not isinstance(w, bool) and w >= 1 for w in widths):
        raise ValueError(f"widths must be positive integers, got {widths!r}")
    return tuple(int(w) for w in widths)


def _check_positive(value: float, name: str, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}, got {value!r}")
    return float(value)


def _precise(ar: Arithmetic) -> MPMath | None:
    """The mpmath context matching ``ar``'s precision, or None for float64."""
    if isinstance(ar, Float64):
        return None
    if isinstance(ar, MPMath):
        return ar
    return MPMath(dps=max(20, int(math.ceil(ar.prec * math.log10(2))) + 5))  # type: ignore[attr-defined]


def _haar(n: int, rng: np.random.Generator, ar: Arithmetic) -> Any:
    """A Haar-random orthogonal n x n matrix, orthogonal to ``ar``'s precision (as mpf or float)."""
    G = rng.standard_normal((n, n))
    mp = _precise(ar)
    if mp is None:
        Q, R = np.linalg.qr(G)
        return Q * np.sign(np.diag(R))
    Q, R = mp.ctx.qr(mp.ctx.matrix(G.tolist()))
    Q = np.array(Q.tolist(), dtype=object)
    signs = np.array([mp.ctx.sign(R[i, i]) for i in range(n)], dtype=object)
    return Q * signs


def _svd(A: Any, ar: Arithmetic) -> tuple[Any, list[Any], Any]:
    """Thin SVD ``A = U diag(s) V^T`` in ``ar``'s precision."""
    mp = _precise(ar)
    if mp is None:
        U, s, Vt = np.linalg.svd(np.asarray(A, dtype=np.float64), full_matrices=False)
        return U, list(s), Vt.T
    M = mp.ctx.matrix(ar.to_mpf_array(A).tolist())
    rows, cols = M.rows, M.cols
    transposed = rows < cols
    U, s, V = mp.ctx.svd_r(M.T if transposed else M, full_matrices=False)
    U, V = np.array(U.tolist(), dtype=object), np.array(V.T.tolist(), dtype=object)
    if transposed:
        U, V = V, U
    return U, [s[i] for i in range(len(s))], V


def balanced(
    A: Any,
    widths: Sequence[int],
    rng: int | np.random.Generator | None = None,
    ar: str | Arithmetic = "float64",
    orthogonal_insertion: bool = False,
) -> Network:
    r"""Balanced initialization, Procedure 1 of Arora, Cohen, Golowich, Hu (2018), Sec. 3.3.

    With the thin SVD :math:`A = U\Sigma V^\top` (:math:`r = \min(d_0, d_N)`):
    :math:`W_1 \simeq \Sigma^{1/N}V^\top`, :math:`W_j \simeq \Sigma^{1/N}` (:math:`1<j<N`),
    :math:`W_N \simeq U\Sigma^{1/N}`, zero-padded.  Then :math:`W_{N:1} = A` and
    :math:`W_{j+1}^\top W_{j+1} = W_j W_j^\top`.  With ``orthogonal_insertion`` a Haar
    :math:`O_j` is put between layers (:math:`W_j \leftarrow O_j W_j`,
    :math:`W_{j+1} \leftarrow W_{j+1} O_j^\top`; Appendix E), which keeps both properties
    and needs ``rng``.
    """
    ar = arithmetic(ar)
    widths = _check_widths(widths)
    A = ar.matrix(A)
    d0, dN, N = widths[0], widths[-1], len(widths) - 1
    if ar.shape(A) != (dN, d0):
        raise ValueError(f"A must be d_N x d_0 = {dN} x {d0} for widths {widths}, got {ar.shape(A)}")
    if not ar.is_finite(A):
        raise ValueError("A must have finite entries")
    r = min(d0, dN)
    if min(widths[1:-1], default=r) < r:
        raise ValueError(f"hidden widths must be >= min(d_0, d_N) = {r} for Procedure 1, got {widths}")
    U, s, V = _svd(A, ar)
    mp = _precise(ar)
    root = [(float(x) ** (1.0 / N)) if mp is None else mp.ctx.root(x, N) for x in s[:r]]
    zero = 0.0 if mp is None else mp.ctx.zero
    weights = []
    for j in range(1, N + 1):
        W = np.full((widths[j], widths[j - 1]), zero, dtype=np.float64 if mp is None else object)
        if N == 1:
            W = A
        elif j == 1:
            W[:r, :] = (V[:, :r] * np.array(root, dtype=W.dtype)).T
        elif j == N:
            W[:, :r] = U[:, :r] * np.array(root, dtype=W.dtype)
        else:
            W[:r, :r] = np.diag(np.array(root, dtype=W.dtype))
        weights.append(W)
    if orthogonal_insertion:
        if rng is None:
            raise ValueError("rng is required when orthogonal_insertion=True")
        gen = as_rng(rng)
        for j in range(N - 1):
            O = _haar(widths[j + 1], gen, ar)
            weights[j] = O @ weights[j]
            weights[j + 1] = weights[j + 1] @ O.T
    return deep_linear(weights, ar)


def orthogonal_like(
    widths: Sequence[int], rng: int | np.random.Generator, scale: float = 1.0, ar: str | Arithmetic = "float64"
) -> Network:
    r"""Semi-orthogonal layers (Shin 2019, orthogonal-like initialization; definition reconstructed).

    :math:`W_j` is ``scale`` times the top-left :math:`n_j \times n_{j-1}` block of a Haar
    orthogonal matrix of size :math:`\max(n_j, n_{j-1})`: orthonormal columns when
    :math:`n_j \ge n_{j-1}`, orthonormal rows otherwise.
    """
    ar = arithmetic(ar)
    widths = _check_widths(widths)
    _check_positive(scale, "scale")
    gen = as_rng(rng)
    mp = _precise(ar)
    weights = []
    for j in range(1, len(widths)):
        n_out, n_in = widths[j], widths[j - 1]
        Q = _haar(max(n_out, n_in), gen, ar)[:n_out, :n_in]
        weights.append(Q * (scale if mp is None else mp.number(scale)))
    return deep_linear(weights, ar)


def gaussian(
    widths: Sequence[int], std: float, rng: int | np.random.Generator, ar: str | Arithmetic = "float64"
) -> Network:
    r"""Layer-wise Gaussian initialization: i.i.d. :math:`\mathcal N(0, \mathrm{std}^2)` entries."""
    widths = _check_widths(widths)
    _check_positive(std, "std")
    gen = as_rng(rng)
    weights = [std * gen.standard_normal((widths[j], widths[j - 1])) for j in range(1, len(widths))]
    return deep_linear(weights, ar)


def xavier(widths: Sequence[int], rng: int | np.random.Generator, ar: str | Arithmetic = "float64") -> Network:
    r"""Xavier/Glorot normal: :math:`\mathcal N(0, 2/(n_{j-1} + n_j))` per layer."""
    widths = _check_widths(widths)
    gen = as_rng(rng)
    weights = [
        math.sqrt(2.0 / (widths[j] + widths[j - 1])) * gen.standard_normal((widths[j], widths[j - 1]))
        for j in range(1, len(widths))
    ]
    return deep_linear(weights, ar)


def _check_depth(L: int, name: str = "L") -> int:
    if not isinstance(L, (int, np.integer)) or isinstance(L, bool) or L < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {L!r}")
    return int(L)


def zas(d: int, L: int, d_out: int, ar: str | Arithmetic = "float64", d_in: int | None = None) -> Network:
    r"""Zero-asymmetric initialization of a linear ResNet (Wu, Wang, Ma 2019).

    Every residual block :math:`W_l = 0` (so :math:`I + W_l = I`) and :math:`W_{out} = 0`.
    For ``d_in < d`` the fixed embedding :math:`W_{in} = [I; 0]` maps the input into width ``d``.
    """
    ar = arithmetic(ar)
    d, d_out, L = _check_depth(d, "d"), _check_depth(d_out, "d_out"), _check_depth(L)
    W_in = None
    if d_in is not None and d_in != d:
        if not 1 <= d_in < d:
            raise ValueError(f"d_in must be in [1, d] = [1, {d}], got {d_in!r}")
        W_in = np.eye(d, d_in)
    return residual_net([np.zeros((d, d))] * L, np.zeros((d_out, d)), W_in, ar)


def near_identity(
    d: int, L: int, noise: float, rng: int | np.random.Generator, ar: str | Arithmetic = "float64"
) -> Network:
    r"""Near-identity initialization (Bartlett, Helmbold, Long 2018; Shamir 2018).

    Residual blocks :math:`W_l \sim \mathcal N(0, \mathrm{noise}^2)` entrywise and
    :math:`W_{out} = I + \mathcal N(0, \mathrm{noise}^2)`; ``noise = 0`` is the identity init.
    """
    d, L = _check_depth(d, "d"), _check_depth(L)
    _check_positive(noise, "noise", allow_zero=True)
    gen = as_rng(rng)
    blocks = [noise * gen.standard_normal((d, d)) for _ in range(L)]
    return residual_net(blocks, np.eye(d) + noise * gen.standard_normal((d, d)), None, ar)


def imbalance(net: Network) -> Any:
    r"""Degree of imbalance :math:`\max_j \|W_{j+1}^\top W_{j+1} - W_j W_j^\top\|_F`
    (Arora et al. 2018, Definition 1), over consecutive trainable layers' parameters.

    Zero for a network with a single trainable layer.
    """
    ar = net.arith
    weights = [W for W, t in zip(net.weights(), net.trainable) if t]
    gaps = [
        ar.frob(ar.sub(ar.matmul(ar.T(upper), upper), ar.matmul(lower, ar.T(lower))))
        for lower, upper in zip(weights, weights[1:])
    ]
    return max(gaps, key=ar.to_float, default=ar.number(0))


def deficiency_margin(E: Any, Phi: Any, ar: str | Arithmetic = "float64") -> Any:
    r"""Deficiency margin :math:`\sigma_{\min}(\Phi) - \|E - \Phi\|_F` (Arora et al. 2018, Def. 2).

    Positive means :math:`E` has deficiency margin :math:`c` for every :math:`c` up to it.
    """
    ar = arithmetic(ar)
    E, Phi = ar.matrix(E), ar.matrix(Phi)
    if ar.shape(E) != ar.shape(Phi):
        raise ValueError(f"E and Phi must have the same shape, got {ar.shape(E)} and {ar.shape(Phi)}")
    with ar.context():
        return ar.sigma_min(Phi) - ar.frob(ar.sub(E, Phi))
