"""Draft a study from a wide survey export: answer columns to scales and variables.

Layer 2. The drafting step shared by the survey importers (:mod:`partner_study.io.survey`
for any platform, :mod:`partner_study.io.qualtrics`, and others): an importer reads its
export, removes what must not be kept (identifying and metadata columns, unfinished
responses), describes each answer column as a :class:`Column` (with the answer codes and
labels its survey definition gives, when it has one) and calls :func:`draft_survey`, which
finds the Likert scales, drafts the other questions as variables, writes the codebook and
finishes the :class:`partner_study.io.record.ImportRecord` as ``RawStudy.import_record``.

Example
-------
>>> from partner_study.io.wide import Column, draft_survey
>>> from partner_study.io.record import ImportRecord
>>> import pandas as pd
>>> frame = pd.DataFrame({"a": ["1", "2", "5"], "b": ["2", "2", "4"], "c": ["3", "1", "5"]})
>>> columns = [Column(k, k, f"item_{k}", f"Statement {k}", group="q1") for k in "abc"]
>>> raw = draft_survey(frame, columns, pd.Series(["P1", "P2", "P3"]), file="x.csv",
...                    record=ImportRecord("demo"), notes=[], study="demo", title="Demo",
...                    made_by="example", labels=[["Never", "Rarely", "Sometimes",
...                                                "Often", "Always"]])
>>> "range: [1, 5]" in raw.codebook_text and "5: Always" in raw.codebook_text
True
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from partner_study.errors import StudyDataError
from partner_study.io import RawStudy, TableRows, _limits, read_table_rows
from partner_study.io._draft import (
    MAX_OFF_CODES,
    RESERVED,
    _assemble,
    _fit_variable,
    _Scale,
    _Var,
)
from partner_study.io._naming import _identifier, _shown, _unique
from partner_study.io._source import _site_role
from partner_study.io.record import ImportRecord

__all__ = [
    "draft_survey",
    "Column",
    "ANCHORS",
    "MAX_POINTS",
    "MIN_RUN_ITEMS",
    "identifying_reason",
    "label_key",
    "clean_text",
    "read_export",
]

#: Common English response sets, low to high: text answers that all belong to one of them
#: are read as that Likert scale (a guess, recorded in IMPORT.md). Pass ``labels=`` for
#: others (another language, another order).
ANCHORS: tuple[tuple[str, ...], ...] = (
    ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"),
    ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"),
    ("Strongly disagree", "Disagree", "Neither agree or disagree", "Agree", "Strongly agree"),
    ("Strongly disagree", "Disagree", "Undecided", "Agree", "Strongly agree"),
    (
        "Strongly disagree",
        "Disagree",
        "Somewhat disagree",
        "Neither agree nor disagree",
        "Somewhat agree",
        "Agree",
        "Strongly agree",
    ),
    ("Strongly disagree", "Disagree", "Agree", "Strongly agree"),
    ("Never", "Rarely", "Sometimes", "Often", "Always"),
    ("Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"),
    (
        "Very dissatisfied",
        "Dissatisfied",
        "Neither satisfied nor dissatisfied",
        "Satisfied",
        "Very satisfied",
    ),
    ("Poor", "Fair", "Good", "Very good", "Excellent"),
)
MAX_POINTS = 11  # most points of a rating read from numbers alone (0-10)
MIN_RUN_ITEMS = 3  # separate questions with one response set that make a scale
_MAX_LABEL = 300  # question texts are cut to this many characters in the codebook

# Column names (as identifiers) that identify a person, and what they hold.
_IDENTIFYING = (
    (r"(^|_)e_?mail(_|$)", "an e-mail address"),
    (r"^(ip|ip_?address)$", "an IP address"),
    (r"latitude|longitude|geolocation|(^|_)gps(_|$)|location_?accuracy", "a location"),
    (r"(^|_)(phone|telephone|mobile|phonenumber|cell_?phone)(_|$)", "a phone number"),
    (
        r"^((your|full|first|last|given|family|respondent|participant|recipient|user)_)?"
        r"(name|surname|first_?name|last_?name|username)$",
        "a name",
    ),
    (r"(^|_)(date_of_birth|dob|birth_?date|birthday)(_|$)", "a date of birth"),
    (r"(^|_)(street|home|postal|mailing)_address(_|$)|^address$", "an address"),
    (
        r"^_?(submitted_by|deviceid|device_id|subscriberid|imei|simserial|simid)$",
        "a device or account id",
    ),
    (
        r"(^|_)(nhs_number|ssn|social_security_number|national_id|passport)(_|$)",
        "a personal identity number",
    ),
)


# Form metadata, not answers: when and how a response was submitted.
def clean_text(text: object, limit: int = _MAX_LABEL) -> str:
    """A question or answer text as plain text: HTML tags dropped, entities decoded, spaces
    collapsed, cut to ``limit`` characters."""
    out = re.sub(r"<[^<>]*>", " ", str(text))  # [^<>]: linear time on any text
    out = " ".join(html.unescape(out).split())
    return out if len(out) <= limit else out[: limit - 3].rstrip() + "..."


def label_key(text: object) -> str:
    """How an answer is matched to a response label: spaces collapsed, case ignored (as
    validation matches a cell to a scale's declared labels)."""
    return " ".join(str(text).split()).casefold()


def identifying_reason(name: str) -> str | None:
    """What a column named ``name`` holds when the name says it identifies a person
    (``"an e-mail address"``...), else ``None``."""
    ident = _identifier(name, fallback="", digit_prefix="")
    for pattern, what in _IDENTIFYING:
        if re.search(pattern, ident):
            return what
    return None


def read_export(path: Path, *, header: bool = True) -> tuple[pd.DataFrame, TableRows]:
    """A survey export as text (:func:`partner_study.io.read_table_rows`) within the size
    limits; a malformed row in a file that does not end with a line break is named as a
    sign that the file was cut short."""
    file = str(path)
    _limits.check_file_size(path, name=file, fix="export the survey's responses only")
    try:
        frame, rows = read_table_rows(path, display=file, header=header)
    except StudyDataError as exc:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - 1))
            cut = handle.read(1) not in (b"\n", b"\r", b"")
        malformed = ("fields", "quote", "cell that does not end")
        if not cut or not any(w in p.found for p in exc.problems for w in malformed):
            raise
        raise StudyDataError(
            [
                replace(
                    p,
                    fix="the file looks cut short (its last row is incomplete and it does not "
                    f"end with a line break): export it again. Otherwise: {p.fix}",
                )
                for p in exc.problems
            ]
        ) from None
    _limits.check_table(frame, file)
    return frame, rows


