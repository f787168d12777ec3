"""One run of a TOML claim (in a worker process), and its violation score for the search.

:func:`run` is module-level so that worker processes import it by name; its parameters carry
the claim file's absolute path and hash (``claim_file``, ``claim_hash``), so a worker reads the
same file and a run cached for an older version of the file (or of this package) is never served.

The run trains once (:mod:`lintheory.train`) and evaluates every statement on it in float64,
for the factor 1 and every mutant's factor, keeping only the worst step of each (the cache
stores summaries, not trajectories). Round-off allowances come from the arithmetic:

* evaluating an expression in float64: ``16 u (k + 1)`` relative, ``k`` its operations,
  ``u = 2^-53``;
* a measured quantity (loss, imbalance, margin, gradient norm) computed in the run's arithmetic
  with unit round-off ``u_a``: ``8 (K + n) u_a`` relative to ``|lhs| + |rhs| + l0``, ``K`` the
  factors of the network and ``n`` its widest layer (one product chain of the loss).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp

from lintheory.arith import arithmetic
from lintheory.inits import deficiency_margin, imbalance
from lintheory.train import Exact, Normalised, Stop, bcgd, gd
from proofs_check.claim import RunFailed
from proofs_check.userclaims import expr as E
from proofs_check.userclaims.instance import FieldError, build, resolve, value_of
from proofs_check.userclaims.spec import Spec, Statement, load
from proofs_check.userclaims.symbols import symbol

__all__ = ["CURVE_POINTS", "HISTORY_CAP", "run", "score"]

HISTORY_CAP = 2_000_000  # steps recorded one by one; above, envelopes are checked at the recorded steps
CURVE_POINTS = 200
U64 = 2.0**-53
_ALONG = ("delta_t", "margin_t", "grad_norm")


@lru_cache(maxsize=16)
def spec_at(path: str, sha: str) -> Spec:
    """The spec of ``path``, which must still be the file of hash ``sha``."""
    spec = load(path)
    if spec.sha != sha:
        raise RunFailed(f"{path} (or the userclaims package) changed since the claim was loaded: run it again")
    return spec


def eval_tol(e: sp.Expr) -> float:
    return 16 * (E.operations(e) + 1) * U64


def _needed(spec: Spec) -> set[str]:
    exprs = [s for st in spec.statements for s in (st.lhs, st.rhs, st.quantity) if s is not None]
    if spec.step is not None and isinstance(spec.step.value, sp.Expr):
        exprs.append(spec.step.value)
    return {s.name for e in exprs for s in e.free_symbols}


def _initial(net: Any, problem: Any, ar: Any, needed: set[str]) -> dict[str, float]:
    E0, Y = net.end_to_end(), problem.Y
    with ar.context():
        out = {"l0": ar.to_float(problem.loss_of(E0))}
        compute = {"c": lambda: deficiency_margin(E0, Y, ar), "delta": lambda: imbalance(net),
                   "phi_fro": lambda: ar.frob(Y), "phi_op": lambda: ar.spectral_norm(Y),
                   "sigma_min": lambda: ar.sigma_min(Y)}
        out.update({k: ar.to_float(fn()) for k, fn in compute.items() if k in needed})
    return out


def _observers(needed: set[str], problem: Any, ar: Any) -> dict[str, Any]:
    def grad_norm(t: int, net: Any, loss: Any, grads: Any) -> Any:
        return ar.sqrt(sum((ar.frob_sq(G) for G in grads if G is not None), ar.number(0)))

    chosen = {"delta_t": lambda t, net, loss, grads: imbalance(net),
              "margin_t": lambda t, net, loss, grads: deficiency_margin(net.end_to_end(), problem.Y, ar),
              "grad_norm": grad_norm}
    return {k: fn for k, fn in chosen.items() if k in needed}


def _excess(lhs: np.ndarray, rhs: np.ndarray, allow: np.ndarray) -> np.ndarray:
    """Excess of ``lhs`` over ``rhs + allow``, relative to ``|rhs|`` (> 0: violated; NaN: undecided)."""
    with np.errstate(all="ignore"):
        excess = lhs - rhs - allow
        out = np.where(rhs != 0, excess / np.abs(rhs), np.sign(excess) * np.inf)
    return np.where(np.isposinf(lhs) & np.isfinite(rhs), np.inf, out)


def _along(st: Statement, values: Mapping[str, Any], n: int, factors: tuple[float, ...],
           c_run: float, l0: float, ts: np.ndarray) -> dict[str, Any]:
    symbols = {symbol(k): v for k, v in values.items()}
    lhs = np.broadcast_to(E.evaluate(st.lhs if st.lhs is not None else symbol("loss"), symbols), (n,))
    rhs = np.broadcast_to(E.evaluate(st.rhs, symbols), (n,))
    bad = ~np.isfinite(rhs)
    if bad.any():
        raise RunFailed(f"{st.label}: the bound is NaN, infinite or complex at t = {int(ts[np.argmax(bad)])}")
    r_lhs = 0.0 if st.lhs is None else eval_tol(st.lhs)
    out: dict[str, Any] = {"kind": st.kind, "by_factor": {}, "checked_steps": int(n)}
    for f in factors:
        bound = f * rhs
        allow = r_lhs * np.abs(lhs) + eval_tol(st.rhs) * np.abs(bound) + c_run * (np.abs(lhs) + np.abs(bound) + l0)
        rel = _excess(lhs, bound, allow)
        undecided = np.isnan(rel)
        if undecided.any() and not np.nanmax(rel, initial=-np.inf) > 0:  # no violation, some steps unknown
            i, worst = int(np.argmax(undecided)), None
        else:
            i = int(np.nanargmax(rel))
            worst = float(rel[i])
        out["by_factor"][repr(f)] = {"observed": float(lhs[i]) if worst is not None else math.nan, "predicted": float(bound[i]),
                                     "allowed": float(allow[i]), "t": int(ts[i]), "excess": worst}
    return out


def _iterations(st: Statement, values: Mapping[str, Any], traj: Any, factors: tuple[float, ...],
                c_run: float) -> dict[str, Any]:
    p = value_of_expr(st, values)
    out: dict[str, Any] = {"kind": st.kind, "by_factor": {}}
    for f in factors:
        bound = f * p
        allow = (eval_tol(st.rhs) + c_run) * abs(bound)
        if traj.status == "converged":
            observed, status = float(traj.iterations), "converged"
        elif traj.status == "diverged":
            observed, status = math.inf, "diverged"
        elif traj.iterations > bound + allow:  # not converged yet, already past the bound
            observed, status = float(traj.iterations), f"{traj.status}: T > {traj.iterations}"
        else:
            observed, status = math.nan, f"{traj.status} at {traj.iterations} <= bound: undecided"
        rel = _excess(np.array([observed]), np.array([bound]), np.array([allow]))[0]
        out["by_factor"][repr(f)] = {"observed": observed, "predicted": bound, "allowed": allow, "status": status,
                                     "excess": None if math.isnan(rel) else float(rel)}
    return out


def value_of_expr(st: Statement, values: Mapping[str, Any]) -> float:
    assert st.rhs is not None
    p = E.scalar(st.rhs, {symbol(k): v for k, v in values.items()})
    if math.isnan(p):
        raise RunFailed(f"{st.label}: the bound is NaN, infinite or complex on this instance")
    return p


def _train(spec: Spec, net: Any, problem: Any, eta: float | None, stop: Stop, observers: dict[str, Any],
           history: int) -> Any:
    if spec.method == "gd":
        return gd(net, problem, eta, stop, observers=observers, history=history)[0]
    step: Exact | Normalised
    if spec.bcgd_step == "exact":
        step = Exact()
    elif eta is not None:
        step = Normalised(eta)
    else:  # spec.load refuses a normalised step without trainer.step
        raise ValueError("bcgd_step = 'normalised' needs trainer.step")
    return bcgd(net, problem, step, spec.order, stop, observers=observers, history=history)[0]


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Train the claim's system at ``params`` and evaluate its statements on the run."""
    spec = spec_at(params["claim_file"], params["claim_hash"])
    try:
        point = resolve(spec, params)
    except FieldError as exc:
        raise RunFailed(str(exc)) from None
    ar = arithmetic(spec.arithmetic)
    net, problem, _ = build(spec, point, seed, ar)
    needed = _needed(spec)
    initial = _initial(net, problem, ar, needed)
    values: dict[str, Any] = {**point.values, **initial}
    eta = None
    if spec.step is not None:
        eta = value_of(spec.step, values)
        if not eta > 0:
            raise RunFailed(f"trainer.step = {eta:g} on this instance; a step must be > 0")
        values["eta"] = eta
    every_step = point.max_iter + 2 <= HISTORY_CAP
    if not every_step and needed & {"loss_next", *_ALONG}:
        raise RunFailed(f"trainer.stop.max_iter = {point.max_iter} is above {HISTORY_CAP - 2}: per-step "
                        "quantities cannot be recorded")
    stop = Stop(eps=point.eps, max_iter=point.max_iter, diverge_factor=spec.diverge_factor)
    traj = _train(spec, net, problem, eta, stop, _observers(needed, problem, ar),
                  point.max_iter + 2 if every_step else 1000)
    ts, losses = traj.losses()
    n = len(ts)
    along: dict[str, Any] = {"t": ts.astype(np.float64), "loss": losses}
    for name, pairs in traj.observations.items():
        along[name] = np.array([ar.to_float(v) for _, v in pairs])
    if "loss_next" in needed:  # pairs (t, t+1): the last recorded step has no successor
        along = {k: v[:-1] for k, v in along.items()} | {"loss_next": losses[1:]}
        n -= 1
    c_run = 8 * (net.depth + max(net.widths)) * ar.unit_roundoff
    l0 = initial["l0"]
    statements = []
    for st in spec.statements:
        if st.kind == "iterations":
            statements.append(_iterations(st, values, traj, spec.factors, c_run))
        elif st.kind in ("envelope", "inequality"):
            statements.append(_along(st, {**values, **along}, n, spec.factors, c_run, l0, along["t"]))
        else:
            final = {**values, "T": float(traj.iterations) if traj.status == "converged" else math.nan}
            statements.append({"kind": "scaling", "x": float(values[st.against]),
                               "y": E.scalar(st.quantity, {symbol(k): v for k, v in final.items()})})
    idx = np.unique(np.linspace(0, len(ts) - 1, min(CURVE_POINTS, len(ts))).astype(int))
    curve: dict[str, Any] = {"t": ts[idx].tolist(), "loss": losses[idx].tolist()}
    envelope = next((st for st in spec.statements if st.kind == "envelope"), None)
    if envelope is not None:
        at = {symbol(k): v for k, v in {**values, "t": ts[idx].astype(np.float64)}.items()}
        curve["bound"] = np.broadcast_to(E.evaluate(envelope.rhs, at), idx.shape).tolist()
    return {"params": {p: params[p] for p in spec.params}, "eta": eta, "initial": initial,
            "derived": {name: values[name] for name, _ in spec.derived}, "status": traj.status,
            "iterations": traj.iterations, "final_loss": float(losses[-1]), "every_step": every_step,
            "recorded_steps": len(ts), "allowance": {"measured_rel": c_run, "unit_roundoff": ar.unit_roundoff},
            "statements": statements, "curve": curve}


def score(value: Mapping[str, Any]) -> float | None:
    """1 + the worst relative excess of a statement over its bound and allowance (> 1: violated);
    ``None`` when no statement of the run is decided (the instance is rejected)."""
    excesses = [s["by_factor"][repr(1.0)]["excess"] for s in value["statements"] if "by_factor" in s]
    decided = [e for e in excesses if e is not None]
    return 1.0 + max(decided) if decided else None

