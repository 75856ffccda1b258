"""Drafting a study of coded segments: code identifiers, segment ids, codebook.

Layer 2. Shared by the importers of coded qualitative data (:mod:`partner_study.io.qdpx`,
:mod:`partner_study.io.taguette`, :mod:`partner_study.io.maxqda`,
:mod:`partner_study.io.atlasti`): each turns its source into code entries, segments and
participants, then :func:`qualitative_study` makes the :class:`partner_study.io.RawStudy`
(with the draft ``codebook.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from partner_study.io import RawStudy
from partner_study.io._draft import _dump_codebook, _role_block, _Var
from partner_study.io._naming import _identifier, _unique
from partner_study.io.record import ImportRecord

__all__ = [
    "SEGMENT_COLUMNS",
    "CodeEntry",
    "code_ids",
    "short_label",
    "number_segments",
    "drop_repeats",
    "qualitative_study",
]

SEGMENT_COLUMNS = (
    "segment_id",
    "participant_id",
    "document",
    "start",
    "end",
    "coder",
    "code",
    "text",
)
THEME_NOTE = (
    "Themes are the top-level codes of the source; check the theme names and labels, and "
    "merge codes that mean the same."
)


@dataclass(frozen=True)
class CodeEntry:
    """A code of the source: its key there, its name, and its theme's name."""

    key: str
    name: str
    theme: str


def code_ids(
    entries: list[CodeEntry],
) -> tuple[dict[str, str], dict[str, dict[str, str]], dict[str, str]]:
    """Identifiers for codes and themes.

    Returns (code id by source key, codebook ``codes`` entries, codebook ``themes``).
    Code ids are snake_case names of the labels (:func:`short_label`), made unique by the
    theme's name, then a number.
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
        label = short_label(e.name, e.theme)
        base = _identifier(label, fallback="code", digit_prefix="")
        if base in taken:
            base = f"{theme_ids[e.theme]}_{base}"
        code = _unique(base, taken)
        by_key[e.key] = code
        codes[code] = {"theme": theme_ids[e.theme], "label": label}
    themes = {tid: name for name, tid in theme_ids.items()}
    return by_key, codes, themes


def short_label(name: str, theme: str) -> str:
    """A code's name without its theme when the name starts with it (``Theme: Code``, as
    flat code lists name codes): the theme is said once, by the theme."""
    head, sep, rest = name.partition(":")
    if sep and rest.strip() and head.strip() == theme.strip():
        return rest.strip()
    return name


def number_segments(frame: pd.DataFrame, *, by: tuple[str, ...] = ("start", "end")) -> pd.Series:
    """``S0001``... one id per distinct (source, *by*), by source then position."""
    rank = {g: i for i, g in enumerate(pd.unique(frame["source"].to_numpy()))}
    key = pd.DataFrame({"source": frame["source"].map(rank)})
    for column in by:
        numbers = pd.to_numeric(frame[column], errors="coerce")
        key[column] = numbers if numbers.notna().all() else frame[column].astype(str)
    number = key.groupby(["source", *by], sort=True, dropna=False).ngroup()
    width = max(4, len(str(int(number.max()) + 1))) if len(number) else 4
    return ("S" + (number + 1).astype(str).str.zfill(width)).astype(object)


def drop_repeats(
    segments: pd.DataFrame, notes: list[str], record: ImportRecord | None = None
) -> pd.DataFrame:
    """Segments without repeated (segment_id, coder, code) rows (kept once, said so)."""
    repeated = segments.duplicated(["segment_id", "coder", "code"])
    if repeated.any():
        n = int(repeated.sum())
        notes.append(
            f"{n} coding(s) repeated the same code on the same segment by the same coder "
            "and were kept once."
        )
        if record is not None:
            record.dropped(n, "the same code on the same segment by the same coder again")
    return segments.loc[~repeated].reset_index(drop=True)


def qualitative_study(
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
    record: ImportRecord | None = None,
    theme_note: str = THEME_NOTE,
) -> RawStudy:
    """Build the RawStudy of a qualitative source (participants + segments + codebook).

    ``participants`` holds participant_id, site, role, collection (and group_id when a
    participant was in a focus group), then the variables' columns.
    """
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
    notes.append(theme_note)
    text = _dump_codebook(doc, made_by=made_by, notes=notes)
    seg = segments.loc[:, list(SEGMENT_COLUMNS)].astype(str).astype(object)
    if record is not None:
        record.kept(len(seg))
        record.guessed(theme_note)
        for note in notes:
            if note != theme_note:
                record.note(note)
    return RawStudy(
        codebook_text=text,
        participants=participants.astype(object),
        segments=seg,
        notes=tuple(notes),
        import_record=record.render() if record is not None else "",
    )
