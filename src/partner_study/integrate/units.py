"""Units of data collection: who was in which focus group, and how each role took part.

Layer 3 (analysis): frames in, frames out. The roster's ``collection`` (``focus_group``,
``interview``, ``survey`` or another mode a study declares) and ``group_id`` columns say
how each participant took part (docs/data-contract.md). A focus group is one unit of data
collection; a participant interviewed alone is a unit of one (DESIGN §8).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from partner_study.arrays import isin
from partner_study.qualitative import silent_members

__all__ = ["FOCUS_GROUP", "MIXED_MODES", "collection_units", "role_modes", "mode_confounded"]

#: ``collection`` of a focus-group member (the data contract's value).
FOCUS_GROUP = "focus_group"
#: Mode of a role whose participants took part in more than one way.
MIXED_MODES = "mixed"


def _text(values: pd.Series) -> pd.Series:
    """Stripped text, missing for empty cells."""
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    return text.where(text.ne(""))


def collection_units(participants: pd.DataFrame, coded_ids: Iterable[object]) -> pd.DataFrame:
    """The participants in the denominator of the joint display, with their unit and mode.

    Parameters
    ----------
    participants : DataFrame
        Roster with ``participant_id`` and ``role``; ``collection`` and ``group_id`` when
        the study has them.
    coded_ids : iterable
        Participants with at least one coded segment.

    Returns
    -------
    DataFrame
        One row per participant with a coded segment and per silent member of their
        focus groups (:func:`partner_study.qualitative.silent_members`), in roster order:

        - ``participant_id`` : str
        - ``role`` : str (missing roles are left out)
        - ``unit`` : str, ``"group:<group_id>"`` for a focus-group member, else
          ``"person:<participant_id>"``
        - ``collection`` : str, ``"focus_group"`` for a member of a focus group, else the
          roster's ``collection`` (missing when the roster has none)

    Notes
    -----
    A participant is in a focus group when the ``group_id`` is not empty and the
    ``collection`` is ``focus_group`` (any collection when the roster has no such
    column), the rule of :func:`~partner_study.qualitative.silent_members`.
    """
    ids_coded = coded_ids if isinstance(coded_ids, pd.Series) else pd.Series(list(coded_ids))
    coded = pd.Series(pd.unique(ids_coded.astype("str")), dtype="str")
    silent = pd.Series(silent_members(coded, participants), dtype="str")
    roster = participants.drop_duplicates("participant_id")
    ids = roster["participant_id"].astype("str")
    keep = isin(ids, coded) | isin(ids, silent)
    roster, ids = roster.loc[keep], ids.loc[keep]
    n = len(roster)
    none = pd.Series(None, index=ids.index, dtype=object)
    group = _text(roster["group_id"]) if "group_id" in roster.columns else none
    mode = _text(roster["collection"]) if "collection" in roster.columns else none
    in_group = group.notna().to_numpy().copy()
    if "collection" in roster.columns:
        in_group &= mode.eq(FOCUS_GROUP).to_numpy()
    unit = np.where(in_group, "group:" + group.astype(object).where(in_group, ""), "person:" + ids)
    mode = mode.where(~in_group, FOCUS_GROUP)
    out = pd.DataFrame(
        {
            "participant_id": pd.array(ids.to_numpy(), dtype="str"),
            "role": roster["role"].to_numpy(),
            "unit": pd.array(np.asarray(unit, dtype=object), dtype="str"),
            "collection": pd.array(mode.to_numpy(dtype=object), dtype="str"),
        },
        index=pd.RangeIndex(n),
    )
    out = out.loc[out["role"].notna()].reset_index(drop=True)
    out["role"] = out["role"].astype("str")
    return out


def role_modes(units: pd.DataFrame, roles: Iterable[str]) -> dict[str, str | None]:
    """How each role took part: its one mode (``focus_group``, ``interview``, ...),
    ``"mixed"`` when its participants took part in several ways, None when unknown."""
    out: dict[str, str | None] = {}
    for role in roles:
        modes = units.loc[units["role"].eq(role), "collection"].dropna().astype(str).unique()
        out[role] = str(modes[0]) if len(modes) == 1 else (MIXED_MODES if len(modes) else None)
    return out


def mode_confounded(mode_a: object, mode_b: object) -> bool:
    """Role and mode coincide: each role took part in one known way, and not the same
    way (e.g. one role in focus groups, the other interviewed), so a difference between
    the roles cannot be told apart from a difference between the modes."""
    known = all(isinstance(m, str) and m and m != MIXED_MODES for m in (mode_a, mode_b))
    return bool(known and mode_a != mode_b)
