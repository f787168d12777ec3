"""Solvers for the hidden-layer U-subproblem (ZB-5), a non-negative least-squares QP.

.. math::
    \\min_{U \\ge 0} \\Phi(U) = \\tfrac12 \\operatorname{tr}(U^T A U) - \\operatorname{tr}(B^T U),
    \\qquad A \\succ 0 \\ (d\\times d), \\ B \\in \\mathbb{R}^{d\\times M}

(reconstructed; the columns are independent problems sharing the Hessian A).
Every method starts from ``U0`` and never increases :math:`\\Phi`, so BCD stays
monotone with any number of inner iterations:

* ``"pg"``: projected gradient :math:`U \\leftarrow \\max(0, U - (AU - B)/L)`,
  :math:`L = \\lambda_{\\max}(A)`;
* ``"apg"``: monotone FISTA (Beck & Teboulle 2009, MFISTA): the accelerated
  candidate is accepted only when it does not increase :math:`\\Phi`;
* ``"active_set"``: exact: the KKT system on the active set that projected gradient from ``U0``
  suggests, solved for all columns at once and verified (sign of the solution, of the gradient on
  the active set); a column that fails the test is solved by ``scipy.optimize.nnls`` on the
  Cholesky factor :math:`A = R^TR` (:math:`\\Phi(u) = \\tfrac12\\lVert Ru - R^{-T}b\\rVert^2 - \\text{const}`).
  Exact solutions are optimal, hence no worse than ``U0``.

The KKT conditions are :math:`U \\ge 0`, :math:`AU - B \\ge 0`, :math:`U \\circ (AU - B) = 0`;
:func:`kkt` measures them by :math:`\\lVert\\min(U, AU - B)\\rVert_F`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.linalg
import scipy.optimize

__all__ = ["METHODS", "NNLSConfig", "NNLSResult", "kkt", "qp_value", "solve"]

Method = Literal["pg", "apg", "active_set"]
METHODS: tuple[str, ...] = ("pg", "apg", "active_set")


@dataclass(frozen=True)
class NNLSConfig:
    """Inner-solver settings: stop after ``max_iter`` iterations or when ``kkt <= tol * scale``.

    ``scale`` is :math:`\\lVert B\\rVert_F` (so ``tol`` is relative); ``tol = 0`` runs all iterations.
    ``max_iter`` is ignored by ``"active_set"``.
    """

    method: Method = "pg"
    max_iter: int = 20
    tol: float = 0.0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if not (isinstance(self.max_iter, int) and self.max_iter >= 1):
            raise ValueError(f"max_iter must be a positive integer, got {self.max_iter!r}")
        if not self.tol >= 0:
            raise ValueError(f"tol must be non-negative, got {self.tol}")


@dataclass(frozen=True)
class NNLSResult:
    U: np.ndarray
    iterations: int
    kkt: float


def qp_value(A: np.ndarray, B: np.ndarray, U: np.ndarray) -> float:
    """:math:`\\Phi(U)`."""
    return float(0.5 * np.sum(U * (A @ U)) - np.sum(B * U))


def kkt(A: np.ndarray, B: np.ndarray, U: np.ndarray) -> float:
    """:math:`\\lVert\\min(U, AU - B)\\rVert_F` (zero exactly at the solution when U >= 0)."""
    r = np.minimum(U, A @ U - B)
    return float(np.sqrt(np.sum(r * r)))


def _validate(A: np.ndarray, B: np.ndarray, U0: np.ndarray) -> None:
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square (d x d) array, got shape {A.shape}")
    if B.ndim != 2 or B.shape[0] != A.shape[0]:
        raise ValueError(f"B must be a (d x M) array with d = {A.shape[0]}, got shape {B.shape}")
    if U0.shape != B.shape:
        raise ValueError(f"U0 must have B's shape {B.shape}, got {U0.shape}")
    if np.any(U0 < 0):
        raise ValueError("U0 must be non-negative (a feasible warm start)")


def _lipschitz(A: np.ndarray) -> float:
    d = A.shape[0]
    return float(scipy.linalg.eigvalsh(A, subset_by_index=[d - 1, d - 1])[0])


def _pg(A, B, U, L, cfg, scale):
    for it in range(1, cfg.max_iter + 1):
        G = A @ U - B
        if cfg.tol > 0 and np.linalg.norm(np.minimum(U, G)) <= cfg.tol * scale:
            return U, it - 1
        U = np.maximum(U - G / L, 0.0)
    return U, cfg.max_iter


def _apg(A, B, U, L, cfg, scale):
    Z, t = U, 1.0
    AU = A @ U
    value = 0.5 * np.sum(U * AU) - np.sum(B * U)
    for it in range(1, cfg.max_iter + 1):
        G = A @ Z - B
        if cfg.tol > 0 and np.linalg.norm(np.minimum(U, AU - B)) <= cfg.tol * scale:
            return U, it - 1
        C = np.maximum(Z - G / L, 0.0)
        AC = A @ C
        c_value = 0.5 * np.sum(C * AC) - np.sum(B * C)
        t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        U_prev = U
        if c_value <= value:
            U, AU, value = C, AC, c_value
        Z = U + (t / t_next) * (C - U) + ((t - 1.0) / t_next) * (U - U_prev)
        t = t_next
    return U, cfg.max_iter


def _active_set(A, B, U0):
    """Exact: the KKT system on an active set guessed by projected gradient from ``U0``, solved for
    all columns in one batch; columns whose guess fails the KKT test go to ``scipy.optimize.nnls``."""
    d, M = B.shape
    U, _ = _pg(A, B, U0, _lipschitz(A), NNLSConfig("pg", 200, 1e-10), float(np.linalg.norm(B)) or 1.0)
    free = (U > 0).T
    system = np.where(free[:, :, None] & free[:, None, :], A[None], 0.0) + np.eye(d)[None] * ~free[:, :, None]
    X = np.linalg.solve(system, np.where(free, B.T, 0.0)[:, :, None])[:, :, 0].T
    G = A @ X - B
    # round-off of the residual: a few ulps of the terms that form it
    slack = 64 * np.finfo(float).eps * (np.abs(A) @ np.abs(X) + np.abs(B))
    bad = np.flatnonzero(np.any((X < 0) | ((G < -slack) & ~free.T), axis=0))
    if bad.size:
        R = scipy.linalg.cholesky(A)
        rhs = scipy.linalg.solve_triangular(R, B[:, bad], trans="T")
        for k, j in enumerate(bad):
            X[:, j] = scipy.optimize.nnls(R, rhs[:, k])[0]
    return X


def solve(A: np.ndarray, B: np.ndarray, U0: np.ndarray, cfg: NNLSConfig = NNLSConfig()) -> NNLSResult:
    """Minimise :math:`\\Phi` over :math:`U \\ge 0` from the feasible warm start ``U0``."""
    _validate(A, B, U0)
    if cfg.method == "active_set":
        U, iterations = _active_set(A, B, U0), 1
    else:
        L = _lipschitz(A)
        if not L > 0:
            raise ValueError(f"A must be positive definite, its largest eigenvalue is {L}")
        scale = float(np.linalg.norm(B)) or 1.0
        step = _pg if cfg.method == "pg" else _apg
        U, iterations = step(A, B, U0, L, cfg, scale)
    return NNLSResult(U, iterations, kkt(A, B, U))
