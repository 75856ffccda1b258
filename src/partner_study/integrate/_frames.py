"""Helpers shared by the joint displays: required columns, mentions, column-name forms.

Layer 3 (analysis), part of :mod:`partner_study.integrate`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import pandas as pd

from partner_study.errors import ParamsError, Problem, StudyDataError

__all__: list[str] = []


def _require(frame: pd.DataFrame, columns: Sequence[str], *, name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise StudyDataError(
            Problem(
                file=f"{name} (data frame)",
                found=f"no column(s) {', '.join(repr(c) for c in missing)}",
                expected=f"the {name} columns of the data contract",
                fix=f"pass the '{name}' frame built by the pipeline or add the missing column(s)",
            )
        )


def _mentions(segments: pd.DataFrame) -> pd.DataFrame:
    """Distinct (participant_id, theme) over coded segments, union of coders."""
    _require(segments, ["participant_id", "theme", "code"], name="segments")
    coded = segments[["participant_id", "theme", "code"]].dropna(subset=["theme", "code"])
    return coded[["participant_id", "theme"]].drop_duplicates(ignore_index=True)


def _snake(label: object) -> str:
    """``"Co-construction"`` -> ``"co_construction"``; accents dropped (``"Éducation"`` ->
    ``"education"``), so a column name holds ASCII letters, digits and ``_`` only."""
    text = unicodedata.normalize("NFKD", str(label)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")


def _role_names(roles: Sequence[str] | str | None) -> list[str] | None:
    if roles is None:
        return None
    names = [roles] if isinstance(roles, str) else [str(r) for r in roles]
    if len(set(names)) != len(names):
        raise ParamsError(f"roles names a role twice: {names!r}; list each declared role once")
    return names
