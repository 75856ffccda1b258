"""Between-site heterogeneity: the joint model fitted in each site, then pooled
(inverse variance) with Cochran's Q, I-squared and tau-squared.

Layer 3 (analysis), part of :mod:`partner_study.models`; never reads or writes files.
Sites below the disclosure threshold are fitted together (:mod:`partner_study.disclosure`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from partner_study.disclosure import pool_small_groups
from partner_study.models._formula import _declare, _quote, _rhs
from partner_study.models.ols import fit_ols
from partner_study.models.spec import _no_dependent, _read_spec

__all__ = ["BY_SITE_COLUMNS", "HETEROGENEITY_COLUMNS", "fit_by_site", "site_heterogeneity"]

BY_SITE_COLUMNS = (
    "site",
    "term",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "n",
    "note",
)
HETEROGENEITY_COLUMNS = (
    "term",
    "n_sites",
    "pooled",
    "pooled_ci_low",
    "pooled_ci_high",
    "q",
    "df",
    "p_value",
    "i2",
    "tau2",
)


def fit_by_site(
    scored: pd.DataFrame,
    spec: Mapping,
    *,
    min_n: int = 30,
    levels: Mapping[str, Sequence] | None = None,
    pool_below: int = 0,
) -> pd.DataFrame:
    """The joint model of a params ``regression`` spec fitted in each site separately.

    Parameters
    ----------
    scored : DataFrame
        Scored survey with the ``groups`` column (site). Not modified.
    spec : mapping
        The params ``regression`` section (dependent, outcomes, covariates, groups).
    min_n : int
        Sites with fewer complete cases are reported with a note, not fitted.
    levels : mapping, optional
        Declared levels of categorical covariates, reference first (as :func:`fit_models`).
    pool_below : int
        The disclosure threshold (``describe.suppress_below``; 0 or 1: off). Sites with
        fewer complete cases are not shown on their own: they are fitted together as one
        group, :data:`partner_study.config.POOLED_SITES`, with the smallest other sites
        when they are still too few (:func:`partner_study.disclosure.pool_small_groups`);
        when that leaves fewer than two groups nothing is fitted (no rows, and
        ``attrs["note"]`` says why).

    Returns
    -------
    DataFrame
        :data:`BY_SITE_COLUMNS`: one row per site and outcome term (OLS with HC3 errors;
        covariates as in the spec, without the grouping column).
    """
    if _no_dependent(spec.get("dependent")):
        out = pd.DataFrame({c: pd.Series(dtype="float64") for c in BY_SITE_COLUMNS})
        out = out.astype({"site": "str", "term": "str", "note": "str"})
        out.attrs["note"] = (
            "No model by site: it refits the joint linear model, and the study has no "
            "continuous dependent (regression.dependent: none)."
        )
        return out
    s = _read_spec(scored, {**dict(spec), "models": ["ols"]})
    group = s.groups or "site"
    covariates = [c for c in s.covariates if c not in s.outcomes and c != group]
    scored = _declare(scored, levels, covariates)
    if pool_below > 1 and group in scored.columns:
        answered = scored[[s.y, *s.outcomes, *covariates]].notna().all(axis=1)
        sites = scored[group].astype("object").where(scored[group].notna())
        counts = sites[answered].dropna().astype(str).value_counts()
        mapping = pool_small_groups(
            {str(k): int(v) for k, v in counts.items()}, threshold=pool_below
        )
        if mapping is None:
            out = pd.DataFrame({c: pd.Series(dtype="float64") for c in BY_SITE_COLUMNS})
            out = out.astype({"site": "str", "term": "str", "note": "str"})
            out.attrs["note"] = (
                f"No model by site: fewer than two sites (or pooled groups of sites) have "
                f"{pool_below} or more complete cases (disclosure control)."
            )
            return out
        scored = scored.assign(
            **{group: sites.map(lambda v: v if pd.isna(v) else mapping.get(str(v), v))}
        )
    rows = []
    for site, data in scored.groupby(group, sort=True):
        used = [c for c in covariates if data[c].nunique(dropna=True) > 1]
        formula = f"{_quote(s.y)} ~ {_rhs(data, [*s.outcomes, *used])}"
        complete = data[[s.y, *s.outcomes, *used]].dropna()
        if len(complete) < min_n:
            rows += [
                {
                    "site": site,
                    "term": o,
                    "n": len(complete),
                    "note": f"not fitted: {len(complete)} complete cases (< {min_n})",
                }
                for o in s.outcomes
            ]
            continue
        fit = fit_ols(data, formula, cov_type="HC3")
        fit = fit[fit["term"].isin(s.outcomes)]
        for _, r in fit.iterrows():
            rows.append(
                {
                    "site": site,
                    "term": r["term"],
                    "estimate": r["estimate"],
                    "std_error": r["std_error"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "p_value": r["p_value"],
                    "n": r["n"],
                    "note": r["note"],
                }
            )
    out = pd.DataFrame(rows).reindex(columns=list(BY_SITE_COLUMNS))
    out["note"] = out["note"].fillna("")
    return out


def site_heterogeneity(by_site: pd.DataFrame) -> pd.DataFrame:
    """Between-site heterogeneity of each term: inverse-variance pooled estimate, Cochran's Q,
    I-squared and the DerSimonian-Laird tau-squared.

    Returns
    -------
    DataFrame
        :data:`HETEROGENEITY_COLUMNS`, one row per term estimated in at least 2 sites.
        With fewer than 2 sites there is nothing to compare: no rows, and
        ``attrs["note"]`` says why in one sentence (also for a study of one site).

    Notes
    -----
    With site estimates ``b_i`` and variances ``v_i``, weights ``w_i = 1 / v_i``:
    ``Q = sum w_i (b_i - b)^2`` with ``b = sum w_i b_i / sum w_i``; ``I2 = max(0, (Q - df) /
    Q)``; ``tau2 = max(0, (Q - df) / (sum w - sum w^2 / sum w))``.

    References
    ----------
    Higgins, J. P. T. & Thompson, S. G. (2002). Quantifying heterogeneity in a meta-analysis.
    Statistics in Medicine 21, 1539-1558. doi:10.1002/sim.1186
    """
    estimated = by_site.dropna(subset=["estimate", "std_error"])
    n_sites = estimated["site"].nunique() if "site" in estimated.columns else 0
    rows = []
    for term, grp in estimated.groupby("term", sort=False):
        b, v = grp["estimate"].to_numpy(float), grp["std_error"].to_numpy(float) ** 2
        k = len(b)
        if k < 2:
            continue
        w = 1 / v
        pooled = float((w * b).sum() / w.sum())
        se = float(np.sqrt(1 / w.sum()))
        q = float((w * (b - pooled) ** 2).sum())
        df = k - 1
        i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
        tau2 = max(0.0, (q - df) / (w.sum() - (w**2).sum() / w.sum())) if k > 1 else 0.0
        rows.append(
            {
                "term": term,
                "n_sites": k,
                "pooled": pooled,
                "pooled_ci_low": pooled - 1.959963984540054 * se,
                "pooled_ci_high": pooled + 1.959963984540054 * se,
                "q": q,
                "df": df,
                "p_value": float(stats.chi2.sf(q, df)) if df > 0 else np.nan,
                "i2": i2,
                "tau2": tau2,
            }
        )
    out = pd.DataFrame(rows).reindex(columns=list(HETEROGENEITY_COLUMNS))
    if out.empty:
        total = by_site["site"].nunique() if "site" in by_site.columns else 0
        out = out.astype({c: "float64" for c in HETEROGENEITY_COLUMNS if c != "term"})
        out = out.astype({"term": "object"})
        if total < 2:
            out.attrs["note"] = (
                f"Between-site heterogeneity is not estimated: the data hold {total} "
                f"site{'' if total == 1 else 's'}, and a comparison needs at least 2."
            )
        else:
            out.attrs["note"] = (
                f"Between-site heterogeneity is not estimated: {n_sites} of the {total} sites "
                "had enough complete cases for the within-site model, and a comparison needs "
                "at least 2."
            )
    return out
