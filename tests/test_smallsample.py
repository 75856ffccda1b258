"""CR2 cluster-robust errors with Imbens-Kolesár degrees of freedom
(:mod:`partner_study.models.smallsample`, used by ``fit_ols(..., groups=...)``).

Checked against Stata output published with R ``dfadjust``, against textbook equivalences
that hold exactly (a t test on cluster means, Welch's test), and against the defining
formula computed densely (the n_g x n_g inverse square roots, the n x G matrix G).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from partner_study.models import cluster_cr2, fit_ols


def _dt() -> pd.DataFrame:
    # dfadjust tests/test_clustervar.R (Kolesár): y = c(cos(0:9), tan(1:10)),
    # x = c(sin(1:10), sin(2:11)), clusters = factor(c(2,1,3,2,2,3,3,1,1,2)) recycled by
    # data.frame to 20 rows.
    return pd.DataFrame(
        {
            "y": np.r_[np.cos(np.arange(0, 10)), np.tan(np.arange(1, 11))],
            "x": np.r_[np.sin(np.arange(1, 11)), np.sin(np.arange(2, 12))],
            "cluster": np.tile([2, 1, 3, 2, 2, 3, 3, 1, 1, 2], 2),
            "row": np.arange(20),
        }
    )


def test_singleton_clusters_give_stata_hc2_and_cr1_matches_stata():
    data = _dt()
    # Stata: reg y x, vce(hc2) (dfadjust test_clustervar.R): CR2 with one row per cluster
    # is HC2.
    hc2 = fit_ols(data, "y ~ x", groups="row")
    assert_allclose(hc2["std_error"], [0.4227339762, 0.4421048122], rtol=1e-9)
    # Stata: reg y x, cluster(clusters) (same source): CR1 on request
    cr1 = fit_ols(data, "y ~ x", groups="cluster", cov_type="CR1")
    assert_allclose(cr1["estimate"], [-0.4456202905, 0.3241183110], rtol=1e-9)
    assert_allclose(cr1["std_error"], [0.4827602183, 0.1814501834], rtol=1e-9)
    assert cr1["cov_type"].eq("cluster(cluster)").all()
    cr2 = fit_ols(data, "y ~ x", groups="cluster")
    assert cr2["cov_type"].eq("CR2(cluster)").all() and cr2["n_groups"].eq(3).all()


def test_cr2_and_its_degrees_of_freedom_match_the_dense_formula():
    # Bell & McCaffrey (2002): V = M sum_g X_g' A_g e_g e_g' A_g X_g M, A_g = (I - H_gg)^-1/2;
    # Imbens & Kolesár (2016): df = tr(G'WG)^2 / tr((G'WG)^2), G_g = (I - H)_g' A_g X_g M e_k,
    # W the Moulton model s2 I + rho J_g from the residuals. Unequal clusters, rho > 0.
    rng = np.random.default_rng(11)
    sizes = np.array([3, 5, 8, 4, 6])
    codes = np.repeat(np.arange(5), sizes)
    n = len(codes)
    x = np.column_stack([np.ones(n), rng.normal(size=n) + codes * 0.3, rng.random(n) < 0.4])
    y = x @ [1.0, 0.5, -0.2] + rng.normal(0, 1.0, 5)[codes] + rng.normal(size=n)
    m = np.linalg.inv(x.T @ x)
    e = y - x @ m @ x.T @ y
    h = x @ m @ x.T
    roots = []
    for g in range(5):
        rows = codes == g
        w, v = np.linalg.eigh(np.eye(rows.sum()) - h[np.ix_(rows, rows)])
        roots.append(v @ np.diag(w**-0.5) @ v.T)
    meat = sum(
        np.outer(x[codes == g].T @ a @ e[codes == g], x[codes == g].T @ a @ e[codes == g])
        for g, a in enumerate(roots)
    )
    z = (codes[:, None] == np.arange(5)).astype(float)
    rho = (np.sum((z.T @ e) ** 2) - e @ e) / (np.sum(sizes**2) - n)
    omega = (e @ e / n - rho) * np.eye(n) + rho * z @ z.T
    df = []
    for k in range(3):
        columns = [
            (np.eye(n) - h)[codes == g].T @ (a @ x[codes == g] @ m[:, k])
            for g, a in enumerate(roots)
        ]
        gwg = np.column_stack(columns).T @ omega @ np.column_stack(columns)
        df.append(np.trace(gwg) ** 2 / np.sum(gwg * gwg))
    result = cluster_cr2(x, e, codes, 5)
    assert rho > 0 and result.rho == pytest.approx(rho, rel=1e-12)
    assert_allclose(result.cov, m @ meat @ m, rtol=1e-10)
    assert_allclose(result.df, df, rtol=1e-10)


def test_intercept_only_is_the_t_interval_of_the_cluster_means():
    # Equal clusters, y ~ 1: CR2 is var(cluster means) / G and its degrees of freedom G - 1,
    # so the interval is the one-sample t interval of the cluster means (by hand).
    rng = np.random.default_rng(5)
    site = np.repeat(np.arange(6), 5)
    data = pd.DataFrame(
        {"y": rng.normal(size=6)[site] + rng.normal(size=30), "site": site.astype(str)}
    )
    fit = fit_ols(data, "y ~ 1", groups="site").iloc[0]
    means = data.groupby("site")["y"].mean()
    interval = stats.ttest_1samp(means, 0.0).confidence_interval()
    assert_allclose([fit["ci_low"], fit["ci_high"]], [interval.low, interval.high], rtol=1e-10)
    assert fit["note"].endswith("t on 5.00 Imbens-Kolesár df")


def test_cluster_level_contrast_is_welch_on_cluster_means():
    # Equal clusters, a cluster-level binary predictor: the CR2 t statistic is Welch's t of
    # the two groups of cluster means (Bell & McCaffrey 2002; clubSandwich test_lm.R).
    rng = np.random.default_rng(3)
    treated = np.array([0, 0, 0, 1, 1, 1, 1])
    site = np.repeat(np.arange(7), 4)
    y = 0.5 * treated[site] + rng.normal(size=7)[site] + rng.normal(size=28)
    data = pd.DataFrame({"y": y, "t": treated[site].astype(float), "site": site})
    fit = fit_ols(data, "y ~ t", groups="site").set_index("term").loc["t"]
    means = data.groupby("site")["y"].mean()
    welch = stats.ttest_ind(means[treated == 1], means[treated == 0], equal_var=False)
    assert_allclose(fit["estimate"] / fit["std_error"], welch.statistic, rtol=1e-10)
