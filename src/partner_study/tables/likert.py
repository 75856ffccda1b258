"""Likert responses and the reliability of the scales.

A Likert display has one column per response option, so scales that do not share their
response options (a 1-5 agreement scale and a 1-7 one, or two 1-5 scales labelled
differently) never share columns: :func:`likert_displays` gives one display per set of
response options; ``format_table(frame, "likert")`` gives the display of a table whose
scales all share one set (and says to use :func:`likert_displays` otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from partner_study.errors import ParamsError
from partner_study.shape import StudyShape
from partner_study.tables._cells import (
    SUPPRESSED,
    _blank_repeats,
    _col,
    _display,
    _group_order,
    _int,
    _is_missing,
    _num,
    _pretty,
    _require,
    _role,
    _suppression_note,
    _text,
    format_estimate,
)

__all__ = ["likert_displays", "response_sets"]

_NOTE = "Data are n (%) of the group's answers to the item, by response option."
_REQUIRED = ["scale", "item", "role", "response", "n"]


def _code(value: Any) -> str:
    """A response value as text (``3``, not ``3.0``)."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _declared(scale: str, shape: StudyShape | None) -> dict[str, str]:
    if shape is None:
        return {}
    return {_code(k): " ".join(str(v).split()) for k, v in shape.responses.get(scale, {}).items()}


def response_sets(
    frame: pd.DataFrame, *, shape: StudyShape | None = None
) -> list[tuple[tuple[str, ...], dict[str, str], list[str]]]:
    """The sets of response options of a tidy Likert table, in the order of its scales.

    Returns
    -------
    list of (responses, labels, scales)
        ``responses``: the response values (as text, in numeric order) of the set's
        scales; ``labels``: their declared labels (value -> label; empty without a shape
        or when the codebook declares none); ``scales``: the scales with that set.
        Two scales share a set when they have the same response values and the same
        declared labels.
    """
    scales = _text(frame["scale"])
    values = pd.to_numeric(frame["response"], errors="coerce")
    found: dict[tuple, list[str]] = {}
    for scale in pd.unique(scales):
        present = sorted(pd.unique(values[scales == scale].dropna()))
        responses = tuple(_code(v) for v in present)
        labels = _declared(scale, shape)
        key = (responses, tuple(sorted(labels.items())))
        found.setdefault(key, []).append(str(scale))
    return [(key[0], dict(key[1]), names) for key, names in found.items()]


def _range_key(responses: tuple[str, ...]) -> str:
    if not responses:
        return "none"
    ends = (responses[0], responses[-1])
    return "-".join(re.sub(r"^-", "m", e).replace(".", "p") for e in ends)


def likert_displays(
    frame: pd.DataFrame,
    *,
    shape: StudyShape | None = None,
    labels: Mapping[str, str] | None = None,
    suppress_below: int = 5,
    suppressed_marker: str = SUPPRESSED,
) -> dict[str, pd.DataFrame]:
    """Paper-ready displays of a tidy Likert table, one per set of response options.

    Parameters
    ----------
    frame : DataFrame
        The tidy Likert table (:func:`partner_study.describe.table_likert`, or
        ``tables/likert.csv`` read back).
    shape : StudyShape, optional
        The study's shape: scale, item and role labels, groups in declared order, and the
        declared response labels (:attr:`StudyShape.responses`) as column headers.
    labels : mapping, optional
        Further display names (scales, items, groups, or response values such as
        ``{"1": "Disagree"}``), overriding the shape's.
    suppress_below, suppressed_marker
        The disclosure threshold the tidy table was suppressed with and what a hidden
        count shows (stated in the note), as for
        :func:`partner_study.tables.format_table`.

    Returns
    -------
    dict of str to DataFrame
        ``{"likert": display}`` when every scale shares its response options (the
        display :func:`partner_study.tables.format_table` gives for ``"likert"``);
        otherwise one display per set, keyed by its range, ``{"likert-1-5": ...,
        "likert-1-7": ...}`` (a negative end is written ``m2``), with the name of the
        set's first scale added when two sets share a range but not their labels
        (``likert-1-5-trust``). Keys follow the order of the scales in the table.
        A table with no rows gives ``{}``. Each display: ``Scale, Item, Group`` then one
        column per response option, headed by its declared label when every option has
        a distinct one, else by its value with the labels in the note.
    """
    _require(frame, _REQUIRED, kind="likert")
    if frame.empty:
        return {}
    merged = {**shape.labels_for("likert"), **(labels or {})} if shape is not None else labels
    sets = response_sets(frame, shape=shape)
    hide: dict[str, Any] = {"marker": suppressed_marker, "suppress_below": suppress_below}
    if len(sets) == 1:
        return {"likert": _likert(frame, labels=merged, shape=shape, **hide)}
    ranges = [_range_key(responses) for responses, _, _ in sets]
    scales = _text(frame["scale"])
    out: dict[str, pd.DataFrame] = {}
    for (_, _, names), rng in zip(sets, ranges, strict=True):
        key = f"likert-{rng}"
        if ranges.count(rng) > 1:
            key += "-" + re.sub(r"[^0-9a-z]+", "_", names[0].lower()).strip("_")
        sub = frame[scales.isin(names).to_numpy()]
        out[key] = _likert(sub, labels=merged, shape=shape, **hide)
    return out


