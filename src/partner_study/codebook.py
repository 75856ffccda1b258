"""The study codebook (``codebook.yaml``): what the variables, scales and codes are.

Layer 2. The codebook describes the data; ``params/<study>.yaml`` describes the analysis.
:func:`read_codebook` parses and checks it, collecting every problem with its line number.

Example
-------
>>> from partner_study.codebook import parse_codebook
>>> cb = parse_codebook('''
... study: demo
... id: participant_id
... role: {column: role, levels: [carer, nurse]}
... site: site
... scales:
...   trust: {items: [tr_1, tr_2], range: [1, 5], min_items: 1}
... ''', source="codebook.yaml")
>>> cb.scales["trust"].items
('tr_1', 'tr_2')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from partner_study.errors import CodebookError, Problem, StudyDataError
from partner_study.safe_yaml import load_yaml

__all__ = [
    "VARIABLE_TYPES",
    "Role",
    "Variable",
    "Scale",
    "Code",
    "Codebook",
    "parse_codebook",
    "read_codebook",
]

VARIABLE_TYPES = ("integer", "number", "category", "text")
_TOP_KEYS = {
    "study",
    "title",
    "id",
    "role",
    "site",
    "collection",
    "variables",
    "engagement_level",
    "scales",
    "codes",
    "themes",
    "description",
}
_VARIABLE_KEYS = {"type", "levels", "min", "max", "missing", "label", "roles", "reference"}
_ROLE_KEYS = {"column", "levels", "label"}
_SITE_KEYS = {"column", "levels", "label"}
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


@dataclass(frozen=True)
class Variable:
    """A participant variable (demographics) or the engagement level.

    ``levels`` maps the stored code (as text) to its label; a list of labels in the
    YAML means the labels are stored as they are.
    """

    name: str
    type: str
    column: str
    levels: dict[str, str] | None = None
    min: float | None = None
    max: float | None = None
    missing: tuple[str, ...] = ()
    label: str = ""
    roles: tuple[str, ...] = ()
    reference: str | None = None

    @property
    def ordered_labels(self) -> list[str]:
        return list(self.levels.values()) if self.levels else []

    @property
    def reference_label(self) -> str | None:
        """The reference level of a category in models: ``reference:`` when declared (a
        code or a label), else the first declared level."""
        if not self.levels:
            return None
        if self.reference is not None:
            return self.levels.get(self.reference, self.reference)
        return next(iter(self.levels.values()))


@dataclass(frozen=True)
class Scale:
    """A Likert scale: its items, response range, reverse-keyed items and scoring rule."""

    name: str
    items: tuple[str, ...]
    low: int
    high: int
    reverse: tuple[str, ...] = ()
    min_items: int = 1
    labels: dict[int, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    label: str = ""
    item_labels: dict[str, str] = field(default_factory=dict)

    @property
    def responses(self) -> list[int]:
        return list(range(self.low, self.high + 1))


@dataclass(frozen=True)
class Code:
    """A qualitative code and the theme it belongs to."""

    name: str
    theme: str
    label: str = ""


@dataclass(frozen=True)
class Role:
    """A participant role as declared: its stored value and how a reader sees it."""

    name: str
    label: str
    plural: str


@dataclass(frozen=True)
class Codebook:
    """A parsed, checked codebook."""

    study: str
    id: str
    role_column: str
    role_levels: tuple[str, ...]
    site: str
    roles: dict[str, Role] = field(default_factory=dict)
    site_labels: dict[str, str] = field(default_factory=dict)
    site_label: str = ""
    collection: str = "collection"
    title: str = ""
    variables: dict[str, Variable] = field(default_factory=dict)
    engagement_level: Variable | None = None
    scales: dict[str, Scale] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    themes: dict[str, str] = field(default_factory=dict)
    source: str = "codebook.yaml"

    @property
    def items(self) -> list[str]:
        """Every Likert item, in scale order."""
        return [item for s in self.scales.values() for item in s.items]

    def role_label(self, role: str, *, plural: bool = False) -> str:
        """A role's label as declared (singular or plural); the stored value when the
        codebook gives none. Never guesses a plural."""
        r = self.roles.get(str(role))
        if r is None:
            return str(role)
        return r.plural if plural else r.label

    def site_name(self, site: str) -> str:
        """A site's label as declared, else its stored value."""
        return self.site_labels.get(str(site), str(site))

    def theme_label(self, theme: str) -> str:
        return self.themes.get(theme) or theme.replace("_", " ").capitalize()

    def scale_label(self, scale: str) -> str:
        s = self.scales.get(scale)
        return s.label if s and s.label else scale.replace("_", " ").capitalize()

    def variable_label(self, name: str) -> str:
        v = self.variables.get(name)
        return v.label if v and v.label else name.replace("_", " ").capitalize()


