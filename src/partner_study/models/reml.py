"""Restricted maximum likelihood of a linear model with one random intercept, profiled
over the variance ratio and maximised exactly.

:math:`y = X\\beta + Zu + e`, :math:`u \\sim N(0, \\tau^2 I_G)`, :math:`e \\sim N(0,
\\sigma^2 I_n)`, :math:`Z` the group indicators. With :math:`\\lambda = \\tau^2/\\sigma^2`
the covariance is :math:`\\sigma^2 H`, :math:`H = \\mathrm{diag}_g(I_{n_g} + \\lambda
J_{n_g})`, and every quantity of the REML criterion has a closed form (Sherman-Morrison):
:math:`H_g^{-1} = I - \\frac{\\lambda}{1 + \\lambda n_g} J`, :math:`|H_g| = 1 + \\lambda
n_g`. Profiling out :math:`\\beta` and :math:`\\sigma^2` leaves one parameter,
:math:`\\lambda \\in [0, \\infty)`, whose optimum is found deterministically: the
criterion on a fixed grid (the boundary :math:`\\lambda = 0` included), then the root of
its closed-form derivative within the best grid cell (Brent). Nothing depends on a
starting value, so the fit reaches the optimum or says why it cannot.

Layer 3 (analysis), part of :mod:`partner_study.models`; never reads or writes files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize

__all__ = ["RemlFit", "fit_reml"]

#: Grid of the variance ratio var(group) / var(residual) searched before the exact step:
#: 0, then 10^-8 ... 10^8 (five points a decade).
_GRID = np.concatenate([[0.0], np.logspace(-8.0, 8.0, 81)])


@dataclass(frozen=True)
class RemlFit:
    """The REML fit of a random-intercept model at the profile optimum.

    ``loglik`` is the restricted log-likelihood, ``-REMLcrit / 2`` of ``lme4``;
    ``ratio`` is :math:`\\lambda = \\tau^2/\\sigma^2`; ``converged`` is True when the
    optimum was found (an interior root of the derivative or the boundary
    :math:`\\lambda = 0`), and ``note`` says why not otherwise.
    """

    beta: np.ndarray
    cov_beta: np.ndarray
    var_group: float
    var_resid: float
    ratio: float
    loglik: float
    converged: bool
    note: str


class _Profile:
    """The REML criterion profiled over :math:`\\lambda`, from group sums of the data."""

    def __init__(self, y: np.ndarray, x: np.ndarray, codes: np.ndarray, n_groups: int) -> None:
        self.y, self.x, self.codes = y, x, codes
        self.n, self.p = x.shape
        self.counts = np.bincount(codes, minlength=n_groups).astype(float)
        self.sx = np.zeros((n_groups, self.p))
        np.add.at(self.sx, codes, x)
        self.sy = np.bincount(codes, weights=y, minlength=n_groups)
        self.xtx = x.T @ x
        self.xty = x.T @ y
        self.n_groups = n_groups

    def at(self, lam: float) -> tuple[float, np.ndarray, np.ndarray, float, float]:
        """Log-likelihood, beta, the Cholesky factor of X'H^-1X, residual quadratic form
        r'H^-1 r, and the derivative of the log-likelihood in lambda."""
        d = 1.0 + lam * self.counts
        w = lam / d
        a = self.xtx - (self.sx * w[:, None]).T @ self.sx
        b = self.xty - self.sx.T @ (w * self.sy)
        factor = linalg.cho_factor(a, lower=True)
        beta = linalg.cho_solve(factor, b)
        r = self.y - self.x @ beta
        rg = np.bincount(self.codes, weights=r, minlength=self.n_groups)
        quad = float(r @ r - w @ (rg * rg))
        dof = self.n - self.p
        logdet_h = float(np.sum(np.log(d)))
        logdet_a = 2.0 * float(np.sum(np.log(np.diag(factor[0]))))
        loglik = -0.5 * (dof * (1.0 + math.log(2.0 * math.pi * quad / dof)) + logdet_h + logdet_a)
        # d/dlambda: log|H| -> sum n_g/d_g; log|X'H^-1X| -> -sum s_g'A^-1 s_g / d_g^2;
        # r'H^-1r (at its minimiser beta) -> -sum R_g^2 / d_g^2
        solved = linalg.cho_solve(factor, self.sx.T)
        lever = np.einsum("gk,kg->g", self.sx, solved)
        score = -0.5 * (
            -dof * float(np.sum(rg * rg / d**2)) / quad
            + float(np.sum(self.counts / d))
            - float(np.sum(lever / d**2))
        )
        return loglik, beta, factor, quad, score

    def loglik(self, lam: float) -> float:
        try:
            return self.at(lam)[0]
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
            return -math.inf

    def score(self, lam: float) -> float:
        return self.at(lam)[4]


