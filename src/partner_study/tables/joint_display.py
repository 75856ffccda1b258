"""The joint display of themes across roles.

The tidy table (:func:`partner_study.integrate.table_joint_display`) names the two roles it
compares in ``role_a`` and ``role_b``; every heading and note here takes their labels from
the study's shape, so nothing is written for one study's roles. When each role took part
in one way and not the same way (``mode_confounded``), the mode is written beside the role
and the note says that a difference cannot be separated from it.
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
    _flag,
    _hidden_in_column,
    _is_missing,
    _num,
    _p_text,
    _pretty,
    _suppression_note,
    _text,
)

__all__: list[str] = []

_COMPARISON = (
    "role_a",
    "role_b",
    "collection_a",
    "collection_b",
    "pct_a",
    "pct_b",
    "difference_pp",
    "ci_low",
    "ci_high",
    "margin_pp",
    "p_value",
    "label",
    "mode_confounded",
    "stance_a",
    "stance_b",
    "meta_inference",
)
_QUOTES = ("quote_a", "quote_b")
_FINDINGS = {**_LABEL_NAMES, "not_applicable": "Not applicable", "inconclusive": "Inconclusive"}
#: How a reader names a mode of data collection (the data contract's ``collection`` values).
_MODES = {"focus_group": "focus groups", "interview": "interviews", "survey": "survey"}
_CONFOUNDED = "\u2020"  # dagger: the difference cannot be separated from the mode


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


def _mode(value: Any) -> str:
    return "" if _is_missing(value) else _MODES.get(str(value), str(value).replace("_", " "))


def _difference(frame: pd.DataFrame) -> pd.Series:
    """``+32.5 [18.2, 45.1]``: the difference and its interval, in percentage points."""
    diff = pd.to_numeric(frame["difference_pp"], errors="coerce")
    if "ci_low" not in frame.columns or "ci_high" not in frame.columns:
        return diff.map(_signed)
    low = pd.to_numeric(frame["ci_low"], errors="coerce")
    high = pd.to_numeric(frame["ci_high"], errors="coerce")
    cells = []
    for d, lo, hi in zip(diff, low, high, strict=True):
        ci = "" if _is_missing(lo) or _is_missing(hi) else f" [{_num(lo, 1)}, {_num(hi, 1)}]"
        cells.append(_signed(d) + ci)
    return pd.Series(cells, index=frame.index)


def _with_mode(role: Any, mode: Any, shape: StudyShape | None) -> str:
    """A role's plural label, with its mode of data collection when one is given."""
    label = _role_label(role, shape, plural=True)
    return f"{label} ({_mode(mode)})" if _mode(mode) else label


def _first(frame: pd.DataFrame, column: str) -> Any:
    values = frame[column].dropna() if column in frame.columns else pd.Series([], dtype=object)
    return values.iloc[0] if len(values) else None


