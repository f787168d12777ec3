r"""The lifted objective never increases along BCD, after every single block update; hidden activations stay feasible.

.. math::
    F(x^{t,b}) \le F(x^{t,b-1})\quad\text{for every block update } b \text{ of every sweep } t,
    \qquad U_n \ge 0\ (n < N).

**Source.** Zhang & Brand (NeurIPS 2017), abstract: BCD solves "a sequence of numerically
well-behaved convex subproblems" and converges globally. Monotonicity per block is the first step
of any such convergence proof; its statement here (lemma "L2") is reconstructed.

**Derivation (reconstructed).** Every block update returns a point :math:`Z` whose proximal block
objective :math:`G(Z) = F(\dots, Z, \dots) + \frac\eta2\|Z - Z^{old}\|^2` is no larger than at the
old point, where :math:`G(Z^{old}) = F^{old}`. Exact minimisers (ridge, closed-form output, the
active-set NNLS) satisfy this trivially; the inexact NNLS solvers start at :math:`Z^{old}` and
never increase :math:`G` (projected gradient with step :math:`1/L` decreases a convex
:math:`L`-smooth function; the monotone variant of FISTA accepts only non-increasing candidates).
Hence :math:`F^{new} \le G(Z) \le G(Z^{old}) = F^{old}`, for any :math:`\eta \ge 0` and any number
of inner iterations. Feasibility: every hidden update ends with a projection
:math:`\max(0,\cdot)` (or the exact NNLS solution), so :math:`U_n \ge 0` holds exactly.

**Checks.** Synthetic (M = 40, widths 8-6-5-3) and digits (M = 300, 64-16-16-10) runs over output
treatments, losses, inner solvers and :math:`\eta \in \{0, 10^{-3}\}`: the largest relative
increase :math:`(F^{new} - F^{old})/|F^{old}|` over all block updates, and the smallest hidden entry.
Constants: ``max_increase`` (the stated largest relative change per block, 0) and ``floor``
(the stated lower bound of hidden entries, 0). A search space explores every size, depth, loss,
output rule, inner solver and regulariser.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from proofs_check.checks import Bound
from proofs_check.claim import Claim, Figure, Mutant, RunRecord
from proofs_check.claims.zhang2017._common import (
    F_REASON, F_RTOL, descent_grid, descent_label, descent_strategy, run_descent,
)
from proofs_check.search.space import SearchSpace
from hypothesis import strategies as st


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Bound]:
    series = {"F": {descent_label(r.params): r.value["F"] for r in runs[:6]}}
    return [
        Bound.of(runs, pred=lambda r: k["max_increase"], obs="max_rel_increase", extra=("worst_block", "worst_sweep"),
                 label="F per block", atol=F_RTOL, reason=F_REASON, evidence={"series": series},
                 predicted="(F_after - F_before)/|F_before| <= max_increase after every block update",
                 observed="largest relative change of F over all block updates of a run"),
        Bound.of(runs, pred=lambda r: k["floor"], obs="min_hidden", sense="lower", label="hidden U >= floor",
                 reason="exact: projections and NNLS solutions are exactly non-negative",
                 predicted="min hidden U >= floor", observed="smallest hidden lifted entry over all sweeps"),
    ]


def score(value: Mapping[str, Any]) -> float:
    """The largest relative increase of F per block over the tolerance (inf if a hidden entry is negative)."""
    if value["min_hidden"] < 0:
        return math.inf
    return value["max_rel_increase"] / F_RTOL


def draw(evidence: Mapping[str, Any], ax: Any) -> None:
    for label, F in evidence["series"]["F"].items():
        ax.semilogy(range(len(F)), [f / F[0] for f in F], label=label)
    ax.set_xlabel("sweep t")
    ax.set_ylabel("F(x^t) / F(x^0)")
    ax.legend(fontsize=6)


CLAIM = Claim(
    id="zhang2017.monotone_decrease", paper="zhang2017", level="reconstructed", kind="invariant",
    source="Zhang & Brand 2017, abstract (convex subproblems, global convergence); the per-block monotonicity "
           "lemma and its proof for exact and inexact NNLS are reconstructed in this claim's docstring",
    title="F never increases after any block update (exact or inexact NNLS); hidden U stay non-negative",
    statement_latex=r"F(x^{t,b}) \le F(x^{t,b-1})\ \text{for every block } b,\quad U_n \ge 0\ (n<N)",
    grid=partial(descent_grid, etas=(0.0, 1e-3)), run=run_descent, checks=checks,
    constants={"max_increase": 0.0, "floor": 0.0},
    mutants=(Mutant("strict_decrease", "every block update decreases F by at least 0.1%", {"max_increase": -1e-3}),
             Mutant("positive_hidden", "hidden activations strictly positive (>= 1e-300)", {"floor": 1e-300})),
    figures=(Figure("objective_per_sweep", "F(x^t)/F(x^0) of BCD runs (synthetic and digits data).", draw),),
    search=SearchSpace(descent_strategy(st.one_of(st.just(0.0), st.floats(-4.0, 0.5).map(lambda x: 10.0**x))),
                       score, "largest relative increase of F per block / 1e-12", evaluate=run_descent,
                       budgets={"quick": 0, "standard": 60, "full": 400}),
)
