"""Paper-ready tables: formatting rules, Markdown, LaTeX and deterministic DOCX."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import sys
import textwrap
import zipfile

import docx
import numpy as np
import pandas as pd
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from conftest import ROOT
from partner_study import tables as T
from partner_study.codebook import read_codebook
from partner_study.errors import ParamsError, StudyDataError
from partner_study.shape import study_shape

# The example's shape: role labels and plurals as its codebook declares them.
SHAPE = study_shape(read_codebook(ROOT / "data" / "raw" / "example" / "codebook.yaml"))

nan = np.nan


# --------------------------------------------------------------------------- fixtures


def characteristics() -> pd.DataFrame:
    """As describe.table_characteristics returns it: a small 'another gender' group and the
    gender-missing cells of both roles suppressed (primary + complementary)."""
    rows = [
        ("participants", "", "patient", 421, nan, nan, nan, nan, nan, nan, 0, False),
        ("participants", "", "professional", 179, nan, nan, nan, nan, nan, nan, 0, False),
        ("participants", "", "all", 600, nan, nan, nan, nan, nan, nan, 0, False),
        ("age", "", "patient", 416, nan, 63.18509, 12.68171, 63, 55, 72, 5, False),
        ("age", "", "professional", 172, nan, 42.26162, 8.65965, 43, 36, 48, 7, False),
        ("age", "", "all", 588, nan, 57.06462, 15.04335, 57, 46, 68, 12, False),
        ("gender", "woman", "patient", 237, 57.66423, nan, nan, nan, nan, nan, nan, False),
        ("gender", "man", "patient", 164, 39.90267, nan, nan, nan, nan, nan, nan, False),
        ("gender", "another gender", "patient", nan, nan, nan, nan, nan, nan, nan, nan, True),
        ("gender", "woman", "professional", 91, 52.29885, nan, nan, nan, nan, nan, nan, False),
        ("gender", "man", "professional", 81, 46.55172, nan, nan, nan, nan, nan, nan, False),
        ("gender", "another gender", "professional", nan, nan, nan, nan, nan, nan, nan, nan, True),
        ("gender", "woman", "all", 328, 56.06837, nan, nan, nan, nan, nan, 15, False),
        ("gender", "man", "all", 245, 41.88034, nan, nan, nan, nan, nan, 15, False),
        ("gender", "another gender", "all", 12, 2.05128, nan, nan, nan, nan, nan, 15, False),
        ("condition", "cancer", "patient", 107, 25.41567, nan, nan, nan, nan, nan, 0, False),
        ("condition", "cancer", "all", 107, 25.41567, nan, nan, nan, nan, nan, 0, False),
    ]
    columns = "variable level role n percent mean sd median q1 q3 missing suppressed".split()
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"n": "Int64", "missing": "Int64"})


def regression() -> pd.DataFrame:
    base = dict(dependent="engagement", std_error=0.1, cov_type="HC3", n_dropped=3, note="")
    rows = [
        # model, term, estimate, lo, hi, p, p_adj, n, n_groups, outcome, converged
        ("ols", "Intercept", 1.7642, 1.3201, 2.2083, 1e-12, nan, 513, nan, "trust", True),
        (
            "ols",
            "role[T.professional]",
            -0.1432,
            -0.2791,
            -0.0073,
            0.0392,
            nan,
            513,
            nan,
            "trust",
            True,
        ),
        ("ols", "trust", 0.3712, 0.2803, 0.4621, 2e-15, 4e-15, 513, nan, "trust", True),
        ("ols", "age", 0.0029, -0.0011, 0.0069, 0.1612, nan, 513, nan, "trust", True),
        ("mixed", "Intercept", 1.79, 1.29, 2.28, 1e-9, nan, 513, 4, "trust", True),
        ("mixed", "trust", 0.3561, 0.2804, 0.4322, 3e-14, 5e-14, 513, 4, "trust", False),
        ("mixed", "var(site)", 0.0841, nan, nan, nan, nan, 513, 4, "trust", False),
        ("mixed", "var(residual)", 0.2312, nan, nan, nan, nan, 513, 4, "trust", False),
        ("ordinal", "trust", 0.7863, 0.4973, 1.0754, 9.7e-08, 2.9e-07, 515, nan, "trust", True),
        (
            "ordinal",
            "information|consultation",
            -0.0415,
            -1.6882,
            1.6053,
            0.9606,
            nan,
            515,
            nan,
            "trust",
            True,
        ),
        ("joint_ols", "trust", 0.2011, 0.1012, 0.3010, 0.0496, 0.0601, 500, nan, "(all)", True),
        ("joint_ols", "listening", 0.1513, 0.0511, 0.2515, 0.0031, 0.0062, 500, nan, "(all)", True),
    ]
    cols = [
        "model",
        "term",
        "estimate",
        "ci_low",
        "ci_high",
        "p_value",
        "p_adjusted",
        "n",
        "n_groups",
        "outcome",
        "converged",
    ]
    return pd.DataFrame(rows, columns=cols).assign(**base)


def codes() -> pd.DataFrame:
    rows = [
        ("coproduction", "(theme)", "patient", 59, 53, 46.49122),
        ("coproduction", "(theme)", "professional", 35, 27, 50.94339),
        ("coproduction", "(theme)", "all", 94, 80, 47.90419),
        ("coproduction", "power_sharing", "patient", 34, 34, 29.82456),
        ("coproduction", "power_sharing", "professional", 20, 19, 35.84905),
        ("coproduction", "power_sharing", "all", 54, 53, 31.73652),
        ("facilitation", "(theme)", "patient", 29, 29, 25.43859),
        ("facilitation", "(theme)", "professional", 0, 0, 0.0),
        ("facilitation", "(theme)", "all", 29, 29, 17.36526),
    ]
    columns = ["theme", "code", "role", "n_segments", "n_participants", "pct_participants"]
    return pd.DataFrame(rows, columns=columns)


def small_display() -> pd.DataFrame:
    display = pd.DataFrame(
        {
            "Scale": ["Trust", "Information_sharing & co", "[weird] 50% #1"],
            "n": ["480", "1,234", ""],
            "α [95% CI]": ["0.81 [0.78, 0.84]", "-0.05 [-0.10, 0.00]", "a|b ~x^2 {y} $z\\w"],
        },
        dtype=object,
    )
    display.attrs["note"] = "α: Cronbach's alpha; 5% of $ amounts."
    return display


# --------------------------------------------------------------------------- cell rules


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        # NEJM statistical reporting guidelines (Harrington et al. 2019,
        # doi:10.1056/NEJMe1906559): "P<0.001"; 3 decimals from 0.001 to 0.01;
        # 2 decimals above 0.01; values just below 0.05 are never rounded to "0.05".
        (0.0000001, "<0.001"),
        (0.000999, "<0.001"),
        (0.001, "0.001"),
        (0.0042, "0.004"),
        (0.0123, "0.01"),
        (0.0351, "0.04"),
        (0.0449, "0.04"),
        (0.0496, "0.049"),
        (0.04999, "0.049"),
        (0.05, "0.05"),
        (0.4712, "0.47"),
        (0.991, ">0.99"),
        (1.0, ">0.99"),
        (nan, ""),
    ],
)
def test_format_p_value_follows_the_journal_convention(p, expected):
    assert T.format_p_value(p) == expected


def test_format_p_value_vectorised():
    out = T.format_p_value([0.0001, 0.2, nan])
    assert out.tolist() == ["<0.001", "0.20", ""]


def test_format_estimate_with_interval_missing_bounds_and_negative_zero():
    assert T.format_estimate(0.4213, 0.3101, 0.5349) == "0.42 [0.31, 0.53]"
    assert T.format_estimate(-0.0012, -0.0213, 0.0189) == "0.00 [-0.02, 0.02]"
    assert T.format_estimate(0.0841, nan, nan) == "0.08"
    assert T.format_estimate(nan, 0.1, 0.2) == ""
    assert T.format_estimate(1.23456, 1.0, 1.5, digits=3) == "1.235 [1.000, 1.500]"


# --------------------------------------------------------------------------- characteristics


def test_characteristics_cells_headers_and_rows():
    frame = characteristics()
    before = frame.copy()
    out = T.format_table(frame, "characteristics", shape=SHAPE)
    pd.testing.assert_frame_equal(frame, before)  # input not modified
    assert list(out.columns) == [
        "Characteristic",
        "Category",
        "Patients (n = 421)",
        "Professionals (n = 179)",
        "All (n = 600)",
    ]
    table = out.set_index(out["Characteristic"].replace("", np.nan).ffill() + "/" + out["Category"])
    assert table.loc["Age (years)/Mean (SD)"].tolist()[2:] == [
        "63.2 (12.7)",
        "42.3 (8.7)",
        "57.1 (15.0)",
    ]
    assert table.loc["Age (years)/Median [Q1, Q3]"].tolist()[2:] == [
        "63.0 [55.0, 72.0]",
        "43.0 [36.0, 48.0]",
        "57.0 [46.0, 68.0]",
    ]
    assert table.loc["Age (years)/Missing"].tolist()[2:] == ["5", "7", "12"]
    assert table.loc["Gender/woman"].tolist()[2:] == ["237 (57.7)", "91 (52.3)", "328 (56.1)"]
    # Suppressed cells (and the suppressed missing counts) all show one marker.
    assert table.loc["Gender/another gender"].tolist()[2:] == [
        "suppressed",
        "suppressed",
        "12 (2.1)",
    ]
    assert table.loc["Gender/Missing"].tolist()[2:] == ["suppressed", "suppressed", "15"]
    # Condition is not asked of professionals: blank, explained in the note.
    assert table.loc["Main condition/cancer"].tolist()[2:] == ["107 (25.4)", "", "107 (25.4)"]
    assert "Cells marked 'suppressed' hide a count from 1 to 4" in out.attrs["note"]
    assert "Blank: not asked of that group" in out.attrs["note"]
    # Row order: variables as given; the name on the first row of its block only.
    assert out["Characteristic"].tolist()[:4] == ["Age (years)", "", "", "Gender"]
    assert "Participants" not in out["Characteristic"].tolist()


def test_characteristics_marker_threshold_and_numeric_choice():
    out = T.format_table(
        characteristics(),
        "characteristics",
        suppressed_marker="<10",
        suppress_below=10,
        numeric="median",
        digits=0,
    )
    cells = out.iloc[:, 2:].to_numpy().ravel().tolist()
    assert cells.count("<10") == 4 and "suppressed" not in cells
    assert "from 1 to 9" in out.attrs["note"]
    assert "Mean (SD)" not in out["Category"].tolist()
    assert "63 [55, 72]" in cells


def test_characteristics_read_back_from_csv_gives_the_same_display():
    frame = characteristics()
    text = frame.to_csv(index=False)
    again = pd.read_csv(io.StringIO(text))  # '' levels become NaN, bools stay bools
    assert again["level"].isna().any()
    pd.testing.assert_frame_equal(
        T.format_table(again, "characteristics", shape=SHAPE),
        T.format_table(frame, "characteristics", shape=SHAPE),
    )


# --------------------------------------------------------------------------- other kinds


def test_reliability_two_decimals_and_missing_optional_columns():
    rel = pd.DataFrame(
        {
            "scale": ["information_sharing"],
            "n_items": [4],
            "n": [1472],
            "alpha": [0.81806],
            "alpha_ci_low": [0.78970],
            "alpha_ci_high": [0.84346],
            "omega": [0.81836],
        }
    )
    out = T.format_table(rel, "reliability")
    assert out.iloc[0].tolist() == [
        "Information sharing",
        "4",
        "1,472",
        "0.82 [0.79, 0.84]",
        "0.82",
    ]
    short = T.format_table(rel[["scale", "alpha"]], "reliability")
    assert list(short.columns) == ["Scale", "α [95% CI]"]
    assert short.iloc[0].tolist() == ["Information sharing", "0.82"]


def test_regression_columns_terms_p_values_and_observations():
    out = T.format_table(regression(), "regression")
    assert list(out.columns) == [
        "Outcome",
        "Term",
        "OLS: B [95% CI]",
        "OLS: p",
        "Mixed: B [95% CI]",
        "Mixed: p",
        "Ordinal logit: log-odds [95% CI]",
        "Ordinal logit: p",
    ]
    rows = out.assign(Outcome=out["Outcome"].replace("", np.nan).ffill())
    trust = rows[rows["Outcome"] == "Trust"].set_index("Term")
    # Outcome term first, covariates, intercept, variances, cut points, then n.
    assert trust.index.tolist() == [
        "Trust",
        "Role: professional",
        "Age",
        "Intercept",
        "Random-intercept variance (Site)",
        "Residual variance",
        "Cut point: information | consultation",
        "Observations",
    ]
    assert trust.loc["Trust", "OLS: B [95% CI]"] == "0.37 [0.28, 0.46]"
    assert trust.loc["Trust", "OLS: p"] == "<0.001"
    assert trust.loc["Role: professional", "OLS: p"] == "0.04"
    # Two significant figures for small per-unit coefficients (age per year).
    assert trust.loc["Age", "OLS: B [95% CI]"] == "0.0029 [-0.0011, 0.0069]"
    assert trust.loc["Random-intercept variance (Site)", "Mixed: B [95% CI]"] == "0.08"
    assert trust.loc["Random-intercept variance (Site)", "Mixed: p"] == ""
    assert trust.loc["Cut point: information | consultation", "OLS: B [95% CI]"] == ""
    assert trust.loc["Observations", "OLS: B [95% CI]"] == "513"
    assert trust.loc["Observations", "Mixed: B [95% CI]"] == "513 (4 groups) †"
    assert "†: the model did not converge" in out.attrs["note"]
    # Joint models go in the same model column, in a last section.
    joint = rows[rows["Outcome"] == "All outcomes together"].set_index("Term")
    assert joint.loc["Trust", "OLS: B [95% CI]"] == "0.20 [0.10, 0.30]"
    assert joint.loc["Trust", "OLS: p"] == "0.049"
    assert joint.loc["Listening", "OLS: p"] == "0.003"
    assert out["Outcome"].tolist()[-1] == ""


def test_regression_adjusted_p_outcome_terms_and_odds_ratios():
    frame = regression()
    frame.loc[frame["model"] == "ordinal", "note"] = "odds ratio (exp of log-odds)"
    out = T.format_table(frame, "regression", terms="outcome", adjusted_p=True)
    assert "Ordinal logit: OR [95% CI]" in out.columns
    # Listening has no model of its own here, so it is a covariate of the joint model.
    assert set(out["Term"]) == {"Trust", "Observations"}
    rows = out.assign(Outcome=out["Outcome"].replace("", np.nan).ffill())
    joint = rows[rows["Outcome"] == "All outcomes together"].set_index("Term")
    assert joint.loc["Trust", "OLS: p"] == "0.06"  # p_adjusted 0.0601
    assert "Benjamini-Hochberg" in out.attrs["note"]


def test_regression_needs_only_term_and_estimate():
    frame = pd.DataFrame({"term": ["Intercept", "C(gender)[T.woman]"], "estimate": [1.5, -0.25]})
    out = T.format_table(frame, "regression")
    assert list(out.columns) == ["Term", "Estimate [95% CI]"]
    assert out["Term"].tolist() == ["Gender: woman", "Intercept"]
    assert out["Estimate [95% CI]"].tolist()[:2] == ["-0.25", "1.50"]


def test_codes_theme_rows_group_sizes_and_segments():
    out = T.format_table(codes(), "codes", shape=SHAPE)
    assert list(out.columns) == [
        "Theme",
        "Code",
        "Patients (n = 114)",
        "Professionals (n = 53)",
        "All (n = 167)",
        "Segments",
    ]
    assert out.iloc[0].tolist() == [
        "Coproduction and power sharing",
        "(any code)",
        "53 (46.5)",
        "27 (50.9)",
        "80 (47.9)",
        "94",
    ]
    assert out.iloc[1].tolist() == [
        "",
        "Power sharing",
        "34 (29.8)",
        "19 (35.8)",
        "53 (31.7)",
        "54",
    ]
    assert out.iloc[2, :2].tolist() == ["Facilitating partnership", "(any code)"]
    assert out.iloc[2, 3] == "0 (0.0)"


def test_agreement_kappa_alpha_and_notes():
    agree = pd.DataFrame(
        {
            "code": ["power_sharing", "(all codes)"],
            "n_units": [299, 299],
            "n_coders": [2, 2],
            "percent_agreement": [99.0, 98.66],
            "cohen_kappa": [0.8954, 0.8866],
            "krippendorff_alpha": [0.8956, 0.8868],
            "note": ["", "pooled over 17 codes"],
        }
    )
    out = T.format_table(agree, "agreement")
    assert out.iloc[0].tolist() == ["Power sharing", "299", "2", "99.0", "0.90", "0.90", ""]
    assert out.iloc[1, -1] == "pooled over 17 codes"
    without = T.format_table(agree.assign(note=""), "agreement")
    assert "Note" not in without.columns


def test_joint_display_signs_labels_and_extra_columns():
    joint = pd.DataFrame(
        {
            "theme": ["information_sharing", "coproduction", "levels"],
            "role_a": ["patient"] * 3,
            "role_b": ["professional"] * 3,
            "pct_a": [94.73, 46.49, 75.44],
            "pct_b": [62.26, 50.94, 75.47],
            "difference_pp": [32.47, -4.45, -0.03],
            "ci_low": [20.04, -15.97, nan],
            "ci_high": [44.71, 7.42, nan],
            "margin_pp": 20.0,
            "label": ["divergence", "convergence", "not_comparable"],
            "meta_inference": ["expansion", "confirmation", nan],
            "quote_a": ["\u201cA.\u201d (P-BE-090)", nan, "x"],
            "quote_b": ["\u201cB.\u201d (P-NO-112)", "y", nan],
            "pct_level_consultation": [50.0, 25.0, nan],
            "mean_trust_mentioned": [3.456, 3.0, nan],
        }
    )
    out = T.format_table(joint, "joint-display", shape=SHAPE)
    assert list(out.columns) == [
        "Theme",
        "Patients, %",
        "Professionals, %",
        "Difference, pp [95% CI]",
        "Finding",
        "Meta-inference",
        "Quote (Patient)",
        "Quote (Professional)",
        "Consultation, %",
        "Trust: mean, mentioned",
    ]
    assert out.iloc[0].tolist() == [
        "Information sharing",
        "94.7",
        "62.3",
        "+32.5 [20.0, 44.7]",
        "Divergence",
        "Expansion",
        "\u201cA.\u201d (P-BE-090)",
        "\u201cB.\u201d (P-NO-112)",
        "50.0",
        "3.46",
    ]
    assert out.loc[1, "Difference, pp [95% CI]"] == "-4.5 [-16.0, 7.4]"
    assert out.loc[1, "Quote (Patient)"] == "" and out.loc[1, "Finding"] == "Convergence"
    assert out.loc[2, "Difference, pp [95% CI]"] == "0.0"
    assert out.loc[2, "Finding"] == "Not comparable"
    assert "Patients minus Professionals" in out.attrs["note"]
    assert "the CI lies within plus or minus 20 pp" in out.attrs["note"]


def test_likert_cooccurrence_and_quotes_displays():
    likert = pd.DataFrame(
        {
            "scale": ["trust"] * 4,
            "item": ["tru_1"] * 4,
            "role": ["patient", "patient", "all", "all"],
            "response": [1, 2, 1, 2],
            "n": [3, 7, 4, 9],
            "percent": [30.0, 70.0, 30.77, 69.23],
        }
    )
    out = T.format_table(likert, "likert", shape=SHAPE, labels={"1": "Disagree", "2": "Agree"})
    assert list(out.columns) == ["Scale", "Item", "Group", "Disagree", "Agree"]
    assert out.iloc[1].tolist() == ["", "", "All", "4 (30.8)", "9 (69.2)"]
    cooc = pd.DataFrame({"code_a": ["a_b"], "code_b": ["c"], "n_segments": [2]})
    assert T.format_table(cooc, "cooccurrence").iloc[0].tolist() == ["A b", "C", "2"]
    quotes = pd.DataFrame(
        {
            "theme": ["t", "t"],
            "role": ["patient", "professional"],
            "pseudonym": ["P-1", "P-2"],
            "quote": ["Yes.", "No."],
        }
    )
    out = T.format_table(quotes, "quotes", shape=SHAPE)
    assert out.iloc[1].tolist() == ["", "Professional", "P-2", "\u201cNo.\u201d"]


@pytest.mark.parametrize("kind", T.TABLE_KINDS)
def test_empty_tidy_tables_give_empty_displays(kind):
    required = {
        "characteristics": ["variable", "level", "role", "n"],
        "likert": ["scale", "item", "role", "response", "n"],
        "reliability": ["scale", "alpha"],
        "scales-by-role": ["scale", "role", "n"],
        "items-by-role": ["scale", "item", "role", "reference"],
        "codes": ["theme", "code", "n_participants"],
        "cooccurrence": ["code_a", "code_b", "n_segments"],
        "agreement": ["code"],
        "quotes": ["theme", "role", "quote"],
        "regression": ["term", "estimate"],
        "regression-sensitivity": ["term", "estimate"],
        "joint-display": ["theme"],
        "site-heterogeneity": ["term", "pooled"],
    }[kind]
    out = T.format_table(pd.DataFrame(columns=required), kind)
    assert len(out) == 0 and len(out.columns) >= 1
    assert [line for line in T.to_markdown(out).splitlines() if line.startswith("|")] == [
        "| " + " | ".join(out.columns) + " |",
        "| " + " | ".join("---" for _ in out.columns) + " |",
    ]


def test_format_table_errors():
    with pytest.raises(ParamsError, match="unknown table kind 'table1'; expected one of"):
        T.format_table(characteristics(), "table1")
    with pytest.raises(StudyDataError, match=r"no column\(s\) 'alpha'"):
        T.format_table(pd.DataFrame({"scale": ["a"]}), "reliability")
    with pytest.raises(ParamsError, match="numeric must be 'both', 'mean' or 'median'"):
        T.format_table(characteristics(), "characteristics", numeric="sd")
    with pytest.raises(ParamsError, match="terms must be 'all' or 'outcome'"):
        T.format_table(regression(), "regression", terms="some")
    with pytest.raises(ParamsError, match="unknown table format 'pdf'"):
        T.table_bytes(small_display(), "pdf")
    with pytest.raises(ParamsError, match="LaTeX label 'tab 1' may only hold"):
        T.to_latex(small_display(), label="tab 1")


# --------------------------------------------------------------------------- Markdown


def test_markdown_shape_alignment_and_escaping():
    text = T.to_markdown(small_display(), caption="Scale | reliability", number=2)
    lines = text.splitlines()
    assert lines[0] == "Table: Table 2. Scale \\| reliability" and lines[1] == ""
    assert lines[2] == "| Scale | n | α [95% CI] |"
    assert lines[3] == "| --- | ---: | --- |"  # n is numeric; the last column is not
    body = lines[4:7]
    assert body[0] == "| Trust | 480 | 0.81 [0.78, 0.84] |"
    assert body[2] == "| [weird] 50% #1 |  | a\\|b ~x^2 {y} $z\\\\w |"
    # Every row has the same number of unescaped pipes.
    assert {len(re.findall(r"(?<!\\)\|", line)) for line in lines[2:7]} == {4}
    assert lines[7:] == ["", "*Note.* α: Cronbach's alpha; 5% of $ amounts."]
    assert text.endswith("\n")
    assert T.table_bytes(small_display(), "md", caption="Scale | reliability", number=2) == (
        text.encode("utf-8")
    )


# --------------------------------------------------------------------------- LaTeX


def test_latex_booktabs_structure_and_escaping():
    tex = T.to_latex(small_display(), caption="Alpha & omega, 95% CI", label="tab:reliability")
    lines = tex.splitlines()
    assert lines[:4] == [
        r"\begin{table}[htbp]",
        r"\centering",
        r"\caption{Alpha \& omega, 95\% CI}",
        r"\label{tab:reliability}",
    ]
    assert lines[4] == r"\begin{tabular}{lrl}"
    i_top, i_mid, i_bottom = (lines.index(r) for r in (r"\toprule", r"\midrule", r"\bottomrule"))
    assert i_top < i_mid < i_bottom and i_mid == i_top + 2 and i_bottom == i_mid + 4
    assert lines[i_top + 1] == r"Scale & n & $\alpha$ [95\% CI] \\"
    rows = lines[i_mid + 1 : i_bottom]
    assert rows[0] == r"Trust & 480 & 0.81 [0.78, 0.84] \\"
    assert rows[1] == r"Information\_sharing \& co & 1,234 & $-$0.05 [$-$0.10, 0.00] \\"
    # A row starting with "[" would be read as \\[<length>]: guarded by {}.
    assert rows[2] == (
        r"{}[weird] 50\% \#1 &  & a|b \textasciitilde{}x\textasciicircum{}2 "
        r"\{y\} \$z\textbackslash{}w \\"
    )
    for row in rows:  # 3 columns: 2 unescaped column separators
        assert len(re.findall(r"(?<!\\)&", row)) == 2
    assert r"\textit{Note.} $\alpha$: Cronbach's alpha; 5\% of \$ amounts." in tex
    assert lines[-1] == r"\end{table}" and tex.endswith("\n")
    assert T.table_bytes(
        small_display(), "tex", caption="Alpha & omega, 95% CI", label="tab:reliability"
    ) == tex.encode("utf-8")


def test_latex_escapes_every_special_character_once():
    display = pd.DataFrame({"x": ["& % $ # _ { } ~ ^ \\ < >"]})
    row = T.to_latex(display).splitlines()[6]
    assert row == (
        r"\& \% \$ \# \_ \{ \} \textasciitilde{} \textasciicircum{} "
        r"\textbackslash{} \textless{} \textgreater{} \\"
    )


def test_latex_p_values_and_long_text_columns():
    out = T.format_table(regression(), "regression")
    tex = T.to_latex(out)
    assert r"\textless{}0.001" in tex and r"\textdagger{}" in tex
    quotes = pd.DataFrame({"Theme": ["a"], "Quote": ["x" * 60]})
    assert r"\begin{tabular}{lp{4.5cm}}" in T.to_latex(quotes)


# --------------------------------------------------------------------------- DOCX


def _docx_display() -> pd.DataFrame:
    return T.format_table(characteristics(), "characteristics")


def test_docx_is_a_real_word_table_with_caption_above():
    display = _docx_display()
    data = T.table_bytes(display, "docx", caption="Participant characteristics", number=1)
    document = docx.Document(io.BytesIO(data))
    assert len(document.tables) == 1
    table = document.tables[0]
    assert len(table.rows) == len(display) + 1 and len(table.columns) == len(display.columns)
    assert [c.text for c in table.rows[0].cells] == list(display.columns)
    assert [c.text for c in table.rows[1].cells] == display.iloc[0].tolist()
    assert [c.text for c in table.rows[-1].cells] == display.iloc[-1].tolist()
    assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
    # Body order: caption paragraph, table, note paragraph.
    body = [child.tag.rsplit("}", 1)[1] for child in document.element.body.iterchildren()]
    assert body[:3] == ["p", "tbl", "p"]
    assert document.paragraphs[0].text == "Table 1. Participant characteristics"
    assert document.paragraphs[0].style.name == "Caption"
    assert document.paragraphs[1].text.startswith("Note. Data are n (%)")
    assert document.core_properties.created.year == 2000


def test_docx_is_byte_identical_across_runs_and_processes(tmp_path):
    display = _docx_display()
    first = T.docx_bytes(display, caption="Participant characteristics", number=1)
    second = T.docx_bytes(display.copy(), caption="Participant characteristics", number=1)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
    assert infos[0].filename == "[Content_Types].xml"
    assert [i.filename for i in infos[1:]] == sorted(i.filename for i in infos[1:])
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    # A fresh interpreter (new hash seed, new clock) gives the same bytes.
    script = textwrap.dedent(
        """
        import hashlib, sys
        sys.path.insert(0, sys.argv[1])
        from test_tables import _docx_display
        from partner_study import tables as T
        data = T.docx_bytes(_docx_display(), caption="Participant characteristics", number=1)
        print(hashlib.sha256(data).hexdigest())
        """
    )
    tests_dir = str(__import__("pathlib").Path(__file__).parent)
    result = subprocess.run(
        [sys.executable, "-c", script, tests_dir],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={"PYTHONHASHSEED": "123", "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == hashlib.sha256(first).hexdigest()


def test_to_docx_writes_paths_and_buffers(tmp_path):
    display = small_display()
    path = tmp_path / "sub" / "reliability.docx"
    path.parent.mkdir()
    T.to_docx(display, path, caption="Reliability")
    buffer = io.BytesIO()
    T.to_docx(display, buffer, caption="Reliability")
    assert path.read_bytes() == buffer.getvalue() == T.docx_bytes(display, caption="Reliability")
    assert not list(tmp_path.glob("sub/.*.tmp"))


def test_wide_docx_tables_are_landscape():
    wide = pd.DataFrame({f"c{i}": ["1"] for i in range(8)})
    section = docx.Document(io.BytesIO(T.docx_bytes(wide))).sections[0]
    assert section.page_width > section.page_height


def test_docx_data_rows_match_rows_built_cell_by_cell():
    # docx_bytes copies the first data row for the others; every row must still be the XML
    # python-docx writes cell by cell (empty text, white space, tabs, line breaks, escapes).
    display = pd.DataFrame(
        {
            "Name": ["a", "", " lead", "a\tb", "x\ny\r\nz", '<&> "q" é – ≥'],
            "n": ["1", "2 (3.0)", "", "4 ", "5", "6"],
        }
    )
    table = docx.Document(io.BytesIO(T.docx_bytes(display))).tables[0]
    align = T.column_alignment(display)
    assert align == ["l", "r"]
    reference = docx.Document().add_table(rows=len(display), cols=2)
    for row, values in zip(reference.rows, display.itertuples(index=False), strict=True):
        for c, cell in enumerate(row.cells):
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.space_after = Pt(0)
            if align[c] == "r":
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            run = paragraph.add_run(values[c])
            run.font.size = Pt(9)
            run.bold = None
    assert [r._tr.xml for r in table.rows[1:]] == [r._tr.xml for r in reference.rows]
    assert [[c.text for c in r.cells] for r in table.rows[1:]] == [
        [v.replace("\r", "\n") for v in values] for values in display.itertuples(index=False)
    ]
    # No data rows, or one: header (and that row) only.
    for n in (0, 1):
        rows = docx.Document(io.BytesIO(T.docx_bytes(display.head(n)))).tables[0].rows
        assert len(rows) == 1 + n


def test_site_heterogeneity_display():
    het = pd.DataFrame(
        {
            "term": ["power_sharing"],
            "n_sites": [4],
            "pooled": [0.251],
            "pooled_ci_low": [0.177],
            "pooled_ci_high": [0.326],
            "q": [11.82],
            "df": [3],
            "p_value": [0.008],
            "i2": [0.746],
            "tau2": [0.017],
        }
    )
    out = T.format_table(het, "site-heterogeneity")
    assert out.iloc[0].tolist() == [
        "Power sharing",
        "4",
        "0.25 [0.18, 0.33]",
        "11.82 (3)",
        "0.008",
        "75",
        "0.017",
    ]


def test_markdown_escapes_html_in_cells_headers_captions_and_notes():
    attacks = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "Tom & Jerry > 3",
    ]
    display = pd.DataFrame({"<b>theme</b>": attacks, "quote": ["a|b\nc", "", "x", "y"]})
    display.attrs["note"] = "<iframe src=javascript:alert(1)>"
    text = T.to_markdown(display, caption="<script>steal()</script>", number=1)
    assert "<" not in text and ">" not in text
    lines = text.splitlines()
    assert lines[0] == "Table: Table 1. &lt;script&gt;steal()&lt;/script&gt;"
    assert lines[2] == "| &lt;b&gt;theme&lt;/b&gt; | quote |"
    assert lines[4] == "| &lt;script&gt;alert(1)&lt;/script&gt; | a\\|b c |"
    assert lines[5] == "| &lt;img src=x onerror=alert(1)&gt; |  |"
    assert lines[6] == "| &lt;svg onload=alert(1)&gt; | x |"
    assert lines[7] == "| Tom &amp; Jerry &gt; 3 | y |"
    assert lines[-1] == "*Note.* &lt;iframe src=javascript:alert(1)&gt;"
    assert T.table_bytes(display, "md").decode("utf-8").count("&lt;") == 7


def test_markdown_makes_no_link_or_image_from_data():
    display = pd.DataFrame({"quote": ["[x](javascript:alert(1))", "![i](http://evil/p.png)"]})
    text = T.to_markdown(display)
    assert "](" not in text
    assert "[x]\\(javascript:alert(1))" in text and "![i]\\(http://evil/p.png)" in text


def test_a_wide_latex_table_is_scaled_to_the_text_width_and_a_narrow_one_is_not():
    """Before: a 23-column display ran off the page."""
    wide = pd.DataFrame({f"Column {i}": ["12.3 [10.1, 14.5]"] for i in range(12)})
    narrow = pd.DataFrame({"Scale": ["Trust"], "n": ["480"]})
    assert r"\resizebox{\linewidth}{!}{%" in T.to_latex(wide)
    assert T.to_latex(wide).count("{") == T.to_latex(wide).count("}")
    assert "resizebox" not in T.to_latex(narrow)
