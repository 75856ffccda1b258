"""Codes and their themes from a codebook: REFI-QDA (``.qdc``, a project) or a code list.

Layer 2. :func:`read_code_list` reads the codes a QDA program exported without codings:

- a REFI-QDA codebook (``.qdc``, root ``<CodeBook>``; NVivo, ATLAS.ti, MAXQDA, QualCoder,
  Taguette write one) or the codebook of a project (``.qdpx``/``.qde``);
- a code list table (CSV or Excel) with a ``Code`` column and code groups in columns named
  ``Code Group 1``, ``Code Group 2`` ... or ``Groups`` (ATLAS.ti's code manager export), or a
  ``Parent\\Child`` path in ``Code`` (MAXQDA's code system export).

A code's theme is its top-level code in a code tree; a code without parent or children
takes its code group (ATLAS.ti, whose codes are flat), else it is its own theme.
:func:`codes_section` drafts the ``themes:`` and ``codes:`` sections of a codebook.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from partner_study.errors import Problem, StudyDataError
from partner_study.io._draft import _Dumper
from partner_study.io._naming import _shown
from partner_study.io._source import _read_source
from partner_study.io.qdpx.archive import Archive
from partner_study.io.qdpx.draft import CodeEntry, code_ids
from partner_study.io.qdpx.project import CodeNode, read_codes, read_sets
from partner_study.io.record import ImportRecord

__all__ = ["CodeList", "read_code_list", "themes_of", "codes_section", "PATH_SEPARATOR"]

#: How a code's path is written in table exports (MAXQDA: ``Parent\Child``).
PATH_SEPARATOR = "\\"
_TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
_EXPECTED = (
    "a codebook: a REFI-QDA codebook (.qdc) or project (.qdpx), or a code list table "
    "(CSV or Excel) with a 'Code' column"
)


@dataclass
class CodeList:
    """Codes of a codebook in order: entries (key = the code's path), and how they were
    grouped into themes."""

    entries: list[CodeEntry]
    origin: str
    grouped: int = 0  # codes whose theme is a code group
    name: str = ""

    def by_path(self) -> dict[str, CodeEntry]:
        return {e.key: e for e in self.entries}

    def by_name(self) -> dict[str, CodeEntry]:
        """Entries by code name, for names that only one code has."""
        counts: dict[str, int] = {}
        for e in self.entries:
            counts[e.name.casefold()] = counts.get(e.name.casefold(), 0) + 1
        return {e.name.casefold(): e for e in self.entries if counts[e.name.casefold()] == 1}


def themes_of(
    nodes: dict[str, CodeNode], code_sets: dict[str, list[str]]
) -> tuple[dict[str, str], int]:
    """Code guid -> theme name, and how many codes took their code group.

    In a code tree a code's theme is its top-level code. In a flat list of codes (as
    ATLAS.ti keeps them) a code named ``Theme: Code`` belongs to the theme its name starts
    with, a code that other codes' names start with is its own theme, and any other code
    takes its (first) code group, else is its own theme.
    """
    group_of: dict[str, str] = {}
    for group, members in code_sets.items():
        for guid in members:
            group_of.setdefault(guid, group)
    flat = not any(node.has_children for node in nodes.values())
    prefixes = {_prefix(node.name) for node in nodes.values()} if flat else set()
    themes, grouped = {}, 0
    for guid, node in nodes.items():
        prefix = _prefix(node.name) if flat else ""
        if node.ancestors or node.has_children or node.name in prefixes:
            themes[guid] = node.top
        elif prefix:
            themes[guid] = prefix
        elif guid in group_of:
            themes[guid] = group_of[guid]
            grouped += 1
        else:
            themes[guid] = node.name
    return themes, grouped


def _prefix(name: str) -> str:
    """The theme a flat code's name starts with (``Theme: Code``), or ""."""
    match = re.match(r"^([^:]{1,80}?)\s*:\s+\S", name)
    return match.group(1) if match else ""


