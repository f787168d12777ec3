"""Reports are safe against hostile results.json content, validate it, merge subset runs, tidy up."""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path

import pytest
import toy_claims

from proofs_check import cli, report, results
from proofs_check.report import atomic
from proofs_check.report.markdown import text as md_text
from proofs_check.report.safe_latex import admit_math, escape_text
from proofs_check.runner import run_claims

SECRET = "4815162342"  # digits: no kerning splits them inside the PDF's text strings
KNOWN = {c.id: c for c in toy_claims.CLAIMS}


_FORBIDDEN = re.compile(r"\\(input|include|openin|read|write|immediate|catcode|def|csname|usepackage|let|"
                        r"newcommand|expandafter|href|includegraphics|begin\{(verbatim|filecontents))")


def _payloads(root: Path) -> list[str]:
    secret = root / "secret.txt"
    return [
        rf"\input{{{secret}}}",
        r"\include{../secret}",
        rf"\openin5={secret} \read5 to\x \x",
        rf"\immediate\write18{{touch {root}/pwned-shell}}",
        r"\immediate\openout3=pwned-write.tex \immediate\write3{x}\immediate\closeout3",
        r"\catcode`\^^5c=12 \input{secret}",
        rf"\def\x{{\input{{{secret}}}}}\x",
        rf"\csname input\endcsname{{{secret}}}",
        rf"^^5cinput{{{secret}}}",
        rf"\uff3cinput{{{secret}}}".replace(r"\uff3c", "\uff3c"),  # a fullwidth backslash
        rf"x \] \input{{{secret}}} \[ y",
        rf"}}\end{{document}} \input{{{secret}}}",
        r"\usepackage{verbatim}\begin{filecontents}{pwned-fc.tex}x\end{filecontents}",
        rf"\includegraphics{{{secret}}}",
        rf"\href{{file://{secret}}}{{x}}",
        rf"$x$ \input{{{secret}}} $y$",
        rf"\newcommand{{\x}}{{\input{{{secret}}}}}\x",
        rf"a % comment \] \input{{{secret}}}",
        rf"\text{{\input{{{secret}}}}}",
        rf"\let\x\input \x{{{secret}}}",
        rf"\expandafter\input\string{{{secret}}}",
        r"\begin{verbatim}",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1)) ![x](http://evil/x.png)",
        "line one\n\n# a heading\n<iframe src=x>",
        "&lt;script&gt; `code` **bold** _em_ <!-- comment -->",
    ]


def _document(root: Path, payloads: list[str]) -> dict:
    claims = []
    for i, p in enumerate(payloads):
        claims.append({
            "id": f"toy0000.payload_{i:02d}", "paper": "toy0000", "source": p, "title": p, "statement_latex": p,
            "kind": "bound", "level": "sourced", "verdict": "confirmed", "summary": p, "predicted": p,
            "observed": p, "tolerance": p, "arithmetic": p, "runs": 1, "failed_runs": 1, "code_version": p,
            "failures": [{"params": {"p": p}, "status": "error", "error": p}],
            "evidence": {"table": [{"params": {"p": p}, "predicted": p, "observed": 1.0}]},
            "symbolic": {p: p}, "figures": [{"name": p, "caption": p}], "notes": [p],
        })
    control = {**claims[0], "id": "toy0000.control", "summary": f"control {SECRET[::-1]}"}
    return {"schema": results.SCHEMA, "provenance": {"profile": payloads[0], "git_commit": payloads[-3]},
            "claims": [*claims, control], "timing": {"finished": payloads[1]}}


