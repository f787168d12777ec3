r"""Search spaces and Arb certificates for the lifted-ReLU BCD claims of Zhang, Brand (NeurIPS 2017).

Search spaces (synthetic Gaussian data; every size, depth, loss, output rule, inner NNLS solver
and regulariser the descent lemmas allow):

* ``sufficient_decrease`` — score the worst sweep's shortfall
  :math:`((\eta/2)\|x^t - x^{t-1}\|^2 - (F^{t-1} - F^t))/|F^{t-1}|` over the claim's tolerance
  :math:`10^{-12}`;
* ``monotone_decrease`` — score the largest relative increase of :math:`F` over a block update
  over the same tolerance (inf if a hidden activation goes negative).

Certificates (Arb, the runs' exact float64 inputs):

* ``lifted_relu_identity`` — the library's :math:`u = \max(0, v)` satisfies the KKT conditions
  of :math:`\min_{u \ge 0}\|u - v\|^2` exactly and :math:`\|u - v\|^2 = \|\min(v, 0)\|^2`
  (subnormal and signed-zero entries included);
* ``tikhonov_matrix`` — :math:`\sum_n\gamma_n\|u_n - W_nu_{n-1}\|^2 = u^\top Q(W)u` with
  ``lintheory.lifted.model.tikhonov_matrix`` evaluated on balls.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import flint
import numpy as np
from hypothesis import strategies as st

from lintheory.lifted.model import relu_projection, tikhonov_coupling, tikhonov_matrix
from proofs_check.claims import zhang2017 as paper
from proofs_check.search.space import CertificateSpec, SearchSpace

P = "zhang2017."


def sufficient_score(value: Mapping[str, Any]) -> float:
    return value["sufficient_excess"] / paper._F_RTOL


def monotone_score(value: Mapping[str, Any]) -> float:
    if value["min_hidden"] < 0:
        return math.inf
    return value["max_rel_increase"] / paper._F_RTOL


def _consistent(params: Mapping[str, Any]) -> bool:
    """output='none' (a linear last layer fitted in closed form) needs the squared loss."""
    return params["output"] != "none" or params["loss"] == "squared"


def _descent(etas: Any) -> Any:
    return st.fixed_dictionaries({
        "data": st.just("synthetic"), "M": st.integers(5, 60),
        "hidden": st.lists(st.integers(1, 8), min_size=1, max_size=3),
        "output": st.sampled_from(["free", "relu", "none"]), "loss": st.sampled_from(["squared", "squared_hinge"]),
        "inner": st.sampled_from(sorted(paper._INNER)), "eta": etas,
        "lam": st.floats(-3.0, 0.0).map(lambda x: 10.0**x), "gamma": st.floats(-1.0, 1.0).map(lambda x: 10.0**x),
        "sweeps": st.integers(2, 10)}).filter(_consistent)


SPACES = {
    P + "sufficient_decrease": SearchSpace(
        _descent(st.floats(-4.0, 0.5).map(lambda x: 10.0**x)), sufficient_score,
        "worst sweep shortfall of the decrease / 1e-12 |F|", evaluate=paper._run_descent,
        budgets={"quick": 0, "standard": 60, "full": 400}),
    P + "monotone_decrease": SearchSpace(
        _descent(st.one_of(st.just(0.0), st.floats(-4.0, 0.5).map(lambda x: 10.0**x))), monotone_score,
        "largest relative increase of F per block / 1e-12", evaluate=paper._run_descent,
        budgets={"quick": 0, "standard": 60, "full": 400}),
}


def relu_inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The run's sample v and the library's projection u = max(0, v), as 1 x n rows."""
    v = paper._relu_sample(params["n"], params["magnitudes"], np.random.default_rng(seed))
    u, _ = relu_projection(v)
    return {"v": v[None, :], "u": u[None, :]}


def relu_check(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r"""The largest entry-wise residual of the KKT conditions (:math:`u_i \ge 0`,
    :math:`u_i - v_i \ge 0`, :math:`u_i(u_i - v_i) = 0`) and of
    :math:`(u_i - v_i)^2 = \min(v_i, 0)^2`, against 0.

    Entry by entry, every term is an exact product of doubles, so no rounding enters; a
    sum over entries of magnitudes from 1e-323 to 1e6 would round at any fixed precision."""
    zero = flint.arb(0)
    worst = zero
    for u, v in zip(x["u"].entries(), x["v"].entries()):
        for residual in (abs(u * (u - v)), (-u).max(zero), (v - u).max(zero), abs((u - v) ** 2 - v.min(zero) ** 2)):
            worst = worst.max(residual)
    return worst, zero


def tikhonov_inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The run's dims, gamma, W and u (the same draws, in order); u_n as columns."""
    rng = np.random.default_rng(seed)
    N = params["N"]
    dims = [int(d) for d in rng.integers(3, 8, N + 1)]
    gamma = [float(g) for g in rng.uniform(0.1, 10.0, N)]
    W = [rng.standard_normal((dims[n + 1], dims[n])) for n in range(N)]
    u = [rng.standard_normal(d) for d in dims]
    return ({f"W{n}": w for n, w in enumerate(W)} | {f"gamma{n}": g for n, g in enumerate(gamma)}
            | {f"u{n}": c[:, None] for n, c in enumerate(u)})


def _objects(M: Any) -> np.ndarray:
    return np.array(M.tolist(), dtype=object).reshape(M.nrows(), M.ncols())


def tikhonov_check(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r"""Both sides of (ZB-3) from ``lintheory``'s own functions, on object arrays of balls."""
    N = sum(1 for k in x if k.startswith("W"))
    W = [_objects(x[f"W{n}"]) for n in range(N)]
    gamma = [x[f"gamma{n}"] for n in range(N)]
    u = [_objects(x[f"u{n}"])[:, 0] for n in range(N + 1)]
    s = np.concatenate(u)
    return tikhonov_coupling(W, gamma, u), s @ tikhonov_matrix(W, gamma) @ s


CERTIFICATES = {
    P + "lifted_relu_identity": CertificateSpec(
        relu_inputs, relu_check, "==",
        "u = max(0, v) meets the KKT conditions of min_{u>=0} ||u - v||^2 exactly and (u_i - v_i)^2 = min(v_i, 0)^2 "
        "entry by entry", tolerance=1e-300),
    P + "tikhonov_matrix": CertificateSpec(
        tikhonov_inputs, tikhonov_check, "==",
        "sum_n gamma_n ||u_n - W_n u_{n-1}||^2 = u^T Q(W) u for the run's W, gamma, u", tolerance=1e-40),
}
