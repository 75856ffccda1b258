"""The paper tables: display versions of a run's tidy tables, in report order.

Layer 4. :func:`paper_tables` formats the tidy tables with
:func:`partner_study.tables.format_table`; the Likert table is split by response set, the
regression by model kind, and the joint display's survey scores go in a table of their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from partner_study.config import TABLE_NAMES
from partner_study.report.names import _pretty
from partner_study.shape import StudyShape
from partner_study.tables import SUPPRESSED
from partner_study.tables._cells import _hidden_in_column, _suppression_note

__all__ = ["paper_tables"]


def paper_tables(
    tables: Mapping[str, pd.DataFrame],
    *,
    suppress_below: int = 5,
    shape: StudyShape | None = None,
) -> dict[str, pd.DataFrame]:
    """Display versions (:func:`partner_study.tables.format_table`) of the tidy tables,
    in report order. A tidy table with no rows (a study without a survey has no Likert
    or reliability rows) gives no paper table: a header alone tells a reader nothing."""
    from partner_study.tables import format_table

    return (
        {
            name: format_table(frame, name, suppress_below=suppress_below, shape=shape)
            for name, frame in tables.items()
            if len(frame)
            and name in TABLE_NAMES
            and name not in ("regression", "likert", "joint-display")
        }
        | _likert_tables(tables.get("likert"), shape, suppress_below)
        | _regression_tables(tables.get("regression"), shape)
        | _joint_tables(
            tables.get("joint-display"),
            shape,
            tables.get("joint-display-roles"),
            suppress_below=suppress_below,
            statistics=tables.get("joint-display-statistics"),
        )
    )


_MEAN = re.compile(r"^mean_(.+?)_(not_mentioned|mentioned)$")


def _joint_tables(
    frame: pd.DataFrame | None,
    shape: StudyShape | None,
    per_role: pd.DataFrame | None = None,
    *,
    suppress_below: int = 5,
    statistics: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """The joint display, its survey scores apart (one row per theme and scale) so that no
    table is too wide to read: ``joint-display`` and ``joint-display-scores``. With three
    roles or more, every role's share is shown beside the two compared."""
    from partner_study.tables import format_table

    if frame is None or not len(frame):
        return {}
    means = [c for c in frame.columns if _MEAN.match(str(c))]
    display = format_table(
        frame.drop(columns=means), "joint-display", shape=shape, suppress_below=suppress_below
    )
    if per_role is not None and per_role["role"].nunique() > 2:
        share = per_role.pivot_table(
            index="theme",
            columns="role",
            values="pct_mentioning",
            aggfunc="first",
            sort=False,
            dropna=False,
        )
        coded = pd.to_numeric(per_role["n_coded"], errors="coerce").groupby(per_role["role"]).max()
        roles = shape.group_order(share.columns) if shape is not None else list(share.columns)
        for i, role in enumerate(r for r in roles if r in share.columns):
            name = f"{shape.role_label(role, plural=True) if shape else role}, %"
            values = frame["theme"].astype(str).map(share[role])
            hidden = values.isna() & bool(coded.get(role, 0) > 0)
            cells = [
                SUPPRESSED if h else "" if pd.isna(v) else f"{float(v):.1f}"
                for v, h in zip(values, hidden, strict=True)
            ]
            display.insert(1 + i, name, cells, allow_duplicates=True)
    out = {"joint-display": display}
    if not means:
        return out
    rows = []
    for theme, sub in frame.set_index("theme")[means].iterrows():
        for column, value in sub.items():
            scale, which = _MEAN.match(str(column)).groups()  # type: ignore[union-attr]
            rows.append({"theme": theme, "scale": scale, "which": which, "value": value})
    wide = (
        pd.DataFrame(rows)
        .pivot_table(
            index=["theme", "scale"], columns="which", values="value", aggfunc="first", sort=False
        )
        .reset_index()
    )
    themes = shape.labels_for("joint-display") if shape is not None else {}
    names: pd.Series = wide["theme"].map(lambda t: themes.get(str(t)) or _pretty(str(t)))
    scale = wide["scale"].map(lambda v: shape.label(v) if shape is not None else _pretty(str(v)))

    def mean(column: str) -> list[str]:
        values = wide[column] if column in wide.columns else pd.Series(float("nan"), wide.index)
        hidden = _hidden_means(wide, column, statistics)
        if hidden is None:  # without the survey side's counts: missing among printed means
            hidden = _hidden_in_column(values)
        return [
            SUPPRESSED if h else "" if pd.isna(v) else f"{float(v):.2f}"
            for v, h in zip(values, hidden, strict=True)
        ]

    display = pd.DataFrame(
        {
            "Theme": names.where(names.ne(names.shift()), ""),
            "Scale": scale,
            "Mean score, raised the theme": mean("mentioned"),
            "Mean score, did not": mean("not_mentioned"),
        },
        dtype=object,
    ).reset_index(drop=True)
    display.attrs["note"] = (
        "Mean scale scores of the participants who took part in both strands, by whether "
        "they raised the theme."
    )
    if any(SUPPRESSED in display[c].tolist() for c in display.columns[2:]):
        display.attrs["note"] += _suppression_note(SUPPRESSED, suppress_below)
    out["joint-display-scores"] = display
    return out


def _hidden_means(
    wide: pd.DataFrame, column: str, statistics: pd.DataFrame | None
) -> pd.Series | None:
    """Which means of the joint display's survey scores are hidden by disclosure control:
    those whose group size the survey side (``joint-display-statistics``) leaves empty
    (an empty group has size 0 and no mean to hide). None without that table."""
    if statistics is None or not {"theme", "measure", "group", "n"} <= set(statistics.columns):
        return None
    n = pd.to_numeric(statistics["n"], errors="coerce")
    keys = statistics["theme"].astype(str) + "\x00" + statistics["measure"].astype(str)
    hidden = dict(zip(keys + "\x00" + statistics["group"].astype(str), n.isna(), strict=True))
    wanted = wide["theme"].astype(str) + "\x00mean_" + wide["scale"].astype(str) + "\x00" + column
    return wanted.map(lambda k: bool(hidden.get(k, False)))


def _likert_tables(
    frame: pd.DataFrame | None, shape: StudyShape | None, suppress_below: int = 5
) -> dict[str, pd.DataFrame]:
    """The Likert paper table, or one per response set when scales differ in range."""
    from partner_study.tables import likert_displays

    if frame is None or not len(frame):
        return {}
    return likert_displays(frame, shape=shape, suppress_below=suppress_below)


def _regression_tables(
    frame: pd.DataFrame | None, shape: StudyShape | None
) -> dict[str, pd.DataFrame]:
    """One paper table per model kind; a kind every model of which was skipped gives none
    (the report's "not applicable" list says why)."""
    from partner_study.tables import regression_displays

    if frame is None or not len(frame):
        return {}
    return {
        k: d
        for k, d in regression_displays(frame, shape=shape).items()
        if not d.attrs.get("skipped")
    }
