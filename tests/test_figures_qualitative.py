"""Tests of partner_study.figures.qualitative (themes by role, joint display)."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from partner_study.codebook import parse_codebook
from partner_study.errors import StudyDataError
from partner_study.figures import qualitative as fq
from partner_study.figures.style import (
    DOUBLE_COLUMN_MM,
    MM,
    OKABE_ITO,
    SINGLE_COLUMN_MM,
    role_colours,
)
from partner_study.shape import study_shape

#: Two roles declared with their labels, no theme labels (theme names made readable).
SHAPE = study_shape(
    parse_codebook(
        """
study: demo
id: pid
role:
  column: role
  levels:
    patient: {label: Patient, plural: Patients}
    professional: {label: Professional, plural: Professionals}
site: site
"""
    )
)


@pytest.fixture
def themes() -> pd.DataFrame:
    rows = [
        ("information_sharing", "patient", 24, 80.0),
        ("information_sharing", "professional", 9, 30.0),
        ("information_sharing", "all", 33, 55.0),
        ("foundations_of_partnership", "patient", 27, 90.0),
        ("foundations_of_partnership", "professional", 26, 86.7),
        ("foundations_of_partnership", "all", 53, 88.3),
        ("levels_of_partnership", "patient", 6, 20.0),
        ("levels_of_partnership", "professional", 12, 40.0),
        ("levels_of_partnership", "all", 18, 30.0),
    ]
    return pd.DataFrame(rows, columns=["theme", "role", "n_participants", "pct_participants"])


@pytest.fixture
def joint() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "theme": ["common_language", "information_sharing", "teamwork", "power_sharing"],
            "role_a": "patient",
            "role_b": "professional",
            "pct_a": [90.0, 80.0, 60.0, 35.0],
            "pct_b": [86.7, 30.0, 58.0, 60.0],
            "difference_pp": [3.3, 50.0, 2.0, -25.0],
            "ci_low": [-6.0, 28.0, -15.0, -45.0],
            "ci_high": [14.0, 66.0, 18.0, -2.0],
            "margin_pp": 20.0,
            "label": ["convergence", "divergence", "convergence", "divergence"],
            "collection_a": "focus_group",
            "collection_b": "interview",
            "mode_confounded": True,
            "quote_a": ["“…” (P-BE-01)"] * 4,
            "quote_b": ["“…” (H-BE-01)"] * 4,
        }
    )


def _ytick_text(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_yticklabels()]


def test_pretty_label():
    assert fq.pretty_label("information_sharing") == "Information sharing"
    assert fq.pretty_label("a_very_long_theme_name_about_partnership", width=20) == (
        "A very long theme\nname about\npartnership"
    )


def test_plot_themes_by_role(themes):
    fig = fq.plot_themes_by_role(themes, SHAPE)
    assert isinstance(fig, Figure)
    # one label per theme, prettified, sorted by the overall ("all") share, highest on top
    assert _ytick_text(fig) == [
        "Foundations of partnership",
        "Information sharing",
        "Levels of partnership",
    ]
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["Patients", "Professionals"]
    collections = fig.axes[0].collections
    colours = {
        c.get_label(): c.get_facecolor()[0]
        for c in collections
        if c.get_label() in ("Patients", "Professionals")
    }
    # colours by position: the first role blue, the second orange (as before roles were
    # read from the codebook)
    assert role_colours(["patient", "professional"]) == {
        "patient": "#0072B2",
        "professional": "#E69F00",
    }
    for name, hex_colour in (("Patients", OKABE_ITO[0]), ("Professionals", OKABE_ITO[1])):
        assert tuple(colours[name][:3]) == pytest.approx(
            tuple(int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        )
    assert fig.get_figwidth() == pytest.approx(SINGLE_COLUMN_MM * MM)
    assert fig.axes[0].get_title() == ""  # captions live outside the figure


def test_plot_themes_by_role_without_margin(themes):
    fig = fq.plot_themes_by_role(themes.loc[themes["role"] != "all"])
    # sorted by the mean of the roles: 88.35, 55, 30
    assert _ytick_text(fig)[0] == "Foundations of partnership"


def test_plot_themes_by_role_one_role(themes):
    # Norway: internal facilitators (professionals) only
    fig = fq.plot_themes_by_role(themes.loc[themes["role"] == "professional"], SHAPE)
    assert len(_ytick_text(fig)) == 3
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["Professionals"]


def test_plot_joint_display(joint):
    fig = fq.plot_joint_display(joint, SHAPE)
    assert isinstance(fig, Figure)
    assert fig.get_figwidth() == pytest.approx(DOUBLE_COLUMN_MM * MM)
    ax = fig.axes[0]
    # sorted by difference, patients higher at the top
    assert _ytick_text(fig) == [
        "Information sharing",
        "Common language",
        "Teamwork",
        "Power sharing",
    ]
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["Information sharing", "Power sharing"]
    # right panel: each difference with its interval, at the rows of the left panel
    right = fig.axes[1]
    assert right.get_xlabel() == "Patients minus Professionals, pp (95% CI)"
    (intervals,) = [c for c in right.collections if isinstance(c, LineCollection)]
    spans = [(s[0][0], s[1][0], s[0][1]) for s in intervals.get_segments()]
    assert spans == [(28.0, 66.0, 0.0), (-6.0, 14.0, 1.0), (-15.0, 18.0, 2.0), (-45.0, -2.0, 3.0)]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == [
        "Patients (focus groups)",  # role and mode coincide: the mode beside the role
        "Professionals (interviews)",
        "Divergence",
        "Convergence",
        "Equivalence margin (\u00b120 pp)",
    ]


def test_plot_joint_display_without_divergence(joint):
    fig = fq.plot_joint_display(
        joint.assign(label="convergence", mode_confounded=False).drop(columns="difference_pp"),
        SHAPE,
    )
    ax = fig.axes[0]
    assert not [t for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "Patients",
        "Professionals",
        "Convergence",
        "Equivalence margin (\u00b120 pp)",
    ]


def test_plot_errors(themes, joint):
    with pytest.raises(StudyDataError, match=r"themes_by_role \(data frame\).*'pct_participants'"):
        fq.plot_themes_by_role(themes.drop(columns="pct_participants"))
    with pytest.raises(StudyDataError, match=r"found no rows.*coded segments"):
        fq.plot_joint_display(joint.iloc[:0])


def test_all_is_complete():
    public = {
        name
        for name, obj in vars(fq).items()
        if not name.startswith("_") and getattr(obj, "__module__", None) == fq.__name__
    }
    assert public <= set(fq.__all__)


def test_no_figure_when_disclosure_control_hides_every_share(themes):
    """A study too small for any share to be shown (2 participants coded): no figure, no
    error; the notebook and the report say why."""
    from partner_study import report

    hidden = themes.assign(pct_participants=float("nan"))
    assert fq.plot_themes_by_role(hidden, SHAPE) is None
    joint = pd.DataFrame(
        {"theme": ["a", "b"], "role_a": "x", "pct_a": float("nan"), "label": "suppressed"}
    )
    assert fq.plot_joint_display(joint, SHAPE) is None
    shares = pd.DataFrame({"theme": ["a"], "role": ["x"], "pct_mentioning": [float("nan")]})
    sentences = report.not_applicable(SHAPE, {"joint-display-roles": shares}, suppress_below=5)
    assert any(s.startswith("Figures of themes by role") and "fewer than 5" in s for s in sentences)
