"""The study codebook (``codebook.yaml``): what the variables, scales and codes are.

Layer 2. The codebook describes the data; ``params/<study>.yaml`` describes the analysis.
:func:`read_codebook` parses and checks it, collecting every problem with its line number.

- :mod:`~partner_study.codebook.entries`: what a parsed codebook holds
  (:class:`Codebook`, :class:`Variable`, :class:`Scale`, :class:`Code`, :class:`Role`);
- :mod:`~partner_study.codebook.reading`: the document read and checked as a whole
  (:func:`read_codebook`, :func:`parse_codebook`): top-level keys, codes and themes, names
  declared twice;
- :mod:`~partner_study.codebook.roles`, :mod:`~partner_study.codebook.variables`,
  :mod:`~partner_study.codebook.scales`: the entries of the ``role`` and ``site``,
  ``variables`` and ``engagement_level``, and ``scales`` sections;
- ``partner_study.codebook._checker``: line numbers of the YAML keys, the problems found,
  labels and codes as text.

Example
-------
>>> from partner_study.codebook import parse_codebook
>>> cb = parse_codebook('''
... study: demo
... id: participant_id
... role: {column: role, levels: [carer, nurse]}
... site: site
... scales:
...   trust: {items: [tr_1, tr_2], range: [1, 5], min_items: 1}
... ''', source="codebook.yaml")
>>> cb.scales["trust"].items
('tr_1', 'tr_2')
"""

from __future__ import annotations

from partner_study.codebook.entries import (
    VARIABLE_TYPES,
    Code,
    Codebook,
    Role,
    Scale,
    Variable,
)
from partner_study.codebook.reading import parse_codebook, read_codebook
from partner_study.codebook.scales import MAX_SCALE_POINTS as MAX_SCALE_POINTS

__all__ = [
    "VARIABLE_TYPES",
    "Role",
    "Variable",
    "Scale",
    "Code",
    "Codebook",
    "parse_codebook",
    "read_codebook",
]
