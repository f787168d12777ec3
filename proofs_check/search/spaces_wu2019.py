r"""Search spaces and Arb certificates for the ZAS claims of Wu, Wang, Ma (NeurIPS 2019).

Search spaces (the targets are seeded by ``target_seed``, so the instances carry no run seed):

* ``zas_iteration_bound`` — width, :math:`\|\Phi\|_F`, depth, :math:`\epsilon`, target;
  score observed / (predicted + 1) iterations, inf when the rate envelope
  :math:`\max_t \log[R(t)/((1-\eta/2)^tR(0))]` exceeds :math:`10^{-12}`; a cell whose
  iterations exceed the budget is undecided (rejected), not a violation.
* ``zas_pl_inequality`` — width, norm, depth, step halvings; score the worst of
  :math:`1/\min_t` PL ratio, floor / :math:`\min_t \|\nabla R\|^2/(2R)` and the :math:`t = 0`
  errors over their tolerances.
* ``zas_invariants`` — the same runs; score the worst of block balance / :math:`10^{-10}` and
  :math:`(1 - \max D)^{L/2} / \min_t\sigma_{\min}(P)`.

Certificate: ``zas_pl_inequality`` —
:math:`\|\nabla R\|^2 \ge 2\sigma_{\min}(P)^2 R` at the iterate after ``PL_STEPS`` GD steps
from ZAS (exact float64 weights), :math:`\sigma_{\min}(P)` enclosed. (At :math:`t = 0` it
holds with equality, which a ball certificate cannot certify.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from lintheory import zas as Z
from lintheory.certify import sigma_min_enclosure
from lintheory.inits import zas
from lintheory.kernels import gd_float64
from lintheory.nets import Problem, deep_linear, loss_and_gradients
from proofs_check.claims import wu2019 as paper
from proofs_check.search.space import CertificateSpec, SearchSpace

P = "wu2019."
PL_STEPS = 20


def iteration_score(value: Mapping[str, Any]) -> float | None:
    red, full = value["reduced"], value["full"]
    if full["status"] == "converged":
        observed = full["iterations"]
    elif red["status"] == "converged":
        observed = red["iterations"]
    else:
        return None  # over budget: undecided
    envelope = red["envelope_max"] if red["status"] == "converged" else -math.inf
    if full["status"] == "converged":
        envelope = max(envelope, full["envelope_max_history"])
    # the envelope is 0 at t = 0 by construction, so it only tells whether the rate bound broke
    return observed / (value["predicted"] + 1) if envelope <= paper.ENVELOPE_TOL else math.inf


def pl_score(value: Mapping[str, Any]) -> float:
    red, full = value["reduced"], value["full"]
    pl = min(red["min_pl_ratio"], full["min_pl_ratio"])
    gradient = min(red["min_gradient_ratio"], full["min_gradient_ratio"])
    floor = (1.0 - red["max_output_balance"]) ** value["L"]
    return max((1 - 1e-12) / pl if pl > 0 else math.inf, (floor - 1e-12) / gradient if gradient > 0 else math.inf,
               abs(value["t0"]["gradient_ratio"] - 1) / 1e-14, value["t0_mpmath_gradient_ratio_minus_1"] / 1e-45)


def invariant_score(value: Mapping[str, Any]) -> float:
    sigma = min(value["reduced"]["min_sigma_min_P"], value["full"]["min_sigma_min_P"])
    floor = (1.0 - value["reduced"]["max_output_balance"]) ** (value["L"] / 2)
    return max(value["full"]["max_block_balance"] / 1e-10, (floor - 1e-12) / sigma if sigma > 0 else math.inf)


def diagnostics(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The claims' diagnostic run, with the depth kept beside its values (the scores need it)."""
    return {**paper.run_diagnostics(params, seed), "L": params["L"]}


_TARGETS = {"d": st.integers(1, 5), "phi_fro": st.floats(0.1, 2.5), "target_seed": st.integers(0, 10_000)}
MAX_DIAGNOSTIC_STEPS = 300_000


def _affordable(params: Mapping[str, Any]) -> bool:
    """The diagnostic runs step the full network about T(eps) times: keep T within a few seconds."""
    eta = Z.step_size(params["L"], params["phi_fro"]) / 2 ** params["halving"]
    return Z.predicted_iterations(0.5 * params["phi_fro"] ** 2, params["eps"], eta) <= MAX_DIAGNOSTIC_STEPS


_DIAGNOSTICS = st.fixed_dictionaries({**_TARGETS, "L": st.integers(1, 8), "halving": st.integers(0, 3),
                                      "eps": st.floats(-4.0, -1.0).map(lambda x: 10.0**x)}).filter(_affordable)

SPACES = {
    P + "zas_iteration_bound": SearchSpace(
        st.fixed_dictionaries({**_TARGETS, "L": st.integers(1, 16), "eps": st.floats(-6.0, -1.0).map(lambda x: 10.0**x),
                               "reduced_budget": st.just(4_000_000), "full_budget": st.just(400_000)}),
        iteration_score, "observed / (predicted + 1) iterations (inf if the rate bound breaks)", seeded=False,
        budgets={"quick": 0, "standard": 40, "full": 300}),
    P + "zas_pl_inequality": SearchSpace(
        _DIAGNOSTICS, pl_score, "worst of PL ratio, gradient floor and t = 0 errors over their tolerances", evaluate=diagnostics,
        seeded=False, budgets={"quick": 0, "standard": 30, "full": 200}),
    P + "zas_invariants": SearchSpace(
        _DIAGNOSTICS, invariant_score, "max(block balance / 1e-10, (1 - max D)^(L/2) / min sigma_min(P))", evaluate=diagnostics,
        seeded=False, budgets={"quick": 0, "standard": 30, "full": 200}),
}


def pl_inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The factors (I + W_l, W_out) after ``PL_STEPS`` GD steps from ZAS at the run's step size."""
    Phi = paper.target(params["d"], params["phi_fro"], params["target_seed"])
    eta = Z.step_size(params["L"], params["phi_fro"]) / 2 ** params["halving"]
    net = zas(Phi.shape[1], params["L"], Phi.shape[0])
    k = gd_float64(net.factors, net.trainable, Phi, eta, eps=None, max_iter=PL_STEPS, history=2)
    return {**{f"F{j}": F for j, F in enumerate(k.factors)}, "Phi": Phi}


def pl_check(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r""":math:`2\sigma_{\min}(P)^2 R \le \|\nabla R\|^2` (gradients in every block and the output layer)."""
    factors = [x[f"F{j}"] for j in range(sum(1 for k in x if k.startswith("F")))]
    value, grads = loss_and_gradients(deep_linear(factors, ar), Problem.whitened(x["Phi"], ar))
    P_blocks = ar.identity(ar.shape(factors[0])[1])
    for F in factors[:-1]:
        P_blocks = ar.matmul(F, P_blocks)
    sigma = sigma_min_enclosure(P_blocks, ar.prec)
    return 2 * sigma**2 * value, sum((ar.frob_sq(g) for g in grads), ar.number(0))


CERTIFICATES = {
    P + "zas_pl_inequality": CertificateSpec(
        pl_inputs, pl_check, "<=",
        f"||grad R||^2 >= 2 sigma_min(P)^2 R at the iterate after {PL_STEPS} GD steps from ZAS"),
}
