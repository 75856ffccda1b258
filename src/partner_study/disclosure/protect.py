"""Small-cell suppression: primary, then complementary until the audit passes.

Layer 3 (analysis), part of :mod:`partner_study.disclosure`. :func:`protect` takes the
:class:`~partner_study.disclosure.release.Release` of the true tables a stage is about to
write and chooses what to hide:

1. *primary*: every count from 1 to ``t - 1`` (and what the table structure adds, such
   as every cell of a group smaller than ``t``);
2. *complementary*: while some suppressed cell fails the audit criterion
   (:func:`~partner_study.disclosure.audit.passes`), the cheapest set of further cells is
   hidden that leaves two tables, both consistent with everything still printed, whose
   values of that cell differ by ``t - 1`` or more. Such two tables prove the cell's
   feasible range wide enough, so one choice per failing cell protects it for good
   (hiding more never narrows a range); cells hidden as complements are then audited in
   turn, until none fails.

The choice is an integer programme (:func:`scipy.optimize.milp`) over the cells connected
to the failing one: a 0/1 variable per printed cell (1: hide it), two copies of the
table's counts that must agree with every printed cell not hidden (and satisfy its
percentage and every sum of the table), and a cost per hidden cell of ``1 + log10(1 +
count)``, so that few and small cells are hidden. Group sizes (column headers) are
chosen only when nothing else protects the cell (a group smaller than the threshold, whose
size the other groups' would give away), and at ten times the cost. The solver is limited
in nodes, not seconds, so the same tables always get the same suppression.
"""

from __future__ import annotations

import math

import numpy as np

from partner_study.disclosure.audit import passes
from partner_study.disclosure.bounds import NODE_LIMIT, feasible_ranges
from partner_study.disclosure.release import Key, Release

__all__ = ["protect", "failing"]

#: Rounds of complementary suppression before giving up (each round protects every cell
#: failing at its start; the complements of the last round are audited in the next).
MAX_ROUNDS = 20
#: How much more hiding a group size costs than hiding a cell of the same count.
SIZE_COST = 10.0


def failing(release: Release, proven: set[Key] | None = None) -> list[Key]:
    """Suppressed units whose feasible range fails the audit criterion, in order.

    Units in ``proven`` are known to pass (hiding more only widens ranges) and are not
    solved for; those found passing are added to it.
    """
    t = release.threshold
    proven = proven if proven is not None else set()
    hidden = [k for k, u in release.units.items() if u.suppressed and k not in proven]
    ranges = feasible_ranges(release, [release.units[k].main for k in hidden], enough=t - 1)
    out = []
    for k in hidden:
        if passes(*ranges[release.units[k].main], t):
            proven.add(k)
        else:
            out.append(k)
    return out


def protect(release: Release, *, primary: list[Key] | tuple[Key, ...] = ()) -> list[Key]:
    """Suppress the small counts of ``release`` and enough further cells to protect them.

    Parameters
    ----------
    release : Release
        Built from true tables (``released=False``); its units' ``suppressed`` flags are
        set in place.
    primary : sequence of keys
        Units to hide besides the small counts (e.g. the cells of a small group).

    Returns
    -------
    list of keys
        The units hidden as complements, in the order chosen.
    """
    t = release.threshold
    if t <= 1:
        return []
    release.suppress([*release.primary(), *primary])
    added: list[Key] = []
    proven: set[Key] = set()
    for _ in range(MAX_ROUNDS):
        todo = failing(release, proven)
        if not todo:
            return added
        for key in todo:
            if key in proven:
                continue
            chosen, protected = _complements(release, key)
            release.suppress(chosen)
            added += chosen
            proven |= protected
    return added  # the audit reports what is still failing


def _constants(release: Release, sizes: bool) -> np.ndarray:
    """Quantities the choice treats as fixed: those of printed group sizes (unless
    ``sizes``: group sizes may be hidden too)."""
    out = np.zeros(release.size, dtype=bool)
    for unit in release.units.values():
        if (unit.fixed or (unit.structural and not sizes)) and not unit.suppressed:
            out[unit.main] = True
            out[unit.extras] = True
    return out


def _component(release: Release, start: int, constant: np.ndarray) -> list[int]:
    """Quantities connected to ``start`` through facts that hold or may be released."""
    hidden = release.suppressed()
    links: dict[int, list[int]] = {}
    for f in release.facts:
        if f.unit is not None and f.unit in hidden:
            continue
        live = [i for i, _ in f.terms if not constant[i]]
        for i in live:
            links.setdefault(i, []).extend(live)
    seen, stack = {start}, [start]
    while stack:
        for j in links.get(stack.pop(), ()):
            if j not in seen:
                seen.add(j)
                stack.append(j)
    return sorted(seen)


def _complements(release: Release, key: Key) -> tuple[list[Key], set[Key]]:
    """The cheapest printed units to hide so that unit ``key`` passes (see module), and
    the hidden units the two tables found prove protected as well."""
    # a printed cell may have to move further than t - 1; at last, a group size may have
    # to be hidden (a group smaller than the threshold, whose size the others would give)
    for wide, sizes in ((False, False), (True, False), (True, True)):
        chosen, protected = _choose(release, key, wide=wide, sizes=sizes)
        if chosen is not None:
            return chosen, protected
    return _all_choices(release, key), set()  # nothing short of hiding the whole block


