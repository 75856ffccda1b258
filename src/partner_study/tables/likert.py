"""Likert responses and the reliability of the scales."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from partner_study.shape import StudyShape
from partner_study.tables._cells import (
    _blank_repeats,
    _col,
    _display,
    _group_order,
    _int,
    _is_missing,
    _num,
    _pretty,
    _role,
    _text,
    format_estimate,
)

__all__: list[str] = []


def _likert(
    frame: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None,
    shape: StudyShape | None = None,
    **_: Any,
) -> pd.DataFrame:
    t = frame.assign(
        _scale=_text(frame["scale"]),
        _item=_text(frame["item"]),
        _role=_text(frame["role"]),
        _resp=pd.to_numeric(frame["response"], errors="coerce"),
        _n=pd.to_numeric(frame["n"], errors="coerce"),
        _pct=pd.to_numeric(_col(frame, "percent"), errors="coerce"),
    )
    t["_cell"] = np.where(
        t["_pct"].isna(),
        t["_n"].map(_int),
        t["_n"].map(_int) + " (" + t["_pct"].map(lambda v: _num(v, 1)) + ")",
    )
    order = {r: i for i, r in enumerate(_group_order(t["_role"], shape))}
    key = t["_scale"] + "\x00" + t["_item"]
    t["_o"] = key.map({k: i for i, k in enumerate(pd.unique(key))})
    t["_r"] = t["_role"].map(order)
    wide = t.pivot_table(
        index=["_o", "_r", "_scale", "_item", "_role"],
        columns="_resp",
        values="_cell",
        aggfunc="first",
        sort=True,
    ).reset_index()
    responses = [c for c in wide.columns if not str(c).startswith("_")]
    data: dict[str, Any] = {
        "Scale": _blank_repeats(wide["_scale"].map(lambda v: _pretty(v, labels))),
        "Item": _blank_repeats(wide["_item"].map(lambda v: labels.get(v, v) if labels else v)),
        "Group": wide["_role"].map(lambda v: _role(v, labels, shape)),
    }
    for r in responses:
        name = f"{r:g}" if isinstance(r, float) else str(r)
        data[labels.get(name, name) if labels else name] = wide[r].map(
            lambda v: "" if _is_missing(v) else v
        )
    return _display(data, "Data are n (%) of the group's answers to the item, by response option.")


def _reliability(
    frame: pd.DataFrame, *, digits: int, labels: Mapping[str, str] | None, **_: Any
) -> pd.DataFrame:
    data: dict[str, Any] = {"Scale": frame["scale"].map(lambda v: _pretty(v, labels))}
    if "n_items" in frame.columns:
        data["Items"] = frame["n_items"].map(_int)
    if "n" in frame.columns:
        data["n"] = frame["n"].map(_int)
    lo, hi = _col(frame, "alpha_ci_low"), _col(frame, "alpha_ci_high")
    data["α [95% CI]"] = [
        format_estimate(a, b, c, digits=digits)
        for a, b, c in zip(frame["alpha"], lo, hi, strict=True)
    ]
    if "omega" in frame.columns:
        data["ω"] = frame["omega"].map(lambda v: _num(v, digits))
    return _display(
        data, "α: Cronbach's alpha with 95% confidence interval; ω: McDonald's omega (total)."
    )
