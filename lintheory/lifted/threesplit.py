"""An independent lifted baseline: proximal BCD on the three-splitting of a ReLU network.

The formulation of the later literature on block coordinate descent for deep networks
(Lau, Zeng, Wu, Yao 2018, "A proximal block coordinate descent algorithm for deep neural
network training"; Zeng, Lau, Lin, Yao 2019, "Global convergence of block coordinate descent
in deep learning"), written out here from its objective. Pre-activations :math:`U_n` and
activations :math:`V_n` are separate variables, :math:`V_0 = X`:

.. math::
    \\Phi = \\tfrac12\\lVert V_N - Y\\rVert_F^2
          + \\sum_{n=1}^N \\tfrac\\gamma2\\lVert V_n - \\sigma_n(U_n)\\rVert_F^2
          + \\tfrac\\rho2\\lVert U_n - W_nH_n\\rVert_F^2,
    \\qquad H_n = [V_{n-1}; \\mathbf 1^T],

with :math:`\\sigma_n = \\mathrm{ReLU}` for hidden layers and the identity for the output.
One sweep runs backward (n = N..1) and updates :math:`V_n`, :math:`U_n`, :math:`W_n` in turn,
each as the exact minimiser of :math:`\\Phi` plus the proximal term
:math:`\\tfrac\\alpha2\\lVert Z - Z^{t-1}\\rVert^2` (for :math:`V_n` with n < N the proximal
term is the ridge that keeps the linear system positive definite):

* :math:`V_N = (Y + \\gamma U_N + \\alpha V_N^{t-1})/(1 + \\gamma + \\alpha)`;
* :math:`V_n = (\\rho\\bar W_{n+1}^T\\bar W_{n+1} + (\\gamma+\\alpha)I)^{-1}
  (\\rho\\bar W_{n+1}^T(U_{n+1} - b_{n+1}) + \\gamma\\sigma(U_n) + \\alpha V_n^{t-1})`;
* :math:`U_N = (\\gamma V_N + \\rho W_NH_N + \\alpha U_N^{t-1})/(\\gamma + \\rho + \\alpha)`;
  hidden :math:`U_n`: the scalar problem
  :math:`\\min_u \\tfrac\\gamma2(v - \\max(0,u))^2 + \\tfrac{\\rho+\\alpha}2(u - c)^2`,
  :math:`c = (\\rho W_nH_n + \\alpha U_n^{t-1})/(\\rho+\\alpha)`, solved exactly by comparing the
  minimisers of its two quadratic branches (:func:`relu_prox`);
* :math:`W_n = (\\rho U_nH_n^T + \\alpha W_n^{t-1})(\\rho H_nH_n^T + (\\alpha + \\lambda)I)^{-1}`
  (with an optional weight decay :math:`\\tfrac\\lambda2\\lVert W_n\\rVert_F^2` in :math:`\\Phi`).

Every update is an exact proximal block minimisation, so :math:`\\Phi` never increases.
Predictions come from the forward pass of the weights (as for the lifted Tikhonov BCD).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from lintheory.lifted.model import layer_input

__all__ = ["ThreeSplitConfig", "ThreeSplitState", "relu_prox", "three_split_bcd", "three_split_init",
           "three_split_objective"]


@dataclass(frozen=True)
class ThreeSplitConfig:
    """Penalty weights :math:`\\gamma` (activation), :math:`\\rho` (pre-activation), proximal :math:`\\alpha`
    and weight decay :math:`\\lambda` (the term :math:`\\tfrac\\lambda2\\lVert W_n\\rVert_F^2` added to :math:`\\Phi`)."""

    gamma: float = 1.0
    rho: float = 1.0
    alpha: float = 5.0
    lam: float = 0.0

    def __post_init__(self) -> None:
        if not (self.gamma > 0 and self.rho > 0 and self.alpha > 0 and self.lam >= 0):
            raise ValueError(f"gamma, rho and alpha must be positive and lam non-negative, got {self.gamma}, "
                             f"{self.rho}, {self.alpha}, {self.lam}")


@dataclass(frozen=True)
class ThreeSplitState:
    """Weights with a bias column ``W[n-1]``, pre-activations ``U[n-1]``, activations ``V[n-1]`` (n = 1..N)."""

    W: tuple[np.ndarray, ...]
    U: tuple[np.ndarray, ...]
    V: tuple[np.ndarray, ...]


def relu_prox(v: np.ndarray, c: np.ndarray, kappa: float) -> np.ndarray:
    """Entrywise :math:`\\arg\\min_u \\tfrac12(v - \\max(0,u))^2 + \\tfrac\\kappa2(u - c)^2`.

    On :math:`u \\ge 0` the minimiser is :math:`\\max(0, (v + \\kappa c)/(1+\\kappa))`, on
    :math:`u \\le 0` it is :math:`\\min(0, c)`; the lower of the two values wins.
    """
    if not kappa > 0:
        raise ValueError(f"kappa must be positive, got {kappa}")
    pos = np.maximum(0.0, (v + kappa * c) / (1.0 + kappa))
    neg = np.minimum(0.0, c)
    f_pos = 0.5 * (v - pos) ** 2 + 0.5 * kappa * (pos - c) ** 2
    f_neg = 0.5 * v ** 2 + 0.5 * kappa * (neg - c) ** 2
    return np.where(f_pos <= f_neg, pos, neg)


def three_split_init(W: Sequence[np.ndarray], X: np.ndarray) -> ThreeSplitState:
    """U and V from the forward pass of ``W`` (weights with bias columns)."""
    U, V, h = [], [], X
    for n, w in enumerate(W):
        u = w @ layer_input(h, True)
        h = u if n == len(W) - 1 else np.maximum(u, 0.0)
        U.append(u)
        V.append(h)
    return ThreeSplitState(tuple(np.asarray(w) for w in W), tuple(U), tuple(V))


def three_split_objective(X: np.ndarray, Y: np.ndarray, s: ThreeSplitState, cfg: ThreeSplitConfig) -> float:
    """:math:`\\Phi` (module docstring)."""
    N = len(s.W)
    total = 0.5 * float(np.sum((s.V[-1] - Y) ** 2))
    for n in range(N):
        act = s.U[n] if n == N - 1 else np.maximum(s.U[n], 0.0)
        H = layer_input(X if n == 0 else s.V[n - 1], True)
        total += 0.5 * cfg.gamma * float(np.sum((s.V[n] - act) ** 2))
        total += 0.5 * cfg.rho * float(np.sum((s.U[n] - s.W[n] @ H) ** 2)) + 0.5 * cfg.lam * float(np.sum(s.W[n] ** 2))
    return total


def _ridge(T: np.ndarray, H: np.ndarray, W_old: np.ndarray, rho: float, alpha: float, lam: float) -> np.ndarray:
    lhs = rho * (H @ H.T) + (alpha + lam) * np.eye(H.shape[0])
    return scipy.linalg.solve(lhs, rho * (H @ T.T) + alpha * W_old.T, assume_a="pos").T


def _sweep(X: np.ndarray, Y: np.ndarray, s: ThreeSplitState, cfg: ThreeSplitConfig) -> ThreeSplitState:
    W, U, V = list(s.W), list(s.U), list(s.V)
    g, r, a = cfg.gamma, cfg.rho, cfg.alpha
    N = len(W)
    for n in range(N - 1, -1, -1):
        H = layer_input(X if n == 0 else V[n - 1], True)
        if n == N - 1:
            V[n] = (Y + g * U[n] + a * V[n]) / (1.0 + g + a)
            U[n] = (g * V[n] + r * (W[n] @ H) + a * U[n]) / (g + r + a)
        else:
            Wn = W[n + 1][:, :-1]
            lhs = r * (Wn.T @ Wn) + (g + a) * np.eye(Wn.shape[1])
            rhs = r * Wn.T @ (U[n + 1] - W[n + 1][:, -1:]) + g * np.maximum(U[n], 0.0) + a * V[n]
            V[n] = scipy.linalg.solve(lhs, rhs, assume_a="pos")
            c = (r * (W[n] @ H) + a * U[n]) / (r + a)
            U[n] = relu_prox(V[n], c, (r + a) / g)
        W[n] = _ridge(U[n], H, W[n], r, a, cfg.lam)
    return ThreeSplitState(tuple(W), tuple(U), tuple(V))


def three_split_bcd(X: np.ndarray, Y: np.ndarray, W0: Sequence[np.ndarray], cfg: ThreeSplitConfig, sweeps: int,
                    observe: Callable[[int, ThreeSplitState], object] | None = None
                    ) -> tuple[list[float], ThreeSplitState]:
    """``sweeps`` backward sweeps from the forward pass of ``W0``; returns :math:`\\Phi` per sweep
    (index 0: the start) and the final state. ``observe(t, state)`` runs after every sweep."""
    if not (isinstance(sweeps, int) and sweeps >= 0):
        raise ValueError(f"sweeps must be a non-negative integer, got {sweeps!r}")
    s = three_split_init(W0, X)
    values = [three_split_objective(X, Y, s, cfg)]
    for t in range(1, sweeps + 1):
        s = _sweep(X, Y, s, cfg)
        values.append(three_split_objective(X, Y, s, cfg))
        if observe is not None:
            observe(t, s)
    return values, s

