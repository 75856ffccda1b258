"""Ordinal regression: proportional-odds (cumulative link) models and their odds ratios.

Cut points are reported on the original scale as ``MASS::polr`` reports them (term
``"information|consultation"``), not as statsmodels' log-increments.

Layer 3 (analysis), part of :mod:`partner_study.models`; never reads or writes files.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import patsy
from scipy import stats
from scipy.special import expit as special_expit
from statsmodels.miscmodels.ordinal_model import OrderedModel

from partner_study.errors import ParamsError
from partner_study.models._formula import (
    _ENV,
    _by_name,
    _check_frame,
    _complete_cases,
    _data_error,
    _quote,
    _read_formula,
    _rhs,
)
from partner_study.models._tidy import _MODEL_BASED, _join, _messages, _tidy

__all__ = ["fit_ordinal", "odds_ratios"]

#: A predictor's log-odds beyond this, with |estimate / SE| below :data:`_SEPARATED_Z`, is
#: taken as quasi-complete separation (no finite maximum likelihood estimate).
_SEPARATED_LOG_ODDS = 10.0
_SEPARATED_Z = 1e-3
_SEPARATION_NOTE = (
    "not estimable: quasi-complete separation (the likelihood keeps rising as this "
    "coefficient runs off to infinity, e.g. a level whose few answers all fall at one end "
    "of the scale); merge the level with another, or leave the covariate out"
)

_LINKS = ("logit", "probit")


_ODDS_NOTE = "odds ratio (exp of log-odds; std_error by the delta method)"


def _ordered_levels(series: pd.Series, levels: Sequence | None, dependent: str) -> list:
    if levels is not None:
        levels = list(levels)
    elif isinstance(series.dtype, pd.CategoricalDtype):
        levels = list(series.cat.categories)
    elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        levels = sorted(series.dropna().unique().tolist())
    else:
        raise _data_error(
            found=f"unordered labels in {dependent!r} ({series.dtype})",
            expected="an ordered categorical or a list of levels in order",
            fix="pass levels=[lowest, ..., highest] (params file: regression.ordinal_levels)",
            column=dependent,
        )
    return levels


def _level_codes(series: pd.Series, levels: list, dependent: str) -> np.ndarray:
    """Position of each value in ``levels`` (1 and 1.0 are the same level)."""
    position = {v: i for i, v in enumerate(levels)}
    values = pd.Series(series.to_numpy(dtype=object), index=series.index)
    codes = values.map(position)
    if codes.isna().any():
        unknown = sorted({str(v) for v in values[codes.isna()]})
        raise _data_error(
            found=f"value(s) {', '.join(repr(u) for u in unknown)} in {dependent!r}",
            expected=f"one of the levels {', '.join(map(str, levels))}",
            fix="correct the data or add the level to regression.ordinal_levels in the params file",
            column=dependent,
        )
    return codes.to_numpy(dtype=int)


def _cut_points(params: np.ndarray, cov: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut points on the original scale and their delta-method covariance.

    statsmodels parametrises the thresholds as ``(t_1, log(t_2 - t_1), ...)``:
    :math:`t_j = t_1 + \\sum_{i \\le j} e^{\\delta_i}`.
    """
    raw = params[k:]
    increments = np.exp(raw[1:])
    cuts = raw[0] + np.concatenate([[0.0], np.cumsum(increments)])
    m = len(raw)
    jac = np.zeros((m, m))
    jac[:, 0] = 1.0
    lower = np.tril(np.ones((m - 1, m - 1)))
    jac[1:, 1:] = lower * increments[None, :]
    return cuts, jac @ cov[k:, k:] @ jac.T


