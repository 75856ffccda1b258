"""Regression of engagement on the reported experience outcomes.

Layer 3 (analysis). Imports only layer 1 (:mod:`partner_study.config`,
:mod:`partner_study.errors`); never reads or writes files.

Every model function returns the tidy regression frame of DESIGN §5, one row
per estimate, with the columns of :data:`REGRESSION_COLUMNS`:

``model, dependent, term, estimate, std_error, ci_low, ci_high, p_value,
p_adjusted, n, n_groups, cov_type`` (the contract of ``tables/regression.csv``)
followed by ``outcome, n_dropped, converged, note``.

Conventions follow R and Stata:

- OLS: heteroskedasticity-consistent HC3 errors by default (R
  ``sandwich::vcovHC(type = "HC3")``, Stata ``regress, vce(hc3)``) with a t
  reference on n - k degrees of freedom; cluster-robust errors as Stata
  ``regress, vce(cluster g)``: small-sample factor G/(G-1)·(N-1)/(N-K) and a
  t reference on G - 1 degrees of freedom.
- Mixed models: random intercept, REML, as ``lme4::lmer`` defaults; the
  random-intercept and residual variances are reported as terms
  ``var(<groups>)`` and ``var(residual)``; Wald z inference for fixed effects
  (as Stata ``mixed``).
- Ordinal models: proportional-odds (cumulative link) models; cut points are
  reported on the original scale as ``MASS::polr`` reports them (term
  ``"information|consultation"``), not as statsmodels' log-increments.
- Missing data: complete-case analysis (``n_dropped`` says how many rows were
  dropped); :func:`fit_mice` gives the multiple-imputation sensitivity analysis.

Warnings raised by statsmodels while fitting (convergence, boundary, singular
Hessian) are caught and reported in ``converged`` / ``note``, never leaked and
never swallowed.
"""

from __future__ import annotations

import ast
import itertools
import keyword
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import patsy
from scipy import stats
from scipy.special import expit as special_expit
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.regression.linear_model import OLS
from statsmodels.regression.mixed_linear_model import MixedLM
from statsmodels.stats.diagnostic import het_breuschpagan
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.stattools import jarque_bera

from partner_study.config import MODEL_KINDS, SEED
from partner_study.disclosure import pool_small_groups
from partner_study.errors import ParamsError, Problem, StudyDataError

__all__ = [
    "BY_SITE_COLUMNS",
    "HETEROGENEITY_COLUMNS",
    "fit_by_site",
    "site_heterogeneity",
    "model_notes",
    "table_diagnostics",
    "ALL_OUTCOMES",
    "MODEL_KINDS",
    "REGRESSION_COLUMNS",
    "DIAGNOSTIC_COLUMNS",
    "fit_ols",
    "fit_mixed",
    "fit_ordinal",
    "odds_ratios",
    "adjust_pvalues",
    "vif",
    "residual_diagnostics",
    "fit_mice",
    "pool_imputations",
    "fit_models",
    "fit_sensitivity",
    "declared_levels",
    "SKIPPED",
]

#: Columns of the tidy regression frame, in order (DESIGN §5 + extras).
REGRESSION_COLUMNS: tuple[str, ...] = (
    "model",
    "dependent",
    "term",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "n",
    "n_groups",
    "cov_type",
    "outcome",
    "n_dropped",
    "converged",
    "note",
)

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

#: ``outcome`` value of models that hold every outcome at once.
ALL_OUTCOMES = "(all)"

#: ``term`` of the one row of a model that was not fitted (its ``note`` says why).
SKIPPED = "(skipped)"

_OLS_COV_TYPES = ("HC0", "HC1", "HC2", "HC3", "nonrobust")
_LINKS = ("logit", "probit")
_MODEL_BASED = "model-based"
_ODDS_NOTE = "odds ratio (exp of log-odds; std_error by the delta method)"
_SHAPIRO_MAX_N = 5000
_ENV = patsy.EvalEnvironment([{"np": np}])
_DATA = "analysis data"


# --------------------------------------------------------------------------- helpers


def _data_error(found: str, expected: str, fix: str, column: str | None = None) -> StudyDataError:
    problem = Problem(file=_DATA, found=found, expected=expected, fix=fix, column=column)
    return StudyDataError(problem)


def _names_in(code: str) -> list[str]:
    """Variable names used in one patsy factor (``C(x)``, ``np.log(y)``, ``Q("a b")``)."""
    tree = ast.parse(code, mode="eval")
    excluded: set[int] = set()
    quoted: list[str] = []
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Call):
            target = node.func
            is_q = isinstance(node.func, ast.Name) and node.func.id == "Q"
            if is_q and node.args and isinstance(node.args[0], ast.Constant):
                quoted.append(str(node.args[0].value))
        elif isinstance(node, ast.Attribute):
            target = node
        while isinstance(target, ast.Attribute):
            target = target.value
        if isinstance(target, ast.Name):
            excluded.add(id(target))
    names = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in excluded]
    return list(dict.fromkeys([*quoted, *names]))


@dataclass(frozen=True)
class _Formula:
    dependent: str
    variables: tuple[str, ...]


def _check_frame(data: object) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")


def _read_formula(formula: str, data: pd.DataFrame) -> _Formula:
    _check_frame(data)
    columns = data.columns
    if not isinstance(formula, str) or "~" not in formula:
        raise ParamsError(
            f"formula {formula!r} has no '~': write it as 'dependent ~ predictors', "
            "e.g. 'engagement ~ communication + age'."
        )
    try:
        desc = patsy.ModelDesc.from_formula(formula)
        codes = [f.code for t in [*desc.lhs_termlist, *desc.rhs_termlist] for f in t.factors]
        names = [name for code in codes for name in _names_in(code)]
    except (patsy.PatsyError, SyntaxError) as exc:
        raise ParamsError(f"formula {formula!r} cannot be read: {exc}") from None
    lhs = [f.code for t in desc.lhs_termlist for f in t.factors]
    if len(lhs) != 1:
        raise ParamsError(f"formula {formula!r} needs exactly one dependent variable left of '~'.")
    names = list(dict.fromkeys(names))
    missing = [n for n in names if n not in columns]
    if missing:
        raise ParamsError(
            f"formula {formula!r} names {', '.join(repr(m) for m in missing)}, not a column of "
            f"the data (columns: {', '.join(map(str, columns))}). Fix the name in the formula "
            "or the params file."
        )
    return _Formula(dependent=_clean_term(lhs[0]), variables=tuple(names))


