"""proofs_check: theorems about deep linear networks as executable claims."""

__version__ = "0.1.0"
