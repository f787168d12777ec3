r"""Certified evaluation of identities and inequalities in Arb ball arithmetic.

A check on a finite computation is a pair of real numbers ``(lhs, rhs)`` computed from
its inputs, together with a relation: ``lhs <= rhs``, ``lhs < rhs`` or ``lhs == rhs``.
:func:`certify` converts the inputs *exactly* into Arb balls (float64 numbers and
integers are dyadic rationals, so the conversion loses nothing), evaluates the check in
ball arithmetic at ``prec`` bits, and decides from the enclosure
:math:`D = [m \pm r] \ni \mathrm{rhs} - \mathrm{lhs}` (for an identity,
:math:`\mathrm{lhs} - \mathrm{rhs}`):

* inequality, :math:`m - r > 0` (the balls of both sides separate): **certified** —
  the inequality is proven for this instance, with margin ``m`` and radius ``r``;
* inequality, :math:`m + r < 0`: **refuted** — the violation is proven;
* identity, :math:`0 \in D` and :math:`|m| + r \le \tau`: **certified** to within
  :math:`\tau` — the proven bound :math:`|\mathrm{lhs}-\mathrm{rhs}| \le |m| + r`;
  :math:`0 \notin D`: **refuted**;
* otherwise **not certified at prec P**, with the precision that would decide it:
  Arb radii shrink like :math:`2^{-P}` on exact inputs, so
  :math:`P' = P + \lceil\log_2(r/|m|)\rceil + 16` separates the balls when the
  midpoint :math:`m` is the true margin; :func:`certify` probes higher precisions and
  reports the first that actually decided the check.  An inequality that holds with no
  margin is decided by no precision and gets no suggestion.

A strict certificate needs a positive margin, so an inequality that holds with equality
is *not certified*, never certified: the ball of a tie cannot be told from a violation
smaller than its radius.

Singular values are certified too (:func:`singular_values_enclosure`): the eigenvalues of
the smaller Gram matrix are enclosed by Arb's rigorous eigensolver, and the enclosure of
the :math:`k`-th smallest value is :math:`[\ell_{(k)}, u_{(k)}]` (the order statistics of
the lower and upper bounds), which holds even when the balls overlap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Literal

import flint
import numpy as np

from lintheory.arith import MAX_PREC, MIN_PREC, Arb

__all__ = [
    "Certificate",
    "certify",
    "decide",
    "exact",
    "singular_values_enclosure",
    "sigma_min_enclosure",
    "power_enclosure",
    "RELATIONS",
]

Relation = Literal["<=", "<", "=="]
Status = Literal["certified", "not_certified", "refuted"]
RELATIONS: tuple[str, ...] = ("<=", "<", "==")
GUARD_BITS = 16


@dataclass(frozen=True)
class Certificate:
    """The outcome of evaluating ``lhs REL rhs`` in Arb at ``prec`` bits.

    ``margin`` and ``radius`` are the midpoint and radius of the ball enclosing
    ``rhs - lhs`` (for ``==``: ``lhs - rhs``). ``bound`` is the proven bound
    :math:`|lhs - rhs| \\le |m| + r` of an identity (``None`` for an inequality).
    ``suggested_prec`` is the precision that would decide a ``not_certified`` check
    (``None`` when no precision can, or when the check is decided).
    """

    status: Status
    relation: str
    prec: int
    lhs: str
    rhs: str
    margin: float
    radius: float
    tolerance: float | None = None
    suggested_prec: int | None = None
    note: str = ""

    @property
    def certified(self) -> bool:
        return self.status == "certified"

    @property
    def bound(self) -> float | None:
        return abs(self.margin) + self.radius if self.relation == "==" else None

    def summary(self) -> str:
        """One line for a report cell."""
        if self.status == "certified":
            if self.relation == "==":
                return (f"certified at {self.prec} bits: |lhs - rhs| <= {self.bound:.3g} "
                        f"(radius {self.radius:.3g})")
            return f"certified at {self.prec} bits: margin {self.margin:.3g}, radius {self.radius:.3g}"
        if self.status == "refuted":
            return (f"refuted at {self.prec} bits: proven violation, margin {self.margin:.3g}, "
                    f"radius {self.radius:.3g}")
        hint = (f"; prec {self.suggested_prec} would decide it" if self.suggested_prec
                else f"; {self.note}" if self.note else "")
        return f"not certified at prec {self.prec} (margin {self.margin:.3g}, radius {self.radius:.3g}){hint}"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status, "relation": self.relation, "prec": self.prec,
            "lhs": self.lhs, "rhs": self.rhs, "margin": self.margin, "radius": self.radius,
            "bound": self.bound, "tolerance": self.tolerance,
            "suggested_prec": self.suggested_prec, "note": self.note, "summary": self.summary(),
        }


def _check_prec(prec: Any, name: str = "prec") -> int:
    if not isinstance(prec, int) or isinstance(prec, bool) or not MIN_PREC <= prec <= MAX_PREC:
        raise ValueError(f"{name} must be an integer number of bits in [{MIN_PREC}, {MAX_PREC}], got {prec!r}")
    return prec


def _dyadic_scalar(x: Any, name: str) -> flint.arb:
    """An exact ``arb`` of a float, int or power-of-two-denominator Fraction."""
    if isinstance(x, (bool, np.bool_)):
        raise ValueError(f"{name} must be a float, int or dyadic Fraction, got a bool")
    if isinstance(x, (np.floating, np.integer)):
        x = x.item()
    if isinstance(x, int):
        return flint.arb(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"{name} must be finite, got {x!r}")
        num, den = x.as_integer_ratio()
        x = Fraction(num, den)
    if isinstance(x, Fraction):
        den = x.denominator
        if den & (den - 1):
            raise ValueError(
                f"{name} must be exactly representable in binary (a dyadic rational), got {x!r}; "
                "pass its float64 value or a Fraction with a power-of-two denominator"
            )
        return flint.arb(x.numerator) / flint.arb(den)  # exact: division by a power of two
    raise ValueError(
        f"{name} must be a float, int, dyadic Fraction or an array of them, got {type(x).__name__}"
    )


def exact(x: Any, prec: int, name: str = "x") -> flint.arb | flint.arb_mat:
    """The exact Arb value of a dyadic scalar or a 2-D array of them (radius 0).

    Decimal strings such as ``"0.1"`` are rejected: they are not exactly representable,
    and a certificate is only as good as the exactness of its inputs.
    """
    _check_prec(prec)
    with flint.ctx.workprec(prec):
        if isinstance(x, (np.ndarray, list, tuple)):
            arr = np.asarray(x, dtype=object)
            if arr.ndim != 2:
                raise ValueError(f"{name} must be a scalar or a 2-D matrix, got an array of shape {arr.shape}")
            entries = [_dyadic_scalar(v, f"{name}[{i}]") for i, v in enumerate(arr.ravel())]
            return flint.arb_mat(arr.shape[0], arr.shape[1], entries)
        return _dyadic_scalar(x, name)


def _ball_str(x: flint.arb) -> str:
    return x.str(10, radius=True)


def _suggest(prec: int, margin: float, radius: float, target: float) -> int | None:
    """Precision at which a radius ``radius`` at ``prec`` bits drops below ``target``."""
    if target <= 0.0 or not math.isfinite(radius) or radius <= 0.0:
        return None
    needed = prec + max(0, math.ceil(math.log2(radius / target))) + GUARD_BITS
    return min(needed, MAX_PREC) if needed > prec else prec + GUARD_BITS


def decide(lhs: flint.arb, rhs: flint.arb, relation: Relation, prec: int,
           tolerance: float | None = None) -> Certificate:
    r"""Decide ``lhs REL rhs`` from two balls computed at ``prec`` bits.

    ``tolerance`` applies to identities only: the proven bound :math:`|m| + r` must not
    exceed it (default :math:`2^{-P/2}\max(1, |lhs|, |rhs|)`, half the working precision).
    """
    if relation not in RELATIONS:
        raise ValueError(f"relation must be one of {RELATIONS}, got {relation!r}")
    _check_prec(prec)
    if not isinstance(lhs, flint.arb) or not isinstance(rhs, flint.arb):
        raise ValueError("lhs and rhs must be flint.arb balls")
    with flint.ctx.workprec(prec):
        diff = lhs - rhs if relation == "==" else rhs - lhs
        finite = diff.is_finite()
        m = float(diff.mid()) if finite else math.nan
        r = float(diff.rad()) if finite else math.inf
        lo_pos = finite and diff.lower() > 0
        hi_neg = finite and diff.upper() < 0
        common: dict[str, Any] = dict(relation=relation, prec=prec, lhs=_ball_str(lhs), rhs=_ball_str(rhs), margin=m, radius=r)
        if not finite:
            return Certificate(status="not_certified", **common, tolerance=tolerance,
                               suggested_prec=min(2 * prec, MAX_PREC),
                               note="the enclosure is not finite (an eigenvalue or a division could not be isolated)")
        if relation == "==":
            scale = max(1.0, abs(float(lhs.mid())), abs(float(rhs.mid())))
            tol = float(tolerance) if tolerance is not None else scale * 2.0 ** (-prec / 2)
            if tol <= 0 or not math.isfinite(tol):
                raise ValueError(f"tolerance must be a positive finite number, got {tolerance!r}")
            if lo_pos or hi_neg:
                return Certificate(status="refuted", **common, tolerance=tol,
                                   note="0 lies outside the enclosure of lhs - rhs")
            if abs(m) + r <= tol:
                return Certificate(status="certified", **common, tolerance=tol)
            return Certificate(status="not_certified", **common, tolerance=tol,
                               suggested_prec=_suggest(prec, m, abs(m) + r, tol),
                               note=f"the proven bound |lhs - rhs| <= {abs(m) + r:.3g} exceeds the tolerance {tol:.3g}")
        if lo_pos:
            return Certificate(status="certified", **common)
        if hi_neg or (relation == "<" and diff.upper() <= 0 and diff.is_exact()):
            return Certificate(status="refuted", **common, note="the balls separate the wrong way")
        if m == 0.0:
            return Certificate(status="not_certified", **common,
                               note="the midpoint of rhs - lhs is exactly 0: the inequality holds with no "
                                    "margin at this precision; a higher one decides it only if the true "
                                    "margin is non-zero")
        return Certificate(status="not_certified", **common, suggested_prec=_suggest(prec, m, r, abs(m)),
                           note="the balls of lhs and rhs overlap")


def certify(check: Callable[[Arb, Mapping[str, Any]], tuple[flint.arb, flint.arb]],
            inputs: Mapping[str, Any], relation: Relation = "<=", prec: int = 200,
            tolerance: float | None = None, max_prec: int | None = None,
            probe_prec: int | None = None) -> Certificate:
    r"""Evaluate ``check(arith, exact_inputs) -> (lhs, rhs)`` in Arb and decide ``lhs REL rhs``.

    Every entry of ``inputs`` (a float, int, dyadic Fraction or 2-D array of them) is
    converted exactly into an ``arb`` / ``arb_mat`` before ``check`` sees it, so the
    certificate speaks about exactly these numbers. ``check`` computes with the
    :class:`lintheory.arith.Arb` backend it is given (whose operations are enclosures)
    or directly with python-flint at ``arith.prec``.

    When ``prec`` does not decide the check, higher precisions are probed (each at least
    1.5 times the last, up to ``probe_prec``, default ``max(4 prec, 1024)`` bits) and the
    certificate's ``suggested_prec`` is the first one that *did* decide it, so the
    suggestion is verified rather than extrapolated from a midpoint that may be noise.
    With ``max_prec``, a decision found at a precision ``<= max_prec`` is returned itself.
    """
    if not callable(check):
        raise ValueError("check must be a callable (arith, inputs) -> (lhs, rhs)")
    if not isinstance(inputs, Mapping):
        raise ValueError("inputs must be a mapping from names to dyadic numbers or matrices")
    _check_prec(prec)
    if max_prec is not None:
        _check_prec(max_prec, "max_prec")
    if probe_prec is not None:
        _check_prec(probe_prec, "probe_prec")
    if relation not in RELATIONS:
        raise ValueError(f"relation must be one of {RELATIONS}, got {relation!r}")
    for key, value in inputs.items():  # validate before any work
        exact(value, prec, name=f"inputs[{key!r}]")

    def at(p: int) -> Certificate:
        arith = Arb(prec=p)
        converted = {k: exact(v, p, name=f"inputs[{k!r}]") for k, v in inputs.items()}
        with flint.ctx.workprec(p):
            lhs, rhs = check(arith, converted)
            lhs, rhs = flint.arb(lhs), flint.arb(rhs)
        return decide(lhs, rhs, relation, p, tolerance)

    first = at(prec)
    if first.status != "not_certified":
        return first
    cap = max(max_prec or 0, probe_prec or min(MAX_PREC, max(4 * prec, 1024)))
    last = first
    while last.status == "not_certified" and last.prec < cap:
        last = at(min(cap, max(last.suggested_prec or 2 * last.prec, (3 * last.prec) // 2)))
    if last.status == "not_certified":
        return replace(first, suggested_prec=None,
                       note=f"not decided at any precision up to {last.prec} bits (margin "
                            f"{last.margin:.3g}, radius {last.radius:.3g}): the check may hold with "
                            "no margin, which no precision decides")
    if max_prec is not None and last.prec <= max_prec:
        return last
    return replace(first, suggested_prec=last.prec,
                   note=f"{last.status.replace('_', ' ')} at {last.prec} bits (probed)")


def _interval(lo: flint.arb, hi: flint.arb) -> flint.arb:
    """The smallest ball containing ``[lo.lower(), hi.upper()]``."""
    return flint.arb(lo.lower()).union(flint.arb(hi.upper()))


def singular_values_enclosure(A: flint.arb_mat, prec: int) -> list[flint.arb]:
    r"""Balls enclosing the :math:`\min(m, n)` singular values of every matrix in ``A``, descending.

    :math:`\sigma_k(A)^2` are the eigenvalues of the smaller Gram matrix :math:`AA^\top` or
    :math:`A^\top A`, which Arb's eigensolver encloses (``multiple=True`` admits clusters).
    If the eigenvalues cannot be isolated at ``prec`` the balls are infinite, so every
    check built on them is reported as not certified.
    """
    _check_prec(prec)
    if not isinstance(A, flint.arb_mat):
        raise ValueError(f"A must be a flint.arb_mat, got {type(A).__name__}")
    rows, cols = A.nrows(), A.ncols()
    k = min(rows, cols)
    if k == 0:
        return []
    with flint.ctx.workprec(prec):
        gram = A * A.transpose() if rows <= cols else A.transpose() * A
        try:
            eigs = flint.acb_mat(gram).eig(multiple=True)
        except (ValueError, ZeroDivisionError):
            return [flint.arb("nan")] * k
        # The Gram matrix is symmetric, so each true eigenvalue is real and non-negative:
        # it lies in the real part of its complex ball, intersected with [0, inf).
        reals = [e.real.nonnegative_part() for e in eigs]
        if not all(x.is_finite() for x in reals):
            return [flint.arb("nan")] * k
        lowers = sorted((x.lower() for x in reals), key=float)
        uppers = sorted((x.upper() for x in reals), key=float)
        squares = [_interval(lo, hi).nonnegative_part() for lo, hi in zip(lowers, uppers)]
        return [s.sqrt() for s in reversed(squares)]


def sigma_min_enclosure(A: flint.arb_mat, prec: int) -> flint.arb:
    r"""A ball enclosing :math:`\sigma_{\min}(A)`, the :math:`\min(m, n)`-th singular value."""
    values = singular_values_enclosure(A, prec)
    if not values:
        raise ValueError("A must have at least one row and one column")
    return values[-1]


def power_enclosure(x: flint.arb, p: Fraction, prec: int) -> flint.arb:
    r"""A ball enclosing :math:`x^{p}` for :math:`x \ge 0` and a rational :math:`p \ge 0`.

    Computed as :math:`(x^{1/q})^{r}` for :math:`p = r/q`, which is rigorous at 0
    (where :math:`\exp(p\log x)` is not).
    """
    _check_prec(prec)
    p = Fraction(p)
    if p < 0:
        raise ValueError(f"p must be a non-negative rational, got {p}")
    with flint.ctx.workprec(prec):
        base = flint.arb(x).nonnegative_part()
        root = base if p.denominator == 1 else base.root(p.denominator)
        return root ** p.numerator
