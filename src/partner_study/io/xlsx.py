"""Reading the first sheet of an Excel workbook (``.xlsx``) as a table of text.

Layer 2 (a part of :mod:`partner_study.io`). A workbook that unpacks to more than
:data:`XLSX_MAX_BYTES` is not opened; a formula whose value the workbook does not hold is
reported with its cell.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.io.cells import (
    _TEXT,
    TableRows,
    _each_row,
    _header_problems,
    _shown,
    escape_invisible,
)

__all__ = ["XLSX_MAX_BYTES"]

#: Uncompressed size above which an ``.xlsx`` file is not opened (a guard against zip bombs).
XLSX_MAX_BYTES = 1 << 30
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _cell_text(value: object) -> str:
    """A spreadsheet cell as text: whole numbers without ``.0``, empty cells as ``""``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _has_formulas(archive: zipfile.ZipFile) -> bool:
    """Whether any worksheet of an ``.xlsx`` archive holds a formula (read in chunks)."""
    for member in archive.infolist():
        if not (member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")):
            continue
        tail = b""
        with archive.open(member) as fh:
            while chunk := fh.read(1 << 20):
                if _FORMULA_TAG.search(tail + chunk):
                    return True
                tail = chunk[-64:]
    return False


def _unreadable_xlsx(name: str, why: str) -> StudyDataError:
    return StudyDataError(
        Problem(
            file=name,
            found=f"an unreadable Excel file ({why})",
            expected="an .xlsx workbook whose first sheet holds the table",
            fix="re-save the file from Excel as .xlsx, or export it as CSV (UTF-8)",
        )
    )


def _read_xlsx(path: Path, name: str, header: bool = True) -> tuple[pd.DataFrame, TableRows]:
    # openpyxl is imported here, when a workbook is read: most studies are CSV, and every
    # command imports this module.
    import openpyxl

    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(m.file_size for m in archive.infolist())
            if size > XLSX_MAX_BYTES:
                raise StudyDataError(
                    Problem(
                        file=name,
                        found=f"an Excel file that unpacks to {size / 2**30:.1f} GiB",
                        expected=f"at most {XLSX_MAX_BYTES / 2**30:.0f} GiB",
                        fix="export the table as CSV (UTF-8)",
                    )
                )
            formulas = _has_formulas(archive)
        with warnings.catch_warnings():
            # openpyxl warns of workbook features it drops (data validation, extensions):
            # only the values of the cells are read here
            warnings.simplefilter("ignore", UserWarning)
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                if not book.worksheets:
                    raise _unreadable_xlsx(name, "no worksheet")
                rows = list(book.worksheets[0].iter_rows(min_row=1, values_only=True))
            finally:
                book.close()
            pending = _formulas_without_values(openpyxl, path, rows) if formulas else []
    except StudyDataError:
        raise
    except Exception as exc:  # openpyxl and zipfile raise many kinds on broken files
        raise _unreadable_xlsx(name, type(exc).__name__) from None
    texts = [[_cell_text(v) for v in row] for row in rows]
    filled = [i for i, row in enumerate(texts) if any(row)]
    if not filled:
        raise StudyDataError(
            Problem(
                file=name,
                found="an empty first sheet",
                expected="a header row and at least one data row",
                fix="fill the first sheet (the header row names the columns)",
            )
        )
    top = filled[0] if header else filled[0] - 1  # the header row (-1: none)
    width = max(len(texts[i]) for i in filled)
    if header:
        names = [v.strip() for v in texts[top]] + [""] * (width - len(texts[top]))
    else:
        names = [str(j + 1) for j in range(width)]
    records = [row + [""] * (width - len(row)) for row in texts[top + 1 :]]
    data_at = [i for i in filled if i > top]
    if header:
        problems, keep = _header_problems(
            name, top + 1, names, lambda j: any(records[i - top - 1][j] for i in data_at)
        )
    else:
        problems, keep = [], list(range(width))
    places = [
        (
            r + 1,
            escape_invisible(names[c]) if header and c < width and names[c] else None,
            f"a formula without a saved value in cell {coordinate} ('{_shown(formula)}')",
        )
        for r, c, coordinate, formula in pending
    ]
    problems += _each_row(
        name,
        places,
        expected="a value",
        fix="open and save the file in Excel, or paste the cells as values (a program other "
        "than a spreadsheet wrote the formulas but not their values)",
    )
    if problems:
        raise StudyDataError(problems)
    kept = [records[i - top - 1] for i in data_at]
    frame = pd.DataFrame({names[j]: pd.array([row[j] for row in kept], dtype=_TEXT) for j in keep})
    return frame, TableRows(header=top + 1, data=np.asarray(data_at, dtype=np.int64) + 1)


def _formulas_without_values(openpyxl, path: Path, values: list[tuple]) -> list[tuple]:
    """(row index, column index, cell, formula) of each formula whose value the workbook does
    not hold (a file written by a program that does not compute formulas)."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        out = []
        for r, row in enumerate(book.worksheets[0].iter_rows(min_row=1)):
            for c, cell in enumerate(row):
                if cell.data_type != "f":
                    continue
                value = values[r][c] if r < len(values) and c < len(values[r]) else None
                if value is None:
                    formula = getattr(cell.value, "text", cell.value)
                    out.append((r, c, cell.coordinate, str(formula)))
        return out
    finally:
        book.close()
