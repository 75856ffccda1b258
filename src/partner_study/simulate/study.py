"""The simulated study: participants and survey with known truth, then its coded segments.

Layer 3 (pure: returns tables and the truth; writing is done by
:mod:`partner_study.writer`). :func:`simulate_study` draws the participants (sites, roles,
demographics, the qualitative sample in focus groups and interviews) and their survey
answers from the truth of :mod:`partner_study.simulate.truth`, then the coded segments of
:mod:`partner_study.simulate.segments`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from partner_study.codebook import Codebook, parse_codebook
from partner_study.config import SEED, package_dir
from partner_study.simulate.segments import _plant_identifiers, _roster, _simulate_segments
from partner_study.simulate.truth import (
    _CODER_ERROR,
    _DOUBLE_CODED,
    _INTERCEPT,
    _ITEM_MISSING,
    _ITEM_SD,
    _RESIDUAL_SD,
    _ROLE_EFFECT,
    _SITE_SD,
    _SURVEY_RESPONSE,
    TRUE_EFFECTS,
)
from partner_study.simulate.vocabulary import SITES

__all__ = ["SimulatedStudy", "example_codebook_text", "simulate_study"]


@dataclass(frozen=True)
class SimulatedStudy:
    """Raw tables (as text, exactly as written to CSV), the codebook and the known truth."""

    codebook_text: str
    participants: pd.DataFrame
    survey: pd.DataFrame
    segments: pd.DataFrame
    roster: pd.DataFrame | None = None
    truth: dict[str, Any] = field(default_factory=dict)

    @property
    def codebook(self) -> Codebook:
        return parse_codebook(self.codebook_text)


def example_codebook_text(study: str = "example") -> str:
    """The example codebook (shipped with the package), with its study name set."""
    text = (package_dir() / "templates" / "codebook.yaml").read_text(encoding="utf-8")
    return text.replace("study: example", f"study: {study}", 1)


def _site_names(n_sites: int) -> tuple[list[str], list[str]]:
    names, codes = [], []
    for i in range(n_sites):
        base, country, _ = SITES[i % len(SITES)]
        k = i // len(SITES)
        names.append(base if k == 0 else f"{base}_{k + 1}")
        codes.append(country if k == 0 else f"{country}{k + 1}")
    return names, codes


def _fmt(values: np.ndarray) -> np.ndarray:
    """Whole numbers as text; NaN as an empty cell."""
    out = np.full(values.shape, "", dtype=object)
    ok = ~np.isnan(values)
    out[ok] = values[ok].astype(np.int64).astype(str)
    return out


def simulate_study(
    *,
    seed: int = SEED,
    n_sites: int = 4,
    n_participants: int = 600,
    n_segments: int = 1_200,
    study: str = "example",
    effects: dict[str, float] | None = None,
) -> SimulatedStudy:
    """Simulate a multi-site partnership study with known truth.

    Parameters
    ----------
    seed : int
        Seed of the random generator: same seed and sizes -> the same tables, byte for byte.
    n_sites : int
        Number of sites (the four seed sites, then numbered copies).
    n_participants : int
        Participants across sites; about 27% are professionals.
    n_segments : int
        Approximate number of first-coder segments (a quarter are coded again by a second
        coder, with error rate 10%).
    study : str
        Study name written into the codebook.
    effects : dict, optional
        True effects of the experience scores on engagement (default :data:`TRUE_EFFECTS`).

    Returns
    -------
    SimulatedStudy
        ``participants``, ``survey`` and ``segments`` as text tables in the raw data contract,
        the codebook text, and ``truth`` (coefficients, site effects, prevalences, rates).
    """
    rng = np.random.default_rng(seed)
    effects = dict(TRUE_EFFECTS if effects is None else effects)
    codebook = parse_codebook(example_codebook_text(study))
    sites, site_codes = _site_names(n_sites)
    n = n_participants

    # --- participants ------------------------------------------------------------------
    site_idx = np.sort(rng.integers(0, n_sites, size=n))
    is_pro = rng.random(n) < 0.27
    role = np.where(is_pro, "professional", "patient")
    order = np.lexsort((is_pro, site_idx))
    site_idx, is_pro, role = site_idx[order], is_pro[order], role[order]
    within = pd.Series(np.ones(n)).groupby(site_idx).cumsum().to_numpy().astype(int)
    pid = np.array(
        [f"{site_codes[s]}-{k:04d}" for s, k in zip(site_idx, within, strict=True)], dtype=object
    )
    age = np.where(is_pro, rng.normal(44, 10, n), rng.normal(62, 13, n)).round().clip(19, 95)
    age[rng.random(n) < 0.02] = 999
    gender = rng.choice([1, 2, 3], size=n, p=[0.55, 0.43, 0.02]).astype(float)
    gender[rng.random(n) < 0.03] = 9
    conditions = np.array(["cancer", "diabetes", "cardiovascular", "pulmonary"], dtype=object)
    condition = np.where(is_pro, "", conditions[rng.integers(0, 4, n)])
    professions = np.array(
        ["nurse", "specialist physician", "general practitioner", "allied health professional"],
        dtype=object,
    )
    profession = np.where(is_pro, professions[rng.choice(4, n, p=[0.45, 0.3, 0.1, 0.15])], "")

    # Qualitative sample: patients in focus groups of 6, professionals interviewed.
    qual_share = min(1.0, max(0.2, n_segments / (8.0 * n)))
    in_qual = rng.random(n) < qual_share
    collection = np.where(in_qual, np.where(is_pro, "interview", "focus_group"), "survey")
    fg_rank = pd.Series(in_qual & ~is_pro).groupby(site_idx).cumsum().to_numpy()
    group_id = np.where(
        in_qual & ~is_pro,
        [
            f"FG-{site_codes[s]}-{(r - 1) // 6 + 1:02d}"
            for s, r in zip(site_idx, fg_rank, strict=True)
        ],
        "",
    )
    participants = pd.DataFrame(
        {
            "participant_id": pid,
            "site": np.array(sites, dtype=object)[site_idx],
            "role": role,
            "collection": collection,
            "group_id": group_id,
            "age": _fmt(age),
            "gender": _fmt(gender),
            "condition": condition,
            "profession": profession,
        }
    )

    # --- survey ------------------------------------------------------------------------
    responds = rng.random(n) < _SURVEY_RESPONSE
    outcomes = list(effects)
    k = len(outcomes)
    corr = np.full((k, k), 0.35) + np.eye(k) * 0.65
    latent = rng.multivariate_normal(np.zeros(k), corr, size=n, method="cholesky")
    scale_means = 3.2 + 0.55 * latent  # person-level true experience
    item_cols: dict[str, np.ndarray] = {}
    scores = np.empty((n, k))
    for j, name in enumerate(outcomes):
        scale = codebook.scales[name]
        items = np.empty((n, len(scale.items)))
        for i, _item in enumerate(scale.items):
            t = np.clip(scale_means[:, j] + rng.normal(0, _ITEM_SD, n), 1, 5)
            items[:, i] = np.floor(t + rng.random(n)).clip(1, 5)
        answered = rng.random(items.shape) >= _ITEM_MISSING
        observed = np.where(answered, items, np.nan)
        count = answered.sum(axis=1)
        score = np.where(answered, items, 0.0).sum(axis=1) / np.maximum(count, 1)
        score[count < scale.min_items] = np.nan
        scores[:, j] = score
        for i, item in enumerate(scale.items):
            values = observed[:, i].copy()
            if item in scale.reverse:
                values = scale.low + scale.high - values
            item_cols[item] = values
    site_u = rng.normal(0, _SITE_SD, n_sites)
    filled = np.where(np.isnan(scores), np.nanmean(scores, axis=0), scores)
    true_score = (
        _INTERCEPT
        + filled @ np.array([effects[o] for o in outcomes])
        + _ROLE_EFFECT * is_pro
        + site_u[site_idx]
        + rng.normal(0, _RESIDUAL_SD, n)
    )
    eng = codebook.scales["engagement"]
    eng_items = np.empty((n, len(eng.items)))
    for i, _item in enumerate(eng.items):
        t = np.clip(true_score + rng.normal(0, _ITEM_SD, n), 1, 5)
        eng_items[:, i] = np.floor(t + rng.random(n)).clip(1, 5)
    eng_answered = rng.random(eng_items.shape) >= _ITEM_MISSING
    for i, item in enumerate(eng.items):
        values = np.where(eng_answered[:, i], eng_items[:, i], np.nan)
        if item in eng.reverse:
            values = eng.low + eng.high - values
        item_cols[item] = values
    # Ordinal engagement level: logistic latent on the true engagement score.
    level_latent = 1.8 * (true_score - 3.0) + rng.logistic(0, 1, n)
    cuts = np.array([-2.0, 0.0, 2.0])
    level = (1 + (level_latent[:, None] > cuts).sum(axis=1)).astype(float)
    level[rng.random(n) < 0.02] = 9
    survey = pd.DataFrame({"participant_id": pid})
    for item in codebook.items:
        values = item_cols[item]
        values = np.where(rng.random(n) < 0.005, 9.0, values)  # coded "no answer"
        survey[item] = _fmt(values)
    survey["eng_level"] = _fmt(level)
    survey = survey.loc[responds].reset_index(drop=True)

    # --- coded segments ------------------------------------------------------------------
    segments, prevalence_truth = _simulate_segments(
        rng,
        pid,
        is_pro,
        in_qual,
        site_idx,
        site_codes,
        group_id,
        true_score,
        n_segments,
    )
    roster = _roster(rng, pid, in_qual, site_idx, site_codes)
    segments, n_planted = _plant_identifiers(rng, segments, roster)

    truth = {
        "seed": seed,
        "sizes": {"n_sites": n_sites, "n_participants": n, "n_segments": n_segments},
        "model": "engagement = intercept + sum(effect * experience score) + role + site + e",
        "intercept": _INTERCEPT,
        "effects": effects,
        "role_effect_professional": _ROLE_EFFECT,
        "site_sd": _SITE_SD,
        "site_effects": {s: round(float(u), 6) for s, u in zip(sites, site_u, strict=True)},
        "residual_sd": _RESIDUAL_SD,
        "item_missing_rate": _ITEM_MISSING,
        "survey_response_rate": _SURVEY_RESPONSE,
        "engagement_level": {
            "latent": "1.8 * (true engagement - 3) + logistic(0, 1)",
            "cuts": cuts.tolist(),
        },
        "prevalence_by_role": prevalence_truth,
        "double_coded_share": _DOUBLE_CODED,
        "planted_identifiers": n_planted,
        "coder_error_rate": _CODER_ERROR,
        "planted_divergence": {
            "theme": "information_sharing",
            "patient_mentions": "information sharing (what, how, with whom) often",
            "professional_mentions": "information sharing rarely",
        },
    }
    return SimulatedStudy(
        codebook_text=example_codebook_text(study),
        participants=participants,
        survey=survey,
        segments=segments,
        roster=roster,
        truth=truth,
    )
