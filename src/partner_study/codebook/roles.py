"""The ``role`` and ``site`` sections of a codebook: columns, levels and their labels.

Layer 2. Roles are whatever levels the codebook declares (one or more, any language), each
with the label and plural a reader sees; sites may have labels too.
"""

from __future__ import annotations

from typing import Any

from partner_study.codebook._checker import _check_label, _Checker, _fmt_code, _kind
from partner_study.codebook.entries import Role

__all__: list[str] = []

_ROLE_KEYS = {"column", "levels", "label"}
_SITE_KEYS = {"column", "levels", "label"}


def _label_spec(
    chk: _Checker, path: tuple[str, ...], name: str, spec: Any
) -> tuple[str, str | None]:
    """``label`` and optional ``plural`` of a role or site level: a text or a mapping."""
    if spec is None:
        return name, None
    if isinstance(spec, dict):
        for key in spec:
            if key not in ("label", "plural"):
                chk.add(
                    (*path, str(key)),
                    f"unknown key '{key}'",
                    "label and plural",
                    f"write {{label: ..., plural: ...}} for '{name}'",
                )
        label = _check_label(chk, (*path, "label"), spec.get("label")) or name
        plural = _check_label(chk, (*path, "plural"), spec.get("plural")) or None
        return label, plural
    return _check_label(chk, path, spec) or name, None


def _parse_roles(chk: _Checker, raw: Any) -> tuple[tuple[str, ...], dict[str, Role], str, str]:
    """The role column, its levels (each with a label and a plural for headings) and the
    label of the role itself (``label: Rôle``; empty when not declared)."""
    example = "{column: role, levels: {a: {label: A, plural: As}, b: ...}}"
    if raw is None:
        return (), {}, "role", ""
    if isinstance(raw, str):
        chk.add(
            ("role",),
            f"role: {raw} (a column without its levels)",
            example,
            f"declare the roles stored in column '{raw}': role: {{column: {raw}, levels: "
            "[...]}, with a label and a plural for each when the stored value is not what "
            "a reader should see",
        )
        return (), {}, raw, ""
    if not isinstance(raw, dict) or "column" not in raw:
        chk.add(("role",), repr(raw)[:80], example, "declare the role column and its levels")
        return (), {}, "role", ""
    for key in raw:
        if key not in _ROLE_KEYS:
            chk.add(
                ("role", str(key)),
                f"unknown key '{key}'",
                f"one of {sorted(_ROLE_KEYS)}",
                "remove the key or correct its spelling",
            )
    column = _fmt_code(raw["column"])
    levels = raw.get("levels")
    roles: dict[str, Role] = {}
    if isinstance(levels, list):
        for v in levels:
            name = _fmt_code(v)
            roles[name] = Role(name, name, name)
    elif isinstance(levels, dict):
        for k, v in levels.items():
            name = _fmt_code(k)
            label, plural = _label_spec(chk, ("role", "levels", name), name, v)
            roles[name] = Role(name, label, plural or label)
    if not roles:
        chk.add(
            ("role", "levels"),
            repr(levels)[:80] if levels is not None else "no levels",
            "one or more roles, e.g. levels: {a: {label: A, plural: As}}",
            "list the roles stored in the role column",
        )
    title = _check_label(chk, ("role", "label"), raw.get("label")) or ""
    return tuple(roles), roles, column, title


def _parse_site(chk: _Checker, raw: Any) -> tuple[str, dict[str, str], str]:
    """The site column and, optionally, a label for each site code."""
    if raw is None:
        return "site", {}, ""
    if isinstance(raw, str | int | float) and not isinstance(raw, bool):
        return _fmt_code(raw), {}, ""
    if not isinstance(raw, dict) or "column" not in raw:
        chk.add(
            ("site",),
            f"a {_kind(raw)}",
            "a column name, or {column: site, levels: {code: label, ...}}",
            "write 'site: <column>' or give the column and its site labels",
        )
        return "site", {}, ""
    for key in raw:
        if key not in _SITE_KEYS:
            chk.add(
                ("site", str(key)),
                f"unknown key '{key}'",
                f"one of {sorted(_SITE_KEYS)}",
                "remove the key or correct its spelling",
            )
    labels: dict[str, str] = {}
    levels = raw.get("levels")
    if isinstance(levels, dict):
        for k, v in levels.items():
            labels[_fmt_code(k)] = _label_spec(chk, ("site", "levels", str(k)), str(k), v)[0]
    elif levels is not None:
        chk.add(
            ("site", "levels"),
            f"a {_kind(levels)}",
            "{code: label, ...}",
            "map each site code to the label a reader should see",
        )
    label = _check_label(chk, ("site", "label"), raw.get("label"))
    return _fmt_code(raw["column"]), labels, label
