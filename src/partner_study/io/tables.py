"""Raw study tables: finding the file of a table and reading it as text.

Layer 2 (a part of :mod:`partner_study.io`). Raw files are opened read-only. Every value is
read as text so that validation sees exactly what the file holds; what cannot be read as a
table (a short row, a column named twice, a NUL byte, an Excel formula without its value)
is reported with the row a spreadsheet shows.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.io.cells import TableRows, _restore_text
from partner_study.io.delimited import _read_delimited
from partner_study.io.xlsx import _read_xlsx

__all__ = ["TABLE_SUFFIXES", "find_table", "read_table", "read_table_rows"]

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")


def find_table(folder: Path | str, name: str, *, display: str | None = None) -> Path | None:
    """The file holding table ``name`` in ``folder`` (``.csv``, ``.tsv``, ``.txt``, ``.xlsx``).

    Parameters
    ----------
    folder : path-like
        The study folder.
    name : str
        The table, e.g. ``"participants"``.
    display : str, optional
        How to name the folder in messages.

    Returns
    -------
    Path or None
        ``None`` when no file holds the table.

    Raises
    ------
    StudyDataError
        When two files hold the table (``participants.csv`` and ``participants.xlsx``):
        which one is current cannot be told.
    """
    folder = Path(folder)
    found = [folder / f"{name}{s}" for s in TABLE_SUFFIXES if (folder / f"{name}{s}").is_file()]
    if len(found) > 1:
        show = (display or str(folder)).rstrip("/")
        names = ", ".join(p.name for p in found)
        raise StudyDataError(
            Problem(
                file=f"{show}/{found[0].name}",
                found=f"{len(found)} files for the table '{name}' ({names})",
                expected="one file per table",
                fix="keep the file that holds the current data and move the other"
                f"{'s' if len(found) > 2 else ''} out of the study folder",
            )
        )
    return found[0] if found else None


def read_table_rows(
    path: Path | str, *, display: str | None = None, header: bool = True
) -> tuple[pd.DataFrame, TableRows]:
    """Read a raw table as text, exactly as stored, with the row numbers a spreadsheet shows.

    Parameters
    ----------
    path : path-like
        A ``.csv``/``.tsv``/``.txt`` (UTF-8, optional BOM, ``,`` ``;`` or tab separated;
        UTF-16 and UTF-32 are converted) or ``.xlsx`` file (its first sheet).
    display : str, optional
        How to name the file in messages.
    header : bool
        ``False``: the file has no header row of unique names (a survey export whose first
        rows hold question texts): every row is data, the columns are named by their
        position (``"1"``, ``"2"``, ...) and ``TableRows.header`` is the row before the
        first (0 when no blank row comes first).

    Returns
    -------
    DataFrame
        Every column as ``str``; empty cells are ``""``. Column names are stripped. Blank
        rows are dropped. A cell that starts with a quote before ``=`` ``+`` ``-`` ``@``
        tab or CR loses that quote: it is how :func:`partner_study.writer.write_csv` (and
        other programs) keep a spreadsheet from running the cell as a formula, so the
        table an importer wrote reads back exactly.
    TableRows
        The spreadsheet row of the header and of each row of the frame.

    Raises
    ------
    StudyDataError
        When the file is missing, empty, not UTF-8, or not a table: a row with more or fewer
        fields than the header, a column named twice, a column of values without a name, a
        NUL byte, an Excel formula without a saved value. Every such problem is listed.

    Notes
    -----
    CSV is parsed with pyarrow (multi-threaded); a spreadsheet's rows are what a blank line
    or a cell holding line breaks is measured against: a blank line is a row, a cell with
    line breaks is not a new one. A file with rows of the wrong length is read a second
    time, by Python's ``csv`` module, to name those rows.
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
        frame, rows = _read_xlsx(path, name, header)
        where = "the first sheet"
    else:
        frame, rows = _read_delimited(path, name, header)
        where = "the file"
    if len(frame) == 0:
        raise StudyDataError(
            Problem(
                file=name,
                found="a header and no data rows",
                expected="at least one data row",
                fix=f"fill {where} with one row per record (the README of the study folder "
                "says what each column holds)",
            )
        )
    return _restore_text(frame), rows


def read_table(path: Path | str, *, display: str | None = None) -> pd.DataFrame:
    """Read a raw table as text, exactly as stored.

    The frame of :func:`read_table_rows` (which also gives the row numbers a spreadsheet
    shows, for messages).

    Parameters
    ----------
    path : path-like
        A ``.csv``/``.tsv``/``.txt`` or ``.xlsx`` file.
    display : str, optional
        How to name the file in messages.

    Returns
    -------
    DataFrame
        Every column as ``str``; empty cells are ``""``. Column names are stripped.

    Raises
    ------
    StudyDataError
        When the file is missing, empty, not UTF-8, or not a table (see
        :func:`read_table_rows`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "survey.csv"
    >>> _ = path.write_text("participant_id;eng_1\\nP1;007\\n", encoding="utf-8")
    >>> read_table(path)["eng_1"].tolist()
    ['007']
    """
    return read_table_rows(path, display=display)[0]
