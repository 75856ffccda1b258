"""The example's vocabulary: seed sites, code prevalences by role, quotes and names.

Layer 3 (pure constants). The generator follows the studies the example is grounded in:
Belgian hospitals (Interreg: patients in focus groups, professionals interviewed; common
language, listening and teamwork shared, information sharing divergent), Quebec
establishments (partnership model: experiential knowledge, engagement continuum
information -> partnership), Norwegian municipalities (internal facilitators, patient
networks, management support) and a Sussex MSK partnership (critical friend, supportive
ally).
"""

from __future__ import annotations

__all__ = ["SITES", "PREVALENCE"]

#: (site, country, kind) of the four seed studies; further sites cycle through them.
SITES: tuple[tuple[str, str, str], ...] = (
    ("be_hospital", "BE", "Belgian hospital (Interreg)"),
    ("qc_establishment", "QC", "Quebec health and social services establishment"),
    ("no_municipality", "NO", "Norwegian municipality"),
    ("uk_sussex_msk", "UK", "Sussex MSK partnership"),
)

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
