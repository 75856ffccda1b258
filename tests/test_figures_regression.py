"""Tests of partner_study.figures.regression: returned figures, their parts, no saving."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from numpy.testing import assert_allclose

import partner_study.figures.regression as regression
from partner_study.errors import ParamsError, StudyDataError
from partner_study.figures.regression import plot_engagement_vs, plot_forest, pretty_name
from partner_study.figures.style import DOUBLE_COLUMN_MM, MM, SINGLE_COLUMN_MM
from partner_study.models import REGRESSION_COLUMNS

OUTCOMES = ["communication", "listening", "information_sharing"]


def _rows(model: str, outcome: str, terms: list[str], estimates: list[float]) -> pd.DataFrame:
    k = len(terms)
    est = np.asarray(estimates, dtype=float)
    return pd.DataFrame(
        {
            "model": model,
            "dependent": "engagement",
            "term": terms,
            "estimate": est,
            "std_error": 0.05,
            "ci_low": est - 0.1,
            "ci_high": est + 0.1,
            "p_value": 0.01,
            "p_adjusted": np.nan,
            "n": pd.array([120] * k, dtype="Int64"),
            "n_groups": pd.array([4] * k, dtype="Int64"),
            "cov_type": "HC3",
            "outcome": outcome,
            "n_dropped": pd.array([0] * k, dtype="Int64"),
            "converged": True,
            "note": "",
        },
        columns=list(REGRESSION_COLUMNS),
    )


@pytest.fixture
def regression_frame() -> pd.DataFrame:
    """A hand-made tidy regression frame: 3 outcomes x (ols, mixed, joint_ols, ordinal)."""
    frames = []
    for i, outcome in enumerate(OUTCOMES):
        for model in ("ols", "mixed", "ordinal"):
            frames.append(
                _rows(model, outcome, ["Intercept", outcome, "age"], [1.0, 0.1 * (i + 1), 0.0])
            )
    frames.append(_rows("joint_ols", "(all)", ["Intercept", *OUTCOMES], [1.0, 0.2, 0.1, -0.1]))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def scored() -> pd.DataFrame:
    """Engagement exactly 1 + 0.5 x for patients and 2 - 0.25 x for professionals."""
    x = np.tile(np.linspace(1, 5, 9), 4)
    role = np.repeat(["professional", "patient"], 18)
    y = np.where(role == "patient", 1 + 0.5 * x, 2 - 0.25 * x)
    data = pd.DataFrame({"information_sharing": x, "engagement": y, "role": role})
    data.loc[0, "engagement"] = np.nan  # one respondent without an engagement score
    return data


@pytest.fixture(autouse=True)
def no_files(tmp_path, monkeypatch):
    """Run in an empty folder and check that nothing is written there."""
    monkeypatch.chdir(tmp_path)
    figures_before = plt.get_fignums()
    yield
    assert os.listdir(tmp_path) == []
    assert plt.get_fignums() == figures_before  # not registered with pyplot either


def test_pretty_name():
    assert pretty_name("information_sharing") == "Information sharing"
    assert pretty_name("power_sharing") == "Power sharing"


def test_plot_forest_parts(regression_frame):
    fig = plot_forest(regression_frame)
    assert isinstance(fig, Figure)
    assert_allclose(fig.get_figwidth(), DOUBLE_COLUMN_MM * MM)
    linear, ordinal = fig.axes
    # one error-bar series per model, one point per outcome
    bars = [c for c in linear.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 3  # ols, mixed, joint_ols
    assert all(len(c.lines[0].get_xdata()) == len(OUTCOMES) for c in bars)
    assert len([c for c in ordinal.containers if isinstance(c, ErrorbarContainer)]) == 1
    # outcome terms of the outcome models and of the joint model; covariates left out
    assert_allclose(bars[0].lines[0].get_xdata(), [0.1, 0.2, 0.3])
    assert_allclose(bars[2].lines[0].get_xdata(), [0.2, 0.1, -0.1])
    labels = [t.get_text() for t in linear.get_yticklabels()]
    assert labels == ["Communication", "Listening", "Information sharing"]
    assert linear.get_xlabel() == "Coefficient (95% CI)"
    assert ordinal.get_xlabel() == "Log-odds (95% CI)"
    zero_lines = [ln for ln in linear.get_lines() if list(ln.get_xdata()) == [0, 0]]
    assert len(zero_lines) == 1
    legend_texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend_texts == [
        "OLS",
        "Mixed model (random site intercept)",
        "OLS, all outcomes together",
        "Ordinal logit",
    ]
    # the models of a panel are dodged: no two series share a row position
    y0 = [c.lines[0].get_ydata()[0] for c in bars]
    assert len(set(np.round(y0, 6))) == 3


def test_plot_forest_odds_ratios_on_log_axis(regression_frame):
    ordinal = regression_frame.loc[regression_frame["model"] == "ordinal"].copy()
    outcome_rows = ordinal["term"] == ordinal["outcome"]
    ordinal.loc[outcome_rows, ["estimate", "ci_low", "ci_high"]] = [1.5, 1.1, 2.0]
    ordinal.loc[outcome_rows, "note"] = "odds ratio (exp of log-odds)"
    fig = plot_forest(ordinal)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "Odds ratio (95% CI)"
    assert any(list(ln.get_xdata()) == [1, 1] for ln in ax.get_lines())


def test_plot_forest_of_a_table_read_back_from_csv(regression_frame):
    import io

    # empty notes come back from the CSV as NaN
    text = regression_frame.assign(note="").to_csv(index=False)
    fig = plot_forest(pd.read_csv(io.StringIO(text)))
    assert fig.axes[0].get_xlabel() == "Coefficient (95% CI)"


def test_plot_forest_selection(regression_frame):
    fig = plot_forest(regression_frame, models=["mixed", "ols"], outcomes=["listening"])
    (ax,) = fig.axes
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 2
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Listening"]
    assert [t.get_text() for t in fig.legends[0].get_texts()][0].startswith("Mixed model")


def test_plot_engagement_vs_parts(scored):
    fig = plot_engagement_vs(scored, outcome="information_sharing")
    assert isinstance(fig, Figure)
    assert_allclose(fig.get_figwidth(), SINGLE_COLUMN_MM * MM)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "Information sharing (scale score)"
    assert ax.get_ylabel() == "Engagement (scale score)"
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(points) == 2 and sum(len(c.get_offsets()) for c in points) == 35
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["Patient (n = 18)", "Professional (n = 17)"]
    # known truth: the data lie exactly on y = 1 + 0.5 x and y = 2 - 0.25 x
    assert_allclose(lines[0].get_ydata(), 1 + 0.5 * np.asarray(lines[0].get_xdata()))
    assert_allclose(lines[1].get_ydata(), 2 - 0.25 * np.asarray(lines[1].get_xdata()))
    # points are jittered by at most 1.5% of the range, deterministically
    offsets = points[0].get_offsets()
    patient = scored.loc[scored["role"] == "patient"]
    assert np.abs(offsets[:, 0] - patient["information_sharing"]).max() <= 0.015 * 4 + 1e-12
    assert np.abs(offsets[:, 0] - patient["information_sharing"]).max() > 0
    again = plot_engagement_vs(scored, outcome="information_sharing")
    assert_allclose(again.axes[0].collections[0].get_offsets(), offsets)
    assert len([t for t in ax.get_legend().get_texts()]) == 2


def test_plot_engagement_vs_one_group(scored):
    fig = plot_engagement_vs(scored, outcome="information_sharing", by=None)
    (ax,) = fig.axes
    assert len(ax.get_lines()) == 1 and ax.get_legend() is None
    assert ax.get_lines()[0].get_label() == "All (n = 35)"


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda r, s: plot_forest(r.drop(columns="outcome")),
            ParamsError,
            "column\\(s\\) outcome missing",
        ),
        (
            lambda r, s: plot_forest(r, models=["bayes"]),
            ParamsError,
            "'bayes' not among the plotted rows",
        ),
        (
            lambda r, s: plot_forest(r.assign(estimate=np.nan)),
            StudyDataError,
            "no outcome coefficient with an estimate",
        ),
        (
            lambda r, s: plot_engagement_vs(s, outcome="trust"),
            ParamsError,
            "'trust' not a column of the scored data",
        ),
        (
            lambda r, s: plot_engagement_vs(
                s.assign(engagement=np.nan), outcome="information_sharing"
            ),
            StudyDataError,
            "no respondent with both 'information_sharing' and 'engagement'",
        ),
    ],
)
def test_errors(regression_frame, scored, call, error, match):
    with pytest.raises(error, match=match):
        call(regression_frame, scored)


def test_all_is_complete():
    # every public top-level function, class and constant defined in the module is exported
    tree = ast.parse(Path(regression.__file__).read_text(encoding="utf-8"))
    defined = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
    public = {n for n in defined if not n.startswith("_")}
    assert public == set(regression.__all__)
