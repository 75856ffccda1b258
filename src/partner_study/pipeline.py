"""The runner: executes the stage notebooks with papermill, skips what is up to date,
stages outputs atomically, and writes the manifest.

Layer 5. Stages and what they depend on::

    01-prepare -> 02-describe, 03-qualitative, 04-regression (in parallel) -> 05-integrate
    -> 06-report

A stage is skipped when the hash of its notebook, the parameters, the package source,
the pinned environment and its inputs (raw files for 01, the outputs of the stages it
depends on otherwise; for 06, also the provenance its report states) equals the
manifest's, and its recorded outputs are on disk unchanged. A stage writes into a
staging folder; its outputs are moved into place only when it succeeds, and the
manifest is written after every stage. The manifest holds nothing that changes from run
to run of the same inputs (no time, no path of the machine): each stage's duration is
kept apart, in ``.staging/<study>.timings.json``, to order the next run's stages.

Notebooks always run on this interpreter (the project's ``.venv``): the kernel is
started from :data:`sys.executable`, whatever kernels named ``python3`` a user or
system Jupyter folder may hold.

The stages and their hashes are :mod:`partner_study.stages`; a stage's notebook runs
through :mod:`partner_study.execution` on a warm kernel of
:mod:`partner_study.kernelpool`; ``partner-study verify`` is :mod:`partner_study.verify`.
Their public names are importable from here too.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import json
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from partner_study.config import StudyPaths, find_root, inside_project, notebook_dir
from partner_study.errors import PartnerStudyError, StageError
from partner_study.execution import _environment_error as _environment_error
from partner_study.execution import _execute, _handle_failure, _StageFailure, sanitize_notebook
from partner_study.kernelpool import KernelPool, project_kernel_manager
from partner_study.kernelpool import _close_thread_event_loop as _close_thread_event_loop
from partner_study.kernels import remove_stale_sockets
from partner_study.params import Params, load_params, params_hash
from partner_study.provenance import (
    environment,
    git_state,
    input_files,
    read_manifest,
    sha256_file,
    source_hash,
)
from partner_study.runlock import study_lock
from partner_study.stages import (
    STAGES,
    Progress,
    RunResult,
    Stage,
    StageResult,
    _not_applicable_reason,
    _raw_inputs,
    _strands,
    stage_hashes,
)

__all__ = [
    "STAGES",
    "KernelPool",
    "Stage",
    "StageResult",
    "RunResult",
    "Progress",
    "VerifyResult",  # noqa: F822 - see __getattr__
    "run_pipeline",
    "stage_hashes",
    "project_kernel_manager",
    "sanitize_notebook",
    "verify",  # noqa: F822 - see __getattr__
]

MANIFEST_VERSION = 2
#: Earlier manifest versions whose stage records the runner still reads (same shape).
_READABLE_VERSIONS = (1, MANIFEST_VERSION)


#: Names that live in :mod:`partner_study.verify` (which imports this module), looked up
#: on first use.
_FROM_VERIFY = ("VerifyResult", "verify")


def __getattr__(name: str) -> Any:
    if name in _FROM_VERIFY:
        value = getattr(importlib.import_module("partner_study.verify"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------------------- earlier run
def _trusted_stages(
    stages: Any, root: Path, params: Params, progress: Callable[[str], None]
) -> dict[str, dict[str, Any]]:
    """The stage records of an earlier manifest that can be trusted: a known stage whose
    outputs are files in this study's output folders (``reports/<study>/``,
    ``data/processed/<study>/``). The runner removes a stage's earlier outputs, so a
    manifest edited by hand (or by anyone) must never name a file elsewhere."""
    if not isinstance(stages, dict):
        return {}
    paths = StudyPaths(root, params.study)
    allowed = [paths.reports.resolve(), paths.processed.resolve()]
    names = {s.name for s in STAGES}
    out: dict[str, dict[str, Any]] = {}
    for name, record in stages.items():
        outputs = record.get("outputs") if isinstance(record, dict) else None
        ok = name in names and isinstance(outputs, dict)
        for rel, digest in (outputs or {}).items() if ok else ():
            target = (root / str(rel)).resolve()
            if not (
                isinstance(rel, str)
                and isinstance(digest, str)
                and not Path(rel).is_absolute()
                and ".." not in Path(rel).parts
                and any(target.is_relative_to(a) for a in allowed)
            ):
                ok = False
                break
        if ok:
            out[name] = record
        else:
            text = (
                f"the manifest's record of {str(name)[:40]!r} names files outside "
                f"reports/{params.study}/ and data/processed/{params.study}/ or is malformed; "
                "it is ignored (the stage reruns)"
            )
            progress(Progress(f"  note: {text}", event="note", message=text))
    return out


def _outputs_intact(root: Path, recorded: dict[str, str]) -> bool:
    for rel, digest in recorded.items():
        p = root / rel
        if not p.is_file() or sha256_file(p) != digest:
            return False
    return True


# -------------------------------------------------------------------------------- outputs
def _params_and_root(params_path: Path | str, root: Path | str | None) -> tuple[Path, Path]:
    """The parameters file (resolved) and the project root. The root is found from where
    the file is given, not from where a symbolic link leads, and the file must resolve
    inside it: a link to a parameters file elsewhere cannot move the project."""
    given = Path(params_path).absolute()
    root_p = Path(root).resolve() if root else find_root(given.parent)
    resolved = inside_project(
        root_p, given, where=f"{params_path}", what="parameters file (params/<study>.yaml)"
    )
    return resolved, root_p


def _check_writable(folder: Path) -> None:
    """Fail before anything runs when ``folder`` (or the folder that would hold it) cannot
    be written: a stage would otherwise fail after minutes, or leave half its outputs."""
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PartnerStudyError(
            f"{existing}: found a folder you may not write to, expected a writable project "
            f"(outputs go to {folder}). Fix: make it writable (chmod u+w {existing}) or copy "
            "the project to a folder you own. Nothing was written."
        )


def _move(src: Path, target: Path) -> None:
    """Move a staged file into place atomically, also across file systems (a reports/
    folder on another disk): copied next to its target first, then renamed."""
    try:
        os.replace(src, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        part = target.with_name(f".{target.name}.partial")
        try:
            shutil.copyfile(src, part)
            os.replace(part, target)
        finally:
            part.unlink(missing_ok=True)
        src.unlink()


def _destinations(root: Path, params: Params) -> dict[str, Path]:
    reports = root / "reports" / params.study
    return {
        "processed": root / "data" / "processed" / params.study,
        "tables": reports / "tables",
        "figures": reports / "figures",
        "notebooks": reports / "notebooks",
        "report": reports,
    }


def _promote(root: Path, params: Params, staging: Path) -> dict[str, str]:
    """Move a stage's staged outputs into place; return {relative path: sha256}."""
    dest = _destinations(root, params)
    moved: dict[str, str] = {}
    for sub in sorted(p for p in staging.iterdir() if p.is_dir() or p.is_file()):
        if sub.is_file():  # e.g. report.html at the top of the staging folder
            target = dest["report"] / sub.name
            files = [(sub, target)]
        else:
            base = dest.get(sub.name, dest["report"] / sub.name)
            files = [(f, base / f.relative_to(sub)) for f in sorted(sub.rglob("*")) if f.is_file()]
        for src, target in files:
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = sha256_file(src)
            _move(src, target)
            moved[str(target.relative_to(root))] = digest
    return moved


