"""Scales by role: scores and reliability in each role, items compared between roles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from partner_study import disclosure
from partner_study.codebook import parse_codebook
from partner_study.figures import plot_item_differences
from partner_study.scales import table_reliability
from partner_study.scales_by_role import (
    ITEMS_BY_ROLE_COLUMNS,
    SCALES_BY_ROLE_COLUMNS,
    compared_roles,
    table_items_by_role,
    table_scales_by_role,
    welch_difference,
)
from partner_study.shape import study_shape
from partner_study.tables import format_table

# R: t.test(clinic$var1[1:15], clinic$var1[16:30]) (Welch), as statsmodels records it in
# stats/tests/test_tost.py (ttest_clinic_indep_1_two_mu; its mu = 1 moves the statistic,
# not the interval): means 3.498 and 3.333333, df = 26.7484787582315, 95% CI
# (-0.3550087243406, 0.6843420576739336).
CLINIC_1 = [2.84, 2.51, 2.41, 2.95, 3.14, 3.79, 4.14, 3.85, 3.02, 3.45, 5.37, 3.81, 4.19, 3.16]
CLINIC_1 += [3.84]
CLINIC_2 = [2.60, 2.82, 2.18, 3.46, 4.01, 3.04, 3.47, 4.06, 2.91, 3.59, 4.51, 3.16, 3.86, 3.31]
CLINIC_2 += [3.02]


def test_welch_difference_reproduces_r_t_test():
    d = welch_difference(pd.Series(CLINIC_1), pd.Series(CLINIC_2))
    assert d["difference"] == pytest.approx(3.498 - 3.333333333333333, abs=1e-12)
    assert d["df"] == pytest.approx(26.7484787582315, rel=1e-10)
    assert d["ci_low"] == pytest.approx(-0.3550087243406, abs=1e-10)
    assert d["ci_high"] == pytest.approx(0.6843420576739336, abs=1e-10)


def test_welch_interval_covers_the_true_difference():
    """Known truth: groups of 40 and 15 with SDs 1 and 2.5 and means 0.3 apart; the 95%
    interval should cover 0.3 about 95% of the time."""
    rng = np.random.default_rng(17)
    covered, reps = 0, 400
    for _ in range(reps):
        d = welch_difference(pd.Series(rng.normal(0.3, 1, 40)), pd.Series(rng.normal(0, 2.5, 15)))
        covered += d["ci_low"] <= 0.3 <= d["ci_high"]
    assert 0.93 <= covered / reps <= 0.97


CODEBOOK = """\
study: t
id: participant_id
role:
  column: role
  levels:
    soignant: {label: Soignant·e, plural: Soignant·es}
    usager: {label: Usager·ère, plural: Usager·ères}
    proche: {label: Proche aidant·e, plural: Proches aidant·es}
site: site
scales:
  confiance:
    label: Confiance envers l'équipe
    items: [c1, c2, c3, c4]
    reverse: [c4]
    range: [1, 5]
    min_items: 3
    item_labels: {c1: On m'écoute, c2: On m'informe, c3: On me respecte, c4: On décide sans moi}
