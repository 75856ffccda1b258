"""Code and theme counts: segments and participants per code and theme, by role or site.

Layer 3 (analysis). ``segments`` holds one row per coded segment per coder per code;
every count is taken over the union of coders (a segment counts once for a code when at
least one coder applied it). :func:`code_tables` gives the tables as they may be
released, small groups pooled and small counts suppressed.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import cast

import numpy as np
import pandas as pd

from partner_study.disclosure import pool_small_groups, suppress_codes
from partner_study.qualitative._frames import (
    _ALL,
    _attach,
    _check_by,
    _distinct,
    _dtype,
    _group_order,
    _require,
)
from partner_study.qualitative.silent import silent_members

__all__ = ["THEME_ROW", "table_codes", "code_tables", "themes_by_role"]

#: Value of ``code`` on the theme-level rows of :func:`table_codes`.
THEME_ROW = "(theme)"

_CODES_COLUMNS = ["theme", "code", "n_segments", "n_participants", "pct_participants"]


def table_codes(
    segments: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    by: str | Sequence[str] = "role",
) -> pd.DataFrame:
    """Segments and participants per code and theme, by role (or site).

    Parameters
    ----------
    segments : DataFrame
        Coded segments (segment_id, participant_id, theme, code; one row per
        segment per coder per code).
    participants : DataFrame
        Roster with participant_id and the ``by`` columns (role, site). Role and
        site are taken from here.
    by : {"role", "site"} or sequence of them
        Grouping column(s). ``("site", "role")`` gives both columns.

    Returns
    -------
    DataFrame
        One row per theme, code and group, zeros included, sorted by theme, code
        (the theme row first) and group (``"all"`` last):

        - ``theme`` : str
        - ``code`` : str, or ``"(theme)"`` for the theme as a whole (any of its codes)
        - ``role`` and/or ``site`` : str, the group, ``"all"`` for the margin
        - ``n_segments`` : int, distinct segments carrying the code
        - ``n_participants`` : int, distinct participants with at least one such segment
        - ``pct_participants`` : float, ``100 * n_participants / N_g`` (full precision;
          round when printing)

    Notes
    -----
    ``N_g`` is the number of participants of group ``g`` with at least one coded
    segment (any code), so percentages answer "of those who were interviewed and
    coded, how many raised this". A segment coded by several coders counts once
    (union of coders). Theme rows count a segment or participant once however many
    of the theme's codes they carry, so they are not sums of the code rows.
    Groups with no coded participant are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> seg = pd.DataFrame({"segment_id": ["s1", "s1", "s2"], "participant_id": ["a", "a", "b"],
    ...                     "theme": ["t", "t", "t"], "code": ["c", "c", "c"],
    ...                     "coder": ["A", "B", "A"]})
    >>> ppl = pd.DataFrame({"participant_id": ["a", "b"], "role": ["carer", "nurse"],
    ...                     "site": ["BE", "BE"]})
    >>> table = table_codes(seg, ppl)
    >>> table.query("code == 'c' and role == 'all'")[["n_segments", "n_participants"]]
       n_segments  n_participants
    5           2               2
    """
    keys = _check_by(by)
    _require(segments, ["segment_id", "participant_id", "theme", "code"], name="segments")
    coded = segments[["segment_id", "participant_id", "theme", "code"]].dropna()
    seg = pd.factorize(coded["segment_id"])[0]
    part, part_names = pd.factorize(coded["participant_id"])
    # units: (theme, code) pairs, then whole themes
    theme, theme_names = pd.factorize(coded["theme"])
    code, code_names = pd.factorize(coded["code"])
    pair, pair_keys = pd.factorize(theme.astype(np.int64) * max(len(code_names), 1) + code)
    pair_theme = theme_names.take(pair_keys // max(len(code_names), 1))
    pair_code = code_names.take(pair_keys % max(len(code_names), 1))
    n_units = len(pair_keys) + len(theme_names)
    silent = silent_members(part_names, participants)
    people = _attach(pd.DataFrame({"participant_id": [*part_names, *silent]}), participants, keys)
    if not len(seg):
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in _codes_columns(keys)})
    units = pd.DataFrame(
        {
            "theme": np.concatenate([np.asarray(pair_theme), np.asarray(theme_names)]),
            "code": np.concatenate(
                [np.asarray(pair_code), np.full(len(theme_names), THEME_ROW, dtype=object)]
            ),
        }
    )
    unit = np.concatenate([pair, theme + len(pair_keys)])
    seg, part = np.concatenate([seg, seg]), np.concatenate([part, part])
    # union of coders: one row per (segment, unit); one per (participant, unit)
    seg_unit = _distinct(seg.astype(np.int64) * n_units + unit)
    seg_rows = (seg_unit % n_units, _first_part(seg, part)[seg_unit // n_units])
    part_unit = _distinct(part.astype(np.int64) * n_units + unit)
    part_rows = (part_unit % n_units, part_unit // n_units)

    parts = []
    for collapse in itertools.product((False, True), repeat=len(keys)):
        margin = {k: _ALL for k, c in zip(keys, collapse, strict=True) if c}
        labels = people[keys].assign(**margin)
        g = labels.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
        groups = labels.drop_duplicates()  # first appearance, the order of ngroup(sort=False)
        n_groups = len(groups)
        n_seg = np.bincount(seg_rows[0] * n_groups + g[seg_rows[1]], minlength=n_units * n_groups)
        n_part = np.bincount(
            part_rows[0] * n_groups + g[part_rows[1]], minlength=n_units * n_groups
        )
        denominator = np.bincount(g, minlength=n_groups)
        block = units.merge(groups, how="cross")
        block["n_segments"] = n_seg
        block["n_participants"] = n_part
        block["pct_participants"] = 100.0 * n_part / np.tile(denominator, n_units)
        parts.append(block)
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(
        ["theme", "code", *keys],
        key=lambda s: _group_order(s) if s.name in keys else s,
        kind="mergesort",
    )
    out = out.astype({c: "str" for c in ["theme", "code", *keys]})
    return out[_codes_columns(keys)].reset_index(drop=True)


def _group_sizes(table: pd.DataFrame, by: str) -> dict[str, int]:
    """Coded participants of each group of a :func:`table_codes` table (its denominators,
    from the theme rows' counts and full-precision percentages)."""
    rows = table[
        (table["code"] == THEME_ROW) & (table[by] != _ALL) & (table["pct_participants"] > 0)
    ]
    size = (100.0 * rows["n_participants"] / rows["pct_participants"]).round()
    return {str(g): int(v) for g, v in size.groupby(rows[by].astype(str)).max().items()}


def code_tables(
    segments: pd.DataFrame, participants: pd.DataFrame, *, suppress_below: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The codes tables by role and by site (:func:`table_codes`), as they may be released.

    Parameters
    ----------
    segments, participants : DataFrame
        As for :func:`table_codes`.
    suppress_below : int
        The disclosure threshold (``describe.suppress_below``); 0 or 1: off.

    Returns
    -------
    (DataFrame, DataFrame)
        ``tables/codes`` (by role) and ``tables/codes-by-site``. Sites with fewer than
        ``suppress_below`` coded participants are pooled into one group,
        :data:`partner_study.config.POOLED_SITES` (with the smallest other sites when they
        are still too few, :func:`partner_study.disclosure.pool_small_groups`); when that
        leaves fewer than two groups the table by site has no rows (withheld). Then the
        small counts of both tables, and the cells from which they could be derived, are
        suppressed together (:func:`partner_study.disclosure.suppress_codes`): the two
        tables print the same ``all`` rows.
    """
    codes = table_codes(segments, participants, by="role")
    by_site = table_codes(segments, participants, by="site")
    if suppress_below > 1 and len(by_site):
        mapping = pool_small_groups(_group_sizes(by_site, "site"), threshold=suppress_below)
        if mapping is None:
            by_site = by_site.iloc[:0]
        elif any(group != site for site, group in mapping.items()):
            site = participants["site"].astype(str)
            people = participants.assign(site=site.map(lambda v: mapping.get(v, v)))
            by_site = table_codes(segments, people, by="site")
    protected, released = suppress_codes(codes, by_site, threshold=suppress_below)
    return protected, cast(pd.DataFrame, released)


def _first_part(seg: np.ndarray, part: np.ndarray) -> np.ndarray:
    """Participant of each segment index (a segment belongs to one participant)."""
    owner = np.zeros(int(seg.max(initial=-1)) + 1, dtype=np.int64)
    owner[seg] = part
    return owner


def _codes_columns(keys: Sequence[str]) -> list[str]:
    return [*_CODES_COLUMNS[:2], *keys, *_CODES_COLUMNS[2:]]


def themes_by_role(
    segments: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    roles: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Share of the participants of each role mentioning each theme.

    Parameters
    ----------
    segments : DataFrame
        Coded segments (segment_id, participant_id, theme, code).
    participants : DataFrame
        Roster with participant_id and role.
    roles : sequence of str, optional
        The roles the codebook declares, in declared order
        (:attr:`partner_study.shape.StudyShape.role_names`), any number and any names:
        rows follow that order (roles not declared after them, sorted) and a declared
        role with no coded participant is kept, with 0 participants and a missing
        percentage. Default: the roles of the coded participants, sorted.

    Returns
    -------
    DataFrame
        One row per theme and role (zeros included, ``role == "all"`` for everyone,
        last), themes sorted:

        - ``theme`` : str
        - ``role`` : str
        - ``n_participants`` : int, participants with at least one segment in the theme
        - ``pct_participants`` : float, ``100 * n_participants / N_role`` (NaN when
          ``N_role`` is 0)

    Notes
    -----
    Same definitions as the theme rows (``code == "(theme)"``) of :func:`table_codes`:
    ``N_role`` counts participants of the role with at least one coded segment.
    """
    codes = table_codes(segments, participants, by="role")
    themes = codes.loc[codes["code"] == THEME_ROW]
    out = themes[["theme", "role", "n_participants", "pct_participants"]].reset_index(drop=True)
    if roles is None or out.empty:
        return out
    declared = [roles] if isinstance(roles, str) else [str(r) for r in roles]
    present = [r for r in pd.unique(out["role"]) if r != _ALL]
    order = [*declared, *sorted(r for r in present if r not in declared), _ALL]
    grid = pd.MultiIndex.from_product([pd.unique(out["theme"]), order], names=["theme", "role"])
    out = out.drop_duplicates(["theme", "role"]).set_index(["theme", "role"]).reindex(grid)
    out["n_participants"] = out["n_participants"].fillna(0).astype("int64")
    out = out.reset_index().astype({"theme": "str", "role": "str"})
    return out[["theme", "role", "n_participants", "pct_participants"]]
