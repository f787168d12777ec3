r"""The exact block step: the learning rate that makes the loss decrease fastest (reconstructed).

Shin (2019), arXiv:1910.05874, abstract: BCGD comes with an *optimal learning rate*, "the
one that makes the loss decrease fastest", which needs no prior knowledge.  The paper's
formula was not available; this is the reconstruction.  In :math:`W_j` alone the loss is a
convex quadratic, :math:`\ell(W_j) = \frac1{2m}\|AW_jB - Y\|_F^2`.  Along :math:`-G`
(:math:`G = \frac1m A^\top RB^\top`), expanding the square and using
:math:`\langle R, AGB\rangle = \operatorname{tr}(R^\top AGB) = \operatorname{tr}((A^\top RB^\top)^\top G) = m\|G\|_F^2`:

.. math::
    \varphi(\eta) = \ell(W_j - \eta G) = \ell - \eta\|G\|_F^2 + \frac{\eta^2}{2m}\|AGB\|_F^2,

so :math:`\varphi'' = \|AGB\|_F^2/m > 0`, the minimiser is
:math:`\eta^* = m\|G\|_F^2/\|AGB\|_F^2` and the decrease is
:math:`\ell - \varphi(\eta^*) = \tfrac12\, m\|G\|_F^4/\|AGB\|_F^2`.

Checked: the SymPy derivation (:mod:`lintheory.symbolic.shin2019`) and the inner-product
identity on generic symbolic matrices; on random instances (float64 and mpmath at 50
digits) the loss after the trainer's exact step against the prediction, the identity
numerically, and (float64) a bounded Brent line search of :math:`\varphi` against
:math:`\eta^*`.  Constants: ``half`` (the :math:`\tfrac12` of the decrease) and
``eta_scale`` (1: the line search finds :math:`\eta^*` itself).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp
from scipy.optimize import minimize_scalar

from lintheory.arith import arithmetic
from lintheory.bcgd_analysis import exact_step_prediction
from lintheory.symbolic import shin2019 as sym
from lintheory.train import BlockStep, Stop, bcgd
from proofs_check.checks import Check, Identity
from proofs_check.claim import Claim, Mutant, RunRecord
from proofs_check.claims.shin2019._common import SAFETY, error_figure, latex_steps, param, random_instance, symbolic_row, u

GRID = {p: ([{"part": "symbolic"}] + [{"part": "numeric", "arith": "float64", "rep": r} for r in range(reps)]
            + [{"part": "numeric", "arith": "mpmath:dps=50", "rep": r} for r in range(mp_reps)])
        for p, (reps, mp_reps) in {"quick": (4, 1), "standard": (20, 3), "full": (100, 10)}.items()}


def _symbolic(half: float) -> dict[str, Any]:
    step = sym.exact_step()
    c = sp.Rational(str(half))
    rows = [symbolic_row(f"<R,AGB>/m - ||G||^2 on generic {shape} matrices (A, B, R)",
                         sym.inner_product_identity(*shape)) for shape in ((1, 1, 1, 1), (2, 3, 2, 4), (3, 2, 3, 2))]
    rows.append(symbolic_row("eta* - m||G||^2/||AGB||^2", step.eta_star - sym.m * sym.G2 / sym.AGB2))
    rows.append(symbolic_row(f"decrease - {half:g} m||G||^4/||AGB||^2", step.decrease - c * sym.m * sym.G2**2 / sym.AGB2))
    rows.append(symbolic_row("phi'' > 0", bool(sp.ask(sp.Q.positive(step.curvature)))))
    return {"rows": rows}


def _line_search(s: BlockStep, Y: np.ndarray, m: int, eta_star: float) -> float:
    """argmin over t of (1/2m)||A (F - tG) B - Y||^2 by bounded Brent search in float64."""
    A, B, F, G = (np.asarray(M, dtype=np.float64) for M in (s.A, s.B, s.F_before, s.G))

    def phi(t: float) -> float:
        return float(np.sum((A @ (F - t * G) @ B - Y) ** 2)) / (2 * m)

    res = minimize_scalar(phi, bounds=(0.0, 3.0 * eta_star), method="bounded",
                          options={"xatol": 1e-12 * eta_star, "maxiter": 500})
    return float(res.x)


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Exact step on random instances: the worst block of each numeric check (2 sweeps)."""
    if param(params, "part", ("symbolic", "numeric")) == "symbolic":
        return _symbolic(float(params["half"]))
    ar = arithmetic(param(params, "arith"))
    inst = random_instance(np.random.default_rng(seed), ar, step="exact")
    data, m, depth = inst.data, inst.data.m, inst.net.depth
    Y = ar.to_numpy(data.Y)
    factor = ar.number(2 * float(params["half"]))  # 1 at the stated 1/2, exactly
    allowed = SAFETY * depth * u(ar)
    worst: dict[str, dict[str, Any]] = {}

    def keep(check: str, row: dict[str, Any]) -> None:
        if check not in worst or row["error"] - row["allowed"] > worst[check]["error"] - worst[check]["allowed"]:
            worst[check] = row

    def on_block(s: BlockStep) -> None:
        AGB = ar.matmul(ar.matmul(s.A, s.G), s.B)
        eta_star, decrease = exact_step_prediction(s.G, AGB, m, ar)
        predicted = s.loss_before - factor * decrease
        keep("loss after exact step", {"predicted": ar.to_float(predicted), "observed": ar.to_float(s.loss_after),
                                       "error": ar.to_float(abs(s.loss_after - predicted) / s.loss_before),
                                       "allowed": allowed})
        inner, g2 = ar.dot(s.R, AGB) / ar.number(m), ar.frob_sq(s.G)
        keep("<R,AGB>/m = ||G||^2", {"predicted": ar.to_float(g2), "observed": ar.to_float(inner),
                                     "error": ar.to_float(abs(inner - g2) / g2), "allowed": allowed})
        if ar.name == "float64":
            found = _line_search(s, Y, m, float(eta_star))
            # a float64 line search resolves a minimiser only to ~sqrt(u * loss / decrease) relative
            tol = 1e-6 + 10 * math.sqrt(u(ar) * float(s.loss_before) / float(decrease))
            keep("line-search argmin = eta*", {"predicted": float(eta_star), "observed": found,
                                               "error": abs(found - eta_star) / eta_star, "allowed": tol})

    bcgd(inst.net, data.problem(), inst.step, order=inst.order, stop=Stop(max_iter=2), on_block=on_block)
    return {"rows": [{"params": {**params, **inst.description, "check": check}, **row} for check, row in worst.items()]}


