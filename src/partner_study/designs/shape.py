"""What a simulated study looks like: :class:`Shape` (roles, scales, response points,
sites, coders, strands, dependent) and :func:`role_set`."""

from __future__ import annotations

from dataclasses import dataclass, field

from partner_study.designs.vocabulary import (
    _ENGAGEMENTS,
    _RESPONSES,
    _ROLES,
    _SCALE_ORDER,
    _SITE_CODES,
    _STRANDS,
    _VOCAB,
    CODE_SETS,
    POINTS,
    RoleSpec,
)
from partner_study.errors import PartnerStudyError

__all__ = ["Shape", "role_set"]


def role_set(n: int, language: str = "en") -> tuple[RoleSpec, ...]:
    """The first ``n`` (1-3) roles named in ``language`` ("en" or "fr").

    >>> role_set(2, "fr")[1]
    ('professionnel', 'Professionnel·le', 'Professionnel·les')
    """
    if language not in _ROLES:
        raise PartnerStudyError(
            f"role_set: found language {language!r}, expected one of {sorted(_ROLES)}. "
            "Fix: choose one of those."
        )
    if not 1 <= n <= len(_ROLES[language]):
        raise PartnerStudyError(
            f"role_set: found {n} roles, expected 1 to {len(_ROLES[language])}. "
            "Fix: choose a number of roles in that range."
        )
    return _ROLES[language][:n]


