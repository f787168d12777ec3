r"""Each BCD sweep decreases the lifted objective by at least :math:`\frac\eta2\|x^t - x^{t-1}\|^2` (lemma L1).

.. math::
    F(x^{t-1}) - F(x^t) \ \ge\ c\,\eta\,\|x^t - x^{t-1}\|^2,\qquad c = \tfrac12 .

**Source.** Zhang & Brand (NeurIPS 2017), abstract: convergence is proved "by exploiting ideas
from proximal point methods". A sufficient-decrease inequality of this form is the first lemma of
every proximal BCD convergence proof (Attouch-Bolte-Svaiter 2013, Xu-Yin 2013); the lemma and its
constant are reconstructed.

**Derivation (reconstructed).** A block update minimises (exactly or not) the proximal block
objective :math:`G(Z) = F(Z) + \frac\eta2\|Z - Z^{old}\|^2`, with :math:`G(Z^{old}) = F^{old}`. If
:math:`G(Z^{new}) \le G(Z^{old})`, then
:math:`F^{old} - F^{new} = G(Z^{old}) - G(Z^{new}) + \frac\eta2\|Z^{new} - Z^{old}\|^2 \ge \frac\eta2\|\Delta\|^2`;
summing over the blocks of a sweep gives the statement with :math:`c = \frac12`. For an *exact*
block minimiser the bound is sharper: :math:`G` is :math:`(\mu_b + \eta)`-strongly convex
(:math:`\mu_b \ge 0` the block's own modulus), so
:math:`G(Z^{old}) - G(Z^{new}) \ge \frac{\mu_b + \eta}2\|\Delta\|^2` and
:math:`F^{old} - F^{new} \ge (\eta + \frac{\mu_b}2)\|\Delta\|^2`. The decrease ratio
:math:`(F^{t-1} - F^t)/(\eta\|\Delta\|^2)` therefore sits near 1 (twice the stated
:math:`c = \frac12`) only when every block's modulus is small against :math:`\eta`: few samples
(rank-deficient Gram matrices), small :math:`\gamma` and :math:`\lambda`, :math:`\eta = 1`. The grid
includes such instances ("tight"), where a constant :math:`c \ge 1` would be violated.

**Checks.** Per run, the sweep with the smallest margin :math:`(F^{t-1} - F^t - c\eta\|\Delta\|^2)/|F^{t-1}|`
must be :math:`\ge -10^{-12}` (float64 evaluation of F). Constant ``c``. A search space explores
every size, depth, loss, output rule, inner solver and regulariser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from proofs_check.checks import Bound
from proofs_check.claim import Claim, Figure, Mutant, RunRecord
from proofs_check.claims.zhang2017._common import (
    F_REASON, F_RTOL, descent_grid, descent_label, descent_strategy, run_descent,
)
from proofs_check.search.space import SearchSpace

C = 0.5


def grid(profile: str) -> list[dict]:
    sweeps = {"quick": 12, "standard": 40, "full": 100}[profile]
    tight = [{"data": "synthetic", "M": 5, "hidden": [6, 5], "output": output, "loss": "squared", "inner": inner,
              "eta": 1.0, "lam": 1e-4, "gamma": 0.01, "sweeps": sweeps, "regime": "tight"}
             for output, inner in (("free", "exact"), ("none", "pg1"), ("free", "pg20"))]
    return descent_grid(profile, (1e-3, 0.1, 1.0)) + tight


def _margins(v: Mapping[str, Any], c: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    F, steps = np.array(v["F"]), np.array(v["step"])
    decrease = (F[:-1] - F[1:]) / np.abs(F[:-1])
    need = c * v["eta"] * steps ** 2 / np.abs(F[:-1])
    return decrease, need, decrease - need


def _worst(v: Mapping[str, Any], c: float, which: int) -> float:
    decrease, need, margin = _margins(v, c)
    return float((decrease, need)[which][int(np.argmin(margin))])


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Bound]:
    c = k["c"]
    series = {"ratio": {descent_label(r.params) + (" tight" if r.params.get("regime") else ""):
                        [float(d / (r.value["eta"] * s * s)) if s > 0 else None
                         for d, s in zip(np.diff(r.value["F"]) * -1, r.value["step"])]
                        for r in runs if r.params.get("regime") or r.params["data"] == "digits"},
              "c": c}
    return [Bound.of(runs, pred=lambda r: _worst(r.value, c, 1), obs=lambda r: _worst(r.value, c, 0),
                     sense="lower", atol=F_RTOL, reason=F_REASON, label="sufficient decrease",
                     evidence={"series": series},
                     predicted="(F^(t-1) - F^t)/|F^(t-1)| >= c eta ||x^t - x^(t-1)||^2/|F^(t-1)|, c = 1/2",
                     observed="the decrease at the sweep with the smallest margin (slack = decrease / required)")]


def score(value: Mapping[str, Any]) -> float:
    """The worst sweep's shortfall of the decrease over 1e-12 |F|."""
    return float(-np.min(_margins(value, C)[2])) / F_RTOL


def draw(evidence: Mapping[str, Any], ax: Any) -> None:
    s = evidence["series"]
    for label, r in s["ratio"].items():
        pts = [(t + 1, x) for t, x in enumerate(r) if x is not None and x > 0]
        if pts:
            ax.semilogy(*zip(*pts), label=label)
    ax.axhline(s["c"], color="k", ls="--", lw=1, label="stated c")
    ax.set_xlabel("sweep t")
    ax.set_ylabel("(F^{t-1} - F^t) / (eta ||x^t - x^{t-1}||^2)")
    ax.legend(fontsize=6)


CLAIM = Claim(
    id="zhang2017.sufficient_decrease", paper="zhang2017", level="reconstructed", kind="bound",
    source="Zhang & Brand 2017, abstract ('ideas from proximal point methods'); the sufficient-decrease lemma L1 "
           "with c = 1/2, and its sharper form for exact block minimisation, are derived in this claim's docstring",
    title="Each sweep decreases F by at least (eta/2)||x^t - x^{t-1}||^2",
    statement_latex=r"F(x^{t-1}) - F(x^t) \ge \tfrac{\eta}{2}\|x^t - x^{t-1}\|^2",
    grid=grid, run=run_descent, checks=checks, constants={"c": C},
    mutants=(Mutant("decrease_x3", "required decrease x 3: (3 eta/2)||x^t - x^{t-1}||^2", {"c": 3 * C}),
             Mutant("decrease_x1000", "required decrease x 1000 (c = 500: (1/2)||x^t - x^{t-1}||^2 at eta = 1e-3)",
                    {"c": 500.0})),
    figures=(Figure("decrease_ratio", "Per-sweep decrease of F over eta ||x^t - x^{t-1}||^2 (L1 needs >= c = 1/2; "
                                      "exact block minimisation gives >= 1).", draw),),
    search=SearchSpace(descent_strategy(st.floats(-4.0, 0.5).map(lambda x: 10.0**x)), score,
                       "worst sweep shortfall of the decrease / 1e-12 |F|", evaluate=run_descent,
                       budgets={"quick": 0, "standard": 60, "full": 400}),
)
