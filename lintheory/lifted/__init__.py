"""The lifted, Tikhonov-regularised ReLU network and its BCD (Zhang & Brand 2017, reconstructed).

``model``: objective (ZB-2), gradients, KKT residual, Tikhonov matrix (ZB-3), forward pass
(ZB-4); ``nnls``: the U-subproblem solvers (ZB-5); ``bcd``: block updates and sweeps.
"""

from lintheory.lifted.algorithm import BCDTrace, BlockEvent, SweepRecord, bcd, sweep, sweep_flop_terms, sweep_flops
from lintheory.lifted.model import (
    LiftedConfig,
    LiftedState,
    Terms,
    forward,
    forward_state,
    gradients,
    kkt_residual,
    layer_input,
    lifted_scores,
    objective,
    objective_terms,
    predict,
    relu_projection,
    tikhonov_coupling,
    tikhonov_matrix,
)
from lintheory.lifted.nnls import NNLSConfig

__all__ = [
    "BCDTrace", "BlockEvent", "LiftedConfig", "LiftedState", "NNLSConfig", "SweepRecord", "Terms",
    "bcd", "forward", "forward_state", "gradients", "kkt_residual", "layer_input", "lifted_scores",
    "objective",
    "objective_terms", "predict", "relu_projection", "sweep", "sweep_flop_terms", "sweep_flops", "tikhonov_coupling",
    "tikhonov_matrix",
]
