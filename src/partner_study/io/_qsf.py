"""The survey definition of a Qualtrics export (``.qsf``): questions, answers, recodes.

Layer 2 (private to :mod:`partner_study.io.qualtrics`). A ``.qsf`` is the JSON that
Qualtrics writes with Survey > Tools > Import/Export > Export survey; it is read as
untrusted input (size limit, JSON errors named by line, every field's type checked).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from partner_study.errors import Problem, StudyDataError
from partner_study.io import _limits
from partner_study.io._naming import _shown
from partner_study.io.record import ImportRecord
from partner_study.io.wide import clean_text, label_key

__all__ = ["MAX_QSF_BYTES", "read_qsf", "display", "answer_codes", "check_qsf"]

#: Largest ``.qsf`` read (bytes).
MAX_QSF_BYTES = 200 * 1024**2


def read_qsf(path: Path) -> tuple[str, dict[str, dict[str, Any]]]:
    """(survey name, question payload by QID) of a ``.qsf`` file."""
    name = str(path)
    fix = (
        "export the survey definition of the same survey from Qualtrics (Survey > Tools > "
        "Import/Export > Export survey), or leave out --qsf"
    )

    def bad(found: str, line: int | None = None) -> StudyDataError:
        return StudyDataError(
            Problem(
                file=name,
                line=line,
                found=found,
                expected="a Qualtrics survey definition (.qsf: JSON with SurveyElements)",
                fix=fix,
            )
        )

    if not path.is_file():
        raise bad("no such file")
    if os.path.getsize(path) > MAX_QSF_BYTES:
        raise bad(
            f"a file of {_limits.size_text(os.path.getsize(path))} (the limit is "
            f"{_limits.size_text(MAX_QSF_BYTES)})"
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise bad(f"bytes that are not UTF-8 (byte {exc.start})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad(f"text that is not JSON ({exc.msg}, column {exc.colno})", exc.lineno) from None
    except RecursionError:
        raise bad("JSON nested too deeply") from None
    elements = doc.get("SurveyElements") if isinstance(doc, dict) else None
    if not isinstance(elements, list):
        raise bad("JSON without a SurveyElements list")
    questions: dict[str, dict[str, Any]] = {}
    for element in elements:
        if isinstance(element, dict) and element.get("Element") == "SQ":
            payload = element.get("Payload")
            qid = element.get("PrimaryAttribute")
            if isinstance(payload, dict) and isinstance(qid, str):
                questions[qid] = payload
    entry = doc.get("SurveyEntry") if isinstance(doc.get("SurveyEntry"), dict) else {}
    return clean_text(entry.get("SurveyName", ""), 120), questions


def display(options: Any, key: str) -> str:
    option = options.get(key) if isinstance(options, dict) else None
    return clean_text(option.get("Display", "")) if isinstance(option, dict) else ""


def answer_codes(
    q: dict[str, Any], tag: str, record: ImportRecord, columns: list[str]
) -> tuple[dict[str, str], dict[str, str]] | None:
    """(code -> label in answer order, recode of cells) of a rating or single-choice question.

    The codes are Qualtrics' recoded values. When they are not whole numbers in a run, the
    cells are recoded to the answers' places (1, 2, ...) and the recode is recorded; a lone
    code outside the run (e.g. 99 for "not applicable") is left to be declared missing.
    """
    matrix = q.get("QuestionType") == "Matrix"
    options = q.get("Answers" if matrix else "Choices")
    order = q.get("AnswerOrder" if matrix else "ChoiceOrder") or (
        list(options) if isinstance(options, dict) else []
    )
    if not isinstance(options, dict) or not isinstance(order, list) or not order:
        return None
    given = q.get("RecodeValues")
    recode: dict[str, Any] = given if isinstance(given, dict) else {}
    ordered = [str(a) for a in order if str(a) in options]
    codes = [str(recode.get(a, a)).strip() for a in ordered]
    labels: dict[str, str] = {}
    seen: set[str] = set()
    for a, code in zip(ordered, codes, strict=True):
        label = display(options, a) or code
        if label_key(label) in seen:
            label = f"{label} ({code})"
        seen.add(label_key(label))
        labels[code] = label
    if recode and any(recode.get(a) is not None for a in ordered):
        record.recoded(
            columns, {f"answer {a} ({labels[c]})": c for a, c in zip(ordered, codes, strict=True)}
        )
    numbers = [int(c) for c in codes if re.fullmatch(r"-?\d{1,6}", c)]
    if len(numbers) == len(codes) and len(set(numbers)) == len(numbers):
        run = sorted(numbers)
        if run == list(range(run[0], run[-1] + 1)):
            if len(run) > 1 and numbers == sorted(numbers, reverse=True):
                record.guessed(
                    f"Question {tag}: its recoded values run from high to low in answer order "
                    f"({', '.join(codes)}); the codebook keeps the recoded values. Check the "
                    "direction of its scale."
                )
            return dict(sorted(labels.items(), key=lambda kv: int(kv[0]))), {}
        for extra in (run[-1], run[0]):
            rest = [n for n in run if n != extra]
            if len(rest) >= 2 and rest == list(range(rest[0], rest[-1] + 1)):
                record.guessed(
                    f"Question {tag}: answer '{labels[str(extra)]}' (code {extra}) lies outside "
                    f"the run {rest[0]}-{rest[-1]} of the other codes; it is declared as a "
                    "missing code. Check it."
                )
                kept = {str(n): labels[str(n)] for n in rest}
                return kept, {}
    places = {c: str(k) for k, c in enumerate(codes, start=1)}
    record.recoded(columns, places)
    return {places[c]: labels[c] for c in codes}, places


def check_qsf(
    parsed: dict[str, tuple[str, str, str]],
    questions: dict[str, dict[str, Any]],
    qsf: Path,
    csv_name: str,
) -> None:
    """Refuse a .qsf whose questions are not the export's columns."""

    def tag_of(qid: str) -> str:
        return str(questions.get(qid.split("#")[0], {}).get("DataExportTag", ""))

    mismatch = [
        (c, q)
        for c, (q, _, _) in parsed.items()
        if q.startswith("QID") and (q.split("#")[0] not in questions or not c.startswith(tag_of(q)))
    ]
    if not mismatch and any(q.split("#")[0] in questions for q, _, _ in parsed.values()):
        return
    column, qid = mismatch[0] if mismatch else (next(iter(parsed), None), "")
    tags = sorted(str(q.get("DataExportTag", "")) for q in questions.values())
    found = (
        f"question {qid} is exported as '{tag_of(qid)}', not as column '{column}'"
        if qid and tag_of(qid)
        else f"no question {qid or 'of the export'} (the .qsf holds {_shown(tags, 5)})"
    )
    raise StudyDataError(
        Problem(
            file=str(qsf),
            column=column,
            found=f"a survey definition that does not match {csv_name}: {found}"
            + (f"; {len(mismatch)} column(s) differ" if len(mismatch) > 1 else ""),
            expected="the .qsf of the survey whose responses are in the CSV",
            fix="export the .qsf of this survey again (Survey > Tools > Import/Export > "
            "Export survey), or leave out --qsf to draft the scales from the CSV",
        )
    )
