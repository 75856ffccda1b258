"""Draft codebook of an imported study: variables, scales, the YAML text and the study.

Layer 2 (private to :mod:`partner_study.io`). The importers share it:
:mod:`partner_study.io.redcap` and :mod:`partner_study.io.spss` for the survey side
(variables fitted to their values, scales found among adjacent Likert items, the
:class:`partner_study.io.RawStudy` assembled), :mod:`partner_study.io.qdpx` and
:mod:`partner_study.io.taguette` for the participants and the codebook text.
"""

from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import yaml

from partner_study.io import RawStudy
from partner_study.io._naming import _code_key, _identifier, _number, _shown, _unique

__all__ = ["RESERVED", "MAX_OFF_CODES", "LIKERT_POINTS", "MIN_BLOCK_ITEMS"]

#: Columns of the participants table that the contract owns; source variables of the same
#: name are renamed with a ``_source`` suffix.
RESERVED = ("participant_id", "site", "role", "collection", "group_id")
#: Distinct unexpected values a variable may hold before it is demoted to free text
#: (at most this many are declared as missing codes instead).
MAX_OFF_CODES = 10
#: Response options of a Likert item found by the block heuristic (4- to 7-point).
LIKERT_POINTS = range(4, 8)
#: Adjacent items with the same response set needed to call a block a scale.
MIN_BLOCK_ITEMS = 3


class _Dumper(yaml.SafeDumper):
    """SafeDumper writing short mappings/lists of scalars in flow style, the rest as blocks."""

    def represent_mapping(self, tag, mapping, flow_style=None):  # type: ignore[override]
        node = super().represent_mapping(tag, mapping, flow_style)
        node.flow_style = _short(node)
        return node

    def represent_sequence(self, tag, sequence, flow_style=None):  # type: ignore[override]
        node = super().represent_sequence(tag, sequence, flow_style)
        node.flow_style = _short(node)
        return node


def _short(node: yaml.Node) -> bool:
    items = (
        node.value
        if isinstance(node, yaml.SequenceNode)
        else [part for pair in node.value for part in pair]
    )
    if not all(isinstance(n, yaml.ScalarNode) for n in items):
        return False
    return sum(len(str(n.value)) + 4 for n in items) <= 72


def _dump_codebook(doc: dict[str, Any], *, made_by: str, notes: list[str]) -> str:
    """The codebook YAML (deterministic) with a header and the notes as comments."""
    lines = [
        f"# Draft codebook written by {made_by}.",
        "# Check every entry against the source before analysis; the notes below say",
        "# what was assumed.",
    ]
    for note in notes:
        wrapped = textwrap.wrap(note, width=94) or [""]
        lines.append(f"# - {wrapped[0]}")
        lines.extend(f"#   {w}" for w in wrapped[1:])
    body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(lines) + "\n" + body


def _role_block(levels: list[str], notes: list[str]) -> dict[str, Any]:
    """The roles found in the data, each with a label and a plural to check."""
    notes.append(
        f"Roles {_shown(levels)} were taken from the data; their labels and plurals are "
        "drafts (the stored value, capitalised): correct them under role.levels."
    )
    return {
        "column": "role",
        "levels": {
            r: {"label": r[:1].upper() + r[1:], "plural": r[:1].upper() + r[1:]} for r in levels
        },
    }


@dataclass
class _Var:
    """A participant variable being drafted (mutable while its values are checked)."""

    name: str
    type: str
    source: str
    label: str = ""
    levels: dict[str, str] | None = None
    min: float | None = None
    max: float | None = None
    missing: list[str] = field(default_factory=list)
    group: str = ""  # what makes adjacent items one block (form, matrix, ...)
    matrix: str = ""  # REDCap matrix group name

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.levels:
            out["levels"] = {_code_key(k): v for k, v in self.levels.items()}
        if self.min is not None:
            out["min"] = _number(self.min)
        if self.max is not None:
            out["max"] = _number(self.max)
        if self.missing:
            out["missing"] = [_code_key(m) for m in self.missing]
        if self.label:
            out["label"] = self.label
        return out

    @property
    def likert(self) -> tuple[int, int] | None:
        """(low, high) when the levels are consecutive whole codes, else None."""
        if not self.levels or self.type != "category":
            return None
        if not all(re.fullmatch(r"-?\d+", k) for k in self.levels):
            return None
        codes = sorted(int(k) for k in self.levels)
        if codes != list(range(codes[0], codes[-1] + 1)):
            return None
        return codes[0], codes[-1]

    @property
    def response_set(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            sorted(
                (str(int(k)), " ".join(v.casefold().split()))
                for k, v in (self.levels or {}).items()
            )
        )


