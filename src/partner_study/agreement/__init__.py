"""Intercoder agreement: percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha.

Layer 3 (analysis). Imports only :mod:`partner_study.errors` (layer 1); never reads or
writes files.

Cohen's and Fleiss' kappa are computed by :mod:`statsmodels.stats.inter_rater`; this package
shapes the input, checks it, and returns tidy results. Krippendorff's alpha is implemented
here from the coincidence-matrix formulation of Krippendorff (2011), vectorised with numpy and
scipy.sparse, so that it scales to hundreds of thousands of units.

- :mod:`~partner_study.agreement.percent`: percent agreement of two coders, over units
  (:func:`percent_agreement`) or characters as NVivo counts them
  (:func:`percent_agreement_chars`);
- :mod:`~partner_study.agreement.kappa`: Cohen's kappa, unweighted or weighted, with its
  standard error (:func:`cohen_kappa`, :func:`cohen_kappa_table`,
  :class:`CohenKappaResult`), and Fleiss' kappa for several raters (:func:`fleiss_kappa`);
- :mod:`~partner_study.agreement.krippendorff`: Krippendorff's alpha for any number of
  coders, missing codes and four levels of measurement (:func:`krippendorff_alpha`,
  :data:`LEVELS`);
- :mod:`~partner_study.agreement.by_code`: the processed ``segments`` table (one row per
  coded segment per coder per code) turned into the tidy ``tables/agreement.csv`` of the
  output contract (:func:`agreement_by_code`, :data:`AGREEMENT_COLUMNS`). A study coded by
  a single coder (e.g. reflexive thematic analysis) is a valid design: the table then says
  so in one row instead of reporting statistics (:data:`SINGLE_CODER_NOTE`).
"""

from __future__ import annotations

from partner_study.agreement.by_code import (
    AGREEMENT_COLUMNS,
    SINGLE_CODER_NOTE,
    agreement_by_code,
)
from partner_study.agreement.kappa import (
    CohenKappaResult,
    cohen_kappa,
    cohen_kappa_table,
    fleiss_kappa,
)
from partner_study.agreement.krippendorff import LEVELS, krippendorff_alpha
from partner_study.agreement.percent import percent_agreement, percent_agreement_chars

__all__ = [
    "AGREEMENT_COLUMNS",
    "LEVELS",
    "SINGLE_CODER_NOTE",
    "CohenKappaResult",
    "agreement_by_code",
    "cohen_kappa",
    "cohen_kappa_table",
    "fleiss_kappa",
    "krippendorff_alpha",
    "percent_agreement",
    "percent_agreement_chars",
]
