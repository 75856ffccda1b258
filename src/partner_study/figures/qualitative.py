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

from partner_study.arrays import published
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


def plot_themes_by_role(frame: pd.DataFrame, shape: StudyShape | None = None) -> Figure | None:
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
        None when every percentage is hidden by disclosure control: nothing to draw.
    """
    _require(frame, ["theme", "role", "pct_participants"], name="themes_by_role")
    if len(frame) and pd.to_numeric(frame["pct_participants"], errors="coerce").isna().all():
        return None
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
) -> Figure | None:
    """The roles' shares per theme, and the difference of the two compared with its 95% CI.

    Parameters
    ----------
    frame : DataFrame
        Output of :func:`partner_study.integrate.table_joint_display` (theme, role_a,
        pct_a, label and, with two roles or more, role_b, pct_b, ci_low, ci_high,
        margin_pp, collection_a, collection_b and mode_confounded; difference_pp is
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
        Double column, long theme labels wrapped. Left: one row per theme, one dot per
        role (any number), joined by a grey line. Right (two roles or more): the
        difference of the two roles compared (``role_a`` minus ``role_b``) with its 95%
        confidence interval, a line at 0 and the equivalence margin shaded; a filled
        marker for a divergence (the interval excludes 0), an open one for a
        convergence (it lies within the margin), a grey one when inconclusive. Rows are
        sorted by the difference (``role_a`` higher at the top) when every theme
        compares the same two roles, else by its size; divergent themes have a shaded
        band and a bold label. When each role took part in one way and not the same
        way, the legend names the mode beside the role. A study with one role shows
        that role's shares, highest at the top. None when every share is hidden by
        disclosure control: nothing to draw.
    """
    _require(frame, ["theme", "role_a", "pct_a", "label"], name="table_joint_display")
    pct = [frame["pct_a"], *([frame["pct_b"]] if "pct_b" in frame.columns else [])]
    if shares is not None and "pct_mentioning" in shares.columns:
        pct.append(shares["pct_mentioning"])
    if len(frame) and all(pd.to_numeric(p, errors="coerce").isna().all() for p in pct):
        return None
    data = published(frame.assign(theme=frame["theme"].astype(str)))
    has_b = "role_b" in data.columns and "pct_b" in data.columns and data["role_b"].notna().any()
    difference = (
        pd.to_numeric(data["pct_a"], errors="coerce")
        - pd.to_numeric(data["pct_b"], errors="coerce")
        if has_b
        else pd.Series(np.nan, index=data.index)
    )
    data = data.assign(difference_pp=published(difference))
    pairs = data.loc[data["role_b"].notna(), ["role_a", "role_b"]] if has_b else data[[]]
    fixed = has_b and len(pairs.drop_duplicates()) == 1
    if not has_b:
        key = pd.to_numeric(data["pct_a"], errors="coerce")
    else:
        key = data["difference_pp"] if fixed else data["difference_pp"].abs()
    data = (
        data.assign(_key=key)
        .sort_values(
            ["_key", "theme"], ascending=[False, True], kind="mergesort", na_position="last"
        )
        .drop(columns="_key")
        .reset_index(drop=True)
    )
    wide = _shares_by_theme(data, published(shares) if shares is not None else None)
    wide = wide.reindex(index=data["theme"])
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
    compared = has_b and bool(data["difference_pp"].notna().any())
    labels = [_wrap(_theme_text(t, shape), 34 if compared else 40) for t in data["theme"]]
    lines = sum(label.count("\n") + 1 for label in labels)
    height = max(40.0, 16.0 + 4.0 * lines + 2.0 * len(labels))
    if compared:
        fig, (ax, right) = new_figure(
            "double", height_mm=height, ncols=2, sharey=True, width_ratios=[3, 2]
        )
    else:
        fig, ax = new_figure("double", height_mm=height)
        right = None
    y = np.arange(len(data))
    values = wide[roles].to_numpy(dtype=float)
    divergent = (data["label"].astype(str) == "divergence").to_numpy()
    style = _role_style(roles, shape)
    modes = _legend_modes(data) if fixed else {}
    with journal_style():
        for axis in (ax, right):
            for yi in y[divergent] if axis is not None else ():
                axis.axhspan(yi - 0.45, yi + 0.45, color=_HIGHLIGHT, alpha=0.12, linewidth=0)
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
            name = _role_text(role, shape)
            ax.scatter(
                values[:, i],
                y,
                s=24,
                color=colour,
                marker=marker,
                zorder=2,
                clip_on=False,  # a 100% dot is drawn whole
                label=f"{name} ({modes[role]})" if role in modes else name,
            )
        ax.set_yticks(y, labels)
        for tick, flag in zip(ax.get_yticklabels(), divergent, strict=True):
            if flag:
                tick.set_fontweight("bold")
        ax.set_ylim(len(data) - 0.5, -0.5)
        ax.set_xlim(0, 100)
        ax.set_xticks([0, 20, 40, 60, 80, 100])
        ax.set_xlabel("Participants mentioning the theme (%)")
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.5)
        ax.set_axisbelow(True)
        ax.tick_params(axis="y", length=0)
        handles, names = ax.get_legend_handles_labels()
        if right is None:
            _legend(ax, handles, names, width="double")
            return fig
        more = _plot_differences(right, data, y, shape, fixed=fixed)
        handles, names = handles + more[0], names + more[1]
        if divergent.any() and "Divergence" not in names:
            handles.append(Patch(color=_HIGHLIGHT, alpha=0.25, linewidth=0))
            names.append("Divergence")
        names = [_wrap(n, _LEGEND_WRAP) for n in names]
        longest = max(max(len(line) for line in n.split("\n")) for n in names)
        fig.legend(
            handles,
            names,
            loc="outside upper center",
            ncol=max(1, min(len(names), _LEGEND_CHARS["double"] // (longest + 5))),
            handletextpad=0.3,
            columnspacing=1.2,
        )
    return fig


def _legend_modes(data: pd.DataFrame) -> dict[str, str]:
    """Each role's mode of data collection, for the legend, when role and mode coincide."""
    if "mode_confounded" not in data.columns:
        return {}
    flag = data["mode_confounded"].astype(str).str.lower().isin(["true", "1", "1.0"])
    if not flag.any():
        return {}
    words = {"focus_group": "focus groups", "interview": "interviews"}
    row = data.loc[flag].iloc[0]
    out = {}
    for side in ("a", "b"):
        mode = row.get(f"collection_{side}")
        if isinstance(mode, str) and mode:
            out[str(row[f"role_{side}"])] = words.get(mode, mode.replace("_", " "))
    return out


def _floats(data: pd.DataFrame, column: str) -> np.ndarray:
    if column not in data.columns:
        return np.full(len(data), np.nan)
    return pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float)


