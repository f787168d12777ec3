r"""Shin (2019): layer-wise training of deep linear networks by block coordinate gradient descent.

Yeonjong Shin, *Effects of Depth, Width, and Initialization: A Convergence Analysis of
Layer-wise Training for Deep Linear Neural Networks*, arXiv:1910.05874 (2019); journal
version in *Analysis and Applications* (World Scientific, 2022).  The paper trains a deep
linear network :math:`x \mapsto W_L\cdots W_1x` one weight matrix at a time (block
coordinate gradient descent, BCGD), gives a convergence analysis with an optimal learning
rate that needs no tuning, and states the effects of depth (deeper can converge faster per
sweep; in an extreme case one update per matrix reaches the optimum; deep can beat depth 1
even counting cost), width (beyond max(d_x, d_y) it does not matter under an
orthogonal-like initialization) and initialization.

**What is sourced, what is reconstructed.**  Only the abstract was available to us: the
*kinds* of result above are the paper's; every formula, constant, algorithmic detail and
experiment in this package is **reconstructed** from first principles and written out in
the claim files (each claim's docstring gives the derivation).  The conventions shared by
all claims: data :math:`X \in \mathbb R^{d_x\times m}` of full row rank,
:math:`Y \in \mathbb R^{d_y\times m}`; loss :math:`\ell = \frac1{2m}\|W_{L:1}X - Y\|_F^2`;
for block :math:`j`, :math:`A_j = W_L\cdots W_{j+1}`, :math:`B_j = W_{j-1}\cdots W_1X`,
residual :math:`R = A_jW_jB_j - Y`, gradient :math:`G_j = \frac1m A_j^\top RB_j^\top`; a
sweep updates every block once, each with the latest values of the others (ascending or
descending order); the optimum :math:`\ell^* = \min_W \frac1{2m}\|WX - Y\|_F^2` and the gap
:math:`\ell - \ell^* = \frac1{2m}\|RP_X\|_F^2` (:math:`P_X` the projector onto the row
space of :math:`X`), computed as that norm, never as a difference of losses.
"""

from proofs_check.claim import Paper

PAPER = Paper(
    "shin2019", ("Yeonjong Shin",),
    "Effects of Depth, Width, and Initialization: A Convergence Analysis of Layer-wise Training for Deep "
    "Linear Neural Networks", "Analysis and Applications (World Scientific); preprint arXiv:1910.05874", 2019,
    arxiv="1910.05874",
    note="only the abstract was available: every formula and experiment here is a reconstruction")
