r"""Conserved quantities of gradient flow from ZAS, and their drift under gradient descent
(reconstructed: the paper's lemmas were not available; this is the standard route to its
gradient-flow rate, which it reproduces exactly).

.. math:: \|A_LA_L^\top - I - W_{out}^\top W_{out}\|_F = O(\eta),\qquad A_{l+1}^\top A_{l+1} = A_lA_l^\top,
          \qquad \sigma_{\min}(P) \ge 1 - O(\eta),

with :math:`A_l = I + W_l`, :math:`P = A_L\cdots A_1`. Derivation: for any chain
:math:`B_{L+1}\cdots B_1` under the flow :math:`\dot B_l = -\nabla_{B_l}R`, the quantities
:math:`C_l = B_{l+1}^\top B_{l+1} - B_lB_l^\top` are conserved (the two gradient terms cancel:
:math:`B_{l+1}^\top\nabla_{B_{l+1}}R = (\nabla_{B_l}R)B_l^\top`). At ZAS, :math:`B_l = A_l = I` and
:math:`B_{L+1} = W_{out} = 0`, so :math:`C_l = 0` (blocks balanced) and :math:`C_L = -I`, i.e.
:math:`A_LA_L^\top = I + W_{out}^\top W_{out} \succeq I`. Balance gives
:math:`PP^\top = (A_LA_L^\top)^L`, hence :math:`\sigma_{\min}(P) \ge 1`. Under GD one step changes
:math:`C_l` by exactly :math:`\eta^2(G_{l+1}^\top G_{l+1} - G_lG_l^\top)` (the scalar case is derivation
``wu2019.flow_invariants``), so over the :math:`O(1/\eta)` steps of a run the drift
:math:`D = \max_t\|C_L + I\|_F` is :math:`O(\eta)`: a slope 1 in :math:`\eta` (next term :math:`O(\eta)`
relative, below 1e-3 here), and :math:`\sigma_{\min}(P) \ge (1 - D)^{L/2}`. From ZAS every block stays
equal and symmetric (exact reduction, module ``zas_iteration_bound``), so block balance is exactly 0
up to round-off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lintheory import fit
from proofs_check.checks import Bound, Identity, Scaling
from proofs_check.claim import Claim, Figure, Mutant, RunRecord
from proofs_check.claims.wu2019._common import (DIAGNOSTIC_SPACE, L_NOTE, diagnostic_cells, diagnostic_engine_rows,
                                                diagnostics, engine_check, symbolic)
from proofs_check.search.space import SearchSpace


def grid(profile: str) -> list[dict[str, Any]]:
    return diagnostic_cells(profile, (0, 1, 2, 3))


def _instance(r: RunRecord) -> tuple[int, float, int]:
    return r.params["d"], r.params["phi_fro"], r.params["L"]


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Any]:
    out: list[Any] = []
    rows, floors, drift_rows, curves = [], [], [], []
    for key in sorted({_instance(r) for r in runs}):
        group = sorted((r for r in runs if _instance(r) == key), key=lambda r: r.value["eta"])
        d, phi, L = key
        etas = [r.value["eta"] for r in group]
        drift = [r.value["reduced"]["max_output_balance"] for r in group]
        out.append(Scaling(label=f"drift order (d={d}, ||Phi||_F={phi:g}, L={L})", fit=fit.power_law(etas, drift),
                           expected=k["drift_order"], tol=0.05,
                           predicted=f"max_t ||A_L A_L^T - I - W_out^T W_out||_F ~ eta^{k['drift_order']:g}",
                           observed="log-log slope of the every-step maximum (reduction) against eta",
                           reason="the next term of the drift is O(eta) relative, < 1e-3 on these steps"))
        curves.append({"label": f"d={d}, ||Phi||={phi:g}, L={L}", "eta": etas, "drift": drift})
        for r in group:
            v = r.value
            params = {"d": d, "phi_fro": phi, "L": L, "eta": v["eta"]}
            D = v["reduced"]["max_output_balance"]
            rows.append({"params": params, "predicted": 0.0, "observed": v["full"]["max_block_balance"]})
            floors.append({"params": params, "predicted": (1.0 - D) ** (L / 2),
                           "observed": min(v["reduced"]["min_sigma_min_P"], v["full"]["min_sigma_min_P"])})
            drift_rows.append({"params": params, "predicted": D * (1 + 1e-6) + 1e-14,
                               "observed": v["full"]["max_output_balance"], "drift_over_eta": D / v["eta"],
                               "L_counts_output_layer": False})
    return out + [
        Identity(label="block balance", rows=rows, atol=1e-10,
                 predicted="A_{l+1}^T A_{l+1} = A_l A_l^T (exactly conserved from ZAS: equal symmetric blocks)",
                 observed="max_t max_l ||A_{l+1}^T A_{l+1} - A_l A_l^T||_F at ~100 checkpoints (full network)",
                 reason="float64 round-off of L products of d x d matrices near I"),
        Bound(label="sigma_min(P) floor", rows=floors, sense="lower", atol=1e-12,
              predicted="sigma_min(P) >= (1 - max D)^(L/2)", observed="min_t sigma_min(P) (reduction and full net)",
              reason="float64 round-off of sigma_min near 1"),
        Bound(label="engine: full-network drift within the reduction's", rows=drift_rows, level="sourced",
              predicted="max D over ~100 checkpoints <= max D over every step (same iterates)",
              observed="max D at the full network's checkpoints",
              reason="the two agree to round-off: 1e-6 relative + 1e-14",
              evidence={"convention": L_NOTE, "series": {"curves": curves}}),
        engine_check(diagnostic_engine_rows(runs), "iterations to eps"),
    ]


def draw(evidence: Mapping[str, Any], ax: Any) -> None:
    for s in evidence.get("series", {}).get("curves", []):
        ax.loglog(s["eta"], s["drift"], "o-", ms=4, label=s["label"])
        ax.loglog(s["eta"], [s["drift"][-1] * e / s["eta"][-1] for e in s["eta"]], "k:", lw=0.7)
    ax.set_xlabel("eta")
    ax.set_ylabel("max_t ||A_L A_L^T - I - W_out^T W_out||_F")
    ax.legend(fontsize=6)


def search_score(value: Mapping[str, Any]) -> float:
    """max(block balance / 1e-10, (1 - max D)^(L/2) / min sigma_min(P))."""
    sigma = min(value["reduced"]["min_sigma_min_P"], value["full"]["min_sigma_min_P"])
    floor = (1.0 - value["reduced"]["max_output_balance"]) ** (value["L"] / 2)
    return max(value["full"]["max_block_balance"] / 1e-10, (floor - 1e-12) / sigma if sigma > 0 else float("inf"))


CLAIM = Claim(
    id="wu2019.zas_invariants",
    paper="wu2019",
    level="reconstructed",
    source=("Reconstructed (the paper's lemmas were not available): the conserved quantities of gradient flow for "
            "a deep linear chain, specialised to ZAS, and their O(eta) drift under GD; derivation in the module "
            "docstring"),
    title="Along GD from ZAS, A_L A_L^T - I - W_out^T W_out drifts by O(eta), the blocks stay balanced, "
          "sigma_min(P) >= 1 - O(eta)",
    statement_latex=(r"\|A_LA_L^\top - I - W_{out}^\top W_{out}\|_F = O(\eta),\quad "
                     r"A_{l+1}^\top A_{l+1} = A_lA_l^\top,\quad \sigma_{\min}(P) \ge 1 - O(\eta)"),
    kind="invariant",
    grid=grid,
    run=diagnostics,
    checks=checks,
    constants={"drift_order": 1},
    mutants=(Mutant("drift_quadratic", "the drift is O(eta^2) (the exponent 1 becomes 2)", {"drift_order": 2}),),
    symbolic=symbolic("wu2019.flow_invariants", "wu2019.zas_balance", "wu2019.scalar_reduction"),
    figures=(Figure("invariant_drift", "Largest drift of A_L A_L^T - I - W_out^T W_out along GD from ZAS against "
                    "the step (dotted: slope 1).", draw),),
    search=SearchSpace(DIAGNOSTIC_SPACE, search_score,
                       "max(block balance / 1e-10, (1 - max D)^(L/2) / min sigma_min(P))",
                       seeded=False, budgets={"quick": 0, "standard": 30, "full": 200}),
)
