"""Figures of the qualitative strand and the joint display.

Layer 4: ``plot_*`` functions take the tidy frames of
:mod:`partner_study.qualitative` and :mod:`partner_study.integrate` and return a
matplotlib Figure in the journal style; they never save (the writer does).

Roles are whatever the codebook declares, one or more: colours and markers go by a
role's declared position (:func:`partner_study.figures.style.role_colours`), legends show
the declared plural labels and theme labels come from the codebook, through the study's
shape (:class:`partner_study.shape.StudyShape`). Without a shape, stored names are shown
made readable.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from partner_study.errors import Problem, StudyDataError
from partner_study.figures.style import (
    ROLE_MARKERS,
    ROLE_PALETTE,
    journal_style,
    new_figure,
)
from partner_study.shape import ALL, StudyShape

__all__ = ["pretty_label", "plot_themes_by_role", "plot_joint_display"]

_GREY = "#B0B0B0"
_HIGHLIGHT = "#D55E00"  # Okabe-Ito vermillion
#: Characters of legend text a row holds: single column (85 mm) and double (174 mm).
_LEGEND_CHARS = {"single": 58, "double": 120}
_LEGEND_WRAP = 28


def pretty_label(name: object, *, width: int | None = None) -> str:
    """``"information_sharing"`` -> ``"Information sharing"``, wrapped at ``width`` characters."""
    text = str(name).replace("_", " ").strip()
    text = text[:1].upper() + text[1:]
    return _wrap(text, width)


def _wrap(text: str, width: int | None) -> str:
    """``text`` on lines of at most ``width`` characters; nothing is cut off."""
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


def _theme_text(theme: object, shape: StudyShape | None) -> str:
    return shape.label(theme) if shape is not None else pretty_label(theme)


def _role_text(role: str, shape: StudyShape | None) -> str:
    return shape.role_label(role, plural=True) if shape is not None else pretty_label(role)


def _roles_in_order(present: Sequence[str], shape: StudyShape | None) -> list[str]:
    """Roles with data, in declared order (others after them, sorted); without a shape,
    in the order given."""
    present = [str(r) for r in dict.fromkeys(present) if str(r) != ALL]
    if shape is None:
        return present
    return [r for r in shape.group_order(present, "role") if r != ALL]


def _role_style(roles: Sequence[str], shape: StudyShape | None) -> dict[str, tuple[str, str]]:
    """Colour and marker of each role by its declared position (its position in ``roles``
    when the shape does not declare it), so a role keeps its colour from figure to figure
    of a study even when an earlier role has nothing to show."""
    declared = list(shape.role_names) if shape is not None else []
    position = {r: i for i, r in enumerate(declared)}
    for r in roles:
        position.setdefault(r, len(position))
    return {
        r: (
            ROLE_PALETTE[position[r] % len(ROLE_PALETTE)],
            ROLE_MARKERS[position[r] % len(ROLE_MARKERS)],
        )
        for r in roles
    }


def _legend(ax, handles: list, names: list[str], *, width: str, anchor: float = 0.5) -> None:
    """A legend above the axes, as many columns as the figure's width holds."""
    names = [_wrap(n, _LEGEND_WRAP) for n in names]
    longest = max((max(len(line) for line in n.split("\n")) for n in names), default=0)
    room = _LEGEND_CHARS.get(width, _LEGEND_CHARS["double"])
    ncol = max(1, min(len(names), room // (longest + 5)))
    ax.legend(
        handles,
        names,
        loc="lower center",
        bbox_to_anchor=(anchor, 1.0),
        ncol=ncol,
        handletextpad=0.3,
        columnspacing=1.2,
        borderaxespad=0.2,
    )


def plot_themes_by_role(frame: pd.DataFrame, shape: StudyShape | None = None) -> Figure:
    """Dot plot of the share of each role mentioning each theme.

    Parameters
    ----------
    frame : DataFrame
        Output of :func:`partner_study.qualitative.themes_by_role` (theme, role,
        pct_participants; rows with ``role == "all"`` are used for sorting only).
    shape : StudyShape, optional
        The study's shape: roles in declared order with their plural labels in the
        legend, theme labels from the codebook.

    Returns
    -------
    Figure
        Single column (double when theme labels are long), long labels wrapped. One row
        per theme, sorted by the overall share (role ``"all"``, else the mean over
        roles), highest at the top; one dot per role (any number of roles), joined by a
        grey line. Roles with no coded participant (no percentage) are left out.
    """
    _require(frame, ["theme", "role", "pct_participants"], name="themes_by_role")
    data = frame.assign(
        theme=frame["theme"].astype(str),
        role=frame["role"].astype(str),
        pct_participants=pd.to_numeric(frame["pct_participants"], errors="coerce"),
    )
    wide = data.pivot_table(
        index="theme",
        columns="role",
        values="pct_participants",
        aggfunc="first",
        sort=True,
        dropna=False,
    )
    shown = [r for r in pd.unique(data["role"]) if wide[r].notna().any()]
    roles = _roles_in_order(shown, shape)
    if not roles:
        raise StudyDataError(
            Problem(
                file="themes_by_role (data frame)",
                found="no role with a percentage",
                expected="at least one role with coded participants",
                fix="check that the study has coded segments before drawing",
            )
        )
    overall = wide[ALL] if ALL in wide.columns else wide[roles].mean(axis=1)
    order = overall.sort_values(ascending=False, kind="mergesort", na_position="last").index
    wide = wide.loc[order]
    texts = [_theme_text(t, shape) for t in wide.index]
    long_names = max(len(t) for t in texts) > 40
    width, wrap = ("double", 45) if long_names else ("single", 26)
    labels = [_wrap(t, wrap) for t in texts]
    lines = sum(label.count("\n") + 1 for label in labels)
    fig, ax = new_figure(width, height_mm=max(35.0, 14.0 + 4.0 * lines + 1.5 * len(labels)))
    style = _role_style(roles, shape)
    y = np.arange(len(wide))
    with journal_style():
        values = wide[roles].to_numpy(dtype=float)
        low = np.fmin.reduce(values, axis=1)  # NaN-tolerant, no all-NaN warning
        high = np.fmax.reduce(values, axis=1)
        if len(roles) > 1:
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
                clip_on=False,  # a 100% dot is drawn whole
                label=_role_text(role, shape),
            )
        ax.set_yticks(y, labels)
        ax.set_ylim(len(wide) - 0.5, -0.5)
        ax.set_xlim(0, 100)
        ax.set_xlabel("Participants mentioning the theme (%)")
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.5)
        ax.set_axisbelow(True)
        ax.tick_params(axis="y", length=0)
        handles, names = ax.get_legend_handles_labels()
        _legend(ax, handles, names, width=width)
    return fig


