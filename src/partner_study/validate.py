"""Validation of a raw study folder against its codebook, collecting every problem.

Layer 2. :func:`validate_study` reads ``codebook.yaml``, ``participants``, ``survey`` and
``segments`` (CSV, TSV or Excel), checks them, and returns typed tables in a
:class:`~partner_study.io.Study`; or raises one :class:`StudyDataError` that lists every
problem as ``file: row N, column 'x': found ..., expected .... Fix: ...``.

Row numbers are those a spreadsheet shows: the header is row 1, the first record row 2;
blank rows count, a cell holding line breaks does not add rows. Values are shown with
invisible and control characters escaped (``'BE-0001\\u200b'``). Checks are vectorised: at
most :data:`MAX_ROWS_LISTED` rows are listed per file, column and kind of problem, followed
by a count of the rest.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from partner_study.arrays import isin
from partner_study.codebook import Codebook, Scale, Variable, read_codebook
from partner_study.config import find_root
from partner_study.errors import Problem, StudyDataError
from partner_study.io import (
    INVISIBLE,
    Study,
    TableRows,
    escape_invisible,
    find_table,
    read_table_rows,
)


def _unknown_ids(
    col: _Collector,
    file: str,
    ids: pd.Series,
    column: str,
    known_ids: set[str] | None,
    pfile: str,
    fix: str | None = None,
    *,
    blank_ok: bool = False,
) -> None:
    """Report ids of ``file`` that ``pfile`` (participants) does not list; blank ids are
    left to their own check when ``blank_ok``."""
    if known_ids is None:
        return
    unknown = ~_isin(ids, known_ids)
    if blank_ok:
        unknown &= ids.ne("")
    name = Path(pfile).name
    col.rows(
        file,
        unknown,
        ids,
        column,
        f"an id listed in {name}",
        fix or f"add the participant to {name} or correct the id",
        found="unknown participant '{}'",
    )


def _isin(values: pd.Series, pool) -> pd.Series:
    """``values.isin(pool)``, fast on pyarrow strings (:func:`partner_study.arrays.isin`)."""
    return pd.Series(isin(values, pool), index=values.index)


__all__ = [
    "MAX_ROWS_LISTED",
    "PARTICIPANT_COLUMNS",
    "SEGMENT_COLUMNS",
    "validate_study",
    "validate_tables",
    "validate_sites",
    "template_columns",
]

MAX_ROWS_LISTED = 5
PARTICIPANT_COLUMNS = ("collection", "group_id")
SEGMENT_COLUMNS = (
    "segment_id",
    "participant_id",
    "document",
    "start",
    "end",
    "coder",
    "code",
    "text",
)
_SEGMENT_REQUIRED = ("segment_id", "participant_id", "code")


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        #: Spreadsheet rows of the tables read from files, by file name as shown.
        self.rows_of: dict[str, TableRows] = {}

    def add(self, **kw) -> None:
        self.problems.append(Problem(**kw))

    def header_row(self, file: str) -> int:
        where = self.rows_of.get(file)
        return where.header if where is not None else 1

    def row(self, file: str, i: int) -> int:
        """The spreadsheet row of row ``i`` (from 0) of a table."""
        where = self.rows_of.get(file)
        return int(where.data[i]) if where is not None else int(i) + 2

    def rows(
        self,
        file: str,
        mask: np.ndarray | pd.Series,
        values: pd.Series,
        column: str,
        expected: str,
        fix: str,
        found: str = "'{}'",
        show: Callable[[object], str] | None = None,
    ) -> None:
        """Add one problem per offending row (first few), then a count of the rest."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        idx = np.flatnonzero(mask)
        vals = values.to_numpy()
        for i in idx[:MAX_ROWS_LISTED]:
            self.add(
                file=file,
                row=self.row(file, i),
                column=escape_invisible(column),
                found=found.format((show or _short)(vals[i])),
                expected=expected,
                fix=fix,
            )
        rest = len(idx) - MAX_ROWS_LISTED
        if rest > 0:
            rows = ", ".join(
                str(self.row(file, i)) for i in idx[MAX_ROWS_LISTED : MAX_ROWS_LISTED + 10]
            )
            self.add(
                file=file,
                column=escape_invisible(column),
                found=f"the same problem on {rest} more row(s) (rows {rows}"
                f"{', ...' if rest > 10 else ''})",
                expected=expected,
                fix=fix,
            )


