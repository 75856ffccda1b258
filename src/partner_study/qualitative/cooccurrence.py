"""Co-occurrence of codes within a segment or a participant.

Layer 3 (analysis). Counted from the sparse segment-by-code incidence matrix (union of
coders), so the cost never grows with the square of the number of segments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from partner_study.errors import ParamsError
from partner_study.qualitative._frames import _distinct, _dtype, _require

__all__ = ["table_cooccurrence"]

_COOC_COLUMNS = ["code_a", "code_b", "n_segments", "n_participants"]


def _pairs_in_rows(indptr: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, ...]:
    """All (row, col_i, col_j), col_i < col_j, of the nonzeros of each CSR row.

    Vectorised; the work is sum over rows of k*(k-1)/2 for k nonzeros per row.
    """
    k = np.diff(indptr)
    rows = np.repeat(np.arange(len(k)), k)
    local = np.arange(len(indices)) - indptr[rows]
    partners = k[rows] - 1 - local
    first = np.repeat(np.arange(len(indices)), partners)
    starts = np.cumsum(partners) - partners
    offset = np.arange(len(first)) - np.repeat(starts, partners)
    second = first + 1 + offset
    return rows[first], indices[first], indices[second]


def table_cooccurrence(segments: pd.DataFrame, *, within: str = "segment") -> pd.DataFrame:
    """Pairs of codes applied to the same segment (or by the same participant).

    Parameters
    ----------
    segments : DataFrame
        Coded segments (segment_id, participant_id, code; one row per segment per
        coder per code).
    within : {"segment", "participant"}
        Unit within which two codes co-occur.

    Returns
    -------
    DataFrame
        One row per co-occurring pair, ``code_a < code_b``, sorted by code_a, code_b:

        - ``code_a``, ``code_b`` : str
        - ``n_segments`` : int, segments carrying both codes
        - ``n_participants`` : int; ``within="segment"``: participants with at least
          one segment carrying both codes; ``within="participant"``: participants
          who used both codes, in the same or different segments

        With ``within="segment"`` pairs with ``n_segments > 0`` are listed, with
        ``within="participant"`` pairs with ``n_participants > 0`` (``n_segments``
        may then be 0).

    Notes
    -----
    Let X be the binary segment-by-code incidence matrix (union of coders). Then
    ``n_segments = X'X`` (off-diagonal upper triangle), computed as a sparse product.
    At participant level P (participant-by-code, ``P = 1[Q X > 0]`` with Q the
    participant-by-segment incidence) gives ``n_participants = P'P``. The
    segment-level participant count needs the pairs inside each segment; they are
    enumerated from X's rows, so the cost grows with the square of the number of
    codes per segment (small), never with the square of the number of segments.
    """
    if within not in ("segment", "participant"):
        raise ParamsError(f"within={within!r} is not supported; use 'segment' or 'participant'")
    _require(segments, ["segment_id", "participant_id", "code"], name="segments")
    coded = segments[["segment_id", "participant_id", "code"]].dropna()
    seg_idx, _ = pd.factorize(coded["segment_id"])
    code_idx, code_names = pd.factorize(coded["code"], sort=True)
    part_idx, _ = pd.factorize(coded["participant_id"])
    n_seg, n_code = int(seg_idx.max(initial=-1)) + 1, len(code_names)
    if n_code < 2:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in _COOC_COLUMNS})
    ones = np.ones(len(seg_idx), dtype=np.int64)
    x = sparse.csr_matrix((ones, (seg_idx, code_idx)), shape=(n_seg, n_code))
    x.sum_duplicates()
    x.data[:] = 1
    x.sort_indices()
    seg_counts = sparse.triu(x.T @ x, k=1).tocsr()

    seg_part = np.zeros(n_seg, dtype=np.int64)
    seg_part[seg_idx] = part_idx
    if within == "segment":
        rows, a, b = _pairs_in_rows(x.indptr, x.indices)
        key = (seg_part[rows] * n_code + a) * n_code + b
        uniq = _distinct(key) % (n_code * n_code)
        part_counts = np.bincount(uniq, minlength=n_code * n_code).reshape(n_code, n_code)
        coo = seg_counts.tocoo()
        a, b, n_s = coo.row, coo.col, coo.data
        n_p = part_counts[a, b]
    else:
        q = sparse.csr_matrix(
            (np.ones(n_seg, dtype=np.int64), (seg_part, np.arange(n_seg))),
            shape=(int(part_idx.max()) + 1, n_seg),
        )
        p = q @ x
        p.data[:] = 1
        coo = sparse.triu(p.T @ p, k=1).tocoo()
        a, b, n_p = coo.row, coo.col, coo.data
        n_s = np.asarray(seg_counts[a, b]).ravel()
    keep = n_s > 0 if within == "segment" else n_p > 0
    order = np.lexsort((b[keep], a[keep]))
    names = np.asarray(code_names, dtype=object)
    return pd.DataFrame(
        {
            "code_a": pd.array(names[a[keep][order]], dtype="str"),
            "code_b": pd.array(names[b[keep][order]], dtype="str"),
            "n_segments": n_s[keep][order].astype("int64"),
            "n_participants": n_p[keep][order].astype("int64"),
        }
    )
