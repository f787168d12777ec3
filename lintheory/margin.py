r"""Test points for Claim 1 of Arora, Cohen, Golowich, Hu (2019): if :math:`W` has deficiency
margin :math:`c` w.r.t. :math:`\Phi`, every :math:`W'` with :math:`\|W' - \Phi\|_F \le \|W - \Phi\|_F`
has :math:`\sigma_{\min}(W') \ge c`.

The points lie in the Frobenius ball :math:`\{W' : \|W'-\Phi\|_F \le \rho\}`: uniform in the ball,
uniform on its boundary, the analytic minimizer of :math:`\sigma_{\min}` over the ball
:math:`\Phi - \rho\,u_{\min}v_{\min}^\top` (where Weyl's inequality is tight), and boundary points
found by minimizing :math:`\sigma_{\min}` numerically from random starts (an adversary that does
not know the analytic answer).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from lintheory.inits import as_rng

__all__ = ["adversarial_points", "ball_points", "tight_point"]


def _check(Phi: np.ndarray, radius: float) -> np.ndarray:
    Phi = np.asarray(Phi, dtype=np.float64)
    if Phi.ndim != 2 or not np.all(np.isfinite(Phi)):
        raise ValueError(f"Phi must be a finite 2-D matrix, got shape {Phi.shape}")
    if not (np.isfinite(radius) and radius >= 0):
        raise ValueError(f"radius must be finite and >= 0, got {radius!r}")
    return Phi


def ball_points(Phi: np.ndarray, radius: float, n: int, rng: int | np.random.Generator,
                boundary: bool = False) -> np.ndarray:
    r"""``n`` points :math:`\Phi + D` with :math:`D` uniform in the Frobenius ball of ``radius``
    (on its sphere when ``boundary``); shape ``(n, *Phi.shape)``."""
    Phi = _check(Phi, radius)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    gen = as_rng(rng)
    D = gen.standard_normal((n,) + Phi.shape)
    D /= np.sqrt(np.einsum("nij,nij->n", D, D))[:, None, None]
    r = np.full(n, radius) if boundary else radius * gen.random(n) ** (1.0 / Phi.size)
    return Phi + r[:, None, None] * D


def tight_point(Phi: np.ndarray, radius: float) -> np.ndarray:
    r""":math:`\Phi - \rho\,u_{\min}v_{\min}^\top`, where :math:`\sigma_{\min} = \sigma_{\min}(\Phi) - \rho`
    (for :math:`\rho \le \sigma_{\min}(\Phi)`): Claim 1's bound is attained."""
    Phi = _check(Phi, radius)
    U, _, Vt = np.linalg.svd(Phi, full_matrices=False)
    return Phi - radius * np.outer(U[:, -1], Vt[-1])


def adversarial_points(Phi: np.ndarray, radius: float, n_starts: int, rng: int | np.random.Generator) -> np.ndarray:
    r"""Points on the sphere :math:`\|W'-\Phi\|_F = \rho` that locally minimize :math:`\sigma_{\min}(W')`,
    found by BFGS on :math:`D \mapsto \sigma_{\min}(\Phi + \rho D/\|D\|_F)` from ``n_starts`` random
    directions; shape ``(n_starts, *Phi.shape)``."""
    Phi = _check(Phi, radius)
    gen = as_rng(rng)

    def point(x: np.ndarray) -> np.ndarray:
        D = x.reshape(Phi.shape)
        return Phi + radius * D / np.linalg.norm(D)

    def objective(x: np.ndarray) -> float:
        return float(np.linalg.svd(point(x), compute_uv=False)[-1])

    out = []
    for _ in range(n_starts):
        result = minimize(objective, gen.standard_normal(Phi.size), method="BFGS", options={"gtol": 1e-10})
        out.append(point(result.x))
    return np.array(out)
