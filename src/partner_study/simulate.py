"""Seed-grounded simulated partnership studies with known truth.

Layer 3 (pure: returns tables and the truth; writing is done by
:mod:`partner_study.writer`).

The generator follows the studies the example is grounded in: Belgian hospitals
(Interreg: patients in focus groups, professionals interviewed; common language,
listening and teamwork shared, information sharing divergent), Quebec establishments
(partnership model: experiential knowledge, engagement continuum information ->
partnership), Norwegian municipalities (internal facilitators, patient networks,
management support) and a Sussex MSK partnership (critical friend, supportive ally).

Known truth
-----------
Experience scale scores are drawn first. The engagement *true score* is
``T = b0 + sum_k beta_k * score_k + beta_role * professional + u_site + e``; each
engagement item is ``floor(T + d_j + U(0, 1))`` with ``U`` uniform dither, so that
``E[item | T] = T`` exactly while ``1 <= T + d_j <= 5``. Hence the coefficients
``beta_k`` are the true effects of the observed experience scores on the expected
engagement score (the joint model). Site intercepts ``u_site`` are independent of the
experience scores. Item non-response is missing completely at random.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from partner_study.codebook import Codebook, parse_codebook
from partner_study.config import SEED, package_dir

__all__ = [
    "SIZES",
    "SITES",
    "TRUE_EFFECTS",
    "SimulatedStudy",
    "example_codebook_text",
    "simulate_study",
]

#: Study sizes used by the example, the benchmark and power studies.
SIZES: dict[str, dict[str, int]] = {
    "S": {"n_sites": 4, "n_participants": 600, "n_segments": 1_200},
    "M": {"n_sites": 10, "n_participants": 10_000, "n_segments": 100_000},
    "L": {"n_sites": 50, "n_participants": 100_000, "n_segments": 1_000_000},
}

#: (site, country, kind) of the four seed studies; further sites cycle through them.
SITES: tuple[tuple[str, str, str], ...] = (
    ("be_hospital", "BE", "Belgian hospital (Interreg)"),
    ("qc_establishment", "QC", "Quebec health and social services establishment"),
    ("no_municipality", "NO", "Norwegian municipality"),
    ("uk_sussex_msk", "UK", "Sussex MSK partnership"),
)

#: True effects of the experience scores on the engagement score (joint model).
TRUE_EFFECTS: dict[str, float] = {
    "communication": 0.20,
    "listening": 0.10,
    "information_sharing": 0.15,
    "teamwork": 0.10,
    "trust": 0.0,
    "power_sharing": 0.25,
}
_INTERCEPT = 0.35
_ROLE_EFFECT = -0.15  # professionals rate their partnership engagement lower
_SITE_SD = 0.20
_RESIDUAL_SD = 0.35
_ITEM_SD = 0.25
_ITEM_MISSING = 0.03
_SURVEY_RESPONSE = 0.9
_CODER_ERROR = 0.10
_DOUBLE_CODED = 0.25

# Probability that a participant of each role mentions each code (patient, professional).
PREVALENCE: dict[str, tuple[float, float]] = {
    "common_language": (0.70, 0.65),
    "listening_skills": (0.65, 0.60),
    "teamwork": (0.55, 0.60),
    "information_sharing_what": (0.75, 0.30),
    "information_sharing_how": (0.60, 0.25),
    "information_sharing_with_whom": (0.55, 0.20),
    "partnership_direct_care": (0.60, 0.65),
    "partnership_organisation": (0.20, 0.35),
    "partnership_policy": (0.10, 0.20),
    "experiential_knowledge": (0.50, 0.35),
    "self_determination": (0.40, 0.20),
    "power_sharing": (0.30, 0.35),
    "capacity_building": (0.20, 0.30),
    "patient_network": (0.15, 0.30),
    "management_support": (0.10, 0.40),
    "critical_friend": (0.20, 0.25),
    "supportive_ally": (0.25, 0.20),
}

_QUOTES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "common_language": (
        (
            "When the doctor stops using jargon, I finally understand what is going on.",
            "We need words that both of us use in the same way.",
            "The nurse drew it for me on paper, and then it made sense.",
        ),
        (
            "I try to explain things in the words the patient uses at home.",
            "We agreed as a team to drop the abbreviations when patients are in the room.",
            "A shared vocabulary is where partnership starts.",
        ),
    ),
    "listening_skills": (
        (
            "She really listened, she did not look at the screen the whole time.",
            "Being heard is half of the treatment for me.",
            "They let me finish my sentence, that was new.",
        ),
        (
            "Listening takes time we often do not have, but it pays back later.",
            "I learned to ask what matters to the patient before I talk.",
            "When I listen properly, the plan is usually better.",
        ),
    ),
    "teamwork": (
        (
            "I feel like part of the team now, not a visitor.",
            "The team meets and I am invited to say what works for me.",
            "Everyone knows their role, and my role too.",
        ),
        (
            "The patient is a member of the team, with a different expertise.",
            "Teamwork means we plan with the patient, not around them.",
            "Our huddles include the patient partner once a month.",
        ),
    ),
    "information_sharing_what": (
        (
            "I want to see my results, all of them, not a summary.",
            "Nobody told me about the side effects until I asked.",
            "I need to know what the options are before they decide.",
        ),
        (
            "We share what is clinically relevant.",
            "Some results need to be explained in a consultation first.",
            "Too much information at once can overwhelm people.",
        ),
    ),
    "information_sharing_how": (
        (
            "A letter three weeks later is not sharing information.",
            "I would like a phone call, not a leaflet.",
            "The portal shows numbers but nobody explains them.",
        ),
        (
            "We use the standard letter templates.",
            "Information goes through the usual channels.",
            "The discharge summary covers what they need.",
        ),
    ),
    "information_sharing_with_whom": (
        (
            "My daughter should be able to talk to the team too.",
            "My GP never got the report from the hospital.",
            "I decide who hears about my illness, not the system.",
        ),
        (
            "Sharing with relatives needs consent first.",
            "We share with the GP when it is needed.",
            "Confidentiality limits what we can pass on.",
        ),
    ),
    "partnership_direct_care": (
        (
            "At the bedside it works, they ask me and we decide together.",
            "In the consultation I am a partner, that is real.",
            "We set my treatment goals together.",
        ),
        (
            "In direct care partnership is easy to see.",
            "Shared decisions happen every day on the ward.",
            "With the patient in front of me, we plan together.",
        ),
    ),
    "partnership_organisation": (
        (
            "Beyond my own care, I do not see where patients have a say.",
            "I was invited to one committee and then never again.",
            "The hospital asks for feedback but nothing changes.",
        ),
        (
            "At the level of the organisation it is much harder.",
            "We have patient partners on two committees now.",
            "Quality improvement projects are starting to include patients.",
        ),
    ),
    "partnership_policy": (
        (
            "Policy is made far away from people like me.",
            "I would like to teach students what living with this is like.",
            "Research should ask us what questions matter.",
        ),
        (
            "Patients now teach in our nursing programme.",
            "Involving patients in research protocols is still rare.",
            "Regional policy groups have started to recruit patient partners.",
        ),
    ),
    "experiential_knowledge": (
        (
            "I know my body and my disease better than anyone after ten years.",
            "My experience is knowledge too, not just a story.",
            "I have learned tricks that no textbook mentions.",
        ),
        (
            "Patients bring knowledge we cannot get from guidelines.",
            "Their experience of living with the condition changes our plans.",
            "Experiential knowledge complements the scientific kind.",
        ),
    ),
    "self_determination": (
        (
            "In the end it is my life and my choice.",
            "I am my own caregiver most of the week.",
            "They respect that I say no to some things.",
        ),
        (
            "We support the patient's own choices, even when we disagree.",
            "Self-management is the goal between appointments.",
            "The patient decides what level of involvement they want.",
        ),
    ),
    "power_sharing": (
        (
            "Sharing power means they accept that I can be right.",
            "It is still their meeting and their agenda.",
            "Real partnership means the doctor gives up a bit of control.",
        ),
        (
            "Designing with patients, not for them, means sharing power.",
            "We had to learn to let go of control over the agenda.",
            "Co-chairing the committee with a patient changed the dynamics.",
        ),
    ),
    "capacity_building": (
        (
            "The training helped me speak up in meetings.",
            "I needed support to understand how the hospital works.",
            "Now I can mentor other patient partners.",
        ),
        (
            "Staff need training to work with patient partners.",
            "We built capacity on both sides before starting.",
            "Coaching helped the team see the value of partnership.",
        ),
    ),
    "patient_network": (
        (
            "A network of patient representatives gives us a stronger voice.",
            "I found other patients through the network.",
            "We meet as representatives every month.",
        ),
        (
            "Building a network of patient representatives took a year.",
            "The network lets us find the right patient for each project.",
            "We recruit representatives through the municipality.",
        ),
    ),
    "management_support": (
        (
            "When the manager believes in it, things move.",
            "Without support from the top it stays a nice idea.",
            "The director came to our meeting, that meant a lot.",
        ),
        (
            "Winning management support was the hardest part.",
            "Managers need to protect time for partnership work.",
            "Our leader made partnership part of the strategy.",
        ),
    ),
    "critical_friend": (
        (
            "Sometimes I have to be the critical friend and say it does not work.",
            "I tell them the truth, even when it is uncomfortable.",
            "My role is to question, kindly.",
        ),
        (
            "Patient partners challenge our assumptions, which we need.",
            "A critical friend tells us what we do not want to hear.",
            "The feedback was hard but it improved the pathway.",
        ),
    ),
    "supportive_ally": (
        (
            "We are on the same side, I want the service to succeed.",
            "I defend the staff when others complain.",
            "Partnership is a relationship that goes both ways.",
        ),
        (
            "Patients have been allies when we argued for resources.",
            "The relationship is reciprocal, we support each other.",
            "Patient partners backed our case to the board.",
        ),
    ),
}

_OPENERS = ("", "Honestly, ", "For me, ", "I think ", "You know, ", "To be fair, ")

# Given and family names by country, for the roster of interviewed participants.
_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "BE": (
        ("Sofie", "Luc", "Marie", "Jan", "Lotte", "Pierre", "Els", "Koen"),
        ("Peeters", "Janssens", "Dubois", "Maes", "Claes", "Lambert", "Wouters", "Goossens"),
    ),
    "QC": (
        ("Emilie", "Jean", "Catherine", "Marc", "Isabelle", "Louis", "Genevieve", "Andre"),
        ("Tremblay", "Gagnon", "Roy", "Cote", "Bouchard", "Gauthier", "Morin", "Lavoie"),
    ),
    "NO": (
        ("Ingrid", "Ole", "Kari", "Lars", "Silje", "Erik", "Astrid", "Bjorn"),
        ("Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Berg"),
    ),
    "UK": (
        ("Sarah", "James", "Emma", "David", "Lucy", "Thomas", "Hannah", "Oliver"),
        ("Smith", "Jones", "Taylor", "Brown", "Williams", "Evans", "Walker", "Hughes"),
    ),
}
_PLANTED_SHARE = 0.02


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


def _roster(rng, pid, in_qual, site_idx, site_codes) -> pd.DataFrame:
    """Names of the interviewed participants (a roster kept beside the data, never reported)."""
    q = np.flatnonzero(in_qual)
    names = []
    for i in q:
        given, family = _NAMES[site_codes[site_idx[i]][:2]]
        names.append(f"{given[rng.integers(len(given))]} {family[rng.integers(len(family))]}")
    return pd.DataFrame({"participant_id": pid[q], "name": np.array(names, dtype=object)})


def _plant_identifiers(rng, segments: pd.DataFrame, roster: pd.DataFrame):
    """Add identifiers to a few segment texts, as real transcripts have them: names of
    other participants, phone numbers, e-mail addresses, dates of birth, health numbers."""
    first = segments.drop_duplicates("segment_id")
    chosen = first["segment_id"].to_numpy()[rng.random(len(first)) < _PLANTED_SHARE]
    if len(chosen) == 0 or roster.empty:
        return segments, 0
    names = roster["name"].to_numpy()
    kinds = rng.integers(0, 5, len(chosen))
    picks = names[rng.integers(0, len(names), len(chosen))]
    digits = rng.integers(10, 99, (len(chosen), 4))
    extra = []
    for kind, name, d in zip(kinds, picks, digits, strict=True):
        given, family = name.split(" ", 1)
        extra.append(
            (
                f" {name} said the same in the waiting room.",
                f" You can call me on 0470 {d[0]} {d[1]} {d[2]} if you need more.",
                f" Write to {given.lower()}.{family.lower()}@example.org for the minutes.",
                f" I was born on {d[0] % 28 + 1:02d}/{d[1] % 12 + 1:02d}/19{d[2] % 50 + 40}.",
                f" My NHS number is 943 476 59{d[3]}.",
            )[kind]
        )
    add = pd.Series(extra, index=chosen)
    out = segments.copy()
    hit = out["segment_id"].isin(chosen)
    out.loc[hit, "text"] = out.loc[hit, "text"] + out.loc[hit, "segment_id"].map(add)
    return out, int(len(chosen))


def _simulate_segments(
    rng, pid, is_pro, in_qual, site_idx, site_codes, group_id, true_score, n_segments
):
    codes = list(PREVALENCE)
    prev = np.array([PREVALENCE[c] for c in codes])  # (codes, 2)
    q = np.flatnonzero(in_qual)
    nq = len(q)
    # Exactly round(p * n) participants of each role mention each code (stratified), chosen
    # at random but favouring the more engaged for codes linked to engagement.
    boost = np.zeros(len(codes))
    for c in ("power_sharing", "experiential_knowledge", "partnership_organisation"):
        boost[codes.index(c)] = 0.6
    engaged = np.clip(true_score[q] - 3.0, -1.5, 1.5)[:, None]
    priority = rng.random((nq, len(codes))) + boost * engaged
    mentions = np.zeros((nq, len(codes)), dtype=bool)
    for r in (0, 1):
        members = np.flatnonzero(is_pro[q].astype(int) == r)
        if len(members) == 0:
            continue
        k = np.rint(prev[:, r] * len(members)).astype(int)  # (codes,)
        ranks = np.argsort(np.argsort(-priority[members], axis=0, kind="stable"), axis=0)
        mentions[members] = ranks < k
    per_mention = max(1.0, n_segments / max(1, mentions.sum()))
    counts = np.where(mentions, 1 + rng.poisson(per_mention - 1, mentions.shape), 0)
    who, code_idx = np.nonzero(counts)
    reps = counts[who, code_idx]
    who = np.repeat(who, reps)
    code_idx = np.repeat(code_idx, reps)
    m = len(who)
    participant = q[who]
    role_idx = is_pro[participant].astype(int)
    # Text: a quote template of that code and role, with a spoken opener.
    templates = np.array([t for c in codes for r in (0, 1) for t in _QUOTES[c][r]], dtype=object)
    n_tpl = np.array([len(_QUOTES[c][r]) for c in codes for r in (0, 1)])
    first = np.concatenate([[0], np.cumsum(n_tpl)[:-1]])
    slot = code_idx * 2 + role_idx
    pick = first[slot] + (rng.random(m) * n_tpl[slot]).astype(int)
    opener = np.array(_OPENERS, dtype=object)[rng.integers(0, len(_OPENERS), m)]
    body = templates[pick]
    keep = np.array([b.startswith(("I ", "I'")) for b in templates], dtype=bool)[pick]
    lowered = np.array(
        [
            b if (not o or k) else b[0].lower() + b[1:]
            for o, b, k in zip(opener, body, keep, strict=True)
        ],
        dtype=object,
    )
    text = opener + lowered
    # Order by participant (documents), then random order within the document.
    order = np.lexsort((rng.random(m), participant))
    participant, code_idx, text = participant[order], code_idx[order], text[order]
    doc = np.where(
        is_pro[participant],
        np.array([f"INT-{p_}" for p_ in pid[participant]], dtype=object),
        group_id[participant],
    )
    lengths = np.fromiter((len(t) for t in text), dtype=np.int64, count=m) + 1
    ends_all = pd.Series(lengths).groupby(doc).cumsum().to_numpy()
    start = ends_all - lengths
    end = start + lengths - 1
    seg_no = np.arange(1, m + 1)
    seg_id = np.array([f"S{k:07d}" for k in seg_no], dtype=object)
    first_coder = pd.DataFrame(
        {
            "segment_id": seg_id,
            "participant_id": pid[participant],
            "document": doc,
            "start": start.astype(str),
            "end": end.astype(str),
            "coder": "coder_a",
            "code": np.array(codes, dtype=object)[code_idx],
            "text": text,
        }
    )
    # Second coder on a quarter of the segments: same code, or another code of the same
    # theme (or any code) with the error rate.
    double = rng.random(m) < _DOUBLE_CODED
    second = first_coder.loc[double].copy()
    wrong = rng.random(len(second)) < _CODER_ERROR
    other = np.array(codes, dtype=object)[rng.integers(0, len(codes), len(second))]
    same = other == second["code"].to_numpy()
    other[same] = np.array(codes, dtype=object)[(code_idx[double][same] + 1) % len(codes)]
    second["code"] = np.where(wrong, other, second["code"].to_numpy())
    second["coder"] = "coder_b"
    segments = (
        pd.concat([first_coder, second], ignore_index=True)
        .sort_values(["segment_id", "coder"], kind="stable")
        .reset_index(drop=True)
    )
    truth = {
        c: {"patient": float(prev[i, 0]), "professional": float(prev[i, 1])}
        for i, c in enumerate(codes)
    }
    return segments, truth
