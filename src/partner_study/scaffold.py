"""``partner-study new-site NAME``: scaffold a new site's raw data folder and parameters.

Layer 5. Writes ``data/raw/NAME/`` (the codebook of a chosen study, empty tables with the
right headers, a README of what to fill) and ``params/NAME.yaml``; never overwrites.
"""

from __future__ import annotations

import re
from pathlib import Path

from partner_study.codebook import read_codebook
from partner_study.config import StudyPaths, inside_project
from partner_study.errors import PartnerStudyError
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
        Study whose codebook and parameters are copied (default ``example``).

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
                source=f"data/raw/{source}/codebook.yaml",
                participants=", ".join(columns["participants"]),
                survey=", ".join(columns.get("survey", [])) or "(no survey)",
                segments=", ".join(columns.get("segments", [])) or "(no coded segments)",
                roles=" or ".join(codebook.role_levels),
            ),
        )
    )
    params_src = src.params
    params_text = (
        params_src.read_text(encoding="utf-8")
        if params_src.is_file()
        else f"study: {source}\ndata: data/raw/{source}\n"
    )
    params_text = re.sub(r"^study:.*$", f"study: {name}", params_text, count=1, flags=re.M)
    params_text = re.sub(r"^data:.*$", f"data: data/raw/{name}", params_text, count=1, flags=re.M)
    params_text = re.sub(
        r"^# Analysis parameters of .*$",
        f"# Analysis parameters of the study {name}.",
        params_text,
        count=1,
        flags=re.M,
    )
    written.append(write_text(new.params, params_text))
    return written
