"""Journal-style captions for the figures and tables a run produced.

Layer 4. :func:`default_captions` drafts one caption per figure and table name the
pipeline produces, numbered in report order, stating the counts of
:func:`partner_study.report.counts.caption_counts` and the labels of the codebook.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from partner_study.errors import ParamsError
from partner_study.report.names import _TABLE_ORDER, CAPTION_COLUMNS, FIGURE_NAMES, _pretty
from partner_study.shape import StudyShape

__all__ = ["default_captions"]

# Which participants each caption's n describes (keys of ``n`` in default_captions).
_STRAND = {
    "characteristics": "participants",
    "likert": "survey",
    "reliability": "survey",
    "scales-by-role": "survey",
    "items-by-role": "survey",
    "item-differences": "survey",
    "regression": "survey",
    "regression-sensitivity": "survey",
    "site-heterogeneity": "survey",
    "likert-*": "survey",
    "regression-forest": "survey",
    "engagement-vs-*": "survey",
    "site-effects": "survey",
    "codes": "coded",
    "cooccurrence": "coded",
    "quotes": "coded",
    "themes-by-role": "coded",
    "joint-display": "coded",
}

_TABLE_TEXT = {
    "characteristics": (
        "Characteristics of the participants of the {study} study, by {by}{n}. Data are n (%) "
        "of those who answered, mean (SD) or median [first quartile, third quartile]; small "
        "counts, and cells from which they could be derived, are suppressed."
    ),
    "likert": (
        "Responses to each Likert item of the {study} survey, by {by}{n}: number (%) of "
        "respondents choosing each response option; percentages exclude missing answers."
    ),
    "reliability": (
        "Internal consistency of the survey scales of the {study} study{n}: Cronbach's α with "
        "95% confidence interval and McDonald's ω; n is the number of respondents in the "
        "computation."
    ),
    "scales-by-role": (
        "The survey scales of the {study} study in each role{n}: mean (SD) scale score of the "
        "respondents with a score and, side by side, the scale's internal consistency in "
        "each role (Cronbach's α with 95% confidence interval and McDonald's ω, on the "
        "respondents who answered every item), to check that a scale holds together alike "
        "in every role before comparing scores."
    ),
    "items-by-role": (
        "The items of the {study} survey compared between roles{n}: each item's correlation "
        "with the rest of its scale in each role, and the difference in mean answer of each "
        "role from the {reference} with 95% confidence interval (Welch), among the "
        "respondents with a score on the scale."
    ),
    "codes": (
        "Themes and codes of the interviews and focus groups of the {study} study, by "
        "role{n}: number (%) of coded participants who raised each code at least once, "
        "and number of coded segments. Theme rows count a participant once, whichever of "
        "its codes they carry."
    ),
    "cooccurrence": (
        "Co-occurrence of codes in the {study} study{n}: number of coded segments (and "
        "participants) carrying both codes of each pair."
    ),
    "agreement": (
        "Inter-coder agreement per code in the {study} study, on the segments coded by more "
        "than one coder: percent agreement, Cohen's κ and Krippendorff's α (nominal) for the "
        "presence or absence of each code."
    ),
    "quotes": (
        "Exemplar quotations per theme and role from the {study} study{n}, chosen "
        "deterministically and redacted of direct identifiers; speakers are identified by "
        "pseudonym."
    ),
    "regression": (
        "Associations of the outcomes with {dependent} in the {study} study{n}. "
        "Estimates with 95% confidence intervals and two-sided p values: coefficients of "
        "linear models (OLS with robust standard errors; mixed models with a random site "
        "intercept) and of the proportional-odds model of the ordinal dependent; each outcome "
        "in its own models adjusted for the covariates, then all outcomes together."
    ),
    "regression-ols": (
        "Associations of the outcomes with {dependent} in the {study} study{n}: linear "
        "models (OLS, robust standard errors), each outcome in its own model adjusted for "
        "the covariates, then all outcomes together; estimates with 95% confidence "
        "intervals, two-sided p values and Benjamini-Hochberg adjusted p values."
    ),
    "regression-mixed": (
        "Associations of the outcomes with {dependent} in the {study} study{n}: linear "
        "mixed models with a random intercept per {site} (REML), each outcome in its own "
        "model, then all together; estimates with 95% confidence intervals, two-sided p "
        "values and Benjamini-Hochberg adjusted p values."
    ),
    "regression-ordinal": (
        "Associations of the outcomes with {ordinal} in the {study} study{n}: "
        "proportional-odds (ordinal logit) models, coefficients as log-odds with 95% "
        "confidence intervals, two-sided p values and Benjamini-Hochberg adjusted p values; "
        "cut points on the scale of the levels."
    ),
    "regression-ordinal-probit": (
        "Associations of the outcomes with {ordinal} in the {study} study{n}: ordinal "
        "probit models, coefficients on the latent scale with 95% confidence intervals, "
        "two-sided p values and Benjamini-Hochberg adjusted p values."
    ),
    "regression-sensitivity": (
        "Sensitivity analysis of the {study} study{n}: complete-case OLS estimates beside "
        "estimates after multiple imputation by chained equations, with 95% confidence "
        "intervals."
    ),
    "site-heterogeneity": (
        "Between-site heterogeneity of the associations with {dependent} in the {study} "
        "study{n}: the joint model fitted within each site, the inverse-variance pooled "
        "estimate, Cochran's Q, I-squared and the between-site variance."
    ),
    "joint-display-scores": (
        "Survey scores beside the themes of the {study} study: for each theme and scale, the "
        "mean score of the participants of both strands who raised the theme and of those "
        "who did not."
    ),
    "joint-display": (
        "Joint display of the {study} study{n}: for each theme, the percentage of the "
        "participants of each role who raised it (silent focus-group members included) and, "
        "when the study has two roles or more, the two roles compared (with three or more, "
        "the two whose percentages differ most): the difference in percentage points with "
        "its 95% confidence interval counted by unit (a focus group is one unit), the "
        "finding that follows from the interval (divergence, convergence or inconclusive), "
        "the mode of data collection where it coincides with the role, the meta-inference "
        "and an exemplar quotation from each."
    ),
}
_FIGURE_TEXT = {
    "likert-*": (
        "Responses to the {thing} items of the {study} survey, by {by}{n}. Each bar is one "
        "item: segments show the percentage of respondents choosing each response option, "
        "centred on the neutral option, with disagreement to the left and agreement to the "
        "right. A hatched segment, where shown, is the share of answers hidden by disclosure "
        "control (small counts, whatever their options), drawn at the right end."
    ),
    "item-differences": (
        "Difference in mean answer to each item of the {study} survey between roles{n}: "
        "each role minus the {reference}, on the item's response scale as worded, with 95% "
        "confidence intervals (Welch); one panel per scale; the dashed line marks no "
        "difference."
    ),
    "themes-by-role": (
        "Percentage of the coded participants of each role who raised each theme in the "
        "{study} study{n}. Dots show the percentage per role, joined by a line; themes are "
        "sorted by the overall percentage. A percentage hidden by disclosure control is not "
        "drawn."
    ),
    "regression-forest": (
        "Associations of each outcome with {dependent} in the {study} study{n}. "
        "Points are estimates and horizontal lines their 95% confidence intervals, one "
        "marker per model; the vertical line marks no association."
    ),
    "engagement-vs-*": (
        "{Dependent} score against {thing} score in the {study} survey{n}. Each point is a "
        "respondent (slightly jittered), coloured by role; lines are least-squares fits per "
        "role over the observed range."
    ),
    "site-effects": (
        "Associations with {dependent} within each {site} of the {study} study{n}: the "
        "joint model's coefficients fitted in each {site} with 95% confidence intervals, "
        "the inverse-variance pooled estimate (diamond) and the heterogeneity (I-squared); "
        "the vertical line marks no association."
    ),
    "joint-display": (
        "Joint display of the {study} study{n}: percentage of the participants of each "
        "role raising each theme, one marker per role, joined by a line, sorted by the "
        "difference between the roles compared; where the study has two roles or more, "
        "that difference with its 95% confidence interval counted by unit (a focus group is "
        "one unit), the equivalence margin shaded. Shaded rows mark themes where the "
        "interval excludes zero (divergence); a role's mode of data collection is "
        "named beside it where the two coincide. A percentage hidden by disclosure control "
        "is not drawn."
    ),
}


def _pattern(name: str, known: Iterable[str]) -> str | None:
    for pattern in known:
        if pattern == name or (
            pattern.endswith("*") and name.startswith(pattern[:-1]) and len(name) > len(pattern) - 1
        ):
            return pattern
    return None


def _n_text(counts: Any, shape: StudyShape | None = None, by: str = "role") -> str:
    if counts is None:
        return ""
    if isinstance(counts, Mapping):
        parts = [
            f"{int(v):,} {shape.group_label(k, by) if shape is not None else k}"
            for k, v in counts.items()
            if str(k) != "all"
        ]
        if not parts:
            return f" (n = {int(counts['all']):,})" if "all" in counts else ""
        joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f" (n = {joined})"
    return f" (n = {int(counts):,})"


def _in_sentence(label: str) -> str:
    """A label inside a sentence: ``Site`` -> ``site``; ``NHS trust`` stays as it is."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def _requested(names: Any) -> list[tuple[str, str]]:
    if isinstance(names, str):
        names = [names]
    if isinstance(names, Mapping):
        unknown = sorted(set(names) - {"figure", "table"})
        if unknown:
            raise ParamsError(
                f"default_captions: names keys must be 'figure' and/or 'table', not "
                f"{', '.join(map(repr, unknown))}."
            )
        return [(kind, str(n)) for kind in ("table", "figure") for n in names.get(kind, [])]
    pairs = []
    for name in map(str, names):
        kinds = [
            k
            for k, known in (("table", _TABLE_ORDER), ("figure", FIGURE_NAMES))
            if _pattern(name, known)
        ]
        pairs += [(k, name) for k in (kinds or ["figure" if "-" in name else "table"])]
    return pairs


