"""``python -m proofs_check.search``: the ``proofs-check search`` command on its own."""

import sys

from proofs_check.search.cli import main

sys.exit(main())
