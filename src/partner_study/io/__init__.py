"""Readers: raw study tables (CSV, TSV, Excel) and the processed study.

Layer 2. Raw files are opened read-only. CSV readers accept UTF-8 with or without a
byte-order mark (UTF-16 and UTF-32 are converted), ``,`` ``;`` or tab separators and CRLF
line ends. Every value is read as text so that validation sees exactly what the file holds;
what cannot be read as a table (a short row, a column named twice, a NUL byte, an Excel
formula without its value) is reported with the row a spreadsheet shows. The quote that
:func:`partner_study.writer.write_csv` puts before a formula-like text cell is removed on
reading, raw tables and output tables alike.
"""

from __future__ import annotations

import csv
import io as _io
import re
import struct
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv

from partner_study.codebook import Codebook, read_codebook
from partner_study.errors import Problem, StudyDataError

__all__ = [
    "TABLE_SUFFIXES",
    "INVISIBLE",
    "XLSX_MAX_BYTES",
    "RawStudy",
    "Study",
    "TableRows",
    "escape_invisible",
    "find_table",
    "read_table",
    "read_table_rows",
    "read_processed",
    "read_output_table",
    "read_output_tables",
    "read_figure_files",
    "PROCESSED_FILES",
]

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
PROCESSED_FILES = {
    "participants": "participants.parquet",
    "scored": "scored.parquet",
    "segments": "segments.parquet",
}


@dataclass(frozen=True)
class RawStudy:
    """A study in the raw data contract, in memory: what an importer or the simulator makes.

    ``participants``, ``survey`` and ``segments`` hold text cells exactly as they will be
    written to ``participants.csv``, ``survey.csv`` and ``segments.csv`` (``survey`` or
    ``segments`` may be ``None`` for a single-strand study); ``codebook_text`` is the YAML of
    ``codebook.yaml``; ``notes`` are messages for the user (what was assumed, what to check);
    ``import_record`` is the text of ``IMPORT.md`` (see :mod:`partner_study.io.record`), empty
    when there is none.
    """

    codebook_text: str
    participants: pd.DataFrame
    survey: pd.DataFrame | None = None
    segments: pd.DataFrame | None = None
    roster: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()
    import_record: str = ""


@dataclass(frozen=True)
class Study:
    """A validated (or processed) study: codebook and typed tables.

    ``scored`` is the survey with scale scores (after :func:`partner_study.scales.score_scales`);
    before scoring it holds the typed item answers. ``segments`` is ``None`` when the study
    has no qualitative strand, ``scored`` is ``None`` when it has no survey.
    """

    codebook: Codebook
    participants: pd.DataFrame
    scored: pd.DataFrame | None
    segments: pd.DataFrame | None
    roster: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return self.codebook.study


def find_table(folder: Path | str, name: str, *, display: str | None = None) -> Path | None:
    """The file holding table ``name`` in ``folder`` (``.csv``, ``.tsv``, ``.txt``, ``.xlsx``).

    Parameters
    ----------
    folder : path-like
        The study folder.
    name : str
        The table, e.g. ``"participants"``.
    display : str, optional
        How to name the folder in messages.

    Returns
    -------
    Path or None
        ``None`` when no file holds the table.

    Raises
    ------
    StudyDataError
        When two files hold the table (``participants.csv`` and ``participants.xlsx``):
        which one is current cannot be told.
    """
    folder = Path(folder)
    found = [folder / f"{name}{s}" for s in TABLE_SUFFIXES if (folder / f"{name}{s}").is_file()]
    if len(found) > 1:
        show = (display or str(folder)).rstrip("/")
        names = ", ".join(p.name for p in found)
        raise StudyDataError(
            Problem(
                file=f"{show}/{found[0].name}",
                found=f"{len(found)} files for the table '{name}' ({names})",
                expected="one file per table",
                fix="keep the file that holds the current data and move the other"
                f"{'s' if len(found) > 2 else ''} out of the study folder",
            )
        )
    return found[0] if found else None


