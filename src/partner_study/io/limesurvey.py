"""Import a LimeSurvey response export (CSV, and the survey's ``.lss``) as a draft study.

Layer 2. :func:`import_limesurvey` turns the CSV that LimeSurvey writes under *Responses >
Export* into a :class:`partner_study.io.RawStudy`: a draft ``codebook.yaml``, the
``participants`` and ``survey`` tables of the raw data contract, and the import record
(``IMPORT.md``, :mod:`partner_study.io.record`). The survey structure file (``.lss``, *Display
/ Export > Survey structure*), when given, supplies the question types, question texts and the
answer codes and labels (:mod:`partner_study.io._lss`); without it they are inferred from the
export.

Example
-------
>>> from partner_study.io.limesurvey import import_limesurvey
>>> raw = import_limesurvey("results-survey123456.csv",
...                         lss="limesurvey_survey_123456.lss")   # doctest: +SKIP
>>> print(raw.import_record)                                     # doctest: +SKIP
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.io import RawStudy, _limits, read_table_rows
from partner_study.io._draft import (
    RESERVED,
    _assemble,
    _find_blocks,
    _fit_scale,
    _fit_variable,
    _Scale,
    _Var,
)
from partner_study.io._lsdraft import (
    NOT_SHOWN,
    SCALE_POINTS,
    Column,
    Plan,
    apply_codes,
    array_scales,
    block_scales,
    plan_with_lss,
    plan_without_lss,
    shorten,
)
from partner_study.io._lss import LssSurvey, read_lss
from partner_study.io._naming import _shown, _text_frame
from partner_study.io._source import _site_role
from partner_study.io.record import ImportRecord
from partner_study.io.redcap.dictionary import _infer_number

__all__ = ["import_limesurvey", "read_lss", "IDENTIFYING", "ADMINISTRATIVE", "SCALE_POINTS"]

#: Columns LimeSurvey adds to a response that identify or can re-identify a respondent
#: (removed, and listed in ``IMPORT.md``), with the reason shown there.
IDENTIFYING = {
    "token": "access code that links the response to the participant list",
    "ipaddr": "IP address of the respondent",
    "refurl": "referring web address (may carry names or panel ids)",
    "startdate": "date and time the response was started",
    "datestamp": "date and time of the last action",
    "submitdate": "date and time the response was submitted",
    "firstname": "first name from the participant list",
    "lastname": "last name from the participant list",
    "email": "e-mail address from the participant list",
    "emailstatus": "e-mail status from the participant list",
    "tid": "participant list entry",
}
#: Survey administration columns: not answers, removed and listed in ``IMPORT.md``.
ADMINISTRATIVE = {
    "lastpage": "last page reached (used to tell incomplete responses)",
    "startlanguage": "language the response was started in",
    "seed": "randomisation seed",
    "interviewtime": "time spent on the survey",
}
_ATTRIBUTE = re.compile(r"attribute_\d+")  # participant list attributes
_CODE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^\[\]\s]*\])*")
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_EXPORT_FIX = (
    "export the responses again in LimeSurvey (Responses > Export) as CSV with headings "
    "'Question code' or 'Question code & question text'"
)


# ---------------------------------------------------------------------------------------------
# The export
# ---------------------------------------------------------------------------------------------
def _columns(headers: list[str], name: str) -> list[Column]:
    """The export's columns, each with its question code (and text, in 'code. text' form)."""
    first = headers[0] if headers else ""
    sep_match = re.fullmatch(r"id([^\w\[\]]+)(.+)", first, flags=re.S)
    if first != "id" and sep_match is None:
        raise _wrong_platform(first, name)
    sep = sep_match.group(1) if sep_match else None
    out, bad = [], []
    for header in headers:
        match = _CODE.match(header)
        if match and match.end() == len(header):
            code, text = header, ""
        elif match and sep and header[match.end() :].startswith(sep):
            code, text = match.group(0), header[match.end() + len(sep) :].strip()
        else:
            bad.append(header)
            continue
        base = code.split("[", 1)[0]
        out.append(Column(header, code, text, base, _BRACKETS.findall(code)))
    if bad:
        raise StudyDataError(
            Problem(
                file=name,
                row=1,
                column=shorten(bad[0]),
                found=f"{len(bad)} heading(s) without a question code ({_shown(bad, 3)})",
                expected="headings 'CODE' or 'CODE" + (sep or ". ") + "question text'",
                fix=_EXPORT_FIX,
            )
        )
    return out


