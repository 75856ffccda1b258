"""LimeSurvey import: a real .lss (citric, MIT, copied with SOURCE.txt) with response exports
written in LimeSurvey's CSV layout, and a LimeSurvey 3 structure in two languages.

Expected values are read off the fixtures themselves (the .lss answer options, the exported
cells), never off an earlier run of the importer.
"""

import time
from pathlib import Path

import pandas as pd
import pytest

from partner_study import cli
from partner_study.codebook import parse_codebook
from partner_study.errors import StudyDataError
from partner_study.io import _lss
from partner_study.io._lsdraft import _trailing
from partner_study.io.limesurvey import import_limesurvey, read_lss
from partner_study.validate import validate_study
from partner_study.writer import write_raw_study

DATA = Path(__file__).resolve().parent / "data" / "import" / "limesurvey"
CODES = DATA / "results-survey616667-codes.csv"
TEXT = DATA / "results-survey616667-text.csv"
LSS = DATA / "answers.lss"
SMONKEY = Path(__file__).resolve().parent / "data" / "import" / "surveymonkey"


def validated(raw, folder: Path):
    write_raw_study(raw, folder)
    return validate_study(folder)


def test_real_lss_gives_question_types_texts_and_answer_options():
    survey = read_lss(LSS)
    # answers.lss: survey 616667, Q01 multiple choice (M), Q02 flexible array (F)
    assert (survey.sid, survey.title, survey.language) == (
        "616667",
        "Survey with Question Answers",
        "en",
    )
    q02 = survey.question("Q02")
    assert q02.type == "F" and q02.text == "This is the second question"
    assert list(q02.subquestions.values()) == [
        "Color",
        "Milkiness",
        "Creaminess",
        "Mouthfeel",
        "Aftertaste",
    ]
    assert q02.answers[0] == [
        ("AO01", "Too much"),
        ("AO02", "More than I like"),
        ("AO03", "Just Right"),
        ("AO04", "Less than I like"),
        ("AO05", "Too little"),
    ]
    assert survey.question("Q01").type == "M"


def test_a_battery_exported_as_text_and_as_codes_gives_identical_processed_data(tmp_path):
    codes = import_limesurvey(CODES, LSS, study="ls")
    text = import_limesurvey(TEXT, LSS, study="ls")
    assert text.participants.equals(codes.participants)
    assert text.survey.equals(codes.survey)
    a, b = validated(codes, tmp_path / "codes"), validated(text, tmp_path / "text")
    pd.testing.assert_frame_equal(a.scored, b.scored)
    pd.testing.assert_frame_equal(a.participants, b.participants)
    cb = parse_codebook(codes.codebook_text)
    scale = cb.scales["q02"]
    # the array's options AO01..AO05, in their order, are the points 1..5 with their labels
    assert (scale.low, scale.high) == (1, 5)
    assert scale.labels == {
        1: "Too much",
        2: "More than I like",
        3: "Just Right",
        4: "Less than I like",
        5: "Too little",
    }
    assert scale.label == "This is the second question"
    assert scale.item_labels["q02_sq003"] == "Creaminess"
    # response 1: Q02[SQ003] = AO04 (text: "Less than I like")
    assert a.scored.set_index("participant_id").loc["1", "q02_sq003"] == 4
    assert "`AO01` -> `1`" in codes.import_record
    assert "`Less than I like` -> `4`" in text.import_record


def test_not_shown_and_unanswered_are_missing_never_zero(tmp_path):
    study = validated(import_limesurvey(CODES, LSS), tmp_path / "s")
    scored = study.scored.set_index("participant_id")
    # response 4: Q02 not shown (N/A in every item): no survey row; response 5 left SQ004 empty
    assert "4" not in scored.index
    assert pd.isna(scored.loc["5", "q02_sq004"]) and scored.loc["5", "q02_sq005"] == 4
    assert not (study.scored.filter(like="q02_") == 0).any().any()


def test_incomplete_responses_are_dropped_unless_kept():
    raw = import_limesurvey(CODES, LSS)
    # response 3 has no submitdate (row 4 of the file)
    assert "3" not in set(raw.participants["participant_id"])
    assert "kept: 7 of 8" in raw.import_record and "(rows 4)" in raw.import_record
    kept = import_limesurvey(CODES, LSS, keep_incomplete=True)
    assert "3" in set(kept.participants["participant_id"])


def test_identifying_and_administration_columns_are_removed_and_recorded(tmp_path):
    raw = import_limesurvey(TEXT, LSS)
    folder = tmp_path / "s"
    write_raw_study(raw, folder)
    record = raw.import_record
    ident = record[record.index("as identifying") : record.index("## Columns dropped")]
    for column in ("token", "ipaddr", "refurl", "startdate", "datestamp", "submitdate"):
        assert f"`{column}`" in ident
    for column in ("lastpage", "seed", "interviewtime", "groupTime119", "Q02Time"):
        assert f"`{column}`" in record
    written = "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.csv"))
    written += (folder / "codebook.yaml").read_text(encoding="utf-8")
    for value in ("tk0001xq", "198.51.100.7", "mail.example.org", "2024-03-05"):
        assert value not in written


