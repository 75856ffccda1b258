"""Import a wide survey export (one row per respondent, one column per answer) as a draft study.

Layer 2. :func:`import_survey` reads the export of any survey platform that writes one row
per respondent (Google Forms, Microsoft Forms, KoboToolbox, ...; CSV or ``.xlsx``): the
first header row holds the question texts, further header rows are skipped. It removes
columns that identify people and form metadata, then drafts the study with
:func:`partner_study.io.wide.draft_survey` (Likert scales with their response labels,
other questions as variables) and records what it did in ``IMPORT.md``
(:mod:`partner_study.io.record`).

Example
-------
>>> from partner_study.io.survey import import_survey
>>> raw = import_survey("form.csv", header_rows=1, id_column="Participant",
...                     labels=[["Never", "Sometimes", "Often", "Always"]])  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.io import RawStudy
from partner_study.io._naming import _identifier, _shown
from partner_study.io.record import ImportRecord
from partner_study.io.spss import ID_NAMES
from partner_study.io.wide import (
    Column,
    clean_text,
    draft_survey,
    identifying_reason,
    label_key,
    read_export,
)

__all__ = ["import_survey"]

# Form metadata, not answers: when and how a response was submitted.
_METADATA = re.compile(
    r"^(timestamp|start_time|completion_time|last_modified_time|start|end|today|"
    r"_submission_time|_uuid|_id|_index|_status|__version__|_version_|_validation_status|"
    r"_notes|_tags|meta/instanceid|_parent_index|_parent_table_name|_xform_id_string)$"
)
_GRID = re.compile(r"^(?P<question>.+?)\s*\[(?P<item>[^\[\]]+)\]\s*$")


def _find_column(headers: list[str], wanted: str, *, file: str, what: str) -> int:
    """The position of the column named ``wanted`` (case and spaces ignored), or given by
    its number (1 = the first column)."""
    keys = [label_key(h) for h in headers]
    if label_key(wanted) in keys:
        return keys.index(label_key(wanted))
    if re.fullmatch(r"\d{1,6}", wanted.strip()) and 1 <= int(wanted) <= len(headers):
        return int(wanted) - 1
    raise StudyDataError(
        Problem(
            file=file,
            row=1,
            column=wanted,
            found="no such column",
            expected=f"the column holding each participant's {what} (columns: "
            f"{_shown(headers, 8)})",
            fix=f"give the column's header text as in the file, or its number (1 = the first "
            f"column), e.g. --{'id' if what == 'id' else what + '-column'} 2",
        )
    )


def _ids(values: pd.Series, rows: list[int], *, file: str, column: str) -> None:
    text = values.astype(str).str.strip()
    bad = [
        i
        for i, (v, dup) in enumerate(zip(text, text.duplicated(keep=False), strict=True))
        if not v or dup
    ]
    if bad:
        listed = ", ".join(str(rows[i]) for i in bad[:5])
        raise StudyDataError(
            Problem(
                file=file,
                row=rows[bad[0]],
                column=column,
                found=f"empty or repeated ids on row(s) {listed}{', ...' if len(bad) > 5 else ''}"
                f" (e.g. '{text.iloc[bad[0]]}')",
                expected="one row per participant with a unique id",
                fix="correct the ids in the export, or leave out --id to number the rows",
            )
        )


def import_survey(
    path: str | Path,
    *,
    header_rows: int = 1,
    id_column: str | None = None,
    labels: Sequence[Sequence[str]] = (),
    site: str | None = None,
    role: str | None = None,
    site_column: str | None = None,
    role_column: str | None = None,
    study: str = "survey",
) -> RawStudy:
    """Turn a wide survey export (CSV, TSV or ``.xlsx``) into a draft study.

    Parameters
    ----------
    path : path-like
        The export: one row per respondent after ``header_rows`` header rows.
    header_rows : int
        Rows before the first response (1-20). The first holds the question texts; the
        others (answer options, codes) are skipped.
    id_column : str, optional
        The column identifying participants: its header text (case and spaces ignored) or
        its number (1 = first). Default: a column named like an id
        (:data:`partner_study.io.spss.ID_NAMES`), else rows are numbered R0001, R0002...
    labels : sequence of sequences of str
        Response labels of the survey's rating questions, low to high (code 1 first):
        text answers are matched to them (case and spaces ignored), and numbers 1..k get
        them as labels. Without them, text answers are matched to :data:`ANCHORS`.
    site, role, site_column, role_column : str, optional
        One site/role for everyone, or the column (header text or number) holding it.
    study : str
        The study name written in the codebook.

    Returns
    -------
    RawStudy
        ``participants``, ``survey``, the codebook text, ``notes`` and ``import_record``.

    Raises
    ------
    StudyDataError
        When the file is not a readable table, has no response below its header rows, or
        the id, site or role column is missing, empty or repeated.

    Notes
    -----
    Columns whose header says they identify a person (e-mail, name, phone, IP address,
    location, date of birth, ...: :func:`identifying_reason`) and form metadata
    (timestamps, submission ids) are removed and listed in IMPORT.md. A Google Forms grid
    (``Question [Row]``) is one question; its rows with one response set are one scale.
    Separate rating questions (numbers in a range of at most 11 points, or text answers
    that all belong to one response set) with one response set, at least three of them
    (free-text questions between them are allowed), are one scale. Anything else is a
    variable: numbers, a category (at most 12 short distinct answers) or free text.
    """
    path = Path(path)
    file = str(path)
    if not 1 <= header_rows <= 20:
        raise StudyDataError(
            Problem(
                file=file,
                found=f"--header-rows {header_rows}",
                expected="1 to 20 header rows",
                fix="give the number of rows above the first response (1 for most exports)",
            )
        )
    record = ImportRecord("survey", unit="responses")
    grid, rows = read_export(path, header=False)
    if len(grid) <= header_rows:
        raise StudyDataError(
            Problem(
                file=file,
                row=int(rows.data[-1]) + 1,
                found=f"{len(grid)} row(s), all header rows",
                expected=f"{header_rows} header row(s) and then one row per response",
                fix="export the responses too, or check --header-rows (the file may be cut "
                "short: export it again)",
            )
        )
    record.source(path)
    headers = [" ".join(str(h).split()) for h in grid.iloc[0]]
    if header_rows > 1:
        record.note(
            f"Header rows {_shown([str(r) for r in rows.data[1:header_rows]])} were skipped "
            "(only the first header row, the question texts, is read)."
        )
    body = grid.iloc[header_rows:].reset_index(drop=True)
    body_rows = [int(r) for r in rows.data[header_rows:]]
    notes: list[str] = []
    id_at = None
    if id_column is not None:
        id_at = _find_column(headers, id_column, file=file, what="id")
    else:
        names = [_identifier(h, fallback="") for h in headers]
        candidates = (*ID_NAMES, "response_id", "responseid")
        id_at = next((names.index(n) for n in candidates if n in names), None)
    if id_at is None:
        width = max(4, len(str(len(body))))
        ids = pd.Series([f"R{i:0{width}d}" for i in range(1, len(body) + 1)], dtype=object)
        record.guessed(
            f"No id column: participants were numbered R{1:0{width}d}... in file order. "
            "Pass --id COLUMN if one exists."
        )
    elif identifying_reason(headers[id_at]) is not None:
        record.removed(
            headers[id_at], f"identifying: {identifying_reason(headers[id_at])}", identifying=True
        )
        width = max(4, len(str(len(body))))
        ids = pd.Series([f"R{i:0{width}d}" for i in range(1, len(body) + 1)], dtype=object)
        record.guessed(
            f"The id column '{headers[id_at]}' identifies people: participants were numbered "
            f"R{1:0{width}d}... in file order instead."
        )
    else:
        ids = body.iloc[:, id_at].astype(str).str.strip()
        _ids(ids, body_rows, file=file, column=headers[id_at])
        record.note(f"Participant ids from the column '{headers[id_at]}'.")
    special = {}
    for what, given in (("site", site_column), ("role", role_column)):
        if given is not None:
            special[what] = str(_find_column(headers, given, file=file, what=what) + 1)
    columns: list[Column] = []
    repeated = {h for h in headers if headers.count(h) > 1}
    for j, header in enumerate(headers):
        key = str(j + 1)
        if j == id_at:
            continue
        if key in special.values():
            columns.append(Column(key, header, _identifier(header), clean_text(header)))
            continue
        reason = identifying_reason(header)
        if reason is not None:
            record.removed(header or f"column {j + 1}", f"identifying: {reason}", identifying=True)
            continue
        ident = _identifier(header, fallback="")
        if _METADATA.match(re.sub(r"\s+", "_", header.strip().lower())):
            record.removed(header, "form metadata (when or how the response was submitted)")
            continue
        if not header and body.iloc[:, j].astype(str).str.strip().eq("").all():
            continue
        grid_match = _GRID.match(header)
        name = ident if 0 < len(ident) <= 24 else f"q{j + 1:02d}"
        label = f"{header} (column {j + 1})" if header in repeated else header
        col = Column(key, header or f"column {j + 1}", name, clean_text(label))
        if grid_match:
            col.group = grid_match["question"]
            col.group_label = grid_match["question"]
            col.label = clean_text(grid_match["item"])
        columns.append(col)
    record.kept(len(body))
    labels = [[clean_text(x) for x in s if clean_text(x)] for s in labels]
    notes.insert(0, f"Imported {len(body)} response(s) from {path.name}.")
    return draft_survey(
        body,
        columns,
        ids,
        file=file,
        record=record,
        notes=notes,
        study=study,
        title=f"Imported survey ({path.name})",
        made_by="partner_study.io.survey.import_survey",
        site=site,
        role=role,
        site_column=special.get("site"),
        role_column=special.get("role"),
        labels=labels,
    )
