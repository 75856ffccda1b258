"""Qualtrics import: real exports (MIT and BSD, copied with SOURCE.txt) and variants of them.

Expected values are read off the source files (the .qsf's questions, answers and
RecodeValues; the CSV's header rows and cells), never off an earlier run of the importer.
"""

import json
from pathlib import Path

import pandas as pd
import pytest

from partner_study import cli
from partner_study.codebook import parse_codebook
from partner_study.errors import StudyDataError
from partner_study.io._qsf import answer_codes
from partner_study.io.qualtrics import _split_id, import_qualtrics
from partner_study.io.record import ImportRecord
from partner_study.prepare import prepare_study
from partner_study.validate import validate_study
from partner_study.writer import write_raw_study

DATA = Path(__file__).resolve().parent / "data" / "import" / "qualtrics"
MATRIX, QSF = DATA / "matrix-insights.csv", DATA / "matrix.qsf"
SAMPLE = DATA / "qualtrics-sample.csv"
IDENTIFYING = ("IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail")


def validated(raw, folder):
    write_raw_study(raw, folder)
    return validate_study(folder)


def test_matrix_export_with_qsf_gives_scales_with_statements_and_scale_points(tmp_path):
    raw = import_qualtrics(MATRIX, qsf=QSF, study="matrix")
    cb = parse_codebook(raw.codebook_text)
    # QID2 (tag Q2): 3 statements "Click to write Statement k", 4 points, no RecodeValues
    assert cb.scales["q2"].items == ("q2_1", "q2_2", "q2_3")
    assert (cb.scales["q2"].low, cb.scales["q2"].high) == (1, 4)
    assert cb.scales["q2"].labels[1] == "Click to write Scale point 1"
    assert cb.scales["q2"].item_labels["q2_3"] == "Click to write Statement 3"
    assert cb.scales["q2"].label == "Click to write the question text"
    # QID5 (tag Q4): RecodeValues 1->10 ... 4->13, the CSV holds 10-13
    assert (cb.scales["q4"].low, cb.scales["q4"].high) == (10, 13)
    assert cb.scales["q4"].labels[13] == "Click to write Scale point 4"
    # QID4 (matrix_question_five): ChoiceDataExportTags question_one...; a _TEXT column
    assert cb.scales["matrix_question_five"].items[1] == "matrix_question_five_question_two"
    assert cb.variables["matrix_question_five_question_two_text"].type == "text"
    for column in (*IDENTIFYING, "LocationLatitude", "LocationLongitude", "ExternalDataReference"):
        assert column.lower() not in {c.lower() for c in raw.participants.columns}
        assert f"`{column}` | identifying" in raw.import_record
    assert "| `Q4_1`, `Q4_2`, `Q4_3`," in raw.import_record  # RecodeValues recorded
    assert "`answer 1 (Click to write Scale point 1)` -> `10`" in raw.import_record
    assert "reverse" in raw.import_record
    study = validated(raw, tmp_path / "matrix")
    assert study.participants["participant_id"].tolist()[0] == "R_9H2nlL82R9Yq21v"
    assert study.scored["q4_1"].tolist() == [12, 12, 12, 10, 11]  # the CSV's Q4_1 column


def test_choice_text_and_numeric_exports_give_identical_processed_data(tmp_path):
    codes = import_qualtrics(MATRIX, qsf=QSF, study="matrix")
    texts = import_qualtrics(DATA / "matrix-insights-choice-text.csv", qsf=QSF, study="matrix")
    assert texts.survey["q2_1"].iloc[0] == "Click to write Scale point 3"
    assert codes.codebook_text.split("id:")[1] == texts.codebook_text.split("id:")[1]
    a = prepare_study(validated(codes, tmp_path / "a"))
    b = prepare_study(validated(texts, tmp_path / "b"))
    pd.testing.assert_frame_equal(a.scored, b.scored)
    pd.testing.assert_frame_equal(a.participants, b.participants)


def test_without_qsf_row_two_and_numbers_draft_the_scales():
    raw = import_qualtrics(MATRIX, study="matrix")
    cb = parse_codebook(raw.codebook_text)
    # row 2 "Click to write the question text-Click to write Statement 1": split at the '-'
    assert cb.scales["q2"].label == "Click to write the question text"
    assert cb.scales["q2"].item_labels["q2_1"] == "Click to write Statement 1"
    assert (cb.scales["q4"].low, cb.scales["q4"].high) == (10, 13)  # the answers found
    assert "from the numbers found" in raw.import_record


