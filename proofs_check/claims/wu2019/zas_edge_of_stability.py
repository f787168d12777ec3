r"""The toolkit's own observation (not a claim of the paper): how loose the theorem's :math:`L^3` is.

.. math:: \eta^*(L) \propto L^{-1},\qquad T(\eta^*/2) = O(L) \ll L^3\qquad (\|\Phi\|_F = 3,\ d = 2),

where :math:`\eta^*` is the largest step on the grid :math:`0.9\cdot 2^{-k/2}` such that it and every
smaller grid step converge from ZAS on the full network within the cap. Why :math:`1/L` is
plausible (reconstructed, not proven): near the limit point each singular direction contracts by
:math:`1 - \eta(a^{2L} + Lw^2a^{2L-2})` per step (exact reduction, module ``zas_iteration_bound``), and
the curvature term :math:`Lw^2a^{2L-2}` grows linearly in :math:`L` at fixed :math:`\Phi`, so the stable
range shrinks like :math:`1/L`, not :math:`1/L^3`. The theorem's step must lie below :math:`\eta^*`.
Pitfall avoided: with :math:`\|\Phi\|_F \le 1` and :math:`\eta = 1`, GD solves the problem in one step
(:math:`W_{out} \leftarrow \eta\Phi` from ZAS), hence :math:`\|\Phi\|_F = 3`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from lintheory import fit
from lintheory import zas as Z
from proofs_check.checks import Condition, Scaling
from proofs_check.claim import Claim, Figure, Mutant, RunFailed, RunRecord
from proofs_check.claims.wu2019._common import L_NOTE, depth_axis, full_zas, loss0, pick, target


def grid(profile: str) -> list[dict[str, Any]]:
    Ls = pick(profile, (4, 8, 16), (2, 4, 8, 16, 32, 64))
    cap = pick(profile, 30_000, 100_000)
    return [{"d": 2, "phi_fro": 3.0, "L": L, "eps": 1e-6, "target_seed": 0, "max_iter": cap} for L in Ls]


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Steps 0.9 * 2^(-k/2) from small to large, until the first that does not converge within the cap."""
    L = params["L"]
    Phi = target(params["d"], params["phi_fro"], params["target_seed"])
    k = math.ceil(2 * math.log2(0.9 * L / 0.02))  # start where eta L ~ 0.02, far inside the stable range
    scan = []
    while k >= 0:
        eta = 0.9 * 2 ** (-k / 2)
        r = full_zas(Phi, L, eta, eps=params["eps"], max_iter=params["max_iter"], history=2)
        scan.append({"eta": eta, "status": r.status, "iterations": r.iterations, "loss": r.loss})
        if r.status != "converged":
            break
        k -= 1
    stable = [s for s in scan if s["status"] == "converged"]
    if len(stable) < 3:
        raise RunFailed(f"fewer than 3 stable steps below the first unstable one ({scan[-1]})")
    eta_thm = Z.step_size(L, params["phi_fro"])
    return {"scan": scan, "eta_star": stable[-1]["eta"], "T_star": stable[-1]["iterations"],
            "T_half": stable[-3]["iterations"], "eta_half": stable[-3]["eta"], "eta_theorem": eta_thm,
            "T_pred_theorem": Z.predicted_iterations(loss0(Phi), params["eps"], eta_thm),
            "first_unstable": scan[-1] if scan[-1]["status"] != "converged" else None}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Any]:
    rows = sorted(({"params": {"d": r.params["d"], "phi_fro": r.params["phi_fro"], "L": r.params["L"]},
                    "eta_star": r.value["eta_star"], "eta_star_L": r.value["eta_star"] * r.params["L"],
                    "first_unstable": (f"{r.value['first_unstable']['status']} at eta L = "
                                       f"{r.value['first_unstable']['eta'] * r.params['L']:.3g}"
                                       if r.value["first_unstable"] else "none up to 0.9"),
                    "T_at_eta_star": r.value["T_star"], "T_at_eta_half": r.value["T_half"],
                    "eta_theorem": r.value["eta_theorem"], "T_pred_theorem": r.value["T_pred_theorem"],
                    "L_counts_output_layer": False} for r in runs), key=lambda row: row["params"]["L"])
    Ls = [r["params"]["L"] for r in rows]
    series = {"L": Ls, "eta_star": [r["eta_star"] for r in rows], "T_half": [r["T_at_eta_half"] for r in rows],
              "T_star": [r["T_at_eta_star"] for r in rows], "T_pred": [r["T_pred_theorem"] for r in rows]}
    worst = max(r["eta_theorem"] / r["eta_star"] for r in rows)
    return [
        Scaling(label="eta* ~ L^-1", fit=fit.power_law(Ls, series["eta_star"]), expected=k["step_exponent"], tol=0.15,
                predicted=f"largest stable step eta* ~ L^{k['step_exponent']:g}",
                observed="exponent of eta* (grid 0.9 * 2^(-k/2)) against L",
                reason="the step grid has ratio 2^(1/2): 0.15 of slack on the exponent",
                evidence={"table": rows, "convention": L_NOTE, "series": {"edge": series}}),
        Scaling(label="T(eta*/2) vs L", fit=fit.power_law(Ls, series["T_half"]), expected=1.0, sense="at_most",
                predicted="iterations at eta*/2 grow at most like L (far below the theorem's L^3)",
                observed="exponent of the iterations to 1e-6 at the grid step two below eta*",
                reason="95% interval of the fit"),
        Condition(label="theorem's step stable", ok=worst <= 1, summary=f"eta_theorem / eta* <= {worst:.3g}",
                  predicted="eta_theorem <= eta*", observed="eta* against the theorem's step",
                  tolerance="exact comparison"),
    ]


