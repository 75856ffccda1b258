"""The joint display and the qualitative figures for any study shape.

Roles are whatever the codebook declares (any number from one, any names, any language):
the tidy tables carry the role as a value, the wide joint display names the two roles it
compares in ``role_a``/``role_b``, and every heading, note, legend and label a reader sees
is the codebook's, verbatim.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.text
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from partner_study import integrate as ig
from partner_study import qualitative as q
from partner_study.codebook import parse_codebook
from partner_study.figures import qualitative as fq
from partner_study.figures.style import OKABE_ITO, ROLE_COLOURS, role_colours, role_markers
from partner_study.shape import study_shape
from partner_study.tables import format_table, to_markdown

SRC = Path(__file__).resolve().parents[1] / "src" / "partner_study"


def _shape(roles: str, themes: str = ""):
    text = f"study: demo\nid: participant_id\nrole:\n  column: role\n  levels:\n{roles}site: site\n"
    if themes:
        text += f"themes:\n{themes}"
    return study_shape(parse_codebook(text))


STAFF = _shape(
    "    staff: {label: Staff member, plural: Staff members}\n"
    "    resident: {label: Resident, plural: Residents}\n",
    "  information_sharing: Sharing what matters, how and with whom\n"
    "  common_language: Common language\n",
)
FRENCH = _shape(
    "    patient: {label: Patient·e, plural: Patient·es}\n"
    "    professionnel: {label: Professionnel·le, plural: Professionnel·les}\n",
    "  information_sharing: Partage de l'information\n  common_language: Langage commun\n",
)
ONE = _shape("    facilitator: {label: Internal facilitator, plural: Internal facilitators}\n")
THREE = _shape(
    "    patient: {label: Patient, plural: Patients}\n"
    "    professional: {label: Professional, plural: Professionals}\n"
    "    carer: {label: Carer, plural: Carers}\n"
)


def _study(shares: dict[str, dict[str, int]], sizes: dict[str, int]):
    """Segments and roster: ``sizes[role]`` participants of each role, the first
    ``shares[theme][role]`` of them mention the theme; everyone has a coded segment."""
    ids = {r: [f"{r}-{i:03d}" for i in range(n)] for r, n in sizes.items()}
    roster = pd.DataFrame(
        {
            "participant_id": [p for r in sizes for p in ids[r]],
            "role": [r for r in sizes for _ in ids[r]],
            "site": "s1",
        }
    )
    roster["pseudonym"] = [f"P-{i:03d}" for i in range(len(roster))]
    rows = [(p, "background", "background_code") for r in sizes for p in ids[r]]
    for theme, by_role in shares.items():
        rows += [(p, theme, f"{theme}_code") for r, k in by_role.items() for p in ids[r][:k]]
    segments = pd.DataFrame(rows, columns=["participant_id", "theme", "code"])
    segments["segment_id"] = [f"s{i}" for i in range(len(segments))]
    segments["coder"] = "A"
    segments["text"] = "We talked about " + segments["theme"] + " at length, every week."
    return segments, roster


def _joint(segments, roster, shape, **kwargs):
    quotes = q.select_quotes(segments, roster, roles=shape.role_names)
    long = ig.joint_display_roles(segments, roster, quotes, roles=shape.role_names, **kwargs)
    return long, ig.table_joint_display(long, roles=shape.role_names)


def _figure_text(fig) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


def _legend(fig) -> list[str]:
    """The figure's legend: above the axes, or above both panels of a joint display."""
    legend = fig.axes[0].get_legend() or fig.legends[0]
    return [t.get_text() for t in legend.get_texts()]


JOINT_COLUMNS = [
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
]
#: The markers of the difference panel after the roles, and the margin's band.
MARKS = ["Divergence", "Inconclusive", "Equivalence margin (\u00b120 pp)"]


# ------------------------------------------------------------------------- two roles


@pytest.fixture
def staff_study():
    """10 staff, 10 residents: information sharing 80% vs 30%, common language 60/60."""
    return _study(
        {
            "information_sharing": {"staff": 8, "resident": 3},
            "common_language": {"staff": 6, "resident": 6},
        },
        {"staff": 10, "resident": 10},
    )


