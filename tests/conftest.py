"""Shared test setup: the toy claim modules in ``tests/fixtures`` are importable everywhere."""

from __future__ import annotations

import os
import shutil
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


REQUIRE_PDFLATEX = "LINTHEORY_REQUIRE_PDFLATEX"
_NO_PDFLATEX = ("pdflatex is not on PATH (install texlive-latex-base and texlive-latex-recommended to run the PDF "
                f"tests; {REQUIRE_PDFLATEX}=1 makes its absence a failure)")


def pdflatex_available() -> bool:
    """Whether the PDF tests can compile; a failure instead of ``False`` when CI requires pdflatex."""
    if shutil.which("pdflatex"):
        return True
    if os.environ.get(REQUIRE_PDFLATEX) == "1":
        pytest.fail(_NO_PDFLATEX, pytrace=False)
    return False


@pytest.fixture
def pdflatex() -> bool:
    """True when pdflatex is on PATH; tests build the PDF only then."""
    return pdflatex_available()


@pytest.fixture
def needs_pdflatex() -> None:
    """Skip a test that is about the PDF when pdflatex is missing (fail under LINTHEORY_REQUIRE_PDFLATEX=1)."""
    if not pdflatex_available():
        pytest.skip(_NO_PDFLATEX)
