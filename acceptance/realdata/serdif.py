"""Convert the SERDIF usability study (GPL-3) into a partner-study scratch project.

Source (read at run time, never copied into the repository):
``../shared/realdata/serdif-pssuq-taguette/`` from navarral/swj2022-usability-paper
(commit 8ce3b61b), GPL-3.0. See docs/studies/serdif.md for every mapping decision.

- ``scores__SERDIF_PSSUQ_P2.csv``: Google Forms export of the PSSUQ (version 2, 19 items,
  7 points, 1 = strongly agree ... 7 = strongly disagree, blank = N/A), one row per
  participant P1-P17, each item followed by a free-text "Comments" column.
- ``csv__all_tags_20220303.csv``: Taguette highlights export (id, document, tag, content) of
  the think-aloud session transcripts; the document name starts with the participant id.
- ``codebooks__codebook_20220303_8.csv``: the final (8th) codebook: tag, description.

Usage::

    .venv/bin/python acceptance/realdata/serdif.py [--out /tmp/partner-study-realdata/serdif]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parse_args, prepare_root, write_params, write_study  # noqa: E402

from partner_study.io import RawStudy  # noqa: E402
from partner_study.io.taguette import import_taguette  # noqa: E402

STUDY = "serdif"
FOLDER = "serdif-pssuq-taguette"
SCORES = "scores__SERDIF_PSSUQ_P2.csv"
TAGS = "csv__all_tags_20220303.csv"
TAG_CODEBOOK = "codebooks__codebook_20220303_8.csv"

#: PSSUQ version 2 (19 items) subscales, Lewis (1995) doi:10.1080/10447319509526110:
#: SYSUSE items 1-8, INFOQUAL 9-15, INTERQUAL 16-18, OVERALL 1-19. Item 19 ("Overall, I am
#: satisfied with this system") is the regression's dependent, on its own (see the doc).
SUBSCALES = {
    "sysuse": ("System usefulness (PSSUQ SYSUSE, items 1-8)", range(1, 9), 4),
    "infoqual": ("Information quality (PSSUQ INFOQUAL, items 9-15)", range(9, 16), 4),
    "interqual": ("Interface quality (PSSUQ INTERQUAL, items 16-18)", range(16, 19), 2),
    "satisfaction": ("Overall satisfaction (PSSUQ item 19)", range(19, 20), 1),
}
LABELS = {
    1: "Strongly agree",
    2: "Agree",
    3: "Somewhat agree",
    4: "Neither",
    5: "Somewhat disagree",
    6: "Disagree",
    7: "Strongly disagree",
}


def _q(text: str) -> str:
    """A YAML-safe scalar (JSON strings are YAML)."""
    return json.dumps(text, ensure_ascii=False)


def read_pssuq(path: Path) -> tuple[pd.DataFrame, dict[str, str], pd.Series]:
    """Survey table (participant_id, q01..q19 as text), the item wordings, and the number of
    items each participant commented on (free-text "Comments" cells not empty)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    id_cols = [c for c in frame.columns if c.lower().startswith("input your participant")]
    items = {
        int(m.group(1)): c for c in frame.columns if (m := re.match(r"^\s*(\d+)\.\s*(.+?)\s*$", c))
    }
    if len(id_cols) != 1 or sorted(items) != list(range(1, 20)):
        sys.exit(
            f"error: {path}: found id column(s) {id_cols} and items {sorted(items)}, "
            "expected one participant-number column and PSSUQ items 1-19. Fix: check the "
            "file is the SERDIF Phase 2 PSSUQ export."
        )
    ids = frame[id_cols[0]].str.strip().str.upper().str.replace(" ", "", regex=False)
    comments = [c for c in frame.columns if c.split(".")[0].strip() == "Comments"]
    n_comments = frame[comments].apply(lambda col: col.str.strip().ne("")).sum(axis=1)
    n_comments.index = ids
    survey = pd.DataFrame({"participant_id": ids})
    wording = {}
    for number, column in sorted(items.items()):
        name = f"q{number:02d}"
        survey[name] = frame[column].str.strip()  # blank = N/A, left empty (missing)
        wording[name] = re.sub(r"\s+", " ", re.sub(r"^\s*\d+\.\s*", "", column)).strip()
    return survey, wording, n_comments


