r"""Claim 1 of Arora, Cohen, Golowich, Hu (ICLR 2019): a deficiency margin bounds
:math:`\sigma_{\min}` below on a whole Frobenius ball around the target.

.. math::

    \|W - \Phi\|_F \le \sigma_{\min}(\Phi) - c,\quad \|W' - \Phi\|_F \le \|W - \Phi\|_F
    \;\Rightarrow\; \sigma_{\min}(W') \ge c .

Sourced: the statement is Claim 1 in the paper's words ("if W has deficiency margin c with respect to
Phi, every W' at most as far from Phi satisfies sigma_min(W') >= c"; Definition 2 for the margin),
written here as a formula; its proof (Appendix D.1) is Weyl's inequality
:math:`\sigma_{\min}(\Phi + B) \ge \sigma_{\min}(\Phi) - \|B\|_2` with :math:`\|B\|_2 \le \|B\|_F`.
The bound is attained at :math:`W' = \Phi - (\sigma_{\min}(\Phi) - c)\,u_{\min}v_{\min}^\top`, which every
run includes, so a bound scaled by 1.01 (the mutant) must fail there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from lintheory.certify import sigma_min_enclosure
from lintheory.margin import adversarial_points, ball_points, tight_point
from proofs_check.checks import Bound, Check
from proofs_check.claim import Claim, Mutant, RunRecord
from proofs_check.claims.arora2018._common import pick
from proofs_check.search.space import CertificateSpec, SearchSpace


def grid(profile: str) -> list[dict[str, Any]]:
    shapes = pick(profile, [(2, 2), (2, 4), (3, 3)], [(1, 5), (2, 2), (2, 4), (3, 3), (4, 2), (5, 5)])
    fracs = pick(profile, [0.5], [0.1, 0.5, 0.9])
    n = pick(profile, 2000, 20000)
    return [{"d_N": a, "d_0": b, "c_over_sigma_min": f, "samples": n} for a, b in shapes for f in fracs]


def _points(params: Mapping[str, Any], seed: int) -> tuple[np.ndarray, float, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    Phi = rng.standard_normal((params["d_N"], params["d_0"]))
    s_min = float(np.linalg.svd(Phi, compute_uv=False)[-1])
    rho = s_min - params["c_over_sigma_min"] * s_min  # W on the margin-c sphere: ||W - Phi||_F = sigma_min - c
    n = params["samples"]
    return Phi, s_min, {"interior": ball_points(Phi, rho, n, rng), "boundary": ball_points(Phi, rho, n, rng, boundary=True),
                        "tight": tight_point(Phi, rho)[None], "adversarial": adversarial_points(Phi, rho, 4, rng)}


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """min sigma_min over points of the ball of radius sigma_min(Phi) - c: interior, sphere, the
    analytic minimizer, BFGS minimizers."""
    Phi, s_min, points = _points(params, seed)
    mins = {k: float(np.linalg.svd(P, compute_uv=False)[:, -1].min()) for k, P in points.items()}
    return {"c": params["c_over_sigma_min"] * s_min, "sigma_min_phi": s_min, "min_sigma": min(mins.values()),
            "by_kind": mins, "phi_norm2": float(np.linalg.norm(Phi, 2))}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    f = k["c_factor"]
    atol = 1e-13 * (1 + max(r.value["phi_norm2"] for r in runs))
    return [Bound.of(runs, pred=lambda r: f * r.value["c"], obs="min_sigma", label="sigma_min on the ball",
                     sense="lower", rtol=0.0, atol=atol, predicted=f"sigma_min(W') >= {f:g} c",
                     observed="min sigma_min(W') over ball, sphere, tight and adversarial points",
                     reason="backward-stable SVD: |error| <~ n u ||W'||_2",
                     evidence={"tight_point_over_c": [r.value["by_kind"]["tight"] / r.value["c"] for r in runs]})]


def _inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The run's target and its worst sampled sphere point and adversarial point (same draws)."""
    Phi, _, points = _points(params, seed)

    def worst(P: np.ndarray) -> np.ndarray:
        return P[int(np.argmin(np.linalg.svd(P, compute_uv=False)[:, -1]))]

    return {"Phi": Phi, "W_sphere": worst(points["boundary"]), "W_adversarial": worst(points["adversarial"])}


def _check(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r"""min over the points of :math:`\sigma_{\min}(W') - \sigma_{\min}(\Phi) + \|W' - \Phi\|_F \ge 0`."""
    floor = sigma_min_enclosure(x["Phi"], ar.prec)
    gaps = [sigma_min_enclosure(x[k], ar.prec) - floor + ar.frob(ar.sub(x[k], x["Phi"])) for k in ("W_sphere", "W_adversarial")]
    return 0, gaps[0].min(gaps[1])


CLAIM = Claim(
    id="arora2018.claim1_margin_sigma_min", paper="arora2018",
    source="Claim 1 (proof in Appendix D.1), Definition 2 (deficiency margin); the statement is the paper's, in words, "
           "written here as a formula",
    title="A deficiency margin c lower-bounds sigma_min on the whole Frobenius ball around Phi",
    statement_latex=r"\|W - \Phi\|_F \le \sigma_{\min}(\Phi) - c,\ \|W' - \Phi\|_F \le \|W - \Phi\|_F "
                    r"\Rightarrow \sigma_{\min}(W') \ge c",
    kind="bound", level="sourced", grid=grid, run=run, checks=checks, constants={"c_factor": 1.0},
    mutants=(Mutant("bound_1.01c", "sigma_min(W') >= 1.01 c (more than the tight point allows)", {"c_factor": 1.01}),),
    search=SearchSpace(
        st.fixed_dictionaries({"d_N": st.integers(1, 6), "d_0": st.integers(1, 6),
                               "c_over_sigma_min": st.floats(0.02, 0.98), "samples": st.sampled_from([50, 200])}),
        lambda v: v["c"] / (v["min_sigma"] + 1e-13 * (1 + v["phi_norm2"])), "c / min sigma_min(W')"),
    certificate=CertificateSpec(_inputs, _check, "<=", "sigma_min(W') >= sigma_min(Phi) - ||W' - Phi||_F at the worst "
                                "sampled sphere and adversarial points"),
)
