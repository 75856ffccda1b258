"""Read a LimeSurvey survey structure file (``.lss``): questions, subquestions, answers.

Layer 2 (private to :mod:`partner_study.io`). A ``.lss`` is XML written by LimeSurvey
(*Display / Export > Survey structure*): one table per element (``questions``,
``subquestions``, ``answers``, ...), each a list of ``<row>`` elements. LimeSurvey 4 and later
keep the texts in ``*_l10ns`` tables (one row per language); LimeSurvey 2 and 3 keep them in
the rows themselves, with a ``language`` field. Both are read.

The file is treated as hostile: it is read only up to :data:`LSS_MAX_BYTES`, a document type
declaration (which could define entities: an "XML bomb" or an external entity) is refused
before anything it declares is used, and every failure is a
:class:`partner_study.errors.StudyDataError` naming the file and the line.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from partner_study.errors import Problem, StudyDataError

__all__ = ["LSS_MAX_BYTES", "LssQuestion", "LssSurvey", "clean_text", "read_lss"]

#: Largest ``.lss`` read (bytes): a survey structure is text, a few megabytes at most.
LSS_MAX_BYTES = 64 * 1024**2

_FIX = (
    "export the survey structure again in LimeSurvey (Display/Export > Survey structure "
    "(.lss)) and pass that file with --lss"
)
_TAG = re.compile(r"<[^<>]*>")  # [^<>]: linear time on any text


def clean_text(text: str | None) -> str:
    """A question or answer text as a reader sees it: HTML tags removed, entities decoded,
    white space collapsed (an image-only answer gives ``""``)."""
    if not text:
        return ""
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())


@dataclass
class LssQuestion:
    """One question of the survey, with texts in the survey's base language.

    ``answers[scale]`` lists ``(code, label)`` in the order shown; ``all_labels[scale][code]``
    holds the answer's texts in every language of the survey (to read full-text exports).
    """

    code: str
    type: str
    text: str = ""
    group: str = ""
    subquestions: dict[str, str] = field(default_factory=dict)
    answers: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    all_labels: dict[int, dict[str, list[str]]] = field(default_factory=dict)


@dataclass
class LssSurvey:
    """The parts of a survey structure the importer uses."""

    file: str
    sid: str
    title: str
    language: str
    questions: dict[str, LssQuestion]
    url_parameters: dict[str, str] = field(default_factory=dict)  # question code -> parameter

    def question(self, code: str) -> LssQuestion | None:
        return self.questions.get(code)

    def codes(self) -> list[str]:
        return list(self.questions)


class _DoctypeFound(Exception):
    """Raised while parsing when the XML declares a document type (DTD, entities)."""


class _NoDoctypeBuilder(ET.TreeBuilder):
    """A tree builder that stops at a ``<!DOCTYPE>``: a ``.lss`` never has one."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise _DoctypeFound(name)


def _error(name: str, found: str, *, line: int | None = None) -> StudyDataError:
    return StudyDataError(
        Problem(
            file=name,
            line=line,
            found=found,
            expected="a LimeSurvey survey structure file (.lss, XML)",
            fix=_FIX,
        )
    )


def _parse(path: Path, name: str) -> ET.Element:
    if not path.is_file():
        raise StudyDataError(
            Problem(file=name, found="no such file", expected="a .lss file", fix="check the path")
        )
    size = path.stat().st_size
    if size > LSS_MAX_BYTES:
        raise _error(name, f"a file of {size:,} bytes (at most {LSS_MAX_BYTES:,} are read)")
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        raise _error(name, "a zip archive (a survey archive .lsa?); unpack it and give the .lss")
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"[")):
        raise _error(name, "a JSON file (a Qualtrics .qsf?), not XML")
    parser = ET.XMLParser(target=_NoDoctypeBuilder())
    try:
        parser.feed(data)
        root = parser.close()
    except _DoctypeFound:
        raise _error(
            name, "a document type declaration (<!DOCTYPE>, which can define entities)"
        ) from None
    except ET.ParseError as exc:
        line, column = exc.position if exc.position else (None, 0)
        raise _error(
            name,
            f"XML that is not well formed or is cut short (at column {column}: "
            f"{str(exc.msg).split(':')[0]})",
            line=line,
        ) from None
    kind = (root.findtext("LimeSurveyDocType") or "").strip()
    if root.tag != "document" or kind != "Survey":
        what = (
            f"a LimeSurvey '{kind}' export" if kind else f"an XML file whose root is <{root.tag}>"
        )
        raise _error(name, what)
    return root


def _rows(root: ET.Element, table: str) -> list[dict[str, str]]:
    """The rows of one table of the file, each as {field: text} (absent fields: "")."""
    rows = root.find(f"{table}/rows")
    if rows is None:
        return []
    return [{child.tag: (child.text or "") for child in row} for row in rows.findall("row")]


