"""Power: does a claim's check catch its mutants (the statement with a constant changed)?

Each claim is judged under its own statement and under each mutant's constants, in one
sweep (runs that a mutant does not change are computed once, and come from the cache on
the next call). A mutant is *caught* when its verdict is refuted or not reproduced. A
survivor is a finding: either the check is weak, or the statement could be tightened;
for bounds the evidence says which (the largest observed / predicted under the mutant:
if it stays well below 1, the bound holds with room to spare and could be tightened).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from proofs_check.cache import FILENAME as CACHE_FILENAME
from proofs_check.claim import Claim
from proofs_check.report import atomic
from proofs_check.runner import Job, evaluate

__all__ = ["FILENAME", "finding", "mutate", "power_of"]

FILENAME = "mutants.json"
_CAUGHT = ("refuted", "not_reproduced")


def _worst_slack(entry: Mapping[str, Any]) -> float | None:
    highs = [c["slack"]["max"] for c in entry.get("checks", [])
             if c.get("kind") == "bound" and isinstance(c.get("slack"), Mapping)
             and isinstance(c["slack"].get("max"), (int, float))]
    return max(highs) if highs else None


def finding(entry: Mapping[str, Any]) -> str:
    """Why a surviving mutant survived, as far as the evidence says."""
    if entry["verdict"] == "inconclusive":
        return f"undecided under the mutant ({entry['summary'][:160]}): more or longer runs would decide"
    slack = _worst_slack(entry)
    if slack is not None:
        if slack <= 0.5:
            return (f"the mutated bound still holds at {slack:.3g} of its value on every instance: "
                    "the statement could be tightened here")
        return (f"the mutated bound still holds (largest observed/predicted {slack:.3g}): the instances do not "
                "reach where the changed constant binds; the check is weak here")
    return "the checks do not depend on the changed constant on these instances: the check is weak here"


def mutate(claims: Sequence[Claim], profile: str, out_dir: str | Path, *, workers: int, seed: int = 0,
           scheduler: str | None = None, fresh: bool = False, show_progress: bool = False,
           connect_timeout: float = 10.0) -> list[dict[str, Any]]:
    """Judge every claim under each of its mutants; write and return ``out_dir/mutants.json`` rows.

    A claim without mutants gets one row with ``mutant: null`` and the reason it has none.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [Job(c.id, c) for c in claims]
    jobs += [Job(f"{c.id}#{m.name}", c, m.constants) for c in claims for m in c.mutants]
    entries, _, _ = evaluate(jobs, profile, out / CACHE_FILENAME, workers=workers, seed=seed, scheduler=scheduler,
                             fresh=fresh, show_progress=show_progress, connect_timeout=connect_timeout)
    rows: list[dict[str, Any]] = []
    for claim in claims:
        original = entries[claim.id]["verdict"]
        if not claim.mutants:
            rows.append({"claim": claim.id, "mutant": None, "description": claim.no_mutants or "no mutants declared",
                         "caught": None, "verdict": None, "original_verdict": original, "finding": None})
        for m in claim.mutants:
            entry = entries[f"{claim.id}#{m.name}"]
            caught = entry["verdict"] in _CAUGHT
            rows.append({"claim": claim.id, "mutant": m.name, "description": m.description, "caught": caught,
                         "verdict": entry["verdict"], "original_verdict": original,
                         "finding": None if caught else finding(entry), "summary": entry["summary"]})
    atomic.write_text(out / FILENAME, json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    return rows


def power_of(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per claim: how many mutants, how many caught, the survivors and their findings (for reports)."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        p = out.setdefault(row["claim"], {"mutants": 0, "caught": 0, "survivors": [], "reason": None})
        if row["mutant"] is None:
            p["reason"] = row["description"]
            continue
        p["mutants"] += 1
        if row["caught"]:
            p["caught"] += 1
        else:
            p["survivors"].append({"mutant": row["mutant"], "finding": row["finding"]})
    return out


def read(out_dir: str | Path) -> list[dict[str, Any]] | None:
    """The rows of ``out_dir/mutants.json``, or ``None`` when there is none (or it is unreadable)."""
    try:
        rows = json.loads((Path(out_dir) / FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return rows if isinstance(rows, list) and all(isinstance(r, dict) and "claim" in r for r in rows) else None
