r"""Per sweep, deeper networks have a faster guaranteed convergence (reconstructed).

Shin (2019), arXiv:1910.05874, abstract (arXiv v2): "under some conditions, the deeper the
network is, the faster the convergence is guaranteed".  The paper's conditions were not
available; the reconstruction reads it through the per-sweep bound of
``block_contraction`` (exact step, so :math:`\eta = 1`):

.. math::
    \frac{\ell(\theta^{k+1}) - \ell^*}{\ell(\theta^k) - \ell^*} \le \prod_{j=1}^{L}\Big(1 - \frac{1}{\kappa_j^{(k)}}\Big):

one sweep of a depth-:math:`L` network multiplies the bound by :math:`L` factors below 1,
against one for depth 1, so while the :math:`\kappa_j` stay bounded the guaranteed
reduction per sweep grows with :math:`L`.  Checked: every sweep of every run satisfies the
bound; and the gap after 5 sweeps falls with :math:`L` (fitted slope of :math:`\log`
gap against :math:`\log L` at most ``max_slope`` = 0), on the same data and the same
starting end-to-end map for every depth (one orthogonal core lifted to depth :math:`L`,
width :math:`d = 4`).  The bound is attained where :math:`\kappa_j = 1` (whitened data: the
first exact step reaches the optimum, factor 0), so the grid holds near-whitened instances
(:math:`\kappa(XX^\top) \in \{1, 1.2\}`, bound only) where any larger guarantee fails.
Constants: ``guarantee_factor`` (1: the factors :math:`1 - c/\kappa_j` with :math:`c = 1`),
``max_slope`` (0).
"""

from __future__ import annotations

import math
import statistics
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from lintheory import fit
from lintheory.train import Exact
from proofs_check.checks import Bound, Check, Scaling
from proofs_check.claim import Claim, Figure, Mutant, RunRecord
from proofs_check.claims.shin2019._common import CONTRACTION_REASON, U64, contraction_rows, lifted_runs, param, record

D = 4
TREND_KAPPAS, TIGHT_KAPPAS = (10.0, 100.0, 1000.0), (1.0, 1.2)


