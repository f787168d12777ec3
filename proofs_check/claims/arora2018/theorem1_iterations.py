r"""Theorem 1 of Arora, Cohen, Golowich, Hu (ICLR 2019, Section 3.2): linear convergence of gradient
descent for deep linear networks.

Assume :math:`W_{1:N}(0)` has deficiency margin :math:`c > 0` with respect to :math:`\Phi`
(:math:`\|W_{1:N}(0) - \Phi\|_F \le \sigma_{\min}(\Phi) - c`), the layers are :math:`\delta`-balanced, and

.. math::

    \delta \le \frac{c^2}{256\,N^3\,\|\Phi\|_F^{2(N-1)/N}},\qquad
    \eta \le \frac{c^{(4N-2)/N}}{6144\,N^3\,\|\Phi\|_F^{(6N-4)/N}} \quad (7).

Then for every :math:`\epsilon > 0` and :math:`T \ge \frac{1}{\eta\,c^{2(N-1)/N}}\log\frac{\ell(0)}{\epsilon}`,
:math:`\ell(T) \le \epsilon`.

Sourced: the structure, the constant 6144 (the paper's proof of Theorem 2 uses
":math:`2^4 \cdot 6144 < 10^5`") and the bound :math:`\|W_j(t)\|_\sigma \le (4\|\Phi\|_F)^{1/N}` of the
proof's Lemma 2 C(t). Reconstructed: the constant 256 in :math:`\delta`, the exponents of (7) and the
form of :math:`T`. :math:`T` follows from Lemma 1 (``lemma1_descent``): with :math:`\|\nabla L^1\|_F^2 =
2\ell`, eq. (9) gives :math:`\ell(t+1) \le \ell(t)(1 - \eta\sigma_{\min}(W_{1:N}(t))^{2(N-1)/N})`; the loss
is monotone, so by Claim 1 :math:`\sigma_{\min}(W_{1:N}(t)) \ge c`, hence :math:`\ell(t) \le \ell(0)(1 -
\eta c^{2(N-1)/N})^t \le \ell(0)e^{-\eta c^{2(N-1)/N} t}`. The exponents of (7) are the ones that make the
proof's conditions hold: Lemma 7 needs :math:`\eta M^{N-2}\|\Phi\|_F N \le \tfrac12` with
:math:`M = (4\|\Phi\|_F)^{1/N}`, which (7) gives with room (:math:`\le 4/(6144 N^2)`), and Lemma 2 A
needs the accumulated :math:`\eta^2` drift of the balance (``balance_drift_gd``) to stay below
:math:`\delta`; both are checked along every run (imbalance :math:`\le 2\delta`, spectral norms).

What is checked, on each instance at the theorem's step :math:`\eta = \eta_{\max}`: the first
:math:`t` with :math:`\ell(t) \le \epsilon` against :math:`T`; the rate :math:`\ell(t) \le \ell(0)(1 -
\eta c^{2(N-1)/N})^t` at about 400 iterates over the run; and the proof's invariants there.
What binds: observed/predicted :math:`T` tends to :math:`\tfrac12` at best, reached by ``tangent``
instances with small :math:`\theta` (the flow's rate there is exactly :math:`\sigma_{\min}^{2(N-1)/N}`,
which Lemma 1 halves). The theorem is covariant under :math:`\Phi \to s\Phi`, so a constant in front of
:math:`c^{2(N-1)/N}` binds only at :math:`s \ne 1`: ``scale`` 0.1 instances catch the rate mutant. The
step bound does not bind on the conclusion: GD converges at up to about :math:`10^5\eta_{\max}` (each
run reports the largest converging step it finds), and at a larger step the observed iterations
shrink with :math:`T`; a step :math:`10^4` times larger does break the proof's invariant A
(imbalance above :math:`2\delta`) on instances whose residual is orthogonal to :math:`W_{1:N}`, where
the drift does not cancel; a step :math:`N` times larger (:math:`N^3 \to N^2`) adds about
:math:`N \times 0.003\,\delta` of drift and cannot be caught: its statement is true on every instance
we know of.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from lintheory.arora import certified_margin, theorem1_constants
from lintheory.inits import imbalance
from lintheory.kernels import gd_float64
from lintheory.nets import deep_linear
from lintheory.symbolic import arora2018 as S
from proofs_check.checks import Bound, Check
from proofs_check.claim import Claim, Figure, Mutant, RunFailed, RunRecord
from proofs_check.claims.arora2018._common import instance_label, pick, product, sampled_gd, theorem1_instance
from proofs_check.search.space import SearchSpace


def grid(profile: str) -> list[dict[str, Any]]:
    quick = [
        {"instance": "tangent", "N": 2, "d": 2, "theta": 0.05, "eps_rel": 1e-2},
        {"instance": "tangent", "N": 2, "d": 3, "theta": 0.3, "scale": 0.1, "eps_rel": 1e-2},
        {"instance": "scalar", "N": 3, "e0": 0.9, "eps_rel": 1e-2},
        {"instance": "near_identity", "N": 2, "d": 2, "init": "delta_perturbed", "imbalance_frac": 0.9, "eps_rel": 1e-2},
        {"instance": "vector", "N": 2, "d": 3, "init": "balanced", "eps_rel": 1e-2},
        {"instance": "scalar", "N": 6, "e0": 0.9, "eps_rel": 1e-3},
    ]
    standard = quick + [
        {"instance": "tangent", "N": 4, "d": 2, "theta": 0.02, "eps_rel": 1e-2},
        {"instance": "tangent", "N": 3, "d": 3, "theta": 0.5, "scale": 10.0, "eps_rel": 1e-2},
        {"instance": "scalar", "N": 2, "e0": 0.5, "scale": 0.01, "eps_rel": 1e-4},
        {"instance": "near_identity", "N": 3, "d": 3, "init": "delta_perturbed", "imbalance_frac": 0.9, "eps_rel": 1e-3},
        {"instance": "vector", "N": 3, "d": 3, "init": "balanced", "eps_rel": 1e-2},
        {"instance": "near_identity", "N": 8, "d": 4, "init": "identity", "eps_rel": 1e-3},
        {"instance": "scalar", "N": 12, "e0": 0.95, "eps_rel": 0.1},
        {"instance": "scalar", "N": 16, "e0": 0.95, "eps_rel": 0.1},
    ]
    budget = pick(profile, 2_000_000, 200_000_000)
    return [{**c, "budget": budget} for c in pick(profile, quick, standard)]


def _largest_converging_eta(Ws: Sequence[np.ndarray], Phi: np.ndarray, eta0: float, eps: float, cap: int) -> dict[str, Any]:
    """Doubling from ``eta0`` until a run fails to reach ``eps`` within ``cap`` steps, then 6 log-bisections.
    Assumes one threshold (convergence need not be monotone in eta; the scan reports what it saw)."""
    def ok(eta: float) -> bool:
        return gd_float64(Ws, None, Phi, eta, eps=eps, max_iter=cap, history=2).status == "converged"

    lo = eta0
    if not ok(lo):
        return {"eta": None, "note": f"eta0 = {eta0:.3g} does not converge within {cap} steps"}
    hi = 2 * lo
    while ok(hi):
        lo, hi = hi, 2 * hi
        if hi > 1e6:
            return {"eta": lo, "note": "no failure found up to 1e6"}
    for _ in range(6):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return {"eta": lo, "first_failing": hi}


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """c, delta, eta_max, T for the instance; GD at eta_max (compiled float64) up to ceil(T) with the
    loss and the Lemma 2 invariants read every ceil(T)/400 steps; the largest converging eta."""
    N = params["N"]
    Ws, Phi = theorem1_instance(params, np.random.default_rng(seed))
    phi_norm, E0 = float(np.linalg.norm(Phi)), product(Ws)
    c = certified_margin(E0, Phi)
    if c <= 0:
        raise RunFailed(f"instance has no deficiency margin (c = {c})")
    k = theorem1_constants(c, N, phi_norm, C=params["C"], depth_power=params["depth_power"])
    ell0 = 0.5 * float(np.sum((E0 - Phi) ** 2))
    eps = params["eps_rel"] * ell0
    T = k.iterations(ell0, eps)
    imbalance0 = float(imbalance(deep_linear(Ws)))
    if imbalance0 > k.delta:
        raise RunFailed(f"initial imbalance {imbalance0:.3g} exceeds delta = {k.delta:.3g}")
    out = {"N": N, "c": c, "phi_norm": phi_norm, "delta": k.delta, "eta": k.eta_max, "ell0": ell0, "eps": eps,
           "T_statement": T, "initial_imbalance": imbalance0, "spectral_bound": k.spectral_bound}
    if T > params["budget"]:
        return {**out, "status": "over budget"}
    cap = math.ceil(T)
    history, max_imbalance, max_spectral, status = [], imbalance0, 0.0, "max_iter"
    for t, factors, loss, status in sampled_gd(Ws, Phi, k.eta_max, eps, cap, max(1, cap // 400)):
        history.append((t, loss))
        max_imbalance = max(max_imbalance, float(imbalance(deep_linear(factors))))
        max_spectral = max(max_spectral, max(float(np.linalg.norm(W, 2)) for W in factors))
    scan = _largest_converging_eta(Ws, Phi, k.eta_max * 1024, eps, 20_000)
    return {**out, "status": status, "iterations": history[-1][0] if status == "converged" else None,
            "history_t": [t for t, _ in history], "history_loss": [v for _, v in history],
            "max_imbalance": max_imbalance, "max_spectral_norm": max_spectral, "eta_scan": scan,
            "eta_ratio": None if scan.get("eta") is None else scan["eta"] / k.eta_max}


def _T(v: Mapping[str, Any], k: Mapping[str, Any]) -> float:
    """T = log(l(0)/eps) / (eta c^{rate_power 2(N-1)/N}) for the run's step."""
    return math.log(v["ell0"] / v["eps"]) / (v["eta"] * v["c"] ** (k["rate_power"] * 2 * (v["N"] - 1) / v["N"]))


