"""Convert the NHS Friends & Family Test comments (CC BY-NC-SA 4.0) into a scratch project.

Source (read at run time, never copied into the repository):
``../shared/realdata/nhs-fft-pxtextmining/datasets__v6framework_230831.csv`` from
The-Strategy-Unit/pxtextmining (commit ba6c0a2f); the Care Opinion data are CC BY-NC-SA 4.0.
One row per comment: Comment ID, Trust, Respondent ID, Date, Service type 1/2, FFT categorical
answer (1 = very good ... 5 = very poor; 6 and 7 occur but are not documented), FFT question,
FFT answer (the comment), Comment sentiment (labeller: 1 = very positive ... 5 = very
negative), then one 0/1 column per code of the QDC framework v6. See docs/studies/nhs-fft.md
for every mapping decision.

Usage::

    .venv/bin/python acceptance/realdata/nhs_fft.py [--out /tmp/partner-study-realdata/nhs_fft]
                                                    [--rating-only]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parse_args, prepare_root, write_params, write_study  # noqa: E402

from partner_study.io import RawStudy  # noqa: E402

STUDY = "nhs_fft"
FOLDER = "nhs-fft-pxtextmining"
DATA = "datasets__v6framework_230831.csv"
META = [
    "Comment ID",
    "Trust",
    "Respondent ID",
    "Date",
    "Service type 1",
    "Service type 2",
    "FFT categorical answer",
    "FFT question",
    "FFT answer",
    "Person identifiable info?",
    "Comment sentiment",
]
NO_ANSWER = {"", "did not answer"}

#: Themes (major categories) of the QDC framework v6, from pxtextmining 0.5.4
#: ``pxtextmining/params.py`` (``major_cat_dict``, "v6"). The last entries are columns of the
#: v6 file that the dictionary does not list; their theme is OUR assignment (see the doc).
THEMES: dict[str, tuple[str, list[str]]] = {
    "general": (
        "General",
        [
            "Labelling not possible",
            "Positive experience & gratitude",
            "Negative experience & dissatisfaction",
            "Not assigned",
            "Organisation & efficiency",
            "Funding & use of financial resources",
            "Learning organisation",
        ],
    ),
    "staff": (
        "Staff",
        [
            "Staff manner & personal attributes",
            "Number & deployment of staff",
            "Staff responsiveness",
            "Staff continuity",
            "Competence & training",
        ],
    ),
    "communication_involvement": (
        "Communication & involvement",
        [
            "Unspecified communication",
            "Staff listening, understanding & involving patients",
            "Information directly from staff during care",
            "Information provision & guidance",
            "Being kept informed, clarity & consistency of information",
            "Interaction with family/ carers",
        ],
    ),
    "access_to_care": (
        "Access to medical care & support",
        [
            "Contacting services",
            "Appointment arrangements",
            "Appointment method",
            "Timeliness of care",
            "Psychological therapy arrangements",
            "Existence of services",
            "Choice of services",
            "Out of hours support (community services)",
        ],
    ),
    "medication": ("Medication", ["Supplying & understanding medication", "Pain management"]),
    "patient_journey": (
        "Patient journey & service coordination",
        [
            "Diagnosis & triage",
            "Referals & continuity of care",
            "Admission",
            "Discharge",
            "Care plans",
            "Patient records",
            "Impact of treatment/ care",
        ],
    ),
    "food_diet": ("Food & diet", ["Food & drink provision & facilities"]),
    "category_tbc": (
        "Category TBC (framework v6)",
        ["Feeling safe", "Patient appearance & grooming", "Equality, Diversity & Inclusion"],
    ),
    "activities": ("Activities", ["Activities & access to fresh air", "Electronic entertainment"]),
    "environment_equipment": (
        "Environment & equipment",
        [
            "Cleanliness, tidiness & infection control",
            "Sensory experience",
            "Environment & Facilities",
            "Provision of medical equipment",
        ],
    ),
    "mental_health_specifics": ("Mental Health specifics", ["Mental Health Act"]),
    "service_location_transport": (
        "Service location, travel & transport",
        ["Service location", "Transport to/ from services", "Parking"],
    ),
    "safeguarding": ("Safeguarding flag", ["Safeguarding concerns?"]),
}
#: Columns of the v6 file whose theme is not in pxtextmining's dictionary (our assignment).
OUR_THEMES = (
    "Learning organisation",
    "Psychological therapy arrangements",
    "Existence of services",
    "Choice of services",
    "Out of hours support (community services)",
    "Safeguarding concerns?",
)

#: The FFT question of each comment -> the sentiment item it feeds (question kinds as in
#: pxtextmining: what_good, could_improve, nonspecific; the 111 question kept apart).
QUESTION_ITEMS = {
    "FFT Why?": "sent_why",
    "How could we improve?": "sent_improve",
    "What could we do better?": "sent_improve",
    "What was good?": "sent_good",
    "Please describe any things about the 111 service that you were particularly satisfied "
    "and/or dissatisfied with": "sent_111",
}
SENTIMENT_ITEMS = {
    "sent_why": "Sentiment of the answer to 'FFT Why?' (NEAS)",
    "sent_improve": "Sentiment of the answer to 'How could we improve?' / 'What could we do "
    "better?'",
    "sent_good": "Sentiment of the answer to 'What was good?' (NHFT)",
    "sent_111": "Sentiment of the answer to the 111 question (NEAS 111)",
}


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _snake(label: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", label.lower().replace("&", "and")).strip("_")


def _clean(values: pd.Series) -> pd.Series:
    """Categorical text: non-breaking spaces to spaces, runs of white space to one, trimmed."""
    return (
        values.str.replace("\u00a0", " ", regex=False)
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
    )


def parse_dates(values: pd.Series) -> tuple[pd.Series, dict[str, int]]:
    """DD/MM/YYYY as documented; rows impossible as day-first (month > 12) are month-first.

    Returns the dates and counts of each reading (ambiguous rows, both parts <= 12, are read
    day-first as documented).
    """
    parts = values.str.extract(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$").astype(float)
    day_first = pd.to_datetime(
        {"year": parts[2], "month": parts[1], "day": parts[0]}, errors="coerce"
    )
    month_first = pd.to_datetime(
        {"year": parts[2], "month": parts[0], "day": parts[1]}, errors="coerce"
    )
    dates = day_first.fillna(month_first)
    counts = {
        "day_first": int(day_first.notna().sum()),
        "month_first_only": int((day_first.isna() & month_first.notna()).sum()),
        "ambiguous_read_day_first": int(
            (day_first.notna() & month_first.notna() & (parts[0] != parts[1])).sum()
        ),
        "unreadable": int(dates.isna().sum()),
    }
    return dates, counts


def _one_per_respondent(frame: pd.DataFrame, column: str) -> tuple[pd.Series, int]:
    """The respondent's value of ``column`` (first non-empty) and how many respondents disagree."""
    values = frame[column].where(frame[column].ne(""))
    conflicts = int((values.groupby(frame["Respondent ID"]).nunique() > 1).sum())
    return values.groupby(frame["Respondent ID"], sort=False).first(), conflicts


