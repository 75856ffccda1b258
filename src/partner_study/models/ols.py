"""Ordinary least squares with robust and cluster-robust standard errors.

Conventions follow R and Stata: heteroskedasticity-consistent HC3 errors by default (R
``sandwich::vcovHC(type = "HC3")``, Stata ``regress, vce(hc3)``) with a t reference on
n - k degrees of freedom. Cluster-robust errors are CR2 (Bell & McCaffrey 2002; R
``clubSandwich::vcovCR(type = "CR2")``) with a t reference on Imbens-Kolesár degrees of
freedom (R ``dfadjust``), which keep their coverage with a handful of clusters
(:mod:`~partner_study.models.smallsample`); Stata's ``regress, vce(cluster g)`` (CR1:
small-sample factor G/(G-1)·(N-1)/(N-K), t on G - 1 degrees of freedom) on request.

Layer 3 (analysis), part of :mod:`partner_study.models`; never reads or writes files.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS

from partner_study.errors import ParamsError
from partner_study.models._formula import _complete_cases, _data_error, _design, _read_formula
from partner_study.models._tidy import _join, _messages, _tidy
from partner_study.models.smallsample import cluster_cr2

__all__ = ["fit_ols"]

_OLS_COV_TYPES = ("HC0", "HC1", "HC2", "HC3", "nonrobust")


def fit_ols(
    data: pd.DataFrame,
    formula: str,
    *,
    cov_type: str = "HC3",
    groups: str | None = None,
    standardize: bool = False,
    outcome: str = "",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Ordinary least squares with robust standard errors, as a tidy frame.

    Parameters
    ----------
    data : DataFrame
        One row per respondent. Not modified.
    formula : str
        Patsy formula, e.g. ``"engagement ~ communication + age + C(role)"``. String
        columns enter as categorical with the first level (alphabetical) as reference.
    cov_type : {"HC3", "HC0", "HC1", "HC2", "nonrobust"}
        Covariance when ``groups`` is None. HC3 is the default (Long & Ervin 2000).
        With ``groups``: ``"CR1"`` gives Stata's ``vce(cluster g)``; any other value the
        default CR2 with Imbens-Kolesár degrees of freedom.
    groups : str, optional
        Column to cluster on: cluster-robust CR2 errors, t on Imbens-Kolesár degrees of
        freedom (one per coefficient, given in ``note``).
    standardize : bool
        Z-score the numeric variables of the formula (dependent included) on the
        analysis sample before fitting: coefficients are then in SD units.
    outcome : str
        Value of the ``outcome`` column (the experience outcome the model is about).
    alpha : float
        1 - confidence level of ``ci_low``/``ci_high``.

    Returns
    -------
    DataFrame
        One row per coefficient, columns of :data:`REGRESSION_COLUMNS`:
        model ("ols"), dependent, term (patsy name, e.g. ``"role[T.nurse]"``),
        estimate, std_error, ci_low, ci_high, p_value (t reference), p_adjusted (NaN;
        see :func:`adjust_pvalues`), n (complete cases), n_groups (clusters, NA
        without clustering), cov_type ("HC3", "CR2(<groups>)" or, for Stata's CR1,
        "cluster(<groups>)"), outcome, n_dropped (rows dropped as incomplete),
        converged (True), note (with CR2: the coefficient's degrees of freedom).

    Raises
    ------
    ParamsError
        The formula names a column that does not exist, or ``cov_type`` is unknown.
    StudyDataError
        No complete rows, fewer rows than coefficients, a rank-deficient design,
        or fewer than 2 clusters.

    Notes
    -----
    :math:`\\hat\\beta = (X'X)^{-1}X'y`. HC3:
    :math:`V = (X'X)^{-1} X' \\mathrm{diag}(e_i^2/(1-h_{ii})^2) X (X'X)^{-1}`, t on
    n - k df. Cluster: :math:`V = c\\,(X'X)^{-1} (\\sum_g X_g'e_g e_g'X_g) (X'X)^{-1}`
    with :math:`c = G/(G-1)\\cdot(N-1)/(N-K)`, t on G - 1 df (Stata ``regress``, CR1).
    CR2 replaces :math:`e_g` by :math:`(I - H_{gg})^{-1/2} e_g` and sets c = 1, with t on
    the Imbens-Kolesár degrees of freedom (:func:`~partner_study.models.smallsample.cluster_cr2`).

    References
    ----------
    Long, J. S., & Ervin, L. H. (2000). Using heteroscedasticity consistent standard
    errors in the linear regression model. The American Statistician, 54(3), 217-224.
    https://doi.org/10.1080/00031305.2000.10474549

    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust
    inference. Journal of Human Resources, 50(2), 317-372.
    https://doi.org/10.3368/jhr.50.2.317

    Imbens, G. W., & Kolesár, M. (2016). Robust standard errors in small samples: some
    practical advice. Review of Economics and Statistics, 98(4), 701-712.
    https://doi.org/10.1162/REST_a_00552

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8], "x": [1, 2, 3, 4, 5, 6]})
    >>> fit_ols(d, "y ~ x")[["term", "estimate"]].round(2)
            term  estimate
    0  Intercept      0.09
    1          x      0.98
    """
    if groups is None and cov_type not in _OLS_COV_TYPES:
        raise ParamsError(
            f"cov_type {cov_type!r} is not one of {', '.join(_OLS_COV_TYPES)}; for "
            "cluster-robust errors pass groups='<column>'."
        )
    parsed = _read_formula(formula, data)
    if groups is not None and groups not in data.columns:
        raise ParamsError(f"groups {groups!r} is not a column of the data.")
    keep = [groups] if groups is not None else []
    sample = _complete_cases(data, parsed.variables, standardize=standardize, keep=keep)
    y, x = _design(sample.frame, formula)
    codes = None if groups is None else sample.frame[groups]
    return _ols_tidy(
        y.to_numpy(dtype=float),
        x.to_numpy(dtype=float),
        list(x.columns),
        dependent=parsed.dependent,
        cov_type=cov_type,
        groups=groups,
        group_values=codes,
        outcome=outcome,
        n_dropped=sample.n_dropped,
        notes=sample.notes,
        alpha=alpha,
    )


