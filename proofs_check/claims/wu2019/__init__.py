r"""Wu, Wang, Ma, "Global Convergence of Gradient Descent for Deep Linear Residual Networks"
(NeurIPS 2019, arXiv:1911.00645), as executable claims, one per module.

The paper trains :math:`x \mapsto W_{L+1}(I + W_L)\cdots(I + W_1)x` by gradient descent on
:math:`R = \tfrac12\|W_{L+1}(I + W_L)\cdots(I + W_1) - \Phi\|_F^2` from the zero-asymmetric (ZAS)
initialization (every residual block :math:`W_l = 0`, output layer :math:`W_{L+1} = 0`) and proves,
for an arbitrary target matrix :math:`\Phi`, convergence to an :math:`\varepsilon`-optimal point in
:math:`O(L^3\log(1/\varepsilon))` iterations (abstract), against :math:`\exp(\Omega(L))` for Xavier
or near-identity initializations (Shamir 2018, package ``shamir2018``).

What is sourced and what is reconstructed overall: the abstract (ZAS, arbitrary target,
:math:`O(L^3\log 1/\varepsilon)`) is the paper's. The body of the paper was not available when
these claims were written, so the step size
:math:`\eta = \min\{1/(4L^3\xi^6), 1/(144L^2\xi^4)\}`, :math:`\xi = \max\{2\|\Phi\|_F, 3L^{-1/2}, 1\}`,
the rate :math:`R(t) \le (1-\eta/2)^tR(0)` and the gradient-flow rate :math:`R(t) \le e^{-2t}R(0)`
are the theorems as a later paper restates them (theorem numbers unknown); the conserved
quantities, the PL inequality and the exact per-singular-value reduction are derived here, each in
the docstring of the module that checks it; the edge-of-stability claim is the toolkit's own
observation.

Conventions in every table: **L counts the residual blocks only** (the output layer is not counted;
the network has :math:`L + 1` trainable layers); :math:`\Phi` has i.i.d. N(0, 1) entries from
``numpy.random.default_rng(target_seed)`` rescaled to :math:`\|\Phi\|_F`, so a depth sweep with one
``target_seed`` compares like with like. With the other convention (L counting the output layer)
every step would be smaller and every predicted count larger, so this one is the stricter test.
"""

from proofs_check.claim import Paper

PAPER = Paper("wu2019", ("Lei Wu", "Qingcan Wang", "Chao Ma"),
              "Global Convergence of Gradient Descent for Deep Linear Residual Networks",
              "Advances in Neural Information Processing Systems 32 (NeurIPS 2019)", 2019, arxiv="1911.00645")