def convert(frame: pd.DataFrame, *, rating_only: bool = False) -> tuple[RawStudy, list[str]]:
    notes: list[str] = []
    missing = [c for c in META if c not in frame.columns]
    if missing:
        sys.exit(f"error: {DATA}: found no column(s) {missing}, expected the v6 framework file.")
    codes = [c for c in frame.columns if c not in META]
    themed = {label: theme for theme, (_, labels) in THEMES.items() for label in labels}
    unthemed = [c for c in codes if c not in themed]
    if unthemed:
        sys.exit(
            f"error: {DATA}: code column(s) {unthemed} have no theme in THEMES. Fix: add "
            "them to THEMES in acceptance/realdata/nhs_fft.py."
        )
    values = pd.unique(frame[codes].to_numpy().ravel())
    if not set(values) <= {"", "0", "1"}:
        sys.exit(f"error: {DATA}: code columns hold {sorted(set(values))}, expected 0/1 or empty")

    f = frame.copy()
    for column in (
        "Trust",
        "Respondent ID",
        "Service type 1",
        "FFT question",
        "FFT categorical answer",
        "Comment sentiment",
    ):
        f[column] = _clean(f[column])
    f["answer"] = f["FFT answer"].str.replace("\u00a0", " ", regex=False)  # keep line breaks
    f["has_text"] = ~f["answer"].str.strip().str.lower().isin(NO_ANSWER)
    dates, counts = parse_dates(f["Date"])
    f["year"] = dates.dt.year.astype("Int64").astype(str).replace("<NA>", "")
    notes.append(
        f"dates: {counts['day_first']} read DD/MM/YYYY, {counts['month_first_only']} "
        f"only readable as MM/DD/YYYY (e.g. '1/14/2022'), "
        f"{counts['ambiguous_read_day_first']} ambiguous read day-first, "
        f"{counts['unreadable']} unreadable; only the year is used"
    )
    unknown_q = sorted(set(f["FFT question"]) - set(QUESTION_ITEMS))
    if unknown_q:
        sys.exit(f"error: {DATA}: FFT question(s) {unknown_q} not in QUESTION_ITEMS.")

    # ---- participants: one per respondent -------------------------------------------------
    trust, c_trust = _one_per_respondent(f, "Trust")
    rating, c_rating = _one_per_respondent(f, "FFT categorical answer")
    service, c_service = _one_per_respondent(f, "Service type 1")
    year, c_year = _one_per_respondent(f, "year")
    for what, n in (
        ("trust", c_trust),
        ("rating", c_rating),
        ("service", c_service),
        ("year", c_year),
    ):
        if n:
            notes.append(f"{n} respondent(s) have more than one {what}; the first is used")
    ids = trust.index.to_series()
    participants = pd.DataFrame(
        {
            "participant_id": ids.to_numpy(),
            "site": trust.to_numpy(),
            "role": "patient",
            "collection": "survey",
            "group_id": "",
            "service": service.fillna("").to_numpy(),
            "year": year.fillna("").to_numpy(),
        }
    )

    # ---- survey: the rating (scale item and ordinal level) and sentiment items ------------
    survey = pd.DataFrame(
        {"participant_id": ids.to_numpy(), "fft_rating": rating.fillna("").to_numpy()}
    )
    survey["rating_level"] = survey["fft_rating"]
    if not rating_only:
        texted = f[f["has_text"]].assign(item=f["FFT question"].map(QUESTION_ITEMS))
        dup = texted.duplicated(["Respondent ID", "item"]).sum()
        if dup:
            notes.append(
                f"{dup} respondent(s) answered the same question kind twice; the first "
                "sentiment is used"
            )
        wide = texted.drop_duplicates(["Respondent ID", "item"]).pivot(
            index="Respondent ID", columns="item", values="Comment sentiment"
        )
        for item in SENTIMENT_ITEMS:
            col = wide[item] if item in wide.columns else pd.Series(dtype=object)
            survey[item] = col.reindex(ids).fillna("").to_numpy()

    # ---- segments: one row per comment with text per code ---------------------------------
    kept = f[f["has_text"]]
    onehot = kept[codes].eq("1").to_numpy()
    rows, cols = np.nonzero(onehot)
    code_ids = {c: _snake(c) for c in codes}
    segments = pd.DataFrame(
        {
            "segment_id": kept["Comment ID"].to_numpy()[rows],
            "participant_id": kept["Respondent ID"].to_numpy()[rows],
            "document": kept["Comment ID"].to_numpy()[rows],
            "start": "",
            "end": "",
            "coder": "labeller",
            "code": np.array([code_ids[c] for c in codes], dtype=object)[cols],
            "text": kept["answer"].to_numpy()[rows],
        }
    )
    dropped = f[~f["has_text"]]
    notes.append(
        f"{len(dropped)} comment(s) with no text ('' or 'Did not answer') are not "
        f"segments (their codes: "
        f"{(dropped[codes] == '1').sum().loc[lambda s: s > 0].to_dict()}); their "
        "respondents keep their rating"
    )
    notes.append(
        f"{len(kept)} comment(s) with text -> {len(segments)} coded segment rows "
        f"({kept[codes].eq('1').sum(axis=1).gt(1).sum()} comment(s) with several codes)"
    )
    used = pd.Series(cols).map(dict(enumerate(codes))).value_counts()
    empty_codes = [c for c in codes if c not in used.index]
    notes.append(f"codes declared but never used on a comment with text: {empty_codes}")

    text = codebook_text(codes, code_ids, themed, rating_only=rating_only)
    raw = RawStudy(
        codebook_text=text,
        participants=participants,
        survey=survey,
        segments=segments,
        notes=tuple(notes),
    )
    return raw, notes


