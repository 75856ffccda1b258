"""The joint display table (``tables/joint-display.csv``): two roles compared theme by theme,
with the interval of their difference, the label it implies, the collection modes, the
meta-inference and the survey columns (:func:`table_joint_display`).

Layer 3 (analysis), part of :mod:`partner_study.integrate`: tidy frames in, a new frame out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from partner_study.integrate._frames import _require, _role_names, _snake
from partner_study.integrate.intervals import (
    CONVERGENCE,
    DIVERGENCE,
    INCONCLUSIVE,
    check_margin,
    difference_interval,
    label_difference,
)
from partner_study.integrate.stance import meta_inference
from partner_study.integrate.survey import STAT_COLUMNS
from partner_study.integrate.units import mode_confounded

__all__ = [
    "JOINT_COLUMNS",
    "MARGIN",
    "NOT_COMPARABLE",
    "NOT_APPLICABLE",
    "SUPPRESSED_SHARE",
    "table_joint_display",
]

#: Label when fewer than two roles have a coded participant, so they cannot be compared.
NOT_COMPARABLE = "not_comparable"
#: Label when the study declares one role: there is nothing to compare.
NOT_APPLICABLE = "not_applicable"
#: Label when a share compared is hidden by disclosure control: no comparison is shown.
SUPPRESSED_SHARE = "suppressed"
#: Default equivalence margin, percentage points.
MARGIN = 20.0

#: Columns of :func:`table_joint_display` before the survey columns.
JOINT_COLUMNS = [
    "theme",
    "role_a",
    "role_b",
    "collection_a",
    "collection_b",
    "pct_a",
    "pct_b",
    "difference_pp",
    "ci_low",
    "ci_high",
    "margin_pp",
    "label",
    "mode_confounded",
    "stance_a",
    "stance_b",
    "meta_inference",
    "quote_a",
    "quote_b",
]
_FLOATS = ("pct_a", "pct_b", "difference_pp", "ci_low", "ci_high", "margin_pp")
_LONG_NEEDED = ["theme", "role", "n_coded", "n_mentioning", "pct_mentioning", "ci_low", "ci_high"]


def _pairs(pct: np.ndarray, coded: np.ndarray, n_roles: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (declared order, ``a < b``) of the two roles compared on each theme; ``b``
    is -1 when the study has one role."""
    n_themes = len(pct)
    if n_roles == 1:
        return np.zeros(n_themes, np.int64), np.full(n_themes, -1, np.int64)
    present = np.flatnonzero(coded)
    if len(present) < 2:
        # nothing to compare: the coded role, if any, beside the first other declared role
        first = sorted([*present, *(i for i in range(n_roles) if i not in present)][:2])
        return np.full(n_themes, first[0], np.int64), np.full(n_themes, first[1], np.int64)
    # the two coded roles whose shares differ most (with two coded roles, those two); when
    # every coded role has the same share, the first two coded roles
    among = pct[:, present]  # a share hidden by disclosure control is never the one chosen
    low = present[np.argmin(np.where(np.isnan(among), np.inf, among), axis=1)]
    high = present[np.argmax(np.where(np.isnan(among), -np.inf, among), axis=1)]
    same = low == high
    low[same], high[same] = present[0], present[1]
    return np.minimum(low, high), np.maximum(low, high)


def _grid(long: pd.DataFrame, themes: list[str], roles: list[str]) -> pd.DataFrame:
    grid = pd.MultiIndex.from_product([themes, roles], names=["theme", "role"])
    cells = long.assign(theme=long["theme"].astype("str"), role=long["role"].astype("str"))
    cells = cells.set_index(["theme", "role"])
    return cells.loc[~cells.index.duplicated()].reindex(grid)


def _column(cells: pd.DataFrame, name: str, size: tuple[int, int], kind: str) -> np.ndarray:
    if name not in cells.columns:
        return np.full(size, np.nan if kind == "float" else None, dtype=object)
    values = cells[name]
    if kind == "float":
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64).reshape(size)
    return values.astype(object).where(values.notna(), None).to_numpy().reshape(size)


