"""The joint display of themes across roles.

The tidy table (:func:`partner_study.integrate.table_joint_display`) names the two roles it
compares in ``role_a`` and ``role_b``; every heading and note here takes their labels from
the study's shape, so nothing is written for one study's roles.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import pandas as pd

from partner_study.shape import StudyShape
from partner_study.tables._cells import (
    _LABEL_NAMES,
    SUPPRESSED,
    _display,
    _hidden_in_column,
    _is_missing,
    _num,
    _p_text,
    _pretty,
    _suppression_note,
    _text,
)

__all__: list[str] = []

_COMPARISON = ("role_a", "role_b", "pct_a", "pct_b", "difference_pp", "p_value", "label")
_QUOTES = ("quote_a", "quote_b")
_FINDINGS = {**_LABEL_NAMES, "not_applicable": "Not applicable"}


def _snake(label: object) -> str:
    """The column-name form of an engagement level (as :mod:`partner_study.integrate`)."""
    text = unicodedata.normalize("NFKD", str(label)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")


def _role_label(name: Any, shape: StudyShape | None, *, plural: bool) -> str:
    """A role as the codebook declares it; without a shape, the stored name made readable."""
    if shape is not None:
        return shape.role_label(name, plural=plural)
    return _pretty(name)


def _signed(value: Any) -> str:
    if _is_missing(value):
        return ""
    text = _num(value, 1)
    return ("+" if float(value) > 0 and text != "0.0" else "") + text


def _distinct(frame: pd.DataFrame, column: str) -> list[str]:
    if column not in frame.columns:
        return []
    return [str(v) for v in pd.unique(frame[column].dropna().astype(str)) if str(v)]


def _joint_display(
    frame: pd.DataFrame,
    *,
    digits: int,
    labels: Mapping[str, str] | None,
    shape: StudyShape | None = None,
    marker: str = SUPPRESSED,
    suppress_below: int = 5,
    **_: Any,
) -> pd.DataFrame:
    data: dict[str, Any] = {"Theme": frame["theme"].map(lambda v: _pretty(v, labels))}
    firsts, seconds = _distinct(frame, "role_a"), _distinct(frame, "role_b")
    one_role = "role_a" in frame.columns and not seconds
    fixed = len(firsts) == 1 and len(seconds) == 1
    note = "Percentages of coded participants of each role who raised the theme"

    hidden = _hidden_shares(frame)

    def pct(column: str) -> pd.Series:
        text = pd.to_numeric(frame[column], errors="coerce").map(lambda v: _num(v, 1))
        mask = hidden.get(column)
        return text if mask is None else text.where(~mask, marker)

    if one_role:
        plural = _role_label(firsts[0], shape, plural=True) if firsts else "participants"
        if "pct_a" in frame.columns:
            data[f"{plural}, %"] = pct("pct_a")
        if "quote_a" in frame.columns:
            data["Quote"] = _text(frame["quote_a"])
        note = (
            f"Percentages of coded {plural} who raised the theme; the study has one role, "
            "so no roles are compared"
        )
    elif "role_a" in frame.columns:
        if fixed:
            a, b = firsts[0], seconds[0]
            plural_a = _role_label(a, shape, plural=True)
            plural_b = _role_label(b, shape, plural=True)
            first, second = f"{plural_a}, %", f"{plural_b}, %"
            quote_a = f"Quote ({_role_label(a, shape, plural=False)})"
            quote_b = f"Quote ({_role_label(b, shape, plural=False)})"
            note += f"; difference in percentage points (pp), {plural_a} minus {plural_b}"
        else:
            pairs = [
                ""
                if _is_missing(x) or _is_missing(y)
                else f"{_role_label(x, shape, plural=True)} vs {_role_label(y, shape, plural=True)}"
                for x, y in zip(frame["role_a"], frame["role_b"], strict=True)
            ]
            data["Roles compared"] = pairs
            first, second = "First role, %", "Second role, %"
            quote_a, quote_b = "Quote (first role)", "Quote (second role)"
            names = (
                list(shape.role_names) if shape is not None and shape.roles else firsts + seconds
            )
            roles = list(dict.fromkeys(names))
            listed = (
                shape.role_list(roles)
                if shape is not None
                else ", ".join(_role_label(r, None, plural=True) for r in roles)
            )
            note += (
                f" ({listed}); each row compares the two roles whose percentages differ most "
                "(Roles compared: first vs second, in declared order); difference in "
                "percentage points (pp), first minus second"
            )
        if "pct_a" in frame.columns:
            data[first] = pct("pct_a")
        if "pct_b" in frame.columns:
            data[second] = pct("pct_b")
        if "difference_pp" in frame.columns:
            data["Difference, pp"] = pd.to_numeric(frame["difference_pp"], errors="coerce").map(
                _signed
            )
        if "p_value" in frame.columns:
            data["p"] = pd.to_numeric(frame["p_value"], errors="coerce").map(_p_text)
            note += "; p, two-sided Fisher exact test, unadjusted"
        if "label" in frame.columns:
            data["Finding"] = _text(frame["label"]).map(lambda v: _FINDINGS.get(v, _pretty(v)))
            if frame["label"].astype(str).eq("not_comparable").any():
                note += "; not comparable: fewer than two roles have coded participants"
            if frame["label"].astype(str).eq("suppressed").any():
                note += "; not compared: a share is suppressed"
        if "quote_a" in frame.columns:
            data[quote_a] = _text(frame["quote_a"])
        if "quote_b" in frame.columns:
            data[quote_b] = _text(frame["quote_b"])
    elif "label" in frame.columns:
        data["Finding"] = _text(frame["label"]).map(lambda v: _FINDINGS.get(v, _pretty(v)))

    levels = (shape.levels.get("engagement_level", ()) if shape is not None else ()) or ()
    level_labels = {_snake(lv): str(lv) for lv in levels}
    scales = shape.scales if shape is not None else {}
    for name in frame.columns:
        if name == "theme" or name in _COMPARISON or name in _QUOTES:
            continue
        values = frame[name]
        if name.startswith("pct_level_"):
            level = name.removeprefix("pct_level_")
            declared = level_labels.get(level)
            header = declared[:1].upper() + declared[1:] if declared else _pretty(level, labels)
            data[f"{header}, %"] = pct(name)
        elif name.startswith("mean_") and name.endswith(("_mentioned", "_not_mentioned")):
            negated = name.endswith("_not_mentioned")
            scale = name.removeprefix("mean_").removesuffix(
                "_not_mentioned" if negated else "_mentioned"
            )
            label = scales.get(scale) or _pretty(scale, labels)
            header = f"{label}: mean, {'not mentioned' if negated else 'mentioned'}"
            text = pd.to_numeric(values, errors="coerce").map(lambda v: _num(v, digits))
            data[header] = text.where(~_hidden_in_column(values), marker)
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            is_pct = name.startswith("pct_") or "percent" in name
            data[_pretty(name, labels)] = values.map(
                lambda v, d=(1 if is_pct else digits): _num(v, d)
            )
        else:
            data[_pretty(name, labels)] = _text(values)
    note += "."
    if any((pd.Series(v) == marker).any() for v in data.values()):
        note += _suppression_note(marker, suppress_below)
    return _display(data, note)


def _hidden_shares(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Which shares of the wide joint display are hidden (disclosure control): a role's
    share missing on a theme labelled ``suppressed``, or while the role has a share on
    another theme; a level's share missing while the level has one on another theme."""
    out: dict[str, pd.Series] = {}
    if {"role_a", "pct_a"} <= set(frame.columns):
        shares = pd.concat(
            [
                pd.DataFrame({"role": frame[f"role_{s}"], "pct": frame[f"pct_{s}"]})
                for s in ("a", "b")
                if f"role_{s}" in frame.columns and f"pct_{s}" in frame.columns
            ]
        )
        pct = pd.to_numeric(shares["pct"], errors="coerce")
        coded = set(shares.loc[pct.notna(), "role"].dropna().astype(str))
        withheld = (
            frame["label"].astype(str).eq("suppressed")
            if "label" in frame.columns
            else pd.Series(False, index=frame.index)
        )
        for s in ("a", "b"):
            if f"role_{s}" in frame.columns and f"pct_{s}" in frame.columns:
                role = frame[f"role_{s}"].astype(str)
                missing = pd.to_numeric(frame[f"pct_{s}"], errors="coerce").isna()
                known = (role.isin(coded) | withheld) & frame[f"role_{s}"].notna()
                out[f"pct_{s}"] = missing & known
    for name in frame.columns:
        if str(name).startswith("pct_level_"):
            out[str(name)] = _hidden_in_column(frame[name])
    return out
