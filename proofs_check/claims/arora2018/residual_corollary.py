r"""The residual special case of Theorem 1 (Arora, Cohen, Golowich, Hu, ICLR 2019, Section 3.2):
identity initialization converges when the target is close to the identity.

.. math::

    d_0 = \dots = d_N,\ W_j(0) = I,\ \|\Phi - I\|_F < \tfrac12 \;\Rightarrow\;
    c = \sigma_{\min}(\Phi) - \|I - \Phi\|_F \ge 1 - 2\|\Phi - I\|_F > 0,

so Theorem 1 applies (identity init is 0-balanced) and gradient descent converges linearly.

Sourced: the sufficient condition :math:`\|\Phi - I\|_F < 1/2` and the conclusion that Theorem 1
then applies to identity initialization (the paper notes it strictly generalizes Bartlett, Helmbold,
Long 2018's target within distance :math:`1/(10e)` of the identity). Reconstructed: the margin bound,
derived here from Weyl's inequality :math:`\sigma_{\min}(\Phi) \ge \sigma_{\min}(I) - \|\Phi - I\|_2 \ge 1 -
\|\Phi - I\|_F`, so the margin of :math:`W_{1:N}(0) = I` is at least :math:`1 - 2\|\Phi - I\|_F`; and the
convergence constants (those of ``theorem1_iterations``). The bound is attained at
:math:`\Phi = I - r\,e_1e_1^\top` (``direction = "tight"``): there :math:`\sigma_{\min}(\Phi) = 1 - r` and
:math:`\|I - \Phi\|_F = r`. Mutants: the factor 2 replaced by 1.8 (fails at the tight targets) and the
radius 1/2 widened to 0.6 (the tight target at :math:`r = 0.55` has margin :math:`-0.1`).
Outside the hypothesis (:math:`r \ge 1/2`) gradient descent at a practical step often still
converges: the condition is sufficient, not necessary (reported, not judged).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from lintheory.arora import certified_margin, theorem1_constants
from lintheory.kernels import gd_float64
from proofs_check.checks import Bound, Check
from proofs_check.claim import Claim, Mutant, RunFailed, RunRecord
from proofs_check.claims.arora2018._common import pick
from proofs_check.search.space import SearchSpace


def grid(profile: str) -> list[dict[str, Any]]:
    norms = pick(profile, [0.1, 0.3, 0.45, 0.6], [0.05, 0.1, 0.2, 0.3, 0.4, 0.45, 0.49, 0.55, 0.7, 1.0])
    tight = pick(profile, [0.3, 0.45, 0.55], [0.1, 0.3, 0.45, 0.49, 0.55, 0.7])
    cases = pick(profile, [(1, 2), (2, 2), (3, 3)], [(1, 2), (1, 3), (2, 2), (2, 3), (3, 2), (3, 4)])
    budget, prefix = pick(profile, (2_000_000, 20_000), (10_000_000, 200_000))
    out = [{"d": d, "N": N, "E_norm": e, "direction": "random"} for d, N in cases for e in norms if d > 1]
    out += [{"d": d, "N": N, "E_norm": e, "direction": "tight"} for d, N in cases for e in tight]
    return [{**p, "budget": budget, "prefix": prefix} for p in out]


def _target(params: Mapping[str, Any], seed: int) -> np.ndarray:
    d, r = params["d"], params["E_norm"]
    if params["direction"] == "tight":
        E = np.zeros((d, d))
        E[0, 0] = -r
    else:
        G = np.random.default_rng(seed).standard_normal((d, d))
        E = r * G / np.linalg.norm(G)
    return np.eye(d) + E


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Margin of the identity init for Phi = I + E, ||E||_F = E_norm; when positive, GD at Theorem 1's
    eta_max to l(0)/100 (or a prefix when T is over budget) with the rate bound; GD at a practical step."""
    d, N, r = params["d"], params["N"], params["E_norm"]
    Phi = _target(params, seed)
    Ws = [np.eye(d) for _ in range(N)]
    c = certified_margin(np.eye(d), Phi)
    ell0 = 0.5 * float(np.sum((np.eye(d) - Phi) ** 2))
    practical = gd_float64(Ws, None, Phi, 0.5 / N, eps=1e-10 * ell0, max_iter=200_000, history=2)
    out: dict[str, Any] = {"margin": c, "E_norm": r, "practical_eta": {"eta": 0.5 / N, "status": practical.status,
                                                                     "iterations": practical.iterations}}
    if c <= 0:
        return {**out, "status": "no margin"}
    if r >= 0.5 and params["direction"] == "random":
        return {**out, "status": "outside the hypothesis"}
    k = theorem1_constants(c, N, float(np.linalg.norm(Phi)))
    T = k.iterations(ell0, 1e-2 * ell0)
    within = T <= params["budget"]
    res = gd_float64(Ws, None, Phi, k.eta_max, eps=1e-2 * ell0, max_iter=math.ceil(T) if within else params["prefix"],
                     history=200)
    if res.status not in ("converged", "max_iter"):
        raise RunFailed(f"GD at eta_max ended {res.status}")
    ratio = max(float(loss / k.loss_bound(ell0, int(t))) for t, loss in zip(res.history_t, res.history_loss) if t > 0)
    return {**out, "status": res.status if within else "over budget", "eta_max": k.eta_max, "T_predicted": T,
            "steps_run": int(res.iterations), "max_rate_ratio": ratio}


