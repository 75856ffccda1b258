"""Table 1: characteristics of the participants, by role."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from partner_study.errors import ParamsError
from partner_study.shape import StudyShape
from partner_study.tables._cells import (
    _blank_repeats,
    _col,
    _display,
    _flag,
    _group_order,
    _int,
    _is_missing,
    _num,
    _pretty,
    _role,
    _suppression_note,
    _text,
)

__all__: list[str] = []


def _characteristics(
    frame: pd.DataFrame,
    *,
    digits: int,
    marker: str,
    suppress_below: int,
    numeric: str,
    labels: Mapping[str, str] | None,
    shape: StudyShape | None = None,
    **_: Any,
) -> pd.DataFrame:
    if numeric not in ("both", "mean", "median"):
        raise ParamsError(f"numeric must be 'both', 'mean' or 'median', not {numeric!r}.")
    t = pd.DataFrame(
        {
            "variable": _text(frame["variable"]),
            "level": _text(frame["level"]),
            "role": _text(frame["role"]),
            "suppressed": _flag(_col(frame, "suppressed", False)),
            **{
                c: pd.to_numeric(_col(frame, c), errors="coerce")
                for c in ["n", "percent", "mean", "sd", "median", "q1", "q3", "missing"]
            },
        }
    )
    roles = _group_order(t["role"], shape)
    size = t[t["variable"] == "participants"].drop_duplicates("role").set_index("role")
    headers = {}
    for r in roles:
        n = size["n"].get(r, np.nan)
        headers[r] = (
            f"{_role(r, labels, shape)} (n = {_int(n)})"
            if not _is_missing(n)
            else _role(r, labels, shape)
        )
    body = t[t["variable"] != "participants"]
    numeric_var = body.groupby("variable", sort=False)["level"].transform(lambda s: (s == "").all())

    cat = body[~numeric_var]
    cat_cell = np.where(
        cat["suppressed"],
        marker,
        np.where(
            cat["percent"].isna(),
            cat["n"].map(_int),
            cat["n"].map(_int) + " (" + cat["percent"].map(lambda v: _num(v, 1)) + ")",
        ),
    )
    pieces = [cat.assign(cell=cat_cell, _k=0)]
    num = body[numeric_var]
    for k, key in enumerate(["mean", "median"], start=1):
        if numeric not in ("both", key) or num.empty:  # no numeric variable: nothing to show
            continue
        fmt = {
            c: num[c].map(lambda v: _num(v, digits)) for c in ["mean", "sd", "median", "q1", "q3"]
        }
        if key == "mean":
            level, centre, has_spread = "Mean (SD)", fmt["mean"], num["sd"].notna()
            full = fmt["mean"] + " (" + fmt["sd"] + ")"
        else:
            level, centre = "Median [Q1, Q3]", fmt["median"]
            has_spread = num["q1"].notna() & num["q3"].notna()
            full = fmt["median"] + " [" + fmt["q1"] + ", " + fmt["q3"] + "]"
        cell = np.where(num["suppressed"], marker, np.where(has_spread, full, centre))
        pieces.append(num.assign(level=level, cell=cell, _k=k))
    # Missing rows: one per variable and group; NaN while other cells are shown = suppressed.
    per = (
        body.groupby(["variable", "role"], sort=False).agg(missing=("missing", "max")).reset_index()
    )
    has_missing_col = "missing" in frame.columns
    shown = per["missing"].fillna(0).gt(0) | (per["missing"].isna() & has_missing_col)
    show_vars = set(per.loc[shown, "variable"])
    miss = per[per["variable"].isin(show_vars)]
    miss_cell = np.where(
        miss["missing"].isna(), marker if has_missing_col else "", miss["missing"].map(_int)
    )
    pieces.append(
        miss.assign(level="Missing", cell=miss_cell, _k=3)[
            ["variable", "level", "role", "cell", "_k"]
        ]
    )

    long = pd.concat(
        [p[["variable", "level", "role", "cell", "_k"]] for p in pieces], ignore_index=True
    )
    var_rank = {v: i for i, v in enumerate(pd.unique(body["variable"]))}
    level_rank = {
        key: i for i, key in enumerate(pd.unique(body["variable"] + "\x00" + body["level"]))
    }
    long["_v"] = long["variable"].map(var_rank)
    long["_l"] = (long["variable"] + "\x00" + long["level"]).map(level_rank).fillna(0)
    wide = long.pivot_table(
        index=["_v", "_k", "_l", "variable", "level"],
        columns="role",
        values="cell",
        aggfunc="first",
        sort=True,
    )
    wide = wide.reindex(columns=roles).reset_index()
    data: dict[str, Any] = {
        "Characteristic": _blank_repeats(wide["variable"].map(lambda v: _pretty(v, labels))),
        "Category": [
            shape.level_label(v, lv) if shape is not None else lv
            for v, lv in zip(wide["variable"], wide["level"], strict=True)
        ],
    }
    for r in roles:
        data[headers[r]] = wide[r].map(lambda v: "" if _is_missing(v) else v)
    parts = ["Data are n (%) of those who answered"]
    if numeric in ("both", "mean"):
        parts.append("mean (SD)")
    if numeric in ("both", "median"):
        parts.append("median [Q1, Q3]")
    note = ", ".join(parts[:-1]) + " or " + parts[-1] + "." if len(parts) > 1 else parts[0] + "."
    if (wide[roles] == marker).any().any():
        note += _suppression_note(marker, suppress_below)
    if wide[roles].isna().any().any():
        note += " Blank: not asked of that group."
    return _display(data, note)
