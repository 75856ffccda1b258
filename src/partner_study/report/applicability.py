"""The analyses a study's shape or data rule out, one sentence each with the reason.

Layer 4. :func:`not_applicable` reads the study's shape and the tidy tables of a run
(agreement notes, regression skips, sites pooled or withheld by disclosure control); the
report lists its sentences after the contents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from partner_study.config import POOLED_SITES
from partner_study.report.names import _pretty
from partner_study.shape import StudyShape
from partner_study.tables._cells import _MODEL_NAMES

__all__ = ["not_applicable"]


def not_applicable(
    shape: StudyShape,
    tables: Mapping[str, pd.DataFrame],
    *,
    models: Iterable[str] = (),
    suppress_below: int | None = None,
) -> list[str]:
    """One sentence per analysis the study's shape or data rule out, with the reason.

    Parameters
    ----------
    shape : StudyShape
        The study's shape (strands, roles).
    tables : mapping of str to DataFrame
        The tidy tables of the run (agreement notes, regression skips, site rows).
    models : iterable of str
        The model kinds the parameters ask for.
    suppress_below : int, optional
        The disclosure threshold (``describe.suppress_below``), for the sentences on
        sites pooled or withheld in the analyses by site and, at 0 or 1, the sentence
        saying disclosure control is off. None: not said.

    Returns
    -------
    list of str
        Sentences in report order; empty when everything applies.
    """
    out: list[str] = []
    if not shape.has_survey:
        out.append(
            "Survey results (Likert responses, reliability, regression): the codebook "
            "declares no survey scales."
        )
    elif len(shape.scales) == 1:
        out.append(
            "Regression: the codebook declares one scale, so there is nothing to regress it on."
        )
    by_role = tables.get("scales-by-role")
    if shape.has_survey and (len(shape.roles) < 2 or (by_role is not None and not len(by_role))):
        who = f"the study has one role ({shape.role_list()})" if len(shape.roles) < 2 else ""
        out.append(
            "Scales by role (scores, reliability and items compared between roles): "
            + (who or "the survey was answered in one role only")
            + "."
        )
    if not shape.has_qualitative:
        out.append(
            "Qualitative results (codes, agreement, quotations): the codebook declares no "
            "qualitative codes."
        )
    if not shape.has_qualitative:
        out.append("Joint displays: they need coded interviews or focus groups.")
    elif not shape.has_survey:
        out.append("Joint display of themes with survey scores: the study has no survey strand.")
    if shape.has_qualitative and len(shape.roles) < 2:
        out.append(
            f"Comparison of roles in the joint display: the study has one role "
            f"({shape.role_list()})."
        )
    if suppress_below is not None and suppress_below <= 1:
        out.append(
            "Disclosure control (small counts hidden): off, since describe.suppress_below is "
            f"{suppress_below}; counts below 5 are shown: do not share these outputs beyond "
            "the study team."
        )
    shares = tables.get("joint-display-roles")
    if shares is not None and len(shares) and "pct_mentioning" in shares.columns:
        if pd.to_numeric(shares["pct_mentioning"], errors="coerce").isna().all():
            out.append(
                "Figures of themes by role and of the joint display: disclosure control "
                f"hides every share (fewer than {suppress_below} coded participants in a "
                "role, or shares from which such a count could be derived)."
            )
    agreement = tables.get("agreement")
    if agreement is not None and len(agreement) and "note" in agreement.columns:
        notes = agreement["note"].dropna().astype(str)
        notes = notes[notes.str.len() > 0]
        if len(notes) and (agreement["code"].astype(str) == "(none)").all():
            out.append(f"Inter-coder agreement: {notes.iloc[0].rstrip('.')}.")
    regression = tables.get("regression")
    if regression is not None and len(regression) and "note" in regression.columns:
        skipped = regression[regression["term"].astype(str) == "(skipped)"]
        for model, note in dict(zip(skipped["model"], skipped["note"], strict=True)).items():
            if str(model) in set(models) or not models:
                name = _MODEL_NAMES.get(str(model), _pretty(str(model)))
                out.append(f"{name} model: {str(note).rstrip('.')}.")
    if suppress_below is not None and suppress_below > 1 and len(shape.sites) > 1:
        out += _by_site_sentences(tables, suppress_below)
    return out


def _by_site_sentences(tables: Mapping[str, pd.DataFrame], threshold: int) -> list[str]:
    """What disclosure control did to the analyses by site, one sentence each."""
    out = []
    analyses = (
        ("codes-by-site", "codes", "Codes by site", "coded participants"),
        ("regression-by-site", "regression", "Regression by site", "complete cases"),
    )
    for name, parent, what, unit in analyses:
        frame, whole = tables.get(name), tables.get(parent)
        if frame is None or whole is None or not len(whole):
            continue
        if not len(frame):
            out.append(
                f"{what}: withheld, since fewer than two sites (or pooled groups of sites) "
                f"have {threshold} or more {unit} (disclosure control)."
            )
        elif "site" in frame.columns and frame["site"].astype(str).eq(POOLED_SITES).any():
            out.append(
                f"{what}: sites with fewer than {threshold} {unit} are not shown on their "
                f"own but pooled, with the smallest other sites where they are still too "
                f"few, as 'Other sites' (disclosure control)."
            )
    return out
