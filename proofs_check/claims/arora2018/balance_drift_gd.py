r"""The balance drift of one gradient descent step (Arora, Cohen, Golowich, Hu, ICLR 2019; used in
the proof of Lemma 2, Appendix D.2).

With :math:`G_j = \partial L^N/\partial W_j` and :math:`D_j = W_{j+1}^\top W_{j+1} - W_j W_j^\top`,
one step :math:`W_j \leftarrow W_j - \eta G_j` gives exactly

.. math::

    D_j(t+1) = D_j(t) + \eta^2\big(G_{j+1}^\top G_{j+1} - G_j G_j^\top\big)(t).

Reconstructed (the paper's display was not available; its proof of Lemma 2 bounds the accumulated
:math:`\eta^2` drift, property A'): by eq. (14), :math:`W_{j+1}^\top G_{j+1} = G_j W_j^\top =
W_{j+1:N}^\top \nabla L^1 W_{1:j}^\top`, so expanding :math:`(W_{j+1} - \eta G_{j+1})^\top(W_{j+1} -
\eta G_{j+1}) - (W_j - \eta G_j)(W_j - \eta G_j)^\top` the two first-order terms cancel and only
the :math:`\eta^2` terms remain. Hence balance is invariant under gradient flow and drifts by
:math:`O(\eta^2)` per step; from an exactly balanced point the imbalance after one step is
exactly :math:`\eta^2\|\cdot\|`, a log-log slope 2 in :math:`\eta`. The mutant claims slope 3.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from lintheory.arith import MPMath, arithmetic
from lintheory.balance import drift_prediction, imbalance_matrices
from lintheory.inits import balanced, imbalance
from lintheory.nets import Problem, deep_linear, gradient_step, loss_and_gradients
from proofs_check.checks import Check, Identity, Scaling
from proofs_check.claim import Claim, Figure, Mutant, RunRecord
from proofs_check.claims.arora2018._common import no_bottleneck, loglog_draw, pick, pooled_power_law, random_weights
from proofs_check.search.space import CertificateSpec, SearchSpace

_ETAS = [10.0**k for k in (-4, -3.5, -3, -2.5, -2, -1.5, -1)]
_ARITHS = (("float64", 1e-13, "a few products of O(1) matrices at u = 1.1e-16"),
           ("mpmath:dps=50", 1e-45, "the same at 50 digits"))


def grid(profile: str) -> list[dict[str, Any]]:
    widths = pick(profile, [[3, 4, 4, 2], [2, 3, 3, 3, 1]], [[3, 4, 4, 2], [2, 3, 3, 3, 1], [4, 4, 4], [5, 6, 6, 6, 6, 3]])
    return [{"widths": w, "steps": pick(profile, 10, 50)} for w in widths]


def _identity_error(widths: Sequence[int], steps: int, eta: float, seed: int, ar: Any) -> float:
    """Max over ``steps`` GD steps and layers of ||D_j(t+1) - [D_j(t) + eta^2(...)]||_F / max(1, ||D_j(t+1)||_F)."""
    rng = np.random.default_rng(seed)
    net = deep_linear(random_weights(widths, rng), ar)
    prob = Problem.whitened(rng.standard_normal((widths[-1], widths[0])), ar)
    worst = 0.0
    with ar.context():
        for _ in range(steps):
            _, grads = loss_and_gradients(net, prob)
            predicted = drift_prediction(net.weights(), grads, eta, ar)
            net = gradient_step(net, grads, ar.number(eta))
            for D, P in zip(imbalance_matrices(net.weights(), ar), predicted):
                worst = max(worst, ar.to_float(ar.frob(ar.sub(D, P))) / max(1.0, ar.to_float(ar.frob(D))))
    return worst


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The drift identity along a GD run from random weights (float64 and 50 digits, eta = 0.05), and
    the imbalance after one step of each eta from an exactly balanced point (40 digits)."""
    widths, steps = params["widths"], params["steps"]
    errors = {name: _identity_error(widths, steps, 0.05, seed, arithmetic(name)) for name, _, _ in _ARITHS}
    rng = np.random.default_rng(seed + 1)
    ar = MPMath(dps=40)
    net0 = balanced(rng.standard_normal((widths[-1], widths[0])), widths, rng, ar, orthogonal_insertion=True)
    _, grads = loss_and_gradients(net0, Problem.whitened(rng.standard_normal((widths[-1], widths[0])), ar))
    drift = [max(ar.to_float(ar.frob(D)) for D in imbalance_matrices(gradient_step(net0, grads, ar.number(eta)).weights(), ar))
             for eta in _ETAS]
    return {"identity_error": errors, "eta": _ETAS, "drift": drift, "initial_imbalance": ar.to_float(imbalance(net0))}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    out: list[Check] = [Identity.of(
        runs, pred=lambda r: 0.0, obs=lambda r, n=name: r.value["identity_error"][n], label=f"identity {name}",  # type: ignore[misc]  # mypy#15459
        rtol=0.0, atol=atol, reason=reason, arithmetic=name, observed="max relative residual over the run",
        predicted="D_j(t+1) - D_j(t) - eta^2 (G_{j+1}^T G_{j+1} - G_j G_j^T) = 0 at every step (eta = 0.05)")
        for name, atol, reason in _ARITHS]
    curves = [{"eta": r.value["eta"], "drift": r.value["drift"], "label": str(r.params["widths"])} for r in runs]
    out.append(Scaling(
        label="slope", fit=pooled_power_law(curves, "eta", "drift"), expected=float(k["eta_power"]), tol=0.01,
        predicted=f"||D(1)||_F ~ eta^{k['eta_power']:g} from a 0-balanced point", arithmetic="mpmath:dps=40",
        observed="pooled power-law fit over eta in [1e-4, 1e-1]", evidence={"series": {"curves": curves}},
        reason="the identity makes the drift exactly eta^2 times a fixed matrix: any slope off beyond the CI fails"))
    return out


