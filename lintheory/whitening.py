r"""Whitened regression data and the reduction of the data loss to the whitened loss.

Arora, Cohen, Golowich, Hu (2018), Appendix A: if :math:`\Lambda_{xx} = \frac1m XX^\top = I` then

.. math::
    \frac1{2m}\|WX - Y\|_F^2 = \tfrac12\|W - \Lambda_{yx}\|_F^2 + \frac1{2m}\|Y\|_F^2
    - \tfrac12\|\Lambda_{yx}\|_F^2, \qquad \Lambda_{yx} = \frac1m YX^\top

(the value of the constant is reconstructed, brief ``arora2018.md`` §1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lintheory.arith import Arithmetic, Float64, MPMath, arithmetic
from lintheory.inits import as_rng

__all__ = ["WhitenedData", "whitened_data", "whitening_sides"]


@dataclass(frozen=True)
class WhitenedData:
    """Samples in columns, :math:`XX^\\top = mI`, and the target :math:`\\Phi = \\Lambda_{yx}`."""

    X: Any
    Y: Any
    Phi: Any
    arith: Arithmetic

    @property
    def m(self) -> int:
        return self.arith.shape(self.X)[1]


def whitened_data(
    d_x: int, d_y: int, m: int, rng: int | np.random.Generator, phi_norm: float | None = None, noise: float = 0.1,
    ar: str | Arithmetic = "float64",
) -> WhitenedData:
    r"""Whitened synthetic regression data: :math:`X = \sqrt m\,Q^\top` with :math:`Q` an
    :math:`m\times d_x` matrix with orthonormal columns (QR of a Gaussian matrix), so that
    :math:`XX^\top = mI`; :math:`Y = W^\star X + \text{noise}` with Gaussian :math:`W^\star`.
    With ``phi_norm`` the labels are rescaled so that :math:`\|\Lambda_{yx}\|_F = ` ``phi_norm``
    (the paper's Sec. 4 rescales to 1). The orthogonalization runs in ``ar``'s precision, so
    :math:`XX^\top = mI` holds to that precision."""
    for name, value in (("d_x", d_x), ("d_y", d_y), ("m", m)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if m < d_x:
        raise ValueError(f"m must be >= d_x for X X^T = m I to be possible, got m={m}, d_x={d_x}")
    if phi_norm is not None and not (np.isfinite(phi_norm) and phi_norm > 0):
        raise ValueError(f"phi_norm must be finite and > 0 (or None), got {phi_norm!r}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be finite and >= 0, got {noise!r}")
    ar = arithmetic(ar)
    gen = as_rng(rng)
    G, W_star, E = gen.standard_normal((m, d_x)), gen.standard_normal((d_y, d_x)), gen.standard_normal((d_y, m))
    if isinstance(ar, Float64):
        Q, _ = np.linalg.qr(G)
    else:
        mp = ar if isinstance(ar, MPMath) else MPMath(dps=max(20, int(ar.prec * 0.302) + 5))  # type: ignore[attr-defined]
        Q = np.array(mp.ctx.qr(mp.ctx.matrix(G.tolist()), mode="skinny")[0].tolist(), dtype=object)
    with ar.context():
        X = ar.scale(ar.sqrt(ar.number(m)), ar.matrix(Q.T))
        Y = ar.add(ar.matmul(ar.matrix(W_star), X), ar.scale(noise, ar.matrix(E)))
        Phi = ar.scale(ar.number(1) / ar.number(m), ar.matmul(Y, ar.T(X)))
        if phi_norm is not None:
            scale = ar.number(phi_norm) / ar.frob(Phi)
            Y, Phi = ar.scale(scale, Y), ar.scale(scale, Phi)
    return WhitenedData(X, Y, Phi, ar)


def whitening_sides(W: Any, X: Any, Y: Any, ar: str | Arithmetic = "float64") -> tuple[Any, Any]:
    r"""Both sides of Appendix A's identity in ``ar``: the data loss
    :math:`\frac1{2m}\|WX-Y\|_F^2` and :math:`\frac12\|W-\Lambda_{yx}\|_F^2 + \frac1{2m}\|Y\|_F^2 -
    \frac12\|\Lambda_{yx}\|_F^2`. They are equal exactly when :math:`XX^\top = mI`."""
    ar = arithmetic(ar)
    W, X, Y = ar.matrix(W), ar.matrix(X), ar.matrix(Y)
    (dy, dx), (dx2, m), (dy2, m2) = ar.shape(W), ar.shape(X), ar.shape(Y)
    if dx != dx2 or dy != dy2 or m != m2:
        raise ValueError(f"W (d_y x d_x), X (d_x x m), Y (d_y x m) must chain, got {ar.shape(W)}, "
                         f"{ar.shape(X)}, {ar.shape(Y)}")
    with ar.context():
        two_m, half = ar.number(2 * m), ar.number(1) / ar.number(2)
        lam = ar.scale(ar.number(1) / ar.number(m), ar.matmul(Y, ar.T(X)))
        data = ar.frob_sq(ar.sub(ar.matmul(W, X), Y)) / two_m
        whitened = half * ar.frob_sq(ar.sub(W, lam)) + ar.frob_sq(Y) / two_m - half * ar.frob_sq(lam)
    return data, whitened
