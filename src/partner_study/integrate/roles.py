"""Themes across roles: the share of each declared role raising each theme, counted by the
independent unit, with its cluster-aware interval, stance and a quote
(:func:`joint_display_roles`, ``tables/joint-display-roles.csv``).

Layer 3 (analysis), part of :mod:`partner_study.integrate`: processed frames in, a new
tidy frame out.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from partner_study.arrays import isin
from partner_study.errors import Problem, StudyDataError
from partner_study.integrate._frames import _mentions, _require, _role_names
from partner_study.integrate.intervals import LEVEL, share_interval
from partner_study.integrate.stance import role_stances
from partner_study.integrate.units import collection_units, role_modes

__all__ = ["ROLE_COLUMNS", "joint_display_roles"]

#: Columns of :func:`joint_display_roles`.
ROLE_COLUMNS = [
    "theme",
    "role",
    "collection",
    "n_coded",
    "n_units",
    "n_mentioning",
    "pct_mentioning",
    "ci_low",
    "ci_high",
    "stance",
    "quote",
]


def _first_quotes(quotes: pd.DataFrame | None) -> pd.Series:
    """The first quote per (theme, role), as “quote” (pseudonym)."""
    empty = pd.Series([], dtype="str", index=pd.MultiIndex.from_arrays([[], []]))
    if quotes is None or quotes.empty:
        return empty
    _require(quotes, ["theme", "role", "quote"], name="quotes")
    first = quotes.dropna(subset=["theme", "role"]).drop_duplicates(["theme", "role"])
    if first.empty:
        return empty
    text = "\u201c" + first["quote"].astype("str") + "\u201d"
    if "pseudonym" in first.columns:
        text = text + " (" + first["pseudonym"].astype("str") + ")"
    index = pd.MultiIndex.from_arrays(
        [first["theme"].astype("str").to_numpy(), first["role"].astype("str").to_numpy()]
    )
    return pd.Series(text.to_numpy(), index=index, dtype="str")


def _check_ids(mentions: pd.DataFrame, roster: pd.DataFrame) -> None:
    unknown = pd.unique(
        mentions.loc[~isin(mentions["participant_id"], roster["participant_id"]), "participant_id"]
    )
    if len(unknown):
        raise StudyDataError(
            Problem(
                file="segments (data frame)",
                column="participant_id",
                found=", ".join(repr(str(u)) for u in unknown[:5])
                + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""),
                expected="participant ids listed in participants",
                fix="add the participant(s) to participants.csv or correct segments.csv",
            )
        )


def _role_order(declared: list[str] | None, roster: pd.DataFrame, coded: set[str]) -> list[str]:
    if declared is None:
        return sorted(roster["role"].dropna().astype("str").unique())
    extra = sorted(coded - set(declared))
    if extra:
        warnings.warn(
            f"coded participants have role(s) {', '.join(map(repr, extra))} that the "
            f"codebook does not declare ({', '.join(map(repr, declared)) or 'none'}); "
            "they are shown after the declared roles. Declare them under role: levels "
            "in codebook.yaml",
            stacklevel=3,
        )
    return [*declared, *extra]


def _by_unit(
    units: pd.DataFrame, mentions: pd.DataFrame, order: list[str], themes: list[str]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each role of ``order``: per theme, the members of each of its units raising the
    theme (themes x units), and the members of each unit (its size)."""
    unit, _ = pd.factorize(units["unit"].to_numpy(), sort=True)
    role = pd.Index(order).get_indexer(pd.Index(units["role"].astype(str)))
    # participant of each mention as a row of ``units`` (codes of one factorisation)
    ids, _ = pd.factorize(
        np.concatenate(
            [units["participant_id"].to_numpy(object), mentions["participant_id"].to_numpy(object)]
        )
    )
    row = np.full(ids.max(initial=-1) + 1, -1)
    row[ids[: len(units)]] = np.arange(len(units))
    person = row[ids[len(units) :]]
    theme, named = pd.factorize(mentions["theme"].to_numpy(object))
    theme = pd.Index(themes).get_indexer(pd.Index(named))[theme] if len(theme) else theme
    person, theme = person[person >= 0], theme[person >= 0]
    out = []
    for j in range(len(order)):
        own = np.flatnonzero(role == j)
        codes, local = np.unique(unit[own], return_inverse=True)
        where = np.full(len(units), -1)
        where[own] = local
        raised = where[person]
        keep = raised >= 0
        counts = np.bincount(
            theme[keep] * len(codes) + raised[keep], minlength=len(themes) * len(codes)
        )
        out.append(
            (counts.reshape(len(themes), len(codes)), np.bincount(local, minlength=len(codes)))
        )
    return out


