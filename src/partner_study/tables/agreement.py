"""Inter-coder agreement per code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from partner_study.tables._cells import (
    _display,
    _int,
    _num,
    _pretty,
    _text,
)

__all__: list[str] = []


def _agreement(
    frame: pd.DataFrame, *, digits: int, labels: Mapping[str, str] | None, **_: Any
) -> pd.DataFrame:
    data: dict[str, Any] = {"Code": frame["code"].map(lambda v: _pretty(v, labels))}
    columns = [
        ("n_units", "Units", _int),
        ("n_coders", "Coders", _int),
        ("percent_agreement", "Agreement, %", lambda v: _num(v, 1)),
        ("cohen_kappa", "Cohen's κ", lambda v: _num(v, digits)),
        ("krippendorff_alpha", "Krippendorff's α", lambda v: _num(v, digits)),
    ]
    for name, header, fmt in columns:
        if name in frame.columns:
            data[header] = pd.to_numeric(frame[name], errors="coerce").map(fmt)
    if "note" in frame.columns and _text(frame["note"]).ne("").any():
        data["Note"] = _text(frame["note"])
    return _display(
        data,
        "Agreement on the presence of each code in the double-coded "
        "segments; κ: Cohen's kappa; α: Krippendorff's alpha (nominal).",
    )
