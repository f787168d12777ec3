"""A TOML claim file read into a checked, frozen :class:`Spec` (docs/toml.md is the reference).

Every problem is a :class:`TomlClaimError` of one line, ``FILE: KEY: what is wrong`` (with the
column for an expression), raised before any run: unknown and missing keys, wrong types,
expressions that do not parse or use a name that is not available where they stand, grids
above :data:`MAX_RUNS`, and values that come out NaN, infinite or complex on a grid point.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import EllipsisType
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias, overload

import numpy as np
import sympy as sp

from proofs_check.claim import PROFILES, Paper
from proofs_check.userclaims import expr as E
from proofs_check.userclaims.symbols import RESERVED, STAGES, canonical, symbol, vocabulary

if TYPE_CHECKING:
    from lintheory.train import Order

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["MAX_RUNS", "Spec", "Statement", "TomlClaimError", "load", "package_hash"]

MAX_RUNS = 1000  # runs of one profile's grid
NETWORKS = ("deep_linear", "residual")
INITS = {"deep_linear": ("balanced", "orthogonal_like", "gaussian", "xavier"), "residual": ("zas", "near_identity")}
TARGETS = ("gaussian", "spectrum", "entries")
DATA = ("whitened", "gaussian", "digits")
STATEMENTS = ("iterations", "envelope", "inequality", "scaling")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_SNAKE = re.compile(r"[a-z][a-z0-9_]*")


class TomlClaimError(ValueError):
    """A TOML claim file that cannot be used; the message is one line naming the file and the key."""


Value: TypeAlias = int | float | sp.Expr  # a number, or a parsed expression


@dataclass(frozen=True)
class Field:
    """A numeric field: its key (for messages), its text and its value or expression."""

    key: str
    value: Value

    @property
    def symbols(self) -> set[str]:
        return {s.name for s in self.value.free_symbols} if isinstance(self.value, sp.Expr) else set()


@dataclass(frozen=True)
class Statement:
    kind: str
    label: str
    lhs: sp.Expr | None  # inequality: lhs <= rhs; iterations/envelope: lhs None, rhs the bound
    rhs: sp.Expr | None
    written: str  # the relation as written: "<=" or ">="
    quantity: sp.Expr | None = None  # scaling
    against: str = ""
    exponent: tuple[float, float] = (-math.inf, math.inf)


@dataclass(frozen=True)
class MutantSpec:
    name: str
    description: str
    factor: float | None
    exponent: tuple[float, float] | None


@dataclass(frozen=True)
class Spec:
    path: str
    sha: str
    id: str
    title: str
    source: str
    paper: Paper | None
    network: str
    depth: Field
    width: Field
    d_in: Field
    d_out: Field
    target: Mapping[str, Any] | None  # {"kind", "norm": Field|None, "singular_values": [Field], "entries", "seed"}
    data: Mapping[str, Any] | None  # {"kind", "m": Field, "noise": Field, "seed"}
    init: Mapping[str, Any]  # {"kind", "std": Field|None, "orthogonal_insertion": bool, "seed": Field|None}
    method: str
    step: Field | None
    bcgd_step: str
    order: Order
    arithmetic: str
    eps: Field
    max_iter: Field
    diverge_factor: float
    grid: Mapping[str, tuple[dict[str, Any], ...]]
    params: tuple[str, ...]
    derived: tuple[tuple[str, Field], ...]
    statements: tuple[Statement, ...]
    mutants: tuple[MutantSpec, ...]
    budgets: Mapping[str, int]

    @property
    def whitened(self) -> bool:
        return self.target is not None

    @property
    def factors(self) -> tuple[float, ...]:
        """The scale factors of the bounds the runs evaluate: 1 and every mutant's."""
        return tuple(dict.fromkeys([1.0, *(m.factor for m in self.mutants if m.factor is not None)]))


def package_hash() -> str:
    """Hash of this interpreter's sources: an edit to them invalidates cached runs like an edit to the file."""
    h = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()


def file_hash(content: bytes) -> str:
    return hashlib.sha256(content + package_hash().encode()).hexdigest()[:16]


