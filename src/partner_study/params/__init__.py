"""Analysis parameters (``params/<study>.yaml``): loading, defaults and validation.

Layer 2. Parameters say what to analyse (which scale is engagement, which scales are the
experience outcomes, covariates, grouping, model kinds, thresholds); the codebook says
what the data are. :func:`load_params` checks the whole file before any notebook runs:
every key's type and range against one schema (:data:`SCHEMA`, JSON Schema), the study
name (it becomes a folder name), the data folders (inside the project), and every name
against the codebook. Each problem names the file, the key, what was found, what was
expected and the fix; the notebooks receive only checked values.

Modules, by concept:

- :mod:`~partner_study.params.schema`: every key's type and range (:data:`SCHEMA`,
  :func:`schema_problems`);
- :mod:`~partner_study.params.defaults`: the defaults, the parameters of a run and their
  hash (:data:`DEFAULTS`, :class:`Params`, :func:`params_hash`);
- :mod:`~partner_study.params.loading`: reading a parameters file (:func:`load_params`);
- :mod:`~partner_study.params.checks`: the names checked against the codebook
  (:func:`check_params`);
- :mod:`~partner_study.params.context`: what a notebook needs to run
  (:func:`run_context`, :class:`RunContext`).
"""

from __future__ import annotations

from partner_study.params.checks import check_params
from partner_study.params.context import LAB_FOLDER as LAB_FOLDER
from partner_study.params.context import RunContext, run_context
from partner_study.params.defaults import DEFAULTS, Params, params_hash
from partner_study.params.loading import load_params
from partner_study.params.schema import SCHEMA, schema_problems

__all__ = [
    "DEFAULTS",
    "SCHEMA",
    "Params",
    "RunContext",
    "load_params",
    "check_params",
    "run_context",
    "params_hash",
    "schema_problems",
]
