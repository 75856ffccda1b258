"""Scales by role: scores and reliability in each role, items compared between roles.

Layer 3 (pure functions on DataFrames). When the roles a codebook declares answer the
same scale, two questions come before comparing their scores: does the scale hold together
in each role (alpha, omega and the item-rest correlations side by side), and on which items
do the roles differ (a mean difference per item with its 95% interval)? A study with one
role has nothing to compare: both tables are then empty (the report says why).

Roles are compared with the first role the codebook declares (the reference), each other
role against it, as a regression with the role as a treatment-coded factor would: with
three roles, two comparisons, not three.

Disclosure control (``suppress_below``): the counts of :func:`table_scales_by_role` are
released as the other count tables are (:func:`partner_study.disclosure.suppress_scales_by_role`);
the statistics of a role with fewer answers than the threshold are not shown; item
differences are rounded to the two decimals the paper tables print, since the mean
answers of two groups, given exactly, tell the Likert table's hidden counts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from partner_study.codebook import Codebook
from partner_study.disclosure import suppress_scales_by_role
from partner_study.scales import item_rest_correlations, reversed_items, scale_reliability

__all__ = [
    "SCALES_BY_ROLE_COLUMNS",
    "ITEMS_BY_ROLE_COLUMNS",
    "compared_roles",
    "welch_difference",
    "table_scales_by_role",
    "table_items_by_role",
]

SCALES_BY_ROLE_COLUMNS = [
    "scale",
    "role",
    "n",
    "mean",
    "sd",
    "n_complete",
    "alpha",
    "alpha_ci_low",
    "alpha_ci_high",
    "omega",
    "note",
]
ITEMS_BY_ROLE_COLUMNS = [
    "scale",
    "item",
    "role",
    "reference",
    "item_rest",
    "difference",
    "ci_low",
    "ci_high",
    "note",
]
#: Decimals of the item differences released when disclosure control is on.
DIFFERENCE_DECIMALS = 2


def compared_roles(scored: pd.DataFrame | None, codebook: Codebook) -> list[str]:
    """The roles with at least one survey respondent, in the codebook's declared order
    (undeclared values after, sorted): the first is the reference of every comparison.

    Examples
    --------
    >>> from partner_study.codebook import parse_codebook
    >>> cb = parse_codebook("study: s\\nid: p\\nrole: {column: r, levels: [b, a]}\\nsite: s")
    >>> compared_roles(pd.DataFrame({"role": ["a", "b", "a"]}), cb)
    ['b', 'a']
    """
    if scored is None or "role" not in scored.columns:
        return []
    present = set(scored["role"].dropna().astype(str))
    declared = [r for r in codebook.role_levels if r in present]
    return declared + sorted(present - set(declared))


def welch_difference(x: pd.Series, y: pd.Series, *, ci: float = 0.95) -> pd.Series:
    """Difference of two independent means, ``mean(x) - mean(y)``, with Welch's interval.

    Parameters
    ----------
    x, y : Series
        The two groups' values (missing values dropped).
    ci : float
        Confidence level.

    Returns
    -------
    Series
        ``difference, ci_low, ci_high, df`` (Welch-Satterthwaite degrees of freedom);
        the interval is NaN when a group has fewer than 2 values or neither varies.

    Notes
    -----
    ``se = sqrt(s_x^2 / n_x + s_y^2 / n_y)``, ``df = se^4 / ((s_x^2 / n_x)^2 / (n_x - 1) +
    (s_y^2 / n_y)^2 / (n_y - 1))``, interval ``difference -/+ t_{df, (1 + ci) / 2} se``:
    R's ``t.test(x, y)``.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. Biometrika 34, 28-35. doi:10.1093/biomet/34.1-2.28

    Examples
    --------
    >>> d = welch_difference(pd.Series([19.1, 21.0, 20.4]), pd.Series([17.2, 18.0, 17.9, 18.8]))
    >>> round(float(d["difference"]), 3), round(float(d["df"]), 2)
    (2.192, 3.34)
    """
    a = pd.to_numeric(x, errors="coerce").dropna().to_numpy(dtype=float)
    b = pd.to_numeric(y, errors="coerce").dropna().to_numpy(dtype=float)
    out = {"difference": np.nan, "ci_low": np.nan, "ci_high": np.nan, "df": np.nan}
    if len(a) == 0 or len(b) == 0:
        return pd.Series(out)
    out["difference"] = a.mean() - b.mean()
    if len(a) < 2 or len(b) < 2:
        return pd.Series(out)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = np.sqrt(va + vb)
    if se == 0:
        return pd.Series(out)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    from scipy.special import stdtrit  # the t quantile function (what scipy.stats.t.ppf uses)

    half = float(stdtrit(df, (1 + ci) / 2)) * se
    out.update(ci_low=out["difference"] - half, ci_high=out["difference"] + half, df=df)
    return pd.Series(out)


def table_scales_by_role(
    scored: pd.DataFrame | None,
    codebook: Codebook,
    *,
    ci: float = 0.95,
    suppress_below: int = 0,
) -> pd.DataFrame:
    """Scale scores and reliability in each role.

    Parameters
    ----------
    scored : DataFrame or None
        The scored survey (items, scale scores, ``role``).
    codebook : Codebook
        The scales and the declared roles.
    ci : float
        Confidence level of alpha's interval.
    suppress_below : int
        Disclosure threshold (``describe.suppress_below``): counts from 1 to
        ``suppress_below - 1`` are hidden with the statistics they go with, and further
        counts until none can be derived (:func:`partner_study.disclosure.suppress_scales_by_role`,
        with the reliability table's ``n``, which the complete rows of the roles add up
        to). 0 or 1: off.

    Returns
    -------
    DataFrame
        :data:`SCALES_BY_ROLE_COLUMNS`, one row per scale (codebook order) and role
        (:func:`compared_roles` order): ``n`` respondents with a score, their ``mean`` and
        ``sd`` (ddof 1); ``n_complete`` rows answering every item, with alpha and its
        interval, omega and the keying ``note`` of
        :func:`partner_study.scales.scale_reliability` computed on them. Empty (these
        columns) without a survey or with fewer than two roles answering it.
    """
    roles = compared_roles(scored, codebook)
    if scored is None or not codebook.scales or len(roles) < 2:
        return _empty(SCALES_BY_ROLE_COLUMNS)
    keyed = reversed_items(scored, codebook)
    role = scored["role"].astype(str)
    rows, totals = [], []
    for name, scale in codebook.scales.items():
        block = keyed[list(scale.items)]
        totals.append({"scale": name, "n": int(block.dropna().shape[0])})
        for r in roles:
            mine = (role == r).to_numpy()
            scores = pd.to_numeric(scored.loc[mine, name], errors="coerce").dropna()
            rel = scale_reliability(
                block[mine], ci=ci, reverse=scale.reverse, where=f"scales.{name}"
            )
            rows.append(
                {
                    "scale": name,
                    "role": r,
                    "n": len(scores),
                    "mean": scores.mean() if len(scores) else np.nan,
                    "sd": scores.std(ddof=1) if len(scores) > 1 else np.nan,
                    "n_complete": rel["n"],
                    "alpha": rel["alpha"],
                    "alpha_ci_low": rel["alpha_ci_low"],
                    "alpha_ci_high": rel["alpha_ci_high"],
                    "omega": rel["omega"],
                    "note": rel["note"],
                }
            )
    out = _typed(pd.DataFrame(rows, columns=SCALES_BY_ROLE_COLUMNS), counts=["n", "n_complete"])
    return suppress_scales_by_role(out, pd.DataFrame(totals), threshold=suppress_below)


def table_items_by_role(
    scored: pd.DataFrame | None,
    codebook: Codebook,
    *,
    ci: float = 0.95,
    suppress_below: int = 0,
) -> pd.DataFrame:
    """Each item in each role: its item-rest correlation, and its mean difference from the
    reference role with a 95% interval.

    Parameters
    ----------
    scored : DataFrame or None
        The scored survey (items, scale scores, ``role``).
    codebook : Codebook
        The scales and the declared roles.
    ci : float
        Confidence level of the intervals.
    suppress_below : int
        Disclosure threshold: a role with fewer answers to an item (or fewer complete
        rows, for the item-rest correlation) shows no statistic of it, and differences
        are rounded to two decimals. 0 or 1: off (full precision).

    Returns
    -------
    DataFrame
        :data:`ITEMS_BY_ROLE_COLUMNS`, one row per item (codebook order) and role
        (:func:`compared_roles` order), among the respondents with a score on the item's
        scale: ``reference`` the first role; ``item_rest`` the corrected item-total
        correlation within the role (reverse-keyed items recoded; complete rows of the
        scale); on the other roles' rows, ``difference`` = the role's mean answer minus
        the reference's, on the item's response scale *as worded* (reverse-keyed items
        not recoded, as the Likert table shows them), with Welch's interval
        (:func:`welch_difference`); ``note`` says why a statistic is
        missing. Only items both roles answered are compared. Empty (these columns)
        without a survey or with fewer than two roles answering it.
    """
    roles = compared_roles(scored, codebook)
    if scored is None or not codebook.scales or len(roles) < 2:
        return _empty(ITEMS_BY_ROLE_COLUMNS)
    reference = roles[0]
    least = max(2, suppress_below)
    keyed = reversed_items(scored, codebook)
    role = scored["role"].astype(str)
    rows = []
    for name, scale in codebook.scales.items():
        with_score = pd.to_numeric(scored[name], errors="coerce").notna().to_numpy()
        block = keyed.loc[with_score, list(scale.items)]
        in_role = {r: (role[with_score] == r).to_numpy() for r in roles}
        rest = {}
        for r in roles:
            complete = int(block[in_role[r]].dropna().shape[0])
            rest[r] = (
                item_rest_correlations(block[in_role[r]])
                if complete >= least
                else pd.Series(np.nan, index=list(scale.items))
            )
        for item in scale.items:
            answers = pd.to_numeric(scored.loc[with_score, item], errors="coerce")
            base = answers[in_role[reference]].dropna()
            for r in roles:
                mine = answers[in_role[r]].dropna()
                if len(mine) == 0:
                    continue  # not asked of this role (or never answered): nothing to show
                row: dict[str, Any] = {
                    "scale": name,
                    "item": item,
                    "role": r,
                    "reference": reference,
                    "item_rest": float(rest[r].get(item, np.nan)),
                    "note": "",
                }
                if r != reference:
                    if len(mine) < least or len(base) < least:
                        row["note"] = (
                            f"fewer than {least} answers (this role or the reference): not compared"
                        )
                    else:
                        d = welch_difference(mine, base, ci=ci)
                        row.update({k: float(d[k]) for k in ("difference", "ci_low", "ci_high")})
                rows.append(row)
    out = pd.DataFrame(rows, columns=ITEMS_BY_ROLE_COLUMNS)
    stats = ["item_rest", "difference", "ci_low", "ci_high"]
    out[stats] = out[stats].astype("float64")
    if suppress_below > 1:
        shown = ["difference", "ci_low", "ci_high"]
        out[shown] = out[shown].round(DIFFERENCE_DECIMALS)
    return out.astype({c: "object" for c in ("scale", "item", "role", "reference", "note")})


def _empty(columns: list[str]) -> pd.DataFrame:
    text = {"scale", "item", "role", "reference", "note"}
    return pd.DataFrame({c: pd.Series(dtype="object" if c in text else "float64") for c in columns})


def _typed(frame: pd.DataFrame, *, counts: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        if c in counts:
            out[c] = out[c].astype("Int64")
        elif c not in ("scale", "role", "note"):
            out[c] = out[c].astype("float64")
    return out