def _shares_by_theme(frame: pd.DataFrame, shares: pd.DataFrame | None) -> pd.DataFrame:
    """Theme x role percentages: from ``shares`` (every role) or the compared pair."""
    if shares is not None:
        _require(shares, ["theme", "role", "pct_mentioning"], name="joint_display_roles")
        long = pd.DataFrame(
            {
                "theme": shares["theme"].astype(str),
                "role": shares["role"].astype(str),
                "pct": pd.to_numeric(shares["pct_mentioning"], errors="coerce"),
            }
        )
    else:
        parts = []
        for side in ("a", "b"):
            if f"role_{side}" in frame.columns and f"pct_{side}" in frame.columns:
                parts.append(
                    pd.DataFrame(
                        {
                            "theme": frame["theme"].astype(str),
                            "role": frame[f"role_{side}"],
                            "pct": pd.to_numeric(frame[f"pct_{side}"], errors="coerce"),
                        }
                    )
                )
        long = pd.concat(parts, ignore_index=True)
        long = long.loc[long["role"].notna()].astype({"role": str})
    long = long.dropna(subset=["pct"]).drop_duplicates(["theme", "role"])
    roles = list(pd.unique(long["role"]))
    return long.pivot(index="theme", columns="role", values="pct").reindex(columns=roles)


