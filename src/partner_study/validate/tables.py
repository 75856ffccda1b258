"""Validation of a study's tables: participants, survey, segments and roster together.

Layer 2. :func:`validate_tables` checks tables held in memory (an importer's or the
simulator's); :func:`partner_study.validate.validate_study` reads a folder's files and
checks them the same way. Every problem of every table is collected before one
:class:`~partner_study.errors.StudyDataError` is raised.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from partner_study.codebook import Codebook
from partner_study.errors import StudyDataError
from partner_study.io import Study
from partner_study.validate._collect import (
    _as_text,
    _Collector,
    _ids,
    _invisible,
    _unknown_ids,
)
from partner_study.validate.columns import PARTICIPANT_COLUMNS, _check_columns
from partner_study.validate.segments import _validate_segments
from partner_study.validate.values import _likert_block, _typed_values

__all__ = ["validate_tables"]


def validate_tables(
    codebook: Codebook,
    participants: pd.DataFrame,
    survey: pd.DataFrame | None = None,
    segments: pd.DataFrame | None = None,
    roster: pd.DataFrame | None = None,
    *,
    display: str = "(in memory)",
) -> Study:
    """Validate raw tables held in memory (text cells, as :func:`read_table` gives them).

    The same checks as :func:`validate_study`, for tables from an importer or the simulator.
    """
    tables = {
        "participants": participants,
        "survey": survey,
        "segments": segments,
        "roster": roster,
    }
    names = {k: f"{display}/{k}.csv" for k in tables}
    return _check_tables(_Collector(), codebook, f"{display}/codebook.yaml", tables, names)


def _check_tables(
    col: _Collector,
    cb: Codebook,
    cb_name: str,
    tables: dict[str, pd.DataFrame | None],
    names: dict[str, str],
) -> Study:
    tables = {k: (_as_text(v) if v is not None else None) for k, v in tables.items()}
    # --- participants -----------------------------------------------------------------------
    pfile = names["participants"]
    part_raw = tables.get("participants")
    participants = None
    survey_raw = tables.get("survey")
    # A participant variable may be collected in the survey instead (a yes/no question):
    # it then lives in survey.csv only.
    in_survey = {
        v
        for v in cb.variables
        if survey_raw is not None
        and v in survey_raw.columns
        and (part_raw is None or v not in part_raw.columns)
    }
    if part_raw is not None:
        allowed = [
            cb.id,
            cb.site,
            cb.role_column,
            *(v for v in cb.variables if v not in in_survey),
            *PARTICIPANT_COLUMNS,
        ]
        if _check_columns(
            col,
            pfile,
            part_raw,
            [cb.id, cb.site, cb.role_column],
            allowed,
            cb_name,
            "required by the data contract",
        ):
            for v in cb.variables:
                if v not in part_raw.columns and v not in in_survey:
                    col.add(
                        file=pfile,
                        row=1,
                        column=v,
                        found="no such column in the header",
                        expected=f"a column '{v}' (declared under variables in codebook.yaml) "
                        "in participants.csv, or in survey.csv when the survey asked it",
                        fix=f"add the column to one of them, or remove '{v}' from variables "
                        f"in {cb_name}",
                    )
            if survey_raw is not None:
                for v in cb.variables:
                    if v in part_raw.columns and v in survey_raw.columns:
                        col.add(
                            file=names["survey"],
                            row=1,
                            column=v,
                            found=f"variable '{v}' in both participants.csv and survey.csv",
                            expected="each variable in one table",
                            fix=f"keep '{v}' in one of the two tables",
                        )
            participants = _validate_participants(col, pfile, part_raw, cb, cb_name)
    known_ids = set(participants["participant_id"]) if participants is not None else None

    survey = None
    if survey_raw is not None:
        survey = _validate_survey(
            col, names["survey"], survey_raw, cb, cb_name, known_ids, pfile, sorted(in_survey)
        )
    segments = None
    segments_raw = tables.get("segments")
    if segments_raw is not None:
        segments = _validate_segments(
            col, names["segments"], segments_raw, cb, cb_name, known_ids, pfile
        )

    # --- roster (optional): real names, used only to redact them from texts ----------------
    roster = None
    rraw = tables.get("roster")
    if rraw is not None:
        rfile = names["roster"]
        _check_columns(
            col,
            rfile,
            rraw,
            [cb.id, "name"],
            [cb.id, "name"],
            cb_name,
            "required by the data contract",
        )
        if cb.id in rraw.columns and "name" in rraw.columns and rraw.columns.is_unique:
            rid = _ids(rraw, cb.id)
            _unknown_ids(
                col, rfile, rid, cb.id, known_ids, pfile, "correct the id or remove the row"
            )
            roster = pd.DataFrame({"participant_id": rid, "name": rraw["name"].str.strip()})

    if col.problems:
        raise StudyDataError(col.problems)
    assert participants is not None  # guaranteed when no problems were found
    return Study(cb, participants, survey, segments, roster)


def _validate_participants(
    col: _Collector, file: str, raw: pd.DataFrame, cb: Codebook, cb_name: str
) -> pd.DataFrame:
    ids = _ids(raw, cb.id)
    col.rows(file, ids.eq(""), ids, cb.id, "a participant id", "give every participant an id")
    _invisible(col, file, ids, cb.id, "an id")
    dup = ids.duplicated(keep="first") & ids.ne("")
    col.rows(
        file,
        dup,
        ids,
        cb.id,
        "each participant id once",
        "remove the repeated row or give it its own id",
        found="duplicate id '{}'",
    )
    site = raw[cb.site].astype(str).str.strip()
    col.rows(file, site.eq(""), site, cb.site, "a site name", "name the site of every participant")
    _invisible(col, file, site, cb.site, "a site name")
    role = raw[cb.role_column].astype(str).str.strip()
    col.rows(
        file,
        ~role.isin(cb.role_levels),
        role,
        cb.role_column,
        f"one of {', '.join(cb.role_levels)}",
        f"correct the role, or declare it under role.levels in {cb_name}",
    )
    out = pd.DataFrame({"participant_id": ids, "site": site, "role": role})
    for name in PARTICIPANT_COLUMNS:
        if name in raw.columns:
            values = raw[name].astype(str).str.strip()
            _invisible(col, file, values, name, f"a {name.replace('_', ' ')}")
            out[name] = values.replace("", pd.NA)  # type: ignore[call-overload]
        else:
            out[name] = pd.NA
    for name, var in cb.variables.items():
        if name in raw.columns:
            out[name] = _typed_values(col, file, raw[name].astype(str), var, cb_name)
    return out


def _validate_survey(
    col: _Collector,
    file: str,
    raw: pd.DataFrame,
    cb: Codebook,
    cb_name: str,
    known_ids: set[str] | None,
    pfile: str,
    variables: Sequence[str] = (),
) -> pd.DataFrame:
    eng = cb.engagement_level
    required = [cb.id, *cb.items] + ([eng.column] if eng else [])
    allowed = [*required, *variables]
    _check_columns(col, file, raw, required, allowed, cb_name, "declared in codebook.yaml")
    if cb.id not in raw.columns or not raw.columns.is_unique:
        return pd.DataFrame()
    ids = _ids(raw, cb.id)
    col.rows(file, ids.eq(""), ids, cb.id, "a participant id", "fill in the participant id")
    col.rows(
        file,
        ids.duplicated() & ids.ne(""),
        ids,
        cb.id,
        "one survey row per participant",
        "remove the repeated row",
        found="duplicate id '{}'",
    )
    _unknown_ids(col, file, ids, cb.id, known_ids, pfile, blank_ok=True)
    blocks = [pd.DataFrame({"participant_id": ids})]
    for scale in cb.scales.values():
        items = [item for item in scale.items if item in raw.columns]
        if items:
            blocks.append(_likert_block(col, file, raw, items, scale, cb_name))
    out = pd.concat(blocks, axis=1)
    if eng is not None and eng.column in raw.columns:
        out["engagement_level"] = _typed_values(
            col, file, raw[eng.column].astype(str), eng, cb_name
        )
    for name in variables:
        out[name] = _typed_values(col, file, raw[name].astype(str), cb.variables[name], cb_name)
    return out
