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
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from partner_study.compare import explain
from partner_study.config import StudyPaths, find_root, inside_project, notebook_dir
from partner_study.errors import PartnerStudyError, StageError
from partner_study.kernels import (
    ALL_ROUNDS,
    KERNEL_ENV,
    PRELOAD_ROUNDS,
    KernelServer,
    fork_provisioner,
    private_temp_folder,
    remove_stale_sockets,
)
from partner_study.params import Params, load_params, params_hash
from partner_study.provenance import (
    GIT_STATE_VARIABLE,
    LOCK_FILES,
    environment,
    git_state,
    input_files,
    manifest_changes,
    read_manifest,
    report_provenance,
    sha256_file,
    source_hash,
)
from partner_study.runlock import study_lock

__all__ = [
    "STAGES",
    "KernelPool",
    "Stage",
    "StageResult",
    "RunResult",
    "Progress",
    "VerifyResult",
    "run_pipeline",
    "stage_hashes",
    "project_kernel_manager",
    "sanitize_notebook",
    "verify",
]

MANIFEST_VERSION = 2
#: Earlier manifest versions whose stage records the runner still reads (same shape).
_READABLE_VERSIONS = (1, MANIFEST_VERSION)


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
    Stage("05-integrate", ("01-prepare", "03-qualitative"), ("scales", "codes")),
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


# --------------------------------------------------------------------------------- kernel
def _quick_ready_client() -> type:
    """jupyter_client's blocking client, except that ``wait_for_ready`` does not end with
    0.2 s of IOPub silence.

    Its last step reads IOPub until nothing has come for 0.2 s, so that stale messages do
    not reach the first request; every stage paid it twice (kernel warm-up and papermill).
    The IOPub connection is still checked as jupyter_client checks it (a message after the
    kernel_info reply); what is queued then is drained without waiting for more. A later
    stray status message is harmless: nbclient only reads the messages of the cell it runs.
    """
    import time as _time
    from queue import Empty

    from jupyter_client.blocking.client import BlockingKernelClient
    from jupyter_core.utils import ensure_async, run_sync

    class QuickReadyClient(BlockingKernelClient):
        async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = _time.time() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    msg = await ensure_async(self.shell_channel.get_msg(timeout=1))
                except Empty:
                    msg = None
                if msg is not None and msg["msg_type"] == "kernel_info_reply":
                    try:  # IOPub is connected once a message arrives on it
                        await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        break
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if _time.time() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")
            while True:
                try:
                    await ensure_async(self.iopub_channel.get_msg(timeout=0.005))
                except Empty:
                    break

        wait_for_ready = run_sync(_async_wait_for_ready)

    return QuickReadyClient


def project_kernel_manager(
    server: KernelServer | None = None,
    preload_round: int = ALL_ROUNDS,
    folder: str | None = None,
) -> type:
    """A KernelManager class that always starts ``sys.executable -m ipykernel_launcher``;
    with ``server``, the kernel is forked by that kernel server instead (same command line,
    the stack already imported up to ``preload_round``: see :mod:`partner_study.kernels`).
    The kernel's sockets and connection file go in ``folder`` (default: the temporary
    folder)."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import KernelManager

    quick_client = _quick_ready_client()

    class ProjectKernelManager(KernelManager):
        async def _async_pre_start_kernel(self, **kw: Any) -> Any:
            if server is not None and self.provisioner is None:
                self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
                self.provisioner = fork_provisioner(
                    server,
                    preload_round,
                    kernel_id=self.kernel_id,
                    kernel_spec=self.kernel_spec,
                    parent=self,
                )
            return await super()._async_pre_start_kernel(**kw)

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts a kernel before asking it to shut down, in case a
            # cell still runs. A stage's kernel is shut down once its last cell has
            # answered, and the SIGINT can then land while ipykernel is still leaving that
            # request's handler: the kernel logs "ERROR | KeyboardInterrupt caught in
            # kernel" on the runner's terminal for a stage that went well. So no interrupt
            # at shutdown: a kernel still busy then (a cell timed out) gets SIGTERM after
            # half of shutdown_wait_time, and SIGKILL after all of it.
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.client_factory = quick_client
            # Local (ipc) sockets: no TCP port on the network; a unique path per kernel so
            # that stages running in parallel never share a socket.
            self.transport = "ipc"
            # (short: a Unix socket's path holds at most 107 bytes, its suffix included)
            if folder:
                name = uuid.uuid4().hex[:12]
                self.ip = os.path.join(folder, name)
                self.connection_file = os.path.join(folder, f"{name}.json")
            else:
                self.ip = os.path.join(tempfile.gettempdir(), f"partner-study-{uuid.uuid4().hex}")

        @property
        def kernel_spec(self) -> KernelSpec:  # type: ignore[override]
            if self._kernel_spec is None:
                self._kernel_spec = KernelSpec(
                    argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    display_name="partner-study (.venv)",
                    language="python",
                    env=dict(KERNEL_ENV),
                )
            return self._kernel_spec

    return ProjectKernelManager


# --------------------------------------------------------------------------------- hashing
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


# --------------------------------------------------------------------------------- notebooks
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


def _kernel_process(km: Any) -> Any:
    return getattr(getattr(km, "provisioner", None), "process", None)


def _reap(process: Any) -> None:
    """Wait for a kernel process that was shut down, so that none is left unreaped."""
    if process is not None:
        with contextlib.suppress(Exception):
            process.kill()
        with contextlib.suppress(Exception):
            process.wait(timeout=30)


def _close_thread_event_loop() -> None:
    """Close the event loop jupyter_client's synchronous wrappers left in this worker thread."""
    import asyncio

    with contextlib.suppress(RuntimeError):
        loop = asyncio.get_event_loop_policy().get_event_loop()
        if not loop.is_running() and not loop.is_closed():
            loop.close()
    asyncio.set_event_loop(None)