# --------------------------------------------------------------------------------- runner
def run_pipeline(
    params_path: Path | str,
    *,
    root: Path | str | None = None,
    force: bool = False,
    jobs: int | None = None,
    only: list[str] | None = None,
    progress: Callable[[str], None] = lambda s: None,
) -> RunResult:
    """Run the pipeline for one parameters file.

    Parameters
    ----------
    params_path : path-like
        ``params/<study>.yaml``.
    root : path-like, optional
        Project root (default: found from the parameters file).
    force : bool
        Rerun every stage even when up to date.
    jobs : int, optional
        Stages run at once (default: the number of cores).
    only : list of str, optional
        Run only these stages (and skip the others' checks).
    progress : callable
        Receives one line per event, for display.

    Returns
    -------
    RunResult

    Raises
    ------
    PartnerStudyError
        Bad parameters or data (the message names file, row, column and fix), or a stage
        failure (:class:`StageError`, naming the notebook and cell).
    """
    t0 = time.perf_counter()
    params_path, root = _params_and_root(params_path, root)
    params = load_params(params_path, root=root)
    paths = StudyPaths(root, params.study)
    for folder in (paths.staging, paths.reports, paths.processed):
        inside_project(root, folder, where=f"{params.source}: study '{params.study}'")
        _check_writable(folder)
    remove_stale_sockets()  # of runs killed earlier
    with study_lock(paths):
        return _run(params_path, root, params, force, jobs, only, progress, t0)


