r"""Per-block linear contraction of the gap and its product over a sweep (reconstructed).

Shin (2019), arXiv:1910.05874, abstract: "a general convergence analysis of BCGD".  The
paper's theorem was not available; this is the reconstruction.  Assume at block :math:`j`
that :math:`A_j` has full row rank :math:`d_y` and that :math:`B_j` has the row space of
:math:`X` (widths :math:`\ge \max(d_x, d_y)` and a generic initialization give both), and
let :math:`r = \operatorname{rank}X` and

.. math::
    \kappa_j = \Big(\frac{\|A_j\|_2\,\|B_j\|_2}{\sigma_{d_y}(A_j)\,\sigma_r(B_j)}\Big)^2 \ge 1 .

With the normalised step :math:`\eta\,m/(\|A\|_2^2\|B\|_2^2)` the decrease is at least
:math:`\frac{\eta(2-\eta)}{2}m\|G\|_F^2/(\|A\|_2^2\|B\|_2^2)` (``optimal_step_normalised``).
Since :math:`mG = A^\top(RP_X)B^\top` (the part of :math:`R` outside the row space of
:math:`X` is orthogonal to :math:`B`), :math:`\|A^\top M\|_F \ge \sigma_{d_y}(A)\|M\|_F` and
:math:`\|MB^\top\|_F \ge \sigma_r(B)\|M\|_F` for :math:`M` with rows in the row space of
:math:`B`, we get :math:`m\|G\|_F^2 \ge \sigma_{d_y}(A)^2\sigma_r(B)^2\cdot 2(\ell - \ell^*)`, hence

.. math::
    \ell^+ - \ell^* \le \Big(1 - \frac{\eta(2-\eta)}{\kappa_j}\Big)(\ell - \ell^*),\qquad
    \ell(\theta^{k+1}) - \ell^* \le \prod_{j=1}^{L}\Big(1 - \frac{\eta(2-\eta)}{\kappa_j^{(k)}}\Big)
    (\ell(\theta^k) - \ell^*),

and the exact step, which minimises along the same direction, satisfies the bound with
:math:`\eta = 1`.  Checked on random instances (dimensions, depths, widths, Gaussian or
orthogonal-like init, :math:`\kappa(XX^\top) \le 50`, both step rules and orders) and on
stress instances with :math:`\kappa(XX^\top)` up to :math:`10^8` in float64 and in mpmath at
40 digits.  Constants: ``guarantee_factor`` :math:`c` and ``kappa_power`` :math:`p` of the
guaranteed fraction :math:`c\,\eta(2-\eta)/\kappa_j^p` (stated: 1 and 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from lintheory import fit
from lintheory.arith import arithmetic
from lintheory.bcgd_analysis import BlockRecorder
from lintheory.certify import singular_values_enclosure
from lintheory.inits import gaussian, orthogonal_like
from lintheory.lsq import conditioned_data
from lintheory.nets import Problem, deep_linear, loss_and_gradients
from lintheory.train import Exact, Normalised, Stop, bcgd
from proofs_check.checks import Bound, Check
from proofs_check.claim import Claim, Figure, Mutant, RunRecord
from proofs_check.claims.shin2019._common import (
    CONTRACTION_REASON, NORMALISED, U64, contraction_rows, envelope_curve, latex_steps, param, random_instance,
    record, step_name, u,
)
from proofs_check.search.space import CertificateSpec, SearchSpace

BATCH, STRESS_SWEEPS = 25, 40
GRID = {p: [{"part": "random", "batch": b} for b in range(batches)] + [{"part": "stress", "kappa": k} for k in kappas]
        for p, (batches, kappas) in {"quick": (4, (1e4, 1e8)), "standard": (12, (1e2, 1e4, 1e6, 1e8)),
                                     "full": (40, (1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8))}.items()}


def _stress_instance(kappa: float, seed: int) -> tuple[Any, Any]:
    """kappa(XX^T) = kappa on an exactly representable instance (Hadamard row basis), depth 3, width 2."""
    rng = np.random.default_rng(seed)
    return (conditioned_data(2, 2, 16, kappa, rng, "float64", noise=2.0, basis="hadamard"),
            orthogonal_like((2, 2, 2, 2), rng))


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Every block update, recorded: BATCH random instances (3 sweeps), or one stress instance run in
    float64 and mpmath:dps=40 with the exact and the normalised (eta = 1) step (STRESS_SWEEPS sweeps)."""
    runs = []
    if param(params, "part", ("random", "stress")) == "random":
        ar, rng = arithmetic("float64"), np.random.default_rng(seed)
        for i in range(BATCH):
            inst = random_instance(rng, ar)
            rec = BlockRecorder(inst.data, inst.step)
            bcgd(inst.net, inst.data.problem(), inst.step, order=inst.order, stop=Stop(max_iter=3), on_block=rec)
            runs.append({"params": {"instance": i, **inst.description},
                         "records": [record(r, inst.step, inst.net.depth, u(ar)) for r in rec.records]})
        return {"runs": runs}
    data64, net64 = _stress_instance(float(param(params, "kappa")), seed)
    for name in ("float64", "mpmath:dps=40"):
        ar = arithmetic(name)
        data, net = data64.to(ar), net64.to(ar)
        for step in (Exact(), Normalised(1.0)):
            rec = BlockRecorder(data, step)
            bcgd(net, data.problem(), step, stop=Stop(max_iter=STRESS_SWEEPS), on_block=rec)
            runs.append({"params": {"arith": name, "step": step_name(step)},
                         "records": [record(r, step, net.depth, u(ar)) for r in rec.records]})
    return {"runs": runs}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    blocks, sweeps, curves, points = [], [], {}, []
    for r in runs:
        for inst in r.value["runs"]:
            params = {**r.params, **inst["params"]}
            block, sweep = contraction_rows(inst["records"], k, params)
            blocks.append(block)
            sweeps.append(sweep)
            points += [(x["kappa"], x["decrease"]) for x in inst["records"] if x["gap"] > 0]
            if r.params["part"] == "stress" or inst["params"]["instance"] < 2:
                label = (f"kappa(XX^T)={r.params['kappa']:.0e}, {inst['params']['step']}, {inst['params']['arith']}"
                         if r.params["part"] == "stress" else f"random batch {r.params['batch']}, instance "
                         f"{inst['params']['instance']}, {inst['params']['step']}")
                curves[label] = envelope_curve(inst["records"], k)
    finite = [(kj, d) for kj, d in points if math.isfinite(kj) and d > 0]
    trend = fit.power_law([kj for kj, _ in finite], [d for _, d in finite])
    observed_trend = {"exponent": trend.exponent, "ci95": list(trend.ci95), "n": trend.n}
    guarantee = f"{k['guarantee_factor']:g} * eta(2-eta)/kappa_j^{k['kappa_power']:g}"
    return [
        Bound(label="per block", rows=blocks, sense="lower",
              predicted=f"decrease fraction (g - g+)/g >= {guarantee} (exact step: eta = 1); {NORMALISED}",
              observed="(g - g+)/g with g = ||R P_X||^2/(2m), worst block of each instance",
              arithmetic="float64, mpmath:dps=40", reason=CONTRACTION_REASON,
              evidence={"decrease_vs_kappa_j": observed_trend}),
        Bound(label="per sweep", rows=sweeps, predicted=f"gap ratio over a sweep <= prod_j (1 - {guarantee})",
              observed="g(after the sweep)/g(before), worst sweep of each instance",
              arithmetic="float64, mpmath:dps=40", reason=CONTRACTION_REASON, evidence={"series": {"curves": curves}}),
    ]


