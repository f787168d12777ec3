r"""Least-squares data with a known row basis, so its optimum and gaps need no cancellation.

For :math:`X \in \mathbb R^{d_x\times m}` of full row rank, written as
:math:`X = U\,\mathrm{diag}(s)\,V^\top` with :math:`U` orthogonal and :math:`V`
(:math:`m\times d_x`) with orthonormal columns, the projector onto the row space of
:math:`X` is :math:`P_X = VV^\top`, and for the loss
:math:`\ell(E) = \frac{1}{2m}\|EX - Y\|_F^2` (Shin 2019; the normalisation
is reconstructed, the paper's body being unavailable):

.. math::
    \ell^* = \tfrac{1}{2m}\|Y - YVV^\top\|_F^2, \qquad
    \ell(E) - \ell^* = \tfrac{1}{2m}\|R P_X\|_F^2 = \tfrac{1}{2m}\|R V\|_F^2, \quad R = EX - Y,

and the best loss over end-to-end maps of rank at most :math:`n` is (Eckart--Young applied
to :math:`W^*S`, :math:`S = (XX^\top/m)^{1/2}`, whose singular values are those of
:math:`YV/\sqrt m`)

.. math::
    \ell_n = \ell^* + \tfrac{1}{2m}\sum_{i > n}\sigma_i(YV)^2 .

The gap is the norm of a matrix whose entries carry only round-off relative to
:math:`\|R\|`, never a difference of two nearly equal losses.  The data are built in the
target arithmetic (orthonormal factors by QR in that precision), so whitening
(:math:`XX^\top/m = I`) holds to the working precision, not to float64.  With
``basis="hadamard"`` (``m`` a power of 4) :math:`U = I` and :math:`V` holds columns of a
Sylvester--Hadamard matrix scaled by :math:`1/\sqrt m = 2^{-k}`: then :math:`X` and
:math:`V` are exact in every arithmetic, so float64 and high-precision runs see the same
problem and :math:`P_X = VV^\top` carries no rounding at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.linalg import hadamard

from lintheory.arith import Arithmetic, Float64, MPMath, arithmetic
from lintheory.nets import Problem

__all__ = ["LsqData", "conditioned_data", "orthonormal_columns"]


def orthonormal_columns(G: np.ndarray, ar: Arithmetic) -> Any:
    """The Q factor of the thin QR of the float64 matrix ``G`` (rows >= columns), in ``ar``'s precision."""
    G = np.asarray(G, dtype=np.float64)
    if G.ndim != 2 or G.shape[0] < G.shape[1]:
        raise ValueError(f"G must be a 2-D array with at least as many rows as columns, got shape {G.shape}")
    if isinstance(ar, Float64):
        Q, _ = np.linalg.qr(G)
        return Q
    if isinstance(ar, MPMath):
        Q, _ = ar.ctx.qr(ar.ctx.matrix(G.tolist()), mode="skinny")
        return ar.matrix(Q.tolist())
    raise ValueError(f"ar must be float64 or mpmath (QR in the target precision), got {ar.name}")


@dataclass(frozen=True)
class LsqData:
    r"""Data :math:`X = U\mathrm{diag}(s)V^\top`, targets :math:`Y`, in one arithmetic.

    ``kappa`` is :math:`\kappa(XX^\top) = s_1^2/s_{d_x}^2` as constructed.
    """

    X: Any
    Y: Any
    U: Any
    s: tuple[Any, ...]
    V: Any
    kappa: float
    arith: Arithmetic

    @property
    def m(self) -> int:
        return self.arith.shape(self.X)[1]

    @property
    def d_x(self) -> int:
        return self.arith.shape(self.X)[0]

    @property
    def d_y(self) -> int:
        return self.arith.shape(self.Y)[0]

    def to(self, ar: str | Arithmetic) -> LsqData:
        """The same data converted exactly (float64 -> mpmath) or rounded (mpmath -> float64) into ``ar``."""
        ar = arithmetic(ar)
        convert = lambda M: ar.matrix(self.arith.to_mpf_array(M))  # noqa: E731
        return LsqData(X=convert(self.X), Y=convert(self.Y), U=convert(self.U),
                       s=tuple(ar.number(v) for v in self.s), V=convert(self.V),
                       kappa=self.kappa, arith=ar)

    def problem(self) -> Problem:
        r"""The regression :math:`\frac{1}{2m}\|EX - Y\|_F^2` on these data."""
        return Problem.data(self.X, self.Y, self.arith)

    def gap_of_residual(self, R: Any) -> Any:
        r""":math:`\ell - \ell^* = \frac{1}{2m}\|RV\|_F^2` for the residual :math:`R = EX - Y`."""
        ar = self.arith
        return ar.frob_sq(ar.matmul(R, self.V)) / ar.number(2 * self.m)

    def gap(self, E: Any) -> Any:
        r""":math:`\ell(E) - \ell^*` for an end-to-end matrix :math:`E`, without cancellation."""
        ar = self.arith
        return self.gap_of_residual(ar.sub(ar.matmul(E, self.X), self.Y))

    def loss_star(self) -> Any:
        r""":math:`\ell^* = \frac{1}{2m}\|Y - YVV^\top\|_F^2`."""
        ar = self.arith
        YV = ar.matmul(self.Y, self.V)
        return ar.frob_sq(ar.sub(self.Y, ar.matmul(YV, ar.T(self.V)))) / ar.number(2 * self.m)

    def w_star(self) -> Any:
        r""":math:`W^* = YX^+ = YV\,\mathrm{diag}(1/s)\,U^\top`."""
        ar = self.arith
        YV = ar.matmul(self.Y, self.V)
        inv_s = ar.zeros(self.d_x, self.d_x)
        for i, s_i in enumerate(self.s):
            inv_s[i, i] = ar.number(1) / s_i
        return ar.matmul(ar.matmul(YV, inv_s), ar.T(self.U))

    def rank_limited_gap(self, n: int) -> Any:
        r""":math:`\ell_n - \ell^* = \frac{1}{2m}\sum_{i>n}\sigma_i(YV)^2`: the least gap of a rank-:math:`\le n` map."""
        if not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be an integer >= 0, got {n!r}")
        ar = self.arith
        tail = self.arith.singular_values(ar.matmul(self.Y, self.V))[n:]
        total = ar.number(0)
        for sigma in tail:
            total = total + sigma * sigma
        return total / ar.number(2 * self.m)