def _run(
    params_path: Path,
    root: Path,
    params: Params,
    force: bool,
    jobs: int | None,
    only: list[str] | None,
    progress: Callable[[str], None],
    t0: float,
) -> RunResult:
    """:func:`run_pipeline` once the study's lock is held."""
    dest = _destinations(root, params)
    manifest_path = dest["report"] / "manifest.json"
    old = read_manifest(manifest_path)
    old_stages = old.get("stages", {}) if old.get("version") in _READABLE_VERSIONS else {}
    old_stages = _trusted_stages(old_stages, root, params, progress)
    last_seconds = _read_timings(root, params.study, old_stages)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(STAGES)))

    staging_root = StudyPaths(root, params.study).staging
    shutil.rmtree(staging_root, ignore_errors=True)  # a killed run's leftovers

    outputs: dict[str, dict[str, str]] = {}
    results: dict[str, StageResult] = {}
    records: dict[str, dict[str, Any]] = dict(old_stages)
    hasher = stage_hashes(root, params, old, outputs)
    unknown = sorted(set(only or []) - {s.name for s in STAGES})
    if unknown:
        raise PartnerStudyError(
            f"--only {unknown[0][:80]!r}: found an unknown stage, expected one of "
            f"{[s.name for s in STAGES]}. Fix: name a stage as listed (e.g. --only "
            "02-describe)."
        )
    selected = [s for s in STAGES if only is None or s.name in only]
    for stage in selected:
        if not (notebook_dir(root) / stage.notebook).is_file():
            raise PartnerStudyError(
                f"{notebook_dir(root) / stage.notebook}: found no such notebook, expected the "
                f"stage template. Fix: restore it (`git checkout notebooks/{stage.notebook}`)."
            )
    pending = {s.name: s for s in selected}
    running: dict[Future, tuple[Stage, str, Path, dict[str, float]]] = {}
    failure: BaseException | None = None

    strands = _strands(root, params)

    def ready(stage: Stage) -> bool:
        return all(
            n in results or n not in pending and n not in {s.name for s in selected}
            for n in stage.needs
        ) and all(
            results.get(n, StageResult(n, "skipped")).status in ("ran", "skipped", "not applicable")
            for n in stage.needs
        )

    costs = {s.name: s.cost for s in STAGES}
    timed = all(n in last_seconds for n in pending)

    def expected(name: str) -> float:
        """A stage's expected duration: the last run's seconds, else its cost."""
        return last_seconds[name] if timed else costs[name]

    kernels = KernelPool(root, jobs)
    timings: dict[str, float] = {}  # seconds of the stages that ran
    try:
        once: dict[str, Any] = {}  # manifest parts fixed for the run
        unsaved = False  # stages recorded since the manifest was last written
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            # After a failure no stage starts; those already running finish and are kept.
            while pending and failure is None or running:
                settled = len(results)
                swept = -1
                while failure is None and swept != len(results):
                    # Sweep again while stages settle without running (skipped, not applicable):
                    # stages after them in the order may have become ready.
                    swept = len(results)
                    # Longest first (by the last run's timings, else the stages' expected
                    # costs): the slowest stage never waits for a worker behind shorter ones.
                    order = sorted(pending.items(), key=lambda kv: (-expected(kv[0]), kv[0]))
                    for name, stage in order:
                        if not ready(stage):
                            continue
                        for need in stage.needs:
                            if need not in outputs and need in old_stages:
                                outputs[need] = old_stages[need].get("outputs", {})
                        del pending[name]
                        lacking = [r for r in stage.requires if not strands.get(r)]
                        if lacking:
                            reason = _not_applicable_reason(lacking)
                            for rel in _prev_outputs(records, name):
                                (root / rel).unlink(missing_ok=True)
                            if records.pop(name, None) is not None:
                                unsaved = True
                            outputs[name] = {}
                            results[name] = StageResult(name, "not applicable", reason=reason)
                            progress(
                                Progress(
                                    f"  {name:<15} not applicable: {reason}",
                                    event="not applicable",
                                    stage=name,
                                    reason=reason,
                                )
                            )
                            continue
                        digest = hasher(stage)
                        prev = old_stages.get(name, {})
                        if (
                            not force
                            and prev.get("hash") == digest
                            and _outputs_intact(root, prev.get("outputs", {}))
                        ):
                            outputs[name] = prev.get("outputs", {})
                            _clear_failed(dest, stage)  # the notebook that failed was put right
                            results[name] = StageResult(name, "skipped", 0.0, outputs[name])
                            progress(
                                Progress(
                                    f"  {name:<15} up to date, skipped",
                                    event="skipped",
                                    stage=name,
                                )
                            )
                            continue
                        if len(running) >= jobs:
                            # No free worker: it starts when a running stage ends (and not
                            # at all if that one fails), never queued behind it.
                            pending[name] = stage
                            continue
                        staging = staging_root / name
                        staging.mkdir(parents=True, exist_ok=True)
                        # this stage's kernel, then those of the stages still pending, in
                        # the order they are expected to start
                        kernels.reserve(
                            [stage.preload_round]
                            + [
                                pending[n].preload_round
                                for n in sorted(pending, key=lambda n: (-expected(n), n))
                            ]
                        )
                        timing = {"started": time.perf_counter()}
                        fut = pool.submit(
                            _execute, root, stage, params_path, staging, kernels, timing, progress
                        )
                        running[fut] = (stage, digest, staging, timing)
                if unsaved:  # the stages just finished, now that their dependants have started
                    _write_manifest(manifest_path, root, params, records, once)
                    unsaved = False
                if not running:
                    if pending and len(results) == settled:  # nothing can start: a stage failed
                        break
                    continue  # stages were skipped in this pass: their dependants may be ready
                _fill_once(once, root, params)  # while the first stage runs
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in done:
                    stage, digest, staging, timing = running.pop(fut)
                    seconds = time.perf_counter() - timing["started"]
                    try:
                        fut.result()
                    except _StageFailure as exc:
                        error = _handle_failure(root, params, stage, exc, staging_root)
                        failure = failure or error  # the first failure is the one reported
                        results[stage.name] = StageResult(stage.name, "failed", seconds)
                        continue
                    except BaseException as exc:  # noqa: BLE001 - reported below
                        failure = failure or exc
                        results[stage.name] = StageResult(stage.name, "failed", seconds)
                        continue
                    if failure is not None and not isinstance(failure, StageError):
                        continue  # bad input or an interruption: the run keeps nothing more
                    # Outputs of the previous run of this stage that it no longer makes go away.
                    new = _promote(root, params, staging)
                    for rel in _prev_outputs(records, stage.name):
                        if rel not in new:
                            (root / rel).unlink(missing_ok=True)
                    _clear_failed(dest, stage)
                    outputs[stage.name] = new
                    records[stage.name] = {
                        "hash": digest,
                        "outputs": new,
                        "notebook": f"notebooks/{stage.notebook}",
                    }
                    timings[stage.name] = round(seconds, 3)
                    results[stage.name] = StageResult(stage.name, "ran", seconds, new)
                    progress(
                        Progress(
                            f"  {stage.name:<15} done in {seconds:.1f} s ({len(new)} files)",
                            event="done",
                            stage=stage.name,
                            seconds=round(seconds, 3),
                            files=len(new),
                        )
                    )
                    unsaved = True
    finally:  # also on an interruption or an error of the machine
        kernels.close()
        shutil.rmtree(staging_root, ignore_errors=True)
        if timings:
            _write_timings(root, params.study, {**last_seconds, **timings})
    if unsaved or failure is None and not manifest_path.is_file():
        _write_manifest(manifest_path, root, params, records, once)
    if failure is not None:
        raise failure
    ordered = [results.get(s.name, StageResult(s.name, "not run")) for s in selected]
    return RunResult(params.study, ordered, manifest_path, time.perf_counter() - t0)