def _short(v: object) -> str:
    """A found value as shown in a message: at most 40 characters, invisible ones escaped."""
    s = str(v)
    return escape_invisible(s if len(s) <= 40 else s[:37] + "...")


def _with_invisible(v: object) -> str:
    """A found value and the name of the first invisible character in it."""
    s = str(v)
    hit = next((c for c in s if escape_invisible(c) != c), None)
    if hit is None:
        return f"'{_short(s)}'"
    name = unicodedata.name(hit, unicodedata.category(hit))
    return f"'{_short(s)}' (an invisible character, U+{ord(hit):04X} {name})"


def _invisible(col: _Collector, file: str, values: pd.Series, column: str, what: str) -> None:
    """Report ids and names holding invisible or control characters: such a value looks
    like another one and silently makes a second participant, site or coder."""
    col.rows(
        file,
        values.str.contains(INVISIBLE, regex=True, na=False),
        values,
        column,
        f"{what} without invisible or control characters",
        "delete the character (it often comes along when text is copied from a web page, a "
        "PDF or a word processor); retype the value if unsure",
        found="{}",
        show=_with_invisible,
    )


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text, missing cells (None, NaN) as ``""``: tables held in memory may
    come with other types; tables read from files are text already."""
    out = frame
    for j in range(frame.shape[1]):
        values = frame.iloc[:, j]
        if values.dtype == "str" and not values.hasnans:
            continue
        text = values.astype(object).where(values.notna(), "").astype(str)
        out = frame.copy() if out is frame else out
        out.isetitem(j, text.array)
    return out


def template_columns(codebook: Codebook) -> dict[str, list[str]]:
    """Header of each raw table that ``codebook`` describes (for templates and messages)."""
    cb = codebook
    participants = [cb.id, cb.site, cb.role_column, *PARTICIPANT_COLUMNS, *cb.variables]
    survey = [cb.id, *cb.items]
    if cb.engagement_level is not None:
        survey.append(cb.engagement_level.column)
    out = {"participants": participants}
    if cb.scales or cb.engagement_level is not None:
        out["survey"] = survey
    if cb.codes:
        out["segments"] = list(SEGMENT_COLUMNS)
    return out


def _typed_values(
    col: _Collector, file: str, values: pd.Series, var: Variable, cb_name: str
) -> pd.Series:
    """Convert one text column by its codebook declaration; record problems."""
    text = values.str.strip()
    missing = text.eq("") | text.isin(var.missing)
    if var.type == "text":
        return text.where(~missing)
    if var.type == "category":
        levels = var.levels or {}
        label_of = {**{v: v for v in levels.values()}, **levels}
        mapped = text.map(label_of)
        bad = ~missing & mapped.isna()
        shown = ", ".join(f"{k}={v}" if k != v else k for k, v in levels.items())
        col.rows(
            file,
            bad,
            text,
            var.column,
            f"one of the levels of '{var.name}' ({shown})",
            f"correct the value, or declare it under variables.{var.name}.levels "
            f"(or its missing codes) in {cb_name}",
        )
        return mapped.where(~missing & ~bad).astype(object)
    numbers = pd.to_numeric(text.where(~missing), errors="coerce")
    bad_num = ~missing & numbers.isna()
    # 'inf' and 'nan' read as numbers that are not: no statistic can use them
    nonfinite = ~missing & (
        np.isinf(numbers) | (bad_num & text.str.lower().isin(["nan", "+nan", "-nan"]))
    )
    bad_num &= ~nonfinite
    col.rows(
        file,
        bad_num,
        text,
        var.column,
        f"a number{' (whole)' if var.type == 'integer' else ''}",
        f"correct the value, leave the cell empty, or declare the code under "
        f"variables.{var.name}.missing in {cb_name}",
    )
    col.rows(
        file,
        nonfinite,
        text,
        var.column,
        "a finite number",
        "write the value as a number, or leave the cell empty if it is not known",
    )
    ok = ~missing & ~bad_num & ~nonfinite
    if var.type == "integer":
        frac = ok & (numbers % 1 != 0)
        col.rows(
            file,
            frac,
            text,
            var.column,
            "a whole number",
            "round the value or declare the variable as type: number",
        )
        ok &= ~frac
    lo, hi = var.min, var.max
    if lo is not None or hi is not None:
        out = ok & (
            (numbers < (lo if lo is not None else -np.inf))
            | (numbers > (hi if hi is not None else np.inf))
        )
        rng = f"{lo if lo is not None else '-inf'}-{hi if hi is not None else 'inf'}"
        col.rows(
            file,
            out,
            text,
            var.column,
            f"a value in {rng}",
            f"correct the value, or add it to 'missing' for {var.name} in {cb_name}",
        )
        ok &= ~out
    return numbers.where(ok).astype(float)


def _likert_block(
    col: _Collector, file: str, raw: pd.DataFrame, items: list[str], scale: Scale, cb_name: str
) -> pd.DataFrame:
    """Convert all of a scale's item columns at once (one vectorised pass); record problems."""
    n = len(raw)
    flat = pd.Series(raw[items].to_numpy(dtype=object).ravel(order="F")).astype(str).str.strip()
    missing = flat.eq("") | flat.isin(scale.missing)
    # A cell may hold a response's declared label ("Agree") as well as its code: case and
    # spaces ignored.
    by_label = {_label_key(label): str(code) for code, label in scale.labels.items()}
    if by_label:
        coded = _label_keys(flat).map(by_label)
        flat_codes = flat.where(coded.isna(), coded)
    else:
        flat_codes = flat
    numbers = pd.to_numeric(flat_codes.where(~missing), errors="coerce")
    not_number = ~missing & numbers.isna()
    out_of_range = (
        ~missing
        & ~not_number
        & ((numbers % 1 != 0) | (numbers < scale.low) | (numbers > scale.high))
    )
    bad = not_number | out_of_range
    values = (
        numbers.where(~missing & ~bad).astype(float).to_numpy().reshape((n, len(items)), order="F")
    )
    labels = ", ".join(f"{k}: {v}" for k, v in scale.labels.items())
    expected = (
        f"a whole number in {scale.low}-{scale.high}"
        + (f" or one of the labels {{{labels}}}" if labels else "")
        + f" (scale '{scale.name}'), or an empty cell"
    )
    fixes = (
        (
            not_number,
            f"correct the value; if it is a response label, declare the scale's labels "
            f"(scales.{scale.name}.labels: {{{scale.low}: ..., {scale.high}: ...}}) in "
            f"{cb_name}; only a code that means 'not answered' belongs in 'missing'",
        ),
        (
            out_of_range,
            f"correct the value; if the scale has more points, widen scales.{scale.name}."
            f"range in {cb_name} (and its labels)",
        ),
    )
    text = flat.to_numpy().reshape((n, len(items)), order="F")
    for mask, fix in fixes:
        block = mask.to_numpy().reshape((n, len(items)), order="F")
        for j in np.flatnonzero(block.any(axis=0)):
            col.rows(file, block[:, j], pd.Series(text[:, j]), items[j], expected, fix)
    if n and not bad.any() and not np.isfinite(values).any():
        # Every cell empty or a declared missing code: the scale would have no score, and
        # its tables no answer.
        codes = f" or one of its missing codes {list(scale.missing)}" if scale.missing else ""
        col.add(
            file=file,
            row=col.header_row(file),
            column=items[0],
            found=(
                f"no answer to any item of scale '{scale.name}' ({', '.join(items)}) in "
                f"{n:,} row(s): every cell is empty{codes}"
            ),
            expected=f"answers {scale.low}-{scale.high} to at least one item of the scale",
            fix=(
                f"check that these columns hold the answers of '{scale.name}' (an export may "
                f"leave a question's columns empty) and that scales.{scale.name}.missing in "
                f"{cb_name} lists only codes that mean 'not answered'; if the scale was not "
                "asked, remove it from the codebook"
            ),
        )
    return pd.DataFrame(values, columns=items, index=raw.index)


