"""ATLAS.ti quotation export: a real export (ICSA26-supplementary-material, MIT; see
tests/data/import/atlasti/SOURCE.txt) and a Windows-layout workbook written for these tests."""

from pathlib import Path

import pandas as pd
import pytest

from partner_study import cli
from partner_study.codebook import parse_codebook
from partner_study.errors import StudyDataError
from partner_study.io.atlasti import import_atlasti
from partner_study.io.qdpx.table import split_listed

DATA = Path(__file__).resolve().parent / "data" / "import"
ATLAS = DATA / "atlasti"
REAL = ATLAS / "20250914_quotation_export.csv"


@pytest.fixture(scope="module")
def real():
    return import_atlasti(REAL)


def test_real_export(real):
    # 394 quotations (rows) of one document; their Codes cells list 1465 codes in all
    assert real.segments["segment_id"].nunique() == 394
    assert len(real.segments) == 1465
    assert real.participants["participant_id"].tolist() == ["[ATLAS] - Codifying Fragments"]
    cb = parse_codebook(real.codebook_text)
    # the study's 18 themes are the 'T1. ...: ' prefixes of the code names, plus in-vivo codes
    assert len(cb.themes) == 19 and cb.themes["in_vivo"] == "In vivo"
    # quotation 1:3: 'T2. Security, Privacy & Trust Management: Access Control' holds ', '
    q13 = real.segments[real.segments["segment_id"] == "1:3"]
    labels = sorted(cb.codes[c].label for c in q13["code"])
    assert labels == ["Access Control", "Authentication Methods", "Communication Protocol"]
    assert {cb.codes[c].theme for c in q13["code"]} == {
        "t1_edge_connectivity_communication_protocols",
        "t2_security_privacy_trust_management",
    }


def test_real_code_list_gives_the_same_split(real):
    with_list = import_atlasti(REAL, codebook=ATLAS / "20250914_codebook_full.csv")
    assert (
        with_list.segments.groupby("segment_id")
        .size()
        .equals(real.segments.groupby("segment_id").size())
    )
    assert "30 code(s) of it are not applied in the export" in "\n".join(with_list.notes)


def test_windows_workbook_with_codebook():
    raw = import_atlasti(
        ATLAS / "quotations.xlsx", codebook=DATA / "qdpx" / "tools" / "codebook-atlasti.qdc"
    )
    cb = parse_codebook(raw.codebook_text)
    # codes one per line; code groups of the codebook as themes
    assert raw.segments.groupby("segment_id").size().to_dict() == {
        "1:1": 1,
        "1:2": 2,
        "2:1": 2,
        "2:2": 1,
    }
    assert cb.codes["time_pressure"].theme == "barriers"
    assert cb.codes["we_are_a_team"].theme == "in_vivo"
    assert "hospital_rules" in cb.codes  # in the codebook, not applied
    assert set(raw.segments["coder"]) == {"Marie", "Tom"}
    assert "- 1: no code (rows 6)" in raw.import_record


def test_split_of_listed_codes():
    cells = pd.Series(["A: x, B, C: y", "B", "A: x", "Q, R", "one\ntwo, three"])
    counts = pd.Series(["2", "1", "1", "", "2"])
    split = split_listed(cells, counts, set()).tolist()
    assert split == [["A: x", "B, C: y"], ["B"], ["A: x"], ["Q", "R"], ["one", "two, three"]]
    assert split_listed(cells[:1], None, {"B"}).tolist() == [["A: x", "B", "C: y"]]


def test_maxqda_export_is_named(tmp_path):
    with pytest.raises(
        StudyDataError,
        match=r"row 1: found the columns of MAXQDA's export .*Fix: import it with "
        r"`partner-study import maxqda",
    ):
        import_atlasti(DATA / "maxqda" / "coded-segments.xlsx")


def test_codebook_only_command(tmp_path, capsys):
    out = tmp_path / "codes.yaml"
    assert (
        cli.main(["import", "qdc", str(ATLAS / "20250914_codebook_full.csv"), "--out", str(out)])
        == 0
    )
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Draft themes and codes from 20250914_codebook_full.csv")
    assert "adverse_network_conditions:" in text
    assert cli.main(["import", "qdc", str(ATLAS / "quotations.xlsx"), "--out", str(out)]) == 2
    assert "found an existing file" in capsys.readouterr().err
