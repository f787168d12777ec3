r"""The lifted objective is convex in each block of variables and not jointly convex (multi-convexity).

.. math::
    t \mapsto F(Z_b + tD_b)\ \text{is convex for every block } b \in \{U_1..U_K, W_1..W_N\},
    \qquad (U, W) \mapsto F\ \text{is not convex}.

**Source.** Zhang & Brand (NeurIPS 2017), abstract: lifting gives "a smooth multi-convex
formulation". The block structure below is reconstructed.

**Derivation (reconstructed).** With all other blocks fixed, each coupling term
:math:`\frac{\gamma_n}2\|U_n - W_nH_n\|^2` is a convex quadratic in :math:`U_n`, in :math:`U_{n-1}`
(through :math:`H_n`) and in :math:`W_n`; the ridge is convex in :math:`W_n`; the squared loss and the
squared hinge are convex in the scores, which are affine in each block. So F restricted to a block is
convex (and the constraints :math:`U_n \ge 0` are convex). Jointly it is not: with
:math:`U_2 = 0`, :math:`U_1 = s(1+t)U`, :math:`W_2 = s(1-t)W` (bias column 0) the coupling
:math:`\frac{\gamma_2}2\|U_2 - W_2U_1\|^2 = \frac{\gamma_2}2 s^4(1 - t^2)^2\|WU\|^2` has second difference
:math:`-\gamma_2s^4\|WU\|^2` over :math:`t \in \{-1, 0, 1\}`, while the other terms are convex in t and
grow like :math:`s^2`; doubling s until the total second difference is negative exhibits the segment.

**Checks.** Random small instances (widths 6-5-4-3, every output/loss/bias choice): the smallest
second difference :math:`F(-1) - 2F(0) + F(1)` along random in-block segments between feasible points,
relative to :math:`|F(-1)| + 2|F(0)| + |F(1)|`, must be at least ``modulus`` times
:math:`\|D\|^2/(|F(-1)| + 2|F(0)| + |F(1)|)` (0: convex) up to :math:`10^{-12}`; and an explicit joint
segment with a negative second difference must exist (``joint_convex`` false). Constants
``modulus`` (0) and ``joint_convex`` (false).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from lintheory.lifted import LiftedConfig, LiftedState, objective
from proofs_check.checks import Bound, Check
from proofs_check.claim import Claim, Figure, Mutant, RunRecord
from proofs_check.claims.zhang2017._common import COMBOS, EPS, F_REASON, F_RTOL, random_state

GRID = {p: [{"output": o, "loss": lo, "bias": b, "M": 10, "instance": i, "segments": segs}
            for o, lo, b in COMBOS[::2] for i in range(k)]
        for p, k, segs in (("quick", 1, 10), ("standard", 3, 30), ("full", 10, 100))}


def _second_difference(f: Callable[[float], float]) -> tuple[float, float]:
    vals = [f(-1.0), f(0.0), f(1.0)]
    return vals[0] - 2 * vals[1] + vals[2], abs(vals[0]) + 2 * abs(vals[1]) + abs(vals[2])


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    X, Y, st, cfg = random_state(params, rng)
    K = cfg.lifted_layers
    blocks = list(st.blocks())
    segments = []
    for b, Z in enumerate(blocks):
        nonneg = b < min(K, cfg.layers - 1) or (b == K - 1 and cfg.output == "relu")
        for _ in range(params["segments"]):
            # a segment between two feasible points of the block (both >= 0 for constrained blocks)
            Z1 = np.abs(rng.standard_normal(Z.shape)) * 2 if nonneg else rng.standard_normal(Z.shape) * 2
            mid, half = 0.5 * (Z + Z1), 0.5 * (Z1 - Z)

            def f(t: float, b: int = b, mid: np.ndarray = mid, half: np.ndarray = half) -> float:
                parts = list(blocks)
                parts[b] = mid + t * half
                return objective(X, Y, LiftedState(tuple(parts[K:]), tuple(parts[:K])), cfg)

            d2, scale = _second_difference(f)
            segments.append((d2 / scale, float(np.sum(half * half)) / scale))
    worst = min(segments)
    return {"within_block_min_d2": worst[0], "curvature": [d for d, _ in segments],
            "direction_sq": [q for _, q in segments], **_joint_segment(X, Y, st, cfg)}


def _joint_segment(X, Y, st: LiftedState, cfg: LiftedConfig) -> dict[str, Any]:
    """The explicit (U_1, W_2) segment of the docstring, with s doubled until F bends down."""
    U1, W2 = st.U[0], st.W[1].copy()
    if cfg.bias:
        W2[:, -1] = 0.0
    U_rest = list(st.U)
    if len(U_rest) > 1:
        U_rest[1] = np.zeros_like(U_rest[1])
    s = 1.0
    for _ in range(40):
        def f(t: float) -> float:
            U = [s * (1 + t) * U1] + U_rest[1:]
            W = [st.W[0], s * (1 - t) * W2, *st.W[2:]]
            return objective(X, Y, LiftedState(tuple(W), tuple(U)), cfg)

        d2, scale = _second_difference(f)
        if d2 < -1e3 * EPS * scale:
            return {"joint_rel_d2": d2 / scale, "joint_scale": s, "joint_found": True}
        s *= 2.0
    return {"joint_rel_d2": d2 / scale, "joint_scale": s, "joint_found": False}


def _margin(v: Mapping[str, Any], modulus: float) -> tuple[float, float]:
    """(relative second difference, required) on the segment with the smallest margin."""
    pairs = [(d, modulus * q) for d, q in zip(v["curvature"], v["direction_sq"])]
    return min(pairs, key=lambda x: x[0] - x[1])


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    joint_sense, joint_words = ("lower", "joint second difference >= 0 (convex)") if k["joint_convex"] else \
        ("upper", "an explicit joint segment with second difference < 0 (not convex)")
    series = {"curvature": [d for r in runs for d in r.value["curvature"]], "joint": [r.value["joint_rel_d2"]
                                                                                   for r in runs]}
    return [
        Bound.of(runs, pred=lambda r: _margin(r.value, k["modulus"])[1], obs=lambda r: _margin(r.value, k["modulus"])[0],
                 sense="lower", atol=F_RTOL, reason=F_REASON, label="in-block convexity", evidence={"series": series},
                 predicted="relative second difference >= modulus ||D||^2 / scale along every in-block segment",
                 observed="smallest relative second difference F(-1) - 2F(0) + F(1) over random in-block segments"),
        Bound.of(runs, pred=lambda r: 0.0, obs=lambda r: r.value["joint_rel_d2"] if r.value["joint_found"] else 1.0,
                 sense=joint_sense, atol=0.0, label="joint (non-)convexity", predicted=joint_words,
                 observed="relative second difference on the explicit (U_1, W_2) segment (1 if none was found)",
                 reason="negative beyond 1e3 eps relative when found: far outside float64 round-off"),
    ]


def draw(evidence: Mapping[str, Any], ax: Any) -> None:
    s = evidence["series"]
    ax.hist([max(c, 1e-18) for c in s["curvature"]], bins=np.logspace(-18, 1, 40), label="in-block segments")
    ax.set_xscale("log")
    for j in s["joint"]:
        ax.axvline(abs(j), color="r", ls=":", lw=1)
    ax.set_xlabel("relative second difference (red: |joint segment's|, which is negative)")
    ax.set_ylabel("segments")
    ax.legend(fontsize=7)


CLAIM = Claim(
    id="zhang2017.multiconvexity", paper="zhang2017", level="reconstructed", kind="identity",
    source="Zhang & Brand 2017, abstract ('a smooth multi-convex formulation'); block convexity and the explicit "
           "non-convex joint segment are derived in this claim's docstring",
    title="F is convex along segments within each block and not jointly convex",
    statement_latex=r"t \mapsto F(Z_b + tD_b)\ \text{convex};\ (U, W) \mapsto F\ \text{not convex}",
    grid=GRID, run=run, checks=checks, constants={"modulus": 0.0, "joint_convex": False},
    mutants=(Mutant("jointly_convex", "F jointly convex in (U, W)", {"joint_convex": True}),
             Mutant("modulus_1e3", "every block strongly convex with modulus 1000 (gamma, lambda are <= 2)",
                    {"modulus": 1e3})),
    figures=(Figure("second_differences", "Relative second differences along random in-block segments (all "
                                          ">= 0) and on the explicit joint segment (negative).", draw),),
)