def _compared_columns(frame, data, pct, shape, firsts, seconds, note) -> str:
    """The columns of two roles compared (the same pair on every theme, or a pair a row)
    and the note that explains them."""
    fixed = len(firsts) == 1 and len(seconds) == 1
    confounded = (
        _flag(frame["mode_confounded"])
        if "mode_confounded" in frame.columns
        else pd.Series(False, index=frame.index)
    )
    if fixed:
        a, b = firsts[0], seconds[0]
        # the mode beside the role when, on the themes compared, mode and role coincide
        show = bool(confounded.any())
        mode_a = _first(frame, "collection_a") if show else None
        mode_b = _first(frame, "collection_b") if show else None
        plural_a, plural_b = _with_mode(a, mode_a, shape), _with_mode(b, mode_b, shape)
        first, second = f"{plural_a}, %", f"{plural_b}, %"
        quote_a = f"Quote ({_role_label(a, shape, plural=False)})"
        quote_b = f"Quote ({_role_label(b, shape, plural=False)})"
        stance_a = f"Stance ({_role_label(a, shape, plural=False)})"
        stance_b = f"Stance ({_role_label(b, shape, plural=False)})"
        note += (
            f"; difference in percentage points (pp), {_role_label(a, shape, plural=True)} "
            f"minus {_role_label(b, shape, plural=True)}"
        )
    else:
        data["Roles compared"] = [
            ""
            if _is_missing(x) or _is_missing(y)
            else (
                f"{_with_mode(x, mx if c else None, shape)} vs "
                f"{_with_mode(y, my if c else None, shape)}"
            )
            for x, y, mx, my, c in zip(
                frame["role_a"],
                frame["role_b"],
                frame.get("collection_a", pd.Series(None, index=frame.index)),
                frame.get("collection_b", pd.Series(None, index=frame.index)),
                confounded,
                strict=True,
            )
        ]
        first, second = "First role, %", "Second role, %"
        quote_a, quote_b = "Quote (first role)", "Quote (second role)"
        stance_a, stance_b = "Stance (first role)", "Stance (second role)"
        names = list(shape.role_names) if shape is not None and shape.roles else firsts + seconds
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
    note += (
        "; silent members of a focus group count in the denominator"
        if (frame.get("collection_a", pd.Series(dtype=object)) == "focus_group").any()
        or (frame.get("collection_b", pd.Series(dtype=object)) == "focus_group").any()
        else ""
    )
    if "pct_a" in frame.columns:
        data[first] = pct("pct_a")
    if "pct_b" in frame.columns:
        data[second] = pct("pct_b")
    if "difference_pp" in frame.columns:
        with_ci = "ci_low" in frame.columns and "ci_high" in frame.columns
        data["Difference, pp [95% CI]" if with_ci else "Difference, pp"] = _difference(frame)
        if with_ci:
            note += (
                "; 95% confidence interval (CI) counted by unit: a focus group is one unit, "
                "a participant interviewed alone another (Rao-Scott design effect, Wilson "
                "intervals combined by Newcombe's method)"
            )
    if "p_value" in frame.columns:
        data["p"] = pd.to_numeric(frame["p_value"], errors="coerce").map(_p_text)
        note += "; p, two-sided Fisher exact test, unadjusted"
    if "label" in frame.columns:
        note += _finding_column(frame, data, confounded, shape)
    for column, header in (("stance_a", stance_a), ("stance_b", stance_b)):
        if column in frame.columns and frame[column].notna().any():
            data[header] = _text(frame[column]).map(lambda v: _pretty(v) if v else "")
    if "meta_inference" in frame.columns and frame["meta_inference"].notna().any():
        data["Meta-inference"] = _text(frame["meta_inference"]).map(
            lambda v: _pretty(v) if v else ""
        )
        note += (
            "; meta-inference (Fetters, Curry & Creswell 2013): confirmation, both roles "
            "raise the theme alike (the interval shows convergence, or their stances agree); "
            "expansion, their frequencies diverge or their stances differ; discordance, "
            "opposite stances; silence, one role does not raise it; inconclusive, both raise "
            "it but the data cannot tell confirmation from expansion"
        )
    if "quote_a" in frame.columns:
        data[quote_a] = _text(frame["quote_a"])
    if "quote_b" in frame.columns:
        data[quote_b] = _text(frame["quote_b"])
    return note


def _finding_column(frame, data, confounded, shape) -> str:
    """The Finding column (label, with a dagger where the difference cannot be separated
    from the mode of data collection) and its sentences of the note."""
    label = _text(frame["label"])
    finding = label.map(lambda v: _FINDINGS.get(v, _pretty(v)))
    compared = label.isin(["divergence", "convergence", "inconclusive"])
    mark = confounded & compared
    data["Finding"] = finding.where(~mark, finding + _CONFOUNDED)
    note = ""
    if compared.any() and {"ci_low", "ci_high"} <= set(frame.columns):
        margin = (
            pd.to_numeric(frame["margin_pp"], errors="coerce").dropna()
            if "margin_pp" in frame.columns
            else pd.Series(dtype=float)
        )
        within = f"plus or minus {margin.iloc[0]:g} pp" if len(margin) else "the margin"
        note += (
            f"; divergence: the CI excludes 0; convergence: the CI lies within {within} "
            "(equivalence margin); inconclusive: neither"
        )
    if mark.any():
        pairs = frame.loc[mark, ["role_a", "role_b", "collection_a", "collection_b"]]
        said = []
        for ra, rb, ma, mb in pairs.drop_duplicates().itertuples(index=False):
            said.append(
                f"{_role_label(ra, shape, plural=True)} took part in {_mode(ma)} and "
                f"{_role_label(rb, shape, plural=True)} in {_mode(mb)}"
            )
        note += (
            f"; {_CONFOUNDED} {'; '.join(said)}: a difference between the roles cannot be "
            "separated from the mode of data collection"
        )
    if label.eq("not_comparable").any():
        note += "; not comparable: fewer than two roles have coded participants"
    if label.eq("suppressed").any():
        note += "; not compared: a share is suppressed"
    return note


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
    note = "Percentages of the participants of each role who raised the theme"

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
            f"Percentages of the {plural} who raised the theme; the study has one role, "
            "so no roles are compared"
        )
    elif "role_a" in frame.columns:
        note = _compared_columns(frame, data, pct, shape, firsts, seconds, note)
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