def test_new_format_german_export_drops_metadata_topics_and_identifying_columns():
    raw = import_qualtrics(SAMPLE, study="sample")
    # row 3 {"ImportId":"QID2_TEXT"}: a free-text answer; "Q2 - Topics" is Text iQ
    assert raw.participants.loc[0, "q2"] == "Hello World!"
    assert raw.participants.loc[0, "q1"] == "2"
    assert raw.participants.loc[0, "participant_id"] == "R_2YPOQ602ER1jkf1"
    cb = parse_codebook(raw.codebook_text)
    assert cb.variables["q1"].label == "This is a multiple choice question."
    text = raw.participants.to_csv()
    for value in ("130.92.34.66", "47.115097045898", "7.2315979003906", "2017-07-18"):
        assert value not in text and value not in raw.codebook_text
    assert "| `Q2 - Topics` | Text iQ" in raw.import_record
    assert "| `ExternalReference` | identifying" in raw.import_record


def _variant(tmp_path, rows, name="v.csv"):
    path = tmp_path / name
    head = SAMPLE.read_text(encoding="utf-8").splitlines()[:3]
    path.write_text("\n".join(head + rows) + "\n", encoding="utf-8")
    return path


ROW = "2017-07-18 08:28:09,2017-07-18 08:28:48,0,1.2.3.4,100,38,{fin},2017-07-18,{rid},"
ROW += ",,,,1,2,a,DE,{q1},{q2},"


def test_unfinished_responses_are_left_out_unless_kept(tmp_path):
    rows = [ROW.format(fin=f, rid=f"R_{k}", q1=k, q2="x") for k, f in enumerate("1011", 1)]
    path = _variant(tmp_path, rows)
    raw = import_qualtrics(path, study="v")
    assert raw.participants["participant_id"].tolist() == ["R_1", "R_3", "R_4"]
    assert "- kept: 3 of 4" in raw.import_record
    assert "  - 1: unfinished response (Finished = 0/False)" in raw.import_record
    assert "(rows 5)" in raw.import_record  # header rows 1-3, responses from row 4
    kept = import_qualtrics(path, keep_unfinished=True, study="v")
    assert len(kept.participants) == 4
    odd = _variant(tmp_path, [ROW.format(fin="maybe", rid="R_1", q1=1, q2="x")], "odd.csv")
    with pytest.raises(StudyDataError, match=r"row 4, column 'Finished': found 'maybe'.*--keep"):
        import_qualtrics(odd, study="v")


def test_embedded_data_site_is_used_and_identifying_embedded_data_removed(tmp_path):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    extra = (",site,email", ",site,email", ',"{""ImportId"":""site""}","{""ImportId"":""email""}"')
    rows = [lines[k] + extra[k] for k in range(3)]
    rows += [lines[3] + ",north,ann@example.org", lines[3].replace("R_2Y", "R_3Y") + ",south,b@x.y"]
    path = tmp_path / "embedded.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    raw = import_qualtrics(path, study="e")
    assert raw.participants["site"].tolist() == ["north", "south"]
    assert "ann@example.org" not in raw.participants.to_csv()
    assert "| `email` | identifying: an e-mail address (embedded data) |" in raw.import_record


@pytest.mark.parametrize(
    ("import_id", "expected"),
    [
        ("QID2_1", ("QID2", "1", "")),
        ("QID2-1", ("QID2", "1", "")),  # older exports: {'ImportId': 'QID2-1'}
        ("QID4-2-TEXT", ("QID4", "2", "text")),
        ("QID2_TEXT", ("QID2", "", "text")),
        ("QID7_DO", ("QID7", "", "order")),
        ("QID5_FIRST_CLICK", ("QID5", "FIRST_CLICK", "timing")),
        ("QID2_TEXT_eae5Topics", ("QID2", "TEXT_eae5Topics", "analytics")),
        ("startDate", ("", "", "")),
    ],
)  # fmt: skip
def test_import_ids_of_both_forms_are_split(import_id, expected):
    assert _split_id(import_id) == expected


