"""The columns of the raw tables, and the checks of a table's header.

Layer 2. The data contract owns some columns (:data:`PARTICIPANT_COLUMNS`,
:data:`SEGMENT_COLUMNS`); the codebook declares the rest (variables, scale items, the
engagement level). :func:`template_columns` gives the header of each table a codebook
describes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from partner_study.codebook import Codebook
from partner_study.io import escape_invisible
from partner_study.validate._collect import _Collector

__all__ = ["PARTICIPANT_COLUMNS", "SEGMENT_COLUMNS", "SEGMENT_OPTIONAL", "template_columns"]

PARTICIPANT_COLUMNS = ("collection", "group_id")
SEGMENT_COLUMNS = (
    "segment_id",
    "participant_id",
    "document",
    "start",
    "end",
    "coder",
    "code",
    "text",
)
_SEGMENT_REQUIRED = ("segment_id", "participant_id", "code")
#: Columns a segments table may have beyond the template's: a stance code per segment.
SEGMENT_OPTIONAL = ("valence",)


def template_columns(codebook: Codebook) -> dict[str, list[str]]:
    """Header of each raw table that ``codebook`` describes (for templates and messages)."""
    cb = codebook
    participants = [cb.id, cb.site, cb.role_column, *PARTICIPANT_COLUMNS, *cb.variables]
    survey = [cb.id, *cb.items]
    if cb.engagement_level is not None:
        survey.append(cb.engagement_level.column)
    out = {"participants": participants}
    if cb.scales or cb.engagement_level is not None:
        out["survey"] = survey
    if cb.codes:
        out["segments"] = list(SEGMENT_COLUMNS)
    return out


def _check_columns(
    col: _Collector,
    file: str,
    frame: pd.DataFrame,
    required: Iterable[str],
    allowed: Iterable[str],
    cb_name: str,
    kind: str,
) -> bool:
    present = list(frame.columns)
    header = col.header_row(file)
    ok = True
    for name in required:
        if name not in present:
            ok = False
            col.add(
                file=file,
                row=header,
                column=name,
                found="no such column in the header",
                expected=f"a column '{name}' ({kind})",
                fix=f"add the column to {Path(file).name}, or correct its name in {cb_name}"
                if kind.startswith("declared")
                else f"add the column '{name}'",
            )
    allowed_set = set(allowed)
    for name in present:
        if name not in allowed_set:
            col.add(
                file=file,
                row=header,
                column=escape_invisible(str(name)),
                found="a column the codebook does not declare",
                expected=f"only the columns described in {cb_name}",
                fix="declare it in the codebook (variables:, a scale's items:) "
                "or remove the column",
            )
    dup = pd.Index(present)[pd.Index(present).duplicated()]
    for name in dup:
        ok = False
        col.add(
            file=file,
            row=header,
            column=escape_invisible(str(name)),
            found="the column twice",
            expected="each column once",
            fix="remove or rename one of the two columns",
        )
    return ok
