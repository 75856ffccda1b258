"""Silent members: focus-group members with no coded segment of their own.

Layer 3 (analysis). A focus group is one unit of data collection: a member who said
nothing that was coded stays in the denominator of member-level shares (DESIGN §8).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from partner_study.arrays import isin

__all__ = ["silent_members"]


def silent_members(coded_ids: Any, participants: pd.DataFrame) -> list[str]:
    """Members of a coded focus group who have no coded segment themselves.

    A focus group is one unit of data collection: a member who said nothing that was coded
    was there and could have raised the theme, so member-level shares keep them in the
    denominator (DESIGN §8). Groups are the non-empty ``group_id`` values of participants
    whose ``collection`` is ``focus_group`` (any collection when the column is absent).
    """
    if "group_id" not in participants.columns:
        return []
    people = participants[["participant_id", "group_id"]].astype(object)
    in_group = people["group_id"].notna() & people["group_id"].astype(str).str.strip().ne("")
    if "collection" in participants.columns:
        in_group &= participants["collection"].astype(str).eq("focus_group")
    members = people[in_group]
    given = coded_ids if isinstance(coded_ids, pd.Series | pd.Index) else list(coded_ids)
    coded = pd.Series(pd.unique(pd.Series(given).astype("str")), dtype="str")
    ids = members["participant_id"].astype("str")
    group = members["group_id"].astype("str")
    spoke = isin(ids, coded)  # pyarrow's is_in: pandas' isin on text ids costs seconds
    silent = ids[isin(group, group[spoke]) & ~spoke]
    return list(silent)
