"""Disclosure control: what may leave the study about a person.

Layer 3 (analysis). One concept, one home; preparation (:mod:`partner_study.prepare`), the
descriptive, qualitative, regression and integration stages and the report call it.

Identifiers in texts:

- :mod:`~partner_study.disclosure.gate`: the disclosure gate on free text
  (:func:`redact_text`, :func:`redact_segments`), pseudonyms for source documents
  (:func:`pseudonymise_documents`) and the roster of names (:func:`read_roster`);
- :mod:`~partner_study.disclosure.patterns`: what the gate looks for (e-mail and web
  addresses, phone numbers, dates, health and national identifiers and postcodes in the
  formats of English, French, Dutch, German, Norwegian and Spanish speaking sites);
- :mod:`~partner_study.disclosure.names`: the names of a roster, found however they are
  written (:func:`find_names`);
- :mod:`~partner_study.disclosure.prefilter`: how a million texts are searched in seconds.

Each identifier found becomes ``[email]``, ``[url]``, ``[phone]``, ``[date]``, ``[id]``,
``[postcode]`` or ``[name]``; everything else in a text is left exactly as it was.

Small counts in tables:

- :mod:`~partner_study.disclosure.suppress`: what each stage calls to release its count
  tables (:func:`suppress_characteristics`, :func:`suppress_likert`,
  :func:`suppress_scales_by_role`,
  :func:`suppress_codes`, :func:`suppress_cooccurrence`, :func:`suppress_statistics`,
  :func:`hide_like_codes`);
- :mod:`~partner_study.disclosure.pooling`: sites too small for a by-site analysis are
  pooled (:func:`pool_small_groups`);
- :mod:`~partner_study.disclosure.audit`: the audit of a run's released tables
  (:func:`audit_tables`, :func:`check_audit`), and its criterion;
- :mod:`~partner_study.disclosure.release`, :mod:`~partner_study.disclosure.structure`,
  :mod:`~partner_study.disclosure.structure_coded`: what a table releases, as linear
  facts; :mod:`~partner_study.disclosure.bounds`: the feasible range of a hidden count
  (an integer programme); :mod:`~partner_study.disclosure.protect`: complementary
  suppression.
"""

from partner_study.disclosure.audit import AUDIT_COLUMNS, audit_tables, check_audit
from partner_study.disclosure.gate import (
    pseudonymise_documents,
    read_roster,
    redact_segments,
    redact_text,
)
from partner_study.disclosure.names import build_roster, find_names
from partner_study.disclosure.patterns import REDACTION_KINDS
from partner_study.disclosure.pooling import POOLED_SITES, pool_small_groups
from partner_study.disclosure.structure import AUDITED_TABLES, printed_total
from partner_study.disclosure.suppress import (
    hide_like_codes,
    suppress_characteristics,
    suppress_codes,
    suppress_cooccurrence,
    suppress_likert,
    suppress_scales_by_role,
    suppress_statistics,
)

__all__ = [
    "REDACTION_KINDS",
    "redact_text",
    "redact_segments",
    "pseudonymise_documents",
    "read_roster",
    "build_roster",
    "find_names",
    "AUDIT_COLUMNS",
    "AUDITED_TABLES",
    "POOLED_SITES",
    "audit_tables",
    "check_audit",
    "pool_small_groups",
    "printed_total",
    "suppress_characteristics",
    "suppress_likert",
    "suppress_scales_by_role",
    "suppress_codes",
    "suppress_cooccurrence",
    "suppress_statistics",
    "hide_like_codes",
]
