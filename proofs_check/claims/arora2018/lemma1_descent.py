r"""Lemma 1 of Arora, Cohen, Golowich, Hu (ICLR 2019): the descent step behind Theorem 1.

Under Theorem 1's hypotheses (margin :math:`c`, :math:`\delta`-balance, :math:`\eta \le \eta_{\max}`,
see ``theorem1_iterations``), for every :math:`t \ge 0`

.. math::

    \ell(t+1) \le \ell(t) - \frac{\eta}{2}\,\sigma_{\min}\big(W_{1:N}(t)\big)^{\frac{2(N-1)}{N}}
    \big\|\nabla L^1\big(W_{1:N}(t)\big)\big\|_F^2 . \tag{9}

Reconstructed: the paper's text states Lemma 1 in words and says the :math:`\tfrac12` comes from
discretisation; the display is written here from the proof's route. Gradient flow from a balanced
point gives :math:`\tfrac{d}{d\tau}\ell = -\mathrm{vec}(\nabla)^\top P_{W_{1:N}}\mathrm{vec}(\nabla) \le
-\lambda_{\min}(P)\|\nabla\|_F^2 \le -\sigma_{\min}^{2(N-1)/N}\|\nabla\|_F^2` (eq. (10), with the
preconditioner of ``end_to_end_preconditioner``); the discrete step loses at most half of it.

How it is checked: GD at the theorem's step :math:`\eta_{\max}` runs in compiled float64 over the
whole run (until :math:`\ell \le` ``eps_rel`` :math:`\ell(0)`); at ``samples`` iterates evenly spread
over the run, one exact GD step is taken at 50 digits from those weights, and the actual decrease
is compared with the guaranteed one (their ratio must be at least 1); at a few of them Arb proves
eq. (9) for the exact step. Each sampled iterate is checked to satisfy the proof's invariants
(imbalance :math:`\le 2\delta`), so it is a point where the lemma applies.

Where the constants bind: the flow's rate :math:`\sigma_{\min}^{2(N-1)/N}\|\nabla\|^2` is attained when
:math:`\nabla L^1` is orthogonal to the row space of a rank-one :math:`W_{1:N}` (``tangent`` instances);
there the actual decrease is :math:`\eta\sigma_{\min}^{2(N-1)/N}\|\nabla\|^2(1 - O(\eta) + O(\theta^2))`, so
the :math:`\tfrac12` is needed (mutant ``half_to_one`` fails by :math:`O(\eta)`). The exponent matters
only when :math:`\sigma_{\min} \ne 1`: instances with :math:`\|\Phi\| = 0.1` make
:math:`\sigma_{\min}^{2(N-1)/N}` small, so the mutant with exponent 0 fails.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from lintheory.arith import MPMath
from lintheory.arora import certified_margin, theorem1_constants
from lintheory.certify import certify, power_enclosure, sigma_min_enclosure
from lintheory.inits import imbalance
from lintheory.nets import Problem, deep_linear, gradient_step, loss_and_gradients
from lintheory.symbolic import arora2018 as S
from proofs_check.checks import Bound, Check, Condition
from proofs_check.claim import Claim, Figure, Mutant, RunFailed, RunRecord
from proofs_check.claims.arora2018._common import instance_label, pick, product, sampled_gd, theorem1_instance
from proofs_check.search.space import CertificateSpec, SearchSpace


def grid(profile: str) -> list[dict[str, Any]]:
    cases = [
        {"instance": "tangent", "N": 2, "d": 2, "theta": 0.05},
        {"instance": "tangent", "N": 2, "d": 3, "theta": 0.3, "scale": 0.1},
        {"instance": "near_identity", "N": 3, "d": 2, "init": "delta_perturbed", "imbalance_frac": 0.9},
    ]
    if profile != "quick":
        cases += [
            {"instance": "tangent", "N": 3, "d": 2, "theta": 0.02},
            {"instance": "near_identity", "N": 2, "d": 2, "init": "identity", "scale": 0.1},
            {"instance": "vector", "N": 3, "d": 4, "init": "balanced"},
            {"instance": "near_identity", "N": 4, "d": 2, "init": "delta_perturbed", "imbalance_frac": 0.9},
        ]
    samples, certified = pick(profile, (24, 2), (64, 4))
    return [{**c, "eps_rel": 1e-3, "samples": samples, "certified": certified} for c in cases]


def _check(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r"""Eq. (9) for the exact GD step from weights ``W0..W{N-1}`` at step ``eta``."""
    N = sum(1 for key in x if key.startswith("W"))
    net = deep_linear([x[f"W{j}"] for j in range(N)], ar)
    prob = Problem.whitened(x["Phi"], ar)
    value, grads = loss_and_gradients(net, prob)
    after = prob.loss_of(gradient_step(net, grads, x["eta"]).end_to_end())
    E = net.end_to_end()
    power = power_enclosure(sigma_min_enclosure(E, ar.prec), Fraction(2 * (N - 1), N), ar.prec)
    return after, value - x["eta"] / 2 * power * ar.frob_sq(ar.sub(E, x["Phi"]))


def _setup(params: Mapping[str, Any], seed: int) -> tuple[list[np.ndarray], np.ndarray, Any]:
    Ws, Phi = theorem1_instance(params, np.random.default_rng(seed))
    c = certified_margin(product(Ws), Phi)
    if c <= 0:
        raise RunFailed(f"instance has no deficiency margin (c = {c})")
    return Ws, Phi, theorem1_constants(c, params["N"], float(np.linalg.norm(Phi)))


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The run at eta_max to eps_rel l(0); the exact (50-digit) step from evenly spread iterates;
    Arb certificates of eq. (9) at a few of them."""
    Ws, Phi, k = _setup(params, seed)
    N = params["N"]
    imbalance0 = float(imbalance(deep_linear(Ws)))
    if imbalance0 > k.delta:
        raise RunFailed(f"initial imbalance {imbalance0:.3g} exceeds delta = {k.delta:.3g}")
    ell0 = 0.5 * float(np.sum((product(Ws) - Phi) ** 2))
    eps, cap = params["eps_rel"] * ell0, 4 * math.ceil(k.iterations(ell0, params["eps_rel"] * ell0))
    t_end, *_ = list(sampled_gd(Ws, Phi, k.eta_max, eps, cap, cap))[-1]
    ar = MPMath(dps=50)
    eta = ar.number(k.eta_max)
    points = list(sampled_gd(Ws, Phi, k.eta_max, eps, t_end, max(1, t_end // params["samples"])))
    certify_at = {points[i][0] for i in np.linspace(0, len(points) - 1, params["certified"]).astype(int)}
    steps, certificates = [], []
    for t, factors, _, _ in points:
        net = deep_linear(factors, ar)
        prob = Problem.whitened(Phi, ar)
        value, grads = loss_and_gradients(net, prob)
        after = prob.loss_of(gradient_step(net, grads, eta).end_to_end())
        steps.append({"t": t, "loss": float(value), "decrease": float(value - after), "grad_sq": float(2 * value),
                      "sigma_min": float(ar.sigma_min(net.end_to_end())), "imbalance": float(imbalance(deep_linear(factors)))})
        if t in certify_at:
            inputs = {**{f"W{j}": F for j, F in enumerate(factors)}, "Phi": Phi, "eta": k.eta_max}
            certificates.append({"t": t, **certify(_check, inputs, relation="<=", prec=256).to_json()})
    return {"N": N, "c": k.c, "delta": k.delta, "eta": k.eta_max, "initial_imbalance": imbalance0, "iterations": t_end,
            "steps": steps, "certificates": certificates}


def _ratios(value: Mapping[str, Any], k: Mapping[str, Any]) -> list[float]:
    """Actual over guaranteed decrease at each sampled step, with the statement's 1/2 and exponent."""
    p = k["exponent_scale"] * 2 * (value["N"] - 1) / value["N"]
    return [s["decrease"] / (k["decrease_factor"] * value["eta"] * s["sigma_min"] ** p * s["grad_sq"])
            for s in value["steps"] if s["grad_sq"] > 0]


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    half, scale = k["decrease_factor"], k["exponent_scale"]
    rows = []
    for r in runs:
        ratios = _ratios(r.value, k)
        worst = int(np.argmin(ratios))
        rows.append({"params": r.params, "predicted": 1.0, "observed": ratios[worst], "slack": ratios[worst],
                     "status": f"{len(ratios)} steps sampled over {r.value['iterations']}", "worst_t": r.value["steps"][worst]["t"],
                     "c": r.value["c"], "eta": r.value["eta"], "label": instance_label(r.params)})
    cert_rows = [{"params": {**r.params, "t": c["t"]}, "status": c["status"], "margin": c["margin"]}
                 for r in runs for c in r.value["certificates"]]
    refuted = [row for row in cert_rows if row["status"] == "refuted"]
    proven = [row for row in cert_rows if row["status"] == "certified"]
    exponent = "2(N-1)/N" if scale == 1 else f"{scale:g} * 2(N-1)/N"
    series = {"curves": [{"label": instance_label(r.params), "t": [s["t"] for s in r.value["steps"] if s["grad_sq"] > 0],
                          "ratio": _ratios(r.value, k)} for r in runs]}
    invariant = [{"params": r.params, "predicted": 2 * r.value["delta"], "observed": max(s["imbalance"] for s in r.value["steps"]),
                  "slack": max(s["imbalance"] for s in r.value["steps"]) / (2 * r.value["delta"]), "status": "sampled"}
                 for r in runs]
    return [
        Bound(label="every sampled step (mpmath)", rows=rows, sense="lower", rtol=1e-12, arithmetic="mpmath:dps=50",
              predicted=f"l(t) - l(t+1) >= {half:g} eta sigma_min(W_{{1:N}}(t))^{{{exponent}}} ||grad L^1||_F^2",
              observed="min over the sampled steps of actual / guaranteed decrease (>= 1: holds)",
              reason="exact 50-digit step; the ratio is rounded to float64 (relative 1e-15)",
              evidence={"series": series}),
        Bound(label="sampled iterates satisfy Lemma 2 A", rows=invariant, rtol=1e-12, role="control",
              predicted="imbalance <= 2 delta", observed="max imbalance over the sampled iterates",
              reason="float64 norms of O(1) matrices"),
        Condition(label="certified steps (Arb)", ok=None if not cert_rows or len(proven) + len(refuted) < len(cert_rows)
                  else not refuted, arithmetic="arb:prec=256",
                  summary=f"{len(proven)} of {len(cert_rows)} sampled steps proven in Arb (eq. (9) as stated)",
                  predicted="rhs - lhs of eq. (9) > 0 for the exact GD step from the iterate",
                  observed="Arb enclosure of rhs - lhs", tolerance="ball separation (rigorous)",
                  evidence={"table": cert_rows, "violations": [r["params"] for r in refuted]}),
    ]


def _draw(evidence: Mapping[str, Any], ax: Any) -> None:
    for s in evidence.get("series", {}).get("curves", []):
        ax.semilogy(np.array(s["t"]) + 1, s["ratio"], "o-", ms=3, label=s["label"])
    ax.axhline(1.0, color="k", lw=0.8, ls="--", label="guaranteed")
    ax.set_xlabel("GD step t + 1 (sampled over the whole run)")
    ax.set_ylabel("actual / guaranteed decrease")
    ax.legend(fontsize=6)


def _inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The run's Theorem 1 instance at t = 0 and its step size eta_max (float64, exact)."""
    Ws, Phi, k = _setup(params, seed)
    return {**{f"W{j}": W for j, W in enumerate(Ws)}, "Phi": Phi, "eta": k.eta_max}


_INSTANCES = st.one_of(
    st.fixed_dictionaries({"instance": st.just("near_identity"), "N": st.integers(2, 5), "d": st.integers(2, 4),
                           "init": st.sampled_from(["identity", "delta_perturbed"]), "offset": st.floats(0.01, 0.45),
                           "scale": st.sampled_from([0.1, 1.0, 10.0])}),
    st.fixed_dictionaries({"instance": st.just("tangent"), "N": st.integers(2, 5), "d": st.integers(2, 4),
                           "theta": st.floats(0.005, 0.9), "scale": st.sampled_from([0.1, 1.0, 10.0])}),
)

CLAIM = Claim(
    id="arora2018.lemma1_descent", paper="arora2018",
    source="Lemma 1, eq. (9) (Sec. 3.2; proof in Appendix D.2): stated in the paper's words; the display is "
           "reconstructed from the gradient-flow bound (10) and the proof's discretisation (see the claim's docstring)",
    title="Under Theorem 1's hypotheses every GD step decreases the loss by eta/2 sigma_min^{2(N-1)/N} ||grad||^2",
    statement_latex=r"\ell(t+1) \le \ell(t) - \frac{\eta}{2}\,\sigma_{\min}(W_{1:N}(t))^{\frac{2(N-1)}{N}}"
                    r"\,\|\nabla L^1(W_{1:N}(t))\|_F^2",
    kind="bound", level="reconstructed", grid=grid, run=run, checks=checks,
    constants={"decrease_factor": 0.5, "exponent_scale": 1.0},
    mutants=(Mutant("exponent_0", "sigma_min^{2(N-1)/N} replaced by sigma_min^0 = 1", {"exponent_scale": 0.0}),
             Mutant("half_to_one", "the discretisation's 1/2 replaced by 1 (the gradient-flow rate of eq. (10))",
                    {"decrease_factor": 1.0})),
    symbolic=lambda: {"guaranteed_decrease": sp.latex(S.lemma1_decrease_expr())},
    figures=(Figure("lemma1_ratio", "Actual over guaranteed decrease at steps sampled over whole runs at eta_max.", _draw),),
    search=SearchSpace(_INSTANCES.map(lambda p: {**p, "eps_rel": 0.1, "samples": 8, "certified": 0}),
                       lambda v: max(1.0 / x for x in _ratios(v, {"decrease_factor": 0.5, "exponent_scale": 1.0})),
                       "guaranteed / actual decrease (worst sampled step)", tolerance=1e-12,
                       budgets={"quick": 0, "standard": 20, "full": 150}),
    certificate=CertificateSpec(_inputs, _check, "<=", "eq. (9) for the exact GD step at eta_max from the initial weights"),
)
