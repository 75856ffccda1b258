import pandas as pd
import pytest

from partner_study.errors import StudyDataError
from partner_study.io import (
    escape_invisible,
    find_table,
    read_output_table,
    read_table,
    read_table_rows,
)


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
        match=r"participants\.csv: row 3, column 'site': found bytes that are "
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


# --------------------------------------------------------------------------- row numbers


def test_rows_are_those_a_spreadsheet_shows(tmp_path):
    """A blank line is a row; a cell holding line breaks is one row; leading blank lines
    move the header down."""
    path = tmp_path / "segments.csv"
    path.write_text(
        '\n\nid,text\nS1,one\n\nS2,"two\nlines\n\nof text"\nS3,three\n,\n\n', encoding="utf-8"
    )
    frame, rows = read_table_rows(path)
    assert frame["id"].tolist() == ["S1", "S2", "S3"]
    assert frame["text"].tolist() == ["one", "two\nlines\n\nof text", "three"]
    assert rows.header == 3
    assert rows.data.tolist() == [4, 6, 7]


def test_short_row_after_blank_line_and_multiline_cell_names_its_row(tmp_path):
    path = tmp_path / "segments.csv"
    path.write_text('id,code,text\nS1,a,x\n\nS2,b,"two\nlines"\nS3,c\nS4,d,y\n', encoding="utf-8")
    with pytest.raises(
        StudyDataError,
        match=r"segments\.csv: row 5: found 2 fields \('S3,c'\), expected 3 fields, one per "
        r"column of the header\. Fix: put back the missing ','",
    ):
        read_table(path)


