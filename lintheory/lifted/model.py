"""The lifted, Tikhonov-regularised ReLU network of Zhang & Brand (NeurIPS 2017), reconstructed.

The paper's body was not available; the formulation is reconstructed here. Its equations carry
the labels ZB-1 (ReLU as a projection), ZB-2 (the objective below), ZB-3 (the Tikhonov matrix),
ZB-4 (the forward pass), ZB-5 (the hidden NNLS block), ZB-6 (the lifted-output update) and ZB-7
(the ridge W-update), each written out where it is implemented. With data
:math:`X = U_0 \\in \\mathbb{R}^{d_0\\times M}`, targets :math:`Y`, weights
:math:`W_1..W_N` and lifted activations :math:`U_1..U_K` the objective is (ZB-2)

.. math::
    F(U, W) = \\ell(S, Y) + \\sum_{n=1}^{K} \\frac{\\gamma_n}{2}\\lVert U_n - W_n H_n\\rVert_F^2
              + \\sum_{n=1}^{N} \\frac{\\lambda_n}{2}\\lVert W_n\\rVert_F^2,
    \\qquad U_n \\ge 0 \\ (n < N),

where :math:`H_n = U_{n-1}` (or :math:`[U_{n-1}; \\mathbf 1^T]` with biases) is layer
:math:`n`'s input. The output treatment decides :math:`K` and the scores :math:`S`:

* ``"free"`` (option (a)): :math:`K = N`, :math:`U_N` unconstrained, :math:`S = U_N`;
* ``"relu"`` (option (b)): as ``"free"`` with :math:`U_N \\ge 0`;
* ``"none"``: no lifted output, :math:`K = N - 1`, :math:`S = W_N H_N` (the limit
  :math:`\\gamma_N \\to \\infty` of ``"free"``).

Losses (summed over samples): ``"squared"`` :math:`\\tfrac12\\lVert S - Y\\rVert_F^2` with
one-hot :math:`Y`, and ``"squared_hinge"`` :math:`\\tfrac12\\sum\\max(0, 1 - \\tilde Y\\circ S)^2`
with :math:`\\tilde Y = 2Y - 1` (one-vs-all). Both are smooth and convex, so :math:`F` is
multi-convex in the blocks :math:`U_1, .., U_K, W_1, .., W_N`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "LiftedConfig",
    "LiftedState",
    "Terms",
    "forward",
    "forward_state",
    "gradients",
    "kkt_residual",
    "layer_input",
    "lifted_scores",
    "loss_grad",
    "loss_value",
    "objective",
    "objective_terms",
    "predict",
    "relu_projection",
    "tikhonov_coupling",
    "tikhonov_matrix",
]

Loss = Literal["squared", "squared_hinge"]
Output = Literal["free", "relu", "none"]
LOSSES: tuple[str, ...] = ("squared", "squared_hinge")
OUTPUTS: tuple[str, ...] = ("free", "relu", "none")


@dataclass(frozen=True)
class LiftedConfig:
    """Hyper-parameters of (ZB-2) plus the proximal weight :math:`\\eta` of the BCD (section 2).

    ``gamma`` has one entry per lifted layer (``N`` entries, or ``N - 1`` when
    ``output == "none"``); ``lam`` has one entry per weight layer.
    """

    gamma: tuple[float, ...]
    lam: tuple[float, ...]
    eta: float = 0.0
    loss: Loss = "squared"
    output: Output = "free"
    bias: bool = False

    def __post_init__(self) -> None:
        if not self.lam:
            raise ValueError("lam must have one entry per weight layer (at least one)")
        if len(self.gamma) != self.lifted_layers:
            raise ValueError(
                f"gamma must have {self.lifted_layers} entries for N={self.layers} and "
                f"output={self.output!r}, got {len(self.gamma)}")
        if any(not g > 0 for g in self.gamma):
            raise ValueError(f"gamma must be positive, got {self.gamma}")
        if any(not lam >= 0 for lam in self.lam):
            raise ValueError(f"lam must be non-negative, got {self.lam}")
        if not self.eta >= 0:
            raise ValueError(f"eta must be non-negative, got {self.eta}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {self.output!r}")
        if self.output == "none" and self.loss != "squared":
            raise ValueError("output='none' needs loss='squared' (the W_N update is then a "
                             "closed-form ridge regression)")

    @classmethod
    def uniform(cls, layers: int, gamma: float, lam: float, **kw) -> LiftedConfig:
        """Equal :math:`\\gamma_n = \\gamma`, :math:`\\lambda_n = \\lambda` on an ``layers``-layer net."""
        if layers < 1:
            raise ValueError(f"layers must be a positive integer, got {layers}")
        k = layers - 1 if kw.get("output") == "none" else layers
        return cls(gamma=(float(gamma),) * k, lam=(float(lam),) * layers, **kw)

    @property
    def layers(self) -> int:
        return len(self.lam)

    @property
    def lifted_layers(self) -> int:
        return self.layers - 1 if self.output == "none" else self.layers


@dataclass(frozen=True)
class LiftedState:
    """The BCD variables: weights ``W[n-1]`` = :math:`W_n` and lifted ``U[n-1]`` = :math:`U_n`."""

    W: tuple[np.ndarray, ...]
    U: tuple[np.ndarray, ...]

    def replace(self, *, W: Sequence[np.ndarray] | None = None,
                U: Sequence[np.ndarray] | None = None) -> LiftedState:
        return LiftedState(self.W if W is None else tuple(W), self.U if U is None else tuple(U))

    def blocks(self) -> tuple[np.ndarray, ...]:
        return self.U + self.W


@dataclass(frozen=True)
class Terms:
    """The three parts of :math:`F`: output loss, coupling per lifted layer, ridge."""

    loss: float
    coupling: tuple[float, ...]
    ridge: float

    @property
    def total(self) -> float:
        return self.loss + sum(self.coupling) + self.ridge


def relu_projection(v: np.ndarray) -> tuple[np.ndarray, float]:
    """(ZB-1): :math:`\\max(0,v) = \\arg\\min_{u\\ge0}\\lVert u-v\\rVert^2`,
    optimal value :math:`\\lVert\\min(v,0)\\rVert^2`."""
    v = np.asarray(v)
    neg = np.minimum(v, 0)
    return np.maximum(v, 0), float(np.sum(neg * neg))


def layer_input(U_prev: np.ndarray, bias: bool) -> np.ndarray:
    """:math:`H_n`: the previous layer's activations, with a row of ones when ``bias``."""
    if not bias:
        return U_prev
    return np.vstack([U_prev, np.ones((1, U_prev.shape[1]), dtype=U_prev.dtype)])


