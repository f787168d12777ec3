r"""Claim 4 of Arora, Cohen, Golowich, Hu (ICLR 2019, Appendix C, proof in D.6): without balance, a
deficiency margin does not suffice.

For even :math:`N` and equal widths there is a target :math:`\Phi` with :math:`\sigma_{\min}(\Phi) = 1` such
that for every :math:`c \in (0, 1)` and every :math:`\eta > 0` some initialization with
:math:`W_{1:N}(0)` of margin :math:`c` makes gradient descent fail: :math:`\ell(t)` never drops below a
positive constant (it grows at least exponentially).

Sourced: the statement. Reconstructed: the construction. The paper's split of :math:`W_{1:N}(0) = c`
(through a number :math:`A` defined in its eq. (50)) was not available, so a substitute is used:
:math:`\Phi = 1`, :math:`W_1(0) = c/A^{N-1}`, :math:`W_j(0) = A` for :math:`j \ge 2`, with
:math:`A = 10^6/\min\{\eta, 1\}`. The first step sends :math:`W_1` to about :math:`\eta(1-c)A^{N-1}`, after
which all layers are huge, share a sign that alternates with :math:`t`, and the loss explodes (the
mechanism of the paper's Lemma 17). It runs in 30-digit mpmath, since the values leave float64's
range. The control: the balanced split :math:`W_j(0) = c^{1/N}` of the same product converges
wherever :math:`\eta N < 1` (half the stability limit :math:`2/N` at the optimum). A substitute that
does not blow up is a failure of this reconstruction, not of the paper.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from lintheory.arith import MPMath
from lintheory.arora import certified_margin
from lintheory.kernels import gd_float64
from lintheory.necessity import balanced_split, unbalanced_split
from lintheory.nets import Problem
from lintheory.train import Stop, gd
from proofs_check.checks import Check, Condition, Necessity
from proofs_check.claim import Claim, Figure, RunRecord
from proofs_check.claims.arora2018._common import pick
from proofs_check.search.space import SearchSpace

_DIVERGED_DECADES = 100.0


def grid(profile: str) -> list[dict[str, Any]]:
    depths = pick(profile, [2, 4], [2, 4, 6])
    etas = pick(profile, [1e-3, 1e-1, 1.0, 10.0], [1e-4, 1e-3, 1e-2, 1e-1, 0.3, 1.0, 10.0])
    margins = pick(profile, [0.8], [0.5, 0.8, 0.95])
    return [{"N": N, "eta": eta, "c": c, "steps": pick(profile, 8, 12)} for N in depths for eta in etas for c in margins]


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The unbalanced split in 30-digit mpmath, its loss and signs for a few steps; the balanced split
    of the same product in float64 (the control)."""
    N, eta, c, steps = params["N"], params["eta"], params["c"], params["steps"]
    ar = MPMath(dps=30)
    net = unbalanced_split(c, N, ar.number(10) ** 6 / ar.number(min(eta, 1.0)), ar)
    signs = lambda t, n, v, g: [int(ar.ctx.sign(F[0, 0])) for F in n.factors]  # noqa: E731
    traj, _ = gd(net, Problem.whitened([[1]], ar), ar.number(eta), Stop(max_iter=steps, diverge_factor=math.inf),
                 observers={"loss": lambda t, n, v, g: v, "signs": signs})
    log10_loss = [float(ar.ctx.log10(v)) for _, v in traj.observations["loss"]]
    sign_rows = [s for _, s in traj.observations["signs"]]
    shared = all(len(set(s)) == 1 for s in sign_rows[1:])
    control = gd_float64(list(balanced_split(c, N).factors), None, np.array([[1.0]]), eta, eps=1e-12,
                         max_iter=300_000, history=2)
    return {"log10_loss": log10_loss, "margin0": certified_margin(ar.to_numpy(net.end_to_end()), np.array([[1.0]])),
            "never_below_initial": min(log10_loss[1:]) >= log10_loss[0], "growth_decades": log10_loss[-1] - log10_loss[0],
            "shared_sign": shared,
            "alternating_sign": shared and all(sign_rows[t][0] == -sign_rows[t + 1][0] for t in range(1, len(sign_rows) - 1)),
            "balanced_control": {"status": control.status, "iterations": control.iterations}}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    rows = [{"params": r.params, "shown": r.value["never_below_initial"] and r.value["growth_decades"] >= _DIVERGED_DECADES,
             "growth_decades": r.value["growth_decades"], "margin0": r.value["margin0"],
             "alternating_sign": r.value["alternating_sign"]} for r in runs]
    controls = [r for r in runs if r.params["eta"] * r.params["N"] < 1]
    failed = [r.params for r in controls if r.value["balanced_control"]["status"] != "converged"]
    series = {"curves": [{"label": f"N={r.params['N']} eta={r.params['eta']:g}", "log10_loss": r.value["log10_loss"]}
                         for r in runs if r.params["c"] == runs[0].params["c"]]}
    return [
        Necessity(label="blow-up", rows=rows, effect="l(t) >= l(0) for every t and l(K) >= 1e100 l(0)",
                  predicted="the unbalanced split of W_{1:N}(0) = c (margin c) never gets below l(0), for every eta",
                  observed="log10 l(t) over the first steps (mpmath; values beyond float64)", arithmetic="mpmath:dps=30",
                  reason="substitute for the paper's split (eq. (50) not recovered)", evidence={"series": series}),
        Condition(label="balanced control", role="control", ok=not failed,
                  summary=f"the balanced split converges in {len(controls) - len(failed)} of {len(controls)} runs with eta N < 1",
                  predicted="the balanced split W_j = c^{1/N} converges (l <= 1e-12) wherever eta N < 1",
                  observed="status of float64 GD within 3e5 steps", tolerance="l <= 1e-12",
                  evidence={"violations": failed}),
    ]