def _rate_ratio(v: Mapping[str, Any], k: Mapping[str, Any]) -> float:
    rate = v["eta"] * v["c"] ** (k["rate_power"] * 2 * (v["N"] - 1) / v["N"])
    return max(loss / (v["ell0"] * (1 - rate) ** t) if rate < 1 else math.inf
               for t, loss in zip(v["history_t"], v["history_loss"]) if t > 0)


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    ran = [r for r in runs if r.value["status"] != "over budget"]
    rate = "c^{2(N-1)/N}" if k["rate_power"] == 1 else f"c^{{{k['rate_power']:g} 2(N-1)/N}}"
    step = f"eta = c^{{(4N-2)/N}} / ({k['C']:g} N^{k['depth_power']:g} ||Phi||_F^{{(6N-4)/N}})"
    rows = []
    for r in ran:
        v, T = r.value, math.ceil(_T(r.value, k))
        observed = v["iterations"] if v["iterations"] is not None else math.ceil(v["T_statement"]) + 1
        rows.append({"params": r.params, "predicted": float(T), "observed": float(observed), "slack": observed / T,
                     "status": v["status"], "label": instance_label(r.params), "c": v["c"], "eta": v["eta"],
                     "eta_ratio": v["eta_ratio"]})
    over = [{"params": r.params, "label": instance_label(r.params), "predicted": r.value["T_statement"]}
            for r in runs if r.value["status"] == "over budget"]
    ratios = [row["eta_ratio"] for row in rows if row["eta_ratio"]]
    inv = lambda name, pred, obs: [  # noqa: E731
        {"params": {**r.params, "invariant": name}, "predicted": pred(r.value), "observed": obs(r.value),
         "slack": obs(r.value) / pred(r.value), "status": "sampled"} for r in ran]
    return [
        Bound(label="iterations", rows=rows, predicted=f"first t with l(t) <= eps is <= T = log(l(0)/eps) / (eta {rate}), {step}",
              observed="first t with l(t) <= eps, GD at that step (float64)", reason="integer counts",
              evidence={"over_budget": over, "largest_converging_eta_over_eta_max": ratios,
                        "series": {"runs": rows, "over": over, "growth": _growth_table(k)}}),
        Bound(label="rate", rows=[{"params": r.params, "predicted": 1.0, "observed": _rate_ratio(r.value, k),
                                   "slack": _rate_ratio(r.value, k), "status": "sampled"} for r in ran],
              rtol=1e-12, predicted=f"l(t) <= l(0)(1 - eta {rate})^t", observed="max over ~400 iterates of l(t) / bound",
              reason="float64 loss of O(1) values"),
        Bound(label="Lemma 2 invariants", rtol=1e-12, reason="float64 norms and products of O(1) matrices",
              rows=inv("imbalance <= 2 delta (A)", lambda v: 2 * v["delta"], lambda v: v["max_imbalance"])
              + inv("||W_j||_2 <= (4||Phi||_F)^{1/N} (C)", lambda v: v["spectral_bound"], lambda v: v["max_spectral_norm"]),
              predicted="imbalance <= 2 delta and ||W_j||_2 <= (4||Phi||_F)^{1/N} along the run",
              observed="max over ~400 iterates"),
    ]