def _check(X: np.ndarray, Y: np.ndarray, state: LiftedState, cfg: LiftedConfig) -> None:
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y must be (d_0 x M) and (d_N x M) arrays, got {X.shape} and {Y.shape}")
    if len(state.W) != cfg.layers or len(state.U) != cfg.lifted_layers:
        raise ValueError(f"state must have {cfg.layers} weights and {cfg.lifted_layers} lifted "
                         f"blocks, got {len(state.W)} and {len(state.U)}")
    rows = X.shape[0]
    for n, W in enumerate(state.W, start=1):
        if W.shape[1] != rows + int(cfg.bias):
            raise ValueError(f"W_{n} must have {rows + int(cfg.bias)} columns, got shape {W.shape}")
        rows = W.shape[0]
    if rows != Y.shape[0]:
        raise ValueError(f"W_N must have {Y.shape[0]} rows (the targets' dimension), got {rows}")


def _inputs(X: np.ndarray, state: LiftedState, cfg: LiftedConfig) -> list[np.ndarray]:
    acts = (X,) + state.U
    return [layer_input(acts[n], cfg.bias) for n in range(cfg.layers)]


def _scores(state: LiftedState, cfg: LiftedConfig, H: list[np.ndarray]) -> np.ndarray:
    return state.U[-1] if cfg.output != "none" else state.W[-1] @ H[-1]


def lifted_scores(state: LiftedState, cfg: LiftedConfig) -> np.ndarray:
    """The scores S the loss sees: :math:`U_N`, or :math:`W_NH_N` with the lifted :math:`U_{N-1}` (``"none"``).

    Unlike the forward pass (ZB-4) they use the lifted hidden activations (training-only).
    """
    if cfg.output != "none":
        return state.U[-1]
    return state.W[-1] @ layer_input(state.U[-1], cfg.bias)


