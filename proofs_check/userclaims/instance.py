"""From a spec and one grid point to the numbers of a run: fields evaluated, the target or data
drawn, the network initialized (all through :mod:`lintheory`).

:func:`check_grid` evaluates every field on every grid point when the file is loaded, so that a
value that is NaN, infinite, complex or not a positive integer where one is needed is an error
of the file, naming the key and the grid point, before any run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from lintheory import inits
from lintheory.arith import Arithmetic
from lintheory.nets import Network, Problem
from lintheory.whitening import whitened_data
from proofs_check.userclaims import expr as E
from proofs_check.userclaims.spec import Field, Spec, TomlClaimError
from proofs_check.userclaims.symbols import symbol

__all__ = ["Point", "build", "check_grid", "resolve", "value_of"]


class FieldError(ValueError):
    """A field whose value on a grid point is unusable: ``key`` names it."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key = key


@dataclass(frozen=True)
class Point:
    """What is known about a run before it starts: every name's value, the sizes and the stopping rule."""

    values: dict[str, float]
    depth: int
    width: int
    d_in: int
    d_out: int
    m: int
    eps: float
    max_iter: int

    def symbols(self) -> dict[sp.Symbol, float]:
        return {symbol(k): v for k, v in self.values.items()}


def value_of(field: Field, values: Mapping[str, float]) -> float:
    """The float64 value of ``field`` at ``values``; :class:`FieldError` when not finite and real."""
    if not isinstance(field.value, sp.Expr):
        return float(field.value)
    result = E.scalar(field.value, {symbol(k): v for k, v in values.items()})
    if math.isnan(result):
        shown = ", ".join(f"{k}={v:g}" for k, v in values.items() if symbol(k) in field.value.free_symbols)
        raise FieldError(field.key, f"evaluates to NaN, an infinity or a complex number at {shown or 'every point'}")
    return result


def _integer(field: Field, values: Mapping[str, float], lowest: int) -> int:
    v = value_of(field, values)
    if abs(v - round(v)) > 1e-9 * max(1.0, abs(v)) or round(v) < lowest:
        raise FieldError(field.key, f"must be an integer >= {lowest}, got {v:g}")
    return int(round(v))


def _positive(field: Field, values: Mapping[str, float], allow_zero: bool = False) -> float:
    v = value_of(field, values)
    if v < 0 or (v == 0 and not allow_zero):
        raise FieldError(field.key, f"must be {'>= 0' if allow_zero else '> 0'}, got {v:g}")
    return v


def resolve(spec: Spec, params: Mapping[str, Any]) -> Point:
    """Evaluate the fields known before a run at ``params`` (a grid point)."""
    missing = [p for p in spec.params if p not in params]
    if missing:
        raise FieldError("params", f"missing grid parameter(s) {missing}")
    values: dict[str, float] = {p: float(params[p]) for p in spec.params}
    depth = _integer(spec.depth, values, 1)
    width, d_in, d_out = (_integer(f, values, 1) for f in (spec.width, spec.d_in, spec.d_out))
    if spec.network == "residual" and d_in > width:
        raise FieldError(spec.d_in.key, f"a residual network embeds d_in <= width, got d_in={d_in} > width={width}")
    m = 1 if spec.data is None else _integer(spec.data["m"], values, 1)
    values.update({"N": depth, "n": width, "d_in": d_in, "d_out": d_out, "m": m})
    eps = _positive(spec.eps, values)
    values["eps"] = eps
    for name, field in spec.derived:
        values[name] = value_of(field, values)
    max_iter = _integer(spec.max_iter, values, 0)
    if spec.init["std"] is not None:  # noise 0 is the exact identity init
        _positive(spec.init["std"], values, allow_zero=spec.init["kind"] == "near_identity")
    if spec.target is not None and spec.target["norm"] is not None:
        _positive(spec.target["norm"], values)
    if spec.data is not None:
        _positive(spec.data["noise"], values, allow_zero=True)
    for f in (spec.init.get("seed"), (spec.target or {}).get("seed"), (spec.data or {}).get("seed")):
        if f is not None:
            _integer(f, values, 0)
    if spec.target is not None:
        _check_target(spec, values, d_in, d_out)
    if spec.data is not None and spec.data["kind"] == "whitened" and m < d_in:
        raise FieldError(spec.data["m"].key, f"whitened data needs m >= d_in, got m={m} < d_in={d_in}")
    if spec.data is not None and spec.data["kind"] == "digits" and (d_in, d_out) != (64, 10):
        raise FieldError(spec.d_in.key, f"the digits data set maps 64 pixels to 10 classes, got {d_in} -> {d_out}")
    return Point(values, depth, width, d_in, d_out, m, eps, max_iter)


def _check_target(spec: Spec, values: Mapping[str, float], d_in: int, d_out: int) -> None:
    t = spec.target
    assert t is not None
    if t["kind"] == "spectrum":
        if len(t["singular_values"]) != min(d_in, d_out):
            raise FieldError(t["singular_values"][0].key.rsplit("[", 1)[0],
                             f"needs min(d_in, d_out) = {min(d_in, d_out)} values, got {len(t['singular_values'])}")
        for f in t["singular_values"]:
            _positive(f, values)
    elif t["kind"] == "entries" and (len(t["entries"]), len(t["entries"][0])) != (d_out, d_in):
        raise FieldError("system.target.entries",
                         f"must be d_out x d_in = {d_out} x {d_in}, got {len(t['entries'])} x {len(t['entries'][0])}")


