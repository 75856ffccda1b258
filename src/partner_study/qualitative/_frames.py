"""Shared checks and helpers of the qualitative tables.

Layer 3 (analysis): the columns a frame must have, the roster's columns attached to coded
rows, the grouping keys, and the sort and dtype conventions of the tidy tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from partner_study.errors import ParamsError, Problem, StudyDataError

__all__: list[str] = []

_ALL = "all"


def _require(frame: pd.DataFrame, columns: Iterable[str], *, name: str) -> None:
    """Raise StudyDataError when ``frame`` lacks any of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise StudyDataError(
            Problem(
                file=f"{name} (data frame)",
                found=f"no column(s) {', '.join(repr(c) for c in missing)}",
                expected=f"the {name} columns of the data contract",
                fix=f"build '{name}' with partner_study.io (stage 01-prepare) "
                "or add the missing column(s)",
            )
        )


def _attach(
    coded: pd.DataFrame, participants: pd.DataFrame, columns: Sequence[str]
) -> pd.DataFrame:
    """Add participant columns (role, site, ...) from the roster; unknown ids are an error."""
    _require(participants, ["participant_id", *columns], name="participants")
    roster = participants[["participant_id", *columns]].drop_duplicates("participant_id")
    # Row of each coded id in the roster, from one factorisation of both id columns (a
    # merge or isin on a million text ids costs seconds).
    ids = pd.concat([roster["participant_id"], coded["participant_id"]], ignore_index=True)
    codes = pd.factorize(ids)[0]
    lookup = np.full(max(int(codes.max(initial=-1)) + 1, 1), -1, dtype=np.int64)
    lookup[codes[: len(roster)][codes[: len(roster)] >= 0]] = np.flatnonzero(
        codes[: len(roster)] >= 0
    )
    wanted = codes[len(roster) :]
    pos = np.where(wanted >= 0, lookup[np.maximum(wanted, 0)], -1)
    unknown = pd.unique(coded.loc[pos < 0, "participant_id"])
    if len(unknown):
        shown = ", ".join(repr(str(u)) for u in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise StudyDataError(
            Problem(
                file="segments (data frame)",
                column="participant_id",
                found=f"{shown}{more}",
                expected="participant ids listed in participants",
                fix="add the participant(s) to participants.csv or correct segments.csv",
            )
        )
    out = coded.reset_index(drop=True)
    for column in columns:
        out[column] = roster[column].array.take(pos)
    return out


def _group_order(values: pd.Series) -> pd.Series:
    """Sort key putting the margin ``"all"`` after the real groups."""
    return values.astype(str).where(values != _ALL, "\uffff")


def _check_by(by: str | Sequence[str]) -> list[str]:
    keys = [by] if isinstance(by, str) else list(by)
    if not keys or any(k not in ("role", "site") for k in keys) or len(set(keys)) != len(keys):
        raise ParamsError(f"by={by!r} is not supported; use 'role', 'site' or ('site', 'role')")
    return keys


def _distinct(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int array (sort-based, faster than hashing here)."""
    keys = np.sort(keys)
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys


def _dtype(column: str) -> str:
    if column.startswith("n_"):
        return "int64"
    if column.startswith("pct_") or column in ("value",):
        return "float64"
    return "str"
