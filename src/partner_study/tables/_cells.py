"""Cells of the paper tables: numbers, p values, estimates, names, shared helpers."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.shape import StudyShape

__all__ = ["SUPPRESSED", "format_p_value", "format_estimate"]

#: Default marker of a suppressed cell.
SUPPRESSED = "suppressed"

_ALL = "all"
_THEME_ROW = "(theme)"
_JOINT_ALL = "(all)"
_MODEL_NAMES = {
    "ols": "OLS",
    "mixed": "Mixed",
    "ordinal": "Ordinal logit",
    "ordinal_probit": "Ordinal probit",
    "ols_mice": "OLS, imputed",
}
_LABEL_NAMES = {
    "convergence": "Convergence",
    "divergence": "Divergence",
    "not_comparable": "Not comparable",
    "suppressed": "Not compared",
}
_NUMERIC_CELL = re.compile(
    r"^\s*(?:[<>]?[+-]?\d[\d,]*(?:\.\d+)?%?(?:\s*[†‡*]+)?"
    r"(?:\s*[\(\[][^\)\]]*[\)\]])?|suppressed|[<>]\d+)\s*$"
)


# --------------------------------------------------------------------------- cells


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _num(value: Any, digits: int) -> str:
    """A number with ``digits`` decimals; '' when missing; no negative zero."""
    if _is_missing(value):
        return ""
    text = f"{float(value):.{digits}f}"
    return text[1:] if re.fullmatch(r"-0(\.0*)?", text) else text


def _int(value: Any) -> str:
    return "" if _is_missing(value) else f"{int(round(float(value))):,}"


def _p_text(p: Any) -> str:
    if _is_missing(p):
        return ""
    p = float(p)
    if p < 0.001:
        return "<0.001"
    if p < 0.01:
        return f"{p:.3f}"
    if 0.045 <= p < 0.05:
        return f"{math.floor(p * 1000 + 1e-9) / 1000:.3f}"
    if p > 0.99:
        return ">0.99"
    return f"{p:.2f}"


def format_p_value(p: Any) -> Any:
    """Format p values to the NEJM/BMJ convention.

    Parameters
    ----------
    p : float or array-like of float
        P values (NaN gives an empty string).

    Returns
    -------
    str or Series of str
        ``"<0.001"``; three decimals below 0.01; two decimals from 0.01, except
        0.045 <= p < 0.05, which keeps three decimals truncated (``"0.049"``) so a p
        below 0.05 never reads ``"0.05"``; ``">0.99"`` above 0.99.

    References
    ----------
    Harrington D, et al. New guidelines for statistical reporting in the journal. N Engl J
    Med 2019;381:285-286. doi:10.1056/NEJMe1906559

    Examples
    --------
    >>> format_p_value(0.0004), format_p_value(0.0123), format_p_value(0.0496)
    ('<0.001', '0.01', '0.049')
    """
    if np.ndim(p) == 0:
        return _p_text(p)
    return pd.Series(p, dtype="float64").map(_p_text).astype(object)


def format_estimate(
    estimate: Any, ci_low: Any = None, ci_high: Any = None, *, digits: int = 2
) -> str:
    """``"0.42 [0.31, 0.53]"``: an estimate with its interval ('' when missing).

    Parameters
    ----------
    estimate, ci_low, ci_high : float
        Point estimate and interval bounds; the interval is left out when a bound
        is missing.
    digits : int
        Decimals.

    Returns
    -------
    str

    Examples
    --------
    >>> format_estimate(0.4213, 0.3101, 0.5349)
    '0.42 [0.31, 0.53]'
    """
    if _is_missing(estimate):
        return ""
    text = _num(estimate, digits)
    if _is_missing(ci_low) or _is_missing(ci_high):
        return text
    return f"{text} [{_num(ci_low, digits)}, {_num(ci_high, digits)}]"


def _pretty(name: Any, labels: Mapping[str, str] | None = None) -> str:
    key = str(name)
    if labels and key in labels:
        return str(labels[key])
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _role(
    name: Any,
    labels: Mapping[str, str] | None,
    shape: StudyShape | None = None,
    *,
    plural: bool = True,
) -> str:
    """A role (or the margin ``all``) as the codebook declares it, plural in headings."""
    key = str(name)
    if labels and key in labels:
        return str(labels[key])
    if shape is not None:
        if key not in shape.role_names and key in shape.sites:  # grouped by site
            return shape.site_name(key)
        return shape.role_label(key, plural=plural)
    return "All" if key == _ALL else key


def _col(frame: pd.DataFrame, name: str, default: Any = np.nan) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(default, index=frame.index, dtype=object)


def _text(series: pd.Series) -> pd.Series:
    """Strings, with missing values (and CSV-read empty strings) as ''."""
    return series.astype(object).map(lambda v: "" if _is_missing(v) else str(v))


def _flag(series: pd.Series) -> pd.Series:
    """Booleans from bool, 0/1 or 'True'/'False' text (a CSV read back); missing = False."""
    return (
        series.astype(object)
        .map(lambda v: False if _is_missing(v) else str(v).strip().lower() in ("true", "1", "1.0"))
        .astype(bool)
    )


def _blank_repeats(values: pd.Series) -> pd.Series:
    """Show a group label on its first row only, as tables in papers do."""
    repeated = values.eq(values.shift())
    return values.where(~repeated, "")


def _require(frame: pd.DataFrame, columns: Sequence[str], *, kind: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise StudyDataError(
            Problem(
                file=f"{kind} table (data frame)",
                found=f"no column(s) {', '.join(repr(c) for c in missing)}",
                expected=f"the tidy {kind} columns of the output contract (DESIGN §5)",
                fix=f"pass the tidy table tables/{kind}.csv (or the frame that made it)",
            )
        )


def _display(columns: Mapping[str, Sequence[str] | pd.Series], note: str = "") -> pd.DataFrame:
    out = pd.DataFrame({k: list(v) for k, v in columns.items()}, dtype=object)
    out.attrs["note"] = note
    return out.reset_index(drop=True)


def _suppression_note(marker: str, suppress_below: int) -> str:
    """The note sentence of a display with suppressed cells."""
    return (
        f" Cells marked '{marker}' hide a count from 1 to {suppress_below - 1} or a "
        "value from which such a count could be derived (disclosure control)."
    )


def _hidden_in_column(values: pd.Series) -> pd.Series:
    """Missing numbers of a column that prints others: hidden by disclosure control
    (a column with no number at all has nothing to hide)."""
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers.isna() & bool(numbers.notna().any())


def _group_order(
    values: Iterable[Any], shape: StudyShape | None = None, by: str = "role"
) -> list[str]:
    """Groups in the codebook's declared order (others sorted after), the margin last."""
    if shape is not None:
        return shape.group_order(values, by)
    present = list(dict.fromkeys(str(v) for v in values))
    rest = sorted(r for r in present if r != _ALL)
    return rest + ([_ALL] if _ALL in present else [])


# --------------------------------------------------------------------------- kinds