def fit_ordinal(
    data: pd.DataFrame,
    dependent: str,
    predictors: Sequence[str] | str,
    *,
    link: str = "logit",
    levels: Sequence | None = None,
    groups: str | None = None,
    exponentiate: bool = False,
    outcome: str = "",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Proportional-odds (cumulative link) model of an ordered outcome.

    Parameters
    ----------
    data : DataFrame
        One row per respondent. Not modified.
    dependent : str
        Ordered outcome column (e.g. ``"engagement_level"``): a pandas Categorical
        (its category order is used), numbers, or string labels with ``levels``.
    predictors : list of str or str
        Column names (string columns enter as categorical, first level alphabetical
        as reference) or a patsy right-hand side such as ``"communication + C(role)"``.
    link : {"logit", "probit"}
        Link function (``MASS::polr(method = "logistic" | "probit")``).
    levels : sequence, optional
        Levels from lowest to highest; overrides the data's order.
    groups : str, optional
        Column to cluster on (e.g. site): cluster-robust (sandwich) covariance with the
        small-sample factor and a t reference on G - 1 df, as :func:`fit_ols` with
        ``groups``. For site as a fixed effect instead, add the column to ``predictors``.
    exponentiate : bool
        Report odds ratios for the coefficients (logit only), see :func:`odds_ratios`.
    outcome : str
        Value of the ``outcome`` column.
    alpha : float
        1 - confidence level.

    Returns
    -------
    DataFrame
        Columns of :data:`REGRESSION_COLUMNS`: model ("ordinal" for logit,
        "ordinal_probit"), one row per coefficient (log-odds for logit; positive =
        higher levels more likely), then one row per cut point named
        ``"<lower>|<upper>"`` on the original scale, as ``MASS::polr`` reports them;
        Wald z inference (delta method for the cut points); n_groups NA; cov_type
        "model-based"; converged (optimizer); note (warnings, dropped empty levels).
        With ``groups``: cov_type "cluster(<groups>)", n_groups = G, Wald t inference on
        G - 1 df, and a note when G < 30 (few clusters).

    Raises
    ------
    ParamsError
        Unknown ``link``, no predictors, or names that are not columns.
    StudyDataError
        Labels outside ``levels``, labels without order, fewer than 2 observed levels,
        no complete rows, fewer than 2 clusters.

    Notes
    -----
    :math:`\\mathrm{logit}\\,P(Y \\le j \\mid x) = \\zeta_j - x'\\beta` (polr's sign
    convention). statsmodels estimates :math:`(\\zeta_1, \\log(\\zeta_2 - \\zeta_1), ...)`;
    the cut points are transformed back and their covariance is :math:`J V J'`.
    Levels absent from the complete cases are dropped (their cut points are not
    identified) and named in the note.

    Cluster-robust covariance: :math:`V = c\\,H^{-1} (\\sum_g s_g s_g') H^{-1}`, with
    :math:`H` the Hessian of the log-likelihood, :math:`s_g` the sum of the score
    contributions of cluster g and :math:`c = G/(G-1)\\cdot(N-1)/(N-K)` (K = coefficients
    and cut points), as statsmodels ``OrderedModel.fit(cov_type="cluster")`` and R
    ``sandwich::vcovCL(type = "HC1")``; t on G - 1 df as Stata ``regress, vce(cluster)``.
    With fewer than about 30 clusters the sandwich is biased downward (Cameron & Miller
    2015); the note says so and suggests site as a fixed effect. A random-intercept
    cumulative link model (R ``ordinal::clmm``) is not offered.

    References
    ----------
    McCullagh, P. (1980). Regression models for ordinal data. Journal of the Royal
    Statistical Society B, 42(2), 109-142. https://doi.org/10.1111/j.2517-6161.1980.tb01109.x

    Venables, W. N., & Ripley, B. D. (2002). Modern Applied Statistics with S (4th ed.),
    §7.3. Springer. https://doi.org/10.1007/978-0-387-21706-2

    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust
    inference. Journal of Human Resources, 50(2), 317-372.
    https://doi.org/10.3368/jhr.50.2.317
    """
    _check_frame(data)
    if link not in _LINKS:
        raise ParamsError(f"link {link!r} is not one of {', '.join(_LINKS)}.")
    if dependent not in data.columns:
        raise ParamsError(f"dependent {dependent!r} is not a column of the data.")
    if groups is not None and groups not in data.columns:
        raise ParamsError(f"groups {groups!r} is not a column of the data.")
    if isinstance(predictors, str):
        rhs = predictors
    else:
        if not list(predictors):
            raise ParamsError("fit_ordinal needs at least one predictor.")
        rhs = _rhs(data, list(predictors))
    formula = f"{_quote(dependent)} ~ {rhs}"
    parsed = _read_formula(formula, data)
    ordered = _ordered_levels(data[dependent], levels, dependent)
    sample = _complete_cases(data, parsed.variables, keep=[groups] if groups else [])
    codes_all = _level_codes(sample.frame[dependent], ordered, dependent)
    observed = np.unique(codes_all)
    notes = list(sample.notes)
    empty = [str(ordered[i]) for i in range(len(ordered)) if i not in set(observed)]
    if empty:
        notes.append(f"level(s) not observed and dropped: {', '.join(empty)}")
    if len(observed) < 2:
        raise _data_error(
            found=f"{len(observed)} observed level of {dependent!r}",
            expected="at least 2 observed levels",
            fix="check the ordinal outcome column",
            column=dependent,
        )
    labels = [str(ordered[i]) for i in observed]
    y_codes = np.searchsorted(observed, codes_all)
    x = patsy.dmatrix(
        _by_name(f"1 + {rhs}", sample.frame),
        sample.frame,
        eval_env=_ENV,
        return_type="dataframe",
    )
    x = x.drop(columns="Intercept")
    k = x.shape[1]
    if len(sample.frame) <= k + len(labels) - 1:
        raise _data_error(
            found=f"{len(sample.frame)} complete rows for {k + len(labels) - 1} parameters",
            expected="more complete rows than parameters",
            fix="drop predictors or collect more data",
        )
    params, cov, converged, messages = _fit_ordered(y_codes, x.to_numpy(), link)
    n_groups, df, label = None, 0, _MODEL_BASED
    if groups is not None:
        clusters = sample.frame[groups].to_numpy()
        cov, n_groups = _cluster_cov(y_codes, x.to_numpy(), link, params, cov, clusters, groups)
        df, label = n_groups - 1, f"cluster({groups})"
        if n_groups < _FEW_CLUSTERS:
            notes.append(
                f"cluster-robust errors from {n_groups} clusters of {groups!r} (t on {df} "
                f"df): with fewer than about {_FEW_CLUSTERS} clusters they tend to be too "
                f"small; consider {groups!r} as a fixed effect (params: "
                "regression.ordinal_site: fixed)"
            )
    cuts, cut_cov = _cut_points(params, cov, k)
    estimate = np.concatenate([params[:k], cuts])
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.concatenate([np.diag(cov)[:k], np.diag(cut_cov)]))
    if not np.all(np.isfinite(se)):
        messages.append("some standard errors are not available (singular information matrix)")
    reference = stats.norm if groups is None else stats.t(df)  # Wald z, or t on G - 1 df
    z = reference.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * reference.sf(np.abs(estimate / se))
    terms = [*x.columns, *(f"{a}|{b}" for a, b in zip(labels[:-1], labels[1:], strict=True))]
    # Quasi-complete separation: a coefficient whose likelihood keeps rising towards an
    # infinite value (e.g. a level whose few answers all fall at one end) stops wherever the
    # optimiser does, with an enormous standard error: it has no estimate to report.
    with np.errstate(divide="ignore", invalid="ignore"):
        separated = (np.arange(len(estimate)) < k) & (np.abs(estimate) > _SEPARATED_LOG_ODDS)
        separated &= ~(np.abs(estimate) / se >= _SEPARATED_Z)
    base = _join(notes, messages)
    term_notes = [_join(base, _SEPARATION_NOTE) if flagged else base for flagged in separated]
    for values in (estimate, se, p):
        values[separated] = np.nan
    out = _tidy(
        model="ordinal" if link == "logit" else f"ordinal_{link}",
        dependent=parsed.dependent,
        terms=terms,
        estimate=estimate,
        std_error=se,
        ci_low=estimate - z * se,
        ci_high=estimate + z * se,
        p_value=p,
        n=len(sample.frame),
        n_groups=n_groups,
        cov_type=label,
        outcome=outcome,
        n_dropped=sample.n_dropped,
        converged=converged,
        note=term_notes,
    )
    return odds_ratios(out) if exponentiate else out


#: Below this many clusters a note warns that cluster-robust errors are too small.
_FEW_CLUSTERS = 30


def _cluster_cov(
    y_codes: np.ndarray,
    x: np.ndarray,
    link: str,
    params: np.ndarray,
    cov: np.ndarray,
    group_values: np.ndarray,
    groups: str,
) -> tuple[np.ndarray, int]:
    """Cluster-robust covariance of the fitted parameters (statsmodels' parametrisation)
    and the number of clusters; ``cov`` is the model-based one, the inverse of -H."""
    codes, uniques = pd.factorize(group_values, sort=True)
    n_groups = len(uniques)
    if n_groups < 2:
        raise _data_error(
            found=f"{n_groups} value of {groups!r} in the complete cases",
            expected="at least 2 clusters for cluster-robust errors",
            fix="leave the ordinal model unclustered (params: regression.ordinal_site: none)",
            column=groups,
        )
    scores = _CumulativeLink(y_codes, x, distr=link).score_obs(params)
    by_cluster = np.zeros((n_groups, scores.shape[1]))
    np.add.at(by_cluster, codes, scores)
    n, n_params = scores.shape
    factor = n_groups / (n_groups - 1) * (n - 1) / (n - n_params)
    return factor * cov @ (by_cluster.T @ by_cluster) @ cov, n_groups


class _CumulativeLink(OrderedModel):
    r"""statsmodels' ``OrderedModel`` with the analytic score and Hessian.

    ``OrderedModel`` differentiates its log-likelihood numerically: an optimiser step costs
    one likelihood evaluation per parameter, and the covariance another parameter-squared
    evaluations (about 8,000 evaluations per fit of the example's joint model). Here the
    derivatives are exact, so BFGS or Newton need a few dozen evaluations in all, and the
    covariance comes from the exact Hessian.

    With :math:`\eta = x'\beta`, :math:`u = \zeta_{y} - \eta`, :math:`l = \zeta_{y-1} -
    \eta` and :math:`P = F(u) - F(l)`, :math:`\ell = \log P`; :math:`\partial\ell/\partial
    u = f(u)/P`, :math:`\partial\ell/\partial l = -f(l)/P`,
    :math:`\partial^2\ell/\partial u^2 = f'(u)/P - f(u)^2/P^2`,
    :math:`\partial^2\ell/\partial l^2 = -f'(l)/P - f(l)^2/P^2`,
    :math:`\partial^2\ell/\partial u\,\partial l = f(u) f(l)/P^2`; the chain rule takes
    these to statsmodels' parameters :math:`(\beta, \zeta_1, \log(\zeta_2 - \zeta_1),
    \dots)`. ``loglike`` stays statsmodels' own (including its ``1e-20`` floor on P).
    """

    def _pieces(self, params: np.ndarray) -> tuple:
        params = np.asarray(params, dtype=float)
        x, y = self.exog, np.asarray(self.endog, dtype=int)
        k, m = x.shape[1], self.k_levels - 1
        raw = params[k:]
        zeta = raw[0] + np.concatenate([[0.0], np.cumsum(np.exp(raw[1:]))])
        eta = x @ params[:k]
        has_up, has_lo = y < m, y > 0
        up, lo = np.minimum(y, m - 1), np.maximum(y - 1, 0)
        u = np.where(has_up, zeta[up] - eta, 0.0)
        low = np.where(has_lo, zeta[lo] - eta, 0.0)
        if self.distr is stats.logistic:
            cu, cl = special_expit(u), special_expit(low)
            fu, fl = cu * (1 - cu), cl * (1 - cl)
            du, dl = fu * (1 - 2 * cu), fl * (1 - 2 * cl)
        else:  # probit
            cu, cl = stats.norm.cdf(u), stats.norm.cdf(low)
            fu, fl = stats.norm.pdf(u), stats.norm.pdf(low)
            du, dl = -u * fu, -low * fl
        cu, fu, du = np.where(has_up, cu, 1.0), fu * has_up, du * has_up
        cl, fl, dl = np.where(has_lo, cl, 0.0), fl * has_lo, dl * has_lo
        prob = cu - cl + 1e-20
        return x, k, m, raw, up, lo, has_up, has_lo, prob, fu, fl, du, dl

    @staticmethod
    def _jacobian(raw: np.ndarray) -> np.ndarray:
        """d zeta / d raw (m x m): zeta_j = raw_0 + sum_{1 <= i <= j} exp(raw_i)."""
        m = len(raw)
        jac = np.zeros((m, m))
        jac[:, 0] = 1.0
        jac[1:, 1:] = np.tril(np.ones((m - 1, m - 1))) * np.exp(raw[1:])[None, :]
        return jac

    def score(self, params: np.ndarray) -> np.ndarray:
        x, k, m, raw, up, lo, has_up, has_lo, prob, fu, fl, *_ = self._pieces(params)
        gu, gl = fu / prob, -fl / prob
        g_beta = -(x.T @ (gu + gl))
        g_zeta = np.bincount(up, weights=gu * has_up, minlength=m) + np.bincount(
            lo, weights=gl * has_lo, minlength=m
        )
        return np.concatenate([g_beta, self._jacobian(raw).T @ g_zeta])

    def score_obs(self, params: np.ndarray) -> np.ndarray:
        """Score of each observation (n x parameters); its column sums are :meth:`score`."""
        x, k, m, raw, up, lo, has_up, has_lo, prob, fu, fl, *_ = self._pieces(params)
        gu, gl = fu / prob, -fl / prob
        g_zeta = np.zeros((len(prob), m))
        rows = np.arange(len(prob))
        g_zeta[rows[has_up], up[has_up]] += gu[has_up]
        g_zeta[rows[has_lo], lo[has_lo]] += gl[has_lo]
        return np.hstack([-x * (gu + gl)[:, None], g_zeta @ self._jacobian(raw)])

    def hessian(self, params: np.ndarray) -> np.ndarray:
        x, k, m, raw, up, lo, has_up, has_lo, prob, fu, fl, du, dl = self._pieces(params)
        huu = du / prob - (fu / prob) ** 2
        hll = -dl / prob - (fl / prob) ** 2
        hul = fu * fl / prob**2
        # In (beta, zeta): u and l both have d/d beta = -x; u has d/d zeta_up = 1, l has
        # d/d zeta_lo = 1 (for the categories that have that bound).
        h_bb = x.T @ (x * (huu + hll + 2 * hul)[:, None])
        a_up, a_lo = (huu + hul) * has_up, (hll + hul) * has_lo
        h_bz = np.zeros((k, m))
        for j in range(m):
            h_bz[:, j] = -(x.T @ (a_up * (up == j) + a_lo * (lo == j)))
        h_zz = np.diag(
            np.bincount(up, weights=huu * has_up, minlength=m)
            + np.bincount(lo, weights=hll * has_lo, minlength=m)
        )
        both = has_up & has_lo  # u and l bound zeta_y and zeta_{y-1}
        off = np.bincount(up[both], weights=hul[both], minlength=m)  # at (y, y - 1)
        idx = np.arange(1, m)
        h_zz[idx, idx - 1] += off[1:]
        h_zz[idx - 1, idx] += off[1:]
        jac = self._jacobian(raw)
        gu, gl = fu / prob, -fl / prob
        g_zeta = np.bincount(up, weights=gu * has_up, minlength=m) + np.bincount(
            lo, weights=gl * has_lo, minlength=m
        )
        h_rr = jac.T @ h_zz @ jac
        # second derivatives of zeta in raw: d2 zeta_j / d raw_i^2 = exp(raw_i), 1 <= i <= j
        tail = np.cumsum(g_zeta[::-1])[::-1]  # sum over j >= i
        h_rr[np.arange(1, m), np.arange(1, m)] += np.exp(raw[1:]) * tail[1:]
        h_br = h_bz @ jac
        return np.block([[h_bb, h_br], [h_br.T, h_rr]])


def _start_params(y_codes: np.ndarray, k: int, n_levels: int, link: str) -> np.ndarray:
    """Slopes 0 and the cut points of the model without predictors (the MLE there)."""
    share = np.cumsum(np.bincount(y_codes, minlength=n_levels))[:-1] / len(y_codes)
    share = np.clip(share, 1e-6, 1 - 1e-6)
    cuts = stats.logistic.ppf(share) if link == "logit" else stats.norm.ppf(share)
    steps = np.maximum(np.diff(cuts), 1e-6)
    return np.concatenate([np.zeros(k), [cuts[0]], np.log(steps)])


def _fit_ordered(
    y_codes: np.ndarray, x: np.ndarray, link: str
) -> tuple[np.ndarray, np.ndarray, bool, list[str]]:
    """Fit the cumulative link model; return params, covariance, convergence and warnings."""
    start = _start_params(np.asarray(y_codes, dtype=int), x.shape[1], int(y_codes.max()) + 1, link)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = _CumulativeLink(y_codes, x, distr=link)
        result = model.fit(start_params=start, method="newton", maxiter=100, tol=1e-10, disp=False)
        converged = bool(result.mle_retvals.get("converged", False))
    if not converged or not np.all(np.isfinite(result.params)):
        # Newton can overshoot from a poor start: BFGS (exact gradient), then Newton.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = model.fit(
                start_params=start, method="bfgs", maxiter=5000, gtol=1e-8, disp=False
            )
            result = model.fit(start_params=result.params, method="newton", maxiter=100, disp=False)
            converged = bool(result.mle_retvals.get("converged", False))
    with warnings.catch_warnings(record=True) as more:
        warnings.simplefilter("always")
        params = np.asarray(result.params, dtype=float)
        cov = np.asarray(result.cov_params(), dtype=float)
    return params, cov, converged, _messages([*caught, *more])


def _is_cut_point(term: pd.Series) -> pd.Series:
    return term.str.contains("|", regex=False)


def odds_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """Exponentiate the coefficients of ordinal-logit rows: odds ratios with CI.

    Parameters
    ----------
    frame : DataFrame
        Tidy regression frame holding rows of model ``"ordinal"`` or
        ``"joint_ordinal"`` (logit link). Not modified.

    Returns
    -------
    DataFrame
        Same columns. For the coefficient rows of logit ordinal models:
        estimate = exp(b), ci_low/ci_high = exp of the Wald limits, std_error =
        exp(b)·se (delta method, as Stata's ``or`` option), p_value unchanged, and the
        note says "odds ratio ...". Cut points (terms with ``|``) and all other rows
        are unchanged (rows already converted are not converted twice).

    Raises
    ------
    ParamsError
        The frame has no ordinal-logit coefficient rows.

    Notes
    -----
    :math:`OR = e^{b}`, CI :math:`e^{b \\pm z\\,se}`: the odds of a higher level are
    multiplied by OR per unit of the predictor (``exp(cbind(OR = coef(m),
    confint.default(m)))`` in R).
    """
    candidates = frame["model"].isin(["ordinal", "joint_ordinal"]) & ~_is_cut_point(frame["term"])
    if not candidates.any():
        raise ParamsError(
            "odds_ratios needs coefficient rows of an ordinal logit model (model 'ordinal' "
            "or 'joint_ordinal'); odds ratios are not defined for other models or links."
        )
    rows = candidates & ~frame["note"].str.contains("odds ratio", regex=False)
    out = frame.copy()
    b = out.loc[rows, "estimate"]
    out.loc[rows, "estimate"] = np.exp(b)
    out.loc[rows, "std_error"] = np.exp(b) * out.loc[rows, "std_error"]
    out.loc[rows, "ci_low"] = np.exp(out.loc[rows, "ci_low"])
    out.loc[rows, "ci_high"] = np.exp(out.loc[rows, "ci_high"])
    out.loc[rows, "note"] = [_join(n, _ODDS_NOTE) for n in out.loc[rows, "note"]]
    return out
