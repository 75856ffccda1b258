"""Word (DOCX) rendering of a display table, byte-identical across runs."""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import docx
import pandas as pd
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Pt

from partner_study.tables.markdown import _caption_text, _cells, _note, column_alignment
from partner_study.writer import write_bytes

__all__ = ["docx_bytes", "to_docx"]

_FIXED_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

_SUCCESSORS = {
    "w:tblBorders": (
        "w:shd",
        "w:tblLayout",
        "w:tblCellMar",
        "w:tblLook",
        "w:tblCaption",
        "w:tblDescription",
        "w:tblPrChange",
    ),
    "w:tcBorders": (
        "w:shd",
        "w:noWrap",
        "w:tcMar",
        "w:textDirection",
        "w:tcFitText",
        "w:vAlign",
        "w:hideMark",
        "w:headers",
        "w:cellIns",
        "w:cellDel",
        "w:cellMerge",
        "w:tcPrChange",
    ),
}


def _border(parent: Any, edges: Mapping[str, int], tag: str) -> None:
    borders = OxmlElement(tag)
    # Table borders: every edge (nil = none); cell borders: only the given edges, as a
    # cell's nil edge would override the table's rule there.
    edge_names = ("top", "left", "bottom", "right", "insideH", "insideV")
    for edge in edge_names if tag == "w:tblBorders" else [e for e in edge_names if e in edges]:
        el = OxmlElement(f"w:{edge}")
        size = edges.get(edge, 0)
        el.set(qn("w:val"), "single" if size else "nil")
        if size:
            el.set(qn("w:sz"), str(size))
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "000000")
        borders.append(el)
    # Word rejects properties out of schema order: insert before the elements that follow.
    parent.insert_element_before(borders, *_SUCCESSORS[tag])


_RUN_PATH = f"./{qn('w:tc')}/{qn('w:p')}/{qn('w:r')}"
_BREAKS = re.compile(r"[\t\r\n]")


def _append_row_copies(tbl: Any, template: Any, rows: Sequence[Sequence[str]]) -> None:
    """Append to ``tbl`` one copy of the data row ``template`` per row of ``rows``.

    Parameters
    ----------
    tbl : CT_Tbl
        The table element.
    template : CT_Row
        A finished data row (paragraph spacing, alignment, one 9 pt run per cell); its
        copies differ from it only in their text.
    rows : sequence of sequence of str
        Cell texts, one sequence per new row; missing trailing cells are left empty.

    Notes
    -----
    The copies are made from ``template`` with its runs' text removed (run properties
    kept), then each run gets the content ``paragraph.add_run(text)`` writes: nothing for
    an empty string; one ``w:t`` for text without tabs or line breaks (``CT_R.add_t``, the
    method the run text setter uses, with ``xml:space="preserve"`` when the text has
    leading or trailing white space); otherwise the run text setter itself (``w:tab`` for
    a tab, ``w:br`` for a line break). So the copies serialise exactly as rows built cell
    by cell would.
    """
    blank = copy.deepcopy(template)
    for run in blank.iterfind(_RUN_PATH):
        run.clear_content()
    for values in rows:
        tr = copy.deepcopy(blank)
        for c, run in enumerate(tr.iterfind(_RUN_PATH)):
            text = values[c] if c < len(values) else ""
            if _BREAKS.search(text):
                run.text = text  # CT_R.text: w:t, w:tab and w:br pieces
            elif text:
                run.add_t(text)  # the setter's own call, without its content clean-up
        tbl.append(tr)


