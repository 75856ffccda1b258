"""Diverging stacked bar charts of Likert items, by role.

Layer 4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from partner_study.codebook import Scale
from partner_study.figures.style import diverging_colours, journal_style, new_figure

__all__ = ["plot_likert", "plot_likert_scales"]


def plot_likert(likert: pd.DataFrame, scale: Scale, *, roles: list[str] | None = None) -> Figure:
    """Diverging stacked bars of one scale's items, one panel per role.

    Parameters
    ----------
    likert : DataFrame
        The tidy Likert table (:func:`partner_study.describe.table_likert`).
    scale : Scale
        The scale to draw (items, response range, response labels, item labels).
    roles : list of str, optional
        Panels, in order (default: every role in the table except ``all``).

    Returns
    -------
    Figure
        Double-column figure. Bars are centred on the neutral response (half of the
        neutral share on each side); disagreement to the left, agreement to the right.
    """
    data = likert[likert["scale"] == scale.name]
    roles = roles or [r for r in sorted(data["role"].unique()) if r != "all"]
    responses = scale.responses
    colours = diverging_colours(len(responses))
    items = list(scale.items)
    height = 14 + 6.0 * len(items)
    with journal_style():
        fig, axes = new_figure("double", height, ncols=len(roles), sharey=True, squeeze=False)
        for ax, role in zip(axes[0], roles, strict=True):
            sub = data[data["role"] == role]
            pct = (
                sub.pivot_table(index="item", columns="response", values="percent", aggfunc="sum")
                .reindex(index=items, columns=responses)
                .fillna(0.0)
                .to_numpy()
            )
            half = len(responses) // 2
            below = pct[:, :half].sum(axis=1)
            if len(responses) % 2 == 1:
                below = below + pct[:, half] / 2
            left = -below
            y = np.arange(len(items))[::-1]
            for j, response in enumerate(responses):
                ax.barh(
                    y,
                    pct[:, j],
                    left=left,
                    color=colours[j],
                    height=0.7,
                    edgecolor="white",
                    linewidth=0.3,
                    label=scale.labels.get(response, str(response)),
                )
                left = left + pct[:, j]
            ax.axvline(0, color="0.3", linewidth=0.6)
            ax.set_xlim(-100, 100)
            ax.set_xticks([-100, -50, 0, 50, 100])
            ax.set_xticklabels(["100", "50", "0", "50", "100"])
            ax.set_xlabel("Percent of answers")
            n = int(sub.groupby("item")["n"].sum().max()) if len(sub) else 0
            ax.set_title(f"{role.capitalize()}s (n = {n})", loc="left")
            ax.set_yticks(y)
            ax.set_yticklabels([_item_label(scale, i) for i in items])
            ax.tick_params(axis="y", length=0)
        handles = [
            Patch(color=c, label=scale.labels.get(r, str(r)))
            for r, c in zip(responses, colours, strict=True)
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=len(responses))
    return fig


def _item_label(scale: Scale, item: str) -> str:
    label = scale.item_labels.get(item, item)
    if item in scale.reverse:
        label += " (R)"
    return label if len(label) <= 48 else label[:45] + "..."


def plot_likert_scales(likert: pd.DataFrame, codebook) -> dict[str, Figure]:
    """One :func:`plot_likert` figure per scale, keyed ``likert-<scale>``."""
    return {f"likert-{name}": plot_likert(likert, scale) for name, scale in codebook.scales.items()}
