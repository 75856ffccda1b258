"""Shared helpers of the real-data acceptance converters (not part of the package).

The converters read public data that other projects published under licences that do not
allow copying them into this repository (GPL-3, CC BY-NC-SA). They therefore never write
inside the project: each builds a complete scratch *project root* elsewhere (default
``/tmp/partner-study-realdata/<study>/``) holding

    data/raw/<study>/      codebook.yaml, participants.csv, survey.csv, segments.csv
    params/<study>.yaml    the analysis parameters
    notebooks/             a copy of the project's stage notebooks
    requirements.lock      a copy (part of the runner's environment fingerprint)

so that ``cd <scratch> && partner-study run params/<study>.yaml`` runs the whole pipeline
there, with the package installed in the project's ``.venv``.

Paths are found from this file: the project root is ``../..`` and the shared real data are
in ``shared/realdata`` beside the project root (``--realdata`` overrides).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

__all__ = [
    "PROJECT_ROOT",
    "DEFAULT_REALDATA",
    "DEFAULT_OUT_BASE",
    "WORKAROUNDS",
    "parse_args",
    "prepare_root",
    "write_study",
    "write_params",
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REALDATA = PROJECT_ROOT.parent / "shared" / "realdata"
DEFAULT_OUT_BASE = Path("/tmp/partner-study-realdata")

#: Known defects of the project's notebooks that stop a real study, patched in the SCRATCH
#: copy only (the project's notebooks are never touched): (notebook, text, replacement,
#: why). A patch whose text is no longer in the notebook (the defect was fixed) does
#: nothing. ``--strict`` runs the notebooks as they are, to show the defect.
WORKAROUNDS: tuple[tuple[str, str, str, str], ...] = ()


def parse_args(study: str, description: str, argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--realdata",
        type=Path,
        default=DEFAULT_REALDATA,
        help=f"folder of the shared real data (default {DEFAULT_REALDATA})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT_BASE / study,
        help="scratch project root to write, outside the repository "
        f"(default {DEFAULT_OUT_BASE / study})",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="copy the notebooks unpatched (see WORKAROUNDS in _common.py)",
    )
    return parser.parse_args(argv)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def prepare_root(out: Path, study: str, *, strict: bool = False) -> Path:
    """Make ``out`` a scratch project root: notebooks and lock file copied, raw folder emptied.

    Earlier outputs (``reports/``, ``data/processed/``) are kept, so that an unchanged rerun
    is skipped by the runner. Refuses any folder inside the repository (licences).
    """
    out = out.resolve()
    if _inside(out, PROJECT_ROOT):
        sys.exit(
            f"error: --out {out} is inside the repository {PROJECT_ROOT}; the real data "
            "may not be written there (GPL / non-commercial licences). Fix: choose a "
            "folder outside it, e.g. the default under /tmp."
        )
    out.mkdir(parents=True, exist_ok=True)
    raw = out / "data" / "raw" / study
    shutil.rmtree(raw, ignore_errors=True)
    shutil.rmtree(out / "notebooks", ignore_errors=True)
    shutil.copytree(PROJECT_ROOT / "notebooks", out / "notebooks")
    for notebook, text, replacement, why in WORKAROUNDS:
        path = out / "notebooks" / notebook
        source = path.read_text(encoding="utf-8")
        if text in source:
            if strict:
                print(f"note: --strict: notebooks/{notebook} left as it is: {why}")
            else:
                path.write_text(source.replace(text, replacement), encoding="utf-8")
                print(
                    f"WORKAROUND (scratch copy only): notebooks/{notebook}: {why}; "
                    f"replaced {text!r} by {replacement!r}"
                )
    lock = PROJECT_ROOT / "requirements.lock"
    if lock.is_file():
        shutil.copyfile(lock, out / "requirements.lock")
    (out / "params").mkdir(exist_ok=True)
    return raw


def write_study(raw, folder: Path) -> list[Path]:
    """Write a :class:`partner_study.io.RawStudy` with the package's deterministic writer."""
    from partner_study.writer import write_raw_study

    return write_raw_study(raw, folder)


def write_params(out: Path, study: str, text: str) -> Path:
    from partner_study.writer import write_text

    return write_text(out / "params" / f"{study}.yaml", text)
