"""The claim contract: provenance levels in verdicts, controls, --strict levels, mutants, plug-in claims."""

from __future__ import annotations

import json
import textwrap

import pytest
import toy_claims

from proofs_check import checks, cli, mutate, registry
from proofs_check.checks import Bound, Condition, Identity, Necessity
from proofs_check.claim import Claim, Mutant, RunRecord

ROWS_OK = [{"params": {"n": 1}, "predicted": 2.0, "observed": 1.0, "slack": 0.5}]
ROWS_BAD = [{"params": {"n": 1}, "predicted": 1.0, "observed": 2.0, "slack": 2.0}]


def _claim(level, make_checks, **kw):
    return Claim(id="toy0000.contract", paper="toy0000", source="test", title="t", statement_latex="t",
                 kind="bound", grid={"quick": [{"n": 1}]}, run=lambda p, s: {}, checks=make_checks, level=level,
                 **kw)


RUNS = [RunRecord("toy0000.contract", {"n": 1}, 0, "ok", {})]


@pytest.fixture(autouse=True)
def _toys(monkeypatch):
    monkeypatch.setenv("PROOFS_CHECK_CLAIM_MODULES", "toy_claims")


@pytest.mark.parametrize(("level", "word"), [("sourced", "refuted"), ("reconstructed", "not_reproduced"),
                                             ("observation", "not_reproduced")])
def test_a_violation_is_refuted_only_when_sourced(level, word):
    claim = _claim(level, lambda runs, k: [Bound(label="b", rows=ROWS_BAD, predicted="p", observed="o")])
    verdict, parts = checks.judge(claim, RUNS)
    assert verdict.verdict == word and parts[0].level == level


def test_a_sourced_part_of_a_reconstructed_claim_refutes():
    claim = _claim("reconstructed", lambda runs, k: [
        Bound(label="paper", rows=ROWS_BAD, predicted="p", observed="o", level="sourced"),
        Bound(label="ours", rows=ROWS_OK, predicted="p", observed="o")])
    assert checks.judge(claim, RUNS)[0].verdict == "refuted"


def test_a_failed_control_leaves_the_claim_inconclusive_whatever_else_fails():
    claim = _claim("sourced", lambda runs, k: [
        Condition(label="beats linear", ok=False, summary="15% vs 14%", predicted="p", observed="o", role="control"),
        Bound(label="claim", rows=ROWS_BAD, predicted="p", observed="o")])
    verdict, _ = checks.judge(claim, RUNS)
    assert verdict.verdict == "inconclusive" and "fails its control (beats linear)" in verdict.summary


def test_worst_part_wins_and_evidence_is_lifted():
    claim = _claim("reconstructed", lambda runs, k: [
        Identity(label="id", rows=[{"params": {}, "predicted": 1.0, "observed": 1.0}], predicted="p", observed="o",
                 evidence={"series": {"x": [1]}}),
        Necessity(label="blow-up", rows=[{"params": {"eta": 1}, "shown": True}], effect="divergence",
                  predicted="diverges", observed="loss"),
        Condition(label="undecided", ok=None, summary="budget", predicted="p", observed="o")])
    verdict, parts = checks.judge(claim, RUNS)
    assert verdict.verdict == "inconclusive" and [p.verdict.verdict for p in parts] == [
        "confirmed", "confirmed", "inconclusive"]
    assert verdict.evidence["series"] == {"x": [1]} and set(verdict.evidence["checks"]) == {"id", "blow-up",
                                                                                            "undecided"}


def test_failed_runs_make_the_claim_inconclusive_before_any_check():
    claim = _claim("sourced", lambda runs, k: pytest.fail("checks must not be called"))
    failed = [RunRecord("toy0000.contract", {"n": 1}, 0, "diverged", {}, "blew up")]
    assert checks.judge(claim, failed)[0].verdict == "inconclusive"


@pytest.mark.parametrize(("bad", "needle"), [
    (dict(level="proven"), "level must be one of"),
    (dict(run_constants=("C",)), "run_constants"),
    (dict(constants={"C": 1}, mutants=(Mutant("m", "d", {"D": 2}),)), "unknown constants"),
    (dict(constants={"C": 1}, mutants=(Mutant("m", "d", {"C": 2}), Mutant("m", "e", {"C": 3}))), "repeat"),
])
def test_bad_declarations_are_refused_by_name(bad, needle):
    kw = {"level": "sourced", **bad}
    level = kw.pop("level")
    with pytest.raises(ValueError, match=needle):
        _claim(level, lambda runs, k: [], **kw)