def _draw(evidence: Mapping[str, Any], ax: Any) -> None:
    # one colour per depth, one legend entry per depth: the step sizes of a depth draw nearly one curve
    colours: dict[str, str] = {}
    for s in evidence.get("series", {}).get("curves", []):
        y = np.array(s["log10_loss"])
        depth = s["label"].split()[0]
        first = depth not in colours
        colour = colours.setdefault(depth, f"C{len(colours)}")
        ax.semilogy(range(len(y)), np.maximum(y - y[0], 1e-1), "o-", ms=2, lw=0.8, color=colour, alpha=0.7,
                    label=f"{depth} (every eta)" if first else None)
    ax.set_xlabel("GD step t")
    ax.set_ylabel("log10 l(t) - log10 l(0)")
    ax.legend()


def _score(value: Mapping[str, Any]) -> float:
    if not value["never_below_initial"]:
        return math.inf
    return 100.0 / value["growth_decades"] if value["growth_decades"] > 0 else math.inf


CLAIM = Claim(
    id="arora2018.claim4_unbalanced_divergence", paper="arora2018",
    source="Claim 4 (Appendix C, proof in D.6): the statement is the paper's; its split (eq. (50)) was not available, "
           "so a substitute construction (described in the claim's docstring) is used",
    title="Without balance a margin-c init can diverge for every eta, while the balanced split converges",
    statement_latex=r"W_1(0) = c/A^{N-1},\ W_{j\ge2}(0) = A:\ W_{1:N}(0) = c,\ \ell(t) \ge \ell(0)\ \forall t,\ "
                    r"\ell(t) \to \infty",
    kind="necessity", level="reconstructed", grid=grid, run=run, checks=checks,
    no_mutants="a construction that must blow up for every step size and margin; the step and the margin are the grid "
               "itself, and no constant of the statement can be weakened",
    figures=(Figure("claim4_blowup", "Loss growth of the unbalanced split (decades above l(0)).", _draw),),
    search=SearchSpace(
        st.fixed_dictionaries({"N": st.sampled_from([2, 4, 6]), "eta": st.floats(-4.0, 1.0).map(lambda x: 10.0**x),
                               "c": st.floats(0.05, 0.99), "steps": st.integers(4, 12)}),
        _score, "100 decades / observed decades of growth", seeded=False, onset="eta",
        budgets={"quick": 0, "standard": 40, "full": 300}),
)
