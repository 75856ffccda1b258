"""The ``scales`` section of a codebook: Likert scales, their items, range and labels.

Layer 2. A scale has its items, a response range (at most :data:`MAX_SCALE_POINTS`
points), reverse-keyed items, the fewest answered items that give a score, response
labels, missing codes and item statements.
"""

from __future__ import annotations

from typing import Any

from partner_study.codebook._checker import _as_strs, _check_label, _Checker, _kind
from partner_study.codebook.entries import Scale

__all__ = ["MAX_SCALE_POINTS"]

_SCALE_KEYS = {
    "items",
    "range",
    "reverse",
    "min_items",
    "labels",
    "missing",
    "label",
    "item_labels",
}
#: Most points a response scale may have (a 0-100 visual analogue scale is the widest).
MAX_SCALE_POINTS = 101


def _parse_scale(chk: _Checker, name: str, spec: Any) -> Scale | None:
    path = ("scales", name)
    if not isinstance(spec, dict):
        chk.add(path, repr(spec), "{items: [...], range: [1, 5], ...}", f"describe scale '{name}'")
        return None
    for key in spec:
        if key not in _SCALE_KEYS:
            chk.add(
                (*path, str(key)),
                f"unknown key '{key}'",
                f"one of {sorted(_SCALE_KEYS)}",
                "remove the key or correct its spelling",
            )
    items = spec.get("items")
    if not isinstance(items, list) or not items:
        chk.add(
            (*path, "items"),
            repr(items),
            "a non-empty list of item columns",
            f"list the items of scale '{name}'",
        )
        return None
    items_t = tuple(str(i) for i in items)
    rng = spec.get("range", [1, 5])
    if (
        not isinstance(rng, list)
        or len(rng) != 2
        or not all(isinstance(v, int) for v in rng)
        or rng[0] >= rng[1]
    ):
        chk.add(
            (*path, "range"),
            repr(rng),
            "[low, high] as two integers, low < high",
            "write e.g. range: [1, 5]",
        )
        return None
    if rng[1] - rng[0] + 1 > MAX_SCALE_POINTS:
        chk.add(
            (*path, "range"),
            f"{rng!r} ({rng[1] - rng[0] + 1:,} response points)",
            f"at most {MAX_SCALE_POINTS} points (a 0-100 rating is the widest scale)",
            "correct the range; a count or a measure is a variable (type: integer or "
            "number), not a scale",
        )
        return None
    reverse = tuple(str(i) for i in (spec.get("reverse") or []))
    for r in reverse:
        if r not in items_t:
            chk.add(
                (*path, "reverse"),
                f"reverse item '{r}' not among the items",
                f"one of {list(items_t)}",
                "add it to 'items' or correct the name",
            )
    min_items = spec.get("min_items", len(items_t))
    if not isinstance(min_items, int) or not 1 <= min_items <= len(items_t):
        chk.add(
            (*path, "min_items"),
            repr(min_items),
            f"an integer from 1 to {len(items_t)}",
            "set min_items to the fewest answered items that still give a score",
        )
        return None
    if len(set(items_t)) != len(items_t):
        chk.add((*path, "items"), "a repeated item", "each item once", "remove the repeat")
    labels_raw = spec.get("labels") or {}
    labels = {}
    if isinstance(labels_raw, dict):
        for k, v in labels_raw.items():
            if not isinstance(k, int) or not rng[0] <= k <= rng[1]:
                chk.add(
                    (*path, "labels"),
                    f"label key {k!r}",
                    f"an integer in {rng[0]}-{rng[1]}",
                    "key labels by response value",
                )
            else:
                labels[k] = _check_label(chk, (*path, "labels", str(k)), v)
    elif labels_raw:
        chk.add(
            (*path, "labels"),
            f"a {_kind(labels_raw)}",
            "a mapping of response values to labels, e.g. {1: Strongly disagree}",
            "key the labels by response value",
        )
    item_labels_raw = spec.get("item_labels") or {}
    item_labels: dict[str, str] = {}
    if isinstance(item_labels_raw, dict):
        for k, v in item_labels_raw.items():
            item_labels[str(k)] = _check_label(chk, (*path, "item_labels", str(k)), v)
    else:
        chk.add(
            (*path, "item_labels"),
            f"a {_kind(item_labels_raw)}",
            "a mapping of item columns to their statements, e.g. {eng_1: I am listened to}",
            "write one 'item: statement' line per item",
        )
    return Scale(
        name=name,
        items=items_t,
        low=rng[0],
        high=rng[1],
        reverse=reverse,
        min_items=min_items,
        labels=labels,
        missing=_as_strs(spec.get("missing")),
        label=_check_label(chk, (*path, "label"), spec.get("label", "")),
        item_labels=item_labels,
    )
