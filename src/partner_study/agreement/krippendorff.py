"""Krippendorff's alpha for any number of coders, missing codes and four levels.

Layer 3 (analysis). Imports only :mod:`partner_study.errors` (layer 1); never reads or
writes files.

Implemented here from the coincidence-matrix formulation of Krippendorff (2011), vectorised
with numpy and scipy.sparse, so that it scales to hundreds of thousands of units.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from partner_study.agreement._checks import _check_choice, _data_error

__all__ = ["LEVELS", "krippendorff_alpha"]

#: Levels of measurement understood by :func:`krippendorff_alpha`.
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")

# Largest block (values x values) of the expected-disagreement sum held in memory at once.
_BLOCK_CELLS = 4_000_000


def _reliability_matrix(data: Any) -> tuple[np.ndarray, np.ndarray]:
    """Values (coders x units) and the mask of observed cells."""
    where = "krippendorff_alpha(reliability_data)"
    if isinstance(data, pd.DataFrame):
        arr = data.to_numpy()
    elif isinstance(data, np.ndarray):
        arr = data
    else:
        arr = np.asarray(data, dtype=object)
        if arr.ndim == 1 and arr.size and all(np.ndim(row) == 1 for row in arr):
            raise _data_error(
                where,
                "rows of different lengths",
                "a coders x units table",
                "pad missing codes with NaN so every coder has one cell per unit",
            )
    if arr.ndim != 2:
        raise _data_error(
            where,
            f"{arr.ndim}-D data of shape {arr.shape}",
            "a 2-D table: rows = coders, columns = units, NaN = not coded",
            "pivot the codes to one row per coder and one column per unit",
        )
    if arr.dtype.kind in "biu":
        return arr, np.ones(arr.shape, dtype=bool)
    if arr.dtype.kind == "f":
        return arr, ~np.isnan(arr)
    return arr, ~np.asarray(pd.isna(arr), dtype=bool)


def _numeric_values(values: np.ndarray, level: str) -> np.ndarray:
    """Observed values as floats, or a clear error for labels at a numeric level."""
    if values.dtype.kind in "biuf":
        return values.astype(float)
    inferred = pd.Series(values, dtype=object).infer_objects()
    if not (pd.api.types.is_numeric_dtype(inferred) or pd.api.types.is_bool_dtype(inferred)):
        shown = sorted({repr(v) for v in values if not isinstance(v, (int, float))})[:5]
        raise _data_error(
            "krippendorff_alpha(reliability_data)",
            f"non-numeric values {', '.join(shown)} at level={level!r}",
            f"numbers for the {level} level (ordered codes, e.g. 1-5)",
            "recode the labels to numbers in their order, or use level='nominal'",
        )
    return inferred.to_numpy(dtype=float)


def _delta(level: str, c: np.ndarray, k: np.ndarray, x: np.ndarray) -> Any:
    """Squared difference delta^2(c, k) between value positions c and k (broadcasting).

    For "ordinal", ``x`` holds the cumulative midpoints ``G_c - n_c / 2`` (see
    :func:`krippendorff_alpha`), so the ordinal metric is a squared difference of them.
    """
    if level == "nominal":
        return (c != k).astype(float)
    if level in ("ordinal", "interval"):
        return (x[c] - x[k]) ** 2
    total = x[c] + x[k]  # ratio
    diff = x[c] - x[k]
    return np.divide(diff, total, out=np.zeros(np.broadcast(c, k).shape), where=total != 0) ** 2


def _expected_sum(level: str, n_c: np.ndarray, x: np.ndarray) -> float:
    """sum_c sum_k n_c n_k delta^2(c, k), the numerator of expected disagreement."""
    n = n_c.sum()
    if level == "nominal":
        return float(n * n - np.sum(n_c * n_c))
    if level in ("ordinal", "interval"):  # sum n_c n_k (x_c - x_k)^2 = 2 n sum n_c (x_c - mean)^2
        centred = x - np.sum(n_c * x) / n
        return float(2.0 * n * np.sum(n_c * centred**2))
    n_values = len(n_c)  # ratio: no closed form, O(V^2) in blocks of values (not units)
    positions = np.arange(n_values)
    block = max(1, _BLOCK_CELLS // n_values)
    total = 0.0
    for start in range(0, n_values, block):
        rows = positions[start : start + block, None]
        d = _delta(level, rows, positions[None, :], x)
        total += float(np.sum(n_c[rows] * n_c[None, :] * d))
    return total


def krippendorff_alpha(reliability_data: Any, *, level: str = "nominal") -> float:
    """Krippendorff's alpha for any number of coders, missing codes and four levels.

    Parameters
    ----------
    reliability_data : DataFrame or 2-D array-like
        Rows = coders, columns = units, NaN/None = the coder did not code the unit. Values
        may be numbers or (level "nominal" only) strings.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement, which sets the difference function.

    Returns
    -------
    float
        Alpha (1 = perfect agreement, 0 = chance, negative = systematic disagreement).
        NaN when alpha is undefined: no unit has two or more values (e.g. all missing, or
        one coder), or all pairable values are the same (no variation to agree on).

    Raises
    ------
    StudyDataError
        When the data are not 2-D, values are not numeric at a numeric level, or ratio
        values are negative.
    ParamsError
        When ``level`` is not one of :data:`LEVELS`.

    Notes
    -----
    Coincidence-matrix formulation (Krippendorff 2011). With :math:`m_u` values in unit
    :math:`u` (units with :math:`m_u < 2` are not pairable and drop out) and :math:`n_{uc}`
    of them equal to :math:`c`, the coincidences are
    :math:`o_{ck} = \\sum_u (n_{uc} n_{uk} - [c = k] n_{uc}) / (m_u - 1)`, the margins
    :math:`n_c = \\sum_k o_{ck}`, :math:`n = \\sum_c n_c`, and

    .. math:: \\alpha = 1 - (n - 1) \\frac{\\sum_{c,k} o_{ck}\\,\\delta^2_{ck}}
              {\\sum_{c,k} n_c n_k\\,\\delta^2_{ck}}

    with :math:`\\delta^2_{ck}` = :math:`[c \\ne k]` (nominal);
    :math:`(\\sum_{g=c}^{k} n_g - (n_c + n_k)/2)^2` (ordinal, over ranked values);
    :math:`(c - k)^2` (interval); :math:`((c - k)/(c + k))^2` (ratio).
    The matrix is built from per-unit value counts with a sparse product, so the cost is
    linear in the number of coded cells. The ordinal metric equals :math:`(t_k - t_c)^2`
    with cumulative midpoints :math:`t_c = \\sum_{g \\le c} n_g - n_c/2`, so the
    expected-disagreement sum is closed-form for nominal, ordinal and interval data; for
    ratio data it is :math:`O(V^2)` in the number :math:`V` of distinct values. Two coders
    x 200,000 units take a few hundredths of a second from a NumPy array; a pandas
    DataFrame with hundreds of thousands of *string* columns is slow to build and convert
    in pandas itself, so pass large string data as a 2-D NumPy object array (or use
    :func:`agreement_by_code` on long-format segments).

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School for
    Communication, University of Pennsylvania. https://repository.upenn.edu/asc_papers/43

    Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard reliability
    measure for coding data. Communication Methods and Measures, 1(1), 77-89.
    https://doi.org/10.1080/19312450709336664

    Examples
    --------
    Binary data of two coders (Krippendorff 2011, section A):

    >>> coder_a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    >>> coder_b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    >>> round(krippendorff_alpha([coder_a, coder_b], level="nominal"), 3)
    0.095
    """
    _check_choice("level", level, LEVELS)
    arr, observed = _reliability_matrix(reliability_data)
    unit_of = np.nonzero(observed)[1]
    values = arr[observed]
    per_unit = np.bincount(unit_of, minlength=arr.shape[1])
    pairable = per_unit[unit_of] >= 2
    unit_of, values = unit_of[pairable], values[pairable]
    if values.size == 0:
        return math.nan
    if level == "nominal":
        codes, uniques = pd.factorize(values)
        x = np.zeros(len(uniques))
    else:
        x, codes = np.unique(_numeric_values(values, level), return_inverse=True)
        if level == "ratio" and x[0] < 0:
            raise _data_error(
                "krippendorff_alpha(reliability_data)",
                f"negative value {x[0]:g} at level='ratio'",
                "values >= 0 (a ratio scale has an absolute zero)",
                "use level='interval' for data that can be negative",
            )
    n_values = int(codes.max()) + 1
    n_c = np.bincount(codes, minlength=n_values).astype(float)
    if n_values < 2:
        return math.nan
    if level == "ordinal":
        # sum_{g=c..k} n_g - (n_c + n_k) / 2 = t_k - t_c with t = G - n / 2, G = cumsum(n)
        x = np.cumsum(n_c) - n_c / 2.0
    # Counts n_uc as a sparse units x values matrix; weights 1 / (m_u - 1).
    n_units = arr.shape[1]
    counts = sparse.csr_array((np.ones(codes.size), (unit_of, codes)), shape=(n_units, n_values))
    m_u = per_unit.astype(float)
    weight = np.divide(1.0, m_u - 1.0, out=np.zeros(n_units), where=m_u >= 2)
    coincid = (counts.T @ (sparse.diags_array(weight) @ counts)).tocoo()
    # The diagonal correction of o_cc does not matter: delta^2(c, c) = 0 at every level.
    d_obs = float(np.sum(coincid.data * _delta(level, coincid.row, coincid.col, x)))
    d_exp = _expected_sum(level, n_c, x)
    if d_exp <= 0:
        return math.nan
    return float(1.0 - (n_c.sum() - 1.0) * d_obs / d_exp)
