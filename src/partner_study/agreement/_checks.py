"""Input checks shared by the agreement statistics: choices, confidence levels, and two
coders' labels paired over the units both coded.

Layer 3 (private to :mod:`partner_study.agreement`). Imports only
:mod:`partner_study.errors` (layer 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from partner_study.errors import ParamsError, Problem, StudyDataError

__all__: list[str] = []


def _data_error(where: str, found: str, expected: str, fix: str) -> StudyDataError:
    return StudyDataError(Problem(file=where, found=found, expected=expected, fix=fix))


def _check_choice(name: str, value: Any, allowed: Sequence[Any]) -> None:
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ParamsError(
            f"{name}={value!r} is not known; expected one of {shown}. "
            f"Fix: set {name} to one of {shown}."
        )


def _check_ci(ci: float) -> float:
    if not isinstance(ci, (int, float)) or not 0 < ci < 1:
        raise ParamsError(
            f"ci={ci!r} is not a confidence level; expected a number between 0 and 1 "
            "(exclusive). Fix: use e.g. ci=0.95."
        )
    return float(ci)


def _as_labels(x: Any, *, where: str, name: str) -> np.ndarray:
    """One coder's labels as a 1-D array (object or numeric), positions kept."""
    if isinstance(x, pd.DataFrame):
        raise _data_error(
            where,
            f"a DataFrame for {name}",
            "one coder's labels as a 1-D sequence (list, array or Series)",
            f"pass a single column, e.g. df['coder_a'], as {name}",
        )
    try:
        series = x if isinstance(x, pd.Series) else pd.Series(x)
    except (ValueError, TypeError) as exc:
        raise _data_error(
            where,
            f"{name} of type {type(x).__name__}",
            "one coder's labels as a 1-D sequence (list, array or Series)",
            f"pass {name} as a list, a 1-D array or a Series",
        ) from exc
    return series.to_numpy()


def _paired_labels(a: Any, b: Any, *, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Both coders' labels over the units both coded (missing dropped pairwise)."""
    a_arr = _as_labels(a, where=where, name="a")
    b_arr = _as_labels(b, where=where, name="b")
    if len(a_arr) != len(b_arr):
        raise _data_error(
            where,
            f"a with {len(a_arr)} units and b with {len(b_arr)} units",
            "both coders' labels for the same units in the same order",
            "align the two coders on the unit id first (e.g. DataFrame.pivot), "
            "with NaN where a coder did not code a unit",
        )
    keep = ~(pd.isna(a_arr) | pd.isna(b_arr))
    return a_arr[keep], b_arr[keep]
