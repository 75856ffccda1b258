"""One run per study at a time: a lock on ``.staging/<study>.lock``.

Layer 5. Two runs of one study would write into the same staging folder and manifest and
destroy each other's outputs, so a run holds an operating-system lock (``flock``, through
:mod:`filelock`) for as long as it works. A second run does not wait: it stops at once
with the first run's process id and start time. The operating system releases the lock
of a process that dies, so a run killed with ``SIGKILL`` leaves nothing to clear by hand:
the next run takes the lock over.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from partner_study.config import StudyPaths
from partner_study.errors import PartnerStudyError

__all__ = ["study_lock"]


def _holder(info: Path) -> str:
    try:
        data = json.loads(info.read_text(encoding="utf-8"))
        return f"pid {int(data['pid'])}, started {data['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "pid unknown"


@contextlib.contextmanager
def study_lock(paths: StudyPaths, *, command: str = "run") -> Iterator[None]:
    """Hold the study's run lock for the duration of the ``with`` block.

    Parameters
    ----------
    paths : StudyPaths
        The study (its name is already checked, so the lock file is inside ``.staging``).
    command : str
        What is holding the lock, for the other run's message.

    Raises
    ------
    PartnerStudyError
        When another run of the same study holds the lock.
    """
    folder = paths.root / ".staging"
    folder.mkdir(parents=True, exist_ok=True)
    lock_path = folder / f"{paths.study}.lock"
    info = folder / f"{paths.study}.lock.json"
    lock = FileLock(lock_path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise PartnerStudyError(
            f"another run of {paths.study} is in progress ({_holder(info)}), expected one run "
            "of a study at a time. Fix: wait for it to finish, or stop it (kill the pid "
            "above) and run again."
        ) from None
    try:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
        info.write_text(
            json.dumps({"pid": os.getpid(), "started": started, "command": command}),
            encoding="utf-8",
        )
        yield
    finally:
        # Removed while still held: a run that opens the old file now finds it locked and
        # stops; one that comes after the release creates a new file.
        for path in (info, lock_path):
            with contextlib.suppress(OSError):
                path.unlink()
        lock.release()
        with contextlib.suppress(OSError):
            folder.rmdir()
