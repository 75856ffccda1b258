"""Guarded reading of a REFI-QDA file: the archive, its XML and the source texts in it.

Layer 2 (private to :mod:`partner_study.io.qdpx`). A REFI-QDA project (``.qdpx``) is a zip
holding ``project.qde`` (XML) and a ``sources/`` folder; a codebook (``.qdc``) is one XML
file. Every byte is read by :meth:`Archive.read`: a member of the archive, or a file of the
folder holding a bare ``project.qde``, each within the limits of
``partner_study.io._limits``. The XML is parsed without its document type declaration (a
``<!DOCTYPE>`` is refused), so no entity is ever defined or expanded; source texts come
only from the project's own ``sources/`` folder.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from partner_study.errors import Problem, StudyDataError
from partner_study.io import _limits

__all__ = ["Archive", "EXPORT_FIX", "relative_parts"]

EXPORT_FIX = (
    "export the project from your QDA software as 'REFI-QDA Project (.qdpx)' "
    "(NVivo: File > Export > Export Project; ATLAS.ti / MAXQDA / QualCoder: Export > REFI-QDA)"
)
#: The bare XML files read without an archive: a project or a codebook exchange file.
_BARE_SUFFIXES = (".qde", ".qdc", ".xml")


def _shown(value: str, width: int = 60) -> str:
    return f"'{value}'" if len(value) <= width else f"'{value[: width - 3]}...'"


def _starts_as_zip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def _starts_as_xml(path: Path) -> bool:
    """Whether the file starts like XML (a codebook or project saved under another name)."""
    with path.open("rb") as fh:
        head = fh.read(64).removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"<")


class _DoctypeFound(Exception):
    """Raised while parsing when the XML declares a document type (DTD, entities)."""


class _NoDoctypeBuilder(ET.TreeBuilder):
    """A tree builder that stops at a ``<!DOCTYPE>``: REFI-QDA XML never has one."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise _DoctypeFound(name)


def relative_parts(path: str) -> list[str] | None:
    """The parts of a relative path (``/`` or ``\\`` separated), or None when the path is
    absolute, empty or climbs with ``..``, i.e. could name a file outside its folder."""
    text = path.replace("\\", "/")
    if text.startswith("/") or re.match(r"[A-Za-z]:", text) or "\x00" in text:
        return None
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return parts


