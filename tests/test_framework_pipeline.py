"""The whole pipeline in process: grids -> pool -> cache -> verdicts -> results.json -> reports."""

from __future__ import annotations

import json
from pathlib import Path
import shutil
import sqlite3

import pytest
import toy_claims
import toy_failing
from results_compare import comparable

from proofs_check import report, results
from proofs_check.report import atomic
from proofs_check.runner import params_key, run_claims, run_seed

KNOWN = {"toy0000.sample_mean_bound": "confirmed", "toy0000.triangular_identity": "refuted",
         "toy0000.noisy_power_law": "inconclusive"}
KNOWN_CLAIMS = tuple(c for c in toy_claims.CLAIMS if c.id in KNOWN)


def test_known_verdicts_reach_results_and_every_report(tmp_path, monkeypatch):
    res = run_claims(KNOWN_CLAIMS, "quick", tmp_path, workers=2, seed=0)
    assert res.verdicts == KNOWN
    assert res.warnings == ()  # figures drawn and report.pdf compiled by pdflatex
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk == json.loads(results.dumps(res.data))
    assert on_disk["schema"] == "proofs_check.results/2" and on_disk["provenance"]["profile"] == "quick"
    bound = next(c for c in on_disk["claims"] if c["id"] == "toy0000.sample_mean_bound")
    assert 0 < bound["evidence"]["slack"]["max"] <= 1 and bound["runs"] == 3
    assert bound["symbolic"] == {"bound": "1"} and bound["figures"][0]["name"] == "means"
    scaling = next(c for c in on_disk["claims"] if c["id"] == "toy0000.noisy_power_law")
    assert scaling["evidence"]["fit"]["ci95"][0] < 1.0 < scaling["evidence"]["fit"]["ci95"][1]

    md = (tmp_path / "report.md").read_text()
    summary = md.split("## Provenance")[0]  # the summary table comes first
    for claim_id, verdict in KNOWN.items():
        assert any(claim_id in line and f"**{verdict} (sourced)**" in line for line in summary.splitlines())
        assert f"## {claim_id}:" in md
    assert "git_commit" in md and "Slack (observed / predicted)" in md and "figures/" in md
    tex = (tmp_path / "report.tex").read_text()
    assert r"\toprule" in tex and r"\frac{1}{n}\sum_{i=1}^n u_i" in tex and "git\\_commit" in tex
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    for ext in ("png", "pdf"):
        assert (tmp_path / "figures" / f"toy0000-sample-mean-bound-means.{ext}").stat().st_size > 0

    # `proofs-check report DIR` rebuilds the same reports from results.json alone
    monkeypatch.setenv("PROOFS_CHECK_CLAIM_MODULES", "toy_claims")
    (tmp_path / "report.md").unlink()
    from proofs_check.cli import main

    assert main(["report", str(tmp_path), "--no-pdf"]) == 0
    assert (tmp_path / "report.md").read_text() == md

    # without the claim's module, the earlier drawing is reused; stale figures of this scheme are pruned
    (tmp_path / "figures" / "toy0000-renamed-claim-old.png").write_bytes(b"stale")
    (tmp_path / "figures" / "my-notes.txt").write_text("not ours")
    built = report.build(tmp_path, on_disk, lambda cid: (), pdf=False)
    assert built.warnings == () and (tmp_path / "report.md").read_text() == md
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "my-notes.txt", "toy0000-noisy-power-law-predicted-observed.pdf",
        "toy0000-noisy-power-law-predicted-observed.png", "toy0000-sample-mean-bound-means.pdf",
        "toy0000-sample-mean-bound-means.png", "toy0000-triangular-identity-predicted-observed.pdf",
        "toy0000-triangular-identity-predicted-observed.png"]


def test_failing_runs_are_recorded_and_never_stop_the_sweep(tmp_path):
    claims = toy_failing.CLAIMS + KNOWN_CLAIMS[:1]
    res = run_claims(claims, "quick", tmp_path, workers=2)
    entry = {c["id"]: c for c in res.data["claims"]}
    failing = entry["toy0000.partly_failing"]
    assert failing["verdict"] == "inconclusive" and failing["runs"] == 6 and failing["failed_runs"] == 3
    errors = {f["params"]["action"]: (f["status"], f["error"]) for f in failing["failures"]}
    assert errors["raise"][0] == "error" and "ZeroDivisionError" in errors["raise"][1]
    assert errors["diverge"][0] == "diverged"
    assert "worker process died" in errors["crash"][1]
    assert "checks() failed: KeyError" in entry["toy0000.judge_raises"]["summary"]
    assert entry["toy0000.judge_raises"]["verdict"] == "inconclusive"
    assert "grid is broken" in entry["toy0000.bad_grid"]["summary"]
    assert entry["toy0000.sample_mean_bound"]["verdict"] == "confirmed"

    with sqlite3.connect(tmp_path / "cache.sqlite") as db:
        statuses = dict(db.execute("SELECT status, COUNT(*) FROM runs GROUP BY status").fetchall())
    assert statuses == {"ok": 3 + 1 + 3, "error": 2, "diverged": 1}
    again = run_claims(claims, "quick", tmp_path, workers=2)
    assert (again.computed, again.cached) == (3, 7)  # only the failed runs are retried
    assert comparable(again.data) == comparable(res.data)


