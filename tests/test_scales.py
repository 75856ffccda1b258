import numpy as np
import pandas as pd
import pytest

from partner_study.codebook import parse_codebook
from partner_study.scales import (
    cronbach_alpha,
    mcdonald_omega,
    score_scales,
    table_reliability,
)

# Denis, D. J. (2016). Applied Univariate, Bivariate, and Multivariate Statistics. Wiley,
# section on Cronbach's alpha: SPSS `RELIABILITY /MODEL=ALPHA` on these 10 x 5 scores gives
# alpha = 0.633 (standardised 0.691); item 1 has mean 7.3000 and SD 2.71006.
DENIS = pd.DataFrame(
    {
        "item_1": [10, 12, 8, 6, 4, 6, 3, 7, 8, 9],
        "item_2": [12, 18, 16, 8, 7, 6, 4, 3, 9, 5],
        "item_3": [15, 12, 14, 16, 8, 3, 6, 7, 4, 6],
        "item_4": [11, 12, 14, 8, 7, 7, 5, 9, 10, 11],
        "item_5": [12, 1, 4, 6, 5, 3, 8, 9, 10, 12],
    }
)


def test_cronbach_alpha_published_value():
    assert DENIS["item_1"].std() == pytest.approx(2.71006, abs=1e-5)  # Denis (2016), item stats
    result = cronbach_alpha(DENIS)
    assert result["alpha"] == pytest.approx(0.633, abs=5e-4)  # Denis (2016): SPSS alpha .633
    assert result["n"] == 10 and result["n_items"] == 5
    assert result["ci_low"] < result["alpha"] < result["ci_high"]


def test_cronbach_alpha_standardised_published_value():
    # Standardised alpha = alpha of the z-scored items: Denis (2016) SPSS gives .691.
    z = (DENIS - DENIS.mean()) / DENIS.std()
    assert cronbach_alpha(z)["alpha"] == pytest.approx(0.691, abs=5e-4)


def test_feldt_interval_covers_truth_in_simulation():
    """Known truth: parallel items with true-score variance 1 and error variance 1 have
    population alpha = k / (k + 1) (k = 4 -> 0.8). The Feldt 95% CI should cover it ~95%."""
    rng = np.random.default_rng(11)
    k, n, reps, covered = 4, 120, 300, 0
    for _ in range(reps):
        t = rng.normal(size=(n, 1))
        items = pd.DataFrame(t + rng.normal(size=(n, k)))
        r = cronbach_alpha(items)
        covered += r["ci_low"] <= 0.8 <= r["ci_high"]
    assert 0.92 <= covered / reps <= 0.98


def test_omega_recovers_known_loadings():
    """One-factor data with loadings l: omega = (sum l)^2 / ((sum l)^2 + sum(1 - l^2))."""
    rng = np.random.default_rng(5)
    lam = np.array([0.8, 0.7, 0.6, 0.5, 0.75])
    f = rng.normal(size=(20000, 1))
    items = pd.DataFrame(f * lam + rng.normal(size=(20000, 5)) * np.sqrt(1 - lam**2))
    truth = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    assert mcdonald_omega(items) == pytest.approx(truth, abs=0.01)


CODEBOOK = parse_codebook("""\
study: t
id: participant_id
role: {column: role, levels: [patient, professional]}
site: site
scales:
  trust: {items: [a, b, c, d], range: [1, 5], reverse: [b], min_items: 3}
""")


def test_score_scales_reverses_and_applies_min_items():
    survey = pd.DataFrame(
        {"a": [5, 4, np.nan], "b": [1, np.nan, np.nan], "c": [5, 4, 3], "d": [4, 4, 3]}
    )
    scored = score_scales(survey, CODEBOOK)
    assert scored["trust"].iloc[0] == pytest.approx((5 + 5 + 5 + 4) / 4)  # b reversed: 6-1
    assert scored["trust"].iloc[1] == pytest.approx(4.0)  # 3 answered >= min_items 3
    assert np.isnan(scored["trust"].iloc[2])  # 2 answered < 3
    assert "trust" not in survey.columns  # input not mutated


def test_reliability_table_columns():
    survey = pd.DataFrame(
        np.random.default_rng(0).integers(1, 6, size=(50, 4)), columns=list("abcd")
    ).astype(float)
    table = table_reliability(survey, CODEBOOK)
    assert list(table.columns) == [
        "scale",
        "n_items",
        "n",
        "alpha",
        "alpha_ci_low",
        "alpha_ci_high",
        "omega",
    ]
    assert table.loc[0, "n"] == 50


def test_alpha_degenerate_inputs_are_nan():
    assert np.isnan(cronbach_alpha(pd.DataFrame({"a": [1, 2, 3]}))["alpha"])
    assert np.isnan(cronbach_alpha(pd.DataFrame({"a": [1, 1], "b": [1, 1]}))["alpha"])
