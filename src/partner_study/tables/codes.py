"""Codes and themes by role, and their co-occurrence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from partner_study.shape import StudyShape
from partner_study.tables._cells import (
    _ALL,
    _THEME_ROW,
    SUPPRESSED,
    _col,
    _display,
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


def _group_column(frame: pd.DataFrame) -> str | None:
    return next((c for c in ("role", "site") if c in frame.columns), None)


def _codes(
    frame: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None,
    shape: StudyShape | None = None,
    marker: str = SUPPRESSED,
    suppress_below: int = 5,
    **_: Any,
) -> pd.DataFrame:
    group = _group_column(frame)
    if group == "role" and "site" in frame.columns and frame["site"].eq(_ALL).any():
        frame = frame[frame["site"] == _ALL]  # by=("site", "role"): the role margins
    t = pd.DataFrame(
        {
            "theme": _text(frame["theme"]),
            "code": _text(frame["code"]),
            "group": _text(frame[group]) if group else _ALL,
            "n": pd.to_numeric(frame["n_participants"], errors="coerce"),
            "pct": pd.to_numeric(_col(frame, "pct_participants"), errors="coerce"),
            "seg": pd.to_numeric(_col(frame, "n_segments"), errors="coerce"),
        }
    )
    groups = _group_order(t["group"], shape, group or "role")
    t["cell"] = np.where(
        t["n"].isna(),
        marker,
        np.where(
            t["pct"].isna(),
            t["n"].map(_int),
            t["n"].map(_int) + " (" + t["pct"].map(lambda v: _num(v, 1)) + ")",
        ),
    )
    key = t["theme"] + "\x00" + t["code"]
    t["_o"] = key.map({k: i for i, k in enumerate(pd.unique(key))})
    wide = (
        t.pivot_table(
            index=["_o", "theme", "code"],
            columns="group",
            values="cell",
            aggfunc="first",
            sort=True,
        )
        .reindex(columns=groups)
        .reset_index()
    )
    is_theme = wide["code"] == _THEME_ROW
    data: dict[str, Any] = {
        "Theme": np.where(
            is_theme | ~wide["theme"].eq(wide["theme"].shift()),
            wide["theme"].map(lambda v: _pretty(v, labels)),
            "",
        ),
        "Code": np.where(is_theme, "(any code)", wide["code"].map(lambda v: _pretty(v, labels))),
    }
    base = t[(t["pct"] > 0) & t["n"].notna()]
    sizes = (
        (base["n"] * 100 / base["pct"])
        .round()
        .groupby(base["group"])
        .agg(lambda s: s.mode().iloc[0])
    )
    for g in groups:
        header = (
            _role(g, labels, shape)
            if group != "site"
            else (shape.group_label(g, "site") if shape is not None else _pretty(g, labels))
        )
        if g in sizes.index:
            header += f" (n = {_int(sizes[g])})"
        data[header] = wide[g].map(lambda v: "" if _is_missing(v) else v)
    segments = t[t["group"] == (_ALL if _ALL in groups else groups[0] if groups else _ALL)]
    if "n_segments" in frame.columns and len(segments):
        seg = wide["_o"].map(segments.set_index("_o")["seg"])
        data["Segments"] = np.where(seg.isna(), marker, seg.map(_int))
    note = (
        "Data are participants who raised the code at least once, n (% of the group's coded "
        "participants); (any code): the theme as a whole, a participant counted once."
    )
    if "Segments" in data:
        note += " Segments: coded segments carrying the code (all groups)."
    if t["n"].isna().any():
        note += _suppression_note(marker, suppress_below)
    return _display(data, note)


def _cooccurrence(
    frame: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None,
    marker: str = SUPPRESSED,
    suppress_below: int = 5,
    **_: Any,
) -> pd.DataFrame:
    def counts(column: str) -> pd.Series:
        values = pd.to_numeric(frame[column], errors="coerce")
        return pd.Series(np.where(values.isna(), marker, values.map(_int)), index=frame.index)

    data: dict[str, Any] = {
        "Code": frame["code_a"].map(lambda v: _pretty(v, labels)),
        "Co-occurring code": frame["code_b"].map(lambda v: _pretty(v, labels)),
        "Segments": counts("n_segments"),
    }
    note = "Segments (participants) coded with both codes."
    if "n_participants" in frame.columns:
        data["Participants"] = counts("n_participants")
    if any(
        (pd.Series(v) == marker).any()
        for k, v in data.items()
        if k not in ("Code", "Co-occurring code")
    ):
        note += _suppression_note(marker, suppress_below)
    return _display(data, note)
