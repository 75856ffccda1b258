"""``python -m partner_study.designs FOLDER``: write :data:`~partner_study.designs.DESIGNS`
into FOLDER (default ``tests/data/designs``)."""

from __future__ import annotations

from pathlib import Path

from partner_study.designs.catalogue import write_designs

__all__: list[str] = []


def _main(argv: list[str] | None = None) -> int:
    """``python -m partner_study.designs FOLDER``: write :data:`DESIGNS` into FOLDER."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path("tests/data/designs")
    for path in write_designs(folder):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
