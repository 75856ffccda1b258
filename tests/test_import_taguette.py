"""Taguette import: small exports written for these tests in the layouts Taguette produces
(tests/data/import/taguette), and the SERDIF usability study's real export (GPL-3, read in
place from ../shared/realdata when present)."""

from pathlib import Path

import pandas as pd
import pytest

from partner_study.codebook import parse_codebook
from partner_study.errors import StudyDataError
from partner_study.io import _limits
from partner_study.io.taguette import import_taguette
from partner_study.validate import validate_study
from partner_study.writer import write_raw_study

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "import" / "taguette"
REAL = HERE.parents[1] / "shared" / "realdata"
GPL_SKIP = (
    "GPL-licensed real data is never copied into the project; this test reads it from "
    "../shared/realdata, which is absent here"
)


def validated(raw, tmp_path):
    folder = tmp_path / "study"
    write_raw_study(raw, folder)
    return validate_study(folder)


def test_old_layout(tmp_path):
    raw = import_taguette(DATA / "highlights_old.csv", role="patient", site="be_hospital")
    study = validated(raw, tmp_path)
    cb = parse_codebook(raw.codebook_text)
    seg = study.segments
    assert study.participants["participant_id"].tolist() == ["P01", "P02", "P03"]
    assert set(study.participants["site"]) == {"be_hospital"}
    # highlight 11 has two tags: one segment, two rows
    h11 = seg[seg["segment_id"] == "11"]
    assert h11["code"].tolist() == ["common_language", "listening_skills"]
    # 'Information sharing/What' and 'Information sharing.With whom' share a theme
    assert cb.codes["what"].theme == cb.codes["with_whom"].theme == "information_sharing"
    assert cb.codes["what"].label == "What"
    # 'Dr. visits' is a flat tag (a dot followed by a space is not a separator)
    assert cb.codes["dr_visits"].theme == "dr_visits"
    # highlight 15 has no tag; highlight 16 is listed twice
    assert "15" not in set(seg["segment_id"])
    assert seg.loc[seg["segment_id"] == "16", "text"].tolist() == ['Nurses and me, "one team".']
    assert set(seg["coder"]) == {"coder_1"}
    assert any("1 highlight row(s) without a tag" in n for n in raw.notes)


def test_new_layout_with_parents(tmp_path):
    raw = import_taguette(DATA / "highlights_new.csv", role="professional", site="no_oslo")
    study = validated(raw, tmp_path)
    cb = parse_codebook(raw.codebook_text)
    # 21: tag_full_path 'Information sharing/What'; 22: tag_parent only
    assert cb.codes["what"].theme == "information_sharing"
    assert cb.codes["with_whom"].theme == "information_sharing"
    assert cb.codes["teamwork"].theme == "teamwork"
    assert study.segments.loc[study.segments["segment_id"] == "21", "code"].tolist() == [
        "what",
        "common_language",
    ]


def test_offsets_layout_and_pattern(tmp_path):
    raw = import_taguette(
        DATA / "highlights_offsets.csv",
        participant_pattern=r"participant-(\d+)",
        role="patient",
        site="s",
    )
    study = validated(raw, tmp_path)
    seg = study.segments
    assert seg["segment_id"].tolist() == ["31", "32", "33"]
    assert seg["participant_id"].tolist() == ["7", "7", "12"]
    assert seg["start"].tolist() == [120, 300, 15] and seg["end"].tolist() == [152, 341, 40]


def test_pattern_without_group():
    raw = import_taguette(DATA / "highlights_old.csv", participant_pattern=r"P\d+")
    assert raw.participants["participant_id"].tolist() == ["P01", "P02", "P03"]


def test_excel_export(tmp_path):
    path = tmp_path / "highlights.xlsx"
    pd.read_csv(DATA / "highlights_old.csv", dtype=str, keep_default_na=False).to_excel(
        path, index=False
    )
    from_csv = import_taguette(DATA / "highlights_old.csv")
    from_xlsx = import_taguette(path)
    pd.testing.assert_frame_equal(from_csv.segments, from_xlsx.segments)