def _label_key(label: str) -> str:
    return " ".join(str(label).split()).casefold()


def _label_keys(values: pd.Series) -> pd.Series:
    return values.str.split().str.join(" ").str.casefold()


def _check_columns(
    col: _Collector,
    file: str,
    frame: pd.DataFrame,
    required: Iterable[str],
    allowed: Iterable[str],
    cb_name: str,
    kind: str,
) -> bool:
    present = list(frame.columns)
    header = col.header_row(file)
    ok = True
    for name in required:
        if name not in present:
            ok = False
            col.add(
                file=file,
                row=header,
                column=name,
                found="no such column in the header",
                expected=f"a column '{name}' ({kind})",
                fix=f"add the column to {Path(file).name}, or correct its name in {cb_name}"
                if kind.startswith("declared")
                else f"add the column '{name}'",
            )
    allowed_set = set(allowed)
    for name in present:
        if name not in allowed_set:
            col.add(
                file=file,
                row=header,
                column=escape_invisible(str(name)),
                found="a column the codebook does not declare",
                expected=f"only the columns described in {cb_name}",
                fix="declare it in the codebook (variables:, a scale's items:) "
                "or remove the column",
            )
    dup = pd.Index(present)[pd.Index(present).duplicated()]
    for name in dup:
        ok = False
        col.add(
            file=file,
            row=header,
            column=escape_invisible(str(name)),
            found="the column twice",
            expected="each column once",
            fix="remove or rename one of the two columns",
        )
    return ok


