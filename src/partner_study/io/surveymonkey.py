"""Import a SurveyMonkey response export (CSV or ``.xlsx``, two header rows) as a draft study.

Layer 2. :func:`import_surveymonkey` reads the "All individual responses" export of
SurveyMonkey (*Analyze Results > Save as > Export file*, CSV or XLSX, columns "Expanded"),
whose first header row holds the question texts (a question with several columns names
itself in its first column only) and whose second row the response options (a matrix row,
a checkbox option, ``Response``, ``Open-Ended Response``, ``Other (please specify)``). It
returns a :class:`partner_study.io.RawStudy`: a draft ``codebook.yaml``, the
``participants`` and ``survey`` tables of the raw data contract, and the import record
(``IMPORT.md``, :mod:`partner_study.io.record`).

Example
-------
>>> from partner_study.io.surveymonkey import import_surveymonkey
>>> raw = import_surveymonkey(
...     "Sheet_1.csv",
...     labels=[["Strongly disagree", "Disagree", "Neither agree nor disagree",
...              "Agree", "Strongly agree"]])                # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.io import RawStudy, _limits, read_table_rows
from partner_study.io._draft import (
    MAX_OFF_CODES,
    RESERVED,
    _assemble,
    _fit_scale,
    _fit_variable,
    _Scale,
    _Var,
)
from partner_study.io._naming import _shown, _unique
from partner_study.io._source import _site_role
from partner_study.io.record import ImportRecord
from partner_study.io.redcap.dictionary import _infer_number

__all__ = ["import_surveymonkey", "METADATA", "MAX_POINTS"]

#: The columns SurveyMonkey puts before the questions, and why each is removed (all of them
#: can identify a respondent, with the collector's records or on their own).
METADATA = {
    "respondent id": "SurveyMonkey's respondent id (links to the collector's records)",
    "collector id": "collector id (which link or e-mail invitation the response came from)",
    "start date": "date and time the response was started",
    "end date": "date and time the response was ended",
    "ip address": "IP address of the respondent",
    "email address": "e-mail address of the respondent",
    "first name": "first name of the respondent",
    "last name": "last name of the respondent",
}
#: Most points of a rating read from its answers (0-10).
MAX_POINTS = 11

_CUSTOM = re.compile(r"custom (data|variable)\b.*", re.I)
_LEADING = re.compile(r"(-?\d{1,3})\s*(?:[-.:)=]\s*)(\S.*)")  # "1 - Not at all"
_WHOLE = re.compile(r"-?\d{1,6}")
_LABEL_CHARS = 200
_EXPORT_FIX = (
    "export the responses again in SurveyMonkey (Analyze Results > Save as > Export file > "
    "All individual responses, CSV or XLSX, columns 'Expanded')"
)


def _key(text: object) -> str:
    return " ".join(str(text).split()).casefold()


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 3] + "..."


@dataclass
class _Question:
    """One question of the export: its text and its columns (with their second-row text)."""

    number: int
    text: str
    columns: list[tuple[str, str]] = field(default_factory=list)  # (frame key, row-2 text)


# ---------------------------------------------------------------------------------------------
# Reading the export
# ---------------------------------------------------------------------------------------------
def _read(path: Path, name: str) -> tuple[list[str], list[str], pd.DataFrame, np.ndarray]:
    """(row 1, row 2, the responses with positional column keys, their spreadsheet rows)."""
    if not path.is_file():
        raise StudyDataError(
            Problem(
                file=name,
                found="no such file",
                expected="a SurveyMonkey export",
                fix="check the path",
            )
        )
    _limits.check_file_size(path, name=name, fix="export fewer responses or questions")
    grid, rows = read_table_rows(path, display=name, header=False)
    _limits.check_table(grid, name)
    first = [" ".join(str(v).replace("\ufeff", "").split()) for v in grid.iloc[0]]
    if _key(first[0]) != "respondent id":
        raise _wrong_platform(first[0], name, int(rows.data[0]))
    if len(grid) < 3:
        raise StudyDataError(
            Problem(
                file=name,
                row=int(rows.data[-1]),
                found=f"{len(grid)} row(s): the header rows and no response",
                expected="two header rows (questions, then response options) and one row per "
                "response",
                fix="check that the export holds responses (the file may be cut short): "
                + _EXPORT_FIX,
            )
        )
    second = [" ".join(str(v).split()) for v in grid.iloc[1]]
    body = grid.iloc[2:].reset_index(drop=True)
    body = body.apply(lambda s: s.astype(str).str.strip())
    return first, second, body, np.asarray(rows.data[2:])


def _wrong_platform(first: str, name: str, row: int) -> StudyDataError:
    key = _key(first)
    hint = None
    if key == "id" or key.startswith("id. "):
        hint = "a LimeSurvey export: use `partner-study import limesurvey`"
    elif key in ("startdate", "responseid", "start date") or "importid" in key:
        hint = "a Qualtrics export: use `partner-study import qualtrics`"
    elif key == "record_id":
        hint = "a REDCap export: use `partner-study import redcap`"
    return StudyDataError(
        Problem(
            file=name,
            row=row,
            column=_short(first) or None,
            found=f"a first column '{_short(first)}'",
            expected="a SurveyMonkey export, whose first column is 'Respondent ID'",
            fix=f"this looks like {hint}" if hint else _EXPORT_FIX,
        )
    )


def _split(
    first: list[str], second: list[str], keep: set[int], record: ImportRecord
) -> list[_Question]:
    """The questions of the export; the metadata columns before them are recorded as removed
    (except those in ``keep``, asked for as site or role)."""
    questions: list[_Question] = []
    start = 0
    while start < len(first) and not second[start]:
        start += 1  # the metadata columns: no second-row text
    for j in range(len(first)):
        known = METADATA.get(_key(first[j]))
        if j < start or known:
            if j in keep:
                continue
            if known is None and _CUSTOM.fullmatch(first[j]):
                known = "custom data added to the collector link (may identify the respondent)"
            why = known or "column before the questions (collector metadata or custom variable)"
            record.removed(first[j] or f"column {j + 1}", why, identifying=True)
            continue
        if first[j] or not questions:
            questions.append(_Question(len(questions) + 1, first[j] or f"Column {j + 1}"))
        questions[-1].columns.append((str(j + 1), second[j]))
    return questions


# ---------------------------------------------------------------------------------------------
# Answers: response sets, their order, checkboxes
# ---------------------------------------------------------------------------------------------
def _values(frame: pd.DataFrame, keys: list[str]) -> list[str]:
    text = pd.Series(frame[keys].to_numpy().ravel(), dtype=object)
    return sorted(pd.unique(text[text.ne("")].to_numpy()).tolist())


def _order(
    values: list[str], sets: Sequence[Sequence[str]], *, matrix: bool
) -> tuple[dict[str, int], dict[int, str], str] | None:
    """The whole-number code of each answer, the labels, and how the order was told; None
    when it can't be told (text answers outside every response set given).

    Numbers get the labels of a response set given only in a matrix (a 'numerical value'
    export): 1..k when they fit the set, k+1 being the column after it (a 'N/A' column,
    left to the scale's missing codes).
    """
    if not values:
        return None
    if all(_WHOLE.fullmatch(v) for v in values):
        numbers = sorted(int(v) for v in values)
        if numbers[0] < 0 or numbers[-1] - min(1, numbers[0]) + 1 > MAX_POINTS:
            return None
        codes = {v: int(v) for v in values}
        for labelled in sets if matrix and numbers[0] >= 1 else ():
            if numbers[-1] <= len(labelled) + 1:
                return codes, dict(enumerate(labelled, 1)), "labels"
        return codes, {}, "numbers"
    leading = [_LEADING.fullmatch(v) for v in values]
    if all(leading):
        codes = {v: int(m.group(1)) for v, m in zip(values, leading, strict=True) if m}
        if len(set(codes.values())) == len(codes):
            labels = {int(m.group(1)): m.group(2) for m in leading if m}
            return codes, labels, "leading numbers"
    for labelled in sets:
        position = {_key(x): k for k, x in enumerate(labelled, 1)}
        inside = {v: position[_key(v)] for v in values if _key(v) in position}
        if inside and len(values) - len(inside) <= MAX_OFF_CODES:
            return inside, dict(enumerate(labelled, 1)), "labels"
    return None


def _is_checkbox(frame: pd.DataFrame, columns: list[tuple[str, str]]) -> bool:
    """Each column holds one value only, its own option's text (or, in a 'numerical value'
    export, its position): a 'choose all that apply' question."""
    for position, (key, option) in enumerate(columns, start=1):
        present = frame[key][frame[key].ne("")]
        keys = {_key(v) for v in pd.unique(present.to_numpy())}
        if not option or not keys <= {_key(option), str(position)}:
            return False
    return True


def _is_other(option: str) -> bool:
    key = _key(option)
    return "please specify" in key or key.startswith("other")


# ---------------------------------------------------------------------------------------------
@dataclass
class _Draft:
    variables: list[_Var] = field(default_factory=list)
    scales: list[_Scale] = field(default_factory=list)
    recodes: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> {found: code}
    filled: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (0, question)


def _draft(
    questions: list[_Question],
    frame: pd.DataFrame,
    sets: Sequence[Sequence[str]],
    record: ImportRecord,
    notes: list[str],
) -> _Draft:
    draft = _Draft()
    taken = set(RESERVED)
    for q in questions:
        label = _short(q.text)
        base = f"q{q.number}"
        text_keys = [k for k, option in q.columns if len(q.columns) > 1 and _is_other(option)]
        for key in text_keys:
            draft.variables.append(
                _Var(
                    name=_unique(f"{base}_other", taken),
                    type="text",
                    source=key,
                    label=_short(f"{q.text} [{dict(q.columns)[key]}]"),
                )
            )
        columns = [(k, o) for k, o in q.columns if k not in text_keys]
        if not columns:
            continue
        if len(q.columns) > 1 and _is_checkbox(frame, columns):
            _checkbox(q, columns, frame, draft, taken, record)
            continue
        options = [o for _, o in columns]
        if len(columns) == 1 and _key(options[0]).startswith("open-ended"):
            var = _Var(name=_unique(base, taken), type="text", source=columns[0][0], label=label)
            _infer_number(var, frame[var.source], notes)
            draft.variables.append(var)
            continue
        keys = [k for k, _ in columns]
        values = _values(frame, keys)
        order = _order(values, sets, matrix=len(keys) > 1)
        items = [
            _Var(
                name=_unique(base if len(keys) == 1 else f"{base}_{i}", taken),
                type="category",
                source=k,
                label=label if len(keys) == 1 else _short(o),
            )
            for i, (k, o) in enumerate(columns, start=1)
        ]
        if order is not None and len(keys) > 1:
            codes, labels, how = order
            _as_scale(base, label, items, codes, labels, how, draft, taken, record)
            continue
        for var in items:
            if len(keys) > 1:
                var.label = _short(f"{q.text} [{var.label}]")
            _single(var, frame[var.source], order, draft)
        if order is None and len(keys) > 1 and len(values) <= MAX_POINTS:
            record.guessed(
                f"Question {q.number} ('{_short(q.text)[:60]}'): a matrix whose answers "
                f"({_shown(values, 5)}) could not be put in order; its rows were kept as "
                "separate categories. Pass --labels 'LOWEST;...;HIGHEST' to read it as a scale."
            )
    return draft


def _checkbox(
    q: _Question,
    columns: list[tuple[str, str]],
    frame: pd.DataFrame,
    draft: _Draft,
    taken: set[str],
    record: ImportRecord,
) -> None:
    """One 0/1 category per option; 0 only for respondents who ticked some option."""
    for i, (key, option) in enumerate(columns, start=1):
        draft.variables.append(
            _Var(
                name=_unique(f"q{q.number}_{i}", taken),
                type="category",
                source=key,
                label=_short(f"{q.text} [{option}]"),
                levels={"0": "Not chosen", "1": "Chosen"},
            )
        )
        draft.recodes[key] = {option: "1", str(i): "1"}
        draft.filled[key] = ("0", q.number)
    record.recoded(
        [v.name for v in draft.variables[-len(columns) :]],
        {"(the option's text)": "1", "(empty, another option chosen)": "0"},
    )


def _single(var: _Var, values: pd.Series, order, draft: _Draft) -> None:
    """A one-column question: numbers, an ordered category, a category or free text."""
    present = values[values.ne("")]
    distinct = sorted(pd.unique(present.to_numpy()).tolist())
    if order is not None:
        codes, labels, _ = order
        var.levels = {
            str(c): labels.get(c, v) for v, c in sorted(codes.items(), key=lambda x: x[1])
        }
        draft.recodes[var.source] = {v: str(c) for v, c in codes.items() if v != str(c)}
    elif distinct and pd.to_numeric(present, errors="coerce").notna().all():
        whole = present.str.fullmatch(r"-?\d{1,6}").all()
        var.type, var.levels = ("integer" if whole else "number"), None
    elif distinct and len(distinct) <= 12 and len(distinct) < len(present):
        var.levels = {v: v for v in distinct}
    else:
        var.type, var.levels = "text", None
    draft.variables.append(var)


def _as_scale(
    base: str,
    label: str,
    items: list[_Var],
    codes: dict[str, int],
    labels: dict[int, str],
    how: str,
    draft: _Draft,
    taken: set[str],
    record: ImportRecord,
) -> None:
    numbers = sorted(set(codes.values()))
    if how == "labels":  # the points of the set given (a higher number: its N/A column)
        low, high = 1, max(labels)
    else:  # read off the answers: from 1 (or 0) to the highest found
        low, high = min(1, numbers[0], *labels), max(numbers[-1], *labels)
    name = _unique(f"{base}_scale", taken) if base in taken else base
    taken.add(name)
    scale = _Scale(
        name=name,
        items=items,
        low=low,
        high=high,
        label=label,
        labels={k: _short(v) for k, v in labels.items()},
    )
    draft.scales.append(scale)
    mapping = {v: str(c) for v, c in sorted(codes.items(), key=lambda x: x[1]) if v != str(c)}
    for var in items:
        draft.recodes[var.source] = mapping
    if mapping:
        record.recoded([v.name for v in items], mapping)
    what = {
        "numbers": "from the numbers found (the lowest and highest answers)",
        "leading numbers": "from the numbers the answers begin with",
        "labels": "from the response labels given",
    }[how]
    record.guessed(
        f"Scale '{name}' ('{label[:60]}'): {len(items)} rows of a matrix, read as "
        f"points {low}-{high} {what}. Check the range and which rows are reverse-keyed."
    )


def _apply(frame: pd.DataFrame, draft: _Draft) -> pd.DataFrame:
    """The answers as codes; an unticked box of a question answered is 0 (left empty when
    no option of the question was ticked: skipped or not shown)."""
    out = {}
    for key, found in draft.recodes.items():
        lookup = {_key(k): v for k, v in found.items()}
        values = frame[key]
        table = {v: lookup.get(_key(v)) for v in pd.unique(values.to_numpy())}
        mapped = values.map(table)  # one look-up per distinct answer
        out[key] = mapped.where(mapped.notna(), frame[key])
    by_question: dict[int, list[str]] = {}
    for key, (_, number) in draft.filled.items():
        by_question.setdefault(number, []).append(key)
    for keys in by_question.values():
        answers = pd.DataFrame({k: out.get(k, frame[k]) for k in keys})
        ticked = (answers != "").any(axis=1)
        for k in keys:
            col = out.get(k, frame[k])
            out[k] = col.mask(col.eq("") & ticked, draft.filled[k][0])
    return frame.assign(**out) if out else frame


def import_surveymonkey(
    path: str | Path,
    *,
    labels: Sequence[Sequence[str]] = (),
    site: str | None = None,
    role: str | None = None,
    site_column: str | None = None,
    role_column: str | None = None,
    study: str = "surveymonkey",
) -> RawStudy:
    """Turn a SurveyMonkey export (CSV or ``.xlsx``) into a draft study.

    Parameters
    ----------
    path : path-like
        The "All individual responses" export: two header rows (questions, then response
        options), then one row per response; answers as text ("Actual answer text") or as
        numbers ("Numerical value").
    labels : sequence of sequences of str
        Response labels of the survey's rating questions, lowest first (code 1): matrix
        answers are matched to them (case and spaces ignored), and numbers 1..k get them
        as labels.
    site, role : str, optional
        One site / role for everyone.
    site_column, role_column : str, optional
        The question (its text, as in the first header row) or metadata column (e.g. a
        custom variable) whose answer gives each respondent's site / role.
    study : str
        The study name written in the codebook.

    Returns
    -------
    RawStudy
        ``participants`` (participant_id R0001... in file order, site, role, collection =
        survey, one column per other answer), ``survey`` (participant_id + scale items),
        the codebook text, ``notes`` and ``import_record`` (the text of ``IMPORT.md``).

    Raises
    ------
    StudyDataError
        When the file is not a SurveyMonkey export (first column 'Respondent ID'), is
        malformed, cut short or too large, or a site / role column is missing or empty.

    Notes
    -----
    Removed and listed in ``IMPORT.md``: every column before the first question
    (:data:`METADATA`: respondent and collector ids, start and end dates, IP address,
    e-mail address, first and last name, custom data and custom variables), questions
    empty in every response, and responses that answer no question.

    A question whose columns hold only their own option's text is a 'choose all that
    apply' question: each option becomes a category 1 = chosen, 0 = not chosen (0 only
    when the respondent chose another option of it). Other questions of several columns
    are matrices: when their answers can be put in order (whole numbers; texts that begin
    with a number, "1 - Poor"; or the response ``labels`` given), the rows are one scale
    whose answers are written as whole numbers; otherwise each row is a category.
    ``Other (please specify)`` and ``Open-Ended Response`` columns are free text; a
    one-column question is numbers, a category (at most 12 distinct answers) or text.
    An empty cell is missing: a question skipped or not shown is never 0.
    """
    path = Path(path)
    name = str(path)
    record = ImportRecord("surveymonkey", unit="responses")
    first, second, frame, rows = _read(path, name)
    record.source(path)
    wanted = {}
    for what, given in (("site", site_column), ("role", role_column)):
        if given is not None:
            wanted[what] = _column_of(first, given, name, what)
    questions = _split(first, second, set(wanted.values()), record)
    sets = [[_short(x) for x in s if str(x).strip()] for s in labels]
    answered = pd.Series(False, index=frame.index)
    for q in questions:
        for key, _ in q.columns:
            answered |= frame[key].ne("")
    if not answered.all():
        record.dropped(
            int((~answered).sum()),
            "no answer to any question",
            rows=rows[~answered.to_numpy()].tolist(),
        )
        frame, rows = frame.loc[answered].reset_index(drop=True), rows[answered.to_numpy()]
    if frame.empty:
        raise StudyDataError(
            Problem(
                file=name,
                found="no response that answers a question",
                expected="at least one answered response",
                fix=_EXPORT_FIX,
            )
        )
    empty = [q for q in questions if all(frame[k].eq("").all() for k, _ in q.columns)]
    for q in empty:
        record.removed(_short(q.text), "no answer in any response")
    notes: list[str] = []
    checks: list[str] = []
    draft = _draft([q for q in questions if q not in empty], frame, sets, record, notes)
    frame = _apply(frame, draft)
    by_source = {v.source: v for v in draft.variables}
    site_values, role_values, consumed = _site_role(
        frame,
        by_source,
        site=site,
        role=role,
        site_column=str(wanted["site"] + 1) if "site" in wanted else None,
        role_column=str(wanted["role"] + 1) if "role" in wanted else None,
        file=name,
        notes=notes,
    )
    variables = [v for v in draft.variables if v.source not in consumed]
    for v in variables:
        _fit_variable(v, frame[v.source], checks)
    scales = [s for s in draft.scales if _fit_scale(s, frame, checks)]
    lost = [v for s in draft.scales if s not in scales for v in s.items]
    for v in lost:
        v.levels = None
        v.type = "text"
    variables += lost
    width = max(4, len(str(len(frame))))
    ids = pd.Series([f"R{i:0{width}d}" for i in range(1, len(frame) + 1)], dtype=object)
    record.note(
        f"Participants were numbered R{1:0{width}d}... in the order of the export "
        "(the respondent id was removed)."
    )
    record.kept(len(frame))
    for note in notes:
        record.note(note)
    for check in checks:
        record.guessed(check)
    notes += checks
    notes.insert(
        0,
        f"Imported {len(frame)} response(s), {len(variables)} variable(s) and "
        f"{len(scales)} scale(s) from SurveyMonkey ({path.name}).",
    )
    raw = _assemble(
        frame,
        ids,
        site_values,
        role_values,
        variables,
        scales,
        study=study,
        title=f"Imported from SurveyMonkey ({path.name})",
        made_by="partner_study.io.surveymonkey.import_surveymonkey",
        notes=notes,
    )
    return replace(raw, import_record=record.render())


def _column_of(first: list[str], wanted: str, name: str, what: str) -> int:
    """The position of the column whose first-row text is ``wanted`` (case and spaces
    ignored), or given by its number (1 = the first column)."""
    keys = [_key(h) for h in first]
    if _key(wanted) in keys:
        return keys.index(_key(wanted))
    if re.fullmatch(r"\d{1,6}", wanted.strip()) and 1 <= int(wanted) <= len(first):
        return int(wanted) - 1
    raise StudyDataError(
        Problem(
            file=name,
            row=1,
            column=_short(wanted),
            found="no such column",
            expected=f"the column holding each respondent's {what} (columns: "
            f"{_shown([_short(h)[:40] for h in first if h], 8)})",
            fix=f"give --{what}-column the question text as in the first row, or the column's "
            "number (1 = the first column)",
        )
    )
