"""Readers: raw study tables (CSV, TSV, Excel) and the processed study.

Layer 2. Raw files are opened read-only. CSV readers accept UTF-8 with or without a
byte-order mark (UTF-16 and UTF-32 are converted), ``,`` ``;`` or tab separators and CRLF
line ends. Every value is read as text so that validation sees exactly what the file holds;
what cannot be read as a table (a short row, a column named twice, a NUL byte, an Excel
formula without its value) is reported with the row a spreadsheet shows. The quote that
:func:`partner_study.writer.write_csv` puts before a formula-like text cell is removed on
reading, raw tables and output tables alike.

The readers are in modules by concept, all re-exported here: :mod:`~partner_study.io.study`
(:class:`RawStudy`, :class:`Study`), :mod:`~partner_study.io.tables` (finding and reading a
raw table, through :mod:`~partner_study.io.delimited` and :mod:`~partner_study.io.xlsx`),
:mod:`~partner_study.io.cells` (text cells and row numbers) and
:mod:`~partner_study.io.processed` (what the pipeline wrote). The importers are the other
modules of this package.
"""

from __future__ import annotations

from partner_study.io.cells import INVISIBLE, TableRows, escape_invisible
from partner_study.io.cells import _each_row as _each_row
from partner_study.io.cells import _restore_text as _restore_text
from partner_study.io.cells import _shown as _shown
from partner_study.io.processed import (
    PROCESSED_FILES,
    read_figure_files,
    read_output_table,
    read_output_tables,
    read_processed,
)
from partner_study.io.study import RawStudy, Study
from partner_study.io.tables import TABLE_SUFFIXES, find_table, read_table, read_table_rows
from partner_study.io.xlsx import XLSX_MAX_BYTES

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
