import pandas as pd
import pytest

from partner_study.errors import StudyDataError
from partner_study.io import find_table, read_table


def test_reads_bom_semicolon_crlf(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_bytes(b"\xef\xbb\xbfparticipant_id;eng_1\r\nP1;3\r\nP2;\r\n")
    frame = read_table(path)
    assert list(frame.columns) == ["participant_id", "eng_1"]
    assert frame["eng_1"].tolist() == ["3", ""]


def test_reads_tab_separated(tmp_path):
    path = tmp_path / "survey.tsv"
    path.write_text("participant_id\teng_1\nP1\t4\n", encoding="utf-8")
    assert read_table(path)["eng_1"].tolist() == ["4"]


def test_keeps_values_as_text(tmp_path):
    path = tmp_path / "participants.csv"
    path.write_text("participant_id,age\n007,NA\n", encoding="utf-8")
    frame = read_table(path)
    assert frame.loc[0, "participant_id"] == "007"
    assert frame.loc[0, "age"] == "NA"


def test_reads_excel(tmp_path):
    path = tmp_path / "survey.xlsx"
    pd.DataFrame({"participant_id": ["P1"], "eng_1": [3]}).to_excel(path, index=False)
    frame = read_table(path)
    assert frame.loc[0, "eng_1"] == "3"
    assert find_table(tmp_path, "survey") == path


def test_empty_file(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_bytes(b"\xef\xbb\xbf\r\n")
    with pytest.raises(
        StudyDataError, match=r"survey\.csv: found an empty file, expected a header"
    ):
        read_table(path)


def test_header_only(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("participant_id\n", encoding="utf-8")
    with pytest.raises(StudyDataError, match="found a header and no data rows"):
        read_table(path)


def test_not_utf8_names_row(tmp_path):
    path = tmp_path / "participants.csv"
    path.write_bytes("id,site\nP1,a\nP2,li\u00e8ge\n".encode("latin-1"))
    with pytest.raises(
        StudyDataError,
        match=r"participants\.csv: row 3: found bytes that are "
        r"not UTF-8 \(byte 0xe8\).*iconv",
    ):
        read_table(path)


def test_broken_excel(tmp_path):
    path = tmp_path / "survey.xlsx"
    path.write_bytes(b"not a workbook")
    with pytest.raises(StudyDataError, match="found an unreadable Excel file"):
        read_table(path)


def test_raw_file_not_modified(tmp_path):
    path = tmp_path / "survey.csv"
    data = b"participant_id;eng_1\r\nP1;3\r\n"
    path.write_bytes(data)
    read_table(path)
    assert path.read_bytes() == data
