"""Coded segments exported as a table (MAXQDA, ATLAS.ti) as a draft study.

Layer 2. Shared by :mod:`partner_study.io.maxqda` and :mod:`partner_study.io.atlasti`: each
declares a :class:`TableFormat` (its columns in the languages the program speaks, how a
code cell names its codes and their themes, how to export) and :func:`import_table` does
the rest: one coding row per segment per code per coder, participants from the document
names (or a facesheet, or speaker labels), a draft codebook, and the import record.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.io import RawStudy
from partner_study.io._draft import _Var
from partner_study.io._naming import _shown
from partner_study.io._source import _read_source
from partner_study.io.qdpx.codebook import CodeList, read_code_list
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
    leading_labels,
    participants_table,
    read_facesheet,
    resolve,
)
from partner_study.io.record import ImportRecord

__all__ = ["TableFormat", "import_table", "normalise_header", "split_listed", "SIGNATURES"]

#: Headers (folded) that only one program's export has, by import kind: they tell a user
#: who gave one program's export to another's importer which command to use.
SIGNATURES: dict[str, tuple[str, frozenset[str]]] = {
    "maxqda": ("MAXQDA", frozenset({"document name", "dokumentname", "weight score", "gewicht"})),
    "atlasti": (
        "ATLAS.ti",
        frozenset({"quotation content", "quotation name", "text content", "number of codes"}),
    ),
    "taguette": ("Taguette", frozenset({"tag", "tag_path", "tag_full_path", "tag_parent"})),
}
_MAX_SPLIT_TOKENS = 60


def _a(tool: str) -> str:
    """``tool`` with its indefinite article ("an ATLAS.ti", "a MAXQDA")."""
    return f"{'an' if tool[:1] in 'AEIOU' else 'a'} {tool}"


def normalise_header(name: str) -> str:
    """A column name as compared with the aliases: case and spacing folded."""
    return " ".join(str(name).replace("\ufeff", "").split()).casefold().rstrip(" %:")


@dataclass(frozen=True)
class TableFormat:
    """How one program exports coded segments as a table.

    ``columns`` maps each field (document, code, text, start, end, coder, group, id,
    count) to its accepted header names (folded, see :func:`normalise_header`); ``code_entry``
    turns a code name into (key, code label, theme); ``split`` turns a codes cell into code
    names (several codes per row, ATLAS.ti) given the known names.
    """

    kind: str
    tool: str
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    export_fix: str
    code_entry: Callable[[str], tuple[str, str, str]]
    split: Callable[[pd.Series, pd.Series | None, set[str]], pd.Series] | None = None
    segment_by: tuple[str, ...] = ("start", "end", "text")
    theme_note: str = ""
    dropped: dict[str, str] = field(default_factory=dict)


def _wrong_tool(fmt: TableFormat, headers: set[str], name: str) -> None:
    for kind, (tool, signature) in SIGNATURES.items():
        if kind != fmt.kind and headers & signature:
            raise StudyDataError(
                Problem(
                    file=name,
                    row=1,
                    found=f"the columns of {tool}'s export "
                    f"({_shown(sorted(headers & signature), 4)})",
                    expected=f"{_a(fmt.tool)} export",
                    fix=f"import it with `partner-study import {kind} FILE --out data/raw/<study>`",
                )
            )


def _refuse_projects(path: Path, fmt: TableFormat) -> None:
    """A REFI-QDA project or codebook given to a table importer: say which command reads it."""
    suffix = path.suffix.lower()
    if suffix in (".qdpx", ".qde", ".qdc") or (
        suffix not in (".xlsx",) and path.is_file() and zipfile.is_zipfile(path)
    ):
        raise StudyDataError(
            Problem(
                file=str(path),
                found="a REFI-QDA project or archive, not a table",
                expected=f"{_a(fmt.tool)} export (CSV or Excel)",
                fix="import a project with `partner-study import qdpx FILE --out ...` (a "
                "codebook: `partner-study import qdc FILE --out codes.yaml`)",
            )
        )


def _columns(frame: pd.DataFrame, fmt: TableFormat, name: str) -> dict[str, str]:
    folded = {normalise_header(c): c for c in frame.columns}
    found = {}
    for key, aliases in fmt.columns.items():
        for alias in aliases:
            if alias in folded:
                found[key] = folded[alias]
                break
    missing = [k for k in fmt.required if k not in found]
    if missing:
        _wrong_tool(fmt, set(folded), name)
        wanted = ", ".join(f"'{fmt.columns[k][0].capitalize()}'" for k in fmt.required)
        raise StudyDataError(
            Problem(
                file=name,
                row=1,
                found=f"the columns {_shown(list(frame.columns), 8)} (no "
                f"{', '.join(repr(fmt.columns[k][0].capitalize()) for k in missing)})",
                expected=f"{_a(fmt.tool)} export with the columns {wanted}",
                fix=fmt.export_fix,
            )
        )
    return found


def _whole(values: pd.Series) -> pd.Series:
    """Positions that are whole numbers >= 0, as text; anything else empty."""
    text = values.astype(str).str.strip()
    return text.where(text.str.fullmatch(r"\d{1,12}"), "")


def import_table(
    path: str | Path,
    fmt: TableFormat,
    *,
    study: str,
    participant_pattern: str | None = None,
    participants: str | Path | None = None,
    codebook: str | Path | None = None,
    site: str | None = None,
    role: str | None = None,
    site_column: str | None = None,
    role_column: str | None = None,
) -> RawStudy:
    """Turn a table of coded segments exported by ``fmt.tool`` into a draft study.

    See :func:`partner_study.io.maxqda.import_maxqda` and
    :func:`partner_study.io.atlasti.import_atlasti` for the parameters and what is drafted.
    """
    path = Path(path)
    _refuse_projects(path, fmt)
    frame, name = _read_source(path, f"{fmt.tool} export", smaller="fewer documents")
    record = ImportRecord(fmt.kind, unit="coding rows")
    record.source(path, what=f"{fmt.tool} export")
    cols = _columns(frame, fmt, name)
    notes: list[str] = []
    used = set(cols.values())
    for column in frame.columns:
        if column not in used:
            why = fmt.dropped.get(normalise_header(column), "not part of the data contract")
            record.removed(column, why)
    get = {k: frame[c].astype(str).str.strip() for k, c in cols.items()}
    text = frame[cols["text"]].astype(str)
    document = get["document"].str.replace(r"\s+", " ", regex=True)

    # one row per code: a cell may name several codes (ATLAS.ti)
    cells = get["code"]
    if fmt.split is not None:
        known = set()
        sheet_codes = read_code_list(codebook) if codebook is not None else None
        if sheet_codes is not None:
            known = {e.key for e in sheet_codes.entries} | {e.name for e in sheet_codes.entries}
        counts = get.get("count")
        lists = fmt.split(cells, counts, known)
    else:
        sheet_codes = read_code_list(codebook) if codebook is not None else None
        lists = cells  # one code per row
    if sheet_codes is not None and codebook is not None:
        record.source(codebook, what="codebook")
    rows = pd.DataFrame(
        {
            "row": frame.index + 2,
            "document": document,
            "text": text,
            "start": _whole(get["start"]) if "start" in get else "",
            "end": _whole(get["end"]) if "end" in get else "",
            "coder": get["coder"].where(get["coder"].ne(""), "coder_1")
            if "coder" in get
            else "coder_1",
            "group": get.get("group", pd.Series("", index=frame.index)),
            "unit": get.get("id", pd.Series("", index=frame.index)),
            "code_name": lists,
        }
    )
    if fmt.split is not None:
        rows = rows.explode("code_name")
    uncoded = rows["code_name"].isna() | rows["code_name"].eq("")
    if uncoded.all():
        raise StudyDataError(
            Problem(
                file=name,
                column=cols["code"],
                found=f"no coded segment ({len(frame)} row(s), every code cell empty)",
                expected="segments coded with codes",
                fix=f"code the documents in {fmt.tool} first, then export the coded segments again",
            )
        )
    if uncoded.any():
        record.dropped(int(uncoded.sum()), "no code", rows=rows.loc[uncoded, "row"].tolist())
    rows = rows.loc[~uncoded].reset_index(drop=True)
    if "start" in get and (get["start"].ne("") & _whole(get["start"]).eq("")).any():
        notes.append(
            "Some Beginning/End positions were not whole numbers (e.g. PDF page:position) "
            "and were left empty."
        )

    doc_ids = dict(
        zip(
            document,
            _participant_ids(document, participant_pattern, name, cols["document"]),
            strict=True,
        )
    )
    default = rows["document"].map(doc_ids).astype(object)
    if participant_pattern is None and participants is None:
        record.guessed(
            "Each document is one participant, named by the document (pass "
            "--participant-pattern or --participants when a document is not one person)."
        )
    rows["speaker"] = leading_labels(rows["text"])
    sheet = read_facesheet(participants) if participants is not None else None
    if sheet is not None and participants is not None:
        record.source(participants, what="participants (facesheet)")
    resolved = resolve(
        pd.DataFrame(
            {"document": rows["document"], "default": default, "speaker": rows["speaker"]}
        ),
        facesheet=sheet,
        record=record,
        notes=notes,
    )
    rows["participant_id"] = resolved.participant
    rows = rows.loc[rows["participant_id"].ne("")].reset_index(drop=True)
    if rows.empty:
        raise StudyDataError(
            Problem(
                file=name,
                found="no coded segment in a participant's speaker turn",
                expected="codings of participants' words",
                fix="check the speaker labels of the segments and the facesheet",
            )
        )

    entries, keys = _entries(rows["code_name"], fmt, sheet_codes, notes)
    by_key, codes, themes = code_ids(entries)
    rows["code"] = keys.map(by_key)
    rows["source"] = rows["document"]
    if "id" in cols and rows["unit"].ne("").all():
        rows["segment_id"] = rows["unit"]
    else:
        rows["segment_id"] = number_segments(rows, by=fmt.segment_by)
    rows = drop_repeats(rows, notes, record)

    ids = in_document_order(list(doc_ids.items()), rows, resolved.documents)
    values, variables = _group_variable(ids, rows, document, get.get("group"))
    if sheet is not None:
        extra, more = facesheet_variables(sheet, ids, record, notes)
        values = values.merge(extra, on="participant_id", how="left").fillna("")
        variables += more
    table, variables = participants_table(
        values,
        variables,
        groups=resolved.groups,
        site=site,
        role=role,
        site_column=site_column,
        role_column=role_column,
        file=name,
        notes=notes,
    )
    if "coder" not in cols:
        notes.append("The export does not say who coded: every segment has coder 'coder_1'.")
    notes.insert(
        0,
        f"Imported {rows['segment_id'].nunique()} segment(s) ({len(rows)} coding row(s)) of "
        f"{len(table)} participant(s) in {rows['document'].nunique()} document(s), "
        f"{len(codes)} code(s) in {len(themes)} theme(s) from {path.name} ({fmt.tool}).",
    )
    return qualitative_study(
        table,
        rows,
        codes,
        themes,
        variables=variables,
        study=study,
        title=f"Imported from {fmt.tool} ({path.name})",
        made_by=f"partner_study.io.{fmt.kind}.import_{fmt.kind}",
        notes=notes,
        record=record,
        **({"theme_note": fmt.theme_note} if fmt.theme_note else {}),
    )


def _participant_ids(
    documents: pd.Series, pattern: str | None, name: str, column: str
) -> pd.Series:
    """The participant each document stands for: the pattern's first group, else its name."""
    if pattern is None:
        return documents.astype(object)
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise StudyDataError(
            Problem(
                file=name,
                found=f"--participant-pattern '{pattern}' ({exc})",
                expected="a regular expression",
                fix="correct the pattern, e.g. '^(P\\d+)'",
            )
        ) from None
    if regex.groups == 0:
        regex = re.compile(f"({regex.pattern})", regex.flags)
    match = documents.str.extract(regex)[0]
    unmatched = sorted(set(documents[match.isna()]))
    if unmatched:
        raise StudyDataError(
            Problem(
                file=name,
                column=column,
                found=f"document name(s) without a participant id: {_shown(unmatched, 5)}",
                expected=f"names matching --participant-pattern '{pattern}'",
                fix="rename the documents, or pass a pattern whose first group is the id",
            )
        )
    return match.astype(object)


