"""Readers: raw study tables (CSV, TSV, Excel) and the processed study.

Layer 2. Raw files are opened read-only. CSV readers accept UTF-8 with or without a
byte-order mark, ``,`` ``;`` or tab separators and CRLF line ends. Every value is read
as text so that validation sees exactly what the file holds.
"""

from __future__ import annotations

import csv
import io as _io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from partner_study.codebook import Codebook, read_codebook
from partner_study.errors import Problem, StudyDataError

__all__ = [
    "TABLE_SUFFIXES",
    "RawStudy",
    "Study",
    "find_table",
    "read_table",
    "read_processed",
    "read_output_table",
    "read_output_tables",
    "read_figure_files",
    "PROCESSED_FILES",
]

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
PROCESSED_FILES = {
    "participants": "participants.parquet",
    "scored": "scored.parquet",
    "segments": "segments.parquet",
}


@dataclass(frozen=True)
class RawStudy:
    """A study in the raw data contract, in memory: what an importer or the simulator makes.

    ``participants``, ``survey`` and ``segments`` hold text cells exactly as they will be
    written to ``participants.csv``, ``survey.csv`` and ``segments.csv`` (``survey`` or
    ``segments`` may be ``None`` for a single-strand study); ``codebook_text`` is the YAML of
    ``codebook.yaml``; ``notes`` are messages for the user (what was assumed, what to check).
    """

    codebook_text: str
    participants: pd.DataFrame
    survey: pd.DataFrame | None = None
    segments: pd.DataFrame | None = None
    roster: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Study:
    """A validated (or processed) study: codebook and typed tables.

    ``scored`` is the survey with scale scores (after :func:`partner_study.scales.score_scales`);
    before scoring it holds the typed item answers. ``segments`` is ``None`` when the study
    has no qualitative strand, ``scored`` is ``None`` when it has no survey.
    """

    codebook: Codebook
    participants: pd.DataFrame
    scored: pd.DataFrame | None
    segments: pd.DataFrame | None
    roster: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return self.codebook.study


def find_table(folder: Path | str, name: str) -> Path | None:
    """The file holding table ``name`` in ``folder`` (``.csv``, ``.tsv``, ``.txt``, ``.xlsx``)."""
    folder = Path(folder)
    for suffix in TABLE_SUFFIXES:
        candidate = folder / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _sniff_separator(sample: str) -> str:
    header = sample.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    if counts[best] == 0:
        return ","
    return best


def read_table(path: Path | str, *, display: str | None = None) -> pd.DataFrame:
    """Read a raw table as text, exactly as stored.

    Parameters
    ----------
    path : path-like
        A ``.csv``/``.tsv``/``.txt`` (UTF-8, optional BOM, ``,`` ``;`` or tab separated) or
        ``.xlsx`` file.
    display : str, optional
        How to name the file in messages.

    Returns
    -------
    DataFrame
        Every column as ``str``; empty cells are ``""``. Column names are stripped.

    Raises
    ------
    StudyDataError
        When the file is missing, empty, not UTF-8, or not a table.
    """
    path = Path(path)
    name = display or str(path)
    if not path.is_file():
        raise StudyDataError(
            Problem(
                file=name,
                found="no such file",
                expected="a table",
                fix="create the file or check the folder name",
            )
        )
    if path.suffix.lower() == ".xlsx":
        try:
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many kinds on broken files
            raise StudyDataError(
                Problem(
                    file=name,
                    found=f"an unreadable Excel file ({type(exc).__name__})",
                    expected="an .xlsx workbook whose first sheet holds the table",
                    fix="re-save the file from Excel as .xlsx, or export it as CSV (UTF-8)",
                )
            ) from None
        frame.columns = [str(c).strip() for c in frame.columns]
        if frame.empty:
            raise StudyDataError(
                Problem(
                    file=name,
                    found="a header and no data rows",
                    expected="at least one data row",
                    fix="fill the first sheet with one row per record",
                )
            )
        return frame.astype(str).replace({"nan": ""})
    raw = path.read_bytes()
    if not raw.strip(b"\xef\xbb\xbf \r\n\t"):
        raise StudyDataError(
            Problem(
                file=name,
                found="an empty file",
                expected="a header row and at least one data row",
                fix="fill the file (the header row names the columns) or restore it from a copy",
            )
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise StudyDataError(
            Problem(
                file=name,
                row=line,
                found=f"bytes that are not UTF-8 (byte 0x{raw[exc.start]:02x})",
                expected="UTF-8 text",
                fix="save the file as 'CSV UTF-8' (Excel) or convert it, e.g. "
                "`iconv -f latin1 -t utf-8`",
            )
        ) from None
    sep = "\t" if path.suffix.lower() == ".tsv" else _sniff_separator(text[:4096])
    try:
        frame = pd.read_csv(
            _io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            quoting=csv.QUOTE_MINIMAL,
            skipinitialspace=False,
        )
    except pd.errors.ParserError as exc:
        raise StudyDataError(
            Problem(
                file=name,
                found=f"a malformed table ({str(exc).strip()})",
                expected=f"the same number of '{sep}'-separated fields on every row",
                fix="check quotes and separators on that line",
            )
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise StudyDataError(
            Problem(
                file=name,
                found="a header and no data rows",
                expected="at least one data row",
                fix="fill the file with one row per record (the README of the study folder says "
                "what each column holds)",
            )
        )
    return frame


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
    """A tidy output table of an earlier stage (``<folder>/<name>.csv``), or ``None``."""
    path = Path(folder) / f"{name}.csv"
    return pd.read_csv(path, keep_default_na=True) if path.is_file() else None


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
