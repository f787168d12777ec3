r"""Orthogonal-like deep linear networks of any hidden width with a prescribed end-to-end map.

Shin (2019), width independence under orthogonal-like initialization (construction
**reconstructed**: the paper's body was unavailable).  Let :math:`k = \max(d_x, d_y)` and let
:math:`C` be the first :math:`d_y` rows of a :math:`k\times k` orthogonal matrix (the *core*).
For hidden width :math:`n \ge k` and Haar-random orthogonal :math:`Q_1, \dots, Q_{L-1}`
(:math:`n\times n`):

.. math::
    W_1 = Q_1 \begin{bmatrix} I_{d_x} \\ 0 \end{bmatrix}, \quad
    W_j = Q_j Q_{j-1}^\top \ (1 < j < L), \quad
    W_L = \begin{bmatrix} C & 0 \end{bmatrix} Q_{L-1}^\top ,

so every layer is semi-orthogonal (orthonormal columns for :math:`W_1`, orthogonal in the
middle, orthonormal rows for :math:`W_L`) and :math:`W_{L:1} = C_{[:, :d_x]}` whatever
:math:`n` and the :math:`Q_j` are.  Depth 1 is :math:`W_1 = C_{[:, :d_x]}`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lintheory.arith import Arithmetic, arithmetic
from lintheory.lsq import orthonormal_columns
from lintheory.nets import Network, deep_linear

__all__ = ["lifted_orthogonal_like", "orthogonal_core"]


def orthogonal_core(d_x: int, d_y: int, rng: np.random.Generator, ar: str | Arithmetic = "float64") -> Any:
    r"""The core :math:`C \in \mathbb R^{d_y\times k}`, :math:`k = \max(d_x, d_y)`: the first
    :math:`d_y` rows of a Haar orthogonal :math:`k\times k` matrix, orthogonal in ``ar``'s precision."""
    ar = arithmetic(ar)
    for name, value in (("d_x", d_x), ("d_y", d_y)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    k = max(d_x, d_y)
    return orthonormal_columns(rng.standard_normal((k, k)), ar)[:d_y, :]


def lifted_orthogonal_like(
    core: Any, d_x: int, L: int, n: int, rng: np.random.Generator, ar: str | Arithmetic = "float64"
) -> Network:
    r"""The depth-``L`` orthogonal-like network of hidden width ``n`` whose end-to-end map is
    ``core[:, :d_x]`` (see the module docstring); ``rng`` draws the :math:`Q_j`."""
    ar = arithmetic(ar)
    core = ar.matrix(core)
    d_y, k = ar.shape(core)
    if not isinstance(d_x, int) or not 1 <= d_x <= k:
        raise ValueError(f"d_x must be an integer in [1, core columns = {k}], got {d_x!r}")
    if not isinstance(L, int) or L < 1:
        raise ValueError(f"L must be an integer >= 1, got {L!r}")
    if not isinstance(n, int) or n < k:
        raise ValueError(f"n must be an integer >= max(d_x, d_y) = {k}, got {n!r}")
    if L == 1:
        return deep_linear([core[:, :d_x]], ar)
    Q = [orthonormal_columns(rng.standard_normal((n, n)), ar) for _ in range(L - 1)]
    top = ar.zeros(d_y, n)
    top[:, :k] = core
    weights = [Q[0][:, :d_x]]
    weights += [ar.matmul(Q[j], ar.T(Q[j - 1])) for j in range(1, L - 1)]
    weights.append(ar.matmul(top, ar.T(Q[-1])))
    return deep_linear(weights, ar)
