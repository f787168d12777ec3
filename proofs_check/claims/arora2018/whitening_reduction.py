r"""Appendix A of Arora, Cohen, Golowich, Hu (ICLR 2019): on whitened data the :math:`\ell_2` loss
of a linear predictor is :math:`\tfrac12\|W - \Lambda_{yx}\|_F^2` plus a constant.

.. math::

    \Lambda_{xx} := \tfrac1m XX^\top = I \;\Rightarrow\;
    \frac1{2m}\|WX - Y\|_F^2 = \tfrac12\|W - \Lambda_{yx}\|_F^2
    + \frac1{2m}\|Y\|_F^2 - \tfrac12\|\Lambda_{yx}\|_F^2,
    \qquad \Lambda_{yx} := \tfrac1m YX^\top .

Sourced: the statement that the loss equals :math:`\tfrac12\|W - \Lambda_{yx}\|_F^2` up to a
constant not depending on :math:`W` (Appendix A, which calls :math:`\Lambda_{yx}` the target
:math:`\Phi`). Reconstructed: the :math:`\frac1{2m}` normalisation of the loss and the value of the
constant, derived here by expanding :math:`\frac1{2m}\operatorname{tr}[(WX - Y)(WX - Y)^\top]` with
:math:`XX^\top = mI`: the cross term is :math:`-\frac1m\operatorname{tr}(WXY^\top) =
-\operatorname{tr}(W\Lambda_{yx}^\top)` and the quadratic term :math:`\frac1{2m}\operatorname{tr}(WXX^\top
W^\top) = \tfrac12\|W\|_F^2`; completing the square gives the display. The SymPy part checks the
general identity "data loss minus the right side equals :math:`\operatorname{tr}(W(XX^\top - mI)W^\top)/(2m)`"
for symbolic matrices, so it holds for every :math:`X`, and the numeric parts check it on random
whitened data in float64 and at 50 digits. The mutant doubles the :math:`\tfrac12` in front of
:math:`\|\Lambda_{yx}\|_F^2`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from lintheory.symbolic import arora2018 as S
from lintheory.whitening import whitened_data
from proofs_check.checks import Check, Identity
from proofs_check.claim import Claim, Mutant, RunRecord
from proofs_check.claims.arora2018._common import pick
from proofs_check.search.space import CertificateSpec, SearchSpace

_SYMBOLIC_MAX = 24  # d_y * d_x * m above which the SymPy expansion is skipped
_MPMATH_MAX = 1024  # d_x * m above which the 50-digit QR is skipped (it costs O(m d_x^2) mpf operations)
_ARITHS = (("float64", 1e-12, "relative; a sum of m d_x terms at unit round-off 1.1e-16, m <= 256"),
           ("mpmath:dps=50", 1e-45, "relative; 50 digits, sums of <= 10^5 terms"))


def grid(profile: str) -> list[dict[str, Any]]:
    sizes = pick(profile, [(1, 3, 5), (2, 3, 4), (3, 2, 4)],
                 [(1, 3, 5), (2, 3, 4), (3, 2, 4), (2, 16, 64), (1, 128, 256)])
    return [{"d_y": a, "d_x": b, "m": c} for a, b, c in sizes]


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The data loss and the three terms of the whitened form on whitened random data, in float64
    and (small sizes) 50 digits; the SymPy expansion of the residual for tiny sizes."""
    dy, dx, m = params["d_y"], params["d_x"], params["m"]
    out: dict[str, Any] = {"symbolic_residual_zero": None}
    if dy * dx * m <= _SYMBOLIC_MAX:
        out["symbolic_residual_zero"] = bool(S.whitening_gap(dy, dx, m)[1] == 0)
    W = np.random.default_rng(seed).standard_normal((dy, dx))
    for name, _, _ in _ARITHS:
        if name != "float64" and dx * m > _MPMATH_MAX:
            continue
        data = whitened_data(dx, dy, m, seed, ar=name)
        ar = data.arith
        with ar.context():
            Lyx = ar.scale(ar.number(1) / m, ar.matmul(data.Y, ar.T(data.X)))
            terms = {"data_loss": ar.frob_sq(ar.sub(ar.matmul(ar.matrix(W), data.X), data.Y)) / (2 * m),
                     "fit": ar.frob_sq(ar.sub(ar.matrix(W), Lyx)) / 2, "y_term": ar.frob_sq(data.Y) / (2 * m),
                     "lambda_sq": ar.frob_sq(Lyx)}
            # the residual for each coefficient of ||Lambda||^2 is formed here, where the digits are
            out[name] = {k: float(v) for k, v in terms.items()}
            out[name]["residual_at"] = {str(h): float(abs(terms["data_loss"] - terms["fit"] - terms["y_term"]
                                                          + ar.number(h) * terms["lambda_sq"]) / max(1, abs(terms["data_loss"])))
                                        for h in (0.5, 1.0)}
    return out


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    h = k["lambda_coefficient"]
    texts: dict[str, Any] = dict(predicted=f"1/2||W - Lambda_yx||^2 + 1/(2m)||Y||^2 - {h:g}||Lambda_yx||^2",
                 observed="1/(2m)||WX - Y||^2 with XX^T = mI")
    out: list[Check] = [
        Identity(label=name, arithmetic=name, rtol=0.0, atol=tol, reason=reason, **texts, rows=[
            {"params": r.params, "predicted": r.value[name]["data_loss"], "observed": r.value[name]["data_loss"],
             "error": r.value[name]["residual_at"][str(float(h))], "status": "ok"} for r in runs if name in r.value])
        for name, tol, reason in _ARITHS]
    out.append(Identity(
        label="sympy", rows=[{"params": r.params, "predicted": 0.0, "observed": 0.0 if r.value["symbolic_residual_zero"]
                              else 1.0, "status": "expanded"} for r in runs if r.value["symbolic_residual_zero"] is not None],
        rtol=0.0, atol=0.0, arithmetic="sympy", predicted="0", observed="expanded residual (0: the identity holds for every X)",
        reason="exact expansion: data loss - whitened form - tr(W(XX^T - mI)W^T)/(2m)"))
    return out


