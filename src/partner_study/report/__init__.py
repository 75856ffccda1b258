"""The study report: one self-contained ``report.html`` from the tables and figures of a run.

Layer 4. :func:`build_report` returns the HTML as a string (the writer saves it); it
reads no file. The page opens offline: CSS inline, SVG figures inline, PNG figures as
``data:`` URIs, no external fonts, scripts or links. The same inputs give the same
string (no dates, sorted package versions), so the report's hash in the manifest only
changes when a result does. :func:`default_captions` drafts journal-style captions for
the figure and table names the pipeline produces.

Modules, by concept:

- :mod:`~partner_study.report.names`: the tables and figures in report order
  (:data:`READ_TABLES`, :data:`REGRESSION_TABLES`, :data:`PAPER_TABLES`,
  :data:`FIGURE_NAMES`, :data:`CAPTION_COLUMNS`);
- :mod:`~partner_study.report.captions`: journal-style captions (:func:`default_captions`);
- :mod:`~partner_study.report.counts`: the n each caption states (:func:`caption_counts`);
- :mod:`~partner_study.report.applicability`: the analyses that do not apply to the study,
  with their reasons (:func:`not_applicable`);
- :mod:`~partner_study.report.paper`: the paper tables (:func:`paper_tables`);
- :mod:`~partner_study.report.page`: the HTML page (:func:`build_report`), with its
  figures inlined by :mod:`~partner_study.report.graphics` and its provenance footer
  from :mod:`~partner_study.report.footer`.
"""

from __future__ import annotations

from partner_study.report.applicability import not_applicable
from partner_study.report.captions import default_captions
from partner_study.report.counts import caption_counts
from partner_study.report.graphics import _inline_svg as _inline_svg
from partner_study.report.names import (
    CAPTION_COLUMNS,
    FIGURE_NAMES,
    PAPER_TABLES,
    READ_TABLES,
    REGRESSION_TABLES,
    TABLE_NAMES,
)
from partner_study.report.page import build_report
from partner_study.report.paper import paper_tables

__all__ = [
    "READ_TABLES",
    "REGRESSION_TABLES",
    "not_applicable",
    "PAPER_TABLES",
    "paper_tables",
    "caption_counts",
    "CAPTION_COLUMNS",
    "FIGURE_NAMES",
    "TABLE_NAMES",
    "default_captions",
    "build_report",
]
