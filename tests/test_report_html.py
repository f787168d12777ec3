"""report.html: self-contained, escaped, math as MathML, a summary that links every claim; loaded in a browser."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_docs import HOSTILE, document

from proofs_check import report
from proofs_check.report.html import math


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.scripts += tag == "script"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html")
    figures_dir = out / "figures"
    figures_dir.mkdir()
    doc = document(5)
    doc["claims"][0]["figures"] = [{"name": "curve", "caption": f"a curve {HOSTILE}"}]
    # an earlier drawing (the claim is not registered here): the page must embed it, not link it
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2))
    fig.subplots().plot([0, 1], [1, 0])
    fig.savefig(figures_dir / "toy0000-claim-00-with-a-long-name-curve.png", format="png")
    built = report.build(out, doc, lambda cid: (), pdf=False)
    assert built.warnings == ()
    return out


def test_the_page_is_self_contained_and_escapes_everything(built: Path) -> None:
    page = _page(built / "report.html")
    assert page.scripts == 1  # ours; the hostile <script> of results.json is text
    text = "".join(page.text)
    assert "<script>alert(1)</script>" in text and "</td>" in text
    for tag, attrs in page.tags:
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            if tag == "a" and name == "href":  # links to read further (arXiv, DOI) are fine; resources are not
                continue
            assert not value or value.startswith(("data:", "#")), (tag, name, value)
        assert tag not in ("link", "iframe", "object", "embed")
    images = [a for t, a in page.tags if t == "img"]
    assert len(images) == 1 and str(images[0]["src"]).startswith("data:image/png;base64,")


def test_summary_links_every_claim_and_filters_by_paper_level_verdict(built: Path) -> None:
    page = _page(built / "report.html")
    ids = {a["id"] for _, a in page.tags if a.get("id")}
    rows = [a for t, a in page.tags if t == "tr" and a.get("data-verdict")]
    assert len(rows) == 5
    assert {r["data-verdict"] for r in rows} == {"confirmed", "refuted", "not_reproduced", "inconclusive"}
    assert {r["data-level"] for r in rows} == {"sourced", "reconstructed", "observation"}
    links = [str(a["href"])[1:] for t, a in page.tags if t == "a" and str(a.get("href", "")).startswith("#")]
    assert links and all(target in ids for target in links)
    assert {"f-paper", "f-level", "f-verdict", "paper-toy0000"} <= ids
    text = "".join(page.text)
    assert "1/2 mutants caught" in text and "References" in text and "Journal of Tests" in text


def test_math_is_mathml_and_markup_smuggled_into_math_never_passes() -> None:
    out = math(r"\eta_k \le \frac{2}{L} < 1", display=True)
    assert out.startswith("<math") and "<mfrac>" in out and 'display="block"' in out
    for hostile in (r"\frac{1}{2}\text{<img src=x onerror=alert(1)>}",  # the converter copies \text verbatim
                    r"\text{<mi onclick='alert(1)'>a</mi>}", r"\text{<a href='javascript:x'>a</a>}"):
        out = math(hostile)
        assert out.startswith('<code class="latex">') and "<img" not in out and "<a " not in out
        assert "onclick='" not in out


@pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("chromium-browser")),
                    reason="no headless browser (chromium) installed")
def test_a_headless_browser_runs_the_page_script(built: Path) -> None:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    proc = subprocess.run([str(exe), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                           "--dump-dom", (built / "report.html").as_uri()], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "5 of 5 claims shown" in proc.stdout  # the inline script ran (and found every row)