def docx_bytes(
    display: pd.DataFrame, *, caption: str | None = None, number: int | str | None = None
) -> bytes:
    """The Word document of :func:`to_docx` as bytes, identical for identical input.

    Parameters
    ----------
    display : DataFrame
        From :func:`format_table`.
    caption : str, optional
        Caption paragraph above the table (style ``Caption``), ``"Table <number>."`` first
        when ``number`` is given.
    number : int or str, optional
        Table number.

    Returns
    -------
    bytes
        A .docx file: caption, a real Word table (repeating bold header row; booktabs
        rules: 1.5 pt above and below the table, 0.75 pt under the header; no vertical
        lines; numeric columns right-aligned; 9 pt), the note below; landscape when the
        table has more than 6 columns.

    Notes
    -----
    The header row and the first data row are built with python-docx; the other data rows
    are copies of the first with their text replaced (``_append_row_copies``): the same XML
    as building every cell with python-docx, in a fraction of the time.

    Determinism: the core properties (created, modified, last printed) are set to
    2000-01-01T00:00:00Z, author and last-modified-by to ``partner-study``, revision 1; the
    zip written by python-docx is then rewritten with every entry dated 1980-01-01 00:00:00,
    ``[Content_Types].xml`` first and the other entries sorted by name, deflate level 6,
    fixed creator system and permissions. Byte-identity holds for the same python-docx and
    zlib versions (both pinned).
    """
    document = docx.Document()
    props = document.core_properties
    props.created = props.modified = props.last_printed = _FIXED_DATE
    props.author = props.last_modified_by = "partner-study"
    props.revision = 1
    props.title = _caption_text(caption, number)[:255]  # Word limits properties to 255 characters
    props.comments = ""
    package_rels = document.part.package.rels  # drop the template's unrelated thumbnail
    for rel_id in [k for k, rel in package_rels.items() if rel.reltype == RT.THUMBNAIL]:
        package_rels.pop(rel_id)
    ncol = max(len(display.columns), 1)
    if ncol > 6:
        section = document.sections[0]
        width, height = int(section.page_width or 0), int(section.page_height or 0)
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Emu(max(width, height)), Emu(min(width, height))
    text = _caption_text(caption, number)
    if text:
        paragraph = document.add_paragraph(style="Caption")
        if number is not None:
            paragraph.add_run(f"Table {number}.").bold = True
            paragraph.add_run(f" {caption}" if caption else "")
        else:
            paragraph.add_run(text)
    rows = _cells(display)
    # Header and first data row through python-docx; the other data rows are copies of
    # the first (python-docx's per-cell setters cost ~0.2 ms a cell).
    table = document.add_table(rows=1 + min(len(rows), 1), cols=ncol)
    _border(table._tbl.tblPr, {"top": 12, "bottom": 12}, "w:tblBorders")
    align = column_alignment(display)
    for r, row in enumerate(table.rows):
        values = [str(c) for c in display.columns] if r == 0 else rows[r - 1]
        if r == 0:
            tr_pr = row._tr.get_or_add_trPr()
            header = OxmlElement("w:tblHeader")
            header.set(qn("w:val"), "true")
            tr_pr.append(header)
        for c, cell in enumerate(row.cells):
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.space_after = Pt(0)
            if c < len(align) and align[c] == "r":
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            run = paragraph.add_run(values[c] if c < len(values) else "")
            run.font.size = Pt(9)
            run.bold = r == 0 or None
            if r == 0:
                _border(cell._tc.get_or_add_tcPr(), {"bottom": 6}, "w:tcBorders")
    if len(rows) > 1:
        _append_row_copies(table._tbl, table.rows[1]._tr, rows[1:])
    if _note(display):
        paragraph = document.add_paragraph()
        note = paragraph.add_run("Note. ")
        note.italic = True
        note.font.size = Pt(9)
        paragraph.add_run(_note(display)).font.size = Pt(9)
    raw = io.BytesIO()
    document.save(raw)
    return _normalise_zip(raw.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry dates, order, compression and attributes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        names = zin.namelist()
        first = [n for n in names if n == "[Content_Types].xml"]
        order = first + sorted(n for n in names if n not in first)
        with zipfile.ZipFile(out, "w") as zout:
            for name in order:
                info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3
                info.external_attr = 0o644 << 16
                zout.writestr(info, zin.read(name), compresslevel=6)
    return out.getvalue()


def to_docx(
    display: pd.DataFrame,
    path_or_buffer: str | Path | IO[bytes],
    *,
    caption: str | None = None,
    number: int | str | None = None,
) -> None:
    """Write a display table as a Word document (see :func:`docx_bytes`).

    Parameters
    ----------
    display : DataFrame
        From :func:`format_table`.
    path_or_buffer : str, Path or binary file object
        A path is written atomically (temporary file + rename); a buffer gets ``write``.
    caption : str, optional
        Caption paragraph above the table.
    number : int or str, optional
        Table number (``"Table 2."`` before the caption).

    Returns
    -------
    None
    """
    data = docx_bytes(display, caption=caption, number=number)
    if isinstance(path_or_buffer, str | Path):
        write_bytes(path_or_buffer, data)
    else:
        path_or_buffer.write(data)
