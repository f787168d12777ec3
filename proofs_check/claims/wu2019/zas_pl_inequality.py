r"""A Polyak-Lojasiewicz inequality along gradient descent from ZAS (reconstructed: the paper's
lemmas were not available; this is the inequality that yields its gradient-flow rate).

.. math:: \|\nabla R\|^2 \ge \|\nabla_{W_{out}}R\|_F^2 \ge 2\sigma_{\min}(P)^2R \ge (2 - O(\eta))R,
          \qquad \|\nabla R(0)\|^2 = 2R(0).

Derivation: with :math:`E = W_{out}P - \Phi`, :math:`\nabla_{W_{out}}R = EP^\top`, so
:math:`\|\nabla_{W_{out}}R\|_F^2 = \mathrm{tr}(E\,P^\top P\,E^\top) \ge \sigma_{\min}(P)^2\|E\|_F^2 =
2\sigma_{\min}(P)^2R`: the output layer alone carries the inequality, whatever :math:`\Phi` is (no
positivity needed), as long as the residual blocks stay non-degenerate; ``zas_invariants`` gives
:math:`\sigma_{\min}(P) \ge (1 - D)^{L/2}` with a drift :math:`D = O(\eta)`. At ZAS every block gradient
carries the factor :math:`W_{out} = 0`, so :math:`\|\nabla R(0)\|^2 = \|\Phi\|_F^2 = 2R(0)` exactly: the
constant 2 cannot be raised (derivation ``wu2019.zas_pl_equality``). The Arb certificate encloses
both sides at the iterate after 20 GD steps (at :math:`t = 0` equality holds, which a ball
certificate cannot certify).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from lintheory import zas as Z
from lintheory.certify import sigma_min_enclosure
from lintheory.inits import zas
from lintheory.kernels import gd_float64
from lintheory.nets import Problem, deep_linear, loss_and_gradients
from proofs_check.checks import Bound, Identity
from proofs_check.claim import Claim, Figure, Mutant, RunRecord
from proofs_check.claims.wu2019._common import (DIAGNOSTIC_SPACE, L_NOTE, diagnostic_cells, diagnostic_engine_rows,
                                                diagnostics, engine_check, symbolic, target)
from proofs_check.search.space import CertificateSpec, SearchSpace

PL_STEPS = 20


def grid(profile: str) -> list[dict[str, Any]]:
    return diagnostic_cells(profile, (0, 2))


def _params(r: RunRecord) -> dict[str, Any]:
    return {"d": r.params["d"], "phi_fro": r.params["phi_fro"], "L": r.params["L"], "eta": r.value["eta"]}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Any]:
    c = k["pl_constant"]
    pl, grad, t0 = [], [], []
    for r in runs:
        v = r.value
        ratio = min(v["reduced"]["min_pl_ratio"], v["full"]["min_pl_ratio"])  # ||grad R||^2 / (2 sigma^2 R)
        pl.append({"params": _params(r), "predicted": c / 2, "observed": ratio, "slack": ratio / (c / 2),
                   "L_counts_output_layer": False})
        grad.append({"params": _params(r), "predicted": (1.0 - v["reduced"]["max_output_balance"]) ** r.params["L"],
                     "observed": min(v["reduced"]["min_gradient_ratio"], v["full"]["min_gradient_ratio"])})
        t0.append({"params": {**_params(r), "arithmetic": "float64"}, "predicted": c / 2,
                   "observed": v["t0"]["gradient_ratio"]})
        t0.append({"params": {**_params(r), "arithmetic": "mpmath:dps=50"}, "predicted": c / 2,
                   "observed": 1.0 + v["t0_mpmath_gradient_ratio_minus_1"],
                   "error": abs(1.0 - c / 2) + v["t0_mpmath_gradient_ratio_minus_1"]})
    series = {"eta": [row["params"]["eta"] for row in pl], "pl": [row["observed"] for row in pl],
              "gradient": [row["observed"] for row in grad], "label": [f"d={row['params']['d']}, L={row['params']['L']}"
                                                                       for row in pl]}
    return [
        Bound(label="PL along the run", rows=pl, sense="lower", rtol=1e-12,
              predicted=f"||grad R||^2 >= {c:g} sigma_min(P)^2 R at every step",
              observed="min_t ||grad R||^2 / (2 sigma_min(P)^2 R): every step (reduction), ~100 checkpoints (full net)",
              reason="float64 round-off of the ratio", evidence={"convention": L_NOTE, "series": {"pl": series}}),
        Bound(label="gradient floor", rows=grad, sense="lower", atol=1e-12,
              predicted="||grad R||^2 / (2R) >= (1 - max D)^L = 1 - O(eta)", observed="min_t ||grad R||^2 / (2R)",
              reason="float64 round-off of the ratio"),
        Identity(label="equality at t = 0", rows=t0, atol=1e-14,
                 predicted=f"||grad R(0)||^2 / (2R(0)) = {c / 2:g} (the constant is attained at ZAS)",
                 observed="the ratio at ZAS in float64, and in mpmath at 50 digits",
                 reason="a few units of float64 round-off of ||Phi||_F^2 (< 1e-14); the mpmath row is exact to 1e-45"),
        engine_check(diagnostic_engine_rows(runs), "iterations to eps"),
    ]


def draw(evidence: Mapping[str, Any], ax: Any) -> None:
    s = evidence.get("series", {}).get("pl", {})
    if not s:
        return
    ax.semilogx(s["eta"], [x - 1 for x in s["pl"]], "o", ms=5, label="min_t ||grad R||^2/(2 sigma_min(P)^2 R) - 1")
    ax.semilogx(s["eta"], [x - 1 for x in s["gradient"]], "s", ms=4, mfc="none",
                label="min_t ||grad R||^2/(2R) - 1")
    ax.axhline(0.0, color="k", ls="--", lw=0.8, label="the bound (equality at t = 0)")
    ax.set_xlabel("eta")
    ax.set_ylabel("ratio - 1")
    ax.legend(fontsize=6)


def search_score(value: Mapping[str, Any]) -> float:
    """The worst of PL ratio, gradient floor and t = 0 errors over their tolerances."""
    red, full = value["reduced"], value["full"]
    pl = min(red["min_pl_ratio"], full["min_pl_ratio"])
    gradient = min(red["min_gradient_ratio"], full["min_gradient_ratio"])
    floor = (1.0 - red["max_output_balance"]) ** value["L"]
    return max((1 - 1e-12) / pl if pl > 0 else math.inf, (floor - 1e-12) / gradient if gradient > 0 else math.inf,
               abs(value["t0"]["gradient_ratio"] - 1) / 1e-14, value["t0_mpmath_gradient_ratio_minus_1"] / 1e-45)


def pl_inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The factors (I + W_l, W_out) after ``PL_STEPS`` GD steps from ZAS at the run's step size."""
    Phi = target(params["d"], params["phi_fro"], params["target_seed"])
    eta = Z.step_size(params["L"], params["phi_fro"]) / 2 ** params["halving"]
    net = zas(Phi.shape[1], params["L"], Phi.shape[0])
    k = gd_float64(net.factors, net.trainable, Phi, eta, eps=None, max_iter=PL_STEPS, history=2)
    return {**{f"F{j}": F for j, F in enumerate(k.factors)}, "Phi": Phi}


