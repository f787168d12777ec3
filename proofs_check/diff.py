"""``proofs-check diff A B``: what changed between two runs' ``results.json``.

Verdict changes (ranked: confirmed < inconclusive < not reproduced < refuted, so a
change is better or worse), slack changes (the observed/predicted range of a bound,
beyond a relative tolerance), level changes, and claims that are new or gone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from proofs_check import results

__all__ = ["Change", "Diff", "compare", "dumps", "load", "render"]

SEVERITY = {"confirmed": 0, "inconclusive": 1, "not_reproduced": 2, "refuted": 3}
SLACK_KEYS = ("min", "median", "max")


@dataclass(frozen=True)
class Change:
    """One claim's change between A and B; ``worse`` when its verdict moved down the ranking."""

    claim: str
    what: str  # "verdict", "level" or "slack"
    before: str
    after: str
    worse: bool = False


@dataclass(frozen=True)
class Diff:
    changes: tuple[Change, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int

    @property
    def worse(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.worse)

    def as_dict(self) -> dict[str, Any]:
        return {"changes": [asdict(c) for c in self.changes], "added": list(self.added),
                "removed": list(self.removed), "unchanged": self.unchanged, "worse": len(self.worse)}


def load(path: str | Path) -> dict[str, Any]:
    """A results document from an output folder or a ``results.json`` path (:class:`results.ResultsError`)."""
    path = Path(path)
    if path.is_dir():
        return results.read(path)
    if path.name == results.FILENAME or path.suffix == ".json":
        if not path.exists():
            raise results.ResultsError(f"no such file: {str(path)!r}")
        if path.name == results.FILENAME:
            return results.read(path.parent)
        raise results.ResultsError(f"{str(path)!r}: give an output folder or a file named {results.FILENAME}")
    raise results.ResultsError(f"{str(path)!r} is neither an output folder nor a {results.FILENAME}")


def _slack(claim: Mapping[str, Any]) -> dict[str, float] | None:
    slack = (claim.get("evidence") or {}).get("slack")
    if not isinstance(slack, Mapping):
        return None
    out = {k: slack.get(k) for k in SLACK_KEYS}
    return {k: float(v) for k, v in out.items() if isinstance(v, (int, float))} or None


def _moved(a: dict[str, float], b: dict[str, float], rtol: float) -> bool:
    return any(k not in b or not math.isclose(a[k], b[k], rel_tol=rtol, abs_tol=0.0) for k in a) or \
        any(k not in a for k in b)


def _text(slack: dict[str, float] | None) -> str:
    return "-" if slack is None else ", ".join(f"{k} {v:.4g}" for k, v in slack.items())


def compare(a: Mapping[str, Any], b: Mapping[str, Any], slack_rtol: float = 0.01) -> Diff:
    """The changes from results ``a`` to results ``b``; slack moves within ``slack_rtol`` are not changes."""
    if not (isinstance(slack_rtol, (int, float)) and slack_rtol >= 0):
        raise ValueError(f"slack_rtol must be a non-negative number, got {slack_rtol!r}")
    before = {c["id"]: c for c in a["claims"]}
    after = {c["id"]: c for c in b["claims"]}
    changes, same = [], 0
    for cid in sorted(before.keys() & after.keys()):
        x, y = before[cid], after[cid]
        found = []
        if x["verdict"] != y["verdict"]:
            found.append(Change(cid, "verdict", x["verdict"], y["verdict"],
                                SEVERITY.get(y["verdict"], 3) > SEVERITY.get(x["verdict"], 3)))
        if x.get("level") and y.get("level") and x["level"] != y["level"]:  # schema 1 has no levels
            found.append(Change(cid, "level", str(x.get("level") or "-"), str(y.get("level") or "-")))
        sx, sy = _slack(x), _slack(y)
        if (sx is None) != (sy is None) or (sx is not None and sy is not None and _moved(sx, sy, slack_rtol)):
            found.append(Change(cid, "slack", _text(sx), _text(sy)))
        changes += found
        same += not found
    return Diff(tuple(changes), tuple(sorted(after.keys() - before.keys())),
                tuple(sorted(before.keys() - after.keys())), same)


def render(diff: Diff, a_name: str, b_name: str) -> str:
    """The diff as text: one line per change, then new and removed claims and a count."""
    lines = [f"--- {a_name}", f"+++ {b_name}"]
    width = max((len(c.claim) for c in diff.changes), default=0)
    for c in diff.changes:
        mark = " WORSE" if c.worse else ""
        lines.append(f"{c.claim:<{width}}  {c.what}: {c.before} -> {c.after}{mark}")
    lines += [f"new: {cid}" for cid in diff.added] + [f"removed: {cid}" for cid in diff.removed]
    lines.append(f"{len(diff.changes)} changes ({len(diff.worse)} verdicts worse), {len(diff.added)} new, "
                 f"{len(diff.removed)} removed, {diff.unchanged} claims unchanged")
    return "\n".join(lines)


def dumps(diff: Diff) -> str:
    return json.dumps(diff.as_dict(), indent=2)