def test_run_constants_reach_the_runs_and_mutants_override_them():
    claim = _claim("sourced", lambda runs, k: [], constants={"C": 6144, "p": 3}, run_constants=("C",))
    assert claim.runs_for("quick") == [{"n": 1, "C": 6144}]
    assert claim.runs_for("quick", {"C": 0.6144}) == [{"n": 1, "C": 0.6144}]
    assert claim.runs_for("full") == []  # no standard grid listed: nothing to run


def test_strict_levels(tmp_path):
    verdicts = {"a": "refuted", "b": "not_reproduced", "c": "inconclusive", "d": "confirmed"}
    assert cli.failing(verdicts, "refuted") == ["a"]
    assert cli.failing(verdicts, "not_reproduced") == ["a", "b"]
    assert cli.failing(verdicts, "inconclusive") == ["a", "b", "c"]
    base = ["run", "toy0000.triangular_reconstructed", "--out", str(tmp_path), "--workers", "1", "--no-search"]
    assert cli.main([*base, "--strict"]) == 0
    assert cli.main([*base, "--strict", "not_reproduced"]) == 1


def test_mutate_catches_a_scaled_bound_and_feeds_the_power_column(tmp_path, capsys):
    ids = ["toy0000.sample_mean_bound", "toy0000.triangular_identity"]
    assert cli.main(["run", *ids, "--out", str(tmp_path), "--workers", "1", "--no-search"]) == 0
    assert cli.main(["mutate", *ids, "--out", str(tmp_path), "--workers", "1", "--no-pdf"]) == 0
    rows = json.loads((tmp_path / mutate.FILENAME).read_text())
    assert {(r["claim"], r["mutant"], r["caught"]) for r in rows} == {
        ("toy0000.sample_mean_bound", "bound_tenth", True), ("toy0000.triangular_identity", None, None)}
    assert "1 of 1 mutants caught" in capsys.readouterr().out
    md = (tmp_path / "report.md").read_text()
    assert "1/1 mutants caught" in md and "no mutants: already false" in md


def test_a_surviving_mutant_is_reported_as_a_finding():
    entry = {"verdict": "confirmed", "summary": "", "checks": [{"kind": "bound", "slack": {"max": 0.2}}]}
    assert "could be tightened" in mutate.finding(entry)
    assert "weak" in mutate.finding({"verdict": "confirmed", "summary": "", "checks": []})


def test_a_new_paper_joins_from_a_folder_without_editing_the_package(tmp_path, monkeypatch, capsys):
    (tmp_path / "mine2026_claims.py").write_text(textwrap.dedent('''
        from proofs_check.checks import Bound
        from proofs_check.claim import Claim, Mutant, Paper

        PAPER = Paper("mine2026", ("A. Researcher",), "My bound", "preprint", 2026)

        def run(params, seed):
            return {"x": params["n"] / (params["n"] + 1)}

        def checks(runs, k):
            return [Bound.of(runs, pred=lambda r: k["c"], obs="x", label="x", predicted="c", observed="n/(n+1)",
                             reason="exact in float64 up to round-off", rtol=1e-15)]

        CLAIM = Claim(id="mine2026.below_one", paper="mine2026", source="my Lemma 1", title="n/(n+1) < c",
                      statement_latex=r"\\frac{n}{n+1} \\le c", kind="bound", grid={"quick": [{"n": 1}, {"n": 9}]},
                      run=run, checks=checks, level="sourced", constants={"c": 1.0},
                      mutants=(Mutant("c_half", "c = 1/2", {"c": 0.5}),))
    '''))
    monkeypatch.setenv("PROOFS_CHECK_CLAIMS_PATH", "")
    out = tmp_path / "out"
    assert cli.main(["run", "mine2026.*", "--claims-path", str(tmp_path), "--out", str(out), "--workers", "1",
                     "--no-search"]) == 0
    data = json.loads((out / "results.json").read_text())
    (entry,) = data["claims"]
    assert entry["verdict"] == "confirmed" and entry["level"] == "sourced"
    assert data["bibliography"] == [{"key": "mine2026", "authors": ["A. Researcher"], "title": "My bound",
                                     "venue": "preprint", "year": 2026, "arxiv": None, "doi": None, "note": ""}]
    assert cli.main(["mutate", "mine2026.*", "--claims-path", str(tmp_path), "--out", str(out), "--workers", "1",
                     "--no-pdf"]) == 0
    assert json.loads((out / mutate.FILENAME).read_text())[0]["caught"] is True
    assert "mine2026.below_one" in {c.id for c in registry.all_claims()}


def test_a_missing_claims_path_is_a_usage_error(tmp_path, capsys):
    assert cli.main(["list", "--claims-path", str(tmp_path / "nope")]) == 2
    assert "--claims-path" in capsys.readouterr().err


def test_every_claim_declares_a_level_and_mutants_or_why_not():
    for claim in toy_claims.CLAIMS:
        assert claim.level in ("sourced", "reconstructed", "observation")
