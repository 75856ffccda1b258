"""Tests of partner_study.disclosure: the gate on free text, names, documents, the roster.

The corpus ``tests/data/identifiers.csv`` holds identifiers as they are written at the
study's sites (English, French, Dutch, German, Norwegian, Spanish and Swedish formats), each
in a sentence; ``tests/data/identifiers-ordinary.csv`` holds ordinary clinical talk that
must come out unchanged.
"""

from __future__ import annotations

import time
import unicodedata

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partner_study import disclosure
from partner_study.disclosure import gate, names, patterns, prefilter
from partner_study.errors import StudyDataError

CORPUS_ROSTER = [
    "Hélène Lefèvre",
    "Seán O'Brien",
    "Bjørn Dæhlie",
    "Jürgen Müller",
    "José García",
    "Jan Van den Berghe",
    "Åse Berg",
]


@pytest.fixture(scope="module")
def corpus(data_dir) -> pd.DataFrame:
    return pd.read_csv(data_dir / "identifiers.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def ordinary(data_dir) -> pd.DataFrame:
    return pd.read_csv(data_dir / "identifiers-ordinary.csv", dtype=str, keep_default_na=False)


# --------------------------------------------------------------------------- the corpus


def test_corpus_is_large_and_varied(corpus, ordinary):
    assert len(corpus) >= 60
    assert corpus["language"].nunique() >= 5
    assert set(corpus["kind"]) == set(disclosure.REDACTION_KINDS)
    assert (corpus.apply(lambda r: r.text.count(r.form), axis=1) == 1).all()
    assert corpus["form"].str.contains("\n").sum() >= 4  # split by a line break
    assert len(ordinary) >= 20 and {"en", "fr"} <= set(ordinary["language"])


def test_every_identifier_of_the_corpus_is_redacted(corpus):
    redacted, counts = disclosure.redact_text(corpus["text"], names=CORPUS_ROSTER)
    expected = [r.text.replace(r.form, f"[{r.kind}]") for r in corpus.itertuples()]
    wrong = [
        (r.language, r.form, got)
        for r, got, want in zip(corpus.itertuples(), redacted, expected, strict=True)
        if got != want
    ]
    assert not wrong, wrong
    # one replacement of the corpus kind per text, nothing else
    assert (counts.sum(axis=1) == 1).all()
    kind = [counts.columns.get_loc(k) for k in corpus["kind"]]
    assert (counts.to_numpy()[np.arange(len(corpus)), kind] == 1).all()


def test_ordinary_talk_passes_untouched(ordinary):
    redacted, counts = disclosure.redact_text(ordinary["text"], names=CORPUS_ROSTER)
    changed = [(a, b) for a, b in zip(ordinary["text"], redacted, strict=True) if a != b]
    assert not changed, changed
    assert counts.to_numpy().sum() == 0


def test_the_gate_is_idempotent(corpus):
    once, _ = disclosure.redact_text(corpus["text"], names=CORPUS_ROSTER)
    twice, counts = disclosure.redact_text(once, names=CORPUS_ROSTER)
    pd.testing.assert_series_equal(once, twice)
    assert counts.to_numpy().sum() == 0


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        ("born 17th of March 1965.", (), "born [date]."),
        ("born 18-Mar-1966.", (), "born [date]."),
        ("number 850730-033-62.", (), "number [id]."),
        ("login dubm56121235.", (), "login [id]."),
        ("near BN1 9PH and H3T 1C5.", (), "near [postcode] and [postcode]."),
        ("Helene Lefevre came.", ("Hélène Lefèvre",), "[name] came."),
        ("Dr O’Brien came.", ("Sean O'Brien",), "Dr [name] came."),
        ("see linkedin.com/in/helene-lefevre now", (), "see [url] now"),
        ("jane dot doe at gmail dot com.", (), "[email]."),
        ("NHS 943\n476 5921.", (), "NHS [id]."),
        ("call +32 470\n12 34 57.", (), "call [phone]."),
        ("mail john.doe@\nexample.org.", (), "mail [email]."),
    ],
)
def test_forms_that_used_to_leak(text, names, expected):
    redacted, _ = disclosure.redact_text([text], names=names)
    assert redacted.iloc[0] == expected