def read_code_list(path: str | Path) -> CodeList:
    """The codes of a codebook file (see the module docstring), in the file's order."""
    path = Path(path)
    if path.suffix.lower() in _TABLE_SUFFIXES:
        return _table_codes(path)
    archive = Archive(path, expected=_EXPECTED)
    try:
        if archive.tag not in ("CodeBook", "Project"):
            raise archive.error(f"an XML root <{archive.tag}>")
        nodes = read_codes(archive)
        sets = read_sets(archive)
        origin = archive.root.get("origin") or "unknown software"
    finally:
        archive.close()
    if not nodes:
        raise StudyDataError(
            Problem(
                file=str(path),
                found="a codebook without codes (no <Code> under <CodeBook><Codes>)",
                expected=_EXPECTED,
                fix="export the codebook again from your QDA software, with its codes",
            )
        )
    themes, grouped = themes_of(nodes, sets.codes)
    entries = [
        CodeEntry(PATH_SEPARATOR.join((*n.ancestors, n.name)), n.name, themes[g])
        for g, n in nodes.items()
        if n.codable and not n.has_children
    ] or [
        CodeEntry(PATH_SEPARATOR.join((*n.ancestors, n.name)), n.name, themes[g])
        for g, n in nodes.items()
    ]
    return CodeList(entries, origin, grouped, str(path))


def _table_codes(path: Path) -> CodeList:
    frame, name = _read_source(path, "code list", smaller="fewer codes")
    lower = {c.strip().casefold(): c for c in frame.columns}
    code = next((lower[k] for k in ("code", "codes", "code name", "name") if k in lower), None)
    if code is None:
        raise StudyDataError(
            Problem(
                file=name,
                row=1,
                found=f"the columns {_shown(list(frame.columns), 8)}",
                expected=_EXPECTED,
                fix="export the code list with its 'Code' column (ATLAS.ti: Code Manager > "
                "Export; MAXQDA: Codes > Export code system), or pass a .qdc codebook",
            )
        )
    group_columns = [
        c for c in frame.columns if re.fullmatch(r"(code )?groups?( \d+)?", c.strip().casefold())
    ]
    entries, grouped, seen = [], 0, set()
    prefixes = {_prefix(str(c).replace("●", "").strip()) for c in frame[code]}
    for _, row in frame.iterrows():
        cell = str(row[code]).replace("●", "").strip()
        if not cell:
            continue
        parts = [p.strip() for p in cell.split(PATH_SEPARATOR) if p.strip()]
        groups = [str(row[c]).strip() for c in group_columns if str(row[c]).strip()]
        if len(parts) > 1 or parts[0] in prefixes:
            theme = parts[0]
        elif _prefix(parts[0]):
            theme = _prefix(parts[0])
        elif groups:
            theme, grouped = groups[0], grouped + 1
        else:
            theme = parts[0]
        key = PATH_SEPARATOR.join(parts)
        if key in seen:
            continue
        seen.add(key)
        entries.append(CodeEntry(key, parts[-1], theme))
    if not entries:
        raise StudyDataError(
            Problem(
                file=name,
                column=code,
                found="no code name",
                expected=_EXPECTED,
                fix="check that this is the code list exported by your QDA software",
            )
        )
    return CodeList(entries, "code list", grouped, name)


def codes_section(path: str | Path, *, record: ImportRecord | None = None) -> tuple[str, list[str]]:
    """The ``themes:`` and ``codes:`` sections of a codebook drafted from a codebook file,
    as YAML to put in ``codebook.yaml``, and the notes on what was assumed."""
    found = read_code_list(path)
    _, codes, themes = code_ids(found.entries)
    notes = [
        f"{len(codes)} code(s) in {len(themes)} theme(s) from {Path(path).name} ({found.origin})."
    ]
    if found.grouped:
        notes.append(f"{found.grouped} code(s) without a parent took their code group as theme.")
    notes.append(
        "Themes are the top-level codes (or code groups); check the theme names and labels."
    )
    if record is not None:
        record.kept(len(codes))
        for note in notes:
            record.note(note)
    header = [
        f"# Draft themes and codes from {Path(path).name}, written by partner-study import qdc.",
        "# Put these two sections in the study's codebook.yaml (replacing its own), then",
        "# check every entry. Notes:",
        *(f"# - {n}" for n in notes),
    ]
    body = yaml.dump(
        {"themes": themes, "codes": codes},
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return "\n".join(header) + "\n" + body, notes
