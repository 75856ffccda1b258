"""Diverging stacked bar charts of Likert items, one panel per group (role by default).

Layer 4. Any response scale from 2 to 11 points (and wider ones) is drawn the same way:
bars are centred on the neutral response when the count is odd (half of its share on
each side) and between the two middle responses when it is even, disagreement to the
left, agreement to the right. Every text a reader sees comes from the codebook (through
the study's :class:`~partner_study.shape.StudyShape`): panel titles are the declared plural
labels of the roles in declared order, item labels the declared statements (wrapped over
as many lines as they need, never cut), the legend the declared response labels (laid out
in as many rows as the figure width needs).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch
from matplotlib.textpath import text_to_path

from partner_study.codebook import Codebook, Scale
from partner_study.disclosure import printed_total
from partner_study.figures.style import (
    DOUBLE_COLUMN_MM,
    RCPARAMS,
    diverging_colours,
    journal_style,
    new_figure,
)
from partner_study.shape import ALL, StudyShape, study_shape

__all__ = ["plot_likert", "plot_likert_scales", "item_label"]

#: Characters of an item label per line (the labels of the example fit on one line).
ITEM_WRAP = 45
#: Characters of a response label per line in the legend.
LEGEND_WRAP = 30
#: Panels side by side; more groups go on further rows.
MAX_PANELS_PER_ROW = 3
#: The neutral grey of odd scales (as in the ColorBrewer ramps of the style).
_NEUTRAL = "#d9d9d9"
#: Legend entry of the answers hidden by disclosure control, drawn at the end of a bar.
SUPPRESSED_LABEL = "Suppressed"
_SUPPRESSED_STYLE: dict[str, Any] = {
    "facecolor": "white",
    "edgecolor": "0.55",
    "hatch": "////",
    "linewidth": 0.3,
}

# Heights in mm. A row of panels: its title and x axis take about 14 mm, each item at
# least 3.6 mm more (an item whose label has more lines counts as more items); from four
# items on, the journal size of the example's figures: 6 mm an item and 6.2 mm for the
# rest. The legend: its first row (and the figure's padding), then each further line.
_ROW_MM = 4.25
_LINE_MM = 2.75
_LEGEND_MM = 7.8
_LEGEND_LINE_MM = 3.4


def _panel_row_mm(units: float) -> float:
    return max(6.0 * units + 6.2, 15.6 + 3.6 * units)


def item_label(scale: Scale, item: str, shape: StudyShape | None = None) -> str:
    """An item's declared statement (else its column name), ``(R)`` when reverse-keyed."""
    label = scale.item_labels.get(item) or (shape.items.get(item) if shape else None) or item
    label = " ".join(str(label).split())
    return f"{label} (R)" if item in scale.reverse else label


def _wrap(text: str, width: int) -> str:
    """``text`` over as many lines as it needs (words longer than a line are broken)."""
    return "\n".join(textwrap.wrap(text, width=width, break_on_hyphens=False)) or text


def _response_labels(scale: Scale, shape: StudyShape | None) -> list[str]:
    """The declared label of every response; when only some are labelled (the ends of a
    0-10 rating), every response shows its value and the labelled ones their label too."""
    declared = dict(shape.responses.get(scale.name, {})) if shape is not None else {}
    declared.update(scale.labels)
    if all(r in declared for r in scale.responses):
        return [" ".join(str(declared[r]).split()) for r in scale.responses]
    return [
        f"{r}: {' '.join(str(declared[r]).split())}" if r in declared else str(r)
        for r in scale.responses
    ]


