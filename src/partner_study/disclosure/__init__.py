"""Disclosure control: what may leave the study about a person.

Layer 3 (analysis). One concept, one home; preparation (:mod:`partner_study.prepare`) and the
qualitative displays (:mod:`partner_study.qualitative`) call it.

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
"""

from partner_study.disclosure.gate import (
    pseudonymise_documents,
    read_roster,
    redact_segments,
    redact_text,
)
from partner_study.disclosure.names import build_roster, find_names
from partner_study.disclosure.patterns import REDACTION_KINDS

__all__ = [
    "REDACTION_KINDS",
    "redact_text",
    "redact_segments",
    "pseudonymise_documents",
    "read_roster",
    "build_roster",
    "find_names",
]
