"""Import a Qualtrics CSV export (and its ``.qsf`` survey definition) as a draft study.

Layer 2. :func:`import_qualtrics` reads the CSV that Qualtrics writes (Data & Analysis >
Export Data > CSV): row 1 the column names, row 2 the question texts (in the survey's
language), row 3 the import ids (``{"ImportId":"QID2_1"}``, or ``{'ImportId': 'QID2-1'}``
in older exports; exports without that row are read too), then one row per response,
answers as numbers or as choice texts. It removes the metadata that identifies
respondents, leaves out unfinished responses, and hands the answer columns to
:func:`partner_study.io.survey.draft_survey`. With the ``.qsf`` (Survey > Tools >
Import/Export > Export survey), matrix questions become scales whose items are the
statements and whose labels are the scale points, with Qualtrics' recoded values.

Example
-------
>>> from partner_study.io.qualtrics import import_qualtrics
>>> raw = import_qualtrics("export.csv", qsf="survey.qsf")  # doctest: +SKIP
>>> print(raw.import_record)                                 # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.io import RawStudy
from partner_study.io._naming import _identifier, _shown
from partner_study.io._qsf import answer_codes, check_qsf, display, read_qsf
from partner_study.io.record import ImportRecord
from partner_study.io.wide import (
    Column,
    clean_text,
    draft_survey,
    identifying_reason,
    read_export,
)

__all__ = ["import_qualtrics", "IDENTIFYING", "METADATA"]

#: Qualtrics columns that identify a respondent (names lower case, without spaces), removed.
IDENTIFYING = {
    "ipaddress": "IP address of the respondent",
    "recipientlastname": "name of the respondent",
    "recipientfirstname": "name of the respondent",
    "recipientemail": "e-mail address of the respondent",
    "recipientphonenumber": "phone number of the respondent",
    "externalreference": "external reference (an id from a contact list)",
    "externaldatareference": "external reference (an id from a contact list)",
    "locationlatitude": "location of the respondent",
    "locationlongitude": "location of the respondent",
    "locationaccuracy": "location of the respondent",
    "name": "name of the respondent",
    "emailaddress": "e-mail address of the respondent",
    "q_url": "the link the respondent used (may hold their id)",
}
#: Qualtrics columns about the response, not answers, removed.
METADATA = {
    "startdate",
    "enddate",
    "status",
    "progress",
    "duration(inseconds)",
    "durationinseconds",
    "duration",
    "finished",
    "recordeddate",
    "responseset",
    "distributionchannel",
    "userlanguage",
}
_IMPORT_ID = re.compile(r"""^\s*\{\s*["']ImportId["']\s*:\s*["']([^"']*)["']""")
_CHOICE_ID = re.compile(r"""["']choiceId["']\s*:\s*["']([^"']*)["']""")
_QID = re.compile(r"^(QID\d+(?:#\d+)?)(?:_(.*))?$")
_TIMING = {"FIRST_CLICK", "LAST_CLICK", "PAGE_SUBMIT", "CLICK_COUNT"}
_FINISHED = {"1": True, "true": True, "wahr": True, "vrai": True, "verdadero": True,
             "vero": True, "waar": True, "yes": True,
             "0": False, "false": False, "falsch": False, "faux": False, "falso": False,
             "onwaar": False, "no": False}  # fmt: skip
_UNREAL_STATUS = {"1": "survey preview", "2": "survey test", "8": "spam", "9": "preview spam",
                  "17": "offline preview", "survey preview": "survey preview",
                  "survey test": "survey test", "spam": "spam"}  # fmt: skip
_EXPORT_FIX = (
    "export the responses from Qualtrics as CSV (Data & Analysis > Export & Import > Export "
    "data > CSV); for another platform's export use `partner-study import survey FILE "
    "--header-rows N` (or `import redcap`)"
)


def _norm(name: str) -> str:
    return re.sub(r"\s+", "", str(name)).lower()


# -- the CSV -----------------------------------------------------------------------------------
def _header(frame: pd.DataFrame, file: str) -> tuple[int, dict[str, str], dict[str, str]]:
    """(header rows, import id by column, question text by column) of a Qualtrics export."""
    columns = list(frame.columns)
    texts = {c: str(v) for c, v in zip(columns, frame.iloc[0], strict=True)} if len(frame) else {}
    if len(frame) >= 2:
        third = [str(v) for v in frame.iloc[1]]
        found = {c: _IMPORT_ID.match(v) for c, v in zip(columns, third, strict=True)}
        ids = {c: m.group(1) for c, m in found.items() if m}
        for c, v in zip(columns, third, strict=True):
            choice = _CHOICE_ID.search(v)
            if c in ids and choice and "_" not in ids[c]:
                ids[c] = f"{ids[c]}_{choice.group(1)}"
        if len(ids) * 2 >= len(columns):
            return 3, ids, texts
    names = {_norm(c) for c in columns} | {_norm(t) for t in texts.values()}
    if "responseid" in names and len(frame) >= 1:
        return 2, {}, texts  # an export without the import-id row
    shown = "; ".join(f"'{_shown([v], 1, width=30)[1:-1]}'" for v in list(texts.values())[:2])
    raise StudyDataError(
        Problem(
            file=file,
            row=3 if len(frame) >= 2 else 2,
            found=f"no Qualtrics header rows (no ResponseId column, and row 3 is not "
            f'the import ids {{"ImportId": ...}}; columns {_shown(columns, 4)}'
            + (f"; row 2: {shown}" if shown else "")
            + ")",
            expected="a Qualtrics CSV export: row 1 column names, row 2 question texts, "
            "row 3 import ids, then one row per response",
            fix=_EXPORT_FIX,
        )
    )


def _meta_name(column: str, text: str) -> str:
    """A metadata column's name; older exports name it in row 2 under V1, V2..."""
    return text if re.fullmatch(r"V\d+", column) else column


# -- the importer ------------------------------------------------------------------------------
def _split_id(import_id: str) -> tuple[str, str, str]:
    """(QID, choice, kind) of a question column's import id; kind is '', 'text', 'order',
    'timing' or 'analytics'; ('', '', '') when it is not a question column."""
    match = _QID.match(import_id.replace("-", "_"))
    if not match:
        return "", "", ""
    qid, rest = match.group(1), match.group(2) or ""
    if re.search(r"(Topics|Sentiment\w*|ParentTopics)$", rest):
        return qid, rest, "analytics"
    if rest in _TIMING:
        return qid, rest, "timing"
    if rest == "DO" or rest.endswith("_DO"):
        return qid, rest.removesuffix("DO").rstrip("_"), "order"
    if rest == "TEXT" or rest.endswith("_TEXT"):
        return qid, rest.removesuffix("TEXT").rstrip("_"), "text"
    return qid, rest, ""


def _matrix_texts(texts: list[str]) -> tuple[str, list[str]]:
    """(question, statements) of a matrix's row-2 texts ``question - statement``."""
    if len(texts) < 2:
        return texts[0] if texts else "", texts
    prefix = os.path.commonprefix(texts)
    cut = max(prefix.rfind(" - "), prefix.rfind("-"))
    if cut <= 0:
        return "", texts
    return prefix[:cut].strip(), [t[cut:].lstrip(" -").strip() or t for t in texts]


def _name_groups(columns: list[Column], questions: dict[str, dict[str, Any]]) -> None:
    """Name each question's group (a scale's name) by its export tag, or without the .qsf
    by the part its column names share (``Q2_1``, ``Q2_2`` -> ``Q2``)."""
    by_qid: dict[str, list[Column]] = {}
    for col in columns:
        if col.group:
            by_qid.setdefault(col.group, []).append(col)
    taken: set[str] = set()
    for qid, cols in by_qid.items():
        q = questions.get(qid.split("#")[0], {})
        tag = str(q.get("DataExportTag", "")).strip()
        if not tag:
            tag = os.path.commonprefix([c.source for c in cols]).rstrip("_- ")
            tag = tag if len(cols) > 1 and tag else qid
        name = tag if tag not in taken else f"{tag}_{qid}"
        taken.add(name)
        for col in cols:
            col.group = name


def _responses(
    frame: pd.DataFrame, rows: Any, n_header: int, file: str
) -> tuple[pd.DataFrame, list[int]]:
    """The response rows below the header rows, and their row numbers in the file."""
    body = frame.iloc[n_header - 1 :].reset_index(drop=True)
    if body.empty:
        raise StudyDataError(
            Problem(
                file=file,
                row=n_header + 1,
                found="the header rows and no response",
                expected="one row per response below the header rows",
                fix="export the responses again (the file may be cut short)",
            )
        )
    return body, [int(r) for r in rows.data[n_header - 1 :]]


def _sort_columns(
    frame: pd.DataFrame,
    import_ids: dict[str, str],
    texts: dict[str, str],
    record: ImportRecord,
    file: str,
) -> tuple[dict[str, str], list[str]]:
    """({'id'|'finished'|'status': column}, the columns that may hold answers); identifying
    and metadata columns are recorded as removed."""
    special: dict[str, str] = {}
    kept: list[str] = []
    for c in frame.columns:
        iid, name = import_ids.get(c, ""), _norm(_meta_name(c, texts.get(c, "")))
        if name == "responseid" or iid in ("_recordId", "responseId"):
            special.setdefault("id", c)
            continue
        for what in ("finished", "status"):
            if name == what or iid == what:
                special[what] = c
        shown = c if _meta_name(c, texts.get(c, "")) == c else f"{c} ({texts[c]})"
        if name in IDENTIFYING or iid.startswith(("panel-", "Location-")):
            why = IDENTIFYING.get(name, "contact or location data of the respondent")
            record.removed(shown, f"identifying: {why}", identifying=True)
        elif name in METADATA or (c.startswith("Q_") and not iid.startswith("QID")):
            record.removed(shown, "Qualtrics metadata about the response, not an answer")
        else:
            kept.append(c)
    if "id" not in special:
        raise StudyDataError(
            Problem(
                file=file,
                row=1,
                found=f"no ResponseId column (columns {_shown(list(frame.columns), 6)})",
                expected="the ResponseId (or ResponseID) column of a Qualtrics export",
                fix=_EXPORT_FIX,
            )
        )
    return special, kept


def _response_ids(body: pd.DataFrame, column: str, rows: list[int], file: str) -> pd.Series:
    ids = body[column].astype(str).str.strip()
    bad = [
        i
        for i, (v, d) in enumerate(zip(ids, ids.duplicated(keep=False), strict=True))
        if not v or d
    ]
    if bad:
        raise StudyDataError(
            Problem(
                file=file,
                row=rows[bad[0]],
                column=column,
                found=f"an empty or repeated ResponseId ('{ids.iloc[bad[0]]}') on "
                f"{len(bad)} row(s)",
                expected="one row per response, each with its own ResponseId",
                fix="export the responses again; remove rows added by hand",
            )
        )
    return ids


def _finished(
    body: pd.DataFrame,
    special: dict[str, str],
    rows: list[int],
    *,
    keep_unfinished: bool,
    record: ImportRecord,
    file: str,
) -> pd.Series:
    """Which responses to keep: the finished ones (all with ``keep_unfinished``)."""
    keep = pd.Series(True, index=body.index)
    column = special.get("finished")
    if column is None:
        record.note("The export has no Finished column: every response was kept.")
        return keep
    values = body[column].astype(str).str.strip().str.lower()
    unknown = [i for i, v in enumerate(values) if v not in _FINISHED]
    if unknown:
        raise StudyDataError(
            Problem(
                file=file,
                row=rows[unknown[0]],
                column=column,
                found=f"'{body[column].iloc[unknown[0]]}'",
                expected="1/0 or True/False (whether the respondent finished)",
                fix="export the data again from Qualtrics, or pass --keep-unfinished to "
                "keep every response",
            )
        )
    finished = values.map(_FINISHED).astype(bool)
    if keep_unfinished:
        if (~finished).any():
            record.note(
                f"{int((~finished).sum())} unfinished response(s) kept (--keep-unfinished)."
            )
        return keep
    record.dropped(
        int((~finished).sum()),
        "unfinished response (Finished = 0/False); --keep-unfinished keeps them",
        rows=[r for r, f in zip(rows, finished, strict=True) if not f],
    )
    if not finished.any():
        raise StudyDataError(
            Problem(
                file=file,
                column=column,
                found="no finished response",
                expected="at least one response with Finished = 1",
                fix="pass --keep-unfinished to import unfinished responses",
            )
        )
    return finished


def _note_status(body: pd.DataFrame, column: str | None, record: ImportRecord) -> None:
    if column is None:
        return
    status = body[column].astype(str).str.strip().str.lower().map(_UNREAL_STATUS)
    for kind, n in status.value_counts().items():
        record.note(
            f"{n} kept response(s) are marked '{kind}' (Status): check that they "
            "are real responses before analysing."
        )


def _parse(
    kept: list[str], import_ids: dict[str, str], by_tag: dict[str, str]
) -> dict[str, tuple[str, str, str]]:
    """(QID, choice, kind) of each column (see :func:`_split_id`); without import ids, the
    question is found by the column's export tag (or its name before the last ``_``)."""
    parsed: dict[str, tuple[str, str, str]] = {}
    tags = sorted((t for t in by_tag if t), key=len, reverse=True)
    for c in kept:
        qid, choice, kind = _split_id(import_ids.get(c, ""))
        if not qid and not import_ids:
            tag = next((t for t in tags if c.startswith(t)), "")
            qid = by_tag.get(tag, re.sub(r"_[^_]*$", "", c) if "_" in c else "")
            choice = c[len(tag) :].lstrip("_") if tag else ""
            kind = "text" if c.endswith("_TEXT") else ""
        if c.endswith("_DO") and kind == "":
            kind = "order"
        parsed[c] = (qid, choice, kind)
    return parsed


_DROPPED_KINDS = {
    "order": "display order of the question's options, not an answer",
    "timing": "page timing (seconds and clicks), not an answer",
    "analytics": "Text iQ analysis (topics, sentiment), not an answer",
}
_SINGLE = ("SAVR", "SAHR", "SACOL", "DL", "SB", "NPS")


def _columns(
    parsed: dict[str, tuple[str, str, str]],
    texts: dict[str, str],
    questions: dict[str, dict[str, Any]],
    record: ImportRecord,
) -> tuple[list[Column], dict[str, list[Column]]]:
    """The answer columns, and the columns of each question whose answers the .qsf gives."""
    columns: list[Column] = []
    rated: dict[str, list[Column]] = {}
    for c, (qid, choice, kind) in parsed.items():
        if kind in _DROPPED_KINDS:
            record.removed(c, _DROPPED_KINDS[kind])
            continue
        reason = None if qid else identifying_reason(c)
        if reason is not None:
            record.removed(c, f"identifying: {reason} (embedded data)", identifying=True)
            continue
        text = clean_text(texts.get(c, "")) if texts.get(c) != c else ""
        col = Column(c, c, _identifier(c), text or c, group=qid, text=kind == "text")
        question = questions.get(qid.split("#")[0]) if qid else None
        if question is not None and not col.text:
            asked = clean_text(question.get("QuestionText", ""))
            matrix = question.get("QuestionType") == "Matrix"
            col.label = (display(question.get("Choices"), choice) if matrix else asked) or text
            col.group_label = asked if matrix else ""
            col.rating = matrix and question.get("SubSelector") in ("SingleAnswer", "DL", None)
            single = question.get("QuestionType") == "MC" and question.get("Selector") in _SINGLE
            if col.rating or single:
                rated.setdefault(qid, []).append(col)
        columns.append(col)
    return columns, rated


def _apply_answers(
    rated: dict[str, list[Column]],
    questions: dict[str, dict[str, Any]],
    body: pd.DataFrame,
    record: ImportRecord,
) -> None:
    """Give each rated column its answers; recode cells when the codes were renumbered."""
    for qid, cols in rated.items():
        question = questions[qid.split("#")[0]]
        found = answer_codes(
            question, str(question.get("DataExportTag", qid)), record, [c.source for c in cols]
        )
        if found is None:
            continue
        answers, places = found
        for col in cols:
            col.answers = answers
            if places:
                body[col.source] = body[col.source].astype(str).str.strip().replace(places)


def _split_matrix_texts(columns: list[Column], record: ImportRecord) -> None:
    """Without the .qsf: a question's text and its statements from the row-2 texts."""
    by_qid: dict[str, list[Column]] = {}
    for col in columns:
        if col.group and not col.text:
            by_qid.setdefault(col.group, []).append(col)
    for cols in by_qid.values():
        question, statements = _matrix_texts([c.label for c in cols])
        for col, statement in zip(cols, statements, strict=True):
            col.group_label, col.label = question, statement if question else col.label
    if any(len(v) > 1 for v in by_qid.values()):
        record.guessed(
            "Without the .qsf, each question's text and its statements were "
            "split at the last '-' of row 2; pass --qsf for the exact texts."
        )


def import_qualtrics(
    path: str | Path,
    *,
    qsf: str | Path | None = None,
    keep_unfinished: bool = False,
    site: str | None = None,
    role: str | None = None,
    site_column: str | None = None,
    role_column: str | None = None,
    study: str = "qualtrics",
) -> RawStudy:
    """Turn a Qualtrics CSV export (and optionally its ``.qsf``) into a draft study.

    Parameters
    ----------
    path : path-like
        The CSV export (numeric values or choice text; any language).
    qsf : path-like, optional
        The survey definition. Matrix questions become scales (statements as items, scale
        points as labels, recoded values as codes), single-choice questions categories.
    keep_unfinished : bool
        Keep responses whose ``Finished`` is 0/False (default: leave them out).
    site, role, site_column, role_column : str, optional
        One site/role for everyone, or the column (e.g. embedded data) holding it.
    study : str
        The study name written in the codebook.

    Returns
    -------
    RawStudy
        ``participants`` (participant_id = ResponseId), ``survey``, the codebook text,
        ``notes`` and ``import_record`` (the text of IMPORT.md).

    Raises
    ------
    StudyDataError
        When the file is not a Qualtrics export (no header rows, no ResponseId), has no
        response, repeats a ResponseId, holds a Finished value that is neither 1/0 nor
        True/False, or the ``.qsf`` is not a survey definition or not this survey's.

    Notes
    -----
    Removed as identifying: IP address, recipient names and e-mail, external reference,
    location, and embedded data whose name says it identifies a person
    (:func:`partner_study.io.survey.identifying_reason`). Removed as metadata: dates,
    status, progress, duration, finished, channel, language and Qualtrics' ``Q_`` columns.
    ``_DO`` (display order), timing and Text iQ columns are dropped; ``_TEXT`` answers are
    kept as free-text variables. Without the ``.qsf``, a question's columns (one import
    id) whose answers are numbers in a range of at most 11 points, or texts of one common
    response set, form a scale; its range is the answers found (recorded as guessed).
    """
    path = Path(path)
    file = str(path)
    frame, rows = read_export(path)
    n_header, import_ids, texts = _header(frame, file)
    record = ImportRecord("qualtrics", unit="responses")
    record.source(path, what="Qualtrics CSV export")
    body, body_rows = _responses(frame, rows, n_header, file)
    if n_header == 2:
        record.guessed(
            "The export has no import-id row (row 3): columns were matched to "
            "questions by their names."
        )
    questions: dict[str, dict[str, Any]] = {}
    if qsf is not None:
        survey_name, questions = read_qsf(Path(qsf))
        record.source(qsf, what="Qualtrics survey definition (.qsf)")
        if survey_name:
            record.note(f"Survey definition: '{survey_name}'.")
    special, kept = _sort_columns(frame, import_ids, texts, record, file)
    ids = _response_ids(body, special["id"], body_rows, file)
    keep = _finished(
        body, special, body_rows, keep_unfinished=keep_unfinished, record=record, file=file
    )
    body, ids = body.loc[keep].reset_index(drop=True), ids.loc[keep].reset_index(drop=True)
    _note_status(body, special.get("status"), record)
    record.kept(len(body))
    by_tag = {str(q.get("DataExportTag", "")): k for k, q in questions.items()}
    parsed = _parse(kept, import_ids, by_tag)
    if questions:
        check_qsf(parsed, questions, Path(qsf), path.name)  # type: ignore[arg-type]
    columns, rated = _columns(parsed, texts, questions, record)
    _apply_answers(rated, questions, body, record)
    if not questions:
        _split_matrix_texts(columns, record)
    _name_groups(columns, questions)
    source = path.name + (f" + {Path(qsf).name}" if qsf else "")
    return draft_survey(
        body,
        columns,
        ids,
        file=file,
        record=record,
        notes=[f"Imported {len(body)} response(s) from Qualtrics ({source})."],
        study=study,
        title=f"Imported from Qualtrics ({path.name})",
        made_by="partner_study.io.qualtrics.import_qualtrics",
        site=site,
        role=role,
        site_column=site_column,
        role_column=role_column,
    )