@dataclass
class Column:
    """One answer column of a wide survey export, as the importer understood it.

    ``source`` is the column's key in the frame given to :func:`draft_survey`; ``header``
    how the export names it (for messages); ``name`` the identifier wanted in the study;
    ``label`` the question text (for a matrix row: the statement); ``group`` the question a
    matrix or grid row belongs to and ``group_label`` its text; ``answers`` the answer
    codes and labels a survey definition gives (code -> label, low to high), ``rating``
    whether the definition says it is a rating question; ``text`` a free-text answer.
    """

    source: str
    header: str
    name: str
    label: str = ""
    group: str = ""
    group_label: str = ""
    answers: dict[str, str] | None = None
    rating: bool = False
    text: bool = False


@dataclass(frozen=True)
class _Points:
    """The response points of a Likert item: ``low``-``high`` and their labels."""

    low: int
    high: int
    labels: tuple[tuple[int, str], ...] = ()
    guessed: str = ""  # how it was guessed; "" when a definition gave it
    missing: tuple[str, ...] = ()

    def merged(self, other: _Points) -> _Points | None:
        """The points of two items in one scale, or None when they can't be one scale."""
        if self.labels or other.labels:
            same = (self.low, self.high, self.labels) == (other.low, other.high, other.labels)
            return replace(self, missing=_union(self.missing, other.missing)) if same else None
        low, high = min(self.low, other.low), max(self.high, other.high)
        if high - low + 1 > MAX_POINTS or bool(self.guessed) != bool(other.guessed):
            return None
        return _Points(low, high, (), self.guessed, _union(self.missing, other.missing))


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*a, *b)))


def _whole(values: list[str]) -> list[int] | None:
    out = []
    for v in values:
        if not re.fullmatch(r"-?\d{1,6}", v):
            return None
        out.append(int(v))
    return out


