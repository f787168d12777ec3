r"""Balancedness of deep linear networks (Arora, Cohen, Golowich, Hu 2019, Definition 1).

* the imbalance matrices :math:`D_j = W_{j+1}^\top W_{j+1} - W_jW_j^\top`;
* their exact change under one GD step (reconstructed, brief ``arora2018.md`` §6 L-b): since
  :math:`W_{j+1}^\top G_{j+1} = G_jW_j^\top`, the first-order terms cancel and
  :math:`D_j(t+1) = D_j(t) + \eta^2(G_{j+1}^\top G_{j+1} - G_jG_j^\top)`;
* Monte Carlo of the layer-wise Gaussian initialization's balance (Claim 2, Lemma 10).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lintheory.arith import Arithmetic
from lintheory.inits import as_rng

__all__ = ["drift_prediction", "gaussian_imbalances", "imbalance_matrices", "lemma10_samples"]


def imbalance_matrices(weights: Sequence[Any], ar: Arithmetic) -> list[Any]:
    r""":math:`D_j = W_{j+1}^\top W_{j+1} - W_jW_j^\top` for :math:`j = 1..N-1`."""
    if len(weights) < 2:
        raise ValueError(f"weights must hold at least 2 layers, got {len(weights)}")
    with ar.context():
        return [ar.sub(ar.matmul(ar.T(upper), upper), ar.matmul(lower, ar.T(lower)))
                for lower, upper in zip(weights, weights[1:])]


def drift_prediction(weights: Sequence[Any], grads: Sequence[Any], eta: Any, ar: Arithmetic) -> list[Any]:
    r""":math:`D_j + \eta^2(G_{j+1}^\top G_{j+1} - G_jG_j^\top)`: the imbalance after the GD step
    :math:`W_j \leftarrow W_j - \eta G_j`, predicted from the current weights and gradients."""
    if len(grads) != len(weights):
        raise ValueError(f"grads must have one matrix per layer ({len(weights)}), got {len(grads)}")
    with ar.context():
        eta2 = ar.number(eta) * ar.number(eta)
        return [ar.add(D, ar.scale(eta2, ar.sub(ar.matmul(ar.T(G_up), G_up), ar.matmul(G_lo, ar.T(G_lo)))))
                for D, G_lo, G_up in zip(imbalance_matrices(weights, ar), grads, grads[1:])]


def _frob_pairs(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Batched :math:`\\|U^\\top U - LL^\\top\\|_F` over the leading axis."""
    D = np.matmul(upper.transpose(0, 2, 1), upper) - np.matmul(lower, lower.transpose(0, 2, 1))
    return np.sqrt(np.einsum("bij,bij->b", D, D))


def gaussian_imbalances(widths: Sequence[int], s: float, n_samples: int, rng: int | np.random.Generator) -> np.ndarray:
    r"""``n_samples`` draws of the layer-wise :math:`\mathcal N(0,s^2)` initialization; returns the
    ``(n_samples, N-1)`` array of :math:`\|W_{j+1}^\top W_{j+1} - W_jW_j^\top\|_F` (float64)."""
    widths = tuple(widths)
    if len(widths) < 3 or any(isinstance(w, bool) or not isinstance(w, (int, np.integer)) or w < 1 for w in widths):
        raise ValueError(f"widths must list d_0..d_N, N >= 2, as positive integers, got {widths!r}")
    if not (np.isfinite(s) and s > 0):
        raise ValueError(f"s must be finite and > 0, got {s!r}")
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    gen = as_rng(rng)
    out = []
    for n in _chunks(n_samples, max(widths) ** 2):
        layers = [s * gen.standard_normal((n, widths[j + 1], widths[j])) for j in range(len(widths) - 1)]
        out.append(np.stack([_frob_pairs(lo, up) for lo, up in zip(layers, layers[1:])], axis=1))
    return np.concatenate(out)


def _chunks(n_samples: int, entries_per_sample: int) -> list[int]:
    """Batch sizes summing to ``n_samples`` that keep each drawn array near 2^21 entries (16 MiB)."""
    size = max(1, 2**21 // entries_per_sample)
    return [min(size, n_samples - k) for k in range(0, n_samples, size)]


def lemma10_samples(a: int, d: int, b: int, s: float, n_samples: int, rng: int | np.random.Generator) -> np.ndarray:
    r"""``n_samples`` draws of :math:`\|A^\top A - BB^\top\|_F^2` with :math:`A \in \mathbb R^{a\times d}`,
    :math:`B \in \mathbb R^{d\times b}` i.i.d. :math:`\mathcal N(0, s^2)` (Lemma 10)."""
    for name, value in (("a", a), ("d", d), ("b", b), ("n_samples", n_samples)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not (np.isfinite(s) and s > 0):
        raise ValueError(f"s must be finite and > 0, got {s!r}")
    gen = as_rng(rng)
    out = []
    for n in _chunks(n_samples, max(a, b, d) ** 2):
        A = s * gen.standard_normal((n, a, d))
        B = s * gen.standard_normal((n, d, b))
        out.append(_frob_pairs(B, A) ** 2)
    return np.concatenate(out)
