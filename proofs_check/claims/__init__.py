"""One module per paper; each exposes ``CLAIMS: tuple[Claim, ...]``."""
