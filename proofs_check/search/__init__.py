"""Counterexample search over claims' hypothesis spaces, and Arb certification of their instances.

* :mod:`proofs_check.search.space` — :class:`SearchSpace` / :class:`CertificateSpec` and
  their registry keyed by claim id (``spaces_<paper>.py`` modules);
* :mod:`proofs_check.search.engine` — :func:`search` (Hypothesis with ``target()``, shrinking,
  a resumable evaluation cache) and :func:`replay`;
* :mod:`proofs_check.search.certificates` — :func:`certify_claim` over a claim's runs;
* :mod:`proofs_check.search.pipeline` — searches and certificates for a whole results document;
* :mod:`proofs_check.search.results` — search and certification entries in ``results.json``
  and the report cells that show them;
* :mod:`proofs_check.search.cli` — ``proofs-check search`` (also ``python -m proofs_check.search``).

The names below are imported on first use, so that the report (which only needs
:mod:`proofs_check.search.results`) does not pay for Hypothesis and Arb.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Instance": "engine", "NoSearchSpace": "engine", "SearchResult": "engine", "replay": "engine",
    "search": "engine", "CertificateSpec": "space", "SearchSpace": "space", "certificate_for": "space",
    "space_for": "space",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