def codebook_text(raw_codebook: str, wording: dict[str, str], descriptions: dict[str, str]) -> str:
    """The study codebook: roles, PSSUQ scales (source direction), the authors' 22 tags."""
    draft = yaml.safe_load(raw_codebook)
    lines = [
        "# Codebook of the SERDIF usability study (Phase 2), written by",
        "# acceptance/realdata/serdif.py from navarral/swj2022-usability-paper (GPL-3.0).",
        "# Scales keep the PSSUQ direction: 1 = strongly agree (best) ... 7 = strongly disagree,",
        "# so a LOW score means BETTER usability, as in the PSSUQ norms (Lewis 1995, 2002).",
        "# The PSSUQ OVERALL score (items 1-19) is not declared: an item may belong to one",
        "# scale only, and items 1-18 are in the subscales (see docs/studies/serdif.md).",
        f"study: {STUDY}",
        "title: SERDIF usability study, Phase 2 (PSSUQ and think-aloud sessions)",
        "id: participant_id",
        "role: {column: role, levels: {user: {label: User, plural: Users}}}",
        "site: {column: site, label: Study, levels: {serdif: SERDIF usability study}}",
        "scales:",
    ]
    for name, (label, numbers, min_items) in SUBSCALES.items():
        items = [f"q{n:02d}" for n in numbers]
        lines += [
            f"  {name}:",
            f"    label: {_q(label)}",
            f"    items: [{', '.join(items)}]",
            "    range: [1, 7]",
            f"    min_items: {min_items}",
            "    labels: {" + ", ".join(f"{k}: {v}" for k, v in LABELS.items()) + "}",
            "    item_labels:",
            *[f"      {i}: {_q(wording[i])}" for i in items],
        ]
    lines.append("themes:  # the authors' codebook is flat: each tag is its own theme")
    lines += [f"  {t}: {_q(label)}" for t, label in draft["themes"].items()]
    lines.append("codes:")
    for code, spec in draft["codes"].items():
        text = descriptions.get(spec["label"], "")
        if text:
            lines.append("  # " + re.sub(r"\s+", " ", text).strip())
        lines.append(f"  {code}: {{theme: {spec['theme']}, label: {_q(spec['label'])}}}")
    return "\n".join(lines) + "\n"


PARAMS = """\
# Analysis parameters of the SERDIF usability study, written by acceptance/realdata/serdif.py.
# One site, one role (users): mixed models and role comparisons do not apply.
study: serdif
data: data/raw/serdif

seed: 20231121

describe:
  by: role
  suppress_below: 5

qualitative:
  quotes_per_theme: 1
  quote_max_chars: 240
  divergence_threshold: 20

regression:
  # overall satisfaction (PSSUQ item 19) against each usability subscale, then jointly:
  #   satisfaction ~ sysuse;  ~ infoqual;  ~ interqual;  ~ sysuse + infoqual + interqual
  dependent: satisfaction
  outcomes: [sysuse, infoqual, interqual]
  covariates: []
  groups: site
  models: [ols, joint]
  cov_type: HC3
  standardize: false
  sensitivity: {imputations: 20}

figures:
  formats: [pdf, svg, png, tiff]
"""


def main(argv: list[str] | None = None) -> int:
    args = parse_args(STUDY, "Convert the SERDIF usability study into a scratch project.", argv)
    source = args.realdata / FOLDER
    for name in (SCORES, TAGS, TAG_CODEBOOK):
        if not (source / name).is_file():
            sys.exit(
                f"error: {source / name}: no such file. Fix: pass --realdata, the folder "
                "holding serdif-pssuq-taguette/."
            )
    survey, wording, _n_comments = read_pssuq(source / SCORES)
    imported = import_taguette(source / TAGS, study=STUDY, role="user", site=STUDY)
    tagbook = pd.read_csv(source / TAG_CODEBOOK, dtype=str, keep_default_na=False)
    descriptions = dict(zip(tagbook["tag"].str.strip(), tagbook["description"], strict=True))

    seg_ids, survey_ids = (
        set(imported.participants["participant_id"]),
        set(survey["participant_id"]),
    )
    if seg_ids != survey_ids:
        print(
            f"note: participants only in the transcripts: {sorted(seg_ids - survey_ids)}; "
            f"only in the PSSUQ: {sorted(survey_ids - seg_ids)}"
        )
    order = sorted(seg_ids | survey_ids, key=lambda p: int(re.sub(r"\D", "", p) or 0))
    participants = pd.DataFrame(
        {
            "participant_id": order,
            "site": STUDY,
            "role": "user",
            "collection": "interview",
            "group_id": "",
        }
    )
    segments = imported.segments.copy()
    segments["_n"] = pd.to_numeric(segments["segment_id"], errors="coerce")
    segments = segments.sort_values(["_n", "code"], kind="mergesort").drop(columns="_n")
    survey["_n"] = survey["participant_id"].str[1:].astype(int)
    survey = survey.sort_values("_n").drop(columns="_n").reset_index(drop=True)

    raw = RawStudy(
        codebook_text=codebook_text(imported.codebook_text, wording, descriptions),
        participants=participants,
        survey=survey,
        segments=segments.reset_index(drop=True),
        notes=imported.notes,
    )
    folder = prepare_root(args.out, STUDY, strict=args.strict)
    out = args.out.resolve()
    written = write_study(raw, folder)
    written.append(write_params(out, STUDY, PARAMS))
    for note in imported.notes:
        print(f"import_taguette: {note}")
    print(
        f"{STUDY}: {len(participants)} participants, {len(survey)} PSSUQ answers "
        f"({int(survey.iloc[:, 1:].eq('').sum().sum())} blank item(s) = N/A), "
        f"{segments['segment_id'].nunique()} coded segments ({len(segments)} rows)"
    )
    for path in written:
        print(f"  wrote {path}")
    print(f"scratch project: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
