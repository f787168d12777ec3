r"""Width does not matter beyond max(d_x, d_y) under an orthogonal-like initialization (reconstructed).

Shin (2019), arXiv:1910.05874, abstract: with an orthogonal-like initialization, the width of
the intermediate layers has no effect on gradient-based training once it is at least a
threshold; arXiv v2 names it: at least the input and the output dimension.  The paper's
definitions were not available; this is the reconstruction.

**Orthogonal-like initialization whose starting map does not depend on the width.**  For
hidden width :math:`n \ge k = \max(d_x, d_y)`: :math:`W_1, \dots, W_{L-1}` are independent
semi-orthogonal blocks (the top-left :math:`n_j\times n_{j-1}` block of a Haar orthogonal
matrix: orthonormal columns :math:`W_j^\top W_j = I`) and :math:`W_L = 0`, so the starting
end-to-end map is :math:`0` for every :math:`n` ("zero top").  A second family fixes a
nonzero starting map: :math:`W_1 = Q_1[I;0]`, :math:`W_j = Q_jQ_{j-1}^\top`,
:math:`W_L = [C\ 0]Q_{L-1}^\top` with independent Haar :math:`Q_j` and one orthogonal core
:math:`C` ("lifted"), so :math:`W_{L:1} = C_{[:, :d_x]}` for every :math:`n`.

**Statement.**  From such a start, the BCGD loss trajectory (exact step, or normalised step
with any :math:`\eta`; either sweep order) is the same for every :math:`n \ge k`.  Why: every
block update depends on the weights only through :math:`A_j`, :math:`B_j` and Gram products
such as :math:`A_jA_j^\top` and :math:`B_j^\top B_j`; by induction over the updates each layer
stays of the form "orthonormal lift times a :math:`k`-dimensional matrix", so these Grams
are polynomials in :math:`X`, :math:`Y` and :math:`k`-dimensional quantities that do not
involve :math:`n` (for zero top, the first nonzero update is :math:`W_L = \frac{\eta}{m}
RX^\top W_{L-1:1}^\top`, already of that form).  Below the threshold (:math:`n < d_x`)
:math:`W_{L-1:1}` cannot have orthonormal columns and the trajectory changes.

**Toolkit observation (not the paper's).**  With every layer a Haar block (no zero top, no
common core) the starting map shrinks with the width: for :math:`V = W_{L-1:1}`
(orthonormal columns spanning a uniformly random :math:`d_x`-dimensional subspace) and
:math:`W_L` with orthonormal rows, :math:`\mathbb E\|W_LV\|_F^2 = \operatorname{tr}
(\mathbb E[VV^\top]\,W_L^\top W_L) = \frac{d_x}{n}\operatorname{tr}(W_L^\top W_L) =
\frac{d_xd_y}{n}`, so runs at different widths start from different maps and their final
gaps trend with :math:`n`.  This is checked at level ``observation`` and cannot refute the
statement.  Constants: ``width_threshold`` ("max": :math:`n \ge \max(d_x, d_y)`) and
``haar_power`` (1: :math:`\mathbb E\|W_{L:1}(0)\|_F^2 = d_xd_yk^{p-1}/n^p` with :math:`p = 1`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lintheory import fit
from lintheory.arith import arithmetic
from lintheory.inits import orthogonal_like
from lintheory.lifting import lifted_orthogonal_like, orthogonal_core
from lintheory.lsq import conditioned_data
from lintheory.nets import deep_linear
from lintheory.train import Exact, Stop, bcgd
from proofs_check.checks import Check, Identity, Scaling
from proofs_check.claim import Claim, Figure, Mutant, RunRecord
from proofs_check.claims.shin2019._common import ORDERS, SAFETY, param, step_rule, u

CFG: dict[str, Any] = {"d_x": 5, "d_y": 3, "L": 5, "m": 40, "kappa": 50.0, "sweeps": 6}
CFG_MP: dict[str, Any] = {"d_x": 3, "d_y": 2, "L": 3, "m": 10, "kappa": 50.0, "sweeps": 3}
RANDOM_PER_RUN = 8
_STEPS = (("exact", None), ("normalised", 1.0), ("normalised", 0.5))


def grid(profile: str) -> list[dict[str, Any]]:
    batches = {"quick": 3, "standard": 10, "full": 40}[profile]
    lifted = [{"part": "lifted", "arith": "float64", "order": o, "step": s, "eta": e} for o in ORDERS for s, e in _STEPS]
    mp = [("ascending", "exact", None)] + ([("descending", "normalised", 1.0)] if profile != "quick" else [])
    lifted += [{"part": "lifted", "arith": "mpmath:dps=40", "order": o, "step": s, "eta": e} for o, s, e in mp]
    # with W_L = 0 every block below the top sees A = 0 first: the normalised step needs ||A|| > 0, so it
    # starts from the top (descending)
    zero = [{"part": "zero_top", "order": o, "step": s, "eta": e} for o, s, e in
            (("ascending", "exact", None), ("descending", "exact", None), ("descending", "normalised", 1.0),
             ("descending", "normalised", 0.5))]
    return lifted + zero + [{"part": "haar", "batch": b} for b in range(batches)]


def _widths(threshold: int, arith: str) -> list[int]:
    return [threshold, threshold + 2, 2 * threshold] if arith != "float64" else \
        [threshold, threshold + 2, 3 * threshold, 10 * threshold]


def _trajectories(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Loss after every block update at each width, from independent inits with a width-free starting map."""
    zero_top = param(params, "part") == "zero_top"
    ar = arithmetic("float64" if zero_top else param(params, "arith"))
    cfg = CFG if ar.name == "float64" else CFG_MP
    step = step_rule(param(params, "step", ("exact", "normalised")), params.get("eta"))
    rng = np.random.default_rng(seed)
    data = conditioned_data(cfg["d_x"], cfg["d_y"], cfg["m"], cfg["kappa"], rng, ar)
    k = max(cfg["d_x"], cfg["d_y"])
    if zero_top:
        threshold = {"max": k, "min": min(cfg["d_x"], cfg["d_y"])}[param(params, "width_threshold", ("max", "min"))]
    else:
        core, threshold = orthogonal_core(cfg["d_x"], cfg["d_y"], rng, ar), k
    widths, trajectories = _widths(threshold, ar.name), []
    for n in widths:
        if zero_top:
            Ws = list(orthogonal_like((cfg["d_x"], *([n] * (cfg["L"] - 1)), cfg["d_y"]), rng).factors)
            net = deep_linear(Ws[:-1] + [np.zeros_like(Ws[-1])], ar)
        else:
            net = lifted_orthogonal_like(core, cfg["d_x"], cfg["L"], n, rng, ar)
        losses: list[Any] = []
        bcgd(net, data.problem(), step, order=param(params, "order", ORDERS), stop=Stop(max_iter=cfg["sweeps"]),
             on_block=lambda s: losses.append(s.loss_after))
        trajectories.append(losses)
    ref = trajectories[0]
    deviation = max(ar.to_float(abs((a - b) / b)) for t in trajectories[1:] for a, b in zip(t, ref, strict=True))
    return {"widths": widths, "deviation": deviation, "allowed": SAFETY * cfg["L"] * u(ar),
            "curves": {str(n): [ar.to_float(x) for x in t] for n, t in zip(widths, trajectories, strict=True)}}