def _all_choices(release: Release, key: Key) -> list[Key]:
    members = set(_component(release, release.units[key].main, _constants(release, True)))
    return [
        k
        for k, u in release.units.items()
        if not u.suppressed and not u.fixed and (u.main in members or set(u.extras) & members)
    ]


def _choose(
    release: Release, key: Key, *, wide: bool, sizes: bool
) -> tuple[list[Key] | None, set[Key]]:
    """One integer programme of :func:`_complements`: a printed cell chosen may move by
    ``t - 1`` at most (enough for sums), or anywhere in the box when ``wide``; group sizes
    are fixed unless ``sizes``."""
    from scipy.optimize import Bounds, LinearConstraint

    from partner_study.disclosure.solver import milp

    t = release.threshold
    values = release.value_array()
    constant = _constants(release, sizes)
    target = release.units[key].main
    members = _component(release, target, constant)
    col = {q: k for k, q in enumerate(members)}
    n = len(members)
    hidden = release.suppressed()
    # The printed units of the block, each a 0/1 choice.
    choices: list[Key] = []
    for k, unit in release.units.items():
        if unit.suppressed or unit.fixed or (unit.structural and not sizes):
            continue
        if unit.main in col or any(j in col for j in unit.extras):
            choices.append(k)
    zcol = {k: 2 * n + m for m, k in enumerate(choices)}
    box = 2.0 * float(np.nanmax(values[members], initial=0.0)) + 2.0 * t
    move = box if wide else float(t - 1)
    rows = _Rows()
    for f in release.facts:
        if f.unit is not None and f.unit in hidden:
            continue
        if not any(i in col for i, _ in f.terms):
            continue
        own = set()
        if f.unit in zcol:  # while the unit is printed its values are fixed in the fact
            unit = release.units[f.unit]
            own = {unit.main, *unit.extras}
        terms = [(i, c) for i, c in f.terms if i in col and i not in own]
        shift = sum(c * values[i] for i, c in f.terms if i not in col or i in own)
        low, high = f.low - shift, f.high - shift
        if not terms:
            continue  # a printed unit's fact about itself only: nothing to relax
        scale = max(abs(c) for _, c in terms)
        terms = [(i, c / scale) for i, c in terms]
        low, high = low / scale, high / scale
        least = sum(min(0.0, c) * box for _, c in terms)
        most = sum(max(0.0, c) * box for _, c in terms)
        for copy in (0, 1):
            cols = [(copy * n + col[i], c) for i, c in terms]
            if f.unit not in zcol:
                rows.add(cols, low, high)
                continue
            z = zcol[f.unit]  # type: ignore[index]
            if math.isfinite(low) and low > least:  # sum >= low unless hidden
                rows.add([*cols, (z, low - least)], low, math.inf)
            if math.isfinite(high) and high < most:  # sum <= high unless hidden
                rows.add([*cols, (z, -(most - high))], -math.inf, high)
    # A printed unit not chosen keeps its values in both copies.
    for k in choices:
        unit = release.units[k]
        for j in [unit.main, *unit.extras]:
            if j not in col or math.isnan(values[j]):
                continue
            for copy in (0, 1):
                rows.add([(copy * n + col[j], 1.0), (zcol[k], -move)], -math.inf, values[j])
                rows.add([(copy * n + col[j], 1.0), (zcol[k], move)], values[j], math.inf)
    rows.add([(n + col[target], 1.0), (col[target], -1.0)], t - 1, math.inf)
    cost = np.zeros(2 * n + len(choices))
    for k, c in zcol.items():
        cost[c] = 1.0 + math.log10(1.0 + max(0.0, values[release.units[k].main]))
        if release.units[k].structural:  # a group size: only when nothing else will do
            cost[c] *= SIZE_COST
    upper = np.concatenate([np.full(2 * n, box), np.ones(len(choices))])
    res = milp(
        cost,
        integrality=np.ones(len(cost)),
        bounds=Bounds(np.zeros(len(cost)), upper),
        constraints=[LinearConstraint(rows.matrix(len(cost)), rows.low(), rows.high())],
        options={"node_limit": NODE_LIMIT, "presolve": True},
    )
    if res.x is None:
        return None, set()
    chosen = [k for k in choices if res.x[zcol[k]] > 0.5]
    # The two tables hold for every cell: a hidden cell whose values in them are t - 1
    # or more apart is protected too.
    protected = set()
    for k in [*hidden, *chosen]:
        q = release.units[k].main
        if q in col and abs(res.x[n + col[q]] - res.x[col[q]]) >= t - 1 - 1e-6:
            protected.add(k)
    return chosen, protected


class _Rows:
    """Rows of a sparse constraint matrix, added one at a time."""

    def __init__(self) -> None:
        self.data: list[float] = []
        self.ri: list[int] = []
        self.ci: list[int] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def add(self, terms: list[tuple[int, float]], low: float, high: float) -> None:
        r = len(self.lo)
        for c, v in terms:
            self.data.append(v)
            self.ri.append(r)
            self.ci.append(c)
        self.lo.append(low)
        self.hi.append(high)

    def matrix(self, width: int) -> object:
        from scipy import sparse

        return sparse.csr_array((self.data, (self.ri, self.ci)), shape=(len(self.lo), width))

    def low(self) -> np.ndarray:
        return np.array(self.lo)

    def high(self) -> np.ndarray:
        return np.array(self.hi)
