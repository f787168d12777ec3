r"""ReLU is the Euclidean projection onto the non-negative orthant (the lifting of Zhang & Brand 2017).

.. math::
    \max(0, v) = \arg\min_{u \ge 0}\|u - v\|_2^2, \qquad \min_{u \ge 0}\|u - v\|_2^2 = \|\min(v, 0)\|_2^2 .

**Source.** The abstract of Zhang & Brand (NeurIPS 2017) says that ReLU is "lifted" into a
higher-dimensional space to obtain a smooth multi-convex formulation; the identity above is the
reconstruction of that lifting (the paper's equation number is not known here).

**Derivation (reconstructed).** The problem separates over entries: minimise :math:`(u - v)^2`
over :math:`u \ge 0`. Its KKT conditions are :math:`u \ge 0`, :math:`u - v \ge 0` (the multiplier
:math:`2(u - v)` of :math:`u \ge 0` is non-negative) and :math:`u(u - v) = 0` (complementarity).
If :math:`v \ge 0`, :math:`u = v` satisfies them with value 0; if :math:`v < 0`, :math:`u = 0`
does, with value :math:`v^2 = \min(v, 0)^2`. The problem is strictly convex, so the KKT point is
the unique minimiser: :math:`u = \max(0, v)`. Hence at the forward-pass point the lifted penalty is
the squared negative part of the pre-activation, not zero.

**Checks.** On samples of :math:`10^4`-:math:`10^6` values across magnitudes :math:`10^{-6}..10^6`
and in the subnormal range, with signed zeros: the KKT conditions of the stated minimiser hold
exactly (counted violations = 0); the optimal value matches :math:`\|u - v\|^2` to :math:`n\varepsilon`
relative; ``scipy.optimize.nnls`` with an identity design gives the stated minimiser to its
backward error; SymPy's ``Piecewise`` from the KKT case split gives the same minimiser and value,
and its case proofs hold. An Arb certificate re-checks KKT and value entry by entry.
Constants: ``floor`` (the stated minimiser is :math:`\max(\mathrm{floor}, v)`) and ``value_factor``
(the stated value is ``value_factor`` :math:`\cdot\|\min(v,0)\|^2`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import flint
import numpy as np
import scipy.optimize
import sympy as sp

from lintheory.lifted import relu_projection
from lintheory.symbolic import zhang2017 as sym
from proofs_check.checks import Identity
from proofs_check.claim import Claim, Figure, Mutant, RunRecord
from proofs_check.claims.zhang2017._common import EPS, draw_allowances, scaled_row
from proofs_check.search.space import CertificateSpec

GRID = {p: [{"n": n, "magnitudes": "mixed"}, {"n": n // 10, "magnitudes": "tiny"}]
        for p, n in (("quick", 10_000), ("standard", 100_000), ("full", 1_000_000))}
_SPECIALS = [0.0, -0.0, 1e-300, -1e-300, 5e-324, -5e-324, 2.2250738585072014e-308, -2.2250738585072014e-308]
_BLOCK = 50


def sample(n: int, magnitudes: str, rng: np.random.Generator) -> np.ndarray:
    """Signed values 10^[-6, 6] ("mixed") or 10^[-323, -290] ("tiny"), 5% zeros, 2% negative zeros, specials."""
    lo, hi = (-6.0, 6.0) if magnitudes == "mixed" else (-323.0, -290.0)
    v = rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(lo, hi, n)
    v[rng.random(n) < 0.05] = 0.0
    v[rng.random(n) < 0.02] = -0.0
    v[:len(_SPECIALS)] = _SPECIALS
    return v


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    n = params["n"]
    v = sample(n, params["magnitudes"], np.random.default_rng(seed))
    stated = np.maximum(params["floor"], v)
    u, _ = relu_projection(v)
    neg = np.minimum(v, 0)
    kkt = int(np.sum(stated < 0) + np.sum(stated - v < 0) + np.sum(stated * (stated - v) != 0))
    nnls_excess = 0.0
    for s in range(0, n - n % _BLOCK, _BLOCK):
        x = scipy.optimize.nnls(np.eye(_BLOCK), v[s:s + _BLOCK])[0]
        # scipy's active-set solver is accurate relative to the block's scale, not entry by entry
        allowed = 1e-15 + 4 * _BLOCK * EPS * np.max(np.abs(v[s:s + _BLOCK]))
        nnls_excess = max(nnls_excess, float(np.max(np.abs(x - stated[s:s + _BLOCK]) / allowed)))
    r = sym.relu_projection()
    argmin_sym = sp.lambdify(r["v"], r["argmin"], "numpy")(v)
    proofs = sym.relu_projection_proofs()
    return {"kkt_violations": kkt, "negative_part": float(np.sum(neg * neg)),
            "value_at_library": float(np.sum((u - v) ** 2)),
            "library_mismatches": int(np.sum(u != stated)),
            "nnls_max_error_over_allowed": nnls_excess,
            "symbolic_argmin_mismatches": int(np.sum(argmin_sym != stated)),
            "symbolic_value": float(np.sum(sp.lambdify(r["v"], r["value"], "numpy")(v))),
            "proofs_failed": [k for k, ok in proofs.items() if not ok],
            "zeros": int(np.sum(v == 0)), "subnormal": int(np.sum((v != 0) & (np.abs(v) < 2.2250738585072014e-308)))}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Identity]:
    c = k["value_factor"]
    counts, values = [], []
    for r in runs:
        p, v = r.params, r.value
        counts += [scaled_row(p, "KKT of max(floor, v): violations", v["kkt_violations"], v["kkt_violations"], 0),
                   scaled_row(p, "library max(0, v) != stated minimiser", v["library_mismatches"],
                              v["library_mismatches"], 0),
                   scaled_row(p, "SymPy Piecewise argmin != stated minimiser", v["symbolic_argmin_mismatches"],
                              v["symbolic_argmin_mismatches"], 0),
                   scaled_row(p, "SymPy case proofs failed", len(v["proofs_failed"]), len(v["proofs_failed"]), 0),
                   scaled_row(p, "scipy nnls(I, v) vs stated (error / backward error)",
                              v["nnls_max_error_over_allowed"], v["nnls_max_error_over_allowed"], 1.0)]
        stated = c * v["negative_part"]
        allowed = p["n"] * EPS * v["negative_part"]
        values += [scaled_row(p, "||u - v||^2 at the library's u vs stated value", v["value_at_library"],
                              abs(v["value_at_library"] - stated), allowed),
                   scaled_row(p, "SymPy Piecewise value vs stated value", v["symbolic_value"],
                              abs(v["symbolic_value"] - stated), allowed)]
    return [
        Identity(label="minimiser", rows=counts, atol=1.0, arithmetic="float64 and SymPy (exact)",
                 predicted="the stated minimiser max(floor, v) meets the KKT conditions and equals every solver's",
                 observed="violation and mismatch counts; scipy nnls error over its backward error",
                 reason="counts are exact (allowance 0); nnls: 1e-15 + 4 b eps max|v| per block of b = 50 "
                        "(backward error of the active-set solver)"),
        Identity(label="optimal value", rows=values, atol=1.0, arithmetic="float64 and SymPy (exact)",
                 predicted="min_{u>=0} ||u - v||^2 = value_factor ||min(v, 0)||^2",
                 observed="||u - v||^2 at u = max(0, v) and the lambdified Piecewise value, in units of n eps value",
                 reason="a sum of n non-negative float64 terms has relative error <= n eps"),
    ]


def certificate_inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The run's sample v and the library's projection u = max(0, v), as 1 x n rows."""
    v = sample(params["n"], params["magnitudes"], np.random.default_rng(seed))
    u, _ = relu_projection(v)
    return {"v": v[None, :], "u": u[None, :]}


