"""Import a REFI-QDA project (``.qdpx``) as a draft study of coded segments.

Layer 2. :func:`import_qdpx` reads the project exchanged by NVivo, ATLAS.ti, MAXQDA,
QualCoder and other QDA software in the REFI-QDA standard and returns a
:class:`partner_study.io.RawStudy`: ``participants``, ``segments`` (one row per coded text
selection per coder per code, with the text cut from the source) and a draft
``codebook.yaml`` with the codes and their themes; its import record says what was kept,
left out and guessed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.io import RawStudy
from partner_study.io._draft import RESERVED, _Var
from partner_study.io._naming import _identifier, _shown, _unique
from partner_study.io.qdpx.archive import Archive
from partner_study.io.qdpx.codebook import PATH_SEPARATOR, CodeList, read_code_list, themes_of
from partner_study.io.qdpx.draft import (
    CodeEntry,
    code_ids,
    drop_repeats,
    number_segments,
    qualitative_study,
)
from partner_study.io.qdpx.people import (
    facesheet_variables,
    in_document_order,
    participants_table,
    read_facesheet,
    resolve,
    turns,
)
from partner_study.io.qdpx.project import (
    CodeNode,
    read_cases,
    read_codes,
    read_sets,
    read_source_values,
    read_users,
)
from partner_study.io.qdpx.selections import ROW_COLUMNS, counts_code_points, read_selections
from partner_study.io.record import ImportRecord

__all__ = ["import_qdpx"]

_VARIABLE_TYPES = {"integer": "integer", "float": "number", "boolean": "category"}
_EXPECTED = (
    "a REFI-QDA project: a .qdpx zip holding project.qde (XML, root <Project>) and the sources"
)


def import_qdpx(
    path: str | Path,
    *,
    role: str | None = None,
    site: str | None = None,
    study: str = "qdpx",
    participants: str | Path | None = None,
    codebook: str | Path | None = None,
    site_column: str | None = None,
    role_column: str | None = None,
) -> RawStudy:
    """Turn a REFI-QDA project (``.qdpx``) into a draft study of coded segments.

    Parameters
    ----------
    path : path-like
        The ``.qdpx`` file (or a bare ``project.qde`` with a ``sources/`` folder beside it).
    role, site : str, optional
        The role / site of every participant, when neither the cases, the facesheet nor a
        column say it.
    study : str
        The study name written in the codebook.
    participants : path-like, optional
        A facesheet (CSV or Excel, one row per participant): matched to the documents and
        speakers; its columns become participant variables.
    codebook : path-like, optional
        A codebook (``.qdc``, a project, or a code list table) whose themes and labels the
        draft takes (see :func:`partner_study.io.qdpx.codebook.read_code_list`).
    site_column, role_column : str, optional
        The case or facesheet variable (or ``document_group``) holding each participant's
        site / role.

    Returns
    -------
    RawStudy
        ``participants`` (participant_id, site, role, collection, group_id when a document
        is a focus group, the variables), ``segments`` (segment_id, participant_id, document,
        start, end, coder, code, text; ``survey`` is ``None``), the codebook text, ``notes``
        and the import record.

    Raises
    ------
    StudyDataError
        When the file is missing, not a zip, has no ``project.qde`` or is not REFI-QDA XML
        (a ``<!DOCTYPE>`` is refused; a codebook ``.qdc`` is not a project); when the project
        has no coded text selections; when a source's text is not stored in the project;
        when a member is damaged or encrypted; when a selection's positions are not whole
        numbers with start <= end; or when a limit is passed.

    Notes
    -----
    Only the project is read: ``project.qde`` and the texts of its ``sources/`` folder
    (``plainTextPath="internal://..."``, or ``relative://sources/...`` without a
    ``basePath``; text held in ``<PlainTextContent>``). A reference to anything else is an
    error, and that file is never opened.

    Limits (``partner_study.io._limits``): the archive lists at most 100,000 members; each
    file read from it is at most 200 MB uncompressed and all of them together at most 1 GB;
    a coded selection holds at most 1,000,000 characters; codes nest at most
    :data:`partner_study.io.qdpx.MAX_CODE_DEPTH` levels.

    Codes: each leaf code (and each code with codings of its own) becomes a code; its theme
    is its top-level code, or for a code without parent and children its code group
    (ATLAS.ti), else itself. Names become unique snake_case identifiers; the name is the
    label.

    Segments: each ``PlainTextSelection`` with its codings becomes one row per code; the
    coder is the user who made the coding (``Coding@creatingUser``, else the selection's),
    named from ``<Users>``. Selections of the same document with the same start and end
    share a ``segment_id``. Positions are the project's own: UTF-16 code units, or code
    points when the project comes from QualCoder or another program that counts so.

    Participants: each case is a participant; selections belong to the case that
    references them, else to the one case of their document. A document without exactly
    one case (or every document, when the project has no cases) is its own participant.
    Speaker turns then give participants (see :mod:`partner_study.io.qdpx.people`).

    References
    ----------
    REFI-QDA Project exchange standard, schema Project-mrt2019.xsd
    (https://www.qdasoftware.org).
    """
    record = ImportRecord("qdpx", unit="coding rows")
    notes: list[str] = []
    archive = Archive(Path(path), expected=_EXPECTED)
    try:
        if archive.tag == "CodeBook":
            raise archive.error(
                "a REFI-QDA codebook (root <CodeBook>), not a project",
                fix="to draft the codes of a codebook from it run `partner-study import qdc "
                "FILE --out codes.yaml`, or pass it as --codebook FILE with the coded data",
            )
        if archive.tag != "Project":
            raise archive.error(f"an XML root <{archive.tag}>")
        record.source(path, what="REFI-QDA project")
        users = read_users(archive)
        nodes = read_codes(archive)
        sets = read_sets(archive)
        origin = (archive.root.get("origin") or "unknown software").strip()
        utf16 = not counts_code_points(origin)
        found = read_selections(archive, nodes, users, utf16=utf16)
        cases, case_variables = read_cases(archive)
        source_values = read_source_values(archive)
    finally:
        archive.close()
    seg = pd.DataFrame(found.rows, columns=list(ROW_COLUMNS))
    if seg.empty:
        raise StudyDataError(
            Problem(
                file=archive.name,
                found="no coded text selections"
                + (f" ({len(nodes)} code(s), no codings)" if nodes else ""),
                expected="text sources with codings (PlainTextSelection/Coding)",
                fix="code the documents first, or check that the export included the codings"
                + (
                    "; to draft only the codes of a codebook from this project run "
                    "`partner-study import qdc FILE --out codes.yaml`"
                    if nodes
                    else ""
                ),
            )
        )
    sheet = read_facesheet(participants) if participants is not None else None
    if sheet is not None and participants is not None:
        record.source(participants, what="participants (facesheet)")
    code_list = read_code_list(codebook) if codebook is not None else None
    if code_list is not None and codebook is not None:
        record.source(codebook, what="codebook")

    default, records, base = _assign(seg, cases, found.documents, notes)
    if not cases and sheet is None:
        record.guessed(
            "The project has no cases: each document is one participant, named by the "
            "document (define cases in the QDA software, or pass --participants)."
        )
    speakers, repeated = _speakers(seg, found.documents)
    resolved = resolve(
        pd.DataFrame({"document": seg["document"], "default": default, "speaker": speakers}),
        facesheet=sheet,
        record=record,
        notes=notes,
        repeated=repeated,
    )
    seg["participant_id"] = resolved.participant
    seg = seg.loc[seg["participant_id"].ne("")].reset_index(drop=True)
    if seg.empty:
        raise StudyDataError(
            Problem(
                file=archive.name,
                found="no coded selection in a participant's speaker turn",
                expected="codings of participants' words",
                fix="check the speaker labels of the transcripts and the facesheet",
            )
        )

    entries, parents_used = _entries(nodes, sets.codes, set(seg["code_key"]), code_list, notes)
    by_key, codes, themes = code_ids(entries)
    seg["code"] = seg["code_key"].map(by_key)
    seg["segment_id"] = number_segments(seg)
    seg = drop_repeats(seg, notes, record)
    if parents_used:
        notes.append(
            f"Codes with sub-codes that were also applied themselves were kept as "
            f"codes: {_shown(parents_used)}."
        )

    # every case and document is a participant (silent ones too), but a document whose
    # turns gave participants stands for them, not for a person of its own
    ids = in_document_order([(doc, pid) for pid, doc in base], seg, resolved.documents)
    frame, variables = _values(
        ids, seg, records, case_variables, source_values, sets.sources, notes
    )
    if sheet is not None:
        extra, more = facesheet_variables(sheet, ids, record, notes)
        frame = frame.merge(extra, on="participant_id", how="left").fillna("")
        variables += more
    table, variables = participants_table(
        frame,
        variables,
        groups=resolved.groups,
        site=site,
        role=role,
        site_column=site_column,
        role_column=role_column,
        file=archive.name,
        notes=notes,
    )
    _left_out(found, record, notes, utf16)
    notes.insert(
        0,
        f"Imported {seg['segment_id'].nunique()} segment(s) ({len(seg)} coding "
        f"row(s)) of {len(table)} participant(s), {len(codes)} code(s) in "
        f"{len(themes)} theme(s) from {Path(path).name} ({origin}).",
    )
    return qualitative_study(
        table,
        seg,
        codes,
        themes,
        variables=variables,
        study=study,
        title=f"Imported from REFI-QDA ({Path(path).name})",
        made_by="partner_study.io.qdpx.import_qdpx",
        notes=notes,
        record=record,
    )


def _speakers(
    seg: pd.DataFrame, documents: dict[str, tuple[str, str | None]]
) -> tuple[pd.Series, dict[str, set[str]]]:
    """The speaker label of each row's turn, and each document's repeated labels."""
    speakers = pd.Series("", index=seg.index, dtype=object)
    repeated: dict[str, set[str]] = {}
    for source, rows in seg.groupby("source", sort=False).groups.items():
        name, text = documents[str(source)]
        if not text:
            continue
        starts, labels, again = turns(text)
        if not labels:
            continue
        repeated[name] = repeated.get(name, set()) | again
        at = seg.loc[rows, "at"].to_numpy(dtype=np.int64)
        k = np.searchsorted(starts, at, side="right") - 1
        named = np.asarray(labels, dtype=object)[np.maximum(k, 0)]
        speakers.loc[rows] = pd.Series(np.where(k >= 0, named, ""), index=rows, dtype=object)
    return speakers, repeated


def _entries(
    nodes: dict[str, CodeNode],
    code_sets: dict[str, list[str]],
    used: set[str],
    code_list: CodeList | None,
    notes: list[str],
) -> tuple[list[CodeEntry], list[str]]:
    """Code entries (key = code guid) for the draft, and the parents applied themselves."""
    themes, grouped = themes_of(nodes, code_sets)
    if grouped:
        notes.append(
            f"{grouped} code(s) without parent or sub-codes took their code group as theme."
        )
    entries = [
        CodeEntry(g, n.name, themes[g])
        for g, n in nodes.items()
        if (not n.has_children and n.codable) or g in used
    ]
    parents = [n.name for g, n in nodes.items() if n.has_children and g in used]
    deep = sum(len(n.ancestors) >= 2 and not n.has_children for n in nodes.values())
    if deep:
        notes.append(
            f"{deep} code(s) sit more than one level below their top-level code; "
            "only the top level is kept as their theme."
        )
    if code_list is None:
        return entries, parents
    by_path, by_name = code_list.by_path(), code_list.by_name()
    out, matched = [], set()
    for e in entries:
        node = nodes[e.key]
        hit = by_path.get(PATH_SEPARATOR.join((*node.ancestors, node.name))) or by_name.get(
            node.name.casefold()
        )
        if hit is not None:
            matched.add(hit.key)
            out.append(CodeEntry(e.key, hit.name, hit.theme))
        else:
            out.append(e)
    unused = [e for e in code_list.entries if e.key not in matched]
    out += [CodeEntry(f"codebook:{e.key}", e.name, e.theme) for e in unused]
    notes.append(
        f"Themes and labels of {len(matched)} code(s) were taken from {Path(code_list.name).name}"
        + (f"; {len(unused)} code(s) of it are not applied in the project" if unused else "")
        + "."
    )
    return out, parents


def _assign(
    seg: pd.DataFrame,
    cases: list[dict[str, Any]],
    documents: dict[str, tuple[str, str | None]],
    notes: list[str],
) -> tuple[pd.Series, dict[str, dict[str, str]], list[tuple[str, str]]]:
    """The participant of each coding row from the cases, each case's variable values, and
    every participant the project gives: (id, document name or "" for a case)."""
    taken: set[str] = set()
    ids = [_unique(c["name"] or "case", taken) for c in cases]
    values = {pid: c["values"] for c, pid in zip(cases, ids, strict=True)}
    by_selection = {s: pid for c, pid in zip(cases, ids, strict=True) for s in c["selections"]}
    owners: dict[str, list[str]] = {}
    for c, pid in zip(cases, ids, strict=True):
        for s in c["sources"]:
            owners.setdefault(s, []).append(pid)
    single = {s: o[0] for s, o in owners.items() if len(o) == 1}
    owner = seg["selection"].map(by_selection).astype(object)
    owner = owner.where(owner.notna(), seg["source"].map(single).astype(object))
    orphans = list(documents) if not cases else list(dict.fromkeys(seg.loc[owner.isna(), "source"]))
    own = {g: _unique(documents[g][0] or g, taken) for g in orphans}
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
    base = [(pid, "") for pid in ids] + [(own[g], documents[g][0]) for g in orphans]
    return owner.astype(object), values, base


def _values(
    ids: list[str],
    seg: pd.DataFrame,
    case_values: dict[str, dict[str, str]],
    variables: dict[str, tuple[str, str]],
    source_values: dict[str, dict[str, str]],
    source_sets: dict[str, list[str]],
    notes: list[str],
) -> tuple[pd.DataFrame, list[_Var]]:
    """The participants' variable values (cases, else their document's) and the drafts."""
    first_source = seg.drop_duplicates("participant_id").set_index("participant_id")["source"]
    frame = pd.DataFrame({"participant_id": ids})
    drafts: list[_Var] = []
    taken = set(RESERVED) - {"site", "role"}
    for guid, (name, kind) in variables.items():
        column = []
        for pid in ids:
            value = case_values.get(pid, {}).get(guid)
            if value is None:
                value = source_values.get(first_source.get(pid, ""), {}).get(guid, "")
            column.append(value)
        if not any(column):
            continue
        if kind.lower() == "boolean":
            column = [{"1": "true", "0": "false"}.get(v.lower(), v.lower()) for v in column]
        base = _identifier(name)
        ident = _unique(f"{base}_source" if base in taken & set(RESERVED) else base, taken)
        source = f"__case_variable_{len(drafts)}"
        frame[source] = column
        vtype = _VARIABLE_TYPES.get(kind.lower(), "text")
        var = _Var(name=ident, type=vtype, source=source, label=name)
        if vtype == "category":
            var.levels = {"true": "true", "false": "false"}
        drafts.append(var)
    if drafts:
        notes.append(
            f"Case and document variables became participant variables: "
            f"{_shown([v.name for v in drafts], 8)}."
        )
    if source_sets:
        groups_of: dict[str, list[str]] = {}
        for group, members in source_sets.items():
            for guid in members:
                groups_of.setdefault(guid, []).append(group)
        column = [" + ".join(groups_of.get(first_source.get(pid, ""), [])) for pid in ids]
        if any(column):
            name = _unique("document_group", taken)
            frame["__document_group"] = column
            levels = sorted({v for v in column if v})
            drafts.append(
                _Var(
                    name=name,
                    type="category",
                    source="__document_group",
                    label="Document group",
                    levels={v: v for v in levels},
                )
            )
            notes.append(
                f"Document groups became the participant variable {name} "
                f"({_shown(levels)}); pass --site-column {name} or --role-column {name} when "
                "they are sites or roles."
            )
    return frame, drafts


def _left_out(found: Any, record: ImportRecord, notes: list[str], utf16: bool) -> None:
    """Say what of the project is not in the study."""
    if found.missing_text:
        notes.append(
            f"The plain text of {_shown(found.missing_text)} was not in the project; their "
            "segments have no text."
        )
    parts = [
        (found.whole, "coding(s) of whole documents"),
        (found.unknown, "coding(s) of codes missing from the codebook"),
        (found.uncoded, "selection(s) without a code (memos, annotations)"),
        (found.other, "picture/audio/video/PDF source(s)"),
    ]
    for n, what in parts:
        if n:
            record.dropped(n, f"{what}: only coded text selections are imported")
    skipped = [f"{n} {what}" for n, what in parts if n]
    if skipped:
        notes.append(f"Left out: {', '.join(skipped)} (only coded text selections are imported).")
    if utf16 and found.astral:
        notes.append(
            "Positions were read as UTF-16 code units (as NVivo, ATLAS.ti and MAXQDA count): "
            "the sources "
            "hold characters outside the Basic Multilingual Plane (e.g. emoji)."
        )