def test_roles_named_staff_and_resident_are_compared(staff_study):
    segments, roster = staff_study
    long, joint = _joint(segments, roster, STAFF)
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
    assert pd.unique(long["role"]).tolist() == ["staff", "resident"]  # declared order
    assert list(joint.columns) == JOINT_COLUMNS
    row = joint.set_index("theme").loc["information_sharing"]
    # before: the roles were reindexed to patient/professional, so every theme was
    # not_comparable with NaN percentages; now the real shares are compared
    assert (row.role_a, row.role_b) == ("staff", "resident")
    assert (row.pct_a, row.pct_b, row.difference_pp) == (80.0, 30.0, 50.0)
    # Newcombe's interval of 8/10 - 3/10: 6.6 to 74.0 points, so divergence
    assert row.label == "divergence" and 6 < row.ci_low < 7 and 73 < row.ci_high < 75
    assert row.quote_a.startswith("\u201c") and row.quote_b.startswith("\u201c")
    assert not joint["label"].eq("not_comparable").any()
    assert joint["pct_a"].notna().all() and joint["pct_b"].notna().all()
    # no column is named after a role
    assert not [c for c in joint.columns if re.search("staff|resident", c)]
    assert not [c for c in long.columns if re.search("staff|resident", c)]


def test_staff_display_headers_and_note_from_the_shape(staff_study):
    segments, roster = staff_study
    _, joint = _joint(segments, roster, STAFF)
    display = format_table(joint, "joint-display", shape=STAFF)
    assert list(display.columns) == [
        "Theme",
        "Staff members, %",
        "Residents, %",
        "Difference, pp [95% CI]",
        "Finding",
        "Meta-inference",
        "Quote (Staff member)",
        "Quote (Resident)",
    ]
    note = display.attrs["note"]
    assert "difference in percentage points (pp), Staff members minus Residents" in note
    assert "convergence: the CI lies within plus or minus 20 pp" in note
    info = display.set_index("Theme").loc["Sharing what matters, how and with whom"]
    shown = ["Staff members, %", "Residents, %", "Difference, pp [95% CI]", "Finding"]
    assert info[shown].tolist() == ["80.0", "30.0", "+50.0 [6.6, 74.0]", "Divergence"]
    assert info["Meta-inference"] == "Expansion"
    assert "Staff members, %" in to_markdown(display)


def test_french_labels_verbatim_in_tables_and_figures():
    segments, roster = _study(
        {
            "information_sharing": {"patient": 9, "professionnel": 2},
            "common_language": {"patient": 5, "professionnel": 5},
        },
        {"patient": 10, "professionnel": 8},
    )
    long, joint = _joint(segments, roster, FRENCH)
    display = format_table(joint, "joint-display", shape=FRENCH)
    assert {"Patient·es, %", "Professionnel·les, %", "Quote (Professionnel·le)"} <= set(
        display.columns
    )
    assert "Patient·es minus Professionnel·les" in display.attrs["note"]
    assert "Partage de l'information" in display["Theme"].tolist()
    quotes = q.select_quotes(segments, roster, roles=FRENCH.role_names)
    shown = format_table(quotes, "quotes", shape=FRENCH)
    assert set(shown["Role"]) == {"Patient·e", "Professionnel·le"}

    themes = q.themes_by_role(segments, roster, roles=FRENCH.role_names)
    for fig in (
        fq.plot_themes_by_role(themes, FRENCH),
        fq.plot_joint_display(joint, FRENCH, shares=long),
    ):
        text = _figure_text(fig)
        for label in ("Patient·es", "Professionnel·les", "Partage de l'information"):
            assert label in text, label
        assert _legend(fig)[:2] == ["Patient·es", "Professionnel·les"]


# ---------------------------------------------------------------------------- one role


@pytest.fixture
def one_role():
    return _study(
        {"management_support": {"facilitator": 5}, "network": {"facilitator": 2}},
        {"facilitator": 6},
    )


def test_one_role_study_has_shares_and_no_comparison(one_role):
    segments, roster = one_role
    long, joint = _joint(segments, roster, ONE)
    assert list(joint.columns) == JOINT_COLUMNS  # stable: the _b columns are empty
    assert set(joint["label"]) == {"not_applicable"}
    assert (joint["role_a"] == "facilitator").all() and joint["role_b"].isna().all()
    assert joint[["pct_b", "difference_pp", "ci_low", "ci_high"]].isna().all().all()
    assert joint["meta_inference"].isna().all() and not joint["mode_confounded"].any()
    shares = joint.set_index("theme")["pct_a"]
    assert shares["management_support"] == pytest.approx(500 / 6)
    display = format_table(joint, "joint-display", shape=ONE)
    assert list(display.columns) == ["Theme", "Internal facilitators, %", "Quote"]
    assert "one role, so no roles are compared" in display.attrs["note"]
    assert "Internal facilitators" in display.attrs["note"]


