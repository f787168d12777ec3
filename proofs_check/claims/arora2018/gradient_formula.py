r"""Eq. (14) of Arora, Cohen, Golowich, Hu (ICLR 2019): the layer gradients of
:math:`L^N(W_1, \dots, W_N) = \tfrac12\|W_{1:N} - \Phi\|_F^2`.

.. math::

    \frac{\partial L^N}{\partial W_j}(W_1, \dots, W_N)
    = W_{j+1:N}^\top\, \nabla L^1(W_{1:N})\, W_{1:j-1}^\top,
    \qquad \nabla L^1(W) = W - \Phi,

with :math:`W_{j:j'} = W_{j'} \cdots W_j` and empty products the identity. Sourced: the formula is
the paper's eq. (14) (gradient descent written out in Section 3 and Appendix D). Checked against
central finite differences with step :math:`10^{-20}` at 50 digits (truncation
:math:`O(h^2) = 10^{-40}`, cancellation :math:`10^{-50}/h = 10^{-30}`), and against the engine's
prefix/suffix-product gradients. The mutant doubles the gradient (the gradient of
:math:`\|W_{1:N} - \Phi\|_F^2` without the :math:`\tfrac12`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from lintheory.arith import MPMath
from lintheory.nets import Problem, deep_linear, loss_and_gradients
from proofs_check.checks import Check, Identity
from proofs_check.claim import Claim, Mutant, RunRecord
from proofs_check.claims.arora2018._common import pick, random_weights
from proofs_check.search.space import SearchSpace

_FD_H = "1e-20"


def grid(profile: str) -> list[dict[str, Any]]:
    widths = pick(profile, [[3, 4, 2], [2, 5, 3, 1], [4, 3, 3, 5, 2]],
                  [[3, 4, 2], [2, 5, 3, 1], [4, 3, 3, 5, 2], [1, 3, 3, 3, 3, 4], [6, 6, 6, 6, 6, 6, 6]])
    return [{"widths": w} for w in widths]


def _formula(Ws: Sequence[Any], Phi: Any, ar: Any) -> list[Any]:
    """Eq. (14) evaluated literally (products rebuilt per layer)."""
    def chain(ms: Sequence[Any], n: int) -> Any:
        out = ar.identity(n)
        for M in ms:
            out = ar.matmul(M, out)
        return out

    R = ar.sub(chain(Ws, ar.shape(Ws[0])[1]), Phi)
    return [ar.matmul(ar.matmul(ar.T(chain(Ws[j + 1:], ar.shape(Ws[j])[0])), R),
                      ar.T(chain(Ws[:j], ar.shape(Ws[0])[1]))) for j in range(len(Ws))]


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """``factor`` times eq. (14) against central differences and against the engine, at 50 digits."""
    widths = params["widths"]
    rng = np.random.default_rng(seed)
    ar = MPMath(dps=50)
    Ws = [ar.matrix(W) for W in random_weights(widths, rng)]
    Phi = ar.matrix(rng.standard_normal((widths[-1], widths[0])))
    prob = Problem.whitened(Phi, ar)
    formula = [ar.scale(ar.number(params["factor"]), F) for F in _formula(Ws, Phi, ar)]
    _, engine = loss_and_gradients(deep_linear(Ws, ar), prob)
    h = ar.number(_FD_H)
    fd_err, engine_err, scale = ar.number(0), ar.number(0), ar.number(0)
    for j, W in enumerate(Ws):
        scale = max(scale, max(abs(x) for x in formula[j].ravel()))
        engine_err = max(engine_err, max(abs(x) for x in (engine[j] - formula[j]).ravel()))
        for idx in np.ndindex(W.shape):
            moved = []
            for sign in (1, -1):
                Wp = W.copy()
                Wp[idx] = W[idx] + sign * h
                moved.append(prob.loss_of(deep_linear(Ws[:j] + [Wp] + Ws[j + 1:], ar).end_to_end()))
            fd_err = max(fd_err, abs((moved[0] - moved[1]) / (2 * h) - formula[j][idx]))
    return {"fd_rel_error": float(fd_err / scale), "engine_rel_error": float(engine_err / scale),
            "entries": int(sum(w.size for w in Ws)), "h": _FD_H}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    f = k["factor"]
    formula = f"dL/dW_j = {f:g} W_{{j+1:N}}^T (W_{{1:N}} - Phi) W_{{1:j-1}}^T"
    return [
        Identity.of(runs, pred=lambda r: 0.0, obs="fd_rel_error", label="finite differences", rtol=0.0, atol=1e-25,
                    predicted=formula, observed="central differences, h = 1e-20 (relative error)",
                    arithmetic="mpmath:dps=50", reason="truncation h^2 ~ 1e-40, cancellation 1e-50/h = 1e-30"),
        Identity.of(runs, pred=lambda r: 0.0, obs="engine_rel_error", label="engine (prefix/suffix products)",
                    rtol=0.0, atol=1e-45, predicted=formula, observed="lintheory.nets.loss_and_gradients",
                    arithmetic="mpmath:dps=50", reason="same products in a different order at 50 digits"),
    ]


CLAIM = Claim(
    id="arora2018.gradient_formula", paper="arora2018", source="Eq. (14) (gradient descent written out, Sec. 3 / "
    "Appendix D); checked as stated",
    title="Layer gradients of L^N are W_{j+1:N}^T grad L^1(W_{1:N}) W_{1:j-1}^T",
    statement_latex=r"\frac{\partial L^N}{\partial W_j} = W_{j+1:N}^\top (W_{1:N} - \Phi) W_{1:j-1}^\top",
    kind="identity", level="sourced", grid=grid, run=run, checks=checks,
    constants={"factor": 1.0}, run_constants=("factor",),
    mutants=(Mutant("factor_2", "the gradient doubled (the 1/2 of the loss forgotten)", {"factor": 2.0}),),
    search=SearchSpace(st.fixed_dictionaries({"widths": st.lists(st.integers(1, 5), min_size=2, max_size=5),
                                              "factor": st.just(1.0)}),
                       lambda v: v["fd_rel_error"] / 1e-25, "finite-difference error / 1e-25 (mpmath)",
                       budgets={"quick": 0, "standard": 30, "full": 200}),
)
