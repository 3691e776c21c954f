"""`python -m manifest_gen generate|check`."""

from __future__ import annotations

import sys

from manifest_gen.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m manifest_gen"))
