"""The packages type-check: mypy, configured in pyproject.toml, reports no error in lintheory and proofs_check."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_mypy_reports_no_error() -> None:
    api = pytest.importorskip("mypy.api", reason="mypy is not installed (pip install -e '.[test]' installs it)")
    # the packages of this checkout, named explicitly: the configured `files` are relative to the working directory
    stdout, stderr, status = api.run(["--config-file", str(REPO / "pyproject.toml"),
                                      str(REPO / "lintheory"), str(REPO / "proofs_check")])
    assert status == 0, stdout + stderr
    assert stdout.startswith("Success: no issues found"), stdout
