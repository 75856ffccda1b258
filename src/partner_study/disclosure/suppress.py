"""Small-cell suppression of the count tables a stage writes.

Layer 3 (analysis), part of :mod:`partner_study.disclosure`. Each function takes the true
tidy table(s) of one stage and returns them as they may be released: the counts from 1 to
``threshold - 1`` hidden, and enough further cells hidden that none of them can be derived
from what is printed (:func:`~partner_study.disclosure.protect.protect`, judged by the
audit criterion of :mod:`~partner_study.disclosure.audit`). A hidden count is empty
(``NaN``) in the tidy table, with its percentage and whatever is printed beside it.
Percentages whose denominator the table does not print (Table 1's answers of a group,
the Likert answers to an item) are rounded to the one decimal the paper tables show.

Tables that print the same counts are protected together (:func:`suppress_codes`: the
``all`` rows of the codes by role and by site) or follow the suppression of the table that
prints them first (:func:`hide_like_codes`: the shares of the joint display and of the
themes-by-role figure are those of the codes table's theme rows).

A ``threshold`` of 0 or 1 turns suppression off and leaves every table as it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from partner_study.disclosure import structure as survey
from partner_study.disclosure import structure_coded as coded
from partner_study.disclosure.protect import protect
from partner_study.disclosure.release import Release

__all__ = [
    "PERCENT_DECIMALS",
    "suppress_characteristics",
    "suppress_likert",
    "suppress_scales_by_role",
    "suppress_codes",
    "suppress_cooccurrence",
    "suppress_statistics",
    "hide_like_codes",
]

#: Decimals of a percentage whose denominator a table does not print (as displayed).
PERCENT_DECIMALS = 1


def _round(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    out = frame.copy()
    out[column] = pd.to_numeric(out[column], errors="coerce").round(PERCENT_DECIMALS)
    return out


def suppress_characteristics(table: pd.DataFrame, *, threshold: int) -> pd.DataFrame:
    """Table 1 (:func:`partner_study.describe.table_characteristics`) as it may be released.

    Primary suppression hides every count from 1 to ``threshold - 1`` (a level, the
    missing answers, the answers to a numeric variable and its statistics, a group's
    size); complementary suppression then hides further counts until the audit finds no
    hidden count narrower than the threshold, whatever is used: the sums of levels,
    missing answers and groups, the ``all`` column, and the percentages (of those who
    answered), which are rounded to one decimal. Returns a copy.
    """
    if threshold <= 1:
        return table.copy()
    rounded = _round(table, "percent")
    release = Release(threshold=threshold, released=False)
    survey.describe_characteristics(release, rounded)
    protect(release)
    return survey.apply_characteristics(release, rounded)


def suppress_likert(table: pd.DataFrame, *, threshold: int) -> pd.DataFrame:
    """The Likert table (:func:`partner_study.describe.table_likert`) as it may be
    released: small counts of a response hidden with their percentage, and what would
    reveal them; percentages rounded to one decimal. Returns a copy."""
    if threshold <= 1 or table.empty:
        return table.copy()
    rounded = _round(table, "percent")
    release = Release(threshold=threshold, released=False)
    survey.describe_likert(release, rounded)
    protect(release)
    return survey.apply_likert(release, rounded)


def suppress_scales_by_role(
    table: pd.DataFrame, totals: pd.DataFrame | None = None, *, threshold: int
) -> pd.DataFrame:
    """The scales-by-role table (:func:`partner_study.scales_by_role.table_scales_by_role`)
    as it may be released: a role's respondents or complete rows from 1 to
    ``threshold - 1`` hidden with the statistics computed on them, and further counts
    until none can be derived, with ``totals`` (``scale, n``: the reliability table's
    complete rows, which the roles' add up to) printed. Returns a copy."""
    if threshold <= 1 or table.empty:
        return table.copy()
    release = Release(threshold=threshold, released=False)
    survey.describe_scales_by_role(release, table, totals)
    protect(release)
    return survey.apply_scales_by_role(release, table)


def suppress_codes(
    codes: pd.DataFrame, by_site: pd.DataFrame | None = None, *, threshold: int
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The codes tables (:func:`partner_study.qualitative.table_codes` by role and by
    site) as they may be released, protected together: they print the same ``all`` rows.

    A hidden cell leaves its participants, segments and percentage empty. The group sizes
    (coded participants) stay printed; percentages keep their precision, since their
    denominators are printed. Sites below the threshold should be pooled first
    (:func:`partner_study.disclosure.pool_small_groups`). Returns copies.
    """
    if threshold <= 1:
        return codes.copy(), None if by_site is None else by_site.copy()
    release = Release(threshold=threshold, released=False)
    coded.describe_codes(release, codes, name="codes")
    if by_site is not None and len(by_site):
        coded.describe_codes(release, by_site, name="codes-by-site")
    protect(release)
    out_site = None if by_site is None else coded.apply_codes(release, by_site)
    return coded.apply_codes(release, codes), out_site


def suppress_cooccurrence(table: pd.DataFrame, *, threshold: int) -> pd.DataFrame:
    """The co-occurrence table (:func:`partner_study.qualitative.table_cooccurrence`) as it
    may be released: a pair raised by 1 to ``threshold - 1`` participants shows neither its
    participants nor its segments (which bound them). Returns a copy."""
    if threshold <= 1 or table.empty:
        return table.copy()
    release = Release(threshold=threshold, released=False)
    coded.describe_cooccurrence(release, table)
    protect(release)
    return coded.apply_cooccurrence(release, table)


def suppress_statistics(statistics: pd.DataFrame, *, threshold: int) -> pd.DataFrame:
    """The survey side of the joint display
    (:func:`partner_study.integrate.joint_display_statistics`) as it may be released: a
    percentage of a level group that stands for 1 to ``threshold - 1`` participants, the
    size of such a group, and a mean score of fewer participants are hidden, with what
    would reveal them. Returns a copy."""
    if threshold <= 1 or statistics.empty:
        return statistics.copy()
    release = Release(threshold=threshold, released=False)
    coded.describe_statistics(release, statistics)
    protect(release)
    return coded.apply_statistics(release, statistics)


def hide_like_codes(
    frame: pd.DataFrame,
    codes: pd.DataFrame,
    *,
    count: str,
    percent: str,
    role: str = "role",
    also: tuple[str, ...] = ("ci_low", "ci_high", "stance"),
) -> pd.DataFrame:
    """``frame`` (one row per theme and role) with ``count`` and ``percent`` empty where the
    released codes table hides the theme row of that role, and the columns ``also`` that
    ``frame`` has (what is printed beside the share: its interval, the role's stance).

    For the tables and figures that show the codes table's theme shares again: the joint
    display by role (``n_mentioning``, ``pct_mentioning``) and the themes-by-role figure
    (``n_participants``, ``pct_participants``). Returns a copy.
    """
    out = frame.copy()
    if codes is None or codes.empty or "role" not in codes.columns:
        return out
    theme_rows = codes[codes["code"].astype(str) == coded.THEME_ROW]
    hidden = theme_rows[pd.to_numeric(theme_rows["n_participants"], errors="coerce").isna()]
    keys = set(zip(hidden["theme"].astype(str), hidden["role"].astype(str), strict=True))
    if not keys:
        return out
    mask = np.array(
        [
            (t, r) in keys
            for t, r in zip(out["theme"].astype(str), out[role].astype(str), strict=True)
        ],
        dtype=bool,
    )
    out[count] = out[count].astype("float64")
    out[percent] = out[percent].astype("float64")
    out.loc[mask, [count, percent]] = np.nan
    out[count] = out[count].astype("Int64")
    for column in (c for c in also if c in out.columns):
        out[column] = out[column].where(~mask)
    return out