def _entries(
    names: pd.Series, fmt: TableFormat, code_list: CodeList | None, notes: list[str]
) -> tuple[list[CodeEntry], pd.Series]:
    """One code entry per distinct code name (theme from the codebook or the name), and
    each row's key."""
    by_path = code_list.by_path() if code_list is not None else {}
    by_name = code_list.by_name() if code_list is not None else {}
    entries, from_list = [], 0
    for code_name in pd.unique(names.to_numpy()):
        key, label, theme = fmt.code_entry(str(code_name))
        hit = by_path.get(key) or by_name.get(label.casefold()) or by_name.get(key.casefold())
        if hit is not None:
            label, theme, from_list = hit.name, hit.theme, from_list + 1
        entries.append(CodeEntry(key, label, theme))
    keys = names.map({c: fmt.code_entry(str(c))[0] for c in pd.unique(names.to_numpy())})
    if code_list is not None:
        seen = {e.key for e in entries} | {e.name for e in entries}
        unused = [e for e in code_list.entries if e.key not in seen and e.name not in seen]
        entries += unused
        notes.append(
            f"Themes and labels of {from_list} code(s) were taken from "
            f"{Path(code_list.name).name}"
            + (f"; {len(unused)} code(s) of it are not applied in the export" if unused else "")
            + "."
        )
    return entries, keys.astype(object)


