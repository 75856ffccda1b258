"""Tests of partner_study.integrate: joint displays.

Guetterman, Fetters & Creswell 2015, doi:10.1370/afm.1865.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from partner_study import integrate as ig
from partner_study import qualitative as q
from partner_study.codebook import parse_codebook
from partner_study.designs.focus_groups import (
    BELGIAN_THEMES,
    draw_mentions,
    simulate_focus_group_study,
)
from partner_study.errors import ParamsError, StudyDataError
from partner_study.shape import study_shape
from partner_study.tables import format_table

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
SHAPE = study_shape(
    parse_codebook(
        "study: demo\nid: participant_id\nrole:\n  column: role\n  levels:\n"
        "    patient: {label: Patient, plural: Patients}\n"
        "    professional: {label: Professional, plural: Professionals}\nsite: site\n"
    )
)


def test_joint_display_roles_planted_divergence(planted):
    segments, roster = planted
    quotes = q.select_quotes(segments, roster)
    long = ig.joint_display_roles(segments, roster, quotes, roles=ROLES)
    assert list(long.columns) == [
        "theme",
        "role",
        "collection",
        "n_coded",
        "n_units",
        "n_mentioning",
        "pct_mentioning",
        "ci_low",
        "ci_high",
        "stance",
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
    assert info["n_units"].tolist() == [10, 10]  # no focus group: each participant a unit
    assert long["collection"].isna().all() and long["stance"].isna().all()
    # independent participants: the Wilson score interval (Wilson 1927) of 8/10, by hand
    # with z = 1.959964: z^2/n = 0.3841459, centre (0.8 + 0.1920729) / 1.3841459 =
    # 0.7167402, half 1.959964 * sqrt(0.016 + 0.0096036) / 1.3841459 = 0.2265777
    assert info.loc["patient", ["ci_low", "ci_high"]].tolist() == pytest.approx(
        [49.01625, 94.33178], abs=1e-4
    )
    # quote: the first quote of the theme and role, with its pseudonym
    first = quotes.query("theme == 'information_sharing' and role == 'patient'").iloc[0]
    assert info.loc["patient", "quote"] == f"\u201c{first.quote}\u201d ({first.pseudonym})"
    assert info.loc["professional", "quote"].endswith(")")

    joint = ig.table_joint_display(long, roles=ROLES).set_index("theme")
    row = joint.loc["information_sharing"]
    assert (row.role_a, row.role_b) == ("patient", "professional")
    assert (row.pct_a, row.pct_b, row.difference_pp) == (80.0, 30.0, 50.0)
    assert row.label == "divergence" and row.quote_a == info.loc["patient", "quote"]
    assert row.margin_pp == 20.0 and not row.mode_confounded
    # 10 participants a role: 60% vs 60% and 100% vs 100% are compatible with no
    # difference and with one beyond 20 points: inconclusive, not "convergence"
    assert joint["label"].to_dict() == {
        "common_language": "inconclusive",
        "information_sharing": "divergence",
        "teamwork": "inconclusive",
    }
    # and so is the meta-inference: without stances, no confirmation from an open interval
    assert joint["meta_inference"].to_dict() == {
        "common_language": "inconclusive",
        "information_sharing": "expansion",
        "teamwork": "inconclusive",
    }


def test_difference_interval_matches_newcombe():
    # Newcombe (1998), Stat Med 17:873-890, Table II, method 10 (hybrid score):
    # (a) 56/70 - 48/80: 0.0524 to 0.3339; (b) 9/10 - 3/10: 0.1705 to 0.8090;
    # (d) 5/56 - 0/29: -0.0381 to 0.1926
    cases = [((56, 70, 48, 80), (5.24, 33.39)), ((9, 10, 3, 10), (17.05, 80.90))]
    cases += [((5, 56, 0, 29), (-3.81, 19.26))]
    for (xa, na, xb, nb), expected in cases:
        a = ig.share_interval(np.array([[1] * xa + [0] * (na - xa)]), np.ones(na))
        b = ig.share_interval(np.array([[1] * xb + [0] * (nb - xb)]), np.ones(nb))
        _, low, high = ig.difference_interval(*a, *b)
        assert [low[0], high[0]] == pytest.approx(expected, abs=0.006)
    # Fagerland, Lydersen & Laake (2015), Stat Methods Med Res 24:224-254: 7/34 - 1/34,
    # Newcombe hybrid score 0.019 to 0.34
    a = ig.share_interval(np.array([[1] * 7 + [0] * 27]), np.ones(34))
    b = ig.share_interval(np.array([[1] + [0] * 33]), np.ones(34))
    assert [v[0] for v in ig.difference_interval(*a, *b)[1:]] == pytest.approx(
        [1.9, 34.0], abs=0.06
    )


def test_share_interval_of_focus_groups_by_hand():
    # Three focus groups of two; 2, 0 and 1 members raise the theme: n = 6, p = 0.5.
    # CR2 variance: residuals y_g - m_g p = 1, -1, 0, leverage 1 - 2/6 = 2/3:
    #   V = (1 + 1 + 0) / (2/3) / 36 = 1/12; simple random sampling: 0.25 / 5 = 1/20;
    #   design effect 5/3, effective size 6 / (5/3) = 3.6.
    # Wilson on 3.6 with t(0.975, 3 - 1 = 2) = 4.302653 (R: qt(0.975, 2)):
    #   z2 = 4.302653^2 / 3.6 = 5.142366; centre 0.5;
    #   half = 4.302653 * sqrt(0.25 / 3.6 + 5.142366 / 14.4) / 6.142366 = 0.457493
    share, low, high = ig.share_interval(np.array([[2, 0, 1]]), np.array([2, 2, 2]))
    assert share[0] == 50.0
    assert [low[0], high[0]] == pytest.approx([4.2507, 95.7493], abs=1e-3)
    # the same counts from six independent participants: the plain Wilson interval, by
    # hand: z^2/n = 0.6402432, centre 0.5, half 1.959964 * sqrt(0.25/6 + 0.6402432/24)
    # / 1.6402432 = 0.3123837
    plain = ig.share_interval(np.array([[1, 1, 0, 0, 1, 0]]), np.ones(6))
    assert [plain[1][0], plain[2][0]] == pytest.approx([18.76163, 81.23837], abs=1e-4)
    # a single focus group has no between-group variation to measure: no interval
    one = ig.share_interval(np.array([[3]]), np.array([5]))
    assert one[0][0] == 60.0 and np.isnan(one[1][0]) and np.isnan(one[2][0])


def test_labels_follow_from_the_interval():
    low = np.array([0.5, -19.0, -19.0, -25.0, np.nan])
    high = np.array([30.0, 19.0, -0.1, 15.0, np.nan])
    assert ig.label_difference(low, high, margin=20).tolist() == [
        "divergence",
        "convergence",
        "divergence",
        "inconclusive",
        None,
    ]
    assert ig.label_difference(low, high, margin=10).tolist()[1] == "inconclusive"
    with pytest.raises(ParamsError, match=r"margin must be a number of percentage points"):
        ig.label_difference(low, high, margin=-1)


def _focus_group_study():
    """Six patients in two focus groups of three (the second group's third member says
    nothing that is coded), four professionals interviewed."""
    roster = _roster(6, 4).assign(
        collection=["focus_group"] * 6 + ["interview"] * 4,
        group_id=["FG-1"] * 3 + ["FG-2"] * 3 + [""] * 4,
    )
    mentions = {
        "pat-000": ["teamwork"],
        "pat-001": ["teamwork"],
        "pat-002": ["teamwork", "listening"],
        "pat-003": ["listening"],
        "pat-004": ["listening"],
        # pat-005: silent member of FG-2
        "pro-000": ["teamwork"],
        "pro-001": ["listening"],
        "pro-002": ["listening"],
        "pro-003": ["listening"],
    }
    return _segments(mentions), roster


def test_silent_members_count_and_focus_groups_are_units():
    segments, roster = _focus_group_study()
    long = ig.joint_display_roles(segments, roster, roles=ROLES)
    rows = long.set_index(["theme", "role"])
    # 3 of 6 patients raise listening: the silent member is in the denominator
    assert rows.loc[("listening", "patient"), ["n_mentioning", "n_coded"]].tolist() == [3, 6]
    assert rows.loc[("listening", "patient"), "pct_mentioning"] == 50.0
    assert rows.loc[("listening", "patient"), "n_units"] == 2  # two focus groups
    assert rows.loc[("listening", "professional"), "n_units"] == 4
    assert rows.xs("patient", level="role")["collection"].unique().tolist() == ["focus_group"]
    assert rows.xs("professional", level="role")["collection"].unique().tolist() == ["interview"]
    # groups of 3 and 3 with 1 and 2 members raising listening: CR2 variance
    # (0.5^2 + 0.5^2) / (1 - 3/6) / 36 = 1/36 against 0.25 / 5: design effect 1 (at least
    # 1), Wilson on 6 with t(0.975, 1) = 12.7062
    t1 = 12.706205
    z2 = t1**2 / 6
    half = t1 * np.sqrt(0.25 / 6 + z2 / 24) / (1 + z2)
    assert rows.loc[("listening", "patient"), ["ci_low", "ci_high"]].tolist() == pytest.approx(
        [100 * (0.5 - half), 100 * (0.5 + half)], abs=1e-6
    )


def test_mode_beside_the_role_when_they_coincide():
    segments, roster = _focus_group_study()
    long = ig.joint_display_roles(segments, roster, roles=ROLES)
    joint = ig.table_joint_display(long, roles=ROLES)
    assert joint["mode_confounded"].all()
    assert set(joint["collection_a"]) == {"focus_group"}
    assert set(joint["collection_b"]) == {"interview"}
    display = format_table(joint, "joint-display", shape=SHAPE)
    assert "Patients (focus groups), %" in display.columns
    assert "Professionals (interviews), %" in display.columns
    assert display["Finding"].str.endswith("\u2020").all()
    note = display.attrs["note"]
    assert "Patients took part in focus groups and Professionals in interviews" in note
    assert "cannot be separated from the mode of data collection" in note
    # one professional also met in a focus group: the modes no longer coincide
    mixed = roster.assign(
        collection=roster["collection"].where(roster["participant_id"] != "pro-000", "focus_group"),
        group_id=roster["group_id"].where(roster["participant_id"] != "pro-000", "FG-3"),
    )
    long = ig.joint_display_roles(segments, mixed, roles=ROLES)
    joint = ig.table_joint_display(long, roles=ROLES)
    assert not joint["mode_confounded"].any() and set(joint["collection_b"]) == {"mixed"}
    display = format_table(joint, "joint-display", shape=SHAPE)
    assert "Professionals, %" in display.columns
    assert "mode of data collection" not in display.attrs["note"]


def test_stance_and_meta_inference():
    segments, roster = _focus_group_study()
    valence = {
        ("pat-000", "teamwork"): "positive",
        ("pat-001", "teamwork"): "Positive",
        ("pat-002", "teamwork"): "positive",
        ("pro-000", "teamwork"): "negative",
        ("pat-002", "listening"): "positive",
        ("pat-003", "listening"): "negative",
        ("pat-004", "listening"): "mixed",
        ("pro-001", "listening"): "positive",
        ("pro-002", "listening"): "positive",
    }
    keys = zip(segments["participant_id"], segments["theme"], strict=True)
    coded = segments.assign(valence=[valence.get(k, "") for k in keys])
    long = ig.joint_display_roles(coded, roster, roles=ROLES)
    stance = long.set_index(["theme", "role"])["stance"]
    # teamwork: all patients positive, the professional negative; listening: patients
    # positive, negative and mixed (no majority: mixed), professionals 2 of 2 positive
    assert stance.to_dict() == {
        ("listening", "patient"): "mixed",
        ("listening", "professional"): "positive",
        ("teamwork", "patient"): "positive",
        ("teamwork", "professional"): "negative",
    }
    joint = ig.table_joint_display(long, roles=ROLES).set_index("theme")
    assert joint["meta_inference"].to_dict() == {
        "listening": "expansion",  # one role adds a facet (mixed against positive)
        "teamwork": "discordance",  # opposite stances
    }
    bad = coded.assign(valence=coded["valence"].replace("mixed", "ambivalent"))
    with pytest.raises(StudyDataError, match=r"row 7, column 'valence': found 'ambivalent'"):
        ig.joint_display_roles(bad, roster, roles=ROLES)


def test_meta_inference_rules():
    yes, no = np.ones(5, bool), np.zeros(5, bool)
    out = ig.meta_inference(
        yes,
        np.array([False, True, True, True, True]),
        np.array([None, None, "positive", "negative", "positive"], dtype=object),
        np.array([None, None, "positive", "positive", "neutral"], dtype=object),
        np.array([False, True, False, False, False]),
        yes,
    )
    assert out.tolist() == ["silence", "expansion", "confirmation", "discordance", "expansion"]
    assert ig.meta_inference(yes, yes, out, out, no, no).tolist() == [None] * 5
    # both raise it, no stance coded: a confirmation only when the interval shows convergence
    blank = np.full(5, None, dtype=object)
    shown = ig.meta_inference(yes, yes, blank, blank, no, yes, convergent=yes)
    assert shown.tolist() == ["confirmation"] * 5
    unclear = ig.meta_inference(yes, yes, blank, blank, no, yes, convergent=no)
    assert unclear.tolist() == ["inconclusive"] * 5
    # stances coded and alike confirm whatever the interval says
    alike = np.array(["positive"] * 5, dtype=object)
    assert set(ig.meta_inference(yes, yes, alike, alike, no, yes, convergent=no)) == {
        "confirmation"
    }


def test_null_simulation_rarely_calls_chance_a_divergence():
    """Seeded simulation with known truth (no difference): 30 members in 6 focus groups
    of 5 against 30 interviewed, 4000 comparisons, shares 0.5 and 0.2, members alike
    (ICC 0.3; beta-binomial group propensities, partner_study.designs.focus_groups)."""
    rng = np.random.default_rng(20240915)
    group = np.r_[np.repeat(np.arange(6), 5), np.full(30, -1)]
    for p in (0.5, 0.2):
        prevalence = np.full((60, 4000), p)
        raised = draw_mentions(rng, prevalence, group, icc=0.3).T.astype(int)
        a = ig.share_interval(raised[:, :30].reshape(4000, 6, 5).sum(axis=2), np.full(6, 5))
        b = ig.share_interval(raised[:, 30:], np.ones(30))
        _, low, high = ig.difference_interval(*a, *b)
        false = np.mean((low > 0) | (high < 0))
        assert false <= 0.05, (p, false)  # 0.032 and 0.025 with this seed
        # the same members treated as independent: chance called a divergence too often
        c = ig.share_interval(raised[:, :30], np.ones(30))
        _, low, high = ig.difference_interval(*c, *b)
        assert np.mean((low > 0) | (high < 0)) > 0.08  # 0.126 and 0.112


def test_belgian_design_finds_the_gap_and_not_the_equal_themes():
    # true equal view on three themes, 0.8 vs 0.3 on information sharing (DESIGN §1);
    # members of a focus group alike (ICC 0.3); seed fixed
    for icc in (0.0, 0.3):
        sim = simulate_focus_group_study(BELGIAN_THEMES, icc=icc, seed=1)
        segments = sim.segments.assign(theme=sim.segments["code"])
        long = ig.joint_display_roles(segments, sim.participants, roles=ROLES)
        joint = ig.table_joint_display(long, roles=ROLES).set_index("theme")
        assert joint.loc["information_sharing", "label"] == "divergence"
        equal = ["common_language", "listening_skills", "teamwork"]
        assert not joint.loc[equal, "label"].eq("divergence").any()
        assert joint.loc[equal + ["information_sharing"], "mode_confounded"].all()


def test_a_declared_role_nobody_coded_is_not_comparable():
    roster = _roster(0, 6)  # Norway: internal facilitators only, two roles declared
    segments = _segments({pid: ["management_support"] for pid in roster.participant_id})
    long = ig.joint_display_roles(segments, roster, roles=ROLES)
    assert long["role"].tolist() == ROLES
    assert long["n_coded"].tolist() == [0, 6] and np.isnan(long["pct_mentioning"].iloc[0])
    assert long["n_units"].tolist() == [0, 6]
    row = ig.table_joint_display(long, roles=ROLES).iloc[0]
    assert row.label == "not_comparable"
    assert (row.role_a, row.role_b) == ("patient", "professional")
    assert np.isnan(row.pct_a) and row.pct_b == 100.0
    assert pd.isna(row.quote_a) and np.isnan(row.ci_low) and pd.isna(row.meta_inference)


def test_joint_display_roles_errors(planted):
    segments, roster = planted
    with pytest.raises(ParamsError, match=r"margin must be a number of percentage points"):
        ig.table_joint_display(ig.joint_display_roles(segments, roster), margin=150)
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
        "collection_a",
        "collection_b",
        "pct_a",
        "pct_b",
        "difference_pp",
        "ci_low",
        "ci_high",
        "margin_pp",
        "label",
        "mode_confounded",
        "stance_a",
        "stance_b",
        "meta_inference",
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
    assert list(plain.columns) == list(table.columns[:18])


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
