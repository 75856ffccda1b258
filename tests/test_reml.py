"""The exact REML optimum of a random-intercept model (:mod:`partner_study.models.reml`,
used by ``fit_mixed``) and the warning on a random intercept over few groups.

Published values: lme4's Dyestuff fit (Bates, lme4 book, ch. 1) and, through
``tests/test_models.py``, lme4 on statsmodels' dietox and lme01 data. By hand: the balanced
one-way ANOVA estimators, which REML reproduces exactly. Independent implementations:
statsmodels' ``MixedLM`` likelihood, and the criterion from dense matrices.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels
from numpy.testing import assert_allclose
from statsmodels.regression.mixed_linear_model import MixedLM

from partner_study.models import (
    FEW_GROUPS_MARK,
    adjust_pvalues,
    fit_mixed,
    fit_models,
    fit_reml,
    model_notes,
)
from partner_study.models.reml import _Profile

# lme4 Dyestuff (Davies & Goldsmith 1972): yield of dyestuff, 6 batches x 5 preparations.
DYESTUFF = [
    [1545, 1440, 1440, 1520, 1580],
    [1540, 1555, 1490, 1560, 1495],
    [1595, 1550, 1605, 1510, 1560],
    [1445, 1440, 1595, 1465, 1545],
    [1595, 1630, 1515, 1635, 1625],
    [1520, 1455, 1450, 1480, 1445],
]


def _dyestuff() -> pd.DataFrame:
    return pd.DataFrame(
        {"Yield": np.ravel(DYESTUFF).astype(float), "Batch": np.repeat(list("ABCDEF"), 5)}
    )


def test_dyestuff_matches_lme4():
    # R: lmer(Yield ~ 1 + (1 | Batch), Dyestuff) (REML). Bates, lme4: Mixed-effects
    # modeling with R (2010), ch. 1: REML criterion 319.7; var(Batch) 1764.0,
    # var(Residual) 2451.3; intercept 1527.50, SE 19.38.
    fit = fit_mixed(_dyestuff(), "Yield ~ 1", groups="Batch").set_index("term")
    assert_allclose(fit.loc["var(Batch)", "estimate"], 1764.0, atol=0.05)
    assert_allclose(fit.loc["var(residual)", "estimate"], 2451.3, atol=0.05)
    assert_allclose(fit.loc["Intercept", "estimate"], 1527.50, atol=0.005)
    assert_allclose(fit.loc["Intercept", "std_error"], 19.38, atol=0.005)
    assert fit["converged"].all() and fit["note"].eq("").all()
    y = _dyestuff()["Yield"].to_numpy()
    reml = fit_reml(y, np.ones((30, 1)), np.repeat(np.arange(6), 5), 6)
    assert_allclose(-2 * reml.loglik, 319.7, atol=0.05)


def test_balanced_one_way_reml_is_the_anova_estimator():
    # Balanced one-way layout: REML gives sigma2 = MSW and tau2 = (MSB - MSW) / n when that
    # is positive, else tau2 = 0 (on the boundary) -- by hand from the sums of squares.
    table = np.array(DYESTUFF, dtype=float)
    msw = table.var(axis=1, ddof=1).mean()
    msb = 5 * table.mean(axis=1).var(ddof=1)
    codes = np.repeat(np.arange(6), 5)
    reml = fit_reml(table.ravel(), np.ones((30, 1)), codes, 6)
    assert_allclose([reml.var_resid, reml.var_group], [msw, (msb - msw) / 5], rtol=1e-12)
    # groups pulled to their common mean: MSB < MSW, the optimum is var = 0
    shrunk = table - 0.9 * (table.mean(axis=1, keepdims=True) - table.mean())
    msb = 5 * shrunk.mean(axis=1).var(ddof=1)
    assert msb < shrunk.var(axis=1, ddof=1).mean()
    boundary = fit_reml(shrunk.ravel(), np.ones((30, 1)), codes, 6)
    assert boundary.var_group == 0.0 and boundary.converged
    assert_allclose(boundary.var_resid, shrunk.var(ddof=1), rtol=1e-12)  # OLS variance
    data = pd.DataFrame({"y": shrunk.ravel(), "g": codes})
    note = fit_mixed(data, "y ~ 1", groups="g")["note"].iloc[0]
    assert note.startswith("boundary (singular) fit: var(g) estimated at 0")


def test_profile_criterion_and_its_derivative_match_dense_matrices():
    # -2 l_R = (n-p)(1 + log(2 pi r'V^-1 r/(n-p))) + log|V| + log|X'V^-1X|, V = I + lam ZZ',
    # from dense matrices; the closed-form derivative against a central difference.
    rng = np.random.default_rng(2)
    codes = np.repeat(np.arange(4), [3, 7, 5, 9])
    n = len(codes)
    x = np.column_stack([np.ones(n), rng.normal(size=n)])
    y = x @ [1.0, 0.3] + rng.normal(0, 0.7, 4)[codes] + rng.normal(size=n)
    profile = _Profile(y, x, codes, 4)
    z = (codes[:, None] == np.arange(4)).astype(float)
    for lam in (0.0, 0.05, 0.8, 12.0):
        v_inv = np.linalg.inv(np.eye(n) + lam * z @ z.T)
        beta = np.linalg.solve(x.T @ v_inv @ x, x.T @ v_inv @ y)
        quad = (y - x @ beta) @ v_inv @ (y - x @ beta)
        dense = -0.5 * (
            (n - 2) * (1 + math.log(2 * math.pi * quad / (n - 2)))
            - np.linalg.slogdet(v_inv)[1]
            + np.linalg.slogdet(x.T @ v_inv @ x)[1]
        )
        assert_allclose(profile.loglik(lam), dense, rtol=1e-12)
        if lam > 0:
            step = 1e-6 * lam
            slope = (profile.loglik(lam + step) - profile.loglik(lam - step)) / (2 * step)
            assert_allclose(profile.score(lam), slope, rtol=1e-6)
    fit = fit_reml(y, x, codes, 4)
    assert fit.converged and abs(profile.score(fit.ratio)) < 1e-9


def test_dietox_reaches_statsmodels_optimum_or_better():
    # statsmodels MixedLM (REML) on its dietox data, an easy case: the same fixed effects
    # to 1e-6, and statsmodels' own restricted log-likelihood is ours at its parameters
    # and no higher than ours at the optimum.
    path = Path(statsmodels.__file__).parent / "regression" / "tests" / "results" / "dietox.csv"
    data = pd.read_csv(path)
    y = data["Weight"].to_numpy(dtype=float)
    x = np.column_stack([np.ones(len(data)), data["Time"].to_numpy(dtype=float)])
    codes = pd.factorize(data["Pig"], sort=True)[0]
    theirs = MixedLM(y, x, groups=codes).fit(reml=True)
    ours = fit_reml(y, x, codes, codes.max() + 1)
    assert_allclose(ours.beta, theirs.fe_params, rtol=1e-6)
    assert_allclose(np.sqrt(np.diag(ours.cov_beta)), theirs.bse[:2], rtol=1e-5)
    var_group = float(np.asarray(theirs.cov_re)[0, 0])
    assert_allclose([ours.var_group, ours.var_resid], [var_group, theirs.scale], rtol=1e-5)
    profile = _Profile(y, x, codes, codes.max() + 1)
    assert_allclose(profile.loglik(var_group / theirs.scale), theirs.llf, rtol=1e-9)
    assert ours.loglik >= theirs.llf


def test_groups_that_explain_the_dependent_do_not_converge():
    # Within-group spread 1e-9 of the between-group spread: the optimum is beyond any
    # finite ratio the search covers, so the fit says it did not converge.
    rng = np.random.default_rng(4)
    codes = np.repeat(np.arange(5), 6)
    data = pd.DataFrame({"y": rng.normal(size=5)[codes] + 1e-9 * rng.normal(size=30), "g": codes})
    fit = fit_mixed(data, "y ~ 1", groups="g")
    assert not fit["converged"].any()
    assert fit["note"].str.startswith("not converged: the REML optimum is beyond").all()


@pytest.mark.parametrize("n_groups", [2, 3])
def test_few_groups_print_the_warning(n_groups):
    rng = np.random.default_rng(n_groups)
    codes = np.repeat(np.arange(n_groups), 20)
    data = pd.DataFrame(
        {
            "y": rng.normal(0, 0.5, n_groups)[codes] + rng.normal(size=len(codes)),
            "level": np.array(["local", "regional", "national"])[codes],
        }
    )
    note = fit_mixed(data, "y ~ 1", groups="level")["note"].iloc[0]
    assert (
        f"{FEW_GROUPS_MARK} the random intercept for level rests on {n_groups} groups "
        "(fewer than 5)"
    ) in note
    assert "take level as a fixed effect instead (covariates: [level])" in note


def test_five_groups_print_no_warning_and_the_spec_carries_it():
    rng = np.random.default_rng(9)
    codes = np.repeat(np.arange(5), 12)
    data = pd.DataFrame(
        {
            "engagement": rng.normal(size=60) + rng.normal(0, 0.5, 5)[codes],
            "trust": rng.normal(size=60),
            "level": codes,
        }
    )
    assert FEW_GROUPS_MARK not in fit_mixed(data, "engagement ~ trust", groups="level")["note"][0]
    three = data.assign(level=codes % 3)  # regression.groups with 3 levels
    spec = {"dependent": "engagement", "outcomes": ["trust"], "groups": "level"}
    notes = model_notes(fit_models(three, {**spec, "models": ["ols", "mixed"]}))
    mixed = notes.loc[notes["model"] == "mixed", "note"]
    assert len(mixed) == 1 and FEW_GROUPS_MARK in mixed.iloc[0]


def test_fits_that_did_not_converge_leave_the_bh_family():
    frame = pd.DataFrame(
        {
            "model": "mixed",
            "dependent": "y",
            "outcome": ["a", "b", "c"],
            "term": ["a", "b", "c"],
            "p_value": [0.01, 0.02, 0.04],
            "converged": [True, False, True],
            "note": ["", "not converged: ...", ""],
        }
    )
    out = adjust_pvalues(frame)
    # BH over the two converged p values: 0.01 * 2 / 1, 0.04 * 2 / 2
    assert_allclose(out["p_adjusted"].to_numpy(), [0.02, np.nan, 0.04])
    assert out["note"][1] == (
        "not converged: ...; not in the Benjamini-Hochberg family: the model did not "
        "converge, so its p value is not adjusted"
    )
    assert out["note"][0] == ""
    # the same from a table read back from its CSV (converged as text)
    again = adjust_pvalues(frame.astype({"converged": str}))
    assert_allclose(again["p_adjusted"].to_numpy(), [0.02, np.nan, 0.04])