def _load(
    col: _Collector, path: Path | None, name: str, show: str, *, required: bool
) -> pd.DataFrame | None:
    if path is None:
        if required:
            col.add(
                file=f"{show}/{name}.csv",
                found="no such file",
                expected=f"a {name} table (.csv, .tsv or .xlsx)",
                fix=f"add {name}.csv (`partner-study new-site` writes a template with the "
                "right header)",
            )
        return None
    display = f"{show}/{path.name}"
    try:
        frame, rows = read_table_rows(path, display=display)
    except StudyDataError as exc:
        col.problems.extend(exc.problems)
        return None
    col.rows_of[display] = rows
    return frame


def _ids(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].astype(str).str.strip()


def _check_links(folder: Path, show: str) -> None:
    """Every file of a study folder resolves inside its project (or, outside any project,
    inside the folder): a symbolic link may not make validation read a file elsewhere."""
    base = find_root(folder).resolve()
    if not folder.resolve().is_relative_to(base):
        base = folder.resolve()
    problems = []
    for entry in sorted(folder.iterdir()):
        try:
            target = entry.resolve()
        except (RuntimeError, OSError):  # a link that leads to itself
            problems.append(
                Problem(
                    file=f"{show}/{entry.name}",
                    found="a symbolic link that loops back to itself",
                    expected="a file",
                    fix="replace the link with the file it should name",
                )
            )
            continue
        if not target.is_relative_to(base):
            problems.append(
                Problem(
                    file=f"{show}/{entry.name}",
                    found=f"a symbolic link to {target}, outside the project {base}",
                    expected="a file inside the project",
                    fix="replace the link with a copy of the file",
                )
            )
    if problems:
        raise StudyDataError(problems)


