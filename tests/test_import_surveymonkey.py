"""SurveyMonkey import: exports written by us in SurveyMonkey's layout (two header rows), as
answer texts and as numerical values (tests/data/import/surveymonkey/SOURCE.txt).

Expected values are read off the fixtures (the header rows, the cells), never off an earlier
run of the importer.
"""

import csv
from pathlib import Path

import pandas as pd
import pytest

from partner_study import cli
from partner_study.codebook import parse_codebook
from partner_study.errors import StudyDataError
from partner_study.io.surveymonkey import import_surveymonkey
from partner_study.validate import validate_study
from partner_study.writer import write_raw_study

DATA = Path(__file__).resolve().parent / "data" / "import" / "surveymonkey"
TEXT = DATA / "partnership-text.csv"
NUMERIC = DATA / "partnership-numeric.csv"
AGREE = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
SITE_ROLE = {
    "site_column": "Where did you receive care?",
    "role_column": "Which best describes you?",
}


def validated(raw, folder: Path):
    write_raw_study(raw, folder)
    return validate_study(folder)


def test_text_export_gives_a_scale_with_labels_and_removes_the_metadata(tmp_path):
    raw = import_surveymonkey(TEXT, labels=[AGREE], **SITE_ROLE)
    study = validated(raw, tmp_path / "s")
    cb = parse_codebook(raw.codebook_text)
    scale = cb.scales["q3"]
    assert scale.items == ("q3_1", "q3_2", "q3_3", "q3_4")
    assert scale.item_labels["q3_1"] == "I was listened to"
    assert scale.label.startswith("How much do you agree with the following statements")
    assert scale.labels == dict(enumerate(AGREE, 1)) and (scale.low, scale.high) == (1, 5)
    # the matrix's N/A column is not a point of the scale: missing, with a note to check
    assert scale.missing == ("N/A",) and "'N/A' are outside 1-5" in raw.import_record
    scored = study.scored.set_index("participant_id")
    # respondent 1 (R0001): Agree, Agree, Neither agree nor disagree, Strongly agree
    assert scored.loc["R0001", ["q3_1", "q3_2", "q3_3", "q3_4"]].tolist() == [4, 4, 3, 5]
    assert pd.isna(scored.loc["R0003", "q3_3"])  # N/A
    assert "R0006" not in scored.index  # skipped the matrix: no survey row, never 0
    # 12 responses, the last answered nothing (row 14 of the file)
    assert len(study.participants) == 11 and "(rows 14)" in raw.import_record
    ident = raw.import_record.split("## Columns removed as identifying")[1].split("##")[0]
    for column in ("Respondent ID", "Collector ID", "IP Address", "Email Address", "Last Name"):
        assert f"`{column}`" in ident
    written = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "s").glob("*.csv"))
    for value in ("114019487600", "203.0.113.20", "resp3@example.org", "Martin", "ward-7", "2021"):
        assert value not in written


def test_checkbox_other_numbers_and_ratings(tmp_path):
    raw = import_surveymonkey(TEXT, labels=[AGREE], **SITE_ROLE)
    study = validated(raw, tmp_path / "s")
    cb = parse_codebook(raw.codebook_text)
    people = study.participants.set_index("participant_id")
    # 'choose all': 1 chosen, 0 not chosen when another option was; R0003 chose none: missing
    assert cb.variables["q4_1"].label.endswith("[Treatment options]")
    boxes = ["q4_1", "q4_2", "q4_3"]
    assert people.loc["R0001", boxes].tolist() == ["Chosen", "Chosen", "Not chosen"]
    assert people.loc["R0003", boxes].isna().all()
    assert people.loc["R0004", "q4_other"] == "Diet"
    assert cb.variables["q5"].type == "integer" and people.loc["R0002", "q5"] == 61
    # '4 - Good': the number it begins with is the code, the rest the label
    assert cb.variables["q6"].levels == {
        "1": "Very poor",
        "2": "Poor",
        "3": "Fair",
        "4": "Good",
        "5": "Excellent",
    }
    assert people.loc["R0001", "q6"] == "Good"
    assert people.loc["R0001", "site"] == "north_clinic"
    assert set(people["role"]) == {"patient", "health_professional"}
    # a formula-like answer is kept as text and neutralised in the written table
    assert people.loc["R0004", "q7"].startswith("=HYPERLINK")
    assert "'=HYPERLINK" in (tmp_path / "s" / "participants.csv").read_text(encoding="utf-8")


