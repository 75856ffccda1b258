"""Qualitative code statistics, co-occurrence, exemplar quotes and the disclosure gate.

Layer 3 (analysis): functions take the processed ``segments`` and ``participants``
frames (schemas in ``docs/data-contract.md``) and return new tidy frames. Nothing
here reads or writes files.

Counting unit
-------------
``segments`` holds one row per coded segment **per coder per code**. A segment
(``segment_id``) coded by two coders is one stretch of text, so every count here
is taken over the *union of coders*: a segment counts once for a code when at
least one coder applied that code to it. Intercoder agreement lives in
:mod:`partner_study.agreement`.

Disclosure gate
---------------
Quotes leave the study only through :func:`partner_study.disclosure.redact_text`
(re-exported here as :func:`redact_text`), which replaces e-mail and web addresses,
phone numbers, dates, health and national identifiers, postcodes, participant ids and the
names of a roster with ``[email]``, ``[url]``, ``[phone]``, ``[date]``, ``[id]``,
``[postcode]`` and ``[name]``. :func:`select_quotes` applies it to every quote and
:func:`disclosure_report` states what was removed and checks, names of the roster
included, that nothing detectable is left.

Modules, by concept
-------------------
- :mod:`~partner_study.qualitative.codes`: code and theme counts by role or site
  (:func:`table_codes`, :func:`code_tables`, :func:`themes_by_role`, :data:`THEME_ROW`);
- :mod:`~partner_study.qualitative.silent`: focus-group members with no coded segment,
  kept in the denominators (:func:`silent_members`);
- :mod:`~partner_study.qualitative.cooccurrence`: pairs of codes within a segment or a
  participant (:func:`table_cooccurrence`);
- :mod:`~partner_study.qualitative.quotes`: exemplar quotes (:func:`select_quotes`);
- :mod:`~partner_study.qualitative.gate`: the disclosure gate of the quotes
  (:func:`disclosure_report`, :func:`check_disclosure`).
"""

from __future__ import annotations

from partner_study.disclosure import REDACTION_KINDS, redact_text
from partner_study.qualitative.codes import THEME_ROW, code_tables, table_codes, themes_by_role
from partner_study.qualitative.cooccurrence import table_cooccurrence
from partner_study.qualitative.gate import check_disclosure, disclosure_report
from partner_study.qualitative.quotes import select_quotes
from partner_study.qualitative.silent import silent_members

__all__ = [
    "silent_members",
    "THEME_ROW",
    "REDACTION_KINDS",
    "table_codes",
    "code_tables",
    "table_cooccurrence",
    "themes_by_role",
    "redact_text",
    "select_quotes",
    "disclosure_report",
    "check_disclosure",
]
