"""The disclosure audit: can a hidden small count be derived from what a run releases?

Layer 3 (analysis), part of :mod:`partner_study.disclosure`. The audit reads the tidy
tables as released (stage 06-report reads them back from ``reports/<study>/tables/``), so
it knows exactly what a reader knows: the printed counts, the percentages at the
precision printed, the group sizes, the ``all`` columns and the tables of the same run that
print the same counts (:mod:`~.structure` describes each table). For every cell that may
hide a small count it computes the least and greatest value the cell can take given all
of that (:func:`~.bounds.feasible_ranges`, an exact integer programme), and judges it.

The criterion
-------------
With threshold ``t`` (``describe.suppress_below``), a released count from 1 to ``t - 1``
is protected. An attacker does not know which suppressed cells hide such a count (primary
and complementary suppression look the same), so every suppressed cell is audited. A
cell whose feasible values run from ``lower`` to ``upper`` passes when

    ``upper - lower >= t - 1``  (at least ``t`` whole values are possible), or
    ``lower >= t``              (whatever it is, it is not a small count), or
    ``upper == 0``              (it is known to be zero: a zero discloses no one).

A printed count from 1 to ``t - 1`` fails outright (its range is one value), as does a
printed value the linear model cannot express but which gives a hidden count away (a test
statistic or difference beside a suppressed share). Zero is not protected: a printed zero
discloses no one; a suppressed cell that may be zero or a small count is audited like any
other. Nor are the numbers of coded participants of the codes tables and the joint display:
they are the denominators every printed percentage gives, the size of the interviewed and
focus-group samples (a site with fewer is pooled, :mod:`~.pooling`); the counts of their
cells are protected like any other.

The audit table (``tables/disclosure-audit.csv``) has one row per audited cell:
``table, row, column, released_as, lower, upper, ok``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from partner_study.disclosure.bounds import feasible_ranges
from partner_study.disclosure.release import Release
from partner_study.errors import Problem, StudyDataError

__all__ = ["AUDIT_COLUMNS", "passes", "audit_release", "audit_tables", "check_audit"]

AUDIT_COLUMNS = ["table", "row", "column", "released_as", "lower", "upper", "ok"]


def passes(lower: float, upper: float, threshold: int) -> bool:
    """The audit criterion (module docstring) for one feasible range.

    Examples
    --------
    >>> passes(0, 4, 5), passes(2, 2, 5), passes(5, 5, 5), passes(1, 4, 5), passes(0, 0, 5)
    (True, False, True, False, True)
    """
    if math.isnan(lower) or math.isnan(upper):
        return False
    return upper - lower >= threshold - 1 or lower >= threshold or upper == 0


def _audited(release: Release) -> list[tuple[object, str]]:
    """Units the audit judges: every suppressed one, and shown small counts."""
    t = release.threshold
    out = []
    for key, unit in release.units.items():
        value = release.values[unit.main]
        if unit.fixed:  # a denominator printed with every percentage: not protected
            continue
        if unit.suppressed:
            out.append((key, "suppressed"))
        elif not math.isnan(value) and 1 <= value <= t - 1:
            out.append((key, "count"))
    return out


def audit_release(release: Release) -> pd.DataFrame:
    """The audit of one release: :data:`AUDIT_COLUMNS`, one row per audited cell, in the
    order the tables were described."""
    t = release.threshold
    audited = _audited(release) if t > 1 else []
    ranges = feasible_ranges(release, [release.units[k].main for k, _ in audited])
    rows = []
    for key, released_as in audited:
        unit = release.units[key]
        low, high = ranges[unit.main]
        ok = passes(low, high, t) if released_as == "suppressed" else False
        for table, row, column in unit.cells:
            rows.append((table, row, column, released_as, low, high, ok))
    for (table, row, column), what in release.findings:
        rows.append((table, row, column, what, math.nan, math.nan, False))
    out = pd.DataFrame(rows, columns=AUDIT_COLUMNS)
    return out.astype({"lower": "float64", "upper": "float64", "ok": "bool"})


def audit_tables(tables: Mapping[str, pd.DataFrame], *, threshold: int) -> pd.DataFrame:
    """The disclosure audit of the tidy tables of a run, as released.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Tidy tables by name (``tables/<name>.csv`` read back with
        :func:`partner_study.io.read_output_tables`); those of
        :data:`partner_study.disclosure.AUDITED_TABLES` present are audited together, so
        that counts one table prints and another hides are caught.
    threshold : int
        ``describe.suppress_below``; 0 or 1 audits nothing.

    Returns
    -------
    DataFrame
        :data:`AUDIT_COLUMNS`: ``table``, ``row`` and ``column`` name the cell as the tidy
        table does; ``released_as`` is ``suppressed``, ``count`` (a small count printed)
        or what else gives a count away; ``lower`` and ``upper`` the range of values the
        released tables leave possible (``inf``: no upper bound); ``ok`` the criterion
        of the module docstring.
    """
    from partner_study.disclosure.structure import describe_released

    release = describe_released(tables, threshold=threshold)
    return audit_release(release)


def check_audit(audit: pd.DataFrame, *, file: str = "tables/disclosure-audit.csv") -> None:
    """Raise :class:`StudyDataError` naming the failing cells when any row is not ok."""
    failed = audit[~audit["ok"].astype(bool)]
    if failed.empty:
        return
    shown = "; ".join(
        f"{r.table} {r.row} / {r.column} ({r.released_as}, {_num(r.lower)} to {_num(r.upper)})"
        for r in failed.head(5).itertuples()
    )
    more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
    raise StudyDataError(
        Problem(
            file=file,
            found=f"{len(failed)} released cell(s) from which a count below the disclosure "
            f"threshold can be derived or read: {shown}{more}",
            expected="every suppressed cell to leave at least as many possible values as "
            "the threshold, and no small count printed",
            fix="rerun the pipeline from stage 02 (`partner-study run <params> --force`) so "
            "that every table is suppressed by this version; if a table was edited by hand "
            "after the run, restore it",
        )
    )


def _num(value: object) -> str:
    value = float(value)  # type: ignore[arg-type]
    if math.isnan(value):
        return "?"
    return "inf" if math.isinf(value) else f"{value:.0f}"
