"""Reading a codebook: the YAML document parsed and checked as a whole.

Layer 2. :func:`parse_codebook` checks the top-level keys, parses each section
(:mod:`partner_study.codebook.roles`, :mod:`partner_study.codebook.variables`,
:mod:`partner_study.codebook.scales`, codes and themes here) and the names declared
twice; :func:`read_codebook` reads the file. Every problem is collected, with its line,
before one :class:`~partner_study.errors.CodebookError` is raised.
"""

from __future__ import annotations

from pathlib import Path

from partner_study.codebook._checker import _check_label, _Checker, _kind, _Lines
from partner_study.codebook.entries import Code, Codebook, Scale, Variable
from partner_study.codebook.roles import _parse_roles, _parse_site
from partner_study.codebook.scales import _parse_scale
from partner_study.codebook.variables import _parse_variable
from partner_study.errors import CodebookError, Problem, StudyDataError
from partner_study.safe_yaml import load_yaml

__all__ = ["parse_codebook", "read_codebook"]

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
#: Top-level sections that map names to descriptions.
_MAPPING_SECTIONS = ("variables", "scales", "codes", "themes")


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

    role_levels, roles, role_column, role_title = _parse_roles(chk, doc.get("role"))
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
        role_title=role_title,
        collection=str(doc.get("collection", "collection")),
        title=str(doc.get("title", "")),
        variables=variables,
        engagement_level=engagement,
        scales=scales,
        codes=codes,
        themes=themes,
        source=source,
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