def _timings_path(root: Path, study: str) -> Path:
    """Where the seconds each stage took last are kept: next to the study's run lock,
    outside reports/ (a duration is not reproducible, the manifest is)."""
    return root / ".staging" / f"{study}.timings.json"


def _read_timings(root: Path, study: str, old_stages: dict[str, Any]) -> dict[str, float]:
    """Seconds each stage took when it last ran (an earlier manifest's, if it has them)."""
    names = {s.name for s in STAGES}
    kept = read_manifest(_timings_path(root, study))
    found = {n: r.get("seconds") for n, r in old_stages.items() if isinstance(r, dict)}
    found.update(kept)
    out = {}
    for name, value in found.items():
        if name in names and isinstance(value, int | float) and 0 < value < 1e7:
            out[name] = float(value)
    return out


def _write_timings(root: Path, study: str, seconds: dict[str, float]) -> None:
    path = _timings_path(root, study)
    with contextlib.suppress(OSError):  # only an ordering hint: never fails a run
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(dict(sorted(seconds.items())), indent=1) + "\n", "utf-8")


def _clear_failed(dest: dict[str, Path], stage: Stage) -> None:
    """Remove the kept copy of a stage's notebook from an earlier failed run."""
    (dest["report"] / "failed" / stage.notebook).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        (dest["report"] / "failed").rmdir()


