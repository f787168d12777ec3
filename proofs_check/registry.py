"""Discovery of the registered claims.

Each module ``proofs_check/claims/<paper>.py`` registers its claims by exposing a
module-level tuple ``CLAIMS``; discovery imports every such module once. Modules named
in ``$PROOFS_CHECK_CLAIM_MODULES`` (see :mod:`proofs_check.plugins`) are added, so that
a project can check its own claims with the same runner and reports.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
from collections.abc import Iterable
from functools import cache

from proofs_check import claims as _claims_pkg
from proofs_check.claim import Claim
from proofs_check.plugins import extra_claim_modules


class UnknownClaimError(ValueError):
    """An id or glob given by the user matches no registered claim."""


class ClaimModuleError(ImportError):
    """A claim module could not be imported (a broken install, or a bad
    ``$PROOFS_CHECK_CLAIM_MODULES`` entry)."""


def _import(name: str):
    try:
        return importlib.import_module(name)
    except Exception as exc:
        raise ClaimModuleError(f"claim module {name!r} failed to import: {type(exc).__name__}: {exc}") from exc


def all_claims() -> tuple[Claim, ...]:
    """Every registered claim, sorted by id."""
    return _collect(extra_claim_modules())


@cache
def _collect(extra_modules: tuple[str, ...]) -> tuple[Claim, ...]:
    found: dict[str, Claim] = {}
    # modules named _* hold helpers shared by claim modules, not claims
    names = [
        f"{_claims_pkg.__name__}.{info.name}"
        for info in pkgutil.iter_modules(_claims_pkg.__path__)
        if not info.name.startswith("_")
    ]
    for name in names + list(extra_modules):
        for claim in getattr(_import(name), "CLAIMS", ()):
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