# ---------------------------------------------------------------------------------------------
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


#: Top-level sections that map names to descriptions.
_MAPPING_SECTIONS = ("variables", "scales", "codes", "themes")
#: Most points a response scale may have (a 0-100 visual analogue scale is the widest).
MAX_SCALE_POINTS = 101


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


def parse_codebook(text: str, *, source: str = "codebook.yaml") -> Codebook:
    """Parse codebook YAML text; raise :class:`CodebookError` listing every problem.

    Parameters
    ----------
    text : str
        The YAML document.
    source : str
        File name used in messages.

    Returns
    -------
    Codebook

    Raises
    ------
    CodebookError
        On a YAML syntax error (with its line) or any inconsistency (each with its line).
    """
    try:
        doc = load_yaml(text, source=source, booleans=False)
    except StudyDataError as exc:
        raise CodebookError(exc.problems) from None
    lines = _Lines(text)
    chk = _Checker(source, lines)
    if not isinstance(doc, dict):
        chk.add(
            (),
            f"a {type(doc).__name__}" if doc is not None else "an empty document",
            "a mapping with keys study, id, role, site, ...",
            "start from a codebook made by `partner-study new-site`",
        )
        raise CodebookError(chk.problems)

    for key in doc:
        if key not in _TOP_KEYS:
            chk.add(
                (str(key),),
                f"unknown key '{key}'",
                f"one of {sorted(_TOP_KEYS)}",
                "remove the key or correct its spelling",
            )
    for key in ("study", "id", "role", "site"):
        if key not in doc:
            chk.add(
                (),
                f"no '{key}' key",
                f"'{key}' to be declared",
                f"add '{key}:' to the codebook (see docs/data-contract.md)",
            )

    for section in _MAPPING_SECTIONS:
        if doc.get(section) is not None and not isinstance(doc[section], dict):
            chk.add(
                (section,),
                f"a {_kind(doc[section])}",
                f"a mapping of names to their descriptions ({section}: then one "
                "'name: ...' line per entry, indented)",
                f"write '{section}' as 'name: {{...}}' entries, not as a list with '-'",
            )
            doc[section] = None
    for key in ("study", "title", "id", "collection"):
        if key in doc and isinstance(doc[key], dict | list):
            chk.add((key,), f"a {_kind(doc[key])}", "a single name", f"write '{key}: <name>'")
            doc[key] = None if key in ("title", "collection") else str(key)

    role_levels, roles, role_column = _parse_roles(chk, doc.get("role"))
    site_column, site_labels, site_label = _parse_site(chk, doc.get("site"))

    variables: dict[str, Variable] = {}
    for name, spec in (doc.get("variables") or {}).items():
        var = _parse_variable(chk, ("variables", str(name)), str(name), spec, role_levels)
        if var is not None:
            variables[str(name)] = var

    engagement = None
    if doc.get("engagement_level") is not None:
        spec = doc["engagement_level"]
        if not isinstance(spec, dict) or "levels" not in spec:
            chk.add(
                ("engagement_level",),
                repr(spec),
                "{column: eng_level, levels: {1: information, ...}}",
                "declare the column and its ordered levels",
            )
        else:
            spec = {"type": "category", **spec}
            col = spec.pop("column", "engagement_level")
            engagement = _parse_variable(
                chk,
                ("engagement_level",),
                "engagement_level",
                {k: v for k, v in spec.items()},
                role_levels,
                column=col,
            )

    scales: dict[str, Scale] = {}
    seen_items: dict[str, str] = {}
    for name, spec in (doc.get("scales") or {}).items():
        scale = _parse_scale(chk, str(name), spec)
        if scale is None:
            continue
        for item in scale.items:
            if item in seen_items:
                chk.add(
                    ("scales", str(name), "items"),
                    f"item '{item}' also in scale '{seen_items[item]}'",
                    "each item in one scale only",
                    "remove the item from one of the scales",
                )
            seen_items[item] = str(name)
        scales[str(name)] = scale

    themes_raw = doc.get("themes") or {}
    themes: dict[str, str] = {}
    if isinstance(themes_raw, dict):
        for t, v in themes_raw.items():
            raw_label = v.get("label", "") if isinstance(v, dict) else (v or "")
            themes[str(t)] = _check_label(chk, ("themes", str(t)), raw_label)
    codes: dict[str, Code] = {}
    for name, spec in (doc.get("codes") or {}).items():
        path = ("codes", str(name))
        if isinstance(spec, str):
            spec = {"theme": spec}
        if isinstance(spec, dict) and isinstance(spec.get("theme"), dict | list | bool):
            chk.add(
                (*path, "theme"),
                f"a {_kind(spec['theme'])}",
                "the name of one theme",
                f"give code '{name}' one theme (a code belongs to one theme)",
            )
            continue
        if not isinstance(spec, dict) or not spec.get("theme"):
            chk.add(
                path,
                "a code without a theme",
                "{theme: <theme>, label: <label>}",
                f"give code '{name}' the theme it belongs to",
            )
            continue
        label = _check_label(chk, (*path, "label"), spec.get("label", ""))
        codes[str(name)] = Code(str(name), str(spec["theme"]), label)

    names = [str(doc.get("id", "")), site_column, role_column]
    clash = set(variables) & set(seen_items)
    for c in sorted(clash):
        chk.add(
            ("variables", c),
            f"'{c}' declared as a variable and as a scale item",
            "distinct names",
            "rename one of them",
        )
    for c in sorted(set(names) & (set(variables) | set(seen_items))):
        chk.add(("variables", c), f"'{c}' declared twice", "distinct names", "rename one of them")

    if chk.problems:
        raise CodebookError(chk.problems)
    return Codebook(
        study=str(doc["study"]),
        id=str(doc["id"]),
        role_column=role_column,
        role_levels=role_levels,
        site=site_column,
        roles=roles,
        site_labels=site_labels,
        site_label=site_label,
        collection=str(doc.get("collection", "collection")),
        title=str(doc.get("title", "")),
        variables=variables,
        engagement_level=engagement,
        scales=scales,
        codes=codes,
        themes=themes,
        source=source,
    )


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