def _plot_differences(ax, data: pd.DataFrame, y: np.ndarray, shape, *, fixed: bool):
    """The right panel: each difference with its 95% CI, 0 and the equivalence margin.
    Returns the legend handles and names of the label markers drawn."""
    diff, low, high, margins = (
        _floats(data, c) for c in ("difference_pp", "ci_low", "ci_high", "margin_pp")
    )
    margin = float(margins[~np.isnan(margins)][0]) if (~np.isnan(margins)).any() else None
    label = data["label"].astype(str).to_numpy()
    reach = np.nanmax(np.abs(np.r_[low, high, diff, margin or 0.0, 10.0]))
    limit = float(min(100.0, 10.0 * np.ceil((reach + 2.0) / 10.0)))
    if margin is not None:
        ax.axvspan(-margin, margin, color="#EFEFEF", linewidth=0, zorder=0)
    ax.axvline(0, color="#707070", linewidth=0.8, zorder=1)
    has_ci = ~np.isnan(low) & ~np.isnan(high)
    ax.hlines(y[has_ci], low[has_ci], high[has_ci], color="#404040", linewidth=1.2, zorder=2)
    kinds = (
        ("divergence", dict(facecolors="#202020", edgecolors="#202020"), "Divergence"),
        ("convergence", dict(facecolors="white", edgecolors="#202020"), "Convergence"),
        ("inconclusive", dict(facecolors=_GREY, edgecolors=_GREY), "Inconclusive"),
    )
    handles, names = [], []
    for kind, colours, name in kinds:
        rows = (label == kind) & ~np.isnan(diff)
        if rows.any():
            handles.append(
                ax.scatter(
                    diff[rows], y[rows], s=22, marker="o", linewidths=0.9, zorder=3, **colours
                )
            )
            names.append(name)
    if margin is not None:
        handles.append(Patch(color="#E5E5E5", linewidth=0))
        names.append(f"Equivalence margin (\u00b1{margin:g} pp)")
    ax.set_xlim(-limit, limit)
    a, b = str(data["role_a"].dropna().iloc[0]), str(data["role_b"].dropna().iloc[0])
    ax.set_xlabel(
        f"{_role_text(a, shape)} minus {_role_text(b, shape)}, pp (95% CI)"
        if fixed
        else "First minus second role compared, pp (95% CI)"
    )
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.5)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0, labelleft=False)
    return handles, names
