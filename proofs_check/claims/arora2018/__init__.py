r"""Arora, Cohen, Golowich, Hu, "A Convergence Analysis of Gradient Descent for Deep Linear Neural
Networks" (ICLR 2019, arXiv:1810.02281), as executable claims.

The paper studies gradient descent on a deep linear network :math:`x \mapsto W_N \cdots W_1 x`
trained with the :math:`\ell_2` loss on whitened data, which reduces to
:math:`L^N(W_1, \dots, W_N) = \tfrac12\|W_{1:N} - \Phi\|_F^2` (Appendix A). Its main result,
Theorem 1, says that gradient descent converges linearly to the global minimum when the
initial end-to-end matrix has a *deficiency margin* :math:`c > 0` (Definition 2:
:math:`\|W_{1:N}(0) - \Phi\|_F \le \sigma_{\min}(\Phi) - c`) and the layers are
:math:`\delta`-balanced (Definition 1: :math:`\|W_{j+1}^\top W_{j+1} - W_j W_j^\top\|_F \le \delta`),
with a step size polynomially small in :math:`N`, :math:`c` and :math:`\|\Phi\|_F`. Theorem 2
applies this to scalar regression from a random balanced initialization (Procedure 1); Claims 4
and 5 show that neither hypothesis can be dropped; Claim 2 and Lemma 10 treat layer-wise
Gaussian initialization; Section 4 compares initializations experimentally.

What is sourced and what is reconstructed, overall: the paper's prose (the statements of
Definitions 1-2, Claims 1-5, Theorems 1-2, Lemmas 1-18, Procedure 1) was available, but most
display equations were not. The constants 6144 (eq. (7)) and :math:`10^5` (Theorem 2), and the
spectral bound :math:`(4\|\Phi\|_F)^{1/N}` of the proof's Lemma 2, appear in the paper's prose
and are sourced. The constant 256 of :math:`\delta`, the exponents of eq. (7), the form of the
iteration bound :math:`T`, the bound of Claim 2, the probability of Theorem 2 (eq. (38)), the
value of the constant in Appendix A and the preconditioner :math:`P_W` are reconstructed here;
each claim's docstring writes out how, and declares its ``level`` accordingly.
"""

from proofs_check.claim import Paper

PAPER = Paper(
    "arora2018",
    ("Sanjeev Arora", "Nadav Cohen", "Noah Golowich", "Wei Hu"),
    "A Convergence Analysis of Gradient Descent for Deep Linear Neural Networks",
    "International Conference on Learning Representations (ICLR)",
    2019,
    arxiv="1810.02281",
    note="arXiv version 2018; the claim ids keep the arXiv year",
)
