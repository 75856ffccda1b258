"""SPSS / Stata import: real test files of haven (MIT) and pyreadstat (Apache-2.0), copied with
SOURCE.txt, and a Likert block written here with pyreadstat.write_sav.

Expected values are those stored in the files (value labels, user-missing definitions, data),
as listed by pyreadstat's and haven's own tests for these files.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from partner_study.codebook import parse_codebook
from partner_study.errors import StudyDataError
from partner_study.io import _limits
from partner_study.io.spss import import_spss, import_stata
from partner_study.validate import validate_study
from partner_study.writer import write_raw_study

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "import" / "spss"
REAL = HERE.parents[1] / "shared" / "realdata"
GPL_SKIP = (
    "GPL-licensed real data is never copied into the project; this test reads it from "
    "../shared/realdata, which is absent here"
)
LIKERT = {
    1.0: "Strongly disagree",
    2.0: "Disagree",
    3.0: "Neutral",
    4.0: "Agree",
    5.0: "Strongly agree",
    9.0: "No answer",
}


def validated(raw, tmp_path):
    folder = tmp_path / "study"
    write_raw_study(raw, folder)
    return validate_study(folder)


def codebook(raw):
    return parse_codebook(raw.codebook_text)


def test_user_missing_values_and_value_labels(tmp_path):
    # pyreadstat test_data/basic/sample_missing.sav: mylabl {1 Male, 2 Female, -1 undetermined}
    # missing -1; myord missing -1, -2, -3; mynum missing range 2000-3000 and -1
    raw = import_spss(DATA / "pyreadstat__basic__sample_missing.sav", site="s", role="patient")
    study = validated(raw, tmp_path)
    cb = codebook(raw)
    assert cb.variables["mylabl"].levels == {"1": "Male", "2": "Female"}
    assert cb.variables["mylabl"].missing == ("-1",)
    assert cb.variables["myord"].levels == {"1": "low", "2": "medium", "3": "high"}
    assert cb.variables["myord"].missing == ("-1", "-2", "-3")
    assert cb.variables["mynum"].type == "number"
    assert set(cb.variables["mynum"].missing) == {"-1", "2500"}
    assert any("missing range 2000 to 3000" in n for n in raw.notes)
    assert raw.participants["mylabl"].tolist() == ["1", "2", "1", "2", "1", "-1", ""]
    assert raw.participants["mynum"].tolist()[:3] == ["1.1", "1.2", "-1000.3"]
    typed = study.participants["mylabl"].tolist()
    assert typed[:5] == ["Male", "Female", "Male", "Female", "Male"] and pd.isna(typed[5])
    assert cb.variables["mydate"].type == "text"
    assert raw.participants["mydate"].tolist()[0] == "2018-05-06"


def test_windows_1252_file(tmp_path):
    raw = import_spss(DATA / "pyreadstat__basic__sample.sav", site="s", role="patient")
    validated(raw, tmp_path)
    assert "encoding windows-1252" in raw.notes[0]
    assert raw.participants["mychar"].tolist() == ["a", "b", "c", "d", "e"]


def test_labelled_numeric_with_user_missing(tmp_path):
    # haven tests/testthat/spss/labelled-num-na.sav: VAR00002 = 1, 9; label 1 'This is one';
    # 9 is user-missing
    raw = import_spss(DATA / "haven__spss__labelled-num-na.sav", site="s", role="patient")
    study = validated(raw, tmp_path)
    cb = codebook(raw)
    assert cb.variables["var00002"].levels == {"1": "This is one"}
    assert cb.variables["var00002"].missing == ("9",)
    assert cb.variables["var00002"].label == "Only one value"
    assert raw.participants["var00002"].tolist() == ["1", "9"]
    assert study.participants["var00002"].iloc[0] == "This is one"
    assert pd.isna(study.participants["var00002"].iloc[1])
    assert any("VAR00002 -> var00002" in n for n in raw.notes)


def test_labelled_string(tmp_path):
    # haven labelled-str.sav: gender M, F with labels F = Female, M = Male
    raw = import_spss(DATA / "haven__spss__labelled-str.sav", site="s", role="patient")
    study = validated(raw, tmp_path)
    assert codebook(raw).variables["gender"].levels == {"F": "Female", "M": "Male"}
    assert study.participants["gender"].tolist() == ["Male", "Female"]


def test_umlauts_and_wrong_encoding(tmp_path):
    # haven umlauts.sav: var1 'This is an ä-umlaut', labels 'the ä/ü/ö umlaut'
    raw = import_spss(DATA / "haven__spss__umlauts.sav", site="s", role="patient")
    validated(raw, tmp_path)
    var = codebook(raw).variables["var1"]
    assert var.label == "This is an \u00e4-umlaut"
    assert list(var.levels.values()) == [
        "the \u00e4 umlaut",
        "the \u00fc umlaut",
        "the \u00f6 umlaut",
    ]
    with pytest.raises(
        StudyDataError,
        match=r"umlauts\.sav: found text that can't be read with encoding 'ascii' "
        r".*Fix: pass the encoding the file was written in, e\.g\. "
        r"encoding='latin1'",
    ):
        import_spss(DATA / "haven__spss__umlauts.sav", encoding="ascii")


def test_stata_extended_missing_values(tmp_path):
    # haven tagged-na-double.dta: x = 1..5, .a, .h, .z; labels a 'apple', z '.zebra'
    raw = import_stata(DATA / "haven__stata__tagged-na-double.dta", site="s", role="patient")
    study = validated(raw, tmp_path)
    var = codebook(raw).variables["x"]
    assert (var.type, var.missing) == ("integer", (".a", ".h", ".z"))
    assert raw.participants["x"].tolist() == ["1", "2", "3", "4", "5", ".a", ".h", ".z"]
    np.testing.assert_array_equal(
        study.participants["x"].to_numpy(), [1, 2, 3, 4, 5, np.nan, np.nan, np.nan]
    )


def test_stata_missing_only_variables(tmp_path):
    # pyreadstat missing_test.dta: var1..var6 hold .a .b .c .x .y .z, var7/var8 '.', var9 1
    raw = import_spss(DATA / "pyreadstat__missing_data__missing_test.dta", site="s", role="patient")
    validated(raw, tmp_path)
    cb = codebook(raw)
    assert [raw.participants[f"var{k}"].iloc[0] for k in range(1, 10)] == [
        ".a",
        ".b",
        ".c",
        ".x",
        ".y",
        ".z",
        "",
        "",
        "1",
    ]
    assert cb.variables["var4"].missing == (".x",)


def test_multiple_response_sets_and_unlabelled_codes(tmp_path):
    # pyreadstat simple_alltypes.sav: mrset 'mymrset' = bool1..bool3 (dichotomy, counted 1);
    # x labels 1 red 2 green 3 blue, missing 7, 8, 99, data also 4 and 9; z missing -999..0, 999
    raw = import_spss(
        DATA / "pyreadstat__multiple_response__simple_alltypes.sav", site="s", role="patient"
    )
    validated(raw, tmp_path)
    cb = codebook(raw)
    assert cb.variables["bool1"].label == "My multiple response set: Response #1"
    assert any("'mymrset'" in n and "the value 1 means selected" in n for n in raw.notes)
    assert cb.variables["x"].levels == {"1": "red", "2": "green", "3": "blue", "4": "4", "9": "9"}
    assert cb.variables["x"].missing == ("7", "8", "99")
    assert set(cb.variables["z"].missing) == {"-9", "999"}


def write_likert_sav(path: Path, ids=("R1", "R2", "R3", "R4")) -> None:
    frame = pd.DataFrame(
        {
            "respondent_id": list(ids),
            "centre": [1.0, 1.0, 2.0, 2.0],
            "group": [1.0, 2.0, 1.0, 2.0],
            "overall": [4.0, 4.0, 2.0, 3.0],
            "Age": [54.0, 41.0, 67.0, np.nan],
            "tru1": [4.0, 5.0, 9.0, np.nan],
            "tru2": [4.0, 4.0, 2.0, np.nan],
            "tru3": [5.0, 3.0, 2.0, np.nan],
            "tru4": [3.0, 4.0, 1.0, np.nan],
        }
    )
    items = ["tru1", "tru2", "tru3", "tru4", "overall"]
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels=[
            "Respondent",
            "Centre",
            "Group",
            "Overall",
            "Age (years)",
            "I trust the team",
            "They keep promises",
            "I can be open",
            "They act in my interest",
        ],
        variable_value_labels={
            "centre": {1.0: "Liège", 2.0: "Oslo kommune"},
            "group": {1.0: "Patient", 2.0: "Professional"},
            **{c: LIKERT for c in items},
        },
        missing_ranges={c: [9.0] for c in items},
        variable_measure={"centre": "nominal", "group": "nominal"},
    )


def test_likert_block_becomes_a_scale(tmp_path):
    path = tmp_path / "trust.sav"
    write_likert_sav(path)
    raw = import_spss(path, site_column="centre", role_column="group", study="trust")
    study = validated(raw, tmp_path)
    cb = codebook(raw)
    assert list(cb.scales) == ["tru"]
    tru = cb.scales["tru"]
    assert tru.items == ("tru1", "tru2", "tru3", "tru4")
    assert (tru.low, tru.high, tru.min_items, tru.missing) == (1, 5, 2, ("9",))
    assert tru.labels == {
        1: "Strongly disagree",
        2: "Disagree",
        3: "Neutral",
        4: "Agree",
        5: "Strongly agree",
    }
    assert tru.item_labels["tru1"] == "I trust the team"
    # 'overall' has the same labels but is not adjacent to the block: a category
    assert cb.variables["overall"].levels["5"] == "Strongly agree"
    assert study.participants["participant_id"].tolist() == ["R1", "R2", "R3", "R4"]
    assert study.participants["site"].tolist() == ["liege"] * 2 + ["oslo_kommune"] * 2
    assert study.participants["role"].tolist() == ["patient", "professional"] * 2
    # R4 answered no item of the block
    assert study.scored["participant_id"].tolist() == ["R1", "R2", "R3"]
    assert pd.isna(study.scored.loc[2, "tru1"])  # 9 = no answer
    assert "age" in cb.variables and any("Age -> age" in n for n in raw.notes)


def test_block_without_a_common_name_is_numbered(tmp_path):
    path = tmp_path / "q.sav"
    frame = pd.DataFrame({"q1a": [1.0, 2.0], "q1b": [3.0, 4.0], "q1c": [5.0, 1.0]})
    # 9 'No answer' is labelled but not declared missing here: codes 1-5 and 9 are not a
    # consecutive response scale, so no scale (the heuristic needs 1..k)
    pyreadstat.write_sav(frame, str(path), variable_value_labels={c: LIKERT for c in frame.columns})
    assert codebook(import_spss(path, site="s", role="patient")).scales == {}
    pyreadstat.write_sav(
        frame,
        str(path),
        variable_value_labels={c: LIKERT for c in frame.columns},
        missing_ranges={c: [9.0] for c in frame.columns},
    )
    raw = import_spss(path, site="s", role="patient")
    validated(raw, tmp_path)
    assert codebook(raw).scales["scale_1"].items == ("q1a", "q1b", "q1c")
    assert any("numbered R0001" in n for n in raw.notes)


# --- bad input -------------------------------------------------------------------------------
def test_file_without_cases(tmp_path):
    path = tmp_path / "empty.sav"
    pyreadstat.write_sav(pd.DataFrame({"q1": pd.Series([], dtype=float)}), str(path))
    with pytest.raises(
        StudyDataError,
        match=r"empty\.sav: found a file without cases, expected "
        r"one row per participant",
    ):
        import_spss(path)


def test_missing_file():
    with pytest.raises(StudyDataError, match=r"none\.sav: found no such file, expected an SPSS"):
        import_spss(DATA / "none.sav")


def test_wrong_kind_of_file(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("id,q1\n1,2\n", encoding="utf-8")
    with pytest.raises(
        StudyDataError,
        match=r"survey\.csv: found a '\.csv' file, expected an SPSS "
        r"\.sav/\.zsav/\.por or Stata \.dta file\. Fix: save the data",
    ):
        import_spss(path)


def test_not_an_spss_file(tmp_path):
    path = tmp_path / "broken.sav"
    path.write_bytes(b"this is not SPSS")
    with pytest.raises(
        StudyDataError,
        match=r"broken\.sav: found a file pyreadstat cannot read .*expected a "
        r"valid \.sav file\. Fix: re-save it",
    ):
        import_spss(path)


def test_id_column_not_found(tmp_path):
    path = tmp_path / "trust.sav"
    write_likert_sav(path)
    with pytest.raises(
        StudyDataError,
        match=r"column 'pid': found no such variable, expected one of the file's "
        r"variables \('respondent_id', 'centre'",
    ):
        import_spss(path, id_column="pid")


def test_repeated_ids(tmp_path):
    path = tmp_path / "trust.sav"
    write_likert_sav(path, ids=("R1", "R2", "R1", "R4"))
    with pytest.raises(
        StudyDataError,
        match=r"column 'respondent_id': found empty or repeated ids in case\(s\) "
        r"1, 3 \(e\.g\. 'R1'\), expected one case per participant",
    ):
        import_spss(path)


def test_import_stata_needs_a_dta_file():
    with pytest.raises(
        StudyDataError,
        match=r"found a '\.sav' file, expected a Stata \.dta "
        r"file\. Fix: use import_spss",
    ):
        import_stata(DATA / "haven__spss__umlauts.sav")


# --- damaged and oversized files ------------------------------------------------------------
def damaged(tmp_path, source, patches, name):
    """A copy of a test file with some bytes changed (offset -> new byte)."""
    data = bytearray((DATA / source).read_bytes())
    for offset, value in patches.items():
        data[offset] = value
    path = tmp_path / name
    path.write_bytes(bytes(data))
    return path


# The reader's own failures, whatever their kind, are reported (its wording may change).
UNREADABLE = (
    r"found (a file that made the SPSS/Stata reader crash|a file pyreadstat cannot read|"
    r"a damaged file|text that is not in the file's declared encoding)"
)


def test_file_that_crashes_the_reader(tmp_path):
    """Byte 182 is in the first variable record (its type, i.e. string width): 0xE9 there
    made pyreadstat 1.3.7 end the process with a segmentation fault."""
    path = damaged(tmp_path, "haven__spss__labelled-num-na.sav", {182: 0xE9}, "width.sav")
    with pytest.raises(StudyDataError, match=rf"width\.sav: {UNREADABLE}.*Fix: re-save it"):
        import_spss(path)


def test_damaged_file_failing_inside_the_reader(tmp_path):
    # byte 73 is in the compression code of the header: the data then decode to dates
    # out of range (OverflowError in pyreadstat 1.3.7)
    path = damaged(
        tmp_path, "pyreadstat__multiple_response__simple_alltypes.sav", {73: 203}, "dates.sav"
    )
    with pytest.raises(StudyDataError, match=rf"dates\.sav: {UNREADABLE}.*Fix: "):
        import_spss(path)


def test_label_bytes_that_are_not_in_the_declared_encoding(tmp_path):
    # byte 549 is inside a value label of this UTF-8 file: 0xFA is not UTF-8 there
    path = damaged(tmp_path, "haven__spss__umlauts.sav", {549: 0xFA}, "label.sav")
    with pytest.raises(StudyDataError, match=rf"label\.sav: {UNREADABLE}.*Fix: "):
        import_spss(path)


def test_unknown_encoding_is_named():
    with pytest.raises(
        StudyDataError,
        match=r"sample\.sav: found text that can't be read with encoding 'no-such-encoding' "
        r"\(.*\), expected labels and strings readable in one encoding\. Fix: pass the "
        r"encoding the file was written in",
    ):
        import_spss(DATA / "pyreadstat__basic__sample.sav", encoding="no-such-encoding")


def test_more_variables_than_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(_limits, "MAX_COLUMNS", 3)
    path = tmp_path / "trust.sav"
    write_likert_sav(path)
    with pytest.raises(
        StudyDataError,
        match=r"trust\.sav: found 9 variables, expected at most 3\. Fix: check that this is "
        r"the right file",
    ):
        import_spss(path)


def test_more_values_than_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(_limits, "MAX_CELLS", 20)  # 9 variables: at most 2 cases
    path = tmp_path / "trust.sav"
    write_likert_sav(path)
    with pytest.raises(
        StudyDataError,
        match=r"trust\.sav: found more than 2 cases of 9 variables, expected at most 20 values "
        r"\(cases x variables\)",
    ):
        import_spss(path)


def test_file_larger_than_the_limit(monkeypatch):
    monkeypatch.setattr(_limits, "MAX_FILE_BYTES", 100)
    with pytest.raises(
        StudyDataError,
        match=r"umlauts\.sav: found a file of 567 bytes, expected at most 100 bytes for an "
        r"import\. Fix: check that this is the right file",
    ):
        import_spss(DATA / "haven__spss__umlauts.sav")


def test_string_longer_than_the_cell_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(_limits, "MAX_CELL_CHARS", 5)
    path = tmp_path / "notes.sav"
    pyreadstat.write_sav(
        pd.DataFrame({"id": [1.0, 2.0], "note": ["fine", "far too long"]}), str(path)
    )
    with pytest.raises(
        StudyDataError,
        match=r"notes\.sav: row 2, column 'note': found a cell of 12 characters, expected at "
        r"most 5",
    ):
        import_spss(path, site="s", role="patient")


# --- GPL real data, read in place -----------------------------------------------------------
@pytest.mark.skipif(not (REAL / "efc-spss").is_dir(), reason=GPL_SKIP)
def test_efc_cope_items_become_a_scale(tmp_path):
    # EUROFAMCARE: c82cop1 ... c90cop9, 4-point labels never/sometimes/often/always,
    # user-missing 9 (and 8 on some items)
    raw = import_spss(REAL / "efc-spss" / "data__EFC.sav", site="de", role="patient")
    study = validated(raw, tmp_path)
    cop = codebook(raw).scales["cop"]
    assert cop.items == tuple(f"c{81 + k}cop{k}" for k in range(1, 10))
    assert (cop.low, cop.high, cop.missing) == (1, 4, ("8", "9"))
    assert len(study.participants) == 908