def _ols_tidy(
    y: np.ndarray,
    x: np.ndarray,
    terms: list[str],
    *,
    dependent: str,
    cov_type: str,
    groups: str | None,
    group_values: pd.Series | np.ndarray | None,
    outcome: str,
    n_dropped: int,
    notes: Sequence[str] = (),
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The OLS fit of :func:`fit_ols` on a design already built (arrays), as a tidy frame."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result, label, n_groups = _ols_result(y, x, cov_type, groups, group_values)
        ci = np.asarray(result.conf_int(alpha=alpha))
    note = _join(notes, _messages(caught), getattr(result, "note", ""))
    term_notes = getattr(result, "term_notes", None)
    return _tidy(
        model="ols",
        dependent=dependent,
        terms=terms,
        estimate=result.params,
        std_error=result.bse,
        ci_low=ci[:, 0],
        ci_high=ci[:, 1],
        p_value=result.pvalues,
        n=int(result.nobs),
        n_groups=n_groups,
        cov_type=label,
        outcome=outcome,
        n_dropped=n_dropped,
        converged=True,
        note=note if term_notes is None else [_join(note, t) for t in term_notes],
    )


#: Leverage from which a row is taken as fitted exactly (its own coefficient carries it).
_LEVERAGE_ONE = 1.0 - 1e-8


def _leverage_one(x: np.ndarray, result: Any) -> np.ndarray:
    """Rows of the design with leverage 1 (a level of a covariate that one respondent has)."""
    h = np.einsum("ij,jk,ik->i", x, np.asarray(result.normalized_cov_params), x)
    return np.asarray(h >= _LEVERAGE_ONE)


class _HCLeverageOne:
    """HC2/HC3 errors of an OLS fit in which some rows have leverage 1.

    HC2 and HC3 divide each squared residual by a power of ``1 - h``: for a row with
    leverage 1 (the only respondent with some level of a covariate) that is 0 / 0, and what
    statsmodels (and R's ``sandwich``) return is rounding noise that changes with the BLAS
    kernel (standard errors of 1.5 or 1.0 for the same data). Such a row's residual is 0 and
    it says nothing about the other coefficients: its share of the "meat" is taken as 0,
    which gives every other coefficient the errors of the fit without that row. A term
    carried by such rows alone (the dummy of that level) has no estimable robust error: its
    standard error, interval and p value are missing, and the note says why.
    """

    def __init__(self, result: Any, x: np.ndarray, cov_type: str, pinned: np.ndarray) -> None:
        h = np.einsum("ij,jk,ik->i", x, np.asarray(result.normalized_cov_params), x)
        resid = np.asarray(result.resid, dtype=float)
        power = 2.0 if cov_type == "HC3" else 1.0
        weight = np.zeros(len(resid))
        keep = ~pinned
        weight[keep] = resid[keep] ** 2 / (1.0 - h[keep]) ** power
        bread = np.asarray(result.normalized_cov_params)
        cov = bread @ ((x * weight[:, None]).T @ x) @ bread
        carried = (np.abs(x[keep]).sum(axis=0) == 0) & (np.abs(x[pinned]).sum(axis=0) > 0)
        self.params = np.asarray(result.params, dtype=float)
        bse = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        bse[carried] = np.nan
        self.bse = bse
        self.df_resid = float(result.df_resid)
        self.nobs = result.nobs
        self.pvalues = 2.0 * stats.t.sf(np.abs(self.params / bse), self.df_resid)
        n_pinned = int(pinned.sum())
        self.note = (
            f"{cov_type}: {n_pinned} respondent(s) alone in a level of a covariate (leverage "
            f"1); {int(carried.sum())} term(s) carried by them alone have no robust standard "
            "error, the others' errors are those of the fit without them"
        )

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        q = stats.t.ppf(1.0 - alpha / 2.0, self.df_resid)
        return np.column_stack([self.params - q * self.bse, self.params + q * self.bse])


class _ClusterCR2:
    """An OLS fit with CR2 cluster-robust errors and a t reference on each coefficient's
    Imbens-Kolesár degrees of freedom (:func:`cluster_cr2`), as :func:`_ols_result` returns
    it (``params``, ``bse``, ``pvalues``, ``conf_int``, ``nobs``, ``df``)."""

    def __init__(self, result: Any, x: np.ndarray, codes: np.ndarray, n_groups: int) -> None:
        robust = cluster_cr2(x, np.asarray(result.resid, dtype=float), codes, n_groups)
        self.params = np.asarray(result.params, dtype=float)
        self.bse = np.sqrt(np.clip(np.diag(robust.cov), 0.0, None))
        self.df = robust.df
        self.nobs = result.nobs
        with np.errstate(divide="ignore", invalid="ignore"):
            self.pvalues = 2.0 * stats.t.sf(np.abs(self.params / self.bse), self.df)
        self.term_notes = [
            f"CR2 cluster-robust errors ({n_groups} clusters), t on {df:.2f} Imbens-Kolesár df"
            for df in self.df
        ]

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        q = stats.t.ppf(1.0 - alpha / 2.0, self.df)
        return np.column_stack([self.params - q * self.bse, self.params + q * self.bse])


def _ols_result(
    y: np.ndarray,
    x: np.ndarray,
    cov_type: str,
    groups: str | None,
    group_values: pd.Series | np.ndarray | None,
) -> tuple[Any, str, int | None]:
    """The OLS result of :func:`fit_ols` (t-based, ``cov_type`` or clustered by
    ``group_values``: CR2, or Stata's CR1 when ``cov_type`` is "CR1"), the covariance's
    label and the number of clusters."""
    model = OLS(y, x)
    if groups is None:
        result = model.fit(cov_type=cov_type, use_t=True)
        if cov_type in ("HC2", "HC3"):
            pinned = _leverage_one(x, result)
            if pinned.any():
                return _HCLeverageOne(result, x, cov_type, pinned), cov_type, None
        return result, cov_type, None
    codes, uniques = pd.factorize(np.asarray(group_values), sort=True)
    n_groups = len(uniques)
    if n_groups < 2:
        raise _data_error(
            found=f"{n_groups} value of {groups!r} in the complete cases",
            expected="at least 2 clusters for cluster-robust errors",
            fix="use cov_type='HC3' (no clustering) for a single-site study",
            column=groups,
        )
    if cov_type == "CR1":
        result = model.fit(
            cov_type="cluster",
            cov_kwds={"groups": codes, "use_correction": True, "df_correction": True},
            use_t=True,
        )
        return result, f"cluster({groups})", n_groups
    return _ClusterCR2(model.fit(), x, codes, n_groups), f"CR2({groups})", n_groups