def _group_variable(
    ids: list[str], rows: pd.DataFrame, documents: pd.Series, groups: pd.Series | None
) -> tuple[pd.DataFrame, list[_Var]]:
    """Each participant's document group (MAXQDA, ATLAS.ti), as a variable to check."""
    frame = pd.DataFrame({"participant_id": ids})
    if groups is None or not groups.ne("").any():
        return frame, []
    first = rows.drop_duplicates("participant_id").set_index("participant_id")["group"]
    column = [str(first.get(pid, "")) for pid in ids]
    frame["__document_group"] = column
    levels = sorted({v for v in column if v})
    return frame, [
        _Var(
            name="document_group",
            type="category",
            source="__document_group",
            label="Document group",
            levels={v: v for v in levels},
        )
    ]


def split_listed(cells: pd.Series, counts: pd.Series | None, known: set[str]) -> pd.Series:
    """Code names of cells that list several codes: one per line, or separated by ", ".

    A comma inside a code's name ("Security, privacy: access") makes ", " ambiguous: the
    split chosen is the one into the number of codes the row says it has (``counts``,
    when given) whose parts look most like whole code names: known names first (``known``,
    plus every cell that holds a single code), then ``Theme: code`` names and quoted
    in-vivo codes.
    """
    text = cells.astype(str).str.replace("\r\n", "\n").str.strip()
    known = set(known) | set(text[~text.str.contains(", |\n", regex=True)])
    number = pd.to_numeric(counts, errors="coerce") if counts is not None else None
    lines = text.str.contains("\n", regex=False)
    out = text.str.split("\n").map(lambda parts: [p.strip() for p in parts if p.strip()])
    listed = text.str.contains(", ", regex=False) & ~lines
    values = out.tolist()
    wanted = number.tolist() if number is not None else [None] * len(text)
    cache: dict[tuple[str, int | None], list[str]] = {}
    for at in np.flatnonzero(listed.to_numpy()):  # only the cells a comma makes ambiguous
        cell, n = str(text.iat[int(at)]), wanted[at]
        want = int(n) if n is not None and n == n and n >= 1 else None
        if (cell, want) not in cache:
            cache[(cell, want)] = _best_split(cell.split(", "), want, known)
        values[at] = cache[(cell, want)]
    return pd.Series(values, index=cells.index, dtype=object)


