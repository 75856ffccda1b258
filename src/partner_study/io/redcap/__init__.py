"""Import a REDCap project (data export + data dictionary) as a draft study.

Layer 2. :func:`import_redcap` turns a REDCap "CSV / Microsoft Excel (raw data)" export and
the project's data dictionary into a :class:`partner_study.io.RawStudy`: a draft
``codebook.yaml`` built from the dictionary, and ``participants`` / ``survey`` tables in the
raw data contract. :func:`partner_study.writer.write_raw_study` writes it as a study folder.

- :mod:`~partner_study.io.redcap.importer`: :func:`import_redcap`, and the scales found
  among the project's fields;
- :mod:`~partner_study.io.redcap.dictionary`: the data dictionary read into one draft
  variable per data column (field types, choices, checkbox options, identifiers);
- :mod:`~partner_study.io.redcap.records`: the records kept (one event of a longitudinal
  project, no repeating instruments), their record ids, and the columns the dictionary
  does not describe.

The draft-building helpers that every importer shares live in ``partner_study.io._draft``
(variables, scales, the codebook text), ``partner_study.io._source`` (the source table,
site and role) and ``partner_study.io._naming`` (identifiers, quoted values).

Example
-------
>>> from partner_study.io.redcap import import_redcap
>>> raw = import_redcap("export.csv", "dictionary.csv", site="site_a",
...                     role="carer")                           # doctest: +SKIP
>>> print("\\n".join(raw.notes))                                # doctest: +SKIP
"""

from __future__ import annotations

from partner_study.io._draft import LIKERT_POINTS, MAX_OFF_CODES, MIN_BLOCK_ITEMS, RESERVED
from partner_study.io.redcap.importer import import_redcap

__all__ = ["import_redcap", "RESERVED", "MAX_OFF_CODES", "LIKERT_POINTS", "MIN_BLOCK_ITEMS"]
