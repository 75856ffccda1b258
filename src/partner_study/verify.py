"""``partner-study verify``: rerun a study in a scratch folder and compare every output,
byte for byte, with the manifest and with the files on disk.

Layer 5 (uses :mod:`partner_study.pipeline` for the rerun).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from partner_study.compare import explain
from partner_study.config import StudyPaths, notebook_dir
from partner_study.errors import PartnerStudyError
from partner_study.execution import _relative
from partner_study.params import Params, load_params
from partner_study.pipeline import _params_and_root, _provenance_record, run_pipeline
from partner_study.provenance import (
    GIT_STATE_VARIABLE,
    LOCK_FILES,
    git_state,
    manifest_changes,
    read_manifest,
    sha256_file,
)
from partner_study.runlock import study_lock

__all__ = ["VerifyResult", "verify"]


@dataclass
class VerifyResult:
    """Outcome of :func:`verify`: one ``(path, status, detail)`` row per output file, and
    the inputs that differ from the manifest.

    ``detail`` says why a file is not ``identical``, then (one line each, after the
    first) how it differs from the rerun's (:func:`partner_study.compare.explain`).
    """

    study: str
    rows: list[tuple[str, str, str]]
    seconds: float
    #: One line per input, provenance or environment difference from the manifest, as
    #: reported before the rerun (:func:`partner_study.provenance.manifest_changes`).
    inputs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(status == "identical" for _, status, _ in self.rows)


def verify(
    params_path: Path | str,
    *,
    root: Path | str | None = None,
    jobs: int | None = None,
    progress: Callable[[str], None] = lambda s: None,
) -> VerifyResult:
    """Rerun the pipeline in a scratch folder and compare every output, byte for byte, with
    the manifest and with the files in ``reports/`` and ``data/processed/``.

    Before the rerun, the inputs as they are now (raw files, notebooks, parameters file,
    lock files, package source, commit and what differs from it, environment) are
    compared with what the manifest records, and each difference is reported through
    ``progress``. After it, every output that differs is explained: for a table the
    largest numeric difference and where, for a figure whether its text, only its
    coordinates or only its ids differ, for a notebook the first differing cell.

    Executed notebooks are compared after the runner's sanitising (no timings, fixed cell
    ids, relative paths), so any difference is a difference in code, parameters or outputs.

    Returns
    -------
    VerifyResult
        A row per file: ``identical``, or ``different`` / ``missing`` / ``new`` with details;
        and the input differences.

    Raises
    ------
    PartnerStudyError
        When there is no manifest to verify against, or the rerun fails.
    """
    t0 = time.perf_counter()
    params_path, root = _params_and_root(params_path, root)
    params = load_params(params_path, root=root)
    # the outputs compared must not change meanwhile: no run of the study during a verify
    with study_lock(StudyPaths(root, params.study), command="verify"):
        return _verify(params_path, root, params, jobs, progress, t0)


def _verify(
    params_path: Path,
    root: Path,
    params: Params,
    jobs: int | None,
    progress: Callable[[str], None],
    t0: float,
) -> VerifyResult:
    """:func:`verify` once the study's lock is held."""
    manifest_path = root / "reports" / params.study / "manifest.json"
    reference = read_manifest(manifest_path)
    if not reference.get("outputs") or not isinstance(reference["outputs"], dict):
        raise PartnerStudyError(
            f"{manifest_path.relative_to(root)}: found no manifest with outputs, expected the "
            "manifest of an earlier run. Fix: run `partner-study run` first, or check out the "
            "committed reports/."
        )
    recorded = reference.get("provenance")
    # The commit the manifest names, when the inputs are still exactly its files (a
    # checkout made after the reference run was committed, or history rewritten since).
    git = git_state(root, params, like=recorded if isinstance(recorded, dict) else None)
    now = _provenance_record(root, params, git=git)
    differences = manifest_changes(reference, now)
    progress(f"comparing the inputs with {manifest_path.relative_to(root).as_posix()} ...")
    for line in differences:
        progress(f"  {line}")
    if not differences:
        progress("  every input as the manifest records it")
    with tempfile.TemporaryDirectory(prefix="partner-study-verify-") as tmp:
        scratch = Path(tmp)
        shutil.copytree(notebook_dir(root), notebook_dir(scratch))
        rel_params = _relative(params_path, root)
        (scratch / rel_params).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(params_path, scratch / rel_params)
        for folder in params.data:
            shutil.copytree(root / folder, scratch / folder)
        for name in LOCK_FILES:
            if (root / name).is_file():
                shutil.copyfile(root / name, scratch / name)
        progress(f"rerunning {params.study} in a scratch folder ...")
        # The scratch folder is no git checkout: the rerun states the project's git state.
        saved = os.environ.get(GIT_STATE_VARIABLE)
        os.environ[GIT_STATE_VARIABLE] = json.dumps(git, sort_keys=True)
        try:
            rerun = run_pipeline(
                scratch / rel_params, root=scratch, force=True, jobs=jobs, progress=progress
            )
        finally:
            if saved is None:
                os.environ.pop(GIT_STATE_VARIABLE, None)
            else:
                os.environ[GIT_STATE_VARIABLE] = saved
        fresh = read_manifest(rerun.manifest).get("outputs", {})
        rows = [
            _verify_row(root, scratch, rel, reference["outputs"].get(rel), fresh.get(rel))
            for rel in sorted(set(reference["outputs"]) | set(fresh))
        ]
    return VerifyResult(params.study, rows, time.perf_counter() - t0, differences)


def _verify_row(
    root: Path, scratch: Path, rel: str, ref: str | None, new: str | None
) -> tuple[str, str, str]:
    """How one output compares: the manifest's hash ``ref``, the rerun's ``new``, the file
    on disk. A file the rerun did not make is never read (the manifest is data from disk:
    what it names may lie anywhere)."""
    if ref is None:
        return (rel, "new", "made by the rerun, not in the manifest")
    if new is None:
        return (rel, "missing", "in the manifest, not made by the rerun")
    disk, made = root / rel, scratch / rel
    on_disk = sha256_file(disk) if disk.is_file() else None
    if on_disk is None:
        return (rel, "missing", "in the manifest, not on disk")
    if on_disk != ref:
        why = "the file on disk differs from the manifest"
        if new == ref:
            why += "; the rerun reproduces the manifest's"
    elif new != ref:
        why = "the rerun gives other bytes"
    else:
        return (rel, "identical", "")
    return (rel, "different", "\n".join([why, *explain(disk, made)]))
