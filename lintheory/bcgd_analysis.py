r"""Per-block quantities of layer-wise BCGD: the block condition number, the guaranteed
decrease and contraction, and an ``on_block`` recorder that measures them along a run.

Shin (2019), arXiv:1910.05874; the formulas are **reconstructed** (the paper's
body was unavailable) and derived symbolically in :mod:`lintheory.symbolic.shin2019`, whose
expressions are lambdified here, so the numbers a claim compares against are the
derivation's output.  For block :math:`j` with :math:`A = W_{L:j+1}`, :math:`B = W_{j-1:1}X`:

.. math::
    \kappa_j = \frac{\|A\|_2^2\,\|B\|_2^2}{\sigma_{d_y}(A)^2\,\sigma_{r}(B)^2}, \qquad
    \frac{\ell^+ - \ell^*}{\ell - \ell^*} \le 1 - \frac{\eta(2-\eta)}{\kappa_j}
    \quad (r = \operatorname{rank} X),

for the normalised step :math:`\eta\,m/(\|A\|_2^2\|B\|_2^2)` and, with :math:`\eta = 1`, for
the exact step :math:`\eta^* = m\|G\|_F^2/\|AGB\|_F^2`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import sympy as sp

from lintheory.arith import Arithmetic, MPMath
from lintheory.lsq import LsqData
from lintheory.symbolic import shin2019 as sym
from lintheory.train import BlockStep, Exact, Normalised

__all__ = [
    "BlockRecord",
    "BlockRecorder",
    "block_kappa",
    "exact_step_prediction",
    "guaranteed_fraction",
    "normalised_guarantee",
]


@cache
def _lambdified(ar: Arithmetic) -> dict[str, Callable[..., Any]]:
    """The derived expressions as functions of backend numbers of ``ar``.

    For mpmath the printer's rational constants ``mpf(p)/mpf(q)`` must come from the
    backend's own context, or they would round the result to the global precision.
    """
    modules = [{"mpf": ar.ctx.mpf}, "mpmath"] if isinstance(ar, MPMath) else "math"
    step = sym.exact_step()
    return {
        "eta_star": sp.lambdify((sym.m, sym.G2, sym.AGB2), step.eta_star, modules=modules),
        "decrease": sp.lambdify((sym.m, sym.G2, sym.AGB2), step.decrease, modules=modules),
        "normalised": sp.lambdify((sym.eta, sym.m, sym.G2, sym.A2, sym.B2), sym.normalised_decrease(),
                                  modules=modules),
        # 1 - factor, simplified symbolically: forming it numerically would cancel for large kappa_j
        "fraction": sp.lambdify((sym.eta, sym.kappa_j), sp.factor(1 - sym.contraction_factor()), modules=modules),
    }


def block_kappa(A: Any, B: Any, rank: int, ar: Arithmetic) -> Any:
    r""":math:`\kappa_j` of a block; ``inf`` when :math:`A` has fewer than :math:`d_y` or
    :math:`B` fewer than ``rank`` positive singular values (the bound is then void)."""
    if not isinstance(rank, int) or rank < 1:
        raise ValueError(f"rank must be a positive integer, got {rank!r}")
    d_y = ar.shape(A)[0]
    s_A, s_B = ar.singular_values(A), ar.singular_values(B)
    if len(s_A) < d_y or len(s_B) < rank:
        return math.inf
    low = s_A[d_y - 1] * s_B[rank - 1]
    if ar.to_float(low) == 0.0:
        return math.inf
    return (s_A[0] * s_B[0] / low) ** 2


def guaranteed_fraction(eta: Any, kappa: Any, ar: Arithmetic) -> Any:
    r""":math:`1 - (\text{contraction factor}) = \eta(2-\eta)/\kappa_j`: the fraction of the gap one
    block update is guaranteed to remove (``kappa = inf`` gives 0)."""
    if kappa == math.inf:
        return 0.0
    return _lambdified(ar)["fraction"](ar.number(eta), kappa)


def exact_step_prediction(G: Any, AGB: Any, m: int, ar: Arithmetic) -> tuple[Any, Any]:
    r""":math:`(\eta^*, \text{decrease}) = (m\|G\|_F^2/\|AGB\|_F^2,\; m\|G\|_F^4/(2\|AGB\|_F^2))`."""
    f = _lambdified(ar)
    args = (ar.number(m), ar.frob_sq(G), ar.frob_sq(AGB))
    return f["eta_star"](*args), f["decrease"](*args)


def normalised_guarantee(eta: float, G: Any, A: Any, B: Any, m: int, ar: Arithmetic) -> Any:
    r"""Guaranteed decrease of the normalised step:
    :math:`\frac{\eta(2-\eta)}{2}\, m\|G\|_F^2/(\|A\|_2^2\|B\|_2^2)`."""
    norm_A, norm_B = ar.spectral_norm(A), ar.spectral_norm(B)
    return _lambdified(ar)["normalised"](ar.number(eta), ar.number(m), ar.frob_sq(G), norm_A**2, norm_B**2)


@dataclass(frozen=True)
class BlockRecord:
    r"""One block update, measured.

    ``decrease`` is :math:`(g - g^+)/g` for the gaps :math:`g = \ell - \ell^*` before and
    after; ``guaranteed`` is :math:`\eta(2-\eta)/\kappa_j` (``eta = 1`` for the exact
    step); ``margin = decrease - guaranteed`` is formed in the run's arithmetic before
    rounding to float, so a high-precision run keeps its digits.
    """

    sweep: int
    block: int
    step: float
    loss_before: float
    loss_after: float
    gap_before: float
    gap_after: float
    kappa: float
    decrease: float
    guaranteed: float
    margin: float


@dataclass
class BlockRecorder:
    """An ``on_block`` callback for :func:`lintheory.train.bcgd` that appends a :class:`BlockRecord`
    per block update (``kappa=False`` skips the two SVDs per block when only gaps are needed)."""

    data: LsqData
    step: Exact | Normalised
    kappa: bool = True
    records: list[BlockRecord] = field(default_factory=list)

    def __call__(self, s: BlockStep) -> None:
        ar = self.data.arith
        gap, gap_after = self.data.gap_of_residual(s.R), self.data.gap_of_residual(s.R_after)
        # at the optimum (gap exactly 0) nothing is left to remove: count it as all removed
        decrease = (gap - gap_after) / gap if ar.to_float(gap) > 0 else ar.number(1)
        if self.kappa:
            kappa = block_kappa(s.A, s.B, self.data.d_x, ar)
            eta = 1 if isinstance(self.step, Exact) else self.step.eta
            guaranteed = guaranteed_fraction(eta, kappa, ar)
        else:
            kappa, guaranteed = math.nan, math.nan
        self.records.append(BlockRecord(
            sweep=s.sweep, block=s.block, step=ar.to_float(s.eta),
            loss_before=ar.to_float(s.loss_before), loss_after=ar.to_float(s.loss_after),
            gap_before=ar.to_float(gap), gap_after=ar.to_float(gap_after),
            kappa=float(kappa), decrease=ar.to_float(decrease), guaranteed=float(guaranteed),
            margin=float(decrease - guaranteed) if self.kappa else math.nan,
        ))
