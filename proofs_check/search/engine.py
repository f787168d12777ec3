r"""Counterexample search: push on a claim with Hypothesis until it breaks, or record how hard it held.

The search draws instances (run parameters and a seed) from the claim's
:class:`~proofs_check.search.space.SearchSpace`, computes each one, and steers generation
with ``hypothesis.target`` towards a higher violation score. It runs in two passes, both
with the same Hypothesis seed and no example database, so they are deterministic for a
given ``(seed, budget)``:

1. **explore** — up to ``budget`` instances; the first instance with
   ``score > threshold + tolerance`` is a violation, and Hypothesis shrinks it to a
   minimal violating instance;
2. **shrink the worst** (no violation) — the same generation is replayed from the
   evaluation cache until the first instance whose score is within ``WORST_REL`` of the best
   score, which Hypothesis then shrinks to a minimal instance that is (almost) as bad.

Shrinking spends at most ``shrink_budget`` new evaluations (default: ``budget``); past
that, unevaluated candidates count as not failing, which ends shrinking without breaking
determinism. Every evaluation is appended to a JSON-lines cache (with a hash of the code that
computed it), so an interrupted search rerun with the same arguments skips the instances
already computed by the same code.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, reject, settings, target
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from proofs_check.claim import Claim
from proofs_check.provenance import code_version
from proofs_check.search.space import SearchSpace, space_for
from proofs_check.worker import describe_exception, execute

__all__ = ["Instance", "SearchResult", "NoSearchSpace", "search", "replay", "instance_command", "WORST_REL"]

WORST_REL = 1e-3
SEED_RANGE = 2**16 - 1


class NoSearchSpace(ValueError):
    """The claim declares no search space."""


@dataclass(frozen=True)
class Instance:
    """One point of a hypothesis space: run parameters and the run's seed."""

    params: dict[str, Any]
    seed: int

    def key(self) -> str:
        return json.dumps({"params": self.params, "seed": self.seed}, sort_keys=True)

    def to_json(self) -> dict[str, Any]:
        return {"params": self.params, "seed": self.seed}

    @classmethod
    def from_json(cls, data: Any) -> Instance:
        if not isinstance(data, Mapping) or not isinstance(data.get("params"), Mapping):
            raise ValueError('instance must be a JSON object {"params": {...}, "seed": int}')
        seed = data.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"instance seed must be a non-negative integer, got {seed!r}")
        return cls(params=dict(data["params"]), seed=seed)


@dataclass(frozen=True)
class Evaluation:
    """The outcome of one instance: its score (``None``: failed or rejected) and run status."""

    score: float | None
    status: str
    error: str | None = None
    rejected: bool = False
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"score": _json_float(self.score), "status": self.status, "error": self.error,
                "rejected": self.rejected, "seconds": self.seconds}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Evaluation:
        score = data.get("score")
        return cls(score=None if score is None else float(score), status=data["status"],
                   error=data.get("error"), rejected=bool(data.get("rejected")),
                   seconds=float(data.get("seconds", 0.0)))


def _json_float(x: float | None) -> float | str | None:
    if x is None or math.isfinite(x):
        return x
    return "inf" if x > 0 else "-inf"


@dataclass(frozen=True)
class SearchResult:
    """What a search found. ``violated`` means a violation inside the hypotheses."""

    claim_id: str
    budget: int
    seed: int
    score_meaning: str
    threshold: float
    tolerance: float
    violated: bool
    best: Instance | None
    best_score: float | None
    shrunk: Instance | None
    shrunk_score: float | None
    examples: int
    evaluations: int
    cached: int
    failed: int
    rejected: int
    seconds: float
    onset: dict[str, Any] | None = None
    note: str = ""
    top: tuple[tuple[float, dict[str, Any]], ...] = field(default=())

    @property
    def command(self) -> str | None:
        instance = self.shrunk or self.best
        return instance_command(self.claim_id, instance) if instance is not None else None

    def summary(self) -> str:
        if self.best is None:
            return f"searched {self.examples} instances (budget {self.budget}, seed {self.seed}): no scored instance"
        if self.violated:
            if self.shrunk is None:
                raise ValueError("a violated SearchResult must carry its shrunk instance")
            return (f"violation found: {self.score_meaning} = {self.shrunk_score:.4g} > {self.threshold:g} "
                    f"at {json.dumps(self.shrunk.to_json(), sort_keys=True)} "
                    f"(shrunk; budget {self.budget}, seed {self.seed})" + self._onset_text())
        return (f"no violation in {self.examples} instances (budget {self.budget}, seed {self.seed}); "
                f"worst {self.score_meaning} = {self.best_score:.4g} (threshold {self.threshold:g})"
                + self._onset_text())

    def _onset_text(self) -> str:
        if not self.onset:
            return ""
        o = self.onset
        if o["first_fail"] is None:
            return f"; no failure along {o['parameter']} ({o['passing']} instances)"
        return f"; failure sets in along {o['parameter']} between {o['last_pass']} and {o['first_fail']}"

    def to_json(self) -> dict[str, Any]:
        return {
            "claim_id": self.claim_id, "budget": self.budget, "seed": self.seed,
            "score_meaning": self.score_meaning, "threshold": self.threshold, "tolerance": self.tolerance,
            "violated": self.violated,
            "best": self.best.to_json() if self.best else None, "best_score": _json_float(self.best_score),
            "shrunk": self.shrunk.to_json() if self.shrunk else None, "shrunk_score": _json_float(self.shrunk_score),
            "examples": self.examples, "evaluations": self.evaluations, "cached": self.cached,
            "failed": self.failed, "rejected": self.rejected, "seconds": self.seconds,
            "onset": self.onset, "note": self.note, "command": self.command,
            "top": [{"score": _json_float(s), **inst} for s, inst in self.top],
            "summary": self.summary(),
        }


