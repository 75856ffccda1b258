"""Reading a delimited text table (CSV, TSV): encodings, separators, malformed rows.

Layer 2 (a part of :mod:`partner_study.io`). UTF-8 with or without a byte-order mark is
read as it is, UTF-16 and UTF-32 are converted; the separator is ``,`` ``;`` or tab, line
ends LF or CRLF. pyarrow parses the file; a file with rows of the wrong length is read a
second time, by Python's ``csv`` module, to name those rows.
"""

from __future__ import annotations

import csv
import io as _io
import re
import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv

from partner_study.errors import Problem, StudyDataError
from partner_study.io.cells import (
    _ROWS_LISTED,
    _TEXT,
    TableRows,
    _each_row,
    _header_problems,
    _shown,
    escape_invisible,
)

__all__: list[str] = []

_BLOCK_SIZE = 16 << 20  # pyarrow parses in blocks; one cell may be this long
_UTF8_BOM = b"\xef\xbb\xbf"
_TEXT_BYTE = re.compile(rb"[^\xef\xbb\xbf \r\n\t]")  # a byte other than a BOM's or blank
_WIDE_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)


def _sniff_separator(sample: str) -> str:
    """The separator of a table: the one of ``,`` ``;`` tab the header line holds most of."""
    header = sample.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    if counts[best] == 0:
        return ","
    return best


def _wide_encoding(raw: bytes) -> tuple[str, int] | None:
    """(codec, length of the byte-order mark) of a UTF-16 or UTF-32 file, else ``None``.

    Told by the byte-order mark, or without one by the NUL bytes that text mostly made of
    ASCII letters has in every second (UTF-16) or in three of four (UTF-32) bytes.
    """
    for bom, codec in _WIDE_BOMS:
        if raw.startswith(bom):
            return codec, len(bom)
    sample = raw[:4096]
    if len(sample) < 4 or b"\x00" not in sample:
        return None

    def nul_share(part: bytes) -> float:
        return part.count(b"\x00") / max(len(part), 1)

    if len(sample) >= 8:
        lanes = [nul_share(sample[i::4]) for i in range(4)]
        if min(lanes[1:]) > 0.9 and lanes[0] < 0.1:
            return "utf-32-le", 0
        if min(lanes[:3]) > 0.9 and lanes[3] < 0.1:
            return "utf-32-be", 0
    even, odd = nul_share(sample[0::2]), nul_share(sample[1::2])
    if odd > 0.5 and even < 0.1:
        return "utf-16-le", 0
    if even > 0.5 and odd < 0.1:
        return "utf-16-be", 0
    return None


def _place(before: str, sep: str) -> tuple[int, int]:
    """(row, field) where the text that follows ``before`` starts: the row as a spreadsheet
    counts (blank lines included, a cell with line breaks one row), the field from 0 (-1 when
    the row cannot be parsed)."""
    reader = csv.reader(_io.StringIO(before + "\x01", newline=""), delimiter=sep)
    count, last = 0, []
    try:
        for record in reader:
            count, last = count + 1, record
    except csv.Error:
        return count + 1, -1
    return count, len(last) - 1


def _header_fields(text: str, sep: str) -> list[str]:
    try:
        return next(csv.reader(_io.StringIO(text, newline=""), delimiter=sep), [])
    except csv.Error:
        return text.split("\n", 1)[0].split(sep)


def _leading_rows(data: bytes) -> tuple[int, int]:
    """(number of blank lines before the header, their length in bytes)."""
    lead = re.match(rb"[\r\n]*", data)
    text = lead.group() if lead is not None else b""
    return len(re.findall(rb"\r\n|\r|\n", text)), len(text)


def _not_utf8(data: bytes, exc: UnicodeDecodeError, sep: str, name: str) -> StudyDataError:
    row, field = _place(data[: exc.start].decode("utf-8"), sep)
    blank, skip = _leading_rows(data)
    header = _header_fields(data[skip : skip + 65536].decode("utf-8", errors="replace"), sep)
    column = header[field].strip() if row > blank + 1 and 0 <= field < len(header) else None
    return StudyDataError(
        Problem(
            file=name,
            row=row,
            column=escape_invisible(column) if column else None,
            found=f"bytes that are not UTF-8 (byte 0x{data[exc.start]:02x})",
            expected="UTF-8 text",
            fix="save the file as 'CSV UTF-8' (Excel) or convert it, e.g. "
            "`iconv -f latin1 -t utf-8`",
        )
    )