def pl_check(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r""":math:`2\sigma_{\min}(P)^2 R \le \|\nabla R\|^2` (gradients in every block and the output layer)."""
    factors = [x[f"F{j}"] for j in range(sum(1 for key in x if key.startswith("F")))]
    value, grads = loss_and_gradients(deep_linear(factors, ar), Problem.whitened(x["Phi"], ar))
    P_blocks = ar.identity(ar.shape(factors[0])[1])
    for F in factors[:-1]:
        P_blocks = ar.matmul(F, P_blocks)
    sigma = sigma_min_enclosure(P_blocks, ar.prec)
    return 2 * sigma**2 * value, sum((ar.frob_sq(g) for g in grads), ar.number(0))


CLAIM = Claim(
    id="wu2019.zas_pl_inequality",
    paper="wu2019",
    level="reconstructed",
    source=("Reconstructed (the paper's lemmas were not available): the output layer alone carries a PL "
            "inequality, ||grad R||^2 >= 2 sigma_min(P)^2 R, with equality at ZAS; derivation in the module "
            "docstring"),
    title="Along GD from ZAS: ||grad R||^2 >= 2 sigma_min(P)^2 R >= (2 - O(eta)) R, with equality at t = 0",
    statement_latex=(r"\|\nabla R\|^2 \ge \|\nabla_{W_{out}}R\|_F^2 \ge 2\sigma_{\min}(P)^2 R \ge (2 - O(\eta))R,"
                     r"\qquad \|\nabla R(0)\|^2 = 2R(0)"),
    kind="bound",
    grid=grid,
    run=diagnostics,
    checks=checks,
    constants={"pl_constant": 2},
    mutants=(Mutant("pl_constant_2_5", "||grad R||^2 >= 2.5 sigma_min(P)^2 R (the constant 2 raised)",
                    {"pl_constant": 2.5}),),
    symbolic=symbolic("wu2019.zas_pl_equality"),
    figures=(Figure("pl_ratios", "Smallest PL ratio ||grad R||^2/(2 sigma_min(P)^2 R) and gradient ratio "
                    "||grad R||^2/(2R) along each run, minus 1, against the step (0 = the bound, attained at t = 0).",
                    draw),),
    search=SearchSpace(DIAGNOSTIC_SPACE, search_score,
                       "worst of PL ratio, gradient floor and t = 0 errors over their tolerances",
                       seeded=False, budgets={"quick": 0, "standard": 30, "full": 200}),
    certificate=CertificateSpec(pl_inputs, pl_check, "<=",
                                f"||grad R||^2 >= 2 sigma_min(P)^2 R at the iterate after {PL_STEPS} GD steps from ZAS"),
)
