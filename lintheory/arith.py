r"""Three arithmetics behind one interface: float64, mpmath at ``dps`` digits, Arb balls.

Every trainer in :mod:`lintheory.train` is written once against :class:`Arithmetic`;
precision is a property of the backend object, never global state:

* :class:`Float64` — NumPy ``float64`` arrays (BLAS products).
* :class:`MPMath` — NumPy object arrays of ``mpf`` numbers owned by a private
  ``mpmath.MPContext``, so the working precision travels with the backend.
* :class:`Arb` — python-flint ``arb_mat`` balls; every operation runs inside
  ``flint.ctx.workprec(prec)`` and the result *encloses* the exact value of the
  same expression on the (exactly representable) inputs.  :meth:`Arb.radius`
  reports how wide the enclosure is.

Singular values need an iterative algorithm that Arb does not provide; for Arb they
are computed on the midpoints in mpmath at the same precision and are therefore
*not* enclosures (the methods say so).  Everything else in the Arb backend is rigorous.
"""

from __future__ import annotations

import contextlib
import functools
import math
import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import flint
import mpmath
import numpy as np

__all__ = ["Arithmetic", "Float64", "MPMath", "Arb", "arithmetic", "MIN_DPS", "MAX_DPS", "MIN_PREC", "MAX_PREC"]

MIN_DPS, MAX_DPS = 16, 10_000
MIN_PREC, MAX_PREC = 53, 33_000


