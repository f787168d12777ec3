"""Discovery of the registered claims and of the papers they come from.

Built-in claims live in paper packages ``proofs_check/claims/<paper>/``: the package's
``__init__`` exposes ``PAPER`` (:class:`~proofs_check.claim.Paper`) and each public module
exposes ``CLAIM``; modules named ``_*`` hold the paper's shared helpers. Any package of that
shape joins the registry: there is no list of papers. Plug-ins (:mod:`proofs_check.plugins`)
add modules, packages and claim files from outside.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
import sys
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from types import ModuleType

from proofs_check import claims as _claims_pkg
from proofs_check.claim import Claim, Paper
from proofs_check.plugins import claim_paths, entry_point_modules, extra_claim_modules


class UnknownClaimError(ValueError):
    """An id or glob given by the user matches no registered claim."""


class ClaimModuleError(ImportError):
    """A claim module could not be imported (a broken install, or a bad plug-in)."""


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except Exception as exc:
        raise ClaimModuleError(f"claim module {name!r} failed to import: {type(exc).__name__}: {exc}") from exc


def _modules(module: ModuleType) -> Iterator[ModuleType]:
    """``module`` and, for a package, its public submodules (recursively)."""
    yield module
    if hasattr(module, "__path__"):
        for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda i: i.name):
            if not info.name.startswith("_"):
                yield from _modules(_import(f"{module.__name__}.{info.name}"))


def _declared(module: ModuleType) -> tuple[list[Claim], list[Paper]]:
    claims = list(getattr(module, "CLAIMS", ()))
    if hasattr(module, "CLAIM"):
        claims.append(module.CLAIM)
    for c in claims:
        if not isinstance(c, Claim):
            raise ClaimModuleError(f"{module.__name__}: CLAIM(S) must hold Claim objects, got {type(c).__name__}")
    papers = [module.PAPER] if isinstance(getattr(module, "PAPER", None), Paper) else []
    return claims, papers


def _path_modules(folder: str) -> list[ModuleType]:
    """The claim files of ``folder``: ``*.py`` imported by name (the folder joins ``sys.path``), ``*.toml``
    interpreted by :mod:`proofs_check.userclaims` when it is installed."""
    if folder not in sys.path:
        sys.path.insert(0, folder)
    out = []
    for path in sorted(Path(folder).iterdir()):
        if path.suffix == ".py" and not path.name.startswith("_"):
            out.append(_import(path.stem))
        elif path.suffix == ".toml":
            from proofs_check import userclaims

            try:
                out.append(userclaims.module_for(path))
            except userclaims.TomlClaimError as exc:
                raise ClaimModuleError(str(exc)) from None
            except Exception as exc:  # a bug of the interpreter: still one line, naming the file
                raise ClaimModuleError(f"{path.name}: cannot be loaded: {type(exc).__name__}: {exc}") from exc
    return out


def all_claims() -> tuple[Claim, ...]:
    """Every registered claim, sorted by id."""
    return _collect(extra_claim_modules(), claim_paths(), entry_point_modules())[0]


def paper(key: str) -> Paper | None:
    """The bibliographic record of paper ``key``, when a package or module declares one."""
    return _collect(extra_claim_modules(), claim_paths(), entry_point_modules())[1].get(key)


def paper_of(claim: Claim) -> Paper | None:
    """The record ``PAPER`` of the module defining ``claim.run`` or of a package above it."""
    name = getattr(claim.run, "__module__", "") or ""
    while name:
        record = getattr(sys.modules.get(name), "PAPER", None)
        if isinstance(record, Paper) and record.key == claim.paper:
            return record
        name = name.rpartition(".")[0]
    return paper(claim.paper)


@cache
def _collect(extra_modules: tuple[str, ...], paths: tuple[str, ...], plugins: tuple[str, ...]
             ) -> tuple[tuple[Claim, ...], dict[str, Paper]]:
    found: dict[str, Claim] = {}
    papers: dict[str, Paper] = {}
    roots = [_import(f"{_claims_pkg.__name__}.{info.name}")
             for info in pkgutil.iter_modules(_claims_pkg.__path__) if not info.name.startswith("_")]
    roots += [_import(name) for name in (*plugins, *extra_modules)]
    roots += [m for folder in paths for m in _path_modules(folder)]
    for root in roots:
        n_before = len(found)
        for module in _modules(root):
            claims, declared = _declared(module)
            papers.update((p.key, p) for p in declared)
            for claim in claims:
                if claim.id in found:
                    raise ClaimModuleError(f"claim id {claim.id!r} is registered twice")
                found[claim.id] = claim
        if len(found) == n_before and root.__name__ in extra_modules:
            raise ClaimModuleError(f"claim module {root.__name__!r} defines no claims (CLAIM or CLAIMS)")
    return tuple(found[k] for k in sorted(found)), papers


def get(claim_id: str) -> Claim:
    """The claim with id ``claim_id``; :class:`UnknownClaimError` if there is none."""
    for claim in all_claims():
        if claim.id == claim_id:
            return claim
    raise UnknownClaimError(f"unknown claim id {claim_id!r} (see 'proofs-check list')")


def papers() -> tuple[str, ...]:
    """The paper keys of the registered claims."""
    return tuple(sorted({c.paper for c in all_claims()}))


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
