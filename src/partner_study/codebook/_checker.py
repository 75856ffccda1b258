"""How the codebook reader reports problems: line numbers of the YAML keys, labels as text.

Layer 2 (private to :mod:`partner_study.codebook`). Every problem of a codebook is
collected with the line of its key before one :class:`~partner_study.errors.CodebookError`
is raised.
"""

from __future__ import annotations

from typing import Any

import yaml

from partner_study.errors import Problem

__all__: list[str] = []

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


class _Lines:
    """Line numbers of the keys of a YAML document, by key path (parsed on first use)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: dict[tuple[str, ...], int] | None = None

    @property
    def lines(self) -> dict[tuple[str, ...], int]:
        if self._lines is None:
            self._lines = {}
            try:
                node = yaml.compose(self.text, Loader=_LOADER)
            except yaml.YAMLError:
                node = None
            if node is not None:
                self._walk(node, ())
        return self._lines

    def _walk(self, node: yaml.Node, path: tuple[str, ...]) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*path, str(key.value))
                self.lines[sub] = key.start_mark.line + 1
                self._walk(value, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, value in enumerate(node.value):
                self._walk(value, (*path, str(i)))

    def __call__(self, *path: str) -> int | None:
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return None


class _Checker:
    def __init__(self, source: str, lines: _Lines) -> None:
        self.source, self.line = source, lines
        self.problems: list[Problem] = []

    def add(self, path: tuple[str, ...], found: str, expected: str, fix: str) -> None:
        key = ".".join(path) if path else "(document)"
        self.problems.append(
            Problem(
                file=self.source,
                line=self.line(*path),
                found=f"{found} at '{key}'",
                expected=expected,
                fix=fix,
            )
        )


def _kind(value: Any) -> str:
    return {dict: "mapping", list: "list", bool: "true/false value"}.get(
        type(value), type(value).__name__
    )


def _check_label(chk: _Checker, path: tuple[str, ...], value: Any) -> str:
    """A display label: a text (a number is taken as its text); anything else is reported."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _fmt_code(value)
    shown = f"a {_kind(value)} ({value!r:.60})"
    chk.add(
        path,
        shown,
        "a label text",
        'write the label as text in quotes, e.g. "yes" (YAML reads yes, no, on, off '
        "unquoted as true/false)",
    )
    return str(value)


def _as_levels(raw: Any) -> dict[str, str] | None:
    if raw is None:
        return None
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return {str(v): str(v) for v in raw}
    return None


def _as_strs(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, list | tuple):
        return tuple(_fmt_code(v) for v in raw)
    return (_fmt_code(raw),)


def _fmt_code(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