@dataclass(frozen=True, eq=False)
class TableRows:
    """Where the rows of a table read from a file are, as a spreadsheet numbers them.

    ``header`` is the row of the header (1 unless blank rows come first); ``data[i]`` is the
    row of row ``i`` of the frame. Blank rows, which the reader drops, still count; a cell
    holding line breaks stays one row.
    """

    header: int
    data: np.ndarray


#: Uncompressed size above which an ``.xlsx`` file is not opened (a guard against zip bombs).
XLSX_MAX_BYTES = 1 << 30
_ROWS_LISTED = 5  # as many rows listed per kind of problem as validation lists
_BLOCK_SIZE = 16 << 20  # pyarrow parses in blocks; one cell may be this long
_UTF8_BOM = b"\xef\xbb\xbf"
_TEXT_BYTE = re.compile(rb"[^\xef\xbb\xbf \r\n\t]")  # a byte other than a BOM's or blank
_WIDE_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)

# Invisible and control characters: Unicode categories Cc, Cf, Zs (but the space), Zl, Zp.
_INVISIBLE_RANGES = (
    (0x00, 0x1F),
    (0x7F, 0xA0),
    (0xAD, 0xAD),
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),
    (0x890, 0x891),
    (0x8E2, 0x8E2),
    (0x1680, 0x1680),
    (0x180E, 0x180E),
    (0x2000, 0x200F),
    (0x2028, 0x202F),
    (0x205F, 0x2064),
    (0x2066, 0x206F),
    (0x3000, 0x3000),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
#: A regular expression matching one invisible or control character (Unicode categories Cc,
#: Cf, Zl, Zp and Zs other than the space), written with the characters themselves so that
#: Python's ``re`` and pyarrow's RE2 read it alike.
INVISIBLE = (
    "[" + "".join(chr(a) + ("-" + chr(b) if b > a else "") for a, b in _INVISIBLE_RANGES) + "]"
)
_INVISIBLE_RE = re.compile(INVISIBLE)
_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def escape_invisible(text: str) -> str:
    """``text`` with every invisible or control character written as an escape.

    A zero-width space, a byte-order mark inside a value, a non-breaking space or a tab look
    like nothing (or like a space) in a message; escaped, the user sees them.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        ``\\t``, ``\\n``, ``\\r``, ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN`` for each such
        character; other characters unchanged.

    Examples
    --------
    >>> escape_invisible("BE-0001\\u200b")
    'BE-0001\\\\u200b'
    """
    return _INVISIBLE_RE.sub(_escape, text)


def _shown(value: object, limit: int = 40) -> str:
    text = str(value)
    return escape_invisible(text if len(text) <= limit else text[: limit - 3] + "...")


def _each_row(
    file: str, places: list[tuple[int, str | None, str]], *, expected: str, fix: str
) -> list[Problem]:
    """One problem per (row, column, found) place, the first few, then a count of the rest."""
    out = [
        Problem(file=file, row=row, column=column, found=found, expected=expected, fix=fix)
        for row, column, found in places[:_ROWS_LISTED]
    ]
    rest = [row for row, _, _ in places[_ROWS_LISTED:]]
    if rest:
        rows = ", ".join(str(r) for r in rest[:10])
        out.append(
            Problem(
                file=file,
                found=f"the same problem on {len(rest)} more row(s) (rows {rows}"
                f"{', ...' if len(rest) > 10 else ''})",
                expected=expected,
                fix=fix,
            )
        )
    return out


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


def _header_problems(
    name: str, row: int, header: list[str], has_values: Callable[[int], bool]
) -> tuple[list[Problem], list[int]]:
    """Problems of a header (a name twice, a column of values without a name) and the
    columns to keep (those not both unnamed and empty)."""
    problems, keep = [], []
    positions: dict[str, list[int]] = {}
    for j, label in enumerate(header):
        if label:
            positions.setdefault(label, []).append(j)
            keep.append(j)
        elif has_values(j):
            keep.append(j)
            problems.append(
                Problem(
                    file=name,
                    row=row,
                    found=f"a column without a name (column {j + 1}) that holds values",
                    expected="a name for every column in the header",
                    fix="write the column's name in the header row, or delete the column",
                )
            )
    for label, where in positions.items():
        if len(where) > 1:
            cols = ", ".join(str(j + 1) for j in where[:-1]) + f" and {where[-1] + 1}"
            problems.append(
                Problem(
                    file=name,
                    row=row,
                    column=escape_invisible(label),
                    found=f"the column {len(where)} times (columns {cols})",
                    expected="each column once",
                    fix="remove or rename the repeated column",
                )
            )
    return problems, keep