def _whole_name(part: str, known: set[str]) -> int:
    """How much ``part`` looks like one code's whole name: 2 known, 1 ``Theme: code`` or
    quoted (in vivo), 0 otherwise."""
    if part in known:
        return 2
    quoted = len(part) >= 2 and part[0] in "\"“'" and part[-1] in "\"”'"
    return int(quoted or bool(re.search(r"\S: \S", part)))


def _best_split(tokens: list[str], want: int | None, known: set[str]) -> list[str]:
    """Join consecutive tokens into parts: ``want`` parts (if given) that look most like
    whole code names (:func:`_whole_name`); ties go to more parts."""
    m = len(tokens)
    if m > _MAX_SPLIT_TOKENS or (want is not None and want >= m):
        return tokens
    # best[j][parts] = (score, split) over tokens[:j]
    empty: list[str] = []
    best: list[dict[int, tuple[int, list[str]]]] = [{0: (0, empty)}]
    best += [{} for _ in range(m)]
    for i in range(m):
        for parts, (score, split) in best[i].items():
            if want is not None and parts + 1 > want:
                continue
            for j in range(i + 1, m + 1):
                part = ", ".join(tokens[i:j])
                entry = (score + _whole_name(part, known), [*split, part])
                old = best[j].get(parts + 1)
                if old is None or entry[0] > old[0]:
                    best[j][parts + 1] = entry
    options = best[m]
    if want is not None and want in options:
        return options[want][1]
    return max(options.items(), key=lambda kv: (kv[1][0], kv[0]))[1][1]