def test_defaults_are_noted():
    raw = import_taguette(DATA / "highlights_old.csv")
    assert any(
        "everyone was given role 'participant'. Pass --role NAME (or edit participants.csv)" in n
        for n in raw.notes
    )


# --- bad input -------------------------------------------------------------------------------
def test_not_a_taguette_export(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("code,count\nteamwork,3\n", encoding="utf-8")
    with pytest.raises(
        StudyDataError,
        match=r"codes\.csv: row 1: found the columns 'code', 'count', expected a "
        r"Taguette highlights export with columns id, document, tag, content "
        r"\(missing: document, content\)\. Fix: in Taguette",
    ):
        import_taguette(path)


def test_document_without_participant_id(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(
        "id,document,tag,content\n1,interview_anna.odt,Teamwork,We plan.\n", encoding="utf-8"
    )
    with pytest.raises(
        StudyDataError,
        match=r"column 'document': found document name\(s\) without a participant "
        r"id: 'interview_anna\.odt', expected names matching "
        r"participant_pattern '\^\(P\\d\+\)'\. Fix: rename the documents",
    ):
        import_taguette(path)


def test_bad_pattern():
    with pytest.raises(
        StudyDataError,
        match=r"found participant_pattern '\(P' \(missing \), unterminated "
        r"subpattern.*expected a regular expression",
    ):
        import_taguette(DATA / "highlights_old.csv", participant_pattern="(P")


def test_export_without_any_tag(tmp_path):
    path = tmp_path / "untagged.csv"
    path.write_text(
        "id,document,tag,content\n1,P01_interview.odt,,We plan.\n2,P02.odt,,We talk.\n",
        encoding="utf-8",
    )
    with pytest.raises(
        StudyDataError,
        match=r"untagged\.csv: column 'tag': found no highlight with a tag \(2 row\(s\), every "
        r"tag empty\), expected highlights tagged with codes\. Fix: tag the highlights",
    ):
        import_taguette(path)


def test_highlight_longer_than_the_cell_limit(monkeypatch):
    # highlights_old.csv row 2: "We need words that both of us use, in the same way." (51)
    monkeypatch.setattr(_limits, "MAX_CELL_CHARS", 40)
    with pytest.raises(
        StudyDataError,
        match=r"highlights_old\.csv: row 2, column 'content': found a cell of 51 characters, "
        r"expected at most 40\. Fix: check the quotes around that cell",
    ):
        import_taguette(DATA / "highlights_old.csv")


def test_more_columns_than_the_limit(monkeypatch):
    monkeypatch.setattr(_limits, "MAX_COLUMNS", 3)
    with pytest.raises(
        StudyDataError, match=r"highlights_old\.csv: row 1: found 4 columns, expected at most 3"
    ):
        import_taguette(DATA / "highlights_old.csv")


def test_file_larger_than_the_limit(monkeypatch):
    monkeypatch.setattr(_limits, "MAX_FILE_BYTES", 100)
    with pytest.raises(
        StudyDataError,
        match=r"highlights_old\.csv: found a file of 590 bytes, expected at most 100 bytes for an "
        r"import\. Fix: check that this is the right file; if it is, export a smaller part "
        r"\(fewer documents\)",
    ):
        import_taguette(DATA / "highlights_old.csv")


# --- GPL real data, read in place -----------------------------------------------------------
@pytest.mark.skipif(not (REAL / "serdif-pssuq-taguette").is_dir(), reason=GPL_SKIP)
def test_serdif_export(tmp_path):
    raw = import_taguette(
        REAL / "serdif-pssuq-taguette" / "csv__all_tags_20220303.csv",
        role="patient",
        site="ie_serdif",
    )
    study = validated(raw, tmp_path)
    # 1,930 rows, 17 participants P1-P17, 22 tags (codebook_20220303_8.csv)
    assert len(study.segments) == 1930
    assert sorted(study.participants["participant_id"], key=lambda p: int(p[1:])) == [
        f"P{k}" for k in range(1, 18)
    ]
    assert len(parse_codebook(raw.codebook_text).codes) == 22
