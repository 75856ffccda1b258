"""Likert scale scoring and reliability (Cronbach's alpha with CI, McDonald's omega from a
one-factor model of the item covariances, items keyed against their scale).

Layer 3 (pure functions on DataFrames).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from partner_study.codebook import Codebook

__all__ = [
    "RELIABILITY_COLUMNS",
    "score_scales",
    "cronbach_alpha",
    "one_factor",
    "item_rest_correlations",
    "mcdonald_omega",
    "keying_problems",
    "scale_reliability",
    "table_reliability",
    "reversed_items",
]

#: Columns of :func:`table_reliability`.
RELIABILITY_COLUMNS = (
    "scale",
    "n_items",
    "n",
    "alpha",
    "alpha_ci_low",
    "alpha_ci_high",
    "omega",
    "note",
)


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
    0.954
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


def one_factor(items: pd.DataFrame) -> pd.DataFrame:
    """Maximum-likelihood one-factor model of the item covariance matrix.

    Parameters
    ----------
    items : DataFrame
        One column per item, one row per respondent (reverse-keyed items already recoded).
        Rows with any missing item are dropped (listwise, as alpha).

    Returns
    -------
    DataFrame
        Indexed by item: ``loading`` and ``unique_variance`` in the items' own units (the
        model ``cov = lambda lambda' + diag(psi)`` with the factor's variance 1), and
        ``item_rest`` (:func:`item_rest_correlations`). The loading vector is flipped as a
        whole when its sum is negative (a factor's sign is arbitrary; no single loading is
        made positive). Empty when the model cannot be fitted: fewer than 3 items (a
        one-factor model of 2 items is not identified), no more rows than items, an item
        that does not vary, or items so collinear that the covariance matrix is singular.

    Notes
    -----
    Fitted as R's ``factanal`` fits it (Lawley & Maxwell 1971; Joreskog 1967): on the
    correlation matrix ``R`` of the ``p`` items, the uniquenesses ``u`` (bounded to
    [0.005, 1]) minimise ``-sum_{j > 1} (log e_j - e_j) + 1 - p``, with ``e_1 >= e_2 >= ...``
    the eigenvalues of ``U^-1/2 R U^-1/2``, by L-BFGS-B with the analytic gradient, then a
    few Newton steps; the loadings are ``U^1/2 v_1 sqrt(max(e_1 - 1, 0))``. Maximum
    likelihood is scale invariant, so multiplying by the item standard deviations gives
    the fit to the covariance matrix itself (``lambda_i = sd_i lambda*_i``, ``psi_i =
    sd_i^2 u_i``), the model of the raw items the score adds up.

    References
    ----------
    Joreskog, K. G. (1967). Some contributions to maximum likelihood factor analysis.
    Psychometrika 32, 443-482. doi:10.1007/BF02289658
    Lawley, D. N., & Maxwell, A. E. (1971). Factor analysis as a statistical method
    (2nd ed.). Butterworths.
    """
    columns = ["loading", "unique_variance", "item_rest"]
    complete = items.dropna().astype(float)
    n, k = complete.shape
    empty = pd.DataFrame(columns=columns, index=pd.Index([], name="item"), dtype=float)
    if k < 3 or n <= k:
        return empty
    cov = np.cov(complete.to_numpy(), rowvar=False)
    fitted = _fit_one_factor(cov)
    if fitted is None:
        return empty
    loading, unique = fitted
    if loading.sum() < 0:
        loading = -loading
    out = pd.DataFrame(
        {"loading": loading, "unique_variance": unique},
        index=pd.Index([str(c) for c in complete.columns], name="item"),
    )
    out["item_rest"] = item_rest_correlations(complete).to_numpy()
    return out


#: Bounds of the uniquenesses of the standardised items (R's ``factanal``: ``lower = 0.005``).
_UNIQUENESS_BOUNDS = (0.005, 1.0)


def _fit_one_factor(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Loadings and unique variances of the ML one-factor model of ``cov`` (see
    :func:`one_factor`), or None when ``cov`` is singular or an item has no variance."""
    sd = np.sqrt(np.diag(cov))
    if not np.all(np.isfinite(cov)) or not np.all(sd > 0):
        return None
    r = cov / np.outer(sd, sd)
    k = len(r)
    if np.linalg.eigvalsh(r)[0] <= 1e-10:
        return None
    from scipy.optimize import minimize

    def decompose(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scale = 1 / np.sqrt(u)
        return np.linalg.eigh(r * np.outer(scale, scale))  # ascending eigenvalues

    def loadings(u: np.ndarray, values: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        return np.sqrt(u) * vectors[:, -1] * np.sqrt(max(values[-1] - 1, 0.0))

    def objective(u: np.ndarray) -> tuple[float, np.ndarray]:
        values, vectors = decompose(u)
        rest = values[:-1]
        value = -(np.sum(np.log(rest) - rest) - 1 + k)
        lam = loadings(u, values, vectors)
        gradient = (lam**2 + u - 1) / u**2  # diag(lambda lambda' + U - R) / u^2
        return float(value), gradient

    start = np.clip((1 - 0.5 / k) / np.diag(np.linalg.inv(r)), *_UNIQUENESS_BOUNDS)
    fit = minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[_UNIQUENESS_BOUNDS] * k,
        options={"ftol": 1e-13, "gtol": 1e-10, "maxiter": 2000},
    )
    u = _newton_polish(fit.x, lambda v: objective(v)[1])
    values, vectors = decompose(u)
    lam = loadings(u, values, vectors)
    return lam * sd, u * sd**2


def _newton_polish(u: np.ndarray, gradient, steps: int = 3) -> np.ndarray:
    """A few Newton steps on the uniquenesses off their bounds, so that the optimum is
    reached to machine precision whatever path the quasi-Newton search took (the same
    tables on every machine). The Hessian is the central difference of the gradient."""
    low, high = _UNIQUENESS_BOUNDS
    for _ in range(steps):
        g = gradient(u)
        free = ~(((u <= low) & (g > 0)) | ((u >= high) & (g < 0)))
        if not free.any():
            break
        idx = np.flatnonzero(free)
        h = np.empty((len(idx), len(idx)))
        for j, i in enumerate(idx):
            step = 1e-6 * max(u[i], 1e-3)
            up, down = u.copy(), u.copy()
            up[i] += step
            down[i] -= step
            h[:, j] = (gradient(up)[idx] - gradient(down)[idx]) / (2 * step)
        h = (h + h.T) / 2
        try:
            delta = np.linalg.solve(h, g[idx])
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(delta)) or np.max(np.abs(delta)) > 0.05:
            break  # far from a regular optimum: keep the search's answer
        u = u.copy()
        u[idx] = np.clip(u[idx] - delta, low, high)
        if np.max(np.abs(delta)) < 1e-15:
            break
    return u


