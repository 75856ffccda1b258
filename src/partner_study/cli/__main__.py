"""``python -m partner_study.cli``: the same command line as ``partner-study``."""

import sys

from partner_study.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
