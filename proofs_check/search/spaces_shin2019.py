r"""Search spaces and Arb certificates for the claims of Shin (2019), layer-wise BCGD (reconstructed).

Search spaces:

* ``block_contraction`` — dimensions, depth, hidden widths :math:`\ge \max(d_x, d_y)`, samples,
  data conditioning :math:`\kappa(XX^\top) \in [1, 10^8]`, Gaussian (std) or orthogonal-like
  init, exact or normalised step (:math:`\eta \in (0, 2)`), sweep order, sweeps; score the
  worst over blocks of guaranteed / (observed decrease fraction + allowance) and over sweeps of
  observed / (predicted ratio + allowance), with the claim's own round-off allowance.
* ``optimal_step_normalised`` — the same space with the normalised step; score the worst block
  of guaranteed / (observed decrease + allowance), both as fractions of the loss.
* ``exact_beats_normalised`` — the same space; score the worst block of the loss after the
  exact step over (the loss after the normalised step with :math:`\eta = 1` + allowance).
* ``one_sweep_global_optimum`` — shape (width :math:`\ge \max(d_x, d_y)`), order, step rule;
  score the worst of the gaps and gradient ratio over the claim's allowance.

Certificates (Arb, exactly representable instances):

* ``block_contraction`` — :math:`g^+ \le (1 - \eta(2-\eta)/\kappa_j)\,g` for the first block
  update, with every singular value in :math:`\kappa_j` enclosed (the run's own instance for
  the stress rows, a seeded instance of the same family for the random batches);
* ``one_sweep_global_optimum`` — the loss after the first block update equals
  :math:`\ell^*`, on exactly whitened data (:math:`\pm1` Hadamard rows, :math:`XX^\top = mI`)
  with an exactly orthogonal-like init (signed permutations).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from hypothesis import strategies as st

from lintheory.arith import Float64
from lintheory.bcgd_analysis import BlockRecorder, exact_step_prediction, normalised_guarantee
from lintheory.certify import singular_values_enclosure
from lintheory.inits import gaussian, orthogonal_like
from lintheory.lsq import conditioned_data
from lintheory.nets import Problem, deep_linear, loss_and_gradients
from lintheory.train import Exact, Normalised, Stop, bcgd
from proofs_check.claims import shin2019 as paper
from proofs_check.search.space import CertificateSpec, SearchSpace

P = "shin2019."
F64 = Float64()
F64_U = F64.unit_roundoff


# ----------------------------------------------------------------------------------------
# search
# ----------------------------------------------------------------------------------------


def _widths(params: Mapping[str, Any]) -> tuple[int, ...]:
    k = max(params["d_x"], params["d_y"])
    return (params["d_x"], *(k + e for e in params["extra"]), params["d_y"])


def _step(params: Mapping[str, Any]) -> Exact | Normalised:
    return Exact() if params["step"] == "exact" else Normalised(params["eta"])


def _instance(params: Mapping[str, Any], seed: int) -> tuple[Any, Any]:
    """Data and init of one explicit BCGD instance (float64)."""
    rng = np.random.default_rng(seed)
    widths = _widths(params)
    data = conditioned_data(params["d_x"], params["d_y"], params["m"], params["kappa"], rng)
    net = (gaussian(widths, params["std"], rng) if params["init"] == "gaussian" else orthogonal_like(widths, rng))
    return data, net


def _bcgd(params: Mapping[str, Any], seed: int, on_block: Any, step: Exact | Normalised | None = None) -> Any:
    data, net = _instance(params, seed)
    step = step or _step(params)
    bcgd(net, data.problem(), step, order=params["order"], stop=Stop(max_iter=params["sweeps"]), on_block=on_block)
    return data, net


def contraction_run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """BCGD on one explicit instance; the worst normalised block and sweep ratios (float64)."""
    data, _ = _instance(params, seed)
    rec = BlockRecorder(data, _step(params))
    _, net = _bcgd(params, seed, rec)
    records = [r for r in rec.records if r.gap_before > 0]  # past the optimum there is nothing to contract
    allowed = [paper._gap_allowed(r, net.depth, F64_U) for r in records]
    blocks = [r.guaranteed / (r.decrease + a) for r, a in zip(records, allowed)]
    # per sweep (E4): observed prod(1 - decrease) <= prod(1 - guaranteed) + the blocks' allowances; the
    # products are formed directly, since an update can reach the optimum (decrease = 1)
    sweeps: dict[int, list[float]] = {}
    for r, a in zip(records, allowed):
        observed, predicted, total = sweeps.get(r.sweep, [1.0, 1.0, 0.0])
        sweeps[r.sweep] = [observed * (1 - r.decrease), predicted * (1 - r.guaranteed), total + a]
    worst_sweep = max((o / (p + a) for o, p, a in sweeps.values()), default=0.0)
    return {"worst_block": max(blocks, default=0.0), "worst_sweep": worst_sweep, "blocks": len(rec.records),
            "min_kappa_j": min((r.kappa for r in rec.records), default=math.inf)}


def normalised_run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    r"""Normalised steps: the worst block of guaranteed / (observed + allowance), the decreases as
    fractions of the loss, guarantee :math:`\frac{\eta(2-\eta)}{2}m\|G\|^2/(\|A\|_2^2\|B\|_2^2)`."""
    ratios: list[float] = []

    def on_block(s: Any) -> None:
        loss = float(s.loss_before)
        guaranteed = float(normalised_guarantee(params["eta"], s.G, s.A, s.B, m, F64)) / loss
        observed = (loss - float(s.loss_after)) / loss
        ratios.append(guaranteed / (observed + paper._SAFETY * depth * F64_U))

    data, net = _instance(params, seed)
    m, depth = data.m, net.depth
    _bcgd(params, seed, on_block, Normalised(params["eta"]))
    return {"worst": max(ratios), "blocks": len(ratios)}


def beats_run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """From every block state: loss after the exact step over (loss after eta = 1 + allowance)."""
    ratios: list[float] = []

    def on_block(s: Any) -> None:
        AGB = F64.matmul(F64.matmul(s.A, s.G), s.B)
        eta_star, _ = exact_step_prediction(s.G, AGB, m, F64)
        eta_one = m / (F64.spectral_norm(s.A) ** 2 * F64.spectral_norm(s.B) ** 2)
        after = [F64.frob_sq(F64.matmul(F64.matmul(s.A, s.F_before - eta * s.G), s.B) - data.Y) / (2 * m)
                 for eta in (eta_star, eta_one)]
        ratios.append(after[0] / (after[1] + paper._SAFETY * depth * F64_U * float(s.loss_before)))

    data, net = _instance(params, seed)
    m, depth = data.m, net.depth
    _bcgd(params, seed, on_block)
    return {"worst": max(ratios), "blocks": len(ratios)}


def worst_score(value: Mapping[str, Any]) -> float:
    return value["worst"]


def contraction_score(value: Mapping[str, Any]) -> float:
    return max(value["worst_block"], value["worst_sweep"])


def one_sweep_score(value: Mapping[str, Any]) -> float:
    return max(value["first_gap"], value["later_gap"], value["grad_ratio"]) / value["allowed"]


_CONTRACTION = st.integers(1, 5).flatmap(lambda L: st.fixed_dictionaries({
    "d_x": st.integers(1, 5), "d_y": st.integers(1, 4), "extra": st.lists(st.integers(0, 3), min_size=L - 1,
                                                                          max_size=L - 1),
    "m_extra": st.integers(1, 30), "kappa": st.floats(0.0, 8.0).map(lambda x: float(10.0**x)),
    "init": st.sampled_from(["gaussian", "orthogonal_like"]), "std": st.floats(0.3, 1.2),
    "step": st.sampled_from(["exact", "normalised"]), "eta": st.floats(0.05, 1.95),
    "order": st.sampled_from(["ascending", "descending"]), "sweeps": st.integers(1, 3),
})).map(lambda p: {**{k: v for k, v in p.items() if k != "m_extra"}, "m": p["d_x"] + p["m_extra"]})

_ONE_SWEEP = st.fixed_dictionaries({
    "d_x": st.integers(1, 6), "d_y": st.integers(1, 6), "n_extra": st.integers(0, 6), "L": st.integers(2, 6),
    "order": st.sampled_from(["ascending", "descending"]), "step": st.sampled_from(["exact", "normalised"]),
}).map(lambda p: {"case": "whitened", "shape": [p["d_x"], p["d_y"], max(p["d_x"], p["d_y"]) + p["n_extra"], p["L"]],
                  "order": p["order"], "step": p["step"], "arith": "float64"})

SPACES = {
    P + "block_contraction": SearchSpace(
        _CONTRACTION, contraction_score, "max(guaranteed / (decrease + allowance) per block, "
        "observed / (predicted + allowance) per sweep)", evaluate=contraction_run,
        budgets={"quick": 0, "standard": 80, "full": 500}),
    P + "optimal_step_normalised": SearchSpace(
        _CONTRACTION, worst_score, "guaranteed / (observed decrease + allowance), worst block",
        evaluate=normalised_run, budgets={"quick": 0, "standard": 60, "full": 400}),
    P + "exact_beats_normalised": SearchSpace(
        _CONTRACTION, worst_score, "loss after exact step / (loss after eta = 1 + allowance), worst block",
        evaluate=beats_run, budgets={"quick": 0, "standard": 60, "full": 400}),
    P + "one_sweep_global_optimum": SearchSpace(
        _ONE_SWEEP, one_sweep_score, "max(gap after first update, later gaps, gradient ratio) / allowance",
        budgets={"quick": 0, "standard": 40, "full": 300}),
}


# ----------------------------------------------------------------------------------------
# certificates
# ----------------------------------------------------------------------------------------


def contraction_inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The stress run's exact instance (Hadamard basis), or a seeded random instance of the family."""
    rng = np.random.default_rng(seed)
    if params.get("part") == "stress":
        data = conditioned_data(2, 2, 16, float(params["kappa"]), rng, "float64", noise=2.0, basis="hadamard")
        net = orthogonal_like((2, 2, 2, 2), rng)
        eta = 0.0
    else:
        d_x, d_y, L = int(rng.integers(2, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 6))
        k = max(d_x, d_y)
        widths = (d_x, *(int(rng.integers(k, k + 4)) for _ in range(L - 1)), d_y)
        data = conditioned_data(d_x, d_y, int(rng.integers(d_x + 1, 31)), float(10.0 ** rng.uniform(0, 4)), rng)
        net = gaussian(widths, float(rng.uniform(0.3, 1.2)), rng)
        eta = float(rng.uniform(0.1, 1.9))
    return {**{f"W{j}": W for j, W in enumerate(net.factors)}, "X": data.X, "Y": data.Y, "eta": eta}


