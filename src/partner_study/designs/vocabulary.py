"""The roles, sites, scales, codes and response labels simulated studies are made of, in
English and French: every text a simulated study shows comes from here."""

from __future__ import annotations

from typing import Any

__all__ = ["CODE_SETS", "POINTS", "RoleSpec"]

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
_ROLE_HEADING = {"en": "Role", "fr": "Rôle"}
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
