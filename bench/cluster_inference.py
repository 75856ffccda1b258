"""Inference under clustering by site: multiple imputation and the ordinal model.

Simulations too large for ``make test``; run one part at a time (all are seeded):

``python bench/cluster_inference.py mi-example``
    The example study's sensitivity table under ``cov_type: cluster``: width of the
    pooled (MI) 95% interval of each outcome's coefficient over the complete-case one.
    Run it with another checkout's ``src`` on ``PYTHONPATH`` to compare versions.
``python bench/cluster_inference.py mi-coverage [replicates]``
    y = 1 + 0.5 x + u_site + e in 4 sites (x depends on site, about 40% of x missing at random
    given y): coverage of the complete-case and pooled cluster-robust intervals of 0.5.
``python bench/cluster_inference.py ordinal [replicates]``
    A marginal proportional-odds model (slope 0.8) in G clusters, x and the latent error
    correlated within clusters (Gaussian copula, logistic margin): coverage of the
    model-based and cluster-robust intervals for G = 4, 10, 40; and a random-intercept
    latent model (conditional slope 0.8) with site as a fixed effect.
``python bench/cluster_inference.py brant [replicates]``
    Rejection rate of Brant's omnibus test at 0.05 with proportional odds true (n = 300,
    two predictors, four levels) and with slopes 0.2 / 0.8 / 1.4 across the cuts.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
from scipy import stats

import partner_study
from partner_study.models import fit_mice, fit_ols, fit_ordinal, fit_sensitivity


def mi_example() -> None:
    from partner_study.config import SEED
    from partner_study.prepare import prepare_study
    from partner_study.simulate import simulate_study
    from partner_study.validate import validate_tables

    sim = simulate_study(seed=SEED)  # the committed example study
    study = prepare_study(validate_tables(sim.codebook, sim.participants, sim.survey))
    spec = {
        "dependent": "engagement",
        "outcomes": [
            "communication",
            "listening",
            "information_sharing",
            "teamwork",
            "trust",
            "power_sharing",
        ],
        "covariates": ["age", "gender", "role"],
        "groups": "site",
        "cov_type": "cluster",
    }
    out = fit_sensitivity(study.scored, spec, n_imputations=20, seed=SEED, levels=None)
    out = out[out["term"] == out["outcome"]]
    width = (out["ci_high"] - out["ci_low"]).to_numpy().reshape(-1, 2)
    table = pd.DataFrame(
        {
            "outcome": out["outcome"].to_numpy()[::2],
            "cc_width": width[:, 0],
            "mi_width": width[:, 1],
            "ratio": width[:, 1] / width[:, 0],
            "se_ratio": out["std_error"].to_numpy()[1::2] / out["std_error"].to_numpy()[::2],
        }
    )
    print(f"partner_study from {partner_study.__file__}")
    print(table.round(3).to_string(index=False))
    print(f"mean width ratio MI / complete case: {table['ratio'].mean():.3f}")


def mi_coverage(replicates: int) -> None:
    rng = np.random.default_rng(20231121)
    covered: dict[str, list[bool]] = {"complete case": [], "MI": []}
    widths: dict[str, list[float]] = {"complete case": [], "MI": []}
    for _ in range(replicates):
        site = np.repeat(np.arange(4), 75)
        x = rng.normal(size=4)[site] + rng.normal(size=300)
        y = 1 + 0.5 * x + rng.normal(0, 0.5, 4)[site] + rng.normal(size=300)
        missing = rng.random(300) < 1 / (1 + np.exp(-(y - 1.5)))  # MAR given y, ~40%
        data = pd.DataFrame({"y": y, "x": np.where(missing, np.nan, x), "site": site})
        cc = fit_ols(data, "y ~ x", groups="site").set_index("term").loc["x"]
        mi = fit_mice(data, "y ~ x", groups="site", n_imputations=10, seed=1)
        mi = mi.set_index("term").loc["x"]
        for name, row in (("complete case", cc), ("MI", mi)):
            covered[name].append(bool(row["ci_low"] <= 0.5 <= row["ci_high"]))
            widths[name].append(float(row["ci_high"] - row["ci_low"]))
    for name in covered:
        print(
            f"{name:14s} coverage {np.mean(covered[name]):.3f}  median width "
            f"{np.median(widths[name]):.3f}  ({replicates} replicates)"
        )


def _copula_study(rng: np.random.Generator, n_clusters: int, size: int) -> pd.DataFrame:
    cluster = np.repeat(np.arange(n_clusters), size)
    n = n_clusters * size
    x = rng.normal(size=n_clusters)[cluster] + rng.normal(size=n)
    z = np.sqrt(0.5) * rng.normal(size=n_clusters)[cluster] + np.sqrt(0.5) * rng.normal(size=n)
    latent = 0.8 * x + stats.logistic.ppf(stats.norm.cdf(z))
    y = np.searchsorted([-1.0, 0.5, 2.0], latent)
    return pd.DataFrame({"y": y, "x": x, "site": cluster.astype(str)})


def ordinal(replicates: int) -> None:
    rng = np.random.default_rng(20231121)
    for n_clusters, size in ((4, 100), (10, 40), (40, 10)):
        hits = {"model-based": [], "cluster": []}
        for _ in range(replicates):
            data = _copula_study(rng, n_clusters, size)
            for name, groups in (("model-based", None), ("cluster", "site")):
                row = fit_ordinal(data, "y", ["x"], groups=groups).iloc[0]
                hits[name].append(bool(row["ci_low"] <= 0.8 <= row["ci_high"]))
        print(
            f"G = {n_clusters:2d} x {size:3d}: coverage model-based "
            f"{np.mean(hits['model-based']):.3f}, cluster-robust (t, G - 1 df) "
            f"{np.mean(hits['cluster']):.3f}  ({replicates} replicates)"
        )
    hits_fixed = []
    for _ in range(replicates):
        site = np.repeat(np.arange(4), 100)
        x = rng.normal(size=4)[site] + rng.normal(size=400)
        latent = 0.8 * x + rng.normal(0, 1.0, 4)[site] + rng.logistic(size=400)
        data = pd.DataFrame({"y": np.searchsorted([-1.0, 0.5, 2.0], latent), "x": x})
        data["site"] = site.astype(str)
        row = fit_ordinal(data, "y", "x + C(site)").set_index("term").loc["x"]
        hits_fixed.append(bool(row["ci_low"] <= 0.8 <= row["ci_high"]))
    print(
        f"random-intercept truth, 4 sites, site as fixed effect: coverage of the conditional "
        f"slope {np.mean(hits_fixed):.3f}  ({replicates} replicates)"
    )


def brant(replicates: int) -> None:
    from partner_study.models.proportional_odds import _brant

    rng = np.random.default_rng(20231121)
    for spread in (0.0, 0.3, 0.6):
        rejected = []
        for _ in range(replicates):
            x1, x2 = rng.normal(size=300), rng.binomial(1, 0.5, 300).astype(float)
            u = rng.random(300)
            y = np.zeros(300, dtype=int)
            for j, a in enumerate((1.0, 0.0, -1.0)):
                y += u < 1 / (1 + np.exp(-(a + (0.8 + spread * (j - 1)) * x1 + 0.5 * x2)))
            stat, _ = _brant(y, np.column_stack([np.ones(300), x1, x2]))
            rejected.append(bool(stat[0] > stats.chi2.ppf(0.95, 4)))
        slopes = ", ".join(f"{0.8 + spread * (j - 1):.1f}" for j in range(3))
        print(
            f"slopes of x1 across cuts {slopes}: omnibus rejection rate "
            f"{np.mean(rejected):.3f}  ({replicates} replicates)"
        )


if __name__ == "__main__":
    part = sys.argv[1] if len(sys.argv) > 1 else "mi-example"
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    start = time.perf_counter()
    {
        "mi-example": lambda: mi_example(),
        "mi-coverage": lambda: mi_coverage(reps),
        "ordinal": lambda: ordinal(reps),
        "brant": lambda: brant(reps),
    }[part]()
    print(f"({time.perf_counter() - start:.0f} s)")