def _at_prec(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run an :class:`Arb` method at the backend's precision.

    Entering ``flint.ctx.workprec`` costs more than a small ball product, so a method
    called from inside the trainers' ``context()`` (already at ``prec``) skips it.
    """

    @functools.wraps(method)
    def wrapper(self: Arb, *args: Any) -> Any:
        if flint.ctx.prec == self.prec:
            return method(self, *args)
        with flint.ctx.workprec(self.prec):
            return method(self, *args)

    return wrapper


def _check_matrix_like(a: Any, name: str = "a") -> np.ndarray:
    """Return ``a`` as a 2-D NumPy array (any dtype) or raise a ValueError naming it."""
    arr = np.asarray(a, dtype=object) if not isinstance(a, np.ndarray) else a
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix, got an array of shape {arr.shape}")
    return arr


class Arithmetic(ABC):
    """The operations a trainer needs, in one arithmetic.

    ``unit_roundoff`` is the relative rounding error of one operation (:math:`2^{-p}` for
    ``p`` mantissa bits), from which claims derive their tolerances.
    """

    name: str

    # A property so that MPMath and Arb can derive it from their precision; Float64 sets a constant.
    @property
    @abstractmethod
    def unit_roundoff(self) -> float: ...

    # -- construction and conversion -------------------------------------------------
    @abstractmethod
    def matrix(self, a: Any) -> Any:
        """A backend matrix from an ndarray, nested list, or another backend's matrix."""

    @abstractmethod
    def number(self, x: Any) -> Any:
        """A backend scalar from a float, int, decimal string, ``mpf`` or ``arb``."""

    @abstractmethod
    def to_numpy(self, M: Any) -> np.ndarray:
        """Float64 array of ``M`` (midpoints for Arb)."""

    @abstractmethod
    def to_float(self, x: Any) -> float:
        """Nearest float of a backend scalar (midpoint for Arb)."""

    @abstractmethod
    def to_mpf_array(self, M: Any) -> np.ndarray:
        """Object array of ``mpmath.mpf`` holding ``M`` exactly (midpoints for Arb)."""

    # -- shapes ----------------------------------------------------------------------
    @abstractmethod
    def shape(self, M: Any) -> tuple[int, int]: ...

    @abstractmethod
    def identity(self, n: int) -> Any: ...

    @abstractmethod
    def zeros(self, rows: int, cols: int) -> Any: ...

    # -- linear algebra ----------------------------------------------------------------
    @abstractmethod
    def matmul(self, A: Any, B: Any) -> Any: ...

    @abstractmethod
    def T(self, A: Any) -> Any: ...

    def add(self, A: Any, B: Any) -> Any:
        return A + B

    def sub(self, A: Any, B: Any) -> Any:
        return A - B

    @abstractmethod
    def scale(self, c: Any, A: Any) -> Any:
        """:math:`cA` for a scalar ``c`` given as any number :meth:`number` accepts."""

    @abstractmethod
    def dot(self, A: Any, B: Any) -> Any:
        r"""Frobenius inner product :math:`\langle A, B\rangle = \sum_{ij} A_{ij} B_{ij}`."""

    def frob_sq(self, A: Any) -> Any:
        r""":math:`\|A\|_F^2`."""
        return self.dot(A, A)

    def frob(self, A: Any) -> Any:
        r""":math:`\|A\|_F`."""
        return self.sqrt(self.frob_sq(A))

    @abstractmethod
    def singular_values(self, A: Any) -> list[Any]:
        """Singular values in descending order, as backend scalars."""

    def spectral_norm(self, A: Any) -> Any:
        r""":math:`\|A\|_2 = \sigma_{\max}(A)`."""
        return self.singular_values(A)[0]

    def sigma_min(self, A: Any) -> Any:
        r""":math:`\sigma_{\min}(A)`, the smallest of the :math:`\min(m, n)` singular values."""
        return self.singular_values(A)[-1]

    @abstractmethod
    def sqrt(self, x: Any) -> Any: ...

    @abstractmethod
    def log(self, x: Any) -> Any: ...

    def radius(self, M_or_x: Any) -> float:
        """Largest ball radius in ``M_or_x``; 0 for point arithmetics."""
        return 0.0

    def context(self) -> contextlib.AbstractContextManager:
        """A context in which Python operators on this backend's scalars use its precision.

        Only Arb needs one (python-flint's precision is process-wide); trainers run
        their loops inside it so that ``a * b`` on ``arb`` scalars is at ``prec`` bits.
        """
        return contextlib.nullcontext()

    @abstractmethod
    def is_finite(self, M_or_x: Any) -> bool: ...

    # -- fused operations of a gradient step ---------------------------------------------
    # The generic trainers call these a few times per step instead of a primitive per factor.
    # The defaults compose the primitives above; a backend whose primitives cost more to call
    # than to compute at small widths (Arb) runs the same algorithms with bare operators.
    def prefix_products(self, factors: Sequence[Any], X: Any) -> list[Any]:
        r"""``[P_0, ..., P_K]`` with :math:`P_0 = X` and :math:`P_j = F_j P_{j-1}` (``factors[j - 1]``
        is :math:`F_j`); ``X = None`` stands for the identity, so then :math:`P_1 = F_1`."""
        return _prefix_products(self.matmul, factors, X)

    def backprop(
        self, factors: Sequence[Any], prefixes: Sequence[Any], Q: Any, trainable: Sequence[bool]
    ) -> list[Any]:
        r"""Back-propagation: :math:`G_j = Q_j P_{j-1}^\top` for every trainable factor, ``None``
        for the others, where :math:`Q_K = Q` and :math:`Q_{j-1} = F_j^\top Q_j`; ``prefixes`` are
        those of :meth:`prefix_products` (a ``None`` prefix is the identity)."""
        return _backprop(self.matmul, self.T, factors, prefixes, Q, trainable)

    def descend(self, factors: Sequence[Any], eta: Any, grads: Sequence[Any]) -> tuple[Any, ...]:
        r""":math:`F_j - \eta G_j` for each factor (``F_j`` itself where ``G_j`` is ``None``)."""
        eta = self.number(eta)
        return tuple(F if G is None else self.sub(F, self.scale(eta, G)) for F, G in zip(factors, grads))

    def backprop_descend(
        self, factors: Sequence[Any], prefixes: Sequence[Any], Q: Any, trainable: Sequence[bool], eta: Any
    ) -> tuple[Any, ...]:
        r"""The step :meth:`descend` takes along the gradients of :meth:`backprop`, for a trainer
        that needs the new factors but not the gradients."""
        return self.descend(factors, eta, self.backprop(factors, prefixes, Q, trainable))

    def __str__(self) -> str:
        return self.name


def _prefix_products(matmul: Callable[[Any, Any], Any], factors: Sequence[Any], X: Any) -> list[Any]:
    P = [X]
    for F in factors:
        P.append(F if P[-1] is None else matmul(F, P[-1]))
    return P


def _backprop(
    matmul: Callable[[Any, Any], Any], T: Callable[[Any], Any],
    factors: Sequence[Any], prefixes: Sequence[Any], Q: Any, trainable: Sequence[bool],
) -> list[Any]:
    # Q^T is carried, Q_{j-1}^T = Q_j^T F_j, so that the recursion needs no transpose of F_j
    # (in Arb a transpose is a copy); G_j = (P_{j-1} Q_j^T)^T.  It is grown downwards only as
    # far as the lowest trainable factor: nothing below needs it.
    lowest = trainable.index(True) if any(trainable) else len(factors)
    grads: list[Any] = [None] * len(factors)
    Qt = T(Q)
    for j in range(len(factors) - 1, lowest - 1, -1):
        if trainable[j]:
            grads[j] = T(Qt if prefixes[j] is None else matmul(prefixes[j], Qt))
        if j > lowest:
            Qt = matmul(Qt, factors[j])
    return grads


@dataclass(frozen=True)
class Float64(Arithmetic):
    """IEEE double precision on NumPy arrays; unit round-off :math:`2^{-53}`."""

    name: str = field(default="float64", init=False)

    unit_roundoff = 2.0**-53

    def matrix(self, a: Any) -> np.ndarray:
        if isinstance(a, flint.arb_mat):
            a = _arb_mat_to_mpf(a)
        arr = _check_matrix_like(a)
        return np.array(arr, dtype=np.float64)

    def number(self, x: Any) -> float:
        if isinstance(x, flint.arb):
            x = x.mid()
        return float(x)

    def to_numpy(self, M: Any) -> np.ndarray:
        return np.asarray(M, dtype=np.float64)

    def to_float(self, x: Any) -> float:
        return float(x)

    def to_mpf_array(self, M: Any) -> np.ndarray:
        return np.vectorize(mpmath.mpf, otypes=[object])(np.asarray(M, dtype=np.float64))

    def shape(self, M: np.ndarray) -> tuple[int, int]:
        return M.shape  # type: ignore[return-value]

    def identity(self, n: int) -> np.ndarray:
        return np.eye(n)

    def zeros(self, rows: int, cols: int) -> np.ndarray:
        return np.zeros((rows, cols))

    def matmul(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        return A @ B

    def T(self, A: np.ndarray) -> np.ndarray:
        return A.T

    def scale(self, c: Any, A: np.ndarray) -> np.ndarray:
        return float(c) * A

    def dot(self, A: np.ndarray, B: np.ndarray) -> float:
        return float(np.vdot(A, B))

    def frob_sq(self, A: np.ndarray) -> float:
        return float(np.vdot(A, A))

    def singular_values(self, A: np.ndarray) -> list[float]:
        return [float(s) for s in np.linalg.svd(A, compute_uv=False)]

    def spectral_norm(self, A: np.ndarray) -> float:
        return float(np.linalg.norm(A, 2))

    def sqrt(self, x: float) -> float:
        return math.sqrt(x)

    def log(self, x: float) -> float:
        return math.log(x)

    def is_finite(self, M_or_x: Any) -> bool:
        return bool(np.all(np.isfinite(M_or_x)))


@dataclass(frozen=True)
class MPMath(Arithmetic):
    """mpmath multiprecision at ``dps`` decimal digits, with its own context.

    Matrices are NumPy object arrays of the context's ``mpf``; products go through
    NumPy's object ``matmul`` (each scalar operation rounds to ``dps`` digits).
    """

    dps: int = 50
    name: str = field(default="", init=False)
    ctx: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.dps, int) or not MIN_DPS <= self.dps <= MAX_DPS:
            raise ValueError(f"dps must be an integer in [{MIN_DPS}, {MAX_DPS}], got {self.dps!r}")
        ctx = mpmath.MPContext()
        ctx.dps = self.dps
        object.__setattr__(self, "ctx", ctx)
        object.__setattr__(self, "name", f"mpmath:dps={self.dps}")

    @property
    def unit_roundoff(self) -> float:
        return 2.0 ** (-self.ctx.prec)

    def _mpf(self, x: Any) -> Any:
        if isinstance(x, flint.arb):
            man, exp = x.mid().man_exp()
            return self.ctx.mpf((int(man), int(exp)))
        return self.ctx.mpf(x)

    def matrix(self, a: Any) -> np.ndarray:
        if isinstance(a, flint.arb_mat):
            a = _arb_mat_to_mpf(a)
        elif isinstance(a, mpmath.matrix):
            a = [[a[i, j] for j in range(a.cols)] for i in range(a.rows)]
        arr = _check_matrix_like(a)
        if arr.dtype != object:
            arr = arr.astype(np.float64)
        out = np.empty(arr.shape, dtype=object)
        for idx, v in np.ndenumerate(arr):
            out[idx] = self._mpf(float(v) if isinstance(v, np.floating) else v)
        return out

    def number(self, x: Any) -> Any:
        return self._mpf(float(x) if isinstance(x, np.floating) else x)

    def to_numpy(self, M: np.ndarray) -> np.ndarray:
        return np.array([[float(v) for v in row] for row in M], dtype=np.float64).reshape(M.shape)

    def to_float(self, x: Any) -> float:
        return float(x)

    def to_mpf_array(self, M: np.ndarray) -> np.ndarray:
        return M

    def shape(self, M: np.ndarray) -> tuple[int, int]:
        return M.shape  # type: ignore[return-value]

    def identity(self, n: int) -> np.ndarray:
        out = self.zeros(n, n)
        for i in range(n):
            out[i, i] = self.ctx.one
        return out

    def zeros(self, rows: int, cols: int) -> np.ndarray:
        out = np.empty((rows, cols), dtype=object)
        out.fill(self.ctx.zero)
        return out

    def matmul(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        # One ``fdot`` per entry, as ``mpmath.matrix`` multiplies: it sums the exact
        # products and rounds once, 2-3x faster than NumPy's object matmul (a rounded
        # ``mpf`` multiply and add per term, each a Python call).
        out = np.empty((A.shape[0], B.shape[1]), dtype=object)
        if A.shape[1] == 0:
            out.fill(self.ctx.zero)
            return out
        fdot, cols = self.ctx.fdot, B.T.tolist()
        for i, row in enumerate(A.tolist()):
            out[i] = [fdot(zip(row, col)) for col in cols]
        return out

    def T(self, A: np.ndarray) -> np.ndarray:
        return A.T

    def scale(self, c: Any, A: np.ndarray) -> np.ndarray:
        return self.number(c) * A

    def dot(self, A: np.ndarray, B: np.ndarray) -> Any:
        return self.ctx.fdot(zip(A.ravel(), B.ravel()))

    def singular_values(self, A: np.ndarray) -> list[Any]:
        rows, cols = A.shape
        M = self.ctx.matrix(A.tolist()) if A.size else self.ctx.matrix(rows, cols)
        if rows < cols:
            M = M.T
        s = self.ctx.svd_r(M, compute_uv=False)
        return sorted((s[i] for i in range(min(rows, cols))), reverse=True)

    def sqrt(self, x: Any) -> Any:
        return self.ctx.sqrt(x)

    def log(self, x: Any) -> Any:
        return self.ctx.log(x)

    def is_finite(self, M_or_x: Any) -> bool:
        values = M_or_x.ravel() if isinstance(M_or_x, np.ndarray) else [M_or_x]
        return all(self.ctx.isfinite(v) for v in values)


@dataclass(frozen=True)
class Arb(Arithmetic):
    """Arb midpoint-radius balls (python-flint ``arb_mat``) at ``prec`` bits.

    Conversions from float64 are exact; a decimal string becomes a ball containing it.
    """

    prec: int = 200
    name: str = field(default="", init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.prec, int) or not MIN_PREC <= self.prec <= MAX_PREC:
            raise ValueError(f"prec must be an integer in [{MIN_PREC}, {MAX_PREC}], got {self.prec!r}")
        object.__setattr__(self, "name", f"arb:prec={self.prec}")

    @property
    def unit_roundoff(self) -> float:
        return 2.0 ** (-self.prec)

    def _ctx(self) -> contextlib.AbstractContextManager:
        return flint.ctx.workprec(self.prec)

    def context(self) -> contextlib.AbstractContextManager:
        return self._ctx()

    def _arb(self, x: Any) -> flint.arb:
        if isinstance(x, flint.arb):
            return x
        if isinstance(x, mpmath.mpf):
            return _mpf_to_arb(x)
        if isinstance(x, (np.floating, np.integer)):
            x = x.item()
        return flint.arb(x)

    @_at_prec
    def matrix(self, a: Any) -> flint.arb_mat:
        if isinstance(a, flint.arb_mat):
            return a
        arr = _check_matrix_like(a)
        if arr.dtype != object:
            arr = arr.astype(np.float64)
        rows, cols = arr.shape
        return flint.arb_mat(rows, cols, [self._arb(v) for v in arr.ravel()])

    @_at_prec
    def number(self, x: Any) -> flint.arb:
        return self._arb(x)

    def to_numpy(self, M: flint.arb_mat) -> np.ndarray:
        return np.array([float(v.mid()) for v in M.entries()], dtype=np.float64).reshape(M.nrows(), M.ncols())

    def to_float(self, x: flint.arb) -> float:
        return float(x.mid())

    def to_mpf_array(self, M: flint.arb_mat) -> np.ndarray:
        return _arb_mat_to_mpf(M)

    def shape(self, M: flint.arb_mat) -> tuple[int, int]:
        return (M.nrows(), M.ncols())

    def identity(self, n: int) -> flint.arb_mat:
        return flint.arb_mat(n, n, [1 if i == j else 0 for i in range(n) for j in range(n)])

    def zeros(self, rows: int, cols: int) -> flint.arb_mat:
        return flint.arb_mat(rows, cols)

    @_at_prec
    def matmul(self, A: flint.arb_mat, B: flint.arb_mat) -> flint.arb_mat:
        return A * B

    def T(self, A: flint.arb_mat) -> flint.arb_mat:
        return A.transpose()

    @_at_prec
    def add(self, A: Any, B: Any) -> Any:
        return A + B

    @_at_prec
    def sub(self, A: Any, B: Any) -> Any:
        return A - B

    @_at_prec
    def scale(self, c: Any, A: flint.arb_mat) -> flint.arb_mat:
        return self._arb(c) * A

    @_at_prec
    def dot(self, A: flint.arb_mat, B: flint.arb_mat) -> flint.arb:
        # trace(A^T B) in one matrix product keeps the sum inside FLINT.
        if A.ncols() <= A.nrows():
            return (A.transpose() * B).trace()
        return (B * A.transpose()).trace()

    def singular_values(self, A: flint.arb_mat) -> list[flint.arb]:
        """Singular values of the midpoint matrix, in mpmath at ``prec`` bits (not enclosures)."""
        mp = MPMath(dps=max(MIN_DPS, int(self.prec * math.log10(2))))
        return [self.number(s) for s in mp.singular_values(mp.matrix(_arb_mat_to_mpf(A)))]

    @_at_prec
    def sqrt(self, x: flint.arb) -> flint.arb:
        return self._arb(x).sqrt()

    @_at_prec
    def frob(self, A: flint.arb_mat) -> flint.arb:
        # The ball of ||A||_F^2 may straddle 0; its negative part is impossible.
        x = self.frob_sq(A)
        if x.mid() - x.rad() >= 0:
            return x.sqrt()
        return flint.arb(0).union(x.abs_upper().sqrt())

    @_at_prec
    def log(self, x: flint.arb) -> flint.arb:
        return self._arb(x).log()

    def radius(self, M_or_x: Any) -> float:
        if isinstance(M_or_x, flint.arb_mat):
            entries = M_or_x.entries()
            return max((float(v.rad()) for v in entries), default=0.0)
        return float(self._arb(M_or_x).rad())

    def is_finite(self, M_or_x: Any) -> bool:
        values = M_or_x.entries() if isinstance(M_or_x, flint.arb_mat) else [self._arb(M_or_x)]
        return all(v.is_finite() for v in values)

    # The fused operations run the same algorithms on FLINT's bare operators, checking the
    # precision once per call: at d = 2 a ball product costs less than the check and the
    # Python call of a primitive around it.
    @_at_prec
    def prefix_products(self, factors: Sequence[Any], X: Any) -> list[Any]:
        return _prefix_products(operator.mul, factors, X)

    @_at_prec
    def backprop(
        self, factors: Sequence[Any], prefixes: Sequence[Any], Q: Any, trainable: Sequence[bool]
    ) -> list[Any]:
        return _backprop(operator.mul, flint.arb_mat.transpose, factors, prefixes, Q, trainable)

    @_at_prec
    def backprop_descend(
        self, factors: Sequence[Any], prefixes: Sequence[Any], Q: Any, trainable: Sequence[bool], eta: Any
    ) -> tuple[Any, ...]:
        # The gradients are linear in Q, so back-propagating eta*Q yields the steps eta*G_j:
        # one scalar product per step instead of one per factor (python-flint's scalar
        # product costs more than a 2x2 matrix product).
        steps = self.backprop(factors, prefixes, Q * self._arb(eta), trainable)
        return tuple(F if S is None else F - S for F, S in zip(factors, steps))


def _mpf_to_arb(x: mpmath.mpf) -> flint.arb:
    """``x`` as an Arb ball, exact when its mantissa fits in the working precision."""
    sign, man, exp, _ = x._mpf_
    if not man:
        return flint.arb(float(x))  # zero, or an infinity/NaN (special mpf encodings)
    man = -int(man) if sign else int(man)
    return flint.arb(man << exp) if exp >= 0 else flint.arb(flint.fmpq(man, 1 << -exp))


def _arb_mat_to_mpf(M: flint.arb_mat) -> np.ndarray:
    """Exact midpoints of an ``arb_mat`` as an object array of ``mpmath.mpf``."""
    out = np.empty((M.nrows(), M.ncols()), dtype=object)
    for k, v in enumerate(M.entries()):
        man, exp = v.mid().man_exp()
        out[k // M.ncols(), k % M.ncols()] = mpmath.mpf((int(man), int(exp)))
    return out


_SPEC = re.compile(r"(float64|mpmath:dps=([0-9]+)|arb:prec=([0-9]+))")  # ASCII digits, whole string


def arithmetic(spec: str | Arithmetic) -> Arithmetic:
    """Parse ``"float64"``, ``"mpmath:dps=N"`` or ``"arb:prec=N"`` into a backend.

    An :class:`Arithmetic` passes through unchanged, so every public function can take
    either a spec string or a backend.
    """
    if isinstance(spec, Arithmetic):
        return spec
    match = _SPEC.fullmatch(spec) if isinstance(spec, str) else None
    if match is None:
        raise ValueError(
            f"arithmetic must be 'float64', 'mpmath:dps=N' or 'arb:prec=N', got {spec!r}"
        )
    if match.group(2):
        return MPMath(dps=int(match.group(2)))
    if match.group(3):
        return Arb(prec=int(match.group(3)))
    return Float64()


def as_matrices(arith: Arithmetic, matrices: Sequence[Any], name: str) -> tuple[Any, ...]:
    """Convert each entry of ``matrices`` into ``arith``, checking finiteness.

    Raises a ValueError naming ``name[k]`` for a non-matrix or non-finite entry.
    """
    out = []
    for k, M in enumerate(matrices):
        try:
            converted = arith.matrix(M)
        except ValueError as exc:
            raise ValueError(f"{name}[{k}]: {exc}") from None
        if not arith.is_finite(converted):
            raise ValueError(f"{name}[{k}] must have finite entries")
        out.append(converted)
    return tuple(out)
