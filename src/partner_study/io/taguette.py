"""Import a Taguette highlights export (CSV or Excel) as a draft study of coded segments.

Layer 2. :func:`import_taguette` reads the "Export highlights" table of Taguette
(https://www.taguette.org): one row per highlight per tag, in the old layout
``id, document, tag, content``, the newer one that adds ``tag_parent``, ``tag_full_path``
and ``tag_description``, and variants with ``start_offset``/``end_offset`` or ``hltid``.
It returns a :class:`partner_study.io.RawStudy` with ``participants`` (from the document
names), ``segments`` and a draft ``codebook.yaml`` with the tags as codes and themes.

Example
-------
>>> from partner_study.io.taguette import import_taguette
>>> raw = import_taguette("all_tags.csv", role="carer", site="site_a")  # doctest: +SKIP
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.io import RawStudy
from partner_study.io._naming import _shown
from partner_study.io._source import _read_source, _site_role
from partner_study.io.qdpx.draft import CodeEntry as _CodeEntry
from partner_study.io.qdpx.draft import code_ids as _code_ids
from partner_study.io.qdpx.draft import drop_repeats as _drop_repeats
from partner_study.io.qdpx.draft import qualitative_study as _qualitative_study

__all__ = ["import_taguette", "TAGUETTE_COLUMNS"]

#: Accepted header names (case-insensitive) of each column of a Taguette export.
TAGUETTE_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "hltid", "highlight_id", "highlight"),
    "document": ("document", "document_name", "doc"),
    "tag": ("tag", "tag_path", "tags", "code"),
    "tag_full_path": ("tag_full_path", "full_path"),
    "tag_parent": ("tag_parent", "parent"),
    "content": ("content", "text", "snippet", "highlight_text"),
    "start": ("start_offset", "start"),
    "end": ("end_offset", "end"),
    "coder": ("user", "user_login", "coder", "author"),
}
_REQUIRED = ("document", "tag", "content")


def _columns(frame: pd.DataFrame, name: str) -> dict[str, str]:
    lower = {c.strip().lower(): c for c in frame.columns}
    found = {}
    for key, aliases in TAGUETTE_COLUMNS.items():
        for alias in aliases:
            if alias in lower:
                found[key] = lower[alias]
                break
    missing = [k for k in _REQUIRED if k not in found]
    if missing:
        raise StudyDataError(
            Problem(
                file=name,
                row=1,
                found=f"the columns {_shown(list(frame.columns), 8)}",
                expected="a Taguette highlights export with columns id, document, tag, content "
                f"(missing: {', '.join(missing)})",
                fix="in Taguette open the project, choose 'Highlights' > 'All highlights' > Export "
                "> CSV (or Excel), and pass that file",
            )
        )
    return found


def _split_tag(path: str) -> tuple[str, str]:
    """(theme, code name) of a tag: ``theme/code`` or ``theme.code``; flat tags: (tag, tag)."""
    parts = [p.strip() for p in path.split("/")] if "/" in path else []
    if not parts or not all(parts):
        parts = (
            [p.strip() for p in re.split(r"\.(?!\s)", path)]
            if re.search(r"\S\.(?!\s)\S", path)
            else []
        )
    if len(parts) >= 2 and all(parts):
        return parts[0], parts[-1]
    return path, path


def import_taguette(
    path: str | Path,
    *,
    study: str = "taguette",
    participant_pattern: str = r"^(P\d+)",
    role: str | None = None,
    site: str | None = None,
) -> RawStudy:
    """Turn a Taguette highlights export into a draft study of coded segments.

    Parameters
    ----------
    path : path-like
        The export (``.csv`` or ``.xlsx``).
    study : str
        The study name written in the codebook.
    participant_pattern : str
        Regular expression finding the participant id in a document name (its first group,
        or the whole match): the default takes ``P12`` from ``P12_interview.odt``.
    role, site : str, optional
        The role / site of every participant (the export does not record them).

    Returns
    -------
    RawStudy
        ``participants`` (participant_id, site, role, collection = interview),
        ``segments`` (segment_id = the highlight id, participant_id, document, start, end
        (empty unless exported), coder (``coder_1`` unless exported), code, text) and the
        codebook text; ``survey`` is ``None``.

    Raises
    ------
    StudyDataError
        When the file is not a Taguette export (columns missing), no highlight has a tag,
        the pattern is not a valid regular expression, a document name does not match it,
        or the file passes a limit (at most 2 GB, 20,000 columns and 1,000,000 characters
        a cell; ``partner_study.io._limits``).

    Notes
    -----
    Tags become codes. A hierarchical tag (``theme/code`` or ``theme.code``, or a tag with a
    ``tag_parent`` in the newer export) belongs to the theme named by its first part; a flat
    tag is its own theme. Names become unique snake_case identifiers; the tag is the label.
    Highlights without a tag are left out. A highlight tagged with several tags is one
    segment (one row per tag), so code co-occurrence and agreement see one unit.

    References
    ----------
    Rampin R, Rampin V (2021). Taguette: open-source qualitative data analysis. Journal of
    Open Source Software 6(68):3522. doi:10.21105/joss.03522
    """
    frame, name = _read_source(path, "Taguette highlights", smaller="fewer documents")
    cols = _columns(frame, name)
    notes: list[str] = []
    try:
        pattern = re.compile(participant_pattern)
    except re.error as exc:
        raise StudyDataError(
            Problem(
                file=name,
                found=f"participant_pattern '{participant_pattern}' ({exc})",
                expected="a regular expression",
                fix="correct the pattern, e.g. r'^(P\\d+)'",
            ),
        ) from None
    get = {k: frame[c].astype(str).str.strip() for k, c in cols.items()}
    documents = get["document"]
    tag = (
        get["tag_full_path"].where(get["tag_full_path"].ne(""), get["tag"])
        if "tag_full_path" in get
        else get["tag"]
    )
    untagged = tag.eq("")
    if untagged.all():
        raise StudyDataError(
            Problem(
                file=name,
                column=cols["tag"],
                found=f"no highlight with a tag ({len(frame)} row(s), every tag empty)",
                expected="highlights tagged with codes",
                fix="tag the highlights in Taguette first, then export 'All highlights' again",
            )
        )
    if untagged.any():
        notes.append(f"{int(untagged.sum())} highlight row(s) without a tag were left out.")
    keep = ~untagged
    if pattern.groups == 0:
        pattern = re.compile(f"({pattern.pattern})", pattern.flags)
    match = documents.str.extract(pattern)[0]
    unmatched = sorted(set(documents[keep & match.isna()]))
    if unmatched:
        raise StudyDataError(
            Problem(
                file=name,
                column=cols["document"],
                found=f"document name(s) without a participant id: {_shown(unmatched, 5)}",
                expected=f"names matching participant_pattern '{participant_pattern}'",
                fix="rename the documents in Taguette (e.g. 'P07_interview'), or pass "
                "participant_pattern= a regular expression whose first group is the id",
            )
        )
    seg = (
        pd.DataFrame(
            {
                "segment_id": get["id"]
                if "id" in get
                else pd.Series([f"H{i + 1}" for i in range(len(frame))], dtype=object),
                "participant_id": match,
                "document": documents,
                "start": get.get("start", pd.Series("", index=frame.index)),
                "end": get.get("end", pd.Series("", index=frame.index)),
                "coder": get["coder"].where(get["coder"].ne(""), "coder_1")
                if "coder" in get
                else "coder_1",
                "tag": tag,
                "parent": get.get("tag_parent", pd.Series("", index=frame.index)),
                "text": frame[cols["content"]].astype(str),
            }
        )
        .loc[keep]
        .reset_index(drop=True)
    )
    if "id" not in get:
        notes.append("The export has no highlight id: each row is its own segment.")
    if "coder" not in get:
        notes.append("Taguette's export does not say who coded: every segment has coder 'coder_1'.")
    entries, keys = _tag_entries(seg)
    by_key, codes, themes = _code_ids(entries)
    seg["code"] = keys.map(by_key)
    seg = _drop_repeats(seg, notes)
    people = pd.DataFrame({"participant_id": pd.unique(seg["participant_id"].to_numpy())})
    site_values, role_values, _ = _site_role(
        people,
        {},
        site=site,
        role=role,
        site_column=None,
        role_column=None,
        file=name,
        notes=notes,
        columns_allowed=False,
    )
    participants = people.assign(
        site=site_values.to_numpy(), role=role_values.to_numpy(), collection="interview"
    )
    notes.append(
        "Every participant's collection was set to 'interview'; change it to "
        "focus_group (with a group_id) where a document is a focus group."
    )
    notes.insert(
        0,
        f"Imported {seg['segment_id'].nunique()} segment(s) ({len(seg)} row(s)) of "
        f"{len(participants)} participant(s) in {documents[keep].nunique()} "
        f"document(s), {len(codes)} code(s) in {len(themes)} theme(s) from "
        f"{Path(name).name}.",
    )
    return _qualitative_study(
        participants,
        seg,
        codes,
        themes,
        variables=[],
        study=study,
        title=f"Imported from Taguette ({Path(name).name})",
        made_by="partner_study.io.taguette.import_taguette",
        notes=notes,
    )


def _tag_entries(seg: pd.DataFrame) -> tuple[list[_CodeEntry], pd.Series]:
    """One code entry per distinct tag (theme from its path or parent); each row's tag key."""
    pairs = seg[["tag", "parent"]].drop_duplicates()
    entries = []
    for tag, parent in pairs.itertuples(index=False):
        theme, code = _split_tag(tag)
        if parent and theme == tag:
            theme = _split_tag(parent)[0]
        entries.append(_CodeEntry(key=f"{tag}\x00{parent}", name=code, theme=theme))
    keys = seg["tag"] + "\x00" + seg["parent"]
    return entries, keys.astype(object)