def _is_utf8(data: bytes | memoryview) -> bool:
    """Whether ``data`` is valid UTF-8, checked by pyarrow (no Python string is built)."""
    offsets = pa.py_buffer(struct.pack("<qq", 0, len(data)))
    array = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        array.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _utf8_bytes(raw: bytes, name: str) -> bytes:
    """The table's bytes as UTF-8 without a byte-order mark (UTF-16 and UTF-32 converted)."""
    kinds = {
        b"PK\x03\x04": ("a zip archive (an Excel workbook?)", "name it .xlsx"),
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": (
            "an old Excel workbook (.xls)",
            "open it in Excel and save it as .xlsx or as 'CSV UTF-8'",
        ),
    }
    for magic, (kind, fix) in kinds.items():
        if raw.startswith(magic):
            raise StudyDataError(
                Problem(
                    file=name,
                    found=kind,
                    expected="a text table (CSV or TSV)",
                    fix=f"{fix}, or export the table as 'CSV UTF-8'",
                )
            )
    wide = _wide_encoding(raw)
    if wide is None:
        return raw[len(_UTF8_BOM) :] if raw.startswith(_UTF8_BOM) else raw
    codec, skip = wide
    family = codec[:6].upper()
    try:
        text = raw[skip:].decode(codec)
    except UnicodeDecodeError as exc:
        before = raw[skip : skip + exc.start].decode(codec)
        row, _ = _place(before, _sniff_separator(before[:4096]))
        raise StudyDataError(
            Problem(
                file=name,
                row=row,
                found=f"bytes that are not {family} (at byte {skip + exc.start}) in a file "
                f"that looks {family}-encoded",
                expected="UTF-8 (or UTF-16) text",
                fix=f"save the file as 'CSV UTF-8' (Excel) or convert it, e.g. "
                f"`iconv -f {family} -t UTF-8`",
            )
        ) from None
    return text.removeprefix("\ufeff").encode("utf-8")


