"""The figure every claim gets when it declares none: predicted against observed.

Drawn from the claim's evidence table (rows with numeric ``predicted`` and
``observed``), on log axes where every value is positive, with the line
observed = predicted; for bounds, points under the line satisfy the bound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from proofs_check.claim import Claim, Figure


def _pairs(evidence: Mapping[str, Any]) -> list[tuple[float, float]]:
    out = []
    for row in evidence.get("table") or []:
        if not isinstance(row, Mapping):
            continue
        p, o = row.get("predicted"), row.get("observed")
        if isinstance(p, (int, float)) and isinstance(o, (int, float)) and math.isfinite(p) and math.isfinite(o):
            out.append((float(p), float(o)))
    return out


def _draw_fit(fit: Mapping[str, Any], ax: Any) -> bool:
    """The fitted points on log-log axes with the fitted power law, when the fit carries them."""
    x, y = fit.get("x"), fit.get("y")
    if not (isinstance(x, list) and isinstance(y, list) and x and len(x) == len(y)):
        return False
    name = next((k for k in ("exponent", "slope", "rate") if isinstance(fit.get(k), (int, float))), None)
    ax.plot(x, y, "o", ms=4, label="observed")
    if name == "exponent" and isinstance(fit.get("log_prefactor"), (int, float)):
        xs = sorted(v for v in x if isinstance(v, (int, float)) and v > 0)
        ax.plot(xs, [math.exp(fit["log_prefactor"]) * v ** fit["exponent"] for v in xs], "k--", lw=1,
                label=f"fit: exponent {fit['exponent']:.3g}")
    if all(isinstance(v, (int, float)) and v > 0 for v in x + y):
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="best", fontsize=8)
    return True


def draw_predicted_observed(evidence: Mapping[str, Any], ax: Any) -> None:
    """Predicted against observed over the first table; else the first fit's points."""
    pairs = _pairs(evidence)
    if not pairs:
        if isinstance(evidence.get("fit"), Mapping) and _draw_fit(evidence["fit"], ax):
            return
        ax.text(0.5, 0.5, "no numeric predicted/observed pairs in the evidence", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return
    xs, ys = zip(*pairs, strict=True)
    if all(v > 0 for v in xs + ys):
        ax.set_xscale("log")
        ax.set_yscale("log")
    lo, hi = min(xs + ys), max(xs + ys)
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="observed = predicted")
    ax.plot(xs, ys, "o", ms=4, alpha=0.8, label=f"instances ({len(xs)})")
    ax.set_xlabel("predicted")
    ax.set_ylabel("observed")
    ax.legend(loc="best", fontsize=8)


PREDICTED_OBSERVED = Figure("predicted_observed", "Observed against predicted on every instance of the claim's "
                            "first table (dashed: observed = predicted), or the points of its first fit.",
                            draw_predicted_observed)


def figures_of(claim: Claim) -> tuple[Figure, ...]:
    """The claim's own figures, or the default predicted-against-observed figure."""
    return claim.figures or (PREDICTED_OBSERVED,)