def _clean_term(term: str) -> str:
    """``Q("a b")`` -> ``a b``; ``C(x)[T.a]`` -> ``x[T.a]`` (as patsy names bare strings)."""
    term = re.sub(r"""Q\((["'])(.+?)\1\)""", r"\2", term)
    return re.sub(r"\bC\(([^(),]+)\)\[", r"\1[", term)


def _quote(name: str) -> str:
    """A column name as a formula term, quoted with ``Q()`` only when needed."""
    if name.isidentifier() and not keyword.iskeyword(name) and name not in {"C", "Q", "I"}:
        return name
    return f"Q({name!r})"


def _is_categorical(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _rhs(data: pd.DataFrame, predictors: Sequence[str]) -> str:
    """Right-hand side of a formula: categorical columns as ``C(x)`` (first level = reference)."""
    missing = [p for p in predictors if p not in data.columns]
    if missing:
        raise ParamsError(
            f"predictor(s) {', '.join(repr(m) for m in missing)} are not columns of the data "
            f"(columns: {', '.join(map(str, data.columns))}). Fix the names in the params file."
        )
    # A column that is already a pandas Categorical enters by name: patsy then codes it from
    # the categories (fast); `C(x)` would send every value through Python. Text columns get
    # `C(x)`. Both give treatment coding with the first level as reference.
    terms = [
        _quote(p)
        if isinstance(data[p].dtype, pd.CategoricalDtype)
        else f"C({_quote(p)})"
        if _is_categorical(data[p])
        else _quote(p)
        for p in predictors
    ]
    return " + ".join(terms)


@dataclass(frozen=True)
class _Sample:
    frame: pd.DataFrame
    n_dropped: int
    notes: tuple[str, ...]


def _complete_cases(
    data: pd.DataFrame,
    variables: Sequence[str],
    *,
    standardize: bool = False,
    keep: Sequence[str] = (),
) -> _Sample:
    """Rows complete on ``variables``; numeric variables z-scored on request."""
    cols = list(dict.fromkeys([*variables, *keep]))
    mask = data[cols].notna().all(axis=1).to_numpy()
    frame = data.loc[mask, cols].copy()
    if frame.empty:
        raise _data_error(
            found=f"no row complete on {', '.join(cols)} "
            f"({len(data)} rows, each with a missing value)",
            expected="at least a few complete rows",
            fix="check that these columns were scored (scale scores are NaN when too few items "
            "were answered) or drop the variable from the model",
        )
    for col in frame.columns:
        series = frame[col]
        plain_text = _is_categorical(series) and not pd.api.types.is_bool_dtype(series)
        if isinstance(series.dtype, pd.CategoricalDtype):
            # A declared level nobody in the sample has would be a column of zeros (a
            # rank-deficient design): only the levels present are coded, in declared order.
            if col not in keep and len(series.cat.categories) > series.nunique(dropna=True):
                frame[col] = series.cat.remove_unused_categories()
        elif plain_text:
            # Categorical codes make patsy fast; categories sort alphabetically, as
            # patsy sorts string levels, so the reference level is unchanged.
            frame[col] = pd.Categorical(series)
    notes: list[str] = []
    if standardize:
        scaled = [v for v in variables if v not in keep and not _is_categorical(frame[v])]
        if scaled:
            values = frame[scaled].astype(float)
            sd = values.std(ddof=1)
            sd = sd.where(sd > 0, 1.0)  # a constant stays constant (caught as rank-deficient)
            frame[scaled] = (values - values.mean()) / sd
            notes.append("standardized: " + ", ".join(scaled) + " z-scored on the analysis sample")
    return _Sample(frame=frame, n_dropped=int(len(data) - len(frame)), notes=tuple(notes))


def declared_levels(codebook: Any) -> dict[str, tuple[str, ...]]:
    """The levels of a study's categorical columns as its codebook declares them, reference
    level first: what :func:`fit_models` and the other spec-driven functions take as
    ``levels``.

    Parameters
    ----------
    codebook : Codebook
        :func:`partner_study.codebook.read_codebook` (``study.codebook`` of a processed
        study).

    Returns
    -------
    dict
        Column -> stored values in declared order with the reference first: ``role`` (the
        declared roles), ``site`` (the declared sites), and every category variable (its
        labels, as the scored data store them; the reference is
        ``Variable.reference_label``: ``reference:`` when declared, else the first level).

    Examples
    --------
    >>> from partner_study.codebook import parse_codebook
    >>> cb = parse_codebook('''
    ... study: demo
    ... id: pid
    ... role: {column: role, levels: [carer, nurse]}
    ... site: site
    ... variables:
    ...   gender: {type: category, levels: {1: woman, 2: man, 3: another gender}}
    ...   stage: {type: category, levels: [early, late], reference: late}
    ... ''')
    >>> declared_levels(cb)["gender"], declared_levels(cb)["stage"]
    (('woman', 'man', 'another gender'), ('late', 'early'))
    """
    out: dict[str, tuple[str, ...]] = {}
    roles = tuple(str(r) for r in getattr(codebook, "role_levels", ()) or ())
    if roles:
        out["role"] = roles
    sites = tuple(str(s) for s in getattr(codebook, "site_labels", {}) or {})
    if sites:
        out["site"] = sites
    for name, variable in (getattr(codebook, "variables", {}) or {}).items():
        labels = [str(v) for v in variable.ordered_labels]
        if not labels:
            continue
        reference = variable.reference_label
        if reference in labels:
            labels.remove(reference)
            labels.insert(0, reference)
        out[str(name)] = tuple(labels)
    return out


def _declare(
    data: pd.DataFrame, levels: Mapping[str, Sequence] | None, columns: Sequence[str]
) -> pd.DataFrame:
    """``data`` with each categorical column of ``columns`` that ``levels`` names as a pandas
    Categorical in the declared order (first = reference level of treatment coding);
    values the declaration lacks follow, sorted. Numeric columns and columns ``levels``
    does not name are left as they are (their string levels then sort alphabetically)."""
    if not levels:
        return data
    changed: dict[str, pd.Categorical] = {}
    for col in dict.fromkeys(columns):
        if col not in levels or col not in data.columns:
            continue
        series = data[col]
        if not _is_categorical(series) or pd.api.types.is_bool_dtype(series):
            continue
        declared = list(dict.fromkeys(str(v) for v in levels[col]))
        known = series.notna()
        text = series.astype(object).where(known).astype(str).where(known)
        present = {str(v) for v in pd.unique(text[known])}
        categories = declared + sorted(present - set(declared))
        changed[col] = pd.Categorical(text, categories=categories)  # type: ignore[assignment]
    return data.assign(**changed) if changed else data


_C_TERM = re.compile(r"""\bC\((Q\((["'])(.+?)\2\)|[A-Za-z_]\w*)\)""")


def _by_name(formula: str, frame: pd.DataFrame) -> str:
    """``C(x)`` -> ``x`` where ``frame[x]`` is a pandas Categorical.

    patsy codes a Categorical column named bare from its categories in one vectorised
    step; wrapped in ``C()`` it sends every value through Python (seconds per term at
    100,000 rows). The coding is the same (treatment, first category as reference; the
    categories of :func:`_complete_cases` are sorted as patsy sorts levels), and so are the
    column names after :func:`_clean_term`.
    """

    def bare(match: re.Match) -> str:
        name = match.group(3) if match.group(3) is not None else match.group(1)
        column = frame.get(name)
        if column is not None and isinstance(column.dtype, pd.CategoricalDtype):
            return match.group(1)
        return match.group(0)

    return _C_TERM.sub(bare, formula)


def _design(frame: pd.DataFrame, formula: str) -> tuple[pd.Series, pd.DataFrame]:
    try:
        y, x = patsy.dmatrices(
            _by_name(formula, frame),
            frame,
            eval_env=_ENV,
            NA_action="raise",
            return_type="dataframe",
        )
    except patsy.PatsyError as exc:
        raise _data_error(
            found=f"a term of {formula!r} that cannot be evaluated ({exc.message})",
            expected="terms that can be computed from the data",
            fix="check the formula's functions and levels (e.g. a Treatment reference) "
            "against the data",
        ) from None
    if y.shape[1] != 1:
        raise _data_error(
            found=f"a non-numeric dependent variable in {formula!r}",
            expected="a numeric dependent variable (a scale score)",
            fix="use fit_ordinal for ordered categories",
            column=str(y.columns[0]),
        )
    n, k = x.shape
    if n <= k:
        raise _data_error(
            found=f"{n} complete rows for {k} coefficients in {formula!r}",
            expected="more complete rows than coefficients",
            fix="drop covariates or collect more data",
        )
    if k and np.linalg.matrix_rank(x.to_numpy()) < k:
        raise _data_error(
            found=f"a rank-deficient design in {formula!r} (a variable is constant or a linear "
            "combination of others in the complete cases)",
            expected="linearly independent predictors",
            fix="drop the constant or duplicated predictor from the model",
        )
    return y.iloc[:, 0], x


def _messages(caught: list[warnings.WarningMessage]) -> list[str]:
    return list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))


