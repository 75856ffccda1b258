"""What ``partner-study import`` adds around an importer: the record, a dry run, parameters.

Layer 5. An importer (:mod:`partner_study.io`) returns a
:class:`partner_study.io.RawStudy`; the command line writes it with
:func:`partner_study.writer.write_raw_study` and validates it. This module gives every
import an ``IMPORT.md`` (:func:`with_record`, for importers that keep none), shows what an
import would write without writing it (:func:`dry_run`) and drafts the study's parameters
file so that ``partner-study run params/NAME.yaml`` runs as is (:func:`draft_params`).
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Sequence
from pathlib import Path

from partner_study import validate
from partner_study.config import find_root
from partner_study.io import RawStudy, Study
from partner_study.io.record import ImportRecord
from partner_study.params import DEFAULTS
from partner_study.scales import score_scales
from partner_study.writer import write_raw_study, write_text

__all__ = ["with_record", "dry_run", "draft_params", "largest_role", "regression_outcomes"]


def with_record(raw: RawStudy, kind: str, files: Sequence[str | Path | None]) -> RawStudy:
    """``raw`` with its import record; an importer that keeps none gets one naming the
    ``files`` read and the rows kept, with its notes."""
    if raw.import_record:
        return raw
    record = ImportRecord(kind)
    for given in files:
        if given:
            record.source(given)
    record.kept(len(raw.participants))
    record.note(
        "This importer does not itemise the rows and columns it left out; the notes below "
        "say what it left out and assumed."
    )
    for note in raw.notes:
        record.note(note)
    return dataclasses.replace(raw, import_record=record.render())


def dry_run(raw: RawStudy, out: Path) -> str:
    """The import record, the files an import would write to ``out`` and whether the
    study would validate. Nothing is written to the project: the draft is validated in a
    temporary folder of the system, removed at once."""
    with tempfile.TemporaryDirectory(prefix="partner-study-dry-run-") as scratch:
        written = write_raw_study(raw, Path(scratch) / "study")
        checked = validate.validate_study(Path(scratch) / "study", display=str(out))
    lines = [
        raw.import_record.rstrip("\n"),
        "",
        f"--dry-run: nothing written. The import would write {len(written)} files to {out}:",
        *(f"  {path.name}" for path in written),
        f"{out}: would be valid. {len(checked.participants)} participants.",
    ]
    return "\n".join(lines) + "\n"


def largest_role(checked: Study) -> int:
    """Participants with data (a survey answer or a coded segment) in the study's largest
    role: below the disclosure threshold, no count of the study can be shown."""
    ids: set = set()
    for table in (checked.scored, checked.segments):
        if table is not None and len(table):
            ids |= set(table["participant_id"].astype(str))
    people = checked.participants
    with_data = people[people["participant_id"].astype(str).isin(ids)]
    return int(with_data.groupby("role").size().max()) if len(with_data) else 0


def regression_outcomes(checked: Study) -> list[str] | None:
    """The outcomes a regression of the first scale can hold with the complete rows of a
    small study (more rows than coefficients); ``None`` when every other scale fits."""
    scales = list(checked.codebook.scales)
    if checked.scored is None or len(scales) < 2:
        return None
    scores = score_scales(checked.scored, checked.codebook)
    chosen: list[str] = []
    for name in scales[1:]:
        complete = int(scores[[scales[0], *chosen, name]].notna().all(axis=1).sum())
        if complete > len(chosen) + 2:
            chosen.append(name)
    return None if len(chosen) == len(scales) - 1 else chosen or scales[1:2]


def draft_params(out: Path, study: str, checked: Study) -> Path | None:
    """Write ``params/<study>.yaml`` of an imported study when its project has a
    ``params/`` folder without that file: defaults for every choice (and, for a small
    study, the regression outcomes its complete rows can hold). The path written (relative
    to the current folder when inside it), else ``None``."""
    root = find_root(out.parent)
    params = root / "params" / f"{study}.yaml"
    try:
        data = out.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None
    if not (root / "params").is_dir() or params.exists():
        return None
    text = (
        f"# Analysis parameters of {study}, drafted by `partner-study import`: every choice\n"
        "# left out takes its default (docs/data-contract.md, Parameters). Edit to choose.\n"
        f"study: {study}\ndata: {data}\n"
    )
    largest, threshold = largest_role(checked), DEFAULTS["describe"]["suppress_below"]
    if largest < threshold:
        text += (
            "describe:\n"
            f"  # Disclosure control hides counts below {threshold}, and no role of this study "
            f"has {threshold}\n"
            f"  # participants with data (at most {largest}): every count would be hidden. It is "
            "off,\n"
            "  # and the report says so: set it back to 5 (or more) before sharing any output.\n"
            "  suppress_below: 0\n"
        )
    outcomes = regression_outcomes(checked)
    if outcomes is not None:
        text += (
            "# Few complete responses: the regression of the first scale holds only the\n"
            "# outcomes it has more complete rows than coefficients for.\n"
            f"regression:\n  outcomes: [{', '.join(outcomes)}]\n"
        )
    write_text(params, text)
    cwd = Path.cwd().resolve()
    return params.resolve().relative_to(cwd) if params.resolve().is_relative_to(cwd) else params