class _Table:
    """One TOML table, read key by key; :meth:`done` refuses the keys nobody read."""

    def __init__(self, file: str, path: str, data: Any):
        self.file, self.path = file, path
        if not isinstance(data, dict):
            self.fail(f"must be a table, got {_kind(data)}")
        self.data: dict[str, Any] = data
        self.read: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def fail(self, message: str, key: str | None = None) -> NoReturn:
        where = self.key(key) if key is not None else (self.path or "(top level)")
        raise TomlClaimError(f"{self.file}: {where}: {message}")

    def get(self, name: str, types: tuple[type, ...], default: Any = ..., choices: Sequence[str] = ()) -> Any:
        self.read.add(name)
        if name not in self.data:
            if default is ...:
                self.fail("missing required key", name)
            return default
        value = self.data[name]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            self.fail(f"must be {' or '.join(_TYPE_WORDS[t] for t in types)}, got {_kind(value)}", name)
        if choices and value not in choices:
            self.fail(f"must be one of {', '.join(map(repr, choices))}, got {value!r}", name)
        return value

    def table(self, name: str, required: bool = False) -> _Table | None:
        value = self.get(name, (dict,), ... if required else None)
        return None if value is None else _Table(self.file, self.key(name), value)

    def done(self) -> None:
        unknown = [k for k in self.data if k not in self.read]
        if unknown:
            known = ", ".join(sorted(self.read))
            self.fail(f"unknown key {unknown[0]!r} (known here: {known})", unknown[0])


_TYPE_WORDS = {str: "a string", int: "an integer", float: "a number", bool: "true or false", dict: "a table",
               list: "an array"}


def _kind(value: Any) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "a boolean", dict: "a table",
            list: "an array"}.get(type(value), type(value).__name__)


class _Reader:
    """Parses the numeric fields and expressions of one file against the names each may use."""

    def __init__(self, file: str, params: Sequence[str], whitened: bool):
        self.file, self.params, self.whitened = file, list(params), whitened

    def expression(self, table: _Table, name: str, value: str, stages: Sequence[str], extra: Sequence[str] = (),
                   relation: bool = False) -> Any:
        where = f"in {table.key(name)}"
        vocab = vocabulary([*self.params, *extra], stages, self.whitened, where)
        try:
            return E.parse_relation(value, vocab) if relation else E.parse(value, vocab)
        except E.ExprError as exc:
            table.fail(f"{exc} in {value!r}", name)

    @overload
    def number(self, table: _Table, name: str, stages: Sequence[str], default: EllipsisType = ...,
               extra: Sequence[str] = ()) -> Field: ...

    @overload
    def number(self, table: _Table, name: str, stages: Sequence[str], default: Any, extra: Sequence[str] = ()
               ) -> Field | None: ...

    def number(self, table: _Table, name: str, stages: Sequence[str], default: Any = ..., extra: Sequence[str] = ()
               ) -> Field | None:
        value = table.get(name, (int, float, str), default)
        if value is None:
            return None
        if isinstance(value, str):
            return Field(table.key(name), self.expression(table, name, value, stages, extra))
        if isinstance(value, float) and not math.isfinite(value):
            table.fail(f"must be finite, got {value}", name)
        return Field(table.key(name), value)