def joint_display_roles(
    segments: pd.DataFrame,
    participants: pd.DataFrame,
    quotes: pd.DataFrame | None = None,
    *,
    roles: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Who raises each theme, role by role: the tidy half of the joint display.

    Parameters
    ----------
    segments : DataFrame
        Coded segments (participant_id, theme, code; ``valence`` when stances are coded,
        see :mod:`partner_study.integrate.stance`).
    participants : DataFrame
        Roster with participant_id and role; ``collection`` and ``group_id`` say who met
        in which focus group (:func:`partner_study.integrate.units.collection_units`).
    quotes : DataFrame, optional
        Output of :func:`partner_study.qualitative.select_quotes` (theme, role,
        quote, pseudonym); the first quote per theme and role is shown.
    roles : sequence of str, optional
        The roles the codebook declares, in declared order
        (:attr:`partner_study.shape.StudyShape.role_names`): one or more, any names, any
        language. Every declared role gets a row per theme, coded participants or not.
        Roles of coded participants that are not declared follow, sorted, with a
        warning. Default: the roles of the roster, sorted.

    Returns
    -------
    DataFrame
        Long (tidy), one row per theme and role, themes sorted, roles in declared order
        (``tables/joint-display-roles.csv``):

        - ``theme`` : str
        - ``role`` : str, the role as stored (a value, never part of a column name)
        - ``collection`` : str, how the role took part: ``focus_group``, ``interview``
          (or another ``collection`` of the roster) when all its participants took part
          that way, ``mixed`` otherwise, missing when unknown or nobody was coded
        - ``n_coded`` : int, participants of the role in the denominator: those with a
          coded segment and the silent members of their focus groups; 0 for a declared
          role nobody coded
        - ``n_units`` : int, independent units of the role: its focus groups and its
          participants who took part alone
        - ``n_mentioning`` : int, participants of the role mentioning the theme
        - ``pct_mentioning`` : float, ``100 * n_mentioning / n_coded``; NaN when
          ``n_coded`` is 0
        - ``ci_low``, ``ci_high`` : float, 95% interval of ``pct_mentioning``, counted by
          unit (:func:`partner_study.integrate.intervals.share_interval`); NaN without
          one (no participant, or a single focus group)
        - ``stance`` : str, the role's stance on the theme when segments carry a
          ``valence`` (positive, negative, mixed, neutral), else missing
        - ``quote`` : str, “quote” (pseudonym) of the role on the theme, or missing

    Notes
    -----
    "Mentioning" a theme means at least one segment coded with any of its codes (union
    of coders). Participants whose role is missing are left out. A member of a focus
    group who said nothing that was coded was there and could have raised the theme:
    they stay in the denominator (DESIGN §8).

    Examples
    --------
    >>> seg = pd.DataFrame({"participant_id": ["a", "b", "c"], "theme": ["t", "t", "u"],
    ...                     "code": ["x", "x", "y"]})
    >>> ppl = pd.DataFrame({"participant_id": ["a", "b", "c"],
    ...                     "role": ["staff", "resident", "resident"]})
    >>> out = joint_display_roles(seg, ppl, roles=["staff", "resident", "visitor"])
    >>> out.iloc[:3][["theme", "role", "n_coded", "n_mentioning", "pct_mentioning"]]
      theme      role  n_coded  n_mentioning  pct_mentioning
    0     t     staff        1             1           100.0
    1     t  resident        2             1            50.0
    2     t   visitor        0             0             NaN

    References
    ----------
    Guetterman, Fetters & Creswell (2015), doi:10.1370/afm.1865
    """
    declared = _role_names(roles)
    mentions = _mentions(segments)
    _require(participants, ["participant_id", "role"], name="participants")
    roster = participants.drop_duplicates("participant_id")
    _check_ids(mentions, roster)
    mentions = mentions.assign(
        participant_id=mentions["participant_id"].astype(str), theme=mentions["theme"].astype(str)
    )
    units = collection_units(roster, mentions["participant_id"])
    mentions = mentions.loc[isin(mentions["participant_id"], units["participant_id"])]
    coded = set(
        units.loc[isin(units["participant_id"], mentions["participant_id"]), "role"].astype(str)
    )
    order = _role_order(declared, roster, coded)
    themes = sorted(mentions["theme"].unique())
    shape = (len(themes), len(order))
    n_coded = np.zeros(len(order), np.int64)
    n_units = np.zeros(len(order), np.int64)
    n_mentioning = np.zeros(shape, np.int64)
    pct, low, high = (np.full(shape, np.nan) for _ in range(3))
    for j, (counts, sizes) in enumerate(_by_unit(units, mentions, order, themes)):
        n_coded[j], n_units[j] = sizes.sum(), len(sizes)
        n_mentioning[:, j] = counts.sum(axis=1)
        if len(themes) and n_coded[j]:
            pct[:, j], low[:, j], high[:, j] = share_interval(counts, sizes, level=LEVEL)
    modes = role_modes(units, order)
    stance = role_stances(
        segments, units.set_index("participant_id")["role"].astype("str")
    ).reindex(pd.MultiIndex.from_product([themes, order]))
    out = pd.DataFrame(
        {
            "theme": pd.array(np.repeat(np.asarray(themes, dtype=object), len(order)), "str"),
            "role": pd.array(np.tile(np.asarray(order, dtype=object), len(themes)), "str"),
            "collection": pd.array(
                np.tile(np.asarray([modes[r] for r in order], dtype=object), len(themes)), "str"
            ),
            "n_coded": np.tile(n_coded, len(themes)),
            "n_units": np.tile(n_units, len(themes)),
            "n_mentioning": n_mentioning.ravel(),
            "pct_mentioning": pct.ravel(),
            "ci_low": low.ravel(),
            "ci_high": high.ravel(),
            "stance": pd.array(stance.to_numpy(dtype=object), dtype="str"),
        }
    )
    keys = pd.MultiIndex.from_arrays([out["theme"].to_numpy(), out["role"].to_numpy()])
    out["quote"] = pd.array(_first_quotes(quotes).reindex(keys).to_numpy(), dtype="str")
    return out[ROLE_COLUMNS]