def _rows(runs: Sequence[RunRecord], part: str, check: str | None = None) -> list[dict[str, Any]]:
    return [row for r in runs for row in r.value["rows"]
            if row["params"]["part"] == part and check in (None, row["params"]["check"])]


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    s = float(k["eta_scale"])
    search = [{**row, "predicted": s * row["predicted"],
               "error": abs(row["observed"] - s * row["predicted"]) / (s * row["predicted"])}
              for row in _rows(runs, "numeric", "line-search argmin = eta*")]
    arith = ", ".join(sorted({r.params["arith"] for r in runs if r.params.get("part") == "numeric"}))
    return [
        Identity(label="derivation", rows=_rows(runs, "symbolic"), predicted="each residual simplifies to 0",
                 observed="SymPy simplification", arithmetic="sympy (exact)", reason="exact algebra"),
        Identity(label="decrease", rows=_rows(runs, "numeric", "loss after exact step"),
                 predicted=f"loss after = loss - {2 * k['half']:g} * m||G||^4/(2||AGB||^2)",
                 observed="loss after the trainer's exact step (relative to the loss)", arithmetic=arith,
                 reason=f"round-off of a depth-K product: {SAFETY:g}*K*u"),
        Identity(label="inner product", rows=_rows(runs, "numeric", "<R,AGB>/m = ||G||^2"), predicted="<R,AGB>/m = ||G||^2",
                 observed="both sides, relative difference", arithmetic=arith,
                 reason=f"round-off of a depth-K product: {SAFETY:g}*K*u"),
        Identity(label="line search", rows=search, predicted=f"argmin of phi = {s:g} * eta*",
                 observed="bounded Brent line search of phi (float64)",
                 reason="a float64 minimiser is resolved to 1e-6 + 10*sqrt(u*loss/decrease) relative"),
    ]


CLAIM = Claim(
    id="shin2019.optimal_step_exact", paper="shin2019", level="reconstructed",
    source=("Shin (2019), abstract: an optimal learning rate that makes the loss decrease fastest and needs no prior "
            "knowledge. Formula reconstructed (paper body unavailable): exact minimisation of the block quadratic "
            "along the gradient, derived in this claim's file"),
    title="Exact block step: eta* = m||G||^2/||AGB||^2 with decrease m||G||^4/(2||AGB||^2)",
    statement_latex=(r"\ell(W_j - \eta G) = \ell - \eta\|G\|_F^2 + \tfrac{\eta^2}{2m}\|AGB\|_F^2,\quad "
                     r"\eta^* = \frac{m\|G\|_F^2}{\|AGB\|_F^2},\quad "
                     r"\ell - \ell^+ = \frac{m\|G\|_F^4}{2\|AGB\|_F^2},\quad "
                     r"\langle R, AGB\rangle/m = \|G\|_F^2"),
    kind="identity", grid=GRID, run=run, checks=checks,
    constants={"half": 0.5, "eta_scale": 1.0}, run_constants=("half",),
    mutants=(Mutant("decrease_x1.2", "the decrease's 1/2 becomes 0.6", {"half": 0.6}),
             Mutant("eta_star_x1.1", "the optimal step is 1.1 eta*", {"eta_scale": 1.1})),
    symbolic=lambda: latex_steps("shin2019.exact_step"),
    figures=(error_figure("decrease", "Relative error of the predicted loss after the exact step against its round-off allowance (worst block of each instance)."),),
)
