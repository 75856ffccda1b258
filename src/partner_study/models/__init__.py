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
  reference on n - k degrees of freedom; cluster-robust errors CR2 (R
  ``clubSandwich``) with a t reference on Imbens-Kolesár degrees of freedom (R
  ``dfadjust``), or Stata's ``regress, vce(cluster g)`` (CR1: small-sample factor
  G/(G-1)·(N-1)/(N-K), t on G - 1 degrees of freedom) with ``cov_type="CR1"``.
- Mixed models: random intercept, REML, as ``lme4::lmer`` defaults, at the exact
  optimum of the profile likelihood; the random-intercept and residual variances
  are reported as terms ``var(<groups>)`` and ``var(residual)``; Wald z inference
  for fixed effects (as Stata ``mixed``); fewer than 5 groups are flagged.
- Ordinal models: proportional-odds (cumulative link) models; cut points are
  reported on the original scale as ``MASS::polr`` reports them (term
  ``"information|consultation"``), not as statsmodels' log-increments; optionally
  clustered by site (sandwich, t on G - 1 df) or with site as a fixed effect;
  Brant's test checks proportional odds.
- Missing data: complete-case analysis (``n_dropped`` says how many rows were
  dropped); :func:`fit_mice` gives the multiple-imputation sensitivity analysis.

Warnings raised by statsmodels while fitting (convergence, boundary, singular
Hessian) are caught and reported in ``converged`` / ``note``, never leaked and
never swallowed.

Modules, from the bottom up (imports within the package go one way):

- :mod:`~partner_study.models._formula`: formula reading, complete cases, declared levels,
  design matrices;
- :mod:`~partner_study.models._tidy`: the tidy regression frame and its columns;
- :mod:`~partner_study.models.smallsample`: CR2 cluster-robust errors with
  Imbens-Kolesár degrees of freedom (few clusters);
- :mod:`~partner_study.models.reml`: the exact REML optimum of a random-intercept model;
- :mod:`~partner_study.models.ols`, :mod:`~partner_study.models.mixed`,
  :mod:`~partner_study.models.ordinal`: the three kinds of model;
- :mod:`~partner_study.models.proportional_odds`: Brant's test of the ordinal model
  (:func:`brant_test`);
- :mod:`~partner_study.models.multitest`: adjusted p values (:func:`adjust_pvalues`);
- :mod:`~partner_study.models.spec`: the params ``regression`` spec;
- :mod:`~partner_study.models.impute`: multiple imputation and Rubin's rules;
- :mod:`~partner_study.models.diagnostics`: collinearity, residual tests, notes on the fits;
- :mod:`~partner_study.models.heterogeneity`: the joint model by site and between-site
  heterogeneity;
- :mod:`~partner_study.models.drivers`: the params-driven family (:func:`fit_models`,
  :func:`fit_sensitivity`).
"""

from __future__ import annotations

from partner_study.config import MODEL_KINDS
from partner_study.models._formula import declared_levels
from partner_study.models._tidy import ALL_OUTCOMES, REGRESSION_COLUMNS, SKIPPED
from partner_study.models.diagnostics import (
    DIAGNOSTIC_COLUMNS,
    model_notes,
    residual_diagnostics,
    table_diagnostics,
    vif,
)
from partner_study.models.drivers import NO_DEPENDENT, fit_models, fit_sensitivity
from partner_study.models.heterogeneity import (
    BY_SITE_COLUMNS,
    HETEROGENEITY_COLUMNS,
    fit_by_site,
    site_heterogeneity,
)
from partner_study.models.impute import fit_mice, pool_imputations
from partner_study.models.mixed import FEW_GROUPS, FEW_GROUPS_MARK, few_groups_note, fit_mixed
from partner_study.models.multitest import adjust_pvalues
from partner_study.models.ols import fit_ols
from partner_study.models.ordinal import fit_ordinal, odds_ratios
from partner_study.models.proportional_odds import BRANT_COLUMNS, BRANT_OMNIBUS, brant_test
from partner_study.models.reml import RemlFit, fit_reml
from partner_study.models.smallsample import ClusterCR2, cluster_cr2

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
    "FEW_GROUPS",
    "FEW_GROUPS_MARK",
    "few_groups_note",
    "fit_reml",
    "RemlFit",
    "cluster_cr2",
    "ClusterCR2",
    "fit_ordinal",
    "odds_ratios",
    "brant_test",
    "BRANT_COLUMNS",
    "BRANT_OMNIBUS",
    "adjust_pvalues",
    "vif",
    "residual_diagnostics",
    "fit_mice",
    "pool_imputations",
    "fit_models",
    "fit_sensitivity",
    "declared_levels",
    "SKIPPED",
    "NO_DEPENDENT",
]