def validate_study(folder: Path | str, *, display: str | None = None) -> Study:
    """Validate a raw study folder and return its typed tables.

    Parameters
    ----------
    folder : path-like
        ``data/raw/<study>/`` holding ``codebook.yaml``, ``participants``, and ``survey``
        (when the codebook declares scales) and ``segments`` (when it declares codes).
    display : str, optional
        How to name the folder in messages (default: the path as given).

    Returns
    -------
    Study
        Typed, unscored tables: participants (ids, site, role, collection, group_id and the
        declared variables, categories as labels, numbers as float); ``scored`` holds the
        survey items as float (NaN = missing) and ``engagement_level`` as its label;
        segments with start/end as integers.

    Raises
    ------
    StudyDataError
        Listing every problem found, in every file.
    """
    folder = Path(folder)
    show = (display or str(folder)).rstrip("/")
    if not folder.is_dir():
        raise StudyDataError(
            Problem(
                file=show,
                found="no such folder",
                expected="a study folder with codebook.yaml and tables",
                fix="check the path, or create it with `partner-study new-site NAME`",
            )
        )
    _check_links(folder, show)
    cb_name = f"{show}/codebook.yaml"
    cb = read_codebook(folder / "codebook.yaml", display=cb_name)
    col = _Collector()
    tables: dict[str, pd.DataFrame | None] = {}
    names: dict[str, str] = {}
    required = {
        "participants": True,
        "survey": bool(cb.scales or cb.engagement_level),
        "segments": bool(cb.codes),
        "roster": False,
    }
    for table, needed in required.items():
        try:
            path = find_table(folder, table, display=show)
        except StudyDataError as exc:  # two files for one table
            col.problems.extend(exc.problems)
            names[table] = f"{show}/{table}.csv"
            continue
        names[table] = f"{show}/{path.name if path else table + '.csv'}"
        present = path is not None
        if present and not needed and table in ("survey", "segments"):
            kind = "scales" if table == "survey" else "codes and their themes"
            col.add(
                file=names[table],
                found=f"a {table} file but no {kind} in the codebook",
                expected=f"{kind} declared in codebook.yaml",
                fix=f"declare them in {cb_name}, or remove the file",
            )
            continue
        tables[table] = _load(col, path, table, show, required=needed)
    return _check_tables(col, cb, cb_name, tables, names)


def validate_tables(
    codebook: Codebook,
    participants: pd.DataFrame,
    survey: pd.DataFrame | None = None,
    segments: pd.DataFrame | None = None,
    roster: pd.DataFrame | None = None,
    *,
    display: str = "(in memory)",
) -> Study:
    """Validate raw tables held in memory (text cells, as :func:`read_table` gives them).

    The same checks as :func:`validate_study`, for tables from an importer or the simulator.
    """
    tables = {
        "participants": participants,
        "survey": survey,
        "segments": segments,
        "roster": roster,
    }
    names = {k: f"{display}/{k}.csv" for k in tables}
    return _check_tables(_Collector(), codebook, f"{display}/codebook.yaml", tables, names)