def _compare(long: pd.DataFrame, roles: list[str], margin: float) -> pd.DataFrame:
    """The comparison columns of the wide joint display, one row per theme."""
    themes = list(pd.unique(long["theme"].astype("str")))
    cells = _grid(long, themes, roles)
    size = (len(themes), len(roles))
    pct = _column(cells, "pct_mentioning", size, "float")
    low, high = _column(cells, "ci_low", size, "float"), _column(cells, "ci_high", size, "float")
    n = _column(cells, "n_mentioning", size, "float")
    total = np.nan_to_num(_column(cells, "n_coded", size, "float"))
    mode = _column(cells, "collection", size, "text")
    stance = _column(cells, "stance", size, "text")
    quote = _column(cells, "quote", size, "text")
    a, b = _pairs(pct, np.asarray((total > 0).any(axis=0)), len(roles))
    rows = np.arange(len(themes))
    has_b = b >= 0
    bb = np.where(has_b, b, 0)

    def side(values: np.ndarray, j: np.ndarray, missing: object = None) -> np.ndarray:
        out = values[rows, j].astype(object)
        out[~has_b] = missing
        return out

    pct_a, pct_b = pct[rows, a], np.where(has_b, pct[rows, bb], np.nan)
    coded = has_b & (total[rows, a] > 0) & (total[rows, bb] > 0)
    # a share hidden by disclosure control (NaN with coded participants) is not compared:
    # a difference, an interval or a meta-inference beside it would give it away
    hidden = (np.isnan(pct_a) & (total[rows, a] > 0)) | (
        has_b & np.isnan(pct_b) & (total[rows, bb] > 0)
    )
    shown = coded & ~hidden
    difference, ci_low, ci_high = difference_interval(
        pct_a, low[rows, a], high[rows, a], pct_b, low[rows, bb], high[rows, bb]
    )
    label = label_difference(ci_low, ci_high, margin=margin)
    label[shown & pd.isna(label)] = INCONCLUSIVE  # a role met in one focus group: no interval
    label[~coded] = NOT_COMPARABLE
    label[hidden] = SUPPRESSED_SHARE
    label[~has_b] = NOT_APPLICABLE
    for values in (difference, ci_low, ci_high):
        values[~shown] = np.nan
    modes_a, modes_b = side(mode, a), side(mode, bb)
    confounded = np.array(
        [s and mode_confounded(x, y) for s, x, y in zip(shown, modes_a, modes_b, strict=True)],
        dtype=bool,
    )
    stance_a, stance_b = side(stance, a), side(stance, bb)
    stance_a[~shown] = None
    stance_b[~shown] = None
    meta = meta_inference(
        np.nan_to_num(n[rows, a]) > 0,
        np.nan_to_num(n[rows, bb]) > 0,
        stance_a,
        stance_b,
        label == DIVERGENCE,
        shown,
        convergent=label == CONVERGENCE,
    )
    names = np.asarray(roles, dtype=object)
    return pd.DataFrame(
        {
            "theme": pd.array(themes, dtype="str"),
            "role_a": pd.array(names[a], dtype="str"),
            "role_b": pd.array(np.where(has_b, names[bb], None), dtype="str"),  # type: ignore[call-overload]
            "collection_a": pd.array(mode[rows, a], dtype="str"),
            "collection_b": pd.array(modes_b, dtype="str"),
            "pct_a": pct_a,
            "pct_b": pct_b,
            "difference_pp": difference,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "margin_pp": np.where(has_b, margin, np.nan),
            "label": pd.array(label, dtype="str"),
            "mode_confounded": confounded,
            "stance_a": pd.array(stance_a, dtype="str"),
            "stance_b": pd.array(stance_b, dtype="str"),
            "meta_inference": pd.array(meta, dtype="str"),
            "quote_a": pd.array(quote[rows, a], dtype="str"),
            "quote_b": pd.array(side(quote, bb), dtype="str"),
        }
    )