def _draw_envelope(evidence: Mapping[str, Any], ax: Any) -> None:
    # one colour and one legend entry per family of instances (random batches by step rule, the
    # conditioned instances by kappa): forty curves with forty legend entries cannot be read
    colours: dict[str, str] = {}
    for label, c in evidence["series"]["curves"].items():
        parts = label.split(", ")
        family = (f"random, {'exact' if parts[-1] == 'exact' else 'normalised'}" if label.startswith("random")
                  else parts[0])
        first = family not in colours
        colour = colours.setdefault(family, f"C{len(colours) % 10}")
        ax.semilogy([max(v, 1e-300) for v in c["observed"]], "-", color=colour, lw=1.0, alpha=0.8,
                    label=family if first else None)
        ax.semilogy([max(v, 1e-300) for v in c["envelope"]], "--", color=colour, lw=0.6, alpha=0.8)
    ax.set_xlabel("block update")
    ax.set_ylabel(r"$(\ell - \ell^*)/(\ell_0 - \ell^*)$; dashed: $\prod(1 - \eta(2-\eta)/\kappa_j)$")
    ax.legend(fontsize=7, loc="lower left")


# --- counterexample search and Arb certificate -------------------------------------------

_SPACE = st.integers(1, 5).flatmap(lambda L: st.fixed_dictionaries({
    "d_x": st.integers(1, 5), "d_y": st.integers(1, 4),
    "extra": st.lists(st.integers(0, 3), min_size=L - 1, max_size=L - 1),
    "m_extra": st.integers(1, 30), "kappa": st.floats(0.0, 8.0).map(lambda x: float(10.0**x)),
    "init": st.sampled_from(["gaussian", "orthogonal_like"]), "std": st.floats(0.3, 1.2),
    "step": st.sampled_from(["exact", "normalised"]), "eta": st.floats(0.05, 1.95),
    "order": st.sampled_from(["ascending", "descending"]), "sweeps": st.integers(1, 3),
})).map(lambda p: {**{k: v for k, v in p.items() if k != "m_extra"}, "m": p["d_x"] + p["m_extra"]})