def instance_command(claim_id: str, instance: Instance) -> str:
    """A shell command that recomputes exactly ``instance`` of ``claim_id`` and prints its score
    (with the claim folders of ``--claims-path`` when claims come from there)."""
    from proofs_check.plugins import PATH_VAR, claim_paths

    folders = os.pathsep.join(claim_paths())
    prefix = f"{PATH_VAR}={shlex.quote(folders)} " if folders else ""
    return (f"{prefix}python -m proofs_check.search {shlex.quote(claim_id)} --instance "
            f"{shlex.quote(json.dumps(instance.to_json(), sort_keys=True))}")


class _Hit(Exception):
    """Raised inside the Hypothesis test when an instance reaches the bar."""


class _Evaluator:
    """Computes instances of one claim, caches them in a JSON-lines file, enforces budgets."""

    def __init__(self, claim: Claim, space: SearchSpace, cache_path: Path | None):
        self.claim, self.space, self.cache_path = claim, space, cache_path
        self.run = space.evaluate or claim.run
        self.memo: dict[str, Evaluation] = {}
        self.evaluations = 0
        self.cached = 0
        self.shrink_left: int | None = None  # None: not shrinking, no cap
        self.version = ""
        if cache_path is not None:
            # evaluations computed by other code (the run, the score, lintheory) are not reused
            self.version = f"{code_version(self.run)}:{code_version(space.score)}"
        if cache_path is not None and cache_path.exists():
            for line in cache_path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                    if row["version"] == self.version:
                        self.memo[row["key"]] = Evaluation.from_json(row["evaluation"])
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by an interruption is recomputed

    def __call__(self, instance: Instance) -> Evaluation | None:
        """The cached or computed evaluation; ``None`` once the shrink budget is spent."""
        key = instance.key()
        if key in self.memo:
            self.cached += 1
            return self.memo[key]
        if self.shrink_left is not None:
            if self.shrink_left <= 0:
                return None
            self.shrink_left -= 1
        return self.compute(instance)

    def compute(self, instance: Instance) -> Evaluation:
        key = instance.key()
        outcome = execute(self.run, instance.params, instance.seed)
        if outcome["status"] == "ok":
            try:
                raw = self.space.score(outcome["value"])
            except Exception as exc:  # a score that cannot read the run is a failed evaluation, not a crash
                outcome = {**outcome, "status": "error", "error": f"score: {describe_exception(exc)}"}
        if outcome["status"] == "ok":
            ev = Evaluation(score=None if raw is None else float(raw), status="ok",
                            rejected=raw is None, seconds=outcome["seconds"])
        else:
            ev = Evaluation(score=self.space.failure_score, status=outcome["status"],
                            error=outcome["error"], seconds=outcome["seconds"])
        self.evaluations += 1
        self.memo[key] = ev
        if self.cache_path is not None:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            with self.cache_path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"key": key, "version": self.version, "evaluation": ev.to_json()},
                                    sort_keys=True) + "\n")
        return ev


def _instances(space: SearchSpace) -> Any:
    seeds = st.integers(0, SEED_RANGE) if space.seeded else st.just(0)
    return st.builds(lambda params, s: Instance(params=dict(params), seed=s), space.strategy, seeds)


def _hypothesis_pass(instances: Any, body: Callable[[Instance], None], budget: int, seed: int) -> Instance | None:
    """Run ``body`` over up to ``budget`` instances; the shrunk instance that raised ``_Hit``, if any."""

    @hypothesis_seed(seed)
    @settings(max_examples=budget, database=None, deadline=None, derandomize=False,
              phases=[Phase.generate, Phase.target, Phase.shrink],
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
              report_multiple_bugs=False, print_blob=False)
    @given(instances)
    def probe(instance: Instance) -> None:
        body(instance)

    try:
        probe()
    except _Hit as hit:
        return hit.args[0]
    return None


