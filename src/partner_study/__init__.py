"""partner-study: reproducible mixed-methods analysis of patient partnership.

``import partner_study as ps`` gives the layers notebooks use::

    ps.config, ps.errors                          # 1. paths, constants, exceptions
    ps.codebook, ps.io, ps.validate, ps.params    # 2. the study contract and its checks
    ps.scales, ps.describe, ps.prepare, ...       # 3. analysis (pure functions)
    ps.figures, ps.writer                         # 4. figures and the deterministic writer

The runner (:mod:`partner_study.pipeline`) and the command line (:mod:`partner_study.cli`)
are imported on their own.
"""

__version__ = "0.1.0"

from partner_study import (  # noqa: E402
    agreement,
    codebook,
    config,
    describe,
    errors,
    figures,
    integrate,
    io,
    models,
    params,
    prepare,
    provenance,
    qualitative,
    report,
    scales,
    simulate,
    tables,
    validate,
    writer,
)

__all__ = [
    "__version__",
    "agreement",
    "codebook",
    "config",
    "describe",
    "errors",
    "figures",
    "integrate",
    "io",
    "models",
    "params",
    "prepare",
    "provenance",
    "qualitative",
    "report",
    "scales",
    "simulate",
    "tables",
    "validate",
    "writer",
]
