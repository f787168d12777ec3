"""lintheory: the mathematics of deep linear networks, in float64, mpmath and Arb."""

__version__ = "0.1.0"
