"""What an import did, written as ``IMPORT.md`` beside the imported data.

Layer 2 (imports only :mod:`partner_study.io` helpers). Every importer fills one
:class:`ImportRecord` while it reads an export: the source files and their SHA-256, the rows
kept and the rows dropped (counted by reason), the columns removed because they identify
people, the other columns dropped and why, the recodes applied, and what was guessed and
should be checked. :meth:`ImportRecord.render` gives the Markdown text; the importer puts it
in :attr:`partner_study.io.RawStudy.import_record`, the writer writes it as ``IMPORT.md`` and
``partner-study import ... --dry-run`` prints it without writing anything.

The text is deterministic: no time stamps, no absolute paths (a source is named by its file
name), entries in the order they were recorded, numbers as integers. Cells from the export
(column names, answer texts) are shown with invisible characters escaped, ``|`` and line
breaks neutralised and long texts cut, so a hostile export cannot reshape the record.

Use
---
>>> from partner_study.io.record import ImportRecord
>>> rec = ImportRecord("qualtrics")
>>> rec.kept(5)
>>> rec.dropped(2, "unfinished response (Finished = 0); --keep-unfinished keeps them")
>>> rec.removed("IPAddress", "identifying: IP address of the respondent", identifying=True)
>>> rec.removed("Q7_DO", "display order of the answer options, not an answer")
>>> rec.recoded(["Q2_1", "Q2_2"], {"10": 1, "11": 2})
>>> rec.guessed("Scale 'q2' from the question text of Q2_1 and Q2_2; check its items.")
>>> print(rec.render().splitlines()[0])
# Import record: qualtrics

An importer calls :meth:`ImportRecord.source` first with each file it reads (the data export,
then any survey definition or dictionary); every other method may be called any number of
times, in any order. New methods may be added; the existing ones keep their signatures.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from partner_study.io import escape_invisible

__all__ = ["ImportRecord", "RECORD_FILE", "sha256_of"]

#: The file name of the record in a study folder.
RECORD_FILE = "IMPORT.md"
_CELL_CHARS = 160  # a text from the export is cut to this many characters
_CHUNK = 1 << 20


def sha256_of(path: Path | str) -> str:
    """The SHA-256 of a file's bytes, as 64 hex digits (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _text(value: object, limit: int = _CELL_CHARS) -> str:
    """``value`` as one line of Markdown: invisible characters escaped, ``|`` and backticks
    neutralised, cut to ``limit`` characters."""
    text = escape_invisible(str(value)).replace("|", "\\|").replace("`", "'")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _code(value: object) -> str:
    return f"`{_text(value)}`"


@dataclass
class _Source:
    name: str
    sha256: str
    size: int
    what: str