def loss_value(S: np.ndarray, Y: np.ndarray, loss: Loss) -> float:
    """:math:`\\ell(S, Y)` summed over samples (see the module docstring)."""
    if loss == "squared":
        R = S - Y
    else:
        R = np.maximum(0.0, 1.0 - (2.0 * Y - 1.0) * S)
    return 0.5 * float(np.sum(R * R))


def loss_grad(S: np.ndarray, Y: np.ndarray, loss: Loss) -> np.ndarray:
    """:math:`\\partial\\ell/\\partial S`."""
    if loss == "squared":
        return S - Y
    Yt = 2.0 * Y - 1.0
    return -Yt * np.maximum(0.0, 1.0 - Yt * S)


def objective_terms(X: np.ndarray, Y: np.ndarray, state: LiftedState, cfg: LiftedConfig) -> Terms:
    """The parts of (ZB-2) at ``state``."""
    _check(X, Y, state, cfg)
    H = _inputs(X, state, cfg)
    coupling = []
    for n in range(cfg.lifted_layers):
        R = state.U[n] - state.W[n] @ H[n]
        coupling.append(0.5 * cfg.gamma[n] * float(np.sum(R * R)))
    ridge = sum(0.5 * lam * float(np.sum(W * W)) for lam, W in zip(cfg.lam, state.W))
    return Terms(loss_value(_scores(state, cfg, H), Y, cfg.loss), tuple(coupling), ridge)


def objective(X: np.ndarray, Y: np.ndarray, state: LiftedState, cfg: LiftedConfig) -> float:
    """:math:`F(U, W)` of (ZB-2)."""
    return objective_terms(X, Y, state, cfg).total


def gradients(X: np.ndarray, Y: np.ndarray, state: LiftedState,
              cfg: LiftedConfig) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """:math:`(\\nabla_{W_n} F)_n, (\\nabla_{U_n} F)_n`, ignoring the constraints.

    With :math:`R_n = U_n - W_n H_n`:
    :math:`\\nabla_{W_n}F = -\\gamma_n R_n H_n^T + \\lambda_n W_n` and
    :math:`\\nabla_{U_n}F = \\gamma_n R_n - \\gamma_{n+1} \\bar W_{n+1}^T R_{n+1}`
    (:math:`\\bar W` drops the bias column), plus :math:`\\partial\\ell` on the scores.
    """
    _check(X, Y, state, cfg)
    H = _inputs(X, state, cfg)
    K, N = cfg.lifted_layers, cfg.layers
    # Residual-like factor D_n such that dF/d(W_n H_n) = -D_n for every layer.
    D = [cfg.gamma[n] * (state.U[n] - state.W[n] @ H[n]) for n in range(K)]
    if cfg.output == "none":
        D.append(-loss_grad(state.W[-1] @ H[-1], Y, cfg.loss))
    gW = [-D[n] @ H[n].T + cfg.lam[n] * state.W[n] for n in range(N)]
    d_in = [W.shape[1] - int(cfg.bias) for W in state.W]
    gU = []
    for n in range(K):
        g = D[n].copy()
        if n + 1 < N:
            g -= state.W[n + 1][:, :d_in[n + 1]].T @ D[n + 1]
        else:
            g += loss_grad(state.U[n], Y, cfg.loss)
        gU.append(g)
    return gW, gU


def kkt_residual(X: np.ndarray, Y: np.ndarray, state: LiftedState, cfg: LiftedConfig) -> float:
    """L4's stationarity measure :math:`r = \\lVert(\\nabla_W F, \\pi(U, \\nabla_U F))\\rVert`.

    :math:`\\pi(U, G) = \\min(U, G)` (the projected-gradient residual) on the
    non-negative blocks, :math:`G` on the free output; zero iff (U, W) is a KKT point.
    """
    gW, gU = gradients(X, Y, state, cfg)
    total = sum(float(np.sum(g * g)) for g in gW)
    for n, (U, g) in enumerate(zip(state.U, gU)):
        r = g if (n == cfg.layers - 1 and cfg.output == "free") else np.minimum(U, g)
        total += float(np.sum(r * r))
    return float(np.sqrt(total))


