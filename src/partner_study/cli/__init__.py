"""Command-line interface: ``partner-study run | validate | simulate | ...``.

Layer 5. User errors (bad data, parameters, paths) are printed as messages, never as
tracebacks, and exit with status 2; a failing stage exits with status 1. ``verify``
exits with 0 (verified), 1 (outputs differ) or 2 (the rerun cannot be made, a failing
stage included).

:mod:`~partner_study.cli.parser` builds the argument parser; the commands are in
:mod:`~partner_study.cli.commands` and, for ``import``, :mod:`~partner_study.cli.imports`.
"""

from __future__ import annotations

import errno
import sys

from partner_study.cli.commands import _line as _line
from partner_study.cli.parser import build_parser
from partner_study.errors import PartnerStudyError

__all__ = ["main", "build_parser", "environment_error"]


_ENVIRONMENT_FIXES = {
    errno.EACCES: "make it writable for you (chmod u+w) or run the project from a folder "
    "you may write to",
    errno.EPERM: "make it writable for you (chmod u+w) or run the project from a folder "
    "you may write to",
    errno.EROFS: "the file system is read-only: copy the project to a writable disk",
    errno.ENOSPC: "free some disk space, then run again",
    errno.EDQUOT: "your disk quota is used up: free some space, then run again",
    errno.EFBIG: "a limit on file sizes is set for this shell (see `ulimit -f`): raise it, "
    "then run again",
    errno.EXDEV: "keep reports/, data/processed/ and .staging/ on one disk",
    errno.ENAMETOOLONG: "use shorter folder names",
    errno.EMFILE: "raise the limit on open files (`ulimit -n`)",
}


def environment_error(exc: OSError) -> str:
    """The standard message for an error of the machine (permissions, disk, limits)."""
    where = exc.filename or "a file"
    what = exc.strerror or str(exc)
    fix = _ENVIRONMENT_FIXES.get(exc.errno or 0, "check the path and its permissions")
    return (
        f"{where}: found '{what}' when reading or writing it, expected a readable and "
        f"writable project. Fix: {fix}. Nothing was half-written: run again once fixed."
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``partner-study`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except PartnerStudyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1 if type(exc).__name__ == "StageError" else 2
    except OSError as exc:  # the machine's, not the program's: a clear message, no traceback
        print(f"error: {environment_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
