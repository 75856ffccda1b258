"""From validated raw tables to the processed study: pseudonyms, scale scores, joins.

Layer 3 (pure). Stage 01-prepare calls :func:`prepare_study` on the output of
:func:`partner_study.validate.validate_study` and writes the result.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from partner_study.io import Study
from partner_study.qualitative import REDACTION_KINDS, redact_text
from partner_study.scales import score_scales

__all__ = ["assign_pseudonyms", "prepare_study", "redact_segments", "site_codes", "summarise"]


def site_codes(sites: pd.Series) -> dict[str, str]:
    """Short upper-case code of each site, unique (``be_hospital`` -> ``BE``)."""
    codes: dict[str, str] = {}
    used: set[str] = set()
    for site in sorted(pd.unique(sites.astype(str))):
        base = re.sub(r"[^A-Za-z0-9]", "", re.split(r"[_\-\s]", site)[0]).upper()[:4] or "S"
        code, k = base, 2
        while code in used:
            code, k = f"{base}{k}", k + 1
        used.add(code)
        codes[site] = code
    return codes


def assign_pseudonyms(participants: pd.DataFrame) -> pd.Series:
    """Pseudonym of each participant: ``P-<site code>-<number within site>`` (e.g. ``P-BE-07``).

    Numbers follow the order of the participant ids within the site, so the same table
    gives the same pseudonyms; ids themselves never appear in reports.
    """
    codes = participants["site"].map(site_codes(participants["site"]))
    order = participants.sort_values(["site", "participant_id"], kind="stable")
    rank = order.groupby("site", sort=False).cumcount().add(1).reindex(participants.index)
    width = max(2, len(str(int(rank.max()))) if len(rank) else 2)
    return "P-" + codes + "-" + rank.astype(int).astype(str).str.zfill(width)


def redact_segments(study: Study) -> tuple[Study, pd.DataFrame]:
    """The disclosure gate on segment texts, before anything is processed or reported.

    E-mail addresses, phone numbers, dates, health and national identifiers and the names of
    the roster (full, given and family names) are replaced by ``[email]``, ``[phone]``,
    ``[date]``, ``[id]`` and ``[name]`` (:func:`partner_study.qualitative.redact_text`).

    Returns
    -------
    (Study, DataFrame)
        The study with redacted texts and no roster, and the counts: ``kind, n_redactions,
        n_segments`` (one row per kind of identifier and a ``total`` row).
    """
    counts = pd.DataFrame(0, index=[0], columns=list(REDACTION_KINDS))
    segments = study.segments
    n_segments = pd.Series(0, index=list(REDACTION_KINDS))
    if segments is not None and len(segments):
        names = tuple(study.roster["name"].dropna()) if study.roster is not None else ()
        unique = segments.drop_duplicates("text")["text"]
        redacted, per_text = redact_text(unique.reset_index(drop=True), names=names)
        mapping = pd.Series(redacted.to_numpy(), index=unique.to_numpy())
        original = segments
        segments = segments.assign(text=segments["text"].map(mapping))
        # counts per segment (a text shared by segments counts once per segment)
        per = per_text.set_axis(unique.to_numpy())
        per_segment = per.reindex(original.drop_duplicates("segment_id")["text"])
        counts = per_segment.sum().to_frame().T
        n_segments = (per_segment > 0).sum()
    table = pd.DataFrame(
        {
            "kind": list(REDACTION_KINDS),
            "n_redactions": [int(counts[k].iloc[0]) for k in REDACTION_KINDS],
            "n_segments": [int(n_segments[k]) for k in REDACTION_KINDS],
        }
    )
    total = pd.DataFrame(
        {
            "kind": ["total"],
            "n_redactions": [int(table["n_redactions"].sum())],
            "n_segments": [np.nan],
        }
    )
    table = pd.concat([table, total], ignore_index=True)
    table["n_segments"] = table["n_segments"].astype("Int64")
    return Study(study.codebook, study.participants, study.scored, segments, None), table


def prepare_study(study: Study) -> Study:
    """Score scales, add pseudonyms and attach participant attributes to survey and segments.

    Returns
    -------
    Study
        ``participants`` with a ``pseudonym`` column (after ``participant_id``); ``scored``:
        participant columns + items + one score per scale + ``engagement_level`` (ordered
        categorical) and ``engagement_level_code`` (1..k); ``segments`` with ``site``,
        ``role`` and ``theme``.
    """
    cb = study.codebook
    participants = study.participants.copy()
    participants.insert(1, "pseudonym", assign_pseudonyms(participants))
    attrs = participants.drop(columns=["collection", "group_id"], errors="ignore")
    scored = None
    if study.scored is not None:
        scored = score_scales(study.scored, cb)
        if "engagement_level" in scored.columns and cb.engagement_level is not None:
            labels = cb.engagement_level.ordered_labels
            level = pd.Categorical(scored["engagement_level"], categories=labels, ordered=True)
            scored["engagement_level"] = level
            codes = level.codes.astype(float)
            scored["engagement_level_code"] = np.where(codes < 0, np.nan, codes + 1)
        scored = attrs.merge(scored, on="participant_id", how="inner", validate="one_to_one")
    segments = None
    if study.segments is not None:
        themes = {name: code.theme for name, code in cb.codes.items()}
        segments = study.segments.merge(
            participants[["participant_id", "site", "role"]],
            on="participant_id",
            how="left",
            validate="many_to_one",
        )
        segments["theme"] = segments["code"].map(themes)
        segments = segments[
            [
                "segment_id",
                "participant_id",
                "site",
                "role",
                "document",
                "start",
                "end",
                "coder",
                "code",
                "theme",
                "text",
            ]
        ]
    return Study(cb, participants, scored, segments)


def summarise(study: Study) -> pd.DataFrame:
    """Counts of a study's records by site and role (participants, survey answers, segments).

    Returns
    -------
    DataFrame
        ``site, role, participants, survey, segments, coders``.
    """
    p = study.participants
    out = p.groupby(["site", "role"]).size().rename("participants").to_frame()
    if study.scored is not None:
        s = study.scored[["participant_id"]].merge(p[["participant_id", "site", "role"]])
        out["survey"] = s.groupby(["site", "role"]).size()
    if study.segments is not None:
        g = study.segments[["segment_id", "participant_id", "coder"]].merge(
            p[["participant_id", "site", "role"]]
        )
        out["segments"] = g.drop_duplicates("segment_id").groupby(["site", "role"]).size()
        out["coders"] = g.groupby(["site", "role"])["coder"].nunique()
    return out.fillna(0).astype(int).reset_index()