@dataclass(frozen=True)
class Shape:
    """What a simulated study looks like.

    Defaults give a small two-role, two-site, two-scale study with both strands, an
    engagement scale as the dependent, a numeric participant variable (age) and two coders.

    Attributes
    ----------
    roles : tuple of (name, label, plural)
        One to three roles, e.g. :func:`role_set` ``(2, "fr")``.
    n_scales : int
        Experience scales (1-7), besides the engagement scale when ``engagement`` is
        "continuous".
    points : int
        Response points: 2 (0-1), 4, 5, 7 or 10 (1-points).
    labels_as_text : bool
        Survey cells hold the declared response labels instead of their codes.
    n_sites : int
        Sites (1-6), each with a code and a label.
    n_coders : int
        Coders (1-3); with more than one, 40% of the segments are coded again.
    strands : str
        "both", "survey" or "qualitative".
    engagement : str
        "continuous" (an engagement scale, the dependent), "ordinal" (an ordered
        ``engagement_level`` only) or "none"; it needs the survey strand.
    categorical_only : bool
        No numeric participant variable (no age).
    language : str
        "en" or "fr": every label of the codebook.
    n_participants : int
        Participants (up to a few hundred; the test shapes keep 40-60).
    seed : int
        Seed of the generator: the same shape gives the same bytes.
    focus_groups : bool
        Participants of the first role meet in focus groups of five (``collection:
        focus_group`` and a ``group_id``); the others are interviewed.
    scale_keys : tuple of str
        Which experience scales (default: the first ``n_scales`` of the pool).
    sites : tuple of (code, label)
        Site codes and labels (default: the first ``n_sites`` of the pool, in ``language``).
    code_set : str
        Themes of the qualitative codebook: "partnership", "facilitation" or "reciprocity".
    system_level : bool
        A category variable ``system_level`` (direct care, organisation, policy).
    roster : bool
        Write a roster of (invented) names of the qualitative participants.
    title : str
        Title of the codebook (default: a generic one in ``language``).
    role_counts : tuple of int
        Participants of each role (default: about 55/45 or 45/35/20 of ``n_participants``).
    icc : float
        With ``focus_groups``: intraclass correlation of what members of a focus group
        raise (a group-level random effect on the mention probability; 0, the default,
        keeps the fixed shares of the known truth). See
        :mod:`partner_study.designs.focus_groups`.
    speaking_effect : float
        With ``focus_groups``: odds ratio of raising a code in a group rather than alone
        (1, the default, is none).
    """

    roles: tuple[RoleSpec, ...] = field(default_factory=lambda: role_set(2, "en"))
    n_scales: int = 2
    points: int = 5
    labels_as_text: bool = False
    n_sites: int = 2
    n_coders: int = 2
    strands: str = "both"
    engagement: str = "continuous"
    categorical_only: bool = False
    language: str = "en"
    n_participants: int = 40
    seed: int = 1
    focus_groups: bool = False
    scale_keys: tuple[str, ...] = ()
    sites: tuple[tuple[str, str], ...] = ()
    code_set: str = "partnership"
    system_level: bool = False
    roster: bool = False
    title: str = ""
    role_counts: tuple[int, ...] = ()
    icc: float = 0.0
    speaking_effect: float = 1.0

    def __post_init__(self) -> None:
        problems = []
        if not 0.0 <= self.icc < 1.0:
            problems.append(f"icc: found {self.icc!r}, expected 0 to below 1")
        if not self.speaking_effect > 0.0:
            problems.append(f"speaking_effect: found {self.speaking_effect!r}, expected > 0")
        if not 1 <= len(self.roles) <= 3:
            problems.append(f"roles: found {len(self.roles)}, expected 1 to 3")
        if not 1 <= self.n_scales <= len(_SCALE_ORDER):
            problems.append(f"n_scales: found {self.n_scales}, expected 1 to {len(_SCALE_ORDER)}")
        if self.scale_keys and (
            len(self.scale_keys) != self.n_scales or set(self.scale_keys) - set(_SCALE_ORDER)
        ):
            problems.append(
                f"scale_keys: found {self.scale_keys}, expected {self.n_scales} of {_SCALE_ORDER}"
            )
        if self.points not in _RESPONSES:
            problems.append(f"points: found {self.points}, expected one of {POINTS}")
        if self.sites and len(self.sites) != self.n_sites:
            problems.append(f"sites: found {len(self.sites)}, expected n_sites={self.n_sites}")
        if not self.sites and not 1 <= self.n_sites <= len(_SITE_CODES):
            problems.append(f"n_sites: found {self.n_sites}, expected 1 to {len(_SITE_CODES)}")
        if not 1 <= self.n_coders <= 3:
            problems.append(f"n_coders: found {self.n_coders}, expected 1 to 3")
        if self.strands not in _STRANDS:
            problems.append(f"strands: found {self.strands!r}, expected one of {_STRANDS}")
        if self.engagement not in _ENGAGEMENTS:
            problems.append(
                f"engagement: found {self.engagement!r}, expected one of {_ENGAGEMENTS}"
            )
        if self.engagement != "none" and not self.has_survey:
            problems.append("engagement: found a dependent without the survey strand")
        if self.language not in _ROLES:
            problems.append(f"language: found {self.language!r}, expected one of {sorted(_ROLES)}")
        if self.code_set not in CODE_SETS:
            problems.append(
                f"code_set: found {self.code_set!r}, expected one of {sorted(CODE_SETS)}"
            )
        if self.role_counts and (
            len(self.role_counts) != len(self.roles) or sum(self.role_counts) != self.n_participants
        ):
            problems.append(
                f"role_counts: found {self.role_counts}, expected one count a role adding up "
                f"to n_participants={self.n_participants}"
            )
        if self.n_participants < 2 * len(self.roles):
            problems.append(
                f"n_participants: found {self.n_participants}, expected at least two a role"
            )
        if problems:
            raise PartnerStudyError(
                "Shape: " + "; ".join(problems) + ". Fix: correct the shape's fields."
            )

    @property
    def has_survey(self) -> bool:
        return self.strands in ("both", "survey")

    @property
    def has_qualitative(self) -> bool:
        return self.strands in ("both", "qualitative")

    @property
    def experience_scales(self) -> tuple[str, ...]:
        return self.scale_keys or _SCALE_ORDER[: self.n_scales]

    @property
    def site_list(self) -> tuple[tuple[str, str], ...]:
        if self.sites:
            return self.sites
        site = _VOCAB["site"]
        return tuple((c, site[c, self.language][0]) for c in _SITE_CODES[: self.n_sites])

    @property
    def slug(self) -> str:
        """A study name that says the shape (``^[a-z][a-z0-9_-]{0,63}$``)."""
        lang = self.language
        parts = [
            f"r{len(self.roles)}{lang}",
            f"s{self.n_scales}p{self.points}{'t' if self.labels_as_text else 'c'}",
            f"site{self.n_sites}",
            f"k{self.n_coders}",
            {"both": "mixed", "survey": "surv", "qualitative": "qual"}[self.strands],
            {"continuous": "cont", "ordinal": "ord", "none": "nodep"}[self.engagement],
            "cat" if self.categorical_only else "num",
        ]
        return "-".join(parts)
