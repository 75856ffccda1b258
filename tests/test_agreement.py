"""Tests of partner_study.agreement against published values, hand computations and
properties of Krippendorff's alpha."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.inter_rater import aggregate_raters

from partner_study import agreement
from partner_study.agreement import (
    AGREEMENT_COLUMNS,
    LEVELS,
    SINGLE_CODER_NOTE,
    CohenKappaResult,
    agreement_by_code,
    cohen_kappa,
    cohen_kappa_table,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
    percent_agreement_chars,
)
from partner_study.errors import ParamsError, StudyDataError

NAN = np.nan

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability, section E
# (https://repository.upenn.edu/asc_papers/43): 4 observers x 12 units, "." = missing.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)

# Agreement table of two raters over 3 categories, SAS PROC FREQ documentation example
# (as in statsmodels/stats/tests/test_inter_rater.py, table10).
SAS_TABLE = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]

# R package irr, dataset `anxiety` (20 subjects x 3 raters), columns rater2 and rater3
# (as in statsmodels/stats/tests/test_inter_rater.py). Category 5 is used by neither.
ANXIETY_RATER2 = [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4]
ANXIETY_RATER3 = [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]

# Fleiss' kappa example of Wikipedia ("Fleiss' kappa", worked example): 10 subjects x
# 5 categories, 14 raters per subject (statsmodels test_inter_rater.py, table1).
FLEISS_WIKIPEDIA = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# Fleiss (1971) psychiatric diagnoses, 30 patients x 6 raters (R irr::diagnoses, coded
# 1-5; statsmodels test_inter_rater.py, `diagnoses`).
DIAGNOSES = np.array(
    [
        [4, 4, 4, 4, 4, 4],
        [2, 2, 2, 5, 5, 5],
        [2, 3, 3, 3, 3, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4],
        [1, 1, 3, 3, 3, 3],
        [3, 3, 3, 3, 5, 5],
        [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4],
        [5, 5, 5, 5, 5, 5],
        [1, 4, 4, 4, 4, 4],
        [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3],
        [1, 4, 4, 4, 4, 4],
        [2, 2, 4, 4, 4, 5],
        [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5],
        [1, 1, 1, 1, 1, 2],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 4, 4, 4, 4, 4],
        [2, 2, 4, 5, 5, 5],
        [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5],
        [2, 2, 2, 2, 2, 4],
        [1, 1, 1, 1, 5, 5],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3],
        [5, 5, 5, 5, 5, 5],
    ]
)


# ----------------------------------------------------------------------- Krippendorff


@pytest.mark.parametrize(
    ("level", "published"),
    [
        ("nominal", 0.743),  # Krippendorff (2011), section E, nominal alpha = .743
        ("ordinal", 0.815),  # Krippendorff (2011), section E, ordinal alpha = .815
        ("interval", 0.849),  # Krippendorff (2011), section E, interval alpha = .849
        ("ratio", 0.797),  # Krippendorff (2011), section E, ratio alpha = .797
    ],
)
def test_krippendorff_2011_four_levels(level: str, published: float) -> None:
    assert krippendorff_alpha(KRIPPENDORFF_2011, level=level) == pytest.approx(published, abs=5e-4)


def test_krippendorff_2011_binary_two_coders() -> None:
    # Krippendorff (2011), section A (binary data, two observers, no missing): alpha = .095
    coder_a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    coder_b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    assert krippendorff_alpha([coder_a, coder_b]) == pytest.approx(0.095, abs=5e-4)


def test_krippendorff_2011_nominal_string_labels() -> None:
    # Krippendorff (2011), section B (nominal data, two observers, no missing): alpha = .692
    coder_a = list("aabbdcccedda")
    coder_b = list("babbbccceddd")
    data = pd.DataFrame([coder_a, coder_b], index=["A", "B"])
    assert krippendorff_alpha(data) == pytest.approx(0.692, abs=5e-4)


def test_krippendorff_accepts_string_dataframe_with_missing() -> None:
    # Same data as section E, nominal (.743), as string labels with None for missing.
    labels = np.where(np.isnan(KRIPPENDORFF_2011), None, KRIPPENDORFF_2011.astype(str))
    assert krippendorff_alpha(pd.DataFrame(labels)) == pytest.approx(0.743, abs=5e-4)


def test_krippendorff_ignores_units_coded_once() -> None:
    # Krippendorff (2011): units with fewer than 2 values are not pairable and drop out,
    # so removing unit 12 (one value, coder B's 3) leaves nominal alpha = .743.
    assert krippendorff_alpha(KRIPPENDORFF_2011[:, :11]) == pytest.approx(0.743, abs=5e-4)


def test_krippendorff_scales_and_recovers_known_agreement() -> None:
    # Simulation with known truth: coder B copies A with probability 0.9, else draws one of
    # 4 equally likely categories, so P(agree) = 0.9 + 0.1 / 4 and chance = 1 / 4:
    # alpha -> (0.925 - 0.25) / 0.75 = 0.9. 2 coders x 200,000 units, 5% missing.
    rng = np.random.default_rng(20231121)
    n_units = 200_000
    a = rng.integers(1, 5, n_units).astype(float)
    b = np.where(rng.random(n_units) < 0.9, a, rng.integers(1, 5, n_units))
    a[rng.random(n_units) < 0.05] = np.nan
    data = np.vstack([a, b])
    start = time.perf_counter()
    alpha = krippendorff_alpha(data, level="nominal")
    elapsed = time.perf_counter() - start
    assert alpha == pytest.approx(0.9, abs=0.005)
    assert elapsed < 1.0  # design: well under a second on a 2-core laptop


def test_krippendorff_ratio_rejects_negative_values() -> None:
    with pytest.raises(StudyDataError, match="negative value -1 at level='ratio'"):
        krippendorff_alpha([[1, -1], [1, 2]], level="ratio")


def test_krippendorff_rejects_labels_at_numeric_level() -> None:
    with pytest.raises(StudyDataError, match="non-numeric values 'high', 'low' at level"):
        krippendorff_alpha([["low", "high"], ["low", "low"]], level="ordinal")


def test_krippendorff_bad_level_message() -> None:
    with pytest.raises(ParamsError, match=r"level='cardinal' is not known; expected one of"):
        krippendorff_alpha(KRIPPENDORFF_2011, level="cardinal")


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ([1, 2, 3], r"found 1-D data of shape \(3,\), expected a 2-D table"),
        ([[1, 2, 3], [1, 2]], "found rows of different lengths"),
    ],
)
def test_krippendorff_shape_messages(data: object, match: str) -> None:
    with pytest.raises(StudyDataError, match=match):
        krippendorff_alpha(data)


# Undefined alpha: documented choice is NaN (not an error), so agreement tables can go on.
@pytest.mark.parametrize("level", LEVELS)
def test_krippendorff_undefined_is_nan(level: str) -> None:
    assert math.isnan(krippendorff_alpha(np.full((3, 5), np.nan), level=level))  # all missing
    assert math.isnan(krippendorff_alpha([[2, 2, NAN], [2, 2, 2]], level=level))  # one value
    assert math.isnan(krippendorff_alpha([[1, NAN], [NAN, 2]], level=level))  # no pairs


# ----------------------------------------------------------- Krippendorff: properties

VALUE = st.integers(min_value=1, max_value=6)


@st.composite
def reliability_data(draw: st.DrawFn) -> np.ndarray:
    """Coders x units with random missing cells."""
    n_coders = draw(st.integers(2, 4))
    n_units = draw(st.integers(1, 10))
    cells = draw(
        st.lists(
            st.one_of(st.none(), VALUE),
            min_size=n_coders * n_units,
            max_size=n_coders * n_units,
        )
    )
    flat = np.array([np.nan if v is None else v for v in cells], dtype=float)
    return flat.reshape(n_coders, n_units)


@st.composite
def perfect_agreement(draw: st.DrawFn) -> np.ndarray:
    """Every coder who codes a unit gives it the unit's value; >= 2 distinct pairable values."""
    n_coders = draw(st.integers(2, 4))
    n_units = draw(st.integers(2, 10))
    truth = np.array(draw(st.lists(VALUE, min_size=n_units, max_size=n_units)), dtype=float)
    truth[1] = truth[0] % 6 + 1  # a second distinct value
    coded = np.array(
        draw(st.lists(st.booleans(), min_size=n_coders * n_units, max_size=n_coders * n_units))
    ).reshape(n_coders, n_units)
    coded[:2, :2] = True  # units 0 and 1 are pairable
    return np.where(coded, truth, np.nan)


