"""The items of the scales compared between roles: a dot plot of the differences.

Layer 4. Takes the tidy items-by-role table
(:func:`partner_study.scales_by_role.table_items_by_role`) and returns matplotlib Figures;
it never saves (the writer does). Labels (scales, items, roles) come from the study's
shape, long ones wrapped, never cut.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from partner_study.arrays import published
from partner_study.figures.style import journal_style, new_figure, role_colours, role_markers
from partner_study.shape import StudyShape

__all__ = ["plot_item_differences"]

#: Name of the figure (``figures/item-differences.*``).
FIGURE_NAME = "item-differences"


def _wrap(text: str, width: int) -> str:
    lines = textwrap.wrap(str(text), width, break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines) or str(text)


def _label(name: Any, shape: StudyShape | None) -> str:
    if shape is not None:
        return shape.label(name) if str(name) in shape.labels else str(name)
    return str(name)


def plot_item_differences(
    items: pd.DataFrame, *, shape: StudyShape | None = None
) -> dict[str, Figure]:
    """Dot plot of each item's mean difference between roles, with its 95% interval.

    Parameters
    ----------
    items : DataFrame
        The tidy items-by-role table (``scale, item, role, reference, difference,
        ci_low, ci_high``), as written (differences already rounded for disclosure).
    shape : StudyShape, optional
        Scale, item and role labels (the codebook's), roles in declared order; without
        it, stored names.

    Returns
    -------
    dict of str to Figure
        ``{"item-differences": fig}``: a double-column figure, one panel per scale with
        at least one difference (titled by the scale's label), one row per item (its
        label), a dot and horizontal 95% interval per role compared with the reference
        (colour and marker by the role's declared position), a dashed line at no
        difference. Empty when nothing is compared (one role, or no item answered
        enough by two roles).
    """
    need = {"scale", "item", "role", "reference", "difference", "ci_low", "ci_high"}
    if items is None or items.empty or not need <= set(items.columns):
        return {}
    # drawn from the values as the tidy table publishes them (partner_study.arrays.published)
    rows = published(
        items.assign(
            difference=pd.to_numeric(items["difference"], errors="coerce"),
            ci_low=pd.to_numeric(items["ci_low"], errors="coerce"),
            ci_high=pd.to_numeric(items["ci_high"], errors="coerce"),
        )
    )
    rows = rows[rows["difference"].notna()]
    if rows.empty:
        return {}
    reference = str(rows["reference"].iloc[0])
    declared = list(shape.role_names) if shape is not None else []
    present = list(dict.fromkeys(rows["role"].astype(str)))
    roles = [r for r in declared if r in present] + [r for r in present if r not in declared]
    colour_of = role_colours([reference, *roles])
    marker_of = role_markers([reference, *roles])
    scales = list(dict.fromkeys(rows["scale"].astype(str)))
    counts = [rows.loc[rows["scale"].astype(str) == s, "item"].nunique() for s in scales]
    height = float(np.clip(16 + sum(6.0 * c + 9 for c in counts), 50, 240))

    def role_name(role: str) -> str:
        return shape.role_label(role, plural=True) if shape is not None else role

    fig, axes = new_figure(
        "double",
        height_mm=height,
        nrows=len(scales),
        sharex=True,
        squeeze=False,
        gridspec_kw={"height_ratios": [max(c, 1) + 0.8 for c in counts]},
    )
    offsets = (np.arange(len(roles)) - (len(roles) - 1) / 2) * (0.6 / max(len(roles), 1))
    with journal_style():
        for ax, scale in zip(axes[:, 0], scales, strict=True):
            panel = rows[rows["scale"].astype(str) == scale]
            order = list(dict.fromkeys(panel["item"].astype(str)))
            position = {item: i for i, item in enumerate(order)}
            ax.axvline(0.0, color="0.5", linewidth=0.6, linestyle="--", zorder=0)
            for role, offset in zip(roles, offsets, strict=True):
                sub = panel[panel["role"].astype(str) == role]
                if sub.empty:
                    continue
                y = sub["item"].astype(str).map(position).to_numpy(dtype=float) + offset
                est = sub["difference"].to_numpy(dtype=float)
                low = sub["ci_low"].to_numpy(dtype=float)
                high = sub["ci_high"].to_numpy(dtype=float)
                low = np.where(np.isnan(low), est, low)  # no interval: a dot alone
                high = np.where(np.isnan(high), est, high)
                err = np.vstack([est - low, high - est])
                ax.errorbar(
                    est,
                    y,
                    xerr=err,
                    fmt=marker_of[role],
                    markersize=3.2,
                    color=colour_of[role],
                    ecolor=colour_of[role],
                    elinewidth=0.9,
                    capsize=0,
                    label=f"{role_name(role)} − {role_name(reference)}",
                )
            ax.set_yticks(range(len(order)), [_wrap(_label(i, shape), 48) for i in order])
            ax.set_ylim(len(order) - 0.5, -0.5)
            ax.tick_params(axis="y", length=0)
            ax.set_title(_wrap(_label(scale, shape), 90), loc="left")
        axes[-1, 0].set_xlabel(
            "Difference in mean answer (response points), with 95% confidence interval"
        )
        handles, labels = [], []
        for ax in axes[:, 0]:
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 3))
    return {FIGURE_NAME: fig}
