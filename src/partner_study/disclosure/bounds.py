"""The feasible range of a hidden count: what an attacker can derive from a release.

Layer 3 (analysis), part of :mod:`partner_study.disclosure`. Given a
:class:`~partner_study.disclosure.release.Release`, the quantities an attacker does not
know are the unknowns of an integer programme: whole numbers of at least 0 satisfying
every fact that holds (the printed counts and percentages, the sums of the tables). The
smallest and the largest value a hidden count can take (:func:`feasible_ranges`) are what
the release tells about it, whatever the arithmetic used.

How: quantities fixed by a fact with one unknown are solved first (a percentage printed
beside its count fixes a denominator; a sum with one hidden part fixes that part), then
the remaining unknowns are split into independent blocks (connected through facts), and
each count asked about is minimised and maximised over the integers of its block with
HiGHS (:func:`scipy.optimize.milp`). The answer is exact (not the bounds of a relaxation)
and the same on every run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from partner_study.disclosure.release import Fact, Release

__all__ = ["feasible_ranges", "System", "system"]

#: Branch-and-bound nodes a bound may take (a limit in nodes, unlike one in seconds,
#: gives the same answer on every machine).
NODE_LIMIT = 20_000
_TOL = 1e-6


@dataclass
class System:
    """The facts of a release over its unknown quantities.

    ``rows`` are (unknown indices, coefficients, low, high) with the known quantities
    moved to the bounds; ``lower``/``upper`` bound every quantity (equal when known or
    solved); ``block`` numbers the independent blocks of the unknowns (-1: solved).
    """

    rows: list[tuple[np.ndarray, np.ndarray, float, float]]
    lower: np.ndarray
    upper: np.ndarray
    block: np.ndarray
    consistent: bool


def _row(
    fact: Fact, known: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float, float]:
    idx = np.fromiter((i for i, _ in fact.terms), dtype=np.int64, count=len(fact.terms))
    coef = np.fromiter((c for _, c in fact.terms), dtype=float, count=len(fact.terms))
    fixed = known[idx]
    shift = float(np.dot(coef[fixed], values[idx[fixed]])) if fixed.any() else 0.0
    return idx[~fixed], coef[~fixed], fact.low - shift, fact.high - shift


def system(release: Release, facts: Sequence[Fact] | None = None) -> System:
    """The facts of ``release`` (default: those that hold now) over its unknowns, with the
    quantities they fix solved and the rest split into blocks."""
    known = release.known()
    values = np.where(known, release.value_array(), 0.0)
    n = release.size
    lower = np.where(known, values, 0.0)
    upper = np.where(known, values, math.inf)
    rows = [_row(f, known, values) for f in (release.active_facts() if facts is None else facts)]
    consistent = True
    # Facts with a single unknown bound it; a bound that leaves one whole number fixes
    # it, which may leave another fact with one unknown, and so on.
    solved = known.copy()
    by_var: dict[int, list[int]] = {}
    for r, (idx, _, _, _) in enumerate(rows):
        for i in idx:
            by_var.setdefault(int(i), []).append(r)
    queue = [r for r, (idx, _, _, _) in enumerate(rows) if len(idx) <= 1]
    seen_rows: set[int] = set()
    while queue:
        r = queue.pop()
        idx, coef, low, high = rows[r]
        live = [k for k in range(len(idx)) if not solved[idx[k]]]
        if len(live) > 1:
            continue
        shift = sum(coef[k] * lower[idx[k]] for k in range(len(idx)) if solved[idx[k]])
        if not live:
            if r not in seen_rows and not (low - _TOL <= shift <= high + _TOL):
                consistent = False
            seen_rows.add(r)
            continue
        k = live[0]
        i, c = int(idx[k]), float(coef[k])
        lo, hi = (low - shift) / c, (high - shift) / c
        if c < 0:
            lo, hi = hi, lo
        new_lo = max(lower[i], math.ceil(lo - _TOL) if math.isfinite(lo) else 0.0)
        new_hi = min(upper[i], math.floor(hi + _TOL) if math.isfinite(hi) else math.inf)
        if new_lo > new_hi:
            consistent = False
            continue
        lower[i], upper[i] = new_lo, new_hi
        seen_rows.add(r)
        if new_lo == new_hi:
            solved[i] = True
            queue.extend(by_var.get(i, []))
    # Blocks of the unknowns left, through the facts that hold two or more of them.
    parent = np.arange(n)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = int(parent[a])
        return a

    for idx, _, _, _ in rows:
        live = [int(i) for i in idx if not solved[i]]
        for other in live[1:]:
            ra, rb = find(live[0]), find(other)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    block = np.array([find(i) if not solved[i] else -1 for i in range(n)], dtype=np.int64)
    rows = [
        (
            idx[~solved[idx]],
            coef[~solved[idx]],
            low - _solved_shift(idx, coef, solved, lower),
            high - _solved_shift(idx, coef, solved, lower),
        )
        for idx, coef, low, high in rows
    ]
    return System(rows, lower, upper, block, consistent)


def _solved_shift(
    idx: np.ndarray, coef: np.ndarray, solved: np.ndarray, lower: np.ndarray
) -> float:
    s = solved[idx]
    return float(np.dot(coef[s], lower[idx[s]])) if s.any() else 0.0


def _block_problem(sys: System, members: np.ndarray) -> tuple:
    """Column order, constraint and bounds of one block."""
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint

    col = {int(q): k for k, q in enumerate(members)}
    data: list[float] = []
    ri: list[int] = []
    ci: list[int] = []
    lo: list[float] = []
    hi: list[float] = []
    for idx, coef, low, high in sys.rows:
        if not len(idx) or int(idx[0]) not in col:
            continue
        r = len(lo)
        for i, c in zip(idx, coef, strict=True):
            data.append(c)
            ri.append(r)
            ci.append(col[int(i)])
        lo.append(low)
        hi.append(high)
    bounds = Bounds(sys.lower[members], sys.upper[members])
    if not lo:
        return members, None, bounds
    matrix = sparse.csr_array((data, (ri, ci)), shape=(len(lo), len(members)))
    return members, LinearConstraint(matrix, np.array(lo), np.array(hi)), bounds


def _optimum(target: int, sense: float, problem: tuple) -> tuple[float, np.ndarray | None]:
    """Least (sense 1) or greatest (sense -1) whole value of column ``target`` (inf when
    unbounded, nan when the facts contradict each other) and the solution reaching it."""
    from partner_study.disclosure.solver import milp

    members, constraint, bounds = problem
    c = np.zeros(len(members))
    c[target] = sense
    res = milp(
        c,
        integrality=np.ones(len(members)),
        bounds=bounds,
        constraints=[constraint] if constraint is not None else [],
        options={"node_limit": NODE_LIMIT, "presolve": True},
    )
    if res.status == 0 or (res.x is not None and res.status == 1):
        return float(round(res.x[target])), np.round(res.x)
    if res.status == 3 or (sense < 0 and "unbounded" in str(res.message).lower()):
        return (math.inf if sense < 0 else 0.0), None
    return math.nan, None


def feasible_ranges(
    release: Release,
    targets: Sequence[int],
    sys: System | None = None,
    *,
    enough: float | None = None,
) -> dict[int, tuple[float, float]]:
    """The least and greatest value each quantity of ``targets`` can take given what
    ``release`` makes known (``(v, v)`` for a known or derivable value; ``inf`` when no
    fact bounds it above; ``nan`` when the facts contradict each other).

    With ``enough``, a target that the solutions found for other targets of its block
    already show taking two values ``enough`` or more apart gets those two values (a
    range inside its feasible one) instead of being solved for: enough to know that it
    passes the audit criterion, faster.
    """
    sys = sys if sys is not None else system(release)
    out: dict[int, tuple[float, float]] = {}
    problems: dict[int, tuple] = {}
    seen: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for q in targets:
        q = int(q)
        if not sys.consistent:
            out[q] = (math.nan, math.nan)
            continue
        b = int(sys.block[q])
        if b < 0:
            out[q] = (float(sys.lower[q]), float(sys.upper[q]))
            continue
        if b not in problems:
            problems[b] = _block_problem(sys, np.flatnonzero(sys.block == b))
        problem = problems[b]
        k = int(np.flatnonzero(problem[0] == q)[0])
        if enough is not None and b in seen:
            low_seen, high_seen = seen[b][0][k], seen[b][1][k]
            if high_seen - low_seen >= enough:
                out[q] = (float(low_seen), float(high_seen))
                continue
        low, x_low = _optimum(k, 1.0, problem)
        high, x_high = _optimum(k, -1.0, problem) if not math.isnan(low) else (math.nan, None)
        out[q] = (low, high)
        for x in (x_low, x_high):
            if x is None:
                continue
            lo, hi = seen.get(b, (x, x))
            seen[b] = (np.minimum(lo, x), np.maximum(hi, x))
    return out
