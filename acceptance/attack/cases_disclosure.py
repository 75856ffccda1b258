"""Group ``disclosure``: identifiers planted in segment texts (and a roster of names) must
appear in no file under reports/<study>/ and in no string of data/processed/<study>/*.parquet.

One full pipeline run for the whole batch; each identifier is one case. The parameters of
the copy ask for many long quotes, so that anything the gate misses has every chance to be
published.
"""

from __future__ import annotations

import random
import re

from fixtures import col, read_rows, write_rows
from harness import (
    STUDY,
    Ctx,
    Outcome,
    World,
    cli_case,
    diff_states,
    flexible,
    folded,
    outside_project,
    parquet_texts,
    register,
    run_cli,
    short_path,
    stray_writes,
    sub_state,
    success_problems,
    texts_of_tree,
    tree_state,
)

G = "disclosure"
PLANTED_ID = "BE-0002"
PER_IDENTIFIER = 6  # segments each identifier is planted in
DOCUMENT = "interview_sofie_claes.docx"
ROSTER_EXTRA = ["Hélène Lefèvre", "Siobhan O'Brien"]

# (case, sentence planted, what must not be found: a string (searched whitespace- and
# accent-insensitively) or a compiled pattern (searched in folded text))
IDENTIFIERS: list[tuple[str, str, str | re.Pattern]] = [
    (
        "date-ordinal-month-name",
        "I was born on the 17th of March 1965, you know.",
        "17th of March 1965",
    ),
    ("date-dd-mon-yyyy", "My surgery was on 18-Mar-1966 in the old wing.", "18-Mar-1966"),
    ("date-dutch-month", "Ik ben geboren op 12 maart 1958 in Gent.", "12 maart 1958"),
    ("date-norwegian-month", "Jeg er født 4. mai 1962 i Bergen.", "4. mai 1962"),
    ("date-french-month", "Je suis née le 7 juillet 1949 à Liège.", "7 juillet 1949"),
    ("date-numeric", "Admission date 03/04/1971 on the form.", "03/04/1971"),
    ("date-iso", "Discharged 1958-04-12 after two weeks.", "1958-04-12"),
    ("be-national-number", "My national number is 850730-033-62 if you need it.", "850730-033-62"),
    ("alnum-record-number", "The file reference was dubm56121235 at the clinic.", "dubm56121235"),
    ("no-birth-number", "Fødselsnummer 010190 12345 står på kortet.", "010190 12345"),
    ("quebec-ramq", "Ma carte RAMQ TREM 4512 1534 est expirée.", "TREM 4512 1534"),
    ("uk-ni-number", "My NI number is QQ 12 34 56 C, they said.", "QQ 12 34 56 C"),
    ("ca-sin", "My SIN is 046 454 286 on the letter.", "046 454 286"),
    (
        "fr-nir",
        "Mon numéro de sécu 1 85 05 78 006 084 36 est sur la carte.",
        "1 85 05 78 006 084 36",
    ),
    ("nhs-number", "NHS number 943 476 5919 on the wristband.", "943 476 5919"),
    (
        "nhs-number-line-break",
        "My NHS number is 943\n476 5921, the nurse wrote it.",
        "943\n476 5921",
    ),
    ("uk-postcode", "I live near BN1 9PH in Brighton.", "BN1 9PH"),
    ("ca-postcode", "Our clinic is at H3T 1C5 in Montreal.", "H3T 1C5"),
    ("roster-name-unaccented", "Helene Lefevre told me about it first.", "Helene Lefevre"),
    (
        "roster-name-curly-apostrophe",
        "Mrs O\u2019Brien from the ward helped me.",
        re.compile(r"o'brien"),
    ),
    ("roster-name-plain", "Koen Janssens came to every meeting.", "Koen Janssens"),
    ("roster-name-uppercase", "PIERRE WOUTERS SAID NO.", "Pierre Wouters"),
    (
        "linkedin-profile",
        "See my profile linkedin.com/in/jane-doe for more.",
        "linkedin.com/in/jane-doe",
    ),
    (
        "facebook-url",
        "It is on https://www.facebook.com/jane.doe.1975 somewhere.",
        "facebook.com/jane.doe.1975",
    ),
    (
        "email-spelled-out",
        "Write to jane dot doe at gmail dot com please.",
        "jane dot doe at gmail dot com",
    ),
    ("email-bracket-at", "Or mail jane[at]gmail.com instead.", "jane[at]gmail.com"),
    ("email-line-break", "Mail john.doe@\nexample.org for the minutes.", "john.doe@\nexample.org"),
    (
        "email-plain",
        "My address is marie.dupont@chu-liege.be for that.",
        "marie.dupont@chu-liege.be",
    ),
    (
        "email-plus-tag",
        "Use k.janssens+study@uzleuven.be for the study.",
        "k.janssens+study@uzleuven.be",
    ),
    ("phone-be-line-break", "Call me on +32 470\n12 34 57 anytime.", "+32 470\n12 34 57"),
    ("phone-fr", "Mon portable: 06 12 34 56 78.", "06 12 34 56 78"),
    ("phone-fr-intl", "Depuis la Belgique: +33 6 11 22 33 44.", "+33 6 11 22 33 44"),
    ("phone-nl", "Bel me op 06-12345678 na vijf uur.", "06-12345678"),
    ("phone-nl-intl", "Of op +31 6 1234 5678.", "+31 6 1234 5678"),
    ("phone-de", "Meine Nummer ist 0151 23456789.", "0151 23456789"),
    ("phone-de-intl", "Büro: +49 30 1234567.", "+49 30 1234567"),
    ("phone-no", "Ring meg på +47 912 34 567.", "+47 912 34 567"),
    ("phone-no-local", "Eller 948 12 345 etter jobb.", "948 12 345"),
    ("phone-uk-mobile", "Text me on 07700 900123.", "07700 900123"),
    ("phone-uk-intl", "Office +44 20 7946 0958.", "+44 20 7946 0958"),
    ("participant-id-in-text", "BE-0002 said exactly the same thing.", re.compile(r"\bbe-0002\b")),
]
OTHER = [
    "document-name-with-person",
    "raw-participant-ids-in-reports",
    "roster-names-in-reports",
    "roster-names-in-parquet",
    "nothing-outside-project",
]
SUBNAMES = ["run-completes", *[c for c, _, _ in IDENTIFIERS], *OTHER]