def test_long_row_names_its_row(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("id;eng_1\nP1;3\nP2;4;5\n", encoding="utf-8")
    with pytest.raises(
        StudyDataError, match=r"row 3: found 3 fields \('P2;4;5'\), expected 2 fields.*in double"
    ):
        read_table(path)


def test_long_first_row_is_not_taken_for_an_index(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("id,eng_1\nP1,3,4\nP2,4\n", encoding="utf-8")
    with pytest.raises(StudyDataError, match=r"row 2: found 3 fields"):
        read_table(path)


def test_many_short_rows_are_summarised(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("id,eng_1\n" + "P,1\nQ\n" * 10, encoding="utf-8")
    with pytest.raises(StudyDataError) as info:
        read_table(path)
    assert [p.row for p in info.value.problems[:5]] == [3, 5, 7, 9, 11]
    assert "the same problem on 5 more row(s) (rows 13, 15, 17, 19, 21)" in str(info.value)


def test_unclosed_quote_names_its_row(tmp_path):
    path = tmp_path / "segments.csv"
    path.write_text('id,text\nS1,x\nS2,"never closed\nS3,y\n', encoding="utf-8")
    with pytest.raises(
        StudyDataError, match=r"row 3: found a quote that is not closed.*written twice"
    ):
        read_table(path)


def test_stray_quote_inside_a_cell_is_text(tmp_path):
    path = tmp_path / "segments.csv"
    path.write_text('id,text\nS1,5" screen\nS2,y\n', encoding="utf-8")
    assert read_table(path)["text"].tolist() == ['5" screen', "y"]


# --------------------------------------------------------------------------- header


def test_duplicated_header_named_as_written(tmp_path):
    path = tmp_path / "participants.csv"
    path.write_text("id,site,age,role,x,y,age \nP1,a,30,r,1,2,31\n", encoding="utf-8")
    with pytest.raises(
        StudyDataError,
        match=r"participants\.csv: row 1, column 'age': found the column 2 times "
        r"\(columns 3 and 7\), expected each column once",
    ) as info:
        read_table(path)
    assert "age.1" not in str(info.value)


def test_trailing_empty_column_is_dropped_but_unnamed_values_are_reported(tmp_path):
    path = tmp_path / "participants.csv"
    path.write_text("id,site,\nP1,a,\nP2,b,\n", encoding="utf-8")
    assert list(read_table(path).columns) == ["id", "site"]
    path.write_text("id,site,\nP1,a,\nP2,b,7\n", encoding="utf-8")
    with pytest.raises(
        StudyDataError, match=r"row 1: found a column without a name \(column 3\) that holds"
    ):
        read_table(path)


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"])
def test_reads_utf16_and_utf32(tmp_path, codec):
    path = tmp_path / "participants.csv"
    path.write_bytes("id\tsite\r\nP1\tli\u00e8ge\r\nP2\t\u0141\u00f3d\u017a\r\n".encode(codec))
    frame = read_table(path)
    assert list(frame.columns) == ["id", "site"]
    assert frame["site"].tolist() == ["li\u00e8ge", "\u0141\u00f3d\u017a"]


def test_broken_utf16_gives_the_utf16_fix(tmp_path):
    path = tmp_path / "participants.csv"
    path.write_bytes("id,site\nP1,a\n".encode("utf-16") + b"\x00\xd8")  # a lone surrogate
    with pytest.raises(StudyDataError, match=r"not UTF-16.*iconv -f UTF-16 -t UTF-8") as info:
        read_table(path)
    assert "latin1" not in str(info.value)


def test_not_utf8_after_multiline_cell_names_row_and_column(tmp_path):
    path = tmp_path / "segments.csv"
    path.write_bytes('id,text\nS1,"a\nb"\n\nS2,li\u00e8ge\n'.encode("latin-1"))
    with pytest.raises(
        StudyDataError, match=r"row 4, column 'text': found bytes that are not UTF-8 \(byte 0xe8"
    ):
        read_table(path)


def test_nul_byte_names_row_and_column(tmp_path):
    path = tmp_path / "participants.csv"
    path.write_text('id,site\nP1,a\nP2,"b\nc"\nP3,d\x00e\n', encoding="utf-8")
    with pytest.raises(
        StudyDataError,
        match=r"participants\.csv: row 4, column 'site': found a NUL byte in 'd\\x00e', "
        r"expected text without NUL",
    ):
        read_table(path)


def test_workbook_named_csv(tmp_path):
    path = tmp_path / "survey.csv"
    pd.DataFrame({"participant_id": ["P1"]}).to_excel(path.with_suffix(".xlsx"), index=False)
    path.write_bytes(path.with_suffix(".xlsx").read_bytes())
    with pytest.raises(StudyDataError, match=r"found a zip archive \(an Excel workbook\?\)"):
        read_table(path)


def test_escape_invisible():
    assert escape_invisible("BE-0001\u200b") == "BE-0001\\u200b"
    assert escape_invisible("a\ufeffb\u00a0c\td\x00\U000e0041") == (
        "a\\ufeffb\\xa0c\\td\\x00\\U000e0041"
    )
    assert escape_invisible("Li\u00e8ge \u0141\u00f3d\u017a") == "Li\u00e8ge \u0141\u00f3d\u017a"


# --------------------------------------------------------------------------- Excel


def _workbook(path, rows):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for r, row in rows.items():
        for c, value in enumerate(row, start=1):
            sheet.cell(row=r, column=c, value=value)
    book.save(path)


def test_excel_rows_and_values(tmp_path):
    path = tmp_path / "participants.xlsx"
    _workbook(path, {2: ["id", "age", "ok"], 3: ["P1", 30.0, True], 5: ["P2", 2.5, None]})
    frame, rows = read_table_rows(path)
    assert frame.to_dict("list") == {"id": ["P1", "P2"], "age": ["30", "2.5"], "ok": ["True", ""]}
    assert rows.header == 2 and rows.data.tolist() == [3, 5]


def test_excel_formula_without_value_names_the_cell(tmp_path):
    path = tmp_path / "participants.xlsx"
    _workbook(path, {1: ["id", "age"], 2: ["P1", 30], 3: ["P2", "=B2+1"]})  # no saved value
    with pytest.raises(
        StudyDataError,
        match=r"participants\.xlsx: row 3, column 'age': found a formula without a saved value "
        r"in cell B3 \('=B2\+1'\), expected a value\. Fix: open and save the file in Excel",
    ):
        read_table(path)


def test_excel_formula_with_saved_value_is_read(tmp_path):
    import zipfile

    plain = tmp_path / "plain.xlsx"
    _workbook(plain, {1: ["id", "age"], 2: ["P1", 30], 3: ["P2", "=B2+1"]})
    path = tmp_path / "participants.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<f>B2+1</f><v></v>" in data
                data = data.replace(b"<f>B2+1</f><v></v>", b"<f>B2+1</f><v>31</v>")
            dst.writestr(item, data)
    assert read_table(path)["age"].tolist() == ["30", "31"]


def test_excel_duplicated_header(tmp_path):
    path = tmp_path / "participants.xlsx"
    _workbook(path, {1: ["id", "age", "age"], 2: ["P1", 30, 31]})
    with pytest.raises(StudyDataError, match=r"column 'age': found the column 2 times"):
        read_table(path)


def test_excel_too_large_when_unpacked(tmp_path, monkeypatch):
    import partner_study.io.xlsx as io_module

    path = tmp_path / "survey.xlsx"
    pd.DataFrame({"participant_id": ["P1"]}).to_excel(path, index=False)
    monkeypatch.setattr(io_module, "XLSX_MAX_BYTES", 100)
    with pytest.raises(StudyDataError, match=r"found an Excel file that unpacks to"):
        read_table(path)


# --------------------------------------------------------------------------- finding tables


def test_two_files_for_one_table(tmp_path):
    (tmp_path / "participants.csv").write_text("id\nP1\n", encoding="utf-8")
    pd.DataFrame({"id": ["P1"]}).to_excel(tmp_path / "participants.xlsx", index=False)
    with pytest.raises(
        StudyDataError,
        match=r"site/participants\.csv: found 2 files for the table 'participants' "
        r"\(participants\.csv, participants\.xlsx\), expected one file per table",
    ):
        find_table(tmp_path, "participants", display="site")
    assert find_table(tmp_path, "survey") is None


# --------------------------------------------------------------------------- output tables


def test_read_output_table_restores_neutralised_text(tmp_path):
    (tmp_path / "quotes.csv").write_text(
        "'=name,n,quote\n'=1+1,1,ok\n''-x,2,-0.5\n'a,3,'@b\n", encoding="utf-8"
    )
    frame = read_output_table(tmp_path, "quotes")
    assert list(frame.columns) == ["=name", "n", "quote"]
    assert frame["=name"].tolist() == ["=1+1", "'-x", "'a"]
    assert frame["quote"].tolist() == ["ok", "-0.5", "@b"]
    assert frame["n"].tolist() == [1, 2, 3]
    assert read_output_table(tmp_path, "nothing") is None