def _score(value: Mapping[str, Any]) -> float | None:
    """The largest observed / predicted over the checks (the search maximises it: towards where the bound binds)."""
    if value["status"] == "over budget":
        return None  # T beyond the run budget: the instance cannot be decided, not a violation
    if value["status"] != "converged":
        return math.inf
    k = {"rate_power": 1}
    return max(value["iterations"] / _T(value, k), value["max_imbalance"] / (2 * value["delta"]),
               value["max_spectral_norm"] / value["spectral_bound"], _rate_ratio(value, k))


_INSTANCES = st.one_of(
    st.fixed_dictionaries({"instance": st.just("tangent"), "N": st.integers(2, 4), "d": st.integers(2, 4),
                           "theta": st.floats(0.01, 0.5), "scale": st.sampled_from([0.1, 1.0, 10.0])}),
    st.fixed_dictionaries({"instance": st.just("near_identity"), "N": st.integers(2, 4), "d": st.integers(2, 4),
                           "init": st.sampled_from(["identity", "delta_perturbed"]), "offset": st.floats(0.01, 0.25),
                           "imbalance_frac": st.floats(0.1, 1.0)}),
    st.fixed_dictionaries({"instance": st.just("scalar"), "N": st.integers(2, 4),
                           "e0": st.floats(0.5, 1.5).filter(lambda e: abs(e - 1) > 1e-3)}),
)


