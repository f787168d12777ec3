"""The verdict rules behind :mod:`proofs_check.checks` (claims use the typed checks, not these).

:class:`~proofs_check.checks.Bound` judges through :func:`bound_verdict`,
:class:`~proofs_check.checks.Identity` through :func:`identity_verdict`,
:class:`~proofs_check.checks.Scaling` through :func:`scaling_verdict`; the
framework makes a claim with failed runs inconclusive through
:func:`missing_runs_inconclusive`.

Conventions (the report relies on them):

* a *row* is ``{"params": {...}, "predicted": x, "observed": y, "status": s, ...}``;
  bound rows add ``"slack"`` (observed / predicted), identity rows ``"error"``;
* every rule takes an explicit tolerance and writes it, with its ``reason`` (why
  that size: float64 round-off, mpmath precision, Arb radius), into
  ``Verdict.tolerance``;
* a refutation names the instance (its ``params``) so anyone can rerun it, in
  the summary and in ``evidence["violations"]``;
* ``evidence`` passed in by the caller (``series`` for figures, extra tables) is
  merged into the evidence the rule builds.

Values are converted to plain JSON with :func:`jsonable`. Non-finite floats are
allowed in evidence; ``results.json`` stores them as ``null``, so put a status
string next to a value that can blow up.

``raise RunFailed`` in ``run`` only when the run could not produce the
observation the claim needs. A divergence that *is* the observation (a
necessity claim: "with a larger step GD diverges") is a value, e.g.
``{"status": "diverged"}``, so that :func:`missing_runs_inconclusive` does not
swallow it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

from proofs_check.claim import RunRecord, Verdict, VerdictName

__all__ = [
    "bound_verdict",
    "failures",
    "identity_verdict",
    "jsonable",
    "missing_runs_inconclusive",
    "scaling_verdict",
    "slack_table_rows",
    "table_rows",
]

Row = dict[str, Any]
Getter = str | Callable[[RunRecord], Any]


def jsonable(x: Any) -> Any:
    """``x`` as plain JSON: dicts with str keys, lists, str, bool, int, float, None.

    NumPy scalars and arrays, mpmath ``mpf``, flint ``arb`` (its midpoint),
    fractions and SymPy numbers become ``float``/``int``; tuples become lists.
    """
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, int):
        return int(x)
    if isinstance(x, float):
        return float(x)
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if hasattr(x, "tolist"):  # numpy arrays and numpy scalars
        return jsonable(x.tolist())
    if hasattr(x, "mid") and callable(x.mid):  # flint.arb: its midpoint
        return float(x.mid())
    if hasattr(x, "__index__"):
        return int(x)
    if hasattr(x, "__float__"):
        return float(x)
    raise TypeError(f"cannot convert {type(x).__name__} to JSON: {x!r}")


def _number(x: Any) -> float:
    try:
        return float(jsonable(x))
    except (TypeError, ValueError):
        return math.nan


def _fmt(x: Any) -> str:
    return f"{x:.6g}" if isinstance(x, float) else str(x)


def params_text(params: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{k}={_fmt(v)}" for k, v in params.items()) + "}"


def failures(runs: Sequence[RunRecord]) -> list[Row]:
    """Rows ``{"params", "status", "error"}`` of the runs that raised or diverged."""
    return [{"params": dict(r.params), "status": r.status, "error": r.error} for r in runs if not r.ok]


def missing_runs_inconclusive(
    runs: Sequence[RunRecord], *, predicted: str, observed: str, tolerance: str, arithmetic: str,
    evidence: Mapping[str, Any] | None = None,
) -> Verdict | None:
    """``None`` when there are runs and all finished; otherwise an inconclusive verdict.

    The verdict lists the failed runs (``evidence["failed"]``) and says that
    rerunning them (or fixing what made them fail) would decide the claim.
    """
    failed = failures(runs)
    if runs and not failed:
        return None
    if not runs:
        summary = "no runs to judge: the profile's grid is empty"
    else:
        first = failed[0]
        summary = (f"{len(failed)} of {len(runs)} runs did not finish (first: {params_text(first['params'])}: "
                   f"{first['status']}: {first['error']}); the claim is decided once they do")
    return Verdict("inconclusive", summary, predicted, observed, tolerance, arithmetic,
                   jsonable({**(evidence or {}), "failed": failed}))


def _get(run: RunRecord, key: Getter) -> Any:
    return key(run) if callable(key) else run.value[key]


def table_rows(
    runs: Sequence[RunRecord], *, predicted: Getter, observed: Getter, extra: Sequence[str] = (),
) -> list[Row]:
    """Rows of the finished runs: params, predicted, observed, status, extras (for identities).

    ``predicted``/``observed`` are keys of ``RunRecord.value`` or functions of the
    record. ``status`` is ``value["status"]`` when the run reports one (e.g. the
    trajectory's ``converged``), else ``"ok"``. ``extra`` copies more keys of
    ``value`` into the row. Failed runs are left out (see :func:`failures`).
    """
    rows = []
    for run in runs:
        if not run.ok:
            continue
        row: Row = {"params": dict(run.params), "predicted": _number(_get(run, predicted)),
                    "observed": _number(_get(run, observed)), "status": str(run.value.get("status", "ok"))}
        row.update({k: jsonable(run.value.get(k)) for k in extra})
        rows.append(row)
    return rows


def slack_table_rows(
    runs: Sequence[RunRecord], *, predicted: Getter, observed: Getter, extra: Sequence[str] = (),
) -> list[Row]:
    """:func:`table_rows` plus ``slack = observed / predicted`` (for bounds).

    The slack is ``None`` when predicted is 0 or either side is not finite.
    """
    rows = table_rows(runs, predicted=predicted, observed=observed, extra=extra)
    for row in rows:
        p, o = row["predicted"], row["observed"]
        row["slack"] = o / p if p != 0 and math.isfinite(p) and math.isfinite(o) else None
    return rows


def tolerance_text(rule: str, reason: str | None) -> str:
    return f"{rule} ({reason})" if reason else rule


def _rowwise_verdict(rows: Sequence[Row], n_decided: int, violations: Sequence[Row],
                     describe: Callable[[Row], str], holds: str, template: Verdict) -> Verdict:
    """Refuted by the worst violation, inconclusive when rows are undecided or absent, else confirmed."""
    if violations:
        worst = violations[0]
        return replace(template, verdict="refuted",
                       summary=f"violated in {len(violations)} of {len(rows)} instances; worst "
                               f"{params_text(worst['params'])}: {describe(worst)}")
    if not rows or n_decided < len(rows):
        summary = (f"{len(rows) - n_decided} of {len(rows)} instances are NaN; no violation among the rest"
                   if rows else "no finished instance to compare")
        return replace(template, verdict="inconclusive", summary=summary)
    return replace(template, summary=f"holds in all {len(rows)} instances; {holds}")


def bound_verdict(
    rows: Sequence[Row], *, rtol: float, atol: float = 0.0, sense: Literal["upper", "lower"] = "upper",
    predicted: str, observed: str, arithmetic: str, reason: str | None = None,
    evidence: Mapping[str, Any] | None = None,
) -> Verdict:
    """Verdict of a bound ``observed <= predicted`` (``sense="upper"``) or ``>=`` (``"lower"``).

    Row ``i`` violates an upper bound when
    ``observed_i > predicted_i + rtol * |predicted_i| + atol + allowed_i`` (a lower
    bound mirrors it; an infinite observation against a finite bound counts), where
    ``allowed_i`` is the row's own ``"allowed"`` (a round-off allowance that depends on
    the instance, computed by the run; 0 when absent).
    Refuted if any row violates (the worst one is named); inconclusive if no
    row violates but some row is NaN (or infinite on both sides) or there are
    no rows; confirmed otherwise. The evidence reports the slack range
    (observed / predicted): how tight the bound is.
    """
    if sense not in ("upper", "lower"):
        raise ValueError(f"sense must be 'upper' or 'lower', got {sense!r}")
    if not (rtol >= 0 and atol >= 0):
        raise ValueError(f"rtol and atol must be >= 0, got rtol={rtol!r}, atol={atol!r}")
    op = "<=" if sense == "upper" else ">="
    own = " + the row's allowed" if any(r.get("allowed") for r in rows) else ""
    tolerance = tolerance_text(
        f"observed {op} predicted {'+' if sense == 'upper' else '-'} ({rtol:g}*|predicted| + {atol:g}{own})", reason)
    sign = 1.0 if sense == "upper" else -1.0

    def decidable(row: Row) -> bool:  # an infinite observation against a finite bound is decided
        p, o = row["predicted"], row["observed"]
        return not (math.isnan(p) or math.isnan(o) or (math.isinf(p) and math.isinf(o)))

    def excess(row: Row) -> float:
        p, o = row["predicted"], row["observed"]
        allowed = atol + (rtol * abs(p) if rtol and math.isfinite(p) else 0.0) + _number(row.get("allowed") or 0.0)
        return sign * (o - p) - allowed

    decided = [r for r in rows if decidable(r)]
    violations = sorted((r for r in decided if excess(r) > 0), key=excess, reverse=True)
    slacks = [r["slack"] for r in rows if r.get("slack") is not None]
    slack = ({"min": min(slacks), "median": statistics.median(slacks), "max": max(slacks)} if slacks else None)
    ev = jsonable({**(evidence or {}), "table": list(rows), "slack": slack,
                   "violations": [r["params"] for r in violations]})
    slack_text = f"slack observed/predicted in [{slack['min']:.3g}, {slack['max']:.3g}]" if slack else "no slack"
    rel = ">" if sense == "upper" else "<"
    return _rowwise_verdict(
        rows, len(decided), violations,
        lambda w: f"observed {_fmt(w['observed'])} {rel} predicted {_fmt(w['predicted'])}", slack_text,
        Verdict("confirmed", "", predicted, observed, tolerance, arithmetic, ev))


def identity_verdict(
    rows: Sequence[Row], *, rtol: float, atol: float, predicted: str, observed: str, arithmetic: str,
    reason: str | None = None, evidence: Mapping[str, Any] | None = None,
) -> Verdict:
    """Verdict of an identity or invariant: each row's error within ``atol + rtol*|predicted|``.

    A row's error is ``row["error"]`` when present (e.g. a max-norm of a matrix
    difference computed in ``run``), else ``|observed - predicted|``; a row's own
    ``"allowed"`` (an instance-dependent round-off allowance) adds to the tolerance.
    The computed error and the total allowance are written back into the row. Refuted by the row with the
    largest excess (an infinite error counts), inconclusive when an error is
    NaN (or the prediction is not finite) and nothing violates, confirmed
    otherwise.
    """
    if not (rtol >= 0 and atol >= 0):
        raise ValueError(f"rtol and atol must be >= 0, got rtol={rtol!r}, atol={atol!r}")
    own = " + the row's allowed" if any(r.get("allowed") for r in rows) else ""
    tolerance = tolerance_text(f"|observed - predicted| <= {atol:g} + {rtol:g}*|predicted|{own}", reason)
    table = []
    for row in rows:
        p = _number(row.get("predicted", 0.0))
        err = _number(row["error"]) if "error" in row else abs(_number(row["observed"]) - p)
        allowed = atol + rtol * abs(p) + _number(row.get("allowed") or 0.0) if math.isfinite(p) else math.nan
        table.append({**row, "error": err, "allowed": allowed})
    decided = [r for r in table if not math.isnan(r["error"]) and math.isfinite(r["allowed"])]
    violations = sorted((r for r in decided if r["error"] > r["allowed"]),
                        key=lambda r: r["error"] - r["allowed"], reverse=True)
    max_error = max((r["error"] for r in decided), default=math.nan)
    ev = jsonable({**(evidence or {}), "table": table, "max_error": max_error,
                   "violations": [r["params"] for r in violations]})
    return _rowwise_verdict(
        table, len(decided), violations, lambda w: f"error {w['error']:.3g} > allowed {w['allowed']:.3g}",
        f"max error {max_error:.3g}", Verdict("confirmed", "", predicted, observed, tolerance, arithmetic, ev))


def _estimate(fit: Any) -> tuple[str, float]:
    for name in ("exponent", "slope", "rate", "factor"):
        if hasattr(fit, name):
            return name, float(getattr(fit, name))
    raise TypeError(f"fit must be a lintheory.fit result, got {type(fit).__name__}")


def scaling_verdict(
    fit: Any, expected: float, *, tol: float, sense: Literal["equal", "at_most", "at_least"] = "equal",
    max_ci_width: float | None = None, predicted: str, observed: str, arithmetic: str,
    reason: str | None = None, evidence: Mapping[str, Any] | None = None,
) -> Verdict:
    """Verdict of a scaling law from a :mod:`lintheory.fit` result and its 95% interval ``[lo, hi]``.

    The estimate is the fit's exponent (power law), slope, rate or factor.

    * ``sense="equal"`` (estimate = expected): refuted when ``expected`` lies
      outside ``[lo - tol, hi + tol]``; otherwise confirmed, unless the interval
      is wider than ``max_ci_width`` (then inconclusive: more or longer runs
      would decide it).
    * ``sense="at_most"`` (estimate <= expected): confirmed when
      ``hi <= expected + tol``, refuted when ``lo > expected + tol``, else
      inconclusive; ``"at_least"`` mirrors it.
    """
    if sense not in ("equal", "at_most", "at_least"):
        raise ValueError(f"sense must be 'equal', 'at_most' or 'at_least', got {sense!r}")
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0, got {tol!r}")
    name, value = _estimate(fit)
    lo, hi = (float(c) for c in fit.ci95)
    rel = {"equal": "=", "at_most": "<=", "at_least": ">="}[sense]
    tolerance = tolerance_text(f"{name} {rel} {expected:g} up to {tol:g} beyond its 95% interval"
                                + (f", interval width <= {max_ci_width:g}" if max_ci_width is not None else ""),
                                reason)
    ev = jsonable({**(evidence or {}), "fit": {**fit.as_dict(), "expected": expected, "sense": sense}})
    fitted = f"fitted {name} {value:.4g} (95% CI [{lo:.4g}, {hi:.4g}], n={fit.n})"
    verdict: VerdictName
    if not all(math.isfinite(v) for v in (value, lo, hi)):
        verdict, why = "inconclusive", "the fit is not finite"
    elif sense == "equal":
        if not lo - tol <= expected <= hi + tol:
            verdict, why = "refuted", f"excludes the claimed {expected:g}"
        elif max_ci_width is not None and hi - lo > max_ci_width:
            verdict, why = "inconclusive", f"interval wider than {max_ci_width:g}: more or longer runs would decide"
        else:
            verdict, why = "confirmed", f"consistent with the claimed {expected:g}"
    else:
        # "at_least" is "at_most" after negating the estimate, its interval and the claim
        top, bottom, bound = (hi, lo, expected) if sense == "at_most" else (-lo, -hi, -expected)
        if top <= bound + tol:
            verdict, why = "confirmed", f"within the claimed {rel} {expected:g}"
        elif bottom > bound + tol:
            verdict, why = "refuted", f"violates the claimed {rel} {expected:g}"
        else:
            verdict, why = "inconclusive", f"interval straddles {expected:g}: more or longer runs would decide"
    return Verdict(verdict, f"{fitted}: {why}", predicted, observed, tolerance, arithmetic, ev)