def table_joint_display(
    roles_long: pd.DataFrame,
    *,
    roles: Sequence[str] | None = None,
    statistics: pd.DataFrame | None = None,
    margin: float = MARGIN,
) -> pd.DataFrame:
    """The joint display table (``tables/joint-display.csv``), one row per theme.

    Parameters
    ----------
    roles_long : DataFrame
        Output of :func:`~partner_study.integrate.joint_display_roles`, or
        ``tables/joint-display-roles.csv`` read back.
    roles : sequence of str, optional
        The declared roles in declared order (as given to ``joint_display_roles``).
        Default: the roles of ``roles_long`` in their order there.
    statistics : DataFrame, optional
        Output of :func:`~partner_study.integrate.joint_display_statistics` (long);
        spread into columns.
    margin : float
        Equivalence margin in percentage points (default 20): the roles converge when the
        95% interval of their difference lies within plus or minus ``margin``.

    Returns
    -------
    DataFrame
        One row per theme of ``roles_long`` (themes only in ``statistics`` are added
        with missing role columns), in ``roles_long`` order. The columns are the same
        for every study, whatever its roles are called:

        - ``theme`` : str
        - ``role_a``, ``role_b`` : str, the two roles compared on the theme, in declared
          order (see Notes); with one declared role ``role_a`` is that role and
          ``role_b`` is missing
        - ``collection_a``, ``collection_b`` : str, how each role took part
          (``focus_group``, ``interview``, ..., ``mixed``)
        - ``pct_a``, ``pct_b`` : float, percent of the participants of ``role_a`` and
          ``role_b`` in the denominator (silent focus-group members included) mentioning
          the theme (NaN for a role nobody coded)
        - ``difference_pp`` : float, ``pct_a - pct_b``
        - ``ci_low``, ``ci_high`` : float, its 95% interval, counted by unit (focus
          groups, participants interviewed alone;
          :mod:`partner_study.integrate.intervals`)
        - ``margin_pp`` : float, the equivalence margin the label used (missing with
          one role)
        - ``label`` : str, ``"divergence"`` (the interval excludes 0),
          ``"convergence"`` (it lies within plus or minus ``margin``), ``"inconclusive"``
          (neither, or no interval: a role met in one focus group), ``"not_comparable"``
          (fewer than two roles have a coded participant), ``"suppressed"`` (a share is
          hidden by disclosure control: the comparison columns are empty) or
          ``"not_applicable"`` (the study declares one role)
        - ``mode_confounded`` : bool, each role took part in one way and not the same
          way (e.g. one in focus groups, the other interviewed): a difference between
          the roles cannot be separated from the mode of data collection
        - ``stance_a``, ``stance_b`` : str, each role's stance when segments carry a
          ``valence`` (:mod:`partner_study.integrate.stance`)
        - ``meta_inference`` : str, ``confirmation``, ``expansion``, ``discordance`` or
          ``silence`` (Fetters, Curry & Creswell 2013; rules in
          :mod:`partner_study.integrate.stance`)
        - ``quote_a``, ``quote_b`` : str, “quote” (pseudonym) of each role, or missing
        - ``pct_level_<level>`` : float, per engagement level (snake_case label), in
          level order: percent of both-strand participants at that level mentioning
          the theme
        - ``mean_<scale>_mentioned``, ``mean_<scale>_not_mentioned`` : float, per
          scale in the order given to ``joint_display_statistics``

    Notes
    -----
    Which roles are compared: with two coded roles, those two; with three or more, on
    each theme the pair whose shares differ most (the lowest and the highest share; the
    first two coded roles when all shares are equal), named in ``role_a`` and
    ``role_b``; every role's share stays in ``roles_long``. With fewer than two coded
    roles, the coded one (if any) beside the first other declared role.

    The label follows from the interval, not from a threshold on the difference
    (DESIGN §8). Each interval is at the 95% level for one theme: the display is an
    integration of the two strands, not a confirmatory test, so there is no adjustment
    for the number of themes nor, with three or more roles, for choosing the most
    different pair.

    References
    ----------
    Fetters MD, Curry LA, Creswell JW. Health Serv Res. 2013;48(6 Pt 2):2134-2156.
    doi:10.1111/1475-6773.12117

    Guetterman TC, Fetters MD, Creswell JW. Ann Fam Med. 2015;13(6):554-561.
    doi:10.1370/afm.1865
    """
    _require(roles_long, _LONG_NEEDED, name="roles")
    margin = check_margin(margin)
    present = [str(r) for r in pd.unique(roles_long["role"].dropna().astype("str"))]
    declared = _role_names(roles)
    order = present if declared is None else [*declared, *(r for r in present if r not in declared)]
    if roles_long.empty or not order:
        out = pd.DataFrame({c: pd.Series(dtype=_joint_dtype(c)) for c in JOINT_COLUMNS})
    else:
        out = _compare(roles_long, order, margin)
    if statistics is None or statistics.empty:
        return out.reset_index(drop=True)
    return _with_statistics(out, statistics, roles_long)


def _with_statistics(
    out: pd.DataFrame, statistics: pd.DataFrame, roles_long: pd.DataFrame
) -> pd.DataFrame:
    _require(statistics, STAT_COLUMNS, name="statistics")
    stat = statistics.loc[statistics["group"] != "all"]
    is_pct = stat["measure"] == "pct_mentioning"
    column = np.where(
        is_pct,
        "pct_level_" + stat["group"].map(_snake),
        stat["measure"].astype(str) + "_" + stat["group"].astype(str),
    )
    stat = stat.assign(column=column)
    columns = list(pd.unique(stat["column"]))
    wide = stat.pivot(index="theme", columns="column", values="value").reindex(columns=columns)
    wide.columns.name = None
    wide.index = wide.index.astype("str")
    out = out.merge(wide, left_on="theme", right_index=True, how="outer", sort=False)
    out["mode_confounded"] = out["mode_confounded"].astype("boolean").fillna(False).astype(bool)
    known = pd.Index(pd.unique(roles_long["theme"].astype(str)))
    rank = out["theme"].map(lambda t: known.get_loc(t) if t in known else len(known))
    out = out.assign(_rank=rank).sort_values(["_rank", "theme"], kind="mergesort")
    return out.drop(columns="_rank").reset_index(drop=True)


def _joint_dtype(column: str) -> str:
    if column in _FLOATS:
        return "float64"
    return "bool" if column == "mode_confounded" else "str"