def draw(evidence: Mapping[str, Any], ax: Any) -> None:
    s = evidence.get("series", {}).get("edge")
    if not s:
        return
    ax.plot(s["L"], s["T_half"], "o-", ms=4, label="iterations at eta*/2")
    ax.plot(s["L"], s["T_star"], "s:", ms=4, label="iterations at eta*")
    ax.plot(s["L"], s["T_pred"], "k--", lw=0.8, label="theorem's predicted T at its own step")
    ax.set_yscale("log")
    depth_axis(ax, s["L"])
    ax2 = ax.twinx()
    ax2.plot(s["L"], s["eta_star"], "^-", color="C3", ms=4, label="eta* (right axis)")
    ax2.set_yscale("log")
    ax2.set_ylabel("largest stable step eta*")
    ax.set_ylabel("iterations to R <= 1e-6")
    ax.legend(fontsize=6, loc="upper left")
    ax2.legend(fontsize=6, loc="lower left")


CLAIM = Claim(
    id="wu2019.zas_edge_of_stability",
    paper="wu2019",
    level="observation",
    source=("The toolkit's own observation, not a claim of Wu, Wang, Ma (NeurIPS 2019): how loose the theorem's "
            "L^3 is in practice; the 1/L heuristic is reconstructed in the module docstring"),
    title="Largest stable step from ZAS scales like 1/L, and iterations there grow far slower than L^3",
    statement_latex=(r"\eta^*(L) \propto L^{-1},\qquad T(\eta^*/2) = O(L) \ll L^3 \ \ "
                     r"(\text{observation}, \|\Phi\|_F = 3)"),
    kind="scaling",
    grid=grid,
    run=run,
    checks=checks,
    constants={"step_exponent": -1},
    mutants=(Mutant("theorem_like_step", "eta* ~ L^-3, as the theorem's step (the exponent -1 becomes -3)",
                    {"step_exponent": -3}),),
    figures=(Figure("edge_of_stability", "From ZAS (||Phi||_F = 3, d = 2): the largest stable step eta* (right) and "
                    "the iterations at eta* and eta*/2, against the theorem's predicted count at its own step "
                    "(toolkit's observation).", draw),),
)
