r"""Shared pieces of the Shin (2019) claims: step rules, random BCGD instances inside the
hypotheses of the per-block theory, the round-off allowances, and the per-block / per-sweep
contraction rows every bound claim of the paper judges.

Tolerances are first-order round-off estimates times a safety factor :data:`SAFETY` (it
covers the dimension-dependent constants of sums of at most a few hundred terms): a
quantity formed from residuals of a depth-:math:`K` product carries relative error about
:math:`Ku` (:math:`u` the unit round-off of the run's arithmetic), and a gap
:math:`\frac1{2m}\|RP_X\|_F^2` carries :math:`u\sqrt{\ell/(\ell-\ell^*)}` relative error,
because :math:`R` is accurate relative to :math:`\|R\|` and not to :math:`\|RP_X\|`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from lintheory.arith import Arithmetic
from lintheory.bcgd_analysis import BlockRecord, BlockRecorder
from lintheory.inits import gaussian, orthogonal_like
from lintheory.lifting import lifted_orthogonal_like, orthogonal_core
from lintheory.lsq import LsqData, conditioned_data
from lintheory.nets import Network
from lintheory.symbolic import shin2019 as sym
from lintheory.train import Exact, Normalised, Order, Stop, bcgd
from proofs_check.claim import Figure

__all__ = ["ORDERS", "SAFETY", "U64", "Instance", "contraction_rows", "envelope_curve", "error_figure", "gap_allowed", "latex_steps", "lifted_runs",
           "param", "random_instance", "record", "slack_figure", "step_name", "step_rule", "symbolic_row", "u"]

SAFETY = 1e3
U64 = 2.0**-53
ORDERS: tuple[Order, ...] = ("ascending", "descending")
NORMALISED = ("normalised step eta*m/(||A||_2^2 ||B||_2^2) on the loss (1/2m)||W_{L:1}X - Y||_F^2")
CONTRACTION_REASON = (f"round-off of a gap formed from residuals of a depth-K product: {SAFETY:g}*K*u*sqrt(loss/gap) "
                      "per block, the sum of the blocks' allowances per sweep")

Row = dict[str, Any]


def u(ar: Arithmetic) -> float:
    return float(ar.unit_roundoff)


def step_rule(name: str, eta: float | None = None) -> Exact | Normalised:
    if name == "exact":
        return Exact()
    if name == "normalised":
        return Normalised(1.0 if eta is None else float(eta))
    raise ValueError(f"step must be 'exact' or 'normalised', got {name!r}")


def step_name(step: Exact | Normalised) -> str:
    return "exact" if isinstance(step, Exact) else f"normalised(eta={step.eta:.3g})"


def param(params: Mapping[str, Any], key: str, allowed: Sequence[Any] | None = None) -> Any:
    if key not in params:
        raise ValueError(f"params must contain {key!r}, got keys {sorted(params)}")
    value = params[key]
    if allowed is not None and value not in allowed:
        raise ValueError(f"params[{key!r}] must be one of {list(allowed)}, got {value!r}")
    return value


@dataclass(frozen=True)
class Instance:
    """A random BCGD problem inside the hypotheses of the per-block theory (widths >= max(d_x, d_y))."""

    data: LsqData
    net: Network
    step: Exact | Normalised
    order: Order
    description: dict[str, Any]


def random_instance(rng: np.random.Generator, ar: Arithmetic, step: str | None = None) -> Instance:
    """Random d_x in [2,5], d_y in [1,4], depth in [1,5], hidden widths in [k, k+3] (k = max(d_x, d_y)),
    m in [d_x+1, 30], kappa(XX^T) log-uniform in [1, 50], Gaussian or orthogonal-like init, and a step
    rule (``step`` forces "exact" or "normalised"; the normalised eta is uniform in [0.1, 1.9])."""
    d_x, d_y, L = int(rng.integers(2, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 6))
    k = max(d_x, d_y)
    widths = (d_x, *(int(rng.integers(k, k + 4)) for _ in range(L - 1)), d_y)
    m = int(rng.integers(d_x + 1, 31))
    kappa = float(math.exp(rng.uniform(0.0, math.log(50.0))))
    data = conditioned_data(d_x, d_y, m, kappa, rng, ar)
    if rng.random() < 0.5:
        std = float(rng.uniform(0.3, 1.2))
        net, init = gaussian(widths, std, rng, ar), f"gaussian(std={std:.3g})"
    else:
        net, init = orthogonal_like(widths, rng, ar=ar), "orthogonal_like"
    kind = step if step is not None else ("exact" if rng.random() < 0.3 else "normalised")
    rule = step_rule(kind, float(rng.uniform(0.1, 1.9)) if kind == "normalised" else None)
    order = ORDERS[int(rng.integers(0, 2))]
    description = {"widths": list(widths), "m": m, "kappa_X": kappa, "init": init,
                   "step": step_name(rule), "order": order}
    return Instance(data, net, rule, order, description)


def gap_allowed(r: BlockRecord, depth: int, unit: float) -> float:
    """Round-off allowance on a decrease fraction (g - g+)/g: SAFETY * K * u * sqrt(loss / gap)."""
    if r.gap_before <= 0:
        return 0.0
    return SAFETY * depth * unit * math.sqrt(max(r.loss_before, 0.0) / r.gap_before)


def record(r: BlockRecord, step: Exact | Normalised, depth: int, unit: float) -> Row:
    """A block update as JSON, with what the checks need to recompute the guarantee under any constants."""
    return {"sweep": r.sweep, "block": r.block, "kappa": r.kappa, "eta": 1.0 if isinstance(step, Exact) else step.eta,
            "decrease": r.decrease, "guaranteed": r.guaranteed, "gap": r.gap_before, "gap_after": r.gap_after,
            "allowed": gap_allowed(r, depth, unit)}


def guaranteed(rec: Mapping[str, Any], k: Mapping[str, Any]) -> float:
    r"""The guaranteed decrease fraction :math:`c\,\eta(2-\eta)/\kappa_j^{p}` under the statement constants
    ``guarantee_factor`` (:math:`c`, stated 1) and ``kappa_power`` (:math:`p`, stated 1); at the stated
    constants this is the run's own value, formed in its arithmetic without cancellation."""
    c, p = float(k.get("guarantee_factor", 1.0)), float(k.get("kappa_power", 1.0))
    if not math.isfinite(rec["kappa"]):
        return 0.0
    return c * rec["guaranteed"] * (rec["kappa"] ** (1.0 - p) if p != 1.0 else 1.0)