def _texts(rows: list[dict[str, str]], key: str, text: str) -> dict[str, dict[str, str]]:
    """{row key: {language: text}} of a table holding texts by language."""
    out: dict[str, dict[str, str]] = {}
    for row in rows:
        out.setdefault(row.get(key, ""), {})[row.get("language", "")] = row.get(text, "")
    return out


def _pick(texts: dict[str, str], language: str) -> str:
    """The text in ``language``, else in the first language that has one."""
    if language in texts:
        return clean_text(texts[language])
    return clean_text(next(iter(texts.values()), ""))


def read_lss(path: Path | str) -> LssSurvey:
    """Read a LimeSurvey survey structure file.

    Parameters
    ----------
    path : path-like
        A ``.lss`` file (LimeSurvey 2 to 6).

    Returns
    -------
    LssSurvey
        The survey id, title and base language; its questions by code, each with its type,
        text, group, subquestions and answer options (codes and labels, in display order);
        and the questions filled from survey link parameters.

    Raises
    ------
    StudyDataError
        When the file is missing, too large, not well-formed XML (or cut short), declares a
        document type, is not a LimeSurvey survey structure, or holds no question.
    """
    path = Path(path)
    name = str(path)
    root = _parse(path, name)
    survey_rows = _rows(root, "surveys")
    survey_row = survey_rows[0] if survey_rows else {}
    languages = [clean_text(e.text) for e in root.findall("languages/language")]
    language = survey_row.get("language") or (languages[0] if languages else "")
    titles = {
        r.get("surveyls_language", ""): r.get("surveyls_title", "")
        for r in _rows(root, "surveys_languagesettings")
    }
    questions_rows = _rows(root, "questions")
    l10n = _rows(root, "question_l10ns")
    sub_rows = _rows(root, "subquestions")
    q_texts = _texts(l10n if l10n else questions_rows + sub_rows, "qid", "question")
    # LimeSurvey 1 kept subquestions among the questions, with a parent
    sub_rows += [r for r in questions_rows if r.get("parent_qid", "0") not in ("", "0")]
    top = [r for r in questions_rows if r.get("parent_qid", "0") in ("", "0")]
    questions: dict[str, LssQuestion] = {}
    by_qid: dict[str, LssQuestion] = {}
    for row in top:
        qid, code = row.get("qid", ""), row.get("title", "").strip()
        if qid in by_qid or not code:
            continue  # LimeSurvey 2/3: one row per language
        q = LssQuestion(
            code=code,
            type=row.get("type", ""),
            text=_pick(q_texts.get(qid, {}), language),
            group=row.get("gid", ""),
        )
        by_qid[qid] = q
        questions.setdefault(code, q)
    if not questions:
        raise _error(name, "a survey structure without questions")
    for row in sorted(sub_rows, key=lambda r: _order(r.get("question_order"))):
        parent = by_qid.get(row.get("parent_qid", ""))
        code = row.get("title", "").strip()
        if parent is not None and code and code not in parent.subquestions:
            parent.subquestions[code] = _pick(q_texts.get(row.get("qid", ""), {}), language)
    _read_answers(root, by_qid, language)
    url = {}
    for row in _rows(root, "survey_url_parameters"):
        target = by_qid.get(row.get("targetqid", ""))
        if target is not None:
            url[target.code] = row.get("parameter", "")
    return LssSurvey(
        file=name,
        sid=survey_row.get("sid", ""),
        title=clean_text(titles.get(language) or next(iter(titles.values()), "")),
        language=language,
        questions=questions,
        url_parameters=url,
    )


def _order(text: str | None) -> float:
    try:
        return float(text or 0)
    except ValueError:
        return 0.0


def _read_answers(root: ET.Element, by_qid: dict[str, LssQuestion], language: str) -> None:
    """Fill each question's answer options (both layouts of the file)."""
    rows = _rows(root, "answers")
    l10n = _texts(_rows(root, "answer_l10ns"), "aid", "answer")
    seen: set[tuple[str, int, str]] = set()
    for row in sorted(rows, key=lambda r: _order(r.get("sortorder"))):
        q = by_qid.get(row.get("qid", ""))
        code = row.get("code", "").strip()
        if q is None or not code:
            continue
        scale = int(row.get("scale_id") or 0) if (row.get("scale_id") or "0").isdigit() else 0
        texts = l10n.get(row.get("aid", ""), {}) if l10n else {}
        if not l10n:  # LimeSurvey 2/3: the text and its language are in the row
            texts = {row.get("language", ""): row.get("answer", "")}
        labels = q.all_labels.setdefault(scale, {}).setdefault(code, [])
        labels.extend(clean_text(t) for t in texts.values() if clean_text(t))
        if (q.code, scale, code) in seen:
            if row.get("language", "") == language:  # the base language's text wins
                q.answers[scale] = [
                    (c, _pick(texts, language) if c == code else lab) for c, lab in q.answers[scale]
                ]
            continue
        seen.add((q.code, scale, code))
        q.answers.setdefault(scale, []).append((code, _pick(texts, language)))