def _weights(x: Mapping[str, Any]) -> list[Any]:
    return [x[f"W{j}"] for j in range(sum(1 for k in x if k.startswith("W")))]


def _gap(ar: Any, X: Any, Y: Any, E: Any) -> Any:
    r""":math:`\ell(E) - \ell^* = \frac1{2m}\|R\,X^\top(XX^\top)^{-1}X\|_F^2`, :math:`R = EX - Y` (rigorous solve)."""
    R = ar.sub(ar.matmul(E, X), Y)
    projected = ar.matmul(ar.matmul(R, ar.T(X)), (X * ar.T(X)).solve(X))
    return ar.frob_sq(projected) / (2 * ar.shape(X)[1])


def contraction_check(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r"""First block update (block 1, ascending) with the exact step (``eta = 0``) or the normalised
    step :math:`\eta`: :math:`g^+ \le (1 - \eta(2-\eta)/\kappa_1)\,g`, all singular values enclosed."""
    Ws, X, Y = _weights(x), x["X"], x["Y"]
    m, d_x, d_y = ar.shape(X)[1], ar.shape(X)[0], ar.shape(Y)[0]
    net = deep_linear(Ws, ar)
    _, grads = loss_and_gradients(net, Problem.data(X, Y, ar))
    A = ar.identity(ar.shape(Ws[0])[0])
    for W in Ws[1:]:
        A = ar.matmul(W, A)
    G, B = grads[0], X
    s_A, s_B = singular_values_enclosure(A, ar.prec), singular_values_enclosure(B, ar.prec)
    if len(s_A) < d_y or len(s_B) < d_x:
        raise ValueError("the first block violates the rank hypotheses (A needs d_y, B needs d_x singular values)")
    kappa = (s_A[0] * s_B[0] / (s_A[d_y - 1] * s_B[d_x - 1])) ** 2
    exact = x["eta"] == 0
    eta = (m * ar.frob_sq(G) / ar.frob_sq(ar.matmul(ar.matmul(A, G), B)) if exact
           else x["eta"] * m / (s_A[0] ** 2 * s_B[0] ** 2))
    rate = 1 if exact else x["eta"]
    W1_after = ar.sub(Ws[0], ar.scale(eta, G))
    E_before, E_after = ar.matmul(A, Ws[0]), ar.matmul(A, W1_after)
    return _gap(ar, X, Y, E_after), (1 - rate * (2 - rate) / kappa) * _gap(ar, X, Y, E_before)


def one_sweep_inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
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
    step = 1.0 if params["step"] == "normalised" else 0.0
    return {**{f"W{j}": W for j, W in enumerate(Ws)}, "X": data.X, "Y": data.Y, "eta": step}


def one_sweep_check(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r"""Loss after the first block update (block 1; exact step, or normalised :math:`\eta = 1`) :math:`= \ell^*`."""
    Ws, X, Y = _weights(x), x["X"], x["Y"]
    m = ar.shape(X)[1]
    net = deep_linear(Ws, ar)
    prob = Problem.data(X, Y, ar)
    _, grads = loss_and_gradients(net, prob)
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


def _whitened(params: Mapping[str, Any]) -> bool:
    return params.get("case") == "whitened"


CERTIFICATES = {
    P + "block_contraction": CertificateSpec(
        contraction_inputs, contraction_check, "<=",
        "gap after the first block update <= (1 - eta(2-eta)/kappa_1) gap before (exact step: eta = 1)",
        max_instances=8),
    P + "one_sweep_global_optimum": CertificateSpec(
        one_sweep_inputs, one_sweep_check, "==",
        "loss after the first block update = loss* on exactly whitened data with exactly orthogonal-like layers",
        tolerance=1e-40, applies=_whitened, max_instances=8),
}
