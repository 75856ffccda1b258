"""The tidy regression frame every model function returns (DESIGN §5).

One row per estimate, with the columns of :data:`REGRESSION_COLUMNS`:

``model, dependent, term, estimate, std_error, ci_low, ci_high, p_value,
p_adjusted, n, n_groups, cov_type`` (the contract of ``tables/regression.csv``)
followed by ``outcome, n_dropped, converged, note``.

Warnings raised by statsmodels while fitting (convergence, boundary, singular
Hessian) are caught and reported in ``converged`` / ``note``, never leaked and
never swallowed.

Layer 3 (analysis), part of :mod:`partner_study.models`; never reads or writes files.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from partner_study.models._formula import _clean_term

__all__ = ["REGRESSION_COLUMNS", "ALL_OUTCOMES", "SKIPPED"]

#: Columns of the tidy regression frame, in order (DESIGN §5 + extras).
REGRESSION_COLUMNS: tuple[str, ...] = (
    "model",
    "dependent",
    "term",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "n",
    "n_groups",
    "cov_type",
    "outcome",
    "n_dropped",
    "converged",
    "note",
)


#: ``outcome`` value of models that hold every outcome at once.
ALL_OUTCOMES = "(all)"

#: ``term`` of the one row of a model that was not fitted (its ``note`` says why).
SKIPPED = "(skipped)"


_MODEL_BASED = "model-based"


def _messages(caught: list[warnings.WarningMessage]) -> list[str]:
    return list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))


def _join(*parts: str | Sequence[str]) -> str:
    flat: list[str] = []
    for part in parts:
        flat.extend([part] if isinstance(part, str) else list(part))
    return "; ".join(dict.fromkeys(p for p in flat if p))


def _tidy(
    *,
    model: str,
    dependent: str,
    terms: Sequence[str],
    estimate,
    std_error,
    ci_low,
    ci_high,
    p_value,
    n: int,
    n_groups: int | None,
    cov_type: str,
    outcome: str,
    n_dropped: int,
    converged: bool,
    note: str | Sequence[str],
) -> pd.DataFrame:
    k = len(terms)
    notes = [note] * k if isinstance(note, str) else list(note)

    def num(values) -> np.ndarray:
        return np.broadcast_to(np.asarray(values, dtype=float), (k,)).copy()

    return pd.DataFrame(
        {
            "model": [model] * k,
            "dependent": [dependent] * k,
            "term": [_clean_term(str(t)) for t in terms],
            "estimate": num(estimate),
            "std_error": num(std_error),
            "ci_low": num(ci_low),
            "ci_high": num(ci_high),
            "p_value": num(p_value),
            "p_adjusted": np.full(k, np.nan),
            "n": pd.array([n] * k, dtype="Int64"),
            "n_groups": pd.array([n_groups] * k, dtype="Int64"),
            "cov_type": [cov_type] * k,
            "outcome": [outcome] * k,
            "n_dropped": pd.array([n_dropped] * k, dtype="Int64"),
            "converged": np.full(k, bool(converged)),
            "note": notes,
        },
        columns=list(REGRESSION_COLUMNS),
    )


def _empty() -> pd.DataFrame:
    return _tidy(
        model="",
        dependent="",
        terms=[],
        estimate=[],
        std_error=[],
        ci_low=[],
        ci_high=[],
        p_value=[],
        n=0,
        n_groups=None,
        cov_type="",
        outcome="",
        n_dropped=0,
        converged=True,
        note=[],
    )


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty()
    return pd.concat(frames, ignore_index=True)


def _skipped(
    *,
    model: str,
    dependent: str,
    n: int,
    n_groups: int | None,
    outcome: str,
    n_dropped: int,
    note: str,
) -> pd.DataFrame:
    return _tidy(
        model=model,
        dependent=dependent,
        terms=[SKIPPED],
        estimate=np.nan,
        std_error=np.nan,
        ci_low=np.nan,
        ci_high=np.nan,
        p_value=np.nan,
        n=n,
        n_groups=n_groups,
        cov_type=_MODEL_BASED,
        outcome=outcome,
        n_dropped=n_dropped,
        converged=False,
        note=note,
    )
