"""Cohen's kappa (unweighted or weighted, with its standard error) and Fleiss' kappa.

Layer 3 (analysis). Imports only :mod:`partner_study.errors` (layer 1); never reads or
writes files.

Both are computed by :mod:`statsmodels.stats.inter_rater`; this module shapes the input,
checks it, and returns tidy results.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats import inter_rater

from partner_study.agreement._checks import (
    _check_choice,
    _check_ci,
    _data_error,
    _paired_labels,
)
from partner_study.errors import ParamsError

__all__ = ["CohenKappaResult", "cohen_kappa", "cohen_kappa_table", "fleiss_kappa"]

_WEIGHTS = (None, "linear", "quadratic")
_FLEISS_METHODS = ("fleiss", "randolph")


# ---------------------------------------------------------------------------- Cohen's kappa


@dataclass(frozen=True)
class CohenKappaResult:
    """Cohen's kappa of two coders with its asymptotic standard error.

    Attributes
    ----------
    kappa : float
        Cohen's kappa (weighted when ``weights`` is not ``"unweighted"``).
    std_error : float
        Asymptotic standard error (Fleiss, Cohen & Everitt 1969; SAS ``ASE``).
    ci_low, ci_high : float
        Wald confidence interval ``kappa -/+ z * std_error``.
    z : float
        Test of H0 kappa = 0, using the standard error under H0 (as R ``irr::kappa2``).
    p_value : float
        Two-sided p-value of ``z``.
    n : int
        Units coded by both coders (sum of the agreement table).
    weights : str
        ``"unweighted"``, ``"linear"`` or ``"quadratic"``.
    note : str
        Why kappa is NaN (e.g. both coders used one and the same category), else ``""``.
    """

    kappa: float
    std_error: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    n: int
    weights: str
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        """The result as a one-row tidy DataFrame (columns = the attributes)."""
        return pd.DataFrame([asdict(self)])


def _undefined_kappa(n: int, weights: str | None, note: str) -> CohenKappaResult:
    nan = math.nan
    return CohenKappaResult(nan, nan, nan, nan, nan, nan, n, weights or "unweighted", note)


def cohen_kappa_table(
    table: Any, *, weights: str | None = None, ci: float = 0.95
) -> CohenKappaResult:
    """Cohen's kappa from a square agreement table of two coders.

    Parameters
    ----------
    table : array-like or DataFrame, shape (k, k)
        Counts of units; rows = coder 1's category, columns = coder 2's, both in the same
        category order (the order weighted kappa uses).
    weights : {None, "linear", "quadratic"}
        None for Cohen's (1960) kappa; "linear" (Cicchetti-Allison) or "quadratic"
        (Fleiss-Cohen) disagreement weights over the category positions 0..k-1.
    ci : float
        Confidence level of the Wald interval.

    Returns
    -------
    CohenKappaResult
        kappa, std_error, ci_low, ci_high, z, p_value, n, weights, note. All statistics are
        NaN (with a note) when kappa is undefined: no units, a single category, or chance
        agreement of 1 (both coders used one and the same category for every unit).

    Raises
    ------
    StudyDataError
        When the table is not square or holds negative or non-finite counts.
    ParamsError
        When ``weights`` or ``ci`` is not valid.

    Notes
    -----
    :math:`\\kappa_w = 1 - \\sum_{ij} w_{ij} p_{ij} / \\sum_{ij} w_{ij} p_{i\\cdot}
    p_{\\cdot j}` with disagreement weights :math:`w_{ij} = |i-j|/(k-1)` (linear),
    :math:`(i-j)^2/(k-1)^2` (quadratic) or :math:`[i \\ne j]` (unweighted, which reduces to
    :math:`(p_o - p_e)/(1 - p_e)`). Kappa, its variance and the variance under H0 come from
    :func:`statsmodels.stats.inter_rater.cohens_kappa` (the SAS PROC FREQ formulas).

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and
    Psychological Measurement, 20(1), 37-46. https://doi.org/10.1177/001316446002000104

    Cohen, J. (1968). Weighted kappa. Psychological Bulletin, 70(4), 213-220.
    https://doi.org/10.1037/h0026256

    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard errors of kappa
    and weighted kappa. Psychological Bulletin, 72(5), 323-327.
    https://doi.org/10.1037/h0028106

    Examples
    --------
    >>> round(cohen_kappa_table([[0, 4, 1], [0, 8, 0], [0, 1, 5]]).kappa, 4)
    0.4842
    """
    _check_choice("weights", weights, _WEIGHTS)
    z_crit = float(stats.norm.ppf(0.5 + _check_ci(ci) / 2))
    where = "cohen_kappa_table(table)"
    try:
        tab = np.asarray(table, dtype=float)
    except (ValueError, TypeError) as exc:
        raise _data_error(
            where, "a table that is not numeric", "a square table of counts", "pass counts"
        ) from exc
    if tab.ndim != 2 or tab.shape[0] != tab.shape[1] or tab.size == 0:
        raise _data_error(
            where,
            f"a table of shape {tab.shape}",
            "a square k x k table (rows = coder 1, columns = coder 2, same categories)",
            "build it with pandas.crosstab and reindex rows and columns to the same "
            "categories, or call cohen_kappa(a, b) on the labels",
        )
    if not np.all(np.isfinite(tab)) or np.any(tab < 0):
        raise _data_error(
            where, "negative or missing counts", "non-negative counts", "fix the table"
        )
    n = int(round(tab.sum()))
    label = weights or "unweighted"
    if tab.sum() <= 0:
        return _undefined_kappa(n, weights, "kappa undefined: no unit coded by both coders")
    if tab.shape[0] < 2:
        return _undefined_kappa(n, weights, "kappa undefined: only one category")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # 0/0 when both coders used one and the same category for every unit
        warnings.simplefilter("ignore", RuntimeWarning)
        res = inter_rater.cohens_kappa(tab, wt=weights)
    kappa = float(res["kappa"])
    if not math.isfinite(kappa):
        return _undefined_kappa(
            n,
            weights,
            "kappa undefined: chance agreement is 1 "
            "(both coders gave every unit the same single category)",
        )
    se = math.sqrt(max(float(res["var_kappa"]), 0.0))
    se0 = math.sqrt(max(float(res["var_kappa0"]), 0.0))
    z = kappa / se0 if se0 > 0 else math.nan
    p_value = float(2 * stats.norm.sf(abs(z))) if math.isfinite(z) else math.nan
    return CohenKappaResult(
        kappa=kappa,
        std_error=se,
        ci_low=kappa - z_crit * se,
        ci_high=kappa + z_crit * se,
        z=z,
        p_value=p_value,
        n=n,
        weights=label,
    )


def cohen_kappa(
    a: Sequence[Any] | pd.Series,
    b: Sequence[Any] | pd.Series,
    *,
    weights: str | None = None,
    categories: Sequence[Any] | None = None,
    ci: float = 0.95,
) -> CohenKappaResult:
    """Cohen's kappa (optionally weighted) of two coders' labels over the same units.

    Parameters
    ----------
    a, b : sequence or Series
        The two coders' labels (strings or numbers) for the same units in the same order;
        NaN or None = unit not coded by that coder (dropped pairwise).
    weights : {None, "linear", "quadratic"}
        Unweighted, or linear / quadratic disagreement weights over category positions.
    categories : sequence, optional
        All categories in their order. By default the labels observed in ``a`` or ``b``,
        sorted (as R ``irr::kappa2``, which drops unobserved levels). Give it when the order
        matters (weighted kappa on string labels) or to keep unobserved categories.
    ci : float
        Confidence level of the Wald interval.

    Returns
    -------
    CohenKappaResult
        kappa, std_error, ci_low, ci_high, z, p_value, n, weights, note; see
        :func:`cohen_kappa_table`. ``.to_frame()`` gives a one-row DataFrame.

    Raises
    ------
    StudyDataError
        When ``a`` and ``b`` differ in length or a label is not in ``categories``.
    ParamsError
        When ``weights`` or ``ci`` is not valid.

    Notes
    -----
    The agreement table is built with :func:`statsmodels.stats.inter_rater.to_table`; see
    :func:`cohen_kappa_table` for the formulas.

    References
    ----------
    Cohen, J. (1960). https://doi.org/10.1177/001316446002000104 ;
    Cohen, J. (1968). https://doi.org/10.1037/h0026256

    Examples
    --------
    >>> res = cohen_kappa(["yes", "yes", "no", "no"], ["yes", "no", "no", "no"])
    >>> res.kappa, res.n
    (0.5, 4)
    """
    where = "cohen_kappa(a, b)"
    _check_choice("weights", weights, _WEIGHTS)
    a_obs, b_obs = _paired_labels(a, b, where=where)
    both = np.concatenate([a_obs, b_obs])
    if categories is None:
        codes, uniques = pd.factorize(both, sort=True)
        k = len(uniques)
    else:
        cats = pd.Index(list(categories))
        if not cats.is_unique:
            raise ParamsError(
                f"categories={list(categories)!r} repeats a category; expected each "
                "category once. Fix: remove the duplicates."
            )
        codes = cats.get_indexer(both)
        if np.any(codes < 0):
            unknown = sorted({str(v) for v in both[codes < 0]})[:5]
            raise _data_error(
                where,
                f"labels {unknown} that are not in categories",
                f"labels among {list(cats)}",
                "add the labels to categories or correct them",
            )
        k = len(cats)
    pairs = codes.reshape(2, -1).T
    table = inter_rater.to_table(pairs, bins=max(k, 1))[0]
    return cohen_kappa_table(table, weights=weights, ci=ci)


# --------------------------------------------------------------------------- Fleiss' kappa


def fleiss_kappa(table: Any, *, method: str = "fleiss") -> float:
    """Fleiss' kappa for several raters from a subjects x categories table of counts.

    Parameters
    ----------
    table : array-like or DataFrame, shape (n_subjects, n_categories)
        Number of raters who put each subject in each category; every subject must be rated
        by the same number of raters (build it from raw ratings with
        :func:`statsmodels.stats.inter_rater.aggregate_raters`).
    method : {"fleiss", "randolph"}
        "fleiss": chance agreement from the observed category margins (Fleiss 1971);
        "randolph": free-marginal kappa with uniform chance agreement (Randolph 2005).

    Returns
    -------
    float
        Kappa; NaN when chance agreement is 1 (every rating in one category).

    Raises
    ------
    StudyDataError
        When the table is not 2-D, holds negative counts, has fewer than 2 ratings per
        subject, or subjects have different numbers of ratings.
    ParamsError
        When ``method`` is not known.

    Notes
    -----
    With :math:`n` raters, :math:`P_i = \\frac{1}{n(n-1)} \\sum_j n_{ij}(n_{ij}-1)`,
    :math:`\\bar P = \\operatorname{mean}_i P_i`, :math:`p_j = \\sum_i n_{ij} / (N n)` and
    :math:`\\bar P_e = \\sum_j p_j^2`: :math:`\\kappa = (\\bar P - \\bar P_e) / (1 - \\bar
    P_e)`. Computed by :func:`statsmodels.stats.inter_rater.fleiss_kappa`.

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
    Bulletin, 76(5), 378-382. https://doi.org/10.1037/h0031619

    Randolph, J. J. (2005). Free-marginal multirater kappa. https://eric.ed.gov/?id=ED490661

    Examples
    --------
    >>> round(fleiss_kappa([[6, 1, 0], [0, 7, 0]]), 6)
    0.708333
    """
    _check_choice("method", method, _FLEISS_METHODS)
    where = "fleiss_kappa(table)"
    try:
        tab = np.asarray(table, dtype=float)
    except (ValueError, TypeError) as exc:
        raise _data_error(
            where, "a table that is not numeric", "counts of raters", "pass counts"
        ) from exc
    if tab.ndim != 2 or tab.size == 0:
        raise _data_error(
            where,
            f"a table of shape {tab.shape}",
            "a 2-D table: subjects in rows, categories in columns, counts of raters",
            "build it with statsmodels.stats.inter_rater.aggregate_raters(ratings)",
        )
    if not np.all(np.isfinite(tab)) or np.any(tab < 0):
        raise _data_error(where, "negative or missing counts", "non-negative counts", "fix it")
    per_subject = tab.sum(axis=1)
    unequal = np.flatnonzero(~np.isclose(per_subject, per_subject[0]))
    if unequal.size:
        i = int(unequal[0])
        raise _data_error(
            where,
            f"subject {i + 1} rated {per_subject[i]:g} times but subject 1 "
            f"{per_subject[0]:g} times",
            "the same number of raters for every subject",
            "drop subjects with missing ratings, or use krippendorff_alpha, which allows them",
        )
    if per_subject[0] < 2:
        raise _data_error(
            where,
            f"{per_subject[0]:g} rating(s) per subject",
            "at least 2 raters per subject",
            "agreement needs two or more raters",
        )
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        kappa = float(inter_rater.fleiss_kappa(tab, method=method))
    return kappa if math.isfinite(kappa) else math.nan
