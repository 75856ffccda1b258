import numpy as np
import pandas as pd
import pytest

from partner_study.codebook import parse_codebook
from partner_study.describe import CHARACTERISTICS_COLUMNS, table_characteristics, table_likert
from partner_study.prepare import prepare_study
from partner_study.validate import validate_study

CB = parse_codebook("""\
study: t
id: participant_id
role: {column: role, levels: [patient, professional]}
site: site
variables:
  age: {type: integer, min: 18, max: 100}
  gender: {type: category, levels: {1: woman, 2: man, 3: another gender}}
scales:
  trust: {items: [a, b], range: [1, 5], min_items: 1, labels: {1: "No", 5: "Yes"}}
""")


def participants(n_pat=40, n_pro=30, another_pat=2, another_pro=6, missing_pat=3):
    rows = []
    for role, n, another, missing in (
        ("patient", n_pat, another_pat, missing_pat),
        ("professional", n_pro, another_pro, 0),
    ):
        for i in range(n):
            g = (
                "another gender"
                if i < another
                else np.nan
                if i < another + missing
                else "woman"
                if i % 2
                else "man"
            )
            rows.append(
                {
                    "participant_id": f"{role[:3]}{i}",
                    "site": "s1" if i % 3 else "s2",
                    "role": role,
                    "age": 30.0 + i,
                    "gender": g,
                }
            )
    return pd.DataFrame(rows)


def test_columns_and_group_sizes():
    t = table_characteristics(participants(), CB, suppress_below=5)
    assert list(t.columns) == CHARACTERISTICS_COLUMNS
    sizes = t[t["variable"] == "participants"].set_index("role")["n"]
    assert sizes.to_dict() == {"patient": 40, "professional": 30, "all": 70}


def test_numeric_summary_matches_pandas():
    p = participants()
    t = table_characteristics(p, CB, suppress_below=0)
    row = t[(t["variable"] == "age") & (t["role"] == "patient")].iloc[0]
    ages = p.loc[p["role"] == "patient", "age"]
    assert row["mean"] == pytest.approx(ages.mean())
    assert row["sd"] == pytest.approx(ages.std(ddof=1))
    assert row["q1"] == pytest.approx(ages.quantile(0.25))


def test_no_small_count_and_nothing_derivable():
    """Counts 1-4 never appear; no suppressed count can be recovered by subtraction."""
    threshold = 5
    p = participants()
    t = table_characteristics(p, CB, suppress_below=threshold)
    for col in ("n", "missing"):
        shown = t[col].dropna().astype(int)
        assert not ((shown > 0) & (shown < threshold)).any()
    # 2 patients of another gender: suppressed, and their percentage too.
    cell = t[
        (t["variable"] == "gender") & (t["level"] == "another gender") & (t["role"] == "patient")
    ].iloc[0]
    assert cell["suppressed"] and pd.isna(cell["n"]) and pd.isna(cell["percent"])
    # Within a group: levels + missing = group size. With one suppressed cell the group
    # would reveal it, so at least two cells (levels or the missing count) are hidden.
    g = t[(t["variable"] == "gender") & (t["role"] == "patient")]
    hidden = g["n"].isna().sum() + int(g["missing"].isna().all())
    assert hidden >= 2
    # Across groups: patient + professional = all for each level.
    lvl = t[(t["variable"] == "gender") & (t["level"] == "another gender")]
    assert lvl["n"].isna().sum() != 1


def test_suppression_off_shows_everything():
    t = table_characteristics(participants(), CB, suppress_below=0)
    assert not t["suppressed"].any()
    cell = t[
        (t["variable"] == "gender") & (t["level"] == "another gender") & (t["role"] == "patient")
    ].iloc[0]
    assert cell["n"] == 2 and cell["percent"] == pytest.approx(100 * 2 / 37)


def test_input_not_mutated():
    p = participants()
    before = p.copy()
    table_characteristics(p, CB)
    pd.testing.assert_frame_equal(p, before)


def test_example_characteristics_no_small_counts(root):
    study = prepare_study(validate_study(root / "data" / "raw" / "example"))
    t = table_characteristics(study.participants, study.codebook, suppress_below=5)
    for col in ("n", "missing"):
        shown = t[col].dropna().astype(int)
        assert not ((shown > 0) & (shown < 5)).any()


def test_likert_percentages():
    scored = pd.DataFrame(
        {
            "role": ["patient"] * 4 + ["professional"] * 2,
            "a": [1, 1, 5, np.nan, 3, 3],
            "b": [2, 2, 2, 2, 5, 1],
        }
    )
    t = table_likert(scored, CB)
    assert list(t.columns) == ["scale", "item", "role", "response", "n", "percent"]
    a_pat = t[(t["item"] == "a") & (t["role"] == "patient")].set_index("response")
    assert a_pat.loc[1, "n"] == 2 and a_pat.loc[1, "percent"] == pytest.approx(200 / 3)
    assert a_pat.loc[2, "n"] == 0
    sums = t.groupby(["item", "role"])["percent"].sum()
    assert np.allclose(sums, 100)
