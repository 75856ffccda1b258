import numpy as np
import pandas as pd
import pytest

from partner_study.codebook import parse_codebook
from partner_study.scales import (
    cronbach_alpha,
    item_rest_correlations,
    keying_problems,
    mcdonald_omega,
    one_factor,
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


def _with_covariance(cov, n: int = 500, *, seed: int = 0, columns=None) -> pd.DataFrame:
    """``n`` rows whose sample covariance (ddof 1) is exactly ``cov``, means 3."""
    cov = np.asarray(cov, dtype=float)
    z = np.random.default_rng(seed).normal(size=(n, len(cov)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    x = 3 + z @ np.linalg.cholesky(cov).T
    return pd.DataFrame(x, columns=columns or [f"x{i + 1}" for i in range(len(cov))])


# OpenMx demo "OneFactorModel_MatrixCov.R" (Estabrook & Maes; checked there against classic
# Mx): ML one-factor model of this covariance matrix (n = 500), first loading fixed to 1:
# l2..l6 = 0.999, 0.959, 1.028, 1.008, 1.021; factor variance 0.645; residual variances
# 0.350, 0.379, 0.389, 0.320, 0.370, 0.346 (each checked to 0.01).
OPENMX_COV = [
    [0.997, 0.642, 0.611, 0.672, 0.637, 0.677],
    [0.642, 1.025, 0.608, 0.668, 0.643, 0.676],
    [0.611, 0.608, 0.984, 0.633, 0.657, 0.626],
    [0.672, 0.668, 0.633, 1.003, 0.676, 0.665],
    [0.637, 0.643, 0.657, 0.676, 1.028, 0.654],
    [0.677, 0.676, 0.626, 0.665, 0.654, 1.020],
]


def test_one_factor_fit_reproduces_published_ml_estimates():
    model = one_factor(_with_covariance(OPENMX_COV))
    lam, psi = model["loading"].to_numpy(), model["unique_variance"].to_numpy()
    # OpenMx demo OneFactorModel_MatrixCov.R: loadings relative to the first, factor variance
    np.testing.assert_allclose(lam / lam[0], [1, 0.999, 0.959, 1.028, 1.008, 1.021], atol=0.01)
    assert lam[0] ** 2 == pytest.approx(0.645, abs=0.01)
    np.testing.assert_allclose(psi, [0.350, 0.379, 0.389, 0.320, 0.370, 0.346], atol=0.01)
    # omega from those published estimates: (sum l)^2 var / ((sum l)^2 var + sum e) = 0.9155
    published = np.array([1, 0.999, 0.959, 1.028, 1.008, 1.021])
    e = np.array([0.350, 0.379, 0.389, 0.320, 0.370, 0.346])
    expected = published.sum() ** 2 * 0.645 / (published.sum() ** 2 * 0.645 + e.sum())
    assert mcdonald_omega(_with_covariance(OPENMX_COV)) == pytest.approx(expected, abs=0.002)


def test_omega_is_that_of_the_raw_sum_known_truth():
    """Known truth: items with covariance lambda lambda' + diag(psi) (items on different
    scales) have omega (sum lambda)^2 / ((sum lambda)^2 + sum psi) for their raw sum; the
    omega of the standardised items (what a correlation matrix gives) is not it."""
    lam = np.array([1.0, 0.9, 0.8, 0.2])
    psi = np.array([0.2, 0.3, 0.4, 4.0])  # a noisy item on a wide scale
    cov = np.outer(lam, lam) + np.diag(psi)
    truth = lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum())
    sd = np.sqrt(np.diag(cov))
    std = lam / sd
    standardised = std.sum() ** 2 / (std.sum() ** 2 + (1 - std**2).sum())
    assert truth == pytest.approx(0.632, abs=1e-3)
    assert standardised == pytest.approx(0.795, abs=1e-3)
    assert mcdonald_omega(_with_covariance(cov)) == pytest.approx(truth, abs=1e-6)


def test_omega_recovers_known_loadings_in_a_sample():
    rng = np.random.default_rng(5)
    lam = np.array([0.8, 0.7, 0.6, 0.5, 0.75]) * [1, 2, 1, 0.5, 1]
    psi = np.array([0.36, 0.51, 0.64, 0.75, 0.44]) * [1, 4, 1, 0.25, 1]
    f = rng.normal(size=(20000, 1))
    items = pd.DataFrame(f * lam + rng.normal(size=(20000, 5)) * np.sqrt(psi))
    truth = lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum())
    assert mcdonald_omega(items) == pytest.approx(truth, abs=0.01)


PARALLEL = np.full((4, 4), 0.49) + np.diag([0.51] * 4)  # loadings 0.7, unique variances 0.51


@pytest.mark.parametrize("wrong", ["a", "b", "c", "d"])
def test_one_miskeyed_item_same_omega_whichever_and_named(wrong):
    """Parallel items, one answered the other way round and not declared reverse-keyed:
    loadings (0.7, 0.7, -0.7, 0.7) in some order, so omega = (2 * 0.7)^2 / ((2 * 0.7)^2 +
    4 * 0.51) = 0.49 whichever item it is, and the item is named."""
    survey = _with_covariance(PARALLEL, columns=list("abcd"))
    survey[wrong] = 6 - survey[wrong]
    codebook = parse_codebook(
        "study: t\nid: participant_id\nrole: {column: role, levels: [a]}\nsite: site\n"
        "scales:\n  trust: {items: [a, b, c, d], range: [1, 5]}\n"
    )
    with pytest.warns(UserWarning, match=rf"Item '{wrong}' goes against .*forgotten reverse key"):
        table = table_reliability(survey, codebook)
    assert table.loc[0, "omega"] == pytest.approx(1.96 / (1.96 + 2.04), abs=1e-6)
    note = table.loc[0, "note"]
    assert f"Item '{wrong}'" in note and "declare it under reverse: of scales.trust" in note
    assert [i for i in "abcd" if f"'{i}'" in note] == [wrong]  # only that item


def test_item_declared_reverse_by_mistake_is_named_as_such():
    survey = _with_covariance(PARALLEL, columns=list("abcd"))
    codebook = parse_codebook(
        "study: t\nid: participant_id\nrole: {column: role, levels: [a]}\nsite: site\n"
        "scales:\n  trust: {items: [a, b, c, d], range: [1, 5], reverse: [c]}\n"
    )
    with pytest.warns(UserWarning, match=r"Item 'c' .*declared under reverse: of scales.trust"):
        table = table_reliability(survey, codebook)
    assert "remove it from reverse:" in table.loc[0, "note"]
    assert keying_problems(survey) == []  # as answered, the items agree
    assert (item_rest_correlations(survey) > 0).all()


def test_omega_not_defined_for_two_items_or_constant_items():
    two = _with_covariance(PARALLEL[:2, :2])
    assert np.isnan(mcdonald_omega(two)) and one_factor(two).empty
    flat = _with_covariance(PARALLEL[:3, :3]).assign(x3=3.0)
    assert np.isnan(mcdonald_omega(flat))


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
    rng = np.random.default_rng(0)
    answers = np.clip(np.round(3 + rng.normal(size=(50, 1)) + rng.normal(size=(50, 4))), 1, 5)
    survey = pd.DataFrame(answers, columns=list("abcd"))
    survey["b"] = 6 - survey["b"]  # reverse-worded, declared reverse: [b]
    table = table_reliability(survey, CODEBOOK)
    assert list(table.columns) == [
        "scale",
        "n_items",
        "n",
        "alpha",
        "alpha_ci_low",
        "alpha_ci_high",
        "omega",
        "note",
    ]
    assert table.loc[0, "n"] == 50 and table.loc[0, "note"] == ""


def test_alpha_degenerate_inputs_are_nan():
    assert np.isnan(cronbach_alpha(pd.DataFrame({"a": [1, 2, 3]}))["alpha"])
    assert np.isnan(cronbach_alpha(pd.DataFrame({"a": [1, 1], "b": [1, 1]}))["alpha"])
