r"""Wu, Wang, Ma (NeurIPS 2019), abstract and GD theorem (number unknown; constants as a later paper
restates them): from ZAS, gradient descent reaches :math:`R \le \varepsilon` in

.. math:: T(\varepsilon) = O(L^3\log(1/\varepsilon)),\qquad \eta = \min\Big\{\frac{1}{4L^3\xi^6},
          \frac{1}{144L^2\xi^4}\Big\},\quad \xi = \max\{2\|\Phi\|_F, 3L^{-1/2}, 1\}.

Where the :math:`L^3` comes from, and what is checked. The theorem's count is
:math:`T \le \log(R(0)/\varepsilon)/(-\log(1-\eta/2)) \approx (2/\eta)\log(R(0)/\varepsilon)`: the depth
enters **only through the step**. Where :math:`L\xi^2 \ge 36` the first term of the min binds
(the two are equal at :math:`L\xi^2 = 36`, derivation ``wu2019.crossover``), :math:`\eta \propto L^{-3}`
and :math:`T \approx 8L^3\xi^6\log(R(0)/\varepsilon)`. So the old check "the fitted exponent of
:math:`T` at the theorem's step is at most 3" is close to automatic (:math:`T \approx c/\eta` with
:math:`\eta \propto L^{-3}`); it is kept as a **consistency** check without power against a
weaker statement, and it refutes the mutant "O(L^2)".

The check with power measures the depth exponent at a step that does not scale with L:
:math:`\eta_0 = \eta(L_{\max})` for every :math:`L \le L_{\max}` of a sweep. Since :math:`\eta(L)` decreases
in :math:`L`, :math:`\eta_0` satisfies the theorem's hypothesis at every depth of the sweep, so the
theorem (sourced part) gives the **L-independent** bound
:math:`T(L, \eta_0) \le \lceil\log(R(0)/\varepsilon)/(-\log(1-\eta_0/2))\rceil`. Reconstructed: the
exponent of :math:`T(L,\eta_0)` in :math:`L` is at most 0, because in the exact reduction (module
``zas_iteration_bound``) each singular direction converges at the linear rate
:math:`\eta(a^{2L} + Lw^2a^{2L-2})` with :math:`a^2 = 1 + w^2` at the limit, which grows with :math:`L`.

A step :math:`\propto L^{-2}` (the mutation of the step that an earlier version could not catch) is
not declared as a mutant: it is **true** in the runs (the fixed-step exponent is negative, and the
edge-of-stability observation finds stable steps :math:`\propto 1/L`), so no check can refute it;
the :math:`L^{-3}` is a sufficient condition of the proof, not a necessity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lintheory import fit
from lintheory import zas as Z
from lintheory.zas_reduced import reduced_gd, singular_targets
from proofs_check.checks import Bound, Scaling
from proofs_check.claim import Claim, Figure, Mutant, RunRecord
from proofs_check.claims.wu2019._common import L_NOTE, STEP_RULE, depth_axis, loss0, pick, symbolic, target


def grid(profile: str) -> list[dict[str, Any]]:
    ds = pick(profile, (2,), (2, 3))
    theorem = pick(profile, {2.0: (4, 6, 8, 10), 0.5: (2, 4, 8, 16)},
                   {1.0: (12, 16, 24, 32, 48, 64), 2.0: (4, 6, 8, 12, 16, 24), 0.5: (2, 4, 8, 16, 32), 1.5: (2, 3, 4)})
    fixed = pick(profile, {0.5: (2, 4, 8, 16)}, {0.5: (2, 4, 8, 16, 32, 64), 1.0: (2, 4, 8, 16)})
    budget = pick(profile, 30_000_000, 600_000_000)
    cells = [{"d": d, "phi_fro": phi, "L": L, "step": "theorem", "L_step": L}
             for phi, Ls in theorem.items() for L in Ls for d in ds]
    cells += [{"d": d, "phi_fro": phi, "L": L, "step": "fixed", "L_step": max(Ls)}
              for phi, Ls in fixed.items() for L in Ls for d in ds]
    cells = [{**c, "eps": 1e-4, "target_seed": 0, "budget": budget} for c in cells]
    return sorted(cells, key=lambda c: Z.step_size(c["L_step"], c["phi_fro"]))


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    d, phi, L, eps = params["d"], params["phi_fro"], params["L"], params["eps"]
    Phi = target(d, phi, params["target_seed"])
    eta = Z.step_size(params["L_step"], phi)
    red = reduced_gd(singular_targets(Phi), L, eta, eps=eps, max_iter=params["budget"], history=2)
    return {"eta": eta, "xi": Z.xi(phi, L), "regime": Z.binding_term(L, phi),
            "predicted": Z.predicted_iterations(loss0(Phi), eps, eta), "status": red.status,
            "observed": red.iterations}


def grouped_power_law(groups: Mapping[Any, tuple[Sequence[float], Sequence[float]]]) -> fit.PowerLawFit:
    r"""Common exponent of several power laws with their own prefactors:
    :math:`\log y_{gi} = a_g + p\log x_{gi}` by least squares, 95% interval of :math:`p` from Student's t
    with :math:`n - (\#\text{groups} + 1)` degrees of freedom."""
    from scipy import stats

    names = list(groups)
    rows, values = [], []
    for j, name in enumerate(names):
        for xv, yv in zip(*groups[name]):
            row = [0.0] * (len(names) + 1)
            row[j], row[-1] = 1.0, math.log(xv)
            rows.append(row)
            values.append(math.log(yv))
    A, b = np.array(rows), np.array(values)
    n, k = A.shape
    if n <= k:
        raise ValueError(f"need more points ({n}) than parameters ({k}) for a grouped power law")
    coef, *_ = np.linalg.lstsq(A, b, rcond=None)
    resid = b - A @ coef
    cov = float(resid @ resid) / (n - k) * np.linalg.inv(A.T @ A)
    half = float(stats.t.ppf(0.975, n - k)) * math.sqrt(max(cov[-1, -1], 0.0))
    sst = float(np.sum((b - b.mean()) ** 2))
    p = float(coef[-1])
    return fit.PowerLawFit(p, float(np.mean(coef[:-1])), (p - half, p + half),
                           1.0 - float(resid @ resid) / sst if sst > 0 else 1.0, n)


def _groups(runs: Sequence[RunRecord], step: str, regime: str | None) -> dict[str, tuple[list[int], list[int]]]:
    out: dict[str, tuple[list[int], list[int]]] = {}
    for r in sorted(runs, key=lambda r: r.params["L"]):
        v, p = r.value, r.params
        if p["step"] == step and v["status"] == "converged" and (regime is None or v["regime"] == regime):
            Ls, Ts = out.setdefault(f"d={p['d']}, ||Phi||_F={p['phi_fro']:g}", ([], []))
            Ls.append(p["L"])
            Ts.append(v["observed"])
    return {g: pts for g, pts in out.items() if len(pts[0]) >= 2}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Any]:
    fixed = [r for r in runs if r.params["step"] == "fixed" and r.value["status"] == "converged"]
    rows = [{"params": {"d": r.params["d"], "phi_fro": r.params["phi_fro"], "L": r.params["L"]},
             "step": f"eta(L={r.params['L_step']}) = {r.value['eta']:.3g}", "predicted": r.value["predicted"],
             "observed": r.value["observed"], "slack": r.value["observed"] / r.value["predicted"],
             "L_counts_output_layer": False} for r in sorted(fixed, key=lambda r: (r.params["phi_fro"], r.params["L"]))]
    fixed_groups = _groups(runs, "fixed", None)
    cubic = _groups(runs, "theorem", "L^3")
    other = {g: fit.power_law(*pts).as_dict() for g, pts in _groups(runs, "theorem", "L^2").items() if len(pts[0]) >= 3}
    series = [{"label": f"{g}, fixed step", "L": pts[0], "observed": pts[1], "style": "fixed"}
              for g, pts in fixed_groups.items()]
    series += [{"label": f"{g}, theorem's step", "L": pts[0], "observed": pts[1], "style": "theorem"}
               for g, pts in _groups(runs, "theorem", None).items()]
    over = [dict(r.params) for r in runs if r.value["status"] != "converged"]
    return [
        Bound(label="fixed step: T bounded in L", rows=rows, atol=1.0, level="sourced",
              predicted="T(L, eta0) <= ceil(log(R0/eps) / -log(1 - eta0/2)) for every L <= L_max, "
                        "eta0 = eta(L_max) (the theorem at a step valid for every depth of the sweep)",
              observed="first t with R(t) <= eps (exact reduction)", reason="float64 evaluation of the ceiling",
              evidence={"convention": L_NOTE, "over_budget": over, "series": {"groups": series}}),
        Scaling(label="fixed step: depth exponent", fit=grouped_power_law(fixed_groups),
                expected=k["fixed_step_exponent"], sense="at_most",
                predicted=f"T(L, eta0) grows at most like L^{k['fixed_step_exponent']:g} at a fixed step",
                observed="common exponent p of log T = a_(d,||Phi||) + p log L at eta0 = eta(L_max)",
                reason="95% interval of the grouped least-squares fit"),
        Scaling(label="theorem's step: exponent <= depth power", fit=grouped_power_law(cubic),
                expected=k["depth_power"], sense="at_most", role="consistency",
                predicted=f"T = O(L^{k['depth_power']:g} log 1/eps) where L xi^2 >= 36",
                observed="common exponent p of log T = a_(d,||Phi||) + p log L over the cells with L xi^2 >= 36",
                reason="consistency only: the step is itself ~ L^-3 there and T ~ 1/eta, so p <= 3 cannot fail "
                       "unless the rate falls with depth (which the fixed-step exponent tests)",
                evidence={"other_regime": other}),
    ]


def draw(evidence: Mapping[str, Any], ax: Any) -> None:
    groups = evidence.get("series", {}).get("groups", [])
    for i, s in enumerate(groups):
        ax.plot(s["L"], s["observed"], "o-" if s["style"] == "fixed" else "s:", ms=4, color=f"C{i % 10}",
                label=s["label"])
    ax.set_yscale("log")
    depth_axis(ax, [L for s in groups for L in s["L"]])
    ax.set_ylabel("observed iterations to R <= 1e-4")
    ax.legend(fontsize=5)


CLAIM = Claim(
    id="wu2019.zas_depth_exponent",
    paper="wu2019",
    level="reconstructed",
    source=(STEP_RULE + ". Sourced: T = O(L^3 log 1/eps) and its bound at any step below the rule. Reconstructed: "
            "the regime split L xi^2 = 36 (derived, wu2019.crossover) and the prediction that at a step fixed "
            "across depths the iterations do not grow with L (derivation in the module docstring)"),
    title="From ZAS the depth enters only through the step: at a fixed step T does not grow with L; at the "
          "theorem's step T = O(L^3)",
    statement_latex=(r"T(L, \eta_0) \le \Big\lceil\frac{\log(R(0)/\varepsilon)}{-\log(1-\eta_0/2)}\Big\rceil,\ "
                     r"T(L,\eta_0) = O(L^0)\ \ (\eta_0 = \eta(L_{\max}));\quad L\xi^2 \ge 36:\ "
                     r"T(L, \eta(L)) = O(L^3\log(1/\varepsilon))"),
    kind="scaling",
    grid=grid,
    run=run,
    checks=checks,
    constants={"depth_power": 3, "fixed_step_exponent": 0},
    mutants=(
        Mutant("quadratic", "T = O(L^2) at the theorem's step (the exponent 3 becomes 2)", {"depth_power": 2}),
        Mutant("rate_linear_in_depth", "at a fixed step T falls like 1/L (the exponent 0 becomes -1)",
               {"fixed_step_exponent": -1}),
    ),
    symbolic=symbolic("wu2019.crossover", "wu2019.iterations_leading_order"),
    figures=(Figure("depth_exponent", "Observed iterations from ZAS against L: at a step fixed across depths "
                    "(solid) and at the theorem's step, which shrinks like L^-3 where L xi^2 >= 36 (dotted).",
                    draw),),
)
