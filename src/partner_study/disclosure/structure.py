"""What each tidy table releases: its cells, its sums and its percentages.

Layer 3 (analysis), part of :mod:`partner_study.disclosure`. One ``describe_<table>``
function per table adds the table to a :class:`~partner_study.disclosure.release.Release`
(the survey tables here, the qualitative and integration tables in
:mod:`~partner_study.disclosure.structure_coded`); :func:`describe_released` describes a
run's tables as released. Tables that print the same count give it the same key, so a
count hidden in one table and printed in another is one count printed.

Table 1 (``characteristics``)
    A cell per variable, level and group (and per variable and group for the missing
    answers and, for a numeric variable, the number of answers); the groups' sizes are
    column headers. Facts: the levels and the missing answers of a variable add up to the
    group's size, the groups to ``all``; a percentage is of the group's answers.
Likert (``likert``)
    A cell per item, group and response; the responses add up to the group's answers to
    the item (a percentage is of those), the groups to ``all``.
Scales by role (``scales-by-role``)
    Two cells per scale and role: respondents with a score and complete rows (at most
    as many); the roles' complete rows add up to the reliability table's ``n``.

A percentage printed with at most one decimal everywhere in its column is read as
rounded to one decimal (``52.3``: from 52.25 to 52.35); otherwise as the CSV's 8
significant digits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from partner_study.disclosure.release import Release

__all__ = [
    "AUDITED_TABLES",
    "ALL",
    "describe_released",
    "describe_characteristics",
    "apply_characteristics",
    "describe_likert",
    "apply_likert",
    "describe_scales_by_role",
    "apply_scales_by_role",
    "scales_by_role_key",
    "t1_key",
    "likert_key",
    "percent_decimals",
    "printed_total",
]

#: The margin group of every table.
ALL = "all"


def percent_decimals(values: pd.Series) -> int | None:
    """1 when every percentage of a column has at most one decimal, else None (8
    significant digits)."""
    v = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if not len(v) or np.all(np.abs(v * 10 - np.round(v * 10)) < 1e-6):
        return 1
    return None


def printed_total(counts: pd.Series, percents: pd.Series) -> float:
    """The denominator of a group's printed counts and percentages, as a reader can tell it.

    The sum of the counts when every one is printed; else the one whole number that every
    printed count with its percentage allows (percentages read as rounded to one
    decimal); else NaN (the printed cells do not tell it).

    Examples
    --------
    >>> printed_total(pd.Series([91, None, None]), pd.Series([52.3, None, None]))
    174.0
    >>> math.isnan(printed_total(pd.Series([5, None]), pd.Series([2.5, None])))
    True
    """
    n = pd.to_numeric(counts, errors="coerce")
    pct = pd.to_numeric(percents, errors="coerce")
    if n.notna().all():
        return float(n.sum())
    low, high = float(n.sum()), math.inf
    for k, p in zip(n, pct, strict=True):
        if pd.notna(k) and pd.notna(p) and k > 0:
            low = max(low, 100 * k / (p + 0.05))
            high = min(high, 100 * k / (p - 0.05) if p > 0.05 else math.inf)
    if not math.isfinite(high):
        return math.nan
    first, last = math.ceil(low - 1e-9), math.floor(high + 1e-9)
    return float(first) if first == last else math.nan


def _num(value: object) -> float:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return out


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "").astype(str)


# --------------------------------------------------------------------------- Table 1


def t1_key(kind: str, variable: Any, level: Any, role: Any) -> tuple:
    """Key of a Table 1 count: ``kind`` is ``n`` (a level, or the answers of a numeric
    variable, level ``""``), ``missing`` or ``participants``."""
    return ("characteristics", kind, variable, level, role)


def describe_characteristics(release: Release, table: pd.DataFrame) -> None:
    """Add Table 1 to ``release``.

    ``table`` has the columns of :data:`partner_study.describe.CHARACTERISTICS_COLUMNS`:
    true values (a stage protecting it) or as released (``NaN`` where suppressed).
    """
    name = "characteristics"
    t = table.assign(
        variable=_text(table["variable"]),
        level=_text(table["level"]),
        role=_text(table["role"]),
        n=pd.to_numeric(table["n"], errors="coerce"),
        percent=pd.to_numeric(table["percent"], errors="coerce"),
        missing=pd.to_numeric(table["missing"], errors="coerce"),
    )
    decimals = percent_decimals(t["percent"])
    sizes = t[t["variable"] == "participants"]
    roles = [r for r in pd.unique(sizes["role"]) if r != ALL]
    for r, n in zip(sizes["role"], sizes["n"], strict=True):
        release.unit(
            t1_key("participants", "", "", r), n, (name, "participants", r), structural=True
        )
    if ALL in set(sizes["role"]) and roles:
        release.equal(
            t1_key("participants", "", "", ALL),
            [t1_key("participants", "", "", r) for r in roles],
        )
    body = t[t["variable"] != "participants"]
    for variable, block in body.groupby("variable", sort=False):
        numeric = bool((block["level"] == "").all())
        present = list(pd.unique(block["role"]))
        groups = [r for r in present if r != ALL]
        levels = list(pd.unique(block["level"]))
        for role, rows in block.groupby("role", sort=False):
            missing_key = t1_key("missing", variable, "", role)
            shown_missing = rows["missing"].dropna()
            release.unit(
                missing_key,
                shown_missing.iloc[0] if len(shown_missing) else math.nan,
                (name, f"{variable}: missing", role),
            )
            parts = []
            for row in rows.itertuples(index=False):
                key = t1_key("n", variable, row.level, role)
                label = f"{variable}: answered" if numeric else f"{variable}: {row.level}"
                release.unit(key, row.n, (name, label, role))
                parts.append(key)
            size = t1_key("participants", "", "", role)
            answered = ("characteristics", "answered", variable, role)
            if not release.released:
                release.quantity(answered, float(rows["n"].sum()))
            release.equal(answered, parts)
            if role != ALL and size in release:
                release.equal(size, [answered, missing_key])
            if numeric:
                continue
            for row in rows.itertuples(index=False):
                key = t1_key("n", variable, row.level, role)
                release.share(key, answered, row.percent, decimals=decimals, unit=key)
        if groups and ALL in present:
            for level in levels:
                release.equal(
                    t1_key("n", variable, level, ALL),
                    [t1_key("n", variable, level, r) for r in groups],
                )
            release.equal(
                t1_key("missing", variable, "", ALL),
                [t1_key("missing", variable, "", r) for r in groups],
            )


def apply_characteristics(release: Release, table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the suppression chosen in ``release``: a hidden count is empty with
    its percentage and statistics and ``suppressed`` True; a hidden missing count is
    empty on every row of its variable and group."""
    t = table.copy()
    hidden = release.suppressed()
    variable, level, role = _text(t["variable"]), _text(t["level"]), _text(t["role"])
    kind = np.where(variable == "participants", "participants", "n")
    row_hidden = np.array(
        [
            t1_key(k, v if k == "n" else "", lv if k == "n" else "", r) in hidden
            for k, v, lv, r in zip(kind, variable, level, role, strict=True)
        ],
        dtype=bool,
    )
    miss_hidden = np.array(
        [
            v != "participants" and t1_key("missing", v, "", r) in hidden
            for v, r in zip(variable, role, strict=True)
        ],
        dtype=bool,
    )
    stats = ["n", "percent", "mean", "sd", "median", "q1", "q3"]
    t[stats] = t[stats].astype("float64")
    t.loc[row_hidden, stats] = np.nan
    t["missing"] = t["missing"].astype("float64")
    t.loc[miss_hidden, "missing"] = np.nan
    t["suppressed"] = row_hidden
    t["n"] = t["n"].astype("Int64")
    t["missing"] = t["missing"].astype("Int64")
    return t


