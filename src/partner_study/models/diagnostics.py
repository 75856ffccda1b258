"""Model checks: collinearity (variance inflation factors), residual tests, the
proportional-odds check of the ordinal model, and the notes a reader must know about the
fits.

Layer 3 (analysis), part of :mod:`partner_study.models`; never reads or writes files.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import patsy
from scipy import stats
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.diagnostic import het_breuschpagan
from statsmodels.stats.stattools import jarque_bera

from partner_study.errors import StudyDataError
from partner_study.models._formula import (
    _ENV,
    _by_name,
    _check_frame,
    _clean_term,
    _complete_cases,
    _data_error,
    _declare,
    _design,
    _quote,
    _read_formula,
    _rhs,
)
from partner_study.models._tidy import _join, _messages
from partner_study.models.proportional_odds import BRANT_OMNIBUS, brant_test
from partner_study.models.spec import _no_dependent, _read_spec, _Spec

__all__ = ["DIAGNOSTIC_COLUMNS", "vif", "residual_diagnostics", "table_diagnostics", "model_notes"]

#: Columns of :func:`residual_diagnostics`.
DIAGNOSTIC_COLUMNS: tuple[str, ...] = (
    "model",
    "dependent",
    "test",
    "statistic",
    "df",
    "p_value",
    "n",
    "note",
)


_SHAPIRO_MAX_N = 5000


def vif(data: pd.DataFrame, predictors: Sequence[str]) -> pd.DataFrame:
    """Variance inflation factors of the predictors (complete cases).

    Parameters
    ----------
    data : DataFrame
        Not modified.
    predictors : sequence of str
        Column names; string columns are expanded into treatment dummies.

    Returns
    -------
    DataFrame
        term (design column, e.g. ``"gender[T.woman]"``), vif. One row per design
        column (for factors this is the VIF of each dummy, not car's GVIF).

    Raises
    ------
    ParamsError
        A predictor is not a column.
    StudyDataError
        No complete rows, or a predictor is constant or perfectly collinear.

    Notes
    -----
    :math:`VIF_j = 1/(1-R_j^2) = [R^{-1}]_{jj}`, with :math:`R` the correlation matrix
    of the design columns (as ``car::vif`` for one-df terms).

    References
    ----------
    Fox, J., & Monette, G. (1992). Generalized collinearity diagnostics. Journal of the
    American Statistical Association, 87(417), 178-183. https://doi.org/10.1080/01621459.1992.10475190
    """
    _check_frame(data)
    predictors = list(predictors)
    rhs = _rhs(data, predictors)
    sample = _complete_cases(data, predictors)
    x = patsy.dmatrix(
        _by_name(f"1 + {rhs}", sample.frame),
        sample.frame,
        eval_env=_ENV,
        return_type="dataframe",
    )
    x = x.drop(columns="Intercept")
    values = x.to_numpy(dtype=float)
    if x.shape[1] == 0:
        return pd.DataFrame({"term": pd.Series([], dtype=str), "vif": pd.Series([], dtype=float)})
    sd = values.std(axis=0)
    if np.any(sd == 0):
        bad = [str(c) for c, s in zip(x.columns, sd, strict=True) if s == 0]
        raise _data_error(
            found=f"constant predictor(s) {', '.join(bad)}",
            expected="predictors that vary",
            fix="drop the constant predictor",
        )
    corr = np.atleast_2d(np.corrcoef(values, rowvar=False))
    if np.linalg.matrix_rank(corr) < corr.shape[0]:
        raise _data_error(
            found="perfectly collinear predictors",
            expected="linearly independent predictors",
            fix="drop one of the collinear predictors",
        )
    vifs = np.diag(np.linalg.inv(corr))
    return pd.DataFrame({"term": [_clean_term(str(c)) for c in x.columns], "vif": vifs})


def residual_diagnostics(data: pd.DataFrame, formula: str) -> pd.DataFrame:
    """Heteroskedasticity and normality tests on the OLS residuals of ``formula``.

    Parameters
    ----------
    data : DataFrame
        Not modified.
    formula : str
        Patsy formula, as for :func:`fit_ols` (complete cases).

    Returns
    -------
    DataFrame
        Columns of :data:`DIAGNOSTIC_COLUMNS`: model ("ols"), dependent, test
        ("breusch_pagan", "jarque_bera", "shapiro_wilk"), statistic, df (chi-squared
        df; NaN for Shapiro-Wilk), p_value, n, note (e.g. why Shapiro-Wilk was skipped).

    Notes
    -----
    Breusch-Pagan in Koenker's studentized form, :math:`n R^2` of the squared
    residuals on the predictors, chi-squared on k - 1 df (R ``lmtest::bptest``
    default). Jarque-Bera :math:`n/6\\,(S^2 + (K-3)^2/4)`, chi-squared on 2 df.
    Shapiro-Wilk for 3 <= n <= 5000 (its p-value is not accurate above).

    References
    ----------
    Koenker, R. (1981). A note on studentizing a test for heteroscedasticity. Journal
    of Econometrics, 17(1), 107-112. https://doi.org/10.1016/0304-4076(81)90062-2

    Jarque, C. M., & Bera, A. K. (1980). Efficient tests for normality,
    homoscedasticity and serial independence of regression residuals. Economics
    Letters, 6(3), 255-259. https://doi.org/10.1016/0165-1765(80)90024-5

    Shapiro, S. S., & Wilk, M. B. (1965). An analysis of variance test for normality.
    Biometrika, 52(3-4), 591-611. https://doi.org/10.1093/biomet/52.3-4.591
    """
    parsed = _read_formula(formula, data)
    sample = _complete_cases(data, parsed.variables)
    y, x = _design(sample.frame, formula)
    n = len(y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resid = np.asarray(OLS(y, x).fit().resid)
        rows: list[tuple[str, float, float, float, str]] = []
        if x.shape[1] > 1:
            lm, lm_p, _, _ = het_breuschpagan(resid, x.to_numpy(), robust=True)
            rows.append(("breusch_pagan", float(lm), float(x.shape[1] - 1), float(lm_p), ""))
        else:
            rows.append(("breusch_pagan", np.nan, np.nan, np.nan, "no predictors"))
        jb, jb_p, _, _ = jarque_bera(resid)
        rows.append(("jarque_bera", float(jb), 2.0, float(jb_p), ""))
        if 3 <= n <= _SHAPIRO_MAX_N:
            w, w_p = stats.shapiro(resid)
            rows.append(("shapiro_wilk", float(w), np.nan, float(w_p), ""))
        else:
            rows.append(
                (
                    "shapiro_wilk",
                    np.nan,
                    np.nan,
                    np.nan,
                    f"skipped: n = {n} (Shapiro-Wilk needs 3 <= n <= {_SHAPIRO_MAX_N})",
                )
            )
    extra = _join(_messages(caught))
    out = pd.DataFrame(rows, columns=["test", "statistic", "df", "p_value", "note"])
    out["note"] = [_join(note, extra) for note in out["note"]]
    out.insert(0, "dependent", parsed.dependent)
    out.insert(0, "model", "ols")
    out["n"] = pd.array([n] * len(out), dtype="Int64")
    out[["statistic", "df", "p_value"]] = out[["statistic", "df", "p_value"]].astype(float)
    return out[list(DIAGNOSTIC_COLUMNS)]


def table_diagnostics(
    scored: pd.DataFrame, spec: Mapping, *, levels: Mapping[str, Sequence] | None = None
) -> pd.DataFrame:
    """Collinearity and residual checks of the joint model of a params ``regression`` spec
    (categorical covariates coded against the reference of ``levels``, as
    :func:`fit_models`).

    Returns
    -------
    DataFrame
        ``test, term, statistic, df, p_value, n, note``: one ``vif`` row per predictor term
        (variance inflation factor) of the joint model, then the residual tests of
        :func:`residual_diagnostics` (Breusch-Pagan, Jarque-Bera, Shapiro-Wilk), then,
        when the spec fits an ordinal model, the proportional-odds check of the joint
        ordinal model: ``brant`` rows of :func:`brant_test` (omnibus, then per term; the
        note says when proportional odds is doubtful at 0.05).
    """
    no_dependent = _no_dependent(spec.get("dependent"))
    # without a continuous dependent the predictors are those of the ordinal model
    s = _read_spec(scored, dict(spec) if no_dependent else {**dict(spec), "models": ["ols"]})
    scored = _declare(scored, levels, s.covariates)
    predictors = [*s.outcomes, *[c for c in s.covariates if c not in s.outcomes]]
    v = vif(scored, predictors)
    v = pd.DataFrame(
        {
            "test": "vif",
            "term": v["term"],
            "statistic": v["vif"],
            "df": np.nan,
            "p_value": np.nan,
            "n": np.nan,
            "note": "",
        }
    )
    if s.dependent is None:  # no linear model, so no residuals to check
        frames = [v, *_proportional_odds(scored, spec, s, predictors)]
        return pd.concat(frames, ignore_index=True)
    formula = f"{_quote(s.dependent)} ~ {_rhs(scored, predictors)}"
    r = residual_diagnostics(scored, formula)
    r = pd.DataFrame(
        {
            "test": r["test"],
            "term": "(residuals)",
            "statistic": r["statistic"],
            "df": r["df"],
            "p_value": r["p_value"],
            "n": r["n"],
            "note": r["note"],
        }
    )
    return pd.concat([v, r, *_proportional_odds(scored, spec, s, predictors)], ignore_index=True)


def _proportional_odds(
    scored: pd.DataFrame, spec: Mapping, s: _Spec, predictors: list[str]
) -> list[pd.DataFrame]:
    """``brant`` rows of :func:`table_diagnostics` for the joint ordinal model of the spec
    (none when the spec fits no ordinal model or has no ordinal dependent)."""
    ordinal = s.ordinal_dependent
    if "ordinal" not in (spec.get("models") or ()) or not ordinal or ordinal not in scored:
        return []
    rhs = _rhs(scored, predictors)
    note = ""
    if s.ordinal_site == "fixed" and s.groups is not None and s.groups not in predictors:
        rhs += f" + C({_quote(s.groups)})"  # as the ordinal model fitted
    elif s.ordinal_site == "cluster":
        note = f"test assumes independent respondents (the model clusters by {s.groups!r})"
    try:
        b = brant_test(scored, ordinal, rhs, levels=s.ordinal_levels)
    except StudyDataError as exc:  # the ordinal model itself is skipped with this reason
        problem = exc.problems[0]
        b = pd.DataFrame(
            {
                "term": [BRANT_OMNIBUS],
                "statistic": np.nan,
                "df": np.nan,
                "p_value": np.nan,
                "n": pd.array([pd.NA], dtype="Int64"),
                "note": f"not computable: {problem.found}",
            }
        )
    b.insert(0, "test", "brant")
    b["note"] = [_join(n, note) for n in b["note"]]
    return [b]


def model_notes(regression: pd.DataFrame) -> pd.DataFrame:
    """What a reader must know about the fits: skipped models, convergence and boundary notes.

    Returns
    -------
    DataFrame
        ``model, outcome, converged, note``: one row per model and outcome with a note.
    """
    noted = regression[regression["note"].fillna("").ne("")]
    cols = ["model", "outcome", "converged", "note"]
    return noted[cols].drop_duplicates(["model", "outcome", "note"]).reset_index(drop=True)
