"""Claim modules from outside ``proofs_check.claims`` (test fixtures, private claims).

``PROOFS_CHECK_CLAIM_MODULES`` holds comma-separated importable module names;
each exposes ``CLAIMS`` like a paper module, and the registry adds them to the
discovered claims. Worker processes import them by name too, so they must be
importable there (on ``sys.path`` / ``PYTHONPATH``).
"""

from __future__ import annotations

import os

ENV_VAR = "PROOFS_CHECK_CLAIM_MODULES"


def extra_claim_modules() -> tuple[str, ...]:
    """Module names listed in ``$PROOFS_CHECK_CLAIM_MODULES`` (empty entries ignored)."""
    return tuple(name.strip() for name in os.environ.get(ENV_VAR, "").split(",") if name.strip())