def search_instance(params: Mapping[str, Any], seed: int) -> tuple[Any, Any, Exact | Normalised]:
    """Data, init and step rule of one explicit BCGD instance of the search space (float64)."""
    rng = np.random.default_rng(seed)
    k = max(params["d_x"], params["d_y"])
    widths = (params["d_x"], *(k + e for e in params["extra"]), params["d_y"])
    data = conditioned_data(params["d_x"], params["d_y"], params["m"], params["kappa"], rng)
    net = gaussian(widths, params["std"], rng) if params["init"] == "gaussian" else orthogonal_like(widths, rng)
    return data, net, Exact() if params["step"] == "exact" else Normalised(params["eta"])


def search_run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """BCGD on one explicit instance: the worst block and sweep of guaranteed / (observed + allowance)."""
    data, net, step = search_instance(params, seed)
    rec = BlockRecorder(data, step)
    bcgd(net, data.problem(), step, order=params["order"], stop=Stop(max_iter=params["sweeps"]), on_block=rec)
    records = [record(r, step, net.depth, U64) for r in rec.records if r.gap_before > 0]
    if not records:  # the optimum from the start: nothing to contract
        return {"worst_block": 0.0, "worst_sweep": 0.0}
    block, sweep = contraction_rows(records, CLAIM.constants, {})
    return {"worst_block": block["predicted"] / (block["observed"] + block["allowed"]),
            "worst_sweep": sweep["observed"] / (max(sweep["predicted"], 0.0) + sweep["allowed"])}


def _inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The stress run's exact instance (Hadamard basis), or a seeded random instance of the family."""
    if params.get("part") == "stress":
        data, net = _stress_instance(float(params["kappa"]), seed)
        eta = 0.0
    else:
        rng = np.random.default_rng(seed)
        d_x, d_y, L = int(rng.integers(2, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 6))
        k = max(d_x, d_y)
        widths = (d_x, *(int(rng.integers(k, k + 4)) for _ in range(L - 1)), d_y)
        data = conditioned_data(d_x, d_y, int(rng.integers(d_x + 1, 31)), float(10.0 ** rng.uniform(0, 4)), rng)
        net = gaussian(widths, float(rng.uniform(0.3, 1.2)), rng)
        eta = float(rng.uniform(0.1, 1.9))
    return {**{f"W{j}": W for j, W in enumerate(net.factors)}, "X": data.X, "Y": data.Y, "eta": eta}


def _gap(ar: Any, X: Any, Y: Any, E: Any) -> Any:
    r""":math:`\ell(E) - \ell^* = \frac1{2m}\|R\,X^\top(XX^\top)^{-1}X\|_F^2`, :math:`R = EX - Y` (rigorous solve)."""
    R = ar.sub(ar.matmul(E, X), Y)
    return ar.frob_sq(ar.matmul(ar.matmul(R, ar.T(X)), (X * ar.T(X)).solve(X))) / (2 * ar.shape(X)[1])


