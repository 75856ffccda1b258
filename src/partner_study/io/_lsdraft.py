"""From LimeSurvey questions to draft variables and scales (with or without the ``.lss``).

Layer 2 (private to :mod:`partner_study.io`; used by :mod:`partner_study.io.limesurvey`).
Each answer column of an export is described by its question code (``Q2[SQ001]``); this
module decides what it becomes in the study: a category with the question's answer codes
and labels, a number, free text, or an item of a scale (the subquestions of an array
question), and which answer texts are written as which codes. The question types are those
of LimeSurvey's manual (*Question types*): the letter in a ``.lss`` question's ``type``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.io._draft import RESERVED, _fit_scale, _make_scale, _Scale, _Var
from partner_study.io._lss import LssQuestion, LssSurvey
from partner_study.io._naming import _identifier, _shown, _unique
from partner_study.io.record import ImportRecord

__all__ = [
    "SCALE_POINTS",
    "NOT_SHOWN",
    "Column",
    "Plan",
    "plan_with_lss",
    "plan_without_lss",
    "array_scales",
    "apply_codes",
    "block_scales",
    "shorten",
]

#: Response points of an array question that becomes a scale (after recoding to 1..k).
SCALE_POINTS = range(3, 12)
#: What an export writes for a question not shown, when asked to ("N/A").
NOT_SHOWN = "N/A"
_LABEL_CHARS = 200
_LEADING = re.compile(r"(\d{1,3})\s*[-.:)=]\s*(\S.*)", re.S)  # "4. Slightly disagree"
# Fixed answer sets of LimeSurvey question types that have no answer options of their own.
_FIXED = {
    "A": [(str(k), "") for k in range(1, 6)],
    "B": [(str(k), "") for k in range(1, 11)],
    "5": [(str(k), "") for k in range(1, 6)],
    "C": [("Y", "Yes"), ("U", "Uncertain"), ("N", "No")],
    "E": [("I", "Increase"), ("S", "Same"), ("D", "Decrease")],
    "Y": [("Y", "Yes"), ("N", "No")],
    "G": [("F", "Female"), ("M", "Male")],
    "M": [("Y", "Yes"), ("N", "No")],
    "P": [("Y", "Yes"), ("N", "No")],
}
_ARRAYS = set("FHAB1")  # array types whose answers may be a Likert scale
_NUMBER_TYPES = set("NK:")
_TEXT_TYPES = set("STUQ;*I")
_DROPPED_TYPES = {"X": "a text shown to respondents, not a question", "|": "file upload"}


@dataclass
class Column:
    """One column of the export: its header split into question code and text."""

    header: str
    code: str  # e.g. Q2[SQ001]
    text: str = ""  # question text from a 'code. text' heading
    base: str = ""  # Q2
    parts: list[str] = field(default_factory=list)  # ['SQ001']


def shorten(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 3] + "..."


def _joined(question: str, part: str) -> str:
    """A question text and the text of one of its parts, '...' cutting the question."""
    part = shorten(part)
    room = max(40, _LABEL_CHARS - len(part) - 3)
    return f"{shorten(question)[:room]} [{part}]" if question else part


def _trailing(text: str) -> tuple[str, list[str]]:
    """A heading's text and the '[...]' parts that end it ('question [subquestion]')."""
    parts: list[str] = []
    end = len(text.rstrip())
    while end and text[end - 1] == "]":
        start = text.rfind("[", 0, end - 1)
        if start < 0 or text.find("]", start + 1, end - 1) >= 0:
            break
        parts.append(text[start + 1 : end - 1].strip())
        end = start
        while end and text[end - 1].isspace():
            end -= 1
    return text[:end].strip(), parts[::-1]


def _name_of(code: str, taken: set[str]) -> str:
    """The study's name of a column: its question code as an identifier (``Q2[SQ001]`` ->
    ``q2_sq001``), ``_source`` added to a name the contract owns (``site``)."""
    name = _identifier(code.replace("[", "_").replace("]", ""))
    return _unique(f"{name}_source" if name in RESERVED else name, taken)


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


