"""Intercoder agreement per code, from the processed segments table.

Layer 3 (analysis). Imports only :mod:`partner_study.errors` (layer 1); never reads or
writes files.

:func:`agreement_by_code` turns the processed ``segments`` table (one row per coded segment
per coder per code) into the tidy ``tables/agreement.csv`` of the output contract. A study
coded by a single coder (e.g. reflexive thematic analysis) is a valid design: the table then
says so in one row instead of reporting statistics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from partner_study.agreement.kappa import cohen_kappa_table
from partner_study.errors import Problem, StudyDataError

__all__ = ["AGREEMENT_COLUMNS", "SINGLE_CODER_NOTE", "agreement_by_code"]

#: Columns of the table returned by :func:`agreement_by_code` (``tables/agreement.csv``).
AGREEMENT_COLUMNS: tuple[str, ...] = (
    "code",
    "n_units",
    "n_coders",
    "percent_agreement",
    "cohen_kappa",
    "krippendorff_alpha",
    "note",
)

#: Note of the one-row table returned for a single-coder design.
SINGLE_CODER_NOTE = (
    "single coder: agreement statistics are not computed "
    "(one coder, e.g. reflexive thematic analysis)"
)

_OVERALL = "(all codes)"


def _no_agreement(n_coders: int) -> pd.DataFrame:
    if n_coders == 1:
        note = SINGLE_CODER_NOTE
    elif n_coders == 0:
        note = "no coded segments: agreement statistics are not computed"
    else:
        note = (
            "no segment was coded by two or more coders: agreement statistics are not "
            "computed (double-code a sample of segments to report agreement)"
        )
    nan = [math.nan]
    return _agreement_frame(["(none)"], [0], [n_coders], nan, nan, nan, [note])


def _agreement_frame(
    code: list[str],
    n_units: list[int],
    n_coders: list[int],
    pct: list[float],
    kappa: list[float],
    alpha: list[float],
    note: list[str],
) -> pd.DataFrame:
    columns = (code, n_units, n_coders, pct, kappa, alpha, note)
    frame = pd.DataFrame(dict(zip(AGREEMENT_COLUMNS, columns, strict=True)))
    return frame.astype({"n_units": "int64", "n_coders": "int64"})


def _sorted_unique(x: np.ndarray) -> np.ndarray:
    """Sorted unique integers (a sort is much faster than numpy's hash path here)."""
    x = np.sort(x)
    return x[np.concatenate(([True], x[1:] != x[:-1]))] if x.size else x


def _binary_alpha(disagree: float, n_present: float, n_total: float) -> float:
    """Nominal alpha of presence/absence from o_01 + o_10 and the margins."""
    n_absent = n_total - n_present
    if n_absent <= 0 or n_present <= 0:
        return math.nan
    return 1.0 - (n_total - 1.0) * disagree / (2.0 * n_absent * n_present)


def _kappa_or_note(table: np.ndarray, n_coders: int) -> tuple[float, str]:
    if n_coders != 2:
        return math.nan, f"cohen_kappa needs exactly 2 coders (here {n_coders})"
    res = cohen_kappa_table(table)
    return res.kappa, res.note


@dataclass(frozen=True)
class _DecisionCounts:
    """Per-code sums over the double-coded segments (presence/absence decisions)."""

    codes: list[str]
    n_units: int
    n_coders: int
    pairs: float  # pairs of decisions within segments, per code
    n_values: float  # decisions per code (sum of m_u)
    disagree: np.ndarray  # disagreeing pairs, per code
    coincid_off: np.ndarray  # o_01 + o_10, per code
    present: np.ndarray  # decisions "present", per code
    tables: np.ndarray  # (codes, 2, 2) agreement tables when exactly two coders


def _decision_counts(seg: pd.DataFrame) -> _DecisionCounts | None:
    """Grouped counts behind :func:`agreement_by_code`; None when nothing is double-coded."""
    unit_ix, _ = pd.factorize(seg["segment_id"])
    coder_ix, _ = pd.factorize(seg["coder"].astype(str), sort=True)
    code_ix, code_labels = pd.factorize(seg["code"].astype(str), sort=True)
    n_coders_all, n_codes = int(coder_ix.max(initial=-1)) + 1, len(code_labels)
    # Deduplicate (segment, coder, code) and count coders per segment, on integer keys.
    triple = _sorted_unique(
        (unit_ix.astype(np.int64) * n_coders_all + coder_ix) * n_codes + code_ix
    )
    unit_coder = _sorted_unique(triple // n_codes)
    m_all = np.bincount(unit_coder // n_coders_all, minlength=int(unit_ix.max(initial=-1)) + 1)
    is_double = m_all >= 2
    if not is_double.any():
        return None
    position = np.cumsum(is_double) - 1  # segment -> index among double-coded segments
    m_u = m_all[is_double].astype(float)
    unit_t, coder_t = triple // n_codes // n_coders_all, (triple // n_codes) % n_coders_all
    keep = is_double[unit_t]
    unit_t, coder_t, code_t = position[unit_t[keep]], coder_t[keep], (triple % n_codes)[keep]
    coder_of_pair = unit_coder[is_double[unit_coder // n_coders_all]] % n_coders_all
    coders = np.flatnonzero(np.bincount(coder_of_pair, minlength=n_coders_all))
    n_units = len(m_u)
    # One entry per (code, segment) where k1 >= 1 coders applied the code (k0 did not).
    uniq, inverse, k1 = np.unique(
        code_t * n_units + unit_t, return_inverse=True, return_counts=True
    )
    by_first = np.bincount(inverse, weights=(coder_t == coders[0]).astype(float))
    code_of, m_of = uniq // n_units, m_u[uniq % n_units]
    k0 = m_of - k1

    def per_code(w: np.ndarray) -> np.ndarray:
        return np.bincount(code_of, weights=w, minlength=n_codes).astype(float)

    tables = np.zeros((n_codes, 2, 2))
    if len(coders) == 2:  # rows = first coder absent/present, columns = second coder
        tables[:, 1, 1] = per_code((k1 == 2).astype(float))
        tables[:, 1, 0] = per_code(((k1 == 1) & (by_first == 1)).astype(float))
        tables[:, 0, 1] = per_code(((k1 == 1) & (by_first == 0)).astype(float))
        tables[:, 0, 0] = n_units - tables.sum(axis=(1, 2))
    return _DecisionCounts(
        codes=[str(c) for c in code_labels],
        n_units=n_units,
        n_coders=len(coders),
        pairs=float(np.sum(m_u * (m_u - 1) / 2)),
        n_values=float(m_u.sum()),
        disagree=per_code(k1 * k0),
        coincid_off=per_code(2 * k1 * k0 / (m_of - 1)),
        present=per_code(k1.astype(float)),
        tables=tables,
    )


def agreement_by_code(segments: pd.DataFrame) -> pd.DataFrame:
    """Intercoder agreement per code on the segments coded by two or more coders.

    Parameters
    ----------
    segments : DataFrame
        The processed segments table (one row per coded segment per coder per code); uses
        ``segment_id``, ``coder`` and ``code``. A segment_id is the unit of agreement: a
        coder who coded the segment decided, for every code, whether it applies.

    Returns
    -------
    DataFrame
        One row per code (sorted), then a row ``code = "(all codes)"`` pooling every
        presence decision over all codes. Columns:

        - ``code`` : str
        - ``n_units`` : int, segments coded by two or more coders
        - ``n_coders`` : int, coders who coded those segments
        - ``percent_agreement`` : float, in percent (0-100): agreeing pairs of coder
          decisions within segments over all such pairs (simple percent agreement for two
          coders)
        - ``cohen_kappa`` : float, Cohen's kappa of presence/absence; NaN unless exactly two
          coders
        - ``krippendorff_alpha`` : float, nominal alpha of presence/absence
        - ``note`` : str, why a statistic is NaN, or ``""``

        When no segment was coded by two coders (a single-coder design such as reflexive
        thematic analysis), one row ``code = "(none)"`` with ``n_units = 0``, NaN statistics
        and a note (:data:`SINGLE_CODER_NOTE` for one coder).

    Raises
    ------
    StudyDataError
        When ``segment_id``, ``coder`` or ``code`` is missing.

    Notes
    -----
    For a code and segment with :math:`m_u` coders of whom :math:`k_u` applied the code,
    the disagreeing pairs are :math:`k_u (m_u - k_u)` and the coincidences
    :math:`o_{01} + o_{10} = 2 k_u (m_u - k_u) / (m_u - 1)`; with :math:`n_1 = \\sum k_u`,
    :math:`n = \\sum m_u`, :math:`n_0 = n - n_1`, nominal
    :math:`\\alpha = 1 - (n-1)(o_{01} + o_{10}) / (2 n_0 n_1)` (Krippendorff 2011), the same
    as :func:`krippendorff_alpha` on the coders x segments presence matrix. Kappa and alpha
    are undefined (NaN, with a note) when a code was applied to every double-coded segment
    by every coder or to none. Everything is computed from grouped counts, without loops over
    segments.

    References
    ----------
    Krippendorff, K. (2011). https://repository.upenn.edu/asc_papers/43

    O'Connor, C., & Joffe, H. (2020). https://doi.org/10.1177/1609406919899220

    Braun, V., & Clarke, V. (2019). Reflecting on reflexive thematic analysis. Qualitative
    Research in Sport, Exercise and Health, 11(4), 589-597.
    https://doi.org/10.1080/2159676X.2019.1628806

    Examples
    --------
    >>> seg = pd.DataFrame({"segment_id": ["s1", "s1", "s2", "s2"],
    ...                     "coder": ["ana", "ben", "ana", "ben"],
    ...                     "code": ["trust", "trust", "trust", "teamwork"]})
    >>> agreement_by_code(seg)[["code", "percent_agreement"]]
              code  percent_agreement
    0     teamwork               50.0
    1        trust               50.0
    2  (all codes)               50.0
    """
    needed = ("segment_id", "coder", "code")
    absent = [c for c in needed if c not in segments.columns]
    if absent:
        raise StudyDataError(
            [
                Problem(
                    file="segments",
                    column=c,
                    found="no such column",
                    expected="the columns segment_id, coder and code",
                    fix="pass the processed segments table from stage 01-prepare",
                )
                for c in absent
            ]
        )
    seg = segments.loc[:, list(needed)].dropna()
    counts = _decision_counts(seg)
    if counts is None:
        return _no_agreement(int(seg["coder"].nunique()))
    c, n_codes = counts, len(counts.codes)
    rows = [  # a loop over codes (tens), not over segments
        (code, c.disagree[i], c.coincid_off[i], c.present[i], c.n_values, c.pairs, c.tables[i])
        for i, code in enumerate(c.codes)
    ]
    rows.append(
        (
            _OVERALL,
            c.disagree.sum(),
            c.coincid_off.sum(),
            c.present.sum(),
            c.n_values * n_codes,
            c.pairs * n_codes,
            c.tables.sum(axis=0),
        )
    )
    out: dict[str, list[Any]] = {name: [] for name in AGREEMENT_COLUMNS}
    for code, disagree, coincid_off, n_present, n_values, pairs, table in rows:
        kappa, kappa_note = _kappa_or_note(table, c.n_coders)
        notes = []
        if n_present == 0:
            notes.append("code not applied in any double-coded segment: kappa and alpha undefined")
        elif n_present == n_values:
            notes.append("code applied by every coder to every segment: kappa and alpha undefined")
        elif kappa_note:
            notes.append(kappa_note)
        if c.n_coders != 2 and kappa_note not in notes:
            notes.append(kappa_note)
        if code == _OVERALL:
            notes.append(f"pooled over {n_codes} codes x {c.n_units} segments")
        values = (
            code,
            c.n_units,
            c.n_coders,
            100.0 * (1.0 - disagree / pairs),
            kappa,
            _binary_alpha(coincid_off, n_present, n_values),
            "; ".join(notes),
        )
        for name, value in zip(AGREEMENT_COLUMNS, values, strict=True):
            out[name].append(value)
    return _agreement_frame(*(out[name] for name in AGREEMENT_COLUMNS))
