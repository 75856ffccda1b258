"""The cells and rows of a table read as text.

Layer 2 (a part of :mod:`partner_study.io`). Invisible and control characters escaped for
messages, the spreadsheet row numbers of a table (:class:`TableRows`), problems listed one
per row, the checks of a header row, and the quote that
:func:`partner_study.writer.write_csv` puts before a formula-like text cell removed on
reading, raw tables and output tables alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from partner_study.errors import Problem

__all__ = ["INVISIBLE", "TableRows", "escape_invisible"]


@dataclass(frozen=True, eq=False)
class TableRows:
    """Where the rows of a table read from a file are, as a spreadsheet numbers them.

    ``header`` is the row of the header (1 unless blank rows come first); ``data[i]`` is the
    row of row ``i`` of the frame. Blank rows, which the reader drops, still count; a cell
    holding line breaks stays one row.
    """

    header: int
    data: np.ndarray


_ROWS_LISTED = 5  # as many rows listed per kind of problem as validation lists
_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)

# Invisible and control characters: Unicode categories Cc, Cf, Zs (but the space), Zl, Zp.
_INVISIBLE_RANGES = (
    (0x00, 0x1F),
    (0x7F, 0xA0),
    (0xAD, 0xAD),
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),
    (0x890, 0x891),
    (0x8E2, 0x8E2),
    (0x1680, 0x1680),
    (0x180E, 0x180E),
    (0x2000, 0x200F),
    (0x2028, 0x202F),
    (0x205F, 0x2064),
    (0x2066, 0x206F),
    (0x3000, 0x3000),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
#: A regular expression matching one invisible or control character (Unicode categories Cc,
#: Cf, Zl, Zp and Zs other than the space), written with the characters themselves so that
#: Python's ``re`` and pyarrow's RE2 read it alike.
INVISIBLE = (
    "[" + "".join(chr(a) + ("-" + chr(b) if b > a else "") for a, b in _INVISIBLE_RANGES) + "]"
)
_INVISIBLE_RE = re.compile(INVISIBLE)
_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def escape_invisible(text: str) -> str:
    """``text`` with every invisible or control character written as an escape.

    A zero-width space, a byte-order mark inside a value, a non-breaking space or a tab look
    like nothing (or like a space) in a message; escaped, the user sees them.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        ``\\t``, ``\\n``, ``\\r``, ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN`` for each such
        character; other characters unchanged.

    Examples
    --------
    >>> escape_invisible("BE-0001\\u200b")
    'BE-0001\\\\u200b'
    """
    return _INVISIBLE_RE.sub(_escape, text)


def _shown(value: object, limit: int = 40) -> str:
    text = str(value)
    return escape_invisible(text if len(text) <= limit else text[: limit - 3] + "...")


def _each_row(
    file: str, places: list[tuple[int, str | None, str]], *, expected: str, fix: str
) -> list[Problem]:
    """One problem per (row, column, found) place, the first few, then a count of the rest."""
    out = [
        Problem(file=file, row=row, column=column, found=found, expected=expected, fix=fix)
        for row, column, found in places[:_ROWS_LISTED]
    ]
    rest = [row for row, _, _ in places[_ROWS_LISTED:]]
    if rest:
        rows = ", ".join(str(r) for r in rest[:10])
        out.append(
            Problem(
                file=file,
                found=f"the same problem on {len(rest)} more row(s) (rows {rows}"
                f"{', ...' if len(rest) > 10 else ''})",
                expected=expected,
                fix=fix,
            )
        )
    return out


def _header_problems(
    name: str, row: int, header: list[str], has_values: Callable[[int], bool]
) -> tuple[list[Problem], list[int]]:
    """Problems of a header (a name twice, a column of values without a name) and the
    columns to keep (those not both unnamed and empty)."""
    problems, keep = [], []
    positions: dict[str, list[int]] = {}
    for j, label in enumerate(header):
        if label:
            positions.setdefault(label, []).append(j)
            keep.append(j)
        elif has_values(j):
            keep.append(j)
            problems.append(
                Problem(
                    file=name,
                    row=row,
                    found=f"a column without a name (column {j + 1}) that holds values",
                    expected="a name for every column in the header",
                    fix="write the column's name in the header row, or delete the column",
                )
            )
    for label, where in positions.items():
        if len(where) > 1:
            cols = ", ".join(str(j + 1) for j in where[:-1]) + f" and {where[-1] + 1}"
            problems.append(
                Problem(
                    file=name,
                    row=row,
                    column=escape_invisible(label),
                    found=f"the column {len(where)} times (columns {cols})",
                    expected="each column once",
                    fix="remove or rename the repeated column",
                )
            )
    return problems, keep


#: A text cell neutralised for spreadsheets by :func:`partner_study.writer.write_csv`: one
#: quote more before a cell that opens with quotes and ``=`` ``+`` ``-`` ``@`` tab or CR.
_NEUTRALISED = r"'+[=+\-@\t\r]"


def _restore_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo the writer's neutralisation of formula-like text cells and column names."""
    names = pd.Series(frame.columns.astype(str))
    renamed = names.str.match(_NEUTRALISED)
    if renamed.any():
        frame = frame.set_axis(names.mask(renamed, names.str.slice(1)).tolist(), axis=1)
    out = frame
    for j, dtype in enumerate(frame.dtypes):
        if dtype.kind != "O":
            continue
        values = frame.iloc[:, j]
        try:
            if not values.str.startswith("'", na=False).any():  # the fast, usual case
                continue
        except AttributeError:  # objects that are not text
            continue
        quoted = values.str.match(_NEUTRALISED, na=False)
        if quoted.any():
            out = frame.copy() if out is frame else out
            out.isetitem(j, values.mask(quoted, values.str.slice(1)).array)
    return out