def contraction_rows(records: Sequence[Mapping[str, Any]], k: Mapping[str, Any], params: Mapping[str, Any]
                     ) -> tuple[Row, Row]:
    """The worst block (decrease fraction >= guaranteed, a lower bound) and the worst sweep (observed gap
    ratio <= product of the blocks' factors, an upper bound) of one run, as rows of typed bounds."""
    blocks = []
    for r in records:
        g = guaranteed(r, k)
        blocks.append({"params": {**params, "sweep": r["sweep"], "block": r["block"]}, "kappa_j": r["kappa"],
                       "predicted": g, "observed": r["decrease"], "allowed": r["allowed"],
                       "slack": r["decrease"] / g if g > 0 else None, "excess": g - r["decrease"] - r["allowed"]})
    sweeps: dict[int, list[tuple[Mapping[str, Any], float]]] = {}
    for r, b in zip(records, blocks, strict=True):
        sweeps.setdefault(r["sweep"], []).append((r, b["predicted"]))
    rows = []
    for s, items in sweeps.items():
        # ratios of consecutive gaps telescope, so the sweep ratio is the product of block ratios
        # (a block that reaches the optimum exactly contributes a factor 0)
        observed = math.prod(1 - r["decrease"] for r, _ in items)
        predicted = math.prod(1 - g for _, g in items)
        allowed = sum(r["allowed"] for r, _ in items)
        rows.append({"params": {**params, "sweep": s}, "predicted": predicted, "observed": observed,
                     "allowed": allowed, "slack": observed / predicted if predicted > 0 else None,
                     "excess": observed - predicted - allowed})
    return max(blocks, key=lambda b: b["excess"]), max(rows, key=lambda b: b["excess"])


