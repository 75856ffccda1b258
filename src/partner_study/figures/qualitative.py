"""Figures of the qualitative strand and the joint display.

Layer 4: ``plot_*`` functions take the tidy frames of
:mod:`partner_study.qualitative` and :mod:`partner_study.integrate` and return a
matplotlib Figure in the journal style; they never save (the writer does).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from partner_study.errors import Problem, StudyDataError
from partner_study.figures.style import OKABE_ITO, ROLE_COLOURS, journal_style, new_figure

__all__ = ["pretty_label", "plot_themes_by_role", "plot_joint_display"]

_MARKERS = {"patient": "o", "professional": "D"}
_ROLE_NAMES = {"patient": "Patients", "professional": "Professionals"}
_GREY = "#B0B0B0"
_HIGHLIGHT = "#D55E00"  # Okabe-Ito vermillion


def pretty_label(name: object, *, width: int | None = None) -> str:
    """``"information_sharing"`` -> ``"Information sharing"``, wrapped at ``width`` characters."""
    text = str(name).replace("_", " ").strip()
    text = text[:1].upper() + text[1:]
    return "\n".join(textwrap.wrap(text, width)) if width else text


def _require(frame: pd.DataFrame, columns: Sequence[str], *, name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise StudyDataError(
            Problem(
                file=f"{name} (data frame)",
                found=f"no column(s) {', '.join(repr(c) for c in missing)}",
                expected=f"the columns of {name}",
                fix=f"pass the frame returned by {name}()",
            )
        )
    if frame.empty:
        raise StudyDataError(
            Problem(
                file=f"{name} (data frame)",
                found="no rows",
                expected="at least one theme",
                fix="check that the study has coded segments before drawing",
            )
        )


def _role_style(roles: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Colour and marker per role: the fixed role colours first, then Okabe-Ito."""
    spare = iter(c for c in OKABE_ITO if c not in ROLE_COLOURS.values())
    extra = iter("s^vP")
    return {r: (ROLE_COLOURS.get(r) or next(spare), _MARKERS.get(r) or next(extra)) for r in roles}


def plot_themes_by_role(frame: pd.DataFrame) -> Figure:
    """Dot plot of the share of each role mentioning each theme.

    Parameters
    ----------
    frame : DataFrame
        Output of :func:`partner_study.qualitative.themes_by_role` (theme, role,
        pct_participants; rows with ``role == "all"`` are used for sorting only).

    Returns
    -------
    Figure
        Single column (double when theme names are long). One row per theme,
        sorted by the overall share (role ``"all"``, else the mean over roles),
        highest at the top; one dot per role joined by a grey line.
    """
    _require(frame, ["theme", "role", "pct_participants"], name="themes_by_role")
    wide = frame.pivot_table(
        index="theme", columns="role", values="pct_participants", aggfunc="first", sort=True
    )
    roles = [r for r in ROLE_COLOURS if r in wide.columns]
    roles += sorted(r for r in wide.columns if r not in roles and r != "all")
    overall = wide["all"] if "all" in wide.columns else wide[roles].mean(axis=1)
    order = overall.sort_values(ascending=False, kind="mergesort").index
    wide = wide.loc[order]
    long_names = max(len(str(t)) for t in wide.index) > 40
    width, wrap = ("double", 45) if long_names else ("single", 26)
    labels = [pretty_label(t, width=wrap) for t in wide.index]
    lines = sum(label.count("\n") + 1 for label in labels)
    fig, ax = new_figure(width, height_mm=max(35.0, 14.0 + 4.0 * lines + 1.5 * len(labels)))
    style = _role_style(roles)
    y = np.arange(len(wide))
    with journal_style():
        values = wide[roles].to_numpy(dtype=float)
        low = np.fmin.reduce(values, axis=1)  # NaN-tolerant, no all-NaN warning
        high = np.fmax.reduce(values, axis=1)
        ax.hlines(y, low, high, color=_GREY, linewidth=1.2, zorder=1)
        for role in roles:
            colour, marker = style[role]
            ax.scatter(
                wide[role].to_numpy(dtype=float),
                y,
                s=18,
                color=colour,
                marker=marker,
                zorder=2,
                label=_ROLE_NAMES.get(role, pretty_label(role)),
            )
        ax.set_yticks(y, labels)
        ax.set_ylim(len(wide) - 0.5, -0.5)
        ax.set_xlim(0, 100)
        ax.set_xlabel("Participants mentioning the theme (%)")
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.5)
        ax.set_axisbelow(True)
        ax.tick_params(axis="y", length=0)
        ax.legend(
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=len(roles),
            handletextpad=0.3,
            columnspacing=1.2,
            borderaxespad=0.2,
        )
    return fig


