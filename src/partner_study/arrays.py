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

__all__ = ["isin"]


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
