r"""Helpers shared by the claims of Arora, Cohen, Golowich, Hu (ICLR 2019): instance generators,
sampled GD runs, fits and drawings.

Theorem 1 instances (:func:`theorem1_instance`), by the ``instance`` parameter:

* ``scalar``: :math:`\Phi = s` (``scale``, default 1), balanced split of :math:`W_{1:N}(0) = s\,e_0`;
* ``near_identity``: :math:`\Phi = s(I + \rho\,G/\|G\|_F)` (``d x d``, :math:`\rho` = ``offset``,
  default 0.1) from ``identity`` init (scaled by :math:`s^{1/N}`) or ``delta_perturbed``: the
  identity plus a random perturbation halved until the imbalance is at most ``imbalance_frac``
  (default 1/2) of :math:`\delta(c)`;
* ``vector``: :math:`\Phi` a random ``1 x d`` row of norm :math:`s`, balanced init (Procedure 1)
  of :math:`A = \Phi + s\rho\,G/\|G\|_F`;
* ``tangent``: :math:`\Phi = s\,e_1^\top` (``1 x d``) and :math:`W_{1:N}(0) = s(\cos\theta\,e_1 +
  \sin\theta\,e_2)^\top` (:math:`\theta` = ``theta``), balanced init. The residual
  :math:`W_{1:N} - \Phi` is almost orthogonal to :math:`W_{1:N}`: the direction in which the
  end-to-end dynamics are slowest (the preconditioner's eigenvalue there is exactly
  :math:`\sigma_{\min}^{2(N-1)/N}`), and the margin is :math:`c = s(1 - 2\sin(\theta/2))`, so the
  observed rate is as close to the guaranteed one as the hypotheses allow.

Scaling :math:`\Phi` by :math:`s` scales the weights by :math:`s^{1/N}` and time by
:math:`s^{-2(N-1)/N}`: the statements are covariant, so a scale other than 1 tests exactly where
a constant in front of :math:`c^{2(N-1)/N}` would bind.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from lintheory import fit
from lintheory.arora import certified_margin, theorem1_constants
from lintheory.inits import balanced, imbalance
from lintheory.kernels import gd_float64
from lintheory.nets import deep_linear

Z = 4.0  # one-sided 4-sigma: a true bound is contradicted by chance with probability 3e-5 per cell


def pick(profile: str, quick: Any, standard: Any, full: Any = None) -> Any:
    """The value for ``profile`` (``full`` defaults to ``standard``)."""
    return {"quick": quick, "standard": standard, "full": standard if full is None else full}[profile]


def rel(a: Any, b: Any) -> float:
    """|a - b| / max(1, |b|) as a float."""
    return float(abs(a - b) / max(1, abs(b)))


def random_weights(widths: Sequence[int], rng: np.random.Generator) -> list[np.ndarray]:
    """Gaussian layers of variance 1/fan-in."""
    return [rng.standard_normal((widths[j + 1], widths[j])) / math.sqrt(widths[j]) for j in range(len(widths) - 1)]


def no_bottleneck(widths: Sequence[int]) -> bool:
    """Procedure 1 needs hidden widths >= min(d_0, d_N)."""
    return len(widths) == 2 or min(widths[1:-1]) >= min(widths[0], widths[-1])


def product(Ws: Sequence[np.ndarray]) -> np.ndarray:
    """W_N ... W_1."""
    return np.linalg.multi_dot(Ws[::-1]) if len(Ws) > 1 else Ws[0]


def theorem1_instance(params: Mapping[str, Any], rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    """Float64 weights and target of a Theorem 1 instance (see the module docstring)."""
    N, kind, s = params["N"], params["instance"], params.get("scale", 1.0)
    if kind == "scalar":
        return [np.array([[(s * params["e0"]) ** (1.0 / N)]])] * N, np.array([[s]])
    d, offset = params["d"], params.get("offset", 0.1)
    if kind == "tangent":
        Phi, E0 = np.zeros((1, d)), np.zeros((1, d))
        Phi[0, 0] = s
        E0[0, 0], E0[0, 1] = s * math.cos(params["theta"]), s * math.sin(params["theta"])
        return list(balanced(E0, [d] * N + [1], rng).factors), Phi
    G = rng.standard_normal((1 if kind == "vector" else d, d))
    if kind == "vector":
        Phi = rng.standard_normal((1, d))
        Phi *= s / np.linalg.norm(Phi)
        return list(balanced(Phi + s * offset * G / np.linalg.norm(G), [d] * N + [1], rng).factors), Phi
    Phi = s * (np.eye(d) + offset * G / np.linalg.norm(G))
    Ws = [s ** (1.0 / N) * np.eye(d) for _ in range(N)]
    if params["init"] != "delta_perturbed":
        return Ws, Phi
    P = [rng.standard_normal((d, d)) for _ in range(N)]
    kappa, frac = 1e-2 * s ** (1.0 / N), params.get("imbalance_frac", 0.5)
    while True:
        trial = [W + kappa * Q for W, Q in zip(Ws, P)]
        c = certified_margin(product(trial), Phi)
        if c > 0 and float(imbalance(deep_linear(trial))) <= frac * theorem1_constants(
                c, N, float(np.linalg.norm(Phi))).delta:
            return trial, Phi
        kappa /= 2


def sampled_gd(Ws: Sequence[np.ndarray], Phi: np.ndarray, eta: float, eps: float, cap: int,
               every: int) -> Iterator[tuple[int, list[np.ndarray], float, str]]:
    """Compiled float64 GD from ``Ws`` until loss <= ``eps`` or ``cap`` steps; yields
    ``(t, factors, loss, status)`` at t = 0 and every ``every`` steps (and at the end)."""
    t, factors = 0, [np.array(W, dtype=float) for W in Ws]
    yield 0, factors, 0.5 * float(np.sum((product(factors) - Phi) ** 2)), "running"
    while t < cap:
        res = gd_float64(factors, None, Phi, eta, eps=eps, max_iter=min(every, cap - t), history=2)
        t += res.iterations
        factors = list(res.factors)
        status = res.status if res.status != "max_iter" or t >= cap else "running"
        yield t, factors, res.loss, status
        if status != "running":
            return


def pooled_power_law(series: Sequence[Mapping[str, Sequence[float]]], x: str, y: str) -> Any:
    """A power law fitted to several series on the same x grid at once, each divided by its geometric
    mean (their prefactors differ, the exponent is shared: a fixed-effects fit in log space)."""
    xs, ys = [], []
    for s in series:
        logs = np.log(np.asarray(s[y], dtype=float))
        xs += list(s[x])
        ys += np.exp(logs - logs.mean()).tolist()
    return fit.power_law(xs, ys)


def loglog_draw(x: str, y: str, xlabel: str, ylabel: str, slope: float) -> Callable[[Mapping[str, Any], Any], None]:
    """A figure of the ``series["curves"]`` on log-log axes with a reference slope."""
    def draw(evidence: Mapping[str, Any], ax: Any) -> None:
        series = evidence.get("series", {}).get("curves", [])
        for s in series:
            ax.loglog(s[x], s[y], "o-", ms=3, label=s.get("label"))
        if series:
            x0, y0 = series[0][x][0], series[0][y][0]
            xs = np.array(series[0][x])
            ax.loglog(xs, y0 * (xs / x0) ** slope, "k--", lw=1, label=f"slope {slope:g}")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=6)
    return draw


def instance_label(params: Mapping[str, Any]) -> str:
    """A short name of a Theorem 1 instance for tables and figures."""
    extra = {"scalar": f"e0={params.get('e0')}", "tangent": f"theta={params.get('theta')}",
             "near_identity": str(params.get("init")), "vector": f"d={params.get('d')}"}.get(params["instance"], "")
    scale = params.get("scale", 1.0)
    return f"{params['instance']} N={params['N']} {extra}" + (f" scale={scale:g}" if scale != 1.0 else "")
