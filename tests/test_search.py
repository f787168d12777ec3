"""Counterexample search, claim certification and their place in results.json."""

from __future__ import annotations

import json
import math
import shlex

import pytest
from hypothesis import strategies as st

import toy_search_claims as toys
from proofs_check.claim import RunFailed
from proofs_check.search import Instance, NoSearchSpace, SearchSpace, replay, search
from proofs_check.search.certificates import certify_claim, grid_instances
from proofs_check.search.cli import main as search_main
from proofs_check.search.engine import WORST_REL
from proofs_check.search.pipeline import with_certificates, with_searches
from proofs_check.search.results import (
    apply_saved,
    attach_search,
    certification_cell,
    load_searches,
    save_search,
    search_cell,
)

CLAIMS = {c.id: c for c in toys.CLAIMS}
HALVED = CLAIMS["toy0000.product_norm_bound_halved"]
TRUE_BOUND = CLAIMS["toy0000.product_norm_bound"]


@pytest.fixture
def toy_registry(monkeypatch):
    monkeypatch.setenv("PROOFS_CHECK_CLAIM_MODULES", "toy_search_claims")


def _stable(result):
    data = result.to_json()
    for key in ("seconds", "cached", "evaluations"):
        data.pop(key)
    return data


def test_planted_false_bound_is_refuted_and_the_shrunk_instance_reproduces_it(toy_registry, capsys):
    result = search(HALVED, budget=20, seed=0)
    assert result.violated
    assert result.examples <= 20
    assert result.shrunk_score > 1.0 + 1e-12
    evaluation, violated = replay(HALVED, result.shrunk)
    assert violated and evaluation.score == result.shrunk_score
    # Shrunk: no coordinate of the instance can be made simpler and still violate.
    assert result.shrunk.params["k"] == 1 and result.shrunk.seed == 0
    # The printed command reruns exactly that instance.
    argv = shlex.split(result.command)
    assert argv[:3] == ["python", "-m", "proofs_check.search"]
    assert search_main(argv[3:]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["violated"] and printed["score"] == result.shrunk_score
    assert printed["params"] == result.shrunk.params


def test_true_bound_survives_and_records_budget_and_worst_score():
    result = search(TRUE_BOUND, budget=25, seed=3)
    assert not result.violated
    assert result.budget == 25 and 0 < result.examples <= 25
    assert result.best_score <= 1.0 + 1e-12
    # The worst instance is shrunk to one (almost) as bad.
    assert result.shrunk is not None
    assert result.shrunk_score >= result.best_score - WORST_REL * abs(result.best_score)
    assert "no violation" in result.summary()


def test_search_is_deterministic_for_a_seed_and_budget():
    first = search(TRUE_BOUND, budget=15, seed=7)
    again = search(TRUE_BOUND, budget=15, seed=7)
    assert _stable(first) == _stable(again)


def test_search_resumes_from_its_evaluation_cache(tmp_path):
    first = search(TRUE_BOUND, budget=15, seed=2, out_dir=tmp_path)
    assert first.evaluations > 0
    lines = (tmp_path / "search" / f"{TRUE_BOUND.id}.evals.jsonl").read_text().splitlines()
    assert len(lines) == first.evaluations
    resumed = search(TRUE_BOUND, budget=15, seed=2, out_dir=tmp_path)
    assert resumed.evaluations == 0
    assert _stable(resumed) == _stable(first)
    fresh = search(TRUE_BOUND, budget=15, seed=2, out_dir=tmp_path, fresh=True)
    assert fresh.evaluations == first.evaluations


def test_shrinking_respects_its_budget():
    unshrunk = search(HALVED, budget=20, seed=5, shrink_budget=0)
    assert unshrunk.violated
    assert unshrunk.evaluations <= unshrunk.examples


def _raise_when_large(params, seed):
    if params["x"] > 0.75:
        raise RunFailed("diverged", status="diverged")
    return {"x": params["x"]}


def _score_x(value):
    return value["x"]


def test_failed_runs_are_violations_only_when_the_space_says_so():
    strategy = st.fixed_dictionaries({"x": st.floats(0.0, 1.0)})
    lenient = SearchSpace(strategy, _score_x, "x", evaluate=_raise_when_large, seeded=False, threshold=2.0)
    strict = SearchSpace(strategy, _score_x, "x", evaluate=_raise_when_large, seeded=False, threshold=2.0,
                         failure_score=math.inf)
    calm = search(TRUE_BOUND, budget=40, seed=0, space=lenient)
    assert not calm.violated and calm.failed > 0
    broken = search(TRUE_BOUND, budget=40, seed=0, space=strict)
    assert broken.violated
    assert broken.shrunk.params["x"] > 0.75


def test_onset_maps_where_failure_sets_in():
    space = SearchSpace(st.fixed_dictionaries({"x": st.floats(0.0, 1.0)}), _score_x, "x",
                        evaluate=lambda p, s: {"x": p["x"]}, seeded=False, threshold=0.5, onset="x")
    result = search(TRUE_BOUND, budget=30, seed=1, space=space, shrink_budget=30)
    onset = result.onset
    assert onset["parameter"] == "x"
    assert onset["first_fail"] > 0.5 and (onset["last_pass"] is None or onset["last_pass"] <= 0.5)


def test_bad_arguments_are_rejected_before_work():
    with pytest.raises(ValueError, match="budget"):
        search(TRUE_BOUND, budget=-1)
    with pytest.raises(ValueError, match="seed"):
        search(TRUE_BOUND, budget=1, seed=-2)
    with pytest.raises(NoSearchSpace):
        search(CLAIMS["toy0000.frobenius_identity"], budget=1)
    with pytest.raises(ValueError, match="instance"):
        Instance.from_json({"seed": 1})
    with pytest.raises(ValueError, match="seed"):
        Instance.from_json({"params": {}, "seed": -1})


def test_cli_usage_errors_and_strict_exit(toy_registry, tmp_path, capsys):
    assert search_main(["toy0000.frobenius_identity", "--out", str(tmp_path)]) == 2
    assert search_main(["toy0000.no_such_claim", "--out", str(tmp_path)]) == 2
    assert search_main(["toy0000.product_norm_bound_halved", "--budget", "-3"]) == 2
    assert search_main(["toy0000.product_norm_bound_halved", "--budget", "10", "--out", str(tmp_path),
                        "--strict"]) == 1
    out = capsys.readouterr().out
    assert "violation found" in out and "rerun: python -m proofs_check.search" in out
    assert "toy0000.product_norm_bound_halved" in load_searches(tmp_path)


def _entry(claim_id, verdict="confirmed"):
    return {"id": claim_id, "verdict": verdict, "summary": "holds in all 2 instances", "evidence": {"table": []}}


def test_a_search_violation_refutes_the_claim_and_keeps_the_grid_verdict(tmp_path):
    result = search(HALVED, budget=10, seed=0).to_json()
    entry = attach_search(_entry(HALVED.id), result)
    assert entry["verdict"] == "refuted"
    assert entry["evidence"]["grid_verdict"]["verdict"] == "confirmed"
    assert entry["evidence"]["counterexample"]["command"] == result["command"]
    assert search_cell(entry).startswith("violation")
    again = attach_search(entry, result)  # idempotent: the grid verdict is not overwritten
    assert again["evidence"]["grid_verdict"]["verdict"] == "confirmed"
    save_search(tmp_path, result)
    data = apply_saved({"claims": [_entry(HALVED.id), _entry(TRUE_BOUND.id)]}, tmp_path)
    verdicts = {c["id"]: c["verdict"] for c in data["claims"]}
    assert verdicts == {HALVED.id: "refuted", TRUE_BOUND.id: "confirmed"}
    assert search_cell(_entry(TRUE_BOUND.id)) == "not searched"


def test_runner_then_search_refutes_what_the_grid_confirmed(toy_registry, tmp_path):
    from proofs_check.runner import run_claims

    chosen = [HALVED, TRUE_BOUND]
    data = run_claims(chosen, "quick", tmp_path, workers=1, reports=False).data
    assert {c["id"]: c["verdict"] for c in data["claims"]}[HALVED.id] == "confirmed"
    data = with_searches(data, chosen, "quick", tmp_path, budget=10)
    by_id = {c["id"]: c for c in data["claims"]}
    assert by_id[HALVED.id]["verdict"] == "refuted"
    assert by_id[TRUE_BOUND.id]["verdict"] == "confirmed"
    assert not by_id[TRUE_BOUND.id]["search"]["violated"]
    assert (tmp_path / "search" / f"{HALVED.id}.json").exists()


def test_claim_certification_certifies_identities_and_not_ties():
    identity = CLAIMS["toy0000.frobenius_identity"]
    cert = certify_claim(identity, grid_instances(identity, "quick", 0))
    assert cert.status == "certified"
    assert all(row["certificate"]["radius"] < 1e-40 for row in cert.instances)
    tie = CLAIMS["toy0000.cauchy_schwarz_tie"]
    undecided = certify_claim(tie, grid_instances(tie, "quick", 0), prec=64)
    assert undecided.status == "not certified"
    assert undecided.summary().startswith("not certified at prec 64")
    data = with_certificates({"claims": [_entry(identity.id), _entry(tie.id), _entry(TRUE_BOUND.id)]},
                             [identity, tie, TRUE_BOUND], "quick", prec=64)
    cells = {c["id"]: certification_cell(c) for c in data["claims"]}
    assert cells[identity.id].startswith("certified")
    assert cells[tie.id].startswith("not certified")
    assert cells[TRUE_BOUND.id] == "numerically checked"


def _declared():
    """The built-in claims that declare a search space and those that declare a certificate (in their files)."""
    from proofs_check import registry

    claims = registry.all_claims()
    return sorted(c.id for c in claims if c.search), sorted(c.id for c in claims if c.certificate)


@pytest.mark.parametrize("claim_id", _declared()[0])
def test_every_declared_space_runs_and_its_score_reads_the_run(claim_id, tmp_path):
    from proofs_check import registry

    claim = registry.get(claim_id)  # a declaration for an unknown claim id fails here
    result = search(claim, budget=2, seed=0, out_dir=tmp_path, shrink_budget=2)
    assert result.examples >= 1
    rows = [json.loads(line)["evaluation"] for line in
            (tmp_path / "search" / f"{claim_id}.evals.jsonl").read_text().splitlines()]
    unreadable = [row["error"] for row in rows if (row["error"] or "").startswith("score:")]
    assert not unreadable


@pytest.mark.parametrize("claim_id", _declared()[1])
def test_every_declared_certificate_evaluates_a_quick_instance(claim_id):
    from proofs_check import registry

    claim = registry.get(claim_id)
    cert = certify_claim(claim, grid_instances(claim, "quick", 0)[:1])
    assert cert.counts["error"] == 0, cert.instances


def test_cli_run_fills_the_search_and_certification_columns(toy_registry, tmp_path, capsys):
    from proofs_check.cli import main as cli_main

    out = tmp_path / "out"
    args = ["run", "toy0000.product_norm_bound*", "toy0000.frobenius_identity", "--out", str(out),
            "--workers", "1", "--search-budget", "5", "--certify", "--strict"]
    assert cli_main(args) == 1  # the search refutes the planted claim
    data = json.loads((out / "results.json").read_text())
    by_id = {c["id"]: c for c in data["claims"]}
    assert by_id[HALVED.id]["verdict"] == "refuted"
    assert by_id["toy0000.frobenius_identity"]["certification"]["status"] == "certified"
    report = (out / "report.md").read_text()
    assert "| Search" in report and "| Certification" in report
    assert "numerically checked" in report and "violation (2 > 1)" in report
    # a later run without searching keeps the saved search
    assert cli_main(["run", HALVED.id, "--out", str(out), "--workers", "1", "--no-search"]) == 0
    again = json.loads((out / "results.json").read_text())
    assert {c["id"]: c["verdict"] for c in again["claims"]}[HALVED.id] == "refuted"


def test_cached_evaluations_of_other_code_are_not_reused(tmp_path):
    first = search(TRUE_BOUND, budget=5, seed=4, out_dir=tmp_path)
    path = tmp_path / "search" / f"{TRUE_BOUND.id}.evals.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    path.write_text("".join(json.dumps({**row, "version": "other code"}) + "\n" for row in rows))
    again = search(TRUE_BOUND, budget=5, seed=4, out_dir=tmp_path)
    assert again.evaluations == first.evaluations
