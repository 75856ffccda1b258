"""Missing data: multiple imputation by chained equations, pooled by Rubin's rules.

The models of :mod:`partner_study.models` are complete-case analyses (``n_dropped`` says
how many rows were dropped); :func:`fit_mice` gives the multiple-imputation sensitivity
analysis and :func:`pool_imputations` pools any tidy fits of imputed data sets.

Layer 3 (analysis), part of :mod:`partner_study.models`; never reads or writes files.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from partner_study.config import SEED
from partner_study.errors import ParamsError
from partner_study.models._formula import (
    _complete_cases,
    _data_error,
    _design,
    _is_categorical,
    _read_formula,
)
from partner_study.models._tidy import _join, _messages, _tidy
from partner_study.models.ols import _OLS_COV_TYPES, _ols_result, _ols_tidy

__all__ = ["pool_imputations", "fit_mice"]


def _pool_ols_imputed(
    completed: Sequence[pd.DataFrame],
    formula: str,
    *,
    cov_type: str = "HC3",
    groups: str | None = None,
    outcome: str = "",
) -> pd.DataFrame:
    """``pool_imputations([fit_ols(done, formula, ...) for done in completed])``, faster.

    The imputed data sets differ only in their imputed cells, so their design matrices are
    built in one patsy call on the stacked sets (the same columns and levels for every
    set, as pooling requires) and split; each set is then fitted as :func:`fit_ols` would,
    and only the first fit becomes a tidy frame (pooling takes the others' estimates and
    standard errors, and everything else from the first).
    """
    if groups is None and cov_type not in _OLS_COV_TYPES:
        raise ParamsError(
            f"cov_type {cov_type!r} is not one of {', '.join(_OLS_COV_TYPES)}; for "
            "cluster-robust errors pass groups='<column>'."
        )
    if len(completed) < 2:
        raise ParamsError("pool_imputations needs at least 2 imputed fits.")
    parsed = _read_formula(formula, completed[0])
    keep = [groups] if groups is not None else []
    sizes = np.array([len(done) for done in completed])
    stacked = _complete_cases(pd.concat(completed, ignore_index=True), parsed.variables, keep=keep)
    # the data set of each kept row (stacked rows keep their position as index label)
    owner = np.repeat(np.arange(len(completed)), sizes)[stacked.frame.index.to_numpy()]
    bounds = np.searchsorted(owner, np.arange(len(completed) + 1))
    y, x = _design(stacked.frame, formula)
    y_all, x_all = y.to_numpy(dtype=float), x.to_numpy(dtype=float)
    terms = list(x.columns)
    group_all = None if groups is None else stacked.frame[groups].to_numpy()
    first = None
    estimates, variances = [], []
    dfs: list[np.ndarray] = []  # CR2: each set's Imbens-Kolesar df per term
    for i, (start, stop) in enumerate(itertools.pairwise(bounds)):
        xs = x_all[start:stop]
        if len(xs) <= xs.shape[1] or np.linalg.matrix_rank(xs) < xs.shape[1]:
            _design(stacked.frame.iloc[start:stop], formula)  # raises fit_ols's message
        group_values = None if group_all is None else group_all[start:stop]
        if first is None:
            first = _ols_tidy(
                y_all[start:stop],
                xs,
                terms,
                dependent=parsed.dependent,
                cov_type=cov_type,
                groups=groups,
                group_values=group_values,
                outcome=outcome,
                n_dropped=int(sizes[i] - (stop - start)),
            )
            estimates.append(first["estimate"].to_numpy(dtype=float))
            variances.append(first["std_error"].to_numpy(dtype=float) ** 2)
            continue
        with warnings.catch_warnings(record=True):  # as fit_ols: kept in its own note
            warnings.simplefilter("always")
            result, _, _ = _ols_result(y_all[start:stop], xs, cov_type, groups, group_values)
        estimates.append(np.asarray(result.params, dtype=float))
        variances.append(np.asarray(result.bse, dtype=float) ** 2)
        if getattr(result, "df", None) is not None:
            dfs.append(np.asarray(result.df, dtype=float))
    assert first is not None
    nu_com = np.vstack(dfs).mean(axis=0) if dfs else None
    return _pool(first, np.vstack(estimates), np.vstack(variances), converged=True, nu_com=nu_com)


def pool_imputations(fits: Sequence[pd.DataFrame], *, alpha: float = 0.05) -> pd.DataFrame:
    """Pool tidy fits of the same model on m imputed data sets (Rubin's rules).

    Parameters
    ----------
    fits : sequence of DataFrame
        m >= 2 tidy frames from :func:`fit_ols` with the same terms in the same order.
    alpha : float
        1 - confidence level.

    Returns
    -------
    DataFrame
        Columns of :data:`REGRESSION_COLUMNS`; model is the input model + "_mice";
        estimate = mean, std_error = sqrt(T), t-based CI and p-value on the
        Barnard-Rubin degrees of freedom; note gives m, the fraction of missing
        information (fmi) and the degrees of freedom.

    Raises
    ------
    ParamsError
        Fewer than 2 fits, or fits with different terms.

    Notes
    -----
    :math:`\\bar Q = \\frac1m\\sum Q_l`, :math:`\\bar U = \\frac1m\\sum U_l`,
    :math:`B = \\frac1{m-1}\\sum (Q_l-\\bar Q)^2`, :math:`T = \\bar U + (1+\\frac1m)B`
    (Rubin 1987, eq. 3.1.2-3.1.5). :math:`\\lambda = (1+\\frac1m)B/T`,
    :math:`\\nu_{old} = (m-1)/\\lambda^2`,
    :math:`\\nu_{obs} = \\frac{\\nu_{com}+1}{\\nu_{com}+3}\\nu_{com}(1-\\lambda)`,
    :math:`\\nu = \\nu_{old}\\nu_{obs}/(\\nu_{old}+\\nu_{obs})` (Barnard & Rubin 1999;
    R ``mice::pool``; van Buuren 2018, §2.3.6); :math:`r = (1+\\frac1m)B/\\bar U`,
    fmi :math:`= (r + 2/(\\nu+3))/(1+r)`.

    The complete-data degrees of freedom :math:`\\nu_{com}` are those of the
    complete-data inference: :math:`G - 1` for cluster-robust fits (``cov_type``
    ``"cluster(...)"`` with G = ``n_groups`` clusters: :func:`fit_ols` refers them to t on
    G - 1 df), else :math:`n - k`. So pooled and complete-case intervals are like for
    like: with few clusters the pooled interval is at least as wide as one complete-data
    interval of the same standard error.

    References
    ----------
    Rubin, D. B. (1987). Multiple Imputation for Nonresponse in Surveys. Wiley.
    https://doi.org/10.1002/9780470316696

    Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of freedom with multiple
    imputation. Biometrika, 86(4), 948-955. https://doi.org/10.1093/biomet/86.4.948

    van Buuren, S. (2018). Flexible Imputation of Missing Data (2nd ed.), §2.3.6.
    Chapman & Hall/CRC. https://doi.org/10.1201/9780429492259
    """
    fits = list(fits)
    if len(fits) < 2:
        raise ParamsError("pool_imputations needs at least 2 imputed fits.")
    first = fits[0]
    terms = first["term"].tolist()
    if any(f["term"].tolist() != terms for f in fits[1:]):
        raise ParamsError(
            "pool_imputations: the fits have different terms (a category missing from one "
            "imputed data set?); pool fits of the same model only."
        )
    return _pool(
        first,
        np.vstack([f["estimate"].to_numpy(dtype=float) for f in fits]),
        np.vstack([f["std_error"].to_numpy(dtype=float) ** 2 for f in fits]),
        converged=all(bool(f["converged"].all()) for f in fits),
        alpha=alpha,
    )


def _pool(
    first: pd.DataFrame,
    q: np.ndarray,
    u: np.ndarray,
    *,
    converged: bool,
    alpha: float = 0.05,
    nu_com: np.ndarray | None = None,
) -> pd.DataFrame:
    """Rubin's rules of :func:`pool_imputations` on the estimates ``q`` and their variances
    ``u`` (m x terms); the other columns from ``first``, the tidy fit of the first set.
    ``nu_com``: each term's complete-data degrees of freedom when the fits give them (CR2:
    Imbens-Kolesar, averaged over the imputed sets), else :func:`_complete_data_df`."""
    terms = first["term"].tolist()
    m = len(q)
    qbar, ubar = q.mean(axis=0), u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t = ubar + (1 + 1 / m) * b
    n = int(first["n"].iloc[0])
    if nu_com is not None:
        basis = "the complete-data fits' Imbens-Kolesar df"
        com = np.asarray(nu_com, dtype=float)
    else:
        whole, basis = _complete_data_df(first)
        com = np.full(len(terms), float(whole))
    lam = np.divide((1 + 1 / m) * b, t, out=np.zeros_like(t), where=t > 0)
    nu_obs = (com + 1) / (com + 3) * com * (1 - lam)
    with np.errstate(divide="ignore"):
        inv_old = np.where(lam > 0, lam**2 / (m - 1), 0.0)
        nu = 1 / (inv_old + 1 / nu_obs)
    r = np.divide((1 + 1 / m) * b, ubar, out=np.zeros_like(ubar), where=ubar > 0)
    fmi = (r + 2 / (nu + 3)) / (1 + r)
    se = np.sqrt(t)
    crit = stats.t.ppf(1 - alpha / 2, nu)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * stats.t.sf(np.abs(qbar / se), nu)
    # the complete-data fit's own reference distribution is not the pooled one's
    kept = re.sub(r",? ?t on [0-9.]+ Imbens-Kolesár df", "", str(first["note"].iloc[0]))
    notes = [
        _join(
            kept,
            f"pooled over m = {m} imputations; fmi = {f:.3f}; Barnard-Rubin df = {df:.1f} "
            f"(complete-data df {_shown_df(c)} = {basis})",
        )
        for f, df, c in zip(fmi, nu, com, strict=True)
    ]
    return _tidy(
        model=f"{first['model'].iloc[0]}_mice",
        dependent=str(first["dependent"].iloc[0]),
        terms=terms,
        estimate=qbar,
        std_error=se,
        ci_low=qbar - crit * se,
        ci_high=qbar + crit * se,
        p_value=p,
        n=n,
        n_groups=first["n_groups"].iloc[0] if pd.notna(first["n_groups"].iloc[0]) else None,
        cov_type=str(first["cov_type"].iloc[0]),
        outcome=str(first["outcome"].iloc[0]),
        n_dropped=int(first["n_dropped"].iloc[0]),
        converged=converged,
        note=notes,
    )


def _shown_df(value: float) -> str:
    """A complete-data df as the note prints it: whole numbers without decimals."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def _complete_data_df(first: pd.DataFrame) -> tuple[int, str]:
    """Complete-data degrees of freedom of the fits pooled, and what they are: clusters - 1
    for a cluster-robust fit (CR1's t reference; for CR2 fits given as tidy frames, which
    do not hold their per-term df, the same bound), else rows - coefficients."""
    n, k = int(first["n"].iloc[0]), len(first)
    n_groups = first["n_groups"].iloc[0]
    cov_type = str(first["cov_type"].iloc[0])
    if cov_type.startswith(("cluster", "CR2")) and pd.notna(n_groups):
        return max(int(n_groups) - 1, 1), "clusters - 1"
    return max(n - k, 1), "rows - coefficients"


