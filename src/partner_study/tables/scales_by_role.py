"""Scales by role: scores and reliability in each role, and the items compared."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from partner_study.shape import StudyShape
from partner_study.tables._cells import (
    SUPPRESSED,
    _blank_repeats,
    _col,
    _display,
    _group_order,
    _hidden_in_column,
    _int,
    _num,
    _pretty,
    _role,
    _suppression_note,
    _text,
    format_estimate,
)

__all__: list[str] = []


def _hidden_or(values: pd.Series, cells: pd.Series, marker: str) -> pd.Series:
    """``cells``, with the marker where ``values`` is hidden by disclosure control."""
    hidden = _hidden_in_column(values)
    return cells.where(~hidden.to_numpy(), marker)


def _scales_by_role(
    frame: pd.DataFrame,
    *,
    digits: int,
    labels: Mapping[str, str] | None,
    shape: StudyShape | None = None,
    marker: str = SUPPRESSED,
    suppress_below: int = 5,
    **_: Any,
) -> pd.DataFrame:
    order = {r: i for i, r in enumerate(_group_order(_text(frame["role"]), shape))}
    scales = _text(frame["scale"])
    t = frame.assign(
        _s=scales.map({s: i for i, s in enumerate(pd.unique(scales))}),
        _r=_text(frame["role"]).map(order),
    ).sort_values(["_s", "_r"], kind="stable")
    n = pd.to_numeric(t["n"], errors="coerce")
    complete = pd.to_numeric(_col(t, "n_complete"), errors="coerce")
    mean, sd = (pd.to_numeric(_col(t, c), errors="coerce") for c in ("mean", "sd"))
    data: dict[str, Any] = {
        "Scale": _blank_repeats(t["scale"].map(lambda v: _pretty(v, labels))),
        "Group": t["role"].map(lambda v: _role(v, labels, shape)),
        "n": _hidden_or(n, n.map(_int), marker),
        "Mean (SD)": _hidden_or(
            n,
            pd.Series(
                [
                    "" if pd.isna(m) else f"{_num(m, digits)} ({_num(s, digits)})"
                    for m, s in zip(mean, sd, strict=True)
                ],
                index=t.index,
            ),
            marker,
        ),
        "n, every item answered": _hidden_or(complete, complete.map(_int), marker),
    }
    lo, hi = _col(t, "alpha_ci_low"), _col(t, "alpha_ci_high")
    alpha = pd.Series(
        [
            format_estimate(a, b, c, digits=digits)
            for a, b, c in zip(_col(t, "alpha"), lo, hi, strict=True)
        ],
        index=t.index,
    )
    data["α [95% CI]"] = _hidden_or(complete, alpha, marker)
    omega = pd.to_numeric(_col(t, "omega"), errors="coerce").map(lambda v: _num(v, digits))
    data["ω"] = _hidden_or(complete, omega, marker)
    if "note" in t.columns and _text(t["note"]).ne("").any():
        data["Note"] = _text(t["note"])
    note = (
        "Scale scores (mean of the answered items, reverse-keyed items recoded) of the "
        "respondents of each role with a score; α: Cronbach's alpha with 95% confidence "
        "interval and ω: McDonald's omega (total), on the respondents who answered every "
        "item of the scale."
    )
    if _hidden_in_column(n).any() or _hidden_in_column(complete).any():
        note += _suppression_note(marker, suppress_below)
    return _display(data, note)


def _items_by_role(
    frame: pd.DataFrame,
    *,
    digits: int,
    labels: Mapping[str, str] | None,
    shape: StudyShape | None = None,
    **_: Any,
) -> pd.DataFrame:
    roles = _group_order(_text(frame["role"]), shape)
    reference = str(_text(frame["reference"]).iloc[0]) if len(frame) else ""
    others = [r for r in roles if r != reference]
    t = frame.assign(_scale=_text(frame["scale"]), _item=_text(frame["item"]))
    items = list(dict.fromkeys(zip(t["_scale"], t["_item"], strict=True)))
    keys = zip(t["_scale"], t["_item"], _text(t["role"]), strict=True)
    by = {key: row for key, row in zip(keys, t.itertuples(index=False), strict=True)}
    name = {r: _role(r, labels, shape) for r in roles}
    data: dict[str, list[str]] = {"Scale": [], "Item": []}
    rest_headers = {r: f"Item-rest r, {name[r]}" for r in roles}
    diff_headers = {r: f"{name[r]} − {name[reference]} [95% CI]" for r in others}
    for header in [*rest_headers.values(), *diff_headers.values()]:
        data[header] = []
    notes: dict[str, list[str]] = {r: [] for r in roles}
    for scale, item in items:
        data["Scale"].append(_pretty(scale, labels))
        data["Item"].append(str(labels.get(item, item)) if labels else item)
        for r in roles:
            row = by.get((scale, item, r))
            data[rest_headers[r]].append("" if row is None else _num(row.item_rest, digits))
            if r in diff_headers:
                cell = (
                    ""
                    if row is None
                    else format_estimate(row.difference, row.ci_low, row.ci_high, digits=digits)
                )
                data[diff_headers[r]].append(cell)
            said = "" if row is None else str(row.note or "")
            notes[r].append("" if said == "nan" else said)
    data["Scale"] = list(_blank_repeats(pd.Series(data["Scale"], dtype=object)))
    text = (
        "Item-rest r: correlation of the item with the sum of the scale's other items "
        "(reverse-keyed items recoded) among the role's respondents who answered every "
        f"item. Differences: mean answer of each role minus that of {name.get(reference, '')}"
        " on the item's response scale as worded (reverse-keyed items not recoded), with "
        "Welch's 95% confidence interval; respondents with a score on the scale."
    )
    per_item = [""] * len(items)
    for r in roles:
        # a role shown on no item (too few answers everywhere): no columns, one sentence
        shown = [h for h in (rest_headers[r], diff_headers.get(r)) if h is not None]
        if all(not any(data[h]) for h in shown):
            for h in shown:
                del data[h]
            said = next((n for n in notes[r] if n), "not compared")
            text += f" {name[r]}: {said}."
            continue
        for i, said in enumerate(notes[r]):
            if said:
                per_item[i] += ("; " if per_item[i] else "") + f"{name[r]}: {said}"
    if any(per_item):
        data["Note"] = per_item
    return _display(data, text)