def _growth_table(k: Mapping[str, Any]) -> list[dict[str, Any]]:
    """delta, eta_max and T(eta_max) against N at c/||Phi||_F in {0.5, 0.9}, ||Phi||_F = 1, l0/eps = 1e3."""
    rows = []
    for ratio in (0.5, 0.9):
        for N in range(2, 17):
            t1 = theorem1_constants(ratio, N, 1.0, C=k["C"], depth_power=k["depth_power"])
            rows.append({"c_over_phi": ratio, "N": N, "delta": t1.delta, "eta_max": t1.eta_max,
                         "T_at_eta_max": math.log(1e3) / (t1.eta_max * ratio ** (k["rate_power"] * 2 * (N - 1) / N))})
    return rows


def _draw(evidence: Mapping[str, Any], ax: Any) -> None:
    series = evidence.get("series", {})
    runs, over = series.get("runs", []), series.get("over", [])
    for i, row in enumerate(runs):
        ax.scatter([i], [row["predicted"]], marker="_", s=200, color="C0", label="T (statement)" if i == 0 else None)
        ax.scatter([i], [row["observed"]], marker="o", color="C1", label="observed" if i == 0 else None)
    for i, row in enumerate(over):
        ax.scatter([len(runs) + i], [row["predicted"]], marker="^", color="C2", label="T, over budget" if i == 0 else None)
    ax.set_xticks(range(len(runs) + len(over)))
    ax.set_xticklabels([r["label"] for r in runs + over], rotation=30, fontsize=5)
    ax.set_yscale("log")
    ax.set_ylabel("iterations to eps at eta_max")
    ax.legend(fontsize=6)