def same_alpha(x: float, y: float) -> bool:
    return (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("level", LEVELS)
@settings(max_examples=25, deadline=None)
@given(data=perfect_agreement())
def test_alpha_is_one_for_perfect_agreement(level: str, data: np.ndarray) -> None:
    # Krippendorff (2011): alpha = 1 when observed disagreement D_o = 0.
    assert krippendorff_alpha(data, level=level) == pytest.approx(1.0)


@pytest.mark.parametrize("level", LEVELS)
@settings(max_examples=25, deadline=None)
@given(data=reliability_data(), seed=st.integers(0, 2**32 - 1))
def test_alpha_invariant_to_unit_and_coder_order(level: str, data: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    alpha = krippendorff_alpha(data, level=level)
    units_shuffled = data[:, rng.permutation(data.shape[1])]
    coders_shuffled = data[rng.permutation(data.shape[0]), :]
    assert same_alpha(alpha, krippendorff_alpha(units_shuffled, level=level))
    assert same_alpha(alpha, krippendorff_alpha(coders_shuffled, level=level))


@pytest.mark.parametrize("level", LEVELS)
@settings(max_examples=25, deadline=None)
@given(data=reliability_data(), coder=st.integers(0, 3), value=st.integers(1, 9))
def test_alpha_ignores_unit_coded_by_one_coder(
    level: str, data: np.ndarray, coder: int, value: int
) -> None:
    # Krippendorff (2011): a unit with a single value is not pairable and drops out.
    extra = np.full((data.shape[0], 1), np.nan)
    extra[coder % data.shape[0], 0] = value
    widened = np.hstack([data, extra])
    assert same_alpha(
        krippendorff_alpha(data, level=level), krippendorff_alpha(widened, level=level)
    )


@pytest.mark.parametrize("level", LEVELS)
@settings(max_examples=20, deadline=None)
@given(data=reliability_data(), value=VALUE)
def test_alpha_single_value_is_nan(level: str, data: np.ndarray, value: int) -> None:
    # Only one value in the data: expected disagreement is 0 and alpha is undefined (NaN).
    constant = np.where(np.isnan(data), np.nan, float(value))
    assert math.isnan(krippendorff_alpha(constant, level=level))


def test_alpha_does_not_mutate_input() -> None:
    frame = pd.DataFrame(KRIPPENDORFF_2011)
    before = frame.copy()
    krippendorff_alpha(frame, level="ordinal")
    pd.testing.assert_frame_equal(frame, before)


# ------------------------------------------------------------------------ Cohen's kappa


def test_cohen_kappa_sas_unweighted() -> None:
    res = cohen_kappa_table(SAS_TABLE)
    # SAS PROC FREQ (AGREE) printout, simple kappa: 0.4842, ASE 0.1380, 95% CL 0.2137-0.7547,
    # test of H0 kappa = 0: Z 3.2626, two-sided Pr > |Z| 0.0011
    assert res.kappa == pytest.approx(0.4842, abs=5e-5)
    assert res.std_error == pytest.approx(0.1380, abs=5e-5)
    assert res.ci_low == pytest.approx(0.2137, abs=5e-5)
    assert res.ci_high == pytest.approx(0.7547, abs=5e-5)
    assert res.z == pytest.approx(3.2626, abs=5e-5)
    assert res.p_value == pytest.approx(0.0011, abs=5e-5)
    assert res.n == 19
    assert res.weights == "unweighted"
    assert res.note == ""


def test_cohen_kappa_sas_linear_weights() -> None:
    res = cohen_kappa_table(SAS_TABLE, weights="linear")
    # SAS PROC FREQ printout, weighted kappa (Cicchetti-Allison weights): 0.4701, ASE 0.1457,
    # 95% CL 0.1845-0.7558, Z 3.2971, two-sided p 0.0010
    assert res.kappa == pytest.approx(0.4701, abs=5e-5)
    assert res.std_error == pytest.approx(0.1457, abs=5e-5)
    assert res.ci_low == pytest.approx(0.1845, abs=5e-5)
    assert res.ci_high == pytest.approx(0.7558, abs=5e-5)
    assert res.z == pytest.approx(3.2971, abs=5e-5)
    assert res.p_value == pytest.approx(0.0010, abs=5e-5)


def test_cohen_kappa_from_labels_matches_table() -> None:
    # Expand the SAS table into 19 label pairs: kappa 0.4842 (SAS PROC FREQ, as above).
    cats = ["low", "mid", "high"]
    a = [cats[i] for i in range(3) for j in range(3) for _ in range(SAS_TABLE[i][j])]
    b = [cats[j] for i in range(3) for j in range(3) for _ in range(SAS_TABLE[i][j])]
    res = cohen_kappa(a, b, weights="linear", categories=cats)
    assert res.kappa == pytest.approx(0.4701, abs=5e-5)  # SAS weighted kappa 0.4701
    assert cohen_kappa(a, b, categories=cats).kappa == pytest.approx(0.4842, abs=5e-5)


@pytest.mark.parametrize(
    ("weights", "kappa", "z", "p_value"),
    [
        (None, -0.006289308, -0.0604067, 0.9518317),  # R: irr::kappa2(anxiety[, 2:3])
        ("linear", 0.1459075, 1.282472, 0.1996772),  # R: irr::kappa2(anxiety[,2:3], "equal")
        ("quadratic", 0.2520325, 1.437451, 0.1505898),  # irr::kappa2(anxiety[,2:3], "squared")
    ],
)
def test_cohen_kappa_irr_anxiety(
    weights: str | None, kappa: float, z: float, p_value: float
) -> None:
    # Raw labels with a missing category (5), which irr drops from the levels as we do.
    res = cohen_kappa(ANXIETY_RATER2, ANXIETY_RATER3, weights=weights)
    assert res.kappa == pytest.approx(kappa, abs=1e-6)
    assert res.z == pytest.approx(z, abs=1e-5)
    assert res.p_value == pytest.approx(p_value, abs=1e-6)
    assert res.n == 20


def test_cohen_kappa_drops_missing_pairwise() -> None:
    # Adding units that one coder did not code leaves irr's anxiety kappa unchanged
    # (R: irr::kappa2(anxiety[, 2:3]) = -0.006289308).
    a = [*ANXIETY_RATER2, None, 3]
    b = [*ANXIETY_RATER3, 2, np.nan]
    res = cohen_kappa(pd.Series(a), pd.Series(b))
    assert res.kappa == pytest.approx(-0.006289308, abs=1e-6)
    assert res.n == 20


def test_cohen_kappa_undefined_is_nan_with_note_and_no_warning() -> None:
    # Both coders say "present" for every unit: chance agreement 1, kappa = 0/0.
    res = cohen_kappa([1, 1, 1, 1], [1, 1, 1, 1], categories=[0, 1])
    assert math.isnan(res.kappa) and math.isnan(res.std_error)
    assert "kappa undefined" in res.note
    assert res.n == 4
    single = cohen_kappa(["x", "x"], ["x", "x"])
    assert math.isnan(single.kappa) and single.note == "kappa undefined: only one category"
    empty = cohen_kappa_table([[0, 0], [0, 0]])
    assert math.isnan(empty.kappa) and "no unit" in empty.note


def test_cohen_kappa_result_to_frame() -> None:
    frame = cohen_kappa_table(SAS_TABLE).to_frame()
    assert list(frame.columns) == [
        "kappa",
        "std_error",
        "ci_low",
        "ci_high",
        "z",
        "p_value",
        "n",
        "weights",
        "note",
    ]
    assert frame.shape == (1, 9)
    assert frame.loc[0, "kappa"] == pytest.approx(0.4842, abs=5e-5)  # SAS, as above
    assert isinstance(cohen_kappa_table(SAS_TABLE), CohenKappaResult)


def test_cohen_kappa_ci_level() -> None:
    # 90% Wald interval: kappa -/+ 1.6449 * ASE with SAS's kappa 0.4842 and ASE 0.1380.
    res = cohen_kappa_table(SAS_TABLE, ci=0.90)
    assert res.ci_low == pytest.approx(0.4842 - 1.644854 * 0.1380, abs=1e-4)
    assert res.ci_high == pytest.approx(0.4842 + 1.644854 * 0.1380, abs=1e-4)


# ------------------------------------------------------------------------ Fleiss' kappa


def test_fleiss_kappa_wikipedia() -> None:
    # Wikipedia "Fleiss' kappa" worked example: kappa = 0.210
    assert fleiss_kappa(FLEISS_WIKIPEDIA) == pytest.approx(0.210, abs=5e-4)


def test_fleiss_kappa_diagnoses_irr() -> None:
    # R: irr::kappam.fleiss(diagnoses) -> Kappa = 0.430 (0.4302445)
    table, _ = aggregate_raters(DIAGNOSES)
    assert fleiss_kappa(pd.DataFrame(table)) == pytest.approx(0.4302445, abs=1e-7)


@pytest.mark.parametrize(
    ("table", "fleiss", "randolph"),
    [
        # Randolph's online kappa calculator (http://justusrandolph.net/kappa/), as quoted in
        # statsmodels test_inter_rater.py: fixed-marginal and free-marginal kappa
        ([[7, 1], [3, 5]], 0.161905, 0.214286),
        ([[6, 1, 0], [0, 7, 0]], 0.708333, 0.785714),
    ],
)
def test_fleiss_and_randolph_online_calculator(
    table: list[list[int]], fleiss: float, randolph: float
) -> None:
    assert fleiss_kappa(table) == pytest.approx(fleiss, abs=6e-6)
    assert fleiss_kappa(table, method="randolph") == pytest.approx(randolph, abs=6e-6)


def test_fleiss_kappa_undefined_is_nan() -> None:
    # Every rating in one category: chance agreement 1, Fleiss' kappa = 0/0 -> NaN;
    # Randolph's free-marginal kappa = 1 (online calculator, statsmodels test_fleis_randolph).
    assert math.isnan(fleiss_kappa([[7, 0], [7, 0]]))
    assert fleiss_kappa([[7, 0], [7, 0]], method="randolph") == 1.0


# -------------------------------------------------------------------- percent agreement


def test_percent_agreement_chars_nvivo() -> None:
    # NVivo coding comparison (REFERENCES.md): 1,000 characters, 50 coded by both,
    # 150 by one coder only, 800 by neither -> 85%
    assert percent_agreement_chars(50, 150, 800) == pytest.approx(85.0)
    per_source = percent_agreement_chars([50, 0], [150, 10], [800, 90])
    np.testing.assert_allclose(per_source, [85.0, 90.0])  # (0 + 90) / 100 = 90%


def test_percent_agreement_pairs() -> None:
    # By definition: units 1-3 coded by both (unit 4 missing for a), 2 of 3 agree.
    assert percent_agreement(["a", "b", "b", None], ["a", "b", "c", "c"]) == pytest.approx(200 / 3)
    assert math.isnan(percent_agreement([None, "a"], ["b", None]))


# ---------------------------------------------------------------------- agreement_by_code


def _segments(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["segment_id", "coder", "code"])
    frame["participant_id"] = "P-BE-01"
    frame["text"] = "..."
    return frame


# Two coders, 4 double-coded segments (s1-s4) and s5 coded by ana only.
# Presence per segment s1..s4 (ana / ben):
#   trust          1 1 1 0 / 1 1 0 1
#   teamwork       1 0 1 0 / 1 0 1 0
#   listening      0 0 0 1 / 0 0 0 0
#   power_sharing  0 0 0 0 / 0 0 0 0   (only in s5, single-coded)
TWO_CODERS = _segments(
    [
        ("s1", "ana", "trust"),
        ("s1", "ana", "teamwork"),
        ("s2", "ana", "trust"),
        ("s3", "ana", "trust"),
        ("s3", "ana", "teamwork"),
        ("s4", "ana", "listening"),
        ("s5", "ana", "power_sharing"),
        ("s1", "ben", "trust"),
        ("s1", "ben", "teamwork"),
        ("s1", "ben", "teamwork"),  # a duplicated row counts once
        ("s2", "ben", "trust"),
        ("s3", "ben", "teamwork"),
        ("s4", "ben", "trust"),
    ]
)


def test_agreement_by_code_two_coders_hand_computed() -> None:
    out = agreement_by_code(TWO_CODERS)
    assert list(out.columns) == list(AGREEMENT_COLUMNS)
    assert out["code"].tolist() == [
        "listening",
        "power_sharing",
        "teamwork",
        "trust",
        "(all codes)",
    ]
    assert (out["n_units"] == 4).all() and (out["n_coders"] == 2).all()
    res = out.set_index("code")
    # Hand computation (Cohen 1960; Krippendorff 2011 binary coincidences):
    # trust: agree on s1, s2 -> 50%; p_e = .75*.75 + .25*.25 = .625 -> kappa = -1/3;
    #   n1 = 6, n0 = 2, o01 + o10 = 4 -> alpha = 1 - 7 * 4 / (2 * 2 * 6) = -1/6
    assert res.loc["trust", "percent_agreement"] == pytest.approx(50.0)
    assert res.loc["trust", "cohen_kappa"] == pytest.approx(-1 / 3)
    assert res.loc["trust", "krippendorff_alpha"] == pytest.approx(-1 / 6)
    # teamwork: identical decisions -> 100%, kappa 1, alpha 1
    assert res.loc[
        "teamwork", ["percent_agreement", "cohen_kappa", "krippendorff_alpha"]
    ].tolist() == pytest.approx([100.0, 1.0, 1.0])
    # listening: 3 of 4 agree -> 75%; p_e = .25*0 + .75*1 = .75 -> kappa 0;
    #   n1 = 1, n0 = 7, o01 + o10 = 2 -> alpha = 1 - 7 * 2 / (2 * 7 * 1) = 0
    assert res.loc["listening", "percent_agreement"] == pytest.approx(75.0)
    assert res.loc["listening", "cohen_kappa"] == pytest.approx(0.0, abs=1e-12)
    assert res.loc["listening", "krippendorff_alpha"] == pytest.approx(0.0, abs=1e-12)
    # power_sharing never applied in a double-coded segment: 100%, kappa/alpha undefined
    assert res.loc["power_sharing", "percent_agreement"] == pytest.approx(100.0)
    assert math.isnan(res.loc["power_sharing", "cohen_kappa"])
    assert math.isnan(res.loc["power_sharing", "krippendorff_alpha"])
    assert "not applied in any double-coded segment" in res.loc["power_sharing", "note"]
    # pooled 16 decisions per coder: 13 agree -> 81.25%; table [[9, 1], [2, 4]]:
    #   p_e = (6/16)(5/16) + (10/16)(11/16) = 140/256 -> kappa = (13/16 - 140/256)/(116/256)
    #   = 17/29; alpha: n1 = 11, n0 = 21, o01 + o10 = 6 -> 1 - 31 * 6 / (2 * 21 * 11) = 46/77
    assert res.loc["(all codes)", "percent_agreement"] == pytest.approx(81.25)
    assert res.loc["(all codes)", "cohen_kappa"] == pytest.approx(17 / 29)
    assert res.loc["(all codes)", "krippendorff_alpha"] == pytest.approx(46 / 77)
    assert res.loc["(all codes)", "note"] == "pooled over 4 codes x 4 segments"
    assert res.loc["trust", "note"] == ""


def test_agreement_by_code_matches_pairwise_functions() -> None:
    # The grouped counts agree with percent_agreement / cohen_kappa / krippendorff_alpha
    # applied to the coders x segments presence matrix (trust, from the frame above).
    ana, ben = [1, 1, 1, 0], [1, 1, 0, 1]
    res = agreement_by_code(TWO_CODERS).set_index("code").loc["trust"]
    assert res["percent_agreement"] == pytest.approx(percent_agreement(ana, ben))
    assert res["cohen_kappa"] == pytest.approx(cohen_kappa(ana, ben).kappa)
    assert res["krippendorff_alpha"] == pytest.approx(krippendorff_alpha([ana, ben]))


def test_agreement_by_code_three_coders() -> None:
    # 3 coders, 2 segments. X: s1 [1, 1, 1], s2 [1, 0, 0]; Y: s1 [0, 0, 0], s2 [0, 1, 1].
    seg = _segments(
        [
            ("s1", "a", "X"),
            ("s1", "b", "X"),
            ("s1", "c", "X"),
            ("s2", "a", "X"),
            ("s2", "b", "Y"),
            ("s2", "c", "Y"),
        ]
    )
    res = agreement_by_code(seg).set_index("code")
    # Hand computation: X agreeing pairs 3 + 1 of 6 -> 66.7%; n1 = 4, n0 = 2,
    # o01 + o10 = 2 * 1 * 2 / 2 = 2 -> alpha = 1 - 5 * 2 / (2 * 2 * 4) = 0.375 (same for Y)
    for code in ("X", "Y"):
        assert res.loc[code, "percent_agreement"] == pytest.approx(200 / 3)
        assert res.loc[code, "krippendorff_alpha"] == pytest.approx(0.375)
        assert math.isnan(res.loc[code, "cohen_kappa"])
        assert res.loc[code, "note"] == "cohen_kappa needs exactly 2 coders (here 3)"
    assert (res["n_coders"] == 3).all()
    # pooled: n = 12, n1 = 6, o01 + o10 = 4 -> 1 - 11 * 4 / (2 * 6 * 6) = 7/18
    assert res.loc["(all codes)", "krippendorff_alpha"] == pytest.approx(7 / 18)


def test_agreement_by_code_code_everywhere_is_nan_with_note() -> None:
    # Both coders apply "trust" to every segment: kappa and alpha undefined, no warning.
    seg = _segments([(s, c, "trust") for s in ("s1", "s2", "s3") for c in ("ana", "ben")])
    res = agreement_by_code(seg).set_index("code").loc["trust"]
    assert res["percent_agreement"] == pytest.approx(100.0)
    assert math.isnan(res["cohen_kappa"]) and math.isnan(res["krippendorff_alpha"])
    assert "applied by every coder to every segment" in res["note"]


def test_agreement_by_code_simulated_known_kappa() -> None:
    # Simulation with known truth: ana applies the code with p = 0.3; ben flips ana's
    # decision with probability 0.1. Then p_o = 0.9, P(ben) = 0.34,
    # p_e = 0.3 * 0.34 + 0.7 * 0.66 = 0.564 -> kappa = 0.336 / 0.436 = 0.7706.
    rng = np.random.default_rng(7)
    n = 40_000
    ana = rng.random(n) < 0.3
    ben = ana ^ (rng.random(n) < 0.1)
    ids = np.array([f"s{i}" for i in range(n)])
    rows = [
        pd.DataFrame({"segment_id": ids, "coder": coder, "code": "filler"})
        for coder in ("ana", "ben")
    ]  # every segment is coded by both coders (with a filler code)
    rows += [
        pd.DataFrame({"segment_id": ids[mask], "coder": coder, "code": "trust"})
        for coder, mask in (("ana", ana), ("ben", ben))
    ]
    res = agreement_by_code(pd.concat(rows)).set_index("code").loc["trust"]
    assert res["n_units"] == n
    assert res["cohen_kappa"] == pytest.approx(0.7706, abs=0.02)
    assert res["percent_agreement"] == pytest.approx(90.0, abs=1.0)


def test_agreement_by_code_single_coder() -> None:
    # Reflexive thematic analysis (Braun & Clarke 2019): one coder, no agreement statistics.
    seg = TWO_CODERS[TWO_CODERS["coder"] == "ana"]
    out = agreement_by_code(seg)
    assert list(out.columns) == list(AGREEMENT_COLUMNS)
    assert len(out) == 1
    row = out.iloc[0]
    assert row["code"] == "(none)" and row["n_units"] == 0 and row["n_coders"] == 1
    assert out[["percent_agreement", "cohen_kappa", "krippendorff_alpha"]].isna().all(axis=None)
    assert row["note"] == SINGLE_CODER_NOTE
    assert SINGLE_CODER_NOTE == (
        "single coder: agreement statistics are not computed "
        "(one coder, e.g. reflexive thematic analysis)"
    )


def test_agreement_by_code_two_coders_without_overlap() -> None:
    seg = _segments([("s1", "ana", "trust"), ("s2", "ben", "trust")])
    out = agreement_by_code(seg)
    assert out["code"].tolist() == ["(none)"] and out["n_coders"].tolist() == [2]
    assert out["note"].iloc[0].startswith("no segment was coded by two or more coders")
    assert agreement_by_code(seg.iloc[:0])["note"].iloc[0].startswith("no coded segments")


def test_agreement_by_code_does_not_mutate_input() -> None:
    before = TWO_CODERS.copy()
    agreement_by_code(TWO_CODERS)
    pd.testing.assert_frame_equal(TWO_CODERS, before)


# ------------------------------------------------------------------------ error messages


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: cohen_kappa([1, 2], [1, 2], weights="cubic"), ParamsError, "weights='cubic'"),
        (lambda: cohen_kappa_table(SAS_TABLE, ci=1.5), ParamsError, "ci=1.5 is not a confidence"),
        (lambda: fleiss_kappa([[1, 1]], method="light"), ParamsError, "method='light'"),
        (
            lambda: cohen_kappa([1, 2], [1, 2], categories=[1, 1, 2]),
            ParamsError,
            "repeats a category",
        ),
        (
            lambda: cohen_kappa([1, 2, 3], [1, 2]),
            StudyDataError,
            "found a with 3 units and b with 2 units",
        ),
        (
            lambda: cohen_kappa(pd.DataFrame({"x": [1]}), [1]),
            StudyDataError,
            "found a DataFrame for a",
        ),
        (
            lambda: cohen_kappa(np.zeros((2, 2)), [1, 2]),
            StudyDataError,
            "found a of type ndarray",
        ),
        (
            lambda: cohen_kappa(["yes", "no"], ["yes", "maybe"], categories=["yes", "no"]),
            StudyDataError,
            r"found labels \['maybe'\] that are not in categories",
        ),
        (
            lambda: percent_agreement([1], [1, 2]),
            StudyDataError,
            "found a with 1 units and b with 2 units",
        ),
        (lambda: cohen_kappa_table([[1, 2, 3]]), StudyDataError, r"table of shape \(1, 3\)"),
        (lambda: cohen_kappa_table([[1, -2], [0, 1]]), StudyDataError, "negative or missing"),
        (lambda: cohen_kappa_table([["a", "b"]]), StudyDataError, "not numeric"),
        (lambda: fleiss_kappa([[2, 1], [1, 1]]), StudyDataError, "subject 2 rated 2 times"),
        (lambda: fleiss_kappa([[1, 0], [0, 1]]), StudyDataError, "at least 2 raters"),
        (lambda: fleiss_kappa([1, 2, 3]), StudyDataError, r"table of shape \(3,\)"),
        (lambda: fleiss_kappa([[1, -1], [0, 0]]), StudyDataError, "negative or missing"),
        (lambda: fleiss_kappa([["a", "b"]]), StudyDataError, "not numeric"),
        (lambda: percent_agreement_chars(-1, 2, 3), StudyDataError, r"found both=-1\.0"),
        (lambda: percent_agreement_chars(0, 0, 0), StudyDataError, "0 characters"),
        (
            lambda: agreement_by_code(TWO_CODERS.drop(columns=["coder"])),
            StudyDataError,
            "segments: column 'coder': found no such column",
        ),
    ],
)
def test_error_messages(call: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()  # type: ignore[operator]


def test_all_is_complete() -> None:
    public = {
        name
        for name, obj in vars(agreement).items()
        if not name.startswith("_")
        and (getattr(obj, "__module__", None) or "").startswith(f"{agreement.__name__}.")
    }
    assert public <= set(agreement.__all__)
    assert all(hasattr(agreement, name) for name in agreement.__all__)
