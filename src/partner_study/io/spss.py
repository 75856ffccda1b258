"""Import an SPSS (``.sav``, ``.zsav``, ``.por``) or Stata (``.dta``) file as a draft study.

Layer 2. :func:`import_spss` reads the file with pyreadstat (user-defined missing values
kept), builds a draft ``codebook.yaml`` from the file's own metadata (variable labels,
value labels, missing values) and returns a :class:`partner_study.io.RawStudy` with the
``participants`` and ``survey`` tables of the raw data contract. :func:`import_stata` is
the same for ``.dta`` files.

Example
-------
>>> from partner_study.io.spss import import_spss
>>> raw = import_spss("carers.sav", site="site_a", role="carer")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.io import RawStudy, _limits
from partner_study.io._draft import (
    MAX_OFF_CODES,
    RESERVED,
    _assemble,
    _find_blocks,
    _fit_scale,
    _fit_variable,
    _make_scale,
    _Scale,
    _Var,
)
from partner_study.io._naming import _fmt_numbers, _identifier, _shown, _unique
from partner_study.io._readstat import read_isolated
from partner_study.io._source import _site_role

__all__ = ["import_spss", "import_stata", "ID_NAMES"]

#: Variable names (case-insensitive) taken as the participant id when ``id_column`` is not
#: given, in this order of preference.
ID_NAMES = (
    "participant_id",
    "participant",
    "record_id",
    "respondent_id",
    "respondent",
    "respid",
    "case_id",
    "caseid",
    "subject_id",
    "subject",
    "pid",
    "id",
    "record",
)

_READERS = {".sav": "read_sav", ".zsav": "read_sav", ".por": "read_por", ".dta": "read_dta"}


def _read(path: Path, encoding: str | None) -> tuple[pd.DataFrame, Any]:
    """The file's data and metadata, read by pyreadstat in a child process.

    The reader is C code: a damaged file can crash it, which in this process would end the
    program without a message. In a child process (:func:`read_isolated`) a crash is one
    more way of failing, and every failure becomes a :class:`StudyDataError`.
    """
    name = str(path)
    if not path.is_file():
        raise StudyDataError(
            Problem(
                file=name,
                found="no such file",
                expected="an SPSS .sav/.zsav/.por or Stata .dta file",
                fix="check the path",
            )
        )
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise StudyDataError(
            Problem(
                file=name,
                found=f"a '{path.suffix}' file",
                expected="an SPSS .sav/.zsav/.por or Stata .dta file",
                fix="save the data from SPSS as .sav (or from Stata as .dta); for CSV use the "
                "raw data contract directly",
            )
        )
    _limits.check_file_size(path, name=name, fix=_SMALLER)
    kwargs: dict[str, Any] = {}
    if reader != "read_por":
        kwargs["user_missing"] = True
        if encoding is not None:
            kwargs["encoding"] = encoding
    outcome = read_isolated(str(path), reader, kwargs, _limits.MAX_COLUMNS, _limits.MAX_CELLS)
    if outcome[0] == "crash":
        raise _unreadable(path, f"a file that made the SPSS/Stata reader crash ({outcome[1]})")
    if outcome[0] == "error":
        kind, message = outcome[1], outcome[2]
        about_text = any(w in message.lower() for w in ("encoding", "character set"))
        if kind == "unicode" or (kind == "readstat" and about_text):
            raise StudyDataError(
                Problem(
                    file=name,
                    found=f"text that is not in the file's declared encoding ({message})"
                    if encoding is None
                    else f"text that can't be read with encoding '{encoding}' ({message})",
                    expected="labels and strings readable in one encoding",
                    fix="pass the encoding the file was written in, e.g. encoding='latin1' or "
                    "encoding='cp1252'",
                )
            )
        if kind == "readstat":
            raise _unreadable(path, f"a file pyreadstat cannot read ({message})")
        raise _unreadable(path, f"a damaged file ({message})")
    if outcome[0] == "columns":
        raise StudyDataError(
            Problem(
                file=name,
                found=f"{outcome[1]:,} variables",
                expected=f"at most {_limits.MAX_COLUMNS:,}",
                fix=_SMALLER,
            )
        )
    if outcome[0] == "cells":
        raise StudyDataError(
            Problem(
                file=name,
                found=f"more than {outcome[2]:,} cases of {outcome[1]:,} variables",
                expected=f"at most {_limits.MAX_CELLS:,} values (cases x variables)",
                fix=_SMALLER,
            )
        )
    return outcome[1], outcome[2]


_SMALLER = (
    "check that this is the right file; if it is, save a smaller part (the variables and "
    "cases of the study) and import that"
)


def _unreadable(path: Path, found: str) -> StudyDataError:
    return StudyDataError(
        Problem(
            file=str(path),
            found=found,
            expected=f"a valid {path.suffix} file",
            fix="re-save it from SPSS/Stata (the file may be damaged or only partly copied)",
        )
    )


def _column_text(values: pd.Series, *, is_string: bool, tagged: bool) -> tuple[pd.Series, str]:
    """The column as text and its kind: 'number', 'string' or 'date'."""
    if is_string:
        return values.astype(object).where(values.notna(), "").astype(str), "string"
    if pd.api.types.is_datetime64_any_dtype(values):
        text = values.dt.strftime("%Y-%m-%d %H:%M:%S")
        return text.where(values.notna(), "").astype(object), "date"
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return _fmt_numbers(values), "number"
    if pd.api.types.infer_dtype(values, skipna=True) in ("date", "datetime", "time"):
        return values.astype(object).where(values.notna(), "").astype(str), "date"
    # a numeric variable holding extended missing values ('a' .. 'z') as strings
    numbers = pd.to_numeric(values, errors="coerce")
    letters = values.astype(object).where(numbers.isna() & values.notna())
    shown = ("." + letters.astype(str)) if tagged else letters.astype(str)
    return _fmt_numbers(numbers).where(letters.isna(), shown).astype(object), "number"


def _missing_codes(
    meta: Any, column: str, text: pd.Series, kind: str, notes: list[str], name: str
) -> list[str]:
    """User-defined missing values of ``column`` as codes found in (or fitting) the data."""
    codes: list[str] = []
    ranges = (getattr(meta, "missing_ranges", None) or {}).get(column, [])
    for rng in ranges:
        lo, hi = rng.get("lo"), rng.get("hi")
        if kind == "string" or lo == hi:
            code = _fmt_numbers(pd.Series([lo])).iloc[0] if kind != "string" else str(lo)
            codes.append(str(code).strip())
            continue
        numbers = pd.to_numeric(text, errors="coerce")
        inside = sorted(pd.unique(numbers[(numbers >= lo) & (numbers <= hi)].to_numpy()))
        found = _fmt_numbers(pd.Series(inside, dtype=float)).tolist()
        codes.extend(found)
        notes.append(
            f"{name}: the missing range {_fmt_numbers(pd.Series([lo])).iloc[0]} to "
            f"{_fmt_numbers(pd.Series([hi])).iloc[0]} was declared as the codes found "
            f"in it ({_shown(found) if found else 'none'}); add others by hand if "
            "new data may hold them."
        )
    tagged = (getattr(meta, "missing_user_values", None) or {}).get(column, [])
    codes.extend(f".{t}" for t in tagged)
    return list(dict.fromkeys(c for c in codes if c != ""))


def _draft_variable(
    meta: Any, column: str, name: str, text: pd.Series, kind: str, notes: list[str]
) -> _Var:
    label = (
        dict(zip(meta.column_names, meta.column_labels, strict=False)).get(column) or ""
    ).strip()
    var = _Var(name=name, type="text", source=column, label=label)
    var.missing = _missing_codes(meta, column, text, kind, notes, name)
    if kind == "date":
        return var
    raw_labels = (meta.variable_value_labels or {}).get(column, {})
    if kind == "string":
        levels = {str(k).strip(): str(v) for k, v in raw_labels.items()}
    else:
        levels = {}
        for k, v in raw_labels.items():
            key = (
                f".{k}" if isinstance(k, str) else _fmt_numbers(pd.Series([k], dtype=float)).iloc[0]
            )
            levels[key] = str(v)
    levels = {k: v for k, v in levels.items() if k not in var.missing and not k.startswith(".")}
    present = text[text.ne("") & ~text.isin(var.missing)]
    measure = (getattr(meta, "variable_measure", None) or {}).get(column, "unknown")
    unlabelled = sorted(
        pd.unique(present[~present.isin(list(levels))].to_numpy()).tolist(), key=_sort_key
    )
    if levels and (not unlabelled or measure in ("nominal", "ordinal") or kind == "string"):
        if len(unlabelled) <= MAX_OFF_CODES:
            if unlabelled:
                notes.append(
                    f"{name}: value(s) {_shown(unlabelled)} have no value label; "
                    "they were added as levels labelled by their code."
                )
                levels.update({u: u for u in unlabelled})
            var.type = "category"
            var.levels = dict(sorted(levels.items(), key=lambda kv: _sort_key(kv[0])))
            return var
    if kind == "string":
        return var
    if levels:
        shown = "; ".join(f"{k} = {v}" for k, v in list(levels.items())[:6])
        var.label = f"{label} (value labels: {shown})" if label else f"value labels: {shown}"
    numbers = pd.to_numeric(present, errors="coerce")
    var.type = (
        "integer" if numbers.notna().any() and (numbers.dropna() % 1 == 0).all() else "number"
    )
    return var


def _sort_key(code: str) -> tuple[int, float, str]:
    try:
        return (0, float(code), code)
    except ValueError:
        return (1, 0.0, code)


def _id_column(
    columns: list[str], names: dict[str, str], id_column: str | None, file: str
) -> str | None:
    if id_column is not None:
        if id_column in columns:
            return id_column
        by_name = {v: k for k, v in names.items()}
        if id_column in by_name:
            return by_name[id_column]
        raise StudyDataError(
            Problem(
                file=file,
                column=id_column,
                found="no such variable",
                expected=f"one of the file's variables ({_shown(columns, 8)})",
                fix="pass id_column= the variable that identifies participants, or leave it out "
                "to number the rows",
            )
        )
    lower = {c.lower(): c for c in columns}
    for candidate in ID_NAMES:
        if candidate in lower:
            return lower[candidate]
    return None


def import_spss(
    path: str | Path,
    *,
    site: str | None = None,
    role: str | None = None,
    site_column: str | None = None,
    role_column: str | None = None,
    id_column: str | None = None,
    encoding: str | None = None,
    study: str = "spss",
) -> RawStudy:
    """Turn an SPSS or Stata data file into a draft study.

    Parameters
    ----------
    path : path-like
        A ``.sav``, ``.zsav``, ``.por`` (SPSS) or ``.dta`` (Stata) file.
    site, role : str, optional
        One site name / role for every participant, when the file does not record them.
    site_column, role_column : str, optional
        The variable holding each participant's site / role (value labels are used, as
        snake_case). Variables named ``site`` / ``role`` are used by default.
    id_column : str, optional
        The variable identifying participants. Default: the first variable named like an id
        (see :data:`ID_NAMES`); without one, rows are numbered ``R0001``, ``R0002``...
    encoding : str, optional
        The file's text encoding when its header is wrong or missing (old files written on
        Windows: ``"cp1252"``, ``"latin1"``). Not used for ``.por``.
    study : str
        The study name written in the codebook.

    Returns
    -------
    RawStudy
        ``participants`` (participant_id, site, role, collection = survey, one column per
        other variable), ``survey`` (participant_id + scale items of respondents with at
        least one answer; ``None`` without scales), the codebook text and ``notes``.

    Raises
    ------
    StudyDataError
        When the file is missing, not readable as SPSS/Stata (damaged, or in the wrong
        encoding), the id variable is missing, empty or repeated, a site / role variable is
        missing or empty, or the file passes a limit below.

    Notes
    -----
    Variable names become snake_case identifiers (renames are listed in the notes) and
    variable labels become ``label``. A numeric variable with value labels becomes a
    category (levels = the labelled codes) when the labels cover its values or SPSS
    measures it as nominal/ordinal; otherwise it stays a number and the labels go into
    its label. String variables with value labels are categories, without them text.
    Dates and times are written as ISO text.

    Missing values: SPSS user-defined missing values (discrete values, and the values found
    inside a missing range) and Stata extended missing values (``.a`` ... ``.z``, written
    as such) are declared as ``missing`` codes; their labels are not levels. System
    missing values are empty cells.

    Scales (heuristic): at least 3 adjacent numeric variables whose non-missing value
    labels are the same consecutive 4- to 7-point codes with the same labels (compared
    ignoring case) form a scale, named after the longest part common to their names
    (e.g. ``c82cop1 ... c90cop9`` -> ``cop``) or ``scale_1``... Range = the codes, labels =
    the value labels, ``missing`` = the items' missing codes, ``min_items`` = half the
    items; no item is marked reversed. Labelled items outside a block stay categories.

    The file is read by pyreadstat in a child process, so that a damaged file which
    crashes the reader ends in an error message, not the end of the program. Limits
    (``partner_study.io._limits``): the file is at most 2 GB, with at most 20,000
    variables, 50,000,000 values (cases x variables) and 1,000,000 characters a value.
    """
    path = Path(path)
    file = str(path)
    frame, meta = _read(path, encoding)
    notes: list[str] = []
    stata = path.suffix.lower() == ".dta"
    columns = list(frame.columns)
    if not columns or frame.empty:
        raise StudyDataError(
            Problem(
                file=file,
                found="a file without cases",
                expected="one row per participant",
                fix="check that the file holds the data, not only the dictionary",
            )
        )
    types = meta.readstat_variable_types or {}
    texts: dict[str, pd.Series] = {}
    kind_of: dict[str, str] = {}
    for c in columns:
        text, kind = _column_text(frame[c], is_string=types.get(c) == "string", tagged=stata)
        texts[c], kind_of[c] = text.astype(str).str.strip(), kind
    text_frame = pd.DataFrame(texts)
    strings = [c for c in columns if kind_of[c] == "string"]
    _limits.check_table(text_frame[strings], file, first_row=1)

    taken = set(RESERVED)
    names: dict[str, str] = {}
    for c in columns:
        base = _identifier(c)
        names[c] = _unique(base if base not in RESERVED else f"{base}_source", taken)
    renamed = [f"{c} -> {n}" for c, n in names.items() if c != n]
    if renamed:
        notes.append(f"Variable names were made snake_case identifiers: {_shown(renamed, 8)}.")

    id_col = _id_column(columns, names, id_column, file)
    if id_col is None:
        width = max(4, len(str(len(frame))))
        ids = pd.Series([f"R{i:0{width}d}" for i in range(1, len(frame) + 1)], dtype=object)
        notes.append(
            "The file has no participant id variable: participants were numbered "
            f"R{1:0{width}d}... in file order. Pass id_column= if one exists."
        )
    else:
        ids = text_frame[id_col]
        _check_unique(ids, file, id_col)
    dates = [names[c] for c in columns if kind_of[c] == "date" and c != id_col]
    if dates:
        notes.append(
            f"Dates and times are kept as text (the codebook has no date type): {_shown(dates, 8)}."
        )
    variables = [
        _draft_variable(meta, c, names[c], text_frame[c], kind_of[c], notes)
        for c in columns
        if c != id_col
    ]
    _label_response_sets(meta, variables, notes)
    by_source = {v.source: v for v in variables}
    by_name = {v.name: v.source for v in variables}
    site_column = by_name.get(site_column, site_column) if site_column else None
    role_column = by_name.get(role_column, role_column) if role_column else None
    auto: dict[str, str] = {k: by_name[k] for k in ("site", "role") if k in by_name}
    site_values, role_values, consumed = _site_role(
        text_frame,
        by_source,
        site=site,
        role=role,
        site_column=site_column,
        role_column=role_column,
        file=file,
        notes=notes,
        auto=auto,
    )
    variables = [v for v in variables if v.source not in consumed]
    scales = _spss_scales(variables, text_frame, notes)
    in_scale = {v.name for s in scales for v in s.items}
    variables = [v for v in variables if v.name not in in_scale]
    for v in variables:
        _fit_variable(v, text_frame[v.source], notes)
    encoding_used = getattr(meta, "file_encoding", None)
    notes.insert(
        0,
        f"Imported {len(frame)} participant(s), {len(variables)} variable(s) and "
        f"{len(scales)} scale(s) from {path.name}"
        f"{f' (encoding {encoding_used})' if encoding_used else ''}.",
    )
    kind = "Stata" if stata else "SPSS"
    return _assemble(
        text_frame,
        ids,
        site_values,
        role_values,
        variables,
        scales,
        study=study,
        title=f"Imported from {kind} ({path.name})",
        made_by="partner_study.io.spss.import_spss",
        notes=notes,
    )


def import_stata(
    path: str | Path,
    *,
    site: str | None = None,
    role: str | None = None,
    site_column: str | None = None,
    role_column: str | None = None,
    id_column: str | None = None,
    encoding: str | None = None,
    study: str = "stata",
) -> RawStudy:
    """Turn a Stata ``.dta`` file into a draft study: :func:`import_spss` for Stata.

    Stata extended missing values (``.a`` ... ``.z``) are written as such and declared as
    missing codes. See :func:`import_spss` for parameters, returns and the mapping.
    """
    if Path(path).suffix.lower() != ".dta":
        raise StudyDataError(
            Problem(
                file=str(path),
                found=f"a '{Path(path).suffix}' file",
                expected="a Stata .dta file",
                fix="use import_spss for SPSS files",
            )
        )
    return import_spss(
        path,
        site=site,
        role=role,
        site_column=site_column,
        role_column=role_column,
        id_column=id_column,
        encoding=encoding,
        study=study,
    )


def _label_response_sets(meta: Any, variables: list[_Var], notes: list[str]) -> None:
    """Prefix the labels of SPSS multiple-response-set members with the set's label."""
    by_source = {v.source: v for v in variables}
    for set_name, spec in sorted((getattr(meta, "mr_sets", None) or {}).items()):
        members = [by_source[c] for c in spec.get("variable_list", []) if c in by_source]
        if not members:
            continue
        title = spec.get("label") or set_name
        for v in members:
            v.label = f"{title}: {v.label}" if v.label else title
        counted = spec.get("counted_value")
        notes.append(
            f"Multiple-response set '{set_name}' ({_shown([v.name for v in members])})"
            " was kept as one variable per option"
            + (f"; the value {counted} means selected." if counted is not None else ".")
        )


def _check_unique(ids: pd.Series, file: str, column: str) -> None:
    bad = np.flatnonzero((ids.eq("") | ids.duplicated(keep=False)).to_numpy())
    if len(bad):
        rows = ", ".join(str(i + 1) for i in bad[:5])
        raise StudyDataError(
            Problem(
                file=file,
                column=column,
                found=f"empty or repeated ids in case(s) {rows}{', ...' if len(bad) > 5 else ''} "
                f"(e.g. '{ids.iloc[bad[0]]}')",
                expected="one case per participant with a unique id",
                fix="pass id_column= a variable with unique ids, or aggregate repeated cases first",
            )
        )


def _spss_scales(variables: list[_Var], frame: pd.DataFrame, notes: list[str]) -> list[_Scale]:
    taken = {v.name for v in variables} | set(RESERVED)
    scales = []
    for k, block in enumerate(_find_blocks(variables), start=1):
        scale = _make_scale(block, name_hint=f"scale_{k}", label="", taken=taken)
        if _fit_scale(scale, frame, notes):
            scales.append(scale)
    return scales
