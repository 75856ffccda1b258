"""Coded text selections of a REFI-QDA project, and the text they cover.

Layer 2 (private to :mod:`partner_study.io.qdpx`). A ``<PlainTextSelection>`` gives a
start and an end position in its source's plain text; the text is cut from that text after
its byte-order mark, line ends as stored (CRLF counts two). Programs count positions in
different units: UTF-16 code units (NVivo, MAXQDA, ATLAS.ti: Windows, .NET, Qt and Cocoa
strings) or code points (QualCoder and other Python programs). The two differ only after a
character outside the Basic Multilingual Plane, such as an emoji.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

import numpy as np

from partner_study.errors import Problem, StudyDataError
from partner_study.io import _limits
from partner_study.io.qdpx.archive import Archive
from partner_study.io.qdpx.project import text_sources

__all__ = ["ROW_COLUMNS", "Selections", "read_selections", "counts_code_points"]

#: Columns of the rows :func:`read_selections` returns.
ROW_COLUMNS = (
    "selection",
    "source",
    "document",
    "start",
    "end",
    "coder",
    "code_key",
    "text",
    "at",
)
#: Programs (by the project's ``origin``) that count positions in code points.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_CODE_POINT_ORIGINS = re.compile(r"qualcoder|^qc\b|taguette|requal|re-qda", re.IGNORECASE)


def counts_code_points(origin: str) -> bool:
    """Whether the program that wrote the project counts positions in code points."""
    return bool(_CODE_POINT_ORIGINS.search(origin.strip()))


@dataclass
class _Text:
    """A source's plain text, cut by positions in the project's unit."""

    text: str
    utf16: bool
    _data: bytes = b""
    _units: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.utf16 and _ASTRAL.search(self.text):
            self._data = self.text.encode("utf-16-le", errors="surrogatepass")
            points = np.frombuffer(
                self.text.encode("utf-32-le", errors="surrogatepass"), dtype="<u4"
            )
            widths = 1 + (points >= 0x10000).astype(np.int64)
            self._units = np.concatenate(([0], np.cumsum(widths)))

    def cut(self, start: int, end: int) -> str:
        if self._units is None:
            return self.text[start:end]
        return self._data[2 * start : 2 * end].decode("utf-16-le", errors="replace")

    def index(self, position: int) -> int:
        """The index in :attr:`text` (code points) of a position in the project's unit."""
        if self._units is None:
            return position
        return int(np.searchsorted(self._units, position, side="left"))


@dataclass
class Selections:
    """What :func:`read_selections` found."""

    rows: list[tuple] = field(default_factory=list)
    documents: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    missing_text: list[str] = field(default_factory=list)
    whole: int = 0  # codings of whole documents
    unknown: int = 0  # codings of codes missing from the codebook
    uncoded: int = 0  # selections without a coding (memos, annotations)
    other: int = 0  # picture / audio / video sources
    astral: bool = False  # a source holds characters outside the BMP


def read_selections(
    archive: Archive,
    codes: Mapping[str, object],
    users: dict[str, str],
    *,
    utf16: bool,
) -> Selections:
    """Coding rows of every text source (see :data:`ROW_COLUMNS`) and what was left out.

    ``at`` is the selection's start as an index of the source's text (code points), where
    its speaker turn is looked up.
    """
    found = Selections()
    elements, found.other = text_sources(archive)
    problems: list[Problem] = []
    cut_total = 0
    for src in elements:
        guid = src.get("guid", "")
        path = (src.get("plainTextPath") or "").replace("\\", "/").rsplit("/", 1)[-1]
        document = " ".join((src.get("name") or path.rsplit(".", 1)[0] or guid).split())
        text = archive.source_text(src)
        found.documents[guid] = (document, text)
        if text is None:
            found.missing_text.append(document)
        source = _Text(text or "", utf16)
        found.astral |= source._units is not None
        found.whole += len(src.findall(archive.q("Coding")))
        for sel in src.findall(archive.q("PlainTextSelection")):
            span = _span(sel)
            if span is None or (text is not None and span[1] - span[0] > _limits.MAX_CELL_CHARS):
                problems.append(_selection_problem(archive, sel, document, span))
                continue
            start, end = span
            codings = sel.findall(archive.q("Coding"))
            if not codings:
                found.uncoded += 1
                continue
            piece = source.cut(start, end) if text is not None else ""
            cut_total += len(piece)
            if cut_total > _limits.MAX_TOTAL_BYTES:
                raise StudyDataError(
                    Problem(
                        file=archive.name,
                        found=f"coded selections holding more than "
                        f"{_limits.MAX_TOTAL_BYTES:,} characters of text in all",
                        expected="a project whose segments fit in memory",
                        fix="check that this is the project exported by your QDA software; "
                        "import it in parts (e.g. one export per group of documents)",
                    )
                )
            at = source.index(start) if text is not None else -1
            for coding in codings:
                ref = coding.find(archive.q("CodeRef"))
                key = ref.get("targetGUID", "") if ref is not None else ""
                if key not in codes:
                    found.unknown += 1
                    continue
                user = coding.get("creatingUser") or sel.get("creatingUser") or ""
                coder = users.get(user) or (user[:8] if user else "coder_1")
                found.rows.append(
                    (sel.get("guid", ""), guid, document, start, end, coder, key, piece, at)
                )
    if problems:
        raise StudyDataError(problems)
    return found


def _span(selection: ET.Element) -> tuple[int, int] | None:
    """(start, end) of a PlainTextSelection, or None unless 0 <= start <= end (whole numbers)."""
    values = []
    for attribute in ("startPosition", "endPosition"):
        text = (selection.get(attribute) or "0").strip()
        if not re.fullmatch(r"\d{1,12}", text):
            return None
        values.append(int(text))
    start, end = values
    return (start, end) if start <= end else None


def _selection_problem(
    archive: Archive, selection: ET.Element, document: str, span: tuple[int, int] | None
) -> Problem:
    def shown(value: str) -> str:
        return f"'{value}'" if len(value) <= 60 else f"'{value[:57]}...'"

    name = shown(selection.get("guid", ""))
    if span is None:
        found = (
            f"selection {name} of {shown(document)} from startPosition "
            f"{shown(selection.get('startPosition', ''))} to endPosition "
            f"{shown(selection.get('endPosition', ''))}"
        )
        expected = "whole-number positions with start <= end"
    else:
        found = f"selection {name} of {shown(document)} of {span[1] - span[0]:,} characters"
        expected = f"at most {_limits.MAX_CELL_CHARS:,} characters per coded selection"
    return Problem(
        file=archive.name,
        found=found,
        expected=expected,
        fix="check the selection in your QDA software (split a very long one) and export "
        "the project again",
    )