def conditioned_data(
    d_x: int, d_y: int, m: int, kappa: float, rng: np.random.Generator,
    ar: str | Arithmetic = "float64", noise: float = 0.5, basis: Literal["haar", "hadamard"] = "haar",
) -> LsqData:
    r"""Random data with :math:`\kappa(XX^\top) = ` ``kappa`` and :math:`XX^\top/m` of eigenvalues
    geometrically spaced in :math:`[1/\kappa, 1]` (``kappa = 1``: whitened, :math:`XX^\top/m = I`).

    :math:`U`, :math:`V` are Haar-distributed (QR of Gaussians, done in ``ar``'s precision);
    :math:`Y = W_0 X + \text{noise}\cdot Z` with Gaussian :math:`W_0, Z`, so that
    :math:`\ell^* > 0` when ``noise > 0`` and ``m > d_x``.  ``basis`` chooses :math:`U, V`
    (see the module docstring).
    """
    ar = arithmetic(ar)
    for name, value in (("d_x", d_x), ("d_y", d_y), ("m", m)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if m < d_x:
        raise ValueError(f"m must be >= d_x for X of full row rank, got m={m}, d_x={d_x}")
    if not (math.isfinite(kappa) and kappa >= 1):
        raise ValueError(f"kappa must be finite and >= 1, got {kappa!r}")
    if not (math.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be finite and >= 0, got {noise!r}")
    if basis == "haar":
        U = orthonormal_columns(rng.standard_normal((d_x, d_x)), ar)
        V = orthonormal_columns(rng.standard_normal((m, d_x)), ar)
    elif basis == "hadamard":
        k = round(math.log(m, 4))
        if 4**k != m:
            raise ValueError(f"m must be a power of 4 for basis='hadamard', got {m}")
        columns = rng.choice(m, size=d_x, replace=False)
        signs = rng.choice([-1.0, 1.0], size=d_x)
        U = ar.identity(d_x)
        V = ar.scale(ar.number(2.0**-k), ar.matrix(hadamard(m).astype(np.float64)[:, columns] * signs))
    else:
        raise ValueError(f"basis must be 'haar' or 'hadamard', got {basis!r}")
    W0 = ar.matrix(rng.standard_normal((d_y, d_x)))
    Z = ar.matrix(rng.standard_normal((d_y, m)))
    # s_i^2 / m = kappa^(-i/(d_x - 1)), computed in the target precision
    root_m, big = ar.sqrt(ar.number(m)), ar.number(kappa)
    s = tuple(
        root_m if d_x == 1 else root_m / ar.sqrt(_power(ar, big, i, d_x - 1)) for i in range(d_x)
    )
    S = ar.zeros(d_x, d_x)
    for i, s_i in enumerate(s):
        S[i, i] = s_i
    X = ar.matmul(ar.matmul(U, S), ar.T(V))
    Y = ar.add(ar.matmul(W0, X), ar.scale(ar.number(noise), Z))
    return LsqData(X=X, Y=Y, U=U, s=s, V=V, kappa=float(kappa), arith=ar)


def _power(ar: Arithmetic, base: Any, num: int, den: int) -> Any:
    """``base ** (num / den)`` in ``ar``'s precision."""
    if isinstance(ar, MPMath):
        return ar.ctx.power(base, ar.ctx.mpf(num) / den)
    return float(base) ** (num / den)
