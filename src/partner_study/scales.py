"""Likert scale scoring and reliability (Cronbach's alpha with CI, McDonald's omega).

Layer 3 (pure functions on DataFrames).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from partner_study.codebook import Codebook

__all__ = [
    "score_scales",
    "cronbach_alpha",
    "mcdonald_omega",
    "table_reliability",
    "reversed_items",
]


def reversed_items(survey: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Item answers with reverse-keyed items recoded (``low + high - x``); other columns dropped."""
    out = {}
    for scale in codebook.scales.values():
        for item in scale.items:
            values = survey[item].astype(float)
            out[item] = (scale.low + scale.high - values) if item in scale.reverse else values
    return pd.DataFrame(out, index=survey.index)


def score_scales(survey: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Add one score column per scale: the mean of the answered items after reversing.

    Parameters
    ----------
    survey : DataFrame
        Typed survey answers (items as float, NaN = missing).
    codebook : Codebook
        Declares each scale's items, reverse-keyed items and ``min_items``.

    Returns
    -------
    DataFrame
        A copy of ``survey`` with a column per scale (named by the scale). The score is NaN
        when fewer than ``min_items`` items were answered (the minimum-items rule).
    """
    keyed = reversed_items(survey, codebook)
    out = survey.copy()
    for name, scale in codebook.scales.items():
        block = keyed[list(scale.items)]
        answered = block.notna().sum(axis=1)
        out[name] = block.mean(axis=1).where(answered >= scale.min_items)
    return out


def cronbach_alpha(items: pd.DataFrame, *, ci: float = 0.95) -> pd.Series:
    """Cronbach's alpha of a set of items, with Feldt's confidence interval.

    Parameters
    ----------
    items : DataFrame
        One column per item, one row per respondent (reverse-keyed items already recoded).
        Rows with any missing item are dropped (listwise deletion, as SPSS RELIABILITY).
    ci : float
        Confidence level of the interval.

    Returns
    -------
    Series
        ``alpha``, ``ci_low``, ``ci_high``, ``n`` (complete rows), ``n_items``.

    Notes
    -----
    ``alpha = k / (k - 1) * (1 - sum(var_i) / var(total))`` with sample variances (ddof 1).
    The interval is Feldt's (1965): with ``F`` quantiles on ``n - 1`` and
    ``(n - 1)(k - 1)`` degrees of freedom, ``1 - (1 - alpha) * F_{1 - a/2}`` to
    ``1 - (1 - alpha) * F_{a/2}``.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika 16, 297-334. doi:10.1007/BF02310555
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson
    reliability coefficient twenty. Psychometrika 30, 357-370. doi:10.1007/BF02289499

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    >>> round(float(cronbach_alpha(d)["alpha"]), 3)
    0.933
    """
    complete = items.dropna().astype(float)
    n, k = complete.shape
    result = {"alpha": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": n, "n_items": k}
    if k < 2 or n < 2:
        return pd.Series(result)
    values = complete.to_numpy()
    total_var = values.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return pd.Series(result)
    alpha = k / (k - 1) * (1 - values.var(axis=0, ddof=1).sum() / total_var)
    # The F quantile function itself (what scipy.stats.f.ppf evaluates), imported on use:
    # stage 01 scores without it, and scipy.special loads far faster than scipy.stats.
    from scipy.special import fdtri

    df1, df2 = n - 1, (n - 1) * (k - 1)
    a = 1 - ci
    result.update(
        alpha=alpha,
        ci_low=1 - (1 - alpha) * float(fdtri(df1, df2, 1 - a / 2)),
        ci_high=1 - (1 - alpha) * float(fdtri(df1, df2, a / 2)),
    )
    return pd.Series(result)


def mcdonald_omega(items: pd.DataFrame) -> float:
    """McDonald's omega (total) from a one-factor model of the item correlations.

    Loadings are the first principal factor of the correlation matrix after iterated
    principal-axis factoring (communalities started at squared multiple correlations).
    ``omega = (sum lambda)^2 / ((sum lambda)^2 + sum(1 - lambda^2))``.

    References
    ----------
    McDonald, R. P. (1999). Test theory: A unified treatment. Erlbaum.
    """
    complete = items.dropna().astype(float)
    n, k = complete.shape
    if k < 3 or n <= k:
        return float("nan")
    r = np.corrcoef(complete.to_numpy(), rowvar=False)
    if not np.all(np.isfinite(r)):
        return float("nan")
    try:
        h2 = 1 - 1 / np.diag(np.linalg.inv(r))
    except np.linalg.LinAlgError:
        h2 = np.full(k, 0.5)
    for _ in range(200):
        reduced = r.copy()
        np.fill_diagonal(reduced, h2)
        vals, vecs = np.linalg.eigh(reduced)
        lam = vecs[:, -1] * np.sqrt(max(vals[-1], 0))
        new = np.clip(lam**2, 0, 0.995)
        if np.max(np.abs(new - h2)) < 1e-8:
            h2 = new
            break
        h2 = new
    lam = np.abs(lam) if lam.sum() < 0 else lam
    s = lam.sum()
    return float(s**2 / (s**2 + np.sum(1 - lam**2)))


def table_reliability(
    scored: pd.DataFrame | None, codebook: Codebook, *, ci: float = 0.95
) -> pd.DataFrame:
    """Reliability of every scale: Cronbach's alpha with CI and McDonald's omega.

    Returns
    -------
    DataFrame
        ``scale, n_items, n, alpha, alpha_ci_low, alpha_ci_high, omega`` (one row per scale;
        no rows for a study without a survey).
    """
    columns = ["scale", "n_items", "n", "alpha", "alpha_ci_low", "alpha_ci_high", "omega"]
    if scored is None or not codebook.scales:
        return pd.DataFrame(columns=columns)
    keyed = reversed_items(scored, codebook)
    rows = []
    for name, scale in codebook.scales.items():
        block = keyed[list(scale.items)]
        a = cronbach_alpha(block, ci=ci)
        rows.append(
            {
                "scale": name,
                "n_items": int(a["n_items"]),
                "n": int(a["n"]),
                "alpha": a["alpha"],
                "alpha_ci_low": a["ci_low"],
                "alpha_ci_high": a["ci_high"],
                "omega": mcdonald_omega(block),
            }
        )
    return pd.DataFrame(rows, columns=columns)
