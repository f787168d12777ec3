r"""Shared helpers of the wu2019 claims: targets, GD from ZAS on the full network, the engine
cross-check against the exact reduction, the diagnostic runs shared by the invariant and PL
claims, and figure helpers."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from lintheory import zas as Z
from lintheory.inits import zas
from lintheory.kernels import gd_float64
from lintheory.nets import Problem
from lintheory.symbolic import wu2019 as S
from lintheory.zas_reduced import reduced_gd, singular_targets
from proofs_check.checks import Identity
from proofs_check.claim import RunFailed

__all__ = ["DIAGNOSTIC_SPACE", "L_NOTE", "STEP_RULE", "agree", "depth_axis", "diagnostic_cells", "diagnostic_engine_rows", "diagnostics", "engine_check",
           "full_zas", "loss0", "pick", "symbolic", "target"]

L_NOTE = ("L = number of residual blocks; the output layer W_out is not counted "
          "(the network has L + 1 trainable layers)")
STEP_RULE = ("eta = min{1/(4 L^3 xi^6), 1/(144 L^2 xi^4)}, xi = max{2 ||Phi||_F, 3 L^(-1/2), 1} and the rate "
             "R(t) <= (1 - eta/2)^t R(0): the GD theorem of Wu, Wang, Ma (NeurIPS 2019) as a later paper restates "
             "it (the paper's body and theorem number were not available; its abstract states the O(L^3 log 1/eps))")


def pick(profile: str, quick: Any, standard: Any, full: Any = None) -> Any:
    return {"quick": quick, "standard": standard, "full": standard if full is None else full}[profile]


def target(d: int, phi_fro: float, target_seed: int, d_out: int | None = None) -> np.ndarray:
    """The ``d_out x d`` target (square by default): i.i.d. N(0,1) entries from ``default_rng(target_seed)``,
    rescaled to ``||Phi||_F``."""
    G = np.random.default_rng(target_seed).standard_normal((d if d_out is None else d_out, d))
    return G * (phi_fro / np.linalg.norm(G))


def loss0(Phi: np.ndarray) -> float:
    """R at ZAS: the network is the zero map, so R(0) = ||Phi||_F^2 / 2."""
    return 0.5 * float(np.sum(Phi * Phi))


def full_zas(Phi: np.ndarray, L: int, eta: float, *, eps: float, max_iter: int, history: int = 2000) -> Any:
    """GD from ZAS on the full residual network (hidden width = columns of Phi), compiled float64."""
    net = zas(Phi.shape[1], L, Phi.shape[0])
    return gd_float64(net.factors, net.trainable, Phi, eta, eps=eps, max_iter=max_iter, history=history)


def agree(a: int, b: int) -> bool:
    """Two computations count the same iteration, up to the round-off-sized shift of the crossing of
    R = eps (one step, plus 1e-7 of the count for 1e8-step runs)."""
    return abs(a - b) <= 1 + 1e-7 * max(a, b)


def engine_check(rows: Sequence[dict[str, Any]], what: str) -> Identity:
    """Full network against the exact reduction: the same GD run computed twice. A disagreement
    refutes the engine (not the paper), so the part is sourced-level: it can only say refuted."""
    return Identity(label="engine: full network = reduction", rows=list(rows), atol=1.0, rtol=1e-7,
                    level="sourced", predicted=f"{what} of the exact per-singular-value reduction",
                    observed=f"{what} of the full network (compiled float64 kernel)",
                    reason="the two runs are the same iterates up to round-off, which shifts the crossing of "
                           "R = eps by at most one step (1e-7 of the count on 1e8-step runs); a larger gap is an "
                           "engine bug")


def symbolic(*names: str) -> Callable[[], dict[str, str]]:
    def build() -> dict[str, str]:
        return {f"{name}: {caption}": sp.latex(expr) for name in names for caption, expr in S.DERIVATIONS[name]()}
    return build


def depth_axis(ax: Any, Ls: Sequence[int]) -> None:
    """Depths on a base-2 log axis, ticked at the depths run, labelled as plain integers."""
    ax.set_xscale("log", base=2)
    ticks = sorted(set(Ls))
    ax.set_xticks(ticks, [str(L) for L in ticks])
    ax.minorticks_off()
    ax.set_xlabel("L (residual blocks; output layer not counted)")


# ----------------------------------------------------------------------------------------------
# diagnostic runs (wu2019.zas_invariants and wu2019.zas_pl_inequality)
# ----------------------------------------------------------------------------------------------
def diagnostic_cells(profile: str, halvings: Sequence[int]) -> list[dict[str, Any]]:
    instances = pick(profile, [(2, 1.0, 2)], [(2, 1.0, 2), (3, 1.0, 4), (5, 0.5, 8), (3, 2.0, 2)])
    return [{"d": d, "phi_fro": phi, "L": L, "halving": j, "eps": 1e-4, "target_seed": 0}
            for d, phi, L in instances for j in halvings]


def _probe(net: Any, problem: Problem) -> dict[str, float]:
    inv, pl = Z.invariants(net), Z.pl_quantities(net, problem)
    return {"output_balance": inv.output_balance, "block_balance": inv.block_balance,
            "sigma_min_P": inv.sigma_min_P, "sigma_min_blocks": inv.sigma_min_blocks,
            "pl_ratio": pl.pl_ratio, "gradient_ratio": pl.gradient_ratio}


def _checkpoints(Phi: np.ndarray, L: int, eta: float, *, eps: float, max_iter: int, every: int
                 ) -> tuple[list[dict[str, Any]], str, int]:
    """GD from ZAS on the full network in compiled chunks of ``every`` steps, probed at t = 0 and
    after each chunk. Returns (probes with their t, status, iterations)."""
    net = zas(Phi.shape[1], L, Phi.shape[0])
    problem = Problem.whitened(Phi)
    out = [{"t": 0, **_probe(net, problem)}]
    t, status = 0, "max_iter"
    while t < max_iter:
        k = gd_float64(net.factors, net.trainable, Phi, eta, eps=eps, max_iter=min(every, max_iter - t), history=2)
        net, t = net.with_factors(k.factors), t + k.iterations
        out.append({"t": t, **_probe(net, problem)})
        if k.status != "max_iter":
            status = k.status
            break
    return out, status, t


def diagnostics(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """GD from ZAS at the theorem's step halved ``halving`` times: every-step diagnostics through the
    reduction, ~100 checkpoints of the full network, the PL ratio at t = 0 in mpmath."""
    d, phi, L, eps = params["d"], params["phi_fro"], params["L"], params["eps"]
    Phi = target(d, phi, params["target_seed"])
    eta = Z.step_size(L, phi) / 2 ** params["halving"]
    red = reduced_gd(singular_targets(Phi), L, eta, eps=eps, max_iter=10**9, history=2)
    if red.status != "converged":
        raise RunFailed(f"the reduction did not converge: {red.status} after {red.iterations} steps")
    probes, status, t = _checkpoints(Phi, L, eta, eps=eps, max_iter=10 * red.iterations,
                                     every=max(1, red.iterations // 100))
    mp0 = Z.pl_quantities(zas(d, L, d, ar="mpmath:dps=50"), Problem.whitened(Phi, "mpmath:dps=50"))
    keys = ("output_balance", "block_balance", "sigma_min_P", "sigma_min_blocks", "pl_ratio", "gradient_ratio")
    return {
        "eta": eta, "L": L, "iterations": red.iterations, "full_status": status, "full_iterations": t,
        "reduced": {"max_output_balance": red.max_output_balance, "min_sigma_min_P": red.min_sigma_min_P,
                    "min_gradient_ratio": red.min_gradient_ratio, "min_pl_ratio": red.min_pl_ratio},
        "full": {**{f"max_{k}": max(q[k] for q in probes) for k in keys[:2]},
                 **{f"min_{k}": min(q[k] for q in probes) for k in keys[2:]}},
        "t0": {k: probes[0][k] for k in keys}, "t0_mpmath_gradient_ratio_minus_1": float(abs(mp0.gradient_ratio - 1)),
        "checkpoints": len(probes),
    }


def diagnostic_engine_rows(runs: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows of :func:`engine_check` for the diagnostic runs: iterations to eps, full network against reduction."""
    return [{"params": {k: r.params[k] for k in ("d", "phi_fro", "L", "halving")},
             "predicted": r.value["iterations"], "observed": r.value["full_iterations"],
             "error": (abs(r.value["full_iterations"] - r.value["iterations"]) if r.value["full_status"] == "converged"
                       else math.inf),
             "status": r.value["full_status"]} for r in runs]


MAX_DIAGNOSTIC_STEPS = 300_000


def _affordable(params: Mapping[str, Any]) -> bool:
    """The diagnostic runs step the full network about T(eps) times: keep T within a few seconds."""
    eta = Z.step_size(params["L"], params["phi_fro"]) / 2 ** params["halving"]
    return Z.predicted_iterations(0.5 * params["phi_fro"] ** 2, params["eps"], eta) <= MAX_DIAGNOSTIC_STEPS


DIAGNOSTIC_SPACE = st.fixed_dictionaries({
    "d": st.integers(1, 5), "phi_fro": st.floats(0.1, 2.5), "target_seed": st.integers(0, 10_000),
    "L": st.integers(1, 8), "halving": st.integers(0, 3), "eps": st.floats(-4.0, -1.0).map(lambda x: 10.0**x),
}).filter(_affordable)
