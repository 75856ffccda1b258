"""Simulating a study of a :class:`~partner_study.designs.shape.Shape`: its participants,
survey and coded segments with known truth (:func:`simulate_shape`), written as a raw
study folder (:func:`write_shape`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from partner_study.config import check_study_name
from partner_study.designs.focus_groups import draw_mentions
from partner_study.designs.shape import Shape
from partner_study.designs.texts import _codebook_text, _scale_specs
from partner_study.designs.vocabulary import (
    _ENGAGEMENT_LEVELS,
    _OPENERS,
    _PREVALENCE,
    _RESPONSES,
    _SCALE_MISSING,
    _THEMES,
    _VOCAB,
    CODE_SETS,
)
from partner_study.simulate import SimulatedStudy

__all__ = ["simulate_shape", "write_shape"]

#: Rates of the known truth (see :mod:`partner_study.designs`).
_ITEM_MISSING = 0.04
_CODED_MISSING = 0.01
_SURVEY_RESPONSE = 0.9
_QUAL_SHARE = 0.5  # of participants interviewed when a study has both strands
_RECODED = 0.4
_CODER_ERROR = 0.10
_LEVEL_CUTS = (-0.8, 0.0, 0.8)


def _shares(n: int, k: int) -> np.ndarray:
    """Participants of each of ``k`` roles: about 55/45, 45/35/20, at least two each."""
    weights = {1: [1.0], 2: [0.55, 0.45], 3: [0.45, 0.35, 0.20]}[k]
    counts = np.floor(np.array(weights) * n).astype(int)
    counts[0] += n - counts.sum()
    counts = np.maximum(counts, 2)
    counts[0] -= counts.sum() - n
    return counts


def _design_roles(shape: Shape, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Role index and site index of each participant (sorted by site, then role)."""
    n = shape.n_participants
    counts = np.array(shape.role_counts) if shape.role_counts else _shares(n, len(shape.roles))
    role = np.repeat(np.arange(len(shape.roles)), counts)
    n_sites = len(shape.site_list)
    # Every site gets participants of every role where there are enough of them.
    site = np.empty(n, dtype=int)
    for r in range(len(shape.roles)):
        members = np.flatnonzero(role == r)
        spread = np.arange(len(members)) % n_sites
        site[members] = rng.permutation(spread)
    order = np.lexsort((role, site))
    return role[order], site[order]


def _cells(values: np.ndarray) -> np.ndarray:
    """Whole numbers as text, NaN as an empty cell."""
    out = np.full(values.shape, "", dtype=object)
    ok = ~np.isnan(values)
    out[ok] = values[ok].astype(np.int64).astype(str)
    return out


def _responses(latent: np.ndarray, points: int) -> np.ndarray:
    """Cut latent values into response codes 0-1 (2 points) or 1-points."""
    if points == 2:
        return (latent > -0.3).astype(float)
    cuts = np.linspace(-1.6, 1.6, points - 1) - 0.3
    return 1.0 + (latent[:, None] > cuts).sum(axis=1)