def load(path: str | Path) -> Spec:
    """The checked :class:`Spec` of the TOML claim file ``path``."""
    path = Path(path)
    file = path.name
    try:
        content = path.read_bytes()
        raw = tomllib.loads(content.decode("utf-8"))
    except OSError as exc:
        raise TomlClaimError(f"{file}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TomlClaimError(f"{file}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise TomlClaimError(f"{file}: not valid TOML: {exc}") from None
    top = _Table(file, "", raw)
    claim_id = top.get("id", (str,))
    match = re.fullmatch(r"([a-z]+[0-9]{4})\.([a-z0-9_]+)", claim_id)
    if match is None:
        top.fail(f"must look like '<name><year>.<snake_case_name>' (e.g. 'mine2026.mybound'), got {claim_id!r}",
                 "id")
    title = top.get("title", (str,))
    source = top.get("source", (str,), f"{file} (the user's own statement)")
    paper = _paper(top, match.group(1))

    grid_table = top.table("grid", required=True)
    assert grid_table is not None
    derived_table = grid_table.table("derived")
    grids = {p: _profile(t) for p in PROFILES if (t := grid_table.table(p)) is not None}
    grid_table.done()
    if not grids:
        grid_table.fail(f"needs at least one profile table ({', '.join(PROFILES)})")
    params = list(dict.fromkeys(k for g in grids.values() for point in g for k in point))

    system = top.table("system", required=True)
    assert system is not None
    has_target, has_data = "target" in system.data, "data" in system.data
    if has_target == has_data:
        system.fail("needs exactly one of [system.target] (whitened loss) or [system.data] (data loss)")
    reader = _Reader(file, params, whitened=has_target)
    network = system.get("network", (str,), choices=NETWORKS)
    depth = reader.number(system, "depth", ())
    fields = {name: reader.number(system, name, (), None) for name in ("width", "d_in", "d_out")}
    width = fields["width"]
    if width is None:
        system.fail("missing required key", "width")
    d_in = fields["d_in"] or width
    d_out = fields["d_out"] or d_in
    target = _target(system.table("target"), reader) if has_target else None
    data = _data(system.table("data"), reader) if has_data else None
    system.done()

    trainer = top.table("trainer", required=True)
    assert trainer is not None
    method = trainer.get("method", (str,), "gd", ("gd", "bcgd"))
    bcgd_step = trainer.get("bcgd_step", (str,), "exact", ("exact", "normalised"))
    order = trainer.get("order", (str,), "ascending", ("ascending", "descending"))
    arithmetic = trainer.get("arithmetic", (str,), "float64")
    if not re.fullmatch(r"float64|mpmath:dps=\d{1,4}|arb:prec=\d{1,5}", arithmetic):
        trainer.fail(f"must be 'float64', 'mpmath:dps=N' or 'arb:prec=N', got {arithmetic!r}", "arithmetic")
    stop = trainer.table("stop", required=True)
    assert stop is not None
    structure_less_eps = ["N", "d_in", "d_out", "n", "m"]
    eps = reader.number(stop, "eps", (), extra=structure_less_eps)
    reader.params += [name for name, _ in _derived_names(derived_table)]
    derived = _derived(derived_table, reader, params)
    max_iter = reader.number(stop, "max_iter", ("structure",))
    diverge = stop.get("diverge_factor", (int, float), 1e8)
    if not (math.isfinite(diverge) and diverge > 1):
        stop.fail(f"must be finite and > 1, got {diverge}", "diverge_factor")
    stop.done()
    needs_step = method == "gd" or bcgd_step == "normalised"
    step = reader.number(trainer, "step", ("structure", "initial"), ... if needs_step else None)
    if step is not None and not needs_step:
        trainer.fail("the exact BCGD step is computed, not given: remove 'step' or set bcgd_step = 'normalised'",
                     "step")
    trainer.done()

    init = _init(top.table("init", required=True), reader, network)
    stages = ["structure", "initial"] + (["step"] if needs_step else [])
    statements = _statements(top, reader, stages, method)
    mutants = _mutants(top, statements)
    budgets = _budgets(top.table("search"))
    top.done()

    spec = Spec(str(path.resolve()), file_hash(content), claim_id, title, source, paper, network,
                depth, width, d_in, d_out, target, data, init, method, step,
                bcgd_step, order, arithmetic, eps, max_iter, float(diverge), grids, tuple(params), derived,
                statements, mutants, budgets)
    from proofs_check.userclaims.instance import check_grid

    check_grid(spec)
    return spec


def _paper(top: _Table, key: str) -> Paper | None:
    table = top.table("paper")
    if table is None:
        return None
    authors = table.get("authors", (list,))
    if not authors or not all(isinstance(a, str) for a in authors):
        table.fail("must be a non-empty array of strings", "authors")
    out = Paper(key, tuple(authors), table.get("title", (str,)), table.get("venue", (str,), "preprint"),
                table.get("year", (int,)), arxiv=table.get("arxiv", (str,), None), doi=table.get("doi", (str,), None))
    table.done()
    return out


def _profile(table: _Table) -> tuple[dict[str, Any], ...]:
    axes: dict[str, list[Any]] = {}
    for name in list(table.data):
        if not _NAME.fullmatch(name):
            table.fail("a parameter name must be letters, digits and '_', starting with a letter", name)
        if name in RESERVED:
            q = canonical(name)
            meaning = f" ({q.meaning})" if q else ""
            table.fail(f"{name!r} is a reserved symbol{meaning}; give the parameter another name and use it in "
                       "the system's fields", name)
        value = table.get(name, (list, dict))
        axes[name] = _axis(table, name, value)
    table.done()
    runs = math.prod(len(v) for v in axes.values())
    if runs > MAX_RUNS:
        table.fail(f"{runs} runs, more than the limit of {MAX_RUNS} per profile")
    return tuple(dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values()))