def _parse_roles(chk: _Checker, raw: Any) -> tuple[tuple[str, ...], dict[str, Role], str]:
    """The role column and its levels, each with a label and a plural for headings."""
    example = "{column: role, levels: {a: {label: A, plural: As}, b: ...}}"
    if raw is None:
        return (), {}, "role"
    if isinstance(raw, str):
        chk.add(
            ("role",),
            f"role: {raw} (a column without its levels)",
            example,
            f"declare the roles stored in column '{raw}': role: {{column: {raw}, levels: "
            "[...]}, with a label and a plural for each when the stored value is not what "
            "a reader should see",
        )
        return (), {}, raw
    if not isinstance(raw, dict) or "column" not in raw:
        chk.add(("role",), repr(raw)[:80], example, "declare the role column and its levels")
        return (), {}, "role"
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
    return tuple(roles), roles, column


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


def read_codebook(path: Path | str, *, display: str | None = None) -> Codebook:
    """Read and check ``codebook.yaml``.

    Parameters
    ----------
    path : path-like
        The codebook file.
    display : str, optional
        How to name the file in messages (default: the path as given).

    Raises
    ------
    CodebookError
        When the file is missing, unreadable, or inconsistent.
    """
    path = Path(path)
    name = display or str(path)
    if not path.is_file():
        raise CodebookError(
            Problem(
                file=name,
                found="no such file",
                expected="a codebook.yaml describing the study",
                fix="create it (`partner-study new-site NAME` writes a template) or check the "
                "folder",
            )
        )
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CodebookError(
            Problem(
                file=name,
                found=f"bytes that are not UTF-8 (at byte {exc.start})",
                expected="a UTF-8 text file",
                fix="save the codebook as UTF-8",
            )
        ) from None
    return parse_codebook(text, source=name)
