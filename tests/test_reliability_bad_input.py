"""The bad-input table: every case is refused with one clear line (CLI: exit 2 naming the argument;
API: ValueError/TypeError naming it; cache and results files: the file and the field), never a
traceback and never silent acceptance. ``len(CASES)`` is the count reported in the notes."""

from __future__ import annotations

import json
import math
import os
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from proofs_check import cli, results

TOY = "toy0000.sample_mean_bound"


def _cli(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


# --- the command line: (argv, words the one-line error must contain); "{tmp}" is a fresh folder, "{file}" a file
CLI: list[tuple[list[str], str]] = [
    (["run", TOY, "--profile", "medium"], "--profile"),
    (["run", TOY, "--profile", ""], "--profile"),
    (["run", TOY, "--workers", "0"], "--workers"),
    (["run", TOY, "--workers", "-1"], "--workers"),
    (["run", TOY, "--workers", "two"], "--workers"),
    (["run", TOY, "--workers", "1.5"], "--workers"),
    (["run", TOY, "--workers", "\u0663"], "--workers"),
    (["run", TOY, "--workers", ""], "--workers"),
    (["run", TOY, "--workers", "1_0"], "--workers"),
    (["run", TOY, "--seed", "1.5"], "--seed"),
    (["run", TOY, "--seed", "abc"], "--seed"),
    (["run", TOY, "--seed", ""], "--seed"),
    (["run", TOY, "--seed", "\u0663"], "--seed"),
    (["run", TOY, "--seed", "1e3"], "--seed"),
    (["run", TOY, "--out", ""], "--out"),
    (["run", TOY, "--out", "   "], "--out"),
    (["run", TOY, "--out", "{file}"], "output folder"),
    (["run", TOY, "--out", "{file}/sub"], "output folder"),
    (["run", TOY, "--scheduler", ""], "--scheduler"),
    (["run", TOY, "--scheduler", "   "], "--scheduler"),
    (["run", TOY, "--scheduler", "foo://x:1"], "--scheduler"),
    (["run", TOY, "--scheduler", "http://127.0.0.1:8786"], "--scheduler"),
    (["run", TOY, "--scheduler", "https://example.org:443"], "--scheduler"),
    (["run", TOY, "--scheduler", "tcp://"], "--scheduler"),
    (["run", TOY, "--scheduler", "tcp://host"], "--scheduler"),
    (["run", TOY, "--scheduler", "tcp://host:0"], "--scheduler"),
    (["run", TOY, "--scheduler", "tcp://host:70000"], "--scheduler"),
    (["run", TOY, "--scheduler", "tcp://host:port"], "--scheduler"),
    (["run", TOY, "--scheduler", "tcp://:8786"], "--scheduler"),
    (["run", TOY, "--run-timeout", "0"], "--run-timeout"),
    (["run", TOY, "--run-timeout", "-1"], "--run-timeout"),
    (["run", TOY, "--run-timeout", "nan"], "--run-timeout"),
    (["run", TOY, "--run-timeout", "inf"], "--run-timeout"),
    (["run", TOY, "--run-timeout", "abc"], "--run-timeout"),
    (["run", TOY, "--run-timeout", ""], "--run-timeout"),
    (["run", TOY, "--run-timeout", "1e9"], "--run-timeout"),
    (["run", TOY, "--run-timeout", "\u0663"], "--run-timeout"),
    (["run", TOY, "--search-budget", "0"], "--search-budget"),
    (["run", TOY, "--search-budget", "x"], "--search-budget"),
    (["run", TOY, "--certify-prec", "0"], "--certify-prec"),
    (["run", TOY, "--certify-prec", "10"], "--certify-prec"),
    (["run", TOY, "--certify-prec", "1000000"], "--certify-prec"),
    (["run", "toy0000.no_such_claim"], "no_such_claim"),
    (["run", "nosuchpaper*"], "nosuchpaper*"),
    (["run", ""], "''"),
    (["run", TOY, "--bogus"], "--bogus"),
    (["run", TOY, "--fresh=yes"], "--fresh"),
    (["list", "--paper", "nobody2020"], "--paper"),
    (["list", "extra"], "extra"),
    (["report"], "DIR"),
    (["report", ""], "DIR"),
    (["report", "{tmp}/nonexistent"], "no results.json"),
    (["report", "{file}"], "results.json"),
    (["report", "{tmp}", "--bogus"], "--bogus"),
    (["derive", "no_such_derivation"], "no_such_derivation"),
    (["frobnicate"], "frobnicate"),
    ([], "COMMAND"),
    (["search"], "CLAIM_ID"),
    (["search", "toy0000.product_norm_bound", "--budget", "-1"], "--budget"),
    (["search", "toy0000.product_norm_bound", "--budget", "x"], "--budget"),
    (["search", "toy0000.product_norm_bound", "--budget", "1.5"], "--budget"),
    (["search", "toy0000.product_norm_bound", "--seed", "-1"], "--seed"),
    (["search", "toy0000.product_norm_bound", "--seed", "x"], "--seed"),
    (["search", "toy0000.product_norm_bound", "--out", ""], "--out"),
    (["search", "toy0000.product_norm_bound", "--out", "{file}"], "--out"),
    (["search", "toy0000.nope"], "toy0000.nope"),
    (["search", "toy0000.frobenius_identity"], "search space"),
    (["search", "toy0000.product_norm_bound", "--instance", "{"], "--instance"),
    (["search", "toy0000.product_norm_bound", "--instance", "[]"], "--instance"),
    (["search", "toy0000.product_norm_bound", "--instance", '{"params": 1}'], "--instance"),
    (["search", "toy0000.product_norm_bound", "--instance", '{"params": {}, "seed": -1}'], "--instance"),
    (["search", "toy0000.product_norm_bound", "--instance", '{"params": {}}'], "missing"),
    (["search", "toy0000.product_norm_bound", "--instance",
      '{"params": {"n": 2, "k": 2, "m": 2, "scale": 1.0, "extra": 1}}'], "unknown extra"),
    (["search", "toy0000.product_norm_bound", "--instance",
      '{"params": {"n": "two", "k": 2, "m": 2, "scale": 1.0}}'], "--instance"),
    (["search", "toy0000.product_norm_bound", "--instance",
      '{"params": {"n": -3, "k": 2, "m": 2, "scale": 1.0}}'], "--instance"),
    (["search", "toy0000.product_norm_bound*", "--instance", '{"params": {}}'], "exactly one claim"),
]


# --- claim modules named by $PROOFS_CHECK_CLAIM_MODULES
PLUGINS: list[tuple[str, str]] = [
    ("no_such_module_xyz", "no_such_module_xyz"),
    ("json", "'json'"),  # importable, registers no claims
    ("toy_claims,string", "'string'"),
    ("rel_plugin_empty", "rel_plugin_empty"),
    ("rel_plugin_not_claims", "rel_plugin_not_claims"),
    ("rel_plugin_raises", "rel_plugin_raises"),
]
_PLUGIN_SOURCES = {"rel_plugin_empty": "CLAIMS = ()\n", "rel_plugin_not_claims": "CLAIMS = (1, 2)\n",
                   "rel_plugin_raises": "raise RuntimeError('broken plug-in')\n"}


def _good_results() -> dict[str, Any]:
    claim = {"id": TOY, "paper": "toy0000", "source": "s", "title": "t", "statement_latex": "x", "kind": "bound",
             "level": "sourced", "verdict": "confirmed", "summary": "s", "predicted": "p", "observed": "o", "tolerance": "t",
             "arithmetic": "float64", "runs": 1, "failed_runs": 0, "code_version": "v", "evidence": {},
             "failures": [], "symbolic": {}, "figures": [], "notes": []}
    return {"schema": results.SCHEMA, "provenance": {"profile": "quick"}, "claims": [claim],
            "timing": {"claims": {TOY: {"runs": 1.0}}}}


def _with_claim(**changes: Any) -> dict[str, Any]:
    doc = _good_results()
    claim = {**doc["claims"][0], **changes}
    doc["claims"] = [{k: v for k, v in claim.items() if v is not _DROP}]
    return doc


_DROP = object()

# --- results.json contents for `proofs-check report`: (text of the file or a document, the field named)
RESULTS: list[tuple[Any, str]] = [
    ("", "not JSON"),
    ("{", "not JSON"),
    ('{"schema": NaN}', "not JSON"),
    ("[" * 100000 + "]" * 100000, "not JSON"),
    ("[]", "the document"),
    ('"text"', "the document"),
    ({**_good_results(), "schema": None}, "schema"),
    ({**_good_results(), "schema": "proofs_check.results/9"}, "schema"),
    ({**_good_results(), "schema": 1}, "schema"),
    ({k: v for k, v in _good_results().items() if k != "claims"}, "claims"),
    ({**_good_results(), "claims": {}}, "claims"),
    ({**_good_results(), "claims": [1, 2]}, "claims[0]"),
    ({**_good_results(), "claims": [{}]}, "claims[0].id"),
    ({**_good_results(), "claims": [None]}, "claims[0]"),
    ({**_good_results(), "provenance": [1, 2]}, "provenance"),
    ({**_good_results(), "provenance": "quick"}, "provenance"),
    ({**_good_results(), "provenance": {"packages": [1]}}, "provenance.packages"),
    ({**_good_results(), "provenance": {"wall_seconds": "long"}}, "provenance.wall_seconds"),
    *[(_with_claim(**{field: 5}), f"claims[0].{field}") for field in
      ("id", "paper", "source", "statement_latex", "kind", "summary", "predicted", "observed", "tolerance",
       "arithmetic", "title", "code_version")],
    *[(_with_claim(**{field: _DROP}), f"claims[0].{field}") for field in
      ("id", "verdict", "summary", "runs", "statement_latex")],
    (_with_claim(id=""), "claims[0].id"),
    (_with_claim(verdict=5), "claims[0].verdict"),
    (_with_claim(verdict="maybe"), "claims[0].verdict"),
    (_with_claim(level="guess"), "claims[0].level"),
    (_with_claim(runs=-1), "claims[0].runs"),
    (_with_claim(runs="3"), "claims[0].runs"),
    (_with_claim(runs=True), "claims[0].runs"),
    (_with_claim(runs=1.5), "claims[0].runs"),
    (_with_claim(failed_runs=None), "claims[0].failed_runs"),
    (_with_claim(seconds="abc"), "claims[0].seconds"),
    (_with_claim(seconds=-1), "claims[0].seconds"),
    (_with_claim(evidence=[1]), "claims[0].evidence"),
    (_with_claim(evidence={"table": {}}), "claims[0].evidence.table"),
    (_with_claim(evidence={"table": [1]}), "claims[0].evidence.table[0]"),
    (_with_claim(evidence={"table": [{"params": [1]}]}), "claims[0].evidence.table[0].params"),
    (_with_claim(evidence={"fit": {"ci95": 3}}), "claims[0].evidence.fit.ci95"),
    (_with_claim(evidence={"fit": {"ci95": [1, 2, 3]}}), "claims[0].evidence.fit.ci95"),
    (_with_claim(evidence={"fit": {"ci95": ["a", 2]}}), "claims[0].evidence.fit.ci95[0]"),
    (_with_claim(evidence={"slack": 1}), "claims[0].evidence.slack"),
    (_with_claim(evidence={"violations": [1]}), "claims[0].evidence.violations[0]"),
    (_with_claim(failures={}), "claims[0].failures"),
    (_with_claim(failures=[1]), "claims[0].failures[0]"),
    (_with_claim(failures=[{"status": "error", "error": "e"}]), "claims[0].failures[0].params"),
    (_with_claim(failures=[{"params": {}, "status": 1, "error": "e"}]), "claims[0].failures[0].status"),
    (_with_claim(symbolic=[1]), "claims[0].symbolic"),
    (_with_claim(symbolic={"a": 1}), "claims[0].symbolic.a"),
    (_with_claim(figures=[1]), "claims[0].figures[0]"),
    (_with_claim(figures=[{"caption": "c"}]), "claims[0].figures[0].name"),
    (_with_claim(notes="a note"), "claims[0].notes"),
    (_with_claim(notes=[1]), "claims[0].notes[0]"),
    (_with_claim(search=[1]), "claims[0].search"),
    (_with_claim(search={"examples": 3}), "claims[0].search.summary"),
    (_with_claim(search={"summary": "s", "examples": -1}), "claims[0].search.examples"),
    (_with_claim(search={"summary": "s", "violated": "yes"}), "claims[0].search.violated"),
    (_with_claim(certification={"summary": "s", "statement": "t"}), "claims[0].certification.status"),
    ({**_good_results(), "claims": _good_results()["claims"] * 2}, "appears twice"),
    ({**_good_results(), "timing": [1]}, "timing"),
    ({**_good_results(), "timing": {"wall_seconds": "x"}}, "timing.wall_seconds"),
    ({**_good_results(), "timing": {"claims": {TOY: {"runs": "y"}}}}, f"timing.claims.{TOY}.runs"),
    (_with_claim(level=_DROP), "claims[0].level"),
]


# --- the Python API: (call, exception type, words of the message)
def _api_cases() -> list[tuple[str, Any, type[Exception], str]]:
    from lintheory.arith import arithmetic
    from lintheory.inits import balanced, gaussian, near_identity, xavier, zas
    from lintheory.nets import Problem
    from lintheory.train import Exact, Normalised, Stop, bcgd, gd
    from proofs_check.runner import check_run_timeout, check_scheduler, run_claims

    net = gaussian([2, 2, 2], 0.5, 0)
    phi = Problem.whitened(np.eye(2))

    def run(**kw: Any) -> Any:
        import toy_claims
        return lambda: run_claims(toy_claims.CLAIMS[:1], **{"profile": "quick", "out_dir": "/nonexistent/x",
                                                            "reports": False, **kw})

    return [
        ("arith newline", lambda: arithmetic("float64\n"), ValueError, "arithmetic"),
        ("arith non-ASCII digits", lambda: arithmetic("mpmath:dps=\u0665\u0660"), ValueError, "arithmetic"),
        ("arith space", lambda: arithmetic(" float64"), ValueError, "arithmetic"),
        ("arith number", lambda: arithmetic(5), ValueError, "arithmetic"),
        ("arith dps too small", lambda: arithmetic("mpmath:dps=5"), ValueError, "dps"),
        ("arith prec too small", lambda: arithmetic("arb:prec=10"), ValueError, "prec"),
        ("arith unknown", lambda: arithmetic("float32"), ValueError, "arithmetic"),
        ("0x0 target", lambda: Problem.whitened(np.zeros((0, 0))), ValueError, "Phi"),
        ("0 columns", lambda: Problem.data(np.zeros((2, 0)), np.zeros((2, 0))), ValueError, "X"),
        ("0 rows", lambda: Problem.data(np.zeros((0, 3)), np.zeros((1, 3))), ValueError, "X"),
        ("NaN target", lambda: Problem.whitened([[math.nan]]), ValueError, "Phi"),
        ("max_iter bool", lambda: Stop(max_iter=True), TypeError, "max_iter"),
        ("max_iter 1e12", lambda: Stop(max_iter=10**12), ValueError, "max_iter"),
        ("max_iter negative", lambda: Stop(max_iter=-1), ValueError, "max_iter"),
        ("max_iter float", lambda: Stop(max_iter=1.5), TypeError, "max_iter"),
        ("eps string", lambda: Stop(eps="1e-3"), TypeError, "eps"),
        ("eps zero", lambda: Stop(eps=0), ValueError, "eps"),
        ("eps NaN", lambda: Stop(eps=math.nan), ValueError, "eps"),
        ("eps negative", lambda: Stop(eps=-1.0), ValueError, "eps"),
        ("diverge_factor 1", lambda: Stop(diverge_factor=1), ValueError, "diverge_factor"),
        ("diverge_factor string", lambda: Stop(diverge_factor="10"), TypeError, "diverge_factor"),
        ("stall_window 0", lambda: Stop(stall_window=0), ValueError, "stall_window"),
        ("stall_window bool", lambda: Stop(stall_window=True), TypeError, "stall_window"),
        ("stall_rtol negative", lambda: Stop(stall_rtol=-1.0), ValueError, "stall_rtol"),
        ("stall_rtol NaN", lambda: Stop(stall_rtol=math.nan), ValueError, "stall_rtol"),
        ("negative step schedule", lambda: gd(net, phi, lambda t: -0.1, Stop(max_iter=3)), ValueError, "eta"),
        ("schedule turning negative", lambda: gd(net, phi, lambda t: 0.1 - t, Stop(max_iter=5)), ValueError,
         "step 1"),
        ("eta zero", lambda: gd(net, phi, 0.0, Stop(max_iter=3)), ValueError, "eta"),
        ("eta string", lambda: gd(net, phi, "0.1", Stop(max_iter=3)), TypeError, "eta"),
        ("eta NaN", lambda: gd(net, phi, math.nan, Stop(max_iter=3)), ValueError, "eta"),
        ("eta bool", lambda: gd(net, phi, True, Stop(max_iter=3)), ValueError, "eta"),
        ("observe_every 0", lambda: gd(net, phi, 0.1, observe_every=0), ValueError, "observe_every"),
        ("history 1", lambda: gd(net, phi, 0.1, history=1, compiled=False), ValueError, "history"),
        ("bcgd order", lambda: bcgd(net, phi, Exact(), order="up"), ValueError, "order"),
        ("bcgd step", lambda: bcgd(net, phi, "exact"), ValueError, "step"),
        ("Normalised 0", lambda: Normalised(0.0), ValueError, "eta"),
        ("Normalised negative", lambda: Normalised(-1.0), ValueError, "eta"),
        ("gaussian std string", lambda: gaussian([2, 2], "1", 0), TypeError, "std"),
        ("gaussian widths", lambda: gaussian([3], 1.0, 0), ValueError, "widths"),
        ("gaussian widths bool", lambda: gaussian([3, True], 1.0, 0), ValueError, "widths"),
        ("xavier rng", lambda: xavier([2, 2], -1), ValueError, "rng"),
        ("zas depth 0", lambda: zas(2, 0, 2), ValueError, "L"),
        ("near_identity noise", lambda: near_identity(2, 2, -0.1, 0), ValueError, "noise"),
        ("balanced shape", lambda: balanced(np.eye(3), [2, 2, 2], rng=0), ValueError, "A"),
        ("run profile", run(profile="medium"), ValueError, "profile"),
        ("run workers 0", run(workers=0), ValueError, "workers"),
        ("run workers bool", run(workers=True), ValueError, "workers"),
        ("run seed string", run(seed="0"), ValueError, "seed"),
        ("run seed bool", run(seed=True), ValueError, "seed"),
        ("run timeout 0", run(run_timeout=0), ValueError, "run_timeout"),
        ("run timeout string", run(run_timeout="5"), TypeError, "run_timeout"),
        ("run timeout NaN", run(run_timeout=math.nan), ValueError, "run_timeout"),
        ("run scheduler empty", run(scheduler=""), ValueError, "scheduler"),
        ("run scheduler http", run(scheduler="http://h:1"), ValueError, "scheduler"),
        ("timeout bool", lambda: check_run_timeout(True), TypeError, "run_timeout"),
        ("scheduler number", lambda: check_scheduler(8786), ValueError, "scheduler"),
    ]


API = _api_cases()


# --- cache files: how the file is damaged
def _cache_cases() -> list[tuple[str, Any]]:
    def filled(path: Path) -> None:
        from proofs_check.cache import RunCache

        with RunCache(path) as cache:
            for i in range(200):
                cache.store(TOY, f'{{"i":{i}}}', 0, "v", status="ok", value={"pad": "x" * 300}, error=None,
                            seconds=0.1)
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def truncated(p: Path) -> None:
        filled(p)
        p.write_bytes(p.read_bytes()[:30000])

    def header_only(p: Path) -> None:
        filled(p)
        p.write_bytes(p.read_bytes()[:100])

    def random_bytes(p: Path) -> None:
        p.write_bytes(os.urandom(32768))

    def text_file(p: Path) -> None:
        p.write_text("this is not a database\n" * 100)

    def middle(p: Path) -> None:
        filled(p)
        data = bytearray(p.read_bytes())
        data[len(data) // 2:len(data) // 2 + 4096] = b"\xff" * 4096
        p.write_bytes(bytes(data))

    def folder(p: Path) -> None:
        p.mkdir()

    def other_table(p: Path) -> None:
        with sqlite3.connect(p) as db:
            db.execute("CREATE TABLE runs (claim_id TEXT)")

    def bad_value(p: Path) -> None:
        filled(p)
        with sqlite3.connect(p) as db:
            db.execute("UPDATE runs SET value = '{not json' WHERE params = '{\"i\":3}'")

    return [("truncated", truncated), ("header only", header_only), ("random bytes", random_bytes),
            ("a text file", text_file), ("garbage in the middle", middle), ("a folder", folder),
            ("a table with other columns", other_table), ("a stored run that is not JSON", bad_value)]


CACHE = _cache_cases()

CASES = len(CLI) + len(PLUGINS) + len(RESULTS) + len(API) + len(CACHE)


def test_the_table_has_at_least_150_distinct_cases():
    assert CASES >= 150, CASES
    assert len({json.dumps(a) for a, _ in CLI}) == len(CLI)
    assert len({json.dumps(d, default=str) if not isinstance(d, str) else d for d, _ in RESULTS}) == len(RESULTS)
    assert len({name for name, *_ in API}) == len(API)


@pytest.fixture
def toy_modules(monkeypatch):
    monkeypatch.setenv("PROOFS_CHECK_CLAIM_MODULES", "toy_claims,toy_search_claims")


@pytest.mark.parametrize(("argv", "needle"), CLI, ids=[" ".join(a)[:60] or "(none)" for a, _ in CLI])
def test_cli(argv, needle, tmp_path, capsys, toy_modules):
    (tmp_path / "afile").write_text("not a folder")
    argv = [a.replace("{tmp}", str(tmp_path)).replace("{file}", str(tmp_path / "afile")) for a in argv]
    if argv[:1] == ["run"] and "--out" not in argv:
        argv += ["--out", str(tmp_path / "out")]
    code, err = _cli(argv, capsys)
    assert code == 2 and err.count("\n") == 1 and needle in err and "Traceback" not in err, (code, err)
    assert not (tmp_path / "out" / "cache.sqlite").exists()  # refused before any work


@pytest.mark.parametrize(("modules", "needle"), PLUGINS)
def test_claim_modules(modules, needle, tmp_path, capsys, monkeypatch):
    for name, source in _PLUGIN_SOURCES.items():
        (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PROOFS_CHECK_CLAIM_MODULES", modules)
    code, err = _cli(["run", "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and err.count("\n") == 1 and needle in err and "Traceback" not in err, (code, err)


@pytest.mark.parametrize(("content", "needle"), RESULTS, ids=[str(i) for i in range(len(RESULTS))])
def test_results_file(content, needle, tmp_path, capsys):
    text = content if isinstance(content, str) else json.dumps(content)
    (tmp_path / "results.json").write_text(text)
    code, err = _cli(["report", str(tmp_path), "--no-pdf"], capsys)
    assert code == 2 and err.count("\n") == 1 and needle in err and "Traceback" not in err, (code, err[:300])
    assert not (tmp_path / "report.md").exists()


def test_a_good_results_file_passes_the_same_validation(tmp_path, capsys):
    (tmp_path / "results.json").write_text(json.dumps(_good_results()))
    assert _cli(["report", str(tmp_path), "--no-pdf"], capsys)[0] == 0


def test_unreadable_results_files(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "results.json").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "results.json").mkdir()
    for folder in ("a", "b"):
        code, err = _cli(["report", str(tmp_path / folder)], capsys)
        assert code == 2 and err.count("\n") == 1 and "results.json" in err and "Traceback" not in err, err


@pytest.mark.parametrize(("name", "call", "kind", "needle"), API, ids=[c[0] for c in API])
def test_api(name, call, kind, needle):
    with pytest.raises(kind) as info:
        call()
    message = str(info.value)
    assert needle in message and "\n" not in message, message


@pytest.mark.parametrize(("name", "damage"), CACHE, ids=[c[0] for c in CACHE])
def test_cache_file(name, damage, tmp_path, capsys, toy_modules):
    damage(tmp_path / "cache.sqlite")
    if name == "a stored run that is not JSON":  # found only when a run of that claim is looked up
        from proofs_check.cache import CacheError, RunCache

        with RunCache(tmp_path / "cache.sqlite") as cache, pytest.raises(CacheError, match="not JSON"):
            cache.finished(TOY, "v")
        return
    code, err = _cli(["run", TOY, "--out", str(tmp_path), "--workers", "1", "--no-search"], capsys)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert str(tmp_path / "cache.sqlite") in err and "--reset-cache" in err, err
