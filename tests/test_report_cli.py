"""The commands around the report: run --json/--quiet, list --json/--out, diff, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_docs import document

from proofs_check import cli, results


@pytest.fixture(autouse=True)
def _toy_registry(monkeypatch):
    monkeypatch.setenv("PROOFS_CHECK_CLAIM_MODULES", "toy_claims")


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """One real run of two toy claims, through ``run --json --quiet``."""
    import os

    out = tmp_path_factory.mktemp("run")
    old = os.environ.get("PROOFS_CHECK_CLAIM_MODULES")
    os.environ["PROOFS_CHECK_CLAIM_MODULES"] = "toy_claims"
    try:
        from contextlib import redirect_stderr, redirect_stdout
        from io import StringIO

        stdout, stderr = StringIO(), StringIO()
        with redirect_stdout(stdout), redirect_stderr(stderr):
            code = cli.main(["run", "toy0000.sample_mean_bound", "toy0000.triangular_identity", "--out", str(out),
                             "--workers", "1", "--no-search", "--json", "--quiet"])
    finally:
        if old is None:
            del os.environ["PROOFS_CHECK_CLAIM_MODULES"]
        else:
            os.environ["PROOFS_CHECK_CLAIM_MODULES"] = old
    assert code == 0 and stderr.getvalue() == ""  # --quiet: nothing on stderr
    return out, json.loads(stdout.getvalue())


def test_run_json_is_the_outcome_for_scripts(toy_run: tuple[Path, dict]) -> None:
    out, doc = toy_run
    assert doc["verdicts"] == {"toy0000.sample_mean_bound": "confirmed", "toy0000.triangular_identity": "refuted"}
    assert doc["counts"]["refuted"] == 1 and doc["runs"]["failed"] == 0
    assert doc["levels"]["toy0000.sample_mean_bound"] == "sourced"
    assert Path(doc["results"]) == out / "results.json"
    assert str(out / "report.html") in doc["reports"] and str(out / "report.md") in doc["reports"]


def test_list_json_with_the_last_verdicts(toy_run: tuple[Path, dict], capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = toy_run
    assert cli.main(["list", "--json", "--out", str(out)]) == 0
    listed = {c["id"]: c for c in json.loads(capsys.readouterr().out)}
    assert listed["toy0000.triangular_identity"]["verdict"] == "refuted"
    assert listed["toy0000.noisy_power_law"]["verdict"] is None  # not in that run
    assert listed["toy0000.sample_mean_bound"]["level"] == "sourced"
    assert cli.main(["list", "--out", str(out)]) == 0
    assert "refuted (sourced)" in capsys.readouterr().out
    assert cli.main(["list", "--out", str(out / "nothing")]) == 2
    assert "--out: no results.json" in capsys.readouterr().err


def _write(folder: Path, doc: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return results.write(folder, doc)


def test_diff_reports_verdict_slack_new_and_removed_and_strict_exit(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    a = document(4)
    b = json.loads(json.dumps(a))
    b["claims"][0]["verdict"] = "refuted"  # confirmed -> refuted: worse
    b["claims"][1]["verdict"] = "confirmed"  # refuted -> confirmed: better
    b["claims"][2]["evidence"]["slack"]["min"] *= 1.5
    b["claims"][3]["evidence"]["slack"]["min"] *= 1.001  # within the default 1%
    removed = b["claims"].pop()
    b["claims"].append({**removed, "id": "toy0000.brand_new"})
    _write(tmp_path / "a", a)
    file_b = _write(tmp_path / "b", b)
    assert cli.main(["diff", str(tmp_path / "a"), str(file_b)]) == 0
    text = capsys.readouterr().out
    assert "verdict: confirmed -> refuted WORSE" in text and "verdict: refuted -> confirmed" in text
    assert "toy0000.claim_02_with_a_long_name  slack:" in text and "claim_03_with_a_long_name  slack" not in text
    assert "new: toy0000.brand_new" in text and "removed: toy0000.claim_03_with_a_long_name" in text
    assert "(1 verdicts worse)" in text
    assert cli.main(["diff", str(tmp_path / "a"), str(file_b), "--strict", "--json"]) == 1
    found = json.loads(capsys.readouterr().out)
    assert found["worse"] == 1 and found["added"] == ["toy0000.brand_new"]
    assert cli.main(["diff", str(tmp_path / "a"), str(tmp_path / "a"), "--strict"]) == 0
    assert "0 changes" in capsys.readouterr().out
    assert cli.main(["diff", str(tmp_path / "a"), str(tmp_path / "missing.json")]) == 2
    assert cli.main(["diff", str(tmp_path / "a"), str(tmp_path / "a"), "--slack-rtol", "-1"]) == 2


def test_export_writes_a_latex_table_and_figures(toy_run: tuple[Path, dict], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = toy_run
    to = tmp_path / "paper"
    assert cli.main(["export", "toy0000.sample_mean_bound", "--from", str(out), "--to", str(to)]) == 0
    names = sorted(p.name for p in to.iterdir())
    assert names == ["toy0000-sample-mean-bound-means.pdf", "toy0000-sample-mean-bound-means.png",
                     "toy0000-sample-mean-bound-table.tex"]
    tex = (to / "toy0000-sample-mean-bound-table.tex").read_text()
    assert r"\begin{table}" in tex and r"\toprule" in tex and "confirmed (sourced)" in tex
    assert (to / "toy0000-sample-mean-bound-means.pdf").read_bytes().startswith(b"%PDF")
    assert cli.main(["export", "toy0000.sample_mean_bound", "--from", str(out), "--to", str(tmp_path / "t"),
                     "--latex"]) == 0
    assert [p.name for p in (tmp_path / "t").iterdir()] == ["toy0000-sample-mean-bound-table.tex"]
    capsys.readouterr()
    assert cli.main(["export", "toy0000.nope", "--from", str(out)]) == 2
    assert "is not in" in capsys.readouterr().err
