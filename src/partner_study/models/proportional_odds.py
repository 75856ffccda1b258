"""The proportional-odds check of an ordinal logit model: Brant's test.

The proportional-odds (cumulative logit) model assumes one slope per predictor for every
cut of the ordered outcome. Brant's test fits the k - 1 cumulative binary logits
(``y > level j`` for each cut j) separately and asks, by a Wald test, whether their slopes
are equal: per predictor (df k - 2) and for all predictors at once (the omnibus test).

Layer 3 (analysis), part of :mod:`partner_study.models`; never reads or writes files.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import patsy
from scipy import stats
from scipy.special import expit
from statsmodels.discrete.discrete_model import Logit

from partner_study.errors import ParamsError
from partner_study.models._formula import (
    _ENV,
    _by_name,
    _check_frame,
    _clean_term,
    _complete_cases,
    _quote,
    _read_formula,
    _rhs,
)
from partner_study.models._tidy import _join, _messages
from partner_study.models.ordinal import _level_codes, _ordered_levels

__all__ = ["BRANT_COLUMNS", "BRANT_OMNIBUS", "brant_test"]

#: Columns of :func:`brant_test`.
BRANT_COLUMNS: tuple[str, ...] = ("term", "statistic", "df", "p_value", "n", "note")

#: ``term`` of the omnibus row (all predictors at once).
BRANT_OMNIBUS = "(omnibus)"


def brant_test(
    data: pd.DataFrame,
    dependent: str,
    predictors: Sequence[str] | str,
    *,
    levels: Sequence | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Brant's test of the proportional-odds assumption of an ordinal logit model.

    Parameters
    ----------
    data : DataFrame
        One row per respondent. Not modified.
    dependent : str
        Ordered outcome column, as for :func:`fit_ordinal`.
    predictors : list of str or str
        Column names or a patsy right-hand side, as for :func:`fit_ordinal`.
    levels : sequence, optional
        Levels from lowest to highest; overrides the data's order.
    alpha : float
        Level below which a p value gets the note that proportional odds is doubtful.

    Returns
    -------
    DataFrame
        Columns of :data:`BRANT_COLUMNS`: one row :data:`BRANT_OMNIBUS` (every slope equal
        across the cuts; chi-squared on (k - 2)·p df), then one row per design column
        (term named as in :func:`fit_ordinal`; chi-squared on k - 2 df), with k observed
        levels and p design columns; n complete rows; note (rejection at ``alpha``, or
        why the test could not be computed: fewer than 3 observed levels, a binary fit
        that does not converge or separates).

    Raises
    ------
    ParamsError
        No predictors, or names that are not columns.
    StudyDataError
        Labels outside ``levels``, labels without order.

    Notes
    -----
    For each cut :math:`j = 1, \\dots, k-1`, :math:`z_j = 1(y > j)` and the binary logit
    :math:`\\mathrm{logit}\\,P(z_j = 1) = \\alpha_j + x'\\beta_j` gives
    :math:`\\hat\\beta_j` and fitted :math:`\\hat\\pi_j`. With :math:`X` the design (with
    intercept) and :math:`W_{jl} = \\mathrm{diag}(\\hat\\pi_l - \\hat\\pi_j\\hat\\pi_l)`
    (:math:`j \\le l`), :math:`\\mathrm{Cov}(\\hat\\beta_j, \\hat\\beta_l) =
    (X'W_{jj}X)^{-1} X'W_{jl}X (X'W_{ll}X)^{-1}`, intercept rows dropped (Brant 1990,
    §3). With :math:`D` the contrasts :math:`\\beta_1 - \\beta_j`, :math:`j \\ge 2`,
    :math:`X^2 = (D\\hat\\beta)'(D\\hat V D')^{-1}(D\\hat\\beta)`, as R
    ``brant::brant`` and Stata ``brant`` (Long & Freese). A rejection suggests a partial
    proportional odds model (Peterson & Harrell 1990) or reporting the binary splits.

    References
    ----------
    Brant, R. (1990). Assessing proportionality in the proportional odds model for
    ordinal logistic regression. Biometrics, 46(4), 1171-1178.
    https://doi.org/10.2307/2532457

    Peterson, B., & Harrell, F. E. (1990). Partial proportional odds models for ordinal
    response variables. Journal of the Royal Statistical Society C, 39(2), 205-217.
    https://doi.org/10.2307/2347760
    """
    _check_frame(data)
    if dependent not in data.columns:
        raise ParamsError(f"dependent {dependent!r} is not a column of the data.")
    if isinstance(predictors, str):
        rhs = predictors
    else:
        if not list(predictors):
            raise ParamsError("brant_test needs at least one predictor.")
        rhs = _rhs(data, list(predictors))
    parsed = _read_formula(f"{_quote(dependent)} ~ {rhs}", data)
    ordered = _ordered_levels(data[dependent], levels, dependent)
    sample = _complete_cases(data, parsed.variables)
    codes = _level_codes(sample.frame[dependent], ordered, dependent)
    y = np.searchsorted(np.unique(codes), codes)
    x = patsy.dmatrix(
        _by_name(f"1 + {rhs}", sample.frame), sample.frame, eval_env=_ENV, return_type="dataframe"
    )
    terms = [_clean_term(str(c)) for c in x.columns if c != "Intercept"]
    n, n_cuts = len(y), int(y.max(initial=0))
    if n_cuts < 2:
        return _rows(terms, None, n_cuts, n, "not computable: needs 3 or more observed levels")
    stat, problem = _brant(y, x.to_numpy(dtype=float))
    if problem:
        return _rows(terms, None, n_cuts, n, f"not computable: {problem}")
    out = _rows(terms, stat, n_cuts, n, "")
    doubtful = out["p_value"] < alpha
    out.loc[doubtful, "note"] = [
        f"proportional odds doubtful for {t} (p < {alpha:g}): consider a partial "
        "proportional odds model or report the binary splits"
        for t in np.where(
            out.loc[doubtful, "term"] == BRANT_OMNIBUS,
            "the model as a whole",
            out.loc[doubtful, "term"],
        )
    ]
    return out


