"""Typed checks: what a claim's ``checks(runs, k)`` returns, and how the framework judges them.

A claim states its theorem as checks of its finished runs; each check carries its
tolerance and the reason for that tolerance (float64 round-off, mpmath precision,
Arb radius, a statistical interval). The framework (:func:`judge`) turns the
checks into one :class:`~proofs_check.claim.Verdict`:

* each check gives a part verdict through the rules of :mod:`proofs_check.judging`;
* a violated part is ``refuted`` only when its level is ``sourced`` (the paper's own
  statement), ``not_reproduced`` otherwise (a reconstruction's prediction failed);
* a violated ``control`` (a sanity control the reconstruction must pass first)
  leaves the claim ``inconclusive`` whatever the other parts say;
* the worst part wins: refuted > not reproduced > inconclusive > confirmed.

Runs that failed (raised, diverged, timed out) make the claim inconclusive before
any check is evaluated, unless the claim declares ``tolerate_failed_runs``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from proofs_check import judging
from proofs_check.claim import Claim, Level, RunRecord, Verdict, VerdictName

__all__ = ["Bound", "Check", "Condition", "Identity", "Necessity", "Part", "Scaling", "judge", "rows", "slack_rows"]

Role = Literal["claim", "control", "consistency"]
Row = dict[str, Any]
_SEVERITY = {"confirmed": 0, "inconclusive": 1, "not_reproduced": 2, "refuted": 3}


rows = judging.table_rows
slack_rows = judging.slack_table_rows


@dataclass(frozen=True, kw_only=True)
class Check:
    """One part of a statement, checked on the runs.

    ``predicted`` / ``observed`` say in words (or plain formulas) what is compared;
    ``reason`` why the tolerance has its size; ``level`` the provenance of this part
    when it differs from the claim's; ``role`` is ``"control"`` for a sanity control
    (its failure makes the claim inconclusive) and ``"consistency"`` for a check that
    cannot fail by construction (reported as such, without power).
    """

    label: str
    predicted: str
    observed: str
    arithmetic: str = "float64"
    reason: str = ""
    level: Level | None = None
    role: Role = "claim"
    evidence: Mapping[str, Any] = field(default_factory=dict)

    kind = "check"

    def verdict(self) -> Verdict:
        raise NotImplementedError

    def _texts(self) -> dict[str, Any]:
        return {"predicted": self.predicted, "observed": self.observed, "arithmetic": self.arithmetic,
                "reason": self.reason or None, "evidence": self.evidence}


@dataclass(frozen=True, kw_only=True)
class Bound(Check):
    """``observed <= predicted`` (``sense="upper"``) or ``>=`` on every row, within
    ``rtol * |predicted| + atol``. Rows come from :meth:`of` or
    :func:`judging.slack_table_rows`; the evidence reports the slack observed / predicted."""

    rows: Sequence[Row]
    rtol: float = 0.0
    atol: float = 0.0
    sense: Literal["upper", "lower"] = "upper"

    kind = "bound"

    @classmethod
    def of(cls, runs: Sequence[RunRecord], *, pred: judging.Getter, obs: judging.Getter,
           extra: Sequence[str] = (), **kwargs: Any) -> Bound:
        """The bound over the finished runs: ``pred`` and ``obs`` are value keys or functions of a run."""
        return cls(rows=judging.slack_table_rows(runs, predicted=pred, observed=obs, extra=extra), **kwargs)

    def verdict(self) -> Verdict:
        return judging.bound_verdict(self.rows, rtol=self.rtol, atol=self.atol, sense=self.sense, **self._texts())


@dataclass(frozen=True, kw_only=True)
class Identity(Check):
    """``|observed - predicted| <= atol + rtol * |predicted|`` on every row (a row's
    ``"error"``, when present, replaces ``|observed - predicted|``)."""

    rows: Sequence[Row]
    rtol: float = 0.0
    atol: float = 0.0

    kind = "identity"

    @classmethod
    def of(cls, runs: Sequence[RunRecord], *, pred: judging.Getter, obs: judging.Getter,
           extra: Sequence[str] = (), **kwargs: Any) -> Identity:
        return cls(rows=judging.table_rows(runs, predicted=pred, observed=obs, extra=extra), **kwargs)

    def verdict(self) -> Verdict:
        return judging.identity_verdict(self.rows, rtol=self.rtol, atol=self.atol, **self._texts())


@dataclass(frozen=True, kw_only=True)
class Scaling(Check):
    """A fitted exponent (slope, rate) with its 95% interval against a claimed value or band:
    ``sense="equal"`` (the interval meets ``expected``), ``"at_most"`` or ``"at_least"``;
    ``max_ci_width`` makes too wide an interval inconclusive."""

    fit: Any
    expected: float
    tol: float = 0.0
    sense: Literal["equal", "at_most", "at_least"] = "equal"
    max_ci_width: float | None = None
    points: tuple[Sequence[float], Sequence[float]] | None = None  # the fitted (x, y), for the default figure

    kind = "scaling"

    def verdict(self) -> Verdict:
        v = judging.scaling_verdict(self.fit, self.expected, tol=self.tol, sense=self.sense,
                                    max_ci_width=self.max_ci_width, **self._texts())
        if self.points is None:
            return v
        x, y = self.points
        return replace(v, evidence={**v.evidence, "fit": {**v.evidence["fit"], "x": judging.jsonable(list(x)),
                                                          "y": judging.jsonable(list(y))}})


@dataclass(frozen=True, kw_only=True)
class Necessity(Check):
    """A construction that must show an effect (divergence, a stall, a violated bound
    outside the hypotheses) on every row: rows ``{"params", "shown": bool, ...}``."""

    rows: Sequence[Row]
    effect: str

    kind = "necessity"

    def verdict(self) -> Verdict:
        ev = judging.jsonable({**self.evidence, "table": list(self.rows)})
        tolerance = f"the effect must be shown on every instance ({self.reason})" if self.reason else \
            "the effect must be shown on every instance"
        base = Verdict("confirmed", "", self.predicted, self.observed, tolerance, self.arithmetic, ev)
        if not self.rows:
            return replace(base, verdict="inconclusive", summary="no instance to show the effect on")
        missing = [r for r in self.rows if not r.get("shown")]
        if missing:
            return replace(base, verdict="refuted", summary=(
                f"{self.effect} not shown in {len(missing)} of {len(self.rows)} instances, e.g. "
                f"{judging.params_text(missing[0]['params'])}"),
                evidence={**ev, "violations": [r["params"] for r in missing]})
        return replace(base, summary=f"{self.effect} in all {len(self.rows)} instances")


@dataclass(frozen=True, kw_only=True)
class Condition(Check):
    """A pass/fail statement computed by the claim (``ok=None``: undecided), with its summary."""

    ok: bool | None
    summary: str
    tolerance: str = ""

    kind = "condition"

    def verdict(self) -> Verdict:
        word: VerdictName = "inconclusive" if self.ok is None else ("confirmed" if self.ok else "refuted")
        tolerance = judging.tolerance_text(self.tolerance or "as stated", self.reason or None)
        return Verdict(word, self.summary, self.predicted, self.observed, tolerance, self.arithmetic,
                       judging.jsonable(dict(self.evidence)))


@dataclass(frozen=True)
class Part:
    """A judged check: its verdict after the provenance rule, and what it was."""

    check: Check
    level: Level
    verdict: Verdict
    violated: bool

    def as_dict(self) -> dict[str, Any]:
        v = self.verdict
        return {"label": self.check.label, "kind": self.check.kind, "level": self.level, "role": self.check.role,
                "verdict": v.verdict, "summary": v.summary, "predicted": v.predicted, "observed": v.observed,
                "tolerance": v.tolerance, "arithmetic": v.arithmetic, "slack": v.evidence.get("slack"),
                "fit": v.evidence.get("fit")}


def judge_part(check: Check, claim_level: Level) -> Part:
    """The verdict of one check, with the provenance rule applied."""
    level: Level = check.level or claim_level
    v = check.verdict()
    violated = v.verdict == "refuted"
    if violated and check.role == "control":
        v = replace(v, verdict="inconclusive", summary=f"control failed: {v.summary}")
    elif violated and level != "sourced":
        v = replace(v, verdict="not_reproduced")
    return Part(check, level, v, violated)


def _lifted(parts: Sequence[Part]) -> dict[str, Any]:
    """Evidence of the whole claim: each part's under ``checks``; the first table, fit and
    violations and every part's series at the top, where reports and figures read them."""
    ev: dict[str, Any] = {"checks": {}}
    series: dict[str, Any] = {}
    for part in parts:
        own = dict(part.verdict.evidence)
        series.update(own.pop("series", None) or {})
        ev["checks"][part.check.label] = own
        for key in ("table", "fit", "slack"):
            if key in own and key not in ev:
                ev[key] = own[key]
    ev["violations"] = [p for part in parts for p in part.verdict.evidence.get("violations", [])]
    if series:
        ev["series"] = series
    return judging.jsonable(ev)


