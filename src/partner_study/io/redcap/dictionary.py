"""The REDCap data dictionary: one draft variable per data column it describes.

Layer 2. Reads the dictionary as downloaded (Project Setup > Data Dictionary) or from the
API, checks that each field is named once, and maps each field type to a codebook type:
radio, dropdown, yesno and truefalse fields become categories, each checkbox option
(``field___code``) its own category, sliders and validated text fields numbers; identifier,
file-upload, signature and descriptive fields are left out (see
:func:`partner_study.io.redcap.import_redcap`).
"""

from __future__ import annotations

import math
import re

import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.io import _limits
from partner_study.io._draft import RESERVED, _Var
from partner_study.io._naming import _shown, _unique

__all__: list[str] = []

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
