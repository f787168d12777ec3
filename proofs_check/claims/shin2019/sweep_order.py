r"""Ascending and descending sweeps both satisfy the theory but give different trajectories (reconstructed).

Shin (2019), arXiv:1910.05874, abstract: layer-wise training updates one layer at a time; the
order of the layers within a sweep is not stated in the abstract.  Reconstruction: nothing
in the per-block contraction (``block_contraction``) or the one-update optimum on whitened
data (``one_sweep_global_optimum``) uses the order, since each argument is about the block
being updated, with the others at their latest values; so both orders must satisfy them.
The trajectories differ in general for non-whitened data (the blocks see different
:math:`A_j, B_j`).  Checked on one instance per seed (:math:`d_x = 5`, :math:`d_y = 3`,
:math:`L = 4`, width 6, orthogonal-like start, 6 sweeps, :math:`\kappa(XX^\top) \in \{1.2, 10, 100\}`;
near-whitened data puts the first block at :math:`\kappa_j \approx 1.2`, where the guarantee
nearly binds).  Constant ``guarantee_factor`` (1)
of the per-block guarantee :math:`c\,\eta(2-\eta)/\kappa_j`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lintheory.bcgd_analysis import BlockRecorder
from lintheory.inits import orthogonal_like
from lintheory.lsq import conditioned_data
from lintheory.train import Stop, bcgd
from proofs_check.checks import Bound, Check, Identity
from proofs_check.claim import Claim, Mutant, RunRecord
from proofs_check.claims.shin2019._common import (
    CONTRACTION_REASON, ORDERS, SAFETY, U64, contraction_rows, param, record, slack_figure, step_rule,
)

GRID = {p: [{"kappa": k, "step": st, "rep": r} for k in (1.2, 10.0, 100.0) for st in ("exact", "normalised")
            for r in range(reps)] for p, reps in {"quick": 2, "standard": 6, "full": 20}.items()}


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Both orders on one instance: block records, the gap after each sweep, and the first-update gap on
    whitened data."""
    kappa = float(param(params, "kappa"))
    step = step_rule(param(params, "step", ("exact", "normalised")))
    rng = np.random.default_rng(seed)
    data, whitened = conditioned_data(5, 3, 40, kappa, rng), conditioned_data(5, 3, 40, 1.0, rng)
    net = orthogonal_like((5, 6, 6, 6, 3), rng)
    out: dict[str, Any] = {}
    for order in ORDERS:
        rec = BlockRecorder(data, step)
        bcgd(net, data.problem(), step, order=order, stop=Stop(max_iter=6), on_block=rec)
        white = BlockRecorder(whitened, step, kappa=False)
        bcgd(net, whitened.problem(), step, order=order, stop=Stop(max_iter=1), on_block=white)
        out[order] = {"records": [record(r, step, net.depth, U64) for r in rec.records],
                      "gaps": [r.gap_after for r in rec.records][net.depth - 1::net.depth],
                      "whitened_first_gap": white.records[0].gap_after / white.records[0].loss_before}
    return out


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    blocks, sweeps, shots, differ, ratios = [], [], [], [], []
    for r in runs:
        for order in ORDERS:
            block, sweep = contraction_rows(r.value[order]["records"], k, {**r.params, "order": order})
            blocks.append(block)
            sweeps.append(sweep)
            shots.append({"params": {**r.params, "order": order}, "predicted": 0.0,
                          "observed": r.value[order]["whitened_first_gap"], "allowed": SAFETY * 4 * U64})
        asc, desc = r.value["ascending"]["gaps"], r.value["descending"]["gaps"]
        ratios.append(asc[-1] / desc[-1])
        differ.append({"params": dict(r.params), "predicted": SAFETY * U64, "ratio_asc_over_desc": ratios[-1],
                       "observed": max(abs(a - d) / d for a, d in zip(asc, desc, strict=True))})
    geo = math.exp(statistics.fmean(math.log(x) for x in ratios))
    return [
        Bound(label="per block", rows=blocks, sense="lower", reason=CONTRACTION_REASON,
              predicted=f"both orders: each block removes >= {k['guarantee_factor']:g}*eta(2-eta)/kappa_j of the gap",
              observed="(g - g+)/g, worst block per order"),
        Bound(label="per sweep", rows=sweeps, reason=CONTRACTION_REASON,
              predicted=f"both orders: gap ratio per sweep <= prod_j (1 - {k['guarantee_factor']:g}*eta(2-eta)/kappa_j)",
              observed="gap ratio, worst sweep per order"),
        Identity(label="whitened one update", rows=shots, predicted="both orders: gap = 0 after the first update on "
                 "whitened data", observed="gap/loss0 after the first update", reason=f"round-off: {SAFETY:g}*L*u"),
        Bound(label="trajectories differ", rows=differ, sense="lower",
              predicted=f"max relative difference of the gaps after each sweep > {SAFETY:g}*u (round-off level)",
              observed="max_k |gap_asc(k) - gap_desc(k)| / gap_desc(k)", reason="the round-off level itself",
              evidence={"gap_ratio_asc_over_desc": {"geometric_mean": geo, "min": min(ratios), "max": max(ratios)}}),
    ]


CLAIM = Claim(
    id="shin2019.sweep_order", paper="shin2019", level="reconstructed",
    source=("Shin (2019), abstract: layer-wise training updates one layer at a time (order not stated). "
            "Reconstructed (paper body unavailable): the per-block arguments do not use the order, so both "
            "ascending and descending sweeps satisfy them; argument in this claim's file"),
    title="Ascending and descending sweeps both satisfy the theory but give different trajectories",
    statement_latex=(r"\text{ascending and descending sweeps: per-block and per-sweep bounds and the whitened "
                     r"one-update optimum hold; trajectories differ}"),
    kind="invariant", grid=GRID, run=run, checks=checks, constants={"guarantee_factor": 1.0},
    mutants=(Mutant("guarantee_x1.2", "the guaranteed fraction times 1.2", {"guarantee_factor": 1.2}),),
    figures=(slack_figure("per sweep", "Observed over predicted gap ratio per sweep, worst sweep of each instance "
                          "and order (the bound is 1)."),),
)
