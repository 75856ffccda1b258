"""MAXQDA coded segments export (tests/data/import/maxqda, written for these tests by
make_exports.py in MAXQDA's layout: no MAXQDA export under a permissive licence was found)."""

from pathlib import Path

import pytest

from partner_study import cli
from partner_study.codebook import parse_codebook
from partner_study.errors import StudyDataError
from partner_study.io import read_table
from partner_study.io.maxqda import import_maxqda
from partner_study.validate import validate_study
from partner_study.writer import write_raw_study

DATA = Path(__file__).resolve().parent / "data" / "import"
MAXQDA = DATA / "maxqda"


def validated(raw, tmp_path):
    write_raw_study(raw, tmp_path / "study")
    return validate_study(tmp_path / "study")


def test_coded_segments_export(tmp_path):
    raw = import_maxqda(MAXQDA / "coded-segments.xlsx")
    study = validated(raw, tmp_path)
    cb = parse_codebook(raw.codebook_text)
    # 'Parent\Child\Grandchild': the top-level code is the theme, the last part the label
    assert (cb.codes["test_results"].theme, cb.codes["test_results"].label) == (
        "partnership",
        "Test results",
    )
    assert cb.themes == {"partnership": "Partnership", "barriers": "Barriers"}
    seg = study.segments
    # one segment (document, Beginning, End, text) coded by MK and AB: one unit, two rows
    first = seg[seg["text"] == "P01: Deciding together with my doctor."]
    assert first["segment_id"].nunique() == 1 and sorted(first["coder"]) == ["AB", "MK"]
    assert (first["start"].iloc[0], first["end"].iloc[0]) == (2, 2)
    assert study.participants["document_group"].tolist() == [
        "Interviews",
        "Interviews",
        "Focus groups",
    ]
    # a text a spreadsheet would run is written neutralised and reads back as it was
    assert "'=1+1 is what" in (tmp_path / "study" / "segments.csv").read_text(encoding="utf-8")
    assert "=1+1 is what the nurse wrote on the board" in set(seg["text"])
    assert "| `Weight score` | coding weight" in raw.import_record


def test_facesheet_and_focus_group_speakers(tmp_path):
    raw = import_maxqda(MAXQDA / "coded-segments.xlsx", participants=MAXQDA / "facesheet.xlsx")
    study = validated(raw, tmp_path)
    parts = study.participants.set_index("participant_id")
    assert parts.index.tolist() == ["P01", "N01", "Anna", "Ben"]
    assert parts["role"].tolist() == ["patient", "nurse", "patient", "patient"]
    assert parts["collection"].tolist() == ["interview", "interview", "focus_group", "focus_group"]
    assert "phone" not in parts.columns
    assert not study.segments["text"].str.startswith("Moderator").any()
    assert "2: said by someone who is not a participant ('Moderator')" in raw.import_record


def test_german_csv():
    raw = import_maxqda(MAXQDA / "kodierte-segmente.csv")
    cb = parse_codebook(raw.codebook_text)
    assert cb.codes["gemeinsam_entscheiden"].theme == "partnerschaft"
    assert raw.participants["participant_id"].tolist() == ["P01 Interview", "P02 Interview"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            DATA / "atlasti" / "quotations.xlsx",
            r"quotations\.xlsx: row 1: found the columns of ATLAS\.ti's export .*, expected a "
            r"MAXQDA export\. Fix: import it with `partner-study import atlasti FILE",
        ),
        (
            DATA / "qdpx" / "oltas0517.qdpx",
            r"oltas0517\.qdpx: found a REFI-QDA project or archive, not a table.*Fix: import a "
            r"project with `partner-study import qdpx",
        ),
        (
            DATA / "taguette" / "highlights_old.csv",
            r"row 1: found the columns of Taguette's export",
        ),
    ],
)
def test_another_program_s_export_is_named(path, message):
    with pytest.raises(StudyDataError, match=message):
        import_maxqda(path)


def test_missing_columns(tmp_path):
    path = tmp_path / "segments.csv"
    path.write_text("Document name,Segment\nP01,hello\n", encoding="utf-8")
    with pytest.raises(
        StudyDataError,
        match=r"segments\.csv: row 1: found the columns 'Document name', 'Segment' \(no 'Code'\), "
        r"expected a MAXQDA export with the columns 'Document name', 'Code', 'Segment'\. Fix: in "
        r"MAXQDA",
    ):
        import_maxqda(path)


def test_command_line_writes_the_study_record_and_params(tmp_path, monkeypatch, capsys):
    (tmp_path / "params").mkdir()
    monkeypatch.chdir(tmp_path)
    args = ["import", "maxqda", str(MAXQDA / "coded-segments.xlsx"), "--out", "data/raw/mq"]
    assert cli.main(args) == 0
    assert sorted(p.name for p in (tmp_path / "data" / "raw" / "mq").iterdir()) == [
        "IMPORT.md",
        "codebook.yaml",
        "participants.csv",
        "segments.csv",
    ]
    params = (tmp_path / "params" / "mq.yaml").read_text(encoding="utf-8")
    # no role has 5 participants: every count would be hidden, so the draft turns disclosure
    # control off and says so (and the report will too)
    assert "data: data/raw/mq" in params and "suppress_below: 0" in params
    assert "before sharing any output" in params
    assert "wrote params/mq.yaml" in capsys.readouterr().out
    # a failing import writes nothing: no study folder, no params file
    bad = ["import", "maxqda", str(DATA / "atlasti" / "quotations.xlsx"), "--out", "data/raw/b"]
    assert cli.main(bad) == 2
    err = capsys.readouterr().err
    assert "Fix: import it with `partner-study import atlasti" in err and "Traceback" not in err
    assert sorted(p.name for p in (tmp_path / "data" / "raw").iterdir()) == ["mq"]
    assert not (tmp_path / "params" / "b.yaml").exists()
    assert read_table(tmp_path / "data" / "raw" / "mq" / "segments.csv").shape[0] == 11