def _read_delimited(path: Path, name: str) -> tuple[pd.DataFrame, TableRows]:
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
    return _frame_of(table, name, blank + 1, nul=data.find(b"\x00", skip) >= 0)


def _frame_of(
    table: pa.Table, name: str, header_row: int, *, nul: bool
) -> tuple[pd.DataFrame, TableRows]:
    """The frame of a parsed table whose first row is the header: blank rows dropped, the
    header checked, NUL bytes reported."""
    header = [str(table.column(j)[0].as_py()).strip() for j in range(table.num_columns)]
    body = table.slice(1)
    problems, keep = _header_problems(
        name,
        header_row,
        header,
        lambda j: bool(pc.any(pc.not_equal(body.column(j), "")).as_py()),
    )
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
            column = escape_invisible(header[j]) if shown and i > 0 and header[j] else None
            places.append((header_row + i, column, f"a NUL byte in '{value}'"))
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
    frame = pd.DataFrame({header[j]: pd.array(body.column(j), dtype=_TEXT) for j in keep})
    return frame, TableRows(header=header_row, data=header_row + 1 + positions)


def _cell_text(value: object) -> str:
    """A spreadsheet cell as text: whole numbers without ``.0``, empty cells as ``""``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _has_formulas(archive: zipfile.ZipFile) -> bool:
    """Whether any worksheet of an ``.xlsx`` archive holds a formula (read in chunks)."""
    for member in archive.infolist():
        if not (member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")):
            continue
        tail = b""
        with archive.open(member) as fh:
            while chunk := fh.read(1 << 20):
                if _FORMULA_TAG.search(tail + chunk):
                    return True
                tail = chunk[-64:]
    return False


def _unreadable_xlsx(name: str, why: str) -> StudyDataError:
    return StudyDataError(
        Problem(
            file=name,
            found=f"an unreadable Excel file ({why})",
            expected="an .xlsx workbook whose first sheet holds the table",
            fix="re-save the file from Excel as .xlsx, or export it as CSV (UTF-8)",
        )
    )


def _read_xlsx(path: Path, name: str) -> tuple[pd.DataFrame, TableRows]:
    # openpyxl is imported here, when a workbook is read: most studies are CSV, and every
    # command imports this module.
    import openpyxl

    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(m.file_size for m in archive.infolist())
            if size > XLSX_MAX_BYTES:
                raise StudyDataError(
                    Problem(
                        file=name,
                        found=f"an Excel file that unpacks to {size / 2**30:.1f} GiB",
                        expected=f"at most {XLSX_MAX_BYTES / 2**30:.0f} GiB",
                        fix="export the table as CSV (UTF-8)",
                    )
                )
            formulas = _has_formulas(archive)
        with warnings.catch_warnings():
            # openpyxl warns of workbook features it drops (data validation, extensions):
            # only the values of the cells are read here
            warnings.simplefilter("ignore", UserWarning)
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                if not book.worksheets:
                    raise _unreadable_xlsx(name, "no worksheet")
                rows = list(book.worksheets[0].iter_rows(min_row=1, values_only=True))
            finally:
                book.close()
            pending = _formulas_without_values(openpyxl, path, rows) if formulas else []
    except StudyDataError:
        raise
    except Exception as exc:  # openpyxl and zipfile raise many kinds on broken files
        raise _unreadable_xlsx(name, type(exc).__name__) from None
    texts = [[_cell_text(v) for v in row] for row in rows]
    filled = [i for i, row in enumerate(texts) if any(row)]
    if not filled:
        raise StudyDataError(
            Problem(
                file=name,
                found="an empty first sheet",
                expected="a header row and at least one data row",
                fix="fill the first sheet (the header row names the columns)",
            )
        )
    top = filled[0]
    width = max(len(texts[i]) for i in filled)
    header = [v.strip() for v in texts[top]] + [""] * (width - len(texts[top]))
    records = [row + [""] * (width - len(row)) for row in texts[top + 1 :]]
    data_at = [i for i in filled if i > top]
    problems, keep = _header_problems(
        name, top + 1, header, lambda j: any(records[i - top - 1][j] for i in data_at)
    )
    places = [
        (
            r + 1,
            escape_invisible(header[c]) if c < width and header[c] else None,
            f"a formula without a saved value in cell {coordinate} ('{_shown(formula)}')",
        )
        for r, c, coordinate, formula in pending
    ]
    problems += _each_row(
        name,
        places,
        expected="a value",
        fix="open and save the file in Excel, or paste the cells as values (a program other "
        "than a spreadsheet wrote the formulas but not their values)",
    )
    if problems:
        raise StudyDataError(problems)
    kept = [records[i - top - 1] for i in data_at]
    frame = pd.DataFrame({header[j]: pd.array([row[j] for row in kept], dtype=_TEXT) for j in keep})
    return frame, TableRows(header=top + 1, data=np.asarray(data_at, dtype=np.int64) + 1)


def _formulas_without_values(openpyxl, path: Path, values: list[tuple]) -> list[tuple]:
    """(row index, column index, cell, formula) of each formula whose value the workbook does
    not hold (a file written by a program that does not compute formulas)."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        out = []
        for r, row in enumerate(book.worksheets[0].iter_rows(min_row=1)):
            for c, cell in enumerate(row):
                if cell.data_type != "f":
                    continue
                value = values[r][c] if r < len(values) and c < len(values[r]) else None
                if value is None:
                    formula = getattr(cell.value, "text", cell.value)
                    out.append((r, c, cell.coordinate, str(formula)))
        return out
    finally:
        book.close()


