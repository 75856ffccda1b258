"""Shape-driven simulated studies: any number of roles, scales, sites, coders and strands.

Layer 3 (pure data generation; it writes plain text files itself and imports nothing above
layer 3). :mod:`partner_study.simulate` makes the one example study; this package makes
studies of other *shapes*, so that the pipeline can be run on every kind of design a team
may bring: one to three roles named in English or French, one to seven scales of 2 to 10
response points stored as codes or as their labels, one to six sites, one to three coders,
a survey strand, a qualitative strand or both, an engagement scale, an ordinal engagement
level or no dependent at all, with or without a numeric participant variable.

* :class:`Shape` says what the study looks like (defaults: a small two-role study).
* :func:`simulate_shape` makes the raw tables and the codebook
  (a :class:`partner_study.simulate.SimulatedStudy`); :func:`write_shape` writes them as a
  study folder; :func:`params_text` gives the minimal ``params/<study>.yaml``.
* :data:`DESIGNS` are the five designs of the studies the project is grounded in;
  :func:`write_designs` writes them as ``<folder>/<name>/raw/`` + ``params.yaml`` (the
  committed copies are ``tests/data/designs/``; regenerate them with
  ``partner-study simulate --design all --out tests/data/designs``).
* :func:`pairwise_shapes` is a covering array: every pair of levels of :data:`FACTORS`
  that a study can have together appears in at least one shape.

Known truth
-----------
Each respondent has correlated latent experiences ``z_k ~ N(0, 1)`` (correlation 0.4), shifted
by role and site; the engagement latent is ``e = beta * sum_k z_k + role + site + N(0, 0.6)``
with ``beta`` set so that the experiences explain about half of its variance whatever their
number. An item answer is the latent plus item noise cut into the response points; the
ordinal engagement level is ``e`` plus logistic noise cut at -0.8, 0 and 0.8. Items are
missing completely at random (4%), except the first item of the first scale, which every
respondent answers (so the respondents of a Likert table are the answers to that item).
Each code is raised by a fixed share of the qualitative participants of each role (one
segment a mention); information sharing is planted as a divergence between the first two
roles; a second and third coder recode 40% of the segments with a 10% error rate.

Modules: :mod:`~partner_study.designs.vocabulary` (roles, labels and texts in English and
French), :mod:`~partner_study.designs.shape` (:class:`Shape`),
:mod:`~partner_study.designs.texts` (the codebook and parameters files),
:mod:`~partner_study.designs.simulation` (the tables, and writing a study folder) and
:mod:`~partner_study.designs.catalogue` (the five designs and the covering array).
"""

from partner_study.designs.catalogue import (
    DESIGNS,
    FACTORS,
    design_shape,
    effective_levels,
    pairwise_shapes,
    shape_levels,
    write_designs,
)
from partner_study.designs.shape import Shape, role_set
from partner_study.designs.simulation import simulate_shape, write_shape
from partner_study.designs.texts import params_text
from partner_study.designs.vocabulary import CODE_SETS, POINTS, RoleSpec

__all__ = [
    "CODE_SETS",
    "DESIGNS",
    "FACTORS",
    "POINTS",
    "RoleSpec",
    "Shape",
    "design_shape",
    "effective_levels",
    "pairwise_shapes",
    "params_text",
    "role_set",
    "shape_levels",
    "simulate_shape",
    "write_designs",
    "write_shape",
]