@dataclass
class _Scale:
    name: str
    items: list[_Var]
    low: int
    high: int
    label: str = ""
    labels: dict[int, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.label:
            out["label"] = self.label
        out["items"] = [v.name for v in self.items]
        out["range"] = [self.low, self.high]
        out["min_items"] = max(1, math.ceil(len(self.items) / 2))
        if self.missing:
            out["missing"] = [_code_key(m) for m in self.missing]
        if self.labels:
            out["labels"] = dict(self.labels)
        item_labels = {v.name: v.label for v in self.items if v.label}
        if item_labels:
            out["item_labels"] = item_labels
        return out


def _fit_variable(var: _Var, values: pd.Series, notes: list[str]) -> None:
    """Make ``var`` accept every value in ``values``: off values become missing codes (a few)
    or the variable becomes text (many); violated bounds are dropped. Notes say what changed."""
    if var.type == "text":
        return
    text = values.astype(str).str.strip()
    present = text[text.ne("") & ~text.isin(var.missing)]
    if var.type == "category":
        valid = set(var.levels or {}) | set((var.levels or {}).values())
        bad = ~present.isin(valid)
        expected = f"its codes ({', '.join(list(var.levels or {})[:8])})"
    else:
        numbers = pd.to_numeric(present, errors="coerce")
        bad = numbers.isna()
        if var.type == "integer":
            bad |= numbers.notna() & (numbers % 1 != 0)
        expected = "numbers" if var.type == "number" else "whole numbers"
        good = numbers[~bad]
        for bound, outside in (
            ("min", good < (var.min if var.min is not None else -np.inf)),
            ("max", good > (var.max if var.max is not None else np.inf)),
        ):
            if outside.any():
                notes.append(
                    f"{var.name}: {int(outside.sum())} value(s) lie beyond the source's "
                    f"{bound} {_number(getattr(var, bound))}; that bound was left out of "
                    "the codebook. Check these values."
                )
                setattr(var, bound, None)
    off = sorted(pd.unique(present[bad].to_numpy()).tolist())
    if not off:
        return
    if len(off) <= MAX_OFF_CODES:
        var.missing = [*var.missing, *off]
        notes.append(
            f"{var.name}: value(s) {_shown(off)} are not {expected}; they were declared "
            "as missing codes so the study validates. Check them in the source."
        )
    else:
        notes.append(
            f"{var.name}: {len(off)} distinct values are not {expected} (e.g. "
            f"{_shown(off, 3)}); the variable was declared as free text."
        )
        var.type, var.levels, var.min, var.max, var.missing = "text", None, None, None, []


def _fit_scale(scale: _Scale, frame: pd.DataFrame, notes: list[str]) -> bool:
    """Check the items' values; off values become scale missing codes. False = give up."""
    cols = [v.source for v in scale.items]
    text = frame[cols].astype(str).apply(lambda s: s.str.strip()).stack()
    present = text[text.ne("") & ~text.isin(scale.missing)]
    numbers = pd.to_numeric(present, errors="coerce")
    bad = numbers.isna() | (numbers % 1 != 0) | (numbers < scale.low) | (numbers > scale.high)
    off = sorted(pd.unique(present[bad].to_numpy()).tolist())
    if not off:
        return True
    if len(off) <= MAX_OFF_CODES:
        scale.missing = [*scale.missing, *off]
        notes.append(
            f"Scale {scale.name}: value(s) {_shown(off)} are outside "
            f"{scale.low}-{scale.high}; declared as missing codes. Check them."
        )
        return True
    notes.append(
        f"Scale {scale.name}: {len(off)} distinct values outside {scale.low}-"
        f"{scale.high}; its items were kept as separate variables instead."
    )
    return False


def _common_token(names: list[str]) -> str:
    tokens = [re.findall(r"[^\W\d_]+", n.lower()) for n in names]
    common = [t for t in tokens[0] if len(t) >= 2 and all(t in other for other in tokens[1:])]
    return max(common, key=len) if common else ""


def _find_blocks(
    variables: list[_Var], *, points: range = LIKERT_POINTS, min_items: int = MIN_BLOCK_ITEMS
) -> list[list[_Var]]:
    """Runs of adjacent Likert-looking items with one response set (and one ``group``)."""
    blocks: list[list[_Var]] = []
    run: list[_Var] = []

    def key(v: _Var) -> tuple | None:
        rng = v.likert
        if rng is None or (rng[1] - rng[0] + 1) not in points:
            return None
        return (v.group, v.response_set)

    for v in [*variables, None]:
        k = key(v) if v is not None else None
        if run and (k is None or k != key(run[0])):
            if len(run) >= min_items:
                blocks.append(run)
            run = []
        if k is not None:
            run.append(v)  # type: ignore[arg-type]
    return blocks


def _make_scale(
    items: list[_Var], *, name_hint: str, label: str, taken: set[str], prefer_hint: bool = False
) -> _Scale:
    low, high = items[0].likert  # type: ignore[misc]
    hint = _identifier(name_hint, fallback="scale", digit_prefix="scale_")
    name = hint if prefer_hint else (_common_token([v.name for v in items]) or hint)
    name = _unique(name if name not in RESERVED else f"{name}_scale", taken)
    labels = {int(k): v for k, v in (items[0].levels or {}).items()}
    missing = sorted({m for v in items for m in v.missing}, key=str)
    return _Scale(
        name=name, items=items, low=low, high=high, label=label, labels=labels, missing=missing
    )


def _assemble(
    frame: pd.DataFrame,
    ids: pd.Series,
    site_values: pd.Series,
    role_values: pd.Series,
    variables: list[_Var],
    scales: list[_Scale],
    *,
    study: str,
    title: str,
    made_by: str,
    notes: list[str],
) -> RawStudy:
    """Build the RawStudy of a survey source (participants + survey + codebook)."""
    frame = frame.reset_index(drop=True)
    participants = pd.DataFrame(
        {
            "participant_id": ids.reset_index(drop=True).to_numpy(),
            "site": site_values.to_numpy(),
            "role": role_values.to_numpy(),
            "collection": "survey",
        }
    )
    for v in variables:
        participants[v.name] = frame[v.source].to_numpy()
    survey = None
    kept_scales = list(scales)
    if scales:
        cols = {v.name: frame[v.source].to_numpy() for s in scales for v in s.items}
        survey = pd.DataFrame({"participant_id": participants["participant_id"], **cols})
        answered = survey[list(cols)].apply(lambda s: s.astype(str).str.strip().ne("")).any(axis=1)
        if not answered.any():
            notes.append("No participant answered any scale item; the scales were left out.")
            survey, kept_scales = None, []
        else:
            dropped = int((~answered).sum())
            if dropped:
                notes.append(
                    f"{dropped} participant(s) answered no scale item and have no row "
                    "in survey.csv."
                )
            survey = survey.loc[answered].reset_index(drop=True)
    role_levels = sorted(set(role_values))
    doc: dict[str, Any] = {
        "study": study,
        "title": title,
        "id": "participant_id",
        "role": _role_block(role_levels, notes),
        "site": "site",
    }
    if variables:
        doc["variables"] = {v.name: v.spec() for v in variables}
    if kept_scales:
        doc["scales"] = {s.name: s.spec() for s in kept_scales}
        notes.append(
            "Scales were found by a heuristic (see the importer's Notes): check the "
            "items, which are reverse-keyed (none were marked) and min_items (set to "
            "half the items)."
        )
    text = _dump_codebook(doc, made_by=made_by, notes=notes)
    return RawStudy(
        codebook_text=text,
        participants=participants.astype(object),
        survey=None if survey is None else survey.astype(object),
        notes=tuple(notes),
    )
