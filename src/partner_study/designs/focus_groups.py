"""Focus groups as they are: members who resemble each other, and who speak differently in
a group than alone (:func:`draw_mentions`), and small two-role studies built on them with
known truth (:func:`simulate_focus_group_study`).

Layer 3 (pure data generation), part of :mod:`partner_study.designs`.

Known truth
-----------
Participant ``j`` of a role raises a theme with the role's prevalence ``p``. A member of
a focus group speaks in a group: with a speaking effect (an odds ratio ``s``; 1 = none)
the prevalence becomes ``p' = expit(logit(p) + log s)``. Members of a group resemble each
other: the group draws its own propensity ``pi_g ~ Beta(p' (1 - r) / r, (1 - p') (1 - r) / r)``
and each member raises the theme with probability ``pi_g``, so that the mentions of a
group are beta-binomial: mean ``p'``, intraclass correlation exactly ``r`` (the ``icc``;
0 = independent members). A participant interviewed alone raises it with probability
``p``. Themes are drawn independently of each other; a member who raises no theme is a
silent member (present in the group, no coded segment). An interview is coded as a whole:
a participant interviewed alone who raises none of the themes has one segment coded
``other`` (theme ``other``), so that they stay in their role's denominator as they would
in a real study.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from partner_study.designs.vocabulary import RoleSpec
from partner_study.errors import PartnerStudyError
from partner_study.simulate import SimulatedStudy

__all__ = ["BELGIAN_THEMES", "draw_mentions", "simulate_focus_group_study"]

#: The Belgian design's themes (DESIGN §1): patients (focus groups) and professionals
#: (interviewed) agree on common language, listening skills and teamwork, and diverge on
#: information sharing. Prevalence (first role, second role) of each theme.
BELGIAN_THEMES: dict[str, tuple[float, float]] = {
    "common_language": (0.6, 0.6),
    "listening_skills": (0.5, 0.5),
    "teamwork": (0.4, 0.4),
    "information_sharing": (0.8, 0.3),
}
_ROLES: tuple[RoleSpec, RoleSpec] = (
    ("patient", "Patient", "Patients"),
    ("professional", "Professional", "Professionals"),
)


def _check(icc: float, speaking_effect: float) -> None:
    problems = []
    if not 0.0 <= icc < 1.0:
        problems.append(f"icc: found {icc!r}, expected a number from 0 to below 1")
    if not speaking_effect > 0.0 or not np.isfinite(speaking_effect):
        problems.append(f"speaking_effect: found {speaking_effect!r}, expected an odds ratio > 0")
    if problems:
        raise PartnerStudyError(
            "; ".join(problems) + ". Fix: give the intraclass correlation of the focus groups "
            "and the odds ratio of speaking in a group (1 = no effect)."
        )


def draw_mentions(
    rng: np.random.Generator,
    prevalence: np.ndarray,
    group: np.ndarray,
    *,
    icc: float = 0.0,
    speaking_effect: float = 1.0,
) -> np.ndarray:
    """Who raises which theme, focus groups clustered (module's known truth).

    Parameters
    ----------
    rng : numpy.random.Generator
        The seeded generator of the study.
    prevalence : array of float, shape (participants, themes)
        Probability that each participant raises each theme when alone (their role's).
    group : array of int, shape (participants,)
        Focus group of each participant (0, 1, ...), -1 for one who takes part alone.
    icc : float
        Intraclass correlation of the mentions within a focus group (0 to below 1).
    speaking_effect : float
        Odds ratio of raising a theme in a group rather than alone (1 = none).

    Returns
    -------
    array of bool, shape (participants, themes)
    """
    _check(icc, speaking_effect)
    p = np.clip(np.asarray(prevalence, dtype=np.float64), 1e-9, 1.0 - 1e-9)
    group = np.asarray(group, dtype=np.int64)
    member = group >= 0
    if speaking_effect != 1.0:
        logit = np.log(p[member]) - np.log1p(-p[member]) + np.log(speaking_effect)
        p[member] = 1.0 / (1.0 + np.exp(-logit))
    chance = p.copy()
    if icc > 0.0 and member.any():
        # one propensity per group and theme; members of a group share their role's
        # prevalence, so the group's first member gives it
        groups, first = np.unique(group[member], return_index=True)
        base = p[member][first]
        scale = (1.0 - icc) / icc
        propensity = rng.beta(base * scale, (1.0 - base) * scale)
        where = np.searchsorted(groups, group[member])
        chance[member] = propensity[where]
    return rng.random(p.shape) < chance


def _codebook(roles: Sequence[RoleSpec], themes: Sequence[str]) -> str:
    lines = ["study: focus_groups", "id: participant_id", "role:", "  column: role", "  levels:"]
    lines += [f"    {name}: {{label: {label}, plural: {plural}}}" for name, label, plural in roles]
    lines += ["site: site", "codes:"]
    lines += [f"  {t}: {{theme: {t}, label: {t.replace('_', ' ').capitalize()}}}" for t in themes]
    return "\n".join(lines) + "\n"


def simulate_focus_group_study(
    prevalence: Mapping[str, tuple[float, float]] = BELGIAN_THEMES,
    *,
    sizes: tuple[int, int] = (30, 30),
    group_size: int = 5,
    icc: float = 0.0,
    speaking_effect: float = 1.0,
    seed: int = 1,
) -> SimulatedStudy:
    """A qualitative study of two roles: the first met in focus groups, the second
    interviewed one by one, with known prevalences (module's known truth).

    Parameters
    ----------
    prevalence : mapping
        Theme -> (prevalence in the first role, in the second role); default
        :data:`BELGIAN_THEMES`.
    sizes : (int, int)
        Participants of each role (default 30 and 30).
    group_size : int
        Members of a focus group (default 5: 30 participants in 6 groups).
    icc, speaking_effect : float
        See :func:`draw_mentions`.
    seed : int
        Seed of the generator: the same arguments give the same tables.

    Returns
    -------
    SimulatedStudy
        ``participants`` (participant_id, site, role, collection, group_id) and
        ``segments`` (one coded segment per mention, one code per theme, ``other`` for an
        interviewee who raises none) as text tables,
        no survey, the codebook text, and ``truth``: the prevalences, ``icc``,
        ``speaking_effect`` and the true difference of the shares in percentage points
        (first role, speaking effect included, minus second).
    """
    if group_size < 1 or min(sizes) < 1:
        raise PartnerStudyError(
            f"simulate_focus_group_study: found sizes {sizes} and group_size {group_size}, "
            "expected at least one participant a role and a group. Fix: give positive sizes."
        )
    rng = np.random.default_rng(seed)
    themes = list(prevalence)
    n_a, n_b = sizes
    role = np.repeat([0, 1], [n_a, n_b])
    group = np.where(role == 0, np.arange(n_a + n_b) // group_size, -1)
    p = np.array([[prevalence[t][r] for t in themes] for r in role], dtype=np.float64)
    raised = draw_mentions(rng, p, group, icc=icc, speaking_effect=speaking_effect)
    pid = np.array([f"{'AB'[r]}-{i:03d}" for i, r in enumerate(role)], dtype=object)
    names = np.array([_ROLES[r][0] for r in role], dtype=object)
    label = np.array([f"FG-{g + 1:02d}" if g >= 0 else "" for g in group], dtype=object)
    participants = pd.DataFrame(
        {
            "participant_id": pid,
            "site": "site_a",
            "role": names,
            "collection": np.where(role == 0, "focus_group", "interview"),
            "group_id": label,
        }
    )
    alone = (group < 0) & ~raised.any(axis=1)
    themes_out = [*themes, "other"] if alone.any() else themes
    raised = np.column_stack([raised, alone]) if alone.any() else raised
    who, theme = np.nonzero(raised)
    segments = pd.DataFrame(
        {
            "segment_id": [f"S{i:05d}" for i in range(1, len(who) + 1)],
            "participant_id": pid[who],
            "document": np.where(group[who] >= 0, label[who], "INT-" + pid[who].astype(str)),
            "start": "",
            "end": "",
            "coder": "coder_a",
            "code": np.asarray(themes_out, dtype=object)[theme],
            "text": [f"About {themes_out[t].replace('_', ' ')}." for t in theme],
        }
    )
    first = {t: min(max(float(prevalence[t][0]), 1e-9), 1.0 - 1e-9) for t in themes}
    logit = {t: np.log(first[t] / (1.0 - first[t])) + np.log(speaking_effect) for t in themes}
    spoken = {t: 1.0 / (1.0 + np.exp(-logit[t])) for t in themes}
    truth = {
        "seed": seed,
        "prevalence": {t: list(prevalence[t]) for t in themes},
        "icc": icc,
        "speaking_effect": speaking_effect,
        "difference_pp": {t: 100.0 * (spoken[t] - prevalence[t][1]) for t in themes},
    }
    return SimulatedStudy(
        codebook_text=_codebook(_ROLES, themes_out),
        participants=participants,
        survey=None,  # type: ignore[arg-type]  # qualitative strand only
        segments=segments,
        roster=None,
        truth=truth,
    )
