"""Who said it: participants from documents, speaker turns and a facesheet.

Layer 2. Shared by the importers of coded segments. Each coding row comes with its
document, the participant its document (or case) stands for, and the speaker label of the
turn it lies in (``Ana: ...``, ``[id1] ...``, ``#00:01:02# Ana: ...``) when there is one.

- A **facesheet** (``--participants FILE``: a table with one row per participant, CSV or
  Excel) is matched on the column whose values name the most documents or speakers; its
  other columns become participant variables (columns that name or reach a person, such
  as names, e-mail addresses or phone numbers, are left out and said so).
- A speaker label **becomes a participant** when the facesheet names it, or when the
  document's name holds it (``Ana`` in ``Interview Ana.docx``): that turn is the
  participant's. A document with two or more such speakers is a focus group (collection
  ``focus_group``, ``group_id`` = the document). In a document with known speakers, the
  turns of others (an interviewer, a moderator: labels met twice or more) are left out,
  and so are passages of a focus group without a speaker; every such row is counted in
  the import record.
- Otherwise a row belongs to its document's participant, as before.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.io._draft import RESERVED, _fit_variable, _Var
from partner_study.io._naming import _identifier, _shown, _unique
from partner_study.io._source import _read_source, _site_role
from partner_study.io.record import ImportRecord

__all__ = [
    "facesheet_variables",
    "Facesheet",
    "read_facesheet",
    "turns",
    "speaker_at",
    "leading_label",
    "leading_labels",
    "Resolved",
    "resolve",
    "in_document_order",
    "participants_table",
]

#: A speaker label at the start of a line: ``Name:`` (a letter first, at most 40
#: characters, at most 4 words) or ``[Name]``, after an optional ``#hh:mm:ss#`` time stamp.
_LABEL = re.compile(
    r"^[ \t]*(?:#[\d:.,-]{1,16}#[ \t]*)?"
    r"(?:\[(?P<b>[^\]\n]{1,40})\]|(?P<n>[^\W\d_][^:\n\[\]]{0,39}?)[ \t]*:)(?=[ \t\r\n]|$)",
    re.MULTILINE,
)
#: Facesheet columns that name or reach a person: left out of the study.
_IDENTIFYING = re.compile(
    r"(^|[^a-z])(name|surname|e-?mail|phone|telephone|mobile|address|post ?code|zip|"
    r"date ?of ?birth|dob|ip)([^a-z]|$)|(first|last|real|full|given|family)name",
    re.IGNORECASE,
)
_MAX_CATEGORY_LEVELS = 12


def _label_ok(label: str) -> bool:
    words = label.split()
    return 0 < len(words) <= 4 and not re.search(r"[,.;?!\"]", label)


def turns(text: str) -> tuple[np.ndarray, list[str], set[str]]:
    """Start index and speaker label of every speaker turn of a document's text, and the
    labels that start two or more turns (an interviewer, a moderator, a participant who
    speaks more than once, as opposed to a one-off ``Note:``)."""
    found = [
        (m.start(), (m.group("b") or m.group("n") or "").strip()) for m in _LABEL.finditer(text)
    ]
    found = [(at, label) for at, label in found if _label_ok(label)]
    counts = Counter(label for _, label in found)
    repeated = {label for label, n in counts.items() if n >= 2}
    return (
        np.asarray([at for at, _ in found], dtype=np.int64),
        [label for _, label in found],
        repeated,
    )


def speaker_at(starts: np.ndarray, labels: list[str], index: int) -> str:
    """The label of the turn that holds ``index`` ("" before the first turn)."""
    k = int(np.searchsorted(starts, index, side="right")) - 1
    return labels[k] if k >= 0 else ""


def leading_label(text: str) -> str:
    """The speaker label a segment's text starts with, or ""."""
    match = _LABEL.match(text)
    label = (match.group("b") or match.group("n") or "").strip() if match else ""
    return label if _label_ok(label) else ""


def leading_labels(texts: pd.Series) -> pd.Series:
    """:func:`leading_label` of every text (one pass of the pattern over the column)."""
    found = texts.astype(str).str.extract(_LABEL.pattern)  # ^: the start of the text
    labels = found["b"].fillna(found["n"]).fillna("").str.strip()
    ok = labels.str.count(r"\S+").between(1, 4) & ~labels.str.contains(r"[,.;?!\"]")
    return labels.where(ok, "").astype(object)


