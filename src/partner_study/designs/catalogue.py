"""The five designs of the studies behind the project (:data:`DESIGNS`), and a covering
array of every pair of factor levels a study can have (:func:`pairwise_shapes`)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np

from partner_study.designs.shape import Shape, role_set
from partner_study.designs.simulation import write_shape
from partner_study.designs.texts import params_text
from partner_study.designs.vocabulary import _ENGAGEMENTS, _STRANDS, POINTS
from partner_study.errors import PartnerStudyError

__all__ = [
    "DESIGNS",
    "FACTORS",
    "design_shape",
    "effective_levels",
    "pairwise_shapes",
    "shape_levels",
    "write_designs",
]


#: The five designs of the studies behind the project.
DESIGNS: dict[str, Shape] = {
    # (a) Belgium (Interreg): 30 patients in 6 focus groups, 30 professionals interviewed,
    # thematic analysis, two coders; qualitative strand only; the focus-group id is kept.
    "be-focus-groups": Shape(
        roles=role_set(2, "fr"),
        language="fr",
        n_participants=60,
        role_counts=(30, 30),
        n_sites=2,
        sites=(("liege", "CHU de Liège"), ("namur", "Hôpital régional de Namur")),
        strands="qualitative",
        engagement="none",
        n_coders=2,
        focus_groups=True,
        seed=101,
        title="Partenariat patient·es–professionnel·les dans deux hôpitaux belges",
    ),
    # (b) Quebec: an establishment survey; the engagement continuum (information <
    # consultation < collaboration < partnership) is the ordinal dependent, the level of the
    # health system (direct care, organisation, policy) a categorical covariate.
    "qc-establishments": Shape(
        roles=role_set(2, "fr"),
        language="fr",
        n_participants=60,
        n_sites=2,
        sites=(
            ("estrie", "CIUSSS de l'Estrie – CHUS"),
            ("montreal", "Centre hospitalier de l'Université de Montréal"),
        ),
        n_scales=3,
        scale_keys=("being_heard", "information", "teamwork"),
        points=4,
        strands="survey",
        engagement="ordinal",
        system_level=True,
        seed=102,
        title="Sondage d'établissement sur le partenariat patient",
    ),
    # (c) Norway: 6 internal facilitators, one role, 4 municipalities, reflexive thematic
    # analysis by one coder, no survey.
    "no-facilitators": Shape(
        roles=(("facilitator", "Internal facilitator", "Internal facilitators"),),
        n_participants=6,
        n_sites=4,
        sites=(
            ("drammen", "Drammen municipality"),
            ("bergen", "Bergen municipality"),
            ("tromso", "Tromsø municipality"),
            ("bodo", "Bodø municipality"),
        ),
        strands="qualitative",
        engagement="none",
        n_coders=1,
        code_set="facilitation",
        seed=103,
        title="Internal facilitators of patient partnership in four Norwegian municipalities",
    ),
    # (d) Coproduction (Batalden): power sharing and capacity building among the outcome
    # scales; patients and professionals rate the same items.
    "coproduction": Shape(
        roles=role_set(2, "en"),
        n_participants=60,
        n_sites=2,
        n_scales=3,
        scale_keys=("power_sharing", "capacity_building", "being_heard"),
        points=5,
        strands="both",
        engagement="continuous",
        n_coders=2,
        seed=104,
        title="From designed for to designed with: coproduction of care",
    ),
    # (e) Sussex MSK partnership: patients and staff in a reciprocal relationship rate the
    # same items; one site; critical friend vs supportive ally.
    "msk-partnership": Shape(
        roles=(("patient", "Patient", "Patients"), ("staff", "Staff member", "Staff members")),
        n_participants=50,
        n_sites=1,
        sites=(("sussex", "Sussex MSK Partnership"),),
        n_scales=2,
        scale_keys=("trust", "shared_language"),
        points=7,
        strands="both",
        engagement="continuous",
        n_coders=2,
        code_set="reciprocity",
        seed=105,
        title="Patients and staff in a reciprocal partnership (Sussex MSK)",
    ),
}


def design_shape(name: str) -> Shape:
    """The shape of one of :data:`DESIGNS`, by name (the error lists the names)."""
    if name not in DESIGNS:
        raise PartnerStudyError(
            f"design {name!r}: found an unknown design, expected one of {sorted(DESIGNS)}. "
            "Fix: choose one of those."
        )
    return DESIGNS[name]


def write_designs(folder: Path | str, names: list[str] | None = None) -> list[Path]:
    """Write :data:`DESIGNS` as ``<folder>/<name>/raw/`` (the study folder) and
    ``<folder>/<name>/params.yaml`` (its minimal parameters, study name ``<name>``)."""
    folder = Path(folder)
    written: list[Path] = []
    for name in names or list(DESIGNS):
        shape = design_shape(name)
        written += write_shape(shape, folder / name / "raw", study=name)
        params = folder / name / "params.yaml"
        params.write_bytes(params_text(shape, name).encode("utf-8"))
        written.append(params)
    return written


# ----------------------------------------------------------------------- covering array
#: Factors of the pairwise matrix and their levels. ``roles`` combines the number of roles
#: with the language of every label ("2fr": two roles named in French).
FACTORS: dict[str, tuple[Any, ...]] = {
    "roles": ("1en", "2en", "3en", "1fr", "2fr", "3fr"),
    "scales": (1, 2, 7),
    "points": POINTS,
    "labels": ("codes", "text"),
    "sites": (1, 2, 6),
    "coders": (1, 2, 3),
    "strands": _STRANDS,
    "engagement": _ENGAGEMENTS,
    "categorical_only": (False, True),
}
_SURVEY_FACTORS = ("scales", "points", "labels", "engagement")
_QUALITATIVE_FACTORS = ("coders",)


def effective_levels(levels: dict[str, Any]) -> dict[str, Any] | None:
    """The levels that matter in a combination of factor levels, or ``None`` when the
    combination is impossible (a dependent without the survey strand).

    Survey factors (scales, points, labels, engagement) matter only with the survey strand
    (engagement "none" is also what a qualitative study has), coders only with the
    qualitative strand; factors that do not matter are left out."""
    strands = levels["strands"]
    survey, qualitative = strands != "qualitative", strands != "survey"
    if not survey and levels["engagement"] != "none":
        return None
    out = {}
    for factor, level in levels.items():
        if factor in _SURVEY_FACTORS and not survey and factor != "engagement":
            continue
        if factor in _QUALITATIVE_FACTORS and not qualitative:
            continue
        out[factor] = level
    return out


def shape_levels(shape: Shape) -> dict[str, Any]:
    """The factor levels of a shape that matter (see :func:`effective_levels`)."""
    levels = {
        "roles": f"{len(shape.roles)}{shape.language}",
        "scales": shape.n_scales,
        "points": shape.points,
        "labels": "text" if shape.labels_as_text else "codes",
        "sites": shape.n_sites,
        "coders": shape.n_coders,
        "strands": shape.strands,
        "engagement": shape.engagement,
        "categorical_only": shape.categorical_only,
    }
    out = effective_levels(levels)
    assert out is not None  # a Shape cannot hold an impossible combination
    return out


def _shape_of(levels: dict[str, Any], index: int) -> Shape:
    roles = levels["roles"]
    n_roles, language = int(roles[0]), roles[1:]
    n_sites = levels["sites"]
    return Shape(
        roles=role_set(n_roles, language),
        language=language,
        n_scales=levels.get("scales", 2),
        points=levels.get("points", 5),
        labels_as_text=levels.get("labels", "codes") == "text",
        n_sites=n_sites,
        n_coders=levels.get("coders", 1),
        strands=levels["strands"],
        engagement=levels["engagement"],
        categorical_only=levels["categorical_only"],
        n_participants=(40, 48, 54, 60)[index % 4] if n_roles < 3 and n_sites < 6 else 60,
        seed=1000 + index,
    )


def pairwise_shapes(*, minimum: int = 40) -> list[Shape]:
    """A deterministic covering array of :data:`FACTORS`: every pair of levels that a study
    can have together (both levels mattering, see :func:`effective_levels`) is in at least
    one shape; at least ``minimum`` shapes.

    Greedy all-pairs over the full factorial: each step takes the combination that covers
    the most pairs not yet covered (ties broken by a fixed random order); once every pair
    is covered, further shapes cover the pairs seen only once, until ``minimum``.
    """
    names = list(FACTORS)
    pair_index: dict[tuple[str, Any, str, Any], int] = {}
    candidates: list[dict[str, Any]] = []
    seen: set[tuple] = set()
    for combo in itertools.product(*FACTORS.values()):
        levels = effective_levels(dict(zip(names, combo, strict=True)))
        if levels is None:
            continue
        key = tuple(sorted((k, str(v)) for k, v in levels.items()))
        if key in seen:
            continue
        seen.add(key)
        candidates.append(levels)
    rows = []
    for levels in candidates:
        keys = [f for f in names if f in levels]
        ids = []
        for a, b in itertools.combinations(keys, 2):
            pair = (a, levels[a], b, levels[b])
            ids.append(pair_index.setdefault(pair, len(pair_index)))
        rows.append(ids)
    width = max(len(r) for r in rows)
    matrix = np.full((len(rows), width), len(pair_index), dtype=np.int64)  # padding id
    for i, ids in enumerate(rows):
        matrix[i, : len(ids)] = ids
    order = np.random.default_rng(20231121).permutation(len(candidates))
    matrix = matrix[order]
    candidates = [candidates[i] for i in order]
    times = np.zeros(len(pair_index) + 1, dtype=np.int64)
    chosen: list[int] = []
    while True:
        uncovered = times == 0
        uncovered[-1] = False
        if uncovered.any():
            gain = uncovered[matrix].sum(axis=1)
        elif len(chosen) < minimum:
            once = times == 1
            once[-1] = False
            gain = once[matrix].sum(axis=1)
        else:
            break
        gain[chosen] = -1
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        chosen.append(best)
        np.add.at(times, matrix[best], 1)
    return [_shape_of(candidates[i], k) for k, i in enumerate(chosen)]