def plant(w: World) -> dict:
    """Plant every identifier in the copy's segments, add roster names, ask for quotes."""
    params = w.params_doc()
    params.setdefault("qualitative", {}).update({"quotes_per_theme": 50, "quote_max_chars": 10_000})
    w.write_params(params)

    parts = read_rows(w.raw / "participants.csv")
    roster = read_rows(w.raw / "roster.csv")
    in_roster = {r[0] for r in roster[1:] if r}
    survey_only = [
        r[0]
        for r in parts[1:]
        if r and r[col(parts, "collection")] == "survey" and r[0] not in in_roster
    ]
    for pid, name in zip(survey_only, ROSTER_EXTRA, strict=False):
        roster.append([pid, name])
    write_rows(w.raw / "roster.csv", roster)

    seg = read_rows(w.raw / "segments.csv")
    sid_c, text_c, pid_c, doc_c = (
        col(seg, c) for c in ("segment_id", "text", "participant_id", "document")
    )
    ids = sorted({r[sid_c] for r in seg[1:] if r})
    rnd = random.Random(20240229)
    rnd.shuffle(ids)
    plan: dict[str, list[str]] = {}
    cursor = 0
    for case, sentence, _ in IDENTIFIERS:
        chosen = ids[cursor : cursor + PER_IDENTIFIER]
        cursor += PER_IDENTIFIER
        plan[case] = chosen
        for r in seg[1:]:
            if r and r[sid_c] in chosen:
                r[text_c] = f"{sentence} {r[text_c]}"
    # a document named after a person, for one interviewed participant
    interviewed = {r[0] for r in parts[1:] if r and r[col(parts, "collection")] == "interview"}
    target = next(r[pid_c] for r in seg[1:] if r and r[pid_c] in interviewed)
    for r in seg[1:]:
        if r and r[pid_c] == target:
            r[doc_c] = DOCUMENT
    write_rows(w.raw / "segments.csv", seg)
    all_ids = [r[0] for r in parts[1:] if r]
    names = sorted({r[1] for r in roster[1:] if r and len(r) > 1})
    return {"plan": plan, "ids": all_ids, "names": names}


