r"""The coupling term of the lifted objective is a Tikhonov penalty :math:`\|\Gamma(W)u\|^2 = u^TQ(W)u`.

.. math::
    \sum_{n=1}^N\gamma_n\|u_n - W_nu_{n-1}\|^2 = u^TQ(W)u,\qquad Q = \Gamma^T\Gamma \succeq 0,
    \qquad \dim\ker Q = d_0,\qquad Q_{UU} \succ 0 .

**Source.** The title of Zhang & Brand (NeurIPS 2017) calls the regularised network
"Tikhonov regularized"; the matrix below is the reconstruction of that name (the paper's equation is
not known here).

**Derivation (reconstructed).** Stack :math:`u = (u_0; u_1; \dots; u_N)` with :math:`u_0 = x`.
The map :math:`\Gamma(W)u = (\sqrt{\gamma_n}(u_n - W_nu_{n-1}))_{n=1..N}` is block lower-bidiagonal
(block row n has :math:`-\sqrt{\gamma_n}W_n` in column n-1 and :math:`\sqrt{\gamma_n}I` in column n),
so the coupling equals :math:`\|\Gamma u\|^2 = u^TQu` with the block-tridiagonal
:math:`Q = \Gamma^T\Gamma`: :math:`Q_{n-1,n-1} \mathrel{+}= \gamma_nW_n^TW_n`,
:math:`Q_{nn} \mathrel{+}= \gamma_nI`, :math:`Q_{n,n-1} = -\gamma_nW_n = Q_{n-1,n}^T`. It is symmetric
positive semi-definite. :math:`\Gamma u = 0` iff :math:`u_n = W_nu_{n-1}` for every n, i.e. u is the
linear forward pass of any :math:`u_0`: the kernel has dimension exactly :math:`d_0`. With
:math:`u_0` fixed, :math:`\Gamma` restricted to :math:`(u_1..u_N)` is block lower-triangular with
invertible diagonal blocks :math:`\sqrt{\gamma_n}I`, so :math:`Q_{UU}` (blocks 1..N) is positive
definite: the U-subproblem of BCD is strongly convex.

**Checks.** Random networks (N = 1..4 layers, widths 3..7, :math:`\gamma_n \in [0.1, 10]`) in float64
and in mpmath at 50 digits: the identity within the dot-product error bound
:math:`4Du|s|^T|Q||s|`; symmetry exactly; eigenvalues within the backward error :math:`4Du\|Q\|_2` of
a symmetric eigensolver; the number of eigenvalues inside that error equals ``nullity_per_input``
:math:`\cdot d_0`; :math:`\lambda_{\min}(Q_{UU})` above it. An Arb certificate re-checks the identity.
Constants: ``coupling_factor`` (the identity's right side is ``coupling_factor`` :math:`\cdot u^TQu`)
and ``nullity_per_input``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from lintheory.lifted import tikhonov_coupling, tikhonov_matrix
from lintheory.symbolic import zhang2017 as sym
from proofs_check.checks import Identity
from proofs_check.claim import Claim, Figure, Mutant, RunRecord
from proofs_check.claims.zhang2017._common import EPS, draw_allowances, scaled_row
from proofs_check.search.space import CertificateSpec


def grid(profile: str) -> list[dict]:
    k = {"quick": 2, "standard": 10, "full": 50}[profile]
    out = [{"N": N, "instance": i, "arith": "float64"} for N in (1, 2, 3, 4) for i in range(k)]
    return out + [{"N": N, "instance": 0, "arith": "mpmath:dps=50"} for N in ((3,) if profile == "quick" else (2, 4))]


def instance(params: Mapping[str, Any], seed: int) -> tuple[list[int], list[float], list, list]:
    """The random (dims, gamma, W, u) of a run: widths 3..7, gamma in [0.1, 10], Gaussian W and u."""
    rng = np.random.default_rng(seed)
    N = params["N"]
    dims = [int(d) for d in rng.integers(3, 8, N + 1)]
    gamma = [float(g) for g in rng.uniform(0.1, 10.0, N)]
    W = [rng.standard_normal((dims[n + 1], dims[n])) for n in range(N)]
    u = [rng.standard_normal(d) for d in dims]
    return dims, gamma, W, u


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    dims, gamma, W, u = instance(params, seed)
    D, d0 = sum(dims), dims[0]
    if params["arith"] == "float64":
        Q = tikhonov_matrix(W, gamma)
        s = np.concatenate(u)
        lhs, quad = float(tikhonov_coupling(W, gamma, u)), float(s @ Q @ s)  # type: ignore[arg-type]
        diff, scale = abs(lhs - quad), float(np.abs(s) @ np.abs(Q) @ np.abs(s))
        eig, eig_uu = list(np.linalg.eigvalsh(Q)), list(np.linalg.eigvalsh(Q[d0:, d0:]))
        unit, asym = EPS, float(np.max(np.abs(Q - Q.T)))
    else:
        ctx = mpmath.MPContext()
        ctx.dps = int(params["arith"].split("=")[1])
        to = np.vectorize(ctx.mpf, otypes=[object])
        Wm, um, gm = [to(w) for w in W], [to(x) for x in u], [ctx.mpf(g) for g in gamma]
        Q = tikhonov_matrix(Wm, gm)
        s = np.concatenate(um)
        lhs_m, quad_m = tikhonov_coupling(Wm, gm, um), s @ Q @ s
        absolute = np.vectorize(abs, otypes=[object])
        scale = float(absolute(s) @ absolute(Q) @ absolute(s))
        eig = sorted(ctx.eigsy(ctx.matrix(Q.tolist()), eigvals_only=True))
        eig_uu = sorted(ctx.eigsy(ctx.matrix(Q[d0:, d0:].tolist()), eigvals_only=True))
        unit = float(ctx.mpf(10) ** (1 - ctx.dps))
        # keep the high-precision difference: float() of each side would hide it
        lhs, quad, diff = float(lhs_m), float(quad_m), float(abs(lhs_m - quad_m))  # type: ignore[arg-type]
        asym = float(max(abs(x) for x in (Q - Q.T).ravel()))
    norm_q = max(abs(float(e)) for e in eig)
    tol_eig = 4 * D * unit * norm_q
    return {"dims": dims, "gamma": gamma, "coupling": lhs, "quadratic_form": quad, "difference": diff,
            "abs_scale": scale, "asymmetry": asym, "lambda_min_Q": float(eig[0]),
            "near_zero_eigenvalues": sum(1 for e in eig if abs(e) <= tol_eig),
            "lambda_min_QUU": float(eig_uu[0]), "norm_Q": norm_q, "unit": unit, "D": D, "d0": d0}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Identity]:
    rows = []
    for r in runs:
        p, v = r.params, r.value
        tol_eig = 4 * v["D"] * v["unit"] * v["norm_Q"]
        stated = k["coupling_factor"] * v["quadratic_form"]
        nullity = k["nullity_per_input"] * v["d0"]
        rows += [scaled_row(p, "coupling = factor * u^T Q u", v["coupling"], abs(v["coupling"] - stated),
                            4 * v["D"] * v["unit"] * v["abs_scale"], dims=v["dims"]),
                 scaled_row(p, "Q symmetric", v["asymmetry"], v["asymmetry"], 0.0),
                 scaled_row(p, "Q PSD: -lambda_min(Q)", v["lambda_min_Q"], max(0.0, -v["lambda_min_Q"]), tol_eig),
                 scaled_row(p, "eigenvalues within round-off of 0: count - nullity", v["near_zero_eigenvalues"],
                            abs(v["near_zero_eigenvalues"] - nullity), 0.0),
                 scaled_row(p, "Q_UU positive definite: tol - lambda_min(Q_UU)", v["lambda_min_QUU"],
                            max(0.0, 2 * tol_eig - v["lambda_min_QUU"]), tol_eig)]
    return [Identity(label="tikhonov", rows=rows, atol=1.0, arithmetic="float64; mpmath:dps=50",
                     predicted="sum_n gamma_n||u_n - W_n u_{n-1}||^2 = u^T Q u; Q symmetric PSD with nullity d_0; "
                               "Q_UU positive definite",
                     observed="float64 and mpmath evaluation, eigvalsh / mpmath.eigsy, in units of each allowance",
                     reason="identity: dot-product error bound 4 D u |s|^T|Q||s|; eigenvalues: backward error "
                            "4 D u ||Q||_2 of a symmetric eigensolver; symmetry and counts exact; u = eps "
                            "(float64) or 10^(1-dps) (mpmath)")]


def certificate_inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The run's dims, gamma, W and u (the same draws); u_n as columns."""
    _, gamma, W, u = instance(params, seed)
    return ({f"W{n}": w for n, w in enumerate(W)} | {f"gamma{n}": g for n, g in enumerate(gamma)}
            | {f"u{n}": c[:, None] for n, c in enumerate(u)})


