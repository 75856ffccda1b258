"""Markdown rendering of a display table."""

from __future__ import annotations

import re

import pandas as pd

from partner_study.tables._cells import (
    _NUMERIC_CELL,
    _is_missing,
)

__all__ = ["column_alignment", "to_markdown"]

# --------------------------------------------------------------------------- renderers


def column_alignment(display: pd.DataFrame) -> list[str]:
    """``"r"`` for columns whose every non-empty cell is numeric-looking, else ``"l"``.

    Parameters
    ----------
    display : DataFrame
        A display table (cells are strings).

    Returns
    -------
    list of str
        One of ``"l"``/``"r"`` per column; the first column is always ``"l"``.
    """
    out = []
    for i, name in enumerate(display.columns):
        cells = [str(v) for v in display[name] if not _is_missing(v) and str(v) != ""]
        numeric = bool(cells) and i > 0 and all(_NUMERIC_CELL.match(c) for c in cells)
        out.append("r" if numeric else "l")
    return out


def _cells(display: pd.DataFrame) -> list[list[str]]:
    return [
        ["" if _is_missing(v) else str(v) for v in row]
        for row in display.itertuples(index=False, name=None)
    ]


def _note(display: pd.DataFrame) -> str:
    return str(display.attrs.get("note", "") or "")


def _md_escape(text: str) -> str:
    """A cell or caption for a Markdown table: ``\\`` and ``|`` escaped, HTML's ``&`` ``<``
    ``>`` written as entities (a Markdown renderer passes raw HTML on, scripts included),
    ``](`` written ``]\\(`` (no link or image from data, ``javascript:`` included), line
    breaks as spaces."""
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    text = text.replace("](", "]\\(")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"\s*[\r\n]+\s*", " ", text)


def _caption_text(caption: str | None, number: int | str | None) -> str:
    head = f"Table {number}." if number is not None else ""
    return " ".join(x for x in (head, caption or "") if x)


def to_markdown(
    display: pd.DataFrame, *, caption: str | None = None, number: int | str | None = None
) -> str:
    """Render a display table as a Markdown (pipe) table.

    Parameters
    ----------
    display : DataFrame
        From :func:`format_table` (or any DataFrame; cells are printed with ``str``).
    caption : str, optional
        Printed before the table as a pandoc caption line ``Table: <caption>``.
    number : int or str, optional
        Table number, prefixed to the caption (``Table: Table 2. ...``).

    Returns
    -------
    str
        Header row, separator row (``---`` left, ``---:`` right-aligned numeric columns),
        one row per display row; ``|`` in cells escaped as ``\\|``, ``&`` ``<`` ``>`` as
        HTML entities (no markup gets through), line breaks as spaces; the note after a
        blank line. Ends with a newline.
    """
    align = column_alignment(display)
    head = [_md_escape(str(c)) for c in display.columns]
    lines = []
    text = _caption_text(caption, number)
    if text:
        lines += [f"Table: {_md_escape(text)}", ""]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("| " + " | ".join("---:" if a == "r" else "---" for a in align) + " |")
    for row in _cells(display):
        lines.append("| " + " | ".join(_md_escape(c) for c in row) + " |")
    if _note(display):
        lines += ["", f"*Note.* {_md_escape(_note(display))}"]
    return "\n".join(lines) + "\n"