def item_rest_correlations(items: pd.DataFrame) -> pd.Series:
    """Corrected item-total correlations: each item with the sum of the other items.

    Parameters
    ----------
    items : DataFrame
        One column per item (reverse-keyed items already recoded); rows with any missing
        item are dropped (listwise, as alpha).

    Returns
    -------
    Series
        One correlation per item (NaN when an item or its rest score does not vary, or
        with fewer than 2 items or 3 complete rows).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 1, 4, 3, 5], "c": [5, 3, 4, 1, 2]})
    >>> item_rest_correlations(d).round(2).tolist()
    [0.0, 0.79, -0.58]
    """
    complete = items.dropna().astype(float)
    names = [str(c) for c in complete.columns]
    n, k = complete.shape
    if k < 2 or n < 3:
        return pd.Series(np.nan, index=pd.Index(names, name="item"), name="item_rest")
    values = complete.to_numpy()
    rest = values.sum(axis=1, keepdims=True) - values
    x = values - values.mean(axis=0)
    y = rest - rest.mean(axis=0)
    denominator = np.sqrt((x**2).sum(axis=0) * (y**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(denominator > 0, (x * y).sum(axis=0) / denominator, np.nan)
    return pd.Series(r, index=pd.Index(names, name="item"), name="item_rest")


def mcdonald_omega(items: pd.DataFrame) -> float:
    """McDonald's omega (total) of the unit-weighted sum of the items.

    Parameters
    ----------
    items : DataFrame
        One column per item, one row per respondent (reverse-keyed items already recoded);
        rows with any missing item are dropped (listwise, as alpha).

    Returns
    -------
    float
        ``omega = (sum lambda)^2 / ((sum lambda)^2 + sum psi)``, with the loadings
        ``lambda`` and unique variances ``psi`` of the maximum-likelihood one-factor model
        of the item *covariance* matrix (:func:`one_factor`): the share of the variance of
        the raw sum (hence of the scale score, its mean) that the common factor explains.
        NaN when the model cannot be fitted (fewer than 3 items, no more complete rows
        than items, an item that does not vary, a singular covariance matrix).

    Notes
    -----
    The sign of a factor is arbitrary and ``(sum lambda)^2`` does not depend on it: an
    item keyed against the others lowers the sum, and omega with it, whichever item it
    is. Such an item has a negative loading (once the loadings sum positive) and a
    negative item-rest correlation; :func:`table_reliability` names it.

    References
    ----------
    McDonald, R. P. (1999). Test theory: A unified treatment. Erlbaum.
    doi:10.4324/9781410601087
    Raykov, T. (1997). Estimation of composite reliability for congeneric measures. Applied
    Psychological Measurement 21, 173-184. doi:10.1177/01466216970212006

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(2000, 1))
    >>> items = pd.DataFrame(f * [0.8, 0.7, 0.6, 0.5] + rng.normal(size=(2000, 4)) * 0.6)
    >>> round(mcdonald_omega(items), 2)
    0.83
    """
    return _omega(one_factor(items))


def _omega(model: pd.DataFrame) -> float:
    if model.empty:
        return float("nan")
    s = float(model["loading"].sum())
    return s**2 / (s**2 + float(model["unique_variance"].sum()))


def keying_problems(
    items: pd.DataFrame, *, reverse: tuple[str, ...] | list[str] = (), where: str = ""
) -> list[str]:
    """Sentences naming each item keyed against the others of its scale.

    An item whose loading on the one-factor model (:func:`one_factor`, loadings summing
    positive) or whose corrected item-rest correlation (:func:`item_rest_correlations`) is
    negative goes the other way from the rest of the scale: most often a reverse-worded
    item whose reverse key was forgotten (or one declared reverse-keyed by mistake).

    Parameters
    ----------
    items : DataFrame
        The scale's items as scored (reverse-keyed items recoded).
    reverse : sequence of str
        The items the codebook declares reverse-keyed.
    where : str
        The codebook key of the scale (``scales.<name>``) for the advice.

    Returns
    -------
    list of str
        One sentence per such item (empty when none).
    """
    return _keying(one_factor(items), items, reverse, where)


def _keying(
    model: pd.DataFrame, items: pd.DataFrame, reverse: tuple[str, ...] | list[str], where: str
) -> list[str]:
    rest = model["item_rest"] if len(model) else item_rest_correlations(items)
    loading = model["loading"] if len(model) else pd.Series(np.nan, index=rest.index)
    out = []
    for item in rest.index:
        lam, r = float(loading.get(item, np.nan)), float(rest[item])
        if not (lam < 0 or r < 0):
            continue
        found = ", ".join(
            f"{what} {value:.2f}"
            for what, value in (("loading", lam), ("item-rest correlation", r))
            if np.isfinite(value)
        )
        if item in reverse:
            advice = (
                f"it is declared under reverse: of {where or 'its scale'}; check that it is "
                "worded against the others, else remove it from reverse:"
            )
        else:
            advice = (
                "likely a forgotten reverse key: declare it under reverse: of "
                f"{where or 'its scale'} in the codebook"
            )
        out.append(f"item '{item}' goes against the rest of the scale ({found}): {advice}.")
    return out


def scale_reliability(
    items: pd.DataFrame,
    *,
    ci: float = 0.95,
    reverse: tuple[str, ...] | list[str] = (),
    where: str = "",
) -> pd.Series:
    """Alpha with its interval, omega and the keying check of one scale's items.

    Parameters
    ----------
    items : DataFrame
        The scale's items as scored (reverse-keyed items recoded).
    ci : float
        Confidence level of alpha's interval.
    reverse, where
        As :func:`keying_problems`.

    Returns
    -------
    Series
        ``n_items, n, alpha, alpha_ci_low, alpha_ci_high, omega, note``: ``n`` counts the
        complete rows (:func:`cronbach_alpha`), ``omega`` is :func:`mcdonald_omega`,
        ``note`` the sentences of :func:`keying_problems` (empty when none).
    """
    a = cronbach_alpha(items, ci=ci)
    model = one_factor(items)
    problems = _keying(model, items, reverse, where)
    return pd.Series(
        {
            "n_items": int(a["n_items"]),
            "n": int(a["n"]),
            "alpha": a["alpha"],
            "alpha_ci_low": a["ci_low"],
            "alpha_ci_high": a["ci_high"],
            "omega": _omega(model),
            "note": " ".join(p[:1].upper() + p[1:] for p in problems),
        },
        dtype=object,
    )


def table_reliability(
    scored: pd.DataFrame | None, codebook: Codebook, *, ci: float = 0.95
) -> pd.DataFrame:
    """Reliability of every scale: Cronbach's alpha with CI and McDonald's omega.

    Parameters
    ----------
    scored : DataFrame or None
        The scored survey (item answers as numbers, NaN = missing).
    codebook : Codebook
        The scales: items, reverse-keyed items, response range.
    ci : float
        Confidence level of alpha's interval.

    Returns
    -------
    DataFrame
        ``scale, n_items, n, alpha, alpha_ci_low, alpha_ci_high, omega, note`` (one row
        per scale; no rows for a study without a survey), as :func:`scale_reliability`:
        ``note`` names every item keyed against the rest of its scale, else is empty.

    Warns
    -----
    UserWarning
        Once per scale with such an item, with the sentences of ``note``.
    """
    columns = list(RELIABILITY_COLUMNS)
    if scored is None or not codebook.scales:
        return pd.DataFrame(columns=columns)
    keyed = reversed_items(scored, codebook)
    rows = []
    for name, scale in codebook.scales.items():
        block = keyed[list(scale.items)]
        row = scale_reliability(block, ci=ci, reverse=scale.reverse, where=f"scales.{name}")
        if row["note"]:
            warnings.warn(f"scale '{name}': {row['note']}", stacklevel=2)
        rows.append({"scale": name, **row.to_dict()})
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"n_items": "int64", "n": "int64", "note": "object"}).astype(
        {c: "float64" for c in ("alpha", "alpha_ci_low", "alpha_ci_high", "omega")}
    )
