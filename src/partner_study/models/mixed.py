"""Linear mixed models with a random intercept per group (e.g. site).

Conventions follow R and Stata: random intercept, REML, as ``lme4::lmer`` defaults; the
random-intercept and residual variances are reported as terms ``var(<groups>)`` and
``var(residual)``; Wald z inference for fixed effects (as Stata ``mixed``).

Layer 3 (analysis), part of :mod:`partner_study.models`; never reads or writes files.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.mixed_linear_model import MixedLM

from partner_study.errors import ParamsError
from partner_study.models._formula import _complete_cases, _design, _read_formula
from partner_study.models._tidy import _MODEL_BASED, _join, _messages, _skipped, _tidy

__all__ = ["fit_mixed"]


def fit_mixed(
    data: pd.DataFrame,
    formula: str,
    *,
    groups: str,
    standardize: bool = False,
    outcome: str = "",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Linear mixed model with a random intercept per group, fitted by REML.

    Parameters
    ----------
    data : DataFrame
        One row per respondent. Not modified.
    formula : str
        Patsy formula of the fixed part, e.g. ``"engagement ~ communication + age"``.
    groups : str
        Column holding the grouping factor (e.g. ``"site"``).
    standardize : bool
        Z-score the numeric variables of the formula before fitting.
    outcome : str
        Value of the ``outcome`` column.
    alpha : float
        1 - confidence level.

    Returns
    -------
    DataFrame
        Columns of :data:`REGRESSION_COLUMNS`: model ("mixed"), one row per fixed
        effect (Wald z inference), then ``var(<groups>)`` (random-intercept variance)
        and ``var(residual)`` (residual variance) with NaN std_error/CI/p (as lme4,
        which reports no Wald errors for variances); n, n_groups (groups in the
        complete cases), cov_type "model-based", converged (optimizer converged),
        note (statsmodels warnings, e.g. a boundary fit, and standardization).
        With fewer than 2 groups one row with term "(skipped)", NaN values and the
        note "mixed model skipped: 1 site (a random intercept needs at least 2
        groups)" is returned instead of failing.

    Raises
    ------
    ParamsError
        A name in the formula or ``groups`` is not a column.
    StudyDataError
        No complete rows, fewer rows than coefficients or a rank-deficient design.

    Notes
    -----
    :math:`y_{ij} = x_{ij}'\\beta + u_j + e_{ij}`, :math:`u_j \\sim N(0, \\tau^2)`,
    :math:`e_{ij} \\sim N(0, \\sigma^2)`; REML as ``lme4::lmer(y ~ x + (1 | g))``.
    A random-intercept variance at (or numerically near) zero is a boundary
    ("singular") fit: the note says so.

    References
    ----------
    Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear
    mixed-effects models using lme4. Journal of Statistical Software, 67(1), 1-48.
    https://doi.org/10.18637/jss.v067.i01
    """
    parsed = _read_formula(formula, data)
    if groups not in data.columns:
        raise ParamsError(f"groups {groups!r} is not a column of the data.")
    sample = _complete_cases(data, parsed.variables, standardize=standardize, keep=[groups])
    codes, uniques = pd.factorize(sample.frame[groups], sort=True)
    n, n_groups = len(sample.frame), len(uniques)
    if n_groups < 2:
        word = groups if n_groups == 1 else f"{groups} values"
        return _skipped(
            model="mixed",
            dependent=parsed.dependent,
            n=n,
            n_groups=n_groups,
            outcome=outcome,
            n_dropped=sample.n_dropped,
            note=f"mixed model skipped: {n_groups} {word} "
            "(a random intercept needs at least 2 groups)",
        )
    y, x = _design(sample.frame, formula)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = MixedLM(y, x, groups=codes).fit(reml=True)
            beta = np.asarray(result.fe_params, dtype=float)
            with np.errstate(invalid="ignore"):
                se = np.sqrt(np.diag(np.asarray(result.cov_params(), dtype=float))[: len(beta)])
            var_group = float(np.asarray(result.cov_re)[0, 0])
            var_resid = float(result.scale)
            converged = bool(result.converged)
        except np.linalg.LinAlgError as exc:
            return _skipped(
                model="mixed",
                dependent=parsed.dependent,
                n=n,
                n_groups=n_groups,
                outcome=outcome,
                n_dropped=sample.n_dropped,
                note=_join(f"mixed model failed: {exc}", _messages(caught)),
            )
    z = stats.norm.ppf(1 - alpha / 2)
    notes = _messages(caught)
    if not np.all(np.isfinite(se)):
        notes.append("some standard errors are not available (singular information matrix)")
    on_boundary = any("boundary" in msg for msg in notes)
    if on_boundary or var_group <= 1e-6 * (var_group + var_resid):
        notes.append(
            f"boundary (singular) fit: var({groups}) estimated at about 0, as lme4 reports "
            "'boundary (singular) fit'; the fixed effects are then close to OLS"
        )
    nan2 = [np.nan, np.nan]
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * stats.norm.sf(np.abs(beta / se))
    return _tidy(
        model="mixed",
        dependent=parsed.dependent,
        terms=[*x.columns, f"var({groups})", "var(residual)"],
        estimate=[*beta, var_group, var_resid],
        std_error=[*se, *nan2],
        ci_low=[*(beta - z * se), *nan2],
        ci_high=[*(beta + z * se), *nan2],
        p_value=[*p, *nan2],
        n=n,
        n_groups=n_groups,
        cov_type=_MODEL_BASED,
        outcome=outcome,
        n_dropped=sample.n_dropped,
        converged=converged,
        note=_join(sample.notes, notes),
    )
