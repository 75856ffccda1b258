"""Tests of partner_study.integrate: joint displays.

Guetterman, Fetters & Creswell 2015, doi:10.1370/afm.1865.
"""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
import pytest

from partner_study import integrate as ig
from partner_study import qualitative as q
from partner_study.errors import ParamsError, StudyDataError

LEVELS = ["information", "consultation", "collaboration", "partnership"]


def _segments(mentions: dict[str, list[str]]) -> pd.DataFrame:
    """One coded segment per participant and theme (code = theme + '_code')."""
    rows = [
        (f"{pid}-{theme}", pid, theme, f"{theme}_code", f"{pid} talks about {theme}.")
        for pid, themes in mentions.items()
        for theme in themes
    ]
    frame = pd.DataFrame(rows, columns=["segment_id", "participant_id", "theme", "code", "text"])
    frame["coder"] = "A"
    return frame


def _roster(n_patients: int, n_professionals: int) -> pd.DataFrame:
    ids = [f"pat-{i:03d}" for i in range(n_patients)] + [
        f"pro-{i:03d}" for i in range(n_professionals)
    ]
    return pd.DataFrame(
        {
            "participant_id": ids,
            "pseudonym": [f"P-BE-{i:03d}" for i in range(len(ids))],
            "site": "BE",
            "role": ["patient"] * n_patients + ["professional"] * n_professionals,
        }
    )


@pytest.fixture
def planted():
    """10 patients, 10 professionals. Planted: information sharing 80% vs 30% (divergence),
    teamwork 60% vs 60% and common language 100% vs 100% (convergence)."""
    roster = _roster(10, 10)
    mentions: dict[str, list[str]] = {pid: ["common_language"] for pid in roster.participant_id}
    for i in range(8):
        mentions[f"pat-{i:03d}"].append("information_sharing")
    for i in range(3):
        mentions[f"pro-{i:03d}"].append("information_sharing")
    for i in range(6):
        mentions[f"pat-{i:03d}"].append("teamwork")
        mentions[f"pro-{i + 4:03d}"].append("teamwork")
    return _segments(mentions), roster


ROLES = ["patient", "professional"]


def _joint(segments, roster, quotes=None, **rule) -> pd.DataFrame:
    """The wide joint display, indexed by theme."""
    long = ig.joint_display_roles(segments, roster, quotes, roles=ROLES, **rule)
    return ig.table_joint_display(long, roles=ROLES).set_index("theme")


def test_joint_display_roles_planted_divergence(planted):
    segments, roster = planted
    quotes = q.select_quotes(segments, roster)
    long = ig.joint_display_roles(segments, roster, quotes, roles=ROLES)
    assert list(long.columns) == [
        "theme",
        "role",
        "n_coded",
        "n_mentioning",
        "pct_mentioning",
        "quote",
    ]
    # one row per theme x role, themes sorted, roles in declared order
    assert long[["theme", "role"]].values.tolist() == [
        [t, r] for t in ("common_language", "information_sharing", "teamwork") for r in ROLES
    ]
    info = long.set_index(["theme", "role"]).loc["information_sharing"]
    assert info["pct_mentioning"].tolist() == [80.0, 30.0]
    assert info["n_mentioning"].tolist() == [8, 3]
    assert info["n_coded"].tolist() == [10, 10]
    assert long.attrs["divergence_rule"] == {
        "threshold": 20.0,
        "min_difference": 10.0,
        "alpha": 0.05,
    }
    # quote: the first quote of the theme and role, with its pseudonym
    first = quotes.query("theme == 'information_sharing' and role == 'patient'").iloc[0]
    assert info.loc["patient", "quote"] == f"\u201c{first.quote}\u201d ({first.pseudonym})"
    assert info.loc["professional", "quote"].endswith(")")

    joint = ig.table_joint_display(long, roles=ROLES).set_index("theme")
    row = joint.loc["information_sharing"]
    assert (row.role_a, row.role_b) == ("patient", "professional")
    assert (row.pct_a, row.pct_b, row.difference_pp) == (80.0, 30.0, 50.0)
    assert row.label == "divergence"
    assert row.quote_a == info.loc["patient", "quote"]
    assert joint["label"].to_dict() == {
        "common_language": "convergence",
        "information_sharing": "divergence",
        "teamwork": "convergence",
    }