def _axis(table: _Table, name: str, value: Any) -> list[Any]:
    if isinstance(value, list):
        if not value or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            table.fail("must be a non-empty array of numbers", name)
        if not all(math.isfinite(v) for v in value):
            table.fail("values must be finite", name)
        return list(value)
    sub = _Table(table.file, table.key(name), value)
    if "range" in sub.data:
        lo, hi = _pair(sub, "range", int)
        step = sub.get("step", (int,), 1)
        if step < 1 or hi < lo:
            sub.fail("needs first <= last and step >= 1", "range")
        if (hi - lo) // step + 1 > MAX_RUNS:
            sub.fail(f"more than {MAX_RUNS} values", "range")
        sub.done()
        return list(range(lo, hi + 1, step))
    lo = float(sub.get("from", (int, float)))
    hi = float(sub.get("to", (int, float)))
    num = sub.get("num", (int,))
    scale = sub.get("scale", (str,), "linear", ("linear", "log"))
    sub.done()
    if not (math.isfinite(lo) and math.isfinite(hi)) or num < 1 or num > MAX_RUNS or (scale == "log" and lo <= 0):
        sub.fail(f"needs finite from/to, 1 <= num <= {MAX_RUNS}, and from > 0 for scale = 'log'")
    values = np.geomspace(lo, hi, num) if scale == "log" else np.linspace(lo, hi, num)
    return [float(v) for v in values]


def _pair(table: _Table, name: str, kind: type) -> tuple[Any, Any]:
    value = table.get(name, (list,))
    if len(value) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value) or (
            kind is int and not all(isinstance(v, int) for v in value)):
        table.fail(f"must be an array of two {'integers' if kind is int else 'numbers'}", name)
    return value[0], value[1]


def _derived_names(table: _Table | None) -> list[tuple[str, Any]]:
    return [] if table is None else list(table.data.items())


def _derived(table: _Table | None, reader: _Reader, params: Sequence[str]) -> tuple[tuple[str, Field], ...]:
    if table is None:
        return ()
    out = []
    known = list(params)
    for name, _ in _derived_names(table):
        if not _NAME.fullmatch(name) or name in RESERVED or name in params:
            table.fail("a derived parameter needs a new name (letters, digits, '_'; not a grid parameter nor a "
                       "reserved symbol)", name)
        text = table.get(name, (str,))
        vocab_reader = _Reader(reader.file, known, reader.whitened)
        out.append((name, Field(table.key(name), vocab_reader.expression(table, name, text, ("structure",)))))
        known.append(name)
    table.done()
    return tuple(out)


def _seed(table: _Table, reader: _Reader) -> Field | None:
    return reader.number(table, "seed", ("structure",), None)


def _target(table: _Table | None, reader: _Reader) -> dict[str, Any]:
    assert table is not None
    kind = table.get("kind", (str,), choices=TARGETS)
    out: dict[str, Any] = {"kind": kind, "seed": _seed(table, reader), "norm": None, "singular_values": None,
                           "entries": None}
    if kind == "gaussian":
        out["norm"] = reader.number(table, "norm", (), None)
    elif kind == "spectrum":
        values = table.get("singular_values", (list, str))
        items = values if isinstance(values, list) else [values]
        out["singular_values"] = tuple(
            Field(f"{table.key('singular_values')}[{i}]", reader.expression(table, "singular_values", v, ())
                  if isinstance(v, str) else _finite_number(table, "singular_values", v)) for i, v in enumerate(items))
    else:
        entries = table.get("entries", (list,))
        if not entries or not all(isinstance(r, list) and r and len(r) == len(entries[0]) and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in r)
                for r in entries):
            table.fail("must be a rectangular array of arrays of finite numbers (rows d_out, columns d_in)",
                       "entries")
        out["entries"] = tuple(tuple(float(x) for x in r) for r in entries)
    table.done()
    return out


def _finite_number(table: _Table, name: str, v: Any) -> float:
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
        table.fail(f"entries must be finite numbers or expression strings, got {v!r}", name)
    return float(v)


def _data(table: _Table | None, reader: _Reader) -> dict[str, Any]:
    assert table is not None
    out = {"kind": table.get("kind", (str,), choices=DATA), "m": reader.number(table, "m", ()),
           "noise": reader.number(table, "noise", (), 0.1), "seed": _seed(table, reader)}
    table.done()
    return out


