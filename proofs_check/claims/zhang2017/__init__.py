r"""Zhang & Brand (NeurIPS 2017): block coordinate descent on the lifted, Tikhonov-regularised ReLU network.

The paper trains a feed-forward ReLU network by *lifting* each activation into a variable of its
own: ReLU is the Euclidean projection onto the non-negative orthant, so
:math:`\max(0, v) = \arg\min_{u \ge 0}\|u - v\|^2`, and the network's equations
:math:`u_n = \max(0, W_n u_{n-1})` are relaxed into quadratic penalties
:math:`\frac{\gamma_n}{2}\|u_n - W_n u_{n-1}\|^2` with :math:`u_n \ge 0`. Together with an output
loss and weight decay this gives a smooth objective that is convex in each block of variables
(multi-convex); block coordinate descent (BCD) then solves a sequence of convex sub-problems.
The abstract states global convergence to a stationary point at an R-linear rate of order one,
and that on MNIST the BCD-trained networks have lower test error than the same architectures
trained by every stochastic-gradient solver of Caffe (SGD, Nesterov, AdaGrad, AdaDelta, RMSProp,
Adam).

**What is sourced and what is reconstructed.** Only the paper's title and abstract could be read
here. Every formula, the algorithm, the lemmas and the experimental protocol below are
*reconstructed*: derived here from the abstract and standard lifted-network algebra (each claim's
docstring writes its derivation out). The abstract's qualitative statements (multi-convexity,
global convergence, R-linear rate, lower test error than the Caffe solvers) are the paper's; their
constants, norms and assumptions are ours. The objective used throughout, for data
:math:`X = U_0 \in \mathbb{R}^{d_0 \times M}` and one-hot targets :math:`Y`, is

.. math::
    F(U, W) = \ell(S, Y) + \sum_{n=1}^{K}\frac{\gamma_n}{2}\|U_n - W_nH_n\|_F^2
              + \sum_{n=1}^{N}\frac{\lambda_n}{2}\|W_n\|_F^2,\qquad U_n \ge 0\ (n < N),

with :math:`H_n = [U_{n-1}; \mathbf 1^T]` (a bias row), scores :math:`S = U_N` (lifted output,
``"free"`` or ``"relu"``) or :math:`S = W_NH_N` (``"none"``), and :math:`\ell` the squared loss
or the one-vs-all squared hinge (:mod:`lintheory.lifted.model`). One BCD sweep minimises
:math:`F + \frac{\eta}{2}\|Z - Z^{t-1}\|^2` over each block :math:`Z` in turn
(:mod:`lintheory.lifted.algorithm`). Test predictions always come from the forward pass of the
learned weights, :math:`h_n = \max(0, W_nh_{n-1})`, never from the lifted variables.
"""

from proofs_check.claim import Paper

PAPER = Paper("zhang2017", ("Ziming Zhang", "Matthew Brand"),
              "Convergent Block Coordinate Descent for Training Tikhonov Regularized Deep Neural Networks",
              "Advances in Neural Information Processing Systems 30 (NeurIPS 2017), pp. 1721-1730", 2017,
              arxiv="1711.07354",
              note="only the abstract was available: formulation, lemmas and protocol are reconstructed")