def fit_reml(y: np.ndarray, x: np.ndarray, codes: np.ndarray, n_groups: int) -> RemlFit:
    """REML fit of ``y ~ x + (1 | codes)`` at the exact profile optimum.

    Parameters
    ----------
    y : ndarray
        Dependent, length n.
    x : ndarray
        Full-rank fixed-effects design, n x p (n > p).
    codes : ndarray
        Group of each row, integers 0 .. n_groups - 1.
    n_groups : int
        Number of groups (at least 2).

    Returns
    -------
    RemlFit
        Fixed effects :math:`\\hat\\beta = (X'H^{-1}X)^{-1}X'H^{-1}y`, their covariance
        :math:`\\hat\\sigma^2 (X'H^{-1}X)^{-1}` (as ``vcov`` of ``lme4``), the variances
        :math:`\\hat\\tau^2 = \\hat\\lambda\\hat\\sigma^2` and
        :math:`\\hat\\sigma^2 = r'H^{-1}r/(n - p)`, at the maximising :math:`\\hat\\lambda`.

    Notes
    -----
    :math:`-2\\ell_R(\\lambda) = (n-p)\\{1 + \\log(2\\pi\\, r'H^{-1}r/(n-p))\\} + \\log|H| +
    \\log|X'H^{-1}X|`, the REML criterion of ``lme4`` (Bates et al. 2015, eq. 42).
    Its derivative,
    :math:`-2\\ell_R' = -(n-p)\\frac{\\sum_g R_g^2/d_g^2}{r'H^{-1}r} + \\sum_g \\frac{n_g}{d_g}
    - \\sum_g \\frac{s_g'(X'H^{-1}X)^{-1}s_g}{d_g^2}` with :math:`d_g = 1 + \\lambda n_g`,
    :math:`R_g` and :math:`s_g` the group sums of the residuals and of the rows of X, is
    solved for its root in the grid cell around the best grid value; at the boundary the
    optimum is :math:`\\lambda = 0` when the derivative there is not positive.

    References
    ----------
    Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear
    mixed-effects models using lme4. Journal of Statistical Software, 67(1), 1-48.
    https://doi.org/10.18637/jss.v067.i01

    Harville, D. A. (1977). Maximum likelihood approaches to variance component
    estimation and to related problems. Journal of the American Statistical
    Association, 72(358), 320-338. https://doi.org/10.1080/01621459.1977.10480998
    """
    profile = _Profile(
        np.asarray(y, dtype=float), np.asarray(x, dtype=float), np.asarray(codes), n_groups
    )
    values = np.array([profile.loglik(float(lam)) for lam in _GRID])
    best = int(np.argmax(values))  # the first of equal values: the smaller ratio
    lam, converged, note = _optimum(profile, best, values)
    if not np.isfinite(values[best]):  # e.g. a dependent the fixed effects fit exactly
        return RemlFit(
            beta=np.full(profile.p, np.nan),
            cov_beta=np.full((profile.p, profile.p), np.nan),
            var_group=np.nan,
            var_resid=np.nan,
            ratio=np.nan,
            loglik=np.nan,
            converged=False,
            note=note,
        )
    loglik, beta, factor, quad, _ = profile.at(lam)
    if converged and loglik < values[best] - 1e-9 * max(1.0, abs(values[best])):
        converged, note = False, "the exact step ended below the best grid value"
    var_resid = quad / (profile.n - profile.p)
    cov = var_resid * linalg.cho_solve(factor, np.eye(profile.p))
    return RemlFit(
        beta=beta,
        cov_beta=cov,
        var_group=lam * var_resid,
        var_resid=var_resid,
        ratio=lam,
        loglik=loglik,
        converged=converged,
        note=note,
    )


def _optimum(profile: _Profile, best: int, values: np.ndarray) -> tuple[float, bool, str]:
    """The maximising ratio from the grid cells around ``best``: (lambda, converged, note).

    The boundary is taken when the derivative at 0 is not positive and no grid value beats
    the value at 0 by more than rounding: two machines whose last bits differ then still
    agree on a boundary fit.
    """
    if not np.isfinite(values[best]):
        return 0.0, False, "the REML criterion could not be evaluated"
    if best == len(_GRID) - 1:
        return (
            float(_GRID[best]),
            False,
            "the REML optimum is beyond a group variance 10^8 times the residual variance "
            "(the groups explain the dependent almost exactly)",
        )
    rounding = 1e-10 * max(1.0, abs(float(values[best])))
    if values[best] - values[0] <= rounding and profile.score(0.0) <= 0.0:
        return 0.0, True, ""  # boundary optimum: var(group) = 0
    for width in (1, 2):
        low = float(_GRID[max(best - width, 0)])
        high = float(_GRID[min(best + width, len(_GRID) - 1)])
        if profile.score(low) > 0.0 > profile.score(high):
            root = optimize.brentq(profile.score, low, high, xtol=1e-300, rtol=1e-15)
            return float(root), True, ""
    # no sign change (a flat criterion): the bounded maximiser of the cells
    found = optimize.minimize_scalar(
        lambda v: -profile.loglik(v),
        bounds=(low, high),
        method="bounded",
        options={"xatol": 1e-12 * max(high, 1e-12)},
    )
    return float(found.x), bool(found.success), ""
