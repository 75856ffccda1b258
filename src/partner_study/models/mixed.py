"""Linear mixed models with a random intercept per group (e.g. site).

Conventions follow R and Stata: random intercept, REML, as ``lme4::lmer`` defaults; the
random-intercept and residual variances are reported as terms ``var(<groups>)`` and
``var(residual)``; Wald z inference for fixed effects (as Stata ``mixed``). The REML
optimum is found exactly (:mod:`~partner_study.models.reml`), and a random intercept
over fewer than :data:`FEW_GROUPS` groups is flagged in the note.

Layer 3 (analysis), part of :mod:`partner_study.models`; never reads or writes files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from partner_study.errors import ParamsError
from partner_study.models._formula import _complete_cases, _design, _read_formula
from partner_study.models._tidy import _MODEL_BASED, _join, _skipped, _tidy
from partner_study.models.reml import fit_reml

#: A random intercept estimated from fewer groups than this gets a warning in its note.
FEW_GROUPS = 5

#: How the warning of :func:`few_groups_note` begins (the tables find it by this).
FEW_GROUPS_MARK = "few groups:"


def few_groups_note(groups: str, n_groups: int) -> str:
    """The warning on a random intercept estimated from fewer than :data:`FEW_GROUPS`
    groups, with what to do instead.

    Examples
    --------
    >>> few_groups_note("site", 3)[:52]
    'few groups: the random intercept for site rests on 3'
    """
    return (
        f"{FEW_GROUPS_MARK} the random intercept for {groups} rests on {n_groups} groups "
        f"(fewer than {FEW_GROUPS}): var({groups}) is imprecise and often estimated at 0, "
        "and Wald intervals of what varies between groups are too narrow; with so few "
        f"groups, take {groups} as a fixed effect instead (covariates: [{groups}])"
    )


__all__ = ["FEW_GROUPS", "FEW_GROUPS_MARK", "few_groups_note", "fit_mixed"]


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
        complete cases), cov_type "model-based", converged (True at the REML optimum,
        interior or on the boundary var = 0; False, with the reason in the note, when
        there is none to find), note (a boundary fit; with fewer than
        :data:`FEW_GROUPS` groups the warning of :func:`few_groups_note`;
        standardization).
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
    :math:`e_{ij} \\sim N(0, \\sigma^2)`; REML as ``lme4::lmer(y ~ x + (1 | g))``,
    maximised exactly over :math:`\\tau^2/\\sigma^2` (:func:`~partner_study.models.reml.fit_reml`:
    closed-form profile likelihood, no starting values). A random-intercept variance
    of zero is a boundary ("singular") fit: the note says so.

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
    fit = fit_reml(y.to_numpy(dtype=float), x.to_numpy(dtype=float), codes, n_groups)
    beta = fit.beta
    se = np.sqrt(np.clip(np.diag(fit.cov_beta), 0.0, None))
    var_group, var_resid = fit.var_group, fit.var_resid
    z = stats.norm.ppf(1 - alpha / 2)
    notes = []
    if not fit.converged:
        notes.append(f"not converged: {fit.note}; the estimates are not the REML optimum")
    elif var_group == 0.0:
        notes.append(
            f"boundary (singular) fit: var({groups}) estimated at 0, as lme4 reports "
            "'boundary (singular) fit'; the fixed effects are then those of OLS"
        )
    if n_groups < FEW_GROUPS:
        notes.append(few_groups_note(groups, n_groups))
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
        converged=fit.converged,
        note=_join(sample.notes, notes),
    )
