"""Import a REFI-QDA project (``.qdpx``) as a draft study of coded segments.

Layer 2. :func:`import_qdpx` reads the project exchanged by NVivo, ATLAS.ti, MAXQDA,
QualCoder and other QDA software in the REFI-QDA standard (a zip holding ``project.qde``,
the XML project, and ``sources/`` with the documents' plain text) and returns a
:class:`partner_study.io.RawStudy`: ``participants`` (the project's cases, or one per
document), ``segments`` (one row per coded text selection per coder per code, with the
text cut from the source) and a draft ``codebook.yaml`` with the codes and their themes.

This module also holds the helpers for the qualitative side that
:mod:`partner_study.io.taguette` shares (code identifiers, segment ids, the codebook).

Example
-------
>>> from partner_study.io.qdpx import import_qdpx
>>> raw = import_qdpx("interviews.qdpx", site="site_a", role="carer")  # doctest: +SKIP
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.io import RawStudy, _limits
from partner_study.io._draft import RESERVED, _dump_codebook, _fit_variable, _role_block, _Var
from partner_study.io._naming import _identifier, _shown, _unique
from partner_study.io._source import _site_role

__all__ = ["import_qdpx", "MAX_CODE_DEPTH"]

#: Deepest nesting of codes in a project's code tree (top-level codes are level 1).
MAX_CODE_DEPTH = 100

_SEGMENT_COLUMNS = (
    "segment_id",
    "participant_id",
    "document",
    "start",
    "end",
    "coder",
    "code",
    "text",
)
_VARIABLE_TYPES = {"integer": "integer", "float": "number", "boolean": "category"}
_EXPORT_FIX = (
    "export the project from your QDA software as 'REFI-QDA Project (.qdpx)' "
    "(NVivo: File > Export > Export Project; ATLAS.ti / MAXQDA: Export > REFI-QDA)"
)


# =============================================================================================
# Shared qualitative helpers (also used by partner_study.io.taguette)
# =============================================================================================
@dataclass(frozen=True)
class _CodeEntry:
    """A code of the source: its key there, its name, and its top-level theme's name."""

    key: str
    name: str
    theme: str


def _code_ids(
    entries: list[_CodeEntry],
) -> tuple[dict[str, str], dict[str, dict[str, str]], dict[str, str]]:
    """Identifiers for codes and themes.

    Returns (code id by source key, codebook ``codes`` entries, codebook ``themes``).
    Code ids are snake_case names, made unique by the theme's name, then a number.
    """
    theme_ids: dict[str, str] = {}
    taken_themes: set[str] = set()
    for e in entries:
        if e.theme not in theme_ids:
            theme_ids[e.theme] = _unique(
                _identifier(e.theme, fallback="theme", digit_prefix=""), taken_themes
            )
    by_key: dict[str, str] = {}
    codes: dict[str, dict[str, str]] = {}
    taken: set[str] = set()
    for e in entries:
        if e.key in by_key:
            continue
        base = _identifier(e.name, fallback="code", digit_prefix="")
        if base in taken:
            base = f"{theme_ids[e.theme]}_{base}"
        code = _unique(base, taken)
        by_key[e.key] = code
        codes[code] = {"theme": theme_ids[e.theme], "label": e.name}
    themes = {tid: name for name, tid in theme_ids.items()}
    return by_key, codes, themes


def _number_segments(frame: pd.DataFrame) -> pd.Series:
    """``S0001``... one id per distinct (source, start, end), by source then position."""
    rank = {g: i for i, g in enumerate(pd.unique(frame["source"].to_numpy()))}
    key = pd.DataFrame(
        {
            "source": frame["source"].map(rank),
            "start": pd.to_numeric(frame["start"], errors="coerce"),
            "end": pd.to_numeric(frame["end"], errors="coerce"),
        }
    )
    number = key.groupby(["source", "start", "end"], sort=True, dropna=False).ngroup()
    width = max(4, len(str(int(number.max()) + 1)))
    return ("S" + (number + 1).astype(str).str.zfill(width)).astype(object)


