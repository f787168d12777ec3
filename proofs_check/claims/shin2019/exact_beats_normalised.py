r"""From the same state, the exact step never does worse than the normalised step with eta = 1 (reconstructed).

Shin (2019), arXiv:1910.05874, abstract: the optimal learning rate makes the loss decrease
fastest.  Reconstruction (paper body unavailable): both step rules of this package move
:math:`W_j` along :math:`-G_j`; the exact step :math:`\eta^* = m\|G\|_F^2/\|AGB\|_F^2`
minimises the block quadratic :math:`\varphi(t) = \ell(W_j - tG)` over all :math:`t`
(``optimal_step_exact``), so it is at least as good as any other step along :math:`-G`, in
particular the normalised step :math:`t_1 = m/(\|A\|_2^2\|B\|_2^2)`:

.. math::
    \ell - \varphi(\eta^*) \;\ge\; \rho\,\big(\ell - \varphi(t_1)\big), \qquad \rho = 1 .

Equality holds when :math:`AGB` is a top singular direction of the block map (then
:math:`t_1 = \eta^*`), so :math:`\rho = 1` cannot be raised.  Checked from the state of
every block update of random runs (3 sweeps).  Constant ``rho`` (stated 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lintheory.arith import arithmetic
from lintheory.bcgd_analysis import exact_step_prediction
from lintheory.train import BlockStep, Stop, bcgd
from proofs_check.checks import Bound, Check
from proofs_check.claim import Claim, Mutant, RunRecord
from proofs_check.claims.shin2019._common import SAFETY, param, random_instance, slack_figure, u

GRID = {p: [{"batch": b} for b in range(n)] for p, n in {"quick": 3, "standard": 10, "full": 40}.items()}
PER_RUN = 10


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """PER_RUN random instances: per block update the decreases of both steps from the same state."""
    param(params, "batch")
    ar, rng = arithmetic("float64"), np.random.default_rng(seed)
    out = []
    for i in range(PER_RUN):
        inst = random_instance(rng, ar)
        m, blocks = inst.data.m, []

        def on_block(s: BlockStep) -> None:
            AGB = ar.matmul(ar.matmul(s.A, s.G), s.B)
            eta_star, _ = exact_step_prediction(s.G, AGB, m, ar)
            eta_one = m / (ar.spectral_norm(s.A) ** 2 * ar.spectral_norm(s.B) ** 2)
            after = [ar.frob_sq(ar.sub(ar.matmul(ar.matmul(s.A, ar.sub(s.F_before, ar.scale(eta, s.G))), s.B),
                                       inst.data.Y)) / (2 * m) for eta in (eta_star, eta_one)]
            blocks.append([float(s.loss_before - after[0]), float(s.loss_before - after[1]), float(s.loss_before)])

        bcgd(inst.net, inst.data.problem(), inst.step, order=inst.order, stop=Stop(max_iter=3), on_block=on_block)
        out.append({"params": {"instance": i, **inst.description}, "blocks": blocks,
                    "allowed_rel": SAFETY * inst.net.depth * u(ar)})
    return {"instances": out}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    rho, rows = float(k["rho"]), []
    for r in runs:
        for inst in r.value["instances"]:
            # decrease(exact) >= rho * decrease(eta = 1) - allowance; keep each instance's worst block
            exact, one, loss = min(inst["blocks"], key=lambda b: b[0] - rho * b[1] + inst["allowed_rel"] * b[2])
            ratios = [b[0] / b[1] for b in inst["blocks"] if b[1] > 0]
            rows.append({"params": {**r.params, **inst["params"]}, "predicted": rho * one, "observed": exact,
                         "allowed": inst["allowed_rel"] * loss, "slack": exact / (rho * one) if one > 0 else None,
                         "min_advantage": min(ratios, default=None), "blocks": len(inst["blocks"])})
    return [Bound(label="exact >= normalised", rows=rows, sense="lower",
                  predicted=f"decrease of the exact step >= {rho:g} * decrease of the normalised step (eta = 1)",
                  observed="decrease of the exact step from the same state, worst block of each instance",
                  reason=f"round-off of two losses: {SAFETY:g}*K*u*loss")]


CLAIM = Claim(
    id="shin2019.exact_beats_normalised", paper="shin2019", level="reconstructed",
    source=("Shin (2019), abstract: the optimal learning rate makes the loss decrease fastest. Reconstructed (paper "
            "body unavailable): the exact step minimises the block quadratic along -G, so it beats the normalised "
            "step with eta = 1 from the same state (argument in this claim's file)"),
    title="From the same state, the exact step never does worse than the normalised step with eta = 1",
    statement_latex=r"\ell(W_j - \eta^* G) \le \ell\big(W_j - \tfrac{m}{\|A\|_2^2\|B\|_2^2} G\big)",
    kind="bound", grid=GRID, run=run, checks=checks, constants={"rho": 1.0},
    mutants=(Mutant("advantage_5pct", "the exact step removes at least 1.05 times the normalised step's decrease",
                    {"rho": 1.05}),),
    figures=(slack_figure("exact >= normalised", "Decrease of the exact step over the normalised step's (eta = 1), "
                          "worst block of each instance; the statement is >= 1."),),
)
