"""Claims from outside ``proofs_check.claims``: installed plug-ins, folders, module names.

Three routes, each importing (or, for TOML, interpreting) code the user supplies, which
must therefore be trusted like any Python module:

* the entry-point group ``proofs_check.claims``: an installed package names a module or
  package of claims (``[project.entry-points."proofs_check.claims"] mine = "mypkg.claims"``);
* ``--claims-path DIR`` (repeatable), also ``$PROOFS_CHECK_CLAIMS_PATH`` (``os.pathsep``
  separated): every ``*.py`` and ``*.toml`` claim file in DIR. The folder is put on
  ``sys.path`` so that worker processes import the same modules by name;
* ``$PROOFS_CHECK_CLAIM_MODULES``: comma-separated importable module names.

A module exposes ``CLAIM`` (one claim) or ``CLAIMS`` (several), and may expose ``PAPER``
(its :class:`~proofs_check.claim.Paper`); a package exposes ``PAPER`` and holds one claim
per module, like the built-in paper packages.
"""

from __future__ import annotations

import os
from importlib.metadata import entry_points
from pathlib import Path

ENV_VAR = "PROOFS_CHECK_CLAIM_MODULES"
PATH_VAR = "PROOFS_CHECK_CLAIMS_PATH"
ENTRY_POINT_GROUP = "proofs_check.claims"


def extra_claim_modules() -> tuple[str, ...]:
    """Module names listed in ``$PROOFS_CHECK_CLAIM_MODULES`` (empty entries ignored)."""
    return tuple(name.strip() for name in os.environ.get(ENV_VAR, "").split(",") if name.strip())


def claim_paths() -> tuple[str, ...]:
    """Folders listed in ``$PROOFS_CHECK_CLAIMS_PATH``, as absolute paths."""
    return tuple(str(Path(p).resolve()) for p in os.environ.get(PATH_VAR, "").split(os.pathsep) if p.strip())


def add_claim_paths(folders: list[str]) -> None:
    """Append ``folders`` to ``$PROOFS_CHECK_CLAIMS_PATH`` (inherited by worker processes).

    Raises ``ValueError`` naming the folder when one does not exist.
    """
    for folder in folders:
        if not Path(folder).is_dir():
            raise ValueError(f"--claims-path: {folder!r} is not a folder")
    joined = [*claim_paths(), *(str(Path(f).resolve()) for f in folders)]
    os.environ[PATH_VAR] = os.pathsep.join(dict.fromkeys(joined))


def entry_point_modules() -> tuple[str, ...]:
    """Module names that installed packages declare in the ``proofs_check.claims`` group."""
    return tuple(sorted(ep.value.split(":")[0] for ep in entry_points(group=ENTRY_POINT_GROUP)))
