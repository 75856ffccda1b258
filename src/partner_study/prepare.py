"""From validated raw tables to the processed study: pseudonyms, scale scores, joins.

Layer 3 (pure). Stage 01-prepare calls :func:`redact_segments` (the disclosure gate of
:mod:`partner_study.disclosure`) and :func:`prepare_study` on the output of
:func:`partner_study.validate.validate_study` and writes the result.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from partner_study.disclosure import pseudonymise_documents
from partner_study.disclosure import redact_segments as redact_segment_texts
from partner_study.io import Study
from partner_study.scales import score_scales

__all__ = [
    "assign_pseudonyms",
    "prepare_study",
    "redact_segments",
    "site_codes",
    "summarise",
    "summarise_scores",
]


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
    """The disclosure gate on segments, before anything is processed or reported.

    Identifiers in the segment texts (e-mail and web addresses, phone numbers, dates,
    health and national identifiers, postcodes, participant ids) and the names of the
    roster are replaced by ``[email]``, ``[url]``, ``[phone]``, ``[date]``, ``[id]``,
    ``[postcode]`` and ``[name]`` (:func:`partner_study.disclosure.redact_text`); source
    document names, which often name a person (``interview_sofie_claes.docx``), become
    ``D001``, ``D002``, ... (:func:`partner_study.disclosure.pseudonymise_documents`).

    Returns
    -------
    (Study, DataFrame)
        The study with redacted texts, pseudonymised documents and no roster, and the
        counts: ``kind, n_redactions, n_segments`` (one row per kind of identifier and a
        ``total`` row).
    """
    names = tuple(study.roster["name"].dropna()) if study.roster is not None else ()
    ids = study.participants["participant_id"]
    segments = study.segments
    if segments is None:
        empty = pd.DataFrame({"segment_id": [], "text": []}, dtype="str")
        _, table = redact_segment_texts(empty, names=names, ids=ids)
        return Study(study.codebook, study.participants, study.scored, None, None), table
    segments, table = redact_segment_texts(segments, names=names, ids=ids)
    if "document" in segments.columns:
        segments["document"] = pseudonymise_documents(segments["document"])
    return Study(study.codebook, study.participants, study.scored, segments, None), table


def prepare_study(study: Study) -> Study:
    """Score scales, add pseudonyms and attach participant attributes to survey and segments.

    Returns
    -------
    Study
        ``participants`` with a ``pseudonym`` column (after ``participant_id``); ``scored``:
        participant columns + items + one score per scale + ``engagement_level`` (ordered
        categorical) and ``engagement_level_code`` (1..k); ``segments`` with ``site``,
        ``role``, ``collection`` and ``group_id`` (the unit of data collection: a focus
        group is one), ``theme`` and, when the segments have one, their ``valence``
        (stance code).
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
        # Variables the survey asked (not in participants.csv) describe participants too:
        # Table 1 shows them, missing for those who did not answer the survey.
        asked = [v for v in cb.variables if v in scored.columns and v not in participants]
        if asked:
            participants = participants.merge(
                scored[["participant_id", *asked]], on="participant_id", how="left"
            )
    segments = None
    if study.segments is not None:
        themes = {name: code.theme for name, code in cb.codes.items()}
        # The unit of data collection travels with each segment: how its speaker took part
        # (focus group, interview) and in which focus group (DESIGN §3, §8).
        unit = [c for c in ("collection", "group_id") if c in participants.columns]
        segments = study.segments.merge(
            participants[["participant_id", "site", "role", *unit]],
            on="participant_id",
            how="left",
            validate="many_to_one",
        )
        segments["theme"] = segments["code"].map(themes)
        stance = ["valence"] if "valence" in segments.columns else []
        segments = segments[
            [
                "segment_id",
                "participant_id",
                "site",
                "role",
                *unit,
                "document",
                "start",
                "end",
                "coder",
                "code",
                "theme",
                *stance,
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


def summarise_scores(study: Study, *, suppress_below: int = 0) -> pd.DataFrame:
    """Scale scores by role: how many scored, mean and standard deviation.

    A display of the scored survey that shows no participant (no id, no row per person).

    Parameters
    ----------
    study : Study
        A prepared study (:func:`prepare_study`).
    suppress_below : int
        Mean and standard deviation of a group with fewer scores are not shown (they
        would be one or two people's answers); ``describe.suppress_below`` of the
        parameters.

    Returns
    -------
    DataFrame
        One row per scale and role (then ``"all"``), in codebook order:

        - ``scale`` : str
        - ``role`` : str
        - ``n`` : int, participants with a score
        - ``mean``, ``sd`` : float (sample standard deviation); missing when
          ``n < suppress_below``

        Empty (with these columns) when the study has no survey.
    """
    scored = study.scored
    scales = [s for s in study.codebook.scales if scored is not None and s in scored.columns]
    if scored is None or not scales:
        dtypes = {"scale": "str", "role": "str", "n": "int64", "mean": "float64", "sd": "float64"}
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})
    long = scored.melt(id_vars=["role"], value_vars=scales, var_name="scale", value_name="score")
    both = pd.concat([long, long.assign(role="all")], ignore_index=True)
    out = (
        both.groupby(["scale", "role"], sort=False)["score"]
        .agg(n="count", mean="mean", sd="std")
        .reset_index()
    )
    order = {s: i for i, s in enumerate(scales)}
    out = out.sort_values(
        ["scale", "role"],
        key=lambda c: c.map(order) if c.name == "scale" else c.where(c != "all", "\uffff"),
        kind="mergesort",
    )
    small = out["n"] < suppress_below
    out.loc[small, ["mean", "sd"]] = np.nan
    out = out.astype({"scale": "str", "role": "str", "n": "int64"})
    return out[["scale", "role", "n", "mean", "sd"]].reset_index(drop=True)
