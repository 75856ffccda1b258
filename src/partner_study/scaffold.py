"""``partner-study new-site NAME``: scaffold a new site's raw data folder and parameters.

Layer 5. Writes ``data/raw/NAME/`` (the codebook of a chosen study, empty tables with the
right headers, a README of what to fill) and ``params/NAME.yaml``; never overwrites.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from partner_study.codebook import read_codebook
from partner_study.config import StudyPaths, inside_project
from partner_study.errors import PartnerStudyError
from partner_study.safe_yaml import load_yaml
from partner_study.validate import template_columns
from partner_study.writer import write_text

__all__ = ["new_site"]

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")

_README = """\
# {name}: what to fill

This folder holds the raw data of the study `{name}`. The pipeline only reads it.

1. `codebook.yaml`: copied from `{source}`. Adapt it to your site: the demographic variables
   (`variables:`), the Likert scales and their items (`scales:`), and the qualitative codes
   with their themes (`codes:`). Every column of the tables below must be declared there.
2. `participants.csv`: one row per participant. Columns: {participants}.
   `role` is one of {roles}; `collection` is focus_group, interview or survey;
   `group_id` names the focus group.
3. `survey.csv`: one row per participant who answered the survey. Columns: {survey}.
   Answers are the numbers of the response scale; leave a cell empty when not answered
   (or use a code declared under `missing:`).
4. `segments.csv`: one row per coded segment, per coder and per code. Columns: {segments}.
   A segment coded by two coders appears twice, with the same `segment_id`.
5. `roster.csv` (optional, never committed or reported): participant_id, name. The names
   are removed from quotes by the disclosure gate.

`params/{name}.yaml` keeps the analysis choices of `{source_study}`; the dependent, the
outcomes and the ordinal dependent follow this codebook unless you name them there.

Then check the folder, cell by cell, and run the analysis:

```bash
partner-study validate data/raw/{name}
partner-study run params/{name}.yaml
```
"""


def new_site(name: str, *, root: Path, source: str = "example") -> list[Path]:
    """Scaffold ``data/raw/<name>/`` and ``params/<name>.yaml`` from study ``source``.

    Parameters
    ----------
    name : str
        The new study's name: lower case letters, digits, ``_`` or ``-``.
    root : Path
        Project root.
    source : str
        Study whose codebook is copied and whose analysis choices (models, covariates,
        thresholds, formats) the new params file keeps (default ``example``); settings
        naming its scales are left out, so they follow the new codebook.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    PartnerStudyError
        Bad name, unknown source study, or an existing folder or params file.
    """
    if not _NAME.match(name):
        raise PartnerStudyError(
            f"new-site {name!r}: found a name with characters other than lower-case letters, "
            "digits, '_' or '-', expected e.g. 'liege_hospital'. Fix: choose such a name."
        )
    new, src = StudyPaths(root, name), StudyPaths(root, source)
    src_codebook = src.raw / "codebook.yaml"
    if not src_codebook.is_file():
        raise PartnerStudyError(
            f"{src_codebook}: found no such file, expected the codebook of study '{source}'. "
            "Fix: pass --from with an existing study (a folder in data/raw/)."
        )
    for path in (new.raw, new.params, src_codebook, src.params):
        # data/raw/ or params/ linked out of the project would take the new site with it
        inside_project(root, path, where=f"new-site {name}")
    for path in (new.raw, new.params):
        if path.exists() or path.is_symlink():
            raise PartnerStudyError(
                f"{path}: found an existing {'folder' if path.suffix == '' else 'file'}, "
                f"expected a new site. Fix: choose another name or remove {path} first."
            )
    text = src_codebook.read_text(encoding="utf-8-sig")
    text = re.sub(r"^study:.*$", f"study: {name}", text, count=1, flags=re.M)
    codebook = read_codebook(src_codebook)
    columns = template_columns(codebook)
    written = [write_text(new.raw / "codebook.yaml", text)]
    for table, header in columns.items():
        written.append(write_text(new.raw / f"{table}.csv", ",".join(header) + "\n"))
    written.append(
        write_text(
            new.raw / "README.md",
            _README.format(
                name=name,
                source_study=source,
                source=f"data/raw/{source}/codebook.yaml",
                participants=", ".join(columns["participants"]),
                survey=", ".join(columns.get("survey", [])) or "(no survey)",
                segments=", ".join(columns.get("segments", [])) or "(no coded segments)",
                roles=" or ".join(codebook.role_levels),
            ),
        )
    )
    params_text = _params_text(name, source, src.params)
    written.append(write_text(new.params, params_text))
    return written


#: Regression settings that name what the codebook declares. A new site's params file leaves
#: them out (shown commented), so they follow its codebook however the student edits it.
_DERIVED = ("dependent", "outcomes", "groups", "ordinal_dependent", "ordinal_levels")

_REGRESSION_NOTE = """\
  # Left out, these follow the codebook: the dependent is its first scale, the outcomes
  # every other scale, the groups its site column, the ordinal dependent its
  # engagement_level (if declared), in the order the codebook declares its levels.
  # To choose, uncomment and name scales and variables of codebook.yaml:
"""


def _flow(key: str, value: Any, indent: str = "") -> str:
    """``key: value`` as one YAML line (lists in flow style), for the params file."""
    dumped = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1000)
    text = dumped.strip().removesuffix("...").strip()  # a scalar ends with a document end
    return f"{indent}{key}: {text}\n"


def _params_text(name: str, source: str, source_params: Path) -> str:
    """The new study's ``params/<name>.yaml``, from the source study's choices.

    Analysis choices (seed, disclosure threshold, models, covariance, imputations,
    figure formats, covariates) are kept; settings that name the source's scales or
    levels are commented out, so the file runs as is whatever the new codebook declares.
    """
    values: dict[str, Any] = {}
    if source_params.is_file():
        loaded = load_yaml(source_params.read_text(encoding="utf-8-sig"), source=str(source_params))
        values = loaded if isinstance(loaded, dict) else {}
    lines = [
        f"# Analysis parameters of the study {name} (started from those of {source}).\n",
        f"# What the data are is in data/raw/{name}/codebook.yaml; this file says what to "
        "analyse.\n",
        f"study: {name}\n",
        f"data: data/raw/{name}\n",
    ]
    for key, value in values.items():
        if key in ("study", "data"):
            continue
        if not isinstance(value, dict):
            lines += ["\n", _flow(key, value)]
            continue
        lines += ["\n", f"{key}:\n"]
        kept = {k: v for k, v in value.items() if not (key == "regression" and k in _DERIVED)}
        if key == "regression":
            lines.append(_REGRESSION_NOTE)
            lines += [_flow(k, value[k], "  # ") for k in _DERIVED if k in value]
            if "covariates" in kept:
                lines.append("  # covariates name variables of codebook.yaml: edit them with it\n")
        lines += [_flow(k, v, "  ") for k, v in kept.items()]
    return "".join(lines)