def _join(*parts: str | Sequence[str]) -> str:
    flat: list[str] = []
    for part in parts:
        flat.extend([part] if isinstance(part, str) else list(part))
    return "; ".join(dict.fromkeys(p for p in flat if p))


def _tidy(
    *,
    model: str,
    dependent: str,
    terms: Sequence[str],
    estimate,
    std_error,
    ci_low,
    ci_high,
    p_value,
    n: int,
    n_groups: int | None,
    cov_type: str,
    outcome: str,
    n_dropped: int,
    converged: bool,
    note: str | Sequence[str],
) -> pd.DataFrame:
    k = len(terms)
    notes = [note] * k if isinstance(note, str) else list(note)

    def num(values) -> np.ndarray:
        return np.broadcast_to(np.asarray(values, dtype=float), (k,)).copy()

    return pd.DataFrame(
        {
            "model": [model] * k,
            "dependent": [dependent] * k,
            "term": [_clean_term(str(t)) for t in terms],
            "estimate": num(estimate),
            "std_error": num(std_error),
            "ci_low": num(ci_low),
            "ci_high": num(ci_high),
            "p_value": num(p_value),
            "p_adjusted": np.full(k, np.nan),
            "n": pd.array([n] * k, dtype="Int64"),
            "n_groups": pd.array([n_groups] * k, dtype="Int64"),
            "cov_type": [cov_type] * k,
            "outcome": [outcome] * k,
            "n_dropped": pd.array([n_dropped] * k, dtype="Int64"),
            "converged": np.full(k, bool(converged)),
            "note": notes,
        },
        columns=list(REGRESSION_COLUMNS),
    )


def _empty() -> pd.DataFrame:
    return _tidy(
        model="",
        dependent="",
        terms=[],
        estimate=[],
        std_error=[],
        ci_low=[],
        ci_high=[],
        p_value=[],
        n=0,
        n_groups=None,
        cov_type="",
        outcome="",
        n_dropped=0,
        converged=True,
        note=[],
    )


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty()
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- OLS


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
    groups : str, optional
        Column to cluster on: cluster-robust errors as Stata ``vce(cluster g)``.
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
        without clustering), cov_type ("HC3" or "cluster(<groups>)"), outcome,
        n_dropped (rows dropped as incomplete), converged (True), note.

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
    with :math:`c = G/(G-1)\\cdot(N-1)/(N-K)`, t on G - 1 df (Stata ``regress``).

    References
    ----------
    Long, J. S., & Ervin, L. H. (2000). Using heteroscedasticity consistent standard
    errors in the linear regression model. The American Statistician, 54(3), 217-224.
    https://doi.org/10.1080/00031305.2000.10474549

    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust
    inference. Journal of Human Resources, 50(2), 317-372.
    https://doi.org/10.3368/jhr.50.2.317

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
        note=_join(notes, _messages(caught), getattr(result, "note", "")),
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


def _ols_result(
    y: np.ndarray,
    x: np.ndarray,
    cov_type: str,
    groups: str | None,
    group_values: pd.Series | np.ndarray | None,
) -> tuple[Any, str, int | None]:
    """statsmodels' OLS result of :func:`fit_ols` (t-based, ``cov_type`` or clustered by
    ``group_values``), the covariance's label and the number of clusters."""
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
    result = model.fit(
        cov_type="cluster",
        cov_kwds={"groups": codes, "use_correction": True, "df_correction": True},
        use_t=True,
    )
    return result, f"cluster({groups})", n_groups


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
    assert first is not None
    return _pool(first, np.vstack(estimates), np.vstack(variances), converged=True)


# --------------------------------------------------------------------------- mixed


