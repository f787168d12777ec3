r"""Deep linear networks, linear residual networks, their loss and gradients.

A network is a list of *factors* :math:`F_1, \dots, F_K` with end-to-end matrix
:math:`E = F_K \cdots F_1`.  For a deep linear network (Arora et al. 2018, Sec. 2) the
factors are the weights :math:`W_j`.  For the linear residual network of Wu, Wang, Ma
(2019), :math:`x \mapsto W_{out} (I + W_L) \cdots (I + W_1) W_{in} x`, a residual block's
factor is :math:`F_l = I + W_l`; since :math:`\partial F_l / \partial W_l` is the identity,
the gradient in :math:`W_l` equals the gradient in :math:`F_l` and one trainer serves both.

Losses (Arora et al. 2018, Eq. (1) and the whitened form of Sec. 2):

.. math::
    \ell(W) = \frac{1}{2m}\,\|W_{N:1} X - Y\|_F^2, \qquad
    \ell(W) = \tfrac12\,\|W_{N:1} - \Phi\|_F^2 .

Gradients (Arora et al. 2018, Eq. (4)):
:math:`\nabla_{F_j}\ell = \frac1m S_j^\top R\, P_{j-1}^\top` with the residual
:math:`R = E X - Y`, suffix :math:`S_j = F_K\cdots F_{j+1}` and prefix
:math:`P_{j-1} = F_{j-1}\cdots F_1 X`.  The prefixes are built in one forward pass and
:math:`S_j^\top R` in one backward pass (backpropagation), so a full gradient costs
:math:`O(K)` matrix products, not :math:`O(K^2)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from lintheory.arith import Arithmetic, arithmetic, as_matrices

__all__ = [
    "Problem", "Network", "deep_linear", "residual_net",
    "loss", "loss_and_gradients", "gradient_step", "prefixes",
]


def _check_nonempty(ar: Arithmetic, M: Any, name: str) -> None:
    rows, cols = ar.shape(M)
    if rows < 1 or cols < 1:
        raise ValueError(f"{name} must have at least one row and one column, got shape {rows}x{cols}")


@dataclass(frozen=True)
class Problem:
    """A regression target: whitened (``X is None``, ``m = 1``) or data ``(X, Y)``.

    ``Y`` is :math:`\\Phi` in the whitened form and the targets (``d_y x m``) otherwise.
    """

    Y: Any
    X: Any
    m: int
    arith: Arithmetic

    @classmethod
    def whitened(cls, Phi: Any, ar: str | Arithmetic = "float64") -> Problem:
        r"""Whitened loss :math:`\tfrac12\|E - \Phi\|_F^2`."""
        ar = arithmetic(ar)
        (Phi,) = as_matrices(ar, [Phi], "Phi")
        _check_nonempty(ar, Phi, "Phi")
        return cls(Y=Phi, X=None, m=1, arith=ar)

    @classmethod
    def data(cls, X: Any, Y: Any, ar: str | Arithmetic = "float64") -> Problem:
        r"""Data loss :math:`\frac{1}{2m}\|E X - Y\|_F^2` with ``X``: d_x x m, ``Y``: d_y x m."""
        ar = arithmetic(ar)
        (X,) = as_matrices(ar, [X], "X")
        (Y,) = as_matrices(ar, [Y], "Y")
        _check_nonempty(ar, X, "X")
        _check_nonempty(ar, Y, "Y")
        (_, m), (_, m_y) = ar.shape(X), ar.shape(Y)
        if m != m_y or m < 1:
            raise ValueError(f"X and Y must have the same positive number of columns, got {m} and {m_y}")
        return cls(Y=Y, X=X, m=m, arith=ar)

    @property
    def d_in(self) -> int:
        return self.arith.shape(self.X)[0] if self.X is not None else self.arith.shape(self.Y)[1]

    @property
    def d_out(self) -> int:
        return self.arith.shape(self.Y)[0]

    def to(self, ar: str | Arithmetic) -> Problem:
        ar = arithmetic(ar)
        X = None if self.X is None else ar.matrix(self.arith.to_mpf_array(self.X))
        return Problem(Y=ar.matrix(self.arith.to_mpf_array(self.Y)), X=X, m=self.m, arith=ar)

    def residual(self, E: Any) -> Any:
        """:math:`R = E X - Y` (whitened: :math:`E - \\Phi`)."""
        ar = self.arith
        EX = E if self.X is None else ar.matmul(E, self.X)
        return ar.sub(EX, self.Y)

    def loss_of(self, E: Any) -> Any:
        """The loss of an end-to-end matrix ``E``."""
        ar = self.arith
        with ar.context():
            return ar.frob_sq(self.residual(E)) / ar.number(2 * self.m)


@dataclass(frozen=True)
class Network:
    """Factors :math:`F_1..F_K` (product :math:`F_K \\cdots F_1`) in one arithmetic.

    ``trainable[k]`` is False for a fixed factor (an input embedding); ``residual[k]``
    marks a residual block, whose parameter is :math:`W = F - I`.
    """

    factors: tuple[Any, ...]
    trainable: tuple[bool, ...]
    residual: tuple[bool, ...]
    arith: Arithmetic

    def __post_init__(self) -> None:
        K = len(self.factors)
        if K < 1:
            raise ValueError("a network needs depth >= 1 (at least one factor)")
        if len(self.trainable) != K or len(self.residual) != K:
            raise ValueError("trainable and residual must have one flag per factor")
        # One shape per factor: every GD step builds a network, and at small widths the
        # check would otherwise cost a sizeable part of an Arb step.
        shapes = [self.arith.shape(F) for F in self.factors]
        for k in range(1, K):
            rows_below, cols = shapes[k - 1][0], shapes[k][1]
            if rows_below != cols:
                raise ValueError(
                    f"factor {k + 1} has {cols} columns but factor {k} has {rows_below} rows; "
                    "widths must chain (W_j is n_j x n_{j-1})"
                )

    @property
    def depth(self) -> int:
        return len(self.factors)

    @property
    def widths(self) -> tuple[int, ...]:
        """:math:`(n_0, n_1, \\dots, n_K)`."""
        ar = self.arith
        return (ar.shape(self.factors[0])[1],) + tuple(ar.shape(F)[0] for F in self.factors)

    def weights(self) -> tuple[Any, ...]:
        """The parameters: :math:`W = F - I` for residual blocks, :math:`F` otherwise."""
        ar = self.arith
        return tuple(
            ar.sub(F, ar.identity(ar.shape(F)[0])) if res else F for F, res in zip(self.factors, self.residual)
        )

    def end_to_end(self) -> Any:
        """:math:`E = F_K \\cdots F_1`."""
        E = self.factors[0]
        for F in self.factors[1:]:
            E = self.arith.matmul(F, E)
        return E

    def with_factors(self, factors: Iterable[Any]) -> Network:
        return replace(self, factors=tuple(factors))

    def to(self, ar: str | Arithmetic) -> Network:
        """The same network converted (exactly where possible) into another arithmetic."""
        ar = arithmetic(ar)
        return replace(self, factors=tuple(ar.matrix(self.arith.to_mpf_array(F)) for F in self.factors), arith=ar)


def deep_linear(weights: Sequence[Any], ar: str | Arithmetic = "float64") -> Network:
    """The deep linear network :math:`x \\mapsto W_N \\cdots W_1 x` (``weights = [W_1..W_N]``)."""
    ar = arithmetic(ar)
    if len(weights) < 1:
        raise ValueError("weights must hold at least one matrix (depth N >= 1)")
    factors = as_matrices(ar, weights, "weights")
    return Network(factors, (True,) * len(factors), (False,) * len(factors), ar)


def residual_net(
    blocks: Sequence[Any], W_out: Any, W_in: Any = None, ar: str | Arithmetic = "float64"
) -> Network:
    r"""The linear residual network :math:`x \mapsto W_{out}(I + W_L)\cdots(I + W_1) W_{in} x`.

    ``blocks`` are the square :math:`W_l`; ``W_in`` (fixed, optional) embeds the input
    into the hidden width (Wu, Wang, Ma 2019, Sec. 2).
    """
    ar = arithmetic(ar)
    blocks = as_matrices(ar, blocks, "blocks")
    (W_out,) = as_matrices(ar, [W_out], "W_out")
    for k, W in enumerate(blocks):
        rows, cols = ar.shape(W)
        if rows != cols:
            raise ValueError(f"blocks[{k}] must be square (d x d), got {rows} x {cols}")
    factors = [ar.add(ar.identity(ar.shape(W)[0]), W) for W in blocks]
    trainable, residual = [True] * len(blocks), [True] * len(blocks)
    if W_in is not None:
        (W_in,) = as_matrices(ar, [W_in], "W_in")
        factors.insert(0, W_in)
        trainable.insert(0, False)
        residual.insert(0, False)
    return Network(tuple(factors) + (W_out,), tuple(trainable) + (True,), tuple(residual) + (False,), ar)


def _check_compatible(net: Network, problem: Problem) -> None:
    if net.arith != problem.arith:
        raise ValueError(f"network arithmetic {net.arith.name} differs from problem arithmetic {problem.arith.name}")
    widths = net.widths
    if widths[0] != problem.d_in or widths[-1] != problem.d_out:
        raise ValueError(
            f"network maps {widths[0]} -> {widths[-1]} but the problem needs {problem.d_in} -> {problem.d_out}"
        )


def prefixes(net: Network, problem: Problem) -> list[Any]:
    r"""Prefixes :math:`P_j = F_j \cdots F_1 X` for ``j = 0..K`` (``P[0] = X``; ``None`` stands
    for the identity in the whitened form), so ``P[K]`` is :math:`E X`."""
    return net.arith.prefix_products(net.factors, problem.X)


def loss(net: Network, problem: Problem) -> Any:
    """The loss of ``net`` on ``problem`` (see the module docstring)."""
    _check_compatible(net, problem)
    return problem.loss_of(net.end_to_end())


def loss_and_gradients(net: Network, problem: Problem) -> tuple[Any, tuple[Any, ...]]:
    r"""The loss and :math:`\nabla_{F_j}\ell = \frac1m S_j^\top R P_{j-1}^\top` for every factor.

    Fixed factors get ``None``.  Costs :math:`O(K)` matrix products (about :math:`3K`).
    """
    _check_compatible(net, problem)
    with net.arith.context():
        return _loss_and_gradients(net, problem)


def _loss_and_gradients(net: Network, problem: Problem) -> tuple[Any, tuple[Any, ...]]:
    value, P, Q = _forward(net, problem)
    return value, tuple(net.arith.backprop(net.factors, P, Q, net.trainable))


def _forward(net: Network, problem: Problem) -> tuple[Any, list[Any], Any]:
    """The loss, the prefixes and :math:`Q_K = R / m`, from which back-propagation grows
    :math:`Q_j = S_j^\top R / m` downwards: with the prefixes a full gradient costs about
    3K products (2K + K with explicit suffixes)."""
    ar = net.arith
    P = prefixes(net, problem)
    R = ar.sub(P[-1], problem.Y)
    value = ar.frob_sq(R) / ar.number(2 * problem.m)
    Q = R if problem.m == 1 else ar.scale(ar.number(1) / ar.number(problem.m), R)
    return value, P, Q


def gradient_step(net: Network, grads: Sequence[Any], eta: Any) -> Network:
    """:math:`F_j \\leftarrow F_j - \\eta\\, G_j` for every trainable factor."""
    return net.with_factors(net.arith.descend(net.factors, eta, grads))