def _inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The run's random initial weights and target (the identity part's first draws), eta = 0.05."""
    rng = np.random.default_rng(seed)
    Ws = random_weights(params["widths"], rng)
    return {**{f"W{j}": W for j, W in enumerate(Ws)}, "Phi": rng.standard_normal((params["widths"][-1], params["widths"][0])),
            "eta": 0.05}


def _check(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r""":math:`\sum_j \|D_j(t+1) - D_j(t) - \eta^2(G_{j+1}^\top G_{j+1} - G_jG_j^\top)\|_F^2 = 0`."""
    net = deep_linear([x[f"W{j}"] for j in range(sum(1 for key in x if key.startswith("W")))], ar)
    _, grads = loss_and_gradients(net, Problem.whitened(x["Phi"], ar))
    predicted = drift_prediction(net.weights(), grads, x["eta"], ar)
    moved = gradient_step(net, grads, x["eta"])
    residual = sum((ar.frob_sq(ar.sub(D, Q)) for D, Q in zip(imbalance_matrices(moved.weights(), ar), predicted)),
                   ar.number(0))
    return residual, ar.number(0)


CLAIM = Claim(
    id="arora2018.balance_drift_gd", paper="arora2018",
    source="Proof of Lemma 2 (property A', Appendix D.2): the exact one-step drift identity is derived here from eq. (14) "
           "(the first-order terms cancel; see the claim's docstring)",
    title="One GD step changes each imbalance matrix by exactly eta^2 (G_{j+1}^T G_{j+1} - G_j G_j^T)",
    statement_latex=r"D_j(t+1) = D_j(t) + \eta^2\big(G_{j+1}^\top G_{j+1} - G_j G_j^\top\big),\quad "
                    r"D_j = W_{j+1}^\top W_{j+1} - W_j W_j^\top",
    kind="identity", level="reconstructed", grid=grid, run=run, checks=checks, constants={"eta_power": 2},
    mutants=(Mutant("eta_cubed", "the drift of order eta^3 (slope 3) instead of eta^2", {"eta_power": 3}),),
    figures=(Figure("drift_slope", "Imbalance after one GD step from a balanced point against eta (slope 2).",
                    loglog_draw("eta", "drift", "eta", "max_j ||D_j(1)||_F", 2.0)),),
    search=SearchSpace(
        st.fixed_dictionaries({"widths": st.lists(st.integers(1, 6), min_size=3, max_size=6).filter(no_bottleneck),
                               "steps": st.integers(1, 10)}),
        lambda v: v["identity_error"]["float64"] / 1e-13, "identity residual / 1e-13 (float64)",
        budgets={"quick": 0, "standard": 30, "full": 200}),
    certificate=CertificateSpec(_inputs, _check, "==", "D(1) = D(0) + eta^2 (G_{j+1}^T G_{j+1} - G_j G_j^T) for the "
                                "first GD step", tolerance=1e-40),
)