def _score(value: Mapping[str, Any]) -> float:
    return value["float64"]["residual_at"]["0.5"] / 1e-12


def _inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The run's W and float64 whitened data."""
    data = whitened_data(params["d_x"], params["d_y"], params["m"], seed, ar="float64")
    return {"W": np.random.default_rng(seed).standard_normal((params["d_y"], params["d_x"])), "X": data.X, "Y": data.Y}


def _check(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r"""Appendix A with the whitening error kept: data loss - whitened form =
    :math:`\mathrm{tr}(W(XX^\top - mI)W^\top)/(2m)`."""
    W, X, Y = x["W"], x["X"], x["Y"]
    m = ar.shape(X)[1]
    Lyx = ar.scale(ar.number(1) / m, ar.matmul(Y, ar.T(X)))
    data_loss = ar.frob_sq(ar.sub(ar.matmul(W, X), Y)) / (2 * m)
    whitened = ar.frob_sq(ar.sub(W, Lyx)) / 2 + ar.frob_sq(Y) / (2 * m) - ar.frob_sq(Lyx) / 2
    gram_error = ar.sub(ar.matmul(X, ar.T(X)), ar.scale(m, ar.identity(ar.shape(X)[0])))
    return data_loss - whitened, ar.dot(ar.matmul(W, gram_error), W) / (2 * m)


CLAIM = Claim(
    id="arora2018.whitening_reduction", paper="arora2018",
    source="Appendix A: the reduction to 1/2||W - Lambda_yx||^2 is the paper's; the 1/(2m) normalisation and the "
           "value of the constant are derived here (expand the trace with XX^T = mI; see the claim's docstring)",
    title="Under whitened data the l2 loss is 1/2||W - Lambda_yx||_F^2 plus a constant",
    statement_latex=r"\Lambda_{xx} = I \Rightarrow \frac{1}{2m}\|WX - Y\|_F^2 = \tfrac12\|W - \Lambda_{yx}\|_F^2 "
                    r"+ \frac{1}{2m}\|Y\|_F^2 - \tfrac12\|\Lambda_{yx}\|_F^2",
    kind="identity", level="reconstructed", grid=grid, run=run, checks=checks,
    constants={"lambda_coefficient": 0.5},
    mutants=(Mutant("lambda_coefficient_1", "the 1/2 in front of ||Lambda_yx||_F^2 replaced by 1",
                    {"lambda_coefficient": 1.0}),),
    symbolic=lambda: {"gap_minus_whitening_term": sp.latex(S.whitening_gap(1, 2, 2)[1])},
    search=SearchSpace(
        st.fixed_dictionaries({"d_y": st.integers(1, 6), "d_x": st.integers(1, 8), "m": st.integers(8, 64)})
        .filter(lambda p: p["d_x"] <= p["m"]), _score, "relative error / 1e-12 (float64)"),
    certificate=CertificateSpec(_inputs, _check, "==", "data loss - whitened form = tr(W (XX^T - mI) W^T)/(2m) for "
                                "the float64 data", tolerance=1e-40),
)
