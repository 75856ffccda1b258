"""Intercoder agreement: percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha.

Layer 3 (analysis). Imports only :mod:`partner_study.errors` (layer 1); never reads or
writes files.

Cohen's and Fleiss' kappa are computed by :mod:`statsmodels.stats.inter_rater`; this module
shapes the input, checks it, and returns tidy results. Krippendorff's alpha is implemented
here from the coincidence-matrix formulation of Krippendorff (2011), vectorised with numpy and
scipy.sparse, so that it scales to hundreds of thousands of units.

:func:`agreement_by_code` turns the processed ``segments`` table (one row per coded segment
per coder per code) into the tidy ``tables/agreement.csv`` of the output contract. A study
coded by a single coder (e.g. reflexive thematic analysis) is a valid design: the table then
says so in one row instead of reporting statistics.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse, stats
from statsmodels.stats import inter_rater

from partner_study.errors import ParamsError, Problem, StudyDataError

__all__ = [
    "AGREEMENT_COLUMNS",
    "LEVELS",
    "SINGLE_CODER_NOTE",
    "CohenKappaResult",
    "agreement_by_code",
    "cohen_kappa",
    "cohen_kappa_table",
    "fleiss_kappa",
    "krippendorff_alpha",
    "percent_agreement",
    "percent_agreement_chars",
]

#: Levels of measurement understood by :func:`krippendorff_alpha`.
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")

#: Columns of the table returned by :func:`agreement_by_code` (``tables/agreement.csv``).
AGREEMENT_COLUMNS: tuple[str, ...] = (
    "code",
    "n_units",
    "n_coders",
    "percent_agreement",
    "cohen_kappa",
    "krippendorff_alpha",
    "note",
)

#: Note of the one-row table returned for a single-coder design.
SINGLE_CODER_NOTE = (
    "single coder: agreement statistics are not computed "
    "(one coder, e.g. reflexive thematic analysis)"
)

_WEIGHTS = (None, "linear", "quadratic")
_FLEISS_METHODS = ("fleiss", "randolph")
_OVERALL = "(all codes)"
# Largest block (values x values) of the expected-disagreement sum held in memory at once.
_BLOCK_CELLS = 4_000_000


# --------------------------------------------------------------------------- helpers


def _data_error(where: str, found: str, expected: str, fix: str) -> StudyDataError:
    return StudyDataError(Problem(file=where, found=found, expected=expected, fix=fix))


def _check_choice(name: str, value: Any, allowed: Sequence[Any]) -> None:
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ParamsError(
            f"{name}={value!r} is not known; expected one of {shown}. "
            f"Fix: set {name} to one of {shown}."
        )


def _check_ci(ci: float) -> float:
    if not isinstance(ci, (int, float)) or not 0 < ci < 1:
        raise ParamsError(
            f"ci={ci!r} is not a confidence level; expected a number between 0 and 1 "
            "(exclusive). Fix: use e.g. ci=0.95."
        )
    return float(ci)


def _as_labels(x: Any, *, where: str, name: str) -> np.ndarray:
    """One coder's labels as a 1-D array (object or numeric), positions kept."""
    if isinstance(x, pd.DataFrame):
        raise _data_error(
            where,
            f"a DataFrame for {name}",
            "one coder's labels as a 1-D sequence (list, array or Series)",
            f"pass a single column, e.g. df['coder_a'], as {name}",
        )
    try:
        series = x if isinstance(x, pd.Series) else pd.Series(x)
    except (ValueError, TypeError) as exc:
        raise _data_error(
            where,
            f"{name} of type {type(x).__name__}",
            "one coder's labels as a 1-D sequence (list, array or Series)",
            f"pass {name} as a list, a 1-D array or a Series",
        ) from exc
    return series.to_numpy()


