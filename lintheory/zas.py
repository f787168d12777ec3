r"""Zero-asymmetric (ZAS) initialization of linear residual networks: the theorem's quantities.

Wu, Wang, Ma (NeurIPS 2019).  The network is
:math:`x \mapsto W_{L+1}(I + W_L)\cdots(I + W_1)x` with :math:`L` residual blocks; here
:math:`L` **does not count the output layer** :math:`W_{L+1} = W_{out}`.  Write
:math:`A_l = I + W_l`, :math:`P = A_L\cdots A_1`, :math:`R = \tfrac12\|W_{out}P - \Phi\|_F^2`.

The step-size rule and the rate are the paper's as restated by a later paper (the constants
4, 144 and the form of :math:`\xi` are that restatement's, not checked against the paper's body):

.. math:: \xi = \max\{2\|\Phi\|_F,\ 3L^{-1/2},\ 1\}, \qquad
          \eta = \min\Big\{\frac{1}{4L^3\xi^6}, \frac{1}{144L^2\xi^4}\Big\}, \qquad
          R(t) \le (1 - \eta/2)^t R(0).

The conserved quantities of the gradient flow and the PL inequality are reconstructed
(derivations in the claims ``wu2019.zas_invariants`` and ``wu2019.zas_pl_inequality``):
:math:`A_LA_L^\top - W_{out}^\top W_{out} = I`, :math:`A_{l+1}^\top A_{l+1} = A_lA_l^\top`, and
:math:`\|\nabla R\|^2 \ge \|\nabla_{W_{out}}R\|_F^2 = \|EP^\top\|_F^2 \ge 2\sigma_{\min}(P)^2R`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lintheory.nets import Network, Problem, loss_and_gradients

__all__ = [
    "Invariants",
    "PLQuantities",
    "binding_term",
    "invariants",
    "pl_quantities",
    "predicted_iterations",
    "step_size",
    "xi",
]


def _check_depth(L: int) -> int:
    if isinstance(L, bool) or not isinstance(L, int) or L < 1:
        raise ValueError(f"L (number of residual blocks) must be an integer >= 1, got {L!r}")
    return L


def _check_norm(phi_fro: float) -> float:
    if not (isinstance(phi_fro, (int, float)) and math.isfinite(phi_fro) and phi_fro >= 0):
        raise ValueError(f"phi_fro (||Phi||_F) must be a finite number >= 0, got {phi_fro!r}")
    return float(phi_fro)


def xi(phi_fro: float, L: int) -> float:
    r""":math:`\xi = \max\{2\|\Phi\|_F, 3L^{-1/2}, 1\}` (restated constants)."""
    L, phi_fro = _check_depth(L), _check_norm(phi_fro)
    return max(2.0 * phi_fro, 3.0 / math.sqrt(L), 1.0)


def step_size(L: int, phi_fro: float) -> float:
    r"""The theorem's constant step :math:`\eta = \min\{1/(4L^3\xi^6), 1/(144L^2\xi^4)\}`."""
    x = xi(phi_fro, L)
    return min(1.0 / (4.0 * L**3 * x**6), 1.0 / (144.0 * L**2 * x**4))


def binding_term(L: int, phi_fro: float) -> str:
    r"""Which term of the min sets :math:`\eta`: ``"L^3"`` when :math:`L\xi^2 \ge 36`, else ``"L^2"``."""
    return "L^3" if L * xi(phi_fro, L) ** 2 >= 36.0 else "L^2"