def check_grid(spec: Spec) -> None:
    """Resolve every grid point of every profile; the first problem is a :class:`TomlClaimError`."""
    for profile, points in spec.grid.items():
        for point in points:
            try:
                resolve(spec, point)
            except FieldError as exc:
                shown = ", ".join(f"{k}={v:g}" for k, v in point.items())
                raise TomlClaimError(f"{spec.path.rsplit('/', 1)[-1]}: {exc} (grid.{profile} point {shown})") from None


def _seed(field: Field | None, point: Point, run_seed: int) -> int:
    return run_seed if field is None else int(round(value_of(field, point.values)))


def _target(spec: Spec, point: Point, run_seed: int) -> np.ndarray:
    t = spec.target
    assert t is not None
    rng = np.random.default_rng(_seed(t["seed"], point, run_seed))
    if t["kind"] == "entries":
        return np.array(t["entries"], dtype=np.float64)
    if t["kind"] == "gaussian":
        G = rng.standard_normal((point.d_out, point.d_in))
        return G if t["norm"] is None else G * (value_of(t["norm"], point.values) / np.linalg.norm(G))
    # a given spectrum between Haar-random singular vectors
    r = min(point.d_in, point.d_out)
    U = np.linalg.qr(rng.standard_normal((point.d_out, point.d_out)))[0][:, :r]
    V = np.linalg.qr(rng.standard_normal((point.d_in, point.d_in)))[0][:, :r]
    s = np.array([value_of(f, point.values) for f in t["singular_values"]])
    return (U * s) @ V.T


def _data(spec: Spec, point: Point, run_seed: int, ar: Arithmetic) -> Problem:
    d = spec.data
    assert d is not None
    rng = np.random.default_rng(_seed(d["seed"], point, run_seed))
    noise = value_of(d["noise"], point.values)
    if d["kind"] == "whitened":
        w = whitened_data(point.d_in, point.d_out, point.m, rng, noise=noise, ar=ar)
        return Problem.data(w.X, w.Y, ar)
    if d["kind"] == "gaussian":
        X = rng.standard_normal((point.d_in, point.m))
        Y = rng.standard_normal((point.d_out, point.d_in)) @ X + noise * rng.standard_normal((point.d_out, point.m))
        return Problem.data(X, Y, ar)
    from proofs_check import data as datasets
    from proofs_check.data import one_hot

    ds = datasets.load("digits")
    if point.m > len(ds.y):
        raise FieldError(d["m"].key, f"the digits data set has {len(ds.y)} samples, got m={point.m}")
    return Problem.data(ds.X[: point.m].T, one_hot(ds.y[: point.m]), ar)


def _network(spec: Spec, point: Point, run_seed: int, ar: Arithmetic, Phi: np.ndarray | None) -> Network:
    init = spec.init
    rng = np.random.default_rng(_seed(init["seed"], point, run_seed))
    std = None if init["std"] is None else value_of(init["std"], point.values)
    kind, N, n = init["kind"], point.depth, point.width
    widths = [point.d_in, *([n] * (N - 1)), point.d_out]
    if kind == "balanced":
        A = _required_std(std, kind) * rng.standard_normal((point.d_out, point.d_in))
        if init["around"] == "target":
            assert Phi is not None
            A = A + Phi
        return inits.balanced(A, widths, rng, ar, orthogonal_insertion=init["orthogonal_insertion"])
    if kind == "orthogonal_like":
        return inits.orthogonal_like(widths, rng, 1.0 if std is None else std, ar)
    if kind == "gaussian":
        return inits.gaussian(widths, _required_std(std, kind), rng, ar)
    if kind == "xavier":
        return inits.xavier(widths, rng, ar)
    if kind == "zas":
        return inits.zas(n, N, point.d_out, ar, d_in=point.d_in)
    if (point.d_in, point.d_out) != (n, n):
        raise FieldError("init.kind", f"near_identity needs d_in = d_out = width, got {point.d_in}, {point.d_out}, {n}")
    return inits.near_identity(n, N, _required_std(std, kind), rng, ar)


def _required_std(std: float | None, kind: str) -> float:
    if std is None:  # spec.load refuses these kinds without init.std
        raise FieldError("init.std", f"the {kind} initialization needs a std")
    return std


def build(spec: Spec, point: Point, run_seed: int, ar: Arithmetic) -> tuple[Network, Problem, np.ndarray | None]:
    """The initialized network, the problem and (whitened) the target matrix in float64."""
    if spec.target is not None:
        Phi = _target(spec, point, run_seed)
        problem = Problem.whitened(Phi, ar)
    else:
        Phi, problem = None, _data(spec, point, run_seed, ar)
    return _network(spec, point, run_seed, ar, Phi), problem, Phi