def _skipped(
    *,
    model: str,
    dependent: str,
    n: int,
    n_groups: int | None,
    outcome: str,
    n_dropped: int,
    note: str,
) -> pd.DataFrame:
    return _tidy(
        model=model,
        dependent=dependent,
        terms=[SKIPPED],
        estimate=np.nan,
        std_error=np.nan,
        ci_low=np.nan,
        ci_high=np.nan,
        p_value=np.nan,
        n=n,
        n_groups=n_groups,
        cov_type=_MODEL_BASED,
        outcome=outcome,
        n_dropped=n_dropped,
        converged=False,
        note=note,
    )


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


# --------------------------------------------------------------------------- ordinal


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

    Raises
    ------
    ParamsError
        Unknown ``link``, no predictors, or names that are not columns.
    StudyDataError
        Labels outside ``levels``, labels without order, fewer than 2 observed levels,
        no complete rows.

    Notes
    -----
    :math:`\\mathrm{logit}\\,P(Y \\le j \\mid x) = \\zeta_j - x'\\beta` (polr's sign
    convention). statsmodels estimates :math:`(\\zeta_1, \\log(\\zeta_2 - \\zeta_1), ...)`;
    the cut points are transformed back and their covariance is :math:`J V J'`.
    Levels absent from the complete cases are dropped (their cut points are not
    identified) and named in the note.

    References
    ----------
    McCullagh, P. (1980). Regression models for ordinal data. Journal of the Royal
    Statistical Society B, 42(2), 109-142. https://doi.org/10.1111/j.2517-6161.1980.tb01109.x

    Venables, W. N., & Ripley, B. D. (2002). Modern Applied Statistics with S (4th ed.),
    §7.3. Springer. https://doi.org/10.1007/978-0-387-21706-2
    """
    _check_frame(data)
    if link not in _LINKS:
        raise ParamsError(f"link {link!r} is not one of {', '.join(_LINKS)}.")
    if dependent not in data.columns:
        raise ParamsError(f"dependent {dependent!r} is not a column of the data.")
    if isinstance(predictors, str):
        rhs = predictors
    else:
        if not list(predictors):
            raise ParamsError("fit_ordinal needs at least one predictor.")
        rhs = _rhs(data, list(predictors))
    formula = f"{_quote(dependent)} ~ {rhs}"
    parsed = _read_formula(formula, data)
    ordered = _ordered_levels(data[dependent], levels, dependent)
    sample = _complete_cases(data, parsed.variables)
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
    cuts, cut_cov = _cut_points(params, cov, k)
    estimate = np.concatenate([params[:k], cuts])
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.concatenate([np.diag(cov)[:k], np.diag(cut_cov)]))
    if not np.all(np.isfinite(se)):
        messages.append("some standard errors are not available (singular information matrix)")
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * stats.norm.sf(np.abs(estimate / se))
    terms = [*x.columns, *(f"{a}|{b}" for a, b in zip(labels[:-1], labels[1:], strict=True))]
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
        n_groups=None,
        cov_type=_MODEL_BASED,
        outcome=outcome,
        n_dropped=sample.n_dropped,
        converged=converged,
        note=_join(notes, messages),
    )
    return odds_ratios(out) if exponentiate else out


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


# --------------------------------------------------------------------------- multiplicity


def adjust_pvalues(
    frame: pd.DataFrame,
    *,
    by: Sequence[str] = ("model", "dependent"),
    terms: Sequence[str] | None = None,
    method: str = "fdr_bh",
) -> pd.DataFrame:
    """Fill ``p_adjusted``: Benjamini-Hochberg within each model family.

    Parameters
    ----------
    frame : DataFrame
        Tidy regression frame (needs ``term``, ``p_value``, ``outcome`` and the ``by``
        columns). Not modified.
    by : sequence of str
        Columns defining one family of hypotheses (default: one family per model
        kind and dependent variable, across the outcome-specific models).
    terms : sequence of str, optional
        Terms to adjust. Default: the outcome terms, i.e. rows whose ``term`` equals
        their ``outcome`` and, in joint models (``outcome == "(all)"``), rows whose
        term is one of the outcomes of the frame.
    method : str
        Any method of :func:`statsmodels.stats.multitest.multipletests`
        (``"fdr_bh"`` = Benjamini-Hochberg, ``"holm"``, ``"bonferroni"`` ...).

    Returns
    -------
    DataFrame
        Copy of ``frame`` with ``p_adjusted`` set for the adjusted rows and NaN
        elsewhere (covariates, intercepts, cut points, variance components).

    Raises
    ------
    ParamsError
        Unknown ``method`` or ``by`` column.

    Notes
    -----
    BH: sort the m p-values, :math:`p^{adj}_{(i)} = \\min_{j \\ge i} \\min(1, m\\,p_{(j)}/j)`.
    Covariate terms are not adjusted: they are not hypotheses of the study.

    References
    ----------
    Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: a
    practical and powerful approach to multiple testing. Journal of the Royal
    Statistical Society B, 57(1), 289-300.
    https://doi.org/10.1111/j.2517-6161.1995.tb02031.x
    """
    missing = [c for c in [*by, "term", "p_value"] if c not in frame.columns]
    if missing:
        raise ParamsError(f"adjust_pvalues: column(s) {', '.join(missing)} not in the frame.")
    out = frame.copy()
    out["p_adjusted"] = np.nan
    if terms is not None:
        rows = out["term"].isin(list(terms))
    else:
        if "outcome" not in out.columns:
            raise ParamsError("adjust_pvalues: pass terms=[...] for a frame without 'outcome'.")
        outcomes = set(out["outcome"]) - {ALL_OUTCOMES, ""}
        rows = (out["term"] == out["outcome"]) | (
            (out["outcome"] == ALL_OUTCOMES) & out["term"].isin(outcomes)
        )
    rows &= out["p_value"].notna()
    if not rows.any():
        return out
    try:
        for _, idx in out.loc[rows].groupby(list(by), sort=False).groups.items():
            p = out.loc[idx, "p_value"].to_numpy(dtype=float)
            out.loc[idx, "p_adjusted"] = multipletests(p, method=method)[1]
    except ValueError as exc:
        raise ParamsError(f"adjust_pvalues: method {method!r} is not known ({exc}).") from None
    return out


# --------------------------------------------------------------------------- diagnostics


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


# --------------------------------------------------------------------------- multiple imputation


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
        Barnard-Rubin degrees of freedom; note gives m and the fraction of missing
        information (fmi).

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
    :math:`\\nu = \\nu_{old}\\nu_{obs}/(\\nu_{old}+\\nu_{obs})` with
    :math:`\\nu_{com} = n - k` (Barnard & Rubin 1999; R ``mice::pool``);
    :math:`r = (1+\\frac1m)B/\\bar U`, fmi :math:`= (r + 2/(\\nu+3))/(1+r)`.

    References
    ----------
    Rubin, D. B. (1987). Multiple Imputation for Nonresponse in Surveys. Wiley.
    https://doi.org/10.1002/9780470316696

    Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of freedom with multiple
    imputation. Biometrika, 86(4), 948-955. https://doi.org/10.1093/biomet/86.4.948
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
    first: pd.DataFrame, q: np.ndarray, u: np.ndarray, *, converged: bool, alpha: float = 0.05
) -> pd.DataFrame:
    """Rubin's rules of :func:`pool_imputations` on the estimates ``q`` and their variances
    ``u`` (m x terms); the other columns from ``first``, the tidy fit of the first set."""
    terms = first["term"].tolist()
    m = len(q)
    qbar, ubar = q.mean(axis=0), u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t = ubar + (1 + 1 / m) * b
    n = int(first["n"].iloc[0])
    nu_com = max(n - len(terms), 1)
    lam = np.divide((1 + 1 / m) * b, t, out=np.zeros_like(t), where=t > 0)
    nu_obs = (nu_com + 1) / (nu_com + 3) * nu_com * (1 - lam)
    with np.errstate(divide="ignore"):
        inv_old = np.where(lam > 0, lam**2 / (m - 1), 0.0)
        nu = 1 / (inv_old + 1 / nu_obs)
    r = np.divide((1 + 1 / m) * b, ubar, out=np.zeros_like(ubar), where=ubar > 0)
    fmi = (r + 2 / (nu + 3)) / (1 + r)
    se = np.sqrt(t)
    crit = stats.t.ppf(1 - alpha / 2, nu)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * stats.t.sf(np.abs(qbar / se), nu)
    notes = [
        _join(str(first["note"].iloc[0]), f"pooled over m = {m} imputations; fmi = {f:.3f}")
        for f in fmi
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
    sorting (``searchsorted``), never by all-pairs distances.

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
        k = min(self.k_donors, len(sorted_pred))
        lo = np.clip(pos - k // 2 - (k % 2), 0, len(sorted_pred) - k)
        pick = lo + self.rng.integers(0, k, size=len(pos))
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
    variables are imputed on their codes and decoded back. One imputation model can serve
    every analysis model fitted on these variables.
    """
    if groups is not None and groups not in data.columns:
        raise ParamsError(f"groups {groups!r} is not a column of the data.")
    keep = data[variables].notna().any(axis=1)
    if groups is not None:
        keep &= data[groups].notna()
    sub = data.loc[keep, variables].reset_index(drop=True)
    if sub.empty:
        raise _data_error(
            found=f"no row with any of {', '.join(variables)} observed",
            expected="some observed values",
            fix="check the columns of the formula",
        )
    n_dropped = int(len(data) - len(sub))
    coded = pd.DataFrame(index=sub.index)
    decoders: dict[str, pd.Index] = {}
    for i, var in enumerate(variables):
        col = f"v{i}"
        if _is_categorical(sub[var]):
            codes, uniques = pd.factorize(sub[var], sort=True)
            decoders[var] = uniques
            coded[col] = np.where(codes < 0, np.nan, codes.astype(float))
        else:
            coded[col] = sub[var].astype(float)
    names = dict(zip(coded.columns, variables, strict=True))
    completed = []
    rng = np.random.default_rng(seed)
    values = coded.to_numpy(dtype=float)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chain = _ChainedEquations(values, rng)
        chain.cycle(n_burnin)
        for _ in range(n_imputations):
            chain.cycle(n_skip + 1)
            done = pd.DataFrame(chain.data.copy(), columns=coded.columns).rename(columns=names)
            for var, uniques in decoders.items():
                codes = np.clip(done[var].to_numpy().round(), 0, len(uniques) - 1).astype(int)
                values_ = np.asarray(uniques)[codes]
                dtype = sub[var].dtype
                if isinstance(dtype, pd.CategoricalDtype):
                    values_ = pd.Categorical(values_, dtype=dtype)
                done[var] = values_
            if groups is not None:
                done[groups] = data.loc[keep, groups].to_numpy()
            completed.append(done)
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
        :func:`fit_ols`). ``groups`` is carried along but not used to impute.
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
    model on all other variables, with parameters drawn from their approximate posterior.
    Categorical variables are imputed as integer codes (PMM only draws observed
    codes); nominal variables with more than two levels thus enter the imputation
    models as numeric codes, a simplification. The analysis model is then
    :func:`fit_ols` on each imputed data set.

    References
    ----------
    van Buuren, S., & Groothuis-Oudshoorn, K. (2011). mice: Multivariate imputation by
    chained equations in R. Journal of Statistical Software, 45(3), 1-67.
    https://doi.org/10.18637/jss.v045.i03
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


