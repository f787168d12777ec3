"""The command line: exit codes, one-line errors, --help everywhere, --strict, derive."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import sympy

from proofs_check import cli

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _toy_registry(monkeypatch):
    monkeypatch.setenv("PROOFS_CHECK_CLAIM_MODULES", "toy_claims,toy_failing")


def _exit_code(argv: list[str]) -> int:
    try:
        return cli.main(argv)
    except SystemExit as exc:  # argparse's own exits (--help, bad choices)
        return int(exc.code)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["run", "toy0000.no_such_claim"], "matches no registered claim"),
        (["run", "nosuchpaper*"], "matches no registered claim"),
        (["run", "--profile", "medium"], "invalid choice: 'medium'"),
        (["run", "--workers", "0"], "positive integer"),
        (["run", "--workers", "two"], "positive integer"),
        (["run", "--seed", "1.5"], "invalid int value"),
        (["run", "--bogus"], "unrecognized arguments"),
        (["list", "--paper", "nobody2020"], "unknown paper"),
        (["report", "/nonexistent/dir"], "no results.json"),
        (["derive", "no_such_derivation"], "unknown derivation"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, needle, capsys, tmp_path):
    assert _exit_code([*argv[:1], *(["--out", str(tmp_path)] if argv[:1] == ["run"] else []), *argv[1:]]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err, err


def test_unreachable_scheduler_exits_2_before_any_work(capsys, tmp_path):
    argv = ["run", "toy0000.sample_mean_bound", "--out", str(tmp_path), "--scheduler", f"tcp://127.0.0.1:{_closed_port()}"]
    assert _exit_code(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach a Dask scheduler" in err
    assert not (tmp_path / "cache.sqlite").exists()


def test_malformed_results_file_exits_2(capsys, tmp_path):
    (tmp_path / "results.json").write_text('{"schema": "something/9", "claims": []}')
    assert _exit_code(["report", str(tmp_path)]) == 2
    assert "is not a results file of schema" in capsys.readouterr().err


@pytest.mark.parametrize("command", [[], ["list"], ["run"], ["report"], ["derive"]])
def test_every_command_has_help(command, capsys):
    assert _exit_code([*command, "--help"]) == 0
    assert "usage: proofs-check" in capsys.readouterr().out


def test_strict_exits_1_only_when_a_claim_is_refuted(capsys, tmp_path):
    refuted = ["run", "toy0000.triangular_identity", "--out", str(tmp_path), "--workers", "1"]
    assert _exit_code(refuted) == 0
    assert _exit_code([*refuted, "--strict"]) == 1
    out = capsys.readouterr().out
    assert "refuted: toy0000.triangular_identity" in out and "1 claims: 0 confirmed, 1 refuted (1 sourced)" in out
    assert _exit_code(["run", "toy0000.sample_*", "--out", str(tmp_path), "--workers", "1", "--strict"]) == 0


def test_list_filters_by_paper(capsys):
    assert _exit_code(["list", "--paper", "toy0000"]) == 0
    out = capsys.readouterr().out
    assert "toy0000.sample_mean_bound" in out and "Toy 2 (deliberately false)" in out


def test_derive_prints_pretty_and_latex_and_resolves_names(capsys, monkeypatch):
    x = sympy.Symbol("x")
    steps = {"toy0000.square": lambda: [("definition", sympy.Eq(sympy.Symbol("y"), x**2)), ("note", "plain text")],
             "toy0000.cube": lambda: [("definition", x**3)]}
    monkeypatch.setattr(cli, "_derivations", lambda: steps)
    assert _exit_code(["derive", "square"]) == 0
    out = capsys.readouterr().out
    assert "== toy0000.square ==" in out and "LaTeX: y = x^{2}" in out and "toy0000.cube" not in out
    assert _exit_code(["derive", "toy0000"]) == 0
    assert capsys.readouterr().out.count("== toy0000.") == 2
    assert _exit_code(["derive", "toy0000.cube"]) == 0 and "LaTeX: x^{3}" in capsys.readouterr().out


def test_real_derivations_are_discovered_with_paper_prefixes():
    names = cli._derivations()
    assert all(name.split(".", 1)[0] and "." in name for name in names)


def test_bad_input_in_a_subprocess_has_no_traceback(toy_env):
    proc = subprocess.run([sys.executable, "-m", "proofs_check", "run", "toy0000.nope*"], env=toy_env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr and proc.stdout == ""


def test_a_claim_module_that_fails_to_import_is_one_line_exit_2(capsys, monkeypatch):
    monkeypatch.setenv("PROOFS_CHECK_CLAIM_MODULES", "no_such_claims_module")
    assert cli.main(["list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no_such_claims_module" in err and "failed to import" in err