def _pdf_text(pdf: bytes) -> str:
    """The literal strings of the PDF's (deflated) content streams, concatenated."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            body = zlib.decompress(stream)
        except zlib.error:
            continue
        out += [s.decode("latin-1") for s in re.findall(rb"\(((?:[^()\\]|\\.)*)\)", body)]
    return "".join(out)


@pytest.fixture
def hostile(tmp_path):
    root = tmp_path / "outside"
    root.mkdir()
    (root / "secret.txt").write_text(SECRET + "\n")
    out = root / "report"
    out.mkdir()
    return root, out, _payloads(root)


def test_at_least_15_hostile_payloads_are_rejected_by_the_math_allow_list(hostile):
    _, _, payloads = hostile
    latex_payloads = [p for p in payloads if "\\" in p or "^^" in p or "\uff3c" in p]
    assert len(latex_payloads) >= 20
    rejected = [p for p in latex_payloads if admit_math(p) is None]
    assert len(rejected) >= 15
    for p in payloads:
        # admitted text (the fullwidth backslash becomes "?") and escaped text carry no command at all
        for shown in (admit_math(p) or "", escape_text(p)):
            assert not _FORBIDDEN.search(shown), shown
            assert "^^" not in shown and "%" not in shown.replace(r"\%", "")


def test_hostile_results_compile_to_literal_text_and_read_or_write_nothing_outside(hostile, needs_pdflatex):
    root, out, payloads = hostile
    data = _document(root, payloads)
    (out / results.FILENAME).write_text(json.dumps(data))
    results.read(out)  # hostile text is valid content: it is the reports' job to show it safely
    built = report.build(out, data, lambda cid: (), pdf=True)
    assert built.warnings == () or all("could not be drawn" not in w for w in built.warnings)
    assert [w for w in built.warnings if "pdflatex" in w] == []
    pdf_text = _pdf_text((out / "report.pdf").read_bytes())
    assert SECRET[::-1] in pdf_text  # the extraction sees text that is there ...
    assert SECRET not in pdf_text  # ... and the secret is not
    assert not list(root.glob("pwned*")) and not list(out.glob("pwned*"))
    md = (out / "report.md").read_text()
    assert "`<script>alert(1)</script>`" in md  # a code span: literal by definition (CommonMark 6.1)
    assert "```math\n<script>alert(1)</script>\n```" in md  # a fenced block: literal too (or math on GitHub)
    md = re.sub(r"^ *(`{3,})math\n.*?^ *\1$", "", md, flags=re.S | re.M)
    md = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", md)  # what remains is rendered as Markdown
    for needle in ("<script", "<img", "<iframe", "<!--"):
        assert needle not in md, needle
    assert not re.search(r"(?<!\\)\]\((?!#)", md)  # the only links are the report's own anchors
    assert "\n# a heading" not in md
    assert "&lt;script>alert(1)&lt;/script>" in md  # shown as the literal text it is


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", "[x](javascript:alert(1))", "**b** _i_ `c`",
                                     "a\n\n# h", "&amp; &lt;", "![i](x.png)", "<a href=x>y</a>", "\\<b>"])
def test_markdown_text_escapes_html_and_markup(payload):
    shown = md_text(payload)
    assert "<" not in shown.replace("&lt;", "") and "\n" not in shown
    assert "](" not in shown.replace("\\](", "") and "**" not in shown and "`" not in shown.replace("\\`", "")


def test_report_validates_results_and_names_the_bad_field(tmp_path, capsys):
    good = run_claims([KNOWN["toy0000.sample_mean_bound"]], "quick", tmp_path, workers=1, reports=False).data
    cases = {
        "claims[0]: expected an object": {**good, "claims": [1, 2]},
        "claims[0].id: expected a string": {**good, "claims": [{}]},
        "provenance: expected an object, got a list": {**good, "provenance": [1]},
        "claims[0].seconds: expected a number": {**good, "claims": [{**good["claims"][0], "seconds": "abc"}]},
        "claims[0].verdict: expected one of": {**good, "claims": [{**good["claims"][0], "verdict": 5}]},
        "claims[0].level: expected one of": {**good, "claims": [{k: v for k, v in good["claims"][0].items()
                                                                if k != "level"}]},
    }
    for needle, doc in cases.items():
        (tmp_path / "results.json").write_text(json.dumps(doc))
        assert cli.main(["report", str(tmp_path), "--no-pdf"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and needle in err and "Traceback" not in err, (needle, err)
    v2 = {**good, "claims": [{**good["claims"][0], "level": "reconstructed", "verdict": "not_reproduced"}]}
    (tmp_path / "results.json").write_text(json.dumps(v2))
    assert cli.main(["report", str(tmp_path), "--no-pdf"]) == 0
    v1 = {**good, "schema": "proofs_check.results/1",
          "claims": [{k: v for k, v in good["claims"][0].items() if k not in ("level", "checks")}]}
    (tmp_path / "results.json").write_text(json.dumps(v1))
    assert cli.main(["report", str(tmp_path), "--no-pdf"]) == 0


def test_old_layout_results_still_report_their_times(tmp_path):
    data = run_claims([KNOWN["toy0000.sample_mean_bound"]], "quick", tmp_path, workers=1, reports=False).data
    old = {**data, "provenance": {**data["provenance"], "finished": "2020-01-01T00:00:00+00:00", "wall_seconds": 7.0},
           "claims": [{**data["claims"][0], "seconds": 12.5}]}
    del old["timing"]
    report.build(tmp_path, old, lambda cid: (), pdf=False)
    md = (tmp_path / "report.md").read_text()
    assert "12.5 s" in md and "7.0 s" in md and "2020-01-01" in md
    assert results.split_timing(old)["timing"]["claims"]["toy0000.sample_mean_bound"] == {"runs": 12.5}


def test_a_subset_run_merges_into_the_folder_and_keeps_the_other_claims_and_figures(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PROOFS_CHECK_CLAIM_MODULES", "toy_claims")
    base = ["--out", str(tmp_path), "--workers", "1", "--no-search"]
    assert cli.main(["run", "toy0000.sample_mean_bound", "toy0000.triangular_identity", *base]) == 0
    figure = tmp_path / "figures" / "toy0000-sample-mean-bound-means.png"
    assert figure.exists()
    before = json.loads((tmp_path / "results.json").read_text())
    capsys.readouterr()
    assert cli.main(["run", "toy0000.triangular_identity", *base]) == 0
    assert "1 other claims kept from earlier runs" in capsys.readouterr().out
    after = json.loads((tmp_path / "results.json").read_text())
    assert [c["id"] for c in after["claims"]] == ["toy0000.sample_mean_bound", "toy0000.triangular_identity"]
    assert after["claims"][0] == before["claims"][0]  # kept as computed, with its code version
    assert after["claims"][0]["code_version"] and after["provenance"]["kept"] == ["toy0000.sample_mean_bound"]
    assert after["timing"]["claims"]["toy0000.sample_mean_bound"] == before["timing"]["claims"]["toy0000.sample_mean_bound"]
    assert figure.exists() and "toy0000.sample_mean_bound" in (tmp_path / "report.md").read_text()
    # another seed's results are not mixed in: they are replaced, with a warning
    assert cli.main(["run", "toy0000.triangular_identity", *base, "--seed", "1"]) == 0
    assert "are replaced" in capsys.readouterr().err
    assert [c["id"] for c in json.loads((tmp_path / "results.json").read_text())["claims"]] == \
        ["toy0000.triangular_identity"]


def test_temporary_files_of_a_killed_build_are_removed(tmp_path):
    (tmp_path / "figures").mkdir()
    stale = [tmp_path / ".report.md.ab12_x9Z.tmp", tmp_path / "figures" / ".toy0000-x.png.k2j4h5g6.tmp"]
    for path in stale:
        path.write_text("half")
    (tmp_path / "latex-build-abc123").mkdir()
    keep = tmp_path / "notes.tmp"
    keep.write_text("mine")
    data = run_claims([KNOWN["toy0000.sample_mean_bound"]], "quick", tmp_path / "run", workers=1,
                      reports=False).data
    report.build(tmp_path, data, lambda cid: (), pdf=False)
    assert not any(p.exists() for p in stale) and not (tmp_path / "latex-build-abc123").exists()
    assert keep.read_text() == "mine"
    assert atomic.remove_stale(tmp_path / "nowhere") == []


def test_results_store_each_table_once_and_read_back_what_was_written(tmp_path):
    table = [{"params": {"n": n}, "predicted": 1.0, "observed": 0.5 / n, "slack": 0.5 / n} for n in (1, 2, 3)]
    fit = {"exponent": -1.0, "ci95": [-1.1, -0.9]}
    data = run_claims([KNOWN["toy0000.sample_mean_bound"]], "quick", tmp_path, workers=1, reports=False).data
    entry = {**data["claims"][0], "evidence": {"checks": {"bound": {"table": table, "fit": fit, "n": 3},
                                                          "other": {"table": table[:1]}},
                                               "table": table, "fit": fit, "violations": []}}
    doc = {**data, "claims": [entry]}
    results.write(tmp_path, doc)
    text = (tmp_path / "results.json").read_text()
    assert text.count('"observed":0.16666666666666666') == 1  # the lifted table is written once
    assert [line.count('"evidence"') for line in text.splitlines() if '"toy0000.sample_mean_bound"' in line][0] == 1
    assert results.read(tmp_path)["claims"][0]["evidence"] == entry["evidence"]
    bad = json.loads(text)
    bad["claims"][0]["evidence"]["checks"]["bound"]["lifted"] = ["table", "anything"]
    (tmp_path / "results.json").write_text(json.dumps(bad))
    with pytest.raises(results.ResultsError, match=r"claims\[0\]\.evidence\.checks\.bound\.lifted: expected a list"):
        results.read(tmp_path)
