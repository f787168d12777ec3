"""Every example in docs/ runs: python blocks as scripts, bash blocks line by line, files written first."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
ORDER = ("contract.md", "tutorial.md", "cli.md", "results.md")  # later pages use what earlier ones made
_BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks(page: str) -> list[tuple[str, str, str]]:
    """(language, info after it, code) of each fenced block."""
    return [(m.group(1), m.group(2).strip(), m.group(3)) for m in _BLOCK.finditer(page)]


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A scratch folder and an environment where ``proofs-check`` is this checkout's."""
    work = tmp_path_factory.mktemp("docs")
    bin_dir = work / ".bin"
    bin_dir.mkdir()
    shim = bin_dir / "proofs-check"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m proofs_check "$@"\n')
    shim.chmod(0o755)
    pytest_shim = bin_dir / "pytest"
    pytest_shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pytest -p no:cacheprovider "$@"\n')
    pytest_shim.chmod(0o755)
    repo = str(DOCS.parent)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": os.pathsep.join([repo, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    env.pop("PROOFS_CHECK_CLAIM_MODULES", None)
    env.pop("PROOFS_CHECK_CLAIMS_PATH", None)
    return work, env


def test_the_pages_exist_and_have_examples() -> None:
    assert {*ORDER, "README.md"} <= {p.name for p in DOCS.glob("*.md")}
    for name in ORDER:
        assert blocks((DOCS / name).read_text()), name


@pytest.mark.parametrize("name", ORDER)
def test_every_example_runs(name: str, shell: tuple[Path, dict[str, str]]) -> None:
    work, env = shell
    for i, (lang, info, code) in enumerate(blocks((DOCS / name).read_text())):
        if info.startswith("file="):
            target = work / info.removeprefix("file=")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(code)
            continue
        if lang == "python":
            script = work / f".{name}-{i}.py"
            script.write_text(code)
            proc = subprocess.run([sys.executable, str(script)], cwd=work, env=env, capture_output=True, text=True,
                                  timeout=600, check=False)
            assert proc.returncode == 0, f"{name} block {i}:\n{code}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
        elif lang == "bash":
            for line in code.splitlines():
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                proc = subprocess.run(["bash", "-c", line], cwd=work, env=env, capture_output=True, text=True,
                                      timeout=600, check=False)
                assert proc.returncode == 0, f"{name}: {line}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