def envelope_curve(records: Sequence[Mapping[str, Any]], k: Mapping[str, Any]) -> dict[str, list[float]]:
    """Observed gap / initial gap after each block update, and the theorem's envelope: the running
    product of the blocks' contraction factors (1 - guaranteed)."""
    observed, envelope = [1.0], [1.0]
    for r in records:
        observed.append(observed[-1] * (1 - r["decrease"]))
        envelope.append(envelope[-1] * max(1 - guaranteed(r, k), 0.0))
    return {"observed": observed, "envelope": envelope}


def lifted_runs(shape: tuple[int, int, int], kappa: float, depths: Iterable[int], seed: int,
                budget: Mapping[int, int], step: Exact | Normalised, kappa_j: bool
                ) -> dict[int, list[BlockRecord]]:
    """Same data and same initial end-to-end map (one orthogonal core) for every depth, hidden width
    max(d_x, d_y): the block records of ``budget[L]`` sweeps at each depth ``L``."""
    d_x, d_y, m = shape
    rng = np.random.default_rng(seed)
    data = conditioned_data(d_x, d_y, m, kappa, rng)
    core = orthogonal_core(d_x, d_y, rng)
    out = {}
    for L in depths:
        net = lifted_orthogonal_like(core, d_x, L, max(d_x, d_y), rng)
        rec = BlockRecorder(data, step, kappa=kappa_j)
        bcgd(net, data.problem(), step, stop=Stop(max_iter=budget[L]), on_block=rec)
        out[L] = rec.records
    return out


def latex_steps(name: str) -> dict[str, str]:
    """The SymPy derivation ``name`` of :mod:`lintheory.symbolic.shin2019` as numbered LaTeX steps."""
    return {f"{i + 1}. {caption}": sp.latex(expr) for i, (caption, expr) in enumerate(sym.DERIVATIONS[name]())}


def symbolic_row(check: str, residual: sp.Basic | bool) -> Row:
    """An identity row for an exact symbolic fact: ``residual`` must simplify to 0 (or be ``True``)."""
    holds = residual is True or (not isinstance(residual, bool) and sp.simplify(residual) == 0)
    shown = str(residual) if isinstance(residual, bool) else str(sp.simplify(residual))
    return {"params": {"part": "symbolic", "check": check}, "predicted": 0.0, "observed": shown,
            "error": 0.0 if holds else 1.0, "status": "exact" if holds else "differs"}


def error_figure(label: str, caption: str) -> Figure:
    """Each instance of the identity check ``label``: its error against its own allowance (log-log)."""

    def draw(evidence: Mapping[str, Any], ax: Any) -> None:
        rows = [r for r in evidence["checks"][label]["table"] if isinstance(r.get("error"), (int, float))]
        tiny = 1e-300
        ax.loglog([max(r["allowed"], tiny) for r in rows], [max(r["error"], tiny) for r in rows], "o", ms=4,
                  label="instances")
        lo = min(max(r["allowed"], tiny) for r in rows)
        hi = max(max(r["allowed"], tiny) for r in rows)
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label="error = allowance")
        ax.set_xlabel("allowance (round-off)")
        ax.set_ylabel("error")
        ax.legend(fontsize=8)

    return Figure(f"{label.replace(' ', '_')}_errors", caption, draw)


def slack_figure(label: str, caption: str) -> Figure:
    """Each instance of the bound check ``label``: observed / predicted, sorted, against the bound's 1."""

    def draw(evidence: Mapping[str, Any], ax: Any) -> None:
        slacks = sorted(r["slack"] for r in evidence["checks"][label]["table"] if isinstance(r.get("slack"), float))
        ax.semilogy(range(len(slacks)), slacks, "o", ms=3)
        ax.axhline(1.0, color="k", ls="--", lw=0.8, label="the bound")
        ax.set_xlabel("instance (sorted)")
        ax.set_ylabel("observed / predicted")
        ax.legend(fontsize=8)

    return Figure(f"{label.replace(' ', '_')}_slack", caption, draw)