def _drop_repeats(segments: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    repeated = segments.duplicated(["segment_id", "coder", "code"])
    if repeated.any():
        notes.append(
            f"{int(repeated.sum())} coding(s) repeated the same code on the same "
            "segment by the same coder and were kept once."
        )
    return segments.loc[~repeated].reset_index(drop=True)


def _qualitative_study(
    participants: pd.DataFrame,
    segments: pd.DataFrame,
    codes: dict[str, dict[str, str]],
    themes: dict[str, str],
    *,
    variables: list[_Var],
    study: str,
    title: str,
    made_by: str,
    notes: list[str],
) -> RawStudy:
    """Build the RawStudy of a qualitative source (participants + segments + codebook)."""
    doc: dict[str, Any] = {
        "study": study,
        "title": title,
        "id": "participant_id",
        "role": _role_block(sorted(set(participants["role"])), notes),
        "site": "site",
    }
    if variables:
        doc["variables"] = {v.name: v.spec() for v in variables}
    doc["themes"] = dict(themes)
    doc["codes"] = codes
    notes.append(
        "Themes are the top-level codes of the source; check the theme names and "
        "labels, and merge codes that mean the same."
    )
    text = _dump_codebook(doc, made_by=made_by, notes=notes)
    seg = segments.loc[:, list(_SEGMENT_COLUMNS)].astype(str).astype(object)
    return RawStudy(
        codebook_text=text,
        participants=participants.astype(object),
        segments=seg,
        notes=tuple(notes),
    )


# =============================================================================================
# REFI-QDA
# =============================================================================================
class _DoctypeFound(Exception):
    """Raised while parsing when the XML declares a document type (DTD, entities)."""


class _NoDoctypeBuilder(ET.TreeBuilder):
    """A tree builder that stops at a ``<!DOCTYPE>``: REFI-QDA XML never has one."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise _DoctypeFound(name)


def _relative_parts(path: str) -> list[str] | None:
    """The parts of a relative path (``/`` or ``\\`` separated), or None when the path is
    absolute, empty or climbs with ``..``, i.e. could name a file outside its folder."""
    text = path.replace("\\", "/")
    if text.startswith("/") or re.match(r"[A-Za-z]:", text) or "\x00" in text:
        return None
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return parts


class _Project:
    """The parsed ``project.qde`` and guarded access to the source texts stored with it.

    Every byte is read by :meth:`_read`: a member of the ``.qdpx`` archive, or a file of the
    folder holding a bare ``project.qde``. Source texts come only from the project's
    ``sources/`` folder; each read is limited in size (see ``partner_study.io._limits``).
    """

    def __init__(self, path: Path) -> None:
        self.path, self.name = path, str(path)
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, zipfile.ZipInfo] = {}  # lower-case name -> member
        self._prefix = ""  # folder of project.qde inside the archive
        self._total = 0  # bytes read so far
        self._texts: dict[str, str] = {}
        if not path.is_file():
            raise StudyDataError(
                Problem(
                    file=self.name,
                    found="no such file",
                    expected="a REFI-QDA project (.qdpx)",
                    fix="check the path",
                )
            )
        try:
            if zipfile.is_zipfile(path):
                self._qde = self._open_zip()
            elif path.suffix.lower() == ".qde":
                _limits.check_file_size(path, name=self.name, fix=_EXPORT_FIX)
                self._qde = path.name
            else:
                raise self._error("a file that is not a zip archive")
            self.root = self._parse(self._read(self._qde))
        except BaseException:
            self.close()
            raise
        tag = self.root.tag
        self.ns = tag[: tag.index("}") + 1] if tag.startswith("{") else ""
        if tag[len(self.ns) :] != "Project":
            raise self._error(f"an XML root <{tag[len(self.ns) :]}>")

    def close(self) -> None:
        """Close the archive (nothing is read after this)."""
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def _parse(self, data: bytes) -> ET.Element:
        """The XML tree of ``project.qde``; a document type declaration is refused, so no
        entity is ever defined or expanded."""
        parser = ET.XMLParser(target=_NoDoctypeBuilder())
        try:
            parser.feed(data)
            return parser.close()
        except _DoctypeFound:
            raise self._error(
                "project.qde with a document type declaration (<!DOCTYPE>, which can "
                "define entities)"
            ) from None
        except ET.ParseError as exc:
            raise self._error(f"project.qde that is not well-formed XML ({exc})") from None

    def _open_zip(self) -> str:
        """Open the archive (member count checked first); the project file's member name,
        relative to the folder that holds it."""
        _limits.check_zip_entries(self.path, name=self.name, fix=_EXPORT_FIX)
        try:
            self._zip = zipfile.ZipFile(self.path)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise self._error(f"a damaged zip archive ({exc})") from None
        if len(infos) > _limits.MAX_MEMBERS:
            raise self._error(
                f"an archive of {len(infos):,} members (at most {_limits.MAX_MEMBERS:,} are read)"
            )
        projects = [i.filename for i in infos if i.filename.lower().endswith(".qde")]
        if not projects:
            raise self._error(
                f"a zip without project.qde ({_shown([i.filename for i in infos], 4)})"
            )
        for info in infos:
            self._members.setdefault(info.filename.lower(), info)
        folder, _, qde = sorted(projects, key=len)[0].rpartition("/")
        self._prefix = f"{folder}/" if folder else ""
        return qde

    def _error(self, found: str) -> StudyDataError:
        return StudyDataError(
            Problem(
                file=self.name,
                found=found,
                expected="a REFI-QDA project: a .qdpx zip holding project.qde "
                "(XML, root <Project>) "
                "and the sources",
                fix=_EXPORT_FIX,
            )
        )

    def _limit_error(self, member: str, found: str) -> StudyDataError:
        return StudyDataError(
            Problem(
                file=self.name,
                found=f"'{member}' {found}",
                expected=f"at most {_limits.size_text(_limits.MAX_MEMBER_BYTES)} per file "
                f"and {_limits.size_text(_limits.MAX_TOTAL_BYTES)} in all, uncompressed",
                fix="check that this is the project exported by your QDA software; split "
                "very long documents there before exporting",
            )
        )

    def _has(self, member: str) -> bool:
        """Whether ``member`` (a path relative to the project's folder) exists."""
        if self._zip is not None:
            return (self._prefix + member).lower() in self._members
        return (self.path.parent / member).is_file()

    def _read(self, member: str) -> bytes:
        """The bytes of ``member`` (a path relative to the project's folder): the only read.

        The declared size (zip directory, file size) is checked first, then the bytes are
        read in chunks and reading stops once past the limit, whatever was declared.
        """
        if self._zip is not None:
            info = self._members[(self._prefix + member).lower()]
            declared, zf = info.file_size, self._zip

            def open_stream() -> Any:
                return zf.open(info)
        else:
            file = self.path if member == self._qde else (self.path.parent / member).resolve()
            # links are followed, then the file must lie in <project folder>/sources
            # (a sources folder that is itself a link to elsewhere does not qualify)
            if file != self.path and not file.is_relative_to(
                self.path.parent.resolve() / "sources"
            ):
                raise self._outside(member, "a link that leads out of the sources folder")
            declared = file.stat().st_size

            def open_stream() -> Any:
                return file.open("rb")

        if declared > _limits.MAX_MEMBER_BYTES:
            raise self._limit_error(member, f"of {_limits.size_text(declared)}")
        if self._total + declared > _limits.MAX_TOTAL_BYTES:
            raise self._limit_error(
                member,
                f"of {_limits.size_text(declared)}, after "
                f"{_limits.size_text(self._total)} already read",
            )
        limit = min(_limits.MAX_MEMBER_BYTES, _limits.MAX_TOTAL_BYTES - self._total)
        try:
            with open_stream() as stream:
                data = _limits.read_capped(stream, limit)
        except RuntimeError as exc:  # zipfile: encrypted member
            raise self._error(f"'{member}' that can't be read ({exc})") from None
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
            raise self._error(f"'{member}' damaged ({exc})") from None
        if data is None:
            raise self._limit_error(
                member,
                f"of more than {_limits.size_text(limit)} once uncompressed (its declared "
                f"size is {_limits.size_text(declared)})",
            )
        self._total += len(data)
        return data

    def _outside(self, ref: str, why: str) -> StudyDataError:
        return StudyDataError(
            Problem(
                file=self.name,
                found=f"a source text at '{ref}' ({why})",
                expected="source texts stored in the project: plainTextPath "
                "'internal://<file>' naming a file of its sources/ folder",
                fix="export the project again with its sources included (REFI-QDA "
                "project export, not a link to documents on disk); files outside the "
                "project are never read",
            )
        )

    def q(self, name: str) -> str:
        return self.ns + name

    def _source_member(self, ref: str) -> str:
        """The path, relative to the project's folder, of the file ``ref`` names.

        Raises a StudyDataError for any reference to a place outside the ``sources/``
        folder: ``file://`` URLs, absolute paths, paths with ``..``, other schemes, and
        ``relative://`` paths when the project sets a ``basePath`` (they are relative to it).
        """
        scheme, sep, rest = ref.partition("://")
        scheme = scheme.lower() if sep else ""
        if scheme == "internal":
            parts = _relative_parts(rest)
            if parts is None:
                raise self._outside(ref, "a path that leaves the sources folder")
            return "sources/" + "/".join(parts)
        if scheme == "relative":
            base = (self.root.get("basePath") or "").strip()
            if base:
                raise self._outside(ref, f"relative to basePath '{base}', outside the project")
            parts = _relative_parts(rest)
            if parts is None or len(parts) < 2 or parts[0].lower() != "sources":
                raise self._outside(ref, "a path outside the project's sources folder")
            return "/".join(parts)
        if scheme == "file":
            raise self._outside(ref, "a file on disk")
        raise self._outside(ref, "not an internal:// path")

    def source_text(self, element: ET.Element) -> str | None:
        """The plain text of a TextSource (BOM removed), or None when it can't be found."""
        inline = element.find(self.q("PlainTextContent"))
        if inline is not None:
            return (inline.text or "").removeprefix("\ufeff")
        ref = (element.get("plainTextPath") or "").strip()
        if not ref:
            return None
        member = self._source_member(ref)
        if member not in self._texts:
            if not self._has(member):
                return None
            data = self._read(member)
            self._texts[member] = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
        return self._texts[member]


def _cutter(text: str, utf16: bool):
    """A function (start, end) -> text between those positions."""
    if not utf16 or all(ord(c) < 0x10000 for c in text):
        return lambda s, e: text[s:e]
    data = text.encode("utf-16-le", errors="surrogatepass")
    return lambda s, e: data[2 * s : 2 * e].decode("utf-16-le", errors="replace")


def _codes(project: _Project) -> tuple[dict[str, tuple[str, str, bool]], int]:
    """Code guid -> (name, top-level name, has children); the count of deeply nested codes.

    The code tree is walked with a stack (no recursion), in document order; codes nested
    deeper than :data:`MAX_CODE_DEPTH` levels are refused.
    """
    out: dict[str, tuple[str, str, bool]] = {}
    deep = 0
    book = project.root.find(project.q("CodeBook"))
    codes = book.find(project.q("Codes")) if book is not None else None
    if codes is None:
        return out, deep
    stack: list[tuple[ET.Element, str | None, int]] = [
        (code, None, 0) for code in reversed(codes.findall(project.q("Code")))
    ]
    while stack:
        code, top, depth = stack.pop()
        name = (code.get("name") or code.get("guid") or "").strip()
        if depth >= MAX_CODE_DEPTH:
            raise StudyDataError(
                Problem(
                    file=project.name,
                    found=f"codes nested more than {MAX_CODE_DEPTH} levels deep (code "
                    f"{_shown([name])} under top-level code {_shown([top or ''])})",
                    expected=f"at most {MAX_CODE_DEPTH} levels of codes",
                    fix="flatten the code tree in your QDA software (the importer keeps only "
                    "the top-level code as the theme) and export the project again",
                )
            )
        children = code.findall(project.q("Code"))
        out[code.get("guid", "")] = (name, top or name, bool(children))
        deep += depth >= 2 and not children
        stack.extend((child, top or name, depth + 1) for child in reversed(children))
    return out, deep


def _cases(project: _Project) -> tuple[list[dict[str, Any]], dict[str, tuple[str, str]]]:
    """Cases (name, sources, selections, variable values) and variable guid -> (name, type)."""
    variables = {}
    block = project.root.find(project.q("Variables"))
    for var in block.findall(project.q("Variable")) if block is not None else []:
        variables[var.get("guid", "")] = (var.get("name", ""), var.get("typeOfVariable", "Text"))
    cases = []
    block = project.root.find(project.q("Cases"))
    for case in block.findall(project.q("Case")) if block is not None else []:
        values = {}
        for vv in case.findall(project.q("VariableValue")):
            ref = vv.find(project.q("VariableRef"))
            value = next((c.text or "" for c in vv if c.tag != project.q("VariableRef")), "")
            if ref is not None:
                values[ref.get("targetGUID", "")] = value.strip()
        cases.append(
            {
                "name": (case.get("name") or case.get("guid") or "").strip(),
                "sources": [r.get("targetGUID", "") for r in case.findall(project.q("SourceRef"))],
                "selections": [
                    r.get("targetGUID", "") for r in case.findall(project.q("SelectionRef"))
                ],
                "values": values,
            }
        )
    return cases, variables


def import_qdpx(
    path: str | Path, *, role: str | None = None, site: str | None = None, study: str = "qdpx"
) -> RawStudy:
    """Turn a REFI-QDA project (``.qdpx``) into a draft study of coded segments.

    Parameters
    ----------
    path : path-like
        The ``.qdpx`` file (or a bare ``project.qde`` with a ``sources/`` folder beside it).
    role, site : str, optional
        The role / site of every participant, when the project's cases have no ``role`` /
        ``site`` variable.
    study : str
        The study name written in the codebook.

    Returns
    -------
    RawStudy
        ``participants`` (participant_id = case name, or document name when the project has
        no cases; site, role, collection = interview; the cases' variables), ``segments``
        (segment_id, participant_id, document, start, end, coder, code, text; ``survey`` is
        ``None``), the codebook text and ``notes``.

    Raises
    ------
    StudyDataError
        When the file is missing, not a zip, has no ``project.qde`` or is not REFI-QDA XML
        (a ``<!DOCTYPE>`` is refused); when a source's text is not stored in the project;
        when a member is damaged or encrypted; when a selection's positions are not whole
        numbers with start <= end; or when a limit below is passed.

    Notes
    -----
    Only the project is read: ``project.qde`` and the texts of its ``sources/`` folder
    (``plainTextPath="internal://..."``, or ``relative://sources/...`` without a
    ``basePath``). A reference to anything else - ``file://`` URLs, absolute paths, paths
    with ``..``, ``relative://`` paths under a ``basePath``, links leading out of the
    folder of a bare ``project.qde`` - is an error, and that file is never opened.

    Limits (``partner_study.io._limits``): the archive lists at most 100,000 members;
    each file read from it is at most 200 MB uncompressed and all of them together at most
    1 GB (checked against the archive's declared sizes, then while reading); a coded
    selection holds at most 1,000,000 characters; codes nest at most
    :data:`MAX_CODE_DEPTH` levels. Members that are not read (pictures, audio, video, the
    original documents) are not limited.

    Codes: each leaf code of the codebook (and each code with codings of its own) becomes a
    code; its theme is its top-level ancestor (a top-level code without children is its own
    theme). Names become unique snake_case identifiers; the original name is the label.

    Segments: each ``PlainTextSelection`` with its ``Coding``/``CodeRef`` becomes one row
    per code; the coder is the user who made the coding (``Coding@creatingUser``, else the
    selection's), named from ``<Users>``. Selections of the same document with the same
    start and end share a ``segment_id`` (the unit of agreement). ``start``/``end`` are the
    project's own positions; the text is cut from the source's plain text after its
    byte-order mark, with line ends as stored (CRLF counts two), counting UTF-16 code units
    as NVivo and most Windows/Java tools do (code points for QualCoder projects) - the two
    differ only for characters outside the Basic Multilingual Plane such as emoji.

    Participants: each case is a participant; selections belong to the case that
    references them, else to the one case of their document. A document without exactly
    one case (or every document, when the project has no cases) is its own participant,
    which the notes say.

    References
    ----------
    REFI-QDA Project exchange standard, schema Project-mrt2019.xsd
    (https://www.qdasoftware.org).
    """
    project = _Project(Path(path))
    notes: list[str] = []
    try:
        users = {
            u.get("guid", ""): (u.get("name") or u.get("id") or "").strip()
            for u in project.root.iter(project.q("User"))
        }
        codes_by_guid, deep = _codes(project)
        origin = project.root.get("origin") or "unknown software"
        utf16 = "qualcoder" not in origin.lower()
        rows, documents, skipped = _selections(project, codes_by_guid, users, utf16, notes)
    finally:
        project.close()
    seg = pd.DataFrame(
        rows,
        columns=["selection", "source", "document", "start", "end", "coder", "code_key", "text"],
    )
    if seg.empty:
        raise StudyDataError(
            Problem(
                file=project.name,
                found="no coded text selections",
                expected="text sources with codings (PlainTextSelection/Coding)",
                fix="code the documents first, or check that the export included the codings",
            )
        )
    cases, case_variables = _cases(project)
    seg["participant_id"], records = _assign(seg, cases, documents, notes)

    used = set(seg["code_key"])
    entries = [
        _CodeEntry(g, name, top)
        for g, (name, top, parent) in codes_by_guid.items()
        if not parent or g in used
    ]
    parents_used = [name for g, (name, _, parent) in codes_by_guid.items() if parent and g in used]
    if parents_used:
        notes.append(
            f"Codes with sub-codes that were also applied themselves were kept as "
            f"codes: {_shown(parents_used)}."
        )
    if deep:
        notes.append(
            f"{deep} code(s) sit more than one level below their top-level code; "
            "only the top level is kept as their theme."
        )
    by_key, codes, themes = _code_ids(entries)
    seg["code"] = seg["code_key"].map(by_key)
    seg["segment_id"] = _number_segments(seg)
    seg = _drop_repeats(seg, notes)

    variables, frame = _case_variables(records, case_variables, notes)
    by_source = {v.source: v for v in variables}
    auto = {v.name: v.source for v in variables if v.name in ("site", "role")}
    site_values, role_values, consumed = _site_role(
        frame,
        by_source,
        site=site,
        role=role,
        site_column=None,
        role_column=None,
        file=project.name,
        notes=notes,
        auto=auto,
        columns_allowed=False,
    )
    variables = [v for v in variables if v.source not in consumed]
    for v in variables:
        if v.name in RESERVED:
            v.name = f"{v.name}_source"
        _fit_variable(v, frame[v.source], notes)
    table = pd.DataFrame(
        {
            "participant_id": frame["participant_id"],
            "site": site_values.to_numpy(),
            "role": role_values.to_numpy(),
            "collection": "interview",
        }
    )
    for v in variables:
        table[v.name] = frame[v.source].to_numpy()
    notes.append(
        "Every participant's collection was set to 'interview'; change it to "
        "focus_group (with a group_id) where a document is a focus group."
    )
    if utf16 and any(t and any(ord(c) >= 0x10000 for c in t) for _, t in documents.values()):
        notes.append(
            "Positions were read as UTF-16 code units (as NVivo counts): the sources "
            "hold characters outside the Basic Multilingual Plane (e.g. emoji)."
        )
    if skipped:
        notes.append(skipped)
    notes.insert(
        0,
        f"Imported {seg['segment_id'].nunique()} segment(s) ({len(seg)} coding "
        f"row(s)) of {len(table)} participant(s), {len(codes)} code(s) in "
        f"{len(themes)} theme(s) from {Path(path).name} ({origin}).",
    )
    return _qualitative_study(
        table,
        seg,
        codes,
        themes,
        variables=variables,
        study=study,
        title=f"Imported from REFI-QDA ({Path(path).name})",
        made_by="partner_study.io.qdpx.import_qdpx",
        notes=notes,
    )


def _text_sources(project: _Project) -> tuple[list[ET.Element], int]:
    """TextSource elements (PDF sources through their text representation); others count."""
    elements: list[ET.Element] = []
    other = 0
    block = project.root.find(project.q("Sources"))
    for child in list(block) if block is not None else []:
        rep = child.find(project.q("Representation"))
        if child.tag == project.q("TextSource"):
            elements.append(child)
        elif child.tag == project.q("PDFSource") and rep is not None:
            rep.set("name", rep.get("name") or child.get("name") or "")
            rep.set("guid", child.get("guid", ""))
            elements.append(rep)
        else:
            other += 1
    return elements, other


def _selections(
    project: _Project, codes: dict[str, Any], users: dict[str, str], utf16: bool, notes: list[str]
) -> tuple[list[tuple], dict[str, tuple[str, str | None]], str]:
    """Coding rows of every text source, the documents (guid -> name, text), a skip note."""
    rows: list[tuple] = []
    documents: dict[str, tuple[str, str | None]] = {}
    missing_text: list[str] = []
    whole = unknown = 0
    elements, other = _text_sources(project)
    problems: list[Problem] = []
    cut_total = 0
    for src in elements:
        guid = src.get("guid", "")
        document = (src.get("name") or guid).strip()
        text = project.source_text(src)
        documents[guid] = (document, text)
        if text is None:
            missing_text.append(document)
        cut = _cutter(text or "", utf16)
        whole += len(src.findall(project.q("Coding")))
        for sel in src.findall(project.q("PlainTextSelection")):
            span = _span(sel)
            if span is None or (text is not None and span[1] - span[0] > _limits.MAX_CELL_CHARS):
                problems.append(_selection_problem(project, sel, document, span))
                continue
            start, end = span
            piece = cut(start, end) if text is not None else ""
            cut_total += len(piece)
            if cut_total > _limits.MAX_TOTAL_BYTES:
                raise StudyDataError(
                    Problem(
                        file=project.name,
                        found=f"coded selections holding more than "
                        f"{_limits.MAX_TOTAL_BYTES:,} characters of text in all",
                        expected="a project whose segments fit in memory",
                        fix="check that this is the project exported by your QDA software; "
                        "import it in parts (e.g. one export per group of documents)",
                    )
                )
            for coding in sel.findall(project.q("Coding")):
                ref = coding.find(project.q("CodeRef"))
                key = ref.get("targetGUID", "") if ref is not None else ""
                if key not in codes:
                    unknown += 1
                    continue
                user = coding.get("creatingUser") or sel.get("creatingUser") or ""
                coder = users.get(user) or (user[:8] if user else "coder_1")
                rows.append(
                    (sel.get("guid", ""), guid, document, str(start), str(end), coder, key, piece)
                )
    if problems:
        raise StudyDataError(problems)
    if missing_text:
        notes.append(
            f"The plain text of {_shown(missing_text)} was not in the project; their "
            "segments have no text."
        )
    skipped = [
        text
        for n, text in (
            (whole, f"{whole} coding(s) of whole documents"),
            (unknown, f"{unknown} coding(s) of codes missing from the codebook"),
            (other, f"{other} picture/audio/video/PDF source(s)"),
        )
        if n
    ]
    message = (
        f"Left out: {', '.join(skipped)} (only coded text selections are imported)."
        if skipped
        else ""
    )
    return rows, documents, message


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
    project: _Project, selection: ET.Element, document: str, span: tuple[int, int] | None
) -> Problem:
    shown = _shown([selection.get("guid", "")])
    if span is None:
        found = (
            f"selection {shown} of {_shown([document])} from startPosition "
            f"{_shown([selection.get('startPosition', '')])} to endPosition "
            f"{_shown([selection.get('endPosition', '')])}"
        )
        expected = "whole-number positions with start <= end"
    else:
        found = f"selection {shown} of {_shown([document])} of {span[1] - span[0]:,} characters"
        expected = f"at most {_limits.MAX_CELL_CHARS:,} characters per coded selection"
    return Problem(
        file=project.name,
        found=found,
        expected=expected,
        fix="check the selection in your QDA software (split a very long one) and export "
        "the project again",
    )


def _assign(
    seg: pd.DataFrame,
    cases: list[dict[str, Any]],
    documents: dict[str, tuple[str, str | None]],
    notes: list[str],
) -> tuple[pd.Series, list[dict[str, Any]]]:
    """The participant of each coding row, and the participant records (id, case values)."""
    taken: set[str] = set()
    ids = [_unique(c["name"] or "case", taken) for c in cases]
    records = [
        {"participant_id": pid, "values": c["values"]} for c, pid in zip(cases, ids, strict=True)
    ]
    by_selection = {s: pid for c, pid in zip(cases, ids, strict=True) for s in c["selections"]}
    owners: dict[str, list[str]] = {}
    for c, pid in zip(cases, ids, strict=True):
        for s in c["sources"]:
            owners.setdefault(s, []).append(pid)
    single = {s: o[0] for s, o in owners.items() if len(o) == 1}
    owner = seg["selection"].map(by_selection).astype(object)
    owner = owner.where(owner.notna(), seg["source"].map(single).astype(object))
    if not cases:
        orphans = list(documents)
    else:
        orphans = list(dict.fromkeys(seg.loc[owner.isna(), "source"]))
    own = {g: _unique(documents[g][0] or g, taken) for g in orphans}
    records += [{"participant_id": own[g], "values": {}} for g in orphans]
    owner = owner.where(owner.notna(), seg["source"].map(own).astype(object))
    if not cases:
        notes.append(
            "The project has no cases: each document is one participant "
            "(participant_id = document name). Check that each document is one "
            "person; define cases in the QDA software otherwise."
        )
    elif orphans:
        shared = [documents[g][0] for g in orphans if len(owners.get(g, [])) > 1]
        notes.append(
            f"Documents without exactly one case became participants of their own: "
            f"{_shown([own[g] for g in orphans])}"
            + (f" (shared by several cases: {_shown(shared)})" if shared else "")
            + "."
        )
    return owner.astype(object), records


def _case_variables(
    records: list[dict[str, Any]], variables: dict[str, tuple[str, str]], notes: list[str]
) -> tuple[list[_Var], pd.DataFrame]:
    """Draft variables from the cases' variable values, and the participants' value frame."""
    frame = pd.DataFrame({"participant_id": [r["participant_id"] for r in records]})
    drafts: list[_Var] = []
    taken = set(RESERVED) - {"site", "role"}
    for guid, (name, kind) in variables.items():
        values = [r["values"].get(guid, "") for r in records]
        if not any(values):
            continue
        if kind.lower() == "boolean":
            values = [{"1": "true", "0": "false"}.get(v.lower(), v.lower()) for v in values]
        base = _identifier(name)
        ident = _unique(f"{base}_source" if base in taken & set(RESERVED) else base, taken)
        column = f"__case_variable_{len(drafts)}"
        frame[column] = values
        vtype = _VARIABLE_TYPES.get(kind.lower(), "text")
        var = _Var(name=ident, type=vtype, source=column, label=name)
        if vtype == "category":
            var.levels = {"true": "true", "false": "false"}
        drafts.append(var)
    if drafts:
        notes.append(
            f"Case variables became participant variables: {_shown([v.name for v in drafts], 8)}."
        )
    return drafts, frame
