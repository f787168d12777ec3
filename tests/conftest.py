"""Shared test setup: the toy claim modules in ``tests/fixtures`` are importable everywhere."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPO = FIXTURES.parent.parent

if str(FIXTURES) not in sys.path:  # in-process tests import toy_claims; spawned workers inherit sys.path
    sys.path.insert(0, str(FIXTURES))


@pytest.fixture
def toy_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a ``python -m proofs_check`` subprocess that sees the toy claims."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(FIXTURES), str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PROOFS_CHECK_CLAIM_MODULES"] = "toy_claims,toy_failing"
    env["TOY_MARKER_DIR"] = str(tmp_path / "markers")
    (tmp_path / "markers").mkdir()
    return env
