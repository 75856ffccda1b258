"""Validation of a raw study folder against its codebook, collecting every problem.

Layer 2. :func:`validate_study` reads ``codebook.yaml``, ``participants``, ``survey`` and
``segments`` (CSV, TSV or Excel), checks them, and returns typed tables in a
:class:`~partner_study.io.Study`; or raises one :class:`StudyDataError` that lists every
problem as ``file: row N, column 'x': found ..., expected .... Fix: ...``.

Row numbers are those a spreadsheet shows: the header is row 1, the first record row 2;
blank rows count, a cell holding line breaks does not add rows. Values are shown with
invisible and control characters escaped (``'BE-0001\\u200b'``). Checks are vectorised: at
most :data:`MAX_ROWS_LISTED` rows are listed per file, column and kind of problem, followed
by a count of the rest.

- :mod:`~partner_study.validate.folders`: a study folder (:func:`validate_study`) and
  several site folders pooled into one study (:func:`validate_sites`);
- :mod:`~partner_study.validate.tables`: the tables of a study, from files or held in
  memory (:func:`validate_tables`): participants, survey and roster;
- :mod:`~partner_study.validate.segments`: the coded segments;
- :mod:`~partner_study.validate.values`: each declared variable's text converted to its
  type, and the items of a Likert scale to their range and labels;
- :mod:`~partner_study.validate.columns`: the columns of each raw table
  (:func:`template_columns`, :data:`PARTICIPANT_COLUMNS`, :data:`SEGMENT_COLUMNS`) and the
  checks of a table's header;
- ``partner_study.validate._collect``: how problems are collected and shown.
"""

from __future__ import annotations

from partner_study.validate._collect import MAX_ROWS_LISTED
from partner_study.validate.columns import PARTICIPANT_COLUMNS, SEGMENT_COLUMNS, template_columns
from partner_study.validate.folders import validate_sites, validate_study
from partner_study.validate.tables import validate_tables

__all__ = [
    "MAX_ROWS_LISTED",
    "PARTICIPANT_COLUMNS",
    "SEGMENT_COLUMNS",
    "validate_study",
    "validate_tables",
    "validate_sites",
    "template_columns",
]