# =============================================================================================
# Facesheet
# =============================================================================================
@dataclass
class Facesheet:
    """A table of participants (as text) and how to name it in messages."""

    frame: pd.DataFrame
    name: str
    key: str = ""  # the column matched to documents / speakers
    rows: dict[str, int] = field(default_factory=dict)  # participant id -> row position


def read_facesheet(path: str | Path) -> Facesheet:
    """Read a facesheet (CSV or Excel, one row per participant) as text."""
    frame, name = _read_source(path, "participants", smaller="fewer rows")
    return Facesheet(frame.reset_index(drop=True), name)


def _fold(value: str) -> str:
    return " ".join(str(value).split()).casefold()


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def _contains(document: str, value: str) -> bool:
    """Whether ``value`` occurs in ``document`` as whole words."""
    v = _fold(value)
    if len(v) < 2:
        return False
    return re.search(rf"(?<!\w){re.escape(v)}(?!\w)", _fold(document)) is not None


def _match_key(
    sheet: Facesheet, documents: dict[str, str], speakers: list[str]
) -> tuple[str, dict[str, str], dict[str, str]]:
    """The key column, and document -> value and speaker -> value matched on it."""
    best: tuple[int, str, dict[str, str], dict[str, str]] = (0, "", {}, {})
    for column in sheet.frame.columns:
        values = [v for v in sheet.frame[column].astype(str).str.strip() if len(_fold(v)) >= 2]
        by_fold = {_fold(v): v for v in values}
        spoken = {s: by_fold[_fold(s)] for s in speakers if _fold(s) in by_fold}
        docs = {}
        for doc, default in documents.items():
            if _fold(default) in by_fold:
                docs[doc] = by_fold[_fold(default)]
                continue
            hits = sorted({v for v in by_fold.values() if _contains(doc, v)}, key=len)
            if hits:
                docs[doc] = hits[-1]
        score = len(spoken) + len(docs)
        if score > best[0]:
            best = (score, column, docs, spoken)
    if not best[0]:
        raise StudyDataError(
            Problem(
                file=sheet.name,
                row=1,
                found=f"no column whose values name the documents "
                f"({_shown(list(documents), 4)}) or their speakers"
                + (f" ({_shown(speakers, 4)})" if speakers else ""),
                expected="a facesheet with one row per participant and a column holding the "
                "participant's name or id as the documents (or the speaker labels) give it",
                fix="add that column (e.g. 'P01' for the document 'P01 interview'), or leave "
                "--participants out",
            )
        )
    _, key, docs, spoken = best
    cells = sheet.frame[key].astype(str).str.strip()
    matched = set(docs.values()) | set(spoken.values())
    twice = cells[cells.isin(matched) & cells.duplicated(keep=False)]
    if len(twice):
        listed = ", ".join(str(int(i) + 2) for i in twice.index[:5])
        raise StudyDataError(
            Problem(
                file=sheet.name,
                row=int(twice.index[0]) + 2,
                column=key,
                found=f"'{twice.iloc[0]}' on several rows (rows {listed})",
                expected="one row per participant",
                fix="merge the rows of each participant into one",
            )
        )
    sheet.key = key
    sheet.rows = {str(v): int(i) for i, v in zip(cells.index, cells, strict=True) if v in matched}
    return key, docs, spoken


# =============================================================================================
# Resolving rows to participants
# =============================================================================================
@dataclass
class Resolved:
    """Each row's participant ("" = left out) and the focus group of each participant."""

    participant: pd.Series
    groups: dict[str, str] = field(default_factory=dict)
    documents: set[str] = field(default_factory=set)  # documents whose turns gave people


