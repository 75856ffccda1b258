"""Validation of study folders: one site's folder, or several pooled into one study.

Layer 2. :func:`validate_study` finds each table of a folder (CSV, TSV or Excel), refuses
symbolic links that lead outside the project, reads the codebook and the tables, and
checks them (:mod:`partner_study.validate.tables`). :func:`validate_sites` validates
several site folders and pools them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from partner_study.codebook import read_codebook
from partner_study.config import find_root
from partner_study.errors import Problem, StudyDataError
from partner_study.io import Study, escape_invisible, find_table, read_table_rows
from partner_study.validate._collect import _Collector
from partner_study.validate.tables import _check_tables

__all__ = ["validate_study", "validate_sites"]


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
