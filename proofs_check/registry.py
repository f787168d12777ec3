"""Discovery of the registered claims.

Each module ``proofs_check/claims/<paper>.py`` registers its claims by exposing a
module-level tuple ``CLAIMS``; discovery imports every such module once.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
from collections.abc import Iterable
from functools import cache

from proofs_check import claims as _claims_pkg
from proofs_check.claim import Claim


class UnknownClaimError(ValueError):
    """An id or glob given by the user matches no registered claim."""


@cache
def all_claims() -> tuple[Claim, ...]:
    """Every registered claim, sorted by id."""
    found: dict[str, Claim] = {}
    for module_info in pkgutil.iter_modules(_claims_pkg.__path__):
        module = importlib.import_module(f"{_claims_pkg.__name__}.{module_info.name}")
        for claim in getattr(module, "CLAIMS", ()):
            if claim.id in found:
                raise RuntimeError(f"claim id {claim.id!r} is registered twice")
            found[claim.id] = claim
    return tuple(found[k] for k in sorted(found))


def get(claim_id: str) -> Claim:
    """The claim with id ``claim_id``; :class:`UnknownClaimError` if there is none."""
    for claim in all_claims():
        if claim.id == claim_id:
            return claim
    raise UnknownClaimError(f"unknown claim id {claim_id!r} (see 'proofs-check list')")


def select(patterns: Iterable[str] = ()) -> tuple[Claim, ...]:
    """Claims whose ids match any of the ids or shell globs in ``patterns`` (all if empty).

    Every pattern must match at least one claim, so that a typo is an error and not
    a silently empty run.
    """
    patterns = list(patterns)
    claims = all_claims()
    if not patterns:
        return claims
    chosen: dict[str, Claim] = {}
    for pattern in patterns:
        hits = [c for c in claims if fnmatch.fnmatchcase(c.id, pattern)]
        if not hits:
            raise UnknownClaimError(
                f"claim id or glob {pattern!r} matches no registered claim (see 'proofs-check list')"
            )
        chosen.update((c.id, c) for c in hits)
    return tuple(chosen[k] for k in sorted(chosen))
