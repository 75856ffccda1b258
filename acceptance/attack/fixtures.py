"""Builders of hostile files: YAML bombs, tables, workbooks, REFI-QDA projects, zip bombs.

Everything is generated at run time into a case's world (``inputs/`` or the study folder);
large payloads (zip bombs) are written streaming, so the files stay small on disk.
"""

from __future__ import annotations

import csv
import io
import os
import random
import re
import struct
import zipfile
from pathlib import Path

from harness import REPO

IMPORT_DATA = REPO / "tests" / "data" / "import"
QDPX_MADE = IMPORT_DATA / "qdpx" / "made"


# ------------------------------------------------------------------------------- YAML
def alias_bomb(key: str = "x_bomb", levels: int = 9) -> str:
    """The "billion laughs" of YAML: 9 levels of 9 aliases (9**9 values once expanded)."""
    lines = [f"{key}:", '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"  a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def deep_list(key: str, depth: int = 20_000) -> str:
    return f"{key}: " + "[" * depth + "]" * depth + "\n"


def deep_map(key: str, depth: int = 20_000) -> str:
    return f"{key}: " + "{a: " * depth + "1" + "}" * depth + "\n"


def garbage(n: int = 4096, seed: int = 7) -> bytes:
    rnd = random.Random(seed)
    return bytes(rnd.randrange(256) for _ in range(n))


# ----------------------------------------------------------------------------- tables
def read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _field(value: str) -> str:
    """A CSV field, quoted when it holds a separator, a quote or any line break (the csv
    module leaves a lone carriage return unquoted when lines end with a line feed)."""
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def rows_text(rows: list[list[str]]) -> str:
    return "".join(",".join(_field(str(v)) for v in row) + "\n" for row in rows)


def write_rows(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> None:
    path.write_bytes(rows_text(rows).encode(encoding))


def col(rows: list[list[str]], name: str) -> int:
    return rows[0].index(name)


def write_xlsx(
    path: Path, rows: list[list[str]], formulas: dict[tuple[int, int], str] | None = None
) -> None:
    """A workbook whose first sheet holds ``rows`` (numbers as numbers); ``formulas`` maps
    (row index, column index) of ``rows`` to a formula written without a cached value."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for i, row in enumerate(rows):
        out = []
        for j, cell in enumerate(row):
            if formulas and (i, j) in formulas:
                out.append(formulas[(i, j)])
            elif i > 0 and re.fullmatch(r"-?\d+", cell or ""):
                out.append(int(cell))
            else:
                out.append(cell if cell != "" else None)
        ws.append(out)
    wb.save(path)


def xlsx_bomb(path: Path, sheet_bytes: int) -> None:
    """A workbook whose first sheet is ``sheet_bytes`` of XML whitespace (compresses ~1000x)."""
    import openpyxl

    tmp = io.BytesIO()
    wb = openpyxl.Workbook()
    wb.active.append(["participant_id", "site"])
    wb.save(tmp)
    src = zipfile.ZipFile(io.BytesIO(tmp.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for info in src.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with z.open(info.filename, "w", force_zip64=True) as fh:
                    fh.write(
                        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://'
                        b'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                    )
                    chunk = b" " * (1 << 20)
                    left = sheet_bytes
                    while left > 0:
                        fh.write(chunk[: min(left, len(chunk))])
                        left -= len(chunk)
                    fh.write(b"</sheetData></worksheet>")
            else:
                z.writestr(info, src.read(info.filename))


# -------------------------------------------------------------------------- REFI-QDA
def qde_text() -> str:
    return (QDPX_MADE / "project.qde").read_text(encoding="utf-8")


FIRST_SOURCE = 'plainTextPath="internal://05000000-0000-4000-8000-000000000001.txt"'
FIRST_MEMBER = "sources/05000000-0000-4000-8000-000000000001.txt"


def write_qdpx(
    path: Path,
    qde: str | bytes | None = None,
    *,
    extra: dict[str, bytes] | None = None,
    sources: bool = True,
    skip: set[str] | None = None,
) -> Path:
    """A REFI-QDA project: ``project.qde`` (the fixture's, or ``qde``), its sources, extras."""
    qde = qde_text() if qde is None else qde
    data = qde.encode("utf-8") if isinstance(qde, str) else qde
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        if "project.qde" not in (skip or set()):
            z.writestr("project.qde", data)
        if sources:
            for src in sorted((QDPX_MADE / "sources").iterdir()):
                name = f"sources/{src.name}"
                if name not in (skip or set()):
                    z.writestr(name, src.read_bytes())
        for name, payload in (extra or {}).items():
            z.writestr(zipfile.ZipInfo(name), payload)
    return path


def qdpx_with_big_member(path: Path, member: str, size: int, *, qde: str | None = None) -> Path:
    """A project whose ``member`` holds ``size`` bytes of one letter (a zip bomb), streamed."""
    data = (qde or qde_text()).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        z.writestr("project.qde", data)
        for src in sorted((QDPX_MADE / "sources").iterdir()):
            name = f"sources/{src.name}"
            if name != member:
                z.writestr(name, src.read_bytes())
        head = b""
        real = QDPX_MADE / member
        if real.is_file():
            head = real.read_bytes()
        with z.open(member, "w", force_zip64=size > 0x7FFF0000) as fh:
            fh.write(head)
            chunk = b"a" * (1 << 20)
            left = size - len(head)
            while left > 0:
                fh.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
    return path


def lie_about_size(path: Path, member: str, declared: int) -> None:
    """Rewrite the uncompressed size ``member`` declares (local header and central
    directory) without touching its data: the archive lies about what it holds."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    # local file header: signature, ..., uncompressed size at +22, name length at +26
    pos = 0
    while True:
        pos = data.find(b"PK\x03\x04", pos)
        if pos < 0:
            break
        nlen = struct.unpack_from("<H", data, pos + 26)[0]
        if data[pos + 30 : pos + 30 + nlen] == name:
            struct.pack_into("<I", data, pos + 22, declared)
        pos += 4
    pos = 0
    while True:
        pos = data.find(b"PK\x01\x02", pos)
        if pos < 0:
            break
        nlen = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46 : pos + 46 + nlen] == name:
            struct.pack_into("<I", data, pos + 24, declared)
        pos += 4
    # a data descriptor (bit 3) repeats the sizes after the data: patch it too
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    if info.flag_bits & 0x08:
        data = bytearray(path.read_bytes())
        start = info.header_offset
        nlen = struct.unpack_from("<H", data, start + 26)[0]
        elen = struct.unpack_from("<H", data, start + 28)[0]
        after = start + 30 + nlen + elen + info.compress_size
        if data[after : after + 4] == b"PK\x07\x08":
            after += 4
        # crc, compressed size, uncompressed size (32-bit form)
        struct.pack_into("<I", data, after + 8, declared)
        path.write_bytes(bytes(data))


def nested_codes_qde(depth: int) -> str:
    """The fixture's project with a chain of ``depth`` nested codes; a selection uses the
    deepest one."""
    qde = qde_text()
    opens = "".join(
        f'<Code guid="0c100000-0000-4000-8000-{i:012x}" name="level {i}" isCodable="true">'
        for i in range(depth)
    )
    closes = "</Code>" * depth
    qde = qde.replace("<Codes>", "<Codes>" + opens + closes, 1)
    deepest = f"0c100000-0000-4000-8000-{depth - 1:012x}"
    return qde.replace(
        '<CodeRef targetGUID="0c000000-0000-4000-8000-00000000000a"/>',
        f'<CodeRef targetGUID="{deepest}"/>',
        1,
    )


def with_doctype(qde: str, doctype: str, name_value: str | None = None) -> str:
    """Put a DOCTYPE after the XML declaration (and optionally set the project's name)."""
    head, rest = qde.split("\n", 1)
    out = f"{head}\n{doctype}\n{rest}"
    if name_value is not None:
        out = out.replace('name="Partnership interviews (test)"', f'name="{name_value}"', 1)
    return out


BILLION_LAUGHS = """<!DOCTYPE Project [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>"""


def many_members(path: Path, n: int) -> Path:
    """A project with ``n`` extra empty members (a directory-size attack)."""
    data = qde_text().encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("project.qde", data)
        for src in sorted((QDPX_MADE / "sources").iterdir()):
            z.writestr(f"sources/{src.name}", src.read_bytes())
        for i in range(n):
            z.writestr(zipfile.ZipInfo(f"x/{i:x}"), b"")
    return path


# -------------------------------------------------------------------------- SPSS etc.
def truncated(src: Path, dest: Path, fraction: float) -> Path:
    data = src.read_bytes()
    dest.write_bytes(data[: int(len(data) * fraction)])
    return dest


def corrupted(src: Path, dest: Path, start_fraction: float = 0.3, seed: int = 3) -> Path:
    data = bytearray(src.read_bytes())
    rnd = random.Random(seed)
    for i in range(int(len(data) * start_fraction), len(data)):
        data[i] = rnd.randrange(256)
    dest.write_bytes(bytes(data))
    return dest


def sav_with_case_count(src: Path, dest: Path, ncases: int) -> Path:
    """An SPSS file whose header claims ``ncases`` cases (the header's field at byte 80)."""
    data = bytearray(src.read_bytes())
    assert data[:4] in (b"$FL2", b"$FL3"), data[:4]
    struct.pack_into("<i", data, 80, ncases)
    dest.write_bytes(bytes(data))
    return dest


def make_fifo(path: Path) -> None:
    if path.exists() or path.is_symlink():
        path.unlink()
    os.mkfifo(path)