def test_fisher_p_value_matches_hypergeometric(planted):
    segments, roster = planted
    roles = _joint(segments, roster)
    # R: fisher.test(matrix(c(8, 3, 2, 7), 2))$p.value == 0.06978 (two-sided: sum of the
    # hypergeometric probabilities <= that of the observed table; 11 mentions among 20)
    prob = [comb(10, k) * comb(10, 11 - k) / comb(20, 11) for k in range(1, 11)]
    observed = comb(10, 8) * comb(10, 3) / comb(20, 11)
    expected = sum(p for p in prob if p <= observed * (1 + 1e-7))
    assert expected == pytest.approx(0.06978, abs=5e-6)
    assert roles.loc["information_sharing", "p_value"] == pytest.approx(expected, rel=1e-9)
    assert roles.loc["common_language", "p_value"] == pytest.approx(1.0)


def test_divergence_rule_test_arm():
    # 200 per role: 60% vs 45% (15 pp) -> Fisher p = 0.0036 < 0.05 and |15| >= 10
    roster = _roster(200, 200)
    mentions = {pid: ["listening"] for pid in roster.participant_id}
    for i in range(120):
        mentions[f"pat-{i:03d}"].append("power_sharing")
    for i in range(90):
        mentions[f"pro-{i:03d}"].append("power_sharing")
    segments = _segments(mentions)
    roles = _joint(segments, roster)
    assert roles.loc["power_sharing", "difference_pp"] == pytest.approx(15.0)
    assert roles.loc["power_sharing", "p_value"] < 0.01
    assert roles.loc["power_sharing", "label"] == "divergence"
    stricter = _joint(segments, roster, min_difference=20.0)
    assert stricter.loc["power_sharing", "label"] == "convergence"
    # same 15 pp in 20 per role: p = 0.52, below the 20 pp threshold -> convergence
    small = _roster(20, 20)
    mentions = {pid: ["listening"] for pid in small.participant_id}
    for i in range(10):
        mentions[f"pat-{i:03d}"].append("power_sharing")
    for i in range(7):
        mentions[f"pro-{i:03d}"].append("power_sharing")
    roles = _joint(_segments(mentions), small)
    assert roles.loc["power_sharing", "p_value"] > 0.5
    assert roles.loc["power_sharing", "label"] == "convergence"


def test_a_declared_role_nobody_coded_is_not_comparable():
    roster = _roster(0, 6)  # Norway: internal facilitators only, two roles declared
    segments = _segments({pid: ["management_support"] for pid in roster.participant_id})
    long = ig.joint_display_roles(segments, roster, roles=ROLES)
    assert long["role"].tolist() == ROLES
    assert long["n_coded"].tolist() == [0, 6] and np.isnan(long["pct_mentioning"].iloc[0])
    row = ig.table_joint_display(long, roles=ROLES).iloc[0]
    assert row.label == "not_comparable"
    assert (row.role_a, row.role_b) == ("patient", "professional")
    assert np.isnan(row.pct_a) and row.pct_b == 100.0
    assert pd.isna(row.quote_a) and np.isnan(row.p_value)


