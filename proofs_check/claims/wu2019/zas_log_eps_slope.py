r"""Wu, Wang, Ma (NeurIPS 2019), GD theorem (number unknown; constants as a later paper restates
them), read as a statement about the accuracy: with :math:`R(t) \le (1-\eta/2)^tR(0)`,

.. math:: T(\varepsilon) \le \frac{\log R(0) + \log(1/\varepsilon)}{-\log(1-\eta/2)},\qquad
          \frac{dT}{d\log(1/\varepsilon)} \le \frac{1}{-\log(1-\eta/2)} \approx \frac{2}{\eta}.

Reconstructed: the local slopes :math:`(T(\varepsilon_{i+1}) - T(\varepsilon_i))/\log(\varepsilon_i/\varepsilon_{i+1})`
are at most the bound's slope, and :math:`T` is affine in :math:`\log(1/\varepsilon)` once the fast
singular directions have converged (:math:`\varepsilon \le 10^{-6}`): the exact reduction (module
``zas_iteration_bound``) is then a linear recursion in the slowest direction, contracting by
:math:`1 - \eta(a^{2L} + Lw^2a^{2L-2})` per step, so its slope tends to
:math:`1/(-\log(1 - 2\eta\lambda))` with :math:`\lambda \ge 1`. Counts are computed on the full network,
through the reduction in float64, and through the reduction in mpmath (60 digits) below float64's
reach; the three must agree (engine cross-check).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from lintheory import fit
from lintheory import zas as Z
from lintheory.zas_reduced import reduced_gd, reduced_gd_mp, singular_targets
from proofs_check.checks import Bound, Condition
from proofs_check.claim import Claim, Figure, Mutant, RunRecord
from proofs_check.claims.wu2019._common import L_NOTE, STEP_RULE, engine_check, full_zas, pick, symbolic, target

EPS_F64 = tuple(10.0**-k for k in range(2, 11))
EPS_MP = tuple(10.0**-k for k in range(2, 41, 2))
TAIL_EPS = 1e-6  # linearity is judged on eps <= 1e-6, past the transient where the fast directions finish


def grid(profile: str) -> list[dict[str, Any]]:
    instances = pick(profile, [(2, 1.0, 2)], [(2, 1.0, 2), (3, 1.0, 4), (5, 0.5, 8)])
    cells = [{"d": d, "phi_fro": phi, "L": L, "target_seed": 0, "arithmetic": "float64"} for d, phi, L in instances]
    if profile != "quick":
        d, phi, L = instances[0]
        cells.insert(0, {"d": d, "phi_fro": phi, "L": L, "target_seed": 0, "arithmetic": "mpmath:dps=60"})
    return cells


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    d, phi, L = params["d"], params["phi_fro"], params["L"]
    Phi = target(d, phi, params["target_seed"])
    eta = Z.step_size(L, phi)
    sig = singular_targets(Phi)
    if params["arithmetic"] == "float64":
        red = reduced_gd(sig, L, eta, eps=EPS_F64[-1], max_iter=10**9, thresholds=EPS_F64, history=2)
        full = [full_zas(Phi, L, eta, eps=e, max_iter=10**8, history=2).iterations for e in EPS_F64]
        return {"eta": eta, "eps": list(EPS_F64), "reduced": list(red.crossings), "full": full}
    dps = int(params["arithmetic"].split("=")[1])
    # the singular values are those of the float64 target, taken exactly
    crossings, final = reduced_gd_mp([repr(float(s)) for s in sig], L, repr(eta), [repr(e) for e in EPS_MP],
                                     dps=dps, max_iter=10**7)
    return {"eta": eta, "eps": list(EPS_MP), "reduced": list(crossings), "final_loss": final}


def _key(r: RunRecord) -> tuple[int, float, int]:
    return r.params["d"], r.params["phi_fro"], r.params["L"]


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Any]:
    mp_counts = {_key(r): dict(zip(r.value["eps"], r.value["reduced"])) for r in runs
                 if r.params["arithmetic"] != "float64"}
    rows, lines, engine, curves = [], [], [], []
    for r in runs:
        v, p = r.value, r.params
        pairs = [(e, t) for e, t in zip(v["eps"], v["reduced"]) if t >= 0]
        eps, T = zip(*pairs)
        params = {"d": p["d"], "phi_fro": p["phi_fro"], "L": p["L"], "arithmetic": p["arithmetic"]}
        bound = 1.0 / -math.log1p(-k["rate_coefficient"] * v["eta"])
        local = max((T[i + 1] - T[i]) / math.log(eps[i] / eps[i + 1]) for i in range(len(T) - 1))
        rows.append({"params": params, "eta": v["eta"], "eps_min": min(eps), "predicted": bound, "observed": local,
                     "slack": local / bound, "L_counts_output_layer": False})
        tail = [(e, t) for e, t in pairs if e <= TAIL_EPS]
        lines.append((params, fit.log_eps_slope(*zip(*tail)).r2 if len(tail) >= 3 else math.nan))
        if "full" in v:
            engine += [{"params": {**params, "eps": e, "against": "full network"}, "predicted": t, "observed": f,
                        "error": abs(f - t)} for e, t, f in zip(v["eps"], v["reduced"], v["full"])]
            mp = mp_counts.get(_key(r), {})
            engine += [{"params": {**params, "eps": e, "against": "mpmath reduction"}, "predicted": t,
                        "observed": mp[e], "error": abs(mp[e] - t)} for e, t in zip(v["eps"], v["reduced"]) if e in mp]
        curves.append({"label": f"d={p['d']}, ||Phi||={p['phi_fro']:g}, L={p['L']} ({p['arithmetic']})",
                       "log_inv_eps": [math.log(1 / e) for e in eps], "T_eta": [t * v["eta"] for t in T]})
    r2 = [x for _, x in lines]
    return [
        Bound(label="slope", rows=rows, rtol=0.0,
              predicted=f"dT/dlog(1/eps) <= 1/(-log(1 - {k['rate_coefficient']:g} eta))",
              observed="largest local slope (T(eps_{i+1}) - T(eps_i)) / log(eps_i/eps_{i+1}) of the first t with "
                       "R(t) <= eps", reason="counts are exact integers; the bound's slope is computed with log1p",
              evidence={"convention": L_NOTE, "series": {"curves": curves}}),
        Condition(label="affine tail", ok=(all(x >= 0.999 for x in r2) if r2 and not any(math.isnan(x) for x in r2)
                                           else None),
                  summary=f"R^2 over eps <= {TAIL_EPS:g}: " + ", ".join(f"{x:.6f}" for x in r2),
                  predicted="T affine in log(1/eps) past the transient", observed="R^2 of the least-squares line",
                  tolerance="R^2 >= 0.999", reason="the tail is a linear recursion in the slowest direction"),
        engine_check(engine, "iterations to each eps"),
    ]


def draw(evidence: Mapping[str, Any], ax: Any) -> None:
    curves = evidence.get("series", {}).get("curves", [])
    for s in curves:
        ax.plot(s["log_inv_eps"], s["T_eta"], "o-", ms=3, label=s["label"])
    xs = [x for s in curves for x in s["log_inv_eps"]]
    if xs:
        ax.plot([0, max(xs)], [0, 2 * max(xs)], "k--", lw=0.8,
                label="slope 2: the bound eta T <= 2 log(R(0)/eps), up to its intercept")
    ax.set_xlabel("log(1/eps)")
    ax.set_ylabel("eta * iterations")
    ax.legend(fontsize=6)


CLAIM = Claim(
    id="wu2019.zas_log_eps_slope",
    paper="wu2019",
    level="reconstructed",
    source=STEP_RULE + ". Reconstructed: the affine tail and its slope from the reduction (module docstring)",
    title="Iterations from ZAS are affine in log(1/eps) with slope at most 1/(-log(1 - eta/2)) ~ 2/eta",
    statement_latex=(r"T(\varepsilon) \le \frac{\log R(0) + \log(1/\varepsilon)}{-\log(1-\eta/2)},\quad "
                     r"\frac{dT}{d\log(1/\varepsilon)} \le \frac{1}{-\log(1-\eta/2)} \approx \frac{2}{\eta}"),
    kind="bound",
    grid=grid,
    run=run,
    checks=checks,
    constants={"rate_coefficient": 0.5},
    mutants=(Mutant("slope_3eta", "slope at most 1/(-log(1 - 3 eta)): faster than the gradient-flow rate 2 allows",
                    {"rate_coefficient": 3.0}),),
    symbolic=symbolic("wu2019.iterations_series"),
    figures=(Figure("log_eps", "eta times the iterations to R <= eps against log(1/eps), with the bound's "
                    "slope 2; mpmath (60 digits) below float64's reach.", draw),),
)