def _check_tables(
    col: _Collector,
    cb: Codebook,
    cb_name: str,
    tables: dict[str, pd.DataFrame | None],
    names: dict[str, str],
) -> Study:
    tables = {k: (_as_text(v) if v is not None else None) for k, v in tables.items()}
    # --- participants -----------------------------------------------------------------------
    pfile = names["participants"]
    part_raw = tables.get("participants")
    participants = None
    survey_raw = tables.get("survey")
    # A participant variable may be collected in the survey instead (a yes/no question):
    # it then lives in survey.csv only.
    in_survey = {
        v
        for v in cb.variables
        if survey_raw is not None
        and v in survey_raw.columns
        and (part_raw is None or v not in part_raw.columns)
    }
    if part_raw is not None:
        allowed = [
            cb.id,
            cb.site,
            cb.role_column,
            *(v for v in cb.variables if v not in in_survey),
            *PARTICIPANT_COLUMNS,
        ]
        if _check_columns(
            col,
            pfile,
            part_raw,
            [cb.id, cb.site, cb.role_column],
            allowed,
            cb_name,
            "required by the data contract",
        ):
            for v in cb.variables:
                if v not in part_raw.columns and v not in in_survey:
                    col.add(
                        file=pfile,
                        row=1,
                        column=v,
                        found="no such column in the header",
                        expected=f"a column '{v}' (declared under variables in codebook.yaml) "
                        "in participants.csv, or in survey.csv when the survey asked it",
                        fix=f"add the column to one of them, or remove '{v}' from variables "
                        f"in {cb_name}",
                    )
            if survey_raw is not None:
                for v in cb.variables:
                    if v in part_raw.columns and v in survey_raw.columns:
                        col.add(
                            file=names["survey"],
                            row=1,
                            column=v,
                            found=f"variable '{v}' in both participants.csv and survey.csv",
                            expected="each variable in one table",
                            fix=f"keep '{v}' in one of the two tables",
                        )
            participants = _validate_participants(col, pfile, part_raw, cb, cb_name)
    known_ids = set(participants["participant_id"]) if participants is not None else None

    survey = None
    if survey_raw is not None:
        survey = _validate_survey(
            col, names["survey"], survey_raw, cb, cb_name, known_ids, pfile, sorted(in_survey)
        )
    segments = None
    segments_raw = tables.get("segments")
    if segments_raw is not None:
        segments = _validate_segments(
            col, names["segments"], segments_raw, cb, cb_name, known_ids, pfile
        )

    # --- roster (optional): real names, used only to redact them from texts ----------------
    roster = None
    rraw = tables.get("roster")
    if rraw is not None:
        rfile = names["roster"]
        _check_columns(
            col,
            rfile,
            rraw,
            [cb.id, "name"],
            [cb.id, "name"],
            cb_name,
            "required by the data contract",
        )
        if cb.id in rraw.columns and "name" in rraw.columns and rraw.columns.is_unique:
            rid = _ids(rraw, cb.id)
            _unknown_ids(
                col, rfile, rid, cb.id, known_ids, pfile, "correct the id or remove the row"
            )
            roster = pd.DataFrame({"participant_id": rid, "name": rraw["name"].str.strip()})

    if col.problems:
        raise StudyDataError(col.problems)
    assert participants is not None  # guaranteed when no problems were found
    return Study(cb, participants, survey, segments, roster)


def _validate_participants(
    col: _Collector, file: str, raw: pd.DataFrame, cb: Codebook, cb_name: str
) -> pd.DataFrame:
    ids = _ids(raw, cb.id)
    col.rows(file, ids.eq(""), ids, cb.id, "a participant id", "give every participant an id")
    _invisible(col, file, ids, cb.id, "an id")
    dup = ids.duplicated(keep="first") & ids.ne("")
    col.rows(
        file,
        dup,
        ids,
        cb.id,
        "each participant id once",
        "remove the repeated row or give it its own id",
        found="duplicate id '{}'",
    )
    site = raw[cb.site].astype(str).str.strip()
    col.rows(file, site.eq(""), site, cb.site, "a site name", "name the site of every participant")
    _invisible(col, file, site, cb.site, "a site name")
    role = raw[cb.role_column].astype(str).str.strip()
    col.rows(
        file,
        ~role.isin(cb.role_levels),
        role,
        cb.role_column,
        f"one of {', '.join(cb.role_levels)}",
        f"correct the role, or declare it under role.levels in {cb_name}",
    )
    out = pd.DataFrame({"participant_id": ids, "site": site, "role": role})
    for name in PARTICIPANT_COLUMNS:
        if name in raw.columns:
            values = raw[name].astype(str).str.strip()
            _invisible(col, file, values, name, f"a {name.replace('_', ' ')}")
            out[name] = values.replace("", pd.NA)  # type: ignore[call-overload]
        else:
            out[name] = pd.NA
    for name, var in cb.variables.items():
        if name in raw.columns:
            out[name] = _typed_values(col, file, raw[name].astype(str), var, cb_name)
    return out