def _brant(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, str]:
    """Brant's statistics (omnibus, then one per design column but the intercept) of the
    level codes ``y`` (0 .. k - 1, each observed) on the design ``x`` (intercept first),
    or why they cannot be computed."""
    n_cuts = int(y.max())
    slopes, cov, problem = _binary_fits(y, x, n_cuts)
    if problem:
        return np.empty(0), problem
    p = x.shape[1] - 1
    contrast = np.zeros(((n_cuts - 1) * p, n_cuts * p))
    for r in range(1, n_cuts):
        contrast[(r - 1) * p : r * p, :p] = np.eye(p)
        contrast[(r - 1) * p : r * p, r * p : (r + 1) * p] = -np.eye(p)
    stat = [_wald(contrast, slopes, cov), *(_wald(contrast[i::p], slopes, cov) for i in range(p))]
    return np.array(stat), ""


def _binary_fits(y: np.ndarray, x: np.ndarray, n_cuts: int) -> tuple[np.ndarray, np.ndarray, str]:
    """Slopes of the cumulative binary logits (stacked) and Brant's joint covariance."""
    betas, probs, infos = [], [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for j in range(n_cuts):
            result = Logit((y > j).astype(float), x).fit(method="newton", maxiter=100, disp=False)
            if not result.mle_retvals.get("converged", False):
                return (
                    np.empty(0),
                    np.empty((0, 0)),
                    f"the binary logit of cut {j + 1} does not converge",
                )
            betas.append(np.asarray(result.params, dtype=float))
            pi = expit(x @ betas[-1])
            probs.append(pi)
            infos.append(np.linalg.inv(x.T @ (x * (pi * (1 - pi))[:, None])))
    if caught:
        return np.empty(0), np.empty((0, 0)), _join(_messages(caught))
    k = x.shape[1]
    p = k - 1
    cov = np.zeros((n_cuts * p, n_cuts * p))
    for j in range(n_cuts):
        for m in range(j, n_cuts):
            w = probs[m] - probs[j] * probs[m]
            block = infos[j] @ (x.T @ (x * w[:, None])) @ infos[m]
            cov[j * p : (j + 1) * p, m * p : (m + 1) * p] = block[1:, 1:]
            cov[m * p : (m + 1) * p, j * p : (j + 1) * p] = block[1:, 1:].T
    return np.concatenate([b[1:] for b in betas]), cov, ""


def _wald(contrast: np.ndarray, beta: np.ndarray, cov: np.ndarray) -> float:
    d = contrast @ beta
    try:
        return float(d @ np.linalg.solve(contrast @ cov @ contrast.T, d))
    except np.linalg.LinAlgError:
        return float("nan")


def _rows(
    terms: list[str], stat: np.ndarray | None, n_cuts: int, n: int, note: str
) -> pd.DataFrame:
    k = len(terms) + 1
    df = np.array([max(n_cuts - 1, 0) * len(terms), *[max(n_cuts - 1, 0)] * len(terms)], float)
    statistic = np.full(k, np.nan) if stat is None else stat
    with np.errstate(invalid="ignore"):
        p = stats.chi2.sf(statistic, df)
    return pd.DataFrame(
        {
            "term": [BRANT_OMNIBUS, *terms],
            "statistic": statistic,
            "df": df,
            "p_value": p,
            "n": pd.array([n] * k, dtype="Int64"),
            "note": [note] * k,
        },
        columns=list(BRANT_COLUMNS),
    )