def _stable_argsort(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")``, faster when few values are tied.

    An unstable sort (several times faster on floats) orders the values; only the runs of
    equal values are then put in index order, which is exactly the stable order. With
    mostly tied values the stable sort itself is faster and is used.
    """
    order = np.argsort(values)
    ordered = values[order]
    tied = np.flatnonzero(ordered[1:] == ordered[:-1])
    if tied.size > len(values) // 4:
        return np.argsort(values, kind="stable")
    if tied.size:
        in_run = np.zeros(len(values), dtype=bool)
        in_run[tied] = in_run[tied + 1] = True
        pos = np.flatnonzero(in_run)
        sub = order[pos]
        order[pos] = sub[np.lexsort((sub, ordered[pos]))]
    return order


class _ChainedEquations:
    """Multiple imputation by chained equations with predictive mean matching, vectorised.

    The algorithm of statsmodels' ``MICEData`` and van Buuren's ``mice.impute.pmm``: each
    incomplete column in turn is regressed on all the others (current imputations), the
    coefficients are drawn from their approximate posterior (``sigma^2 ~ s^2 df / chi2_df``,
    ``beta ~ N(beta_hat, sigma^2 (X'X)^-1)``), and each missing value is replaced by the
    observed value of a donor whose predicted mean is among the ``k`` nearest (``k = 5``).
    Written on numpy arrays because ``MICEData`` rebuilds patsy design matrices for every
    variable in every cycle, which dominates run time at survey scale; donors are found by
    sorting (``searchsorted``, then the ``k`` nearest of the ``2k`` ranks around it), never
    by all-pairs distances.

    References
    ----------
    van Buuren, S. & Groothuis-Oudshoorn, K. (2011). mice: Multivariate Imputation by
    Chained Equations in R. J. Stat. Softw. 45(3). doi:10.18637/jss.v045.i03
    """

    k_donors = 5

    def __init__(self, values: np.ndarray, rng: np.random.Generator) -> None:
        self.rng = rng
        self.missing = np.isnan(values)
        self.data = values.copy()
        self.order = [j for j in range(values.shape[1]) if self.missing[:, j].any()]
        for j in self.order:  # start from random draws of the observed values
            observed = values[~self.missing[:, j], j]
            self.data[self.missing[:, j], j] = rng.choice(observed, self.missing[:, j].sum())

    def cycle(self, n: int) -> None:
        for _ in range(n):
            for j in self.order:
                self._update(j)

    def _update(self, j: int) -> None:
        miss = self.missing[:, j]
        n, p = self.data.shape
        x = np.empty((n, p))  # intercept and every other column, in one copy
        x[:, 0] = 1.0
        x[:, 1 : j + 1] = self.data[:, :j]
        x[:, j + 1 :] = self.data[:, j + 1 :]
        x_obs, y_obs = x[~miss], self.data[~miss, j]
        xtx = x_obs.T @ x_obs
        xtx_inv = np.linalg.pinv(xtx)
        beta_hat = xtx_inv @ (x_obs.T @ y_obs)
        pred_obs = x_obs @ beta_hat
        resid = y_obs - pred_obs
        df = max(len(y_obs) - x.shape[1], 1)
        sigma2 = float(resid @ resid) / self.rng.chisquare(df)
        chol = np.linalg.cholesky(sigma2 * xtx_inv + 1e-12 * np.eye(x.shape[1]))
        beta = beta_hat + chol @ self.rng.standard_normal(x.shape[1])
        pred_mis = x[miss] @ beta
        order = _stable_argsort(pred_obs)
        sorted_pred = pred_obs[order]
        pos = np.searchsorted(sorted_pred, pred_mis)
        # the k nearest predicted means lie among the k on either side of the insertion
        # point: take those 2k, keep the k nearest (ties to the lower rank), draw one
        n_obs = len(sorted_pred)
        k = min(self.k_donors, n_obs)
        width = min(2 * k, n_obs)
        window = np.clip(pos - k, 0, n_obs - width)[:, None] + np.arange(width)[None, :]
        distance = np.abs(sorted_pred[window] - pred_mis[:, None])
        nearest = np.argsort(distance, axis=1, kind="stable")[:, :k]
        rows = np.arange(len(pos))
        pick = window[rows, nearest[rows, self.rng.integers(0, k, size=len(pos))]]
        self.data[miss, j] = y_obs[order[pick]]


def _impute(
    data: pd.DataFrame,
    variables: list[str],
    *,
    groups: str | None,
    n_imputations: int,
    seed: int,
    n_burnin: int,
    n_skip: int,
) -> tuple[list[pd.DataFrame], int, list[warnings.WarningMessage]]:
    """Completed copies of ``data[variables]`` by chained equations (:class:`_ChainedEquations`).

    Rows with none of ``variables`` observed (or no group) are dropped; categorical
    variables are imputed on their codes and decoded back. ``groups`` (e.g. site) enters
    every imputation model as a fixed effect, one indicator per group but the first, so
    the imputations keep the differences between groups that a cluster-robust or
    mixed analysis allows for; it is never imputed. One imputation model can serve every
    analysis model fitted on these variables.
    """
    if groups is not None and groups not in data.columns:
        raise ParamsError(f"groups {groups!r} is not a column of the data.")
    imputed = [v for v in variables if v != groups]
    keep = data[imputed].notna().any(axis=1) if imputed else pd.Series(True, data.index)
    if groups is not None:
        keep &= data[groups].notna()
    sub = data.loc[keep, imputed].reset_index(drop=True)
    if sub.empty or not imputed:
        raise _data_error(
            found=f"no row with any of {', '.join(variables)} observed",
            expected="some observed values",
            fix="check the columns of the formula",
        )
    n_dropped = int(len(data) - len(sub))
    coded = pd.DataFrame(index=sub.index)
    decoders: dict[str, pd.Index] = {}
    for i, var in enumerate(imputed):
        col = f"v{i}"
        if _is_categorical(sub[var]):
            codes, uniques = pd.factorize(sub[var], sort=True)
            decoders[var] = uniques
            coded[col] = np.where(codes < 0, np.nan, codes.astype(float))
        else:
            coded[col] = sub[var].astype(float)
    names = dict(zip(coded.columns, imputed, strict=True))
    values = coded.to_numpy(dtype=float)
    group_values = None if groups is None else data.loc[keep, groups].to_numpy()
    if group_values is not None:
        g_codes, g_levels = pd.factorize(group_values, sort=True)
        indicators = (g_codes[:, None] == np.arange(1, len(g_levels))[None, :]).astype(float)
        values = np.hstack([values, indicators])  # complete: predictors, never imputed
    completed = []
    rng = np.random.default_rng(seed)
    order = [*variables, *([groups] if groups is not None and groups not in variables else [])]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chain = _ChainedEquations(values, rng)
        chain.cycle(n_burnin)
        for _ in range(n_imputations):
            chain.cycle(n_skip + 1)
            done = pd.DataFrame(chain.data[:, : coded.shape[1]].copy(), columns=coded.columns)
            done = done.rename(columns=names)
            for var, uniques in decoders.items():
                codes = np.clip(done[var].to_numpy().round(), 0, len(uniques) - 1).astype(int)
                values_ = np.asarray(uniques)[codes]
                dtype = sub[var].dtype
                if isinstance(dtype, pd.CategoricalDtype):
                    values_ = pd.Categorical(values_, dtype=dtype)
                done[var] = values_
            if groups is not None:
                done[groups] = group_values
            completed.append(done[order])
    return completed, n_dropped, list(caught)


def fit_mice(
    data: pd.DataFrame,
    formula: str,
    *,
    n_imputations: int = 20,
    seed: int = SEED,
    n_burnin: int = 10,
    n_skip: int = 3,
    cov_type: str = "HC3",
    groups: str | None = None,
    outcome: str = "",
) -> pd.DataFrame:
    """OLS after multiple imputation by chained equations, pooled by Rubin's rules.

    Parameters
    ----------
    data : DataFrame
        Not modified. Only the variables of ``formula`` (and ``groups``) are used.
    formula : str
        Patsy formula of the analysis model, as for :func:`fit_ols`.
    n_imputations : int
        Number of imputed data sets m.
    seed : int
        Seed of the imputation's random generator: the same seed gives the same
        result (no global random state is used or changed).
    n_burnin, n_skip : int
        Imputation cycles before the first data set and between data sets.
    cov_type, groups : str
        Covariance of the analysis model on each imputed data set (see
        :func:`fit_ols`). ``groups`` also enters the imputation model as a fixed effect
        (one indicator per group but the first); the pooled degrees of freedom then
        start from G - 1 (:func:`pool_imputations`).
    outcome : str
        Value of the ``outcome`` column.

    Returns
    -------
    DataFrame
        Columns of :data:`REGRESSION_COLUMNS` with model "ols_mice", pooled by
        :func:`pool_imputations`; n = rows used (incomplete rows are imputed);
        n_dropped = rows with every variable missing (or a missing group).

    Raises
    ------
    ParamsError, StudyDataError
        As :func:`fit_ols`; also if ``n_imputations < 2``.

    Notes
    -----
    Chained equations as statsmodels' ``MICEData`` (vectorised, :class:`_ChainedEquations`):
    each incomplete variable is imputed in turn by predictive mean matching from an OLS
    model on all other variables (and the indicators of ``groups``, so imputations
    respect the clustering: fixed-effects imputation, Lüdtke, Robitzsch & Grund 2017),
    with parameters drawn from their approximate posterior.
    Categorical variables are imputed as integer codes (PMM only draws observed
    codes); nominal variables with more than two levels thus enter the imputation
    models as numeric codes, a simplification. The analysis model is then
    :func:`fit_ols` on each imputed data set.

    References
    ----------
    van Buuren, S., & Groothuis-Oudshoorn, K. (2011). mice: Multivariate imputation by
    chained equations in R. Journal of Statistical Software, 45(3), 1-67.
    https://doi.org/10.18637/jss.v045.i03

    Lüdtke, O., Robitzsch, A., & Grund, S. (2017). Multiple imputation of missing data in
    multilevel designs: A comparison of different strategies. Psychological Methods,
    22(1), 141-165. https://doi.org/10.1037/met0000096
    """
    if n_imputations < 2:
        raise ParamsError(f"n_imputations must be at least 2, got {n_imputations}.")
    parsed = _read_formula(formula, data)
    completed, n_dropped, notes = _impute(
        data,
        list(parsed.variables),
        groups=groups,
        n_imputations=n_imputations,
        seed=seed,
        n_burnin=n_burnin,
        n_skip=n_skip,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pooled = _pool_ols_imputed(
            completed, formula, cov_type=cov_type, groups=groups, outcome=outcome
        )
    caught = [*notes, *caught]
    extra = _messages(caught)
    pooled["n_dropped"] = pd.array([n_dropped] * len(pooled), dtype="Int64")
    if extra:
        pooled["note"] = [_join(note, extra) for note in pooled["note"]]
    return pooled
