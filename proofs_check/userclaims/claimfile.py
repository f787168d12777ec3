"""A loaded :class:`~proofs_check.userclaims.spec.Spec` as a :class:`~proofs_check.claim.Claim`.

The claim is ``sourced`` (it is the user's own statement): a violated statement refutes it.
Its grid points carry the file's path and hash for :func:`~proofs_check.userclaims.runs.run`;
its checks are one :class:`~proofs_check.checks.Bound` per bound, envelope or inequality (the
worst step of each run) and one :class:`~proofs_check.checks.Scaling` per end of a scaling
interval; its statement is the parsed expressions printed back by ``sympy.latex``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Literal

import sympy as sp
from hypothesis import strategies as st

from proofs_check.checks import Bound, Check, Condition, Scaling
from proofs_check.claim import Claim, Figure, Kind, Mutant, RunRecord
from proofs_check.search.space import DEFAULT_BUDGETS, SearchSpace
from proofs_check.userclaims import runs
from proofs_check.userclaims.spec import Spec, Statement
from proofs_check.userclaims.symbols import latex_names

__all__ = ["build_claim", "statement_latex"]

_FALLBACK = {"quick": ("quick", "standard", "full"), "standard": ("standard", "quick", "full"),
             "full": ("full", "standard", "quick")}
MAX_CURVES = 12


def _latex(e: sp.Expr) -> str:
    return sp.latex(e, symbol_names=latex_names(e.free_symbols))


def statement_latex(s: Statement) -> str:
    """One statement as LaTeX, from the parsed expressions (what the toolkit understood)."""
    if s.kind == "iterations":
        return rf"T(\varepsilon) \le {_latex(s.rhs)}"
    if s.kind == "envelope":
        return rf"\ell(t) \le {_latex(s.rhs)}\ \text{{for all }} t"
    if s.kind == "inequality":
        lhs, rhs = (s.lhs, s.rhs) if s.written == "<=" else (s.rhs, s.lhs)
        rel = r"\le" if s.written == "<=" else r"\ge"
        return rf"{_latex(lhs)} {rel} {_latex(rhs)}\ \text{{for all }} t"
    lo, hi = s.exponent
    against = _latex(sp.Symbol(s.against, real=True))
    ends = f"[{_num(lo)}, {_num(hi)}]"
    return rf"{_latex(s.quantity)} \propto {against}^{{p}},\ p \in {ends}"


def _num(x: float) -> str:
    return r"\infty" if x == math.inf else (r"-\infty" if x == -math.inf else f"{x:g}")


def _plain(s: Statement, factor: float) -> str:
    scale = "" if factor == 1.0 else f"{factor:g} * "
    if s.kind == "iterations":
        return f"T(eps) <= {scale}({sp.sstr(s.rhs)})"
    if s.kind == "envelope":
        return f"loss(t) <= {scale}({sp.sstr(s.rhs)}) at every step"
    return f"{sp.sstr(s.lhs)} <= {scale}({sp.sstr(s.rhs)}) at every step"


def _grid(spec: Spec, profile: str) -> list[dict[str, Any]]:
    chosen = next(p for p in _FALLBACK[profile] if p in spec.grid) if any(
        p in spec.grid for p in _FALLBACK[profile]) else None
    points = spec.grid.get(chosen, ()) if chosen else ()
    return [{**point, "claim_file": spec.path, "claim_hash": spec.sha} for point in points]


def _reason(spec: Spec, s: Statement) -> str:
    if s.kind == "iterations":
        return (f"float64 evaluation of the bound (16 u per operation) plus 8 (K + n) u of {spec.arithmetic} for "
                "the measured quantities; the count itself is exact")
    return (f"float64 evaluation of the expressions (16 u per operation) plus 8 (K + n) u of {spec.arithmetic} "
            "relative to |lhs| + |rhs| + l0 for the measured quantities; the worst step of each run is shown")


def _bound_check(spec: Spec, i: int, s: Statement, runs_: Sequence[RunRecord], factor: float, series: bool) -> Check:
    rows = []
    for r in runs_:
        worst = r.value["statements"][i]["by_factor"].get(repr(float(factor)))
        if worst is None:
            raise ValueError(f"{s.label}: the runs did not evaluate the factor {factor:g} (rerun with --fresh)")
        p, o = worst["predicted"], worst["observed"]
        row = {"params": r.value["params"], "predicted": p, "observed": o,
               "slack": o / p if p and math.isfinite(p) and math.isfinite(o) else None,
               "status": worst.get("status", r.value["status"])}
        if "t" in worst:
            row["t"] = worst["t"]
        if r.value.get("eta") is not None:
            row["eta"] = r.value["eta"]
        rows.append((row, worst["allowed"] / abs(p) if p else 0.0))
    rtol = max((tol for _, tol in rows if math.isfinite(tol)), default=0.0)
    curves = [{"label": ", ".join(f"{k}={v:g}" for k, v in r.value["params"].items()), **r.value["curve"]}
              for r in runs_[:MAX_CURVES]] if series else None
    what = {"iterations": "first t with loss <= eps (GD steps or BCGD sweeps)",
            "envelope": "loss(t) at the worst step of each run", "inequality": "left side at the worst step"}
    return Bound(label=s.label, rows=[row for row, _ in rows], rtol=rtol, predicted=_plain(s, factor),
                 observed=what[s.kind], arithmetic=spec.arithmetic, reason=_reason(spec, s),
                 evidence={"series": {"curves": curves}} if curves else {})


def _scaling_checks(i: int, s: Statement, runs_: Sequence[RunRecord], interval: Sequence[float]) -> list[Check]:
    pts = [(r.value["statements"][i]["x"], r.value["statements"][i]["y"]) for r in runs_]
    usable = [(x, y) for x, y in pts if x is not None and y is not None and math.isfinite(x) and math.isfinite(y)
              and x > 0 and y > 0]
    predicted = f"exponent of {sp.sstr(s.quantity)} in {s.against} in [{interval[0]:g}, {interval[1]:g}]"
    observed = f"least-squares fit of log({sp.sstr(s.quantity)}) on log({s.against})"
    from lintheory import fit as fits  # scipy.stats: imported only for claims that fit

    try:
        fit = fits.power_law([x for x, _ in usable], [y for _, y in usable])
    except ValueError as exc:
        return [Condition(label=s.label, ok=None, summary=f"no fit from {len(usable)} of {len(pts)} runs "
                                                          f"(finite positive values needed): {exc}",
                          predicted=predicted, observed=observed)]
    series = {"scaling": [{"label": s.label, "x": [x for x, _ in usable], "y": [y for _, y in usable],
                           "exponent": fit.exponent, "interval": list(interval)}]}
    out: list[Check] = []
    ends: tuple[tuple[Literal["at_least", "at_most"], float], ...] = (("at_least", interval[0]),
                                                                      ("at_most", interval[1]))
    for sense, end in ends:
        if math.isfinite(end):
            out.append(Scaling(label=f"{s.label} ({'>=' if sense == 'at_least' else '<='} {end:g})", fit=fit,
                               expected=end, sense=sense, predicted=predicted, observed=observed,
                               reason=f"95% interval of the fit over {len(usable)} of {len(pts)} runs",
                               evidence={"series": series}))
    return out


def _checks(spec: Spec, runs_: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    out: list[Check] = []
    first = True
    for i, s in enumerate(spec.statements):
        if s.kind == "scaling":
            out += _scaling_checks(i, s, runs_, k[f"exponent_{i}"])
        else:
            out.append(_bound_check(spec, i, s, runs_, float(k["factor"]), series=first))
            first = False
    return out


def draw_curves(evidence: Mapping[str, Any], ax: Any) -> None:
    curves = (evidence.get("series") or {}).get("curves") or []
    for j, c in enumerate(curves):
        color = f"C{j % 10}"
        ax.semilogy(c["t"], c["loss"], "-", color=color, lw=1, label=c["label"])
        if c.get("bound") is not None:
            ax.semilogy(c["t"], c["bound"], "--", color=color, lw=1)
    ax.set_xlabel("t")
    ax.set_ylabel("loss" + (" (dashed: the claimed envelope)" if any(c.get("bound") for c in curves) else ""))
    ax.legend(fontsize=5)


def draw_scaling(evidence: Mapping[str, Any], ax: Any) -> None:
    for j, s in enumerate((evidence.get("series") or {}).get("scaling") or []):
        ax.loglog(s["x"], s["y"], "o", color=f"C{j}", label=f"{s['label']}: fitted exponent {s['exponent']:.3g}")
    ax.set_xlabel("parameter")
    ax.set_ylabel("quantity")
    ax.legend(fontsize=6)


def _search(spec: Spec) -> SearchSpace | None:
    if all(s.kind == "scaling" for s in spec.statements):
        return None
    axes: dict[str, Any] = {"claim_file": st.just(spec.path), "claim_hash": st.just(spec.sha)}
    for p in spec.params:
        values = [pt[p] for points in spec.grid.values() for pt in points]
        lo, hi = min(values), max(values)
        if lo == hi:
            axes[p] = st.just(lo)
        elif all(isinstance(v, int) for v in values):
            axes[p] = st.integers(lo, hi)
        else:
            axes[p] = st.floats(float(lo), float(hi), allow_nan=False)
    seeds = [spec.init["seed"], (spec.target or spec.data or {}).get("seed")]
    return SearchSpace(strategy=st.fixed_dictionaries(axes), score=runs.score,
                       score_meaning="1 + relative excess of the worst statement over its bound and allowance",
                       threshold=1.0, seeded=any(s is None for s in seeds),
                       budgets={**DEFAULT_BUDGETS, **spec.budgets})


def _symbolic(spec: Spec) -> dict[str, str]:
    out = {}
    if spec.step is not None and isinstance(spec.step.value, sp.Expr):
        out["step size eta (trainer.step)"] = rf"\eta = {_latex(spec.step.value)}"
    for name, field in spec.derived:
        if isinstance(field.value, sp.Expr):
            out[f"derived parameter {name}"] = rf"{_latex(sp.Symbol(name, real=True))} = {_latex(field.value)}"
    for i, s in enumerate(spec.statements):
        out[f"statement[{i}] {s.label}"] = statement_latex(s)
    return out


def build_claim(spec: Spec) -> Claim:
    """The :class:`Claim` of a loaded TOML file."""
    constants: dict[str, Any] = {"factor": 1.0}
    constants.update({f"exponent_{i}": list(s.exponent) for i, s in enumerate(spec.statements) if s.kind == "scaling"})
    mutants = tuple(Mutant(m.name, m.description, {
        **({"factor": m.factor} if m.factor is not None else {}),
        **({f"exponent_{i}": list(m.exponent) for i, s in enumerate(spec.statements) if s.kind == "scaling"}
           if m.exponent is not None else {})}) for m in spec.mutants)
    kinds = {s.kind for s in spec.statements}
    kind: Kind = "scaling" if kinds == {"scaling"} else ("invariant" if kinds == {"inequality"} else "bound")
    figures = []
    if kinds - {"scaling"}:
        figures.append(Figure("loss_curves", "Loss along the runs (first runs of the grid); dashed: the claimed "
                                             "envelope where one is stated.", draw_curves))
    if "scaling" in kinds:
        figures.append(Figure("scaling", "The scaling statement's quantity against its parameter (log-log).",
                              draw_scaling))
    symbolic = _symbolic(spec)
    return Claim(id=spec.id, paper=spec.id.split(".")[0], source=spec.source, title=spec.title,
                 statement_latex=r",\qquad ".join(statement_latex(s) for s in spec.statements), kind=kind,
                 grid=partial(_grid, spec), run=runs.run, checks=partial(_checks, spec), level="sourced",
                 constants=constants, mutants=mutants,
                 no_mutants="" if mutants else "declare a [[mutant]] with an exponent to test the scaling check",
                 symbolic=lambda: symbolic, figures=tuple(figures), search=_search(spec))
