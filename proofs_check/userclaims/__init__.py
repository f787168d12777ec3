"""Claims written by users in TOML: a statement in LaTeX or plain math, checked against training runs.

:func:`module_for` reads one ``*.toml`` file of a ``--claims-path`` folder into a module-like
object exposing ``CLAIM`` (and ``PAPER`` when the file has a ``[paper]`` table), which the
registry treats like a Python claim module. The file is interpreted, never executed: its
expressions go through the allow-listed parser of :mod:`proofs_check.userclaims.expr`.
docs/toml.md is the reference of the format.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from proofs_check.userclaims.spec import TomlClaimError

__all__ = ["TomlClaimError", "module_for"]


def module_for(path: str | Path) -> ModuleType:
    """The claim of the TOML file ``path`` as a module (``CLAIM``, ``PAPER``); :class:`TomlClaimError`
    (one line naming the file and the key) when the file is not a valid claim."""
    from proofs_check.userclaims.claimfile import build_claim
    from proofs_check.userclaims.spec import load

    spec = load(path)
    module = ModuleType(f"proofs_check.userclaims.files.{Path(path).stem}", spec.title)
    module.CLAIM = build_claim(spec)  # type: ignore[attr-defined]
    if spec.paper is not None:
        module.PAPER = spec.paper  # type: ignore[attr-defined]
    return module