def _paired_labels(a: Any, b: Any, *, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Both coders' labels over the units both coded (missing dropped pairwise)."""
    a_arr = _as_labels(a, where=where, name="a")
    b_arr = _as_labels(b, where=where, name="b")
    if len(a_arr) != len(b_arr):
        raise _data_error(
            where,
            f"a with {len(a_arr)} units and b with {len(b_arr)} units",
            "both coders' labels for the same units in the same order",
            "align the two coders on the unit id first (e.g. DataFrame.pivot), "
            "with NaN where a coder did not code a unit",
        )
    keep = ~(pd.isna(a_arr) | pd.isna(b_arr))
    return a_arr[keep], b_arr[keep]


# --------------------------------------------------------------------- percent agreement


def percent_agreement(a: Sequence[Any] | pd.Series, b: Sequence[Any] | pd.Series) -> float:
    """Percent agreement of two coders over the same units, in percent (0-100).

    Parameters
    ----------
    a, b : sequence or Series
        The two coders' codes (labels of any type) for the same units, in the same order.
        NaN or None marks a unit the coder did not code; such units are dropped pairwise.

    Returns
    -------
    float
        ``100 * (units with the same code) / (units coded by both)``; NaN when no unit was
        coded by both.

    Raises
    ------
    StudyDataError
        When ``a`` and ``b`` have different lengths or are not 1-D.

    Notes
    -----
    :math:`P_o = 100 \\cdot \\frac{1}{N} \\sum_{u=1}^{N} [a_u = b_u]` over the :math:`N` units
    coded by both coders. Percent agreement ignores chance agreement; report it beside
    :func:`cohen_kappa` or :func:`krippendorff_alpha`, not instead of them.

    References
    ----------
    O'Connor, C., & Joffe, H. (2020). Intercoder reliability in qualitative research: debates
    and practical guidelines. International Journal of Qualitative Methods, 19.
    https://doi.org/10.1177/1609406919899220

    Examples
    --------
    >>> round(percent_agreement(["a", "b", "b", None], ["a", "b", "c", "c"]), 1)
    66.7
    """
    a_obs, b_obs = _paired_labels(a, b, where="percent_agreement(a, b)")
    if a_obs.size == 0:
        return math.nan
    return 100.0 * float(np.mean(a_obs == b_obs))


def percent_agreement_chars(both: Any, one_only: Any, neither: Any) -> Any:
    """Character-level percent agreement of two coders, as NVivo's coding comparison.

    Parameters
    ----------
    both : int or array-like
        Characters coded (with the code) by both coders.
    one_only : int or array-like
        Characters coded by one coder only.
    neither : int or array-like
        Characters coded by neither coder.

    Returns
    -------
    float or numpy.ndarray
        Percent agreement (0-100); an array when array-likes are given (e.g. one value per
        source and code).

    Raises
    ------
    StudyDataError
        When a count is negative or not finite, or a source has no characters.

    Notes
    -----
    NVivo counts a character as agreement when both coders coded it or neither did:
    :math:`100 \\cdot (n_{both} + n_{neither}) / (n_{both} + n_{one} + n_{neither})`.
    Long uncoded stretches inflate it; prefer kappa or alpha on segments.

    References
    ----------
    Lumivero. NVivo 14 help: "How are Coding Comparison results calculated?"
    https://help-nv.qsrinternational.com/14/win/Content/queries/coding-comparison-query.htm

    Examples
    --------
    >>> percent_agreement_chars(50, 150, 800)
    85.0
    """
    counts = [np.asarray(x, dtype=float) for x in (both, one_only, neither)]
    where = "percent_agreement_chars(both, one_only, neither)"
    for name, arr in zip(("both", "one_only", "neither"), counts, strict=True):
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise _data_error(
                where,
                f"{name}={arr.tolist()!r}",
                "non-negative character counts",
                "pass the numbers of characters from the coding comparison",
            )
    total = counts[0] + counts[1] + counts[2]
    if np.any(total <= 0):
        raise _data_error(
            where,
            "a source with 0 characters",
            "at least one character per source",
            "drop empty sources before comparing",
        )
    result = 100.0 * (counts[0] + counts[2]) / total
    return float(result) if result.ndim == 0 else result


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


# --------------------------------------------------------------------- Krippendorff's alpha


def _reliability_matrix(data: Any) -> tuple[np.ndarray, np.ndarray]:
    """Values (coders x units) and the mask of observed cells."""
    where = "krippendorff_alpha(reliability_data)"
    if isinstance(data, pd.DataFrame):
        arr = data.to_numpy()
    elif isinstance(data, np.ndarray):
        arr = data
    else:
        arr = np.asarray(data, dtype=object)
        if arr.ndim == 1 and arr.size and all(np.ndim(row) == 1 for row in arr):
            raise _data_error(
                where,
                "rows of different lengths",
                "a coders x units table",
                "pad missing codes with NaN so every coder has one cell per unit",
            )
    if arr.ndim != 2:
        raise _data_error(
            where,
            f"{arr.ndim}-D data of shape {arr.shape}",
            "a 2-D table: rows = coders, columns = units, NaN = not coded",
            "pivot the codes to one row per coder and one column per unit",
        )
    if arr.dtype.kind in "biu":
        return arr, np.ones(arr.shape, dtype=bool)
    if arr.dtype.kind == "f":
        return arr, ~np.isnan(arr)
    return arr, ~np.asarray(pd.isna(arr), dtype=bool)


def _numeric_values(values: np.ndarray, level: str) -> np.ndarray:
    """Observed values as floats, or a clear error for labels at a numeric level."""
    if values.dtype.kind in "biuf":
        return values.astype(float)
    inferred = pd.Series(values, dtype=object).infer_objects()
    if not (pd.api.types.is_numeric_dtype(inferred) or pd.api.types.is_bool_dtype(inferred)):
        shown = sorted({repr(v) for v in values if not isinstance(v, (int, float))})[:5]
        raise _data_error(
            "krippendorff_alpha(reliability_data)",
            f"non-numeric values {', '.join(shown)} at level={level!r}",
            f"numbers for the {level} level (ordered codes, e.g. 1-5)",
            "recode the labels to numbers in their order, or use level='nominal'",
        )
    return inferred.to_numpy(dtype=float)


def _delta(level: str, c: np.ndarray, k: np.ndarray, x: np.ndarray) -> Any:
    """Squared difference delta^2(c, k) between value positions c and k (broadcasting).

    For "ordinal", ``x`` holds the cumulative midpoints ``G_c - n_c / 2`` (see
    :func:`krippendorff_alpha`), so the ordinal metric is a squared difference of them.
    """
    if level == "nominal":
        return (c != k).astype(float)
    if level in ("ordinal", "interval"):
        return (x[c] - x[k]) ** 2
    total = x[c] + x[k]  # ratio
    diff = x[c] - x[k]
    return np.divide(diff, total, out=np.zeros(np.broadcast(c, k).shape), where=total != 0) ** 2


def _expected_sum(level: str, n_c: np.ndarray, x: np.ndarray) -> float:
    """sum_c sum_k n_c n_k delta^2(c, k), the numerator of expected disagreement."""
    n = n_c.sum()
    if level == "nominal":
        return float(n * n - np.sum(n_c * n_c))
    if level in ("ordinal", "interval"):  # sum n_c n_k (x_c - x_k)^2 = 2 n sum n_c (x_c - mean)^2
        centred = x - np.sum(n_c * x) / n
        return float(2.0 * n * np.sum(n_c * centred**2))
    n_values = len(n_c)  # ratio: no closed form, O(V^2) in blocks of values (not units)
    positions = np.arange(n_values)
    block = max(1, _BLOCK_CELLS // n_values)
    total = 0.0
    for start in range(0, n_values, block):
        rows = positions[start : start + block, None]
        d = _delta(level, rows, positions[None, :], x)
        total += float(np.sum(n_c[rows] * n_c[None, :] * d))
    return total


def krippendorff_alpha(reliability_data: Any, *, level: str = "nominal") -> float:
    """Krippendorff's alpha for any number of coders, missing codes and four levels.

    Parameters
    ----------
    reliability_data : DataFrame or 2-D array-like
        Rows = coders, columns = units, NaN/None = the coder did not code the unit. Values
        may be numbers or (level "nominal" only) strings.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement, which sets the difference function.

    Returns
    -------
    float
        Alpha (1 = perfect agreement, 0 = chance, negative = systematic disagreement).
        NaN when alpha is undefined: no unit has two or more values (e.g. all missing, or
        one coder), or all pairable values are the same (no variation to agree on).

    Raises
    ------
    StudyDataError
        When the data are not 2-D, values are not numeric at a numeric level, or ratio
        values are negative.
    ParamsError
        When ``level`` is not one of :data:`LEVELS`.

    Notes
    -----
    Coincidence-matrix formulation (Krippendorff 2011). With :math:`m_u` values in unit
    :math:`u` (units with :math:`m_u < 2` are not pairable and drop out) and :math:`n_{uc}`
    of them equal to :math:`c`, the coincidences are
    :math:`o_{ck} = \\sum_u (n_{uc} n_{uk} - [c = k] n_{uc}) / (m_u - 1)`, the margins
    :math:`n_c = \\sum_k o_{ck}`, :math:`n = \\sum_c n_c`, and

    .. math:: \\alpha = 1 - (n - 1) \\frac{\\sum_{c,k} o_{ck}\\,\\delta^2_{ck}}
              {\\sum_{c,k} n_c n_k\\,\\delta^2_{ck}}

    with :math:`\\delta^2_{ck}` = :math:`[c \\ne k]` (nominal);
    :math:`(\\sum_{g=c}^{k} n_g - (n_c + n_k)/2)^2` (ordinal, over ranked values);
    :math:`(c - k)^2` (interval); :math:`((c - k)/(c + k))^2` (ratio).
    The matrix is built from per-unit value counts with a sparse product, so the cost is
    linear in the number of coded cells. The ordinal metric equals :math:`(t_k - t_c)^2`
    with cumulative midpoints :math:`t_c = \\sum_{g \\le c} n_g - n_c/2`, so the
    expected-disagreement sum is closed-form for nominal, ordinal and interval data; for
    ratio data it is :math:`O(V^2)` in the number :math:`V` of distinct values. Two coders
    x 200,000 units take a few hundredths of a second from a NumPy array; a pandas
    DataFrame with hundreds of thousands of *string* columns is slow to build and convert
    in pandas itself, so pass large string data as a 2-D NumPy object array (or use
    :func:`agreement_by_code` on long-format segments).

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School for
    Communication, University of Pennsylvania. https://repository.upenn.edu/asc_papers/43

    Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard reliability
    measure for coding data. Communication Methods and Measures, 1(1), 77-89.
    https://doi.org/10.1080/19312450709336664

    Examples
    --------
    Binary data of two coders (Krippendorff 2011, section A):

    >>> coder_a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    >>> coder_b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    >>> round(krippendorff_alpha([coder_a, coder_b], level="nominal"), 3)
    0.095
    """
    _check_choice("level", level, LEVELS)
    arr, observed = _reliability_matrix(reliability_data)
    unit_of = np.nonzero(observed)[1]
    values = arr[observed]
    per_unit = np.bincount(unit_of, minlength=arr.shape[1])
    pairable = per_unit[unit_of] >= 2
    unit_of, values = unit_of[pairable], values[pairable]
    if values.size == 0:
        return math.nan
    if level == "nominal":
        codes, uniques = pd.factorize(values)
        x = np.zeros(len(uniques))
    else:
        x, codes = np.unique(_numeric_values(values, level), return_inverse=True)
        if level == "ratio" and x[0] < 0:
            raise _data_error(
                "krippendorff_alpha(reliability_data)",
                f"negative value {x[0]:g} at level='ratio'",
                "values >= 0 (a ratio scale has an absolute zero)",
                "use level='interval' for data that can be negative",
            )
    n_values = int(codes.max()) + 1
    n_c = np.bincount(codes, minlength=n_values).astype(float)
    if n_values < 2:
        return math.nan
    if level == "ordinal":
        # sum_{g=c..k} n_g - (n_c + n_k) / 2 = t_k - t_c with t = G - n / 2, G = cumsum(n)
        x = np.cumsum(n_c) - n_c / 2.0
    # Counts n_uc as a sparse units x values matrix; weights 1 / (m_u - 1).
    n_units = arr.shape[1]
    counts = sparse.csr_array((np.ones(codes.size), (unit_of, codes)), shape=(n_units, n_values))
    m_u = per_unit.astype(float)
    weight = np.divide(1.0, m_u - 1.0, out=np.zeros(n_units), where=m_u >= 2)
    coincid = (counts.T @ (sparse.diags_array(weight) @ counts)).tocoo()
    # The diagonal correction of o_cc does not matter: delta^2(c, c) = 0 at every level.
    d_obs = float(np.sum(coincid.data * _delta(level, coincid.row, coincid.col, x)))
    d_exp = _expected_sum(level, n_c, x)
    if d_exp <= 0:
        return math.nan
    return float(1.0 - (n_c.sum() - 1.0) * d_obs / d_exp)


# ------------------------------------------------------------------ agreement by code


def _no_agreement(n_coders: int) -> pd.DataFrame:
    if n_coders == 1:
        note = SINGLE_CODER_NOTE
    elif n_coders == 0:
        note = "no coded segments: agreement statistics are not computed"
    else:
        note = (
            "no segment was coded by two or more coders: agreement statistics are not "
            "computed (double-code a sample of segments to report agreement)"
        )
    nan = [math.nan]
    return _agreement_frame(["(none)"], [0], [n_coders], nan, nan, nan, [note])


def _agreement_frame(
    code: list[str],
    n_units: list[int],
    n_coders: list[int],
    pct: list[float],
    kappa: list[float],
    alpha: list[float],
    note: list[str],
) -> pd.DataFrame:
    columns = (code, n_units, n_coders, pct, kappa, alpha, note)
    frame = pd.DataFrame(dict(zip(AGREEMENT_COLUMNS, columns, strict=True)))
    return frame.astype({"n_units": "int64", "n_coders": "int64"})


def _sorted_unique(x: np.ndarray) -> np.ndarray:
    """Sorted unique integers (a sort is much faster than numpy's hash path here)."""
    x = np.sort(x)
    return x[np.concatenate(([True], x[1:] != x[:-1]))] if x.size else x


def _binary_alpha(disagree: float, n_present: float, n_total: float) -> float:
    """Nominal alpha of presence/absence from o_01 + o_10 and the margins."""
    n_absent = n_total - n_present
    if n_absent <= 0 or n_present <= 0:
        return math.nan
    return 1.0 - (n_total - 1.0) * disagree / (2.0 * n_absent * n_present)


def _kappa_or_note(table: np.ndarray, n_coders: int) -> tuple[float, str]:
    if n_coders != 2:
        return math.nan, f"cohen_kappa needs exactly 2 coders (here {n_coders})"
    res = cohen_kappa_table(table)
    return res.kappa, res.note


@dataclass(frozen=True)
class _DecisionCounts:
    """Per-code sums over the double-coded segments (presence/absence decisions)."""

    codes: list[str]
    n_units: int
    n_coders: int
    pairs: float  # pairs of decisions within segments, per code
    n_values: float  # decisions per code (sum of m_u)
    disagree: np.ndarray  # disagreeing pairs, per code
    coincid_off: np.ndarray  # o_01 + o_10, per code
    present: np.ndarray  # decisions "present", per code
    tables: np.ndarray  # (codes, 2, 2) agreement tables when exactly two coders


def _decision_counts(seg: pd.DataFrame) -> _DecisionCounts | None:
    """Grouped counts behind :func:`agreement_by_code`; None when nothing is double-coded."""
    unit_ix, _ = pd.factorize(seg["segment_id"])
    coder_ix, _ = pd.factorize(seg["coder"].astype(str), sort=True)
    code_ix, code_labels = pd.factorize(seg["code"].astype(str), sort=True)
    n_coders_all, n_codes = int(coder_ix.max(initial=-1)) + 1, len(code_labels)
    # Deduplicate (segment, coder, code) and count coders per segment, on integer keys.
    triple = _sorted_unique(
        (unit_ix.astype(np.int64) * n_coders_all + coder_ix) * n_codes + code_ix
    )
    unit_coder = _sorted_unique(triple // n_codes)
    m_all = np.bincount(unit_coder // n_coders_all, minlength=int(unit_ix.max(initial=-1)) + 1)
    is_double = m_all >= 2
    if not is_double.any():
        return None
    position = np.cumsum(is_double) - 1  # segment -> index among double-coded segments
    m_u = m_all[is_double].astype(float)
    unit_t, coder_t = triple // n_codes // n_coders_all, (triple // n_codes) % n_coders_all
    keep = is_double[unit_t]
    unit_t, coder_t, code_t = position[unit_t[keep]], coder_t[keep], (triple % n_codes)[keep]
    coder_of_pair = unit_coder[is_double[unit_coder // n_coders_all]] % n_coders_all
    coders = np.flatnonzero(np.bincount(coder_of_pair, minlength=n_coders_all))
    n_units = len(m_u)
    # One entry per (code, segment) where k1 >= 1 coders applied the code (k0 did not).
    uniq, inverse, k1 = np.unique(
        code_t * n_units + unit_t, return_inverse=True, return_counts=True
    )
    by_first = np.bincount(inverse, weights=(coder_t == coders[0]).astype(float))
    code_of, m_of = uniq // n_units, m_u[uniq % n_units]
    k0 = m_of - k1

    def per_code(w: np.ndarray) -> np.ndarray:
        return np.bincount(code_of, weights=w, minlength=n_codes).astype(float)

    tables = np.zeros((n_codes, 2, 2))
    if len(coders) == 2:  # rows = first coder absent/present, columns = second coder
        tables[:, 1, 1] = per_code((k1 == 2).astype(float))
        tables[:, 1, 0] = per_code(((k1 == 1) & (by_first == 1)).astype(float))
        tables[:, 0, 1] = per_code(((k1 == 1) & (by_first == 0)).astype(float))
        tables[:, 0, 0] = n_units - tables.sum(axis=(1, 2))
    return _DecisionCounts(
        codes=[str(c) for c in code_labels],
        n_units=n_units,
        n_coders=len(coders),
        pairs=float(np.sum(m_u * (m_u - 1) / 2)),
        n_values=float(m_u.sum()),
        disagree=per_code(k1 * k0),
        coincid_off=per_code(2 * k1 * k0 / (m_of - 1)),
        present=per_code(k1.astype(float)),
        tables=tables,
    )


def agreement_by_code(segments: pd.DataFrame) -> pd.DataFrame:
    """Intercoder agreement per code on the segments coded by two or more coders.

    Parameters
    ----------
    segments : DataFrame
        The processed segments table (one row per coded segment per coder per code); uses
        ``segment_id``, ``coder`` and ``code``. A segment_id is the unit of agreement: a
        coder who coded the segment decided, for every code, whether it applies.

    Returns
    -------
    DataFrame
        One row per code (sorted), then a row ``code = "(all codes)"`` pooling every
        presence decision over all codes. Columns:

        - ``code`` : str
        - ``n_units`` : int, segments coded by two or more coders
        - ``n_coders`` : int, coders who coded those segments
        - ``percent_agreement`` : float, in percent (0-100): agreeing pairs of coder
          decisions within segments over all such pairs (simple percent agreement for two
          coders)
        - ``cohen_kappa`` : float, Cohen's kappa of presence/absence; NaN unless exactly two
          coders
        - ``krippendorff_alpha`` : float, nominal alpha of presence/absence
        - ``note`` : str, why a statistic is NaN, or ``""``

        When no segment was coded by two coders (a single-coder design such as reflexive
        thematic analysis), one row ``code = "(none)"`` with ``n_units = 0``, NaN statistics
        and a note (:data:`SINGLE_CODER_NOTE` for one coder).

    Raises
    ------
    StudyDataError
        When ``segment_id``, ``coder`` or ``code`` is missing.

    Notes
    -----
    For a code and segment with :math:`m_u` coders of whom :math:`k_u` applied the code,
    the disagreeing pairs are :math:`k_u (m_u - k_u)` and the coincidences
    :math:`o_{01} + o_{10} = 2 k_u (m_u - k_u) / (m_u - 1)`; with :math:`n_1 = \\sum k_u`,
    :math:`n = \\sum m_u`, :math:`n_0 = n - n_1`, nominal
    :math:`\\alpha = 1 - (n-1)(o_{01} + o_{10}) / (2 n_0 n_1)` (Krippendorff 2011), the same
    as :func:`krippendorff_alpha` on the coders x segments presence matrix. Kappa and alpha
    are undefined (NaN, with a note) when a code was applied to every double-coded segment
    by every coder or to none. Everything is computed from grouped counts, without loops over
    segments.

    References
    ----------
    Krippendorff, K. (2011). https://repository.upenn.edu/asc_papers/43

    O'Connor, C., & Joffe, H. (2020). https://doi.org/10.1177/1609406919899220

    Braun, V., & Clarke, V. (2019). Reflecting on reflexive thematic analysis. Qualitative
    Research in Sport, Exercise and Health, 11(4), 589-597.
    https://doi.org/10.1080/2159676X.2019.1628806

    Examples
    --------
    >>> seg = pd.DataFrame({"segment_id": ["s1", "s1", "s2", "s2"],
    ...                     "coder": ["ana", "ben", "ana", "ben"],
    ...                     "code": ["trust", "trust", "trust", "teamwork"]})
    >>> agreement_by_code(seg)[["code", "percent_agreement"]]
              code  percent_agreement
    0     teamwork               50.0
    1        trust               50.0
    2  (all codes)               50.0
    """
    needed = ("segment_id", "coder", "code")
    absent = [c for c in needed if c not in segments.columns]
    if absent:
        raise StudyDataError(
            [
                Problem(
                    file="segments",
                    column=c,
                    found="no such column",
                    expected="the columns segment_id, coder and code",
                    fix="pass the processed segments table from stage 01-prepare",
                )
                for c in absent
            ]
        )
    seg = segments.loc[:, list(needed)].dropna()
    counts = _decision_counts(seg)
    if counts is None:
        return _no_agreement(int(seg["coder"].nunique()))
    c, n_codes = counts, len(counts.codes)
    rows = [  # a loop over codes (tens), not over segments
        (code, c.disagree[i], c.coincid_off[i], c.present[i], c.n_values, c.pairs, c.tables[i])
        for i, code in enumerate(c.codes)
    ]
    rows.append(
        (
            _OVERALL,
            c.disagree.sum(),
            c.coincid_off.sum(),
            c.present.sum(),
            c.n_values * n_codes,
            c.pairs * n_codes,
            c.tables.sum(axis=0),
        )
    )
    out: dict[str, list[Any]] = {name: [] for name in AGREEMENT_COLUMNS}
    for code, disagree, coincid_off, n_present, n_values, pairs, table in rows:
        kappa, kappa_note = _kappa_or_note(table, c.n_coders)
        notes = []
        if n_present == 0:
            notes.append("code not applied in any double-coded segment: kappa and alpha undefined")
        elif n_present == n_values:
            notes.append("code applied by every coder to every segment: kappa and alpha undefined")
        elif kappa_note:
            notes.append(kappa_note)
        if c.n_coders != 2 and kappa_note not in notes:
            notes.append(kappa_note)
        if code == _OVERALL:
            notes.append(f"pooled over {n_codes} codes x {c.n_units} segments")
        values = (
            code,
            c.n_units,
            c.n_coders,
            100.0 * (1.0 - disagree / pairs),
            kappa,
            _binary_alpha(coincid_off, n_present, n_values),
            "; ".join(notes),
        )
        for name, value in zip(AGREEMENT_COLUMNS, values, strict=True):
            out[name].append(value)
    return _agreement_frame(*(out[name] for name in AGREEMENT_COLUMNS))