def _fold_corpus(corpus):
    return [(src, folded(text)) for src, text in corpus]


def _hits(pattern: re.Pattern, corpus) -> list[str]:
    return [src for src, text in corpus if pattern.search(text)]


def _describe(hits: list[str], w: World) -> str:
    shown = ", ".join(short_path(h, w) for h in hits[:3])
    return f"found in {len(hits)} place(s): {shown}" + (" ..." if len(hits) > 3 else "")


@register(G, "batch", subnames=SUBNAMES, heavy=True)
def disclosure_batch(ctx: Ctx) -> list[Outcome]:
    w = ctx.world()
    info = plant(w)
    before = tree_state(w.root)
    p = run_cli(w, ["run", f"params/{STUDY}.yaml"], timeout=400)
    after = tree_state(w.root)
    out: list[Outcome] = []
    probs = success_problems(p)
    raw_diff = diff_states(
        sub_state(before, "project/data/raw"), sub_state(after, "project/data/raw")
    )
    if raw_diff:
        probs.append(f"data/raw changed ({raw_diff})")
    out.append(
        Outcome(
            "run-completes", not probs, "; ".join(probs) or f"exit 0 in {p.seconds:.0f}s", p.seconds
        )
    )
    if p.rc != 0:
        why = f"run failed (exit {p.rc}: {p.first_err_line(100)!r}); nothing to check"
        out += [Outcome(n, False, why) for n in SUBNAMES[1:]]
        return out

    reports = _fold_corpus(texts_of_tree(w.reports))
    parquet_all = _fold_corpus(parquet_texts(w.processed))
    parquet_no_key = _fold_corpus(parquet_texts(w.processed, skip_columns=("participant_id",)))
    n_files = len({s.split(":")[0].split("(")[0] for s, _ in reports})

    planted = folded((w.raw / "segments.csv").read_text(encoding="utf-8"))
    for case, sentence, needle in IDENTIFIERS:
        pattern = needle if isinstance(needle, re.Pattern) else flexible(needle)
        if not pattern.search(folded(sentence)) or not pattern.search(planted):
            out.append(Outcome(case, False, "harness: the pattern does not find the planted text"))
            continue
        pq = parquet_no_key if case == "participant-id-in-text" else parquet_all
        hits = _hits(pattern, reports) + _hits(pattern, pq)
        out.append(
            Outcome(
                case,
                not hits,
                _describe(hits, w)
                if hits
                else f"absent from {n_files} report files and the parquet strings "
                f"(planted in {len(info['plan'][case])} segments)",
            )
        )

    doc = re.compile(r"sofie[\s_.-]*claes")
    hits = _hits(doc, reports) + _hits(doc, parquet_all)
    out.append(
        Outcome(
            "document-name-with-person",
            not hits,
            _describe(hits, w) if hits else f"'{DOCUMENT}' absent",
        )
    )

    # ids the pipeline itself may leak (the one planted in texts is the case above)
    own = [i for i in info["ids"] if i != PLANTED_ID]
    id_pattern = re.compile(r"\b(?:" + "|".join(re.escape(i.lower()) for i in own) + r")\b")
    hits = _hits(id_pattern, reports)
    detail = _describe(hits, w)
    if hits:
        src = hits[0]
        text = next(t for s, t in reports if s == src)
        m = id_pattern.search(text)
        detail += f" (e.g. '{m.group(0)}')"
    out.append(
        Outcome(
            "raw-participant-ids-in-reports",
            not hits,
            detail if hits else f"none of {len(own)} ids in reports/",
        )
    )

    names = [n for n in info["names"] if len(n) >= 5]
    name_pattern = re.compile("|".join(flexible(n).pattern for n in names))
    for label, corpus in (
        ("roster-names-in-reports", reports),
        ("roster-names-in-parquet", parquet_all),
    ):
        hits = _hits(name_pattern, corpus)
        detail = _describe(hits, w)
        if hits:
            text = next(t for s, t in corpus if s == hits[0])
            detail += f" (e.g. '{name_pattern.search(text).group(0)}')"
        out.append(
            Outcome(label, not hits, detail if hits else f"none of {len(names)} roster names")
        )

    d = diff_states(outside_project(before), outside_project(after))
    stray = stray_writes(before, after)
    if stray:
        d = (
            d + "; " if d else ""
        ) + f"written in the project outside its study's output folders: {stray[:3]}"
    out.append(
        Outcome(
            "nothing-outside-project", not d, d or "victim and inputs unchanged, outputs confined"
        )
    )
    return out


