"""Loading a parameters file: read, checked against the schema, defaults filled, checked.

Layer 2. :func:`load_params` checks the whole file before any notebook runs: every key's
type and range against one schema (:data:`partner_study.params.schema.SCHEMA`), the study
name (it becomes a folder name), the data folders (inside the project), and every name
against the codebook (:func:`partner_study.params.checks.check_params`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from partner_study.config import check_study_name, find_root, inside_project
from partner_study.errors import ParamsError, PartnerStudyError, StudyDataError
from partner_study.params.checks import check_params
from partner_study.params.defaults import DEFAULTS, Params, _merge
from partner_study.params.schema import schema_problems
from partner_study.safe_yaml import load_yaml

__all__ = ["load_params"]


def load_params(path: Path | str, *, root: Path | str | None = None, check: bool = True) -> Params:
    """Read ``params/<study>.yaml``, fill defaults, and check it against the codebook.

    Raises
    ------
    ParamsError
        Missing file, YAML error, or an unknown key, scale, covariate or model kind.
    """
    path = Path(path)
    root = Path(root) if root else find_root(path.parent)
    if not path.is_file():
        raise ParamsError(
            f"{path}: no such parameters file. Fix: give the path of a "
            "params/<study>.yaml (params/example.yaml is the example study)."
        )
    doc = _read_document(path)
    src = str(path)
    if not isinstance(doc, dict) or "study" not in doc:
        raise ParamsError(
            f"{path}: found no 'study:' key, expected the study name. "
            "Fix: add e.g. 'study: example'."
        )
    try:
        study = check_study_name(doc["study"], where=f"{path}: key 'study'")
    except PartnerStudyError as exc:
        raise ParamsError(str(exc)) from None
    problems = schema_problems(doc, src)
    if problems:
        raise ParamsError(
            f"{len(problems)} problem(s) in {path}:\n" + "\n".join(f"  {p}" for p in problems)
        )
    data = doc.get("data", f"data/raw/{study}")
    data_t = tuple(str(d) for d in (data if isinstance(data, list) else [data]))
    for folder in data_t:
        try:
            full = inside_project(
                root, folder, where=f"{path}: key 'data'", what="raw study folder"
            )
            # what it holds too: a link in a study folder must not lead out of the project
            for dirpath, dirnames, filenames in os.walk(full):
                for entry in sorted(dirnames + filenames):
                    inside_project(
                        root,
                        Path(dirpath) / entry,
                        where=f"{path}: key 'data'",
                        what="file of a raw study folder",
                    )
        except PartnerStudyError as exc:
            raise ParamsError(str(exc)) from None
    values = _merge(DEFAULTS, {k: v for k, v in doc.items() if k not in ("study", "data")})
    params = Params(study=study, data=data_t, values=values, source=src)
    if check:
        problems = check_params(params, root=root)
        if problems:
            raise ParamsError(
                f"{len(problems)} problem(s) in {path}:\n" + "\n".join(f"  {p}" for p in problems)
            )
    return params


def _read_document(path: Path) -> Any:
    """The parameters file's YAML document, read as UTF-8 within the YAML limits."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ParamsError(
            f"{path}: found a file that cannot be read ({exc.strerror}), expected a readable "
            "parameters file. Fix: check the file's permissions."
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParamsError(
            f"{path}: found bytes that are not UTF-8 (byte {exc.start}: "
            f"{raw[exc.start : exc.start + 1]!r}), expected a UTF-8 text file. Fix: save it as "
            f"UTF-8 (e.g. `iconv -f latin1 -t utf-8 {path.name} > fixed.yaml`)."
        ) from None
    try:
        return load_yaml(text, source=str(path)) or {}
    except StudyDataError as exc:
        raise ParamsError("\n".join(str(p) for p in exc.problems)) from None