# --------------------------------------------------------------------------- model family


@dataclass(frozen=True)
class _Spec:
    dependent: str
    outcomes: tuple[str, ...]
    covariates: tuple[str, ...]
    groups: str | None
    models: tuple[str, ...]
    ordinal_dependent: str | None
    ordinal_levels: tuple | None
    ordinal_link: str
    cov_type: str
    standardize: bool


def _read_spec(scored: pd.DataFrame, spec: Mapping) -> _Spec:
    _check_frame(scored)
    if not isinstance(spec, Mapping):
        raise ParamsError(f"the model spec must be a mapping, got {type(spec).__name__}.")
    for key in ("dependent", "outcomes"):
        if not spec.get(key):
            raise ParamsError(f"the model spec needs '{key}' (see params/example.yaml).")
    outcomes = spec["outcomes"]
    if isinstance(outcomes, str) or not isinstance(outcomes, Sequence):
        raise ParamsError("'outcomes' must be a list of scale names.")
    default = ("ols", "mixed") if spec.get("groups") else ("ols",)
    models = tuple(spec.get("models") or default)
    unknown = [m for m in models if m not in MODEL_KINDS]
    if unknown:
        raise ParamsError(
            f"models {', '.join(repr(u) for u in unknown)} unknown; choose from "
            f"{', '.join(MODEL_KINDS)}."
        )
    ordinal_dependent = spec.get("ordinal_dependent") or None
    levels = spec.get("ordinal_levels") or None
    if levels is None and ordinal_dependent in scored.columns:
        levels = _levels_from_codes(scored, str(ordinal_dependent))
    parsed = _Spec(
        dependent=str(spec["dependent"]),
        outcomes=tuple(str(o) for o in outcomes),
        covariates=tuple(str(c) for c in spec.get("covariates") or ()),
        groups=spec.get("groups") or None,
        models=models,
        ordinal_dependent=ordinal_dependent,
        ordinal_levels=tuple(levels) if levels is not None else None,
        ordinal_link=str(spec.get("ordinal_link", "logit")),
        cov_type=str(spec.get("cov_type", "HC3")),
        standardize=bool(spec.get("standardize", False)),
    )
    if "mixed" in models and parsed.groups is None:
        raise ParamsError("models include 'mixed' but 'groups' (e.g. site) is not set.")
    if set(models) == {"ordinal"} and parsed.ordinal_dependent is None:
        # beside other models, the ordinal one is skipped with a note (see fit_models)
        raise ParamsError("models include 'ordinal' but 'ordinal_dependent' is not set.")
    if parsed.cov_type == "cluster" and parsed.groups is None:
        raise ParamsError("cov_type 'cluster' needs 'groups' (the cluster column).")
    named = [parsed.dependent, *parsed.outcomes, *parsed.covariates]
    named += [c for c in (parsed.groups,) if c]
    if "ordinal" in models and parsed.ordinal_dependent:
        named.append(parsed.ordinal_dependent)
    missing = [c for c in dict.fromkeys(named) if c not in scored.columns]
    if missing:
        raise ParamsError(
            f"the model spec names {', '.join(repr(m) for m in missing)}, not a column of "
            f"the scored data (columns: {', '.join(map(str, scored.columns))}). Fix the "
            "params file."
        )
    return parsed