def codebook_text(
    codes: list[str], code_ids: dict[str, str], themed: dict[str, str], *, rating_only: bool
) -> str:
    services = [
        "111",
        "PTS - Patient Transport",
        "See and Convey",
        "Community health services",
        "Forensic",
        "Local partnerships- MH",
        "Specialist Services and CYP",
    ]
    lines = [
        "# Codebook of the NHS Friends & Family Test comments (QDC framework v6), written by",
        "# acceptance/realdata/nhs_fft.py from The-Strategy-Unit/pxtextmining (Care Opinion",
        "# data, CC BY-NC-SA 4.0). One participant = one FFT respondent ('Respondent ID').",
        f"study: {STUDY}",
        "title: NHS Friends and Family Test comments, two trusts (pxtextmining v6 framework)",
        "id: participant_id",
        "role: {column: role, levels: {patient: {label: Respondent, plural: Respondents}}}",
        "site:   # the NHS trust",
        "  column: site",
        "  label: NHS trust",
        "  levels:",
        "    NEAS: North East Ambulance Service",
        "    NHFT: Northamptonshire Healthcare NHS Foundation Trust",
        "variables:",
        "  service:",
        "    type: category",
        "    levels: [" + ", ".join(_q(s) for s in services) + "]",
        "    missing: [Unknown]",
        "    label: Service (Service type 1)",
        "  year: {type: category, levels: ['2021', '2022'], label: Year of the comment}",
        "# The FFT rating again, as the ordinal level of the joint display (themes by rating).",
        "engagement_level:",
        "  column: rating_level",
        "  levels: {1: very good, 2: good, 3: neither good nor poor, 4: poor, 5: very poor}",
        "  missing: [6, 7]      # undocumented codes in the source: declared missing",
        "  label: FFT rating",
        "scales:",
        "  experience:",
        "    label: FFT rating (1 = very good, 5 = very poor)",
        "    items: [fft_rating]",
        "    range: [1, 5]",
        "    missing: [6, 7]      # undocumented codes in the source: declared missing",
        "    min_items: 1",
        "    labels: {1: Very good, 2: Good, 3: Neither good nor poor, 4: Poor, 5: Very poor}",
        "    item_labels: {fft_rating: Overall how was your experience of our service?}",
    ]
    if not rating_only:
        lines += [
            "  sentiment:",
            "    label: Labelled comment sentiment (1 = very positive, 5 = very negative)",
            f"    items: [{', '.join(SENTIMENT_ITEMS)}]",
            "    range: [1, 5]",
            "    min_items: 1",
            "    labels: {1: Very positive, 2: Positive, 3: Neutral or mixed, 4: Negative,"
            " 5: Very negative}",
            "    item_labels:",
            *[f"      {k}: {_q(v)}" for k, v in SENTIMENT_ITEMS.items()],
        ]
    lines.append("themes:")
    lines += [f"  {t}: {_q(label)}" for t, (label, _) in THEMES.items()]
    lines.append("codes:")
    for c in codes:
        mark = "   # theme: our assignment" if c in OUR_THEMES else ""
        lines.append(f"  {code_ids[c]}: {{theme: {themed[c]}, label: {_q(c)}}}{mark}")
    return "\n".join(lines) + "\n"


