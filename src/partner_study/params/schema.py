"""The schema of a parameters file: every key's type and range, and the problems found.

Layer 2. :data:`SCHEMA` (JSON Schema 2020-12) types and ranges every key a parameters file
may hold; :func:`schema_problems` reports each key that breaks it as
``FILE: key 'a.b': found X, expected Y. Fix: Z``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from jsonschema import Draft202012Validator

from partner_study.config import FIGURE_FORMATS, MODEL_KINDS, ORDINAL_SITES

__all__ = ["SCHEMA", "schema_problems"]

_COV_TYPES = ("HC0", "HC1", "HC2", "HC3", "cluster", "nonrobust")


def _int(low: int, high: int, what: str) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high, "x-expected": what}


def _name(what: str) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": 200, "x-expected": what}


def _names(what: str) -> dict[str, Any]:
    return {
        "type": "array",
        "items": _name(what),
        "maxItems": 1000,
        "x-expected": f"a list of {what}s, e.g. [a, b]",
    }


def _section(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "x-expected": "a mapping of the keys " + ", ".join(sorted(properties)),
    }


#: Every key a parameters file may hold, with its type and range (JSON Schema 2020-12).
#: ``x-expected`` says in words what a key expects, for messages.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["study"],
    "properties": {
        "study": _name("the study name"),
        "data": {
            "anyOf": [_name("a folder"), {**_names("folder"), "minItems": 1}],
            "x-expected": "a raw study folder inside the project (or a list of them), e.g. "
            "data/raw/<study>",
        },
        "seed": _int(0, 2**32 - 1, "a whole number from 0 to 4294967295"),
        "describe": _section(
            {
                "by": _name("a grouping column (role, site or a category variable)"),
                "suppress_below": _int(
                    0, 100, "a whole number from 0 (no suppression) to 100; 5 is usual"
                ),
            }
        ),
        "qualitative": _section(
            {
                "quotes_per_theme": _int(1, 50, "a whole number from 1 to 50"),
                "quote_max_chars": _int(20, 10_000, "a whole number of characters, 20 to 10000"),
                "divergence_threshold": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 100,
                    "x-expected": "a number of percentage points from 0 to 100",
                },
            }
        ),
        "regression": _section(
            {
                "dependent": {
                    "anyOf": [
                        {"type": "null"},
                        {"const": False},
                        _name("a scale of the codebook"),
                    ],
                    "x-expected": "a scale of the codebook (or nothing: its first scale; or "
                    "none: no continuous dependent, every scale predicts the ordinal one)",
                },
                "outcomes": {
                    "anyOf": [{"type": "null"}, _names("scale")],
                    "x-expected": "a list of scales of the codebook (or nothing: every "
                    "other scale)",
                },
                "covariates": {
                    "anyOf": [{"type": "null"}, _names("covariate")],
                    "x-expected": "a list of variables of the codebook (role, site, ...)",
                },
                "groups": {
                    "anyOf": [{"type": "null"}, _name("a column")],
                    "x-expected": "the column whose groups get a random intercept (site)",
                },
                "models": {
                    "type": "array",
                    "items": {"enum": list(MODEL_KINDS)},
                    "uniqueItems": True,
                    "x-item": "model kind",
                    "x-expected": f"some of {list(MODEL_KINDS)}",
                },
                "ordinal_dependent": {
                    "anyOf": [{"type": "null"}, _name("a column")],
                    "x-expected": "engagement_level or an ordered category variable",
                },
                "ordinal_levels": {
                    "anyOf": [
                        {"type": "null"},
                        {**_names("level"), "minItems": 2, "uniqueItems": True},
                    ],
                    "x-expected": "the ordinal dependent's levels from lowest to highest, e.g. "
                    "[low, medium, high] (or nothing: the codebook's order)",
                },
                "ordinal_site": {
                    "anyOf": [{"type": "null"}, {"enum": list(ORDINAL_SITES)}],
                    "x-expected": "how site (regression.groups) enters the ordinal model: "
                    "cluster (cluster-robust errors), fixed (a fixed effect) or none (or "
                    "nothing: cluster under cov_type cluster, else none)",
                },
                "cov_type": {"enum": list(_COV_TYPES), "x-expected": f"one of {list(_COV_TYPES)}"},
                "standardize": {"type": "boolean", "x-expected": "true or false"},
                "sensitivity": _section(
                    {
                        "imputations": _int(
                            2, 1000, "a whole number of imputed data sets from 2 to 1000"
                        )
                    }
                ),
            }
        ),
        "figures": _section(
            {
                "formats": {
                    "type": "array",
                    "items": {"enum": list(FIGURE_FORMATS)},
                    "x-item": "figure format",
                    "minItems": 1,
                    "uniqueItems": True,
                    "x-expected": f"some of {list(FIGURE_FORMATS)} as a list, e.g. [pdf, png]",
                }
            }
        ),
    },
    "x-expected": "a mapping with the keys study, data, "
    + ", ".join(k for k in ("seed", "describe", "qualitative", "regression", "figures")),
}
_VALIDATOR = Draft202012Validator(SCHEMA)


def _schema_node(path: list[Any]) -> dict[str, Any]:
    node: dict[str, Any] = SCHEMA
    for part in path:
        if isinstance(part, int):
            node = node.get("items", node)
            continue
        props = node.get("properties", {})
        if part not in props:
            break
        node = props[part]
    return node


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, dict | list) else json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _non_finite(value: Any, key: str = "") -> list[tuple[str, float]]:
    """(key, value) of every NaN or infinite number in a document (JSON Schema's ranges let
    NaN through: every comparison with it is false)."""
    if isinstance(value, float) and not math.isfinite(value):
        return [(key or "(document)", value)]
    if isinstance(value, dict):
        return [kv for k, v in value.items() for kv in _non_finite(v, f"{key}.{k}".strip("."))]
    if isinstance(value, list):
        return [kv for v in value for kv in _non_finite(v, key)]
    return []


def schema_problems(doc: dict[str, Any], source: str) -> list[str]:
    """Every key of ``doc`` (a parameters file as read) that breaks :data:`SCHEMA`.

    Each problem reads ``FILE: key 'a.b': found X, expected Y. Fix: Z``.
    """
    out: list[str] = [
        f"{source}: key '{key}': found {value!r}, expected a finite number. Fix: write a "
        "number (YAML reads .nan and .inf as not-a-number and infinity)."
        for key, value in _non_finite(doc)
    ]
    seen: set[tuple[str, str]] = set()
    for error in sorted(_VALIDATOR.iter_errors(doc), key=lambda e: [str(p) for p in e.path]):
        path = [p for p in error.absolute_path]
        if error.validator == "additionalProperties":
            parent = ".".join(str(p) for p in path)
            allowed = sorted(_schema_node(path).get("properties", {}))
            for key in sorted(set(error.instance) - set(allowed), key=str):
                where = f"{parent}.{key}" if parent else str(key)
                out.append(
                    f"{source}: key '{where}': found an unknown key, expected one of "
                    f"{allowed}. Fix: remove it or correct its spelling."
                )
            continue
        in_list = bool(path) and isinstance(path[-1], int)
        key = ".".join(str(p) for p in (path[:-1] if in_list else path))
        node = _schema_node(path[:-1] if in_list else path)
        expected = node.get("x-expected", error.message)
        found = _shown(error.instance)
        if in_list:
            found = f"unknown {node.get('x-item', 'value')} {found}"
        if (key, found) in seen:
            continue
        seen.add((key, found))
        if error.validator == "required":
            out.append(
                f"{source}: found no 'study:' key, expected the study name. "
                "Fix: add e.g. 'study: example'."
            )
            continue
        out.append(
            f"{source}: key '{key or '(document)'}': found {found}, expected "
            f"{expected}. Fix: correct the value (see params/example.yaml for every key)."
        )
    return out