# --------------------------------------------------------------------------- Likert


def likert_key(item: Any, role: Any, response: Any) -> tuple:
    return ("likert", item, role, f"{_num(response):g}")


def describe_likert(release: Release, table: pd.DataFrame) -> None:
    """Add the Likert table (``scale, item, role, response, n, percent``) to ``release``."""
    name = "likert"
    t = table.assign(
        item=_text(table["item"]),
        role=_text(table["role"]),
        n=pd.to_numeric(table["n"], errors="coerce"),
        percent=pd.to_numeric(table["percent"], errors="coerce"),
    )
    decimals = percent_decimals(t["percent"])
    for item, block in t.groupby("item", sort=False):
        present = list(pd.unique(block["role"]))
        groups = [r for r in present if r != ALL]
        for role, rows in block.groupby("role", sort=False):
            answered = ("likert", "answered", item, role)
            keys = []
            for row in rows.itertuples(index=False):
                key = likert_key(item, role, row.response)
                release.unit(key, row.n, (name, f"{item}: {_num(row.response):g}", role))
                keys.append(key)
            if not release.released:
                release.quantity(answered, float(rows["n"].sum()))
            release.equal(answered, keys)
            for row in rows.itertuples(index=False):
                key = likert_key(item, role, row.response)
                release.share(key, answered, row.percent, decimals=decimals, unit=key)
        if groups and ALL in present:
            for response in pd.unique(block["response"]):
                release.equal(
                    likert_key(item, ALL, response),
                    [likert_key(item, r, response) for r in groups],
                )


