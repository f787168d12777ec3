r"""The extreme case: whitened data and an orthogonal-like start reach the optimum in one block update (reconstructed).

Shin (2019), arXiv:1910.05874, abstract (arXiv v2): "in an extreme case, the global optimum
is achieved after updating each weight matrix only once".  The paper's hypotheses were not
available; this reconstruction gives a case where it holds, with a proof.  Let the data be
whitened, :math:`XX^\top = mI`, every layer semi-orthogonal (orthonormal columns where
:math:`n_j \ge n_{j-1}`, orthonormal rows otherwise) and every hidden width
:math:`n_j \ge \max(d_x, d_y)`.  Then at the first block updated, :math:`AA^\top = I` and
:math:`W_{j-1:1}^\top W_{j-1:1} = I`, so the end-to-end change of one step is

.. math::
    \Delta W_{L:1} = -\eta\,AA^\top\, \tfrac1m R X^\top\, W_{j-1:1}^\top W_{j-1:1}
    = -\eta\,\tfrac1m RX^\top ,

and :math:`\kappa_j = 1`, so the exact step and the normalised step with :math:`\eta = 1`
both take :math:`\eta = 1`: :math:`W_{L:1} \leftarrow W_{L:1} - (W_{L:1}X - Y)X^\top/m = YX^\top/m
= YX^+`, the least-squares optimum.  Later updates see a zero gradient.  Checked in float64
and in mpmath at 60 digits, both orders, both steps; a non-whitened control
(:math:`\kappa(XX^\top) = 10`) must not reach the optimum; narrow widths
(:math:`n < \max(d_x, d_y)`) are reported.  Constant ``kappa_X``: the data's condition number
under which the statement holds (stated 1, i.e. whitened).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from lintheory.arith import arithmetic
from lintheory.bcgd_analysis import BlockRecorder
from lintheory.certify import singular_values_enclosure
from lintheory.inits import orthogonal_like
from lintheory.lsq import conditioned_data
from lintheory.nets import Problem, deep_linear, loss_and_gradients
from lintheory.train import Stop, bcgd
from proofs_check.checks import Check, Identity, Necessity
from proofs_check.claim import Claim, Mutant, RunRecord
from proofs_check.claims.shin2019._common import ORDERS, SAFETY, error_figure, param, step_rule, u
from proofs_check.search.space import CertificateSpec, SearchSpace

_POSITIVE = ((4, 3, 4, 5), (4, 3, 10, 5), (3, 6, 7, 5), (3, 3, 3, 2))
_MORE = ((6, 2, 6, 8), (2, 5, 9, 3), (5, 5, 12, 16))


def grid(profile: str) -> list[dict[str, Any]]:
    shapes = _POSITIVE if profile == "quick" else _POSITIVE + _MORE
    out = [{"case": "whitened", "shape": list(s), "order": o, "step": st, "arith": "float64"}
           for s in shapes for o in ORDERS for st in ("exact", "normalised")]
    mp = [((4, 3, 4, 5), "ascending", "exact"), ((3, 6, 7, 5), "descending", "normalised")]
    if profile != "quick":
        mp += [((4, 3, 10, 5), "descending", "exact"), ((3, 3, 3, 2), "ascending", "normalised")]
    out += [{"case": "whitened", "shape": list(s), "order": o, "step": st, "arith": "mpmath:dps=60"} for s, o, st in mp]
    out += [{"case": "control_not_whitened", "shape": [4, 3, 4, 5], "order": o, "step": "exact", "arith": "float64"}
            for o in ORDERS]
    return out + [{"case": "control_narrow", "shape": list(s), "order": o, "step": "exact", "arith": "float64"}
                  for s in ((4, 3, 3, 5), (3, 6, 3, 5), (4, 3, 2, 5)) for o in ORDERS]


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """One sweep from an orthogonal-like start: the gap after the first block update, the largest gap
    after later updates (both over the initial loss), and max_j ||G_j|| after the sweep over before."""
    case = param(params, "case", ("whitened", "control_not_whitened", "control_narrow"))
    d_x, d_y, n, L = (int(v) for v in param(params, "shape"))
    ar, step = arithmetic(param(params, "arith")), step_rule(param(params, "step", ("exact", "normalised")))
    rng = np.random.default_rng(seed)
    kappa = 10.0 if case == "control_not_whitened" else float(params["kappa_X"])
    data = conditioned_data(d_x, d_y, 3 * (d_x + 1), kappa, rng, ar)
    net = orthogonal_like((d_x, *([n] * (L - 1)), d_y), rng, ar=ar)
    problem = data.problem()
    _, grads0 = loss_and_gradients(net, problem)
    rec = BlockRecorder(data, step, kappa=False)
    _, net1 = bcgd(net, problem, step, order=param(params, "order", ORDERS), stop=Stop(max_iter=1), on_block=rec)
    _, grads1 = loss_and_gradients(net1, problem)
    loss0 = rec.records[0].loss_before
    grad_ratio = max(ar.to_float(ar.frob(g)) for g in grads1) / max(ar.to_float(ar.frob(g)) for g in grads0)
    return {"first_gap": rec.records[0].gap_after / loss0, "grad_ratio": grad_ratio,
            "later_gap": max((r.gap_after for r in rec.records[1:]), default=0.0) / loss0,
            "allowed": SAFETY * L * u(ar), "first_step": rec.records[0].step}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    def row(r: RunRecord) -> dict[str, Any]:
        v = r.value
        return {"params": dict(r.params), "predicted": 0.0, "observed": v["first_gap"], "later_gap": v["later_gap"],
                "grad_ratio": v["grad_ratio"], "error": max(v["first_gap"], v["later_gap"], v["grad_ratio"]),
                "allowed": v["allowed"], "first_step": v["first_step"]}

    def reached(r: RunRecord) -> bool:
        return r.value["first_gap"] <= r.value["allowed"]

    narrow = {f"{r.params['shape']} {r.params['order']}": "optimum after one update" if reached(r) else "not reached"
              for r in runs if r.params["case"] == "control_narrow"}
    arith = ", ".join(sorted({r.params["arith"] for r in runs}))
    return [
        Identity(label="one update", rows=[row(r) for r in runs if r.params["case"] == "whitened"],
                 predicted=f"kappa(XX^T) = {k['kappa_X']:g}: gap = 0 after the first block update and for the rest of "
                           "the sweep; zero gradients after it",
                 observed="max of: gap/loss0 after the first update (gap as ||R P_X||^2/2m), largest gap/loss0 after "
                          "later updates, max_j ||G_j|| after the sweep / before", arithmetic=arith,
                 reason=f"round-off of a depth-L product: {SAFETY:g}*L*u (float64 2^-53, mpmath:dps=60 2^-203)",
                 evidence={"narrow_widths": narrow}),
        Necessity(label="non-whitened control", role="control", effect="the optimum is not reached in one update",
                  rows=[{"params": dict(r.params), "shown": not reached(r), "first_gap": r.value["first_gap"]}
                        for r in runs if r.params["case"] == "control_not_whitened"],
                  predicted="kappa(XX^T) = 10: gap after the first update > allowance",
                  observed="gap/loss0 after the first update", reason="the same round-off allowance"),
    ]


# --- counterexample search and Arb certificate -------------------------------------------

_SPACE = st.fixed_dictionaries({
    "d_x": st.integers(1, 6), "d_y": st.integers(1, 6), "n_extra": st.integers(0, 6), "L": st.integers(2, 6),
    "order": st.sampled_from(["ascending", "descending"]), "step": st.sampled_from(["exact", "normalised"]),
}).map(lambda p: {"case": "whitened", "shape": [p["d_x"], p["d_y"], max(p["d_x"], p["d_y"]) + p["n_extra"], p["L"]],  # type: ignore[call-overload]  # hypothesis types fixed_dictionaries' values as object
                  "order": p["order"], "step": p["step"], "arith": "float64", "kappa_X": 1.0})


def _inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    r"""Exactly whitened data (:math:`\pm 1` Hadamard columns, :math:`m = 4^k`) and signed-permutation layers."""
    d_x, d_y, n, L = (int(v) for v in params["shape"])
    rng = np.random.default_rng(seed)
    m = 4 ** max(1, math.ceil(math.log(3 * (d_x + 1), 4)))
    data = conditioned_data(d_x, d_y, m, 1.0, rng, "float64", basis="hadamard")
    widths = (d_x, *([n] * (L - 1)), d_y)
    Ws = []
    for j in range(1, len(widths)):
        size = max(widths[j], widths[j - 1])
        Q = np.eye(size)[rng.permutation(size)] * rng.choice([-1.0, 1.0], size=size)
        Ws.append(Q[: widths[j], : widths[j - 1]])
    return {**{f"W{j}": W for j, W in enumerate(Ws)}, "X": data.X, "Y": data.Y,
            "eta": 1.0 if params["step"] == "normalised" else 0.0}


def _certify(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r"""Loss after the first block update (block 1; exact step, or normalised :math:`\eta = 1`) :math:`= \ell^*`."""
    Ws = [x[f"W{j}"] for j in range(sum(1 for key in x if key.startswith("W")))]
    X, Y = x["X"], x["Y"]
    m = ar.shape(X)[1]
    prob = Problem.data(X, Y, ar)
    _, grads = loss_and_gradients(deep_linear(Ws, ar), prob)
    A = ar.identity(ar.shape(Ws[0])[0])
    for W in Ws[1:]:
        A = ar.matmul(W, A)
    G = grads[0]
    if x["eta"] == 0:
        eta = m * ar.frob_sq(G) / ar.frob_sq(ar.matmul(ar.matmul(A, G), X))
    else:
        s_A, s_X = singular_values_enclosure(A, ar.prec), singular_values_enclosure(X, ar.prec)
        eta = x["eta"] * m / (s_A[0] ** 2 * s_X[0] ** 2)
    after = prob.loss_of(ar.matmul(A, ar.sub(Ws[0], ar.scale(eta, G))))
    return after, prob.loss_of(ar.matmul(ar.matmul(Y, ar.T(X)), (X * ar.T(X)).solve(ar.identity(ar.shape(X)[0]))))


CLAIM = Claim(
    id="shin2019.one_sweep_global_optimum", paper="shin2019", level="reconstructed",
    source=("Shin (2019), abstract (arXiv v2): in an extreme case the global optimum is reached after each weight "
            "matrix is updated once. Hypotheses reconstructed (paper body unavailable): whitened data, "
            "semi-orthogonal layers, widths >= max(d_x, d_y); the proof is in this claim's file"),
    title="Whitened data + orthogonal-like init, widths >= max(d_x,d_y): the first block update reaches the optimum",
    statement_latex=(r"XX^\top = mI,\ W_j \text{ semi-orthogonal},\ n_j \ge \max(d_x,d_y)\ \Rightarrow\ "
                     r"\ell(\text{after the first block update}) = \ell^*"),
    kind="identity", grid=grid, run=run, checks=checks, constants={"kappa_X": 1.0}, run_constants=("kappa_X",),
    mutants=(Mutant("not_whitened", "the one-update optimum also for kappa(XX^T) = 1.5", {"kappa_X": 1.5}),),
    figures=(error_figure("one update", "Gap after the first update (and later gaps, gradient ratio) against the "
                          "round-off allowance, float64 and mpmath."),),
    search=SearchSpace(_SPACE, lambda v: max(v["first_gap"], v["later_gap"], v["grad_ratio"]) / v["allowed"],
                       "max(gap after first update, later gaps, gradient ratio) / allowance",
                       budgets={"quick": 0, "standard": 40, "full": 300}),
    certificate=CertificateSpec(_inputs, _certify, "==", "loss after the first block update = loss* on exactly "
                                "whitened data with exactly orthogonal-like layers", tolerance=1e-40,
                                applies=lambda p: p.get("case") == "whitened", max_instances=8),
)
