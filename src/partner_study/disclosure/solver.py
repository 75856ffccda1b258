"""The integer-programme solver of disclosure control, without its console chatter.

Layer 3 (analysis), part of :mod:`partner_study.disclosure`. :func:`milp` is
:func:`scipy.optimize.milp` (HiGHS) with the C library's own prints kept off the
process's standard output: HiGHS writes some internal diagnostics straight to file
descriptor 1 whatever its options say, which would land in an executed notebook's
outputs or on the terminal.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["milp"]


@contextlib.contextmanager
def _c_stdout_silenced() -> Iterator[None]:
    """Point file descriptor 1 at the null device for the duration (Python's own
    ``sys.stdout`` is flushed first and works as before afterwards)."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no descriptor 1 to protect
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def milp(*args: Any, **kwargs: Any) -> Any:
    """:func:`scipy.optimize.milp`, its solver's direct prints discarded."""
    from scipy.optimize import milp as _milp

    with _c_stdout_silenced():
        return _milp(*args, **kwargs)