def _init(table: _Table | None, reader: _Reader, network: str) -> dict[str, Any]:
    assert table is not None
    kind = table.get("kind", (str,))
    if kind not in INITS[network]:
        other = next(n for n in NETWORKS if n != network)
        hint = f" ({kind!r} needs system.network = {other!r})" if kind in INITS[other] else ""
        table.fail(f"must be one of {', '.join(map(repr, INITS[network]))} for a {network} network, got "
                   f"{kind!r}{hint}", "kind")
    needs_std = kind in ("gaussian", "near_identity", "balanced")
    out = {"kind": kind, "seed": _seed(table, reader),
           "std": reader.number(table, "std", ("structure",), ... if needs_std else None)
           if kind not in ("xavier", "zas") else None,
           "orthogonal_insertion": table.get("orthogonal_insertion", (bool,), False) if kind == "balanced" else False,
           "around": table.get("around", (str,), "zero", ("zero", "target")) if kind == "balanced" else "zero"}
    if out["around"] == "target" and not reader.whitened:
        table.fail("'target' needs a whitened target ([system.target])", "around")
    table.done()
    return out


def _statements(top: _Table, reader: _Reader, stages: Sequence[str], method: str) -> tuple[Statement, ...]:
    items = top.get("statement", (list,))
    if not items:
        top.fail("needs at least one [[statement]]", "statement")
    out = []
    along = [*stages, "along"]
    for i, item in enumerate(items):
        t = _Table(top.file, f"statement[{i}]", item)
        kind = t.get("kind", (str,), choices=STATEMENTS)
        label = t.get("label", (str,), f"{kind} {i + 1}")
        if kind in ("iterations", "envelope"):
            extra = ["t"] if kind == "envelope" else []
            bound = reader.expression(t, "bound", t.get("bound", (str,)), stages, extra)
            out.append(Statement(kind, label, None, bound, "<="))
        elif kind == "inequality":
            rel = reader.expression(t, "holds", t.get("holds", (str,)), along, relation=True)
            used = {s.name for s in (rel.lhs.free_symbols | rel.rhs.free_symbols)}
            if method == "bcgd" and "grad_norm" in used:
                t.fail("grad_norm is measured for GD only (BCGD forms block gradients)", "holds")
            out.append(Statement(kind, label, rel.lhs, rel.rhs, rel.written))
        else:
            quantity = reader.expression(t, "quantity", t.get("quantity", (str,), "T"), [*stages, "final"])
            against = t.get("against", (str,))
            if against not in reader.params and canonical(against) is None:
                t.fail(f"must name a grid parameter ({', '.join(reader.params)}) or a structural symbol such as N",
                       "against")
            out.append(Statement(kind, label, None, None, "<=", quantity, against, _interval(t, "exponent")))
        t.done()
    return tuple(out)


def _interval(table: _Table, name: str) -> tuple[float, float]:
    lo, hi = _pair(table, name, float)
    if math.isnan(lo) or math.isnan(hi) or lo > hi or (math.isinf(lo) and math.isinf(hi)):
        table.fail(f"must be [lo, hi] with lo <= hi and at least one end finite (-inf / inf for one-sided), got "
                   f"[{lo}, {hi}]", name)
    return float(lo), float(hi)


def _mutants(top: _Table, statements: Sequence[Statement]) -> tuple[MutantSpec, ...]:
    items = top.get("mutant", (list,), [])
    out = []
    for i, item in enumerate(items):
        t = _Table(top.file, f"mutant[{i}]", item)
        name = t.get("name", (str,))
        if not _SNAKE.fullmatch(name):
            t.fail(f"must be snake_case, got {name!r}", "name")
        factor = t.get("factor", (int, float), None)
        if factor is not None and not (math.isfinite(factor) and factor > 0):
            t.fail(f"must be finite and > 0, got {factor}", "factor")
        exponent = _interval(t, "exponent") if "exponent" in t.data else None
        if factor is None and exponent is None:
            t.fail("needs 'factor' (scales every bound) or 'exponent' (replaces every scaling interval)")
        out.append(MutantSpec(name, t.get("description", (str,), name), None if factor is None else float(factor),
                              exponent))
        t.done()
    if not items and any(s.kind != "scaling" for s in statements):
        out.append(MutantSpec("bound_halved", "every bound (the larger side of each inequality) halved", 0.5, None))
    return tuple(out)


def _budgets(table: _Table | None) -> dict[str, int]:
    if table is None:
        return {}
    out = {}
    for p in PROFILES:
        value = table.get(p, (int,), None)
        if value is not None:
            if value < 0:
                table.fail(f"must be >= 0, got {value}", p)
            out[p] = value
    table.done()
    return out


__all__ += ["Field", "MutantSpec", "STAGES"]
