"""Shares counted by the independent unit, with cluster-aware 95% intervals, and the labels
that follow from the interval of a difference.

Layer 3 (analysis): numbers in, numbers out (numpy arrays, one row per theme).

A focus group is one unit of data collection: what one member raises, the others hear,
so members of a group are not independent. The share of a role's participants raising a
theme is still counted member by member (every member, silent or not, is in the
denominator), but its uncertainty is that of a sample of *units*: focus groups, and each
individually interviewed participant as a unit of one.

Method
------
For a role with units ``g = 1..G`` of ``m_g`` members, ``y_g`` of whom raise the theme,
``n = sum m_g`` and ``p = sum y_g / n``:

1. Cluster-robust variance of ``p`` (CR2, Bell & McCaffrey 2002: the residual of each
   unit scaled by its leverage ``m_g / n``)::

       V = sum_g (y_g - m_g p)^2 / (1 - m_g / n) / n^2

2. Design effect (Rao & Scott 1992) against simple random sampling of members, never
   below 1: ``deff = max(1, V / (p (1 - p) / (n - 1)))`` (1 when ``p`` is 0 or 1, where
   the data say nothing about clustering); effective size ``n_eff = n / deff``. A role
   whose units are all single participants has ``deff = 1`` exactly.
3. Wilson score interval (Wilson 1927) of ``p`` on ``n_eff``, with quantile ``q``:
   the normal quantile when every unit is one participant, else Student's t with
   ``G - 1`` degrees of freedom (clusters minus one); no interval with fewer than two
   units of which one is a group.
4. The difference of two roles' shares, ``d = p_a - p_b``, gets Newcombe's hybrid score
   interval (method 10; the MOVER of Zou & Donner 2008) from the two intervals
   ``[l_a, u_a]`` and ``[l_b, u_b]``::

       low  = d - sqrt((p_a - l_a)^2 + (u_b - p_b)^2)
       high = d + sqrt((u_a - p_a)^2 + (p_b - l_b)^2)

   With no focus group on either side this is exactly Newcombe's interval.

Why this method: with 30 participants of one role in 6 focus groups of 5 and 30 of the
other interviewed, a t interval on the CR2 variance with Welch's degrees of freedom
covers the true difference in 92-94% of simulated studies when members resemble each
other (intraclass correlation 0.3; 88-94% at 0.5) and a cluster bootstrap in 90-95%;
this interval covers it in 95-99% from ICC 0 to 0.5 and shares from 0.1 to 0.85, and
keeps a width where a share is 0 or 100% and a Wald interval collapses
(``bench/joint_display_methods.py``; 20,000 studies a case). The price is power: a true
30-point difference is found in about half of such studies with independent members and
about 40% with ICC 0.3 (``bench/joint_display_sim.py``).

Labels
------
From the 95% interval of the difference ``[low, high]`` and an equivalence margin ``M``
(percentage points):

- ``divergence``: the interval excludes 0 (``low > 0`` or ``high < 0``);
- ``convergence``: the interval lies within ``-M .. +M`` (any difference is smaller
  than the margin: two one-sided tests at the 2.5% level);
- ``inconclusive``: neither: the data are compatible with no difference and with a
  difference larger than the margin.

References
----------
Bell RM, McCaffrey DF. Bias reduction in standard errors for linear regression with
multi-stage samples. Survey Methodology. 2002;28(2):169-181.

Rao JNK, Scott AJ. A simple method for the analysis of clustered binary data.
Biometrics. 1992;48(2):577-585. doi:10.2307/2532311

Wilson EB. Probable inference, the law of succession, and statistical inference. J Am
Stat Assoc. 1927;22(158):209-212. doi:10.1080/01621459.1927.10502953

Newcombe RG. Interval estimation for the difference between independent proportions:
comparison of eleven methods. Stat Med. 1998;17(8):873-890.

Zou GY, Donner A. Construction of confidence limits about effect measures: a general
approach. Stat Med. 2008;27(10):1693-1702. doi:10.1002/sim.3095
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from partner_study.errors import ParamsError

__all__ = [
    "CONVERGENCE",
    "DIVERGENCE",
    "INCONCLUSIVE",
    "LEVEL",
    "check_margin",
    "share_interval",
    "difference_interval",
    "label_difference",
]

CONVERGENCE = "convergence"
DIVERGENCE = "divergence"
#: Label when the interval neither excludes 0 nor lies within the equivalence margin.
INCONCLUSIVE = "inconclusive"
#: Confidence level of every interval of the joint display.
LEVEL = 0.95


def check_margin(margin: float) -> float:
    """The equivalence margin in percentage points, checked (0 to 100; with 0 no
    comparison is called a convergence)."""
    value = float(margin)
    if not np.isfinite(value) or not 0 <= value <= 100:
        raise ParamsError(
            f"margin must be a number of percentage points from 0 to 100, got "
            f"{margin!r}; the roles converge when the 95% interval of their difference lies "
            "within plus or minus the margin (qualitative.divergence_threshold, e.g. 20)"
        )
    return value


def share_interval(
    mentions: np.ndarray, sizes: np.ndarray, *, level: float = LEVEL
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share of members raising each theme, with its cluster-aware Wilson interval.

    Parameters
    ----------
    mentions : array of int, shape (themes, units)
        Members of each unit (focus group, or a participant interviewed alone) raising
        each theme.
    sizes : array of int, shape (units,)
        Members of each unit: its coded participants and its silent members.
    level : float
        Confidence level (default 0.95).

    Returns
    -------
    (share, low, high) : arrays of float, shape (themes,)
        In percent. ``share`` is NaN when there is no member; ``low`` and ``high`` are
        NaN when there is no member, or fewer than two units of which one is a group.

    Notes
    -----
    Steps 1-3 of the module's method: CR2 variance, Rao-Scott design effect (at least 1),
    Wilson interval on the effective size with a normal quantile (every unit is one
    participant) or Student's t on units minus one.

    Examples
    --------
    Three focus groups of two; 2, 0 and 1 members raise the theme:

    >>> share, low, high = share_interval(np.array([[2, 0, 1]]), np.array([2, 2, 2]))
    >>> round(float(share[0]), 1), round(float(low[0]), 1), round(float(high[0]), 1)
    (50.0, 4.3, 95.7)
    """
    y = np.atleast_2d(np.asarray(mentions, dtype=np.float64))
    m = np.asarray(sizes, dtype=np.float64)
    n = float(m.sum())
    units = int((m > 0).sum())
    k = y.shape[0]
    nan = np.full(k, np.nan)
    if n <= 0:
        return nan, nan.copy(), nan.copy()
    p = y.sum(axis=1) / n
    grouped = bool((m > 1).any())
    if grouped and units < 2:
        return 100.0 * p, nan, nan.copy()
    if grouped:
        residual = y - m[None, :] * p[:, None]
        leverage = np.where(m > 0, 1.0 - m / n, 1.0)
        variance = (residual**2 / leverage[None, :]).sum(axis=1) / n**2
        simple = p * (1.0 - p) / (n - 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            deff = np.where(simple > 0, variance / np.where(simple > 0, simple, 1.0), 1.0)
        deff = np.maximum(deff, 1.0)
        q = float(stats.t.ppf(0.5 + level / 2.0, units - 1))
    else:
        deff = np.ones(k)
        q = float(stats.norm.ppf(0.5 + level / 2.0))
    size = n / deff
    z2 = q * q / size
    centre = (p + z2 / 2.0) / (1.0 + z2)
    half = q * np.sqrt(p * (1.0 - p) / size + z2 / (4.0 * size)) / (1.0 + z2)
    low = np.clip(centre - half, 0.0, 1.0)
    high = np.clip(centre + half, 0.0, 1.0)
    return 100.0 * p, 100.0 * low, 100.0 * high


def difference_interval(
    share_a: np.ndarray,
    low_a: np.ndarray,
    high_a: np.ndarray,
    share_b: np.ndarray,
    low_b: np.ndarray,
    high_b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Newcombe's hybrid score interval of ``share_a - share_b`` from the two shares'
    intervals (step 4 of the module's method); any unit, NaN in, NaN out.

    Examples
    --------
    7 of 34 against 1 of 34, independent participants: 17.6 points, 95% CI 1.9 to 34.0
    (Fagerland, Lydersen & Laake 2015, Table: Newcombe hybrid score 0.019 to 0.34):

    >>> a = share_interval(np.array([[1] * 7 + [0] * 27]), np.ones(34))
    >>> b = share_interval(np.array([[1] + [0] * 33]), np.ones(34))
    >>> [round(float(v[0]), 1) for v in difference_interval(*a, *b)]
    [17.6, 1.9, 34.0]
    """
    pa, la, ua = (np.asarray(v, dtype=np.float64) for v in (share_a, low_a, high_a))
    pb, lb, ub = (np.asarray(v, dtype=np.float64) for v in (share_b, low_b, high_b))
    d = pa - pb
    low = d - np.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    high = d + np.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    return d, low, high


def label_difference(low: np.ndarray, high: np.ndarray, *, margin: float) -> np.ndarray:
    """``divergence``, ``convergence`` or ``inconclusive`` from the interval of a difference
    (percentage points) and the equivalence margin; missing where the interval is.

    Examples
    --------
    >>> label_difference(np.array([5.0, -12.0, -30.0, np.nan]),
    ...                  np.array([40.0, 15.0, 10.0, np.nan]), margin=20).tolist()
    ['divergence', 'convergence', 'inconclusive', None]
    """
    lo = np.asarray(low, dtype=np.float64)
    hi = np.asarray(high, dtype=np.float64)
    margin = check_margin(margin)
    with np.errstate(invalid="ignore"):
        divergent = (lo > 0) | (hi < 0)
        within = (lo >= -margin) & (hi <= margin)
    label = np.where(divergent, DIVERGENCE, np.where(within, CONVERGENCE, INCONCLUSIVE))
    out = label.astype(object)
    out[np.isnan(lo) | np.isnan(hi)] = None
    return out
