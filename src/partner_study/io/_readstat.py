"""Read an SPSS or Stata file with pyreadstat in a child process.

Layer 2 (private to :mod:`partner_study.io.spss`). pyreadstat parses the file in C: a
damaged file can crash it (a segmentation fault), which would end the calling program
without a message. :func:`read_isolated` runs the reader as a separate Python process
(this file run as a script, importing only the standard library and pyreadstat) and
returns what it read, or how it failed, so the caller can report every failure as a
clear error.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

__all__ = ["read_isolated", "read_limited"]


def read_limited(
    path: str, reader: str, kwargs: dict[str, Any], max_columns: int, max_cells: int
) -> tuple[Any, ...]:
    """Read the file; ``("ok", frame, meta)``, or which limit it passes.

    The metadata are read first, so that a file declaring too many variables is refused
    before its data are read; then at most ``max_cells // columns`` rows and one more.

    Returns
    -------
    tuple
        ``("ok", frame, meta)``, ``("columns", n_columns)`` or
        ``("cells", n_columns, max_rows)``.
    """
    import pyreadstat

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read = getattr(pyreadstat, reader)
        _, meta = read(path, metadataonly=True, **kwargs)
        columns = len(meta.column_names or [])
        if columns > max_columns:
            return ("columns", columns)
        rows = max_cells // max(columns, 1)
        frame, meta = read(path, row_limit=rows + 1, **kwargs)
        if len(frame) > rows:
            return ("cells", columns, rows)
        return ("ok", frame, meta)


def read_isolated(
    path: str, reader: str, kwargs: dict[str, Any], max_columns: int, max_cells: int
) -> tuple[Any, ...]:
    """:func:`read_limited` in a child process.

    Returns
    -------
    tuple
        What :func:`read_limited` returns, or ``("error", kind, text)`` when the reader
        raised (kind ``"readstat"``, ``"unicode"`` or ``"other"``; text = the error's type
        and message), or ``("crash", text)`` when the child process died (text = its exit
        status or the signal that stopped it, and the last line of its error output).
    """
    request = pickle.dumps((path, reader, kwargs, max_columns, max_cells))
    # -P: the script's folder is not put on sys.path, so nothing there shadows a module
    done = subprocess.run(
        [sys.executable, "-P", str(Path(__file__).resolve())],
        input=request,
        capture_output=True,
        check=False,
    )
    if done.returncode == 0:
        try:
            outcome: tuple[Any, ...] = pickle.loads(done.stdout)
            return outcome
        except Exception:  # a truncated answer is reported as a crash below
            pass
    tail = done.stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:]
    how = (
        f"stopped by signal {-done.returncode}"
        if done.returncode < 0
        else f"exit status {done.returncode}"
    )
    return ("crash", how + (f": {tail[0]}" if tail else ""))


def _main() -> None:
    """Child process: read the request on stdin, write the outcome on stdout (pickles)."""
    args = pickle.load(sys.stdin.buffer)
    try:
        outcome = read_limited(*args)
    except UnicodeError as exc:
        outcome = ("error", "unicode", f"{type(exc).__name__}: {exc}")
    except Exception as exc:
        kind = "readstat" if type(exc).__module__.startswith("pyreadstat") else "other"
        outcome = (
            "error",
            kind,
            str(exc) if kind == "readstat" else f"{type(exc).__name__}: {exc}",
        )
    sys.stdout.buffer.write(pickle.dumps(outcome))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _main()