def grid(profile: str) -> list[dict[str, Any]]:
    depths, reps = {"quick": ((1, 2, 4, 8, 16, 32, 64), 8), "standard": ((1, 2, 4, 8, 16, 32, 64), 16),
                    "full": ((1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64), 10)}[profile]
    trend = [{"kappa": k, "rep": r, "depths": list(depths), "sweeps": 5} for k in TREND_KAPPAS for r in range(reps)]
    return trend + [{"kappa": k, "rep": r, "depths": [1, 2, 4, 8], "sweeps": 3} for k in TIGHT_KAPPAS for r in range(2)]


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Exact-step BCGD from one starting end-to-end map at every depth: the block records and the
    relative gap after each sweep."""
    kappa, sweeps = float(param(params, "kappa")), int(param(params, "sweeps"))
    depths = [int(L) for L in param(params, "depths")]
    records = lifted_runs((D, D, 10 * D), kappa, depths, seed, {L: sweeps for L in depths}, Exact(), True)
    out = {}
    for L, recs in records.items():
        gap0 = recs[0].gap_before
        out[str(L)] = {"gaps": [1.0] + [r.gap_after / gap0 for r in recs[L - 1::L]],
                       "records": [record(r, Exact(), L, U64) for r in recs]}
    return {"depths": out}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    blocks, sweeps, series = [], [], {}
    for r in runs:
        for L, v in r.value["depths"].items():
            block, sweep = contraction_rows(v["records"], k, {"kappa": r.params["kappa"], "rep": r.params["rep"],
                                                              "L": int(L)})
            blocks.append(block)
            sweeps.append(sweep)
    factor = f"{k['guarantee_factor']:g}/kappa_j"
    out: list[Check] = [
        Bound(label="per sweep", rows=sweeps, predicted=f"gap ratio per sweep <= prod_j (1 - {factor}) (exact step)",
              observed="gap after / gap before, worst sweep of each (kappa, seed, L)", reason=CONTRACTION_REASON),
        Bound(label="per block", rows=blocks, sense="lower", predicted=f"each block removes >= {factor} of the gap",
              observed="(g - g+)/g, worst block of each (kappa, seed, L)", reason=CONTRACTION_REASON),
    ]
    for kappa in TREND_KAPPAS:
        group = [r for r in runs if r.params["kappa"] == kappa]
        if not group:
            continue
        xs, ys = [], []
        for r in group:
            # an exact zero gap is floored at the least normal float to keep its rank
            logs = {int(L): math.log(max(v["gaps"][-1], sys.float_info.min)) for L, v in r.value["depths"].items()}
            centre = statistics.fmean(logs.values())  # each seed has its own data: compare depths within a seed
            xs += [math.log(L) for L in logs]
            ys += [logs[L] - centre for L in logs]
        depths = sorted(int(L) for L in group[0].value["depths"])
        series[str(kappa)] = {str(L): [statistics.median(r.value["depths"][str(L)]["gaps"][i] for r in group)
                                       for i in range(len(group[0].value["depths"][str(L)]["gaps"]))] for L in depths}
        out.append(Scaling(label=f"depth trend kappa={kappa:g}", fit=fit.linear(xs, ys), expected=float(k["max_slope"]),
                           sense="at_most", predicted=f"slope of log(gap after the last sweep) vs log L <= "
                           f"{k['max_slope']:g}", observed="OLS slope, log gaps centred per seed",
                           reason="95% interval of the fit", evidence={"series": {"median_gaps": series}}))
    return out


def _draw(evidence: Mapping[str, Any], ax: Any) -> None:
    series = evidence["series"]["median_gaps"]
    kappa = "100.0" if "100.0" in series else next(iter(series))
    for L, gaps in series[kappa].items():
        ax.semilogy(range(len(gaps)), [max(g, sys.float_info.min) for g in gaps], marker="o", ms=3, label=f"L={L}")
    ax.set_xlabel("sweep k")
    ax.set_ylabel(r"median $(\ell_k - \ell^*)/(\ell_0 - \ell^*)$")
    ax.set_title(rf"$\kappa(XX^\top) = {float(kappa):g}$, exact step")
    ax.legend(fontsize=7, ncol=2)


CLAIM = Claim(
    id="shin2019.deeper_faster_per_sweep", paper="shin2019", level="reconstructed",
    source=("Shin (2019), abstract (arXiv v2): under some conditions a deeper network has a faster guaranteed "
            "convergence. Conditions and bound reconstructed (paper body unavailable): the per-sweep product "
            "prod_j (1 - 1/kappa_j) of the per-block contraction; reading and instances in this claim's file"),
    title="Per sweep, deeper networks reduce the gap faster; the product bound holds at every sweep",
    statement_latex=(r"\frac{\ell(\theta^{k+1}) - \ell^*}{\ell(\theta^k) - \ell^*} \le "
                     r"\prod_{j=1}^{L}\Big(1 - \frac{1}{\kappa_j^{(k)}}\Big),\qquad "
                     r"\ell(\theta^{k}) - \ell^* \ \text{decreasing in } L"),
    kind="scaling", grid=grid, run=run, checks=checks, constants={"guarantee_factor": 1.0, "max_slope": 0.0},
    mutants=(Mutant("guarantee_x1.2", "each factor becomes 1 - 1.2/kappa_j", {"guarantee_factor": 1.2}),
             Mutant("gap_like_1_over_L", "the gap after 5 sweeps falls at least like 1/L", {"max_slope": -1.0})),
    figures=(Figure("gap_vs_sweeps", "Median relative gap against sweeps for several depths (same data and "
                    "starting end-to-end map, exact step).", _draw),),
)