def test_rule_given_to_the_table_overrides_the_rule_kept_with_the_roles(planted):
    segments, roster = planted
    long = ig.joint_display_roles(segments, roster, roles=ROLES, threshold=60.0)
    assert (
        ig.table_joint_display(long).set_index("theme").loc["information_sharing", "label"]
        == "convergence"
    )  # 50 pp < 60 pp and p = 0.07
    again = ig.table_joint_display(long, threshold=40.0).set_index("theme")
    assert again.loc["information_sharing", "label"] == "divergence"
    # read back from CSV the rule is gone: the defaults (20 pp) apply
    bare = long.copy()
    bare.attrs = {}
    plain = ig.table_joint_display(bare)
    assert plain.set_index("theme").loc["information_sharing", "label"] == "divergence"
    with pytest.raises(ParamsError, match=r"threshold must be between 0 and 100"):
        ig.table_joint_display(long, threshold=-1)


def test_joint_display_roles_errors(planted):
    segments, roster = planted
    with pytest.raises(ParamsError, match=r"threshold must be between 0 and 100"):
        ig.joint_display_roles(segments, roster, threshold=150)
    with pytest.raises(ParamsError, match=r"alpha must be between 0 and 1"):
        ig.joint_display_roles(segments, roster, alpha=5)
    with pytest.raises(StudyDataError, match=r"participants \(data frame\).*'role'"):
        ig.joint_display_roles(segments, roster.drop(columns="role"))
    ghost = _segments({"ghost": ["teamwork"]})
    with pytest.raises(StudyDataError, match=r"column 'participant_id': found 'ghost'"):
        ig.joint_display_roles(pd.concat([segments, ghost]), roster)
    with pytest.raises(StudyDataError, match=r"quotes \(data frame\).*'quote'"):
        ig.joint_display_roles(segments, roster, pd.DataFrame({"theme": ["x"], "role": ["p"]}))
    with pytest.raises(ParamsError, match=r"roles names a role twice"):
        ig.joint_display_roles(segments, roster, roles=["patient", "patient"])
    with pytest.warns(UserWarning, match=r"role\(s\) 'professional' that the codebook does not"):
        long = ig.joint_display_roles(segments, roster, roles=["patient"])
    assert pd.unique(long["role"]).tolist() == ["patient", "professional"]


# --------------------------------------------------------------------------- survey strand


@pytest.fixture
def both_strands():
    """A-F in both strands, G survey only, H coded only (hand-countable)."""
    segments = _segments(
        {"A": ["T"], "B": ["U"], "C": ["T", "U"], "D": ["T"], "E": ["U"], "F": ["U"], "H": ["T"]}
    )
    scored = pd.DataFrame(
        {
            "participant_id": list("ABCDEFG"),
            "engagement_level": [
                "information",
                "information",
                "consultation",
                "collaboration",
                "partnership",
                None,
                "partnership",
            ],
            "engagement_level_code": [1, 1, 2, 3, 4, np.nan, 4],
            "trust": [4.0, 2.0, 5.0, np.nan, 3.0, 1.0, 5.0],
        }
    )
    return segments, scored


def test_joint_display_statistics_hand_values(both_strands):
    segments, scored = both_strands
    stats = ig.joint_display_statistics(segments, scored, scales=["trust"])
    assert list(stats.columns) == ["theme", "measure", "group", "value", "n"]
    t = stats.loc[stats["theme"] == "T"].set_index(["measure", "group"])
    # theme T mentioned by A, C, D (H is not in the survey, G not coded)
    assert t.loc[("pct_mentioning", "information"), ["value", "n"]].tolist() == [50.0, 2]
    assert t.loc[("pct_mentioning", "consultation"), "value"] == 100.0
    assert t.loc[("pct_mentioning", "collaboration"), "value"] == 100.0
    assert t.loc[("pct_mentioning", "partnership"), ["value", "n"]].tolist() == [0.0, 1]
    assert t.loc[("pct_mentioning", "all"), ["value", "n"]].tolist() == [50.0, 6]  # F counts
    # trust: mentioned A 4, C 5 (D missing) -> 4.5 (n 2); not: B 2, E 3, F 1 -> 2.0 (n 3)
    assert t.loc[("mean_trust", "mentioned"), ["value", "n"]].tolist() == [4.5, 2]
    assert t.loc[("mean_trust", "not_mentioned"), ["value", "n"]].tolist() == [2.0, 3]
    groups = stats.loc[(stats["theme"] == "T") & (stats["measure"] == "pct_mentioning"), "group"]
    assert groups.tolist() == [*LEVELS, "all"]  # level order from engagement_level_code


