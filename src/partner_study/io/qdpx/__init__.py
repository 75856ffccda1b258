"""REFI-QDA: projects (``.qdpx``) and codebooks (``.qdc``) of QDA software.

Layer 2. :func:`import_qdpx` turns a project exchanged by NVivo, ATLAS.ti, MAXQDA,
QualCoder and other QDA software into a draft study of coded segments;
:func:`codes_section` drafts the ``themes:`` and ``codes:`` of a codebook from a codebook
file (``.qdc``, a project, or a code list). By concept:

- :mod:`~partner_study.io.qdpx.archive`: guarded reading of the archive, its XML and texts;
- :mod:`~partner_study.io.qdpx.project`: users, codes, sets, cases and variables;
- :mod:`~partner_study.io.qdpx.selections`: coded selections and the text they cover;
- :mod:`~partner_study.io.qdpx.people`: participants from documents, speakers, a facesheet;
- :mod:`~partner_study.io.qdpx.codebook`: codes and themes of a codebook file;
- :mod:`~partner_study.io.qdpx.draft`: the draft study and parameters (shared with the
  other importers of coded segments);
- :mod:`~partner_study.io.qdpx.importer`: :func:`import_qdpx`.

Example
-------
>>> from partner_study.io.qdpx import import_qdpx
>>> raw = import_qdpx("interviews.qdpx", site="site_a", role="carer")  # doctest: +SKIP
"""

from partner_study.io.qdpx.codebook import codes_section, read_code_list
from partner_study.io.qdpx.importer import import_qdpx
from partner_study.io.qdpx.project import MAX_CODE_DEPTH

__all__ = ["import_qdpx", "codes_section", "read_code_list", "MAX_CODE_DEPTH"]