def test_recode_values_outside_a_run_are_recoded_or_left_missing():
    spaced = {
        "QuestionType": "Matrix",
        "Answers": {str(k): {"Display": f"P{k}"} for k in range(1, 4)},
        "AnswerOrder": [1, 2, 3],
        "RecodeValues": {"1": "0", "2": "50", "3": "100"},
    }
    record = ImportRecord("qualtrics")
    answers, places = answer_codes(spaced, "Q9", record, ["Q9_1"])
    assert answers == {"1": "P1", "2": "P2", "3": "P3"}
    assert places == {"0": "1", "50": "2", "100": "3"}
    assert "`50` -> `2`" in record.render()
    na = dict(spaced, RecodeValues={"1": "1", "2": "2", "3": "99"})
    answers, places = answer_codes(na, "Q9", record, ["Q9_1"])
    assert (answers, places) == ({"1": "P1", "2": "P2"}, {})
    assert "(code 99) lies outside the run 1-2" in record.render()


def test_a_redcap_export_is_not_taken_for_qualtrics():
    redcap = DATA.parent / "redcap" / "simple__data.csv"
    expected = r"simple__data.csv: row 3: found no Qualtrics header rows.*Fix: export the"
    with pytest.raises(StudyDataError, match=expected):
        import_qualtrics(redcap)


def test_a_truncated_export_is_named_as_cut_short(tmp_path):
    path = tmp_path / "cut.csv"
    path.write_bytes(MATRIX.read_bytes()[:3000])
    with pytest.raises(StudyDataError, match=r"cut.csv: row 3: found 18 fields.*cut short"):
        import_qualtrics(path)


def test_a_qsf_of_another_survey_is_refused(tmp_path):
    doc = json.loads(QSF.read_text(encoding="utf-8"))
    for element in doc["SurveyElements"]:
        if element.get("PrimaryAttribute") == "QID5":
            element["Payload"]["DataExportTag"] = "Satisfaction"
    other = tmp_path / "other.qsf"
    other.write_text(json.dumps(doc), encoding="utf-8")
    expected = r"other.qsf: column 'Q4_1': found a survey definition that does not match.*QID5"
    with pytest.raises(StudyDataError, match=expected + " is exported as 'Satisfaction'"):
        import_qualtrics(MATRIX, qsf=other)
    with pytest.raises(StudyDataError, match=r"matrix.qsf: column 'Q1': .*no question QID1"):
        import_qualtrics(SAMPLE, qsf=QSF)
    broken = tmp_path / "broken.qsf"
    broken.write_text(QSF.read_text(encoding="utf-8")[:500], encoding="utf-8")
    with pytest.raises(StudyDataError, match=r"broken.qsf: line \d+: found text that is not JSON"):
        import_qualtrics(MATRIX, qsf=broken)


def test_cli_import_writes_import_md_and_params_and_dry_run_writes_nothing(tmp_path, capsys):
    (tmp_path / "params").mkdir()
    out = tmp_path / "data" / "raw" / "qx"
    args = ["import", "qualtrics", str(MATRIX), "--qsf", str(QSF), "--out", str(out)]
    assert cli.main([*args, "--dry-run"]) == 0
    shown = capsys.readouterr().out
    assert "# Import record: qualtrics" in shown and "nothing written" in shown
    assert not (tmp_path / "data").exists() and not any((tmp_path / "params").iterdir())
    assert cli.main(args) == 0
    assert (out / "IMPORT.md").read_text(encoding="utf-8").startswith("# Import record")
    params = (tmp_path / "params" / "qx.yaml").read_text(encoding="utf-8")
    assert "study: qx\ndata: data/raw/qx\n" in params
    assert "outcomes: [q4, q3, q5]" in params  # 5 complete rows: at most 3 outcomes


def test_repeated_response_ids_and_no_finished_response_are_messages(tmp_path):
    twice = [ROW.format(fin=1, rid="R_1", q1=k, q2="x") for k in (1, 2)]
    with pytest.raises(StudyDataError, match=r"row 4, column 'ResponseId': found an empty or"):
        import_qualtrics(_variant(tmp_path, twice), study="v")
    none = [ROW.format(fin=0, rid=f"R_{k}", q1=k, q2="x") for k in (1, 2)]
    with pytest.raises(StudyDataError, match=r"found no finished response.*--keep-unfinished"):
        import_qualtrics(_variant(tmp_path, none, "none.csv"), study="v")
