r"""The end-to-end preconditioner of Arora, Cohen, Golowich, Hu (ICLR 2019, Section 3, quoting
Arora, Cohen, Hazan 2018, Theorem 1 and Claim 1).

For a 0-balanced network under gradient flow, :math:`\mathrm{vec}(\dot W_{1:N}) = -P_{W_{1:N}}
\mathrm{vec}(\nabla L^1(W_{1:N}))` with

.. math::

    P_W = \sum_{j=1}^N (W^\top W)^{\frac{N-j}{N}} \otimes (WW^\top)^{\frac{j-1}{N}},\qquad
    \lambda_{\min}(P_W) \ge \sigma_{\min}(W)^{\frac{2(N-1)}{N}},

and one GD step from a balanced point moves :math:`W_{1:N}` by
:math:`-\eta P_{W_{1:N}}\mathrm{vec}\nabla L^1 + O(\eta^2)`.

Sourced: the bound on :math:`\lambda_{\min}(P_W)` is stated in the paper's text (that part of the
claim is checked at level ``sourced``). Reconstructed: the formula of :math:`P_W` (column-major
vec) and its spectrum. Writing :math:`W = \sum_r \sigma_r u_r v_r^\top` and padding the singular
vectors to orthonormal bases with :math:`\sigma = 0` (and :math:`0^0 = 1`), each Kronecker term maps
:math:`\mathrm{vec}(u_r v_q^\top)` to :math:`\sigma_q^{2(N-j)/N}\sigma_r^{2(j-1)/N}` times itself, so the
eigenvalues are :math:`\sum_{j=1}^N \sigma_r^{2(j-1)/N}\sigma_q^{2(N-j)/N}`; the smallest, for
:math:`d_N \ne d_0`, pairs :math:`\sigma_{\min}` with a padded zero and equals
:math:`\sigma_{\min}^{2(N-1)/N}` (the bound is attained), and for square :math:`W` equals
:math:`N\sigma_{\min}^{2(N-1)/N}`. The first-order step is the same computation as the flow; its
error is :math:`O(\eta^2)` from a balanced point, and :math:`O(\eta)` from an unbalanced one (shown as a
contrast). Mutants: the bound doubled (false when :math:`d_N \ne d_0`), and an :math:`O(\eta^3)` error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

from lintheory.arith import MPMath, arithmetic
from lintheory.inits import balanced, gaussian
from lintheory.nets import Problem, gradient_step, loss_and_gradients
from lintheory.preconditioner import preconditioner, preconditioner_eigenvalues, predicted_eigenvalues, unvec, vec
from lintheory.symbolic import arora2018 as S
from proofs_check.checks import Bound, Check, Identity, Scaling
from proofs_check.claim import Claim, Figure, Mutant, RunRecord
from proofs_check.claims.arora2018._common import loglog_draw, pick, pooled_power_law

_ETAS = [10.0**k for k in (-5, -4.5, -4, -3.5, -3, -2.5, -2)]
_ARITHS = (("float64", 1e-12, "symmetric eigensolver and fractional powers of the Gram matrices, backward error "
                              "~ n u ||P||, n <= 16"),
           ("mpmath:dps=50", 1e-40, "the same at 50 digits"))


def grid(profile: str) -> list[dict[str, Any]]:
    cases = pick(profile, [(2, 3, 2), (3, 2, 3), (2, 2, 4)],
                 [(2, 3, 2), (3, 2, 3), (2, 2, 4), (1, 4, 3), (3, 3, 2), (2, 4, 6), (4, 2, 5)])
    return [{"d_N": a, "d_0": b, "N": n} for a, b, n in cases]


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Spectrum of P_W against the formula (float64, 50 digits), lambda_min against the bound, and the
    one-step error of the first-order P_W step from a balanced and from an unbalanced point."""
    dN, d0, N = params["d_N"], params["d_0"], params["N"]
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((dN, d0))
    out: dict[str, Any] = {}
    for name, _, _ in _ARITHS:
        ar = arithmetic(name)
        got = preconditioner_eigenvalues(preconditioner(W, N, ar), ar)
        sv = ar.singular_values(ar.matrix(W))
        want = predicted_eigenvalues(sv, dN, d0, N, ar)
        out[name] = {"eig_rel_error": float(max(abs(a - b) for a, b in zip(got, want)) / max(abs(x) for x in want)),
                     "lambda_min": float(got[0]), "bound": float(sv[-1] ** (ar.number(2 * (N - 1)) / ar.number(N)))}
    ar = MPMath(dps=40)
    widths = [d0] + [max(dN, d0)] * (N - 1) + [dN]
    Phi = ar.matrix(rng.standard_normal((dN, d0)))
    prob = Problem.whitened(Phi, ar)
    A = rng.standard_normal((dN, d0))
    curves = {}
    for label, net in (("balanced", balanced(A, widths, rng, ar, orthogonal_insertion=True)),
                       ("gaussian (unbalanced)", gaussian(widths, 0.7, rng, ar))):
        E = net.end_to_end()
        _, grads = loss_and_gradients(net, prob)
        Pvec = ar.matmul(preconditioner(E, N, ar), vec(ar.sub(E, Phi), ar))
        curves[label] = [ar.to_float(ar.frob(ar.sub(gradient_step(net, grads, ar.number(eta)).end_to_end(),
                                                     ar.sub(E, ar.scale(eta, unvec(Pvec, dN, d0)))))) for eta in _ETAS]
    return {**out, "eta": _ETAS, "step_error": curves}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    out: list[Check] = [Identity.of(
        runs, pred=lambda r: 0.0, obs=lambda r, n=name: r.value[n]["eig_rel_error"], label=f"eigenvalues {name}",  # type: ignore[misc]  # mypy#15459
        rtol=0.0, atol=atol, reason=reason, arithmetic=name, observed="max relative deviation",
        predicted="eig(P_W) = {sum_j sigma_r^{2(j-1)/N} sigma_q^{2(N-j)/N}}") for name, atol, reason in _ARITHS]
    f = k["lambda_factor"]
    out.append(Bound.of(
        runs, pred=lambda r: f * r.value["mpmath:dps=50"]["bound"], obs=lambda r: r.value["mpmath:dps=50"]["lambda_min"],
        label="lambda_min", sense="lower", rtol=1e-40, level="sourced", arithmetic="mpmath:dps=50",
        reason="50-digit eigensolver", predicted=f"lambda_min(P_W) >= {f:g} sigma_min(W)^{{2(N-1)/N}}",
        observed="lambda_min(P_W)"))
    curves = [{"eta": r.value["eta"], "error": r.value["step_error"]["balanced"], "label": f"balanced {r.params}"}
              for r in runs]
    unbalanced = [{"eta": r.value["eta"], "error": r.value["step_error"]["gaussian (unbalanced)"],
                   "label": f"unbalanced {r.params}"} for r in runs]
    order = k["step_error_order"]
    out.append(Scaling(
        label="one-step error", fit=pooled_power_law(curves, "eta", "error"), expected=float(order), tol=0.05,
        arithmetic="mpmath:dps=40", observed="pooled power-law fit over eta in [1e-5, 1e-2]",
        predicted=f"||W_{{1:N}}(t+1) - [W_{{1:N}} - eta P vec(grad)]|| = O(eta^{order:g}) from a 0-balanced point",
        reason="third-order terms bend the log-log line by <= O(eta) at eta <= 1e-2",
        evidence={"series": {"curves": curves + unbalanced[:1]},
                  "unbalanced_contrast_fit": pooled_power_law(unbalanced, "eta", "error").as_dict()}))
    return out


