"""Do the mixed models reach the REML optimum? 200 example-like simulated studies.

Each study is :func:`partner_study.simulate.simulate_study` with its own seed, prepared as
the pipeline prepares it and fitted with the ``regression`` section of
``params/example.yaml`` (``fit_models``). Every mixed fit (``mixed`` per outcome and
``joint_mixed``) is checked against the REML optimum computed here independently of the
package: the restricted log-likelihood by penalised least squares as lme4 computes it
(Bates et al. 2015: dense group indicators, ``lstsq`` and ``slogdet``; none of the
package's closed forms), maximised
over :math:`\\lambda = \\mathrm{var(site)} / \\mathrm{var(residual)}` on a grid of
:math:`\\{0\\} \\cup 10^{[-6, 4]}` then by bounded Brent on :math:`\\log\\lambda` around the
best grid point.

Reported per fit: ``converged``, whether the note carries an optimiser warning, the
relative distance of var(site) from the optimum (both on the boundary counts as 0), the
REML log-likelihood lost; and per study whether a fit that did not converge has a
Benjamini-Hochberg adjusted p value (it should not).

    python bench/mixed_optimum.py [--studies 200] [--out bench/work/mixed_optimum.json]

Runs on whichever ``partner_study`` is importable (``PYTHONPATH``), so the same script
measures any version of the package.
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import optimize

from partner_study.models import declared_levels, fit_models
from partner_study.models._formula import (
    _complete_cases,
    _declare,
    _design,
    _quote,
    _read_formula,
    _rhs,
)
from partner_study.prepare import prepare_study
from partner_study.simulate import simulate_study
from partner_study.validate import validate_tables

BENCH = Path(__file__).resolve().parent
SPEC = yaml.safe_load((BENCH.parent / "params" / "example.yaml").read_text())["regression"]
BOUNDARY = 1e-6  # var(site) at most this share of the total variance: on the boundary


def _dense(lam: float, blocks: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[float, float]:
    """REML log-likelihood (lme4's -REMLcrit/2) at ratio ``lam`` and the residual variance
    there, by penalised least squares as lme4 computes it (Bates et al. 2015, eqs. 14-42):
    dense Z, no closed forms."""
    y, x, z = blocks
    n, p = x.shape
    n_groups = z.shape[1]
    theta = math.sqrt(lam)
    # minimise |y - X b - theta Z u|^2 + |u|^2 over (u, b)
    design = np.block([[theta * z, x], [np.eye(n_groups), np.zeros((n_groups, p))]])
    target = np.concatenate([y, np.zeros(n_groups)])
    solution = np.linalg.lstsq(design, target, rcond=None)[0]
    pwrss = float(np.sum((target - design @ solution) ** 2))
    ll = theta**2 * (z.T @ z) + np.eye(n_groups)  # L L'
    zx = theta * (z.T @ x)
    rx = x.T @ x - zx.T @ np.linalg.solve(ll, zx)  # RX'RX
    dof = n - p
    logdets = np.linalg.slogdet(ll)[1] + np.linalg.slogdet(rx)[1]
    loglik = -0.5 * (dof * (1 + math.log(2 * math.pi * pwrss / dof)) + logdets)
    return loglik, pwrss / dof


def _dense_loglik(lam: float, blocks: tuple[np.ndarray, np.ndarray, np.ndarray]) -> float:
    return _dense(lam, blocks)[0]


def _dense_optimum(blocks: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[float, float]:
    """(lambda, log-likelihood) at the REML optimum, by grid then bounded Brent."""
    grid = np.concatenate([[0.0], np.logspace(-6, 4, 41)])
    values = [_dense_loglik(float(v), blocks) for v in grid]
    best = int(np.argmax(values))
    lam, value = float(grid[best]), float(values[best])
    low = math.log(grid[max(best - 1, 1)])
    high = math.log(grid[min(best + 1, len(grid) - 1)])
    found = optimize.minimize_scalar(
        lambda t: -_dense_loglik(math.exp(t), blocks),
        bounds=(low, high),
        method="bounded",
        options={"xatol": 1e-10},
    )
    if -found.fun > value:
        lam, value = math.exp(found.x), -found.fun
    return lam, value


def _blocks(
    scored: pd.DataFrame, formula: str, groups: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """y, X and the dense group-indicator matrix Z of a model."""
    parsed = _read_formula(formula, scored)
    sample = _complete_cases(scored, parsed.variables, keep=[groups])
    y, x = _design(sample.frame, formula)
    codes = pd.factorize(sample.frame[groups], sort=True)[0]
    z = (codes[:, None] == np.arange(codes.max() + 1)[None, :]).astype(float)
    return y.to_numpy(dtype=float), x.to_numpy(dtype=float), z


def _check_study(seed: int) -> tuple[list[dict], int]:
    sim = simulate_study(seed=seed, n_segments=10)
    study = prepare_study(validate_tables(sim.codebook, sim.participants, sim.survey))
    levels = declared_levels(study.codebook)
    fits = fit_models(study.scored, SPEC, levels=levels)
    scored = _declare(study.scored, levels, SPEC["covariates"])
    groups = SPEC["groups"]
    outcomes = list(SPEC["outcomes"])
    covariates = list(SPEC["covariates"])
    rows = []
    mixed = fits[fits["model"].isin(["mixed", "joint_mixed"])]
    for (model, outcome), fit in mixed.groupby(["model", "outcome"], sort=False):
        if outcome == "(all)":
            predictors = [*outcomes, *[c for c in covariates if c not in outcomes]]
        else:
            predictors = [outcome, *[c for c in covariates if c != outcome]]
        formula = f"{_quote(SPEC['dependent'])} ~ {_rhs(scored, predictors)}"
        blocks = _blocks(scored, formula, groups)
        lam, best = _dense_optimum(blocks)
        terms = fit.set_index("term")["estimate"]
        var_site, var_resid = float(terms[f"var({groups})"]), float(terms["var(residual)"])
        ref_resid = _dense(lam, blocks)[1]
        ref_site = lam * ref_resid  # the optimum's var(site)
        total = ref_site + ref_resid
        on_boundary = ref_site <= BOUNDARY * total and var_site <= BOUNDARY * total
        distance = 0.0 if on_boundary else abs(var_site - ref_site) / max(ref_site, BOUNDARY)
        at_fit = _dense_loglik(var_site / var_resid, blocks)
        note = str(fit["note"].iloc[0])
        rows.append(
            {
                "seed": seed,
                "model": model,
                "outcome": outcome,
                "converged": bool(fit["converged"].all()),
                "warned": "Warning:" in note,
                "var_site": var_site,
                "optimum_var_site": ref_site,
                "relative_distance": distance,
                "loglik_lost": best - at_fit,
            }
        )
    # Benjamini-Hochberg: outcome terms of fits that did not converge with an adjusted p
    is_outcome = (fits["term"] == fits["outcome"]) | (
        (fits["outcome"] == "(all)") & fits["term"].isin(outcomes)
    )
    in_family = is_outcome & ~fits["converged"].astype(bool) & fits["p_adjusted"].notna()
    return rows, int(in_family.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--out", default=str(BENCH / "work" / "mixed_optimum.json"))
    args = parser.parse_args()
    started = time.perf_counter()
    rows: list[dict] = []
    in_family = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the package under test reports its own in notes
        for seed in range(args.first_seed, args.first_seed + args.studies):
            study_rows, bad = _check_study(seed)
            rows += study_rows
            in_family += bad
    seconds = time.perf_counter() - started
    fits = pd.DataFrame(rows)
    converged = fits[fits["converged"]]
    studies = fits.groupby("seed")
    summary = {
        "studies": args.studies,
        "mixed_fits": len(fits),
        "share_warned": float(fits["warned"].mean()),
        "share_not_converged": float((~fits["converged"]).mean()),
        "share_studies_with_a_warning": float(studies["warned"].any().mean()),
        "share_studies_not_converged": float((~studies["converged"].all()).mean()),
        "share_more_than_1pct_off": float((fits["relative_distance"] > 0.01).mean()),
        "share_more_than_5pct_off": float((fits["relative_distance"] > 0.05).mean()),
        "max_relative_distance": float(fits["relative_distance"].max()),
        "converged_more_than_1pct_off": int((converged["relative_distance"] > 0.01).sum()),
        "converged_max_relative_distance": float(converged["relative_distance"].max()),
        "max_loglik_lost": float(fits["loglik_lost"].max()),
        "share_boundary_optimum": float((fits["optimum_var_site"] <= 1e-12).mean()),
        "not_converged_outcome_terms_in_a_bh_family": in_family,
        "seconds": seconds,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")
    for key, value in summary.items():
        print(f"{key}: {value:.4g}" if isinstance(value, float) else f"{key}: {value}")


if __name__ == "__main__":
    main()
