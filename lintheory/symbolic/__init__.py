"""SymPy derivations, one module per paper.

Each module returns SymPy expressions (printable in LaTeX, lambdifiable for runs) and
exposes ``DERIVATIONS: dict[str, Callable[[], list[tuple[str, sympy.Basic]]]]``, named
step-by-step derivations that ``proofs-check derive`` prints.
"""