def test_without_the_lss_whole_number_arrays_become_scales_and_the_rest_is_noted(tmp_path):
    raw = import_limesurvey(DATA / "results-survey123456-codes.csv")
    cb = parse_codebook(raw.codebook_text)
    assert cb.scales["trust"].items == ("trust_sq001", "trust_sq002", "trust_sq003")
    assert (cb.scales["trust"].low, cb.scales["trust"].high) == (1, 5)
    assert "No .lss was given" in raw.import_record
    validated(raw, tmp_path / "s")
    # AO01..AO05 codes cannot be ordered without the .lss: the array stays categories
    raw = import_limesurvey(CODES)
    assert "q02" not in parse_codebook(raw.codebook_text).scales


def test_limesurvey3_structure_in_two_languages_reads_answers_in_either(tmp_path):
    lss = DATA / "limesurvey3-two-languages.lss"
    codes = import_limesurvey(DATA / "results-survey123456-codes.csv", lss)
    text = import_limesurvey(DATA / "results-survey123456-text.csv", lss)
    assert text.participants.equals(codes.participants) and text.survey.equals(codes.survey)
    cb = parse_codebook(text.codebook_text)
    # the base language's texts (English); the French answers 'Hôpital sud', 'Un peu' read
    assert cb.scales["trust"].item_labels["trust_sq002"] == "listen to me"
    assert cb.scales["trust"].labels[2] == "A little"
    study = validated(text, tmp_path / "s")
    assert study.participants.set_index("participant_id").loc["2", "site"] == "south_hospital"
    # 'consent' is shown only at the North hospital: empty (missing) for response 2
    assert pd.isna(study.participants.set_index("participant_id").loc["2", "consent"])
    assert "intro" not in text.participants.columns  # a display text, no answer


def test_an_lss_of_another_survey_names_the_columns_and_the_fix():
    with pytest.raises(StudyDataError, match=r"(?s)Q01\[SQ001\].*does not define.*Fix: export"):
        import_limesurvey(CODES, DATA / "another-survey.lss")


def test_a_truncated_export_names_its_row(tmp_path):
    cut = tmp_path / "results.csv"
    text = CODES.read_text(encoding="utf-8-sig")
    cut.write_text(text[: text.index('"AO02","AO03","AO03",""')], encoding="utf-8")
    with pytest.raises(StudyDataError, match=r"results.csv: row 6.*Fix:"):
        import_limesurvey(cut, LSS)


def test_a_truncated_lss_names_its_line(tmp_path):
    cut = tmp_path / "survey.lss"
    cut.write_bytes(LSS.read_bytes()[:5000])
    with pytest.raises(StudyDataError, match=r"survey.lss: line \d+: found XML .* cut short.*Fix"):
        import_limesurvey(CODES, cut)


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            "<document><LimeSurveyDocType>Survey</LimeSurveyDocType><x>&b;</x></document>",
            "document type declaration",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            "<document><x>&e;</x></document>",
            "document type declaration",
        ),
        ('{"SurveyEntry": {}}', "JSON file"),
        ("<document><LimeSurveyDocType>Group</LimeSurveyDocType></document>", "'Group'"),
        ("<document><LimeSurveyDocType>Survey</LimeSurveyDocType></document>", "without ques"),
        ("not xml at all \xff", "not well formed"),
    ],
)
def test_hostile_or_wrong_lss_files_are_refused(tmp_path, content, found):
    path = tmp_path / "x.lss"
    path.write_bytes(content.encode("utf-8", errors="surrogateescape"))
    with pytest.raises(StudyDataError, match=found):
        read_lss(path)


def test_an_lss_over_the_size_limit_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(_lss, "LSS_MAX_BYTES", 1000)
    with pytest.raises(StudyDataError, match="at most 1,000 are read"):
        read_lss(LSS)


def test_another_platforms_export_is_named(tmp_path):
    with pytest.raises(StudyDataError, match="looks like a SurveyMonkey export"):
        import_limesurvey(SMONKEY / "partnership-text.csv")


def test_cli_malformed_import_exits_2_writes_nothing_and_prints_no_traceback(tmp_path, capsys):
    out = tmp_path / "data" / "raw" / "ls"
    args = ["import", "limesurvey", str(CODES), "--lss", str(DATA / "another-survey.lss")]
    assert cli.main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Fix:" in err and "results-survey616667-codes.csv" in err
    assert not out.exists() and not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_cli_import_writes_the_study_and_its_record(tmp_path, capsys):
    out = tmp_path / "ls"
    assert cli.main(["import", "limesurvey", str(TEXT), "--lss", str(LSS), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "IMPORT.md",
        "codebook.yaml",
        "participants.csv",
        "survey.csv",
    ]


def test_heading_parts_are_read_in_linear_time():
    start = time.perf_counter()
    _trailing("[a]" * 200_000 + "x")
    _trailing("x" + "[a]" * 200_000)
    _trailing("x" + "[" * 200_000 + "]")
    assert time.perf_counter() - start < 1
