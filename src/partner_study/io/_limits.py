"""Size limits of the importers, and the guards that apply them.

Layer 2 (private to :mod:`partner_study.io`). Every importer reads a file someone else
made; these limits keep a damaged or hostile file from exhausting memory or time. Each
limit is a module constant, read when a guard runs (so a test can lower it with
``monkeypatch.setattr``). A file over a limit is refused with a
:class:`partner_study.errors.StudyDataError` saying what was found and what to do.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from partner_study.errors import Problem, StudyDataError

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_MEMBER_BYTES",
    "MAX_TOTAL_BYTES",
    "MAX_MEMBERS",
    "MAX_COLUMNS",
    "MAX_CELLS",
    "MAX_CELL_CHARS",
    "size_text",
    "check_file_size",
    "read_capped",
    "zip_entries",
    "check_zip_entries",
    "check_table",
]

#: Largest input file an importer opens (bytes).
MAX_FILE_BYTES = 2 * 1024**3
#: Largest file read from a REFI-QDA project (a member of the archive, uncompressed; bytes).
MAX_MEMBER_BYTES = 200 * 1024**2
#: Most bytes read from one REFI-QDA project in all (uncompressed); also the most text its
#: coded selections may hold together (characters).
MAX_TOTAL_BYTES = 1024**3
#: Most members a zip archive may list.
MAX_MEMBERS = 100_000
#: Most columns of a table, variables of an SPSS/Stata file or fields of a REDCap dictionary.
MAX_COLUMNS = 20_000
#: Most values (cases x variables) read from an SPSS/Stata file.
MAX_CELLS = 50_000_000
#: Longest text of one cell or one coded selection (characters).
MAX_CELL_CHARS = 1_000_000

_CHUNK = 1024**2


def size_text(n: float) -> str:
    """A byte count as a person reads it: ``512 bytes``, ``3.2 MB``, ``2 GB``."""
    units = ("bytes", "kB", "MB", "GB", "TB")
    value, unit = float(n), 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    if unit == 0:
        return f"{int(n)} bytes"
    return f"{value:.1f}".removesuffix(".0") + f" {units[unit]}"


def check_file_size(path: Path, *, name: str, fix: str) -> None:
    """Refuse a file larger than :data:`MAX_FILE_BYTES`.

    Parameters
    ----------
    path : Path
        An existing file.
    name : str
        How to name the file in the message.
    fix : str
        What the user can do (e.g. how to split the export).

    Raises
    ------
    StudyDataError
        When the file is larger than the limit.
    """
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise StudyDataError(
            Problem(
                file=name,
                found=f"a file of {size_text(size)}",
                expected=f"at most {size_text(MAX_FILE_BYTES)} for an import",
                fix=fix,
            )
        )


def read_capped(stream: BinaryIO, limit: int) -> bytes | None:
    """Read ``stream`` to its end in chunks; ``None`` as soon as it passes ``limit`` bytes.

    Declared sizes (a zip's directory, a file's size) can be wrong; this stops reading
    at the limit whatever the stream turns out to hold.
    """
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)


def zip_entries(path: Path) -> int | None:
    """The number of members a zip file declares, read from its end record.

    Read before :class:`zipfile.ZipFile` parses the whole central directory, so that an
    archive listing millions of members is refused without building them. ``None`` when
    the end record can't be found (the caller lets :mod:`zipfile` report the damage).
    """
    size = path.stat().st_size
    with path.open("rb") as fh:
        start = max(0, size - (22 + 65535))
        fh.seek(start)
        tail = fh.read()
        at = tail.rfind(b"PK\x05\x06")
        # the end record is the one whose comment runs exactly to the end of the file
        while at >= 0 and (
            len(tail) - at < 22
            or struct.unpack("<H", tail[at + 20 : at + 22])[0] != len(tail) - at - 22
        ):
            at = tail.rfind(b"PK\x05\x06", 0, at)
        if at < 0:
            return None
        entries = struct.unpack("<H", tail[at + 10 : at + 12])[0]
        locator = at - 20
        if entries == 0xFFFF and locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
            offset = struct.unpack("<Q", tail[locator + 8 : locator + 16])[0]
            fh.seek(offset)
            record = fh.read(56)
            if len(record) == 56 and record[:4] == b"PK\x06\x06":
                return int(struct.unpack("<Q", record[32:40])[0])
        return int(entries)


def check_zip_entries(path: Path, *, name: str, fix: str) -> None:
    """Refuse a zip archive that declares more than :data:`MAX_MEMBERS` members.

    Parameters
    ----------
    path : Path
        A zip file.
    name : str
        How to name the file in messages.
    fix : str
        What the user can do.

    Raises
    ------
    StudyDataError
        When the archive declares too many members.
    """
    count = zip_entries(path)
    if count is not None and count > MAX_MEMBERS:
        raise StudyDataError(
            Problem(
                file=name,
                found=f"an archive listing {count:,} members",
                expected=f"at most {MAX_MEMBERS:,}",
                fix=fix,
            )
        )


def check_table(frame: pd.DataFrame, name: str, *, first_row: int = 2) -> None:
    """Refuse a table with repeated or too many column names, or an overlong cell.

    Parameters
    ----------
    frame : DataFrame
        The table as read (stripped column names).
    name : str
        How to name the file in messages.
    first_row : int
        The row number of the first data row in messages (2 below a header row).

    Raises
    ------
    StudyDataError
        One problem per repeated column name; or the column count or a cell's length
        over :data:`MAX_COLUMNS` / :data:`MAX_CELL_CHARS`.
    """
    columns = [str(c) for c in frame.columns]
    if len(columns) > MAX_COLUMNS:
        raise StudyDataError(
            Problem(
                file=name,
                row=1,
                found=f"{len(columns):,} columns",
                expected=f"at most {MAX_COLUMNS:,}",
                fix="check that this is the right file; export only the forms or variables "
                "the study needs",
            )
        )
    seen: dict[str, int] = {}
    problems = []
    for position, column in enumerate(columns, start=1):
        if column in seen:
            problems.append(
                Problem(
                    file=name,
                    row=1,
                    column=column,
                    found=f"the column name a second time (columns {seen[column]} and {position})",
                    expected="each column name once",
                    fix="rename or remove one of the two columns",
                )
            )
        else:
            seen[column] = position
    if problems:
        raise StudyDataError(problems)
    for position, column in enumerate(columns):
        lengths = frame.iloc[:, position].astype(str).str.len()
        if len(lengths) and int(lengths.max()) > MAX_CELL_CHARS:
            where = int(lengths.to_numpy().argmax())
            raise StudyDataError(
                Problem(
                    file=name,
                    row=where + first_row,
                    column=column,
                    found=f"a cell of {int(lengths.iloc[where]):,} characters",
                    expected=f"at most {MAX_CELL_CHARS:,}",
                    fix="check the quotes around that cell: a quote that is opened and "
                    "never closed makes the rest of the file one cell",
                )
            )
