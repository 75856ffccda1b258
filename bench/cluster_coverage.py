"""Coverage of cluster-robust 95% intervals with 4 sites: Stata's CR1 against CR2 with
Imbens-Kolesár degrees of freedom (``fit_ols(..., groups=...)``), by simulation.

Two designs, each with known truth:

``direct``   an example-like study drawn here: 4 sites of unequal size (about 500
             respondents), six correlated experience scores whose site means differ
             (the share of a score's variance between sites is ``icc_x``: 0, 0.25, 0.5),
             a binary role, and an engagement score
             ``0.35 + sum(TRUE_EFFECTS * score) - 0.15 role + u_site + e`` with
             ``u_site ~ N(0, 0.2^2)``, ``e ~ N(0, 0.35^2)`` (the example's values). The joint
             model ``engagement ~ scores + role`` is fitted with clusters = site; every
             coefficient's interval is checked (the six scores and role).
``example``  the example generator (:func:`partner_study.simulate.simulate_study`, other
             seeds) through preparation, the joint model of the params spec with
             ``cov_type: cluster`` (``fit_models``); the six score coefficients.

Coverage is reported with its Monte Carlo standard error ``sqrt(c (1 - c) / R)``
(R = intervals). Deterministic: every replicate's generator is seeded.

    python bench/cluster_coverage.py [--replicates 2000] [--studies 400]

Writes ``bench/work/cluster_coverage.json`` and prints a Markdown table.
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

from partner_study.models import fit_models, fit_ols
from partner_study.prepare import prepare_study
from partner_study.simulate import TRUE_EFFECTS, simulate_study
from partner_study.validate import validate_tables

BENCH = Path(__file__).resolve().parent
OUTCOMES = list(TRUE_EFFECTS)
ROLE_EFFECT = -0.15
SITE_SD, RESIDUAL_SD = 0.20, 0.35
FORMULA = "engagement ~ " + " + ".join([*OUTCOMES, "role"])


def _direct_study(rng: np.random.Generator, icc_x: float, n: int = 500) -> pd.DataFrame:
    """One example-like study with site-correlated scores (see the module docstring)."""
    n_sites, k = 4, len(OUTCOMES)
    site = np.sort(rng.integers(0, n_sites, n))
    corr = np.full((k, k), 0.35) + np.eye(k) * 0.65
    within = rng.multivariate_normal(np.zeros(k), corr, size=n, method="cholesky")
    between = rng.multivariate_normal(np.zeros(k), corr, size=n_sites, method="cholesky")
    latent = math.sqrt(1 - icc_x) * within + math.sqrt(icc_x) * between[site]
    scores = 3.2 + 0.55 * latent
    role = (rng.random(n) < 0.27).astype(float)
    u = rng.normal(0, SITE_SD, n_sites)
    y = (
        0.35
        + scores @ np.array([TRUE_EFFECTS[o] for o in OUTCOMES])
        + ROLE_EFFECT * role
        + u[site]
        + rng.normal(0, RESIDUAL_SD, n)
    )
    frame = pd.DataFrame(scores, columns=OUTCOMES)
    frame["role"] = role
    frame["engagement"] = y
    frame["site"] = np.array(["s1", "s2", "s3", "s4"])[site]
    return frame


def _covered(fit: pd.DataFrame, truth: dict[str, float]) -> pd.DataFrame:
    rows = fit[fit["term"].isin(list(truth))].copy()
    rows["truth"] = rows["term"].map(truth)
    rows["covered"] = (rows["ci_low"] <= rows["truth"]) & (rows["truth"] <= rows["ci_high"])
    return rows[["term", "covered", "std_error"]]


def _summary(covered: pd.Series) -> dict[str, float]:
    c, r = float(covered.mean()), len(covered)
    return {"coverage": c, "mc_se": math.sqrt(c * (1 - c) / r), "intervals": r}


def run_direct(replicates: int, icc_x: float, seed: int) -> dict[str, dict]:
    truth = {**TRUE_EFFECTS, "role": ROLE_EFFECT}
    out: dict[str, list[pd.DataFrame]] = {"CR1": [], "CR2-IK": []}
    for r in range(replicates):
        data = _direct_study(np.random.default_rng([seed, r]), icc_x)
        out["CR1"].append(_covered(fit_ols(data, FORMULA, groups="site", cov_type="CR1"), truth))
        out["CR2-IK"].append(_covered(fit_ols(data, FORMULA, groups="site"), truth))
    result = {}
    for method, frames in out.items():
        both = pd.concat(frames, ignore_index=True)
        scores = both[both["term"].isin(OUTCOMES)]
        result[method] = {
            "scores": _summary(scores["covered"]),
            "role": _summary(both.loc[both["term"] == "role", "covered"]),
            "worst_score": min(
                (_summary(g["covered"]) for _, g in scores.groupby("term")),
                key=lambda s: s["coverage"],
            ),
        }
    return result


def run_example(studies: int) -> dict[str, dict]:
    spec = {
        "dependent": "engagement",
        "outcomes": OUTCOMES,
        "covariates": ["age", "gender", "role"],
        "groups": "site",
        "models": ["joint"],
    }
    out: dict[str, list[pd.DataFrame]] = {"CR1": [], "CR2-IK": []}
    for s in range(studies):
        sim = simulate_study(seed=5000 + s, n_segments=10)
        scored = prepare_study(validate_tables(sim.codebook, sim.participants, sim.survey)).scored
        fit = fit_models(scored, {**spec, "cov_type": "cluster"})
        out["CR2-IK"].append(_covered(fit, TRUE_EFFECTS))
        formula = FORMULA.replace("role", "age + gender + role")
        out["CR1"].append(
            _covered(fit_ols(scored, formula, groups="site", cov_type="CR1"), TRUE_EFFECTS)
        )
    return {m: {"scores": _summary(pd.concat(f)["covered"])} for m, f in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=2000)
    parser.add_argument("--studies", type=int, default=400)
    args = parser.parse_args()
    started = time.perf_counter()
    results: dict[str, dict] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for icc_x in (0.0, 0.25, 0.5):
            results[f"direct icc_x={icc_x}"] = run_direct(args.replicates, icc_x, seed=20231121)
            print(f"direct icc_x={icc_x}: {time.perf_counter() - started:.0f} s", flush=True)
        if args.studies:
            results["example joint model"] = run_example(args.studies)
    results["seconds"] = {"total": time.perf_counter() - started}
    (BENCH / "work").mkdir(exist_ok=True)
    (BENCH / "work" / "cluster_coverage.json").write_text(json.dumps(results, indent=2) + "\n")
    print("| design | method | scores: coverage (MC SE) | role | worst score |")
    print("|---|---|---|---|---|")
    for design, methods in results.items():
        if design == "seconds":
            continue
        for method, res in methods.items():
            cells = []
            for key in ("scores", "role", "worst_score"):
                s = res.get(key)
                cells.append(f"{s['coverage']:.3f} ({s['mc_se']:.3f})" if s else "")
            print(f"| {design} | {method} | {' | '.join(cells)} |")
    print(f"total {results['seconds']['total']:.0f} s")


if __name__ == "__main__":
    main()
