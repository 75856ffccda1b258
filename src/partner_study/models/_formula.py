"""Model formulas and the analysis data they are fitted on.

Formula reading (the names a formula uses, checked against the data), complete cases,
the declared levels of categorical covariates (reference level first) and patsy design
matrices, shared by every model of :mod:`partner_study.models`.

Layer 3 (analysis), part of :mod:`partner_study.models`; never reads or writes files.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import patsy

from partner_study.errors import ParamsError, Problem, StudyDataError

__all__ = ["declared_levels"]

_ENV = patsy.EvalEnvironment([{"np": np}])
_DATA = "analysis data"


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