def _levels_from_codes(scored: pd.DataFrame, dependent: str) -> list | None:
    """Order of string labels taken from their ``<dependent>_code`` column, if there is one.

    The scored survey carries ``engagement_level`` (labels) beside
    ``engagement_level_code`` (1-4); the codes give the order of the labels.
    """
    series, code = scored[dependent], f"{dependent}_code"
    plain = _is_categorical(series) and not isinstance(series.dtype, pd.CategoricalDtype)
    if not plain or code not in scored.columns:
        return None
    pairs = scored[[dependent, code]].dropna().drop_duplicates()
    if pairs[dependent].duplicated().any() or pairs[code].duplicated().any():
        raise ParamsError(
            f"'{dependent}' and '{code}' do not match one to one, so the order of the "
            "levels is unclear; set regression.ordinal_levels in the params file."
        )
    return pairs.sort_values(code)[dependent].tolist()


def _ols_kwargs(spec: _Spec) -> dict:
    if spec.cov_type == "cluster":
        return {"groups": spec.groups}
    return {"cov_type": spec.cov_type}


def fit_models(
    scored: pd.DataFrame, spec: Mapping, *, levels: Mapping[str, Sequence] | None = None
) -> pd.DataFrame:
    """Fit the params-driven family of engagement models.

    Parameters
    ----------
    scored : DataFrame
        Scored survey (one row per respondent). Not modified.
    spec : mapping
        As in a params file::

            dependent: engagement
            outcomes: [communication, listening, information_sharing, teamwork, trust,
                       power_sharing]
            covariates: [age, gender, role]
            groups: site
            models: [ols, mixed, joint, ordinal]      # any of MODEL_KINDS
            ordinal_dependent: engagement_level
            ordinal_levels: [information, consultation, collaboration, partnership]
                          # optional; default: the data's Categorical order, else the
                          # order of the <ordinal_dependent>_code column (1-4)
            ordinal_link: logit                       # optional
            cov_type: HC3                             # or HC0-HC2, nonrobust, cluster
            standardize: false

    levels : mapping, optional
        Column -> its levels in declared order, reference level first
        (:func:`declared_levels` of the codebook). Categorical covariates it names are
        treatment-coded against that reference; others against their first level in
        alphabetical order (a pandas Categorical keeps its own order).

    Returns
    -------
    DataFrame
        Concatenated tidy frames (:data:`REGRESSION_COLUMNS`), in this order, for
        each outcome: "ols" and "mixed" (``dependent ~ outcome + covariates``), then
        "ordinal" (``ordinal_dependent`` on the same predictors), then the joint
        models with every outcome at once, outcome "(all)": "joint_ols" and
        "joint_mixed" for those of "ols" and "mixed" that ``models`` lists (OLS when it
        lists neither, nor "ordinal"), "joint_ordinal" when it lists "ordinal". A model
        kind ``models`` does not list is not fitted and has no row. A model that cannot
        be fitted on these data (a mixed model with one site; no ordinal dependent, or
        one observed level of it) has one row, term :data:`SKIPPED`, whose ``note``
        gives the reason. ``p_adjusted`` holds Benjamini-Hochberg p-values for the
        outcome terms within each model kind (across the outcome-specific models;
        across the outcome terms of a joint model), NaN for every other term.

    Raises
    ------
    ParamsError
        Missing or unknown keys/values, or names that are not columns.
    StudyDataError
        As the single-model functions.

    Notes
    -----
    Categorical covariates are treatment-coded: the reference is the first level of
    ``levels`` (the codebook's reference), else the first in alphabetical order; term
    names do not depend on it (``gender[T.man]``). ``standardize`` applies to the OLS
    and mixed models; ordinal models keep log-odds per unit.
    """
    s = _read_spec(scored, spec)
    scored = _declare(scored, levels, s.covariates)
    sets = [(o, [o, *[c for c in s.covariates if c != o]]) for o in s.outcomes]
    frames: list[pd.DataFrame] = []
    for outcome, predictors in sets:
        frames += _fit_linear(scored, s, predictors, outcome=outcome, kinds=s.models)
    ordinal = "ordinal" in s.models and s.ordinal_dependent is not None
    if ordinal:
        frames += [_fit_ordinal_spec(scored, s, p, outcome=o) for o, p in sets]
    elif "ordinal" in s.models:
        # no ordinal dependent (the study has no ordered level to model): say so, fit the rest
        frames.append(
            _skipped(
                model="ordinal",
                dependent="",
                n=0,
                n_groups=0,
                outcome=ALL_OUTCOMES,
                n_dropped=0,
                note="ordinal model skipped: no ordinal dependent (the codebook declares no "
                "engagement_level and regression.ordinal_dependent is not set)",
            )
        )
    if "joint" in s.models:
        joint = [*s.outcomes, *[c for c in s.covariates if c not in s.outcomes]]
        # the joint versions of the requested kinds only ("joint" alone: OLS)
        linear = [k for k in ("ols", "mixed") if k in s.models]
        if not linear and "ordinal" not in s.models:
            linear = ["ols"]
        fits = _fit_linear(scored, s, joint, outcome=ALL_OUTCOMES, kinds=linear)
        if ordinal:
            fits.append(_fit_ordinal_spec(scored, s, joint, outcome=ALL_OUTCOMES))
        frames += [f.assign(model="joint_" + f["model"]) for f in fits]
    return adjust_pvalues(_concat(frames))