def _points_of(col: Column, values: list[str], sets: Sequence[Sequence[str]]) -> _Points | None:
    """The response points of a column when it looks like a Likert item, else None."""
    if col.text or not values:
        return None
    if col.answers is not None:
        codes = _whole(list(col.answers))
        if not codes or sorted(codes) != list(range(min(codes), max(codes) + 1)):
            return None
        by_key = {label_key(v): k for k, v in col.answers.items()}
        off = [v for v in values if v not in col.answers and label_key(v) not in by_key]
        if len(off) > MAX_OFF_CODES or len(off) == len(values):
            return None
        labels = tuple(sorted((int(k), v) for k, v in col.answers.items()))
        return _Points(min(codes), max(codes), labels, missing=tuple(sorted(off)))
    numbers = _whole(values)
    if numbers is not None:
        low, high = min(numbers), max(numbers)
        if high - low + 1 > MAX_POINTS or low < 0:
            return None
        for labelled in sets:
            if 1 <= low and high <= len(labelled):
                return _Points(1, len(labelled), tuple(enumerate(labelled, 1)), "the labels given")
        return _Points(low, high, guessed="the numbers found")
    keys = {label_key(v) for v in values}
    for k, labelled in enumerate([*sets, *ANCHORS]):
        if keys <= {label_key(x) for x in labelled}:
            how = "the labels given" if k < len(sets) else "common English response labels"
            return _Points(1, len(labelled), tuple(enumerate(labelled, 1)), how)
    return None


def _values(series: pd.Series) -> list[str]:
    text = series.astype(str).str.strip()
    return sorted(pd.unique(text[text.ne("")].to_numpy()).tolist())


def _scales(
    columns: list[Column], frame: pd.DataFrame, sets: Sequence[Sequence[str]]
) -> list[tuple[list[Column], _Points, str, str]]:
    """(items, points, name hint, label) of each scale: rows of one matrix or grid question
    with one response set, or a run of separate rating questions with one response set."""
    points = {c.source: _points_of(c, _values(frame[c.source]), sets) for c in columns}
    out: list[tuple[list[Column], _Points, str, str]] = []
    by_group: dict[str, list[Column]] = {}
    for c in columns:
        if c.group and points[c.source] is not None:
            by_group.setdefault(c.group, []).append(c)
    grouped: set[str] = set()
    for group, cols in by_group.items():
        merged: _Points | None = points[cols[0].source]
        for c in cols[1:]:
            merged = merged.merged(points[c.source]) if merged else None  # type: ignore[arg-type]
        if merged is None or (len(cols) < 2 and not cols[0].rating):
            continue
        out.append((cols, merged, group or "scale", cols[0].group_label))
        grouped.update(c.source for c in cols)
    run: list[Column] = []
    runs: list[int] = []
    current: _Points | None = None

    def close() -> None:
        if current is not None and len(run) >= MIN_RUN_ITEMS:
            runs.append(len(runs) + 1)
            out.append((list(run), current, f"scale_{runs[-1]}", ""))

    for c in columns:
        p = points[c.source]
        if c.source in grouped or p is None or p.high - p.low + 1 < 3:
            continue  # free text and other questions between rating items don't end a run
        joined = current.merged(p) if current is not None else None
        if joined is None:
            close()
            run, current = [c], p
        else:
            run.append(c)
            current = joined
    close()
    return out


def _variable(col: Column, values: list[str], answered: int) -> _Var:
    """The draft variable of a column: ``values`` its distinct answers, ``answered`` how
    many cells hold one. A category needs a few short answers given more than once."""
    var = _Var(name=col.name, type="text", source=col.source, label=col.label)
    if col.text:
        return var
    if col.answers:
        var.type, var.levels = "category", dict(col.answers)
    elif values and _whole(values) is not None:
        var.type = "integer"
    elif values and pd.to_numeric(pd.Series(values), errors="coerce").notna().all():
        var.type = "number"
    elif values and len(values) <= 12 and len(values) < answered and max(map(len, values)) <= 40:
        var.type, var.levels = "category", {v: v for v in values}
    return var


