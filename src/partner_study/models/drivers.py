"""The params-driven family of models: :func:`fit_models` (OLS, mixed, joint and ordinal
models of the engagement dependent on each outcome) and :func:`fit_sensitivity`
(complete-case beside multiple-imputation OLS), with Benjamini-Hochberg adjustment
across outcomes.

Layer 3 (analysis), part of :mod:`partner_study.models`; never reads or writes files.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import pandas as pd

from partner_study.config import SEED
from partner_study.errors import StudyDataError
from partner_study.models._formula import _declare, _quote, _rhs
from partner_study.models._tidy import ALL_OUTCOMES, _concat, _join, _messages, _skipped
from partner_study.models.impute import _impute, _pool_ols_imputed
from partner_study.models.mixed import fit_mixed
from partner_study.models.multitest import adjust_pvalues
from partner_study.models.ols import fit_ols
from partner_study.models.ordinal import fit_ordinal
from partner_study.models.spec import _no_dependent, _ols_kwargs, _read_spec, _Spec

__all__ = ["fit_models", "NO_DEPENDENT", "fit_sensitivity"]


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
            ordinal_site: cluster   # optional: cluster (robust errors by groups), fixed
                                    # (groups as a fixed effect) or none; default:
                                    # cluster under cov_type cluster, else none
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
    linear_kinds = [k for k in ("ols", "mixed") if k in s.models]
    if s.dependent is None:
        # `dependent: none`: the scales predict the ordinal dependent only; say so once
        frames += [_no_dependent_row(k, s) for k in linear_kinds]
    for outcome, predictors in sets:
        if s.dependent is not None:
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
        linear = linear_kinds
        if not linear and "ordinal" not in s.models:
            linear = ["ols"]
        fits = []
        if s.dependent is not None:
            fits = _fit_linear(scored, s, joint, outcome=ALL_OUTCOMES, kinds=linear)
        if ordinal:
            fits.append(_fit_ordinal_spec(scored, s, joint, outcome=ALL_OUTCOMES))
        frames += [f.assign(model="joint_" + f["model"]) for f in fits]
    return adjust_pvalues(_concat(frames))


#: Why the linear models of a study with ``dependent: none`` are not fitted.
NO_DEPENDENT = (
    "not fitted: the study has no continuous dependent (regression.dependent: none); "
    "the scales are predictors of the ordinal dependent only"
)


def _no_dependent_row(kind: str, s: _Spec) -> pd.DataFrame:
    """The one row saying a linear model kind is not fitted for want of a dependent."""
    return _skipped(
        model=kind,
        dependent="",
        n=0,
        n_groups=0 if kind == "mixed" else None,
        outcome=ALL_OUTCOMES,
        n_dropped=0,
        note=NO_DEPENDENT,
    )


def _fit_linear(
    scored: pd.DataFrame,
    s: _Spec,
    predictors: list[str],
    *,
    outcome: str,
    kinds: Sequence[str],
) -> list[pd.DataFrame]:
    """OLS and (with groups) mixed fits of ``dependent ~ predictors``."""
    formula = f"{_quote(s.y)} ~ {_rhs(scored, predictors)}"
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
    rhs: list[str] | str = predictors
    if s.ordinal_site == "fixed" and s.groups not in predictors:  # one indicator per site
        rhs = f"{_rhs(scored, predictors)} + C({_quote(str(s.groups))})"
    try:
        return fit_ordinal(
            scored,
            str(s.ordinal_dependent),
            rhs,
            link=s.ordinal_link,
            levels=s.ordinal_levels,
            groups=s.groups if s.ordinal_site == "cluster" else None,
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
    the covariates (White, Royston & Wood 2011). ``groups`` (site) enters the imputation
    model as a fixed effect (:func:`fit_mice`); under ``cov_type: cluster`` the pooled
    intervals start from G - 1 complete-data degrees of freedom, as the complete-case
    ones (:func:`pool_imputations`).

    References
    ----------
    White, I. R., Royston, P., & Wood, A. M. (2011). Multiple imputation using chained
    equations: issues and guidance for practice. Statistics in Medicine, 30(4),
    377-399. https://doi.org/10.1002/sim.4067
    """
    if _no_dependent(spec.get("dependent")):
        out = _concat([])
        out.attrs["note"] = (
            "No multiple-imputation sensitivity analysis: it refits the linear models, and "
            "the study has no continuous dependent (regression.dependent: none)."
        )
        return out
    s = _read_spec(scored, {**dict(spec), "models": ["ols"]})
    kwargs = _ols_kwargs(s)
    formulas = {}
    for outcome in s.outcomes:
        predictors = [outcome, *[c for c in s.covariates if c != outcome]]
        formulas[outcome] = f"{_quote(s.y)} ~ {_rhs(scored, predictors)}"
    variables = list(dict.fromkeys([s.y, *s.outcomes, *s.covariates]))
    completed, n_dropped, notes = _impute(
        scored,
        variables,
        groups=s.groups,  # site enters the imputation model (whatever the cov_type)
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