def test_same_seed_gives_identical_results_and_another_seed_does_not(tmp_path):
    claims = [c for c in toy_claims.CLAIMS if c.id in ("toy0000.sample_mean_bound", "toy0000.slow_counter")]
    a = run_claims(claims, "quick", tmp_path / "a", workers=2, seed=5, reports=False)
    b = run_claims(claims, "quick", tmp_path / "b", workers=1, seed=5, reports=False)
    c = run_claims(claims, "quick", tmp_path / "c", workers=2, seed=6, reports=False)
    assert comparable(tmp_path / "a" / "results.json") == comparable(tmp_path / "b" / "results.json")
    assert comparable(a.data) == comparable(b.data)
    assert comparable(a.data)["claims"] != comparable(c.data)["claims"]
    # the seed of a run depends on the global seed, the claim id and the parameters only
    swapped = params_key({"m": 2, "n": 1})
    assert run_seed(5, "toy0000.x", params_key({"n": 1, "m": 2})) == run_seed(5, "toy0000.x", swapped)
    assert len({run_seed(s, "toy0000.x", "{}") for s in range(100)}) == 100


def test_fresh_recomputes_and_code_edits_invalidate_the_cache(tmp_path, monkeypatch):
    claims = KNOWN_CLAIMS[:1]
    run_claims(claims, "quick", tmp_path, workers=1, reports=False)
    assert run_claims(claims, "quick", tmp_path, workers=1, reports=False).computed == 0
    assert run_claims(claims, "quick", tmp_path, workers=1, reports=False, fresh=True).computed == 3
    from proofs_check import provenance

    monkeypatch.setattr(provenance, "code_version", lambda run: "edited")
    assert run_claims(claims, "quick", tmp_path, workers=1, reports=False).computed == 3


NASTY = {
    "schema": results.SCHEMA,
    "provenance": {"profile": "quick", "seed": 0, "git_commit": "abc+dirty", "packages": {"numpy": "2"}},
    "claims": [{
        "id": "toy0000.nasty_text_100%", "paper": "toy0000", "source": "Thm 1 & Eq. #2 {reconstructed}",
        "title": "η_k ≤ 2/L — with ~, ^, \\, <, > and |x|", "statement_latex": r"For all $k$, $\eta_k \le 2/L$ – ≥ η.",
        "kind": "bound", "verdict": "refuted", "summary": "worst {n=3}: observed 5 > predicted 4 (100% over)",
        "predicted": "|x| <= 2 log(1/eps)", "observed": "T_eps", "tolerance": "rtol=1e-12 (float64)",
        "arithmetic": "mpmath:dps=50", "runs": 100, "failed_runs": 1, "seconds": 1.0,
        "failures": [{"params": {"n": 7}, "status": "error", "error": "KeyError: 'x_1' (at a_b.py:3 in f)"}],
        "evidence": {"table": [{"params": {"widths": [i, 2], "eta": 0.1}, "predicted": 4.0, "observed": None,
                                "slack": None, "status": "diverged", "extra_list": list(range(30))}
                               for i in range(100)],
                     "slack": {"min": 0.1, "median": 0.5, "max": 1.25}, "violations": [{"widths": [3, 2]}],
                     "fit": {"exponent": 1.0, "ci95": [0.9, 1.1], "n": 5, "expected": 1.0, "sense": "at_most"}},
        "symbolic": {"eta_max": r"\frac{2}{L}", "rate": r"\min\left(1, \rho\right)"},
        "figures": [], "notes": ["a note with $ and _"],
    }],
}


def test_latex_report_compiles_with_hostile_text_and_caps_long_tables(tmp_path):
    assert shutil.which("pdflatex"), "pdflatex is required (texlive-latex-base, texlive-latex-recommended)"
    built = report.build(tmp_path, NASTY, lambda cid: (), pdf=True)
    assert built.warnings == (), built.warnings
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    md = (tmp_path / "report.md").read_text()
    assert "100 rows; the first 12 and last 12 are shown" in md
    assert md.count("| diverged") == 24


def test_a_failed_write_leaves_the_previous_file_intact(tmp_path):
    target = tmp_path / "report.md"
    atomic.write_text(target, "good report\n")
    with pytest.raises(RuntimeError), atomic.replacing(target) as tmp:
        tmp.write_text("half a rep")
        raise RuntimeError("crash while writing")
    assert target.read_text() == "good report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_a_pdflatex_failure_is_a_warning_and_keeps_the_old_pdf(tmp_path):
    (tmp_path / "bad.tex").write_text("\\documentclass{article}\\begin{document}\\undefinedmacro\\end{document}\n")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF old")
    problem = report.compile_pdf(tmp_path / "bad.tex")
    assert problem is not None and "Undefined control sequence" in problem
    assert (tmp_path / "bad.pdf").read_bytes() == b"%PDF old"


def test_pdf_compiles_from_a_relative_output_folder(tmp_path, monkeypatch):
    """The default --out is relative (reports/<profile>): pdflatex must still find its build folder."""
    from proofs_check.report import compile_pdf

    folder = tmp_path / "reports" / "standard"
    folder.mkdir(parents=True)
    (folder / "report.tex").write_text("\\documentclass{article}\\begin{document}ok\\end{document}\n")
    monkeypatch.chdir(tmp_path)
    assert compile_pdf(Path("reports/standard/report.tex")) is None
    assert (folder / "report.pdf").exists()
