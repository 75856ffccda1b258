"""Pooling of groups too small to be shown on their own (per-site analyses).

Layer 3 (analysis), part of :mod:`partner_study.disclosure`. A by-site table or model of a
site with fewer people than the disclosure threshold would print a small count (its size)
and statistics of a handful of people. Such sites are pooled into one group,
:data:`~partner_study.config.POOLED_SITES`; when the pooled sites together are still
fewer than the threshold, the smallest other sites join them, one at a time, until the
group is large enough. When that leaves fewer than two groups, there is nothing to show
by site and the analysis is withheld.
"""

from __future__ import annotations

from collections.abc import Mapping

from partner_study.config import POOLED_SITES

__all__ = ["pool_small_groups", "POOLED_SITES"]


def pool_small_groups(sizes: Mapping[str, int], *, threshold: int) -> dict[str, str] | None:
    """Which group each group is shown as.

    Parameters
    ----------
    sizes : mapping of str to int
        People per group (e.g. coded participants or respondents per site); groups of
        size 0 are left as they are (they print nothing).
    threshold : int
        ``describe.suppress_below``; 0 or 1 pools nothing.

    Returns
    -------
    dict of str to str, or None
        Each group mapped to itself or to :data:`POOLED_SITES`; None when fewer than two
        groups of at least ``threshold`` people would be left (withhold the analysis).

    Examples
    --------
    >>> pool_small_groups({"a": 40, "b": 3, "c": 12, "d": 30}, threshold=5)
    {'a': 'a', 'b': '(other sites)', 'c': '(other sites)', 'd': 'd'}
    >>> pool_small_groups({"a": 40, "b": 3}, threshold=5) is None
    True
    """
    out = {str(g): str(g) for g in sizes}
    present = {str(g): int(n) for g, n in sizes.items() if int(n) > 0}
    if threshold <= 1 or all(n >= threshold for n in present.values()):
        return out
    pooled = sorted(g for g, n in present.items() if n < threshold)
    total = sum(present[g] for g in pooled)
    rest = sorted((g for g in present if g not in pooled), key=lambda g: (present[g], g))
    while total < threshold and rest:
        g = rest.pop(0)
        pooled.append(g)
        total += present[g]
    if total < threshold or len(rest) < 1:
        return None
    for g in pooled:
        out[g] = POOLED_SITES
    return out