class Archive:
    """An opened REFI-QDA file: its parsed XML (:attr:`root`) and guarded reads.

    Parameters
    ----------
    path : Path
        A ``.qdpx`` zip (its ``.qde`` member is parsed), or a bare ``.qde`` / ``.qdc`` XML
        file (``sources/`` beside a bare ``project.qde`` holds its texts).
    expected : str
        What the file should be, for messages.
    """

    def __init__(self, path: Path, *, expected: str) -> None:
        self.path, self.name, self.expected = path, str(path), expected
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, zipfile.ZipInfo] = {}  # lower-case name -> member
        self._prefix = ""  # folder of project.qde inside the archive
        self._total = 0  # bytes read so far
        self._texts: dict[str, str] = {}
        if not path.is_file():
            raise StudyDataError(
                Problem(
                    file=self.name, found="no such file", expected=expected, fix="check the path"
                )
            )
        try:
            if zipfile.is_zipfile(path):
                self._xml = self._open_zip()
            elif _starts_as_zip(path):
                raise self.error(
                    "a damaged or truncated zip archive (its table of contents, at the end "
                    "of the file, is missing)",
                    fix="copy or download the file again (it was cut short), or export the "
                    "project again from your QDA software",
                )
            elif path.suffix.lower() in _BARE_SUFFIXES or _starts_as_xml(path):
                _limits.check_file_size(path, name=self.name, fix=EXPORT_FIX)
                self._xml = path.name
            else:
                raise self.error("a file that is not a zip archive")
            self.root = self._parse(self._read(self._xml))
        except BaseException:
            self.close()
            raise
        tag = self.root.tag
        self.ns = tag[: tag.index("}") + 1] if tag.startswith("{") else ""
        self.tag = tag[len(self.ns) :]

    @property
    def member(self) -> str:
        """The name of the XML file read (``project.qde`` in a project)."""
        return self._prefix + self._xml if self._zip is not None else self._xml

    def close(self) -> None:
        """Close the archive (nothing is read after this)."""
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def q(self, name: str) -> str:
        """The qualified tag ``name`` in the file's namespace."""
        return self.ns + name

    def error(self, found: str, *, fix: str = EXPORT_FIX) -> StudyDataError:
        return StudyDataError(Problem(file=self.name, found=found, expected=self.expected, fix=fix))

    def _parse(self, data: bytes) -> ET.Element:
        """The XML tree; a document type declaration is refused, so no entity is ever
        defined or expanded."""
        parser = ET.XMLParser(target=_NoDoctypeBuilder())
        try:
            parser.feed(data)
            return parser.close()
        except _DoctypeFound:
            raise self.error(
                f"{self._xml} with a document type declaration (<!DOCTYPE>, which can "
                "define entities)"
            ) from None
        except ET.ParseError as exc:
            raise self.error(f"{self._xml} that is not well-formed XML ({exc})") from None

    def _open_zip(self) -> str:
        """Open the archive (member count checked first); the project file's member name,
        relative to the folder that holds it."""
        _limits.check_zip_entries(self.path, name=self.name, fix=EXPORT_FIX)
        try:
            self._zip = zipfile.ZipFile(self.path)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise self.error(f"a damaged zip archive ({exc})") from None
        if len(infos) > _limits.MAX_MEMBERS:
            raise self.error(
                f"an archive of {len(infos):,} members (at most {_limits.MAX_MEMBERS:,} are read)"
            )
        projects = [i.filename for i in infos if i.filename.lower().endswith((".qde", ".qdc"))]
        if not projects:
            names = ", ".join(_shown(i.filename) for i in infos[:4])
            more = f" and {len(infos) - 4} more" if len(infos) > 4 else ""
            raise self.error(f"a zip without project.qde ({names}{more})")
        for info in infos:
            self._members.setdefault(info.filename.lower(), info)
        folder, _, qde = sorted(projects, key=len)[0].rpartition("/")
        self._prefix = f"{folder}/" if folder else ""
        return qde

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

    def has(self, member: str) -> bool:
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
            file = self.path if member == self._xml else (self.path.parent / member).resolve()
            # links are followed, then the file must lie in <project folder>/sources
            # (a sources folder that is itself a link to elsewhere does not qualify)
            if file != self.path and not file.is_relative_to(
                self.path.parent.resolve() / "sources"
            ):
                raise self.outside(member, "a link that leads out of the sources folder")
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
            raise self.error(f"'{member}' that can't be read ({exc})") from None
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
            raise self.error(f"'{member}' damaged ({exc})") from None
        if data is None:
            raise self._limit_error(
                member,
                f"of more than {_limits.size_text(limit)} once uncompressed (its declared "
                f"size is {_limits.size_text(declared)})",
            )
        self._total += len(data)
        return data

    def outside(self, ref: str, why: str) -> StudyDataError:
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

    def source_member(self, ref: str) -> str:
        """The path, relative to the project's folder, of the file ``ref`` names.

        A bare relative name (``doc1.txt``, as some programs write it) names a file of
        ``sources/``. Raises a StudyDataError for any reference to a place outside the
        ``sources/`` folder: ``file://`` URLs, absolute paths, paths with ``..``, other
        schemes, and ``relative://`` paths when the project sets a ``basePath`` (they are
        relative to it).
        """
        scheme, sep, rest = ref.partition("://")
        scheme = scheme.lower() if sep else ""
        if scheme == "internal":
            parts = relative_parts(rest)
            if parts is None:
                raise self.outside(ref, "a path that leaves the sources folder")
            return "sources/" + "/".join(parts)
        if scheme == "relative":
            base = (self.root.get("basePath") or "").strip()
            if base:
                raise self.outside(ref, f"relative to basePath '{base}', outside the project")
            parts = relative_parts(rest)
            if parts is None or len(parts) < 2 or parts[0].lower() != "sources":
                raise self.outside(ref, "a path outside the project's sources folder")
            return "/".join(parts)
        if scheme == "file":
            raise self.outside(ref, "a file on disk")
        parts = relative_parts(ref) if not sep else None
        if parts is not None:  # a bare file name (qc, some R tools): a file of sources/
            if parts[0].lower() == "sources" and len(parts) > 1:
                parts = parts[1:]
            return "sources/" + "/".join(parts)
        raise self.outside(ref, "not an internal:// path")

    def source_text(self, element: ET.Element) -> str | None:
        """The plain text of a TextSource (BOM removed), or None when it can't be found.

        Text held in the project itself (``<PlainTextContent>``, as some tools write it)
        is used first; else the file ``plainTextPath`` names in ``sources/``.
        """
        inline = element.find(self.q("PlainTextContent"))
        if inline is not None:
            return (inline.text or "").removeprefix("\ufeff")
        ref = (element.get("plainTextPath") or "").strip()
        if not ref:
            return None
        member = self.source_member(ref)
        if member not in self._texts:
            if not self.has(member):
                return None
            data = self._read(member)
            self._texts[member] = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
        return self._texts[member]
