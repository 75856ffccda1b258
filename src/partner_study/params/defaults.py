"""The parameters of a run: their defaults, the checked values and their hash.

Layer 2. :data:`DEFAULTS` fills every key a parameters file leaves out; :class:`Params`
holds the values the notebooks receive; :func:`params_hash` identifies them in the
manifest.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from partner_study.config import FIGURE_FORMATS, MODEL_KINDS

__all__ = ["DEFAULTS", "Params", "params_hash"]

DEFAULTS: dict[str, Any] = {
    "seed": 20231121,
    "describe": {"by": "role", "suppress_below": 5},
    "qualitative": {"quotes_per_theme": 1, "quote_max_chars": 240, "divergence_threshold": 20},
    "regression": {
        "dependent": None,  # default: the codebook's first scale
        "outcomes": None,  # default: every other scale
        "covariates": [],
        "groups": None,  # default: the codebook's site column
        "models": list(MODEL_KINDS),
        "ordinal_dependent": None,  # default: the codebook's engagement_level, if declared
        "ordinal_levels": None,  # default: the order the codebook declares
        "ordinal_site": None,  # default: cluster under cov_type cluster, else none
        "cov_type": "HC3",
        "standardize": False,
        "sensitivity": {"imputations": 20},
    },
    "figures": {"formats": list(FIGURE_FORMATS)},
}


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class Params:
    """Parameters of one study run, defaults filled in."""

    study: str
    data: tuple[str, ...]
    values: dict[str, Any]
    source: str

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def regression(self) -> dict[str, Any]:
        return self.values["regression"]


def params_hash(params: Params) -> str:
    """sha256 of the parameters in canonical JSON."""
    blob = json.dumps(
        {"study": params.study, "data": list(params.data), **params.values},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()