def _haar(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Independent all-Haar inits at each width on the same data (toolkit observation), and as a
    control lifts of an independent random core (starting map of the same law at every width)."""
    cfg, rng = CFG, np.random.default_rng(seed)
    points = []
    for instance in range(RANDOM_PER_RUN):
        data = conditioned_data(cfg["d_x"], cfg["d_y"], cfg["m"], cfg["kappa"], rng)
        for n in _widths(max(cfg["d_x"], cfg["d_y"]), "float64"):
            haar = orthogonal_like((cfg["d_x"], *([n] * (cfg["L"] - 1)), cfg["d_y"]), rng)
            lifted = lifted_orthogonal_like(orthogonal_core(cfg["d_x"], cfg["d_y"], rng), cfg["d_x"], cfg["L"], n, rng)
            for init, net in (("haar", haar), ("lifted_core", lifted)):
                _, net_T = bcgd(net, data.problem(), Exact(), stop=Stop(max_iter=cfg["sweeps"]))
                points.append({"init": init, "instance": instance, "n": n, "gap": float(data.gap(net_T.end_to_end())),
                               "e2e_sq0": float(np.sum(net.end_to_end() ** 2))})
    return {"points": points}


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    return _haar(params, seed) if param(params, "part", ("lifted", "zero_top", "haar")) == "haar" \
        else _trajectories(params, seed)


def _trend(points: Sequence[Mapping[str, Any]]) -> fit.LinearFit:
    """Slope of log gap against log n, log gaps centred per data set (each data set is run at every width)."""
    centres: dict[tuple[int, int], list[float]] = {}
    for p in points:
        centres.setdefault((p["run"], p["instance"]), []).append(math.log(p["gap"]))
    return fit.linear([math.log(p["n"]) for p in points],
                      [math.log(p["gap"]) - statistics.fmean(centres[(p["run"], p["instance"])]) for p in points])


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    def rows(part: str) -> list[dict[str, Any]]:
        return [{"params": {**r.params, "widths": r.value["widths"]}, "predicted": 0.0, "observed": r.value["deviation"],
                 "error": r.value["deviation"], "allowed": r.value["allowed"]} for r in runs if r.params["part"] == part]

    points = [{**p, "run": i} for i, r in enumerate(runs) if r.params["part"] == "haar" for p in r.value["points"]]
    haar = [p for p in points if p["init"] == "haar"]
    d_x, d_y, p_ = CFG["d_x"], CFG["d_y"], float(k["haar_power"])
    top = max(d_x, d_y)
    norms = []
    for n in sorted({p["n"] for p in haar}):
        values = [p["e2e_sq0"] for p in haar if p["n"] == n]
        se = statistics.stdev(values) / math.sqrt(len(values))
        norms.append({"params": {"n": n, "samples": len(values)}, "predicted": d_x * d_y * top ** (p_ - 1) / n ** p_,
                      "observed": statistics.fmean(values), "allowed": 4 * se + 1e-12 * d_x * d_y / n})
    trend, control = _trend(haar), _trend([p for p in points if p["init"] == "lifted_core"])
    zero = next((r for r in runs if r.params["part"] == "zero_top" and r.params["step"] == "exact"), None)
    ev = {"control_lifted_core": {"slope": control.slope, "ci95": list(control.ci95), "n": control.n}}
    return [
        Identity(label="zero top", rows=rows("zero_top"),
                 predicted=f"independent inits per width, W_L = 0: identical loss trajectories for n >= "
                           f"{k['width_threshold']}(d_x, d_y)", observed="max relative deviation of the loss after "
                 "every block update across widths", reason=f"round-off of a depth-L product: {SAFETY:g}*L*u",
                 evidence={"series": {"zero_top": zero.value["curves"] if zero else {}}}),
        Identity(label="lifted core", rows=rows("lifted"), predicted="same starting map, independent lifts per "
                 "width: identical loss trajectories for n >= max(d_x, d_y)", observed="max relative deviation "
                 "across widths", arithmetic="float64, mpmath:dps=40", reason=f"round-off: {SAFETY:g}*L*u"),
        Identity(label="Haar starting map", level="observation", rows=norms,
                 predicted=f"all-Haar init: mean ||W_L:1(0)||_F^2 = d_x d_y k^(p-1)/n^p, p = {p_:g}",
                 observed="sample mean over independent inits", reason="4 standard errors of the sample mean",
                 evidence={"series": {"haar_norms": norms}}),
        Scaling(label="Haar gap trend", level="observation", fit=trend, expected=0.0, sense="at_most",
                predicted="all-Haar init: the gap after 6 sweeps does not grow with the width",
                observed="slope of log(gap), centred per data set, against log n", reason="95% interval of the fit",
                evidence=ev),
    ]


def _draw_zero_top(evidence: Mapping[str, Any], ax: Any) -> None:
    for i, (n, curve) in enumerate(evidence["series"]["zero_top"].items()):
        ax.semilogy(curve, ls="-" if i == 0 else "--", marker=None if i == 0 else ".", ms=3, label=f"n={n}")
    ax.set_xlabel("block update")
    ax.set_ylabel("loss")
    ax.set_title(r"$W_L = 0$, independent semi-orthogonal layers (exact step)")
    ax.legend(fontsize=7)


def _draw_haar(evidence: Mapping[str, Any], ax: Any) -> None:
    rows = evidence["series"]["haar_norms"]
    ns = [r["params"]["n"] for r in rows]
    ax.errorbar(ns, [r["observed"] for r in rows], yerr=[r["allowed"] for r in rows], fmt="o", label="mean (4 s.e.)")
    ax.loglog(ns, [r["predicted"] for r in rows], "k--", label=r"$d_xd_y/n$")
    ax.set_xlabel("hidden width n")
    ax.set_ylabel(r"$\|W_{L:1}(0)\|_F^2$, all-Haar init")
    ax.legend(fontsize=8)


CLAIM = Claim(
    id="shin2019.width_independence", paper="shin2019", level="reconstructed",
    source=("Shin (2019), abstract: with an orthogonal-like initialization the width has no effect beyond a "
            "threshold (arXiv v2: width >= input and output dimension). Initialization and statement reconstructed "
            "(paper body unavailable): independent semi-orthogonal layers whose starting end-to-end map does not "
            "depend on the width (last layer zero, or a common core); argument in this claim's file. The all-Haar "
            "trend in width is the toolkit's observation"),
    title="Orthogonal-like init with a width-free starting map: width >= max(d_x,d_y) does not change BCGD",
    statement_latex=(r"W_{L:1}^{(0)} \text{ independent of } n,\ n \ge \max(d_x,d_y):\ "
                     r"\ell(\theta^{(k)}_n) \text{ independent of } n"),
    kind="invariant", grid=grid, run=run, checks=checks, constants={"width_threshold": "max", "haar_power": 1.0},
    run_constants=("width_threshold",),
    mutants=(Mutant("threshold_min", "width independence already from min(d_x, d_y)", {"width_threshold": "min"}),
             Mutant("haar_sqrt", "all-Haar starting map: mean ||W_L:1(0)||^2 falls like n^-1/2", {"haar_power": 0.5})),
    figures=(Figure("zero_top_trajectories", "Loss after every block update for several widths, independent "
                    "semi-orthogonal layers with the last layer zero: the curves coincide.", _draw_zero_top),
             Figure("haar_starting_map", "All-Haar initialization (toolkit observation): the starting end-to-end map "
                    "shrinks like d_x d_y / n.", _draw_haar)),
)
