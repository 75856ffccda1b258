"""What a run releases about its counts, written as linear facts an attacker can use.

Layer 3 (analysis), part of :mod:`partner_study.disclosure`. A :class:`Release` holds

- *quantities*: the counts behind the tables (people with a level of a variable in a group,
  participants raising a code at a site, ...) and helpers such as a group's number of
  answers; every quantity is a whole number of at least 0;
- *units*: what one table cell releases together (a count, its percentage and the counts
  printed beside it, e.g. the segments of a code), with every place it appears
  (``table, row, column``); a unit is shown or suppressed as a whole;
- *facts*: linear equalities and inequalities between quantities, true of every study
  (the levels and the missing answers of a variable add up to the group; the groups add up
  to the ``all`` column; a theme is raised by at least as many participants as any of its
  codes) and the percentages a unit shows, at the precision it shows them (a percentage
  printed ``52.3`` says ``52.25 <= 100 n / N <= 52.35``).

Two kinds of release are described the same way: the tables a stage is about to write,
with every true value known and a suppression pattern chosen (:mod:`~.protect` chooses
it), and the tables as released, read back from ``reports/``, where only what is printed is
known (:mod:`~.audit` bounds the rest). The table structures are in :mod:`~.structure`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Release", "Unit", "Fact", "percent_half_width"]

Key = Hashable
#: Where a unit is printed: ``(table, row, column)`` (written as text in the audit).
Cell = tuple[Any, Any, Any]
Terms = Sequence[tuple[Key, float]]

#: Significant digits of a number in a tidy CSV (the writer's ``%.8g``).
CSV_DIGITS = 8


def percent_half_width(value: float, decimals: int | None) -> float:
    """Half the width of the interval a printed percentage stands for.

    ``decimals`` is the number of decimals it was rounded to (``52.3`` with 1: 0.05);
    None means the writer's 8 significant digits. A small margin covers binary rounding.

    Examples
    --------
    >>> round(percent_half_width(52.3, 1), 6)
    0.05
    >>> round(percent_half_width(52.298851, None), 9)
    5.05e-07
    """
    if decimals is not None:
        half = 0.5 * 10.0 ** (-decimals)
    elif value == 0:
        half = 0.0
    else:
        half = 0.5 * 10.0 ** (math.floor(math.log10(abs(value))) - (CSV_DIGITS - 1))
    return half + 1e-10 * max(1.0, abs(value))


@dataclass
class Unit:
    """One released cell: a count (``main``), what is printed with it, where it appears."""

    key: Key
    main: int
    extras: list[int] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    #: A group size (a column header): hidden to protect another cell only when nothing
    #: else will do.
    structural: bool = False
    #: Printed however the cell is (a denominator every percentage gives, a number of
    #: coded participants): never hidden, and not itself a protected count.
    fixed: bool = False
    suppressed: bool = False


@dataclass(frozen=True)
class Fact:
    """``low <= sum(coef * quantity) <= high``; held only while ``unit`` is shown (a
    percentage goes with its cell), always when ``unit`` is None."""

    terms: tuple[tuple[int, float], ...]
    low: float
    high: float
    unit: Key | None = None


class Release:
    """Quantities, units and facts of a set of tables (see the module docstring).

    Parameters
    ----------
    threshold : int
        The disclosure threshold: counts from 1 to ``threshold - 1`` are protected.
    released : bool
        True when built from released tables: a value is known exactly where it is
        printed, and every fact given holds. False when built from the true tables of a
        stage: every value is known to the stage, an attacker knows those of shown units,
        and a percentage fact holds only while its unit is shown.
    """

    def __init__(self, *, threshold: int, released: bool) -> None:
        self.threshold = int(threshold)
        self.released = released
        self._index: dict[Key, int] = {}
        self.names: list[Key] = []
        self.values: list[float] = []
        self.units: dict[Key, Unit] = {}
        self.owner: dict[int, Key] = {}
        self.facts: list[Fact] = []
        #: Released values the linear model cannot express and that reveal a hidden
        #: count outright (e.g. a test statistic beside a suppressed share): (cell, what).
        self.findings: list[tuple[Cell, str]] = []

    # ------------------------------------------------------------------ building

    def quantity(self, key: Key, value: Any = math.nan) -> int:
        """The index of quantity ``key`` (created when new); ``value`` is recorded when
        given and not missing."""
        i = self._index.get(key)
        if i is None:
            i = self._index[key] = len(self.names)
            self.names.append(key)
            self.values.append(math.nan)
        if value is not None and not _missing(value):
            self.values[i] = float(value)
        return i

    def __contains__(self, key: Key) -> bool:
        return key in self._index

    def index(self, key: Key) -> int:
        return self._index[key]

    def unit(
        self,
        key: Key,
        value: Any,
        cell: Cell,
        *,
        extras: Iterable[tuple[Key, Any]] = (),
        structural: bool = False,
        fixed: bool = False,
    ) -> Key:
        """Record that ``cell`` releases the count ``key`` (and ``extras`` with it).

        In a released description a missing ``value`` means the cell is suppressed; a unit
        appearing in several tables is shown when any of them shows it.
        """
        main = self.quantity(key, value)
        unit = self.units.get(key)
        if unit is None:
            unit = self.units[key] = Unit(key, main, structural=structural or fixed, fixed=fixed)
            self.owner[main] = key
        if cell not in unit.cells:
            unit.cells.append(cell)
        for extra_key, extra_value in extras:
            j = self.quantity(extra_key, extra_value)
            if j not in unit.extras:
                unit.extras.append(j)
                self.owner.setdefault(j, key)
        if self.released:
            unit.suppressed = _missing(self.values[main])
        return key

    def fact(self, terms: Terms, low: float, high: float, *, unit: Key | None = None) -> None:
        """``low <= sum(coef * quantity) <= high`` (quantities created when new)."""
        merged: dict[int, float] = {}
        for key, coef in terms:
            i = self.quantity(key)
            merged[i] = merged.get(i, 0.0) + float(coef)
        items = tuple((i, c) for i, c in merged.items() if c != 0.0)
        if items:
            self.facts.append(Fact(items, float(low), float(high), None if self.released else unit))

    def equal(self, total: Key, parts: Iterable[Key], *, extra: Terms = ()) -> None:
        """``total = sum(parts) + sum(extra)``."""
        self.fact([(total, 1.0), *((p, -1.0) for p in parts), *((k, -c) for k, c in extra)], 0, 0)

    def at_most(self, small: Key, larges: Iterable[Key]) -> None:
        """``small <= sum(larges)``."""
        self.fact([(small, 1.0), *((k, -1.0) for k in larges)], -math.inf, 0)

    def share(
        self,
        numerator: Key,
        denominator: Key | float,
        percent: Any,
        *,
        decimals: int | None,
        unit: Key | None,
    ) -> None:
        """A printed percentage ``100 * numerator / denominator`` (a quantity or a known
        number), at ``decimals`` decimals (None: the CSV's 8 significant digits)."""
        if _missing(percent):
            return
        half = percent_half_width(float(percent), decimals)
        low, high = float(percent) - half, float(percent) + half
        if isinstance(denominator, int | float) and not isinstance(denominator, bool):
            if denominator > 0:  # 100 n / D in [low, high]  <=>  n in [low D/100, high D/100]
                self.fact([(numerator, 100.0)], low * denominator, high * denominator, unit=unit)
            return
        self.fact([(numerator, 100.0), (denominator, -low)], 0.0, math.inf, unit=unit)
        self.fact([(numerator, 100.0), (denominator, -high)], -math.inf, 0.0, unit=unit)

    def finding(self, cell: Cell, what: str) -> None:
        """A released value that reveals a hidden count outright (audit failure)."""
        self.findings.append((cell, what))

    # ------------------------------------------------------------------ state

    @property
    def size(self) -> int:
        return len(self.names)

    def value_array(self) -> np.ndarray:
        return np.asarray(self.values, dtype=float)

    def known(self) -> np.ndarray:
        """Which quantities an attacker knows exactly from what is printed."""
        values = self.value_array()
        if self.released:
            return ~np.isnan(values)
        out = np.zeros(self.size, dtype=bool)
        for unit in self.units.values():
            if not unit.suppressed:
                out[unit.main] = True
                out[unit.extras] = True
        return out & ~np.isnan(values)

    def active_facts(self) -> list[Fact]:
        """The facts that hold given the current suppression."""
        return [
            f
            for f in self.facts
            if f.unit is None or f.unit not in self.units or not self.units[f.unit].suppressed
        ]

    def suppress(self, keys: Iterable[Key]) -> None:
        for key in keys:
            self.units[key].suppressed = True

    def suppressed(self) -> set[Key]:
        return {k for k, u in self.units.items() if u.suppressed}

    def primary(self) -> list[Key]:
        """Units whose count is from 1 to ``threshold - 1`` (known values only; not the
        fixed ones)."""
        out = []
        for key, unit in self.units.items():
            v = self.values[unit.main]
            if not unit.fixed and not _missing(v) and 1 <= v <= self.threshold - 1:
                out.append(key)
        return out


def _missing(value: object) -> bool:
    try:
        return value is None or math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True
