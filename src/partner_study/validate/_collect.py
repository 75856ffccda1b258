"""How validation collects problems and shows what it found.

Layer 2 (private to :mod:`partner_study.validate`). A :class:`_Collector` gathers every
problem of a study before one :class:`~partner_study.errors.StudyDataError` is raised; it
names rows as a spreadsheet shows them and lists at most :data:`MAX_ROWS_LISTED` rows per
file, column and kind of problem, then a count of the rest. Checks shared by the tables
(ids, invisible characters) are here too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from partner_study.arrays import isin
from partner_study.errors import Problem
from partner_study.io import INVISIBLE, TableRows, escape_invisible

__all__ = ["MAX_ROWS_LISTED"]

MAX_ROWS_LISTED = 5


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        #: Spreadsheet rows of the tables read from files, by file name as shown.
        self.rows_of: dict[str, TableRows] = {}

    def add(self, **kw) -> None:
        self.problems.append(Problem(**kw))

    def header_row(self, file: str) -> int:
        where = self.rows_of.get(file)
        return where.header if where is not None else 1

    def row(self, file: str, i: int) -> int:
        """The spreadsheet row of row ``i`` (from 0) of a table."""
        where = self.rows_of.get(file)
        return int(where.data[i]) if where is not None else int(i) + 2

    def rows(
        self,
        file: str,
        mask: np.ndarray | pd.Series,
        values: pd.Series,
        column: str,
        expected: str,
        fix: str,
        found: str = "'{}'",
        show: Callable[[object], str] | None = None,
    ) -> None:
        """Add one problem per offending row (first few), then a count of the rest."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        idx = np.flatnonzero(mask)
        vals = values.to_numpy()
        for i in idx[:MAX_ROWS_LISTED]:
            self.add(
                file=file,
                row=self.row(file, i),
                column=escape_invisible(column),
                found=found.format((show or _short)(vals[i])),
                expected=expected,
                fix=fix,
            )
        rest = len(idx) - MAX_ROWS_LISTED
        if rest > 0:
            rows = ", ".join(
                str(self.row(file, i)) for i in idx[MAX_ROWS_LISTED : MAX_ROWS_LISTED + 10]
            )
            self.add(
                file=file,
                column=escape_invisible(column),
                found=f"the same problem on {rest} more row(s) (rows {rows}"
                f"{', ...' if rest > 10 else ''})",
                expected=expected,
                fix=fix,
            )


def _short(v: object) -> str:
    """A found value as shown in a message: at most 40 characters, invisible ones escaped."""
    s = str(v)
    return escape_invisible(s if len(s) <= 40 else s[:37] + "...")


def _with_invisible(v: object) -> str:
    """A found value and the name of the first invisible character in it."""
    s = str(v)
    hit = next((c for c in s if escape_invisible(c) != c), None)
    if hit is None:
        return f"'{_short(s)}'"
    name = unicodedata.name(hit, unicodedata.category(hit))
    return f"'{_short(s)}' (an invisible character, U+{ord(hit):04X} {name})"


def _invisible(col: _Collector, file: str, values: pd.Series, column: str, what: str) -> None:
    """Report ids and names holding invisible or control characters: such a value looks
    like another one and silently makes a second participant, site or coder."""
    col.rows(
        file,
        values.str.contains(INVISIBLE, regex=True, na=False),
        values,
        column,
        f"{what} without invisible or control characters",
        "delete the character (it often comes along when text is copied from a web page, a "
        "PDF or a word processor); retype the value if unsure",
        found="{}",
        show=_with_invisible,
    )


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text, missing cells (None, NaN) as ``""``: tables held in memory may
    come with other types; tables read from files are text already."""
    out = frame
    for j in range(frame.shape[1]):
        values = frame.iloc[:, j]
        if values.dtype == "str" and not values.hasnans:
            continue
        text = values.astype(object).where(values.notna(), "").astype(str)
        out = frame.copy() if out is frame else out
        out.isetitem(j, text.array)
    return out


def _ids(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].astype(str).str.strip()


def _isin(values: pd.Series, pool) -> pd.Series:
    """``values.isin(pool)``, fast on pyarrow strings (:func:`partner_study.arrays.isin`)."""
    return pd.Series(isin(values, pool), index=values.index)


def _unknown_ids(
    col: _Collector,
    file: str,
    ids: pd.Series,
    column: str,
    known_ids: set[str] | None,
    pfile: str,
    fix: str | None = None,
    *,
    blank_ok: bool = False,
) -> None:
    """Report ids of ``file`` that ``pfile`` (participants) does not list; blank ids are
    left to their own check when ``blank_ok``."""
    if known_ids is None:
        return
    unknown = ~_isin(ids, known_ids)
    if blank_ok:
        unknown &= ids.ne("")
    name = Path(pfile).name
    col.rows(
        file,
        unknown,
        ids,
        column,
        f"an id listed in {name}",
        fix or f"add the participant to {name} or correct the id",
        found="unknown participant '{}'",
    )