class KernelPool:
    """Kernels started ahead of need, each with the package already imported.

    Starting a kernel and importing pandas, statsmodels and matplotlib takes seconds; the
    pool does it while earlier stages run, so a stage starts on a warm kernel. Each kernel
    serves one notebook and is then shut down: every stage still runs in a fresh process,
    whose only state is the imported package. Where it can (Linux), the pool forks its
    kernels from a kernel server that imported the stack once (:mod:`partner_study.kernels`),
    so the import is paid once per run rather than once per stage.
    """

    WARM_UP = (
        "import partner_study as ps\n"
        "import partner_study.figures, partner_study.models, partner_study.qualitative\n"
        "import partner_study.agreement, partner_study.report, partner_study.validate"
    )

    def __init__(self, root: Path, size: int) -> None:
        self.root, self.size = root, max(1, size)
        self._ready: list[tuple[int, Future]] = []  # (preload round, kernel being started)
        # A kernel start waits until the server has imported its round: one thread more per
        # round, so that a kernel for an early round never queues behind a later one.
        self._pool = ThreadPoolExecutor(
            max_workers=self.size + len(PRELOAD_ROUNDS), thread_name_prefix="kernel"
        )
        self._wanted: list[int] = []  # preload rounds of the stages still to start, in order
        self._closed = False
        self._server: KernelServer | None = None
        self._server_started = False
        self._lock = threading.RLock()
        self._papermill: threading.Thread | None = None
        # The kernels' sockets and connection files, in a folder only this user can enter,
        # removed when the pool closes (and by the next run if this one is killed).
        self.folder = private_temp_folder()

    def _start(self, preload_round: int) -> Any:
        try:
            return self._start_kernel(preload_round)
        finally:
            _close_thread_event_loop()

    def _kernel_server(self) -> KernelServer | None:
        if not self._server_started:  # called from reserve(), in the runner's thread
            self._server_started = True
            self._server = KernelServer.start(self.root)
            _import_jupyter()  # here, before the pool's threads start kernels with it
            # papermill takes a second or two to import: meanwhile, not before the first stage
            self._papermill = threading.Thread(target=_import_papermill, name="import-papermill")
            self._papermill.start()
        return self._server

    def papermill_imported(self) -> None:
        """Wait until papermill is imported. Only one thread ever imports it: two threads
        importing one package at once can deadlock on Python's module locks."""
        with self._lock:
            thread = self._papermill
        if thread is not None:
            thread.join()
        else:
            with self._lock:
                _import_papermill()

    def _start_kernel(self, preload_round: int) -> Any:
        if self._server is not None:
            try:
                return self._launch(self._server, preload_round)
            except RuntimeError:  # the server is gone: start kernels the usual way
                self._server = None
        return self._launch(None, preload_round)

    def _launch(self, server: KernelServer | None, preload_round: int) -> Any:
        km = project_kernel_manager(server, preload_round, self.folder)()
        # As nbclient starts kernels: IPython history in memory, never in ~/.ipython.
        km.start_kernel(cwd=str(self.root), extra_arguments=["--HistoryManager.hist_file=:memory:"])
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=120)
            if server is None:  # a forked kernel has the package from its server already
                kc.execute_interactive(
                    self.WARM_UP, timeout=300, store_history=False, output_hook=lambda msg: None
                )
        finally:
            kc.stop_channels()
        return km

    def reserve(self, rounds: Sequence[int] | int) -> None:
        """The stages still to start need kernels of these preload rounds, in this order
        (an int n: n kernels with everything imported). Kernels for the first of them (at
        most the pool size at once) are prepared, now and after each :meth:`take`, so that
        a kernel is ready before the stage that will take it starts."""
        with self._lock:
            self._wanted = [ALL_ROUNDS] * rounds if isinstance(rounds, int) else list(rounds)
            self._fill()

    def _fill(self) -> None:
        if self._closed:
            return
        preparing = Counter(r for r, _ in self._ready)
        for preload_round in self._wanted[: self.size]:
            if preparing[preload_round] > 0:
                preparing[preload_round] -= 1
                continue
            self._prepare(preload_round)

    def _prepare(self, preload_round: int) -> None:
        """Start preparing a kernel forked after ``preload_round`` (the server first)."""
        self._kernel_server()
        self._ready.append((preload_round, self._pool.submit(self._start, preload_round)))

    def take(self, preload_round: int = ALL_ROUNDS) -> Any:
        """A warm kernel manager with at least ``preload_round`` imported: the first such
        one ready."""
        while True:  # stages start from several threads: claim a kernel under the lock
            with self._lock:
                if not any(r >= preload_round for r, _ in self._ready):
                    self._prepare(preload_round)
                candidates = [f for r, f in self._ready if r >= preload_round]
            done, _ = wait(candidates, return_when=FIRST_COMPLETED)
            with self._lock:
                got = next(
                    ((r, f) for r, f in self._ready if r >= preload_round and f in done), None
                )
                if got is not None:
                    self._ready.remove(got)
                    if preload_round in self._wanted:
                        self._wanted.remove(preload_round)
                    self._fill()  # the next stage's kernel starts now, not when it starts
            if got is not None:
                return got[1].result()

    def close(self) -> None:
        with self._lock:
            self._closed = True

        def stop(fut: Future) -> None:
            try:
                km = fut.result()
                process = _kernel_process(km)
                km.shutdown_kernel(now=True)
                _reap(process)
            except Exception:  # noqa: BLE001 - a kernel that failed to start needs no stop
                pass
            finally:
                _close_thread_event_loop()

        with self._lock:
            ready, self._ready = self._ready, []
        for _, fut in ready:
            self._pool.submit(stop, fut)
        self._pool.shutdown(wait=True)
        if self._server is not None:
            self._server.close()
        shutil.rmtree(self.folder, ignore_errors=True)


