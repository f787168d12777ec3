"""Shared helpers of the Zhang & Brand (2017) claims: data and instances, the BCD runs that
several claims judge, and the float64 tolerance of the objective.

Public names only; every claim module imports what it needs from here (one instance
generator per kind of instance).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from lintheory.lifted import (
    BlockEvent, LiftedConfig, LiftedState, NNLSConfig, bcd, forward_state, kkt_residual, layer_input,
)
from lintheory.sgd import init_weights
from proofs_check import data

__all__ = ["COMBOS", "EPS", "F_REASON", "F_RTOL", "INNER", "decimate", "descent_grid", "descent_label", "descent_strategy",
           "draw_allowances", "inputs", "long_grid", "long_label", "norm", "problem", "random_state", "run_descent", "run_long",
           "scaled_row", "start"]

EPS = float(np.finfo(float).eps)
F_RTOL = 1e-12
F_REASON = ("float64 evaluation of F: sums of <= 1e6 products with pairwise summation carry relative error "
            "< 1e-13; 1e-12 leaves a factor 10")
INNER = {"pg1": NNLSConfig("pg", 1), "pg5": NNLSConfig("pg", 5), "pg20": NNLSConfig("pg", 20),
         "apg5": NNLSConfig("apg", 5), "exact": NNLSConfig("active_set")}
# (output treatment, loss, biases): the formulation choices every identity is checked on
COMBOS = (("free", "squared", False), ("free", "squared", True), ("free", "squared_hinge", True),
          ("relu", "squared", True), ("relu", "squared_hinge", False), ("none", "squared", True),
          ("none", "squared", False))

Row = dict[str, Any]


def scaled_row(params: Mapping[str, Any], check: str, observed: Any, error: float, allowed: float,
               **extra: Any) -> Row:
    """An identity row whose ``error`` is the error in units of its own allowance (judged against 1)."""
    ratio = error / allowed if allowed > 0 else (0.0 if error == 0 else float("inf"))
    return {"params": {**params, "check": check}, "predicted": 0.0, "observed": observed,
            "error": float(ratio), **extra}


def norm(a: np.ndarray) -> float:
    return float(np.linalg.norm(a))


def problem(name: str, M: int, hidden: Sequence[int],
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """(X, one-hot Y, widths): a seeded sample of ``M`` images, or synthetic Gaussian data (3 classes)."""
    if name == "synthetic":
        X = rng.standard_normal((8, M))
        return X, data.one_hot(rng.integers(0, 3, M), 3), [8, *hidden, 3]
    ds = data.load(name)
    idx = rng.choice(ds.y.size, size=M, replace=False)
    return np.ascontiguousarray(ds.X[idx].T), data.one_hot(ds.y[idx]), [ds.X.shape[1], *hidden, 10]


def start(params: Mapping[str, Any], seed: int) -> tuple[np.ndarray, np.ndarray, LiftedState, LiftedConfig]:
    """Data, He-initialised weights with the forward-pass lifted state, and the config of a BCD run."""
    rng = np.random.default_rng(seed)
    X, Y, widths = problem(params["data"], params["M"], params["hidden"], rng)
    N = len(widths) - 1
    cfg = LiftedConfig.uniform(N, params.get("gamma", 1.0), params["lam"], eta=params["eta"],
                               loss=params.get("loss", "squared"), output=params.get("output", "free"),
                               bias=params.get("bias", True))
    W0 = init_weights(widths, rng, "he", bias=cfg.bias)
    return X, Y, forward_state(W0, X, cfg), cfg


def random_state(params: Mapping[str, Any], rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, LiftedState, LiftedConfig]:
    """A random small instance (widths 6-5-4-3, random gamma and lambda, eta 0.2) with lifted
    variables off the forward pass: every block has a non-trivial update."""
    dims, M = [6, 5, 4, 3], params["M"]
    N = len(dims) - 1
    output, bias = params["output"], params["bias"]
    K = N - 1 if output == "none" else N
    cfg = LiftedConfig(tuple(rng.uniform(0.5, 2.0, K)), tuple(rng.uniform(0.1, 1.0, N)), eta=0.2,
                       loss=params["loss"], output=output, bias=bias)
    X = rng.standard_normal((dims[0], M))
    Y = data.one_hot(rng.integers(0, dims[-1], M), dims[-1])
    W = [rng.standard_normal((dims[n + 1], dims[n] + int(bias))) for n in range(N)]
    state = forward_state(W, X, cfg)
    U = [u + 0.5 * np.abs(rng.standard_normal(u.shape)) for u in state.U]
    if output == "free":
        U[-1] = state.U[-1] + rng.standard_normal(state.U[-1].shape)
    return X, Y, state.replace(U=U), cfg


def inputs(X: np.ndarray, state: LiftedState, cfg: LiftedConfig) -> list[np.ndarray]:
    """Every layer's input :math:`H_n`."""
    acts = (X,) + state.U
    return [layer_input(acts[n], cfg.bias) for n in range(cfg.layers)]


# ----------------------------------------------------------------------------- descent runs (L1, L2)

