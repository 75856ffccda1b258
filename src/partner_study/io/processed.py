"""Reading what the pipeline wrote: the processed study, output tables, figures.

Layer 2 (a part of :mod:`partner_study.io`). Text cells of output tables that the writer
neutralised for spreadsheets get their exact value back.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from partner_study.codebook import read_codebook
from partner_study.errors import Problem, StudyDataError
from partner_study.io.cells import _restore_text
from partner_study.io.study import Study

__all__ = [
    "PROCESSED_FILES",
    "read_processed",
    "read_output_table",
    "read_output_tables",
    "read_figure_files",
]

PROCESSED_FILES = {
    "participants": "participants.parquet",
    "scored": "scored.parquet",
    "segments": "segments.parquet",
}


def read_processed(folder: Path | str) -> Study:
    """Read the processed study written by stage 01-prepare.

    Parameters
    ----------
    folder : path-like
        ``data/processed/<study>/``.

    Returns
    -------
    Study
    """
    folder = Path(folder)
    codebook = read_codebook(folder / "codebook.yaml")
    tables = {}
    for key, fname in PROCESSED_FILES.items():
        path = folder / fname
        tables[key] = pd.read_parquet(path) if path.is_file() else None
    if tables["participants"] is None:
        raise StudyDataError(
            Problem(
                file=str(folder / PROCESSED_FILES["participants"]),
                found="no such file",
                expected="the processed participants of stage 01-prepare",
                fix="run `partner-study run` (stage 01-prepare writes it)",
            )
        )
    return Study(codebook, tables["participants"], tables["scored"], tables["segments"])


def read_output_table(folder: Path | str, name: str) -> pd.DataFrame | None:
    """A tidy output table of an earlier stage (``<folder>/<name>.csv``), or ``None``.

    Text cells (and column names) that the writer neutralised for spreadsheets get their
    exact value back: the quote put before a leading ``=`` ``+`` ``-`` ``@`` tab or CR is
    removed (see :func:`partner_study.writer.write_csv`).
    """
    path = Path(folder) / f"{name}.csv"
    if not path.is_file():
        return None
    return _restore_text(pd.read_csv(path, keep_default_na=True))


def read_output_tables(
    folder: Path | str, names: tuple[str, ...] | list[str]
) -> dict[str, pd.DataFrame]:
    """The tidy output tables among ``names`` that exist in ``folder``, in that order."""
    out = {}
    for name in names:
        frame = read_output_table(folder, name)
        if frame is not None:
            out[name] = frame
    return out


def read_figure_files(folder: Path | str, *, fmt: str = "svg") -> dict[str, bytes]:
    """Bytes of every figure in ``folder`` in format ``fmt``, by name (sorted)."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {p.stem: p.read_bytes() for p in sorted(folder.glob(f"*.{fmt}"))}