def read_table_rows(
    path: Path | str, *, display: str | None = None
) -> tuple[pd.DataFrame, TableRows]:
    """Read a raw table as text, exactly as stored, with the row numbers a spreadsheet shows.

    Parameters
    ----------
    path : path-like
        A ``.csv``/``.tsv``/``.txt`` (UTF-8, optional BOM, ``,`` ``;`` or tab separated;
        UTF-16 and UTF-32 are converted) or ``.xlsx`` file (its first sheet).
    display : str, optional
        How to name the file in messages.

    Returns
    -------
    DataFrame
        Every column as ``str``; empty cells are ``""``. Column names are stripped. Blank
        rows are dropped. A cell that starts with a quote before ``=`` ``+`` ``-`` ``@``
        tab or CR loses that quote: it is how :func:`partner_study.writer.write_csv` (and
        other programs) keep a spreadsheet from running the cell as a formula, so the
        table an importer wrote reads back exactly.
    TableRows
        The spreadsheet row of the header and of each row of the frame.

    Raises
    ------
    StudyDataError
        When the file is missing, empty, not UTF-8, or not a table: a row with more or fewer
        fields than the header, a column named twice, a column of values without a name, a
        NUL byte, an Excel formula without a saved value. Every such problem is listed.

    Notes
    -----
    CSV is parsed with pyarrow (multi-threaded); a spreadsheet's rows are what a blank line
    or a cell holding line breaks is measured against: a blank line is a row, a cell with
    line breaks is not a new one. A file with rows of the wrong length is read a second
    time, by Python's ``csv`` module, to name those rows.
    """
    path = Path(path)
    name = display or str(path)
    if not path.is_file():
        raise StudyDataError(
            Problem(
                file=name,
                found="no such file",
                expected="a table",
                fix="create the file or check the folder name",
            )
        )
    if path.suffix.lower() == ".xlsx":
        frame, rows = _read_xlsx(path, name)
        where = "the first sheet"
    else:
        frame, rows = _read_delimited(path, name)
        where = "the file"
    if len(frame) == 0:
        raise StudyDataError(
            Problem(
                file=name,
                found="a header and no data rows",
                expected="at least one data row",
                fix=f"fill {where} with one row per record (the README of the study folder "
                "says what each column holds)",
            )
        )
    return _restore_text(frame), rows