def _wrong_platform(first: str, name: str) -> StudyDataError:
    hints = {
        "respondent id": "a SurveyMonkey export: use `partner-study import surveymonkey`",
        "startdate": "a Qualtrics export: use `partner-study import qualtrics`",
        "responseid": "a Qualtrics export: use `partner-study import qualtrics`",
        "record_id": "a REDCap export: use `partner-study import redcap`",
    }
    key = first.strip().casefold()
    fix = hints.get(key)
    if fix is None and key.startswith("response id"):
        fix = "a LimeSurvey export with question texts only as headings: " + _EXPORT_FIX
    return StudyDataError(
        Problem(
            file=name,
            row=1,
            column=shorten(first) or None,
            found=f"a first column '{shorten(first)}'",
            expected="a LimeSurvey response export, whose first column is the response id "
            "('id' or 'id. Response ID')",
            fix=f"this looks like {fix}" if fix else _EXPORT_FIX,
        )
    )


def _metadata(columns: list[Column], survey: LssSurvey | None) -> dict[str, tuple[str, bool]]:
    """Columns that are not answers: code -> (reason, identifying)."""
    bases = {c.base for c in columns}
    out: dict[str, tuple[str, bool]] = {}
    for c in columns:
        code = c.code
        if code == "id":
            continue
        if code in IDENTIFYING or _ATTRIBUTE.fullmatch(code):
            out[code] = (IDENTIFYING.get(code, "attribute from the participant list"), True)
        elif code in ADMINISTRATIVE:
            out[code] = (ADMINISTRATIVE[code], False)
        elif re.fullmatch(r"groupTime\d+", code) or (
            code.endswith("Time")
            and code[:-4] in bases
            and not c.parts
            and (survey is None or survey.question(code) is None)
        ):
            out[code] = ("time spent on a page or question", False)
        elif survey is not None and c.base in survey.url_parameters:
            param = survey.url_parameters[c.base]
            out[code] = (
                f"filled from the survey link parameter '{param}' (a panel or tracking id)",
                True,
            )
    return out


def _check_ids(ids: pd.Series, rows: np.ndarray, name: str) -> None:
    bad = np.flatnonzero((ids.eq("") | ids.duplicated(keep=False)).to_numpy())
    if len(bad):
        listed = ", ".join(str(rows[i]) for i in bad[:5])
        raise StudyDataError(
            Problem(
                file=name,
                row=int(rows[bad[0]]),
                column="id",
                found=f"an empty or repeated response id on row(s) {listed}"
                f"{', ...' if len(bad) > 5 else ''} (e.g. '{ids.iloc[bad[0]]}')",
                expected="one row per response with a unique id",
                fix="export the responses again; if two exports were joined, keep each "
                "response once",
            )
        )


def _completed(
    frame: pd.DataFrame, rows: np.ndarray, keep: bool, record: ImportRecord, notes: list[str]
) -> pd.Series:
    """Which responses are complete: a submit date (or, without that column, a last page)."""
    found = [c for c in ("submitdate", "lastpage") if c in frame.columns]
    if not found:
        notes.append(
            "The export has no 'submitdate' or 'lastpage' column: every response was "
            "kept, complete or not."
        )
        return pd.Series(True, index=frame.index)
    column = found[0]
    what = "no submit date" if column == "submitdate" else "no last page"
    done = frame[column].str.strip().ne("")
    if not done.all():
        if keep:
            record.note(
                f"{int((~done).sum())} incomplete response(s) ({what}) were kept "
                "(--keep-incomplete)."
            )
        else:
            record.dropped(
                int((~done).sum()),
                f"incomplete response ({what} in '{column}'); --keep-incomplete keeps them",
                rows=rows[~done.to_numpy()].tolist(),
            )
            return done
    return pd.Series(True, index=frame.index)