# ---------------------------------------------------------------------------------------------
# From questions to draft variables and scales
# ---------------------------------------------------------------------------------------------
@dataclass
class Plan:
    """What becomes of the answer columns: variables, array scales, and the recodes."""

    variables: list[_Var] = field(default_factory=list)
    arrays: list[tuple[str, str, list[_Var], list[tuple[str, str]]]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> {text: code}
    code_of: dict[str, str] = field(default_factory=dict)  # column -> its question code
    inferred: bool = False  # read off the answers (no .lss)


def _answer_set(question: LssQuestion, scale_id: int) -> list[tuple[str, str]]:
    fixed = _FIXED.get(question.type)
    if fixed is not None:
        return fixed
    return question.answers.get(scale_id, [])


def _accepted(answers: list[tuple[str, str]], question: LssQuestion, scale_id: int) -> dict:
    """Every text that stands for an answer code (its labels in all languages), normalised."""
    out = {_norm(code): code for code, _ in answers}
    for code, label in answers:
        if label:
            out[_norm(label)] = code
    for code, labels in question.all_labels.get(scale_id, {}).items():
        for label in labels:
            out.setdefault(_norm(label), code)
    if question.type in ("M", "P", "Y", "C"):
        out.setdefault("yes", "Y")
        out.setdefault("no", "N")
    return out


def plan_with_lss(columns: list[Column], survey: LssSurvey, taken: set[str], name: str) -> Plan:
    plan = Plan()
    unknown = [c.code for c in columns if survey.question(c.base) is None]
    if unknown:
        _another_survey(unknown, survey, name)
    by_question: dict[str, list[Column]] = {}
    for c in columns:
        by_question.setdefault(c.base, []).append(c)
    for base, cols in by_question.items():
        q = survey.question(base)
        assert q is not None
        if q.type in _DROPPED_TYPES:
            plan.dropped += [(c.code, _DROPPED_TYPES[q.type]) for c in cols]
            continue
        arrays: dict[int, list[tuple[Column, _Var]]] = {}
        for c in cols:
            var, scale_id = _question_var(c, q, survey, taken, plan, name)
            if var is None:
                continue
            if q.type in _ARRAYS and c.parts and scale_id is not None:
                sub = _sub_of(c, q)[0]
                var.label = shorten(q.subquestions.get(sub or "", "") or c.code)
                arrays.setdefault(scale_id, []).append((c, var))
            else:
                plan.variables.append(var)
        for scale_id, members in arrays.items():
            answers = _answer_set(q, scale_id)
            suffix = f"_{scale_id + 1}" if q.type == "1" else ""
            plan.arrays.append((q.code + suffix, q.text, [v for _, v in members], answers))
    return plan


def _question_var(
    c: Column, q: LssQuestion, survey: LssSurvey, taken: set[str], plan: Plan, name: str
) -> tuple[_Var | None, int | None]:
    """The draft variable of one column of question ``q`` (and its answer scale)."""
    sub, scale_id, extra = _sub_of(c, q)
    if sub is not None and sub not in q.subquestions and extra is None:
        _another_survey([c.code], survey, name)
    label = q.text
    if sub is not None and sub in q.subquestions:
        label = _joined(q.text, q.subquestions[sub])
    var_name = _name_of(c.code, taken)
    var = _Var(name=var_name, type="text", source=c.header, label=shorten(label), group=q.group)
    if extra is not None:  # an 'other' or comment field: free text
        var.label = _joined(q.text, extra)
        return var, None
    if q.type in _NUMBER_TYPES:
        var.type = "number"
        return var, None
    if q.type in _TEXT_TYPES or q.type == "D":
        return var, None
    if q.type == "R":
        scale_id = 0
    answers = _answer_set(q, scale_id or 0)
    if not answers:
        return var, None
    var.type = "category"
    var.levels = {code: (label or code) for code, label in answers}
    if q.type in ("M", "P"):
        var.levels = {"Y": "Yes"}
    plan.codes[c.header] = _accepted(answers, q, scale_id or 0)
    plan.code_of[c.header] = c.code
    return var, scale_id or 0


def _sub_of(c: Column, q: LssQuestion) -> tuple[str | None, int | None, str | None]:
    """(subquestion code, answer scale, 'other'/'comment' part) of a column of ``q``."""
    if not c.parts:
        return None, 0, None
    part = c.parts[0]
    if part in ("other", "comment", "othercomment"):
        return None, None, part
    if part.endswith("comment") and part[: -len("comment")] in q.subquestions:
        return part[: -len("comment")], None, "comment"
    if "#" in part:
        sub, _, scale = part.partition("#")
        return sub, int(scale) if scale.isdigit() else 0, None
    if q.type == "R":
        return None, 0, None  # ranking: Q[1], Q[2] ... hold answer codes
    if q.type in (":", ";") and part not in q.subquestions and "_" in part:
        return part.split("_", 1)[0], 0, None
    if len(c.parts) > 1:  # Q[SQ][1] (older dual scale)
        return part, int(c.parts[1]) if c.parts[1].isdigit() else 0, None
    return part, 0, None


def _another_survey(codes: list[str], survey: LssSurvey, name: str) -> None:
    known = list(survey.codes())
    raise StudyDataError(
        Problem(
            file=name,
            row=1,
            column=codes[0],
            found=f"{len(codes)} column(s) whose question code {survey.file} does not define "
            f"({_shown(codes, 4)}; it defines {_shown(known, 4)})",
            expected=f"the structure file of the survey this export comes from (survey "
            f"{survey.sid})",
            fix="export the survey structure of the same survey (Display/Export > Survey "
            "structure .lss) and pass it with --lss, or leave --lss out",
        )
    )


def plan_without_lss(columns: list[Column], frame: pd.DataFrame, taken: set[str]) -> Plan:
    """Draft variables from the export alone. The subquestions of an array become scale
    candidates when their answers are whole numbers, or texts that begin with a number
    ('4. Slightly disagree': code 4, label 'Slightly disagree')."""
    plan = Plan(inferred=True)
    by_question: dict[str, list[Column]] = {}
    for c in columns:
        by_question.setdefault(c.base, []).append(c)
    for base, cols in by_question.items():
        members, numbered = [], {}
        for c in cols:
            var = _Var(name=_name_of(c.code, taken), type="text", source=c.header)
            var.label = shorten(c.text)
            values = frame[c.header].str.strip()
            present = values[values.ne("") & values.ne(NOT_SHOWN)]
            numbers = pd.to_numeric(present, errors="coerce")
            whole = bool(len(present)) and numbers.notna().all() and (numbers % 1 == 0).all()
            leading = _leading(pd.unique(present.to_numpy()).tolist()) if c.parts else None
            if c.parts and (whole or leading):
                var.label = shorten(" / ".join(_trailing(c.text)[1]))
                members.append(var)
                if leading:
                    numbered[c.header] = leading
                continue
            if whole:
                var.type = "integer"
            elif len(present) and present.nunique() <= 12 and present.nunique() < len(present):
                var.type = "category"
                var.levels = {v: v for v in sorted(pd.unique(present.to_numpy()))}
            plan.variables.append(var)
        if len(members) < 2 or 0 < len(numbered) < len(members):
            plan.variables += members
            continue
        answers: list[tuple[str, str]] = []
        if numbered:
            labels = {n: lab for found in numbered.values() for n, lab in found.values()}
            low, high = min(1, min(labels)), max(labels)
            answers = [(str(k), labels.get(k, "")) for k in range(low, high + 1)]
            for header, found in numbered.items():
                plan.codes[header] = {_norm(v): str(n) for v, (n, _) in found.items()}
                plan.code_of[header] = next(c.code for c in cols if c.header == header)
        plan.arrays.append((base, _trailing(cols[0].text)[0], members, answers))
    return plan


def _leading(values: list[str]) -> dict[str, tuple[int, str]] | None:
    """{answer: (number, label)} when every answer begins with a number ('4. Agree')."""
    out = {}
    for value in values:
        match = _LEADING.fullmatch(value)
        if match is None:
            return None
        out[value] = (int(match.group(1)), match.group(2).strip())
    return out or None


def array_scales(
    plan: Plan, frame: pd.DataFrame, taken: set[str], record: ImportRecord, notes: list[str]
) -> list[_Scale]:
    """Each array question whose answers are 3 to 11 ordered points becomes a scale; its
    answer codes are written as whole numbers 1..k (in the order of the answer options)."""
    scales = []
    for code, text, items, answers in plan.arrays:
        if answers:
            codes = [c for c, _ in answers]
            if len(codes) not in SCALE_POINTS:
                plan.variables += items
                continue
            numbers = [int(c) for c in codes if re.fullmatch(r"-?\d+", c)]
            consecutive = len(numbers) == len(codes) and sorted(numbers) == list(
                range(min(numbers), min(numbers) + len(codes))
            )
            value = {c: (c if consecutive else str(k)) for k, c in enumerate(codes, start=1)}
            for v in items:  # every accepted text of an answer -> its whole-number code
                accepted = plan.codes.get(v.source, {})
                plan.codes[v.source] = {t: value[c] for t, c in accepted.items()}
            low = min(int(x) for x in value.values())
            high = max(int(x) for x in value.values())
            labels = {int(value[c]): shorten(lab) for c, lab in answers if lab}
        else:
            cells = pd.Series(frame[[v.source for v in items]].to_numpy().ravel(), dtype=object)
            values = pd.to_numeric(cells, errors="coerce").dropna()
            if values.empty:
                plan.variables += items
                continue
            low, high = min(1, int(values.min())), int(values.max())
            if high - low + 1 not in SCALE_POINTS:
                plan.variables += items
                continue
            labels = {}
        if plan.inferred:
            how = "the numbers the answers begin with" if answers else "the answers"
            record.guessed(
                f"Scale '{code}': points {low}-{high} read off {how} (no .lss was given): "
                "a point nobody chose at either end is missing from the range; pass --lss "
                "for the survey's own answer options."
            )
        name = _unique(_identifier(code, fallback="scale", digit_prefix="scale_"), taken)
        if name in RESERVED:
            name = _unique(f"{name}_scale", taken)
        scales.append(
            _Scale(
                name=name,
                items=items,
                low=low,
                high=high,
                label=shorten(text),
                labels=labels,
            )
        )
        notes.append(f"Scale {name}: array question {code} ({len(items)} items, {low}-{high}).")
    return scales


def apply_codes(
    frame: pd.DataFrame, plan: Plan, record: ImportRecord
) -> tuple[pd.DataFrame, list[str]]:
    """Answer texts written as their codes (case and spaces ignored), recorded once per
    question; 'N/A' (not shown) as empty. Returns the frame and the question codes of the
    columns where 'N/A' was read as not shown."""
    out = {}
    not_shown: list[str] = []
    found: dict[str, tuple[list[str], dict[str, str]]] = {}  # question -> (columns, recodes)
    for column, accepted in plan.codes.items():
        values = frame[column].str.strip()
        table = {v: accepted.get(_norm(v)) for v in pd.unique(values.to_numpy())}
        mapped = values.map(table)  # one look-up per distinct answer
        na = values.eq(NOT_SHOWN) & mapped.isna()
        code = plan.code_of.get(column, column)
        if na.any():
            not_shown.append(code)
        changed = mapped.notna() & mapped.ne(values)
        if changed.any():
            columns, pairs = found.setdefault(code.split("[", 1)[0], ([], {}))
            columns.append(code)
            pairs.update(zip(values[changed], mapped[changed], strict=True))
        out[column] = mapped.where(mapped.notna(), values).mask(na, "")
    for columns, pairs in found.values():
        record.recoded(columns, dict(sorted(pairs.items(), key=lambda kv: (kv[1], kv[0]))))
    if out:
        frame = frame.assign(**out)
    return frame, not_shown


def block_scales(
    blocks: list[list[_Var]], taken: set[str], frame: pd.DataFrame, notes: list[str]
) -> list[_Scale]:
    """Scales of runs of list questions with the same answers (see ``_find_blocks``)."""
    out = []
    for k, block in enumerate(blocks, start=1):
        scale = _make_scale(block, name_hint=f"scale_{k}", label="", taken=taken)
        scale.labels = {c: lab for c, lab in scale.labels.items() if lab != str(c)}
        if _fit_scale(scale, frame, notes):
            out.append(scale)
            notes.append(
                f"Scale {scale.name}: {len(block)} adjacent questions with the same answers."
            )
    return out
