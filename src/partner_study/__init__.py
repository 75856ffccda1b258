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

import importlib as _importlib

#: Submodules reachable as ``ps.<name>``; each is imported on first use, so that the
#: command line (e.g. a run with nothing to do) starts without pandas or matplotlib.
_SUBMODULES = (
    "agreement",
    "codebook",
    "config",
    "describe",
    "disclosure",
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
    "scales_by_role",
    "shape",
    "simulate",
    "tables",
    "validate",
    "writer",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = _importlib.import_module(f"partner_study.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'partner_study' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