def test_planted_identifiers_and_counts_by_kind():
    roster = [
        "Ann Smith",
        "Anne-Marie De Smet",
        "Jan Van den Berghe",
        "Hélène Côté",
        "Ola Nordmann",
    ]
    planted = [
        ("Write to marie.dupont@hotmail.be or a.smith+study@nhs.net please.", {"email": 2}),
        ("Call me on 0470 12 34 56 or +32 470 12 34 56, or ward 02 555 12 34.", {"phone": 3}),
        ("In Tromsø: +47 912 34 567, at home 22 12 34 56.", {"phone": 2}),
        ("Quebec clinic (514) 555-0199 or +1 (514) 555-0199.", {"phone": 2}),
        ("My mobile is 07700 900123, the practice +44 20 7946 0958.", {"phone": 2}),
        ("I was born on 12/03/1961, my wife on 1961-03-12, my son on 12 March 1985.", {"date": 3}),
        ("Her NHS number is 943 476 5919 and his MRN 12345678.", {"id": 2}),
        ("Rijksregisternummer 85.07.30-033.61, carte RAMQ ABCD 1234 5678.", {"id": 2}),
        ("Fødselsnummer 11036112345, skrevet 110361 12345.", {"id": 2}),
        (
            "Ann Smith told Anne-Marie De Smet that Dr Van den Berghe and hélène côté agreed; "
            "Ola said so too.",
            {"name": 5},
        ),
    ]  # fmt: skip
    texts = pd.Series([t for t, _ in planted], index=[f"q{i}" for i in range(len(planted))])
    redacted, counts = disclosure.redact_text(texts, names=roster)
    assert list(counts.columns) == ["email", "url", "phone", "date", "id", "postcode", "name"]
    assert counts.index.equals(texts.index)
    for (_, expected), (_, got) in zip(planted, counts.iterrows(), strict=True):
        assert got.to_dict() == {k: expected.get(k, 0) for k in disclosure.REDACTION_KINDS}
    assert redacted["q9"] == (
        "[name] told [name] that Dr [name] and [name] agreed; [name] said so too."
    )
    assert redacted["q1"] == "Call me on [phone] or [phone], or ward [phone]."
    # the name of an identifier stays, its number goes
    assert redacted["q6"] == "Her NHS number is [id] and his MRN [id]."
    assert redacted["q8"] == "Fødselsnummer [id], skrevet [id]."


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("roster", "text"),
    [
        ("Hélène Lefèvre", "Helene Lefevre"),
        ("Hélène Lefèvre", "HÉLÈNE LEFÈVRE"),
        ("Hélène Lefèvre", unicodedata.normalize("NFD", "Hélène Lefèvre")),
        ("Helene Lefevre", "Hélène Lefèvre"),
        ("Hélène Lefèvre", "Hélène\nLefèvre"),
        ("Hélène Lefèvre", "Hélène\u00a0Lefèvre"),
        ("Seán O'Brien", "Sean O’Brien"),
        ("Seán O’Brien", "Sean O'Brien"),
        ("Seán O'Brien", "Sean OBrien"),
        ("Jürgen Müller", "Juergen Mueller"),
        ("Juergen Mueller", "Jürgen Müller"),
        ("Bjørn Dæhlie", "Bjoern Daehlie"),
        ("Bjørn Dæhlie", "Bjørn Daehlie"),
        ("Bjørn Dæhlie", "Bjorn Dæhlie"),
        ("Åse Berg", "Aase Berg"),
        ("Anne-Marie Claes", "Anne Marie Clæs"),
        ("Anne-Marie Claes", "Anne‑Marie Claes"),
        ("Gaëlle Janssens", "Gaelle Janßens"),
    ],
)
def test_a_name_is_one_redaction_whatever_its_spelling(roster, text):
    redacted, counts = disclosure.redact_text([f"Then {text} said so."], names=[roster])
    assert redacted.iloc[0] == "Then [name] said so."
    assert counts["name"].iloc[0] == 1


def test_names_are_whole_words_and_particles_stay():
    roster = ["Ann Smith", "Jan Van den Berghe", "Marie de la Cruz"]
    texts = [
        "The annual review with Janet and Smithson.",
        "Van den Berghe came, then Berghe alone; de la Cruz too.",
        "We talked de facto about la vie and van life.",
        "[name] already redacted.",
    ]
    redacted, counts = disclosure.redact_text(texts, names=roster)
    assert redacted.tolist() == [
        "The annual review with Janet and Smithson.",
        "[name] came, then [name] alone; [name] too.",
        "We talked de facto about la vie and van life.",
        "[name] already redacted.",
    ]
    assert counts["name"].tolist() == [0, 3, 0, 0]