# ---------------------------------------------------------------------------------------------
def import_limesurvey(
    responses: str | Path,
    lss: str | Path | None = None,
    *,
    keep_incomplete: bool = False,
    site: str | None = None,
    role: str | None = None,
    site_column: str | None = None,
    role_column: str | None = None,
    study: str = "limesurvey",
) -> RawStudy:
    """Turn a LimeSurvey response export (and its ``.lss``) into a draft study.

    Parameters
    ----------
    responses : path-like
        The CSV of *Responses > Export* (or ``.xlsx``), with headings 'Question code'
        (``Q1``, ``Q2[SQ001]``) or 'Question code & question text' (``Q1. How ...``), and
        answers as codes or as full texts.
    lss : path-like, optional
        The survey structure (``.lss``) of the same survey: question types, texts, answer
        codes and labels. Without it, arrays of whole numbers become scales without labels.
    keep_incomplete : bool
        Keep responses without a submit date (default: they are dropped and counted).
    site, role, site_column, role_column : str, optional
        One site / role for everyone, or the question code whose answer gives it (a
        question coded ``site`` / ``role`` is used by default).
    study : str
        The study name written in the codebook.

    Returns
    -------
    RawStudy
        ``participants`` (participant_id = the response id, site, role, collection = survey,
        one column per other question), ``survey`` (participant_id + scale items), the
        codebook text, ``notes`` and ``import_record`` (the text of ``IMPORT.md``).

    Raises
    ------
    StudyDataError
        When the file is not a LimeSurvey export (or is malformed, truncated or too large),
        the ``.lss`` is not a LimeSurvey survey structure or belongs to another survey, a
        response id is empty or repeated, or a site / role column is missing or empty.

    Notes
    -----
    Removed and listed in ``IMPORT.md``: the identifying columns (:data:`IDENTIFYING`:
    token, IP address, referrer, dates, participant list fields and attributes; and with the
    ``.lss``, questions filled from a survey link parameter), the administration columns
    (:data:`ADMINISTRATIVE`, timings), text-display and file-upload questions, and columns
    empty in every kept response.

    Mapping (with the ``.lss``): an array question (types F, H, A, B, and each scale of a
    dual-scale array) with 3 to 11 answer options becomes a scale whose items are its
    subquestions; codes that are not consecutive whole numbers (``AO01`` ...) are written
    as 1..k in the order of the options (a recode in ``IMPORT.md``); labels are the answer
    texts. List, dropdown, yes/no, gender and 5-point questions become categories (at least
    three adjacent ones of one group with the same 4- to 7-point answers form a scale);
    multiple choice gives one category per option (``Y`` = Yes, empty = not chosen);
    numerical questions become numbers; texts, dates and equations stay text (whole
    numbers are declared as integers). A cell holding an answer's text in any language of
    the survey (case and spaces ignored) is written as its code, so that a 'full answers'
    export and an 'answer codes' export give the same tables.

    Empty cells are missing (a question not shown by the survey's conditions is empty,
    never 0); an ``N/A`` cell (the export's 'question not shown' marker) is read as empty.
    """
    record = ImportRecord("limesurvey", unit="responses")
    notes: list[str] = []
    path = Path(responses)
    name = str(responses)
    frame, headers, rows = _read_export(path, name)
    columns = _columns(headers, name)
    record.source(path, what="responses")
    survey = None
    if lss is not None:
        survey = read_lss(lss)
        record.source(lss, what="survey structure (.lss)")
    meta = _metadata(columns, survey)
    frame, ids = _complete(frame, rows[1:], columns, keep_incomplete, record, notes, name)
    for c in columns[1:]:
        if c.code in meta:
            reason, identifying = meta[c.code]
            record.removed(c.code, reason, identifying=identifying)
    answers = [c for c in columns[1:] if c.code not in meta]
    taken = set(RESERVED)
    frame, plan, scales = _draft(frame, answers, survey, taken, record, notes, name)
    variables = _drop_empty(plan.variables, frame, record, {c.header: c.code for c in columns})
    checks: list[str] = []
    scales = [s for s in scales if _fit_scale(s, frame, checks)]
    by_source = {v.source: v for v in variables}
    by_code = {c.code: c.header for c in columns}
    auto: dict[str, str] = {
        k: by_code[c] for c in by_code for k in ("site", "role") if c.casefold() == k
    }
    auto = {k: v for k, v in auto.items() if v in by_source}
    site_values, role_values, consumed = _site_role(
        frame.reset_index(drop=True),
        by_source,
        site=site,
        role=role,
        site_column=by_code.get(site_column, site_column) if site_column else None,
        role_column=by_code.get(role_column, role_column) if role_column else None,
        file=name,
        notes=notes,
        auto=auto,
    )
    variables = [v for v in variables if v.source not in consumed]
    for v in variables:
        _fit_types(v, frame[v.source], coded=v.source in plan.codes, notes=notes, checks=checks)
    blocks = _find_blocks([v for v in variables if v.type == "category"])
    scales += block_scales(blocks, taken, frame, notes)
    in_scale = {v.name for s in scales for v in s.items}
    variables = [v for v in variables if v.name not in in_scale]
    record.kept(len(frame))
    for note in notes:
        record.note(note)
    for check in checks:
        record.guessed(check)
    notes += checks
    notes.insert(
        0,
        f"Imported {len(frame)} response(s), {len(variables)} variable(s) and "
        f"{len(scales)} scale(s) from LimeSurvey ({path.name}"
        + (f" + {Path(lss).name}" if lss is not None else "")
        + ").",
    )
    raw = _assemble(
        frame,
        ids.reset_index(drop=True),
        site_values,
        role_values,
        variables,
        scales,
        study=study,
        title=shorten(survey.title)
        if survey is not None and survey.title
        else f"Imported from LimeSurvey ({path.name})",
        made_by="partner_study.io.limesurvey.import_limesurvey",
        notes=notes,
    )
    return replace(raw, import_record=record.render())


