"""Search and certification results in ``results.json`` and in the report's columns.

Both are optional, additive fields of a claim entry (schema ``proofs_check.results/1``):

* ``"search"`` — :meth:`SearchResult.to_json`; a violation found inside the hypotheses
  makes the claim ``refuted``, with the shrunk instance and the command that reruns it in
  ``evidence["counterexample"]`` and the grid's own verdict kept in
  ``evidence["grid_verdict"]``;
* ``"certification"`` — :meth:`ClaimCertification.to_json`; a proven violation makes the
  claim ``refuted`` the same way (``evidence["certified_violation"]``).

A search is also saved as ``DIR/search/<claim id>.json`` so that a later
``proofs-check run`` into the same folder keeps it (:func:`apply_saved`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["NUMERICALLY_CHECKED", "SEARCH_DIR", "save_search", "load_searches", "attach_search", "attach_certification",
           "apply_saved", "search_cell", "search_detail", "certification_cell", "certification_detail"]

SEARCH_DIR = "search"
NUMERICALLY_CHECKED = "numerically checked"


def _search_path(out_dir: str | Path, claim_id: str) -> Path:
    return Path(out_dir) / SEARCH_DIR / f"{claim_id}.json"


def save_search(out_dir: str | Path, result: Mapping[str, Any]) -> Path:
    """Write a search result (``SearchResult.to_json()``) to ``DIR/search/<claim id>.json``."""
    from proofs_check.report import atomic

    path = _search_path(out_dir, result["claim_id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, json.dumps(result, indent=2, sort_keys=True) + "\n")
    return path


def load_searches(out_dir: str | Path) -> dict[str, dict[str, Any]]:
    """Saved search results of ``DIR``, by claim id (unreadable files are skipped)."""
    folder = Path(out_dir) / SEARCH_DIR
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("claim_id"), str):
            found[data["claim_id"]] = data
    return found


def _grid_verdict(entry: Mapping[str, Any]) -> dict[str, Any]:
    evidence = entry.get("evidence") or {}
    return dict(evidence.get("grid_verdict") or {"verdict": entry["verdict"], "summary": entry["summary"]})


def _refute(entry: Mapping[str, Any], summary: str, key: str, detail: Mapping[str, Any]) -> dict[str, Any]:
    grid = _grid_verdict(entry)
    evidence = {**(entry.get("evidence") or {}), "grid_verdict": grid, key: dict(detail)}
    return {**entry, "verdict": "refuted", "summary": f"{summary} (grid runs: {grid['verdict']}: {grid['summary']})",
            "evidence": evidence}


def attach_search(entry: Mapping[str, Any], result: Mapping[str, Any]) -> dict[str, Any]:
    """``entry`` with the search ``result`` attached (and refuted by it if it found a violation)."""
    out = {**entry, "search": dict(result)}
    if not result.get("violated"):
        return out
    instance = result.get("shrunk") or result.get("best")
    return _refute(out, f"refuted by counterexample search: {result['score_meaning']} = "
                        f"{result.get('shrunk_score')} > {result['threshold']} at "
                        f"{json.dumps(instance, sort_keys=True)}",
                   "counterexample", {"instance": instance, "score": result.get("shrunk_score"),
                                      "score_meaning": result["score_meaning"], "threshold": result["threshold"],
                                      "command": result.get("command")})


def attach_certification(entry: Mapping[str, Any], certification: Mapping[str, Any]) -> dict[str, Any]:
    """``entry`` with ``certification`` attached (and refuted by a proven violation)."""
    out = {**entry, "certification": dict(certification)}
    if certification.get("status") != "refuted":
        return out
    row = next(r for r in certification["instances"] if r.get("certificate", {}).get("status") == "refuted")
    return _refute(out, f"refuted by an Arb-certified violation: {certification['summary']}",
                   "certified_violation", {"params": row["params"], "seed": row["seed"],
                                           "certificate": row["certificate"]})


def apply_saved(data: Mapping[str, Any], out_dir: str | Path) -> dict[str, Any]:
    """``data`` with the searches saved in ``DIR/search/`` attached to their claims."""
    saved = load_searches(out_dir)
    claims = [attach_search(c, saved[c["id"]]) if c["id"] in saved else c for c in data["claims"]]
    return {**data, "claims": claims}


def search_cell(entry: Mapping[str, Any]) -> str:
    """Short text of the claim's search for a report's summary table."""
    result = entry.get("search")
    if not result:
        return "not searched"
    if result.get("violated"):
        return f"violation ({_num(result.get('shrunk_score'))} > {_num(result['threshold'])})"
    if result.get("best_score") is None:
        return f"no scored instance in {result['examples']}"
    return f"none in {result['examples']} (worst {_num(result['best_score'])})"


def search_detail(entry: Mapping[str, Any]) -> str | None:
    """The search's full summary and the command that reruns its instance (``None``: not searched)."""
    result = entry.get("search")
    if not result:
        return None
    command = f"; rerun: {result['command']}" if result.get("command") else ""
    return f"{result['summary']}{command}"


def certification_cell(entry: Mapping[str, Any]) -> str:
    """``certified`` / ``not certified`` / ``refuted`` (in Arb), or ``numerically checked``."""
    cert = entry.get("certification")
    return cert["status"] if cert else NUMERICALLY_CHECKED


def certification_detail(entry: Mapping[str, Any]) -> str | None:
    """The certification's summary: counts, precision, margin and radius (``None``: not certified)."""
    cert = entry.get("certification")
    return f"{cert['summary']} — proves: {cert['statement']}" if cert else None


def _num(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, float) else str(x)