def _draw_growth(evidence: Mapping[str, Any], ax: Any) -> None:
    growth = evidence.get("series", {}).get("growth", [])
    for ratio in sorted({g["c_over_phi"] for g in growth}):
        pts = [g for g in growth if g["c_over_phi"] == ratio]
        ax.semilogy([g["N"] for g in pts], [g["T_at_eta_max"] for g in pts], "o-", label=f"T(eta_max), c/||Phi||={ratio}")
        ax.semilogy([g["N"] for g in pts], [1 / g["eta_max"] for g in pts], "s--", label=f"1/eta_max, c/||Phi||={ratio}")
    ax.set_xlabel("depth N")
    ax.set_ylabel("value (l0/eps = 1e3, ||Phi||_F = 1)")
    ax.legend(fontsize=6)


CLAIM = Claim(
    id="arora2018.theorem1_iterations", paper="arora2018",
    source="Theorem 1 (Sec. 3.2) and the invariants of its proof (Lemma 2, Appendix D.2): 6144 and (4||Phi||_F)^{1/N} "
           "are the paper's; the 256 in delta, the exponents of eq. (7) and the form of T are reconstructed (T from "
           "Lemma 1 unrolled; the derivation is in the claim's docstring)",
    title="Margin c and delta-balance give l(T) <= eps after T = log(l(0)/eps)/(eta c^{2(N-1)/N}) steps",
    statement_latex=r"\delta = \frac{c^2}{256N^3\|\Phi\|_F^{2(N-1)/N}},\ "
                    r"\eta \le \frac{c^{(4N-2)/N}}{6144N^3\|\Phi\|_F^{(6N-4)/N}},\ "
                    r"T \ge \frac{\log(\ell(0)/\epsilon)}{\eta c^{2(N-1)/N}} \Rightarrow \ell(T) \le \epsilon",
    kind="bound", level="reconstructed", grid=grid, run=run, checks=checks,
    constants={"C": 6144, "depth_power": 3, "rate_power": 1}, run_constants=("C", "depth_power"),
    mutants=(
        Mutant("step_N2", "the step's N^3 replaced by N^2 (a step N times larger); expected to survive: GD converges "
               "at up to ~1e5 eta_max, observed iterations shrink with T, and the drift of the balance grows only to "
               "~N x 0.003 delta", {"depth_power": 2}),
        Mutant("C_0.6144", "6144 replaced by 0.6144 (a step 1e4 times larger): the conclusion still holds, the proof's "
               "invariant A (imbalance <= 2 delta) breaks on tangent instances", {"C": 0.6144}),
        Mutant("rate_c0", "the rate c^{2(N-1)/N} replaced by 1 (caught where c < 1 in absolute terms, scale 0.1)",
               {"rate_power": 0}),
    ),
    symbolic=lambda: {"delta": sp.latex(S.delta_expr()), "eta_max": sp.latex(S.eta_max_expr()),
                      "T": sp.latex(S.iterations_expr()), "T_at_eta_max": sp.latex(S.iterations_at_eta_max_expr()),
                      "spectral_bound": sp.latex(S.spectral_bound_expr())},
    search=SearchSpace(_INSTANCES.map(lambda p: {**p, "eps_rel": 0.1, "budget": 2_000_000, "C": 6144, "depth_power": 3}),
                       _score, "max(iterations / T, imbalance / 2 delta, ||W_j|| / bound, loss / rate bound)",
                       tolerance=1e-9, budgets={"quick": 0, "standard": 20, "full": 150}),
    figures=(Figure("theorem1_pred_vs_obs", "Theorem 1: T (bars) and observed iterations to eps (dots) at eta_max.", _draw),
             Figure("theorem1_growth", "Growth in N of T at eta_max and of 1/eta_max (||Phi||_F = 1, l(0)/eps = 1e3).",
                    _draw_growth)),
)
