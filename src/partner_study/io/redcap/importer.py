"""Import a REDCap export and its data dictionary as a draft study.

Layer 2. :func:`import_redcap` reads both files, keeps the records and fields it can
analyse (:mod:`partner_study.io.redcap.records`, :mod:`partner_study.io.redcap.dictionary`),
finds the scales among the fields and assembles the draft study.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.io import RawStudy
from partner_study.io._draft import (
    RESERVED,
    _assemble,
    _find_blocks,
    _fit_scale,
    _fit_variable,
    _make_scale,
    _Scale,
    _Var,
)
from partner_study.io._naming import _shown
from partner_study.io._source import _read_source, _site_role
from partner_study.io.redcap.dictionary import _dictionary, _redcap_variables
from partner_study.io.redcap.records import (
    _SYSTEM_PREFIX,
    _check_ids,
    _drop_unknown_columns,
    _filter_rows,
)

__all__ = ["import_redcap"]


def import_redcap(
    data: Any,
    dictionary: Any,
    *,
    event: str | None = None,
    site: str | None = None,
    role: str | None = None,
    site_column: str | None = None,
    role_column: str | None = None,
    study: str = "redcap",
) -> RawStudy:
    """Turn a REDCap export and its data dictionary into a draft study.

    Parameters
    ----------
    data : path-like or DataFrame
        The records: "CSV / Microsoft Excel (raw data)" export (``.csv`` or ``.xlsx``), or
        the API's flat CSV. Label exports work too for categories (labels are accepted).
    dictionary : path-like or DataFrame
        The data dictionary, with the download's headers ("Variable / Field Name", ...) or
        the API's (``field_name``, ...). A byte-order mark and curly quotes are fine.
    event : str, optional
        For a longitudinal export (``redcap_event_name`` column): the unique event name whose
        rows hold the survey. Required then.
    site, role : str, optional
        One site name / role for every participant, when the project does not record them.
    site_column, role_column : str, optional
        A field holding each participant's site / role (its choice labels are used, as
        snake_case). A field named ``site`` / ``role``, or the data access group, is used by
        default.
    study : str
        The study name written in the codebook.

    Returns
    -------
    RawStudy
        ``participants`` (participant_id = the record id, site, role, collection = survey,
        one column per kept field), ``survey`` (participant_id + scale items, rows of
        participants who answered at least one item; ``None`` without scales), the codebook
        text and ``notes`` (what was assumed and what to check).

    Raises
    ------
    StudyDataError
        When a file is not a REDCap export / dictionary, the record id column is missing,
        a longitudinal export is given without ``event``, a participant appears twice, a
        field appears twice in the dictionary, a column name twice in a table, or a site /
        role column is missing or empty; and when a file passes a limit below.

    Notes
    -----
    Mapping: radio and dropdown fields become category variables with the choices as levels
    (``"1, Yes | 2, No"``; codes may be letters); yesno and truefalse become categories
    ``{0: No, 1: Yes}`` / ``{0: False, 1: True}``; each checkbox option ``var___k`` becomes
    its own category ``{0: Unchecked, 1: Checked}`` (REDCap's own labels, so label exports
    validate too); sliders become integers 0-100 (or the dictionary's min/max); text fields
    validated as integer/number become integer/number with the dictionary's bounds; text
    fields without validation whose values are all numbers become numbers; calc fields
    become numbers; dates and other text stay text. Fields flagged as identifiers, file,
    signature and descriptive fields, form-status (``*_complete``), survey timestamps and
    ``redcap_*`` system columns are left out.

    Values that do not fit the declaration (e.g. data entered before a validation rule)
    are declared as missing codes when there are at most ten distinct ones, otherwise the
    field becomes free text; a violated min/max is dropped. Each change is a note.

    Scales (heuristic): radio/dropdown fields of one REDCap matrix group whose choices are
    consecutive whole codes (at least 3 options, at least 2 fields) form a scale named
    after the matrix; otherwise at least 3 adjacent fields of one form with the same 4- to
    7-point consecutive-code choices form a scale named after the common part of the field
    names (or the form). Range = the choice codes, labels = the choice labels,
    ``min_items`` = half the items (rounded up), no item reversed.

    Longitudinal exports with more than one event need ``event`` (a single event is used as
    it is); rows of repeating instruments are left out (with their fields), so each
    participant has one row.

    Limits (``partner_study.io._limits``): each file is at most 2 GB, with at most 20,000
    columns (and the dictionary at most 20,000 fields) and 1,000,000 characters a cell.

    References
    ----------
    Harris PA, Taylor R, Thielke R, Payne J, Gonzalez N, Conde JG (2009). Research electronic
    data capture (REDCap). J Biomed Inform 42(2):377-381. doi:10.1016/j.jbi.2008.08.010
    """
    notes: list[str] = []
    frame, data_name = _read_source(data, "REDCap records")
    dic_frame, dic_name = _read_source(dictionary, "REDCap dictionary")
    dic = _dictionary(dic_frame, dic_name)
    id_field = str(dic.loc[0, "field_name"])
    if id_field not in frame.columns:
        raise StudyDataError(
            Problem(
                file=data_name,
                row=1,
                column=id_field,
                found=f"no record id column (columns: {_shown(list(frame.columns), 6)})",
                expected=f"the record id field '{id_field}' named first in {dic_name}",
                fix="export the records as 'CSV (raw data)' with variable names as headers, and "
                "check that records and dictionary come from the same project",
            )
        )
    frame, repeating = _filter_rows(frame, event=event, name=data_name, notes=notes)
    forms = set(dic["form_name"])
    left_out: set[str] = set()
    if repeating:
        in_repeating = dic["form_name"].isin(repeating) & dic["field_name"].ne(id_field)
        left_out = set(dic.loc[in_repeating, "field_name"])
        left_out |= {c for c in frame.columns if c.split("___")[0] in left_out}
        dic = dic.loc[~in_repeating]
    ids = frame[id_field].astype(str).str.strip()
    _check_ids(ids, data_name, id_field)
    variables, used = _redcap_variables(dic, frame, id_field, notes)
    comma = {v.source for v in variables if v.type == "number"} & set(
        dic.loc[dic["validation"].str.contains("comma_decimal", case=False), "field_name"]
    )
    for col in comma:
        frame[col] = frame[col].astype(str).str.replace(",", ".", regex=False)
    _drop_unknown_columns(frame, used | left_out, forms, notes)
    empty = [v for v in variables if frame[v.source].astype(str).str.strip().eq("").all()]
    if empty and len(empty) < len(variables):
        notes.append(
            f"Fields empty in every kept row were left out: {_shown([v.name for v in empty], 8)}."
        )
        variables = [v for v in variables if v not in empty]
    by_source = {v.source: v for v in variables}
    auto: dict[str, str] = {k: k for k in ("site", "role") if k in by_source}
    dag = f"{_SYSTEM_PREFIX}data_access_group"
    if (
        "site" not in auto
        and dag in frame.columns
        and frame[dag].astype(str).str.strip().ne("").all()
    ):
        auto["site"] = dag
    site_values, role_values, consumed = _site_role(
        frame,
        by_source,
        site=site,
        role=role,
        site_column=site_column,
        role_column=role_column,
        file=data_name,
        notes=notes,
        auto=auto,
    )
    variables = [v for v in variables if v.source not in consumed]
    scales = _redcap_scales(variables, frame, notes)
    in_scale = {v.name for s in scales for v in s.items}
    variables = [v for v in variables if v.name not in in_scale]
    for v in variables:
        _fit_variable(v, frame[v.source], notes)
    notes.insert(
        0,
        f"Imported {len(frame)} participant(s), {len(variables)} variable(s) and "
        f"{len(scales)} scale(s) from REDCap ({Path(data_name).name} + "
        f"{Path(dic_name).name}).",
    )
    return _assemble(
        frame,
        ids,
        site_values,
        role_values,
        variables,
        scales,
        study=study,
        title=f"Imported from REDCap ({Path(data_name).name})",
        made_by="partner_study.io.redcap.import_redcap",
        notes=notes,
    )


def _redcap_scales(variables: list[_Var], frame: pd.DataFrame, notes: list[str]) -> list[_Scale]:
    taken = {v.name for v in variables} | set(RESERVED)
    scales: list[_Scale] = []
    claimed: set[str] = set()
    matrices: dict[str, list[_Var]] = {}
    for v in variables:
        if v.matrix and v.likert is not None and v.source.find("___") < 0:
            matrices.setdefault(v.matrix, []).append(v)
    for matrix, items in matrices.items():
        if (
            len(items) >= 2
            and len({v.response_set for v in items}) == 1
            and (items[0].likert[1] - items[0].likert[0] >= 2)  # type: ignore[index]
        ):
            scales.append(
                _make_scale(items, name_hint=matrix, label=matrix, taken=taken, prefer_hint=True)
            )
            claimed.update(v.name for v in items)
    rest = [v for v in variables if v.name not in claimed and "___" not in v.source]
    for block in _find_blocks(rest):
        form = block[0].group
        scales.append(
            _make_scale(
                block, name_hint=form, label=form.replace("_", " ").capitalize(), taken=taken
            )
        )
    kept = []
    for s in scales:
        if _fit_scale(s, frame, notes):
            kept.append(s)
    return kept
