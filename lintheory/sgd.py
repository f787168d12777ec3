"""The six Caffe solvers in NumPy, and the ReLU MLP they train (baselines for Zhang & Brand 2017).

The network is the forward pass (ZB-4) of :mod:`lintheory.lifted`: weights
:math:`W_n \\in \\mathbb{R}^{d_n\\times(d_{n-1}+1)}` with the bias as last column,
:math:`h_n = \\max(0, W_n[h_{n-1}; 1])`, scores :math:`s = W_N[h_{N-1}; 1]`. It is trained
on the mean softmax cross-entropy of a mini-batch plus Caffe's weight decay
:math:`\\tfrac{\\lambda}{2}\\sum_n\\lVert W_n\\rVert_F^2` (added to the gradient before the
solver's update, as Caffe's ``Regularize`` does).

Updates follow the Caffe solver documentation (http://caffe.berkeleyvision.org/tutorial/solver.html),
with :math:`g = \\nabla L(W_t)` and learning rate :math:`\\alpha`:

* SGD: :math:`V \\leftarrow \\mu V - \\alpha g`, :math:`W \\leftarrow W + V`;
* Nesterov: :math:`V' = \\mu V - \\alpha g`, :math:`W \\leftarrow W - \\mu V + (1+\\mu)V'`;
* AdaGrad: :math:`h \\leftarrow h + g^2`, :math:`W \\leftarrow W - \\alpha g/(\\sqrt h + \\delta)`;
* AdaDelta: :math:`h \\leftarrow \\mu h + (1-\\mu)g^2`, :math:`v = g\\sqrt{u+\\delta}/\\sqrt{h+\\delta}`,
  :math:`u \\leftarrow \\mu u + (1-\\mu)v^2`, :math:`W \\leftarrow W - \\alpha v`;
* RMSProp: :math:`h \\leftarrow \\rho h + (1-\\rho)g^2`, :math:`W \\leftarrow W - \\alpha g/(\\sqrt h + \\delta)`;
* Adam: :math:`m \\leftarrow \\beta_1m + (1-\\beta_1)g`, :math:`v \\leftarrow \\beta_2v + (1-\\beta_2)g^2`,
  :math:`W \\leftarrow W - \\alpha\\frac{\\sqrt{1-\\beta_2^t}}{1-\\beta_1^t}\\frac{m}{\\sqrt v + \\varepsilon}`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lintheory.lifted.model import forward, layer_input

__all__ = ["SOLVERS", "Solver", "TrainResult", "caffe_solver", "cross_entropy", "init_weights", "updater",
           "loss_and_gradients", "train"]

SOLVERS: tuple[str, ...] = ("sgd", "nesterov", "adagrad", "adadelta", "rmsprop", "adam")


@dataclass(frozen=True)
class Solver:
    """A Caffe solver: ``name`` in :data:`SOLVERS`, learning rate ``lr`` and its constants.

    ``momentum`` is :math:`\\mu` (SGD, Nesterov, AdaDelta), :math:`\\beta_1` (Adam);
    ``momentum2`` is :math:`\\beta_2` (Adam); ``rms_decay`` is :math:`\\rho`; ``delta`` is
    :math:`\\delta` / :math:`\\varepsilon`. Defaults are the values of Caffe's examples.
    """

    name: str
    lr: float
    momentum: float = 0.9
    momentum2: float = 0.999
    rms_decay: float = 0.98
    delta: float = 1e-8

    def __post_init__(self) -> None:
        if self.name not in SOLVERS:
            raise ValueError(f"name must be one of {SOLVERS}, got {self.name!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        for k in ("momentum", "momentum2", "rms_decay"):
            if not 0 <= getattr(self, k) < 1:
                raise ValueError(f"{k} must be in [0, 1), got {getattr(self, k)}")
        if not self.delta > 0:
            raise ValueError(f"delta must be positive, got {self.delta}")


def caffe_solver(name: str, lr: float) -> Solver:
    """``name`` with the constants of Caffe's MNIST examples (AdaDelta: mu 0.95, delta 1e-6)."""
    if name == "adadelta":
        return Solver(name, lr, momentum=0.95, delta=1e-6)
    return Solver(name, lr)


def init_weights(widths: Sequence[int], rng: np.random.Generator, scheme: str = "he",
                 bias: bool = True) -> list[np.ndarray]:
    """Gaussian weights with std :math:`\\sqrt{2/d_{n-1}}` (``"he"``) or :math:`\\sqrt{1/d_{n-1}}`
    (``"xavier"``, Caffe's default filler variance), zero biases."""
    if len(widths) < 2 or any(int(w) != w or w < 1 for w in widths):
        raise ValueError(f"widths must be >= 2 positive integers, got {widths}")
    gains = {"he": 2.0, "xavier": 1.0}
    if scheme not in gains:
        raise ValueError(f"scheme must be one of {tuple(gains)}, got {scheme!r}")
    W = []
    for d_in, d_out in zip(widths[:-1], widths[1:]):
        w = rng.standard_normal((d_out, d_in)) * np.sqrt(gains[scheme] / d_in)
        W.append(np.hstack([w, np.zeros((d_out, 1))]) if bias else w)
    return W


