"""Warm kernels for the runner: kernel managers that start this interpreter's kernel, and
a pool that prepares kernels (the package already imported) while earlier stages run.

Layer 5. Notebooks always run on this interpreter (the project's ``.venv``): the kernel is
started from :data:`sys.executable`, whatever kernels named ``python3`` a user or system
Jupyter folder may hold. Where it can (Linux), the pool forks its kernels from a kernel
server (:mod:`partner_study.kernels`). Jupyter and papermill are imported here, each in
one thread.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from partner_study.kernels import (
    ALL_ROUNDS,
    KERNEL_ENV,
    PRELOAD_ROUNDS,
    KernelServer,
    fork_provisioner,
    private_temp_folder,
)

__all__ = ["KernelPool", "project_kernel_manager"]


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