def _validate_survey(
    col: _Collector,
    file: str,
    raw: pd.DataFrame,
    cb: Codebook,
    cb_name: str,
    known_ids: set[str] | None,
    pfile: str,
    variables: Sequence[str] = (),
) -> pd.DataFrame:
    eng = cb.engagement_level
    required = [cb.id, *cb.items] + ([eng.column] if eng else [])
    allowed = [*required, *variables]
    _check_columns(col, file, raw, required, allowed, cb_name, "declared in codebook.yaml")
    if cb.id not in raw.columns or not raw.columns.is_unique:
        return pd.DataFrame()
    ids = _ids(raw, cb.id)
    col.rows(file, ids.eq(""), ids, cb.id, "a participant id", "fill in the participant id")
    col.rows(
        file,
        ids.duplicated() & ids.ne(""),
        ids,
        cb.id,
        "one survey row per participant",
        "remove the repeated row",
        found="duplicate id '{}'",
    )
    _unknown_ids(col, file, ids, cb.id, known_ids, pfile, blank_ok=True)
    blocks = [pd.DataFrame({"participant_id": ids})]
    for scale in cb.scales.values():
        items = [item for item in scale.items if item in raw.columns]
        if items:
            blocks.append(_likert_block(col, file, raw, items, scale, cb_name))
    out = pd.concat(blocks, axis=1)
    if eng is not None and eng.column in raw.columns:
        out["engagement_level"] = _typed_values(
            col, file, raw[eng.column].astype(str), eng, cb_name
        )
    for name in variables:
        out[name] = _typed_values(col, file, raw[name].astype(str), cb.variables[name], cb_name)
    return out


def _validate_segments(
    col: _Collector,
    file: str,
    raw: pd.DataFrame,
    cb: Codebook,
    cb_name: str,
    known_ids: set[str] | None,
    pfile: str,
) -> pd.DataFrame:
    if not _check_columns(
        col, file, raw, _SEGMENT_REQUIRED, SEGMENT_COLUMNS, cb_name, "required by the data contract"
    ):
        return pd.DataFrame()
    get = {
        c: (
            raw[c].astype(str).str.strip()
            if c in raw.columns
            else pd.Series("", index=raw.index, dtype="str")
        )
        for c in SEGMENT_COLUMNS
    }
    col.rows(
        file,
        get["segment_id"].eq(""),
        get["segment_id"],
        "segment_id",
        "a segment id",
        "give every coded segment an id",
    )
    for c, what in (("segment_id", "a segment id"), ("document", "a document name")):
        _invisible(col, file, get[c], c, what)
    _invisible(col, file, get["coder"], "coder", "a coder name")
    ids = get["participant_id"]
    _unknown_ids(col, file, ids, "participant_id", known_ids, pfile)
    code = get["code"]
    col.rows(
        file,
        ~_isin(code, list(cb.codes)),
        code,
        "code",
        "a code declared under codes: in codebook.yaml",
        f"correct the spelling, or declare the code with its theme in {cb_name}",
        found="undeclared code '{}'",
    )
    coder = get["coder"].where(get["coder"].ne(""), "coder_1")
    positions = {}
    for c in ("start", "end"):
        if c in raw.columns:
            vals = pd.to_numeric(get[c].where(get[c].ne("")), errors="coerce")
            bad = get[c].ne("") & (vals.isna() | (vals % 1 != 0) | (vals < 0))
            col.rows(
                file,
                bad,
                get[c],
                c,
                "a whole number of characters >= 0 (or empty)",
                "correct the offset or leave it empty",
            )
            positions[c] = vals.where(~bad)
        else:
            positions[c] = pd.Series(np.nan, index=raw.index)
    inverted = (
        positions["start"].notna()
        & positions["end"].notna()
        & (positions["start"] > positions["end"])
    )
    col.rows(
        file, inverted, get["end"], "end", "end >= start", "swap start and end or correct them"
    )
    key = pd.DataFrame({"s": get["segment_id"], "c": coder, "k": code})
    dup = key.duplicated() & get["segment_id"].ne("")
    col.rows(
        file,
        dup,
        get["segment_id"],
        "segment_id",
        "each (segment_id, coder, code) once",
        "remove the repeated row",
        found="segment '{}' coded twice with the same code by the same coder",
    )
    owners = pd.DataFrame({"s": get["segment_id"], "p": ids}).drop_duplicates()
    multi = owners["s"].duplicated(keep=False) & owners["s"].ne("")
    if multi.any():
        bad = _isin(get["segment_id"], owners.loc[multi, "s"]) & ids.ne(
            get["segment_id"].map(owners.drop_duplicates("s").set_index("s")["p"])
        )
        col.rows(
            file,
            bad,
            get["segment_id"],
            "participant_id",
            "one participant per segment_id",
            "give segments of different participants different ids",
            found="segment '{}' also assigned to another participant",
        )
    return pd.DataFrame(
        {
            "segment_id": get["segment_id"],
            "participant_id": ids,
            "document": get["document"],
            "start": positions["start"].astype("Int64"),
            "end": positions["end"].astype("Int64"),
            "coder": coder,
            "code": code,
            "text": raw["text"].astype(str) if "text" in raw.columns else "",
        }
    )