def cross_entropy(S: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy of scores ``S`` (classes x batch) and its gradient in S."""
    Z = S - S.max(axis=0, keepdims=True)
    logp = Z - np.log(np.exp(Z).sum(axis=0, keepdims=True))
    m = S.shape[1]
    G = np.exp(logp)
    G[y, np.arange(m)] -= 1.0
    return float(-logp[y, np.arange(m)].mean()), G / m


def loss_and_gradients(W: Sequence[np.ndarray], X: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """Cross-entropy of the biased ReLU MLP on (X: features x batch, y) and its weight gradients."""
    acts = [X] + forward(W, X, bias=True)
    loss, G = cross_entropy(acts[-1], y)
    grads = [np.empty(0)] * len(W)
    for n in range(len(W) - 1, -1, -1):
        grads[n] = G @ layer_input(acts[n], True).T
        if n:
            G = (W[n][:, :-1].T @ G) * (acts[n] > 0)
    return loss, grads


def updater(s: Solver) -> Callable[[list[np.ndarray], np.ndarray, int], np.ndarray]:
    """Update rule ``(state, g, t) -> step`` (W += step); ``state`` holds the solver's history."""
    mu, d = s.momentum, s.delta

    def sgd(h, g, t):
        h[0] = mu * h[0] - s.lr * g
        return h[0]

    def nesterov(h, g, t):
        v_old = h[0]
        h[0] = mu * v_old - s.lr * g
        return -mu * v_old + (1.0 + mu) * h[0]

    def adagrad(h, g, t):
        h[0] += g * g
        return -s.lr * g / (np.sqrt(h[0]) + d)

    def adadelta(h, g, t):
        h[0] = mu * h[0] + (1.0 - mu) * g * g
        v = g * np.sqrt(h[1] + d) / np.sqrt(h[0] + d)
        h[1] = mu * h[1] + (1.0 - mu) * v * v
        return -s.lr * v

    def rmsprop(h, g, t):
        h[0] = s.rms_decay * h[0] + (1.0 - s.rms_decay) * g * g
        return -s.lr * g / (np.sqrt(h[0]) + d)

    def adam(h, g, t):
        h[0] = mu * h[0] + (1.0 - mu) * g
        h[1] = s.momentum2 * h[1] + (1.0 - s.momentum2) * g * g
        c = np.sqrt(1.0 - s.momentum2 ** t) / (1.0 - mu ** t)
        return -s.lr * c * h[0] / (np.sqrt(h[1]) + d)

    return {"sgd": sgd, "nesterov": nesterov, "adagrad": adagrad, "adadelta": adadelta,
            "rmsprop": rmsprop, "adam": adam}[s.name]


@dataclass(frozen=True)
class TrainResult:
    """Final weights, per-epoch mean mini-batch loss (with weight decay), whether it diverged."""

    W: tuple[np.ndarray, ...]
    epoch_loss: tuple[float, ...]
    diverged: bool = False


def train(W0: Sequence[np.ndarray], X: np.ndarray, y: np.ndarray, solver: Solver, epochs: int,
          batch: int, weight_decay: float, rng: np.random.Generator) -> TrainResult:
    """Mini-batch training of the MLP (X: features x samples), shuffled by ``rng`` each epoch.

    Stops early (``diverged``, last loss ``inf``) when the loss becomes non-finite.
    """
    if X.ndim != 2 or y.shape != (X.shape[1],):
        raise ValueError(f"X must be (features x samples) and y (samples,), got {X.shape} and {y.shape}")
    if not (isinstance(epochs, int) and epochs >= 1 and isinstance(batch, int) and batch >= 1):
        raise ValueError(f"epochs and batch must be positive integers, got {epochs!r}, {batch!r}")
    if not weight_decay >= 0:
        raise ValueError(f"weight_decay must be non-negative, got {weight_decay}")
    W = [np.array(w, dtype=float) for w in W0]
    update = updater(solver)
    history = [[np.zeros_like(w), np.zeros_like(w)] for w in W]
    m, t = X.shape[1], 0
    losses: list[float] = []
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is reported, not warned about
        for _ in range(epochs):
            total = 0.0
            order = rng.permutation(m)
            for start in range(0, m, batch):
                idx = order[start:start + batch]
                loss, grads = loss_and_gradients(W, X[:, idx], y[idx])
                loss += 0.5 * weight_decay * sum(float(np.sum(w * w)) for w in W)
                if not np.isfinite(loss):
                    return TrainResult(tuple(W), tuple(losses) + (float("inf"),), True)
                t += 1
                for w, g, h in zip(W, grads, history):
                    w += update(h, g + weight_decay * w, t)
                total += loss * idx.size
            losses.append(total / m)
    return TrainResult(tuple(W), tuple(losses), False)