def _fit_linear(
    scored: pd.DataFrame,
    s: _Spec,
    predictors: list[str],
    *,
    outcome: str,
    kinds: Sequence[str],
) -> list[pd.DataFrame]:
    """OLS and (with groups) mixed fits of ``dependent ~ predictors``."""
    formula = f"{_quote(s.dependent)} ~ {_rhs(scored, predictors)}"
    fits = []
    if "ols" in kinds:
        fits.append(
            fit_ols(scored, formula, standardize=s.standardize, outcome=outcome, **_ols_kwargs(s))
        )
    if "mixed" in kinds and s.groups is not None:
        fits.append(
            fit_mixed(scored, formula, groups=s.groups, standardize=s.standardize, outcome=outcome)
        )
    return fits


def _fit_ordinal_spec(
    scored: pd.DataFrame, s: _Spec, predictors: list[str], *, outcome: str
) -> pd.DataFrame:
    """The ordinal model of the spec; skipped with the reason when the data cannot
    identify it (fewer than 2 observed levels, fewer complete rows than parameters)."""
    try:
        return fit_ordinal(
            scored,
            str(s.ordinal_dependent),
            predictors,
            link=s.ordinal_link,
            levels=s.ordinal_levels,
            outcome=outcome,
        )
    except StudyDataError as exc:
        problem = exc.problems[0]
        variables = [str(s.ordinal_dependent), *predictors]
        n = int(scored[variables].notna().all(axis=1).sum())
        return _skipped(
            model="ordinal" if s.ordinal_link == "logit" else f"ordinal_{s.ordinal_link}",
            dependent=str(s.ordinal_dependent),
            n=n,
            n_groups=None,
            outcome=outcome,
            n_dropped=len(scored) - n,
            note=f"ordinal model skipped: {problem.found} (it needs {problem.expected})",
        )


