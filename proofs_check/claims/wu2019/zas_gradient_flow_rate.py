r"""Wu, Wang, Ma (NeurIPS 2019), convergence theorem for gradient flow from ZAS (theorem number
unknown; statement as a later paper restates it): for any :math:`\Phi`,

.. math:: R(\tau) \le e^{-2\tau}R(0),\qquad \frac{d\log R}{d\tau}\Big|_{\tau = 0} = -2\ \ (\Phi = \alpha I,\ \alpha > 1).

Checked on gradient descent with small steps, :math:`\tau = \eta t`. Reconstructed: along the flow
:math:`d\log R/d\tau = -\|\nabla R\|^2/R \le -2` by the PL inequality (module ``zas_pl_inequality``), so
the bound holds with local slope at most :math:`-2`; under GD the same holds step by step up to
:math:`O(\eta)` (the measured ratio :math:`\|\nabla R\|^2/(2R)` stays at least 1). The envelope
:math:`R(t) \le e^{-2\eta t}R(0)` at every step is equivalent to :math:`2\eta \le
\min_{t\ge1}\tfrac1t\log(R(0)/R(t))`, measured at every step by the exact reduction; the share
:math:`s = 2\eta/\min_t(\ldots) \le 1` is tight: GD's first step from ZAS gives exactly
:math:`R(1) = (1-\eta)^2R(0)`, so :math:`s = 2\eta/(-2\log(1-\eta)) = 1 - \eta/2 + O(\eta^2)`. The first-step
slope :math:`(\log R(1) - \log R(0))/\eta = 2\log(1-\eta)/\eta = -2 - \eta + O(\eta^2)` tends to :math:`-2`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import mpmath
import numpy as np

from lintheory import zas as Z
from lintheory.zas_reduced import reduced_gd, singular_targets
from proofs_check.checks import Bound, Identity
from proofs_check.claim import Claim, Figure, Mutant, RunFailed, RunRecord
from proofs_check.claims.wu2019._common import L_NOTE, full_zas, loss0, pick, symbolic, target


def grid(profile: str) -> list[dict[str, Any]]:
    # alpha_identity: Phi = alpha I with alpha = ||Phi||_F / sqrt(d) > 1 (the case where 2 is tight)
    instances = pick(profile, [(2, 1.0, 2, "random"), (2, 1.5, 4, "alpha_identity")],
                     [(2, 1.0, 2, "random"), (3, 1.0, 8, "random"), (2, 1.5, 4, "alpha_identity"),
                      (3, 1.8, 2, "alpha_identity")])
    return [{"d": d, "phi_fro": phi, "L": L, "target": kind, "halving": j, "eps": 1e-6, "target_seed": 0}
            for d, phi, L, kind in instances for j in (0, 2, 4)]


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    d, L = params["d"], params["L"]
    Phi = (np.eye(d) * (params["phi_fro"] / math.sqrt(d)) if params["target"] == "alpha_identity"
           else target(d, params["phi_fro"], params["target_seed"]))
    # the theorem's GD step for ||Phi||_F, then halved: the small-step limit is approached along eta -> 0
    eta = Z.step_size(L, params["phi_fro"]) / 2 ** params["halving"]
    red = reduced_gd(singular_targets(Phi), L, eta, eps=params["eps"], max_iter=10**9, history=400)
    if red.status != "converged":
        raise RunFailed(f"the reduction did not converge: {red.status} after {red.iterations} steps")
    ctx = mpmath.MPContext()
    ctx.dps = 50
    R0 = loss0(Phi)
    one_step = full_zas(Phi, L, eta, eps=1e-300, max_iter=1, history=2)
    return {
        "eta": eta, "iterations": red.iterations, "min_decay": red.min_decay,
        "min_gradient_ratio": red.min_gradient_ratio,
        "initial_slope_gd": math.log(one_step.loss / one_step.loss0) / eta,
        "initial_slope_gd_exact": float(2 * ctx.log(1 - ctx.mpf(eta)) / ctx.mpf(eta)),
        "tau": [int(t) * eta for t in red.history_t], "log_ratio": [math.log(x / R0) for x in red.history_loss],
    }


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Any]:
    rate = k["flow_rate"]
    env, local, first, limit, curves = [], [], [], [], []
    groups: dict[tuple, list[RunRecord]] = {}
    for r in runs:
        groups.setdefault((r.params["d"], r.params["phi_fro"], r.params["L"], r.params["target"]), []).append(r)
    for (d, phi, L, kind), group in sorted(groups.items()):
        group.sort(key=lambda r: r.value["eta"])
        for r in group:
            v = r.value
            params = {"d": d, "phi_fro": phi, "L": L, "target": kind, "eta": v["eta"]}
            s = rate * v["eta"] / v["min_decay"] if v["min_decay"] > 0 else math.inf
            env.append({"params": params, "predicted": 1.0, "observed": s, "slack": s, "L_counts_output_layer": False})
            local.append({"params": params, "predicted": rate, "observed": 2 * v["min_gradient_ratio"]})
            first.append({"params": params, "predicted": v["initial_slope_gd_exact"], "observed": v["initial_slope_gd"],
                          "error": abs(v["initial_slope_gd"] - v["initial_slope_gd_exact"]) - 16 * 2.0**-53 / v["eta"]})
        smallest = group[0].value
        limit.append({"params": {"d": d, "phi_fro": phi, "L": L, "target": kind, "eta": smallest["eta"]},
                      "predicted": -rate, "observed": smallest["initial_slope_gd"]})
        curves.append({"label": f"d={d}, ||Phi||={phi:g}, L={L}, {kind}, eta={smallest['eta']:.2g}",
                       "tau": smallest["tau"], "log_ratio": smallest["log_ratio"]})
    return [
        Bound(label="envelope", rows=env, rtol=1e-6,
              predicted=f"R(t) <= exp(-{rate:g} eta t) R(0) at every step, i.e. s = {rate:g} eta / "
                        "min_t log(R(0)/R(t))/t <= 1",
              observed="s, minimum over every step (reduction)",
              reason="log R(t) to ~1e-14 absolute against log(R(0)/R(t)) >= 2 eta t: < 1e-6 relative",
              evidence={"convention": L_NOTE, "series": {"curves": curves}}),
        Bound(label="local slope", rows=local, sense="lower", atol=1e-12,
              predicted=f"-d log R / d tau = ||grad R||^2 / R >= {rate:g} at every step",
              observed="2 min_t ||grad R||^2 / (2R) (reduction, every step)", reason="float64 round-off of the ratio"),
        Identity(label="first GD step", rows=first, atol=1e-9,
                 predicted="(log R(1) - log R(0)) / eta = 2 log(1 - eta) / eta exactly (R(1) = (1 - eta)^2 R(0))",
                 observed="float64 full network, one step, against mpmath at 50 digits",
                 reason="float64 log of a ratio 1 - O(eta): 16 u / eta (subtracted from the error) + 1e-9"),
        Identity(label="initial slope -> -2", rows=limit, rtol=1e-3,
                 predicted=f"d log R / d tau at tau = 0 is -{rate:g} (the flow's rate is attained)",
                 observed="first-step slope at the smallest eta", reason="GD's first step is -2 - eta + O(eta^2)"),
    ]


def draw(evidence: Mapping[str, Any], ax: Any) -> None:
    top = 0.0
    for s in evidence.get("series", {}).get("curves", []):
        ax.plot(s["tau"], s["log_ratio"], lw=1.2, label=s["label"])
        top = max(top, max(s["tau"]))
    ax.plot([0, top], [0, -2 * top], "k--", lw=0.8, label="slope -2 (the gradient-flow theorem)")
    ax.set_xlabel("tau = eta t")
    ax.set_ylabel("log R(t)/R(0)")
    ax.legend(fontsize=5)


CLAIM = Claim(
    id="wu2019.zas_gradient_flow_rate",
    paper="wu2019",
    level="reconstructed",
    source=("Wu, Wang, Ma (NeurIPS 2019), gradient-flow theorem from ZAS, R(tau) <= exp(-2 tau) R(0), as a later "
            "paper restates it (the paper's body and theorem number were not available); checked on GD at small "
            "steps, with the step-by-step form and the first-step identity reconstructed (module docstring)"),
    title="Small-step limit from ZAS: log R falls at least at rate 2 in tau = eta t, exactly 2 at tau = 0",
    statement_latex=r"R(\tau) \le e^{-2\tau}R(0),\qquad \frac{d\log R}{d\tau}\Big|_{\tau=0} = -2",
    kind="bound",
    grid=grid,
    run=run,
    checks=checks,
    constants={"flow_rate": 2},
    mutants=(Mutant("rate_2_1", "R(tau) <= exp(-2.1 tau) R(0) (the rate 2 raised by 5%)", {"flow_rate": 2.1}),),
    symbolic=symbolic("wu2019.flow_rate"),
    figures=(Figure("flow_rate", "log R(t)/R(0) against tau = eta t from ZAS at the smallest step, with the "
                    "gradient-flow bound -2 tau.", draw),),
)
