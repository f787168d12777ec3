r"""BCD on the lifted objective has finite length and converges to a KKT point (lemmas L3, L4 and theorem T1).

.. math::
    \sum_t\|x^t - x^{t-1}\|^2 \le \frac{2(F(x^0) - F(x^T))}{\eta},\qquad
    \sum_t\|x^t - x^{t-1}\| < \infty,\qquad r_t \to 0,\qquad r_t \le C_1\|x^t - x^{t-1}\| .

**Source.** Zhang & Brand (NeurIPS 2017), abstract: the BCD "converges globally to stationary
points". The lemmas and the theorem as written here are reconstructed.

**Derivation (reconstructed).** Summing the sufficient decrease
:math:`F^{t-1} - F^t \ge \frac\eta2\|x^t - x^{t-1}\|^2` (see ``sufficient_decrease``) over
:math:`t = 1..T` telescopes to the first inequality (L3): the steps are square-summable. F is a
polynomial plus the indicator of a polyhedral set, hence a Kurdyka-Lojasiewicz function; the level set
:math:`\{F \le F(x^0)\}` is bounded (weight decay bounds W, then the couplings bound U layer by
layer). For such functions, sufficient decrease together with a relative-error bound
:math:`r_t \le C_1\|x^t - x^{t-1}\|` (L4: every block is a proximal minimiser, so its optimality
condition leaves only cross-block gradient differences, Lipschitz on the bounded level set) gives a
finite-length sequence converging to a KKT point (Attouch-Bolte-Svaiter 2013, Xu-Yin 2013) (T1).
The stationarity measure :math:`r_t` is the norm of :math:`(\nabla_WF, \min(U, \nabla_UF))`
(the projected-gradient residual; the gradient itself on the free output).

**Checks.** Long runs on digits (M = 300, hidden 16-16 or 16; 500 sweeps on quick, 3000 on standard):
L3 as a bound (float64 tolerance on F); and three finite-budget readings of the asymptotic
statements, which can only be shown, not refuted, by a finite run (unmet means inconclusive): the
last 10% of sweeps add less than ``tail_length`` of the total length, the late maximum of
:math:`r_t/\|x^t - x^{t-1}\|` is at most ``l4_growth`` times the earlier one, and
:math:`r_T/r_1 \le` ``kkt_drop``. Constants: ``l3_factor`` (2), ``tail_length`` (1%),
``l4_growth`` (2), ``kkt_drop`` (1e-3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np

from proofs_check.checks import Bound, Check, Condition
from proofs_check.claim import Claim, Figure, Mutant, RunRecord
from proofs_check.claims.zhang2017._common import F_REASON, F_RTOL, decimate, long_grid, long_label, run_long


def _readings(p: Mapping[str, Any], v: Mapping[str, Any], k: Mapping[str, Any]) -> dict[str, Any]:
    F, steps, r = np.array(v["F"]), np.array(v["step"]), np.array(v["kkt"])
    T = steps.size
    cum = np.cumsum(steps)
    ratio = r / steps
    return {"sum_sq": float(np.sum(steps ** 2)), "budget": k["l3_factor"] * float(F[0] - F[-1]) / p["eta"],
            "tail": float((cum[-1] - cum[-1 - T // 10]) / cum[-1]),
            "l4": float(np.max(ratio[T // 2:]) / np.max(ratio[T // 4:T // 2])), "kkt_drop": float(r[-1] / r[0])}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    reads = [(r.params, _readings(r.params, r.value, k)) for r in runs]
    series = {long_label(r.params): dict(zip(("t", "step"), decimate(r.value["step"])))
              | {"kkt": decimate(r.value["kkt"])[1]} for r in runs}
    out: list[Check] = [Bound.of(
        runs, pred=lambda r: _readings(r.params, r.value, k)["budget"],
        obs=lambda r: _readings(r.params, r.value, k)["sum_sq"], label="L3", rtol=F_RTOL, reason=F_REASON,
        evidence={"series": series},
        predicted="sum_t ||x^t - x^(t-1)||^2 <= l3_factor (F^0 - F^T)/eta",
        observed="sum of squared sweep steps over the run")]
    for name, key, limit, words in (
            ("finite length", "tail", k["tail_length"], "share of the total length added by the last 10% of sweeps"),
            ("L4 relative error", "l4", k["l4_growth"], "max r_t/||step|| on sweeps T/2..T over that on T/4..T/2"),
            ("KKT residual", "kkt_drop", k["kkt_drop"], "r_T / r_1")):
        unmet = [(p, x[key]) for p, x in reads if x[key] > limit]
        worst = max(x[key] for _, x in reads)
        out.append(Condition(
            label=name, ok=None if unmet else True, tolerance=f"<= {limit:g} within the sweep budget",
            summary=(f"{words}: {worst:.3g} > {limit:g} on {len(unmet)} of {len(reads)} runs; an asymptotic "
                     "statement is not refuted by a finite run: longer runs would decide") if unmet else
                    f"{words}: at most {worst:.3g} <= {limit:g} on all {len(reads)} runs",
            predicted=f"{words} <= {limit:g}", observed=words,
            reason="a finite-budget reading of an asymptotic statement: shown or undecided, never refuted"))
    return out


def draw(evidence: Mapping[str, Any], ax: Any) -> None:
    for label, s in evidence["series"].items():
        line, = ax.loglog(s["t"], s["step"], label=f"||step|| {label}")
        ax.loglog(s["t"], s["kkt"], "--", color=line.get_color(), label="KKT residual")
    ax.set_xlabel("sweep t")
    ax.legend(fontsize=6)


CLAIM = Claim(
    id="zhang2017.global_convergence", paper="zhang2017", level="reconstructed", kind="invariant",
    source="Zhang & Brand 2017, abstract ('converges globally to stationary points'); lemmas L3, L4 and the "
           "Kurdyka-Lojasiewicz argument of theorem T1 are reconstructed in this claim's docstring",
    title="BCD iterates have finite length and converge to a KKT point; residual/step stays bounded",
    statement_latex=r"\sum_t\|x^t - x^{t-1}\|^2 \le \tfrac{2(F^0 - F^T)}{\eta},\ \sum_t\|x^t - x^{t-1}\| < \infty,\ "
                    r"r_t \to 0,\ r_t \le C_1\|x^t - x^{t-1}\|",
    grid=partial(long_grid, inner="pg20"), run=run_long, checks=checks,
    constants={"l3_factor": 2.0, "tail_length": 0.01, "l4_growth": 2.0, "kkt_drop": 1e-3},
    mutants=(Mutant("l3_factor_0.02", "sum of squared steps <= 0.02 (F^0 - F^T)/eta (100 times tighter)",
                    {"l3_factor": 0.02}),),
    figures=(Figure("steps_and_kkt", "Step norms and KKT residuals against sweeps (log-log).", draw),),
)
