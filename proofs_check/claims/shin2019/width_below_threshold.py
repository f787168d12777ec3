r"""Below the width threshold the loss stalls at the rank-limited optimum (reconstructed).

Shin (2019), arXiv:1910.05874, abstract: width matters only up to a threshold
(:math:`\max(d_x, d_y)` in arXiv v2).  What happens below it is not in the abstract; the
reconstruction: a hidden width :math:`n < \min(d_x, d_y)` caps the rank of
:math:`W_{L:1}` at :math:`n`, so BCGD can at best reach the best rank-:math:`n` map.  Writing
:math:`X = U\operatorname{diag}(s)V^\top` (:math:`V` with orthonormal columns),
:math:`\ell(E) - \ell^* = \frac1{2m}\|(E - W^*)X\|_F^2 = \frac12\|(E - W^*)S\|_F^2` with
:math:`S = (XX^\top/m)^{1/2}` and :math:`W^* = YX^+`; :math:`W^*S` has the singular values of
:math:`YV/\sqrt m`, and :math:`ES` has rank :math:`\le n` exactly when :math:`E` has, so
Eckart--Young gives

.. math::
    \min_{\operatorname{rank}E \le n} \ell(E) = \ell^* + \frac1{2m}\sum_{i>n}\sigma_i(YV)^2 .

Statement checked: exact-step BCGD from an orthogonal-like start (depth 5) stalls at that
value (its gap never goes below it, and where the gap stops moving it equals it).  Widths
between :math:`\min` and :math:`\max(d_x, d_y)` are reported, not judged.  Constant
``rank_offset`` (0): the plateau is the optimum of rank :math:`n + \text{rank\_offset}`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lintheory.inits import orthogonal_like
from lintheory.lsq import conditioned_data
from lintheory.train import Exact, Stop, bcgd
from proofs_check.checks import Check, Identity
from proofs_check.claim import Claim, Mutant, RunRecord
from proofs_check.claims.shin2019._common import SAFETY, U64, error_figure, latex_steps, param

_BELOW = ((5, 3, 2), (5, 3, 1), (4, 4, 2), (3, 5, 2), (4, 4, 3))
_BETWEEN = ((5, 3, 3), (5, 3, 4), (3, 5, 4))
MAX_SWEEPS, CHUNK, DEPTH = 6000, 25, 5


def grid(profile: str) -> list[dict[str, Any]]:
    reps = {"quick": 1, "standard": 3, "full": 10}[profile]
    kappas = (1.0, 10.0) if profile == "quick" else (1.0, 10.0, 100.0)
    out = [{"case": "below", "shape": list(s), "kappa": k, "rep": r} for s in _BELOW for k in kappas for r in range(reps)]
    return out + [{"case": "between", "shape": list(s), "kappa": 10.0, "rep": 0} for s in _BETWEEN]


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Exact-step BCGD in chunks of CHUNK sweeps until the gap stalls; the rank-limited gaps of every rank."""
    case = param(params, "case", ("below", "between"))
    d_x, d_y, n = (int(v) for v in param(params, "shape"))
    rng = np.random.default_rng(seed)
    data = conditioned_data(d_x, d_y, 8 * d_x, float(param(params, "kappa")), rng)
    net = orthogonal_like((d_x, *([n] * (DEPTH - 1)), d_y), rng)
    problem = data.problem()
    gaps: list[float] = []
    gap, sweeps, status, loss = float(data.gap(net.end_to_end())), 0, "max_iter", math.nan
    # the stall test is on the gap at its own round-off level: a test on the loss would stop while the
    # (much smaller) gap is still converging; between min(d) and max(d) the run is informational only
    while sweeps < (MAX_SWEEPS if case == "below" else MAX_SWEEPS // 6):
        _, net = bcgd(net, problem, Exact(), stop=Stop(max_iter=CHUNK),
                      on_block=lambda s: gaps.append(float(data.gap_of_residual(s.R))))
        sweeps += CHUNK
        previous, gap = gap, float(data.gap(net.end_to_end()))
        loss = float(problem.loss_of(net.end_to_end()))
        if abs(previous - gap) <= 10 * U64 * math.sqrt(loss / gap) * gap:
            status = "stalled"
            break
    return {"final_gap": gap, "by_rank": [float(data.rank_limited_gap(r)) for r in range(min(d_x, d_y) + 1)],
            "min_gap": min([*gaps, gap]), "status": status, "sweeps": sweeps, "loss_star": float(data.loss_star()),
            "final_loss": loss}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    rows, between = [], {}
    for r in runs:
        v, n = r.value, int(r.params["shape"][2])
        if r.params["case"] == "between":
            between[str(r.params["shape"])] = f"final gap {v['final_gap']:.2g} ({v['status']} at {v['sweeps']} sweeps)"
            continue
        pred = v["by_rank"][min(n + int(k["rank_offset"]), len(v["by_rank"]) - 1)]
        allowed = SAFETY * DEPTH * U64 * math.sqrt(v["final_loss"] * pred)  # u*sqrt(loss/gap)*gap
        err, below = abs(v["final_gap"] - pred), max(pred - v["min_gap"], 0.0)
        # a run stopped by max_iter is still moving: it decides only once it is within the tolerance
        decided = v["status"] == "stalled" or err <= allowed
        rows.append({"params": dict(r.params), "predicted": pred, "observed": v["final_gap"],
                     "error": max(err, below) if decided else math.nan, "allowed": allowed, "status": v["status"],
                     "sweeps": v["sweeps"], "plateau_over_loss_star": pred / v["loss_star"]})
    return [Identity(label="plateau", rows=rows,
                     predicted=f"stalled gap = (1/2m) sum_(i > n + {k['rank_offset']}) sigma_i(Y V)^2 (Eckart-Young), "
                               "never below it",
                     observed=f"gap (1/2m)||R P_X||^2 where exact-step BCGD stalls (change over {CHUNK} sweeps <= "
                              f"10*u*sqrt(loss/gap)*gap; at most {MAX_SWEEPS} sweeps), and its minimum along the run",
                     reason=f"round-off of the gap: {SAFETY:g}*L*u*sqrt(loss*gap), L = {DEPTH}",
                     evidence={"between_min_and_max": between})]


CLAIM = Claim(
    id="shin2019.width_below_threshold", paper="shin2019", level="reconstructed",
    source=("Shin (2019), abstract: width matters only up to a threshold. Below-threshold behaviour reconstructed "
            "(paper body unavailable): the rank-limited optimum by Eckart-Young, derived in this claim's file"),
    title="Width n < min(d_x,d_y): the loss plateaus at the rank-limited optimum (closed form)",
    statement_latex=(r"n < \min(d_x,d_y):\ \ell_\infty = \ell^* + \frac{1}{2m}\sum_{i>n}\sigma_i(YV)^2 "
                     r"= \ell^* + \tfrac12\sum_{i>n}\sigma_i\big(W^*(XX^\top/m)^{1/2}\big)^2"),
    kind="identity", grid=grid, run=run, checks=checks, constants={"rank_offset": 0},
    mutants=(Mutant("rank_plus_one", "the plateau is the optimum of rank n + 1", {"rank_offset": 1}),),
    symbolic=lambda: latex_steps("shin2019.rank_limited_optimum"),
    figures=(error_figure("plateau", "Distance of the stalled gap from the rank-limited optimum against the "
                          "round-off allowance."),),
)