def test_a_battery_exported_as_text_and_as_numbers_gives_identical_processed_data(tmp_path):
    text = validated(import_surveymonkey(TEXT, labels=[AGREE]), tmp_path / "t")
    numbers = validated(import_surveymonkey(NUMERIC, labels=[AGREE]), tmp_path / "n")
    items = ["participant_id", "q3_1", "q3_2", "q3_3", "q3_4"]
    pd.testing.assert_frame_equal(text.scored[items], numbers.scored[items])
    checkboxes = ["q4_1", "q4_2", "q4_3"]
    pd.testing.assert_frame_equal(text.participants[checkboxes], numbers.participants[checkboxes])


def test_xlsx_export_reads_like_csv(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    with TEXT.open(encoding="utf-8-sig", newline="") as fh:
        for r, row in enumerate(csv.reader(fh), start=1):
            for c, v in enumerate(row, start=1):
                cell = sheet.cell(r, c, int(v) if v.isdigit() and len(v) < 10 else v)
                if isinstance(v, str) and v.startswith("="):
                    cell.data_type = "s"  # a text answer, as SurveyMonkey stores it
    path = tmp_path / "export.xlsx"
    book.save(path)
    from_csv = import_surveymonkey(TEXT, labels=[AGREE])
    from_xlsx = import_surveymonkey(path, labels=[AGREE])
    assert from_xlsx.survey.equals(from_csv.survey)
    assert from_xlsx.participants.equals(from_csv.participants)


def test_a_matrix_whose_order_cannot_be_told_stays_categories_and_says_how(tmp_path):
    raw = import_surveymonkey(TEXT)
    assert "q3" not in parse_codebook(raw.codebook_text).scales
    assert "Pass --labels 'LOWEST;...;HIGHEST'" in raw.import_record
    validated(raw, tmp_path / "s")


def test_another_platforms_export_is_named():
    lime = Path(__file__).resolve().parent / "data" / "import" / "limesurvey"
    with pytest.raises(StudyDataError, match="looks like a LimeSurvey export.*limesurvey"):
        import_surveymonkey(lime / "results-survey616667-text.csv")


def test_an_export_cut_after_its_header_rows_is_named(tmp_path):
    cut = tmp_path / "cut.csv"
    cut.write_text("".join(TEXT.read_text(encoding="utf-8-sig").splitlines(True)[:2]), "utf-8")
    with pytest.raises(StudyDataError, match=r"cut.csv: row 2: .*no response.*Fix:"):
        import_surveymonkey(cut)


def test_an_export_cut_inside_a_row_is_named(tmp_path):
    cut = tmp_path / "cut.csv"
    text = TEXT.read_text(encoding="utf-8-sig")
    cut.write_text(text[: text.index("Line one")], encoding="utf-8")
    with pytest.raises(StudyDataError, match=r"cut.csv: row 9.*Fix:"):
        import_surveymonkey(cut)


def test_a_site_column_not_in_the_export_lists_the_columns():
    with pytest.raises(StudyDataError, match=r"column 'Clinic': found no such column.*Fix: give"):
        import_surveymonkey(TEXT, site_column="Clinic")


def test_cli_import_and_a_malformed_variant(tmp_path, capsys):
    out = tmp_path / "sm"
    args = ["import", "surveymonkey", str(TEXT), "--labels", ";".join(AGREE), "--out", str(out)]
    assert cli.main(args) == 0
    assert (out / "IMPORT.md").is_file() and (out / "survey.csv").is_file()
    lime = Path(__file__).resolve().parent / "data" / "import" / "limesurvey"
    bad = ["import", "surveymonkey", str(lime / "results-survey616667-codes.csv")]
    assert cli.main([*bad, "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Fix:" in err and not (tmp_path / "bad").exists()
