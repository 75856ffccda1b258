"""Tests of partner_study.qualitative: code tables, co-occurrence, quotes and their gate."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partner_study import disclosure
from partner_study import qualitative as q
from partner_study.errors import ParamsError, StudyDataError

# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def participants() -> pd.DataFrame:
    """Three patients and three professionals at two sites; prof-3 has no coded segment."""
    return pd.DataFrame(
        {
            "participant_id": ["pat-1", "pat-2", "pat-3", "prof-1", "prof-2", "prof-3"],
            "pseudonym": ["P-BE-01", "P-BE-02", "P-QC-03", "H-BE-01", "H-QC-02", "H-QC-03"],
            "site": ["BE", "BE", "QC", "BE", "QC", "QC"],
            "role": ["patient"] * 3 + ["professional"] * 3,
            "collection": ["focus_group"] * 3 + ["interview"] * 3,
        }
    )


def _seg(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["segment_id", "participant_id", "coder", "code", "theme", "text"]
    )
    frame["site"] = frame["participant_id"].map(
        {"pat-1": "BE", "pat-2": "BE", "pat-3": "QC", "prof-1": "BE", "prof-2": "QC"}
    )
    frame["role"] = np.where(
        frame["participant_id"].str.startswith("pat"), "patient", "professional"
    )
    frame["document"] = "doc-" + frame["participant_id"]
    frame["start"] = 0
    frame["end"] = frame["text"].str.len()
    return frame


INFO, FOUND = "information_sharing", "foundations_of_partnership"


@pytest.fixture
def segments() -> pd.DataFrame:
    """Hand-countable coded segments; s1 and s4 are double-coded (coders A and B)."""
    return _seg(
        [
            ("s1", "pat-1", "A", "info_what", INFO, "I want to know what is in my file."),
            ("s1", "pat-1", "B", "info_what", INFO, "I want to know what is in my file."),
            ("s1", "pat-1", "A", "info_how", INFO, "I want to know what is in my file."),
            ("s2", "pat-1", "A", "common_language", FOUND, "They explain it in plain words."),
            ("s3", "pat-2", "A", "info_what", INFO, "Nobody told me the results."),
            ("s4", "pat-2", "A", "listening", FOUND, "The nurse really listens."),
            ("s4", "pat-2", "B", "listening", FOUND, "The nurse really listens."),
            ("s4", "pat-2", "B", "common_language", FOUND, "The nurse really listens."),
            ("s5", "prof-1", "A", "listening", FOUND, "We take time to listen."),
            ("s6", "prof-2", "A", "info_how", INFO, "We share the plan at discharge."),
            ("s7", "prof-2", "A", "listening", FOUND, "Listening is part of the job."),
        ]
    )


def _row(table: pd.DataFrame, **where) -> pd.Series:
    mask = np.logical_and.reduce([table[k] == v for k, v in where.items()])
    hit = table.loc[mask]
    assert len(hit) == 1, hit
    return hit.iloc[0]


# --------------------------------------------------------------------------- table_codes


def test_table_codes_columns_and_hand_counts(segments, participants):
    table = q.table_codes(segments, participants)
    assert list(table.columns) == [
        "theme",
        "code",
        "role",
        "n_segments",
        "n_participants",
        "pct_participants",
    ]
    # hand count: info_what on s1 (pat-1, two coders -> once) and s3 (pat-2)
    row = _row(table, code="info_what", role="patient")
    assert (row.n_segments, row.n_participants) == (2, 2)
    # denominators: patients with any coded segment = 2 (pat-3 has none) -> 2/2
    assert row.pct_participants == pytest.approx(100.0)
    row = _row(table, code="info_what", role="professional")
    assert (row.n_segments, row.n_participants, row.pct_participants) == (0, 0, 0.0)
    # listening: s4 (pat-2, two coders), s5 (prof-1), s7 (prof-2)
    row = _row(table, code="listening", role="all")
    assert (row.n_segments, row.n_participants) == (3, 3)
    # all coded participants: pat-1, pat-2, prof-1, prof-2 -> 3/4
    assert row.pct_participants == pytest.approx(75.0)
    row = _row(table, code="listening", role="professional")
    assert (row.n_segments, row.n_participants, row.pct_participants) == (2, 2, 100.0)
    # common_language: s2 (pat-1) and s4 (pat-2, coder B only): union of coders
    row = _row(table, code="common_language", role="patient")
    assert (row.n_segments, row.n_participants) == (2, 2)


def test_table_codes_theme_rows_count_segments_once(segments, participants):
    table = q.table_codes(segments, participants)
    # information_sharing: segments s1, s3 (patients) and s6 (prof-2)
    row = _row(table, theme=INFO, code=q.THEME_ROW, role="all")
    assert (row.n_segments, row.n_participants) == (3, 3)
    # foundations: s2, s4 carry two codes but each segment counts once -> s2, s4, s5, s7
    row = _row(table, theme=FOUND, code=q.THEME_ROW, role="all")
    assert (row.n_segments, row.n_participants) == (4, 4)
    # the theme row comes first within its theme, "all" last within a code
    first = table.loc[table["theme"] == FOUND].iloc[0]
    assert first.code == q.THEME_ROW and first.role == "patient"
    assert list(table["role"].iloc[:3]) == ["patient", "professional", "all"]


def test_table_codes_full_precision(segments, participants):
    extra = _seg([("s8", "prof-1", "A", "info_what", INFO, "Some text.")])
    table = q.table_codes(pd.concat([segments, extra]), participants)
    # info_what: pat-1, pat-2, prof-1 of 4 coded participants; listening all: 3 of 4
    row = _row(table, code="info_how", role="all")  # pat-1 and prof-2 -> 2/4
    assert row.pct_participants == 50.0
    three = q.table_codes(segments.loc[segments["participant_id"] != "prof-2"], participants)
    row = _row(three, code="listening", role="all")  # pat-2, prof-1 of 3 coded
    assert row.pct_participants == pytest.approx(200 / 3, abs=1e-12)  # not rounded


def test_table_codes_by_site_and_both(segments, participants):
    by_site = q.table_codes(segments, participants, by="site")
    assert list(by_site.columns) == [
        "theme",
        "code",
        "site",
        "n_segments",
        "n_participants",
        "pct_participants",
    ]
    # listening at BE: s4 (pat-2), s5 (prof-1); BE coded participants: pat-1, pat-2, prof-1
    row = _row(by_site, code="listening", site="BE")
    assert (row.n_segments, row.n_participants) == (2, 2)
    assert row.pct_participants == pytest.approx(200 / 3)
    both = q.table_codes(segments, participants, by=("site", "role"))
    assert list(both.columns)[:4] == ["theme", "code", "site", "role"]
    row = _row(both, code="listening", site="QC", role="professional")  # s7 (prof-2)
    assert (row.n_segments, row.n_participants, row.pct_participants) == (1, 1, 100.0)
    row = _row(both, code="listening", site="all", role="all")
    assert (row.n_segments, row.n_participants) == (3, 3)
    # QC has no coded patient (pat-3 has no segment): no (QC, patient) group
    assert both.query("site == 'QC' and role == 'patient'").empty


def test_table_codes_does_not_mutate(segments, participants):
    before_s, before_p = segments.copy(), participants.copy()
    q.table_codes(segments, participants, by=("site", "role"))
    pd.testing.assert_frame_equal(segments, before_s)
    pd.testing.assert_frame_equal(participants, before_p)


def test_table_codes_empty_segments(participants, segments):
    table = q.table_codes(segments.iloc[:0], participants)
    assert table.empty
    assert list(table.columns) == [
        "theme",
        "code",
        "role",
        "n_segments",
        "n_participants",
        "pct_participants",
    ]


def test_table_codes_errors(segments, participants):
    with pytest.raises(StudyDataError, match=r"segments \(data frame\).*no column\(s\) 'code'"):
        q.table_codes(segments.drop(columns="code"), participants)
    with pytest.raises(StudyDataError, match=r"participants \(data frame\).*no column\(s\) 'role'"):
        q.table_codes(segments, participants.drop(columns="role"))
    stranger = _seg([("s9", "ghost-1", "A", "listening", FOUND, "Hello.")])
    with pytest.raises(StudyDataError, match=r"column 'participant_id': found 'ghost-1'.*Fix: add"):
        q.table_codes(pd.concat([segments, stranger]), participants)
    with pytest.raises(ParamsError, match=r"by='gender' is not supported"):
        q.table_codes(segments, participants, by="gender")


def test_themes_by_role_matches_theme_rows(segments, participants):
    themes = q.themes_by_role(segments, participants)
    assert list(themes.columns) == ["theme", "role", "n_participants", "pct_participants"]
    # foundations: patients pat-1 (s2), pat-2 (s4) of 2; professionals prof-1, prof-2 of 2
    row = _row(themes, theme=FOUND, role="patient")
    assert (row.n_participants, row.pct_participants) == (2, 100.0)
    # information sharing: professionals prof-2 only, of 2 coded professionals
    row = _row(themes, theme=INFO, role="professional")
    assert (row.n_participants, row.pct_participants) == (1, 50.0)
    assert len(themes) == 2 * 3  # two themes x (patient, professional, all)


# --------------------------------------------------------------------------- co-occurrence


def test_cooccurrence_hand_counts(segments):
    cooc = q.table_cooccurrence(segments)
    assert list(cooc.columns) == ["code_a", "code_b", "n_segments", "n_participants"]
    # s1: info_how + info_what; s4: common_language + listening (coders A and B pooled)
    assert cooc.to_dict("records") == [
        {"code_a": "common_language", "code_b": "listening", "n_segments": 1, "n_participants": 1},
        {"code_a": "info_how", "code_b": "info_what", "n_segments": 1, "n_participants": 1},
    ]
    per_person = q.table_cooccurrence(segments, within="participant")
    # pat-1 used info_what, info_how, common_language; pat-2 info_what, listening,
    # common_language; prof-2 info_how, listening
    counts = {
        (r.code_a, r.code_b): (r.n_participants, r.n_segments) for r in per_person.itertuples()
    }
    assert counts == {
        ("common_language", "info_how"): (1, 0),
        ("common_language", "info_what"): (2, 0),
        ("common_language", "listening"): (1, 1),
        ("info_how", "info_what"): (1, 1),
        ("info_how", "listening"): (1, 0),
        ("info_what", "listening"): (1, 0),
    }


def _brute_force(frame: pd.DataFrame, within: str) -> pd.DataFrame:
    """Co-occurrence by explicit loops over units (the definition)."""
    unit = "segment_id" if within == "segment" else "participant_id"
    codes = frame.groupby(unit)["code"].agg(lambda s: sorted(set(s)))
    owner = frame.groupby("segment_id")["participant_id"].first()
    seg_codes = frame.groupby("segment_id")["code"].agg(lambda s: set(s))
    rows = {}
    for key, cs in codes.items():
        for a, b in itertools.combinations(cs, 2):
            rows.setdefault((a, b), set()).add(key)
    out = []
    for (a, b), keys in sorted(rows.items()):
        segs = {s for s, cs in seg_codes.items() if a in cs and b in cs}
        people = keys if within == "participant" else {owner[s] for s in keys}
        out.append((a, b, len(segs), len(people)))
    return pd.DataFrame(out, columns=["code_a", "code_b", "n_segments", "n_participants"])


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 5), st.sampled_from("AB")), max_size=60
    ),
    within=st.sampled_from(["segment", "participant"]),
)
def test_cooccurrence_equals_brute_force(rows, within):
    frame = pd.DataFrame(rows, columns=["seg", "code", "coder"])
    frame = pd.DataFrame(
        {
            "segment_id": "s" + frame["seg"].astype(str),
            "participant_id": "p" + (frame["seg"] // 3).astype(str),  # 3 segments per person
            "coder": frame["coder"],
            "code": "c" + frame["code"].astype(str),
        }
    )
    got = q.table_cooccurrence(frame, within=within)
    want = _brute_force(frame, within).astype({"code_a": "str", "code_b": "str"})
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_cooccurrence_errors_and_empty(segments):
    with pytest.raises(ParamsError, match=r"within='document' is not supported"):
        q.table_cooccurrence(segments, within="document")
    with pytest.raises(StudyDataError, match=r"no column\(s\) 'segment_id'"):
        q.table_cooccurrence(segments.drop(columns="segment_id"))
    empty = q.table_cooccurrence(segments.iloc[:1])
    assert empty.empty and list(empty.columns) == [
        "code_a",
        "code_b",
        "n_segments",
        "n_participants",
    ]


def test_million_segment_rows_run_in_seconds():
    rng = np.random.default_rng(20231121)
    n = 1_000_000
    seg = rng.integers(0, 400_000, n)
    code = rng.integers(0, 40, n)

    def labels(fmt: str, values: np.ndarray) -> pd.Series:
        vocabulary = np.array([fmt.format(i) for i in range(values.max() + 1)], dtype=object)
        return pd.Series(vocabulary[values]).astype("str")

    frame = pd.DataFrame(
        {
            "segment_id": labels("s{:06d}", seg),
            "participant_id": labels("p{:05d}", seg // 10),
            "code": labels("code_{:02d}", code),
            "theme": labels("theme_{}", code // 8),
        }
    )
    people = pd.DataFrame({"participant_id": pd.unique(frame["participant_id"])})
    people["role"] = np.where(np.arange(len(people)) % 3, "patient", "professional")
    people["site"] = "BE"
    start = time.perf_counter()
    cooc = q.table_cooccurrence(frame)
    codes = q.table_codes(frame, people)
    elapsed = time.perf_counter() - start
    print(f"1e6 segment rows: co-occurrence + code table {elapsed:.2f} s")
    assert elapsed < 10.0, f"co-occurrence + code table took {elapsed:.1f} s on 1e6 rows"
    assert len(cooc) == 40 * 39 // 2
    # every distinct (segment, code) pair is counted once in the code rows
    distinct = frame[["segment_id", "code"]].drop_duplicates()
    assert codes.query("role == 'all' and code != '(theme)'")["n_segments"].sum() == len(distinct)


# --------------------------------------------------------------------------- redaction
# The gate itself is tested in test_disclosure.py; here: what the quotes rely on.

ROSTER = ["Ann Smith", "Anne-Marie De Smet", "Jan Van den Berghe", "Hélène Côté", "Ola Nordmann"]


def test_redaction_is_the_disclosure_gate():
    assert q.redact_text is disclosure.redact_text
    assert q.REDACTION_KINDS == disclosure.REDACTION_KINDS


# --------------------------------------------------------------------------- quotes


def test_select_quotes_columns_determinism_and_pseudonyms(segments, participants):
    quotes = q.select_quotes(segments, participants)
    assert list(quotes.columns) == [
        "theme",
        "code",
        "role",
        "pseudonym",
        "site",
        "segment_id",
        "quote",
        "n_redactions",
    ]
    shuffled = segments.sample(frac=1.0, random_state=7)
    pd.testing.assert_frame_equal(quotes, q.select_quotes(shuffled, participants))
    # one quote per theme and role
    assert sorted(zip(quotes["theme"], quotes["role"], strict=True)) == [
        (FOUND, "patient"),
        (FOUND, "professional"),
        (INFO, "patient"),
        (INFO, "professional"),
    ]
    assert set(quotes["pseudonym"]) <= set(participants["pseudonym"])
    assert not quotes.isin(set(participants["participant_id"])).any().any()


def test_select_quotes_rule(segments, participants):
    # target length 160 (2/3 of 240): longest texts are closest; ties -> smaller segment_id
    quotes = q.select_quotes(segments, participants, per_theme=2)
    info_pat = quotes.query("theme == @INFO and role == 'patient'")
    assert info_pat["segment_id"].tolist() == ["s1", "s3"]  # 34 chars before 27
    assert info_pat["code"].tolist() == ["info_how; info_what", "info_what"]
    found_prof = quotes.query("theme == @FOUND and role == 'professional'")
    assert found_prof["pseudonym"].tolist() == ["H-QC-02", "H-BE-01"]  # s7 (29) before s5 (23)
    short = q.select_quotes(segments, participants, target_chars=20)
    assert short.query("theme == @INFO and role == 'patient'")["segment_id"].item() == "s3"


def test_select_quotes_redacts_and_truncates(segments, participants):
    long_text = (
        "When Ann Smith phoned 0470 12 34 56 about the results, "
        + "we talked about what to share and with whom " * 8
    )
    extra = _seg([("s0", "pat-3", "A", "info_what", INFO, long_text)])
    data = pd.concat([segments, extra], ignore_index=True)
    quotes = q.select_quotes(data, participants, names=ROSTER, max_chars=120, target_chars=500)
    row = quotes.query("theme == @INFO and role == 'patient'").iloc[0]
    assert row.segment_id == "s0" and row.pseudonym == "P-QC-03"
    assert row.quote.startswith("When [name] phoned [phone] about the results")
    assert row.quote.endswith(" […]") and len(row.quote) <= 120
    assert row.n_redactions == 2
    report = q.disclosure_report(data, participants, names=ROSTER, max_chars=120, target_chars=500)
    assert list(report.columns) == ["kind", "n_redactions", "n_quotes", "n_remaining"]
    assert report.set_index("kind")["n_redactions"].to_dict() == {
        "email": 0,
        "url": 0,
        "phone": 1,
        "date": 0,
        "id": 0,
        "postcode": 0,
        "name": 1,
        "total": 2,
    }
    assert report["n_remaining"].sum() == 0
    assert report.set_index("kind").loc["total", "n_quotes"] == 1


def test_quotes_are_checked_against_the_roster_again(segments, participants):
    """Stage 03 passes the raw roster's names: a name left in the processed texts (say,
    written with other accents, or a roster completed after stage 01) never reaches a
    quote, and the report says what was removed."""
    left = "Then Helene\nCote, O’Brien, pat-2 and jane dot doe at gmail dot com said the same."
    extra = _seg([("s0", "pat-3", "A", "info_what", INFO, left)])
    data = pd.concat([segments, extra], ignore_index=True)
    roster = [*ROSTER, "Seán O'Brien"]
    unchecked = q.select_quotes(data, participants, target_chars=len(left))
    assert "Helene Cote" in unchecked.query("segment_id == 's0'")["quote"].item()
    quotes = q.select_quotes(data, participants, names=roster, target_chars=len(left))
    quote = quotes.query("segment_id == 's0'")["quote"].item()
    assert quote == "Then [name], [name], [id] and [email] said the same."
    report = q.disclosure_report(data, participants, names=roster, target_chars=len(left))
    kinds = report.set_index("kind")
    assert kinds.loc["name", "n_redactions"] == 2 and kinds.loc["email", "n_redactions"] == 1
    assert kinds.loc["id", "n_redactions"] == 1  # a participant id quoted in the text
    assert kinds["n_remaining"].sum() == 0
    pd.testing.assert_frame_equal(q.check_disclosure(report), report)


def test_check_disclosure_stops_on_anything_left():
    report = pd.DataFrame(
        {
            "kind": [*q.REDACTION_KINDS, "total"],
            "n_redactions": [0] * 8,
            "n_quotes": [0] * 8,
            "n_remaining": [0, 0, 0, 0, 0, 0, 1, 1],
        }
    )
    with pytest.raises(StudyDataError, match=r"identifiers left after redaction: name \(1\)"):
        q.check_disclosure(report)


def test_select_quotes_errors(segments, participants):
    with pytest.raises(ParamsError, match=r"per_theme must be a whole number >= 1, got 0"):
        q.select_quotes(segments, participants, per_theme=0)
    with pytest.raises(ParamsError, match=r"max_chars must be a whole number >= 40"):
        q.select_quotes(segments, participants, max_chars=10)
    with pytest.raises(StudyDataError, match=r"no column\(s\) 'pseudonym'"):
        q.select_quotes(segments, participants.drop(columns="pseudonym"))
    with pytest.raises(StudyDataError, match=r"no column\(s\) 'text'"):
        q.select_quotes(segments.drop(columns="text"), participants)


def test_all_is_complete():
    public = {
        name
        for name, obj in vars(q).items()
        if not name.startswith("_") and getattr(obj, "__module__", None) == q.__name__
    }
    assert public <= set(q.__all__)
    assert all(hasattr(q, name) for name in q.__all__)
