"""The source table of an importer: read as text within the limits; site and role of each row.

Layer 2 (private to :mod:`partner_study.io`). Shared by :mod:`partner_study.io.redcap`,
:mod:`partner_study.io.spss`, :mod:`partner_study.io.qdpx` and
:mod:`partner_study.io.taguette`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.io import _limits, read_table
from partner_study.io._draft import _Var
from partner_study.io._naming import _shown, _slug_values, _text_frame

__all__: list[str] = []


def _read_source(
    source: Any, what: str, *, smaller: str = "fewer forms, events or records"
) -> tuple[pd.DataFrame, str]:
    """A table as text (a file through :func:`partner_study.io.read_table`), and its name.

    Files over the size limit, repeated column names, too many columns and overlong cells
    are refused (see ``partner_study.io._limits``); ``smaller`` says, in the message about
    a file too large, how to export less.
    """
    if isinstance(source, pd.DataFrame):
        frame, name = _text_frame(source), f"<{what} data frame>"
    else:
        name, path = str(source), Path(source)
        if path.is_file():
            _limits.check_file_size(
                path,
                name=name,
                fix=f"check that this is the right file; if it is, export a smaller part "
                f"({smaller}) and import the parts as separate studies",
            )
        frame = _text_frame(read_table(path, display=name))
    _limits.check_table(frame, name)
    return frame, name


def _site_role(
    frame: pd.DataFrame,
    variables: dict[str, _Var],
    *,
    site: str | None,
    role: str | None,
    site_column: str | None,
    role_column: str | None,
    file: str,
    notes: list[str],
    auto: dict[str, str] | None = None,
    columns_allowed: bool = True,
) -> tuple[pd.Series, pd.Series, set[str]]:
    """Site and role of each row, from a column or a constant; the source columns used."""
    used: set[str] = set()
    out = {}
    for what, const, column, default in (
        ("site", site, site_column, "site_1"),
        ("role", role, role_column, "participant"),
    ):
        automatic = column is None and const is None and auto is not None and what in auto
        if automatic and auto is not None:
            column = auto[what]
            shown = variables[column].name if column in variables else column
            notes.append(f"{what.capitalize()} taken from the source's '{shown}'.")
        if column is not None:
            if column not in frame.columns:
                raise StudyDataError(
                    Problem(
                        file=file,
                        row=1,
                        column=column,
                        found="no such column",
                        expected=f"the column holding each participant's {what} (columns: "
                        f"{_shown(list(frame.columns), 8)})",
                        fix=f"pass {what}_column= one of the source's columns, or {what}='name' "
                        "to give everyone the same " + what,
                    )
                )
            values = frame[column].astype(str).str.strip()
            var = variables.get(column)
            if var is not None and var.levels:
                values = values.map(var.levels).where(lambda s: s.notna(), values)
            values = _slug_values(values)
            empty = values.index[values.eq("").to_numpy()].to_numpy()
            if len(empty) and automatic:
                notes.append(
                    f"{len(empty)} participant(s) have no {what} in '{shown}': they "
                    f"were given {what} '{default}'. Check them."
                )
                values = values.where(values.ne(""), default)
            elif len(empty):
                rows = ", ".join(str(i + 2) for i in empty[:5])
                raise StudyDataError(
                    Problem(
                        file=file,
                        column=column,
                        row=int(empty[0]) + 2,
                        found=f"no {what} on {len(empty)} row(s) (rows {rows}"
                        f"{', ...' if len(empty) > 5 else ''})",
                        expected=f"a {what} for every participant",
                        fix=f"fill column '{column}' in the source, or pass --{what} NAME to "
                        "give everyone the same " + what,
                    )
                )
            used.add(column)
            out[what] = values.reset_index(drop=True)
        else:
            value = const if const is not None else default
            if const is None:
                how = (
                    f"--{what} NAME or --{what}-column COLUMN"
                    if columns_allowed
                    else f"--{what} NAME (or edit participants.csv)"
                )
                notes.append(
                    f"The source does not say each participant's {what}: everyone was "
                    f"given {what} '{value}'. Pass {how} to set it."
                )
            if not str(value).strip():
                raise StudyDataError(
                    Problem(
                        file=file,
                        found=f"an empty {what} name",
                        expected=f"a {what} name",
                        fix=f"pass --{what} NAME",
                    )
                )
            out[what] = pd.Series([str(value).strip()] * len(frame), dtype=object)
    return out["site"], out["role"], used
