"""Vector helpers for columns of strings at survey scale.

Layer 1. pandas stores text as pyarrow strings; some of its operations on them still go
through Python objects (``Series.isin`` builds one Python scalar per value to look up:
about a second and a half for a million segment rows). These helpers use pyarrow's
compute kernels where both sides are arrow-backed and fall back to pandas otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["isin", "published", "PUBLISHED_DIGITS"]

#: Significant digits of every number the package publishes (tidy CSVs, figure coordinates).
#: More than any paper reports, and few enough that last-bit differences between machines
#: (BLAS kernels, thread counts, compilers) do not reach what is written.
PUBLISHED_DIGITS = 8


def _arrow(values: object):
    """The pyarrow (chunked) array behind a pandas column, or None."""
    array = getattr(values, "array", values)
    to_arrow = getattr(array, "__arrow_array__", None)
    return to_arrow() if to_arrow is not None else None


def isin(values: pd.Series | pd.Index, pool: Iterable) -> np.ndarray:
    """``values.isin(pool)`` as a boolean numpy array (missing matches missing, as pandas).

    Examples
    --------
    >>> import pandas as pd
    >>> isin(pd.Series(["a", "b", None], dtype="str"), pd.Series(["b", "c"], dtype="str"))
    array([False,  True, False])
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    def text(array) -> bool:
        return array is not None and (
            pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
        )

    left = _arrow(values)
    if text(left):
        if isinstance(pool, pd.Series | pd.Index):
            right = _arrow(pool)
        else:
            items = list(pool)
            right = (
                pa.array(items, type=left.type) if all(isinstance(v, str) for v in items) else None
            )
        if text(right):
            if isinstance(right, pa.ChunkedArray):
                right = right.combine_chunks()
            found = pc.is_in(left, value_set=right.cast(left.type), skip_nulls=False)
            return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
    return np.asarray(pd.Series(values).isin(pool), dtype=bool)


def published(values, digits: int = PUBLISHED_DIGITS):
    """``values`` rounded to ``digits`` significant digits, as the tidy tables publish them.

    Figures are drawn from these values, not from the full-precision results, so that a
    figure is exactly as reproducible as the table it shows: two machines whose BLAS
    kernels give results differing in the last bits write the same table and, drawn from
    the same rounded values, the same figure (coordinates, clip paths and their ids).

    Parameters
    ----------
    values : DataFrame, Series, ndarray or float
        Numbers; in a DataFrame only the float columns are rounded, other columns are
        returned as they are. Missing values stay missing.
    digits : int
        Significant digits (default: :data:`PUBLISHED_DIGITS`, the CSV float format's).

    Returns
    -------
    Same type as ``values``, with each float replaced by the float its ``%.{digits}g``
    text reads back as.

    Examples
    --------
    >>> published(0.1 + 0.2)
    0.3
    >>> published(np.array([1 / 3, np.nan, -2.5e-12]))
    array([ 3.3333333e-01,            nan, -2.5000000e-12])
    """
    fmt = f"{{:.{digits}g}}"

    def one(x: float) -> float:
        return float(fmt.format(x)) if np.isfinite(x) else x

    if isinstance(values, pd.DataFrame):
        out = values.copy()
        for column in out.columns:
            if pd.api.types.is_float_dtype(out[column]):
                out[column] = published(out[column], digits)
        return out
    if isinstance(values, pd.Series):
        array = values.to_numpy(dtype=float, na_value=np.nan)
        return pd.Series(published(array, digits), index=values.index, name=values.name)
    if np.ndim(values) == 0:
        return one(float(values))
    array = np.asarray(values, dtype=float)
    return np.array([one(x) for x in array.ravel()], dtype=float).reshape(array.shape)
