"""Names of the report's tables and figures, in report order.

Layer 4. The tables the report reads, the paper tables (written as Markdown, LaTeX and
DOCX too), the figure names its captions know, the columns of a captions frame, and how a
name reads in a sentence when nothing better is known.
"""

from __future__ import annotations

from partner_study.config import TABLE_NAMES
from partner_study.disclosure import AUDITED_TABLES

__all__ = [
    "READ_TABLES",
    "REGRESSION_TABLES",
    "PAPER_TABLES",
    "CAPTION_COLUMNS",
    "FIGURE_NAMES",
    "TABLE_NAMES",
]

#: Tables the report reads: the tidy tables it shows, then those its captions count from
#: and those the disclosure audit reads with them.
READ_TABLES: tuple[str, ...] = tuple(
    dict.fromkeys((*TABLE_NAMES, "regression-by-site", "joint-display-roles", *AUDITED_TABLES))
)
#: The paper tables of the regression, one per model kind
#: (:func:`partner_study.tables.regression_displays`).
REGRESSION_TABLES: tuple[str, ...] = (
    "regression-ols",
    "regression-mixed",
    "regression-ordinal",
    "regression-ordinal-probit",
)
#: Table names in report order: the tidy tables, the regression's per-kind tables after it.
_EXTRA_TABLES = {"regression": REGRESSION_TABLES, "joint-display": ("joint-display-scores",)}
_TABLE_ORDER: tuple[str, ...] = tuple(
    n for t in TABLE_NAMES for n in (t, *_EXTRA_TABLES.get(t, ()))
)
#: Columns of a captions frame.
CAPTION_COLUMNS: tuple[str, ...] = ("kind", "name", "number", "caption")
#: Figure names in report order; ``*`` stands for a scale or outcome name.
FIGURE_NAMES: tuple[str, ...] = (
    "likert-*",
    "item-differences",
    "themes-by-role",
    "regression-forest",
    "engagement-vs-*",
    "site-effects",
    "joint-display",
    "joint-display-scores",
)

#: Tables that go in a paper, also written as Markdown, LaTeX and DOCX.
PAPER_TABLES: tuple[str, ...] = (
    "characteristics",
    "reliability",
    "scales-by-role",
    "items-by-role",
    *REGRESSION_TABLES,
    "codes",
    "agreement",
    "joint-display",
    "joint-display-scores",
)


def _pretty(name: str) -> str:
    text = name.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]
