"""Why the joint display's interval: coverage of candidate 95% intervals of a difference of
shares when one role meets in focus groups and the other is interviewed.

30 participants in 6 focus groups of 5 against 30 interviewed; mentions drawn by
:func:`partner_study.designs.focus_groups.draw_mentions` (beta-binomial groups, intraclass
correlation 0, 0.3, 0.5). Candidates, each on the same simulated studies:

``cr2_welch``   difference of shares, CR2 cluster-robust variance of each share, t on
                Welch-Satterthwaite degrees of freedom from units minus one per role;
``bootstrap``   percentile interval of a cluster bootstrap (units resampled within role,
                999 resamples; fewer studies, it is slow);
``package``     :func:`partner_study.integrate.share_interval` and
                :func:`~partner_study.integrate.difference_interval`: Wilson intervals on
                the Rao-Scott effective size, t on units minus one, Newcombe's combination.

Prints, per candidate, the coverage of the true difference and the share of intervals that
exclude 0 (a false divergence where the truth is 0, the power otherwise).

Run: ``.venv/bin/python bench/joint_display_methods.py [STUDIES]`` (default 20000; seeded).
"""

from __future__ import annotations

import sys

import numpy as np
from scipy import stats

from partner_study import integrate as ig
from partner_study.designs.focus_groups import draw_mentions

GROUPS, SIZE, ALONE = 6, 5, 30
CASES = [(p, p) for p in (0.1, 0.2, 0.3, 0.5, 0.7, 0.85)] + [(0.6, 0.3), (0.3, 0.6), (0.8, 0.3)]


def _draw(rng, pa: float, pb: float, icc: float, studies: int):
    """Mentions per focus group (studies x groups) and per interviewee (studies x 30)."""
    group = np.r_[np.repeat(np.arange(GROUPS), SIZE), np.full(ALONE, -1)]
    p = np.where(group >= 0, pa, pb)[:, None] * np.ones((1, studies))
    raised = draw_mentions(rng, p, group, icc=icc).T.astype(int)
    a = raised[:, : GROUPS * SIZE].reshape(studies, GROUPS, SIZE).sum(axis=2)
    return a, raised[:, GROUPS * SIZE :]


def _cr2(y: np.ndarray, m: np.ndarray):
    n = m.sum()
    p = y.sum(axis=1) / n
    v = ((y - m * p[:, None]) ** 2 / (1 - m / n)).sum(axis=1) / n**2
    return p, v


def cr2_welch(a, b):
    ma, mb = np.full(GROUPS, SIZE), np.ones(ALONE)
    (pa, va), (pb, vb) = _cr2(a, ma), _cr2(b, mb)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = (va + vb) ** 2 / (va**2 / (GROUPS - 1) + vb**2 / (ALONE - 1))
    df = np.where(np.isfinite(df), df, GROUPS - 1)
    half = stats.t.ppf(0.975, df) * np.sqrt(va + vb)
    return pa - pb - half, pa - pb + half


def bootstrap(a, b, rng, resamples: int = 999):
    low, high = np.empty(len(a)), np.empty(len(a))
    for s in range(len(a)):
        ia = rng.integers(0, GROUPS, (resamples, GROUPS))
        ib = rng.integers(0, ALONE, (resamples, ALONE))
        d = a[s][ia].sum(axis=1) / (GROUPS * SIZE) - b[s][ib].sum(axis=1) / ALONE
        low[s], high[s] = np.quantile(d, [0.025, 0.975])
    return low, high


def package(a, b):
    share_a = ig.share_interval(a, np.full(GROUPS, SIZE))
    share_b = ig.share_interval(b, np.ones(ALONE))
    _, low, high = ig.difference_interval(*share_a, *share_b)
    return low / 100.0, high / 100.0


def main() -> None:
    studies = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    rng = np.random.default_rng(20240915)
    print(
        f"{studies} simulated studies a case (bootstrap: {min(studies, 1000)}); cells: "
        "coverage / share of intervals excluding 0\n"
    )
    print("| ICC | shares | true | cr2_welch | bootstrap | package |")
    print("|---|---|---|---|---|---|")
    for icc in (0.0, 0.3, 0.5):
        for pa, pb in CASES:
            a, b = _draw(rng, pa, pb, icc, studies)
            truth = pa - pb
            cells = []
            for low, high in (
                cr2_welch(a, b),
                bootstrap(a[:1000], b[:1000], rng),
                package(a, b),
            ):
                covered = np.mean((low <= truth) & (truth <= high))
                flagged = np.mean((low > 0) | (high < 0))
                cells.append(f"{covered:.3f} / {flagged:.3f}")
            print(
                f"| {icc} | {pa:.2f} vs {pb:.2f} | {100 * truth:+.0f} | " + " | ".join(cells) + " |"
            )


if __name__ == "__main__":
    main()