def certificate_check(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r"""The largest entry-wise residual of the KKT conditions and of :math:`(u_i - v_i)^2 = \min(v_i, 0)^2`.

    Entry by entry, every term is an exact product of doubles, so no rounding enters; a
    sum over entries of magnitudes from 1e-323 to 1e6 would round at any fixed precision."""
    zero = flint.arb(0)
    worst = zero
    for u, v in zip(x["u"].entries(), x["v"].entries()):
        for residual in (abs(u * (u - v)), (-u).max(zero), (v - u).max(zero), abs((u - v) ** 2 - v.min(zero) ** 2)):
            worst = worst.max(residual)
    return worst, zero


CLAIM = Claim(
    id="zhang2017.lifted_relu_identity", paper="zhang2017", level="reconstructed", kind="identity",
    source="Zhang & Brand 2017, abstract ('lifting the ReLU function into a higher dimensional space'); the "
           "projection identity and its KKT derivation are reconstructed in this claim's docstring",
    title="ReLU is the projection onto the orthant; the optimal value is the squared negative part",
    statement_latex=r"\max(0,v) = \arg\min_{u\ge0}\|u-v\|_2^2,\quad \min_{u\ge0}\|u-v\|_2^2 = \|\min(v,0)\|_2^2",
    grid=GRID, run=run, checks=checks,
    constants={"floor": 0.0, "value_factor": 1.0}, run_constants=("floor",),
    mutants=(Mutant("value_half", "optimal value (1/2)||min(v,0)||^2 (the familiar factor 1/2)",
                    {"value_factor": 0.5}),
             Mutant("floor_1e-12", "minimiser max(1e-12, v) (a strictly positive floor)", {"floor": 1e-12})),
    symbolic=lambda: {"argmin": sp.latex(sym.relu_projection()["argmin"]),
                      "value": sp.latex(sym.relu_projection()["value"])},
    figures=(Figure("allowances", "Each check's error in units of its allowance, per instance (below the "
                                  "dashed line: the identity holds).", draw_allowances),),
    certificate=CertificateSpec(
        certificate_inputs, certificate_check, "==",
        "u = max(0, v) meets the KKT conditions of min_{u>=0} ||u - v||^2 exactly and (u_i - v_i)^2 = min(v_i, 0)^2 "
        "entry by entry", tolerance=1e-300),
)