def simulate_shape(shape: Shape, *, study: str = "design") -> SimulatedStudy:
    """Simulate a study of the given shape.

    Parameters
    ----------
    shape : Shape
    study : str
        Study name written into the codebook (a folder name).

    Returns
    -------
    SimulatedStudy
        ``participants`` and, for their strands, ``survey`` and ``segments`` as text tables
        in the raw data contract (``None`` for a strand the shape lacks), the codebook text
        and ``truth``.
    """
    check_study_name(study, where="simulate_shape: study")
    rng = np.random.default_rng(shape.seed)
    role, site = _design_roles(shape, rng)
    n = len(role)
    sites = shape.site_list
    prefix = np.array([code[:3].upper() for code, _ in sites], dtype=object)
    within = pd.Series(np.ones(n)).groupby(site).cumsum().to_numpy().astype(int)
    pid = np.array(
        [f"{prefix[s]}-{k:03d}" for s, k in zip(site, within, strict=True)], dtype=object
    )
    role_names = np.array([r[0] for r in shape.roles], dtype=object)

    # --- participants: who, where, how they took part --------------------------------------
    if shape.focus_groups:
        in_qual = np.ones(n, dtype=bool)
    elif shape.strands == "qualitative":
        in_qual = np.ones(n, dtype=bool)
    elif shape.strands == "both":
        in_qual = np.zeros(n, dtype=bool)
        for r in range(len(shape.roles)):
            members = np.flatnonzero(role == r)
            k = max(2, int(round(_QUAL_SHARE * len(members))))
            in_qual[rng.choice(members, size=min(k, len(members)), replace=False)] = True
    else:
        in_qual = np.zeros(n, dtype=bool)
    in_group = in_qual & (role == 0) & shape.focus_groups
    collection = np.where(in_group, "focus_group", np.where(in_qual, "interview", "survey"))
    # focus groups of five within each site
    group_rank = pd.Series(in_group).groupby(site).cumsum().to_numpy()
    group_id = np.where(
        in_group,
        [f"FG-{prefix[s]}-{(g - 1) // 5 + 1}" for s, g in zip(site, group_rank, strict=True)],
        "",
    )
    participants = pd.DataFrame(
        {
            "participant_id": pid,
            "site": np.array([c for c, _ in sites], dtype=object)[site],
            "role": role_names[role],
            "collection": collection,
        }
    )
    if shape.focus_groups:
        participants["group_id"] = group_id
    gender = rng.choice([1, 2, 3], size=n, p=[0.55, 0.42, 0.03]).astype(float)
    gender[rng.random(n) < 0.05] = 9
    participants["gender"] = _cells(gender)
    if not shape.categorical_only:
        centre = np.array([60.0, 44.0, 55.0])[role]
        age = np.clip(np.round(centre + rng.normal(0, 11, n)), 19, 95)
        age[rng.random(n) < 0.03] = 999
        participants["age"] = _cells(age)
    if shape.system_level:
        participants["system_level"] = _cells(
            rng.choice([1, 2, 3], size=n, p=[0.5, 0.3, 0.2]).astype(float)
        )

    # --- survey ------------------------------------------------------------------------------
    truth: dict[str, Any] = {"seed": shape.seed, "shape": shape.slug}
    survey = None
    engagement_latent = np.zeros(n)
    if shape.has_survey:
        survey, engagement_latent, survey_truth = _simulate_survey(shape, rng, pid, role, site)
        truth.update(survey_truth)

    # --- coded segments -------------------------------------------------------------------------
    segments = None
    if shape.has_qualitative:
        segments, qual_truth = _simulate_segments(
            shape, rng, pid, role, in_qual, collection, group_id, engagement_latent
        )
        truth.update(qual_truth)
    roster = None
    if shape.roster and shape.has_qualitative:
        given = ("Anne", "Luc", "Marie", "Jan", "Sofie", "Ole", "Kari", "Emma")
        family = ("Dubois", "Peeters", "Tremblay", "Hansen", "Smith", "Roy", "Maes", "Berg")
        q = np.flatnonzero(in_qual)
        names = [f"{given[rng.integers(8)]} {family[rng.integers(8)]}" for _ in q]
        roster = pd.DataFrame({"participant_id": pid[q], "name": np.array(names, dtype=object)})
    return SimulatedStudy(
        codebook_text=_codebook_text(shape, study),
        participants=participants,
        survey=survey,  # type: ignore[arg-type]  # None: no survey strand
        segments=segments,  # type: ignore[arg-type]  # None: no qualitative strand
        roster=roster,
        truth=truth,
    )