def _objects(M: Any) -> np.ndarray:
    return np.array(M.tolist(), dtype=object).reshape(M.nrows(), M.ncols())


def certificate_check(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r"""Both sides of the identity from ``lintheory``'s own functions, on object arrays of balls."""
    N = sum(1 for key in x if key.startswith("W"))
    W = [_objects(x[f"W{n}"]) for n in range(N)]
    gamma = [x[f"gamma{n}"] for n in range(N)]
    u = [_objects(x[f"u{n}"])[:, 0] for n in range(N + 1)]
    s = np.concatenate(u)
    return tikhonov_coupling(W, gamma, u), s @ tikhonov_matrix(W, gamma) @ s


CLAIM = Claim(
    id="zhang2017.tikhonov_matrix", paper="zhang2017", level="reconstructed", kind="identity",
    source="Zhang & Brand 2017, title and abstract ('Tikhonov regularized', 'numerically well-behaved convex "
           "subproblems'); the matrix Q(W), its kernel and the definiteness of Q_UU are derived in this claim's "
           "docstring",
    title="The coupling term is u^T Q u with block-tridiagonal PSD Q of nullity d_0; Q_UU is positive definite",
    statement_latex=r"\sum_n\gamma_n\|u_n-W_nu_{n-1}\|^2 = u^TQ(W)u,\ Q = \Gamma^T\Gamma \succeq 0,\ "
                    r"\dim\ker Q = d_0,\ Q_{UU} \succ 0",
    grid=grid, run=run, checks=checks,
    constants={"coupling_factor": 1.0, "nullity_per_input": 1},
    mutants=(Mutant("half_coupling", "coupling = (1/2) u^T Q u (the 1/2 of the objective moved into Q)",
                    {"coupling_factor": 0.5}),
             Mutant("Q_definite", "Q positive definite (nullity 0)", {"nullity_per_input": 0})),
    symbolic=lambda: {"Q_two_layers": sp.latex(sym.tikhonov_identity()["Q"]),
                      "det_Q_UU": sp.latex(sym.tikhonov_identity()["Q_UU_det"])},
    figures=(Figure("allowances", "Each check's error in units of its allowance, per instance (below the "
                                  "dashed line: the identity holds).", draw_allowances),),
    certificate=CertificateSpec(
        certificate_inputs, certificate_check, "==",
        "sum_n gamma_n ||u_n - W_n u_{n-1}||^2 = u^T Q(W) u for the run's W, gamma, u", tolerance=1e-40),
)