def forward(W: Sequence[np.ndarray], X: np.ndarray, bias: bool) -> list[np.ndarray]:
    """(ZB-4): :math:`h_0 = x`, :math:`h_n = \\max(0, W_n h_{n-1})` (n < N), scores :math:`W_N h_{N-1}`.

    Returns ``[h_1, .., h_{N-1}, scores]``.
    """
    h, out = X, []
    for n, Wn in enumerate(W):
        z = Wn @ layer_input(h, bias)
        h = z if n == len(W) - 1 else np.maximum(z, 0.0)
        out.append(h)
    return out


def predict(W: Sequence[np.ndarray], X: np.ndarray, bias: bool) -> np.ndarray:
    """Class labels :math:`\\arg\\max_k (W_N h_{N-1})_k` from the forward pass (ZB-4)."""
    return np.argmax(forward(W, X, bias)[-1], axis=0)


def forward_state(W: Sequence[np.ndarray], X: np.ndarray, cfg: LiftedConfig) -> LiftedState:
    """Section 2.1's initial state: :math:`U` from the forward pass of ``W``.

    The lifted output is :math:`W_N U_{N-1}` (``"free"``) or its positive part (``"relu"``).
    """
    acts = forward(W, X, cfg.bias)
    if cfg.output == "relu":
        acts[-1] = np.maximum(acts[-1], 0.0)
    return LiftedState(tuple(np.asarray(w) for w in W), tuple(acts[:cfg.lifted_layers]))


def tikhonov_matrix(W: Sequence[np.ndarray], gamma: Sequence[float]) -> np.ndarray:
    """(ZB-3): the block-tridiagonal :math:`Q(W)` with
    :math:`\\sum_n \\gamma_n\\lVert u_n - W_n u_{n-1}\\rVert^2 = u^TQu`.

    :math:`Q_{n-1,n-1} \\mathrel{+}= \\gamma_n W_n^TW_n`, :math:`Q_{nn} \\mathrel{+}= \\gamma_n I`,
    :math:`Q_{n,n-1} = -\\gamma_n W_n = Q_{n-1,n}^T` for the stacked
    :math:`u = (u_0; ..; u_N)` (no biases). Works on float and object (mpmath) arrays.
    """
    if len(W) != len(gamma) or not W:
        raise ValueError(f"W and gamma must be non-empty and of equal length, got {len(W)} and {len(gamma)}")
    dims = [W[0].shape[1]] + [w.shape[0] for w in W]
    for n, w in enumerate(W[1:], start=1):
        if w.shape[1] != dims[n]:
            raise ValueError(f"W_{n + 1} must have {dims[n]} columns, got shape {w.shape}")
    off = np.concatenate([[0], np.cumsum(dims)])
    dtype = np.result_type(*[np.asarray(w).dtype for w in W])
    Q = np.zeros((off[-1], off[-1]), dtype=dtype)
    if dtype == object:
        Q[:] = 0 * W[0].flat[0]
    for n, (w, g) in enumerate(zip(W, gamma), start=1):
        a, b, c = off[n - 1], off[n], off[n + 1]
        Q[a:b, a:b] += g * (w.T @ w)
        Q[b:c, b:c] += g * np.eye(dims[n], dtype=int)
        Q[b:c, a:b] += -g * w
        Q[a:b, b:c] += -g * w.T
    return Q


def tikhonov_coupling(W: Sequence[np.ndarray], gamma: Sequence[float], u: Sequence[np.ndarray]) -> object:
    """:math:`\\sum_n \\gamma_n\\lVert u_n - W_n u_{n-1}\\rVert^2` for the stacked ``u = (u_0, .., u_N)``."""
    if len(u) != len(W) + 1:
        raise ValueError(f"u must have len(W) + 1 = {len(W) + 1} parts, got {len(u)}")
    total = 0
    for n, (w, g) in enumerate(zip(W, gamma), start=1):
        r = u[n] - w @ u[n - 1]
        total = total + g * np.sum(r * r)
    return total