def run_descent(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """A short BCD run that records F before and after every block update, the smallest hidden
    entry after every sweep, and F and the step norm per sweep."""
    X, Y, state, cfg = start(params, seed)
    events: list[BlockEvent] = []
    hidden_min = []

    def watch(t: int, s: LiftedState) -> float:
        m = min(float(np.min(u)) for u in s.U[:cfg.layers - 1]) if cfg.layers > 1 else 0.0
        hidden_min.append(m)
        return m

    trace, _ = bcd(X, Y, state, cfg, params["sweeps"], INNER[params["inner"]], on_block=events.append,
                   observers={"min_hidden": watch})
    rel_inc = [(e.F_after - e.F_before) / abs(e.F_before) for e in events]
    worst = int(np.argmax(rel_inc))
    return {"blocks": len(events), "eta": cfg.eta, "max_rel_increase": float(rel_inc[worst]),
            "worst_block": events[worst].block, "worst_sweep": events[worst].sweep,
            "min_hidden": float(min(hidden_min)), "F": [trace.F0] + trace.column("F"), "step": trace.column("step")}


def descent_grid(profile: str, etas: Sequence[float]) -> list[dict]:
    """Synthetic and digits runs over output treatments, losses and inner solvers (mnist5k beyond quick)."""
    sweeps = {"quick": 12, "standard": 40, "full": 100}[profile]
    grid = []
    combos = (("free", "squared", "pg1"), ("relu", "squared_hinge", "apg5"), ("none", "squared", "exact"),
              ("free", "squared_hinge", "pg5"))
    for i, (output, loss, inner) in enumerate(combos):
        for eta in etas:
            grid.append({"data": "synthetic", "M": 40, "hidden": [6, 5], "output": output, "loss": loss,
                         "inner": inner, "eta": eta, "lam": 0.05, "sweeps": sweeps})
        grid.append({"data": "digits", "M": 300, "hidden": [16, 16], "output": output, "loss": loss,
                     "inner": inner, "eta": etas[i % len(etas)], "lam": 0.05, "sweeps": sweeps})
    if profile != "quick":
        grid.append({"data": "mnist5k", "M": 400, "hidden": [32, 32], "output": "free", "loss": "squared",
                     "inner": "pg5", "eta": etas[-1], "lam": 0.05, "sweeps": 8})
    return grid


def descent_label(p: Mapping[str, Any]) -> str:
    return f"{p['data']} {p.get('output', '')} {p.get('loss', '')} {p.get('inner', '')} eta={p.get('eta')}"


def _consistent(params: Mapping[str, Any]) -> bool:
    """output='none' (a linear last layer fitted in closed form) needs the squared loss."""
    return params["output"] != "none" or params["loss"] == "squared"


def descent_strategy(etas: Any) -> Any:
    """Hypothesis strategy of descent runs on synthetic data: every size, depth, loss, output rule,
    inner solver and regulariser the descent lemmas allow."""
    return st.fixed_dictionaries({
        "data": st.just("synthetic"), "M": st.integers(5, 60),
        "hidden": st.lists(st.integers(1, 8), min_size=1, max_size=3),
        "output": st.sampled_from(["free", "relu", "none"]), "loss": st.sampled_from(["squared", "squared_hinge"]),
        "inner": st.sampled_from(sorted(INNER)), "eta": etas,
        "lam": st.floats(-3.0, 0.0).map(lambda x: 10.0**x), "gamma": st.floats(-1.0, 1.0).map(lambda x: 10.0**x),
        "sweeps": st.integers(2, 10)}).filter(_consistent)


# ----------------------------------------------------------------------------- long runs (L3, L4, T1, T2)

def long_grid(profile: str, inner: str, sweeps: Mapping[str, int] | None = None) -> list[dict]:
    """Digits runs (M = 300) for the convergence claims; ``sweeps`` per profile overrides 500/3000/10000."""
    base = {"data": "digits", "M": 300, "lam": 0.1, "eta": 0.1, "inner": inner}
    budget = {"quick": 500, "standard": 3000, "full": 10_000, **(sweeps or {})}
    if profile == "quick":
        return [{**base, "hidden": [16, 16], "output": "free", "sweeps": budget["quick"]}]
    n = budget[profile]
    return [{**base, "hidden": [16, 16], "output": "free", "sweeps": n},
            {**base, "hidden": [16, 16], "output": "none", "sweeps": n},
            {**base, "hidden": [16], "output": "free", "sweeps": n}]


def run_long(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """A long BCD run: F, step norm and KKT residual after every sweep."""
    X, Y, state, cfg = start(params, seed)
    trace, _ = bcd(X, Y, state, cfg, params["sweeps"], INNER[params["inner"]],
                   kkt=lambda s, c: kkt_residual(X, Y, s, c))
    return {"F": [trace.F0] + trace.column("F"), "step": trace.column("step"), "kkt": trace.column("kkt")}


def long_label(p: Mapping[str, Any]) -> str:
    return f"{p['data']} M={p['M']} hidden={p['hidden']} output={p['output']} inner={p['inner']}"


def decimate(xs: Sequence[float], points: int = 300) -> tuple[list[int], list[float]]:
    """About ``points`` log-spaced samples (1-based sweep, value) of a long series, for figures."""
    idx = sorted(set(np.unique(np.geomspace(1, len(xs), points).astype(int) - 1).tolist()))
    return [i + 1 for i in idx], [float(xs[i]) for i in idx]


def draw_allowances(evidence: Mapping[str, Any], ax: Any) -> None:
    """Every identity row's error in units of its allowance, one column of points per check."""
    labels = []
    for i, (label, ev) in enumerate((evidence.get("checks") or {}).items()):
        errs = [r["error"] for r in ev.get("table") or [] if isinstance(r.get("error"), (int, float))]
        shown = [max(e, 1e-18) for e in errs]
        ax.semilogy([i] * len(shown), shown, "o", ms=3, alpha=0.6)
        labels.append(label)
    ax.axhline(1.0, color="k", ls="--", lw=1, label="allowance")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=6)
    ax.set_ylabel("error / allowance (zeros shown at 1e-18)")
    ax.legend(fontsize=7)