def _simulate_survey(shape: Shape, rng, pid, role, site):
    n = len(pid)
    lang = shape.language
    specs = _scale_specs(shape)
    experience = [s for s in specs if s["name"] != "engagement"]
    k = len(experience)
    corr = np.full((k, k), 0.4) + np.eye(k) * 0.6
    latent = rng.multivariate_normal(np.zeros(k), corr, size=n, method="cholesky")
    role_shift = np.array([0.0, -0.35, 0.25])[role]
    site_shift = rng.normal(0, 0.2, len(shape.site_list))[site]
    latent = latent + (role_shift + site_shift)[:, None]
    beta = float(np.sqrt(0.6 / (k + 0.4 * k * (k - 1))))
    engagement = (
        beta * latent.sum(axis=1)
        + np.array([0.0, -0.3, 0.2])[role]
        + site_shift
        + rng.normal(0, 0.6, n)
    )
    low, high = (0, 1) if shape.points == 2 else (1, shape.points)
    labels = _RESPONSES[shape.points][lang]
    columns: dict[str, np.ndarray] = {"participant_id": pid}
    first_item = specs[0]["items"][0]
    for spec in specs:
        source = engagement if spec["name"] == "engagement" else latent[:, experience.index(spec)]
        for item in spec["items"]:
            values = _responses(source + rng.normal(0, 0.5, n), shape.points)
            if item in spec["reverse"]:
                values = low + high - values
            if item != first_item:
                values[rng.random(n) < _ITEM_MISSING] = np.nan
                values[rng.random(n) < _CODED_MISSING] = _SCALE_MISSING
            cells = _cells(values)
            if shape.labels_as_text:
                for code, text in labels.items():
                    cells[values == code] = text
            columns[item] = cells
    if shape.engagement == "ordinal":
        level_latent = engagement + rng.logistic(0, 0.5, n)
        level = 1.0 + (level_latent[:, None] > np.array(_LEVEL_CUTS)).sum(axis=1)
        level[rng.random(n) < 0.03] = 9
        cells = _cells(level)
        if shape.labels_as_text:
            for code, text in enumerate(_ENGAGEMENT_LEVELS[lang], 1):
                cells[level == code] = text
        columns["eng_level"] = cells
    survey = pd.DataFrame(columns)
    responds = rng.random(n) < _SURVEY_RESPONSE
    # at least three respondents of every role
    for r in np.unique(role):
        members = np.flatnonzero(role == r)
        if responds[members].sum() < 3:
            responds[members[:3]] = True
    survey = survey.loc[responds].reset_index(drop=True)
    truth = {
        "experience_correlation": 0.4,
        "engagement_model": "beta * sum(experience latents) + role + site + N(0, 0.6)",
        "beta": round(beta, 6),
        "role_shift": [0.0, -0.35, 0.25][: len(shape.roles)],
        "item_missing_rate": _ITEM_MISSING,
        "survey_response_rate": _SURVEY_RESPONSE,
        "always_answered_item": first_item,
    }
    if shape.engagement == "ordinal":
        truth["engagement_level_cuts"] = list(_LEVEL_CUTS)
    return survey, engagement, truth


