"""Exemplar quotations per theme and role."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from partner_study.shape import StudyShape
from partner_study.tables._cells import (
    _blank_repeats,
    _display,
    _pretty,
    _role,
    _text,
)

__all__: list[str] = []


def _quotes(
    frame: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None,
    shape: StudyShape | None = None,
    **_: Any,
) -> pd.DataFrame:
    data: dict[str, Any] = {
        "Theme": _blank_repeats(frame["theme"].map(lambda v: _pretty(v, labels)))
    }
    if "code" in frame.columns:
        data["Code"] = frame["code"].map(lambda v: _pretty(v, labels))
    # the role's declared singular label; a code or theme of the same name does not win
    data["Role"] = frame["role"].map(
        lambda v: (
            shape.role_label(v, plural=False)
            if shape is not None
            else _role(v, labels, None, plural=False)
        )
    )
    if "pseudonym" in frame.columns:
        data["Speaker"] = _text(frame["pseudonym"])
    data["Quote"] = _text(frame["quote"]).map(lambda q: f"\u201c{q}\u201d" if q else "")
    return _display(
        data,
        "Quotes are redacted of direct identifiers ([name], [email], ...); "
        "speakers are identified by pseudonym.",
    )