def plot_joint_display(frame: pd.DataFrame) -> Figure:
    """Dumbbell plot of patients against professionals per theme, divergences marked.

    Parameters
    ----------
    frame : DataFrame
        Output of :func:`partner_study.integrate.table_joint_display` or
        :func:`partner_study.integrate.joint_display_roles` (theme, pct_patients,
        pct_professionals, label; difference_pp is recomputed when absent).

    Returns
    -------
    Figure
        Double column. One row per theme, sorted by the difference (patients
        higher at the top). Divergent themes have a shaded band, a bold label and
        the difference written at the right ("+50 pp").
    """
    _require(
        frame, ["theme", "pct_patients", "pct_professionals", "label"], name="table_joint_display"
    )
    data = frame.assign(
        difference_pp=frame["pct_patients"] - frame["pct_professionals"]
    ).sort_values(
        ["difference_pp", "theme"], ascending=[False, True], kind="mergesort", na_position="last"
    )
    labels = [pretty_label(t, width=40) for t in data["theme"]]
    lines = sum(label.count("\n") + 1 for label in labels)
    fig, ax = new_figure("double", height_mm=max(40.0, 16.0 + 4.0 * lines + 2.0 * len(labels)))
    y = np.arange(len(data))
    patients = data["pct_patients"].to_numpy(dtype=float)
    professionals = data["pct_professionals"].to_numpy(dtype=float)
    divergent = (data["label"] == "divergence").to_numpy()
    with journal_style():
        for yi in y[divergent]:
            ax.axhspan(yi - 0.45, yi + 0.45, color=_HIGHLIGHT, alpha=0.12, linewidth=0, zorder=0)
        ax.hlines(
            y,
            np.fmin(patients, professionals),
            np.fmax(patients, professionals),
            color=_GREY,
            linewidth=1.6,
            zorder=1,
        )
        for role, values in (("patient", patients), ("professional", professionals)):
            ax.scatter(
                values,
                y,
                s=24,
                color=ROLE_COLOURS[role],
                marker=_MARKERS[role],
                zorder=2,
                label=_ROLE_NAMES[role],
            )
        for yi, diff in zip(y[divergent], data["difference_pp"].to_numpy()[divergent], strict=True):
            text = f"{diff:+.0f} pp".replace("-", "\u2212")
            ax.text(
                103,
                yi,
                text,
                va="center",
                ha="left",
                color=_HIGHLIGHT,
                fontweight="bold",
                gid="divergence-label",
            )
        ax.set_yticks(y, labels)
        for tick, flag in zip(ax.get_yticklabels(), divergent, strict=True):
            if flag:
                tick.set_fontweight("bold")
        ax.set_ylim(len(data) - 0.5, -0.5)
        ax.set_xlim(0, 118)
        ax.set_xticks([0, 20, 40, 60, 80, 100])
        ax.spines["bottom"].set_bounds(0, 100)
        ax.set_xlabel("Participants mentioning the theme (%)")
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.5)
        ax.set_axisbelow(True)
        ax.tick_params(axis="y", length=0)
        handles, names = ax.get_legend_handles_labels()
        if divergent.any():
            handles.append(Patch(color=_HIGHLIGHT, alpha=0.25, linewidth=0))
            names.append("Divergence")
        ax.legend(
            handles,
            names,
            loc="lower center",
            bbox_to_anchor=(0.45, 1.0),
            ncol=len(handles),
            handletextpad=0.3,
            columnspacing=1.2,
            borderaxespad=0.2,
        )
    return fig
