"""Shape-driven simulated studies: any number of roles, scales, sites, coders and strands.

Layer 3 (pure data generation; it writes plain text files itself and imports nothing above
layer 3). :mod:`partner_study.simulate` makes the one example study; this module makes
studies of other *shapes*, so that the pipeline can be run on every kind of design a team
may bring: one to three roles named in English or French, one to seven scales of 2 to 10
response points stored as codes or as their labels, one to six sites, one to three coders,
a survey strand, a qualitative strand or both, an engagement scale, an ordinal engagement
level or no dependent at all, with or without a numeric participant variable.

* :class:`Shape` says what the study looks like (defaults: a small two-role study).
* :func:`simulate_shape` makes the raw tables and the codebook
  (a :class:`partner_study.simulate.SimulatedStudy`); :func:`write_shape` writes them as a
  study folder; :func:`params_text` gives the minimal ``params/<study>.yaml``.
* :data:`DESIGNS` are the five designs of the studies the project is grounded in;
  :func:`write_designs` writes them as ``<folder>/<name>/raw/`` + ``params.yaml`` (the
  committed copies are ``tests/data/designs/``; regenerate them with
  ``partner-study simulate --design all --out tests/data/designs``).
* :func:`pairwise_shapes` is a covering array: every pair of levels of :data:`FACTORS`
  that a study can have together appears in at least one shape.

Known truth
-----------
Each respondent has correlated latent experiences ``z_k ~ N(0, 1)`` (correlation 0.4), shifted
by role and site; the engagement latent is ``e = beta * sum_k z_k + role + site + N(0, 0.6)``
with ``beta`` set so that the experiences explain about half of its variance whatever their
number. An item answer is the latent plus item noise cut into the response points; the
ordinal engagement level is ``e`` plus logistic noise cut at -0.8, 0 and 0.8. Items are
missing completely at random (4%), except the first item of the first scale, which every
respondent answers (so the respondents of a Likert table are the answers to that item).
Each code is raised by a fixed share of the qualitative participants of each role (one
segment a mention); information sharing is planted as a divergence between the first two
roles; a second and third coder recode 40% of the segments with a 10% error rate.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from partner_study.config import check_study_name
from partner_study.errors import PartnerStudyError
from partner_study.simulate import SimulatedStudy

__all__ = [
    "CODE_SETS",
    "DESIGNS",
    "FACTORS",
    "POINTS",
    "Shape",
    "design_shape",
    "effective_levels",
    "pairwise_shapes",
    "params_text",
    "role_set",
    "shape_levels",
    "simulate_shape",
    "write_designs",
    "write_shape",
]

RoleSpec = tuple[str, str, str]  # (stored value, label, plural)

_ROLES: dict[str, tuple[RoleSpec, ...]] = {
    "en": (
        ("patient", "Patient", "Patients"),
        ("professional", "Professional", "Professionals"),
        ("carer", "Carer", "Carers"),
    ),
    "fr": (
        ("patient", "Patient·e", "Patient·es"),
        ("professionnel", "Professionnel·le", "Professionnel·les"),
        ("proche_aidant", "Proche aidant·e", "Proches aidant·es"),
    ),
}


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


# --------------------------------------------------------------------------- vocabulary
# Every text a simulated study shows, one a line: KIND KEY LANGUAGE TEXT. Scales: a label,
# an item stem and the item endings (an item label is "<stem>, <ending>": cut to 40 or 60
# characters, two items of a scale would read the same). Codes: a label and two quotes.
_TEXT = """
site liege en Liège University Hospital
site liege fr CHU de Liège
site estrie en Estrie health and social services centre
site estrie fr CIUSSS de l'Estrie – CHUS
site drammen en Drammen municipality
site drammen fr Commune de Drammen
site sussex en Sussex MSK Partnership
site sussex fr Partenariat MSK du Sussex
site namur en Namur regional hospital
site namur fr Hôpital régional de Namur
site montreal en Montréal university health centre
site montreal fr Centre hospitalier de l'Université de Montréal
scale engagement en Engagement in partnership
stem engagement en Over the past year, in the work of the service
item engagement en I took part in decisions about care
item engagement en my experience was used to improve care
item engagement en I helped to set the service's priorities
item engagement en decisions were made without asking me
scale engagement fr Engagement dans le partenariat
stem engagement fr Au cours de l'année, dans le travail du service
item engagement fr j'ai participé aux décisions de soins
item engagement fr mon expérience a servi à améliorer les soins
item engagement fr j'ai aidé à fixer les priorités
item engagement fr on a décidé sans me consulter
scale being_heard en Being heard
stem being_heard en In our partnership meetings over the past year
item being_heard en everyone could speak freely
item being_heard en concerns were taken seriously
item being_heard en people were asked what matters to them
scale being_heard fr Être écouté·e
stem being_heard fr Lors de nos rencontres de partenariat cette année
item being_heard fr chacun·e a pu parler librement
item being_heard fr les préoccupations ont été entendues
item being_heard fr on m'a demandé ce qui compte pour moi
scale shared_language en Shared language
stem shared_language en When we discussed care plans and treatment options
item shared_language en we used words everyone understood
item shared_language en technical terms were explained
item shared_language en we checked we meant the same thing
scale shared_language fr Langage commun
stem shared_language fr Quand nous avons discuté des soins et traitements
item shared_language fr les mots étaient compris de tous
item shared_language fr le jargon a été expliqué
item shared_language fr nous parlions de la même chose
scale information en Access to information
stem information en Regarding the information needed for decisions
item information en results were shared as soon as known
item information en it was explained in a usable way
item information en it reached everyone who needed it
scale information fr Accès à l'information
stem information fr Concernant l'information utile pour décider ensemble
item information fr les résultats ont été vite partagés
item information fr elle était expliquée clairement
item information fr elle est parvenue à qui en avait besoin
scale teamwork en Working as one team
stem teamwork en Thinking about how the whole team worked together
item teamwork en patients were full members of the team
item teamwork en roles were clear to everyone
item teamwork en we planned next steps together
scale teamwork fr Travail en équipe
stem teamwork fr En pensant à la façon dont l'équipe a travaillé
item teamwork fr les patient·es étaient de vrais membres
item teamwork fr les rôles étaient clairs pour tous
item teamwork fr nous avons planifié ensemble
scale trust en Mutual trust
stem trust en Looking back at all our work together this year
item trust en I could rely on others' promises
item trust en disagreements were voiced openly
item trust en people assumed good intentions
scale trust fr Confiance mutuelle
stem trust fr En repensant à notre travail commun cette année
item trust fr je pouvais compter sur les autres
item trust fr les désaccords étaient dits avec respect
item trust fr chacun·e présumait la bonne foi des autres
scale power_sharing en Power sharing
stem power_sharing en When decisions about the service were being made
item power_sharing en patients and staff had an equal say
item power_sharing en the agenda was set together
item power_sharing en control of the budget was shared
scale power_sharing fr Partage du pouvoir
stem power_sharing fr Lorsque des décisions sur le service étaient prises
item power_sharing fr chacun·e avait le même poids
item power_sharing fr l'ordre du jour était fixé ensemble
item power_sharing fr le budget était géré en commun
scale capacity_building en Capacity building
stem capacity_building en To prepare everyone for working in partnership
item capacity_building en training was offered to patients and staff
item capacity_building en newcomers were mentored by partners
item capacity_building en time was protected for learning
scale capacity_building fr Renforcement des capacités
stem capacity_building fr Pour préparer chacun·e au travail en partenariat
item capacity_building fr une formation était offerte à tous
item capacity_building fr les nouveaux étaient accompagnés
item capacity_building fr du temps était réservé pour apprendre
theme foundations en Foundations of partnership
theme foundations fr Fondements du partenariat
theme information_sharing en Information sharing
theme information_sharing fr Partage de l'information
theme levels en Levels of partnership
theme levels fr Niveaux du partenariat
theme coproduction en Coproduction and power
theme coproduction fr Coproduction et pouvoir
theme facilitation en Facilitating partnership
theme facilitation fr Faciliter le partenariat
theme reciprocity en Reciprocal relationship
theme reciprocity fr Relation réciproque
code common_language en Common language
quote common_language en When the doctor stops using jargon, I finally understand what is going on.
quote common_language en We agreed as a team to drop abbreviations when patients are in the room.
code common_language fr Vocabulaire commun
quote common_language fr Quand le médecin arrête le jargon, je comprends enfin ce qui se passe.
quote common_language fr En équipe, nous avons décidé d'abandonner les abréviations devant eux.
code listening_skills en Listening skills
quote listening_skills en She really listened, she did not look at the screen the whole time.
quote listening_skills en I learned to ask what matters to the person before I talk.
code listening_skills fr Capacités d'écoute
quote listening_skills fr Elle m'a vraiment écoutée, sans regarder l'écran tout le temps.
quote listening_skills fr J'ai appris à demander ce qui compte pour la personne avant de parler.
code team_membership en Full team membership
quote team_membership en I feel like part of the team now, not a visitor.
quote team_membership en The patient is a member of the team, with a different expertise.
code team_membership fr Membre à part entière de l'équipe
quote team_membership fr Je me sens membre de l'équipe maintenant, pas visiteur.
quote team_membership fr La patiente fait partie de l'équipe, avec une autre expertise.
code info_what en What should be shared
quote info_what en I want to see my results, all of them, not a summary.
quote info_what en Some results need to be explained in a consultation first.
code info_what fr Ce qui doit être partagé
quote info_what fr Je veux voir tous mes résultats, pas un résumé.
quote info_what fr Certains résultats doivent d'abord être expliqués en consultation.
code info_how en How information is shared
quote info_how en A letter three weeks later is not sharing information.
quote info_how en Information goes through the usual channels.
code info_how fr Comment l'information circule
quote info_how fr Une lettre trois semaines plus tard, ce n'est pas partager l'information.
quote info_how fr L'information passe par les canaux habituels.
code info_whom en With whom information is shared
quote info_whom en My daughter should be able to talk to the team too.
quote info_whom en Sharing with relatives needs consent first.
code info_whom fr Avec qui l'information est partagée
quote info_whom fr Ma fille devrait pouvoir parler à l'équipe, elle aussi.
quote info_whom fr Partager avec les proches demande d'abord un consentement.
code direct_care en Partnership in direct care
quote direct_care en At the bedside it works, they ask me and we decide together.
quote direct_care en In direct care partnership is easy to see.
code direct_care fr Partenariat dans les soins directs
quote direct_care fr Au chevet, ça marche : on me demande et on décide ensemble.
quote direct_care fr Dans les soins directs, le partenariat se voit facilement.
code organisation_level en Partnership in the organisation
quote organisation_level en I was invited to one committee and then never again.
quote organisation_level en At the level of the organisation it is much harder.
code organisation_level fr Partenariat dans l'organisation
quote organisation_level fr J'ai été invitée à un comité, puis plus jamais.
quote organisation_level fr Au niveau de l'organisation, c'est beaucoup plus difficile.
code sharing_control en Sharing control in meetings
quote sharing_control en Real partnership means the doctor gives up a bit of control.
quote sharing_control en We had to learn to let go of control over the agenda.
code sharing_control fr Partager le contrôle en réunion
quote sharing_control fr Un vrai partenariat, c'est quand le médecin lâche un peu de contrôle.
quote sharing_control fr Nous avons dû apprendre à lâcher le contrôle de l'ordre du jour.
code building_capacity en Building capacity on both sides
quote building_capacity en The training helped me speak up in meetings.
quote building_capacity en Staff need training to work with patient partners.
code building_capacity fr Renforcer les capacités des deux côtés
quote building_capacity fr La formation m'a aidée à prendre la parole en réunion.
quote building_capacity fr Le personnel a besoin de formation pour travailler avec nous.
code patient_network en Network of patient representatives
quote patient_network en Building a network of patient representatives took a year.
quote patient_network en The network lets us find the right patient for each project.
code patient_network fr Réseau de représentants des patients
quote patient_network fr Bâtir un réseau de représentants a pris un an.
quote patient_network fr Le réseau nous permet de trouver la bonne personne pour chaque projet.
code engaging_professionals en Engaging professionals
quote engaging_professionals en Some colleagues still see patient involvement as extra work.
quote engaging_professionals en Once the nurses saw the results, they came on board.
code engaging_professionals fr Mobiliser les professionnels
quote engaging_professionals fr Certains collègues y voient encore un surcroît de travail.
quote engaging_professionals fr Quand les infirmières ont vu les résultats, elles ont suivi.
code management_support en Management support
quote management_support en Winning management support was the hardest part.
quote management_support en Managers need to protect time for partnership work.
code management_support fr Soutien de la direction
quote management_support fr Obtenir le soutien de la direction a été le plus difficile.
quote management_support fr Les gestionnaires doivent protéger du temps pour le partenariat.
code critical_friend en Critical friend
quote critical_friend en Sometimes I have to be the critical friend and say it does not work.
quote critical_friend en A critical friend tells us what we do not want to hear.
code critical_friend fr Ami critique
quote critical_friend fr Parfois je dois être l'ami critique et dire que ça ne marche pas.
quote critical_friend fr Un ami critique nous dit ce que nous ne voulons pas entendre.
code supportive_ally en Supportive ally
quote supportive_ally en We are on the same side, I want the service to succeed.
quote supportive_ally en Patient partners backed our case to the board.
code supportive_ally fr Allié bienveillant
quote supportive_ally fr Nous sommes du même côté, je veux que le service réussisse.
quote supportive_ally fr Les patients partenaires ont soutenu notre dossier devant la direction.
"""


def _vocabulary(text: str) -> dict[str, dict[tuple[str, str], list[str]]]:
    """``{kind: {(key, language): [texts in order]}}`` from the table above."""
    out: dict[str, dict[tuple[str, str], list[str]]] = {}
    for line in text.strip().splitlines():
        kind, key, lang, words = line.split(" ", 3)
        out.setdefault(kind, {}).setdefault((key, lang), []).append(words)
    return out


_VOCAB = _vocabulary(_TEXT)
_SITE_CODES = tuple(dict.fromkeys(k for k, _ in _VOCAB["site"]))
_SITE_HEADING = {"en": "Site", "fr": "Établissement"}
#: Experience scales (name -> item prefix); ``engagement`` is the dependent scale.
_SCALE_PREFIX = {
    "being_heard": "hea",
    "shared_language": "lan",
    "information": "inf",
    "teamwork": "tea",
    "trust": "tru",
    "power_sharing": "pow",
    "capacity_building": "cap",
}
_SCALE_ORDER = tuple(_SCALE_PREFIX)
#: Themes and their codes, in codebook order.
_THEMES: dict[str, tuple[str, ...]] = {
    "foundations": ("common_language", "listening_skills", "team_membership"),
    "information_sharing": ("info_what", "info_how", "info_whom"),
    "levels": ("direct_care", "organisation_level"),
    "coproduction": ("sharing_control", "building_capacity"),
    "facilitation": ("patient_network", "engaging_professionals", "management_support"),
    "reciprocity": ("critical_friend", "supportive_ally"),
}
#: Share of the qualitative participants of each role (by position) who raise each code:
#: information sharing is a planted divergence between the first two roles.
_PREVALENCE: dict[str, tuple[float, float, float]] = {
    "common_language": (0.30, 0.30, 0.25),
    "listening_skills": (0.30, 0.25, 0.30),
    "team_membership": (0.20, 0.30, 0.15),
    "info_what": (0.50, 0.10, 0.40),
    "info_how": (0.35, 0.10, 0.30),
    "info_whom": (0.25, 0.10, 0.45),
    "direct_care": (0.30, 0.35, 0.20),
    "organisation_level": (0.10, 0.25, 0.10),
    "sharing_control": (0.15, 0.20, 0.10),
    "building_capacity": (0.10, 0.20, 0.10),
    "patient_network": (0.60, 0.30, 0.30),
    "engaging_professionals": (0.70, 0.30, 0.30),
    "management_support": (0.50, 0.40, 0.20),
    "critical_friend": (0.30, 0.20, 0.20),
    "supportive_ally": (0.25, 0.30, 0.20),
}
#: Theme sets a shape may use.
CODE_SETS: dict[str, tuple[str, ...]] = {
    "partnership": ("foundations", "information_sharing", "levels", "coproduction"),
    "facilitation": ("facilitation", "levels"),
    "reciprocity": ("reciprocity", "foundations", "information_sharing"),
}

# Response labels by number of points (2 points: 0/1; 10 points: the end points only).
_AGREE = {
    "en": ("Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree"),
    "fr": (
        "Pas du tout d'accord",
        "Pas d'accord",
        "Plutôt pas d'accord",
        "Ni d'accord ni pas d'accord",
    ),
}
_AGREE_UP = {
    "en": ("Somewhat agree", "Agree", "Strongly agree"),
    "fr": ("Plutôt d'accord", "D'accord", "Tout à fait d'accord"),
}


def _agree(points: int, lang: str) -> dict[int, str]:
    down, up = _AGREE[lang], _AGREE_UP[lang]
    texts: tuple[str, ...]
    if points == 4:
        texts = (down[0], down[2], up[0], up[2])
    elif points == 5:
        texts = (down[0], down[2], down[3], up[0], up[2])
    else:
        texts = (*down, *up)
    return dict(enumerate(texts, 1))


_RESPONSES: dict[int, dict[str, dict[int, str]]] = {
    2: {"en": {0: "No", 1: "Yes"}, "fr": {0: "Non", 1: "Oui"}},
    **{p: {lang: _agree(p, lang) for lang in ("en", "fr")} for p in (4, 5, 7)},
    10: {"en": {1: "Not at all", 10: "Completely"}, "fr": {1: "Pas du tout", 10: "Tout à fait"}},
}
POINTS = tuple(sorted(_RESPONSES))
_SCALE_MISSING = 99  # a declared "no answer" code (never a response of 2-10 point scales)

_ENGAGEMENT_LEVELS = {
    "en": ("information", "consultation", "collaboration", "partnership"),
    "fr": ("information", "consultation", "collaboration", "partenariat"),
}
_WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Simulated partnership study",
        "gender": "Gender",
        "genders": ("woman", "man", "another gender"),
        "age": "Age (years)",
        "engagement_level": "Level of engagement",
        "system_level": "Level of the health system",
        "system_levels": ("direct care", "organisation", "policy"),
    },
    "fr": {
        "title": "Étude de partenariat simulée",
        "gender": "Genre",
        "genders": ("femme", "homme", "autre genre"),
        "age": "Âge (années)",
        "engagement_level": "Niveau d'engagement",
        "system_level": "Niveau du système de santé",
        "system_levels": ("soins directs", "organisation", "politiques"),
    },
}
_OPENERS = {
    "en": ("", "Honestly, ", "For me, ", "I think "),
    "fr": ("", "Honnêtement, ", "Pour moi, ", "À mon avis, "),
}
_STRANDS = ("both", "survey", "qualitative")
_ENGAGEMENTS = ("continuous", "ordinal", "none")

_ITEM_MISSING = 0.04
_CODED_MISSING = 0.01
_SURVEY_RESPONSE = 0.9
_QUAL_SHARE = 0.5  # of participants interviewed when a study has both strands
_RECODED = 0.4
_CODER_ERROR = 0.10
_LEVEL_CUTS = (-0.8, 0.0, 0.8)


# ------------------------------------------------------------------------------- shape
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

    def __post_init__(self) -> None:
        problems = []
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


# --------------------------------------------------------------------------- simulation
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


def _quote_yaml(text: str) -> str:
    """A YAML scalar for a label: always double-quoted (JSON strings are YAML)."""
    return json.dumps(str(text), ensure_ascii=False)


def _flow_labels(labels: dict[Any, str]) -> str:
    return "{" + ", ".join(f"{k}: {_quote_yaml(v)}" for k, v in labels.items()) + "}"


def _scale_specs(shape: Shape) -> list[dict[str, Any]]:
    """Name, label, items, item labels and reverse items of every scale, in codebook order."""
    lang = shape.language
    specs = []
    names = ["engagement"] if shape.engagement == "continuous" else []
    for name in [*names, *shape.experience_scales]:
        prefix = _SCALE_PREFIX.get(name, "eng")
        stem = _VOCAB["stem"][name, lang][0]
        endings = _VOCAB["item"][name, lang]
        items = [f"{prefix}_{j + 1}" for j in range(len(endings))]
        reverse = [items[-1]] if name == "engagement" else []
        specs.append(
            {
                "name": name,
                "label": _VOCAB["scale"][name, lang][0],
                "items": items,
                "item_labels": {i: f"{stem}, {e}" for i, e in zip(items, endings, strict=True)},
                "reverse": reverse,
            }
        )
    return specs


def _codebook_text(shape: Shape, study: str) -> str:
    lang = shape.language
    words = _WORDS[lang]
    title = shape.title or words["title"]
    out = [
        f"# Codebook of a simulated study (partner_study.designs, seed {shape.seed}).",
        f"study: {study}",
        f"title: {_quote_yaml(title)}",
        "id: participant_id",
        "role:",
        "  column: role",
        "  levels:",
    ]
    for name, label, plural in shape.roles:
        out.append(f"    {name}: {{label: {_quote_yaml(label)}, plural: {_quote_yaml(plural)}}}")
    out += ["site:", "  column: site", f"  label: {_quote_yaml(_SITE_HEADING[lang])}", "  levels:"]
    for code, label in shape.site_list:
        out.append(f"    {code}: {_quote_yaml(label)}")
    gender_label, gender_levels = words["gender"], words["genders"]
    out += [
        "variables:",
        f"  gender: {{type: category, levels: {_flow_labels(dict(enumerate(gender_levels, 1)))}, "
        f"missing: [9], label: {_quote_yaml(gender_label)}}}",
    ]
    if not shape.categorical_only:
        out.append(
            "  age: {type: integer, min: 18, max: 100, missing: [999], "
            f"label: {_quote_yaml(words['age'])}}}"
        )
    if shape.system_level:
        sys_label, sys_levels = words["system_level"], words["system_levels"]
        out.append(
            f"  system_level: {{type: category, levels: "
            f"{_flow_labels(dict(enumerate(sys_levels, 1)))}, label: {_quote_yaml(sys_label)}}}"
        )
    if shape.engagement == "ordinal":
        levels = dict(enumerate(_ENGAGEMENT_LEVELS[lang], 1))
        out += [
            "engagement_level:",
            "  column: eng_level",
            f"  levels: {_flow_labels(levels)}",
            "  missing: [9]",
            f"  label: {_quote_yaml(words['engagement_level'])}",
        ]
    if shape.has_survey:
        low, high = (0, 1) if shape.points == 2 else (1, shape.points)
        labels = _RESPONSES[shape.points][lang]
        out.append("scales:")
        for spec in _scale_specs(shape):
            k = len(spec["items"])
            out += [
                f"  {spec['name']}:",
                f"    label: {_quote_yaml(spec['label'])}",
                f"    items: [{', '.join(spec['items'])}]",
            ]
            if spec["reverse"]:
                out.append(f"    reverse: [{', '.join(spec['reverse'])}]")
            out += [
                f"    range: [{low}, {high}]",
                f"    min_items: {max(1, k - 1)}",
                f"    missing: [{_SCALE_MISSING}]",
                f"    labels: {_flow_labels(labels)}",
                "    item_labels:",
            ]
            out += [f"      {i}: {_quote_yaml(t)}" for i, t in spec["item_labels"].items()]
    if shape.has_qualitative:
        out.append("themes:")
        for theme in CODE_SETS[shape.code_set]:
            out.append(f"  {theme}: {{label: {_quote_yaml(_VOCAB['theme'][theme, lang][0])}}}")
        out.append("codes:")
        for theme in CODE_SETS[shape.code_set]:
            for code in _THEMES[theme]:
                label = _quote_yaml(_VOCAB["code"][code, lang][0])
                out.append(f"  {code}: {{theme: {theme}, label: {label}}}")
    return "\n".join(out) + "\n"


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


def params_text(shape: Shape, study: str) -> str:
    """The minimal ``params/<study>.yaml`` of a study of ``shape``.

    Only what the codebook cannot say: the seed; for a study with a dependent (a survey
    with an engagement scale or an engagement level), the covariates (gender, age when
    numeric, role when there are several, the system level when declared) and, for an
    engagement scale without an ordinal level, ``ordinal_dependent: null``. Everything else
    (dependent, outcomes, groups, models, thresholds) is left to the package's defaults
    and the codebook.
    """
    study = check_study_name(study, where="params_text: study")
    lines = [
        f"# Parameters of a simulated study of shape {shape.slug} (partner_study.designs).",
        f"study: {study}",
        f"data: data/raw/{study}",
        f"seed: {shape.seed}",
    ]
    if shape.has_survey and shape.engagement != "none":
        covariates = ["gender"]
        if not shape.categorical_only:
            covariates.append("age")
        if shape.system_level:
            covariates.append("system_level")
        if len(shape.roles) > 1:
            covariates.append("role")
        lines += ["regression:", f"  covariates: [{', '.join(covariates)}]"]
        if shape.engagement == "continuous":
            lines.append("  ordinal_dependent: null   # no engagement level in this codebook")
    # SVG only: the report embeds it, and a small test study needs no print formats
    lines += ["figures:", "  formats: [svg]"]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------- designs
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


def _main(argv: list[str] | None = None) -> int:
    """``python -m partner_study.designs FOLDER``: write :data:`DESIGNS` into FOLDER."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path("tests/data/designs")
    for path in write_designs(folder):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
