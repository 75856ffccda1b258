"""Cluster-robust inference that stays honest with few clusters: the CR2 variance
(Bell & McCaffrey 2002) with a t reference on Imbens-Kolesár (2016) degrees of freedom.

With a handful of clusters the usual cluster-robust variance (Stata's CR1) is biased
down and a t on G - 1 degrees of freedom does not make up for it: with 4 sites its 95%
intervals cover about 87% of the time. CR2 removes the bias under a working model of
independent errors, and the degrees of freedom of each coefficient are those of a
Satterthwaite approximation to its variance estimate under a random-effects (Moulton)
working model, estimated from the residuals. Everything is closed form: no resampling,
no seed.

Layer 3 (analysis), part of :mod:`partner_study.models`; never reads or writes files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

__all__ = ["ClusterCR2", "cluster_cr2"]

#: Eigenvalues of :math:`Q_g'Q_g` within this of 1 are taken as 1 (a cluster a term
#: carries alone): their direction gets the pseudo-inverse, as ``dfadjust`` does.
_TOL = 1e-9


@dataclass(frozen=True)
class ClusterCR2:
    """CR2 covariance of OLS coefficients, their degrees of freedom and the Moulton
    working model (``rho``, ``sigma2``: between-cluster covariance and within variance
    of the errors) the degrees of freedom come from."""

    cov: np.ndarray
    df: np.ndarray
    rho: float
    sigma2: float


def _group_sums(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    out = np.zeros((n_groups, *values.shape[1:]))
    np.add.at(out, codes, values)
    return out


def cluster_cr2(x: np.ndarray, resid: np.ndarray, codes: np.ndarray, n_groups: int) -> ClusterCR2:
    """CR2 cluster-robust covariance and Imbens-Kolesár degrees of freedom of an OLS fit.

    Parameters
    ----------
    x : ndarray
        Full-rank design, n x p.
    resid : ndarray
        OLS residuals, length n.
    codes : ndarray
        Cluster of each row, integers 0 .. n_groups - 1.
    n_groups : int
        Number of clusters (at least 2).

    Returns
    -------
    ClusterCR2
        ``cov`` (p x p), ``df`` (one per coefficient), ``rho`` and ``sigma2``.

    Notes
    -----
    With :math:`X = QR`, :math:`Q_g` the rows of cluster g and
    :math:`A_g = (I - Q_gQ_g')^{-1/2}` (symmetric root; pseudo-inverse where singular),
    :math:`A_gQ_g = Q_g D_g`, :math:`D_g = (I_p - Q_g'Q_g)^{-1/2}`, so

    .. math:: \\hat V = R^{-1} \\Big[\\sum_g D_g Q_g' \\hat e_g \\hat e_g' Q_g D_g\\Big] R^{-T}

    (CR2, Bell & McCaffrey 2002; ``clubSandwich::vcovCR(type = "CR2")`` for ``lm``). For
    coefficient k, with :math:`a_g = Q_g D_g R^{-T} e_k` and :math:`G` the n x G matrix of
    columns :math:`(I - QQ')_g' a_g`, the degrees of freedom are
    :math:`\\mathrm{tr}(G'\\hat\\Omega G)^2 / \\mathrm{tr}((G'\\hat\\Omega G)^2)`, with
    :math:`\\hat\\Omega` the Moulton model :math:`\\hat\\sigma^2 I + \\hat\\rho\\, J_g` per
    cluster, :math:`\\hat\\rho` the mean product of residual pairs within clusters
    (at least 0) and :math:`\\hat\\sigma^2 = \\max(\\sum\\hat e^2/n - \\hat\\rho, 0)`
    (Imbens & Kolesár 2016, as ``dfadjust::dfadjustSE(IK = TRUE, rho0 = TRUE)``);
    :math:`G'\\Omega G = \\sigma^2(\\mathrm{diag}(a_g'a_g) - BB') + \\rho(D - BF')(D - BF')'`,
    :math:`B_{gk} = a_g'Q_{gk}`, :math:`F_{gk} = 1'Q_{gk}`, :math:`D = \\mathrm{diag}(1'a_g)`.
    With :math:`\\hat\\rho = 0` these are the Bell-McCaffrey degrees of freedom.

    References
    ----------
    Bell, R. M., & McCaffrey, D. F. (2002). Bias reduction in standard errors for linear
    regression with multi-stage samples. Survey Methodology, 28(2), 169-181.

    Imbens, G. W., & Kolesár, M. (2016). Robust standard errors in small samples: some
    practical advice. Review of Economics and Statistics, 98(4), 701-712.
    https://doi.org/10.1162/REST_a_00552

    Pustejovsky, J. E., & Tipton, E. (2018). Small-sample methods for cluster-robust
    variance estimation and hypothesis testing in fixed effects models. Journal of
    Business & Economic Statistics, 36(4), 672-683.
    https://doi.org/10.1080/07350015.2016.1247004
    """
    x = np.asarray(x, dtype=float)
    resid = np.asarray(resid, dtype=float)
    codes = np.asarray(codes)
    n, p = x.shape
    q, r = np.linalg.qr(x)
    qd = np.empty_like(q)
    for g in range(n_groups):
        rows = codes == g
        qg = q[rows]
        values, vectors = linalg.eigh(qg.T @ qg)
        keep = 1.0 - values >= _TOL
        scale = np.where(keep, 1.0 / np.sqrt(np.where(keep, 1.0 - values, 1.0)), 0.0)
        qd[rows] = qg @ (vectors * scale) @ vectors.T
    r_inv_t = linalg.solve_triangular(r, np.eye(p), trans="T")  # R^{-T}
    # CR2 meat in Q coordinates: sum_g (D_g Q_g' e_g)(...)'
    u = _group_sums(resid[:, None] * qd, codes, n_groups)  # G x p
    r_inv = r_inv_t.T
    cov = r_inv @ (u.T @ u) @ r_inv.T
    # Moulton working model from the residuals (rho at least 0)
    sizes = np.bincount(codes, minlength=n_groups).astype(float)
    ssr = float(resid @ resid)
    pairs = float(np.sum(sizes**2) - n)
    totals = np.bincount(codes, weights=resid, minlength=n_groups)
    rho = max((float(totals @ totals) - ssr) / pairs, 0.0) if pairs > 0 else 0.0
    sigma2 = max(ssr / n - rho, 0.0)
    a_all = qd @ r_inv_t  # column k: a for coefficient k
    f = _group_sums(q, codes, n_groups)  # G x p
    df = np.empty(p)
    for k in range(p):
        a = a_all[:, k]
        aa = np.bincount(codes, weights=a * a, minlength=n_groups)
        b = _group_sums(a[:, None] * q, codes, n_groups)  # G x p
        gg = sigma2 * (np.diag(aa) - b @ b.T)
        if rho > 0.0:
            d = np.diag(np.bincount(codes, weights=a, minlength=n_groups)) - b @ f.T
            gg = gg + rho * (d @ d.T)
        denominator = float(np.sum(gg * gg))
        df[k] = float(np.trace(gg)) ** 2 / denominator if denominator > 0 else np.nan
    return ClusterCR2(cov=cov, df=df, rho=rho, sigma2=sigma2)