def _rows_problems(data: bytes, n: int, sep: str, name: str) -> list[Problem]:
    """Rows whose number of fields differs from the header's, and a quote left open (the
    slow, exact reading with Python's ``csv`` module)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return list(_not_utf8(data, exc, sep, name).problems)
    short: list[tuple[int, str | None, str]] = []
    long: list[tuple[int, str | None, str]] = []
    unclosed = Problem(
        file=name,
        found="a quote that is not closed (its cell runs on to the end of the file)",
        expected="every double quote that opens a cell closed at the end of that cell",
        fix='close the quote; a quote inside a quoted cell is written twice ("")',
    )
    problems = []
    row = start = 0
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=sep)
    limit = csv.field_size_limit(_BLOCK_SIZE)  # cells as long as the fast reader takes
    try:
        line = 0
        for row, record in enumerate(reader, start=1):
            start, line = line, reader.line_num
            if record and len(record) != n:
                k = len(record)
                found = f"{k} field{'s' if k != 1 else ''} ('{_shown(sep.join(record))}')"
                (short if k < n else long).append((row, None, found))
    except csv.Error as exc:
        problems.append(
            Problem(
                file=name,
                row=row + 1,
                found=f"a cell that does not end ({exc}), probably a quote that is not closed",
                expected=unclosed.expected,
                fix=unclosed.fix,
            )
        )
    else:
        if text.count('"') % 2:
            last = "".join(_io.StringIO(text, newline="").readlines()[start:])
            if last.count('"') % 2:
                problems.append(replace(unclosed, row=row))
    finally:
        csv.field_size_limit(limit)
    expected = f"{n} fields, one per column of the header"
    problems[:0] = _each_row(
        name,
        short,
        expected=expected,
        fix=f"put back the missing '{_shown(sep)}' (an empty cell still needs its separator), "
        f"or put a text holding a line break or a '{_shown(sep)}' in double quotes",
    ) + _each_row(
        name,
        long,
        expected=expected,
        fix=f"put a text holding a '{_shown(sep)}' in double quotes, or remove the extra "
        "separators",
    )
    return problems


def _read_delimited(path: Path, name: str, header: bool = True) -> tuple[pd.DataFrame, TableRows]:
    raw = path.read_bytes()
    empty = Problem(
        file=name,
        found="an empty file",
        expected="a header row and at least one data row",
        fix="fill the file (the header row names the columns) or restore it from a copy",
    )
    if not _TEXT_BYTE.search(raw):
        raise StudyDataError(empty)
    data = _utf8_bytes(raw, name)
    if not _TEXT_BYTE.search(data):
        raise StudyDataError(empty)
    if not _is_utf8(data):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            head = data[: min(len(data), 65536)].decode("utf-8", errors="replace")
            raise _not_utf8(data, exc, _sniff_separator(head.lstrip("\r\n")), name) from None
    blank, skip = _leading_rows(data)
    body = memoryview(data)[skip:]  # no copy of a large file
    head = bytes(body[:65536]).decode("utf-8", errors="replace")
    sep = "\t" if path.suffix.lower() == ".tsv" else _sniff_separator(head)
    n = max(len(_header_fields(head, sep)), 1)
    invalid: list[int] = []

    def on_invalid(row) -> str:
        invalid.append(row.actual_columns)
        return "skip"

    detail = "rows whose number of fields differs from the header's"
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=_BLOCK_SIZE),
            parse_options=pacsv.ParseOptions(
                delimiter=sep,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{j}": pa.string() for j in range(n)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,  # checked above
            ),
        )
    except pa.ArrowInvalid as exc:
        invalid.append(-1)
        detail = str(exc).strip()
    if invalid:
        raise StudyDataError(
            _rows_problems(data, n, sep, name)
            or [
                Problem(
                    file=name,
                    found=f"a malformed table ({detail})",
                    expected=f"the same number of '{_shown(sep)}'-separated fields on every row",
                    fix="check quotes and separators",
                )
            ]
        )
    if data.count(b'"', skip) % 2:  # an odd number of quotes: one may be left open
        problems = _rows_problems(data, n, sep, name)
        if problems:
            raise StudyDataError(problems)
    return _frame_of(table, name, blank + 1, nul=data.find(b"\x00", skip) >= 0, header=header)


def _frame_of(
    table: pa.Table, name: str, header_row: int, *, nul: bool, header: bool = True
) -> tuple[pd.DataFrame, TableRows]:
    """The frame of a parsed table whose first row is the header: blank rows dropped, the
    header checked, NUL bytes reported. ``header=False``: every row is data and the columns
    are named by their position ("1", "2", ...)."""
    if header:
        names = [str(table.column(j)[0].as_py()).strip() for j in range(table.num_columns)]
        body = table.slice(1)
        problems, keep = _header_problems(
            name,
            header_row,
            names,
            lambda j: bool(pc.any(pc.not_equal(body.column(j), "")).as_py()),
        )
    else:
        names = [str(j + 1) for j in range(table.num_columns)]
        body, problems, keep = table, [], list(range(table.num_columns))
        header_row -= 1
    if nul:
        hits = [
            (int(i), j)
            for j in range(table.num_columns)
            for i in np.flatnonzero(
                pc.match_substring(table.column(j), "\x00").to_numpy(zero_copy_only=False)
            )
        ]
        places = []
        for k, (i, j) in enumerate(sorted(hits)):  # only the first few are shown
            shown = k < _ROWS_LISTED
            value = _shown(table.column(j)[i].as_py()) if shown else ""
            column = escape_invisible(names[j]) if shown and i > 0 and header else None
            places.append((header_row + i + (not header), column, f"a NUL byte in '{value}'"))
        problems += _each_row(
            name,
            places,
            expected="text without NUL (\\x00) bytes",
            fix="delete the character; many NUL bytes mean the file is damaged or saved in "
            "another encoding: export it again as 'CSV UTF-8'",
        )
    if problems:
        raise StudyDataError(problems)
    positions = np.arange(body.num_rows)
    if body.num_rows and keep:
        blank = np.ones(body.num_rows, dtype=np.bool_)
        for j in keep:
            blank &= pc.equal(body.column(j), "").to_numpy(zero_copy_only=False)
        if blank.any():
            positions = np.flatnonzero(~blank)
            body = body.filter(pa.array(~blank))
    frame = pd.DataFrame({names[j]: pd.array(body.column(j), dtype=_TEXT) for j in keep})
    return frame, TableRows(header=header_row, data=header_row + 1 + positions)