def _prev_outputs(records: dict[str, dict[str, Any]], name: str) -> list[str]:
    return list(records.get(name, {}).get("outputs", {}))


# ------------------------------------------------------------------------------- manifest
def _fill_once(once: dict[str, Any], root: Path, params: Params) -> None:
    """The manifest's parts that do not change during a run, computed once."""
    if not once:
        once.update(_provenance_record(root, params))


def _provenance_record(
    root: Path, params: Params, *, git: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What a run is made from, as the manifest records it: ``inputs`` (sha256 of the raw
    files, notebooks, parameters file and lock files), ``provenance`` (the commit, each
    kind's state against it, the package source's sha256) and ``environment``."""
    inputs = {k: sha256_file(p) for k, p in _raw_inputs(root, params).items()}
    inputs.update(input_files(root, params))
    git = git if git is not None else git_state(root, params)
    return {
        "inputs": dict(sorted(inputs.items())),
        "provenance": {
            "commit": git["commit"],
            "state": git["state"],
            "source_sha256": source_hash(),
        },
        "environment": environment(),
    }


def _write_manifest(
    path: Path, root: Path, params: Params, records: dict[str, Any], once: dict[str, Any]
) -> None:
    """Write the manifest. ``once`` keeps what does not change during a run (input hashes,
    provenance, environment), computed at the first write: the manifest is written after
    every stage, and hashing a large raw study each time would cost seconds.

    The same inputs give the same bytes, on any machine with the same environment: no
    time, host name, absolute path or duration, and nothing of reports/ but the hashes
    of the outputs."""
    from partner_study.writer import write_json

    files: dict[str, str] = {}
    for rec in records.values():
        files.update(rec.get("outputs", {}))
    _fill_once(once, root, params)
    inputs = once["inputs"]
    params_file = Path(params.source)
    try:
        params_rel = str(params_file.resolve().relative_to(root))
    except ValueError:
        params_rel = str(params_file)
    manifest = {
        "version": MANIFEST_VERSION,
        "study": params.study,
        "params_file": params_rel,
        "params_sha256": params_hash(params),
        "parameters": {"data": list(params.data), **params.values},
        "inputs": inputs,
        "outputs": dict(sorted(files.items())),
        "stages": {name: _stage_record(records[name]) for name in sorted(records)},
        "environment": once["environment"],
        "provenance": once["provenance"],
    }
    write_json(path, manifest)


def _stage_record(record: dict[str, Any]) -> dict[str, Any]:
    """A stage's record as the manifest keeps it (an earlier version's duration dropped)."""
    return {k: v for k, v in record.items() if k != "seconds"}
