"""The stages of the pipeline: their notebooks, what each needs, when each applies, and
the hash that says whether a stage is up to date; the records a run reports.

Layer 5. Stages and what they depend on::

    01-prepare -> 02-describe, 03-qualitative, 04-regression (in parallel) -> 05-integrate
    -> 06-report

A stage's hash covers its notebook, the parameters, the package source, the pinned
environment and its inputs (raw files for 01, the outputs of the stages it depends on
otherwise; for 06, also the provenance its report states). :mod:`partner_study.pipeline`
runs the stages.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from partner_study.config import notebook_dir
from partner_study.errors import PartnerStudyError
from partner_study.kernels import ALL_ROUNDS
from partner_study.params import Params, params_hash
from partner_study.provenance import report_provenance, sha256_file, source_hash

__all__ = [
    "STAGES",
    "Progress",
    "RunResult",
    "Stage",
    "StageResult",
    "stage_hashes",
]


@dataclass(frozen=True)
class Stage:
    """A pipeline stage: its notebook and the stages whose outputs it reads."""

    name: str
    needs: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # strands the study must have: "scales", "codes"
    #: Expected share of a run's time (measured on the bench studies): orders the stages
    #: that can start together, heaviest first, when no earlier run's timings exist.
    cost: float = 1.0
    #: How much of the analysis stack the stage's kernel needs imported before it is
    #: forked (:data:`partner_study.kernels.PRELOAD_ROUNDS`).
    preload_round: int = ALL_ROUNDS
    #: Raw tables (by name, e.g. "roster") the stage reads itself, besides the outputs of
    #: the stages it needs: their hashes are part of its own.
    reads_raw: tuple[str, ...] = ()
    #: Whether the stage writes the provenance (commit, what differs from it, hashes,
    #: Python, number of packages) into an output: it is part of its hash, so that the
    #: report is made again when what it states changes.
    reads_provenance: bool = False

    @property
    def notebook(self) -> str:
        return f"{self.name}.ipynb"


STAGES: tuple[Stage, ...] = (
    Stage("01-prepare", cost=2.0, preload_round=0),
    Stage("02-describe", ("01-prepare",), cost=2.0, preload_round=1),
    # re-checks its quotes against the roster, which processed data never hold
    Stage("03-qualitative", ("01-prepare",), ("codes",), cost=1.5, reads_raw=("roster",)),
    # regresses the dependent scale on the others: a study with one scale has nothing to do
    Stage("04-regression", ("01-prepare",), ("scales", "outcomes"), cost=5.0),
    # the roles joint display needs codes only; the theme-by-survey one says when it has none
    Stage("05-integrate", ("01-prepare", "03-qualitative"), ("codes",)),
    Stage(
        "06-report",
        ("01-prepare", "02-describe", "03-qualitative", "04-regression", "05-integrate"),
        reads_provenance=True,
    ),
)


class Progress(str):
    """A progress line: the text a terminal shows, with its fields (``event``: running,
    done, skipped, not applicable, note; ``stage``; ``seconds``, ``files``, ``reason`` where
    they apply) for a program reading ``partner-study run --json``."""

    fields: dict[str, Any]

    def __new__(cls, text: str, **fields: Any) -> Progress:
        line = super().__new__(cls, text)
        line.fields = fields
        return line


@dataclass
class StageResult:
    name: str
    status: str  # "ran", "skipped", "not applicable", "failed", "not run"
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)
    reason: str = ""


@dataclass
class RunResult:
    study: str
    stages: list[StageResult]
    manifest: Path
    seconds: float


# -------------------------------------------------------------------------------- hashing
def _environment_fingerprint(root: Path) -> str:
    lock = root / "requirements.lock"
    h = hashlib.sha256(source_hash().encode())
    if lock.is_file():
        h.update(lock.read_bytes())
    # the version, not sys.version: its build date and compiler differ between machines
    h.update(f"{platform.python_implementation()} {sys.version.split()[0]}".encode())
    return h.hexdigest()


def _raw_inputs(root: Path, params: Params) -> dict[str, Path]:
    files = {}
    for folder in params.data:
        base = root / folder
        if base.is_dir():
            for p in sorted(base.iterdir()):
                if p.is_file() and not p.name.startswith("."):
                    files[str(p.relative_to(root))] = p
    return files


def stage_hashes(
    root: Path, params: Params, manifest: dict[str, Any], outputs: dict[str, dict[str, str]]
) -> Callable[[Stage], str]:
    """Function giving a stage's input hash, from current upstream outputs."""
    env = _environment_fingerprint(root)
    phash = params_hash(params)
    raw = {k: sha256_file(p) for k, p in _raw_inputs(root, params).items()}
    nbs = notebook_dir(root)
    stated: list[str] = []  # the provenance a report states, computed when first needed

    def stage_hash(stage: Stage) -> str:
        h = hashlib.sha256()
        h.update(stage.name.encode())
        nb = nbs / stage.notebook
        h.update(nb.read_bytes() if nb.is_file() else b"")
        h.update(phash.encode())
        h.update(env.encode())
        if not stage.needs:
            h.update(json.dumps(raw, sort_keys=True).encode())
        for need in stage.needs:
            h.update(json.dumps(outputs.get(need, {}), sort_keys=True).encode())
        if stage.reads_raw:
            read = {k: v for k, v in raw.items() if Path(k).stem in stage.reads_raw}
            h.update(json.dumps(read, sort_keys=True).encode())
        if stage.reads_provenance:
            if not stated:
                stated.append(json.dumps(report_provenance(root, params), sort_keys=True))
            h.update(stated[0].encode())
        return h.hexdigest()

    return stage_hash


# ----------------------------------------------------------------------------- applicable
def _strands(root: Path, params: Params) -> dict[str, bool]:
    """Which strands the study has, from its codebook (no data are read)."""
    from partner_study.codebook import read_codebook

    try:
        cb = read_codebook(root / params.data[0] / "codebook.yaml")
    except PartnerStudyError:
        # stage 01 reports the codebook's problems
        return {"scales": True, "codes": True, "outcomes": True}
    # "outcomes": scales besides the dependent to regress it on (no scales at all is
    # already said by "scales"); without a continuous dependent (`dependent: none`) one
    # scale is enough to predict the ordinal one
    dependent = params.values.get("regression", {}).get("dependent")
    no_dependent = dependent is False or str(dependent).strip().lower() == "none"
    outcomes = len(cb.scales) != 1 or no_dependent
    return {"scales": bool(cb.scales), "codes": bool(cb.codes), "outcomes": outcomes}


def _not_applicable_reason(lacking: Sequence[str]) -> str:
    """Why a stage is not applicable, from the strands it requires that the study lacks."""
    declared = {"scales": "survey scales", "codes": "qualitative codes"}
    missing = [declared[r] for r in lacking if r in declared]
    parts = ["the codebook declares no " + " and no ".join(missing)] if missing else []
    if "outcomes" in lacking:
        parts.append("one scale: nothing to regress the dependent on")
    return "; ".join(parts)
