"""Import a REDCap project (data export + data dictionary) as a draft study.

Layer 2. :func:`import_redcap` turns a REDCap "CSV / Microsoft Excel (raw data)" export and
the project's data dictionary into a :class:`partner_study.io.RawStudy`: a draft
``codebook.yaml`` built from the dictionary, and ``participants`` / ``survey`` tables in the
raw data contract. :func:`partner_study.writer.write_raw_study` writes it as a study folder.

This module also holds the draft-building helpers that the other importers share
(:mod:`partner_study.io.spss` for the survey side, :mod:`partner_study.io.qdpx` and
:mod:`partner_study.io.taguette` for identifiers, participants and the codebook text).

Example
-------
>>> from partner_study.io.redcap import import_redcap
>>> raw = import_redcap("export.csv", "dictionary.csv", site="site_a",
...                     role="carer")                           # doctest: +SKIP
>>> print("\\n".join(raw.notes))                                # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
import textwrap
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from partner_study.errors import Problem, StudyDataError
from partner_study.io import RawStudy, _limits, read_table

__all__ = ["import_redcap", "RESERVED", "MAX_OFF_CODES", "LIKERT_POINTS", "MIN_BLOCK_ITEMS"]

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


# =============================================================================================
# Shared draft helpers
# =============================================================================================
def _identifier(name: str, *, fallback: str = "v", digit_prefix: str = "v_") -> str:
    """A snake_case identifier for ``name``: accents dropped, non-word runs -> ``_``."""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"\W+", "_", text).strip("_")
    text = re.sub(r"_+", "_", text)
    if not text:
        return fallback
    if text[0].isdigit() and digit_prefix:
        text = digit_prefix + text
    return text


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... whichever is not in ``taken`` (then taken)."""
    out, k = name, 2
    while out in taken:
        out, k = f"{name}_{k}", k + 1
    taken.add(out)
    return out


def _slug_values(values: pd.Series) -> pd.Series:
    """Site or role labels as snake_case identifiers (mapped once per distinct value)."""
    uniq = pd.unique(values.to_numpy())
    mapping = {v: _identifier(v, fallback="", digit_prefix="") if v else "" for v in uniq}
    return values.map(mapping)


