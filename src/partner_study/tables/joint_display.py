"""The joint display of themes across roles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from partner_study.tables._cells import (
    _LABEL_NAMES,
    _display,
    _is_missing,
    _num,
    _pretty,
    _text,
)

__all__: list[str] = []


def _joint_display(
    frame: pd.DataFrame, *, digits: int, labels: Mapping[str, str] | None, **_: Any
) -> pd.DataFrame:
    data: dict[str, Any] = {"Theme": frame["theme"].map(lambda v: _pretty(v, labels))}
    known = {
        "pct_patients": ("Patients, %", lambda v: _num(v, 1)),
        "pct_professionals": ("Professionals, %", lambda v: _num(v, 1)),
        "difference_pp": (
            "Difference, pp",
            lambda v: (
                ("+" if not _is_missing(v) and float(v) > 0 and _num(v, 1) != "0.0" else "")
                + _num(v, 1)
            ),
        ),
    }
    for name in frame.columns:
        if name == "theme":
            continue
        values = frame[name]
        if name in known:
            header, fmt = known[name]
            data[header] = pd.to_numeric(values, errors="coerce").map(fmt)
        elif name == "label":
            data["Finding"] = _text(values).map(lambda v: _LABEL_NAMES.get(v, _pretty(v)))
        elif name in ("patient_quote", "professional_quote"):
            data[_pretty(name.removesuffix("_quote")) + " quote"] = _text(values)
        elif name.startswith("pct_level_"):
            level = name.removeprefix("pct_level_")
            data[f"{_pretty(level, labels)}, %"] = pd.to_numeric(values, errors="coerce").map(
                lambda v: _num(v, 1)
            )
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            pct = name.startswith("pct_") or "percent" in name
            data[_pretty(name, labels)] = values.map(lambda v, d=(1 if pct else digits): _num(v, d))
        else:
            data[_pretty(name, labels)] = _text(values)
    return _display(
        data,
        "Percentages of coded participants of each role who raised the "
        "theme; difference in percentage points (pp), patients minus "
        "professionals.",
    )