def resolve(
    rows: pd.DataFrame,
    *,
    facesheet: Facesheet | None,
    record: ImportRecord,
    notes: list[str],
    repeated: dict[str, set[str]] | None = None,
) -> Resolved:
    """The participant of each row (columns document, default, speaker).

    ``repeated``: document -> the labels that start two or more turns in it (from the
    source's text); without it (a table export) a label counts as a turn of someone else
    when it starts two or more rows of the document.
    """
    documents = dict(zip(rows["document"], rows["default"], strict=False))
    speakers = sorted({s for s in rows["speaker"] if s})
    doc_value: dict[str, str] = {}
    spoken: dict[str, str] = {}
    if facesheet is not None:
        key, doc_value, spoken = _match_key(facesheet, documents, speakers)
        unmatched = [d for d in documents if d not in doc_value]
        notes.append(
            f"Participants were matched to {Path(facesheet.name).name} on its column "
            f"'{key}' ({len(doc_value)} document(s), {len(spoken)} speaker(s))."
        )
        record.guessed(
            f"The facesheet's column '{key}' names the participants; documents not found "
            f"in it: {_shown(unmatched, 5) if unmatched else 'none'}."
        )
    # a speaker is known when the facesheet names them or the document's name holds them
    pairs = rows[["document", "speaker"]].drop_duplicates()
    known: dict[tuple[str, str], str] = {}
    for document, speaker in zip(pairs["document"], pairs["speaker"], strict=True):
        if not speaker:
            continue
        if speaker in spoken:
            known[(document, speaker)] = spoken[speaker]
        elif _contains(document, speaker) or _fold(speaker) == _fold(documents[document]):
            known[(document, speaker)] = str(doc_value.get(document, documents[document]))
    if repeated is None:  # a table: a label is a turn's when it starts two or more rows
        counts = rows.loc[rows["speaker"].ne("")].groupby(["document", "speaker"]).size()
        repeated = {}
        for pair, n in counts.items():
            if n >= 2 and isinstance(pair, tuple):
                repeated.setdefault(str(pair[0]), set()).add(str(pair[1]))
    keyed = rows["document"].astype(str) + "\x00" + rows["speaker"].astype(str)
    owner = keyed.map({f"{d}\x00{s}": p for (d, s), p in known.items()}).astype(object)
    owner = owner.where(owner.notna(), "")
    again = {f"{d}\x00{s}" for d, labels in repeated.items() for s in labels}
    others = rows["speaker"].ne("") & owner.eq("") & keyed.isin(again)
    by_doc = pd.DataFrame({"document": rows["document"], "owner": owner})
    people = by_doc[owner.ne("")].groupby("document")["owner"].nunique()
    with_speakers = set(people.index)
    groups = set(people.index[people >= 2])
    in_speaker_doc = rows["document"].isin(with_speakers)
    dropped_others = in_speaker_doc & owner.eq("") & others
    dropped_group = rows["document"].isin(groups) & owner.eq("") & ~dropped_others
    default = rows["document"].map(doc_value).astype(object)
    default = default.where(default.notna(), rows["default"])
    single = {
        d: by_doc.loc[by_doc["document"].eq(d) & owner.ne(""), "owner"].iloc[0]
        for d in with_speakers - groups
    }
    default = default.where(~rows["document"].isin(single), rows["document"].map(single))
    participant = owner.where(owner.ne(""), default.astype(object))
    participant = participant.where(~(dropped_others | dropped_group), "")
    if dropped_others.any():
        labels = sorted(set(rows.loc[dropped_others, "speaker"]))
        record.dropped(
            int(dropped_others.sum()),
            f"said by someone who is not a participant ({_shown(labels, 5)}): the "
            "interviewer's or moderator's turns",
        )
        notes.append(
            f"{int(dropped_others.sum())} coding row(s) in turns of {_shown(labels, 5)} "
            "(not participants) were left out."
        )
    if dropped_group.any():
        record.dropped(
            int(dropped_group.sum()),
            "in a focus group outside any participant's turn (no speaker label)",
        )
    if known:
        notes.append(
            f"Speaker turns gave {len(set(known.values()))} participant(s) in "
            f"{len(with_speakers)} document(s)"
            + (
                f"; {len(groups)} document(s) with several speakers became focus groups "
                "(collection focus_group, group_id = document)."
                if groups
                else "."
            )
        )
        record.guessed(
            "Speaker labels were read from the start of each turn ('Name:' or '[Name]'); "
            "check that every participant's turns carry their label."
        )
    group_of: dict[str, str] = {}
    for document in sorted(groups):
        members = sorted(set(owner[rows["document"].eq(document) & owner.ne("")]))
        for member in members:
            group_of.setdefault(member, document)
    return Resolved(participant=participant, groups=group_of, documents=with_speakers)


