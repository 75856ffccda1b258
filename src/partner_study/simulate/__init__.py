"""Seed-grounded simulated partnership studies with known truth.

Layer 3 (pure: returns tables and the truth; writing is done by
:mod:`partner_study.writer`).

The generator follows the studies the example is grounded in: Belgian hospitals
(Interreg: patients in focus groups, professionals interviewed; common language,
listening and teamwork shared, information sharing divergent), Quebec establishments
(partnership model: experiential knowledge, engagement continuum information ->
partnership), Norwegian municipalities (internal facilitators, patient networks,
management support) and a Sussex MSK partnership (critical friend, supportive ally).

Known truth
-----------
Experience scale scores are drawn first. The engagement *true score* is
``T = b0 + sum_k beta_k * score_k + beta_role * professional + u_site + e``; each
engagement item is ``floor(T + d_j + U(0, 1))`` with ``U`` uniform dither, so that
``E[item | T] = T`` exactly while ``1 <= T + d_j <= 5``. Hence the coefficients
``beta_k`` are the true effects of the observed experience scores on the expected
engagement score (the joint model). Site intercepts ``u_site`` are independent of the
experience scores. Item non-response is missing completely at random.

Modules, by concept
-------------------
- :mod:`~partner_study.simulate.truth`: sizes, true effects, variances and rates
  (:data:`SIZES`, :data:`TRUE_EFFECTS`);
- :mod:`~partner_study.simulate.vocabulary`: the example's seed sites, code prevalences
  by role, quote templates and roster names (:data:`SITES`, :data:`PREVALENCE`);
- :mod:`~partner_study.simulate.study`: participants and survey, and the study as a whole
  (:func:`simulate_study`, :class:`SimulatedStudy`, :func:`example_codebook_text`);
- :mod:`~partner_study.simulate.segments`: the coded segments, the roster and the
  identifiers planted in a few segments.
"""

from __future__ import annotations

from partner_study.simulate.study import SimulatedStudy, example_codebook_text, simulate_study
from partner_study.simulate.truth import SIZES, TRUE_EFFECTS
from partner_study.simulate.vocabulary import PREVALENCE as PREVALENCE
from partner_study.simulate.vocabulary import SITES

__all__ = [
    "SIZES",
    "SITES",
    "TRUE_EFFECTS",
    "SimulatedStudy",
    "example_codebook_text",
    "simulate_study",
]