def _margin(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The margin of identity init alone (what the search explores)."""
    return {"margin": certified_margin(np.eye(params["d"]), _target(params, seed)), "E_norm": params["E_norm"]}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    f, radius = k["factor"], k["radius"]
    inside = [r for r in runs if r.params["E_norm"] < radius]
    ran = [r for r in inside if "T_predicted" in r.value]
    converged = [r for r in ran if r.value["status"] != "over budget"]
    iterations: list[Check] = [
        Bound.of(converged, pred=lambda r: float(math.ceil(r.value["T_predicted"])),
                 obs=lambda r: r.value["steps_run"] if r.value["status"] == "converged" else math.ceil(r.value["T_predicted"]) + 1,
                 label="iterations at eta_max", reason="integer counts",
                 predicted="T = log(l(0)/eps)/(eta c^{2(N-1)/N}), eps = l(0)/100 (Theorem 1)",
                 observed="first t with l(t) <= eps at eta_max"),
    ] if converged else []  # T within budget only for margins not too small
    out: list[Check] = [
        Bound.of(inside, pred=lambda r: 0.0, obs="margin", label="margin positive", sense="lower", level="sourced",
                 predicted=f"||Phi - I||_F < {radius:g} => identity init has a deficiency margin > 0",
                 observed="sigma_min(Phi) - ||I - Phi||_F (mpmath, rounded down)", arithmetic="mpmath:dps=50",
                 reason="the margin is rounded down from 50 digits: a positive value is certain"),
        Bound.of(inside, pred=lambda r: 1 - f * r.params["E_norm"], obs="margin", label="margin bound", sense="lower",
                 atol=1e-15, predicted=f"margin >= 1 - {f:g}||Phi - I||_F", arithmetic="mpmath:dps=50",
                 observed="sigma_min(Phi) - ||I - Phi||_F (mpmath, rounded down)",
                 reason="rounded down from 50 digits; the tight targets are float64 numbers within 1e-16 of I - r e1 e1^T",
                 extra=("practical_eta",)),
        Bound.of(ran, pred=lambda r: 1.0, obs="max_rate_ratio", label="rate at eta_max", rtol=1e-12,
                 reason="float64 loss, O(1) values", predicted="l(t) <= l(0)(1 - eta c^{2(N-1)/N})^t",
                 observed="max over recorded iterates t >= 1 (a prefix where T is over budget) of l(t) / bound",
                 evidence={"outside_hypothesis": [{"params": r.params, "margin": r.value["margin"],
                                                   "practical_eta": r.value["practical_eta"]}
                                                  for r in runs if r.params["E_norm"] >= radius]}),
    ]
    return out[:2] + iterations + out[2:]


CLAIM = Claim(
    id="arora2018.residual_corollary", paper="arora2018",
    source="Sec. 3.2, the residual special case of Theorem 1: the condition ||Phi - I||_F < 1/2 is the paper's; the "
           "margin bound 1 - 2||Phi - I||_F is derived here (Weyl's inequality) and the convergence uses the "
           "reconstructed constants of Theorem 1",
    title="Identity init converges when ||Phi - I||_F < 1/2: margin 1 - 2||Phi - I||_F and 0-balance",
    statement_latex=r"\|\Phi - I\|_F < \tfrac12 \Rightarrow c = \sigma_{\min}(\Phi) - \|I - \Phi\|_F \ge 1 - 2\|\Phi - I\|_F > 0",
    kind="bound", level="reconstructed", grid=grid, run=run, checks=checks,
    constants={"factor": 2.0, "radius": 0.5},
    mutants=(Mutant("factor_1.8", "margin >= 1 - 1.8||Phi - I||_F", {"factor": 1.8}),
             Mutant("radius_0.6", "the hypothesis widened to ||Phi - I||_F < 0.6", {"radius": 0.6})),
    search=SearchSpace(
        st.fixed_dictionaries({"d": st.integers(1, 6), "E_norm": st.floats(0.0, 0.4999),
                               "direction": st.sampled_from(["random", "tight"])}),
        lambda v: (1 - 2 * v["E_norm"]) / v["margin"] if v["margin"] > 0 else math.inf,
        "(1 - 2||Phi - I||_F) / margin", evaluate=_margin, tolerance=1e-12),
)