def test_one_role_figures_draw_that_role(one_role):
    segments, roster = one_role
    long, joint = _joint(segments, roster, ONE)
    fig = fq.plot_joint_display(joint, ONE, shares=long)
    ax = fig.axes[0]
    assert _legend(fig) == ["Internal facilitators"]
    assert not [t for t in ax.texts if t.get_gid() == "divergence-label"]
    assert ax.get_xlim() == (0.0, 100.0)  # no room kept for differences
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[0] == "Background"  # highest share on top: 100%, then 83%, 33%
    assert len(ax.collections) == 1  # one role, no connecting lines
    themes = q.themes_by_role(segments, roster, roles=ONE.role_names)
    assert _legend(fq.plot_themes_by_role(themes, ONE)) == ["Internal facilitators"]


# -------------------------------------------------------------------------- three roles


@pytest.fixture
def three_roles():
    """Information sharing: patients 90%, professionals 20%, carers 50%; teamwork:
    patients 50%, professionals 50%, carers 10%; common language: 40% everywhere."""
    return _study(
        {
            "information_sharing": {"patient": 9, "professional": 2, "carer": 5},
            "teamwork": {"patient": 5, "professional": 5, "carer": 1},
            "common_language": {"patient": 4, "professional": 4, "carer": 4},
        },
        {"patient": 10, "professional": 10, "carer": 10},
    )


def test_three_roles_compare_the_most_different_pair(three_roles):
    segments, roster = three_roles
    long, joint = _joint(segments, roster, THREE)
    assert len(long) == 4 * 3 and pd.unique(long["role"]).tolist() == list(THREE.role_names)
    rows = joint.set_index("theme")
    info, team, common = (
        rows.loc["information_sharing"],
        rows.loc["teamwork"],
        rows.loc["common_language"],
    )
    assert (info.role_a, info.role_b, info.difference_pp) == ("patient", "professional", 70.0)
    # teamwork: carers differ most; patients come first (declared order, first maximum)
    assert (team.role_a, team.role_b, team.pct_a, team.pct_b) == ("patient", "carer", 50.0, 10.0)
    # 5/10 - 1/10: Newcombe's interval -0.2 to 67.6 points holds 0, and more than 20
    assert team.label == "inconclusive" and info.label == "divergence"
    # all equal: the first two declared roles; 4/10 each cannot show agreement within 20
    assert (common.role_a, common.role_b, common.label) == (
        "patient",
        "professional",
        "inconclusive",
    )


def test_three_roles_display_names_every_role(three_roles):
    segments, roster = three_roles
    _, joint = _joint(segments, roster, THREE)
    display = format_table(joint, "joint-display", shape=THREE)
    assert list(display.columns)[:3] == ["Theme", "Roles compared", "First role, %"]
    compared = display.set_index("Theme")["Roles compared"]
    assert compared["Teamwork"] == "Patients vs Carers"
    assert compared["Information sharing"] == "Patients vs Professionals"
    note = display.attrs["note"]
    assert "Patients, Professionals and Carers" in note
    assert "first minus second" in note


def test_three_roles_figures(three_roles):
    segments, roster = three_roles
    long, joint = _joint(segments, roster, THREE)
    fig = fq.plot_joint_display(joint, THREE, shares=long)
    assert _legend(fig) == ["Patients", "Professionals", "Carers", *MARKS]
    ax = fig.axes[0]
    colours = {
        c.get_label(): to_hex(c.get_facecolor()[0]).upper()
        for c in ax.collections
        if c.get_label() in ("Patients", "Professionals", "Carers")
    }
    assert colours == {"Patients": "#0072B2", "Professionals": "#E69F00", "Carers": "#009E73"}
    # pairs change from theme to theme: the right panel says first minus second compared
    assert fig.axes[1].get_xlabel() == "First minus second role compared, pp (95% CI)"
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["Information sharing"]
    themes = q.themes_by_role(segments, roster, roles=THREE.role_names)
    assert _legend(fq.plot_themes_by_role(themes, THREE)) == ["Patients", "Professionals", "Carers"]


# ------------------------------------------------------- a declared role nobody coded


