"""Percent agreement of two coders: over units, and over characters as NVivo counts it.

Layer 3 (analysis). Imports only :mod:`partner_study.errors` (layer 1); never reads or
writes files.

Percent agreement ignores chance agreement: report it beside Cohen's kappa or
Krippendorff's alpha (:mod:`partner_study.agreement.kappa`,
:mod:`partner_study.agreement.krippendorff`), not instead of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from partner_study.agreement._checks import _data_error, _paired_labels

__all__ = ["percent_agreement", "percent_agreement_chars"]


def percent_agreement(a: Sequence[Any] | pd.Series, b: Sequence[Any] | pd.Series) -> float:
    """Percent agreement of two coders over the same units, in percent (0-100).

    Parameters
    ----------
    a, b : sequence or Series
        The two coders' codes (labels of any type) for the same units, in the same order.
        NaN or None marks a unit the coder did not code; such units are dropped pairwise.

    Returns
    -------
    float
        ``100 * (units with the same code) / (units coded by both)``; NaN when no unit was
        coded by both.

    Raises
    ------
    StudyDataError
        When ``a`` and ``b`` have different lengths or are not 1-D.

    Notes
    -----
    :math:`P_o = 100 \\cdot \\frac{1}{N} \\sum_{u=1}^{N} [a_u = b_u]` over the :math:`N` units
    coded by both coders. Percent agreement ignores chance agreement; report it beside
    :func:`cohen_kappa` or :func:`krippendorff_alpha`, not instead of them.

    References
    ----------
    O'Connor, C., & Joffe, H. (2020). Intercoder reliability in qualitative research: debates
    and practical guidelines. International Journal of Qualitative Methods, 19.
    https://doi.org/10.1177/1609406919899220

    Examples
    --------
    >>> round(percent_agreement(["a", "b", "b", None], ["a", "b", "c", "c"]), 1)
    66.7
    """
    a_obs, b_obs = _paired_labels(a, b, where="percent_agreement(a, b)")
    if a_obs.size == 0:
        return math.nan
    return 100.0 * float(np.mean(a_obs == b_obs))


def percent_agreement_chars(both: Any, one_only: Any, neither: Any) -> Any:
    """Character-level percent agreement of two coders, as NVivo's coding comparison.

    Parameters
    ----------
    both : int or array-like
        Characters coded (with the code) by both coders.
    one_only : int or array-like
        Characters coded by one coder only.
    neither : int or array-like
        Characters coded by neither coder.

    Returns
    -------
    float or numpy.ndarray
        Percent agreement (0-100); an array when array-likes are given (e.g. one value per
        source and code).

    Raises
    ------
    StudyDataError
        When a count is negative or not finite, or a source has no characters.

    Notes
    -----
    NVivo counts a character as agreement when both coders coded it or neither did:
    :math:`100 \\cdot (n_{both} + n_{neither}) / (n_{both} + n_{one} + n_{neither})`.
    Long uncoded stretches inflate it; prefer kappa or alpha on segments.

    References
    ----------
    Lumivero. NVivo 14 help: "How are Coding Comparison results calculated?"
    https://help-nv.qsrinternational.com/14/win/Content/queries/coding-comparison-query.htm

    Examples
    --------
    >>> percent_agreement_chars(50, 150, 800)
    85.0
    """
    counts = [np.asarray(x, dtype=float) for x in (both, one_only, neither)]
    where = "percent_agreement_chars(both, one_only, neither)"
    for name, arr in zip(("both", "one_only", "neither"), counts, strict=True):
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise _data_error(
                where,
                f"{name}={arr.tolist()!r}",
                "non-negative character counts",
                "pass the numbers of characters from the coding comparison",
            )
    total = counts[0] + counts[1] + counts[2]
    if np.any(total <= 0):
        raise _data_error(
            where,
            "a source with 0 characters",
            "at least one character per source",
            "drop empty sources before comparing",
        )
    result = 100.0 * (counts[0] + counts[2]) / total
    return float(result) if result.ndim == 0 else result
