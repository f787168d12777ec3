r"""Shamir, "Exponential Convergence Time of Gradient Descent for One-Dimensional Deep Linear Neural
Networks" (COLT 2019, arXiv:1809.08587), as an executable claim, with the 1-D ZAS contrast of Wu,
Wang, Ma (NeurIPS 2019).

The paper studies :math:`F(w) = f(\prod_{i=1}^k w_i)` over scalars :math:`w_1, \dots, w_k` and shows
(abstract) that under standard random initializations gradient descent needs a number of iterations
exponential in the depth :math:`k`. What is sourced: the setting and that headline. The exact theorem
(assumptions on :math:`f`, initialization distributions, step-size range, probability) was not
available; the initializations, targets, step sizes and stopping rule of the claim are reconstructed
and stated in its module.
"""

from proofs_check.claim import Paper

PAPER = Paper("shamir2018", ("Ohad Shamir",),
              "Exponential Convergence Time of Gradient Descent for One-Dimensional Deep Linear Neural Networks",
              "Proceedings of the Thirty-Second Conference on Learning Theory (COLT 2019), PMLR 99", 2019,
              arxiv="1809.08587")