def apply_likert(release: Release, table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with hidden counts (and their percentages) empty."""
    t = table.copy()
    hidden = release.suppressed()
    mask = np.array(
        [
            likert_key(i, r, v) in hidden
            for i, r, v in zip(_text(t["item"]), _text(t["role"]), t["response"], strict=True)
        ],
        dtype=bool,
    )
    t["n"] = t["n"].astype("float64")
    t["percent"] = t["percent"].astype("float64")
    t.loc[mask, ["n", "percent"]] = np.nan
    t["n"] = t["n"].astype("Int64")
    return t


# --------------------------------------------------------------------------- scales by role


def scales_by_role_key(column: str, scale: Any, role: Any) -> tuple:
    """Key of a count of the scales-by-role table: ``column`` is ``n`` (respondents with a
    score) or ``n_complete`` (rows answering every item)."""
    return ("scales-by-role", column, scale, role)


def describe_scales_by_role(
    release: Release, table: pd.DataFrame, reliability: pd.DataFrame | None = None
) -> None:
    """Add the scales-by-role table (``scale, role, n, n_complete, ...``) to ``release``.

    Each role's two counts are cells (``n_complete <= n``). With ``reliability`` (its
    ``scale`` and ``n``, printed whatever happens), the roles' complete rows of a scale
    add up to that ``n``: every respondent has one role.
    """
    name = "scales-by-role"
    t = table.assign(
        scale=_text(table["scale"]),
        role=_text(table["role"]),
        n=pd.to_numeric(table["n"], errors="coerce"),
        n_complete=pd.to_numeric(table["n_complete"], errors="coerce"),
    )
    totals: dict[str, float] = {}
    if reliability is not None and {"scale", "n"} <= set(reliability.columns):
        n = pd.to_numeric(reliability["n"], errors="coerce")
        totals = dict(zip(_text(reliability["scale"]), n, strict=True))
    for scale, rows in t.groupby("scale", sort=False):
        parts = []
        for row in rows.itertuples(index=False):
            scored = scales_by_role_key("n", scale, row.role)
            complete = scales_by_role_key("n_complete", scale, row.role)
            release.unit(scored, row.n, (name, f"{scale}: n", row.role))
            release.unit(complete, row.n_complete, (name, f"{scale}: n_complete", row.role))
            release.at_most(complete, [scored])
            parts.append(complete)
        total = totals.get(str(scale))
        if total is not None and not math.isnan(total):
            key = ("reliability", "n", scale)
            release.unit(key, total, ("reliability", scale, "n"), fixed=True)
            release.equal(key, parts)


def apply_scales_by_role(release: Release, table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with hidden counts empty, with what goes with them: the mean and SD of
    ``n``; alpha, its interval, omega and the note of ``n_complete``."""
    t = table.copy()
    hidden = release.suppressed()
    scale, role = _text(t["scale"]), _text(t["role"])
    for column, stats in (
        ("n", ["n", "mean", "sd"]),
        ("n_complete", ["n_complete", "alpha", "alpha_ci_low", "alpha_ci_high", "omega"]),
    ):
        mask = np.array(
            [scales_by_role_key(column, s, r) in hidden for s, r in zip(scale, role, strict=True)],
            dtype=bool,
        )
        t[stats] = t[stats].astype("float64")
        t.loc[mask, stats] = np.nan
        if column == "n_complete" and "note" in t.columns:
            t.loc[mask, "note"] = ""
    return t.astype({"n": "Int64", "n_complete": "Int64"})


# --------------------------------------------------------------------------- a run


#: The tidy tables the audit reads, in the order it describes them.
AUDITED_TABLES: tuple[str, ...] = (
    "characteristics",
    "likert",
    "scales-by-role",
    "codes",
    "codes-by-site",
    "cooccurrence",
    "joint-display-roles",
    "joint-display",
    "joint-display-statistics",
    "regression-by-site",
)


def describe_released(tables: Mapping[str, pd.DataFrame], *, threshold: int) -> Release:
    """The release of a run's tidy tables as printed (those of :data:`AUDITED_TABLES`
    present in ``tables``)."""
    from partner_study.disclosure import structure_coded as coded

    release = Release(threshold=threshold, released=True)
    describers = {
        "characteristics": describe_characteristics,
        "likert": describe_likert,
        "scales-by-role": lambda r, t: describe_scales_by_role(r, t, tables.get("reliability")),
        "codes": lambda r, t: coded.describe_codes(r, t, name="codes"),
        "codes-by-site": lambda r, t: coded.describe_codes(r, t, name="codes-by-site"),
        "cooccurrence": coded.describe_cooccurrence,
        "joint-display-roles": coded.describe_joint_roles,
        "joint-display": coded.describe_joint_display,
        "joint-display-statistics": coded.describe_statistics,
        "regression-by-site": coded.describe_regression_by_site,
    }
    for name in AUDITED_TABLES:
        frame = tables.get(name)
        if frame is not None and len(frame):
            describers[name](release, frame)
    return release
