"""Paper-ready tables: display versions of the tidy output tables, in Markdown, LaTeX and DOCX.

Layer 4. The tidy CSV tables of the output contract (DESIGN §5) stay as they are; the
functions here turn one of them into a *display* DataFrame (every cell a formatted
string, columns named for a reader) and render a display as Markdown, LaTeX (booktabs)
or a Word document. Nothing here reads data files; :func:`to_docx` given a path writes
it atomically through :func:`partner_study.writer.write_bytes`.

Formatting conventions (one journal style for every table)
-----------------------------------------------------------
- Counts: integers with a thousands comma (``1,234``). Percentages: one decimal.
- Table 1: ``n (%)`` for categories (percent of those who answered), ``mean (SD)`` and
  ``median [Q1, Q3]`` for numeric variables (one decimal by default), a ``Missing`` row
  (count) where any group has missing answers. Suppressed cells show one marker,
  ``"suppressed"`` by default, whatever the hidden value: complementary suppression also
  hides counts at or above the threshold, so ``"<5"`` would be false for those cells.
- Estimates, coefficients, alpha, omega, kappa: two decimals; intervals in brackets,
  ``0.42 [0.31, 0.53]``; ``-0.00`` is printed ``0.00``. Regression rows whose estimate and
  bounds are all below 0.05 in magnitude get up to two more decimals (two significant
  figures), so a per-year coefficient reads ``0.0029 [-0.0011, 0.0069]``, not ``0.00 [0.00,
  0.01]``.
- P values, NEJM/BMJ convention (leading zero kept): ``<0.001``; three decimals below
  0.01 (``0.004``); two decimals from 0.01 (``0.03``, ``0.47``), except that values from
  0.045 to just under 0.05 keep three decimals and are truncated, not rounded (``0.049``),
  so a p below 0.05 is never printed ``0.05``; values above 0.99 are ``>0.99``.
- Names (variables, scales, terms, themes, codes) are prettified
  (``information_sharing`` -> ``Information sharing``) unless ``labels`` maps them.
- Explanations a reader needs (symbols, suppression) travel in ``display.attrs["note"]``
  and are printed under the table by every renderer.

Determinism: the same display gives the same Markdown/LaTeX text and the same DOCX
bytes, across runs and processes (fixed core-property dates, fixed zip entry dates,
order and compression; see :func:`docx_bytes`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from partner_study.config import TABLE_NAMES
from partner_study.errors import ParamsError
from partner_study.shape import StudyShape
from partner_study.tables._cells import (
    SUPPRESSED,
    _display,
    _require,
    format_estimate,
    format_p_value,
)
from partner_study.tables.agreement import _agreement
from partner_study.tables.characteristics import _characteristics
from partner_study.tables.codes import _codes, _cooccurrence
from partner_study.tables.joint_display import _joint_display
from partner_study.tables.latex import to_latex
from partner_study.tables.likert import _likert, _reliability, likert_displays
from partner_study.tables.markdown import column_alignment, to_markdown
from partner_study.tables.quotes import _quotes
from partner_study.tables.regression import (
    REGRESSION_DISPLAY_KINDS,
    _regression,
    _site_heterogeneity,
    regression_displays,
)
from partner_study.tables.scales_by_role import _items_by_role, _scales_by_role
from partner_study.tables.word import docx_bytes, to_docx

__all__ = [
    "TABLE_KINDS",
    "TABLE_FORMATS",
    "SUPPRESSED",
    "format_table",
    "format_p_value",
    "format_estimate",
    "column_alignment",
    "to_markdown",
    "to_latex",
    "to_docx",
    "docx_bytes",
    "table_bytes",
    "regression_displays",
    "likert_displays",
    "REGRESSION_DISPLAY_KINDS",
]

#: Kinds understood by :func:`format_table` (a table's name in ``tables/`` works too).
TABLE_KINDS: tuple[str, ...] = TABLE_NAMES
#: Formats of :func:`table_bytes`.
TABLE_FORMATS: tuple[str, ...] = ("md", "tex", "docx")

_FORMATTERS: dict[str, tuple[Callable[..., pd.DataFrame], int, list[str], list[str]]] = {
    # kind: (formatter, default digits, required columns, leading columns of an empty display)
    "characteristics": (
        _characteristics,
        1,
        ["variable", "level", "role", "n"],
        ["Characteristic", "Category"],
    ),
    "likert": (_likert, 1, ["scale", "item", "role", "response", "n"], ["Scale", "Item", "Group"]),
    "reliability": (_reliability, 2, ["scale", "alpha"], []),
    "scales-by-role": (_scales_by_role, 2, ["scale", "role", "n"], []),
    "items-by-role": (_items_by_role, 2, ["scale", "item", "role", "reference"], []),
    "codes": (_codes, 1, ["theme", "code", "n_participants"], ["Theme", "Code"]),
    "cooccurrence": (_cooccurrence, 0, ["code_a", "code_b", "n_segments"], []),
    "agreement": (_agreement, 2, ["code"], []),
    "quotes": (_quotes, 0, ["theme", "role", "quote"], []),
    "regression": (_regression, 2, ["term", "estimate"], ["Term"]),
    "regression-sensitivity": (_regression, 2, ["term", "estimate"], ["Term"]),
    "joint-display": (_joint_display, 2, ["theme"], []),
    "site-heterogeneity": (_site_heterogeneity, 2, ["term", "pooled"], ["Outcome"]),
}


def format_table(
    frame: pd.DataFrame,
    kind: str,
    *,
    digits: int | None = None,
    labels: Mapping[str, str] | None = None,
    suppress_below: int = 5,
    suppressed_marker: str = SUPPRESSED,
    numeric: str = "both",
    terms: str = "all",
    adjusted_p: bool = False,
    shape: StudyShape | None = None,
) -> pd.DataFrame:
    """A paper-ready display of one tidy output table.

    Parameters
    ----------
    frame : DataFrame
        A tidy table of the output contract (DESIGN §5), as returned by the analysis
        function or read back from ``tables/<kind>.csv``. Not modified. Optional columns
        may be absent; their display columns are then left out.
    kind : str
        One of :data:`TABLE_KINDS`: ``characteristics`` (Table 1), ``likert``,
        ``reliability``, ``codes``, ``cooccurrence``, ``agreement``, ``quotes``,
        ``regression`` (or ``regression-sensitivity``), ``joint-display``.
    digits : int, optional
        Decimals of means/SDs (characteristics, default 1) or of estimates, alpha, omega
        and kappa (default 2). Percentages always have one decimal.
    labels : mapping, optional
        Display names for variables, scales, terms, themes, codes, groups or Likert
        response values (e.g. from the codebook), overriding the prettified names.
    suppress_below : int
        Characteristics: the disclosure threshold the tidy table was suppressed with
        (stated in the table note).
    suppressed_marker : str
        Characteristics: what a suppressed cell shows (default ``"suppressed"``).
    numeric : {"both", "mean", "median"}
        Characteristics: summaries of numeric variables.
    terms : {"all", "outcome"}
        Regression: every term, or only the outcome terms (a compact main table).
    adjusted_p : bool
        Regression: show the Benjamini-Hochberg ``p_adjusted`` instead of ``p_value``.
    shape : StudyShape, optional
        The study's shape (:func:`partner_study.shape.study_shape`): role, site, scale,
        item, variable, theme and code labels as the codebook declares them, groups in
        declared order. Without it, stored names are shown made readable.

    Returns
    -------
    DataFrame
        Every cell a string ('' for nothing to show), columns named for a reader, rows
        in reading order; ``attrs["note"]`` explains the symbols. By kind:

        - characteristics: ``Characteristic, Category`` then one column per group
          (``"Carers (n = 421)"``, ..., ``"All (n = 600)"``); ``n (%)`` per category,
          ``Mean (SD)`` and ``Median [Q1, Q3]`` rows per numeric variable, a ``Missing``
          row (count) where a group has missing answers.
        - likert: ``Scale, Item, Group`` then one column per response value, ``n (%)``.
        - reliability: ``Scale, Items, n, α [95% CI], ω`` (``Note`` when any).
        - scales-by-role: ``Scale, Group, n, Mean (SD), n, every item answered,
          α [95% CI], ω`` (``Note`` when any), one row per scale and role.
        - items-by-role: ``Scale, Item``, then ``Item-rest r, <Role>`` per role and
          ``<Role> − <Reference> [95% CI]`` per other role (``Note`` when any).
        - codes: ``Theme, Code`` then ``n (%)`` of participants per group (header with the
          group's coded n), ``Segments``.
        - cooccurrence: ``Code, Co-occurring code, Segments, Participants``.
        - agreement: ``Code, Units, Coders, Agreement, %, Cohen's κ, Krippendorff's α``
          (``Note`` when any).
        - quotes: ``Theme, Code, Role, Speaker, Quote``.
        - regression: ``Outcome, Term`` then, per model kind (joint models go in the
          same column under ``All outcomes together``), ``"<Model>: B [95% CI]"`` and
          ``"<Model>: p"``; an ``Observations`` row per outcome gives n (groups).
        - joint-display: ``Theme, Carers, %, Nurses, %, Difference, pp,
          Finding, Carer quote, Nurse quote`` and any further columns
          (``pct_level_*`` as ``"<Level>, %"``).

    Raises
    ------
    ParamsError
        Unknown ``kind``, ``numeric`` or ``terms``.
    StudyDataError
        A required column of the tidy table is missing.

    Notes
    -----
    P values follow :func:`format_p_value`; intervals :func:`format_estimate`. The
    suppressed marker is the same for primary and complementary suppression, since the
    tidy table cannot tell them apart and a complementary cell may hide a count above
    the threshold.

    Examples
    --------
    >>> rel = pd.DataFrame({"scale": ["trust"], "n_items": [4], "n": [480], "alpha": [0.8123],
    ...                     "alpha_ci_low": [0.781], "alpha_ci_high": [0.84], "omega": [0.82]})
    >>> format_table(rel, "reliability").iloc[0].tolist()
    ['Trust', '4', '480', '0.81 [0.78, 0.84]', '0.82']
    """
    if kind not in _FORMATTERS:
        raise ParamsError(f"unknown table kind {kind!r}; expected one of {', '.join(TABLE_KINDS)}.")
    formatter, default_digits, required, empty = _FORMATTERS[kind]
    _require(frame, required, kind=kind)
    if frame.empty and empty:
        return _display({name: [] for name in empty})
    return formatter(
        frame.copy(),
        digits=default_digits if digits is None else digits,
        labels={**shape.labels_for(kind), **(labels or {})} if shape is not None else labels,
        shape=shape,
        marker=suppressed_marker,
        suppress_below=suppress_below,
        numeric=numeric,
        terms=terms,
        adjusted_p=adjusted_p,
    )


def table_bytes(
    display: pd.DataFrame,
    fmt: str,
    *,
    caption: str | None = None,
    label: str | None = None,
    number: int | str | None = None,
) -> bytes:
    """A display table rendered as ``fmt`` bytes, for an atomic writer.

    Parameters
    ----------
    display : DataFrame
        From :func:`format_table`.
    fmt : {"md", "tex", "docx"}
        Markdown (:func:`to_markdown`), LaTeX (:func:`to_latex`, which numbers the table
        itself, so ``number`` is not used) or Word (:func:`docx_bytes`).
    caption : str, optional
        Caption without the "Table n." prefix.
    label : str, optional
        LaTeX label (``tex`` only).
    number : int or str, optional
        Table number for Markdown and Word.

    Returns
    -------
    bytes
        UTF-8 text (``\\n`` line ends) for md and tex; the .docx file for docx.

    Raises
    ------
    ParamsError
        Unknown ``fmt``.
    """
    if fmt == "md":
        return to_markdown(display, caption=caption, number=number).encode("utf-8")
    if fmt == "tex":
        return to_latex(display, caption=caption, label=label).encode("utf-8")
    if fmt == "docx":
        return docx_bytes(display, caption=caption, number=number)
    raise ParamsError(f"unknown table format {fmt!r}; expected one of {', '.join(TABLE_FORMATS)}.")
