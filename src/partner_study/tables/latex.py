"""LaTeX (booktabs) rendering of a display table."""

from __future__ import annotations

import re

import pandas as pd

from partner_study.errors import ParamsError
from partner_study.tables.markdown import _cells, _note, column_alignment

__all__ = ["to_latex"]

_LATEX_SPECIAL = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "α": r"$\alpha$",
    "κ": r"$\kappa$",
    "ω": r"$\omega$",
    "†": r"\textdagger{}",
    "‡": r"\textdaggerdbl{}",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "−": r"$-$",
    "\n": " ",
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIAL))


#: Characters of a line of a page's text at 10 pt (a wider tabular is scaled to fit).
_PAGE_CHARACTERS = 100


def _latex_escape(text: str) -> str:
    escaped = _LATEX_RE.sub(lambda m: _LATEX_SPECIAL[m.group(0)], text)
    # A minus sign before a number (not a hyphen inside a word or identifier).
    return re.sub(r"(?<![\w$])-(?=\d)", r"$-$", escaped)


def to_latex(display: pd.DataFrame, *, caption: str | None = None, label: str | None = None) -> str:
    """Render a display table as a LaTeX ``table`` with a booktabs ``tabular``.

    Parameters
    ----------
    display : DataFrame
        From :func:`format_table`.
    caption : str, optional
        ``\\caption{...}`` (escaped; LaTeX numbers the table).
    label : str, optional
        ``\\label{...}``, e.g. ``"tab:characteristics"``: letters, digits and ``:-_.``.

    Returns
    -------
    str
        ``\\begin{table}[htbp]``, ``\\centering``, caption and label, a ``tabular`` with
        ``\\toprule``, the header, ``\\midrule``, the rows, ``\\bottomrule``, then the note
        in ``\\footnotesize``. Cells are escaped (``& % $ # _ { } ~ ^ \\ < >`` and the Greek
        letters of the headers); long text columns become ``p{4.5cm}``. A table wider
        than a page's text (about 100 characters a line) is scaled to ``\\linewidth``
        with ``\\resizebox``. Needs ``\\usepackage{booktabs}`` (and ``graphicx`` for
        wide tables).

    Raises
    ------
    ParamsError
        ``label`` holds characters a LaTeX label cannot.
    """
    if label is not None and not re.fullmatch(r"[A-Za-z0-9:_.\-]+", label):
        raise ParamsError(
            f"LaTeX label {label!r} may only hold letters, digits and ':', '_', '.', '-'."
        )
    rows = _cells(display)
    spec = []
    width = 0  # natural width in characters, headers included
    for i, a in enumerate(column_alignment(display)):
        longest = max([len(r[i]) for r in rows] + [0])
        wrapped = a == "l" and longest > 40
        spec.append("p{4.5cm}" if wrapped else a)
        width += (28 if wrapped else max(longest, len(str(display.columns[i])))) + 2
    too_wide = width > _PAGE_CHARACTERS
    lines = [r"\begin{table}[htbp]", r"\centering"]
    if caption:
        lines.append(rf"\caption{{{_latex_escape(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    if too_wide:  # scaled to the text width rather than running off the page
        lines.append(r"\resizebox{\linewidth}{!}{%")
    lines += [rf"\begin{{tabular}}{{{''.join(spec)}}}", r"\toprule"]
    for i, row in enumerate([[str(c) for c in display.columns], *rows]):
        cells = [_latex_escape(c) for c in row]
        if cells and cells[0].startswith("["):  # else read as the optional argument of \\
            cells[0] = "{}" + cells[0]
        lines.append(" & ".join(cells) + r" \\")
        if i == 0:
            lines.append(r"\midrule")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if too_wide:
        lines.append("}")
    if _note(display):
        lines.append(
            rf"\par\smallskip{{\footnotesize \textit{{Note.}} "
            rf"{_latex_escape(_note(display))}\par}}"
        )
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


# Elements that follow w:tblBorders in w:tblPr and w:tcBorders in w:tcPr (ECMA-376 §17.4).