def _headers(
    responses: list[Any],
    declared: Mapping[str, str],
    labels: Mapping[str, str] | None,
    shape: StudyShape | None,
) -> tuple[list[str], str]:
    """Column headers of the response options, and the note listing labels shown only
    there."""
    codes = [_code(r) for r in responses]
    shape_labels = shape.labels_for("likert") if shape is not None else {}
    # ``labels`` as given by a caller (not the shape's names of scales, items, codes...).
    given = {
        k: str(v) for k, v in (labels or {}).items() if k in codes and shape_labels.get(k) != v
    }
    chosen = {c: given.get(c, declared.get(c, "")) for c in codes}
    shown = [chosen[c] for c in codes]
    if all(shown) and len(set(shown)) == len(shown) and not set(shown) & set(codes):
        return shown, ""
    listed = [f"{c} = {chosen[c]}" for c in codes if chosen[c]]
    note = f" Response options: {', '.join(listed)}." if listed else ""
    return codes, note


def _likert(
    frame: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None,
    shape: StudyShape | None = None,
    marker: str = SUPPRESSED,
    suppress_below: int = 5,
    **_: Any,
) -> pd.DataFrame:
    sets = response_sets(frame, shape=shape)
    if len(sets) > 1:
        shown = "; ".join(
            f"{', '.join(names)}: {responses[0]}-{responses[-1]}"
            + (" (" + ", ".join(f"{k} = {v}" for k, v in lab.items()) + ")" if lab else "")
            for responses, lab, names in sets
            if responses
        )
        raise ParamsError(
            f"the Likert table holds scales with different response options ({shown}); "
            "one display cannot give them the same columns. Use "
            "partner_study.tables.likert.likert_displays(frame, shape=shape), which gives "
            "one display per set of response options."
        )
    declared = sets[0][1] if sets else {}
    t = frame.assign(
        _scale=_text(frame["scale"]),
        _item=_text(frame["item"]),
        _role=_text(frame["role"]),
        _resp=pd.to_numeric(frame["response"], errors="coerce"),
        _n=pd.to_numeric(frame["n"], errors="coerce"),
        _pct=pd.to_numeric(_col(frame, "percent"), errors="coerce"),
    )
    t["_cell"] = np.where(
        t["_n"].isna(),
        marker,
        np.where(
            t["_pct"].isna(),
            t["_n"].map(_int),
            t["_n"].map(_int) + " (" + t["_pct"].map(lambda v: _num(v, 1)) + ")",
        ),
    )
    order = {r: i for i, r in enumerate(_group_order(t["_role"], shape))}
    key = t["_scale"] + "\x00" + t["_item"]
    t["_o"] = key.map({k: i for i, k in enumerate(pd.unique(key))})
    t["_r"] = t["_role"].map(order)
    wide = t.pivot_table(
        index=["_o", "_r", "_scale", "_item", "_role"],
        columns="_resp",
        values="_cell",
        aggfunc="first",
        sort=True,
    ).reset_index()
    responses = [c for c in wide.columns if not str(c).startswith("_")]
    headers, note = _headers(responses, declared, labels, shape)
    data: dict[str, Any] = {
        "Scale": _blank_repeats(wide["_scale"].map(lambda v: _pretty(v, labels))),
        "Item": _blank_repeats(wide["_item"].map(lambda v: labels.get(v, v) if labels else v)),
        "Group": wide["_role"].map(lambda v: _role(v, labels, shape)),
    }
    for r, header in zip(responses, headers, strict=True):
        data[header] = wide[r].map(lambda v: "" if _is_missing(v) else v)
    if t["_n"].isna().any():
        note += _suppression_note(marker, suppress_below)
    return _display(data, _NOTE + note)


def _reliability(
    frame: pd.DataFrame, *, digits: int, labels: Mapping[str, str] | None, **_: Any
) -> pd.DataFrame:
    data: dict[str, Any] = {"Scale": frame["scale"].map(lambda v: _pretty(v, labels))}
    if "n_items" in frame.columns:
        data["Items"] = frame["n_items"].map(_int)
    if "n" in frame.columns:
        data["n"] = frame["n"].map(_int)
    lo, hi = _col(frame, "alpha_ci_low"), _col(frame, "alpha_ci_high")
    data["α [95% CI]"] = [
        format_estimate(a, b, c, digits=digits)
        for a, b, c in zip(frame["alpha"], lo, hi, strict=True)
    ]
    if "omega" in frame.columns:
        data["ω"] = frame["omega"].map(lambda v: _num(v, digits))
    if "note" in frame.columns and _text(frame["note"]).ne("").any():
        data["Note"] = _text(frame["note"])
    return _display(
        data,
        "α: Cronbach's alpha with 95% confidence interval; ω: McDonald's omega (total), "
        "from a one-factor model of the item covariances.",
    )