def in_document_order(
    base: list[tuple[str, str]], rows: pd.DataFrame, speaker_documents: set[str]
) -> list[str]:
    """Every participant once, in the order of the documents: a document's own participant
    (silent ones too), or the speakers its turns gave."""
    spoken = rows.groupby("document", sort=False)["participant_id"].unique()
    ids: list[str] = []
    for document, pid in base:
        if document in speaker_documents:
            ids.extend(str(p) for p in spoken.get(document, []))
        elif pid:
            ids.append(pid)
    ids.extend(str(p) for p in pd.unique(rows["participant_id"].to_numpy()))
    return list(dict.fromkeys(ids))


# =============================================================================================
# The participants table
# =============================================================================================
def facesheet_variables(
    sheet: Facesheet, ids: list[str], record: ImportRecord, notes: list[str]
) -> tuple[pd.DataFrame, list[_Var]]:
    """The facesheet's columns for ``ids`` (source columns ``__facesheet_k``) and drafts."""
    frame = pd.DataFrame({"participant_id": ids})
    drafts: list[_Var] = []
    taken = set(RESERVED) - {"site", "role"}
    for column in sheet.frame.columns:
        if column == sheet.key:
            continue
        if _IDENTIFYING.search(column):
            record.removed(column, "names or reaches a person", identifying=True)
            continue
        values = [
            str(sheet.frame.at[sheet.rows[i], column]).strip() if i in sheet.rows else ""
            for i in ids
        ]
        if not any(values):
            record.removed(column, "empty for every imported participant")
            continue
        base = _identifier(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", column))
        name = _unique(
            f"{base}_source" if base in RESERVED and base not in ("site", "role") else base, taken
        )
        source = f"__facesheet_{len(drafts)}"
        frame[source] = values
        drafts.append(_draft(name, source, column, pd.Series(values)))
    missing = [i for i in ids if i not in sheet.rows]
    if missing:
        notes.append(
            f"Participants without a facesheet row (their variables are empty): "
            f"{_shown(missing, 5)}."
        )
    return frame, drafts


def _draft(name: str, source: str, label: str, values: pd.Series) -> _Var:
    present = values[values.ne("")]
    numbers = pd.to_numeric(present, errors="coerce")
    if len(present) and numbers.notna().all():
        kind = "integer" if (numbers % 1 == 0).all() else "number"
        return _Var(name=name, type=kind, source=source, label=label)
    levels = sorted(set(present))
    if 0 < len(levels) <= _MAX_CATEGORY_LEVELS and len(levels) < max(len(present), 2):
        return _Var(
            name=name, type="category", source=source, label=label, levels={v: v for v in levels}
        )
    return _Var(name=name, type="text", source=source, label=label)


def participants_table(
    frame: pd.DataFrame,
    variables: list[_Var],
    *,
    groups: dict[str, str],
    site: str | None,
    role: str | None,
    site_column: str | None,
    role_column: str | None,
    file: str,
    notes: list[str],
) -> tuple[pd.DataFrame, list[_Var]]:
    """The participants table (id, site, role, collection, group_id, variables) and the
    variables kept; site and role from a constant, a named variable or one called so."""
    by_source = {v.source: v for v in variables}

    def source_of(column: str | None) -> str | None:
        if column is None:
            return None
        for v in variables:
            if column in (v.label, v.name):
                return v.source
        return column

    auto: dict[str, str] = {
        what: v.source
        for v in variables
        for what in ("site", "role")
        if _fold(v.label) == what or v.name == what
    }
    site_values, role_values, consumed = _site_role(
        frame,
        by_source,
        site=site,
        role=role,
        site_column=source_of(site_column),
        role_column=source_of(role_column),
        file=file,
        notes=notes,
        auto=auto,
        columns_allowed=True,
    )
    kept = [v for v in variables if v.source not in consumed]
    for v in kept:
        if v.name in RESERVED:
            v.name = f"{v.name}_source"
        _fit_variable(v, frame[v.source], notes)
    ids = frame["participant_id"].astype(str)
    table = pd.DataFrame(
        {
            "participant_id": ids,
            "site": site_values.to_numpy(),
            "role": role_values.to_numpy(),
            "collection": np.where(ids.isin(groups), "focus_group", "interview"),
        }
    )
    if groups:
        table["group_id"] = ids.map(groups).fillna("").to_numpy()
    for v in kept:
        table[v.name] = frame[v.source].to_numpy()
    if not groups:
        notes.append(
            "Every participant's collection was set to 'interview'; change it to "
            "focus_group (with a group_id) where a document is a focus group."
        )
    return table, kept