def draft_survey(
    frame: pd.DataFrame,
    columns: list[Column],
    ids: pd.Series,
    *,
    file: str,
    record: ImportRecord,
    notes: list[str],
    study: str,
    title: str,
    made_by: str,
    site: str | None = None,
    role: str | None = None,
    site_column: str | None = None,
    role_column: str | None = None,
    labels: Sequence[Sequence[str]] = (),
) -> RawStudy:
    """Build the draft study of a wide survey: scales, variables, codebook and record.

    Parameters
    ----------
    frame : DataFrame
        The kept responses as text, one column per key of ``columns`` (and the site/role
        columns).
    columns : list of Column
        The answer columns, in the export's order.
    ids : Series
        The participant id of each row of ``frame``.
    file, record, notes, study, title, made_by
        The export's name for messages, the import record to fill, the notes list, the
        study name, the codebook's title and the importer's name.
    site, role, site_column, role_column : str, optional
        One site/role for everyone, or the key of the column holding it (default: a column
        named ``site``/``role``).
    labels : sequence of sequences of str
        Response labels, low to high (code 1 first), for text answers and for numbers
        1..k.

    Returns
    -------
    RawStudy
        With ``import_record`` filled from ``record``.
    """
    frame = frame.reset_index(drop=True)
    taken = set(RESERVED)
    for c in columns:
        c.name = _unique(c.name if c.name not in RESERVED else f"{c.name}_source", taken)
    auto = {c.name: c.source for c in columns if c.name in ("site_source", "role_source")}
    auto = {k.removesuffix("_source"): v for k, v in auto.items()}
    site_values, role_values, used = _site_role(
        frame,
        {},
        site=site,
        role=role,
        site_column=site_column,
        role_column=role_column,
        file=file,
        notes=notes,
        auto=auto,
    )
    columns = [c for c in columns if c.source not in used]
    scales: list[_Scale] = []
    in_scale: set[str] = set()
    scale_names = {c.name for c in columns} | set(RESERVED)
    for items, points, hint, group_label in _scales(columns, frame, labels):
        name = _unique(_identifier(hint, fallback="scale", digit_prefix="scale_"), scale_names)
        item_vars = [
            _Var(name=c.name, type="category", source=c.source, label=c.label) for c in items
        ]
        scale = _Scale(
            name=name,
            items=item_vars,
            low=points.low,
            high=points.high,
            label=clean_text(group_label),
            labels=dict(points.labels),
            missing=list(points.missing),
        )
        scales.append(scale)
        in_scale.update(c.source for c in items)
        span = f"{points.low}-{points.high}"
        if points.guessed:
            record.guessed(
                f"Scale '{name}' ({_shown([c.name for c in items], 4)}): read as a Likert "
                f"scale {span} from {points.guessed}"
                + (
                    f" ({_shown([v for _, v in points.labels], 7)})."
                    if points.labels
                    else "; the range is the lowest and highest answer found: if the "
                    "question offered more points, widen scales." + name + ".range."
                )
            )
        if points.missing:
            record.guessed(
                f"Scale '{name}': answers {_shown(list(points.missing))} are not among its "
                "response points; declared as missing codes. Check them."
            )
    if scales:
        record.guessed(
            "No item was marked reverse-keyed: if statements of a scale are worded in the "
            "opposite direction, list them under scales.<name>.reverse in codebook.yaml "
            f"(scales: {_shown([s.name for s in scales], 8)})."
        )
    variables = []
    for c in columns:
        if c.source in in_scale:
            continue
        cells = frame[c.source].astype(str).str.strip()
        var = _variable(c, _values(frame[c.source]), int(cells.ne("").sum()))
        before = len(notes)
        _fit_variable(var, frame[var.source], notes)
        for note in notes[before:]:
            record.guessed(note)
        variables.append(var)
    empty = [v for v in variables if frame[v.source].astype(str).str.strip().eq("").all()]
    for v in empty:
        record.removed(v.source, "empty in every kept response")
    variables = [v for v in variables if v not in empty]
    if record.identifying:
        notes.append(
            f"{len(record.identifying)} column(s) that identify respondents were removed; "
            "IMPORT.md lists them."
        )
    raw = _assemble(
        frame,
        ids,
        site_values,
        role_values,
        variables,
        scales,
        study=study,
        title=title,
        made_by=made_by,
        notes=notes,
    )
    for note in raw.notes:
        record.note(note)
    return replace(raw, import_record=record.render())