def test_no_roster_no_names():
    assert not disclosure.build_roster(names.name_inputs([None, " ", float("nan")])).keys
    plain, _ = disclosure.redact_text(["Ann Smith came"])  # no roster: names stay
    assert plain.iloc[0] == "Ann Smith came"


def test_a_large_roster_costs_little():
    roster = [f"Name{i:05d} Surname{i:05d}" for i in range(20_000)]
    texts = ["Then Name01234 Surname01234 met Surname00007 and the surname of Name."] * 1000
    start = time.perf_counter()
    redacted, counts = disclosure.redact_text(texts, names=roster)
    assert time.perf_counter() - start < 30.0
    assert redacted.iloc[0] == "Then [name] met [name] and the surname of Name."
    assert counts["name"].sum() == 2000


def test_hostile_roster_names():
    roster = ["(a+)+$", "[", "\\", ".*", "a|b", "Jan (Senior) Peeters", "Ann Smith"]
    redacted, _ = disclosure.redact_text(["Jan Senior Peeters and (a+)+$ came"], names=roster)
    assert redacted.iloc[0] == "[name] and (a+)+$ came"
    with pytest.raises(StudyDataError, match=r"roster.csv: column 'name': found a name of 100000"):
        disclosure.redact_text(["x"], names=["N" * 100_000])


def test_participant_ids_quoted_in_text():
    ids = ["BE-0002", "QC-0001", "1", "P7", "123456"]
    texts = [
        "BE-0002 said so; be 0002 agreed, BE0002 and QC_0001 too.",
        "Not BE-00021, nor 2 or 1 or P7, but 123456 was there.",
    ]
    redacted, counts = disclosure.redact_text(texts, ids=ids)
    assert redacted.tolist() == [
        "[id] said so; [id] agreed, [id] and [id] too.",
        "Not BE-00021, nor 2 or 1 or P7, but [id] was there.",
    ]
    assert counts["id"].tolist() == [4, 1]


# --------------------------------------------------------------------------- the text around


def test_only_the_identifier_changes():
    text = (
        "Le 17 mars 1965\u00a0: appelez\tle 0470\u00a012\u202f34 56 «\u00a0vite\u00a0»…\r\nMerci."
    )
    redacted, _ = disclosure.redact_text([text])
    assert redacted.iloc[0] == "Le [date]\u00a0: appelez\tle [phone] «\u00a0vite\u00a0»…\r\nMerci."


def test_missing_values_index_and_plain_sequences():
    texts = pd.Series(
        ["Ann\u00a0Smith came", "tél. 0470\u00a012\u202f34 56", None, "x"],
        index=[3, 3, 1, 1],  # duplicate labels are kept as they are
    )
    redacted, counts = disclosure.redact_text(texts, names=["Ann Smith"])
    assert redacted.tolist()[:2] == ["[name] came", "tél. [phone]"]
    assert pd.isna(redacted.iloc[2]) and redacted.iloc[3] == "x"
    assert redacted.index.tolist() == [3, 3, 1, 1] and counts.index.tolist() == [3, 3, 1, 1]
    assert counts["name"].tolist() == [1, 0, 0, 0]
    assert counts["phone"].tolist() == [0, 1, 0, 0]
    listed, _ = disclosure.redact_text(["mail x@y.org"])
    assert listed.tolist() == ["mail [email]"]
    empty, counts = disclosure.redact_text(pd.Series([], dtype="str"))
    assert empty.empty and list(counts.columns) == list(disclosure.REDACTION_KINDS)


def test_digits_of_other_scripts_and_compatibility_forms():
    """NFKD: full-width forms and ligatures match as their plain letters; the rest of the
    text keeps its characters."""
    texts = [
        "رقم ٩٤٣ ٤٧٦ ٥٩١٩ هنا",
        "mail ｊａｎｅ＠ｅｘａｍｐｌｅ．ｏｒｇ",
        "call ０４７０ １２ ３４ ５６",
    ]
    texts.append("Then Griﬃn Smith™ said ﬁne, born 17 mars 1965")
    redacted, counts = disclosure.redact_text(texts, names=["Griffin Smith"])
    assert redacted.tolist() == [
        "رقم [id] هنا",
        "mail [email]",
        "call [phone]",
        "Then [name]™ said ﬁne, born [date]",
    ]
    totals = counts.sum()
    assert totals.to_dict() == {
        **dict.fromkeys(disclosure.REDACTION_KINDS, 1),
        "url": 0,
        "postcode": 0,
    }