def _simulate_segments(shape: Shape, rng, pid, role, in_qual, collection, group_id, engagement):
    lang = shape.language
    codes = [c for t in CODE_SETS[shape.code_set] for c in _THEMES[t]]
    theme_of = {c: t for t in CODE_SETS[shape.code_set] for c in _THEMES[t]}
    q = np.flatnonzero(in_qual)
    prevalence = np.array([_PREVALENCE[c] for c in codes])  # (codes, 3)
    # Exactly round(p * n_role) participants of each role raise each code; the more engaged
    # are more likely to raise the coproduction codes. In a focus group the talkative raise
    # more (a speaking effect), and the first member of each site's first group says nothing
    # that is coded (a silent member, who still belongs to the denominator).
    mentions = np.zeros((len(q), len(codes)), dtype=bool)
    boost = np.array([0.8 if theme_of[c] == "coproduction" else 0.0 for c in codes])
    priority = rng.random((len(q), len(codes))) + boost * np.clip(engagement[q], -1, 1)[:, None]
    in_group = collection[q] == "focus_group"
    priority += (in_group * rng.random(len(q)) * 0.3)[:, None]
    first_of_group = in_group & (group_id[q] != np.roll(group_id[q], 1))
    silent = first_of_group & np.char.endswith(group_id[q].astype(str), "-1")
    priority[silent] = -np.inf
    for r in range(len(shape.roles)):
        members = np.flatnonzero(role[q] == r)
        if len(members) == 0:
            continue
        k = np.rint(prevalence[:, r] * (len(members) - silent[members].sum())).astype(int)
        ranks = np.argsort(np.argsort(-priority[members], axis=0, kind="stable"), axis=0)
        mentions[members] = ranks < k
    if shape.focus_groups and (shape.icc > 0.0 or shape.speaking_effect != 1.0):
        # focus groups as they are: drawn, members of a group alike, speaking in a group
        # changing what is raised (the fixed shares above are the default's known truth)
        groups = np.unique(group_id[q][in_group], return_inverse=True)[1]
        index = np.full(len(q), -1)
        index[in_group] = groups
        mentions = draw_mentions(
            rng,
            prevalence[:, role[q]].T,
            index,
            icc=shape.icc,
            speaking_effect=shape.speaking_effect,
        )
        mentions[silent] = False
    who, code_idx = np.nonzero(mentions)
    m = len(who)
    participant = q[who]
    pick = rng.integers(0, 2, m)
    opener = np.array(_OPENERS[lang], dtype=object)[rng.integers(0, len(_OPENERS[lang]), m)]
    body = np.array(
        [_VOCAB["quote"][codes[c], lang][p] for c, p in zip(code_idx, pick, strict=True)],
        dtype=object,
    )
    keep_capital = ("I ", "I'") if lang == "en" else ()
    text = np.array(
        [
            o + (b if not o or b.startswith(keep_capital) else b[0].lower() + b[1:])
            for o, b in zip(opener, body, strict=True)
        ],
        dtype=object,
    )
    order = np.lexsort((rng.random(m), participant))
    participant, code_idx, text = participant[order], code_idx[order], text[order]
    document = np.where(
        collection[participant] == "focus_group",
        group_id[participant],
        np.array([f"INT-{p}" for p in pid[participant]], dtype=object),
    )
    # documents in order; in a focus group the members' turns interleave
    doc_order = np.lexsort((rng.random(m), document))
    participant, code_idx, text, document = (
        participant[doc_order],
        code_idx[doc_order],
        text[doc_order],
        document[doc_order],
    )
    lengths = np.fromiter((len(t) for t in text), dtype=np.int64, count=m) + 1
    ends = pd.Series(lengths).groupby(document).cumsum().to_numpy()
    start = ends - lengths
    first = pd.DataFrame(
        {
            "segment_id": np.array([f"S{i:04d}" for i in range(1, m + 1)], dtype=object),
            "participant_id": pid[participant],
            "document": document,
            "start": start.astype(str),
            "end": (start + lengths - 1).astype(str),
            "coder": "coder_a",
            "code": np.array(codes, dtype=object)[code_idx],
            "text": text,
        }
    )
    frames = [first]
    recoded = rng.random(m) < _RECODED if shape.n_coders > 1 else np.zeros(m, dtype=bool)
    for coder in ("coder_b", "coder_c")[: shape.n_coders - 1]:
        again = first.loc[recoded].copy()
        wrong = rng.random(len(again)) < _CODER_ERROR
        shift = rng.integers(1, len(codes), len(again))
        other = np.array(codes, dtype=object)[(code_idx[recoded] + shift) % len(codes)]
        again["code"] = np.where(wrong, other, again["code"].to_numpy())
        again["coder"] = coder
        frames.append(again)
    segments = (
        pd.concat(frames, ignore_index=True)
        .sort_values(["segment_id", "coder"], kind="stable")
        .reset_index(drop=True)
    )
    truth = {
        "prevalence_by_role": {
            c: {shape.roles[r][0]: float(prevalence[i, r]) for r in range(len(shape.roles))}
            for i, c in enumerate(codes)
        },
        "recoded_share": _RECODED if shape.n_coders > 1 else 0.0,
        "coder_error_rate": _CODER_ERROR,
        "planted_divergence": "information_sharing" if len(shape.roles) > 1 else None,
        "silent_members": sorted(str(p) for p in pid[q[silent]]),
    }
    if shape.focus_groups and (shape.icc > 0.0 or shape.speaking_effect != 1.0):
        truth["focus_groups"] = {"icc": shape.icc, "speaking_effect": shape.speaking_effect}
    return segments, truth


# --------------------------------------------------------------------------------- writing
_TABLES = ("participants", "survey", "segments", "roster")


def _csv_text(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")


def write_shape(shape: Shape, folder: Path | str, *, study: str | None = None) -> list[Path]:
    """Write a simulated study of ``shape`` as a raw study folder.

    Writes ``codebook.yaml``, ``participants.csv``, ``survey.csv`` (survey strand only),
    ``segments.csv`` (qualitative strand only) and ``roster.csv`` (when ``shape.roster``);
    a table of the contract left from an earlier shape in ``folder`` is removed.

    Parameters
    ----------
    shape : Shape
    folder : path-like
        The study folder (created when absent).
    study : str, optional
        Study name in the codebook (default: the folder's name when it is a valid study
        name, else ``design``).

    Returns
    -------
    list of Path
        The files written.
    """
    folder = Path(folder)
    if study is None:
        study = folder.name if re.fullmatch(r"[a-z][a-z0-9_-]{0,63}", folder.name) else "design"
    sim = simulate_shape(shape, study=study)
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "codebook.yaml"]
    written[0].write_bytes(sim.codebook_text.encode("utf-8"))
    for name in _TABLES:
        frame = getattr(sim, name)
        path = folder / f"{name}.csv"
        if frame is None:
            path.unlink(missing_ok=True)
            continue
        path.write_bytes(_csv_text(frame).encode("utf-8"))
        written.append(path)
    return written