def _colours(n: int) -> list[str]:
    colours = diverging_colours(n)
    if n % 2 == 1 and n > 1:
        colours[n // 2] = _NEUTRAL
    return colours


def _text_width_pt(text: str, size: float) -> float:
    prop = FontProperties(family=RCPARAMS["font.family"], size=size)
    return max(
        text_to_path.get_text_width_height_descent(line, prop, ismath=False)[0]
        for line in text.split("\n")
    )


def _legend_layout(labels: Sequence[str], width_mm: float) -> tuple[int, int]:
    """(columns, rows) of a legend of ``labels`` read row by row that fits ``width_mm``:
    the fewest rows, then the fewest columns giving that many rows (rows as even as they
    can be: 4 + 3 entries, not 6 + 1)."""
    size = float(RCPARAMS["legend.fontsize"])
    # handle 2 em and handle-text pad 0.8 em an entry, column spacing 2 em between
    # columns, border pad 0.4 em a side
    entries = [_text_width_pt(t, size) + 2.8 * size for t in labels]
    budget = 0.96 * width_mm * 72 / 25.4 - 0.8 * size
    n = len(labels)

    def fits(c: int) -> bool:
        widths = [max(entries[j::c]) for j in range(c)]
        return sum(widths) + 2.0 * size * (c - 1) <= budget

    widest = next((c for c in range(n, 0, -1) if fits(c)), 1)
    rows = math.ceil(n / widest)
    cols = next(c for c in range(math.ceil(n / rows), widest + 1) if fits(c))
    return cols, math.ceil(n / cols)


def _row_major(items: Sequence, cols: int) -> list:
    """Reorder legend entries so that matplotlib, which fills columns first, shows them
    row by row (left to right, then the next row)."""
    rows = math.ceil(len(items) / cols)
    return [
        items[i * cols + j] for j in range(cols) for i in range(rows) if i * cols + j < len(items)
    ]


def _shares(
    sub: pd.DataFrame, items: list[str], responses: list, suppressed: bool
) -> tuple[np.ndarray, np.ndarray, float]:
    """Percent of each item's answers per response (rows items), the percent hidden by
    disclosure control, and the largest number of answers to an item the table tells.

    Without hidden counts, percentages are computed from the counts; with them, the
    printed percentages are drawn and the hidden ones make up the rest of the bar.
    """
    counts = (
        sub.groupby(["item", "response"])["n"]
        .sum(min_count=1)
        .unstack()
        .reindex(index=items, columns=responses)
    )
    if not suppressed or "percent" not in sub.columns:
        filled = counts.fillna(0.0).to_numpy(dtype=float)
        answered = filled.sum(axis=1, keepdims=True)
        pct = np.divide(100 * filled, answered, out=np.zeros_like(filled), where=answered > 0)
        return pct, np.zeros(len(items)), float(answered.max())
    printed = (
        sub.assign(percent=pd.to_numeric(sub["percent"], errors="coerce"))
        .groupby(["item", "response"])["percent"]
        .sum(min_count=1)
        .unstack()
        .reindex(index=items, columns=responses)
    )
    pct = printed.where(counts.notna()).fillna(0.0).to_numpy(dtype=float)
    answered = [
        printed_total(counts.iloc[k], printed.iloc[k]) if counts.iloc[k].notna().any() else 0.0
        for k in range(len(items))
    ]
    hidden = np.where(counts.isna().any(axis=1), np.clip(100.0 - pct.sum(axis=1), 0, 100), 0.0)
    told = [a for a in answered if a == a]
    return pct, hidden, float(max(told)) if told else math.nan


def _panels(
    data: pd.DataFrame, shape: StudyShape | None, roles: Sequence[str] | None, by: str
) -> list[str]:
    """Groups with at least one answer, in declared order; ``all`` only without a split."""
    answered = data.groupby("role")["n"].sum()
    answered = answered[answered > 0]
    if roles is not None:
        wanted = [str(r) for r in roles]
    else:
        present = list(answered.index)
        if shape is not None:
            wanted = shape.group_order(present, by)
        else:
            wanted = sorted(g for g in present if g != ALL) + ([ALL] if ALL in present else [])
        split = [g for g in wanted if g != ALL]
        wanted = split or wanted
    return [g for g in wanted if g in answered.index]


def _title(group: str, shape: StudyShape | None, by: str) -> str:
    if shape is not None:
        return shape.group_label(group, by, plural=True)
    return "All" if group == ALL else group


def plot_likert(
    likert: pd.DataFrame,
    scale: Scale,
    *,
    shape: StudyShape | None = None,
    roles: Sequence[str] | None = None,
    by: str = "role",
) -> Figure | None:
    """Diverging stacked bars of one scale's items, one panel per group.

    Parameters
    ----------
    likert : DataFrame
        The tidy Likert table (:func:`partner_study.describe.table_likert`).
    scale : Scale
        The scale to draw (items, response range, response labels, item labels).
    shape : StudyShape, optional
        The study's shape (:func:`partner_study.shape.read_shape`): panels in the
        codebook's declared order, titled with the declared plural labels. Without it,
        groups are sorted and titled by their stored value.
    roles : list of str, optional
        Panels, in order (default: every group of the table with an answer to the scale,
        in declared order; the margin ``all`` only when the table has no other group).
    by : str
        What the table's ``role`` column holds (``role``, ``site`` or another variable),
        for the order and labels of the panels.

    Returns
    -------
    Figure or None
        Double-column figure, or ``None`` when nobody answered any item of the scale
        (nothing to draw). A group with no answers to the scale gets no panel. When the
        table hides small counts (disclosure control), the printed percentages are drawn
        and the hidden ones together make a hatched segment at the end of the bar
        (``Suppressed`` in the legend); a panel's n is given when the printed cells tell
        it.
    """
    data = likert[likert["scale"].astype(str) == scale.name].assign(
        role=lambda d: d["role"].astype(str),
        item=lambda d: d["item"].astype(str),
        response=lambda d: pd.to_numeric(d["response"], errors="coerce"),
        n=lambda d: pd.to_numeric(d["n"], errors="coerce"),
    )
    suppressed = bool(data["n"].isna().any())
    groups = _panels(data, shape, roles, by)
    if not groups:
        return None
    responses = scale.responses
    labels = _response_labels(scale, shape)
    colours = _colours(len(responses))
    items = list(scale.items)

    texts = [_wrap(item_label(scale, i, shape), ITEM_WRAP) for i in items]
    lines = np.array([t.count("\n") + 1 for t in texts])
    units = np.maximum(1.0, (lines * _LINE_MM + 1.0) / _ROW_MM)
    tops = units.sum() - np.concatenate([[0.0], np.cumsum(units)[:-1]])
    y = tops - units / 2

    legend_labels = [_wrap(t, LEGEND_WRAP) for t in labels]
    legend_all = [*legend_labels, SUPPRESSED_LABEL] if suppressed else legend_labels
    cols, rows = _legend_layout(legend_all, DOUBLE_COLUMN_MM)
    legend_lines = sum(
        max(t.count("\n") + 1 for t in legend_all[r * cols : (r + 1) * cols]) for r in range(rows)
    )
    ncols = min(len(groups), MAX_PANELS_PER_ROW)
    nrows = math.ceil(len(groups) / ncols)
    height = (
        nrows * _panel_row_mm(float(units.sum()))
        + _LEGEND_MM
        + _LEGEND_LINE_MM * (legend_lines - 1)
    )
    with journal_style():
        fig, axes = new_figure("double", height, nrows=nrows, ncols=ncols, squeeze=False)
        flat = list(axes.ravel())
        for ax in flat[len(groups) :]:
            ax.remove()
        for k, (ax, group) in enumerate(zip(flat, groups, strict=False)):
            sub = data[data["role"] == group]
            pct, hidden, n = _shares(sub, items, list(responses), suppressed)
            half = len(responses) // 2
            below = pct[:, :half].sum(axis=1)
            if len(responses) % 2 == 1:
                below = below + pct[:, half] / 2
            left = -below
            for j, label in enumerate(labels):
                ax.barh(
                    y,
                    pct[:, j],
                    left=left,
                    color=colours[j],
                    height=0.7,
                    edgecolor="white",
                    linewidth=0.3,
                    label=label,
                )
                left = left + pct[:, j]
            if suppressed:  # the hidden answers together, after the last response
                ax.barh(y, hidden, left=left, height=0.7, **_SUPPRESSED_STYLE)
            ax.axvline(0, color="0.3", linewidth=0.6)
            ax.set_xlim(-100, 100)
            ax.set_xticks([-100, -50, 0, 50, 100])
            ax.set_xticklabels(["100", "50", "0", "50", "100"])
            ax.set_xlabel("Percent of answers")
            ax.set_ylim(-0.1, units.sum() + 0.1)
            title = _title(group, shape, by)
            ax.set_title(f"{title} (n = {int(n):,})" if n == n else title, loc="left")
            ax.set_yticks(y)
            if k % ncols == 0:
                ax.set_yticklabels(texts)
            else:
                ax.set_yticklabels([])
            ax.tick_params(axis="y", length=0)
        handles = [Patch(color=c, label=t) for t, c in zip(legend_labels, colours, strict=True)]
        if suppressed:
            handles.append(Patch(label=SUPPRESSED_LABEL, **_SUPPRESSED_STYLE))
        fig.legend(handles=_row_major(handles, cols), loc="outside lower center", ncols=cols)
    return fig


def plot_likert_scales(
    likert: pd.DataFrame,
    codebook: Codebook,
    *,
    shape: StudyShape | None = None,
    by: str = "role",
) -> dict[str, Figure]:
    """One :func:`plot_likert` figure per scale with answers, keyed ``likert-<scale>``, in
    the codebook's order (a scale nobody answered has no figure).

    ``shape`` defaults to the shape of ``codebook``
    (:func:`partner_study.shape.study_shape`)."""
    shape = shape if shape is not None else study_shape(codebook)
    out: dict[str, Figure] = {}
    for name, scale in codebook.scales.items():
        fig = plot_likert(likert, scale, shape=shape, by=by)
        if fig is not None:
            out[f"likert-{name}"] = fig
    return out