def fit_sensitivity(
    scored: pd.DataFrame,
    spec: Mapping,
    *,
    n_imputations: int = 20,
    seed: int = SEED,
    n_burnin: int = 10,
    n_skip: int = 3,
    levels: Mapping[str, Sequence] | None = None,
) -> pd.DataFrame:
    """Complete-case OLS beside multiple-imputation OLS, for each outcome.

    Parameters
    ----------
    scored : DataFrame
        Scored survey. Not modified.
    spec : mapping
        The model spec of :func:`fit_models` (dependent, outcomes, covariates,
        cov_type, groups).
    n_imputations : int
        Imputed data sets per outcome model.
    seed : int
        Seed of the imputations (the same seed gives the same table).
    levels : mapping, optional
        Declared levels of categorical covariates, reference first (as :func:`fit_models`);
        the imputation itself does not depend on them.

    Returns
    -------
    DataFrame
        :data:`REGRESSION_COLUMNS`; for each outcome the "ols" rows (complete cases)
        then the "ols_mice" rows (pooled, :func:`fit_mice`); p_adjusted by
        Benjamini-Hochberg per model across outcomes (outcome terms only).

    Notes
    -----
    Agreement of the two supports the complete-case analysis under MCAR/MAR given
    the covariates (White, Royston & Wood 2011).

    References
    ----------
    White, I. R., Royston, P., & Wood, A. M. (2011). Multiple imputation using chained
    equations: issues and guidance for practice. Statistics in Medicine, 30(4),
    377-399. https://doi.org/10.1002/sim.4067
    """
    s = _read_spec(scored, {**dict(spec), "models": ["ols"]})
    kwargs = _ols_kwargs(s)
    formulas = {}
    for outcome in s.outcomes:
        predictors = [outcome, *[c for c in s.covariates if c != outcome]]
        formulas[outcome] = f"{_quote(s.dependent)} ~ {_rhs(scored, predictors)}"
    variables = list(dict.fromkeys([s.dependent, *s.outcomes, *s.covariates]))
    completed, n_dropped, notes = _impute(
        scored,
        variables,
        groups=kwargs.get("groups"),
        n_imputations=n_imputations,
        seed=seed,
        n_burnin=n_burnin,
        n_skip=n_skip,
    )
    extra = _messages(notes)
    # the reference levels are set after imputing, so the imputations stay the same
    completed = [_declare(done, levels, s.covariates) for done in completed]
    scored = _declare(scored, levels, s.covariates)
    frames: list[pd.DataFrame] = []
    for outcome, formula in formulas.items():
        frames.append(fit_ols(scored, formula, outcome=outcome, **kwargs))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pooled = _pool_ols_imputed(completed, formula, outcome=outcome, **kwargs)
        pooled["n_dropped"] = pd.array([n_dropped] * len(pooled), dtype="Int64")
        more = [*extra, *_messages(caught)]
        if more:
            pooled["note"] = [_join(note, more) for note in pooled["note"]]
        frames.append(pooled)
    return adjust_pvalues(_concat(frames))


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
        :func:`residual_diagnostics` (Breusch-Pagan, Jarque-Bera, Shapiro-Wilk).
    """
    s = _read_spec(scored, {**dict(spec), "models": ["ols"]})
    scored = _declare(scored, levels, s.covariates)
    predictors = [*s.outcomes, *[c for c in s.covariates if c not in s.outcomes]]
    formula = f"{_quote(s.dependent)} ~ {_rhs(scored, predictors)}"
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
    return pd.concat([v, r], ignore_index=True)


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


BY_SITE_COLUMNS = (
    "site",
    "term",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "n",
    "note",
)
HETEROGENEITY_COLUMNS = (
    "term",
    "n_sites",
    "pooled",
    "pooled_ci_low",
    "pooled_ci_high",
    "q",
    "df",
    "p_value",
    "i2",
    "tau2",
)


def fit_by_site(
    scored: pd.DataFrame,
    spec: Mapping,
    *,
    min_n: int = 30,
    levels: Mapping[str, Sequence] | None = None,
    pool_below: int = 0,
) -> pd.DataFrame:
    """The joint model of a params ``regression`` spec fitted in each site separately.

    Parameters
    ----------
    scored : DataFrame
        Scored survey with the ``groups`` column (site). Not modified.
    spec : mapping
        The params ``regression`` section (dependent, outcomes, covariates, groups).
    min_n : int
        Sites with fewer complete cases are reported with a note, not fitted.
    levels : mapping, optional
        Declared levels of categorical covariates, reference first (as :func:`fit_models`).
    pool_below : int
        The disclosure threshold (``describe.suppress_below``; 0 or 1: off). Sites with
        fewer complete cases are not shown on their own: they are fitted together as one
        group, :data:`partner_study.config.POOLED_SITES`, with the smallest other sites
        when they are still too few (:func:`partner_study.disclosure.pool_small_groups`);
        when that leaves fewer than two groups nothing is fitted (no rows, and
        ``attrs["note"]`` says why).

    Returns
    -------
    DataFrame
        :data:`BY_SITE_COLUMNS`: one row per site and outcome term (OLS with HC3 errors;
        covariates as in the spec, without the grouping column).
    """
    s = _read_spec(scored, {**dict(spec), "models": ["ols"]})
    group = s.groups or "site"
    covariates = [c for c in s.covariates if c not in s.outcomes and c != group]
    scored = _declare(scored, levels, covariates)
    if pool_below > 1 and group in scored.columns:
        answered = scored[[s.dependent, *s.outcomes, *covariates]].notna().all(axis=1)
        sites = scored[group].astype("object").where(scored[group].notna())
        counts = sites[answered].dropna().astype(str).value_counts()
        mapping = pool_small_groups(
            {str(k): int(v) for k, v in counts.items()}, threshold=pool_below
        )
        if mapping is None:
            out = pd.DataFrame({c: pd.Series(dtype="float64") for c in BY_SITE_COLUMNS})
            out = out.astype({"site": "str", "term": "str", "note": "str"})
            out.attrs["note"] = (
                f"No model by site: fewer than two sites (or pooled groups of sites) have "
                f"{pool_below} or more complete cases (disclosure control)."
            )
            return out
        scored = scored.assign(
            **{group: sites.map(lambda v: v if pd.isna(v) else mapping.get(str(v), v))}
        )
    rows = []
    for site, data in scored.groupby(group, sort=True):
        used = [c for c in covariates if data[c].nunique(dropna=True) > 1]
        formula = f"{_quote(s.dependent)} ~ {_rhs(data, [*s.outcomes, *used])}"
        complete = data[[s.dependent, *s.outcomes, *used]].dropna()
        if len(complete) < min_n:
            rows += [
                {
                    "site": site,
                    "term": o,
                    "n": len(complete),
                    "note": f"not fitted: {len(complete)} complete cases (< {min_n})",
                }
                for o in s.outcomes
            ]
            continue
        fit = fit_ols(data, formula, cov_type="HC3")
        fit = fit[fit["term"].isin(s.outcomes)]
        for _, r in fit.iterrows():
            rows.append(
                {
                    "site": site,
                    "term": r["term"],
                    "estimate": r["estimate"],
                    "std_error": r["std_error"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "p_value": r["p_value"],
                    "n": r["n"],
                    "note": r["note"],
                }
            )
    out = pd.DataFrame(rows).reindex(columns=list(BY_SITE_COLUMNS))
    out["note"] = out["note"].fillna("")
    return out


def site_heterogeneity(by_site: pd.DataFrame) -> pd.DataFrame:
    """Between-site heterogeneity of each term: inverse-variance pooled estimate, Cochran's Q,
    I-squared and the DerSimonian-Laird tau-squared.

    Returns
    -------
    DataFrame
        :data:`HETEROGENEITY_COLUMNS`, one row per term estimated in at least 2 sites.
        With fewer than 2 sites there is nothing to compare: no rows, and
        ``attrs["note"]`` says why in one sentence (also for a study of one site).

    Notes
    -----
    With site estimates ``b_i`` and variances ``v_i``, weights ``w_i = 1 / v_i``:
    ``Q = sum w_i (b_i - b)^2`` with ``b = sum w_i b_i / sum w_i``; ``I2 = max(0, (Q - df) /
    Q)``; ``tau2 = max(0, (Q - df) / (sum w - sum w^2 / sum w))``.

    References
    ----------
    Higgins, J. P. T. & Thompson, S. G. (2002). Quantifying heterogeneity in a meta-analysis.
    Statistics in Medicine 21, 1539-1558. doi:10.1002/sim.1186
    """
    estimated = by_site.dropna(subset=["estimate", "std_error"])
    n_sites = estimated["site"].nunique() if "site" in estimated.columns else 0
    rows = []
    for term, grp in estimated.groupby("term", sort=False):
        b, v = grp["estimate"].to_numpy(float), grp["std_error"].to_numpy(float) ** 2
        k = len(b)
        if k < 2:
            continue
        w = 1 / v
        pooled = float((w * b).sum() / w.sum())
        se = float(np.sqrt(1 / w.sum()))
        q = float((w * (b - pooled) ** 2).sum())
        df = k - 1
        i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
        tau2 = max(0.0, (q - df) / (w.sum() - (w**2).sum() / w.sum())) if k > 1 else 0.0
        rows.append(
            {
                "term": term,
                "n_sites": k,
                "pooled": pooled,
                "pooled_ci_low": pooled - 1.959963984540054 * se,
                "pooled_ci_high": pooled + 1.959963984540054 * se,
                "q": q,
                "df": df,
                "p_value": float(stats.chi2.sf(q, df)) if df > 0 else np.nan,
                "i2": i2,
                "tau2": tau2,
            }
        )
    out = pd.DataFrame(rows).reindex(columns=list(HETEROGENEITY_COLUMNS))
    if out.empty:
        total = by_site["site"].nunique() if "site" in by_site.columns else 0
        out = out.astype({c: "float64" for c in HETEROGENEITY_COLUMNS if c != "term"})
        out = out.astype({"term": "object"})
        if total < 2:
            out.attrs["note"] = (
                f"Between-site heterogeneity is not estimated: the data hold {total} "
                f"site{'' if total == 1 else 's'}, and a comparison needs at least 2."
            )
        else:
            out.attrs["note"] = (
                f"Between-site heterogeneity is not estimated: {n_sites} of the {total} sites "
                "had enough complete cases for the within-site model, and a comparison needs "
                "at least 2."
            )
    return out
