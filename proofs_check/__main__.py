"""``python -m proofs_check``: the ``proofs-check`` command line."""

import sys

from proofs_check.cli import main

if __name__ == "__main__":  # the guard matters: spawned worker processes import this module
    sys.exit(main())