"""


def _survey(sizes: dict[str, int], loadings: dict[str, float], shift: dict[str, float], seed=3):
    """Parallel items per role (loading ``l``, unique variance ``1 - l^2``), item c2 shifted
    by ``shift[role]``; c4 answered the other way round (declared reverse-keyed)."""
    rng = np.random.default_rng(seed)
    frames = []
    for role, n in sizes.items():
        lam = loadings[role]
        f = rng.normal(size=(n, 1))
        x = 3 + f * lam + rng.normal(size=(n, 4)) * np.sqrt(1 - lam**2)
        x[:, 1] += shift.get(role, 0.0)
        x[:, 3] = 6 - x[:, 3]
        frame = pd.DataFrame(x, columns=["c1", "c2", "c3", "c4"]).assign(role=role)
        frames.append(frame)
    survey = pd.concat(frames, ignore_index=True)
    survey["confiance"] = (survey[["c1", "c2", "c3"]].sum(axis=1) + 6 - survey["c4"]) / 4
    return survey


def test_alpha_by_role_covers_each_roles_known_reliability():
    """Known truth: parallel items with loading l have alpha = omega = 4 r / (1 + 3 r),
    r = l^2: 0.8 gives 0.876, 0.45 gives 0.383. The scale holds in one role, not the other,
    and the table shows it side by side."""
    cb = parse_codebook(CODEBOOK)
    survey = _survey({"usager": 400, "soignant": 300}, {"usager": 0.8, "soignant": 0.45}, {})
    table = table_scales_by_role(survey, cb)
    assert list(table.columns) == SCALES_BY_ROLE_COLUMNS
    assert table["role"].tolist() == ["soignant", "usager"]  # declared order
    truth = {r: 4 * v**2 / (1 + 3 * v**2) for r, v in (("usager", 0.8), ("soignant", 0.45))}
    for row in table.itertuples():
        assert row.alpha_ci_low <= truth[row.role] <= row.alpha_ci_high
        assert row.omega == pytest.approx(truth[row.role], abs=0.06)
        assert row.n == row.n_complete == (400 if row.role == "usager" else 300)
    display = format_table(table, "scales-by-role", shape=study_shape(cb))
    assert display["Scale"].tolist() == ["Confiance envers l'équipe", ""]
    assert display["Group"].tolist() == ["Soignant·es", "Usager·ères"]


def test_items_compared_with_the_first_declared_role():
    """Known truth: item c2 is 0.6 higher among users and 0.3 higher among relatives than
    among carers (the first declared role); the other items do not differ."""
    cb = parse_codebook(CODEBOOK)
    sizes = {"usager": 500, "soignant": 400, "proche": 300}
    survey = _survey(sizes, dict.fromkeys(sizes, 0.7), {"usager": 0.6, "proche": 0.3})
    items = table_items_by_role(survey, cb)
    assert list(items.columns) == ITEMS_BY_ROLE_COLUMNS
    assert compared_roles(survey, cb) == ["soignant", "usager", "proche"]
    assert set(items["reference"]) == {"soignant"}
    compared = items[items["role"] != "soignant"]
    assert compared["difference"].notna().all() and len(compared) == 8
    for row in compared.itertuples():
        truth = {"usager": 0.6, "proche": 0.3}[row.role] if row.item == "c2" else 0.0
        assert row.ci_low <= truth <= row.ci_high, row
    assert items.loc[items["role"] == "soignant", "difference"].isna().all()
    assert (items["item_rest"] > 0.4).all()  # c4 recoded before its item-rest correlation
    display = format_table(items, "items-by-role", shape=study_shape(cb))
    assert display.columns.tolist() == [
        "Scale",
        "Item",
        "Item-rest r, Soignant·es",
        "Item-rest r, Usager·ères",
        "Item-rest r, Proches aidant·es",
        "Usager·ères − Soignant·es [95% CI]",
        "Proches aidant·es − Soignant·es [95% CI]",
    ]
    assert display["Item"].tolist() == [
        "On m'écoute",
        "On m'informe",
        "On me respecte",
        "On décide sans moi",
    ]  # noqa: E501
    figures = plot_item_differences(items, shape=study_shape(cb))
    assert list(figures) == ["item-differences"]
    assert [t.get_text() for t in figures["item-differences"].legends[0].get_texts()] == [
        "Usager·ères − Soignant·es",
        "Proches aidant·es − Soignant·es",
    ]


def test_one_role_has_nothing_to_compare():
    cb = parse_codebook(CODEBOOK)
    survey = _survey({"usager": 50}, {"usager": 0.7}, {})
    assert table_scales_by_role(survey, cb).empty
    items = table_items_by_role(survey, cb)
    assert items.empty and list(items.columns) == ITEMS_BY_ROLE_COLUMNS
    assert plot_item_differences(items) == {}


def test_a_small_role_is_hidden_and_cannot_be_derived_from_the_total():
    """Three relatives answered: their counts are hidden with their statistics; since the
    roles' complete rows add up to the reliability table's n, another role's are hidden
    too, and the audit of the released tables finds nothing to derive."""
    cb = parse_codebook(CODEBOOK)
    sizes = {"soignant": 40, "usager": 60, "proche": 3}
    survey = _survey(sizes, dict.fromkeys(sizes, 0.7), {})
    reliability = table_reliability(survey, cb)
    naive = table_scales_by_role(survey, cb)  # no disclosure control
    shown = naive.copy()
    shown.loc[shown["role"] == "proche", ["n", "n_complete"]] = pd.NA
    found = disclosure.audit_tables(
        {"scales-by-role": shown, "reliability": reliability}, threshold=5
    )
    assert not found["ok"].all()  # 103 - 40 - 60: the hidden 3 derived
    released = table_scales_by_role(survey, cb, suppress_below=5)
    small = released[released["role"] == "proche"].iloc[0]
    assert pd.isna(small["n"]) and pd.isna(small["mean"]) and pd.isna(small["alpha"])
    assert released["n_complete"].isna().sum() >= 2
    audit = disclosure.audit_tables(
        {"scales-by-role": released, "reliability": reliability}, threshold=5
    )
    assert len(audit) and audit["ok"].all()
    items = table_items_by_role(survey, cb, suppress_below=5)
    relatives = items[items["role"] == "proche"]
    assert relatives["difference"].isna().all() and relatives["item_rest"].isna().all()
    assert relatives["note"].str.contains("fewer than 5 answers").all()
    assert (items["difference"].dropna() == items["difference"].dropna().round(2)).all()
    display = format_table(items, "items-by-role", shape=study_shape(cb))
    assert not any("Proches" in c for c in display.columns)  # no column of nothing
    assert "Proches aidant·es: fewer than 5 answers" in display.attrs["note"]