def _certify(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r"""First block update (block 1, ascending), exact step (``eta = 0``) or normalised :math:`\eta`:
    :math:`g^+ \le (1 - \eta(2-\eta)/\kappa_1)\,g`, every singular value enclosed."""
    Ws = [x[f"W{j}"] for j in range(sum(1 for key in x if key.startswith("W")))]
    X, Y = x["X"], x["Y"]
    m, d_x, d_y = ar.shape(X)[1], ar.shape(X)[0], ar.shape(Y)[0]
    _, grads = loss_and_gradients(deep_linear(Ws, ar), Problem.data(X, Y, ar))
    A = ar.identity(ar.shape(Ws[0])[0])
    for W in Ws[1:]:
        A = ar.matmul(W, A)
    G = grads[0]
    s_A, s_B = singular_values_enclosure(A, ar.prec), singular_values_enclosure(X, ar.prec)
    if len(s_A) < d_y or len(s_B) < d_x:
        raise ValueError("the first block violates the rank hypotheses (A needs d_y, B needs d_x singular values)")
    kappa = (s_A[0] * s_B[0] / (s_A[d_y - 1] * s_B[d_x - 1])) ** 2
    exact = x["eta"] == 0
    step = (m * ar.frob_sq(G) / ar.frob_sq(ar.matmul(ar.matmul(A, G), X)) if exact
            else x["eta"] * m / (s_A[0] ** 2 * s_B[0] ** 2))
    rate = 1 if exact else x["eta"]
    after = ar.matmul(A, ar.sub(Ws[0], ar.scale(step, G)))
    return _gap(ar, X, Y, after), (1 - rate * (2 - rate) / kappa) * _gap(ar, X, Y, ar.matmul(A, Ws[0]))


CLAIM = Claim(
    id="shin2019.block_contraction", paper="shin2019", level="reconstructed",
    source=("Shin (2019), abstract: a general convergence analysis of BCGD. Reconstructed (paper body unavailable): "
            "the per-block contraction 1 - eta(2-eta)/kappa_j and its product over a sweep, derived in this claim's "
            "file from the normalised-step decrease and singular-value lower bounds on the gradient"),
    title="Per-block contraction gap+ <= (1 - eta(2-eta)/kappa_j) gap and its product over a sweep",
    statement_latex=(r"\frac{\ell^+ - \ell^*}{\ell - \ell^*} \le 1 - \frac{\eta(2-\eta)}{\kappa_j},\quad "
                     r"\kappa_j = \frac{\|A_j\|_2^2\|B_j\|_2^2}{\sigma_{d_y}(A_j)^2\sigma_r(B_j)^2},\quad "
                     r"\ell(\theta^{k+1}) - \ell^* \le \prod_{j=1}^{L}\Big(1 - \frac{\eta(2-\eta)}{\kappa_j^{(k)}}\Big)"
                     r"(\ell(\theta^k) - \ell^*)"),
    kind="bound", grid=GRID, run=run, checks=checks, constants={"guarantee_factor": 1.0, "kappa_power": 1.0},
    mutants=(Mutant("guarantee_x1.2", "the guaranteed fraction eta(2-eta)/kappa_j times 1.2", {"guarantee_factor": 1.2}),
             Mutant("kappa_sqrt", "kappa_j enters as its square root: eta(2-eta)/kappa_j^0.5", {"kappa_power": 0.5})),
    symbolic=lambda: latex_steps("shin2019.block_contraction"),
    figures=(Figure("gap_envelope", "Observed gap curves (solid) under the theorem's envelope, the running product "
                    "of the per-block factors (dashed, same colour): stress instances and random instances.",
                    _draw_envelope),),
    search=SearchSpace(_SPACE, lambda v: max(v["worst_block"], v["worst_sweep"]),
                       "max(guaranteed / (decrease + allowance) per block, observed / (predicted + allowance) per "
                       "sweep)", evaluate=search_run, budgets={"quick": 0, "standard": 80, "full": 500}),
    certificate=CertificateSpec(_inputs, _certify, "<=", "gap after the first block update <= (1 - eta(2-eta)/"
                                "kappa_1) gap before (exact step: eta = 1)", max_instances=8),
)
