"""The parts of a REFI-QDA project that a study needs: users, codes, sets, cases, variables.

Layer 2 (private to :mod:`partner_study.io.qdpx`). Each QDA program writes the standard its
own way, and these readers take each way:

- codes: a tree of ``<Code>`` (NVivo, MAXQDA, QualCoder: categories are codes with
  ``isCodable="false"``), or a flat list grouped by ``<Set>`` elements holding
  ``<MemberCode>`` (ATLAS.ti code groups), in ``<CodeBook>`` or at the project's top level;
  ``<MemberCode>`` names its code by ``targetGUID`` (the standard) or ``guid`` (ATLAS.ti);
- documents: sets holding ``<MemberSource>`` (MAXQDA and ATLAS.ti document groups);
- participants' variables: on ``<Case>`` elements (NVivo, QualCoder) or directly on a
  source (MAXQDA document variables); values in ``<TextValue>``, ``<IntegerValue>`` ...;
- users: ``<User name>``, else its ``id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

from partner_study.errors import Problem, StudyDataError
from partner_study.io.qdpx.archive import Archive

__all__ = [
    "Sets",
    "MAX_CODE_DEPTH",
    "CodeNode",
    "read_users",
    "read_codes",
    "read_sets",
    "read_cases",
    "read_source_values",
    "text_sources",
]

#: Deepest nesting of codes in a project's code tree (top-level codes are level 1).
MAX_CODE_DEPTH = 100


def _shown(value: str) -> str:
    return f"'{value}'" if len(value) <= 60 else f"'{value[:57]}...'"


@dataclass(frozen=True)
class CodeNode:
    """A code of the project's code tree: its name, its ancestors' names (top first), and
    whether it has sub-codes and may be applied (``isCodable``)."""

    guid: str
    name: str
    ancestors: tuple[str, ...]
    has_children: bool
    codable: bool = True

    @property
    def top(self) -> str:
        """The name of its top-level code (itself at the top)."""
        return self.ancestors[0] if self.ancestors else self.name


@dataclass
class Sets:
    """Named groups of codes (code groups) and of sources (document groups)."""

    codes: dict[str, list[str]] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)


def read_users(archive: Archive) -> dict[str, str]:
    """User guid -> the name a person reads (``name``, else ``id``)."""
    return {
        u.get("guid", ""): (u.get("name") or u.get("id") or "").strip()
        for u in archive.root.iter(archive.q("User"))
    }


def read_codes(archive: Archive) -> dict[str, CodeNode]:
    """Every code of the code tree by guid, in document order.

    The tree is walked with a stack (no recursion); codes nested deeper than
    :data:`MAX_CODE_DEPTH` levels are refused. A codebook file (root ``<CodeBook>``) and a
    project (``<Project><CodeBook>``) are read alike.
    """
    out: dict[str, CodeNode] = {}
    book = archive.root if archive.tag == "CodeBook" else archive.root.find(archive.q("CodeBook"))
    codes = book.find(archive.q("Codes")) if book is not None else None
    if codes is None:
        return out
    stack: list[tuple[ET.Element, tuple[str, ...]]] = [
        (code, ()) for code in reversed(codes.findall(archive.q("Code")))
    ]
    while stack:
        code, ancestors = stack.pop()
        name = " ".join((code.get("name") or code.get("guid") or "").split())
        if len(ancestors) >= MAX_CODE_DEPTH:
            raise StudyDataError(
                Problem(
                    file=archive.name,
                    found=f"codes nested more than {MAX_CODE_DEPTH} levels deep (code "
                    f"{_shown(name)} under top-level code {_shown(ancestors[0])})",
                    expected=f"at most {MAX_CODE_DEPTH} levels of codes",
                    fix="flatten the code tree in your QDA software (the importer keeps only "
                    "the top-level code as the theme) and export the project again",
                )
            )
        children = code.findall(archive.q("Code"))
        guid = code.get("guid", "")
        codable = (code.get("isCodable") or "true").strip().lower() not in ("false", "0")
        out[guid] = CodeNode(guid, name, ancestors, bool(children), codable)
        stack.extend((child, (*ancestors, name)) for child in reversed(children))
    return out


def read_sets(archive: Archive) -> Sets:
    """Code groups and document groups: ``<Set>`` elements anywhere in the file."""
    found = Sets()
    for node in archive.root.iter(archive.q("Set")):
        name = " ".join((node.get("name") or node.get("guid") or "").split())
        for tag, into in (("MemberCode", found.codes), ("MemberSource", found.sources)):
            members = [
                m.get("targetGUID") or m.get("guid") or "" for m in node.findall(archive.q(tag))
            ]
            if members:
                into.setdefault(name, []).extend(members)
    return found


def _value(node: ET.Element, archive: Archive) -> str:
    """The value of a ``<VariableValue>``: the text of its child that is not the reference."""
    ref = archive.q("VariableRef")
    return next((c.text or "" for c in node if c.tag != ref), "").strip()


def _values(element: ET.Element, archive: Archive) -> dict[str, str]:
    values = {}
    for vv in element.findall(archive.q("VariableValue")):
        ref = vv.find(archive.q("VariableRef"))
        if ref is not None:
            values[ref.get("targetGUID", "")] = _value(vv, archive)
    return values


def read_cases(archive: Archive) -> tuple[list[dict[str, Any]], dict[str, tuple[str, str]]]:
    """Cases (name, sources, selections, variable values) and variable guid -> (name, type)."""
    variables = {}
    block = archive.root.find(archive.q("Variables"))
    for var in block.findall(archive.q("Variable")) if block is not None else []:
        variables[var.get("guid", "")] = (
            " ".join((var.get("name") or "").split()),
            var.get("typeOfVariable", "Text"),
        )
    cases = []
    block = archive.root.find(archive.q("Cases"))
    for case in block.findall(archive.q("Case")) if block is not None else []:
        cases.append(
            {
                "name": (case.get("name") or case.get("guid") or "").strip(),
                "sources": [r.get("targetGUID", "") for r in case.findall(archive.q("SourceRef"))],
                "selections": [
                    r.get("targetGUID", "") for r in case.findall(archive.q("SelectionRef"))
                ],
                "values": _values(case, archive),
            }
        )
    return cases, variables


def read_source_values(archive: Archive) -> dict[str, dict[str, str]]:
    """Variable values held by the sources themselves (MAXQDA document variables):
    source guid -> variable guid -> value."""
    out = {}
    block = archive.root.find(archive.q("Sources"))
    for source in list(block) if block is not None else []:
        values = _values(source, archive)
        if values:
            out[source.get("guid", "")] = values
    return out


def text_sources(archive: Archive) -> tuple[list[ET.Element], int]:
    """TextSource elements (PDF sources through their text representation); others count."""
    elements: list[ET.Element] = []
    other = 0
    block = archive.root.find(archive.q("Sources"))
    for child in list(block) if block is not None else []:
        rep = child.find(archive.q("Representation"))
        if child.tag == archive.q("TextSource"):
            elements.append(child)
        elif child.tag == archive.q("PDFSource") and rep is not None:
            rep.set("name", rep.get("name") or child.get("name") or "")
            rep.set("guid", child.get("guid", ""))
            elements.append(rep)
        else:
            other += 1
    return elements, other