def combine(parts: Sequence[Part]) -> Verdict:
    """One verdict from the judged parts: the worst wins, a failed control makes it inconclusive."""
    if not parts:
        raise ValueError("checks() must return at least one check")
    single = len(parts) == 1

    def join(attr: str, sep: str) -> str:
        texts = [getattr(p.verdict, attr) for p in parts]
        return texts[0] if single else sep.join(f"{p.check.label}: {t}" for p, t in zip(parts, texts, strict=True))

    word = max((p.verdict.verdict for p in parts), key=_SEVERITY.__getitem__)
    summary = join("summary", "; ")
    failed_controls = [p.check.label for p in parts if p.check.role == "control" and p.violated]
    if failed_controls:
        word = "inconclusive"
        summary = (f"the reconstruction fails its control ({', '.join(failed_controls)}): no verdict; "
                   + summary)
    arithmetic = " + ".join(dict.fromkeys(a for p in parts for a in p.verdict.arithmetic.split(" + ")))
    return Verdict(word, summary, join("predicted", " | "), join("observed", " | "), join("tolerance", " | "),
                   arithmetic, _lifted(parts))


def judge(claim: Claim, runs: Sequence[RunRecord], constants: Mapping[str, Any] | None = None
          ) -> tuple[Verdict, list[Part]]:
    """The verdict of ``claim`` on its finished ``runs`` under the statement ``constants``."""
    if not runs or (any(not r.ok for r in runs) and not claim.tolerate_failed_runs):
        failed = judging.missing_runs_inconclusive(
            runs, predicted=claim.title, observed="(runs did not finish)", tolerance="(not reached)",
            arithmetic="(not reached)")
        assert failed is not None
        return failed, []
    checks = list(claim.checks(runs, claim.statement_constants(constants)))
    for c in checks:
        if not isinstance(c, Check):
            raise TypeError(f"checks() must return Check objects, got {type(c).__name__}")
    parts = [judge_part(c, claim.level) for c in checks]
    return combine(parts), parts


def worst_slack(parts: Sequence[Part]) -> float | None:
    """The largest observed/predicted over the bound parts (how close the bound came to breaking)."""
    values = [p.verdict.evidence.get("slack", {}) or {} for p in parts if p.check.kind == "bound"]
    highs = [v["max"] for v in values if isinstance(v.get("max"), (int, float)) and math.isfinite(v["max"])]
    return max(highs) if highs else None