def plot_joint_display(
    frame: pd.DataFrame,
    shape: StudyShape | None = None,
    *,
    shares: pd.DataFrame | None = None,
) -> Figure:
    """Dumbbell plot of the roles' shares per theme, divergences marked.

    Parameters
    ----------
    frame : DataFrame
        Output of :func:`partner_study.integrate.table_joint_display` (theme, role_a,
        pct_a, label and, with two roles or more, role_b and pct_b; difference_pp is
        recomputed as ``pct_a - pct_b``).
    shape : StudyShape, optional
        The study's shape: roles in declared order with their plural labels in the
        legend, theme labels from the codebook.
    shares : DataFrame, optional
        Output of :func:`partner_study.integrate.joint_display_roles` (theme, role,
        pct_mentioning): every role's share is drawn. Without it, the two roles
        compared on each theme.

    Returns
    -------
    Figure
        Double column, long theme labels wrapped. One row per theme; one dot per role
        (any number), joined by a grey line. Sorted by the difference (``role_a``
        higher at the top) when every theme compares the same two roles, else by the
        size of the difference. Divergent themes have a shaded band, a bold label and
        the difference written at the right (``"+50 pp"``; unsigned when the compared
        pair changes from theme to theme: the line then runs between the two roles
        compared). A study with one role shows that role's shares, highest at the top,
        with no difference.
    """
    _require(frame, ["theme", "role_a", "pct_a", "label"], name="table_joint_display")
    data = frame.assign(theme=frame["theme"].astype(str))
    has_b = "role_b" in data.columns and "pct_b" in data.columns and data["role_b"].notna().any()
    if has_b:
        data = data.assign(
            difference_pp=pd.to_numeric(data["pct_a"], errors="coerce")
            - pd.to_numeric(data["pct_b"], errors="coerce")
        )
    else:
        data = data.assign(difference_pp=np.nan)
    pairs = data.loc[data["role_b"].notna(), ["role_a", "role_b"]] if has_b else data[[]]
    fixed = has_b and len(pairs.drop_duplicates()) == 1
    if not has_b:
        key, ascending = pd.to_numeric(data["pct_a"], errors="coerce"), False
    elif fixed:
        key, ascending = data["difference_pp"], False
    else:
        key, ascending = data["difference_pp"].abs(), False
    data = (
        data.assign(_key=key)
        .sort_values(
            ["_key", "theme"], ascending=[ascending, True], kind="mergesort", na_position="last"
        )
        .drop(columns="_key")
        .reset_index(drop=True)
    )
    wide = _shares_by_theme(data, shares).reindex(index=data["theme"])
    roles = _roles_in_order(list(wide.columns), shape)
    if not roles:
        raise StudyDataError(
            Problem(
                file="table_joint_display (data frame)",
                found="no role with a percentage",
                expected="at least one role with coded participants",
                fix="check that the study has coded segments before drawing",
            )
        )
    labels = [_wrap(_theme_text(t, shape), 40) for t in data["theme"]]
    lines = sum(label.count("\n") + 1 for label in labels)
    fig, ax = new_figure("double", height_mm=max(40.0, 16.0 + 4.0 * lines + 2.0 * len(labels)))
    y = np.arange(len(data))
    values = wide[roles].to_numpy(dtype=float)
    divergent = (data["label"].astype(str) == "divergence").to_numpy()
    style = _role_style(roles, shape)
    with journal_style():
        for yi in y[divergent]:
            ax.axhspan(yi - 0.45, yi + 0.45, color=_HIGHLIGHT, alpha=0.12, linewidth=0, zorder=0)
        if len(roles) > 1:
            ax.hlines(
                y,
                np.fmin.reduce(values, axis=1),
                np.fmax.reduce(values, axis=1),
                color=_GREY,
                linewidth=1.6,
                zorder=1,
            )
        for i, role in enumerate(roles):
            colour, marker = style[role]
            ax.scatter(
                values[:, i],
                y,
                s=24,
                color=colour,
                marker=marker,
                zorder=2,
                clip_on=False,  # a 100% dot is drawn whole
                label=_role_text(role, shape),
            )
        for yi, diff in zip(y[divergent], data["difference_pp"].to_numpy()[divergent], strict=True):
            if np.isnan(diff):
                continue
            text = f"{diff:+.0f} pp" if fixed else f"{abs(diff):.0f} pp"
            ax.text(
                103,
                yi,
                text.replace("-", "\u2212"),
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
        ax.set_xlim(0, 118 if has_b else 100)
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
        _legend(ax, handles, names, width="double", anchor=0.45 if has_b else 0.5)
    return fig
