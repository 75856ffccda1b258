"""The ``variables`` and ``engagement_level`` sections of a codebook.

Layer 2. A variable has a type (:data:`~partner_study.codebook.VARIABLE_TYPES`), levels
(a category's codes and labels), bounds, missing codes, the roles it applies to and the
reference level of a category in models.
"""

from __future__ import annotations

from typing import Any

from partner_study.codebook._checker import (
    _as_levels,
    _as_strs,
    _check_label,
    _Checker,
    _fmt_code,
    _kind,
)
from partner_study.codebook.entries import VARIABLE_TYPES, Variable

__all__: list[str] = []

_VARIABLE_KEYS = {"type", "levels", "min", "max", "missing", "label", "roles", "reference"}


def _parse_variable(
    chk: _Checker,
    path: tuple[str, ...],
    name: str,
    spec: Any,
    role_levels: tuple[str, ...],
    column: str | None = None,
) -> Variable | None:
    if not isinstance(spec, dict):
        chk.add(
            path,
            repr(spec),
            "a mapping such as {type: integer, min: 18, max: 100}",
            f"describe variable '{name}' with at least its type",
        )
        return None
    for key in spec:
        if key not in _VARIABLE_KEYS:
            chk.add(
                (*path, str(key)),
                f"unknown key '{key}'",
                f"one of {sorted(_VARIABLE_KEYS)}",
                "remove the key or correct its spelling",
            )
    vtype = spec.get("type", "category" if "levels" in spec else None)
    if vtype not in VARIABLE_TYPES:
        chk.add(
            (*path, "type"),
            f"type {vtype!r}",
            f"one of {list(VARIABLE_TYPES)}",
            f"set 'type' of '{name}'",
        )
        return None
    levels = _as_levels(spec.get("levels"))
    raw_levels = spec.get("levels")
    if isinstance(raw_levels, dict):
        for k, v in raw_levels.items():
            _check_label(chk, (*path, "levels", str(k)), v)
    elif raw_levels is not None and not isinstance(raw_levels, list):
        chk.add(
            (*path, "levels"),
            f"a {_kind(raw_levels)}",
            "levels: [a, b] or {1: a, 2: b}",
            f"list the levels of '{name}'",
        )
    if vtype == "category" and not levels:
        chk.add(
            path,
            "a category without levels",
            "levels: [a, b] or {1: a, 2: b}",
            f"list the levels of '{name}'",
        )
        return None
    bounds = {}
    for key in ("min", "max"):
        val = spec.get(key)
        if val is not None and not isinstance(val, int | float):
            chk.add((*path, key), repr(val), "a number", f"write {key} of '{name}' as a number")
            val = None
        bounds[key] = val
    roles = _as_strs(spec.get("roles"))
    for r in roles:
        if r not in role_levels:
            chk.add(
                (*path, "roles"),
                f"role '{r}'",
                f"one of {list(role_levels)}",
                "name roles as declared under role.levels",
            )
    return Variable(
        name=name,
        type=str(vtype),
        column=column or name,
        levels=levels,
        min=bounds["min"],
        max=bounds["max"],
        missing=_as_strs(spec.get("missing")),
        label=_check_label(chk, (*path, "label"), spec.get("label", "")),
        roles=roles,
        reference=_reference(chk, path, name, spec.get("reference"), levels),
    )


def _reference(
    chk: _Checker,
    path: tuple[str, ...],
    name: str,
    raw: Any,
    levels: dict[str, str] | None,
) -> str | None:
    """A declared reference level: one of the levels, by code or by label."""
    if raw is None:
        return None
    value = _fmt_code(raw)
    if levels and (value in levels or value in levels.values()):
        return value
    chk.add(
        (*path, "reference"),
        f"reference '{value}'",
        f"one of the levels of '{name}' ({', '.join(list((levels or {}).values())[:8])})",
        f"name the reference level of '{name}' as declared under its levels, or remove "
        "'reference' (the first declared level is the reference)",
    )
    return None
