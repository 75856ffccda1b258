"""``python -m partner_study``: the same command line as ``partner-study``."""

from partner_study.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    raise SystemExit(main())
