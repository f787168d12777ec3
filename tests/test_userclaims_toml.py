"""Claims in TOML files: bad input refused in one line, the examples' verdicts, the Wu ZAS
restatement against the built-in claim, mutants, and the README's "Check your own theorem" flow."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from proofs_check import cli, mutate
from proofs_check.checks import judge
from proofs_check.claim import RunRecord
from proofs_check.userclaims import module_for
from proofs_check.userclaims.runs import run as toml_run
from proofs_check.userclaims.template import TOML

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
BASE = TOML.replace("{name}", "bad")


@pytest.fixture(autouse=True)
def _no_inherited_paths(monkeypatch):
    monkeypatch.setenv("PROOFS_CHECK_CLAIMS_PATH", "")
    monkeypatch.delenv("PROOFS_CHECK_CLAIM_MODULES", raising=False)


def _edit(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _without(line_start: str) -> str:
    return "\n".join(line for line in BASE.splitlines() if not line.startswith(line_start))


BAD = {  # name -> (file text, what the one-line error must contain)
    "unknown top-level key": ("colour = 'red'\n" + BASE, ["colour", "unknown key"]),
    "unknown system key": (_edit("width = 3", "width = 3\nwidht = 4"), ["system.widht", "unknown key"]),
    "unknown statement key": (_edit('kind = "iterations"', 'kind = "iterations"\nbund = "1"'),
                              ["statement[0].bund", "unknown key"]),
    "unknown stop key": (_edit("max_iter = 100000", "max_iter = 100000\nmaxiter = 3"), ["trainer.stop.maxiter"]),
    "missing id": (_without("id ="), ["id", "missing required key"]),
    "missing system": (_without("[system]").replace('network = "deep_linear"', "").replace(
        'depth = "layers"', "").replace("width = 3 ", "#"), ["system"]),
    "missing eps": (_without("eps ="), ["trainer.stop.eps", "missing required key"]),
    "missing bound": (_without("bound ="), ["statement[0].bound", "missing required key"]),
    "missing statements": (BASE.split("[[statement]]")[0], ["statement", "missing required key"]),
    "bad id": (_edit('id = "mine2026.bad"', 'id = "Mine.bad"'), ["id", "must look like"]),
    "bad network": (_edit('network = "deep_linear"', 'network = "relu"'), ["system.network", "must be one of"]),
    "init for the other network": (_edit('kind = "balanced"', 'kind = "zas"'), ["init.kind", "residual"]),
    "unknown symbol": (_edit(r"\eta\, c^", r"\eta\, q^"), ["statement[0].bound", "unknown symbol 'q'", "column"]),
    "function off the allow-list": (_edit("bound = '", "bound = 'gamma(N) + "),
                                    ["statement[0].bound", "unknown function 'gamma'", "column 1"]),
    "attribute access": (_edit('step = "0.05"', 'step = "eta.real"'), ["trainer.step", "attribute access"]),
    "__import__": (_edit("bound = '", "bound = '__import__(N) + "), ["statement[0].bound", "__import__",
                                                                      "column 1"]),
    "latex that does not parse": (_edit("bound = '", r"bound = '\frac{1}{' #"), ["statement[0].bound",
                                                                                  "column"]),
    "unknown latex command": (_edit("bound = '", r"bound = '\input{x} + "), ["\\input", "column 1"]),
    "grid range too large": (_edit("layers = [2, 3]", "layers = {range = [1, 2000]}"), ["grid.quick.layers",
                                                                                        "more than 1000"]),
    "grid product too large": (_edit("layers = [2, 3]", "layers = {range = [1, 40]}\nrep = {range = [1, 40]}"),
                               ["grid.quick", "1600 runs, more than the limit of 1000"]),
    "nan on a grid point": (_edit("[grid.quick]", "[grid.derived]\nbad = 'sqrt(1 - layers)'\n\n[grid.quick]"),
                            ["grid.derived.bad", "NaN, an infinity or a complex number", "grid.quick point"]),
    "infinite on a grid point": (_edit('depth = "layers"', 'depth = "1/(layers - 2)"'),
                                 ["system.depth", "NaN, an infinity"]),
    "complex constant": (_edit("bound = '", "bound = 'log(-2) + "), ["statement[0].bound", "complex"]),
    "division by zero": (_edit('step = "0.05"', 'step = "1/0"'), ["trainer.step", "infinite or undefined",
                                                                   "column 2"]),
    "depth not an integer": (_edit('depth = "layers"', 'depth = "layers / 2"'), ["system.depth", "integer"]),
    "wrong type": (_edit("width = 3 ", "width = true "), ["system.width", "got a boolean"]),
    "grid values not numbers": (_edit("layers = [2, 3]", 'layers = ["two"]'), ["grid.quick.layers",
                                                                                "array of numbers"]),
    "reserved grid name": (_edit("layers = [2, 3]", "layers = [2, 3]\nN = [2]"), ["grid.quick.N", "reserved"]),
    "quantity not available there": (_edit('step = "0.05"', r"step = '\ell(t)'"),
                                     ["trainer.step", "loss at iteration t", "not available in trainer.step"]),
    "relation where a value is expected": (_edit("bound = '", "bound = 'N <= 3 + "), ["statement[0].bound",
                                                                                       "relation"]),
    "inequality without relation": (_edit(r"holds = '\ell(t+1) \le \ell(t)'", r"holds = '\ell(t+1)'"),
                                    ["statement[1].holds", "expected a relation"]),
    "negative mutant factor": (BASE + '\n[[mutant]]\nname = "neg"\nfactor = -1\n', ["mutant[0].factor", "> 0"]),
    "inverted exponent interval": (BASE + '\n[[statement]]\nkind = "scaling"\nagainst = "layers"\n'
                                          'exponent = [3.0, 1.0]\n', ["statement[2].exponent", "lo <= hi"]),
    "bad arithmetic": (_edit('arithmetic = "float64"', 'arithmetic = "float32"'), ["trainer.arithmetic"]),
    "not toml": (BASE + "\n[[[oops\n", ["not valid TOML"]),
    "target and data": (_edit("[system.target] ", '[system.data]\nkind = "gaussian"\nm = 10\n\n[system.target] '),
                        ["system", "exactly one of"]),
    "spectrum of the wrong size": (_edit("singular_values = [1.0, 0.8, 0.6]", "singular_values = [1.0, 0.8]"),
                                   ["system.target.singular_values", "min(d_in, d_out) = 3"]),
    "whitened-only quantity with data": (
        _edit('[system.target]                 # whitened loss 1/2 ||W_N ... W_1 - Phi||_F^2\nkind = "spectrum"',
              '[system.data]\nkind = "gaussian"\nm = 20 #')
        .replace('singular_values = [1.0, 0.8, 0.6]', '').replace('around = "target"', '')
        .replace("seed = 0                        # omit", "# omit"),
        ["statement[0].bound", "'c'", "whitened target"]),
    "unknown scaling parameter": (BASE + '\n[[statement]]\nkind = "scaling"\nagainst = "width_x"\n'
                                         'exponent = [1.0, 2.0]\n', ["statement[2].against", "grid parameter"]),
    "negative eps": (_edit("eps = 1e-6 ", "eps = -1e-6 "), ["trainer.stop.eps", "> 0"]),
    "negative search budget": (_edit("standard = 20", "standard = -1"), ["search.standard", ">= 0"]),
    "statement kind": (_edit('kind = "iterations"', 'kind = "theorem"'), ["statement[0].kind", "must be one of"]),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_claim_files_are_one_line_usage_errors(case, tmp_path, capsys):
    text, needles = BAD[case]
    (tmp_path / "bad.toml").write_text(text, encoding="utf-8")
    assert cli.main(["list", "--claims-path", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "bad.toml" in err, err
    for needle in needles:
        assert needle in err, (needle, err)


def test_the_bad_cases_start_from_a_valid_file(tmp_path, capsys):
    (tmp_path / "bad.toml").write_text(BASE, encoding="utf-8")
    assert cli.main(["list", "--claims-path", str(tmp_path)]) == 0
    assert "mine2026.bad" in capsys.readouterr().out
    assert len(BAD) >= 30


def test_the_parsed_statement_is_printed_back_in_latex():
    claim = module_for(EXAMPLES / "wu2019_zas.toml").CLAIM
    assert claim.level == "sourced" and claim.kind == "bound"
    assert claim.statement_latex.startswith(r"T(\varepsilon) \le \left\lceil")
    assert r"\ell(t) \le \ell_0 \left(1 - \frac{\eta}{2}\right)^{t}" in claim.statement_latex
    assert claim.symbolic()["step size eta (trainer.step)"].startswith(r"\eta = \min")


def test_an_edited_file_never_reuses_cached_runs(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(BASE, encoding="utf-8")
    before = module_for(path).CLAIM.runs_for("quick")[0]
    path.write_text(BASE.replace("std = 0.05", "std = 0.04"), encoding="utf-8")
    after = module_for(path).CLAIM.runs_for("quick")[0]
    assert before["claim_hash"] != after["claim_hash"] and before["claim_file"] == str(path.resolve())
    with pytest.raises(Exception, match="changed since the claim was loaded"):
        toml_run(before, 0)


def _run(ids, folder, out, *extra):
    return cli.main(["run", *ids, "--claims-path", str(folder), "--profile", "quick", "--out", str(out),
                     "--workers", "1", *extra])


def _entry(out, claim_id):
    data = json.loads((Path(out) / "results.json").read_text())
    return next(c for c in data["claims"] if c["id"] == claim_id)


def test_true_example_is_confirmed_and_its_halved_bound_is_caught(tmp_path):
    out = tmp_path / "out"
    assert _run(["example2026.monotone_balanced"], EXAMPLES, out, "--no-search") == 0
    entry = _entry(out, "example2026.monotone_balanced")
    assert entry["verdict"] == "confirmed" and entry["runs"] == 4
    assert cli.main(["mutate", "example2026.monotone_balanced", "--claims-path", str(EXAMPLES), "--out", str(out),
                     "--workers", "1", "--no-pdf"]) == 0
    (row,) = json.loads((out / mutate.FILENAME).read_text())
    assert (row["mutant"], row["caught"]) == ("bound_halved", True)


def test_false_example_is_refuted_with_a_shrunk_counterexample_and_a_rerun_command(tmp_path):
    out = tmp_path / "out"
    assert _run(["example2026.too_fast"], EXAMPLES, out) == 0
    entry = _entry(out, "example2026.too_fast")
    assert entry["verdict"] == "refuted"
    rows = entry["evidence"]["table"]
    assert {r["params"]["layers"]: r["observed"] > r["predicted"] for r in rows} == {1: False, 2: True, 3: True}
    search = entry["search"]
    assert search["violated"] and search["shrunk"]["params"]["layers"] >= 2
    command = search["command"]
    assert command.startswith(f"PROOFS_CHECK_CLAIMS_PATH={EXAMPLES}")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    replay = json.loads(done.stdout)
    assert replay["violated"] is True and replay["score"] == pytest.approx(search["shrunk_score"])


def test_wu_zas_restated_in_toml_agrees_with_the_builtin_claim(tmp_path):
    from proofs_check.claims.wu2019 import zas_iteration_bound as builtin_claim

    claim = module_for(EXAMPLES / "wu2019_zas.toml").CLAIM
    mine, builtin = [], []
    for params in claim.runs_for("quick"):
        value = toml_run(params, 0)
        mine.append(RunRecord(claim.id, params, 0, "ok", value))
        cell = next(c for c in builtin_claim.CLAIM.runs_for("quick")
                    if (c["d"], c["d_out"], c["phi_fro"], c["L"], c["eps"]) ==
                    (params["d"], params["d"], params["phi"], params["blocks"], 1e-4))
        builtin.append(RunRecord(builtin_claim.CLAIM.id, cell, 0, "ok", builtin_claim.run(cell, 0)))
    for m, b in zip(mine, builtin, strict=True):
        bound = m.value["statements"][0]["by_factor"]["1.0"]
        assert bound["predicted"] == b.value["predicted"]
        assert abs(bound["observed"] - b.value["full"]["iterations"]) <= 1  # the crossing step, to round-off
        assert m.value["eta"] == pytest.approx(b.value["eta"], rel=1e-14)
    verdict, _ = judge(claim, mine)
    assert verdict.verdict == judge(builtin_claim.CLAIM, builtin)[0].verdict == "confirmed"


@pytest.mark.parametrize("selection", [
    ["mine2026.*"],  # the flow on the user's claim alone, in the default run
    pytest.param([], marks=pytest.mark.slow),  # verbatim: also runs every built-in claim
])
def test_readme_flow_new_claim_run_report(tmp_path, monkeypatch, capsys, selection):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["new", "claim", "mybound"]) == 0
    assert (tmp_path / "mybound.toml").exists() and cli.main(["new", "claim", "mybound"]) == 2
    assert cli.main(["run", *selection, "--claims-path", ".", "--profile", "quick", "--out", "out",
                     "--workers", "1"]) == 0
    entry = _entry(tmp_path / "out", "mine2026.mybound")
    assert entry["verdict"] == "confirmed" and entry["level"] == "sourced"
    report = (tmp_path / "out" / "report.md").read_text()
    section = report.split('<a id="mine2026.mybound"></a>')[1].split('<a id="')[0]
    assert re.search(r"\*\*CONFIRMED \(SOURCED\)\*\*", section)
    assert r"T(\varepsilon) \le" in section and r"\ell(t+1) \le \ell(t)" in section


def test_python_template_runs_as_a_claim(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["new", "claim", "pybound", "--python"]) == 0
    assert _run(["mine2026.pybound"], tmp_path, tmp_path / "out", "--no-search") == 0
    assert _entry(tmp_path / "out", "mine2026.pybound")["verdict"] == "confirmed"


def test_the_docs_list_every_symbol_and_function():
    from proofs_check.userclaims.expr import FUNCTIONS
    from proofs_check.userclaims.symbols import QUANTITIES

    doc = (REPO / "docs" / "toml.md").read_text()
    for q in QUANTITIES:
        assert f"`{q.name}`" in doc, q.name
    for f in FUNCTIONS:
        assert f"`{f}`" in doc, f
    assert "docs/toml.md" in (REPO / "README.md").read_text()



pytest_plugins = ("pytester",)


def test_a_toml_claim_is_a_pytest_item(pytester, monkeypatch):
    import proofs_check.runner  # noqa: F401  (imported before the in-process session, as the plugin's tests do)
    import proofs_check.search.pipeline  # noqa: F401

    monkeypatch.setenv("PROOFS_CHECK_CLAIMS_PATH", str(EXAMPLES))
    result = pytester.runpytest_inprocess("-p", "proofs_check.pytest_plugin", "--claims", "example2026.monotone*",
                                          "--claims-out", str(pytester.path / "out"), "--claims-workers", "1")
    result.assert_outcomes(passed=1)