@dataclass
class ImportRecord:
    """What one import did, to be written as ``IMPORT.md`` (see the module docstring).

    Parameters
    ----------
    kind : str
        The importer, as typed after ``partner-study import`` (``"qualtrics"``).
    unit : str
        What a row of the export is (``"responses"``, ``"records"``, ``"segments"``).
    """

    kind: str
    unit: str = "rows"
    _sources: list[_Source] = field(default_factory=list)
    _kept: int | None = None
    _dropped: dict[str, int] = field(default_factory=dict)
    _dropped_rows: dict[str, list[int]] = field(default_factory=dict)
    _removed: list[tuple[str, str, bool]] = field(default_factory=list)
    _recoded: list[tuple[list[str], list[tuple[str, str]]]] = field(default_factory=list)
    _guessed: list[str] = field(default_factory=list)
    _notes: list[str] = field(default_factory=list)

    # -- recording ---------------------------------------------------------------------------
    def source(self, path: Path | str, *, what: str = "export") -> None:
        """Record a file read: its name (no folders), SHA-256 and size in bytes."""
        path = Path(path)
        self._sources.append(_Source(path.name, sha256_of(path), path.stat().st_size, what))

    def kept(self, n: int) -> None:
        """Record the number of rows kept (the last call counts)."""
        self._kept = int(n)

    def dropped(self, n: int, reason: str, *, rows: Iterable[int] = ()) -> None:
        """Add ``n`` rows dropped for ``reason`` (counts of the same reason add up).

        ``rows``, optional: their row numbers in the export, as a spreadsheet shows them
        (the first ten are listed).
        """
        if n <= 0:
            return
        self._dropped[reason] = self._dropped.get(reason, 0) + int(n)
        listed = self._dropped_rows.setdefault(reason, [])
        listed.extend(int(r) for r in rows)

    def removed(self, column: str, reason: str, *, identifying: bool = False) -> None:
        """Record a column of the export that is not in the study, and why.

        ``identifying=True`` lists it under "Columns removed as identifying" (an IP address,
        an e-mail, a name, a location); otherwise under "Columns dropped".
        """
        self._removed.append((str(column), reason, identifying))

    def recoded(self, columns: str | Iterable[str], mapping: Mapping[Any, Any]) -> None:
        """Record that the values of ``columns`` were recoded (``{found: written}``).

        Columns sharing the same mapping may be given in one call, or in several: calls
        with an identical mapping are shown together.
        """
        names = [columns] if isinstance(columns, str) else [str(c) for c in columns]
        pairs = [(str(k), str(v)) for k, v in mapping.items()]
        for seen_columns, seen_pairs in self._recoded:
            if seen_pairs == pairs:
                seen_columns.extend(c for c in names if c not in seen_columns)
                return
        self._recoded.append((names, pairs))

    def guessed(self, text: str) -> None:
        """Record something the importer guessed and the user should check."""
        if text not in self._guessed:
            self._guessed.append(text)

    def note(self, text: str) -> None:
        """Record anything else the user should know about the import."""
        if text not in self._notes:
            self._notes.append(text)

    # -- reading back ------------------------------------------------------------------------
    @property
    def identifying(self) -> list[str]:
        """The columns removed as identifying, in the order recorded."""
        return [c for c, _, ident in self._removed if ident]

    @property
    def dropped_counts(self) -> dict[str, int]:
        """Rows dropped, by reason."""
        return dict(self._dropped)

    def render(self) -> str:
        """The record as Markdown (the text of ``IMPORT.md``); the same input, the same text."""
        out = [
            f"# Import record: {_text(self.kind)}",
            "",
            f"Written by `partner-study import {_text(self.kind)}`. It says what was read, what "
            "was kept, removed, recoded and guessed. Check the guesses before analysing.",
            "",
            "## Source",
            "",
        ]
        if self._sources:
            out += ["| file | what | SHA-256 | bytes |", "|---|---|---|---:|"]
            out += [
                f"| {_code(s.name)} | {_text(s.what)} | `{s.sha256}` | {s.size} |"
                for s in self._sources
            ]
        else:
            out.append("(no file recorded)")
        dropped = sum(self._dropped.values())
        out += ["", f"## {_text(self.unit).capitalize()}", ""]
        if self._kept is not None:
            total = self._kept + dropped
            out.append(f"- kept: {self._kept} of {total}")
        out.append(f"- dropped: {dropped}")
        for reason, n in self._dropped.items():
            rows = self._dropped_rows.get(reason, [])
            where = ""
            if rows:
                shown = ", ".join(str(r) for r in rows[:10])
                where = f" (rows {shown}{', ...' if len(rows) > 10 else ''})"
            out.append(f"  - {n}: {_text(reason, 400)}{where}")
        out += self._columns("Columns removed as identifying", identifying=True)
        out += self._columns("Columns dropped", identifying=False)
        out += ["", "## Recodes", ""]
        if self._recoded:
            out += ["| columns | found -> written |", "|---|---|"]
            for columns, pairs in self._recoded:
                names = ", ".join(_code(c) for c in columns[:12])
                if len(columns) > 12:
                    names += f" and {len(columns) - 12} more"
                mapping = ", ".join(f"{_code(k)} -> {_code(v)}" for k, v in pairs[:20])
                if len(pairs) > 20:
                    mapping += f" and {len(pairs) - 20} more"
                out.append(f"| {names} | {mapping} |")
        else:
            out.append("None.")
        out += ["", "## Guessed: check these", ""]
        out += [f"- {_text(g, 600)}" for g in self._guessed] or ["Nothing."]
        if self._notes:
            out += ["", "## Notes", ""]
            out += [f"- {_text(n, 600)}" for n in self._notes]
        return "\n".join(out) + "\n"

    def _columns(self, title: str, *, identifying: bool) -> list[str]:
        rows = [(c, r) for c, r, ident in self._removed if ident is identifying]
        out = ["", f"## {title}", ""]
        if not rows:
            return [*out, "None."]
        out += ["| column | why |", "|---|---|"]
        out += [f"| {_code(c)} | {_text(r, 400)} |" for c, r in rows]
        return out