PARAMS = """\
# Analysis parameters of the NHS FFT comments, written by acceptance/realdata/nhs_fft.py.
study: {study}
data: data/raw/{study}

seed: 20231121

describe:
  by: site              # Table 1 and Likert tables by trust (one role only)
  suppress_below: 5

qualitative:
  quotes_per_theme: 1
  quote_max_chars: 240
  divergence_threshold: 20

regression:
{regression}
figures:
  formats: [pdf, svg, png, tiff]
"""
REGRESSION = """\
  # FFT rating against the labelled sentiment of the respondent's comments, trust as a
  # fixed covariate; and the rating as an ordered outcome (proportional odds).
  dependent: experience
  outcomes: [sentiment]
  covariates: [site]
  groups: site
  models: [ols, ordinal]
  ordinal_dependent: engagement_level
  cov_type: HC3
  standardize: false
  sensitivity: {imputations: 20}
"""
REGRESSION_RATING_ONLY = """\
  # One scale only: there is no outcome to regress the rating on (see the doc).
  dependent: experience
  outcomes: []
  models: [ols]
  ordinal_dependent: null
"""


def main(argv: list[str] | None = None) -> int:
    rating_only = "--rating-only" in (argv if argv is not None else sys.argv[1:])
    argv = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--rating-only"]
    study = STUDY + ("_rating_only" if rating_only else "")
    args = parse_args(
        study,
        "Convert the NHS FFT comments into a scratch project "
        "(--rating-only: the rating as the only scale).",
        argv,
    )
    path = args.realdata / FOLDER / DATA
    if not path.is_file():
        sys.exit(
            f"error: {path}: no such file. Fix: pass --realdata, the folder holding {FOLDER}/."
        )
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw, notes = convert(frame, rating_only=rating_only)
    if rating_only:
        raw = RawStudy(
            codebook_text=raw.codebook_text.replace(f"study: {STUDY}", f"study: {study}"),
            participants=raw.participants,
            survey=raw.survey,
            segments=raw.segments,
            notes=raw.notes,
        )
    folder = prepare_root(args.out, study, strict=args.strict)
    out = args.out.resolve()
    written = write_study(raw, folder)
    written.append(
        write_params(
            out,
            study,
            PARAMS.format(
                study=study, regression=REGRESSION_RATING_ONLY if rating_only else REGRESSION
            ),
        )
    )
    for note in notes:
        print(f"note: {note}")
    rating = pd.to_numeric(raw.survey["fft_rating"], errors="coerce")
    print(
        f"{study}: {len(raw.participants)} respondents in "
        f"{raw.participants['site'].nunique()} trusts; ratings 6/7 (declared missing): "
        f"{int(rating.isin([6, 7]).sum())}; {raw.segments['segment_id'].nunique()} comments "
        f"-> {len(raw.segments)} coded segment rows"
    )
    for p in written:
        print(f"  wrote {p}")
    print(f"scratch project: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