def default_captions(
    study: str,
    names: Mapping[str, Iterable[str]] | Iterable[str],
    *,
    n: Mapping[str, int | Mapping[str, int]] | None = None,
    shape: StudyShape | None = None,
    by: str = "role",
) -> pd.DataFrame:
    """Journal-style captions for the figures and tables a run produced.

    Parameters
    ----------
    study : str
        Study name, used in every caption ("the example study").
    names : mapping or iterable of str
        ``{"figure": [...], "table": [...]}``, or plain names; a plain name gets a caption
        for every kind it is known as (``joint-display`` is both a figure and a table).
        Known figures: ``likert-<scale>``, ``themes-by-role``, ``regression-forest``,
        ``engagement-vs-<outcome>``, ``site-effects``, ``joint-display``; known tables:
        :data:`TABLE_NAMES`. Other names get a plain caption.
    n : mapping, optional
        Counts stated in the captions, by table or figure name (:func:`caption_counts`),
        else by strand: ``"participants"`` (Table 1),
        ``"survey"`` (survey tables and figures), ``"coded"`` (qualitative ones); each an
        int or a mapping role -> count (``{"a": 421, "b": 179}``).
    shape : StudyShape, optional
        Role labels (plural, as the codebook declares them) for the counts.
    by : str
        The grouping of Table 1 and the Likert tables (params ``describe.by``): its
        counts are named by the group's labels (roles, sites) and captions say "by ...".

    Returns
    -------
    DataFrame
        ``kind`` ("figure" or "table"), ``name``, ``number`` (int, from 1 per kind, in the
        report order of :data:`TABLE_NAMES` and :data:`FIGURE_NAMES`, unknown names last,
        given order kept within a pattern), ``caption`` (str, without "Table n.").

    Raises
    ------
    ParamsError
        ``names`` is a mapping with keys other than "figure" and "table".

    Examples
    --------
    >>> default_captions("example", ["reliability"]).loc[0, "caption"][:40]
    'Internal consistency of the survey scale'
    """
    counts = n or {}
    roles = shape.role_list() if shape is not None and shape.roles else "by role"
    site = _in_sentence(shape.site_label) if shape is not None else "site"
    ordinal = (
        shape.label(shape.ordinal_dependent)
        if shape is not None and shape.ordinal_dependent
        else "the ordinal dependent"
    )
    by_text = (
        "role"
        if by == "role" or shape is None
        else shape.site_label
        if by == "site"
        else shape.label(by)
    )
    dependent = (shape.dependent_label() if shape is not None else "") or "the dependent"
    reference = (
        _in_sentence(shape.role_label(shape.role_names[0], plural=True))
        if shape is not None and shape.roles
        else "first role"
    )
    rows = []
    for kind, name in dict.fromkeys(_requested(names)):
        order = _TABLE_ORDER if kind == "table" else FIGURE_NAMES
        texts = _TABLE_TEXT if kind == "table" else _FIGURE_TEXT
        pattern = _pattern(name, order)
        if pattern is None and kind == "table" and name.startswith("likert-"):
            pattern = "likert"  # one Likert table per response set
        vs = re.fullmatch(r"(.+)-vs-(.+)", name) if kind == "figure" else None
        if pattern is None and vs:  # <dependent>-vs-<outcome>, whatever the dependent
            pattern, name_part = "engagement-vs-*", vs.group(2)
        else:
            name_part = name[len(pattern) - 1 :] if pattern and pattern.endswith("*") else ""
        grouped = pattern in ("characteristics", "likert", "likert-*")
        group_by = by if grouped else "role"
        if name in counts:
            n_text = _n_text(counts[name], shape, group_by)
        else:
            n_text = _n_text(counts.get(_STRAND.get(pattern or "", "")), shape) if pattern else ""
        if pattern is None:
            caption = f"{_pretty(name)}, {study} study."
        else:
            part = name_part
            thing = (shape.label(part) if shape is not None else _pretty(part)) if part else ""
            caption = texts[pattern].format(
                study=study,
                n=n_text,
                thing=thing,
                roles=roles,
                dependent=dependent,
                Dependent=dependent[:1].upper() + dependent[1:],
                by=by_text,
                site=site,
                ordinal=ordinal,
                reference=reference,
            )
        rank = order.index(pattern) if pattern else len(order)
        rows.append({"kind": kind, "name": name, "caption": caption, "_rank": rank})
    frame = pd.DataFrame(rows, columns=["kind", "name", "caption", "_rank"])
    frame = frame.sort_values(
        ["kind", "_rank"],
        kind="mergesort",
        key=lambda s: s.map({"table": 0, "figure": 1}) if s.name == "kind" else s,
    )
    frame["number"] = frame.groupby("kind").cumcount() + 1
    return (
        frame[list(CAPTION_COLUMNS)]
        .reset_index(drop=True)
        .astype({"kind": "object", "name": "object", "number": "int64", "caption": "object"})
    )
