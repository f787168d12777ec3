r"""Cost model of layer-wise BCGD with the exact step, in floating-point operations.

Shin (2019) compares deep networks with depth 1 "even when the computational cost is taken
into account"; the paper's cost model is not available, so this one is **stated here**
(reconstructed; the paper's body was unavailable).  A multiply-add counts 2 flops; a block update
of :math:`W_j` (:math:`n_j\times n_{j-1}`, :math:`d_y = n_L`, :math:`m` samples) in an
implementation that keeps the features :math:`B_j = W_{j-1}B_{j-1}` and the products above
:math:`A_j = A_{j+1}W_{j+1}` as it sweeps, and updates the residual in place
(:math:`R \leftarrow R - \eta\,AGB`), costs

.. math::
    \underbrace{2n_{j-1}n_{j-2}m}_{B_j,\ j\ge2}
    + \underbrace{2d_y n_{j+1}n_j}_{A_j,\ j<L}
    + \underbrace{2d_y m n_{j-1} + 2n_j d_y n_{j-1}}_{G = A^\top(RB^\top)/m}
    + \underbrace{2d_y n_j n_{j-1} + 2d_y n_{j-1} m}_{AGB}
    + \underbrace{4n_jn_{j-1} + 4d_y m}_{\text{norms, updates}},

where products with :math:`A = I` (the top block) are free.  Depth 1 (:math:`L = 1`) is
gradient descent with exact line search on :math:`W`, costing
:math:`4d_yd_xm + 4d_yd_x + 4d_ym` per step.  Reading the data once per update
(:math:`O(m)` terms) is what both sides pay; a Gram-matrix implementation
(:math:`XX^\top` precomputed) would remove :math:`m` from both and is not modelled.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["block_update_flops", "sweep_flops"]


def _check(widths: Sequence[int], m: int) -> tuple[int, ...]:
    widths = tuple(widths)
    if len(widths) < 2 or not all(isinstance(w, int) and w >= 1 for w in widths):
        raise ValueError(f"widths must list positive integers n_0..n_L with L >= 1, got {widths!r}")
    if not isinstance(m, int) or m < 1:
        raise ValueError(f"m must be a positive integer, got {m!r}")
    return widths


def block_update_flops(widths: Sequence[int], j: int, m: int) -> int:
    """Flops of one exact-step update of block ``j`` (1-based) of a network with ``widths`` n_0..n_L."""
    n = _check(widths, m)
    L = len(n) - 1
    if not isinstance(j, int) or not 1 <= j <= L:
        raise ValueError(f"j must be an integer in [1, L] = [1, {L}], got {j!r}")
    d_y, top = n[L], j == L
    features = 2 * n[j - 1] * n[j - 2] * m if j >= 2 else 0
    above = 0 if top else 2 * d_y * n[j + 1] * n[j]
    gradient = 2 * d_y * m * n[j - 1] + (0 if top else 2 * n[j] * d_y * n[j - 1])
    curvature = (0 if top else 2 * d_y * n[j] * n[j - 1]) + 2 * d_y * n[j - 1] * m
    bookkeeping = 4 * n[j] * n[j - 1] + 4 * d_y * m
    return features + above + gradient + curvature + bookkeeping


def sweep_flops(widths: Sequence[int], m: int) -> int:
    """Flops of one sweep (every block once); for depth 1, one GD step with exact line search."""
    n = _check(widths, m)
    return sum(block_update_flops(n, j, m) for j in range(1, len(n)))
