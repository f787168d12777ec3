r"""The normalised block step and its optimal value :math:`\eta = 1` (reconstructed).

Shin (2019), arXiv:1910.05874, abstract: an optimal learning rate that needs no prior
knowledge.  A second reading of it (the paper's formula was not available), built only from
spectral norms of the current :math:`A_j, B_j`: the step :math:`\eta\,m/(\|A\|_2^2\|B\|_2^2)`
with a dimensionless :math:`\eta`.  From the block quadratic
:math:`\varphi(t) = \ell - t\|G\|_F^2 + \frac{t^2}{2m}\|AGB\|_F^2` (see ``optimal_step_exact``)
and :math:`\|AGB\|_F \le \|A\|_2\|B\|_2\|G\|_F`:

.. math::
    \ell - \ell^+ \;\ge\; \frac{\eta(2-\eta)}{2}\,\frac{m\|G\|_F^2}{\|A\|_2^2\|B\|_2^2}
    \qquad\text{for the step } t = \frac{\eta\,m}{\|A\|_2^2\|B\|_2^2},

since :math:`\ell - \varphi(t) \ge t\|G\|^2 - \frac{t^2}{2m}\|A\|_2^2\|B\|_2^2\|G\|^2`.  The
bound is a concave parabola in :math:`\eta`: it is maximal at :math:`\eta = 1` (the
*optimal* rate for the bound) and positive exactly on :math:`0 < \eta < 2`.

Checked: SymPy (the bound's form, its argmax, the set where it is positive, its concavity)
and, on random instances, every block update of 3 sweeps against the guarantee, as
fractions of the current loss.  Constant ``half``: the :math:`\tfrac12` of the guarantee.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

from lintheory.arith import arithmetic
from lintheory.bcgd_analysis import normalised_guarantee
from lintheory.symbolic import shin2019 as sym
from lintheory.train import BlockStep, Normalised, Stop, bcgd
from proofs_check.checks import Bound, Check, Identity
from proofs_check.claim import Claim, Figure, Mutant, RunRecord
from proofs_check.claims.shin2019._common import (
    NORMALISED, SAFETY, latex_steps, param, random_instance, step_name, symbolic_row, u,
)

GRID = {p: [{"part": "symbolic"}] + [{"part": "numeric", "eta": eta, "rep": r} for eta in etas for r in range(reps)]
        for p, (etas, reps) in {"quick": ((0.25, 1.0, 1.9), 2), "standard": ((0.1, 0.25, 0.5, 1.0, 1.5, 1.9), 6),
                                "full": ((0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 1.9, 1.99), 20)}.items()}


def _symbolic() -> dict[str, Any]:
    dec = sym.normalised_decrease()
    (argmax,) = sp.solve(sp.diff(dec, sym.eta), sym.eta)
    stated = sym.eta * (2 - sym.eta) / 2 * sym.m * sym.G2 / (sym.A2 * sym.B2)
    return {"rows": [
        symbolic_row("decrease - eta(2-eta)/2 * m||G||^2/(||A||^2||B||^2)", dec - stated),
        symbolic_row("argmax_eta decrease - 1", argmax - 1),
        symbolic_row("{eta : decrease > 0} = (0, 2)", sp.solveset(dec > 0, sym.eta, sp.S.Reals) == sp.Interval.open(0, 2)),
        symbolic_row("d^2 decrease / d eta^2 < 0", bool(sp.ask(sp.Q.negative(sp.diff(dec, sym.eta, 2))))),
    ]}


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Every block update of 3 normalised sweeps: observed and guaranteed decrease, as fractions of the loss."""
    if param(params, "part", ("symbolic", "numeric")) == "symbolic":
        return _symbolic()
    eta = float(param(params, "eta"))
    if not 0 < eta < 2:
        raise ValueError(f"params['eta'] must lie in (0, 2), got {eta!r}")
    ar = arithmetic("float64")
    inst = random_instance(np.random.default_rng(seed), ar, step="normalised")
    step, m = Normalised(eta), inst.data.m
    blocks: list[tuple[float, float]] = []

    def on_block(s: BlockStep) -> None:
        blocks.append((normalised_guarantee(eta, s.G, s.A, s.B, m, ar) / s.loss_before,
                       (s.loss_before - s.loss_after) / s.loss_before))

    bcgd(inst.net, inst.data.problem(), step, order=inst.order, stop=Stop(max_iter=3), on_block=on_block)
    return {"blocks": blocks, "instance": {**inst.description, "step": step_name(step)},
            "allowed": SAFETY * inst.net.depth * u(ar)}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    c = 2 * float(k["half"])  # 1 at the stated 1/2
    rows: list[dict[str, Any]] = []
    by_eta: dict[float, list[float]] = {}
    for r in runs:
        if r.params["part"] == "numeric":
            worst = min(r.value["blocks"], key=lambda b: b[1] - c * b[0])
            slack = min(o / (c * g) for g, o in r.value["blocks"])
            rows.append({"params": {**r.params, **r.value["instance"]}, "predicted": c * worst[0],
                         "observed": worst[1], "allowed": r.value["allowed"], "slack": slack,
                         "blocks": len(r.value["blocks"])})
            by_eta.setdefault(r.params["eta"], []).append(slack)
    symbolic = [row for r in runs if r.params["part"] == "symbolic" for row in r.value["rows"]]
    series = {"eta": sorted(by_eta), "min_slack": [min(by_eta[e]) for e in sorted(by_eta)]}
    return [
        Identity(label="derivation", rows=symbolic, predicted="each residual simplifies to 0 (argmax eta = 1, "
                 "positive exactly on (0, 2))", observed="SymPy", arithmetic="sympy (exact)", reason="exact algebra"),
        Bound(label="guarantee", rows=rows, sense="lower",
              predicted=f"{NORMALISED}: decrease >= eta(2-eta) * {c / 2:g} * m||G||^2/(||A||_2^2||B||_2^2)",
              observed="loss decrease of the worst block update, as a fraction of the loss",
              reason=f"round-off of a difference of two losses: {SAFETY:g}*K*u", evidence={"series": series}),
    ]