CLAIM = Claim(
    id="arora2018.end_to_end_preconditioner", paper="arora2018",
    source="Sec. 3 quoting Arora, Cohen, Hazan (ICML 2018) Thm 1 / Claim 1: the lambda_min bound is stated in the "
           "paper's text; the P_W formula and its spectrum are reconstructed (derivation in the claim's docstring)",
    title="End-to-end preconditioner P_W: spectrum, lambda_min bound and O(eta^2) one-step error",
    statement_latex=r"P_W = \sum_{j=1}^N (W^\top W)^{\frac{N-j}{N}} \otimes (WW^\top)^{\frac{j-1}{N}},\ "
                    r"\lambda_{\min}(P_W) \ge \sigma_{\min}(W)^{\frac{2(N-1)}{N}},\ "
                    r"\mathrm{vec}\,W_{1:N}(t+1) = \mathrm{vec}\,W_{1:N} - \eta P_{W_{1:N}}\mathrm{vec}\nabla L^1 + O(\eta^2)",
    kind="identity", level="reconstructed", grid=grid, run=run, checks=checks,
    constants={"lambda_factor": 1.0, "step_error_order": 2},
    mutants=(Mutant("lambda_bound_doubled", "lambda_min(P_W) >= 2 sigma_min^{2(N-1)/N}", {"lambda_factor": 2.0}),
             Mutant("error_order_3", "the first-order step's error O(eta^3) instead of O(eta^2)", {"step_error_order": 3})),
    symbolic=lambda: {"eigenvalue": sp.latex(S.preconditioner_eigenvalue_expr()),
                      "eigenvalue_closed_form": sp.latex(S.preconditioner_eigenvalue_expr(closed=True))},
    figures=(Figure("one_step_error", "||W_{1:N}(t+1) - first-order P_W step|| against eta: slope 2 from balanced "
                                      "points, slope 1 from an unbalanced one.",
                    loglog_draw("eta", "error", "eta", "one-step error", 2.0)),),
)
