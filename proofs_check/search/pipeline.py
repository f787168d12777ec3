"""Searches and certificates for a whole results document (``proofs-check run``).

:func:`with_searches` runs each claim's search at its profile budget and
:func:`with_certificates` certifies each claim's grid instances; both return the
results document with the new fields attached (see :mod:`proofs_check.search.results`).
Claims without a space or a certificate are left as they are, so the report shows
"not searched" / "numerically checked" for them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from proofs_check.claim import Claim
from proofs_check.search.certificates import certify_claim, grid_instances
from proofs_check.search.engine import search
from proofs_check.search.results import attach_certification, attach_search, save_search
from proofs_check.search.space import certificate_for, space_for
from proofs_check.worker import describe_exception

__all__ = ["with_searches", "with_certificates"]

Notify = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def _replace_entries(data: Mapping[str, Any], updated: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    return {**data, "claims": [updated.get(c["id"], c) for c in data["claims"]]}


def with_searches(data: Mapping[str, Any], claims: Sequence[Claim], profile: str, out_dir: str | Path,
                  seed: int = 0, budget: int | None = None, notify: Notify = _quiet) -> dict[str, Any]:
    """Search every claim of ``claims`` that has a space (budget: ``budget`` or the space's for ``profile``).

    Each result is saved under ``DIR/search/`` and attached to the claim's entry. A search
    that raises is reported through ``notify`` and in the entry's notes, never swallowed.
    """
    entries = {c["id"]: c for c in data["claims"]}
    updated: dict[str, dict[str, Any]] = {}
    for claim in claims:
        space = space_for(claim)
        n = space.budget(profile) if space is not None and budget is None else budget
        if space is None or not n or claim.id not in entries:
            continue
        notify(f"searching {claim.id} (budget {n}, seed {seed})")
        try:
            result = search(claim, n, seed, out_dir=out_dir).to_json()
        except Exception as exc:
            problem = f"search failed: {describe_exception(exc)}"
            notify(f"{claim.id}: {problem}")
            updated[claim.id] = {**entries[claim.id], "notes": [*entries[claim.id].get("notes", []), problem]}
            continue
        save_search(out_dir, result)
        updated[claim.id] = attach_search(entries[claim.id], result)
    return _replace_entries(data, updated)


def with_certificates(data: Mapping[str, Any], claims: Sequence[Claim], profile: str, seed: int = 0,
                      prec: int | None = None, notify: Notify = _quiet) -> dict[str, Any]:
    """Certify the grid instances of every claim of ``claims`` that declares a certificate."""
    entries = {c["id"]: c for c in data["claims"]}
    updated: dict[str, dict[str, Any]] = {}
    for claim in claims:
        spec = certificate_for(claim)
        if spec is None or claim.id not in entries:
            continue
        notify(f"certifying {claim.id} in Arb")
        try:
            result = certify_claim(claim, grid_instances(claim, profile, seed), spec, prec=prec).to_json()
        except Exception as exc:
            problem = f"certification failed: {describe_exception(exc)}"
            notify(f"{claim.id}: {problem}")
            updated[claim.id] = {**entries[claim.id], "notes": [*entries[claim.id].get("notes", []), problem]}
            continue
        updated[claim.id] = attach_certification(entries[claim.id], result)
    return _replace_entries(data, updated)
