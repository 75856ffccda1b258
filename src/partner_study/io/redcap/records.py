"""The records of a REDCap export that become participants.

Layer 2. Keeps one row per participant: the rows of one event of a longitudinal export,
without the rows of repeating instruments; checks that each record id is filled and used
once; and notes the data columns that the dictionary does not describe (REDCap's system
columns, form-status and survey-timestamp columns are left out silently).
"""

from __future__ import annotations

import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.io._naming import _shown

__all__: list[str] = []

_SYSTEM_PREFIX = "redcap_"


def _filter_rows(
    data: pd.DataFrame, *, event: str | None, name: str, notes: list[str]
) -> tuple[pd.DataFrame, set[str]]:
    """Rows of the chosen event, without repeating-instrument rows; the repeating forms."""
    event_col = f"{_SYSTEM_PREFIX}event_name"
    if event_col in data.columns:
        events = list(dict.fromkeys(data[event_col].astype(str).str.strip()))
        if event is None and len(events) == 1:
            event = events[0]
        elif event is None:
            raise StudyDataError(
                Problem(
                    file=name,
                    column=event_col,
                    found=f"a longitudinal export with {len(events)} events ({_shown(events, 12)})",
                    expected="one row per participant",
                    fix=f"choose the event that holds the survey: `partner-study import redcap ... "
                    f"--event {events[0]}` (in Python: import_redcap(..., "
                    f"event='{events[0]}'))",
                )
            )
        if event not in events:
            raise StudyDataError(
                Problem(
                    file=name,
                    column=event_col,
                    found=f"no rows of event '{event}'",
                    expected=f"one of the events {_shown(events, 12)}",
                    fix="pass event= one of those names (the unique event name, as exported)",
                )
            )
        data = data.loc[data[event_col].astype(str).str.strip().eq(event)]
        notes.append(
            f"Kept the {len(data)} row(s) of event '{event}' (the export has "
            f"{len(events)} event(s))."
        )
    elif event is not None:
        raise StudyDataError(
            Problem(
                file=name,
                found=f"event='{event}' but no column '{event_col}'",
                expected="a longitudinal export when an event is chosen",
                fix="leave out event=, or export the data with its events",
            )
        )
    repeat_col = f"{_SYSTEM_PREFIX}repeat_instrument"
    forms: set[str] = set()
    if repeat_col in data.columns:
        instrument = data[repeat_col].astype(str).str.strip()
        repeating = instrument.ne("")
        if repeating.any():
            forms = set(instrument[repeating])
            notes.append(
                f"Repeating instruments ({_shown(sorted(forms))}) can't be one row per "
                f"participant: their {int(repeating.sum())} row(s) and fields were left "
                "out. Summarise them per participant yourself if you need them."
            )
            data = data.loc[~repeating]
    return data, forms  # the index keeps the export's row positions for messages


def _check_ids(ids: pd.Series, name: str, column: str) -> None:
    """Record ids must be unique and filled; rows are named by their place in the export."""
    empty = ids.index[ids.eq("").to_numpy()].to_numpy()
    dup_mask = (ids.duplicated(keep=False) & ids.ne("")).to_numpy()
    dup = ids.index[dup_mask].to_numpy()
    for rows, found, fix in (
        (empty, "an empty record id", "give every record its id"),
        (
            dup,
            f"record id(s) used on several rows ({_shown(sorted(set(ids[dup_mask])), 5)})",
            "keep one row per participant (for a longitudinal project pass "
            "event=; repeated instances are not supported)",
        ),
    ):
        if len(rows):
            listed = ", ".join(str(i + 2) for i in rows[:5])
            raise StudyDataError(
                Problem(
                    file=name,
                    row=int(rows[0]) + 2,
                    column=column,
                    found=f"{found} on row(s) {listed}{', ...' if len(rows) > 5 else ''}",
                    expected="one row per participant with a unique id",
                    fix=fix,
                )
            )


def _drop_unknown_columns(
    frame: pd.DataFrame, used: set[str], forms: set[str], notes: list[str]
) -> None:
    unknown = [
        c
        for c in frame.columns
        if c not in used
        and not c.startswith(_SYSTEM_PREFIX)
        and not (c.endswith("_complete") and c[: -len("_complete")] in forms)
        and not c.endswith("_timestamp")
    ]
    if unknown:
        notes.append(
            f"Data columns not described by the dictionary were left out: "
            f"{_shown(unknown, 8)}. Check that data and dictionary come from the "
            "same project version."
        )