def read_table(path: Path | str, *, display: str | None = None) -> pd.DataFrame:
    """Read a raw table as text, exactly as stored.

    The frame of :func:`read_table_rows` (which also gives the row numbers a spreadsheet
    shows, for messages).

    Parameters
    ----------
    path : path-like
        A ``.csv``/``.tsv``/``.txt`` or ``.xlsx`` file.
    display : str, optional
        How to name the file in messages.

    Returns
    -------
    DataFrame
        Every column as ``str``; empty cells are ``""``. Column names are stripped.

    Raises
    ------
    StudyDataError
        When the file is missing, empty, not UTF-8, or not a table (see
        :func:`read_table_rows`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "survey.csv"
    >>> _ = path.write_text("participant_id;eng_1\\nP1;007\\n", encoding="utf-8")
    >>> read_table(path)["eng_1"].tolist()
    ['007']
    """
    return read_table_rows(path, display=display)[0]


def read_processed(folder: Path | str) -> Study:
    """Read the processed study written by stage 01-prepare.

    Parameters
    ----------
    folder : path-like
        ``data/processed/<study>/``.

    Returns
    -------
    Study
    """
    folder = Path(folder)
    codebook = read_codebook(folder / "codebook.yaml")
    tables = {}
    for key, fname in PROCESSED_FILES.items():
        path = folder / fname
        tables[key] = pd.read_parquet(path) if path.is_file() else None
    if tables["participants"] is None:
        raise StudyDataError(
            Problem(
                file=str(folder / PROCESSED_FILES["participants"]),
                found="no such file",
                expected="the processed participants of stage 01-prepare",
                fix="run `partner-study run` (stage 01-prepare writes it)",
            )
        )
    return Study(codebook, tables["participants"], tables["scored"], tables["segments"])


#: A text cell neutralised for spreadsheets by :func:`partner_study.writer.write_csv`: one
#: quote more before a cell that opens with quotes and ``=`` ``+`` ``-`` ``@`` tab or CR.
_NEUTRALISED = r"'+[=+\-@\t\r]"


def _restore_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo the writer's neutralisation of formula-like text cells and column names."""
    names = pd.Series(frame.columns.astype(str))
    renamed = names.str.match(_NEUTRALISED)
    if renamed.any():
        frame = frame.set_axis(names.mask(renamed, names.str.slice(1)).tolist(), axis=1)
    out = frame
    for j, dtype in enumerate(frame.dtypes):
        if dtype.kind != "O":
            continue
        values = frame.iloc[:, j]
        try:
            if not values.str.startswith("'", na=False).any():  # the fast, usual case
                continue
        except AttributeError:  # objects that are not text
            continue
        quoted = values.str.match(_NEUTRALISED, na=False)
        if quoted.any():
            out = frame.copy() if out is frame else out
            out.isetitem(j, values.mask(quoted, values.str.slice(1)).array)
    return out


def read_output_table(folder: Path | str, name: str) -> pd.DataFrame | None:
    """A tidy output table of an earlier stage (``<folder>/<name>.csv``), or ``None``.

    Text cells (and column names) that the writer neutralised for spreadsheets get their
    exact value back: the quote put before a leading ``=`` ``+`` ``-`` ``@`` tab or CR is
    removed (see :func:`partner_study.writer.write_csv`).
    """
    path = Path(folder) / f"{name}.csv"
    if not path.is_file():
        return None
    return _restore_text(pd.read_csv(path, keep_default_na=True))


def read_output_tables(
    folder: Path | str, names: tuple[str, ...] | list[str]
) -> dict[str, pd.DataFrame]:
    """The tidy output tables among ``names`` that exist in ``folder``, in that order."""
    out = {}
    for name in names:
        frame = read_output_table(folder, name)
        if frame is not None:
            out[name] = frame
    return out


def read_figure_files(folder: Path | str, *, fmt: str = "svg") -> dict[str, bytes]:
    """Bytes of every figure in ``folder`` in format ``fmt``, by name (sorted)."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {p.stem: p.read_bytes() for p in sorted(folder.glob(f"*.{fmt}"))}
