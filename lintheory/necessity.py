r"""The counterexamples of Arora, Cohen, Golowich, Hu (2019), Appendix C: what fails without
balance (Claim 4) or without a deficiency margin (Claim 5).

* Claim 4, scalar case :math:`d = 1`, :math:`\Phi = 1`, even :math:`N`: an end-to-end value
  :math:`W_{1:N}(0) = c` split very unevenly. The paper's split (its eq. (50)) was not
  recovered; :func:`unbalanced_split` is the brief's substitute [R]:
  :math:`W_1 = c/A^{N-1}`, :math:`W_j = A` for :math:`j \ge 2`, with :math:`A` large relative to
  :math:`1/\eta`. :func:`balanced_split` is the control :math:`W_j = c^{1/N}`.
* Claim 5: symmetric :math:`\Phi` with a negative eigenvalue, identity init, even :math:`N`:
  every :math:`W_{1:N}(t) = U\tilde D(t)^N U^\top \succeq 0`, so
  :math:`\ell(t) \ge \tfrac12\sum_{\lambda_i(\Phi) < 0}\lambda_i^2` (the sum form is
  reconstructed; the paper states :math:`\lambda^2/2` for one eigenvalue :math:`-\lambda`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lintheory.arith import Arithmetic, arithmetic
from lintheory.inits import as_rng
from lintheory.nets import Network, deep_linear

__all__ = ["balanced_split", "negative_part_floor", "symmetric_target", "unbalanced_split"]


def _check(c: Any, N: Any) -> None:
    if isinstance(N, bool) or not isinstance(N, int) or N < 1:
        raise ValueError(f"N must be an integer >= 1, got {N!r}")
    if not (np.isfinite(float(c)) and float(c) > 0):
        raise ValueError(f"c must be finite and > 0, got {c!r}")


def unbalanced_split(c: Any, N: int, A: Any, ar: str | Arithmetic = "mpmath:dps=50") -> Network:
    r"""Scalar network with :math:`W_1 = c/A^{N-1}`, :math:`W_2 = \dots = W_N = A` (product :math:`c`)."""
    _check(c, N)
    ar = arithmetic(ar)
    with ar.context():
        A, c = ar.number(A), ar.number(c)
        if not ar.to_float(A) > 0:
            raise ValueError(f"A must be > 0, got {A!r}")
        first = c / A ** (N - 1)
        return deep_linear([[[first]]] + [[[A]]] * (N - 1), ar)


def balanced_split(c: Any, N: int, ar: str | Arithmetic = "float64") -> Network:
    r"""Scalar network with every :math:`W_j = c^{1/N}` (0-balanced, product :math:`c`)."""
    _check(c, N)
    ar = arithmetic(ar)
    with ar.context():
        root = ar.number(c) ** (ar.number(1) / ar.number(N))
        return deep_linear([[[root]]] * N, ar)


def symmetric_target(eigenvalues: Sequence[float], rng: int | np.random.Generator | None = None) -> np.ndarray:
    r""":math:`\Phi = U\,\mathrm{diag}(\lambda)\,U^\top` with Haar :math:`U` (``rng``) or :math:`U = I` (``None``)."""
    lam = np.asarray(eigenvalues, dtype=np.float64)
    if lam.ndim != 1 or lam.size < 1 or not np.all(np.isfinite(lam)):
        raise ValueError(f"eigenvalues must be a non-empty 1-D sequence of finite numbers, got {eigenvalues!r}")
    if rng is None:
        return np.diag(lam)
    Q, R = np.linalg.qr(as_rng(rng).standard_normal((lam.size, lam.size)))
    U = Q * np.sign(np.diag(R))
    S = (U * lam) @ U.T
    # Rounding leaves U diag U^T slightly asymmetric, and float64 GD then leaves the
    # invariant set of symmetric iterates that Claim 5's floor relies on.
    return (S + S.T) / 2


def negative_part_floor(Phi: np.ndarray) -> float:
    r""":math:`\tfrac12\sum_{\lambda_i(\Phi)<0}\lambda_i^2`: the distance (squared, halved) from a
    symmetric :math:`\Phi` to the PSD cone, a floor for the loss of any PSD end-to-end matrix."""
    Phi = np.asarray(Phi, dtype=np.float64)
    if Phi.ndim != 2 or Phi.shape[0] != Phi.shape[1] or not np.allclose(Phi, Phi.T, rtol=0, atol=1e-12 * np.abs(Phi).max()):
        raise ValueError("Phi must be a symmetric square matrix")
    lam = np.linalg.eigvalsh(Phi)
    return 0.5 * float(np.sum(lam[lam < 0] ** 2))