def test_declared_role_without_coded_participant(three_roles):
    segments, roster = three_roles
    carers = roster.loc[roster["role"] == "carer", "participant_id"]
    segments = segments.loc[~segments["participant_id"].isin(carers)]
    roster = roster.loc[roster["role"] != "carer"]
    long, joint = _joint(segments, roster, THREE)
    carer = long.loc[long["role"] == "carer"]
    assert len(carer) == 4 and (carer["n_coded"] == 0).all()
    assert carer["pct_mentioning"].isna().all() and carer["quote"].isna().all()
    # the two coded roles are compared
    assert set(zip(joint["role_a"], joint["role_b"], strict=True)) == {("patient", "professional")}
    assert not joint["label"].eq("not_comparable").any()
    display = format_table(joint, "joint-display", shape=THREE)
    assert "Patients, %" in display.columns and "Professionals, %" in display.columns
    # figures: no empty legend entry for the role nobody coded
    themes = q.themes_by_role(segments, roster, roles=THREE.role_names)
    carer = themes.loc[themes["role"] == "carer"]
    assert (carer["n_participants"] == 0).all() and carer["pct_participants"].isna().all()
    assert themes["role"].iloc[:4].tolist() == ["patient", "professional", "carer", "all"]
    assert _legend(fq.plot_themes_by_role(themes, THREE)) == ["Patients", "Professionals"]
    fig = fq.plot_joint_display(joint, THREE, shares=long)
    assert _legend(fig) == ["Patients", "Professionals", *MARKS]


def test_two_declared_roles_one_coded_is_not_comparable(staff_study):
    segments, roster = staff_study
    residents = roster.loc[roster["role"] == "resident", "participant_id"]
    segments = segments.loc[~segments["participant_id"].isin(residents)]
    long, joint = _joint(segments, roster, STAFF)
    assert set(joint["label"]) == {"not_comparable"}
    assert joint["pct_a"].notna().all() and joint["pct_b"].isna().all()
    display = format_table(joint, "joint-display", shape=STAFF)
    assert set(display["Finding"]) == {"Not comparable"}
    assert "fewer than two roles have coded participants" in display.attrs["note"]
    fig = fq.plot_joint_display(joint, STAFF, shares=long)
    assert _legend(fig) == ["Staff members"]


# ------------------------------------------------------------------- labels and style


def test_long_theme_labels_are_wrapped_not_cut(staff_study):
    segments, roster = staff_study
    long_label = (
        "Sharing information about treatment, appointments and results between everyone "
        "involved in the care pathway"
    )
    shape = _shape(
        "    staff: {label: Staff member, plural: Staff members of the outpatient clinic}\n"
        "    resident: {label: Resident, plural: Residents of the long-term care home}\n",
        f"  information_sharing: {long_label}\n",
    )
    long, joint = _joint(segments, roster, shape)
    themes = q.themes_by_role(segments, roster, roles=shape.role_names)
    for fig in (
        fq.plot_themes_by_role(themes, shape),
        fq.plot_joint_display(joint, shape, shares=long),
    ):
        ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        wrapped = next(t for t in ticks if t.startswith("Sharing"))
        assert "\n" in wrapped and wrapped.replace("\n", " ") == long_label
        legend = [t.replace("\n", " ") for t in _legend(fig)]
        assert legend[:2] == [
            "Staff members of the outpatient clinic",
            "Residents of the long-term care home",
        ]


def test_colours_and_markers_go_by_declared_position():
    assert role_colours(["b", "a", "c"]) == {
        "b": OKABE_ITO[0],
        "a": OKABE_ITO[1],
        "c": OKABE_ITO[2],
    }
    assert list(role_markers(["x", "y"]).values()) == ["o", "D"]
    assert len(role_colours([f"r{i}" for i in range(10)])) == 10  # cycles, never fails
    assert dict(ROLE_COLOURS) == {}  # no colour is tied to a role's name


@pytest.mark.parametrize(
    "module",
    [
        *(f"integrate/{p.name}" for p in sorted((SRC / "integrate").glob("*.py"))),
        "figures/qualitative.py",
        "figures/style.py",
        "tables/joint_display.py",
        "tables/quotes.py",
    ],
)
def test_no_role_of_the_example_is_named(module):
    text = (SRC / module).read_text(encoding="utf-8").lower()
    assert "patient" not in text and "professional" not in text


def test_labels_of_the_display_without_shape(staff_study):
    segments, roster = staff_study
    _, joint = _joint(segments, roster, STAFF)
    display = format_table(joint, "joint-display")
    # stored names, made readable: nothing invented
    assert "Staff, %" in display.columns and "Resident, %" in display.columns
    assert np.all(display["Theme"].str.len() > 0)