# --------------------------------------------------------------------------- the prefilter


def _variants(text: str) -> list[str]:
    return [
        text,
        text.upper(),
        unicodedata.normalize("NFD", text),
        text.replace(" ", "\u00a0"),
        text.replace(" ", "\n"),
        text.replace(" ", " \u200b"),
        text.replace("-", "\u2013").replace("'", "\u2019"),
    ]


def _assert_prefilter_is_a_superset(texts: list[str], roster=()) -> None:
    series = pd.Series(texts, dtype="str")
    folded, exotic = prefilter.fold_texts(series)
    exotic = exotic | gate._has_compat(series)  # these skip the prefilters
    present = np.ones(len(series), dtype=bool)
    for kind, pattern, _, pre in gate._identifier_passes():
        hit = prefilter.candidates(folded, pre, present) | exotic
        for text, ok in zip(texts, hit, strict=True):
            if pattern.search(text):
                assert ok, (kind, text)
    people = disclosure.build_roster(names.name_inputs(roster))
    assert people.prefilter is not None
    hit = prefilter.candidates(folded, people.prefilter, present) | exotic
    for text, ok in zip(texts, hit, strict=True):
        if disclosure.find_names(text, people):
            assert ok, ("name", text)


def test_prefilters_pick_every_text_the_patterns_match(corpus, ordinary):
    texts = [v for t in [*corpus["text"], *ordinary["text"]] for v in _variants(t)]
    _assert_prefilter_is_a_superset(texts, CORPUS_ROSTER)


_PIECES = [
    *"0123456789 -./+@()[]:'aeoAEOjmrsxz",
    *["\u00a0", "\n", "\u2013", "\u2019", "é", "ø", "æ", "ß", "Ü", "٣", "１", "\u0301", "Å"],
    *["™", "…", "€", "«", "ﬁ", "＠", "λ", "_"],
    *["Bjørn", "Bjoern", "Bjorn", "Aase", "O'Neil", "O’Neil", "Jean", "Marc", "Stølen"],
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=25).map("".join))
def test_prefilters_are_a_superset_on_any_text(text):
    _assert_prefilter_is_a_superset([text], ["Åse Bjørnstad", "Jean-Marc O'Neil", "Bjørn Stølen"])


def test_every_prefilter_compiles_in_re2():
    import pyarrow as pa
    import pyarrow.compute as pc

    roster = disclosure.build_roster(("Hélène Lefèvre", "Bjørn Dæhlie"))
    for pre in [p[3] for p in gate._identifier_passes()] + [roster.prefilter]:
        pc.match_substring_regex(pa.array(["x"]), pattern=pre)  # raises when RE2 cannot


def test_redaction_of_a_million_texts_takes_seconds():
    rng = np.random.default_rng(7)
    base = np.array(
        [
            "I think the team listened to me this time.",
            "Nobody told me the results of the scan in 2019.",
            "Call me on 0470 12 34 56 if you need more.",
            "Helene Lefevre said the same in the waiting room.",
            "Les infirmières m’ont écouté, c’était très différent.",
            "Write to jane.doe@example.org for the minutes.",
        ],
        dtype=object,
    )
    texts = pd.Series(base[rng.integers(0, len(base), 1_000_000)], dtype="str")
    start = time.perf_counter()
    redacted, counts = disclosure.redact_text(texts, names=CORPUS_ROSTER)
    elapsed = time.perf_counter() - start
    print(f"1e6 texts redacted in {elapsed:.2f} s")
    assert elapsed < 60.0, f"redaction of 1e6 texts took {elapsed:.1f} s"
    assert not redacted.str.contains("0470|Lefevre|jane.doe", regex=True).any()
    assert counts["name"].sum() == (texts.str.contains("Helene")).sum()


# --------------------------------------------------------------------------- segments


def _segments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment_id": ["s1", "s1", "s2", "s3", "s4"],
            "participant_id": ["p1", "p1", "p2", "p2", "p3"],
            "coder": ["A", "B", "A", "A", "A"],
            "code": ["c1", "c1", "c2", "c1", "c2"],
            "text": [
                "Ring Ann on 0470 12 34 56.",
                "Ring Ann on 0470 12 34 56.",
                "Ring Ann on 0470 12 34 56.",
                "Nothing to hide here.",
                None,
            ],
        }
    )