def predicted_iterations(R0: float, eps: float, eta: float) -> int:
    r"""Least integer :math:`t` with :math:`(1 - \eta/2)^t R_0 \le \varepsilon`:
    :math:`T(\varepsilon) = \lceil \log(R_0/\varepsilon) / (-\log(1 - \eta/2)) \rceil` (0 if :math:`R_0 \le \varepsilon`)."""
    for name, value in (("R0", R0), ("eps", eps)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    if not (math.isfinite(eta) and 0 < eta < 2):
        raise ValueError(f"eta must be in (0, 2), got {eta!r}")
    if R0 <= eps:
        return 0
    return math.ceil(math.log(R0 / eps) / -math.log1p(-eta / 2))


def _split(net: Network) -> tuple[list[Any], Any]:
    """The residual factors :math:`A_1..A_L` and :math:`W_{out}` of a residual network."""
    blocks = [F for F, res in zip(net.factors, net.residual) if res]
    if not blocks or net.residual[-1] or not net.trainable[-1]:
        raise ValueError("net must be a residual network (residual_net): blocks, then a trainable W_out")
    return blocks, net.factors[-1]


@dataclass(frozen=True)
class Invariants:
    r"""The reconstructed conserved quantities of the flow, measured on one network.

    ``output_balance`` :math:`= \|A_LA_L^\top - I - W_{out}^\top W_{out}\|_F` (0 at ZAS and
    along the flow); ``block_balance`` :math:`= \max_l \|A_{l+1}^\top A_{l+1} - A_lA_l^\top\|_F`;
    ``sigma_min_P`` :math:`= \sigma_{\min}(A_L\cdots A_1)`; ``sigma_min_blocks`` :math:`= \min_l \sigma_{\min}(A_l)`.
    """

    output_balance: float
    block_balance: float
    sigma_min_P: float
    sigma_min_blocks: float


def invariants(net: Network) -> Invariants:
    """The :class:`Invariants` of a residual network (computed in its arithmetic, returned as floats)."""
    ar = net.arith
    A, W_out = _split(net)
    d = ar.shape(A[0])[0]
    top = ar.sub(ar.sub(ar.matmul(A[-1], ar.T(A[-1])), ar.identity(d)), ar.matmul(ar.T(W_out), W_out))
    balance = max(
        (ar.to_float(ar.frob(ar.sub(ar.matmul(ar.T(hi), hi), ar.matmul(lo, ar.T(lo))))) for lo, hi in zip(A, A[1:])),
        default=0.0,
    )
    P = A[0]
    for F in A[1:]:
        P = ar.matmul(F, P)
    return Invariants(
        output_balance=ar.to_float(ar.frob(top)),
        block_balance=balance,
        sigma_min_P=ar.to_float(ar.sigma_min(P)),
        sigma_min_blocks=min(ar.to_float(ar.sigma_min(F)) for F in A),
    )


@dataclass(frozen=True)
class PLQuantities:
    r"""The PL chain :math:`\|\nabla R\|^2 \ge \|\nabla_{W_{out}}R\|_F^2 \ge 2\sigma_{\min}(P)^2R`.

    ``loss`` :math:`R`, ``grad_sq`` :math:`\|\nabla R\|^2` (all trainable factors),
    ``grad_out_sq`` :math:`\|\nabla_{W_{out}}R\|_F^2`, ``sigma_min_P``.
    """

    loss: float
    grad_sq: float
    grad_out_sq: float
    sigma_min_P: float

    @property
    def pl_ratio(self) -> float:
        r""":math:`\|\nabla R\|^2 / (2\sigma_{\min}(P)^2 R)`; at least 1 (reconstructed lemma L3)."""
        return self.grad_sq / (2.0 * self.sigma_min_P**2 * self.loss)

    @property
    def gradient_ratio(self) -> float:
        r""":math:`\|\nabla R\|^2 / (2R)`; exactly 1 at ZAS, and :math:`\ge \sigma_{\min}(P)^2` along GD."""
        return self.grad_sq / (2.0 * self.loss)


def pl_quantities(net: Network, problem: Problem) -> PLQuantities:
    """The :class:`PLQuantities` of a residual network on a whitened problem."""
    if problem.X is not None:
        raise ValueError("problem must be whitened (Problem.whitened): the PL chain uses R = 1/2 ||W_out P - Phi||_F^2")
    ar = net.arith
    A, _ = _split(net)
    value, grads = loss_and_gradients(net, problem)
    grad_sq = sum(ar.to_float(ar.frob_sq(G)) for G in grads if G is not None)
    P = A[0]
    for F in A[1:]:
        P = ar.matmul(F, P)
    return PLQuantities(
        loss=ar.to_float(value),
        grad_sq=grad_sq,
        grad_out_sq=ar.to_float(ar.frob_sq(grads[-1])),
        sigma_min_P=ar.to_float(ar.sigma_min(P)),
    )
