"""Running one stage's notebook: papermill on a warm kernel of the pool, the executed
notebook sanitised to the same bytes for the same inputs, and a failure turned into what
the user is told (bad input, an error of the machine, or a failed notebook kept in
``reports/<study>/failed/``).

Layer 5 (used by :mod:`partner_study.pipeline`).
"""

from __future__ import annotations

import errno
import json
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from partner_study.config import notebook_dir
from partner_study.errors import PartnerStudyError, StageError
from partner_study.kernelpool import (
    KernelPool,
    _close_thread_event_loop,
    _kernel_process,
    _reap,
    project_kernel_manager,
)
from partner_study.params import Params
from partner_study.stages import Progress, Stage

__all__ = ["sanitize_notebook"]


def sanitize_notebook(path: Path) -> None:
    """Remove volatile fields (timings, durations, kernel versions) from an executed notebook,
    so that the same inputs give the same bytes."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    meta = nb.get("metadata", {})
    pm = meta.get("papermill", {})
    for key in (
        "start_time",
        "end_time",
        "duration",
        "input_path",
        "output_path",
        "environment_variables",
        "version",
    ):
        pm.pop(key, None)
    meta.get("language_info", {}).pop("version", None)
    for i, cell in enumerate(nb.get("cells", [])):
        cell["id"] = f"cell-{i:02d}"  # papermill gives its injected cell a random id
        cmeta = cell.get("metadata", {})
        cmeta.pop("execution", None)
        p = cmeta.get("papermill", {})
        for key in ("start_time", "end_time", "duration", "exception", "status"):
            p.pop(key, None)
    text = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")


def _warm_engine() -> str:
    """Register (once) a papermill engine that runs a notebook on a warm kernel of the pool
    and, as for a kernel it started itself, shuts it down and closes its client after."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    name = "partner-study-warm"
    if name in papermill_engines._engines:
        return name

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            **kwargs,
        ):
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(
                kwargs,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            client = PapermillNotebookClient(nb_man, **final)
            client.owns_km = True  # the pool's kernel is this notebook's alone
            return client.execute()

    papermill_engines.register(name, WarmKernelEngine)
    return name


def _execute(
    root: Path,
    stage: Stage,
    params_path: Path,
    staging: Path,
    pool: KernelPool,
    timing: dict,
    progress: Callable[[str], None] = lambda s: None,
) -> None:
    # when a worker takes it, not when queued
    progress(Progress(f"  {stage.name:<15} running ...", event="running", stage=stage.name))
    pool.papermill_imported()
    import papermill as pm

    timing["started"] = time.perf_counter()  # the stage's time runs from here, not its queueing

    out_nb = staging / "notebooks" / stage.notebook
    out_nb.parent.mkdir(parents=True, exist_ok=True)
    km = pool.take(stage.preload_round)
    process = _kernel_process(km)
    try:
        pm.execute_notebook(
            str(notebook_dir(root) / stage.notebook),
            str(out_nb),
            # Paths relative to the project root (the kernel's working folder), so that the
            # executed notebooks are the same bytes wherever the project lives.
            parameters={
                "PARAMS": _relative(params_path, root),
                "ROOT": ".",
                "OUT": _relative(staging, root),
            },
            # No `cwd=`: papermill would chdir the whole process, which races between
            # stages running in parallel threads; the kernel was started in the root.
            kernel_name="python3",
            kernel_manager_class=project_kernel_manager(),
            progress_bar=False,
            log_output=False,
            report_mode=False,
            request_save_on_cell_execute=False,
            km=km,
            engine_name=_warm_engine(),
        )
    except pm.PapermillExecutionError as exc:
        raise _StageFailure(exc.ename, exc.evalue, exc.cell_index, out_nb) from None
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
        _reap(process)
        _close_thread_event_loop()
    sanitize_notebook(out_nb)


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


class _StageFailure(Exception):
    def __init__(self, ename: str, evalue: str, cell_index: int, notebook: Path) -> None:
        super().__init__(f"{ename}: {evalue}")
        self.ename, self.evalue, self.cell_index, self.notebook = (
            ename,
            evalue,
            cell_index,
            notebook,
        )


_USER_ERRORS = {"StudyDataError", "CodebookError", "ParamsError"}
#: Errors of the machine a stage can meet (permissions, full disk, file-size limit): the
#: user's to fix, reported like bad input, not as a failed notebook.
_ENVIRONMENT_ERRNOS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on the disk",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large for the limit set on this shell (ulimit -f)",
    errno.EXDEV: "a move across file systems",
    errno.EMFILE: "too many open files (ulimit -n)",
}


def _environment_error(exc: _StageFailure) -> str | None:
    """The message for a stage that failed on an error of the machine, or None."""
    if exc.ename not in ("OSError", "PermissionError", "IOError"):
        return None
    match = re.match(r"\[Errno (\d+)\] ([^:]*)(?:: (.*))?", exc.evalue)
    if not match or int(match.group(1)) not in _ENVIRONMENT_ERRNOS:
        return None
    # no file named: the stage was writing into its staging folder
    staging = exc.notebook.parent.parent
    where = (match.group(3) or f"{_relative(staging, staging.parents[2])}/").strip("'\"")
    return (
        f"{where}: found {_ENVIRONMENT_ERRNOS[int(match.group(1))]} while stage "
        f"{exc.notebook.stem} wrote its outputs, expected a writable project with room to "
        "write. Fix: free space, lift the limit or make the folder writable, then run again "
        "(outputs already in place are untouched)."
    )


def _handle_failure(
    root: Path, params: Params, stage: Stage, exc: _StageFailure, staging_root: Path
) -> BaseException:
    environment_message = _environment_error(exc)
    if environment_message is not None:
        shutil.rmtree(staging_root / stage.name, ignore_errors=True)
        return PartnerStudyError(environment_message)
    if exc.ename in _USER_ERRORS:
        # Bad data or parameters: the message is the user's, nothing is kept or written
        # (stages still running finish in their own staging folders, then are dropped).
        shutil.rmtree(staging_root / stage.name, ignore_errors=True)
        return PartnerStudyError(exc.evalue)
    failed = root / "reports" / params.study / "failed" / stage.notebook
    failed.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(exc.notebook, failed)
    return StageError(
        stage.notebook,
        str(failed.relative_to(root)),
        exc.cell_index + 1,
        f"{exc.ename}: {exc.evalue}",
    )