def test_redact_segments_counts_each_segment_once():
    segments = _segments()
    before = segments.copy()
    redacted, table = disclosure.redact_segments(segments, names=["Ann Smith"])
    pd.testing.assert_frame_equal(segments, before)  # the argument is not changed
    assert redacted["text"].tolist()[:4] == ["Ring [name] on [phone]."] * 3 + [
        "Nothing to hide here."
    ]
    assert pd.isna(redacted["text"].iloc[4])
    assert list(table.columns) == ["kind", "n_redactions", "n_segments"]
    counts = table.set_index("kind")
    assert counts.loc["phone", "n_redactions"] == 2 and counts.loc["phone", "n_segments"] == 2
    assert counts.loc["name", "n_redactions"] == 2
    assert counts.loc["total", "n_redactions"] == 4 and pd.isna(counts.loc["total", "n_segments"])
    assert table["kind"].tolist() == [*disclosure.REDACTION_KINDS, "total"]


def test_redact_segments_is_deterministic_and_order_free():
    segments = _segments()
    one = disclosure.redact_segments(segments, names=["Ann Smith"])
    shuffled = segments.sample(frac=1.0, random_state=3)
    two = disclosure.redact_segments(shuffled, names=["Ann Smith"])
    pd.testing.assert_frame_equal(one[0], two[0].loc[one[0].index])
    pd.testing.assert_frame_equal(one[1], two[1])
    empty, table = disclosure.redact_segments(segments.iloc[:0], names=["Ann Smith"])
    assert empty.empty and table["n_redactions"].sum() == 0


# --------------------------------------------------------------------------- documents


def test_documents_get_sorted_pseudonyms():
    documents = pd.Series(
        ["interview_sofie_claes.docx", "FG-BE-01", "", "interview_sofie_claes.docx", None],
        index=[10, 11, 12, 13, 14],
    )
    before = documents.copy()
    out = disclosure.pseudonymise_documents(documents)
    pd.testing.assert_series_equal(documents, before)
    assert out.index.equals(documents.index)
    assert out.tolist()[:4] == ["D002", "D001", "", "D002"] and pd.isna(out.iloc[4])
    many = disclosure.pseudonymise_documents(pd.Series([f"doc{i:05d}" for i in range(1200)]))
    assert many.iloc[0] == "D0001" and many.iloc[-1] == "D1200"


# --------------------------------------------------------------------------- roster


def test_read_roster_from_the_raw_folders(tmp_path):
    one, two, three = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder in (one, two, three):
        folder.mkdir()
    (one / "roster.csv").write_text(
        "participant_id,name\nBE-0001,Sofie Claes\nBE-0002, Koen Janssens \nBE-0003,\n",
        encoding="utf-8",
    )
    (two / "roster.csv").write_text(
        "\ufeffparticipant_id;name\nNO-0001;Åse Berg\nNO-0002;Sofie Claes\n", encoding="utf-8"
    )
    roster = disclosure.read_roster([one, two, three])
    assert roster["name"].tolist() == ["Koen Janssens", "Sofie Claes", "Åse Berg"]
    assert disclosure.read_roster([three]).empty


def test_read_roster_needs_a_name_column(tmp_path):
    (tmp_path / "roster.csv").write_text("participant_id,full_name\nBE-0001,X Y\n", "utf-8")
    with pytest.raises(StudyDataError, match=r"roster.csv: found no column 'name'.*Fix: name"):
        disclosure.read_roster([tmp_path])


def test_all_is_complete():
    for module in (disclosure, gate, patterns, prefilter):
        public = {
            name
            for name, obj in vars(module).items()
            if not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__
        }
        assert public <= set(module.__all__), module.__name__
        assert all(hasattr(module, name) for name in module.__all__)


def test_the_solver_s_own_prints_never_reach_standard_output(capfd):
    """HiGHS writes some diagnostics straight to file descriptor 1 (they landed in an
    executed notebook); the solver wrapper discards them and leaves Python's output be."""
    import os

    from partner_study.disclosure.solver import _c_stdout_silenced

    print("before", flush=True)
    with _c_stdout_silenced():
        os.write(1, b"HighsMipSolverData::transformNewIntegerFeasibleSolution\n")
    print("after", flush=True)
    assert capfd.readouterr().out == "before\nafter\n"
