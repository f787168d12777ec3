"""``report.html``: one self-contained page (figures embedded, math as MathML, no network at view time).

The page is a Jinja2 template with autoescaping on: every text from ``results.json``
is escaped. Formulas are converted to MathML here, by ``latex2mathml``, and the
result is parsed and rebuilt from an allow-list of MathML elements and attributes
(the converter copies ``\\text{...}`` verbatim, so its raw output is not safe to
embed); a formula that does not convert or does not pass is shown as code. A small
inline script sorts and filters the summary table by paper, level and verdict.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from proofs_check import results
from proofs_check.report.figures import Drawn
from proofs_check.report.tables import (CHECK_HEADERS, FAILURE_HEADERS, LEVEL_WORDS, check_rows, evidence_table,
                                        failure_rows, is_display_math, one_line, paper_links, paper_text,
                                        power_cell, provenance_rows, summary_line, verdict_rows)
from proofs_check.search.results import certification_cell, search_cell

__all__ = ["math", "render", "text_with_math"]

_MATHML = "http://www.w3.org/1998/Math/MathML"
_ELEMENTS = frozenset("""math mrow mi mn mo ms mtext mspace msub msup msubsup mfrac msqrt mroot mstyle mtable mtr
mtd mover munder munderover mpadded mphantom menclose mfenced semantics annotation merror""".split())
_ATTRIBUTES = frozenset("""display xmlns mathvariant stretchy fence form separator lspace rspace width height depth
linebreak displaystyle scriptlevel columnalign rowspacing columnspacing columnlines rowlines frame accent
accentunder notation open close separators movablelimits largeop symmetric minsize maxsize linethickness""".split())
_INLINE_MATH = re.compile(r"\$([^$]+)\$|\\\((.+?)\\\)", re.DOTALL)


def _clean(node: ET.Element) -> ET.Element | None:
    """A copy of a MathML tree with only allowed elements and attributes, or ``None``."""
    tag = node.tag.rsplit("}", 1)[-1]
    if tag not in _ELEMENTS or any(a not in _ATTRIBUTES for a in node.attrib):
        return None
    out = ET.Element(tag, {k: v for k, v in node.attrib.items() if k != "xmlns"})
    out.text, out.tail = node.text, node.tail
    for child in node:
        kept = _clean(child)
        if kept is None:
            return None
        out.append(kept)
    return out


def math(latex: str, display: bool = False) -> Markup:
    """``latex`` as sanitised MathML, or as escaped code when it cannot be converted safely."""
    try:
        from latex2mathml.converter import convert

        tree = _clean(ET.fromstring(convert(latex, display="block" if display else "inline")))
    except Exception:  # a converter error or unparsable output: show the source instead
        tree = None
    if tree is None:
        return Markup('<code class="latex">{}</code>').format(latex)
    tree.set("xmlns", _MATHML)
    return Markup(ET.tostring(tree, encoding="unicode", short_empty_elements=True))


def text_with_math(text: str) -> Markup:
    """Text whose ``$...$`` and ``\\(...\\)`` parts are formulas: the text escaped, the formulas as MathML."""
    out, last = [], 0
    for m in _INLINE_MATH.finditer(text):
        out += [escape(text[last:m.start()]), math(m.group(1) or m.group(2))]
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def statement(latex: str) -> Markup:
    return math(latex, display=True) if is_display_math(latex) else text_with_math(latex)


def _image(out_dir: Path, fig: Drawn) -> str | None:
    """The figure's PNG as a data URL (the page carries its figures), or ``None`` when it is missing."""
    if fig.png is None or not (out_dir / fig.png).is_file():
        return None
    return "data:image/png;base64," + base64.b64encode((out_dir / fig.png).read_bytes()).decode("ascii")


def _claim(claim: Mapping[str, Any], drawn: Sequence[Drawn], out_dir: Path, papers: set[str]) -> dict[str, Any]:
    table = evidence_table((claim.get("evidence") or {}).get("table") or [])
    level = claim.get("level") or ""
    return {
        "id": claim["id"], "anchor": anchor(claim["id"]), "title": claim.get("title", ""), "paper": claim["paper"],
        "cited": claim["paper"] in papers, "source": claim["source"], "kind": claim["kind"],
        "verdict": claim["verdict"], "verdict_word": str(claim["verdict"]).replace("_", " "),
        "level": level, "level_word": LEVEL_WORDS.get(level, level), "summary": claim["summary"],
        "short": one_line(claim["summary"]), "power": power_cell(claim), "search": search_cell(claim),
        "certification": certification_cell(claim), "runs": claim["runs"], "failed_runs": claim["failed_runs"],
        "seconds": float(claim.get("seconds") or 0.0), "statement": statement(claim["statement_latex"]),
        "rows": verdict_rows(claim), "check_headers": CHECK_HEADERS, "checks": check_rows(claim),
        "symbolic": [(name, math(str(latex), display=True)) for name, latex in (claim.get("symbolic") or {}).items()],
        "table": table, "failure_headers": FAILURE_HEADERS, "failures": failure_rows(claim),
        "figures": [{"name": f.name, "caption": f.caption, "error": f.error, "src": _image(out_dir, f)}
                    for f in drawn],
        "notes": claim.get("notes") or [],
    }


def anchor(claim_id: str) -> str:
    return "claim-" + re.sub(r"[^A-Za-z0-9]+", "-", claim_id)


def render(data: Mapping[str, Any], drawn: Mapping[str, Sequence[Drawn]], out_dir: Path) -> str:
    """The HTML report of a results document; ``drawn`` maps claim ids to their figures (PNG files in ``out_dir``)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("proofs_check.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    claims = sorted(data["claims"], key=lambda c: c["id"])
    prov = results.provenance_with_times(data)
    records = list(data.get("bibliography") or [])
    papers = {str(r.get("key")) for r in records}
    return env.get_template("report.html.j2").render(
        profile=prov.get("profile", "?"), finished=prov.get("finished", ""), summary=summary_line(claims),
        provenance=provenance_rows(prov),
        claims=[{**_claim(c, drawn.get(c["id"], ()), Path(out_dir), papers),
                 "seconds": results.claim_seconds(data, c) or 0.0} for c in claims],
        papers=sorted({c["paper"] for c in claims}), levels=[lv for lv in LEVEL_WORDS if any(
            c.get("level") == lv for c in claims)],
        verdicts=sorted({c["verdict"] for c in claims}),
        bibliography=[{"key": r.get("key"), "text": paper_text(r), "links": paper_links(r)} for r in records])