def validate_sites(folders: list[Path] | list[str], *, display: list[str] | None = None) -> Study:
    """Validate one or several site folders and pool them into one study.

    Each folder is validated on its own (every problem of every folder is reported); the
    codebooks must declare the same scales (items, ranges) and codes, and participant ids
    must be unique across folders. The pooled study has the first folder's codebook; the
    ``site`` column tells the sites apart (the grouping of the mixed models).

    Raises
    ------
    StudyDataError
        Listing the problems of every folder, incompatible codebooks, or repeated ids.
    """
    folders = [Path(f) for f in folders]
    names = display or [str(f) for f in folders]
    studies, problems = [], []
    for folder, name in zip(folders, names, strict=True):
        try:
            studies.append(validate_study(folder, display=name))
        except StudyDataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise StudyDataError(problems)
    if len(studies) == 1:
        return studies[0]
    first = studies[0].codebook
    for study, name in zip(studies[1:], names[1:], strict=True):
        cb = study.codebook
        for what, mine, theirs in (
            (
                "scales",
                {k: (v.items, v.low, v.high, v.reverse) for k, v in first.scales.items()},
                {k: (v.items, v.low, v.high, v.reverse) for k, v in cb.scales.items()},
            ),
            (
                "codes",
                {k: v.theme for k, v in first.codes.items()},
                {k: v.theme for k, v in cb.codes.items()},
            ),
        ):
            if mine != theirs:
                diff = sorted(set(mine) ^ set(theirs)) or sorted(
                    k for k in mine if mine[k] != theirs.get(k)
                )
                problems.append(
                    Problem(
                        file=f"{name}/codebook.yaml",
                        found=f"{what} that differ from "
                        f"{names[0]}/codebook.yaml ({', '.join(diff[:5])})",
                        expected=f"the same {what} in every site's codebook",
                        fix=f"make the {what} of the sites' codebooks identical "
                        "(copy one codebook)",
                    )
                )
    pooled = pd.concat([s.participants for s in studies], ignore_index=True)
    dup = pooled["participant_id"].duplicated(keep=False)
    if dup.any():
        first_dup = pooled.loc[dup, "participant_id"].iloc[0]
        problems.append(
            Problem(
                file=", ".join(names),
                column="participant_id",
                found=f"participant id '{escape_invisible(first_dup)}' (and "
                f"{int(dup.sum()) - 1} more) in more than one site folder",
                expected="ids unique across sites",
                fix="prefix the ids with the site code in each folder (e.g. BE-0001)",
            )
        )
    if problems:
        raise StudyDataError(problems)

    def cat(key: str) -> pd.DataFrame | None:
        frames = [getattr(s, key) for s in studies if getattr(s, key) is not None]
        return pd.concat(frames, ignore_index=True) if frames else None

    return Study(first, pooled, cat("scored"), cat("segments"), cat("roster"))
