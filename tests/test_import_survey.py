"""Generic wide survey import (Google Forms, Microsoft Forms, KoboToolbox): made exports.

The real Google Forms export (SERDIF PSSUQ, GPL) is imported end to end by
acceptance/importers.sh from ../shared/realdata; it is never copied here.
"""

import openpyxl
import pandas as pd
import pytest

from partner_study.codebook import parse_codebook
from partner_study.errors import StudyDataError
from partner_study.io.survey import import_survey
from partner_study.io.wide import ANCHORS, identifying_reason
from partner_study.prepare import prepare_study
from partner_study.validate import validate_study
from partner_study.writer import write_raw_study

AGREE = ANCHORS[0]  # Strongly disagree ... Strongly agree
HEADER = (
    "Timestamp,Email Address,Participant,Care received [I was listened to],"
    "Care received [I was given information],Care received [I could ask questions],Age,Comments"
)
ANSWERS = [  # participant, three grid answers (codes), age, comment
    ("P1", (5, 4, 4), "34", '=HYPERLINK("http://x")'),
    ("P2", (2, 3, 1), "51", ""),
    ("P3", (4, 4, 5), "29", "Fine, thanks"),
    ("P4", (1, 2, 2), "", "Long wait"),
]


def _export(tmp_path, *, text: bool, name: str = "form.csv"):
    lines = [HEADER]
    for k, (pid, codes, age, comment) in enumerate(ANSWERS, 1):
        cells = [AGREE[c - 1].upper() if text and k == 2 else AGREE[c - 1] for c in codes]
        grid = [f" {c} " if text else str(n) for c, n in zip(cells, codes, strict=True)]
        quoted = '"' + comment.replace('"', '""') + '"'
        lines.append(f"2024/01/0{k} 10:00,p{k}@example.org,{pid},{','.join(grid)},{age},{quoted}")
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_grid_becomes_a_scale_and_identifying_columns_are_removed(tmp_path):
    raw = import_survey(_export(tmp_path, text=False), id_column="participant", labels=[AGREE])
    cb = parse_codebook(raw.codebook_text)
    scale = cb.scales["care_received"]
    assert scale.label == "Care received"
    assert list(scale.item_labels.values()) == [
        "I was listened to",
        "I was given information",
        "I could ask questions",
    ]
    assert (scale.low, scale.high, scale.labels[5]) == (1, 5, "Strongly agree")
    assert raw.participants["participant_id"].tolist() == ["P1", "P2", "P3", "P4"]
    assert "example.org" not in raw.participants.to_csv()
    assert "| `Email Address` | identifying: an e-mail address |" in raw.import_record
    assert "| `Timestamp` | form metadata" in raw.import_record
    assert cb.variables["age"].type == "integer" and cb.variables["comments"].type == "text"


def test_text_and_code_exports_of_one_battery_give_identical_processed_data(tmp_path):
    codes = import_survey(_export(tmp_path, text=False), id_column="3", labels=[AGREE])
    texts = import_survey(_export(tmp_path, text=True, name="t.csv"), id_column="3")
    assert texts.survey.iloc[1, 1] == " DISAGREE "  # kept as exported; validation matches it
    assert "common English response labels" in texts.import_record
    a = prepare_study(_validated(codes, tmp_path / "a"))
    b = prepare_study(_validated(texts, tmp_path / "b"))
    pd.testing.assert_frame_equal(a.scored, b.scored)
    assert a.scored["care_received"].round(4).tolist() == [4.3333, 2.0, 4.3333, 1.6667]


def _validated(raw, folder):
    write_raw_study(raw, folder)
    return validate_study(folder)


def test_formula_cells_are_kept_as_text_and_neutralised_when_written(tmp_path):
    raw = import_survey(_export(tmp_path, text=False), id_column="Participant")
    assert raw.participants.loc[0, "comments"] == '=HYPERLINK("http://x")'
    write_raw_study(raw, tmp_path / "s")
    written = (tmp_path / "s" / "participants.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in written


def test_xlsx_with_an_extra_header_row_and_numbered_rows(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Q1 I feel safe", "Q2 I feel heard", "Q3 I feel informed", "Name"])
    sheet.append(["(1-7)", "(1-7)", "(1-7)", ""])
    for row in ([7, 6, 5, "Ann"], [2, 3, 1, "Bob"], [4, 4, 4, "Cy"]):
        sheet.append(row)
    path = tmp_path / "kobo.xlsx"
    book.save(path)
    raw = import_survey(path, header_rows=2)
    cb = parse_codebook(raw.codebook_text)
    assert cb.scales["scale_1"].items == ("q1_i_feel_safe", "q2_i_feel_heard", "q3_i_feel_informed")
    assert (cb.scales["scale_1"].low, cb.scales["scale_1"].high) == (1, 7)  # answers found
    assert raw.participants["participant_id"].tolist() == ["R0001", "R0002", "R0003"]
    assert "Ann" not in raw.participants.to_csv()
    assert "Header rows '2' were skipped" in raw.import_record


def test_bad_id_column_and_header_only_files_are_messages(tmp_path):
    path = _export(tmp_path, text=False)
    with pytest.raises(StudyDataError, match=r"column 'Nope': found no such column.*Fix: give"):
        import_survey(path, id_column="Nope")
    with pytest.raises(StudyDataError, match=r"row 5, column 'Age': found empty or repeated ids"):
        import_survey(path, id_column="Age")
    short = tmp_path / "short.csv"
    short.write_text(HEADER + "\n", encoding="utf-8")
    with pytest.raises(StudyDataError, match=r"short.csv: row 2: found 1 row\(s\), all header"):
        import_survey(short)


@pytest.mark.parametrize(
    ("name", "identifying"),
    [
        ("Email Address", True),
        ("E-mail", True),
        ("Your name", True),
        ("_submitted_by", True),
        ("LocationLatitude", True),
        ("Name of your hospital", False),
        ("Timestamp", False),
        ("How satisfied are you?", False),
    ],
)
def test_identifying_columns_are_told_by_their_name(name, identifying):
    assert (identifying_reason(name) is not None) == identifying


def test_header_rows_out_of_range_is_a_message(tmp_path):
    with pytest.raises(StudyDataError, match=r"found --header-rows 0, expected 1 to 20"):
        import_survey(_export(tmp_path, text=False), header_rows=0)
