r"""Procedure 1 of Arora, Cohen, Golowich, Hu (ICLR 2019, Section 3.3): balanced initialization.

Given :math:`A \in \mathbb R^{d_N \times d_0}` with thin SVD :math:`A = U\Sigma V^\top` and widths without a
bottleneck (:math:`\min_j d_j \ge \min\{d_0, d_N\}`), set :math:`W_1 \simeq \Sigma^{1/N}V^\top`,
:math:`W_j \simeq \Sigma^{1/N}` (:math:`1 < j < N`), :math:`W_N \simeq U\Sigma^{1/N}` (zero-padded). Then

.. math::

    W_{1:N} = A, \qquad W_{j+1}^\top W_{j+1} = W_j W_j^\top\ (j < N), \qquad
    \sigma_i(W_j) = \sigma_i(A)^{1/N}\ \text{(padded with zeros)} .

Sourced: the procedure and the first two properties are the paper's (Section 3.3, footnote 7, which
also allows any other assignment with these two properties, e.g. inserting a random orthogonal
:math:`O_j` between layers :math:`j` and :math:`j+1` as Appendix E does); the third is the statement
(Section 3.1, quoting Arora, Cohen, Hazan 2018) that the layers of a 0-balanced network share the
:math:`N`-th roots of the end-to-end singular values. The exact formulas of the padding are written
here from the procedure's words. The mutant replaces the root :math:`1/N` by :math:`1/(N+1)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from lintheory.arith import arithmetic
from lintheory.inits import balanced, imbalance
from proofs_check.checks import Check, Identity
from proofs_check.claim import Claim, Mutant, RunRecord
from proofs_check.claims.arora2018._common import no_bottleneck, pick
from proofs_check.search.space import SearchSpace

_ARITHS = (("float64", 1e-12, "SVD, roots and N products at u = 1.1e-16 on widths <= 10"),
           ("mpmath:dps=40", 1e-30, "the same at 40 digits"))


def grid(profile: str) -> list[dict[str, Any]]:
    widths = pick(profile, [[7, 6, 6, 5, 3], [8, 4, 4, 1], [2, 3, 3, 4]],
                  [[7, 6, 6, 5, 3], [8, 4, 4, 1], [2, 3, 3, 4], [1, 2, 2, 2, 2, 1], [5, 5, 5], [3, 9, 9, 9, 9, 9, 6]])
    arith = pick(profile, ["float64"], ["float64", "mpmath:dps=40"])
    out = [{"widths": w, "orthogonal_insertion": o, "arith": a} for w in widths for o in (False, True) for a in arith]
    if profile == "quick":
        out.append({"widths": [5, 4, 4, 2], "orthogonal_insertion": True, "arith": "mpmath:dps=40"})
    return out


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Relative errors of the product, the balance and the layer singular values (against
    sigma_i(A)^{1/(N + root_shift)})."""
    widths, ar = params["widths"], arithmetic(params["arith"])
    rng = np.random.default_rng(seed)
    N, r = len(widths) - 1, min(widths[0], widths[-1])
    A = ar.matrix(rng.standard_normal((widths[-1], widths[0])))
    net = balanced(A, widths, rng, ar, orthogonal_insertion=params["orthogonal_insertion"])
    s_A = ar.singular_values(A)
    roots = [x ** (ar.number(1) / ar.number(N + params["root_shift"])) for x in s_A]
    with ar.context():
        product_err = ar.frob(ar.sub(net.end_to_end(), A)) / ar.frob(A)
        balance_err = ar.to_float(imbalance(net)) / ar.to_float(roots[0]) ** 2
        sv_err = 0.0
        for W in net.weights():
            s_W = ar.singular_values(W)
            expected = roots + [ar.number(0)] * (len(s_W) - r)
            sv_err = max(sv_err, max(ar.to_float(abs(a - b)) for a, b in zip(s_W, expected)) / ar.to_float(roots[0]))
    errors = {"product_rel_error": ar.to_float(product_err), "imbalance_rel": balance_err,
              "singular_value_rel_error": sv_err}
    return {**errors, "max_error": max(errors.values()), "N": N}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    root = "1/N" if k["root_shift"] == 0 else f"1/(N + {k['root_shift']:g})"
    return [Identity.of([r for r in runs if r.params["arith"] == name], pred=lambda r: 0.0, obs="max_error",
                        extra=("product_rel_error", "imbalance_rel", "singular_value_rel_error"),
                        label=name, arithmetic=name, rtol=0.0, atol=atol, reason=reason,
                        predicted=f"W_{{1:N}} = A, W_{{j+1}}^T W_{{j+1}} = W_j W_j^T, sigma_i(W_j) = sigma_i(A)^{{{root}}}",
                        observed="max relative error of the three")
            for name, atol, reason in _ARITHS if any(r.params["arith"] == name for r in runs)]


CLAIM = Claim(
    id="arora2018.procedure1_balanced_init", paper="arora2018",
    source="Procedure 1 (Sec. 3.3) and footnote 7; orthogonal insertion from Appendix E; singular values from "
           "Sec. 3.1 (0-balanced layers share the N-th roots of the end-to-end singular values)",
    title="Procedure 1 gives W_{1:N} = A, exact balance, and layer singular values sigma_i(A)^{1/N}",
    statement_latex=r"W_{1:N} = A,\quad W_{j+1}^\top W_{j+1} = W_j W_j^\top,\quad \sigma_i(W_j) = \sigma_i(A)^{1/N}",
    kind="identity", level="sourced", grid=grid, run=run, checks=checks,
    constants={"root_shift": 0}, run_constants=("root_shift",),
    mutants=(Mutant("root_1/(N+1)", "layer singular values sigma_i(A)^{1/(N+1)} instead of the N-th root",
                    {"root_shift": 1}),),
    search=SearchSpace(
        st.fixed_dictionaries({"widths": st.lists(st.integers(1, 9), min_size=2, max_size=7).filter(no_bottleneck),
                               "orthogonal_insertion": st.booleans(), "arith": st.just("float64"),
                               "root_shift": st.just(0)}),
        lambda v: v["max_error"] / 1e-12, "max relative error of product, balance, singular values / 1e-12 (float64)"),
)