def _drop_empty(
    variables: list[_Var], frame: pd.DataFrame, record: ImportRecord, code_of: dict[str, str]
) -> list[_Var]:
    kept = []
    for v in variables:
        if frame[v.source].str.strip().eq("").all():
            record.removed(code_of.get(v.source, v.source), "no answer in any kept response")
        else:
            kept.append(v)
    return kept


def _read_export(path: Path, name: str) -> tuple[pd.DataFrame, list[str], np.ndarray]:
    """The responses as text (columns named by their headings), the headings, and the
    spreadsheet row of the headings followed by those of the responses."""
    if not path.is_file():
        raise StudyDataError(
            Problem(
                file=name,
                found="no such file",
                expected="a LimeSurvey response export",
                fix="check the path",
            )
        )
    _limits.check_file_size(path, name=name, fix="export fewer responses or questions")
    grid, rows = read_table_rows(path, display=name, header=False)
    headers = [str(h).replace("\ufeff", "").strip() for h in grid.iloc[0]]
    if not headers or (headers[0] != "id" and not headers[0].startswith("id")):
        raise _wrong_platform(headers[0] if headers else "", name)
    frame = _text_frame(grid.iloc[1:].set_axis(headers, axis=1))
    _limits.check_table(frame, name)
    if frame.empty:
        raise StudyDataError(
            Problem(
                file=name,
                row=int(rows.data[0]),
                found="a header row and no response",
                expected="one row per response below the headings",
                fix=_EXPORT_FIX,
            )
        )
    return frame, headers, np.asarray(rows.data)


def _complete(
    frame: pd.DataFrame,
    rows: np.ndarray,
    columns: list[Column],
    keep: bool,
    record: ImportRecord,
    notes: list[str],
    name: str,
) -> tuple[pd.DataFrame, pd.Series]:
    """The complete responses (all with ``keep``) and their ids, checked unique."""
    ids = frame[columns[0].header].str.strip()
    done = _completed(
        frame.rename(columns={c.header: c.code for c in columns}), rows, keep, record, notes
    )
    frame, ids, rows = frame.loc[done], ids.loc[done], rows[done.to_numpy()]
    if frame.empty:
        raise StudyDataError(
            Problem(
                file=name,
                found="no complete response",
                expected="at least one response with a submit date",
                fix="pass --keep-incomplete to import incomplete responses",
            )
        )
    _check_ids(ids, rows, name)
    return frame, ids


def _draft(
    frame: pd.DataFrame,
    answers: list[Column],
    survey: LssSurvey | None,
    taken: set[str],
    record: ImportRecord,
    notes: list[str],
    name: str,
) -> tuple[pd.DataFrame, Plan, list[_Scale]]:
    """The plan of the answer columns, the array scales, and the answers as codes."""
    if survey is not None:
        plan = plan_with_lss(answers, survey, taken, name)
    else:
        plan = plan_without_lss(answers, frame, taken)
        record.guessed(
            "No .lss was given: question types, answer labels and scale ranges "
            "were inferred from the answers. Pass --lss to use the survey's own."
        )
    for code, why in plan.dropped:
        record.removed(code, why)
    scales = array_scales(plan, frame, taken, record, notes)  # array codes -> 1..k first
    frame, not_shown = apply_codes(frame, plan, record)
    if not_shown:
        record.recoded(not_shown, {NOT_SHOWN: ""})
        notes.append(
            f"'{NOT_SHOWN}' cells (question not shown) were read as empty in "
            f"{len(not_shown)} column(s)."
        )
    if scales and survey is not None:
        record.guessed(
            f"Array questions became scales ({_shown([s.name for s in scales], 6)}): check "
            "that every answer option is a point of the scale (an option such as 'does not "
            "apply' belongs in the scale's missing: codes), which items are reverse-keyed, "
            "and min_items (half the items)."
        )
    return frame, plan, scales


def _fit_types(
    var: _Var, values: pd.Series, *, coded: bool, notes: list[str], checks: list[str]
) -> None:
    """Whole numbers of a text or numerical question declared as integers; values that do
    not fit the declaration noted in ``checks`` (see ``_fit_variable``)."""
    if var.type == "text" and coded:
        return
    if var.type == "text":
        _infer_number(var, values, notes)
    elif var.type == "number":
        numbers = pd.to_numeric(values.str.strip(), errors="coerce").dropna()
        var.type = "integer" if len(numbers) and (numbers % 1 == 0).all() else "number"
    _fit_variable(var, values, checks)