# --------------------------------------------------- the gate against hostile texts
# Texts built to make identifier patterns backtrack, and rosters of hostile names: the
# preparation stage must finish in bounded time (or refuse with the standard message).

PREPARE = ["run", f"params/{STUDY}.yaml", "--only", "01-prepare"]


def _texts(text: str, n: int = 5):
    def setup(w: World) -> None:
        seg = read_rows(w.raw / "segments.csv")
        sid_c, text_c = col(seg, "segment_id"), col(seg, "text")
        ids = sorted({r[sid_c] for r in seg[1:] if r})[:n]
        for r in seg[1:]:
            if r and r[sid_c] in ids:
                r[text_c] = text
        write_rows(w.raw / "segments.csv", seg)

    return setup


REDOS = {
    "redos-digits-and-spaces": "1 " * 50_000,
    "redos-digit-groups": ("12 34 " * 20_000) + "x",
    "redos-at-signs": "a@" * 50_000,
    "redos-dots-and-letters": "a." * 50_000 + "@",
    "redos-dashes-and-digits": "1-" * 50_000,
    "redos-plus-digits": "+3 " * 40_000,
    "redos-long-word": "x" * 200_000,
    "redos-combining-marks": "e" + "\u0301" * 200_000,
    "redos-url-like": "http://" + "a." * 50_000,
    "redos-name-like-capitals": "Jan " * 50_000,
}
for _name, _text in REDOS.items():
    cli_case(
        G,
        _name,
        args=PREPARE,
        setup=_texts(_text),
        expect="error_or_ok",
        mentions=["segments.csv"],
        time_limit=60,
        timeout=180,
        confine=True,
        heavy=True,
    )


def _roster(names: list[str]):
    def setup(w: World) -> None:
        roster = read_rows(w.raw / "roster.csv")
        pids = [r[0] for r in roster[1:] if r]
        for i, name in enumerate(names):
            roster.append([pids[i % len(pids)], name])
        write_rows(w.raw / "roster.csv", roster)

    return setup


cli_case(
    G,
    "roster-regex-metacharacters",
    args=PREPARE,
    setup=_roster(["(a+)+$", "[", "\\", ".*", "Jan (Senior) Peeters", "a|b"]),
    expect="error_or_ok",
    mentions=["roster.csv"],
    time_limit=60,
    timeout=180,
    confine=True,
    heavy=True,
)
cli_case(
    G,
    "roster-20000-names",
    args=PREPARE,
    setup=_roster([f"Name{i:05d} Surname{i:05d}" for i in range(20_000)]),
    expect="error_or_ok",
    mentions=["roster.csv"],
    time_limit=120,  # a study of 100,000 participants has a roster this long or longer
    timeout=300,
    confine=True,
    heavy=True,
)
cli_case(
    G,
    "roster-name-100k-chars",
    args=PREPARE,
    setup=_roster(["N" * 100_000]),
    expect="error_or_ok",
    mentions=["roster.csv"],
    time_limit=60,
    timeout=180,
    confine=True,
    heavy=True,
)