#: Optional modules that importing papermill loads for features the runner never uses:
#: ``rfc3987_syntax`` (jsonschema checks "iri" string formats with it; it builds a grammar
#: when imported, ~1.8 s) and ``pyarrow.fs`` (papermill's HDFS handler; it brings numpy
#: and pyarrow into the runner, ~0.2 s).
_NOT_FOR_THE_RUNNER = ("rfc3987_syntax", "pyarrow.fs")


def _import_jupyter() -> None:
    """Import what starting and talking to kernels needs, in the calling thread: threads
    that import one package at the same time can deadlock on Python's module locks."""
    import jupyter_client.blocking.client  # noqa: F401
    import jupyter_client.kernelspec  # noqa: F401
    import jupyter_client.manager  # noqa: F401
    import jupyter_client.provisioning.local_provisioner  # noqa: F401
    import jupyter_core.utils  # noqa: F401


def _import_papermill() -> None:
    """Import papermill (and nbclient, nbformat, jupyter_client) for the runner, without
    the optional modules of :data:`_NOT_FOR_THE_RUNNER`: they are hidden while papermill
    is imported (an import of a module set to ``None`` in ``sys.modules`` fails, and the
    importing library goes without it), then shown again for whoever needs them later."""
    if "papermill" in sys.modules:
        return
    hidden = [name for name in _NOT_FOR_THE_RUNNER if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import papermill  # noqa: F401
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


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


def _strands(root: Path, params: Params) -> dict[str, bool]:
    """Which strands the study has, from its codebook (no data are read)."""
    from partner_study.codebook import read_codebook

    try:
        cb = read_codebook(root / params.data[0] / "codebook.yaml")
    except PartnerStudyError:
        # stage 01 reports the codebook's problems
        return {"scales": True, "codes": True, "outcomes": True}
    # "outcomes": scales besides the dependent to regress it on (no scales at all is
    # already said by "scales")
    return {"scales": bool(cb.scales), "codes": bool(cb.codes), "outcomes": len(cb.scales) != 1}


def _not_applicable_reason(lacking: Sequence[str]) -> str:
    """Why a stage is not applicable, from the strands it requires that the study lacks."""
    declared = {"scales": "survey scales", "codes": "qualitative codes"}
    missing = [declared[r] for r in lacking if r in declared]
    parts = ["the codebook declares no " + " and no ".join(missing)] if missing else []
    if "outcomes" in lacking:
        parts.append("one scale: nothing to regress the dependent on")
    return "; ".join(parts)


def _prev_outputs(records: dict[str, dict[str, Any]], name: str) -> list[str]:
    return list(records.get(name, {}).get("outputs", {}))


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


# --------------------------------------------------------------------------------- verify
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
