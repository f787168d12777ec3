r"""The end-to-end preconditioner :math:`P_W` of balanced deep linear networks.

Arora, Cohen, Hazan (ICML 2018), Theorem 1 and Claim 1, as quoted by Arora, Cohen, Golowich,
Hu (2019), Sec. 3 (formula reconstructed, brief ``arora2018.md`` §6 L-a): under gradient flow
from a 0-balanced initialization :math:`\mathrm{vec}(\dot W_{1:N}) = -P_{W_{1:N}}\mathrm{vec}(\nabla L^1)`,

.. math::
    P_W = \sum_{j=1}^N (W^\top W)^{\frac{N-j}{N}} \otimes (WW^\top)^{\frac{j-1}{N}}
    \qquad (\text{column-major } \mathrm{vec}),

with eigenvalues :math:`\sum_j \sigma_r^{2(j-1)/N}\sigma_q^{2(N-j)/N}` on
:math:`\mathrm{vec}(u_r v_q^\top)` (singular values padded with zeros, :math:`0^0 = 1`).
Float64 and mpmath; fractional powers of the PSD Gram matrices come from their symmetric
eigendecompositions in the backend's precision.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from lintheory.arith import Arithmetic, Float64, MPMath, arithmetic

__all__ = ["preconditioner", "preconditioner_eigenvalues", "predicted_eigenvalues", "psd_power", "vec", "unvec"]


def _backend(ar: str | Arithmetic) -> Float64 | MPMath:
    ar = arithmetic(ar)
    if not isinstance(ar, (Float64, MPMath)):
        raise ValueError(f"ar must be float64 or mpmath (the eigendecomposition is not rigorous in Arb), got {ar.name}")
    return ar


def _check_depth(N: Any) -> int:
    if isinstance(N, bool) or not isinstance(N, int) or N < 1:
        raise ValueError(f"N must be an integer >= 1, got {N!r}")
    return N


def _eigh(S: Any, ar: Float64 | MPMath) -> tuple[list[Any], Any]:
    if isinstance(ar, Float64):
        w, V = np.linalg.eigh(np.asarray(S, dtype=np.float64))
        return list(w), V
    w, V = ar.ctx.eigsy(ar.ctx.matrix(S.tolist()))
    return [w[i] for i in range(len(w))], np.array(V.tolist(), dtype=object)


def psd_power(S: Any, p: Fraction, ar: str | Arithmetic = "float64") -> Any:
    r""":math:`S^p` of a symmetric PSD matrix for rational :math:`p \ge 0`, with :math:`S^0 = I`
    (also on the null space: the convention :math:`0^0 = 1` of the eigenvalue formula).
    Eigenvalues below :math:`8nu\,|\lambda|_{\max}` (:math:`u` the unit round-off) count as 0."""
    ar = _backend(ar)
    p = Fraction(p)
    if p < 0:
        raise ValueError(f"p must be a non-negative rational, got {p}")
    S = ar.matrix(S)
    n, n2 = ar.shape(S)
    if n != n2:
        raise ValueError(f"S must be square, got {n} x {n2}")
    if p == 0:
        return ar.identity(n)
    w, V = _eigh(S, ar)
    # An eigenvalue within round-off of 0 (either sign) is the null space: its p-th power
    # would turn u*|S| into (u*|S|)^p, far above round-off.
    floor = ar.number(8 * n * ar.unit_roundoff) * max(abs(x) for x in w)
    powered = [ar.number(0) if x <= floor else _rational_power(x, p, ar) for x in w]
    D = ar.zeros(n, n)
    for i, x in enumerate(powered):
        D[i, i] = x
    return ar.matmul(ar.matmul(V, D), ar.T(V))


def _rational_power(x: Any, p: Fraction, ar: Float64 | MPMath) -> Any:
    if isinstance(ar, Float64):
        return float(x) ** (p.numerator / p.denominator)
    return ar.ctx.root(x, p.denominator) ** p.numerator


def vec(M: Any, ar: str | Arithmetic = "float64") -> Any:
    """Column-major vectorization as a column matrix."""
    ar = arithmetic(ar)
    A = np.asarray(ar.matrix(M))
    return A.T.reshape(-1, 1)


def unvec(v: Any, rows: int, cols: int) -> Any:
    """Inverse of :func:`vec`."""
    return np.asarray(v).reshape(cols, rows).T


def preconditioner(W: Any, N: int, ar: str | Arithmetic = "float64") -> Any:
    r""":math:`P_W = \sum_{j=1}^N (W^\top W)^{(N-j)/N} \otimes (WW^\top)^{(j-1)/N}`
    (a :math:`d_0 d_N \times d_0 d_N` matrix for :math:`W \in \mathbb R^{d_N\times d_0}`)."""
    ar, N = _backend(ar), _check_depth(N)
    W = ar.matrix(W)
    left, right = ar.matmul(ar.T(W), W), ar.matmul(W, ar.T(W))
    terms = [np.kron(psd_power(left, Fraction(N - j, N), ar), psd_power(right, Fraction(j - 1, N), ar))
             for j in range(1, N + 1)]
    P = terms[0]
    for term in terms[1:]:
        P = P + term
    return P


def preconditioner_eigenvalues(P: Any, ar: str | Arithmetic = "float64") -> list[Any]:
    """Eigenvalues of the symmetric ``P`` in ascending order, computed numerically."""
    ar = _backend(ar)
    w, _ = _eigh(ar.matrix(P), ar)
    return sorted(w)


def predicted_eigenvalues(singular_values: list[Any], rows: int, cols: int, N: int,
                          ar: str | Arithmetic = "float64") -> list[Any]:
    r"""The eigenvalues :math:`\sum_{j=1}^N \sigma_r^{2(j-1)/N}\sigma_q^{2(N-j)/N}`, :math:`r \le d_N`,
    :math:`q \le d_0`, singular values padded with zeros to :math:`d_N` (left) and :math:`d_0`
    (right), :math:`0^0 = 1`; ascending."""
    ar, N = _backend(ar), _check_depth(N)
    k = min(rows, cols)
    if len(singular_values) != k:
        raise ValueError(f"singular_values must hold min(rows, cols) = {k} values, got {len(singular_values)}")
    zero = ar.number(0)
    sig = [ar.number(x) for x in singular_values]
    left = sig + [zero] * (rows - k)
    right = sig + [zero] * (cols - k)

    def power(x: Any, num: int) -> Any:
        if num == 0:
            return ar.number(1)
        return ar.number(0) if x == zero else _rational_power(x, Fraction(2 * num, N), ar)

    values = [sum((power(sr, j - 1) * power(sq, N - j) for j in range(1, N + 1)), ar.number(0))
              for sr in left for sq in right]
    return sorted(values)