def _draw(evidence: Mapping[str, Any], ax: Any) -> None:
    s = evidence["series"]
    ax.plot(s["eta"], s["min_slack"], "o-", label="min observed / guaranteed decrease")
    ax.axhline(1.0, color="k", ls="--", lw=0.8, label="the guarantee")
    ax.set_xlabel(r"$\eta$")
    ax.set_ylabel("slack")
    ax.legend(fontsize=8)


CLAIM = Claim(
    id="shin2019.optimal_step_normalised", paper="shin2019", level="reconstructed",
    source=("Shin (2019), abstract: an optimal learning rate needing no prior knowledge. Reconstructed (paper body "
            "unavailable): the spectral-norm step eta*m/(||A||^2||B||^2) and its guaranteed decrease, derived in "
            "this claim's file from the block quadratic and ||AGB|| <= ||A|| ||B|| ||G||"),
    title="Normalised block step eta*m/(||A||_2^2||B||_2^2): decrease >= eta(2-eta)/2 * m||G||^2/(..), best at eta=1",
    statement_latex=(r"\ell - \ell^+ \ge \frac{\eta(2-\eta)}{2}\,\frac{m\|G\|_F^2}{\|A\|_2^2\|B\|_2^2}"
                     r"\ \text{for the step}\ \frac{\eta\, m}{\|A\|_2^2\|B\|_2^2};\ "
                     r"\arg\max_\eta = 1;\ >0 \iff 0<\eta<2"),
    kind="bound", grid=GRID, run=run, checks=checks, constants={"half": 0.5},
    mutants=(Mutant("guarantee_x1.2", "the guarantee's 1/2 becomes 0.6", {"half": 0.6}),),
    symbolic=lambda: latex_steps("shin2019.normalised_step"),
    figures=(Figure("slack_vs_eta", "Smallest observed over guaranteed decrease per step size (1 is the bound).",
                    _draw),),
)