def _code_key(code: str) -> int | str:
    """A level or missing code as it should appear in YAML: an int when canonical."""
    return int(code) if re.fullmatch(r"-?(0|[1-9]\d*)", code) else code


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _fmt_numbers(series: pd.Series) -> pd.Series:
    """Floats as text the way a person writes them (``1.0`` -> ``1``, NaN -> empty)."""
    numbers = pd.to_numeric(series, errors="coerce")
    text = numbers.astype(str).str.replace(r"\.0$", "", regex=True)
    return text.where(numbers.notna(), "").astype(object)


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as stripped-header text, NaN as ``""``."""
    out = frame.astype(object).where(frame.notna(), "").astype(str)
    out.columns = [str(c).replace("\ufeff", "").strip() for c in out.columns]
    return out


def _shown(values: list[str], limit: int = 6, *, width: int = 60) -> str:
    """The first ``limit`` values quoted (each cut to ``width`` characters), and how many more."""
    head = ", ".join(
        f"'{v}'" if len(str(v)) <= width else f"'{str(v)[: width - 3]}...'" for v in values[:limit]
    )
    return head + (f" and {len(values) - limit} more" if len(values) > limit else "")


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


def _site_role(
    frame: pd.DataFrame,
    variables: dict[str, _Var],
    *,
    site: str | None,
    role: str | None,
    site_column: str | None,
    role_column: str | None,
    file: str,
    notes: list[str],
    auto: dict[str, str] | None = None,
    columns_allowed: bool = True,
) -> tuple[pd.Series, pd.Series, set[str]]:
    """Site and role of each row, from a column or a constant; the source columns used."""
    used: set[str] = set()
    out = {}
    for what, const, column, default in (
        ("site", site, site_column, "site_1"),
        ("role", role, role_column, "participant"),
    ):
        automatic = column is None and const is None and auto is not None and what in auto
        if automatic and auto is not None:
            column = auto[what]
            shown = variables[column].name if column in variables else column
            notes.append(f"{what.capitalize()} taken from the source's '{shown}'.")
        if column is not None:
            if column not in frame.columns:
                raise StudyDataError(
                    Problem(
                        file=file,
                        row=1,
                        column=column,
                        found="no such column",
                        expected=f"the column holding each participant's {what} (columns: "
                        f"{_shown(list(frame.columns), 8)})",
                        fix=f"pass {what}_column= one of the source's columns, or {what}='name' "
                        "to give everyone the same " + what,
                    )
                )
            values = frame[column].astype(str).str.strip()
            var = variables.get(column)
            if var is not None and var.levels:
                values = values.map(var.levels).where(lambda s: s.notna(), values)
            values = _slug_values(values)
            empty = values.index[values.eq("").to_numpy()].to_numpy()
            if len(empty) and automatic:
                notes.append(
                    f"{len(empty)} participant(s) have no {what} in '{shown}': they "
                    f"were given {what} '{default}'. Check them."
                )
                values = values.where(values.ne(""), default)
            elif len(empty):
                rows = ", ".join(str(i + 2) for i in empty[:5])
                raise StudyDataError(
                    Problem(
                        file=file,
                        column=column,
                        row=int(empty[0]) + 2,
                        found=f"no {what} on {len(empty)} row(s) (rows {rows}"
                        f"{', ...' if len(empty) > 5 else ''})",
                        expected=f"a {what} for every participant",
                        fix=f"fill column '{column}' in the source, or pass {what}='name' to give "
                        "everyone the same " + what,
                    )
                )
            used.add(column)
            out[what] = values.reset_index(drop=True)
        else:
            value = const if const is not None else default
            if const is None:
                how = (
                    f"{what}='...' or {what}_column='...'"
                    if columns_allowed
                    else f"{what}='...' (or edit participants.csv)"
                )
                notes.append(
                    f"The source does not say each participant's {what}: everyone was "
                    f"given {what} '{value}'. Pass {how} to set it."
                )
            if not str(value).strip():
                raise StudyDataError(
                    Problem(
                        file=file,
                        found=f"an empty {what} name",
                        expected=f"a {what} name",
                        fix=f"pass {what}='name'",
                    )
                )
            out[what] = pd.Series([str(value).strip()] * len(frame), dtype=object)
    return out["site"], out["role"], used


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


def _read_source(
    source: Any, what: str, *, smaller: str = "fewer forms, events or records"
) -> tuple[pd.DataFrame, str]:
    """A table as text (a file through :func:`partner_study.io.read_table`), and its name.

    Files over the size limit, repeated column names, too many columns and overlong cells
    are refused (see ``partner_study.io._limits``); ``smaller`` says, in the message about
    a file too large, how to export less.
    """
    if isinstance(source, pd.DataFrame):
        frame, name = _text_frame(source), f"<{what} data frame>"
    else:
        name, path = str(source), Path(source)
        if path.is_file():
            _limits.check_file_size(
                path,
                name=name,
                fix=f"check that this is the right file; if it is, export a smaller part "
                f"({smaller}) and import the parts as separate studies",
            )
        frame = _text_frame(read_table(path, display=name))
    _limits.check_table(frame, name)
    return frame, name


# =============================================================================================
# REDCap
# =============================================================================================
_DICT_COLUMNS = {
    "field_name": ("variablefieldname", "fieldname"),
    "form_name": ("formname",),
    "field_type": ("fieldtype",),
    "field_label": ("fieldlabel",),
    "choices": (
        "choicescalculationsorsliderlabels",
        "selectchoicesorcalculations",
        "choicesorcalculations",
    ),
    "validation": ("textvalidationtypeorshowslidernumber", "textvalidationtype"),
    "min": ("textvalidationmin",),
    "max": ("textvalidationmax",),
    "identifier": ("identifier",),
    "matrix_group": ("matrixgroupname",),
}
_SYSTEM_PREFIX = "redcap_"
_DROPPED_TYPES = ("file", "descriptive")
_CHECKBOX_LEVELS = {"0": "Unchecked", "1": "Checked"}


def _dictionary(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    norm = {re.sub(r"[^a-z0-9]", "", c.lower()): c for c in frame.columns}
    mapped = {}
    for key, aliases in _DICT_COLUMNS.items():
        for alias in aliases:
            if alias in norm:
                mapped[key] = norm[alias]
                break
    missing = [k for k in ("field_name", "field_type") if k not in mapped]
    if missing:
        raise StudyDataError(
            Problem(
                file=name,
                row=1,
                found=f"the columns {_shown(list(frame.columns), 6)}",
                expected="a REDCap data dictionary with 'Variable / Field Name' and 'Field Type' "
                "columns (or the API's field_name and field_type)",
                fix="download the dictionary in REDCap (Project Setup > Data Dictionary > "
                "Download the current Data Dictionary) and pass it as the second argument",
            )
        )
    out = pd.DataFrame(
        {k: frame[mapped[k]].astype(str).str.strip() if k in mapped else "" for k in _DICT_COLUMNS}
    )
    out["field_type"] = out["field_type"].str.lower()
    out = out.reset_index(drop=True)  # index = data row position, for messages
    out = out.loc[out["field_name"].ne("")]
    if len(out) > _limits.MAX_COLUMNS:
        raise StudyDataError(
            Problem(
                file=name,
                found=f"a dictionary of {len(out):,} fields",
                expected=f"at most {_limits.MAX_COLUMNS:,}",
                fix="check that this is the project's data dictionary",
            )
        )
    _check_fields(out["field_name"], name, column=mapped["field_name"])
    out = out.reset_index(drop=True)
    if out.empty:
        raise StudyDataError(
            Problem(
                file=name,
                found="a dictionary without fields",
                expected="one row per REDCap field",
                fix="download the project's data dictionary again",
            )
        )
    return out


def _check_fields(fields: pd.Series, name: str, *, column: str) -> None:
    """Each field once in the dictionary; rows are named as a spreadsheet shows them."""
    first: dict[str, int] = {}
    problems = []
    for index, field_name in zip(fields.index.tolist(), fields.tolist(), strict=True):
        row = int(index) + 2
        if field_name in first:
            problems.append(
                Problem(
                    file=name,
                    row=row,
                    column=column,
                    found=f"the field '{field_name}' a second time (first on row "
                    f"{first[field_name]})",
                    expected="each field once",
                    fix="remove the repeated row, or rename the field in REDCap and "
                    "download the data dictionary again",
                )
            )
        else:
            first[field_name] = row
    if problems:
        raise StudyDataError(problems)


def _clean_label(text: str) -> str:
    text = re.sub(r"<[^<>]+>", " ", str(text))  # [^<>]: linear time on any text
    return " ".join(text.split())


def _choices(text: str) -> dict[str, str]:
    """``"1, Yes | 2, No"`` -> ``{"1": "Yes", "2": "No"}`` (codes may be letters)."""
    out: dict[str, str] = {}
    for part in re.split(r"\||\n|\\n", str(text)):  # no \s* around |: linear time
        part = part.strip()
        if not part:
            continue
        code, sep, label = part.partition(",")
        code = code.strip()
        out[code] = _clean_label(label) if sep else code
    return out


def _float(text: str) -> float | None:
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _redcap_variables(
    dic: pd.DataFrame, data: pd.DataFrame, id_field: str, notes: list[str]
) -> tuple[list[_Var], set[str]]:
    """One draft variable per data column described by the dictionary; the columns used."""
    variables: list[_Var] = []
    used: set[str] = {id_field}
    dropped: dict[str, list[str]] = {"identifier": [], "file": [], "date": [], "missing": []}
    taken = set(RESERVED)
    columns = set(data.columns)
    options = _checkbox_columns(list(data.columns))
    rows: list[dict[str, str]] = dic.astype(str).to_dict("records")  # type: ignore[assignment]
    for row in rows:
        fname, ftype = row["field_name"], row["field_type"]
        if fname == id_field:
            continue
        if ftype in _DROPPED_TYPES:
            dropped["file"].append(fname)
            used.add(fname)
            continue
        if row["identifier"].lower() in ("y", "yes", "1"):
            dropped["identifier"].append(fname)
            used.update([fname, *options.get(fname, [])])
            continue
        label = _clean_label(row["field_label"])
        group, matrix = row["form_name"], row["matrix_group"]
        if ftype == "checkbox":
            choices = _choices(row["choices"])
            by_suffix = {}
            for code, text in choices.items():
                by_suffix[code.lower()] = text
                by_suffix[re.sub(r"\W", "_", code.lower())] = text
            cols = options.get(fname, [])
            if not cols:
                dropped["missing"].append(fname)
            for col in cols:
                suffix = col[len(fname) + 3 :]
                name = _unique(col, taken)
                variables.append(
                    _Var(
                        name=name,
                        type="category",
                        source=col,
                        label=f"{label}: {by_suffix.get(suffix, suffix)}",
                        levels=dict(_CHECKBOX_LEVELS),
                        group=group,
                        matrix=matrix,
                    )
                )
                used.add(col)
            continue
        if fname not in columns:
            dropped["missing"].append(fname)
            continue
        used.add(fname)
        name = _unique(fname if fname not in RESERVED else f"{fname}_source", taken)
        validation = row["validation"].lower()
        var = _Var(name=name, type="text", source=fname, label=label, group=group, matrix=matrix)
        if ftype in ("radio", "dropdown"):
            var.type, var.levels = "category", _choices(row["choices"])
            if not var.levels:
                var.type = "text"
        elif ftype == "yesno":
            var.type, var.levels = "category", {"0": "No", "1": "Yes"}
        elif ftype == "truefalse":
            var.type, var.levels = "category", {"0": "False", "1": "True"}
        elif ftype == "slider":
            var.type = "integer"
            var.min = _float(row["min"]) if _float(row["min"]) is not None else 0.0
            var.max = _float(row["max"]) if _float(row["max"]) is not None else 100.0
            anchors = [a.strip() for a in str(row["choices"]).split("|") if a.strip()]
            if anchors:
                var.label = f"{label} (slider: {' ... '.join(anchors)})"
        elif ftype == "calc":
            var.type = "number"
        elif ftype == "text" and validation.startswith(("integer", "number")):
            var.type = "integer" if validation.startswith("integer") else "number"
            var.min, var.max = _float(row["min"]), _float(row["max"])
            if "comma_decimal" in validation:
                notes.append(f"{name}: decimal commas were written as decimal points.")
        elif ftype == "text" and validation.startswith(("date", "time")):
            dropped["date"].append(name)
        elif ftype == "text" and not validation:
            _infer_number(var, data[fname], notes)
        elif ftype not in ("text", "notes", "sql"):
            notes.append(
                f"{name}: REDCap field type '{ftype}' is not known to the importer; "
                "kept as free text."
            )
        variables.append(var)
    if dropped["identifier"]:
        notes.append(
            f"Fields marked as identifiers in the dictionary were left out (privacy): "
            f"{_shown(dropped['identifier'], 8)}."
        )
    if dropped["file"]:
        notes.append(
            f"File-upload, signature and descriptive fields hold no analysable data and "
            f"were left out: {_shown(dropped['file'], 8)}."
        )
    if dropped["date"]:
        notes.append(
            f"Dates and times are kept as text (the codebook has no date type): "
            f"{_shown(dropped['date'], 8)}."
        )
    if dropped["missing"]:
        notes.append(
            f"Dictionary fields with no column in the data were left out: "
            f"{_shown(dropped['missing'], 8)}."
        )
    return variables, used


def _checkbox_columns(columns: list[str]) -> dict[str, list[str]]:
    """Columns by every prefix they have before a ``___`` (checkbox options ``field___code``).

    ``out[f]`` lists, in file order, the columns that start with ``f + "___"``; built in one
    pass so that a dictionary of many checkbox fields costs no more than its columns.
    """
    out: dict[str, list[str]] = {}
    for column in columns:
        at = column.find("___")
        while at >= 0:
            out.setdefault(column[:at], []).append(column)
            at = column.find("___", at + 1)
    return out


def _infer_number(var: _Var, values: pd.Series, notes: list[str]) -> None:
    text = values.astype(str).str.strip()
    present = text[text.ne("")]
    if present.empty:
        return
    numbers = pd.to_numeric(present, errors="coerce")
    if numbers.notna().all():
        var.type = "integer" if (numbers % 1 == 0).all() else "number"
        notes.append(
            f"{var.name}: a text field without validation whose values are all "
            f"numbers; declared as {var.type}."
        )


def _filter_rows(
    data: pd.DataFrame, *, event: str | None, name: str, notes: list[str]
) -> tuple[pd.DataFrame, set[str]]:
    """Rows of the chosen event, without repeating-instrument rows; the repeating forms."""
    event_col = f"{_SYSTEM_PREFIX}event_name"
    if event_col in data.columns:
        events = list(dict.fromkeys(data[event_col].astype(str).str.strip()))
        if event is None and len(events) == 1:
            event = events[0]
        elif event is None:
            raise StudyDataError(
                Problem(
                    file=name,
                    column=event_col,
                    found=f"a longitudinal export with {len(events)} events ({_shown(events, 12)})",
                    expected="one row per participant",
                    fix=f"choose the event that holds the survey: `partner-study import redcap ... "
                    f"--event {events[0]}` (in Python: import_redcap(..., "
                    f"event='{events[0]}'))",
                )
            )
        if event not in events:
            raise StudyDataError(
                Problem(
                    file=name,
                    column=event_col,
                    found=f"no rows of event '{event}'",
                    expected=f"one of the events {_shown(events, 12)}",
                    fix="pass event= one of those names (the unique event name, as exported)",
                )
            )
        data = data.loc[data[event_col].astype(str).str.strip().eq(event)]
        notes.append(
            f"Kept the {len(data)} row(s) of event '{event}' (the export has "
            f"{len(events)} event(s))."
        )
    elif event is not None:
        raise StudyDataError(
            Problem(
                file=name,
                found=f"event='{event}' but no column '{event_col}'",
                expected="a longitudinal export when an event is chosen",
                fix="leave out event=, or export the data with its events",
            )
        )
    repeat_col = f"{_SYSTEM_PREFIX}repeat_instrument"
    forms: set[str] = set()
    if repeat_col in data.columns:
        instrument = data[repeat_col].astype(str).str.strip()
        repeating = instrument.ne("")
        if repeating.any():
            forms = set(instrument[repeating])
            notes.append(
                f"Repeating instruments ({_shown(sorted(forms))}) can't be one row per "
                f"participant: their {int(repeating.sum())} row(s) and fields were left "
                "out. Summarise them per participant yourself if you need them."
            )
            data = data.loc[~repeating]
    return data, forms  # the index keeps the export's row positions for messages


def import_redcap(
    data: Any,
    dictionary: Any,
    *,
    event: str | None = None,
    site: str | None = None,
    role: str | None = None,
    site_column: str | None = None,
    role_column: str | None = None,
    study: str = "redcap",
) -> RawStudy:
    """Turn a REDCap export and its data dictionary into a draft study.

    Parameters
    ----------
    data : path-like or DataFrame
        The records: "CSV / Microsoft Excel (raw data)" export (``.csv`` or ``.xlsx``), or
        the API's flat CSV. Label exports work too for categories (labels are accepted).
    dictionary : path-like or DataFrame
        The data dictionary, with the download's headers ("Variable / Field Name", ...) or
        the API's (``field_name``, ...). A byte-order mark and curly quotes are fine.
    event : str, optional
        For a longitudinal export (``redcap_event_name`` column): the unique event name whose
        rows hold the survey. Required then.
    site, role : str, optional
        One site name / role for every participant, when the project does not record them.
    site_column, role_column : str, optional
        A field holding each participant's site / role (its choice labels are used, as
        snake_case). A field named ``site`` / ``role``, or the data access group, is used by
        default.
    study : str
        The study name written in the codebook.

    Returns
    -------
    RawStudy
        ``participants`` (participant_id = the record id, site, role, collection = survey,
        one column per kept field), ``survey`` (participant_id + scale items, rows of
        participants who answered at least one item; ``None`` without scales), the codebook
        text and ``notes`` (what was assumed and what to check).

    Raises
    ------
    StudyDataError
        When a file is not a REDCap export / dictionary, the record id column is missing,
        a longitudinal export is given without ``event``, a participant appears twice, a
        field appears twice in the dictionary, a column name twice in a table, or a site /
        role column is missing or empty; and when a file passes a limit below.

    Notes
    -----
    Mapping: radio and dropdown fields become category variables with the choices as levels
    (``"1, Yes | 2, No"``; codes may be letters); yesno and truefalse become categories
    ``{0: No, 1: Yes}`` / ``{0: False, 1: True}``; each checkbox option ``var___k`` becomes
    its own category ``{0: Unchecked, 1: Checked}`` (REDCap's own labels, so label exports
    validate too); sliders become integers 0-100 (or the dictionary's min/max); text fields
    validated as integer/number become integer/number with the dictionary's bounds; text
    fields without validation whose values are all numbers become numbers; calc fields
    become numbers; dates and other text stay text. Fields flagged as identifiers, file,
    signature and descriptive fields, form-status (``*_complete``), survey timestamps and
    ``redcap_*`` system columns are left out.

    Values that do not fit the declaration (e.g. data entered before a validation rule)
    are declared as missing codes when there are at most ten distinct ones, otherwise the
    field becomes free text; a violated min/max is dropped. Each change is a note.

    Scales (heuristic): radio/dropdown fields of one REDCap matrix group whose choices are
    consecutive whole codes (at least 3 options, at least 2 fields) form a scale named
    after the matrix; otherwise at least 3 adjacent fields of one form with the same 4- to
    7-point consecutive-code choices form a scale named after the common part of the field
    names (or the form). Range = the choice codes, labels = the choice labels,
    ``min_items`` = half the items (rounded up), no item reversed.

    Longitudinal exports with more than one event need ``event`` (a single event is used as
    it is); rows of repeating instruments are left out (with their fields), so each
    participant has one row.

    Limits (``partner_study.io._limits``): each file is at most 2 GB, with at most 20,000
    columns (and the dictionary at most 20,000 fields) and 1,000,000 characters a cell.

    References
    ----------
    Harris PA, Taylor R, Thielke R, Payne J, Gonzalez N, Conde JG (2009). Research electronic
    data capture (REDCap). J Biomed Inform 42(2):377-381. doi:10.1016/j.jbi.2008.08.010
    """
    notes: list[str] = []
    frame, data_name = _read_source(data, "REDCap records")
    dic_frame, dic_name = _read_source(dictionary, "REDCap dictionary")
    dic = _dictionary(dic_frame, dic_name)
    id_field = str(dic.loc[0, "field_name"])
    if id_field not in frame.columns:
        raise StudyDataError(
            Problem(
                file=data_name,
                row=1,
                column=id_field,
                found=f"no record id column (columns: {_shown(list(frame.columns), 6)})",
                expected=f"the record id field '{id_field}' named first in {dic_name}",
                fix="export the records as 'CSV (raw data)' with variable names as headers, and "
                "check that records and dictionary come from the same project",
            )
        )
    frame, repeating = _filter_rows(frame, event=event, name=data_name, notes=notes)
    forms = set(dic["form_name"])
    left_out: set[str] = set()
    if repeating:
        in_repeating = dic["form_name"].isin(repeating) & dic["field_name"].ne(id_field)
        left_out = set(dic.loc[in_repeating, "field_name"])
        left_out |= {c for c in frame.columns if c.split("___")[0] in left_out}
        dic = dic.loc[~in_repeating]
    ids = frame[id_field].astype(str).str.strip()
    _check_ids(ids, data_name, id_field)
    variables, used = _redcap_variables(dic, frame, id_field, notes)
    comma = {v.source for v in variables if v.type == "number"} & set(
        dic.loc[dic["validation"].str.contains("comma_decimal", case=False), "field_name"]
    )
    for col in comma:
        frame[col] = frame[col].astype(str).str.replace(",", ".", regex=False)
    _drop_unknown_columns(frame, used | left_out, forms, notes)
    empty = [v for v in variables if frame[v.source].astype(str).str.strip().eq("").all()]
    if empty and len(empty) < len(variables):
        notes.append(
            f"Fields empty in every kept row were left out: {_shown([v.name for v in empty], 8)}."
        )
        variables = [v for v in variables if v not in empty]
    by_source = {v.source: v for v in variables}
    auto: dict[str, str] = {k: k for k in ("site", "role") if k in by_source}
    dag = f"{_SYSTEM_PREFIX}data_access_group"
    if (
        "site" not in auto
        and dag in frame.columns
        and frame[dag].astype(str).str.strip().ne("").all()
    ):
        auto["site"] = dag
    site_values, role_values, consumed = _site_role(
        frame,
        by_source,
        site=site,
        role=role,
        site_column=site_column,
        role_column=role_column,
        file=data_name,
        notes=notes,
        auto=auto,
    )
    variables = [v for v in variables if v.source not in consumed]
    scales = _redcap_scales(variables, frame, notes)
    in_scale = {v.name for s in scales for v in s.items}
    variables = [v for v in variables if v.name not in in_scale]
    for v in variables:
        _fit_variable(v, frame[v.source], notes)
    notes.insert(
        0,
        f"Imported {len(frame)} participant(s), {len(variables)} variable(s) and "
        f"{len(scales)} scale(s) from REDCap ({Path(data_name).name} + "
        f"{Path(dic_name).name}).",
    )
    return _assemble(
        frame,
        ids,
        site_values,
        role_values,
        variables,
        scales,
        study=study,
        title=f"Imported from REDCap ({Path(data_name).name})",
        made_by="partner_study.io.redcap.import_redcap",
        notes=notes,
    )


def _check_ids(ids: pd.Series, name: str, column: str) -> None:
    """Record ids must be unique and filled; rows are named by their place in the export."""
    empty = ids.index[ids.eq("").to_numpy()].to_numpy()
    dup_mask = (ids.duplicated(keep=False) & ids.ne("")).to_numpy()
    dup = ids.index[dup_mask].to_numpy()
    for rows, found, fix in (
        (empty, "an empty record id", "give every record its id"),
        (
            dup,
            f"record id(s) used on several rows ({_shown(sorted(set(ids[dup_mask])), 5)})",
            "keep one row per participant (for a longitudinal project pass "
            "event=; repeated instances are not supported)",
        ),
    ):
        if len(rows):
            listed = ", ".join(str(i + 2) for i in rows[:5])
            raise StudyDataError(
                Problem(
                    file=name,
                    row=int(rows[0]) + 2,
                    column=column,
                    found=f"{found} on row(s) {listed}{', ...' if len(rows) > 5 else ''}",
                    expected="one row per participant with a unique id",
                    fix=fix,
                )
            )


def _drop_unknown_columns(
    frame: pd.DataFrame, used: set[str], forms: set[str], notes: list[str]
) -> None:
    unknown = [
        c
        for c in frame.columns
        if c not in used
        and not c.startswith(_SYSTEM_PREFIX)
        and not (c.endswith("_complete") and c[: -len("_complete")] in forms)
        and not c.endswith("_timestamp")
    ]
    if unknown:
        notes.append(
            f"Data columns not described by the dictionary were left out: "
            f"{_shown(unknown, 8)}. Check that data and dictionary come from the "
            "same project version."
        )


def _redcap_scales(variables: list[_Var], frame: pd.DataFrame, notes: list[str]) -> list[_Scale]:
    taken = {v.name for v in variables} | set(RESERVED)
    scales: list[_Scale] = []
    claimed: set[str] = set()
    matrices: dict[str, list[_Var]] = {}
    for v in variables:
        if v.matrix and v.likert is not None and v.source.find("___") < 0:
            matrices.setdefault(v.matrix, []).append(v)
    for matrix, items in matrices.items():
        if (
            len(items) >= 2
            and len({v.response_set for v in items}) == 1
            and (items[0].likert[1] - items[0].likert[0] >= 2)  # type: ignore[index]
        ):
            scales.append(
                _make_scale(items, name_hint=matrix, label=matrix, taken=taken, prefer_hint=True)
            )
            claimed.update(v.name for v in items)
    rest = [v for v in variables if v.name not in claimed and "___" not in v.source]
    for block in _find_blocks(rest):
        form = block[0].group
        scales.append(
            _make_scale(
                block, name_hint=form, label=form.replace("_", " ").capitalize(), taken=taken
            )
        )
    kept = []
    for s in scales:
        if _fit_scale(s, frame, notes):
            kept.append(s)
    return kept