def test_joint_display_statistics_errors_and_warning(both_strands):
    segments, scored = both_strands
    with pytest.raises(ParamsError, match=r"'respect' not a column of the scored survey"):
        ig.joint_display_statistics(segments, scored, scales=["respect"])
    with pytest.raises(ParamsError, match=r"scales is empty"):
        ig.joint_display_statistics(segments, scored, scales=[])
    others = scored.assign(participant_id=scored["participant_id"] + "-survey")
    with pytest.warns(UserWarning, match=r"no participant is in both"):
        empty = ig.joint_display_statistics(segments, others, scales="trust")
    assert empty.empty and list(empty.columns) == ["theme", "measure", "group", "value", "n"]


def test_table_joint_display(planted):
    segments, roster = planted
    scored = roster[["participant_id"]].assign(
        engagement_level=pd.Categorical(np.tile(LEVELS, 5), categories=LEVELS, ordered=True),
        communication=np.linspace(2.0, 4.0, 20),
        trust=np.linspace(3.0, 5.0, 20),
    )
    stats = ig.joint_display_statistics(segments, scored, scales=["trust", "communication"])
    roles = ig.joint_display_roles(segments, roster, q.select_quotes(segments, roster))
    table = ig.table_joint_display(roles, roles=ROLES, statistics=stats)
    assert list(table.columns) == [
        "theme",
        "role_a",
        "role_b",
        "pct_a",
        "pct_b",
        "difference_pp",
        "p_value",
        "label",
        "quote_a",
        "quote_b",
        "pct_level_information",
        "pct_level_consultation",
        "pct_level_collaboration",
        "pct_level_partnership",
        "mean_trust_mentioned",
        "mean_trust_not_mentioned",
        "mean_communication_mentioned",
        "mean_communication_not_mentioned",
    ]
    assert table["theme"].tolist() == list(pd.unique(roles["theme"]))
    info = table.set_index("theme").loc["information_sharing"]
    assert info.label == "divergence"
    # information sharing: pat-000..007 and pro-000..002 -> trust of rows 0-7 and 10-12
    trust = np.linspace(3.0, 5.0, 20)
    assert info.mean_trust_mentioned == pytest.approx(trust[[*range(8), 10, 11, 12]].mean())
    assert info.mean_trust_not_mentioned == pytest.approx(trust[[8, 9, *range(13, 20)]].mean())
    plain = ig.table_joint_display(roles)
    assert list(plain.columns) == list(table.columns[:10])


def test_table_joint_display_errors(planted):
    segments, roster = planted
    roles = ig.joint_display_roles(segments, roster)
    with pytest.raises(StudyDataError, match=r"roles \(data frame\).*'pct_mentioning'"):
        ig.table_joint_display(roles.drop(columns="pct_mentioning"))
    with pytest.raises(ParamsError, match=r"roles names a role twice"):
        ig.table_joint_display(roles, roles=["patient", "patient"])


def test_inputs_not_mutated(planted):
    segments, roster = planted
    before = segments.copy(), roster.copy()
    ig.joint_display_roles(segments, roster)
    pd.testing.assert_frame_equal(segments, before[0])
    pd.testing.assert_frame_equal(roster, before[1])


def test_all_is_complete():
    public = {
        name
        for name, obj in vars(ig).items()
        if not name.startswith("_") and getattr(obj, "__module__", None) == ig.__name__
    }
    assert public <= set(ig.__all__)
    assert all(hasattr(ig, name) for name in ig.__all__)
