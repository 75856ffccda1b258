"""Themes against the survey strand: who raises a theme at each engagement level, and how
those who raise it score on each experience scale (:func:`joint_display_statistics`).

Layer 3 (analysis), part of :mod:`partner_study.integrate`: processed frames in, a new
tidy frame out.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from partner_study.arrays import isin
from partner_study.errors import ParamsError
from partner_study.integrate._frames import _mentions, _require

__all__ = ["STAT_COLUMNS", "joint_display_statistics"]

#: Columns of :func:`joint_display_statistics`.
STAT_COLUMNS = ["theme", "measure", "group", "value", "n"]


def _level_order(scored: pd.DataFrame, level: str) -> list[str]:
    """Level labels in their order: categorical order, else by ``<level>_code``, else sorted."""
    column = scored[level]
    if isinstance(column.dtype, pd.CategoricalDtype) and column.cat.ordered:
        return [str(c) for c in column.cat.categories]
    labels = column.dropna()
    if f"{level}_code" in scored.columns:
        codes = scored.loc[labels.index, f"{level}_code"]
        pairs = pd.DataFrame({"label": labels.astype(str), "code": codes})
        first = pairs.groupby("label")["code"].min().sort_values(kind="mergesort")
        return [str(label) for label in first.index]
    return sorted(labels.astype(str).unique())


def joint_display_statistics(
    segments: pd.DataFrame,
    scored: pd.DataFrame | None,
    *,
    scales: Sequence[str],
    level: str | None = "engagement_level",
) -> pd.DataFrame:
    """Themes against engagement level and experience scores (both strands).

    Parameters
    ----------
    segments : DataFrame
        Coded segments (participant_id, theme, code).
    scored : DataFrame
        Scored survey: participant_id, ``level`` and the ``scales`` columns.
    scales : sequence of str
        Scale score columns to compare (e.g. ``["communication", "trust"]``).
    level : str or None
        Engagement level column (ordered labels). None, or a column the scored survey
        does not have (a study whose codebook declares no engagement level): the
        percentages are given for ``"all"`` only.

    Returns
    -------
    DataFrame
        Long format, one row per theme, measure and group:

        - ``theme`` : str
        - ``measure`` : str, ``"pct_mentioning"`` or ``"mean_<scale>"``
        - ``group`` : str; for ``pct_mentioning`` an engagement level, in order,
          then ``"all"``; for ``mean_<scale>`` ``"mentioned"`` or ``"not_mentioned"``
        - ``value`` : float; percent of the group's participants who mention the
          theme, or the group's mean scale score (NaN when nobody has a score)
        - ``n`` : int; participants in the group (denominator of the percent), or
          participants of the group with a score on the scale

    Notes
    -----
    Only participants present in both strands enter (a participant_id with at
    least one coded segment and a row in ``scored``). "Mentioning" a theme means
    having at least one segment coded with any of its codes (union of coders).
    Participants whose level is missing count in ``"all"`` and in the scale means.
    With indicator matrix M (participant x theme) and score vector y,
    ``mean_mentioned = M'y / M'1`` over participants with a score, computed for
    every theme at once. No test is made: the display is for integration, not
    inference.

    A warning is issued, and an empty frame returned, when no participant is in
    both strands.

    References
    ----------
    Guetterman, Fetters & Creswell (2015), doi:10.1370/afm.1865
    """
    if scored is None:  # a qualitative-only study: the roles display is all there is
        out = pd.DataFrame({c: pd.Series(dtype=_stat_dtype(c)) for c in STAT_COLUMNS})
        out.attrs["note"] = "No theme-by-survey joint display: the study has no survey strand."
        return out
    scales = [scales] if isinstance(scales, str) else list(scales)
    if not scales:
        raise ParamsError("scales is empty; name at least one scale score column")
    _require(scored, ["participant_id"], name="scored")
    if level is not None and level not in scored.columns:
        level = None  # no engagement level in this study: percentages of all only
    absent = [c for c in scales if c not in scored.columns]
    if absent:
        raise ParamsError(
            f"{', '.join(repr(c) for c in absent)} not a column of the scored survey; "
            f"scales and level must name scored columns such as "
            f"{', '.join(map(str, list(scored.columns)[:8]))}"
        )
    mentions = _mentions(segments)
    both = scored.drop_duplicates("participant_id")
    both = both.loc[isin(both["participant_id"], mentions["participant_id"])].reset_index(drop=True)
    if both.empty:
        warnings.warn(
            "no participant is in both the survey and the coded segments; "
            "the theme-by-survey joint display is empty",
            stacklevel=2,
        )
        return pd.DataFrame({c: pd.Series(dtype=_stat_dtype(c)) for c in STAT_COLUMNS})
    mentions = mentions.loc[isin(mentions["participant_id"], both["participant_id"])]
    themes = sorted(mentions["theme"].astype(str).unique())
    row = pd.Index(both["participant_id"]).get_indexer(mentions["participant_id"])
    col = pd.Index(themes).get_indexer(mentions["theme"].astype(str))
    mentioned = np.zeros((len(both), len(themes)), dtype=np.float64)
    mentioned[row, col] = 1.0

    levels = _level_order(scored, level) if level is not None else []
    values = both[level] if level is not None else pd.Series(np.nan, index=both.index)
    label = values.astype("str").where(values.notna())
    frames = []
    for group in [*levels, "all"]:
        in_group = np.ones(len(both), bool) if group == "all" else (label == group).to_numpy()
        n = int(in_group.sum())
        share = mentioned[in_group].mean(axis=0) * 100.0 if n else np.full(len(themes), np.nan)
        frames.append(_stat_block(themes, "pct_mentioning", group, share, n))
    for scale in scales:
        y = pd.to_numeric(both[scale], errors="coerce").to_numpy(dtype=np.float64)
        has = ~np.isnan(y)
        y0 = np.where(has, y, 0.0)
        for group, m in (("mentioned", mentioned), ("not_mentioned", 1.0 - mentioned)):
            n = m[has].sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = (m.T @ y0) / n
            frames.append(_stat_block(themes, f"mean_{scale}", group, mean, n))
    out = pd.concat(frames, ignore_index=True)
    order = {t: i for i, t in enumerate(themes)}
    out = out.sort_values("theme", key=lambda s: s.map(order), kind="mergesort")
    return out.reset_index(drop=True)


def _stat_block(themes: list[str], measure: str, group: str, value, n) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "theme": pd.array(themes, dtype="str"),
            "measure": measure,
            "group": group,
            "value": np.asarray(value, dtype=np.float64),
            "n": np.broadcast_to(np.asarray(n, dtype=np.int64), (len(themes),)),
        }
    ).astype({"measure": "str", "group": "str"})


def _stat_dtype(column: str) -> str:
    return {"value": "float64", "n": "int64"}.get(column, "str")