def search(claim: Claim, budget: int, seed: int = 0, out_dir: str | Path | None = None,
           space: SearchSpace | None = None, shrink_budget: int | None = None,
           fresh: bool = False) -> SearchResult:
    """Search ``claim``'s hypothesis space for the instance closest to violating it.

    ``out_dir`` holds the evaluation cache ``search/<claim id>.evals.jsonl`` (resumable;
    ``fresh`` discards it). ``space`` defaults to the space declared for the claim.
    """
    if not isinstance(claim, Claim):
        raise ValueError(f"claim must be a proofs_check.claim.Claim, got {type(claim).__name__}")
    for name, value in (("budget", budget), ("seed", seed)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    if shrink_budget is not None and (not isinstance(shrink_budget, int) or shrink_budget < 0):
        raise ValueError(f"shrink_budget must be a non-negative integer, got {shrink_budget!r}")
    space = space or space_for(claim)
    if space is None:
        raise NoSearchSpace(f"claim {claim.id!r} declares no search space (Claim.search)")
    cache_path = None if out_dir is None else Path(out_dir) / "search" / f"{claim.id}.evals.jsonl"
    if fresh and cache_path is not None and cache_path.exists():
        cache_path.unlink()

    start = time.perf_counter()
    evaluate = _Evaluator(claim, space, cache_path)
    bar = space.threshold + space.tolerance
    seen: dict[str, tuple[Instance, Evaluation]] = {}
    cap = budget if shrink_budget is None else shrink_budget

    def explore(instance: Instance) -> None:
        ev = evaluate(instance)
        if ev is None:
            return
        if evaluate.shrink_left is None:
            seen.setdefault(instance.key(), (instance, ev))
        if ev.rejected:
            reject()
        if ev.score is None:
            return
        if math.isfinite(ev.score):
            target(ev.score, label="violation score")
        if ev.score > bar:
            if evaluate.shrink_left is None:
                evaluate.shrink_left = cap
            raise _Hit(instance)

    instances = _instances(space)
    note = ""
    try:
        shrunk = _hypothesis_pass(instances, explore, budget, seed) if budget else None
    except Unsatisfiable:
        shrunk, note = None, "Hypothesis could not generate instances the space accepts"

    scored = [(inst, ev.score) for inst, ev in seen.values() if ev.score is not None]
    best_inst, best_score = max(scored, key=lambda pair: pair[1]) if scored else (None, None)
    violated = shrunk is not None
    if not violated and best_score is not None and math.isfinite(best_score):
        worst_bar = best_score - WORST_REL * max(abs(best_score), 1e-300)
        evaluate.shrink_left = None

        def worst(instance: Instance) -> None:
            ev = evaluate(instance)
            if ev is None or ev.rejected or ev.score is None:
                return
            if ev.score >= worst_bar:
                if evaluate.shrink_left is None:
                    evaluate.shrink_left = cap
                raise _Hit(instance)

        shrunk = _hypothesis_pass(instances, worst, budget, seed)
    shrunk_ev = evaluate.memo.get(shrunk.key()) if shrunk is not None else None
    top = sorted(scored, key=lambda pair: -pair[1])[:5]
    return SearchResult(
        claim_id=claim.id, budget=budget, seed=seed, score_meaning=space.score_meaning,
        threshold=space.threshold, tolerance=space.tolerance, violated=violated,
        best=best_inst, best_score=best_score,
        shrunk=shrunk, shrunk_score=shrunk_ev.score if shrunk_ev else None,
        examples=len(seen), evaluations=evaluate.evaluations, cached=evaluate.cached,
        failed=sum(1 for _, ev in seen.values() if ev.status != "ok"),
        rejected=sum(1 for _, ev in seen.values() if ev.rejected),
        seconds=time.perf_counter() - start,
        onset=_onset(space, evaluate.memo) if space.onset else None, note=note,
        top=tuple((score, inst.to_json()) for inst, score in top),
    )


def _onset(space: SearchSpace, memo: Mapping[str, Evaluation]) -> dict[str, Any]:
    """Where failure sets in along ``space.onset``: the largest passing value below the first failing one."""
    name = space.onset
    bar = space.threshold + space.tolerance
    points = []
    for key, ev in memo.items():
        value = json.loads(key)["params"].get(name)
        if ev.score is not None and isinstance(value, (int, float)):
            points.append((float(value), ev.score > bar))
    failing = [v for v, bad in points if bad]
    first_fail = min(failing) if failing else None
    passing = [v for v, bad in points if not bad and (first_fail is None or v < first_fail)]
    return {"parameter": name, "first_fail": first_fail, "last_pass": max(passing) if passing else None,
            "failing": len(failing), "passing": len(points) - len(failing)}


def replay(claim: Claim, instance: Instance, space: SearchSpace | None = None) -> tuple[Evaluation, bool]:
    """Recompute exactly ``instance``: its evaluation and whether it violates the claim."""
    space = space or space_for(claim)
    if space is None:
        raise NoSearchSpace(f"claim {claim.id!r} declares no search space")
    ev = _Evaluator(claim, space, None).compute(instance)
    return ev, ev.score is not None and ev.score > space.threshold + space.tolerance
