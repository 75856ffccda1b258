"""REDCap import: real REDCapR test projects (MIT, copied with SOURCE.txt) and made fixtures.

Expected values are read off the source files themselves (the dictionary's choices, the
exported values), never off an earlier run of the importer.
"""

import time
from pathlib import Path

import pandas as pd
import pytest

from partner_study.codebook import parse_codebook
from partner_study.errors import StudyDataError
from partner_study.io import _limits
from partner_study.io.redcap import import_redcap
from partner_study.io.redcap.dictionary import _choices, _clean_label
from partner_study.validate import validate_study
from partner_study.writer import write_raw_study

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "import" / "redcap"
REAL = HERE.parents[1] / "shared" / "realdata"
GPL_SKIP = (
    "GPL-licensed real data is never copied into the project; this test reads it from "
    "../shared/realdata, which is absent here"
)


def pair(name: str) -> tuple[Path, Path]:
    return DATA / f"{name}__data.csv", DATA / f"{name}__dictionary.csv"


def validated(raw, tmp_path):
    folder = tmp_path / "study"
    write_raw_study(raw, folder)
    return validate_study(folder)


def codebook(raw):
    return parse_codebook(raw.codebook_text)


# --- real projects ---------------------------------------------------------------------------
def test_simple_project_validates_drops_identifiers_and_declares_odd_values(tmp_path):
    raw = import_redcap(*pair("simple"), site="ok_clinic", role="patient")
    study = validated(raw, tmp_path)
    cb = codebook(raw)
    # simple__data.csv: records 1-5
    assert study.participants["participant_id"].tolist() == ["1", "2", "3", "4", "5"]
    # name_first, email, dob ... are flagged 'y' in the Identifier? column of the dictionary
    for identifier in ("name_first", "name_last", "address", "telephone", "email", "dob"):
        assert identifier not in raw.participants.columns
    # sex is radio "0, Female | 1, Male" but the export holds FALSE/TRUE
    assert cb.variables["sex"].levels == {"0": "Female", "1": "Male"}
    assert set(cb.variables["sex"].missing) == {"FALSE", "TRUE"}
    assert any(n.startswith("sex: value(s) 'FALSE', 'TRUE'") for n in raw.notes)
    # race is a checkbox "1, American Indian/Alaska Native | ... | 5, White | 6, Unknown"
    assert [c for c in raw.participants.columns if c.startswith("race___")] == [
        f"race___{k}" for k in range(1, 7)
    ]
    assert cb.variables["race___5"].label == "Race (Select all that apply): White"
    assert study.participants["race___5"].tolist() == ["Checked"] * 4 + ["Unchecked"]
    assert set(study.participants["site"]) == {"ok_clinic"}


def test_checkbox_numeric_and_letter_codes_expand_to_one_variable_per_option(tmp_path):
    raw = import_redcap(*pair("checkboxes-1"), site="site_a", role="patient")
    study = validated(raw, tmp_path)
    cb = codebook(raw)
    expanded = [c for c in raw.participants.columns if "___" in c]
    # check_one: "1, one|2, two|3, three|4, four"; check_two: "a, A|b, B|c, C|d, D|e, E"
    assert expanded == [
        *(f"check_one___{k}" for k in "1234"),
        *(f"check_two___{k}" for k in "abcde"),
    ]
    assert cb.variables["check_two___c"].levels == {"0": "Unchecked", "1": "Checked"}
    assert cb.variables["check_two___c"].label == "check two: C"
    # record 1: "check_two___a should be 1 - check_two___c should be 1"
    row = study.participants.set_index("participant_id").loc["1"]
    assert (row["check_two___a"], row["check_two___b"], row["check_two___c"]) == (
        "Checked",
        "Unchecked",
        "Checked",
    )


def test_longitudinal_export_without_event_names_the_events_and_the_fix():
    with pytest.raises(
        StudyDataError,
        match=r"longitudinal__data\.csv: column 'redcap_event_name': found a longitudinal export "
        r"with 12 events \('enrollment_arm_1', 'dose_1_arm_1', .*expected one row per "
        r"participant\. Fix: choose the event .*event='enrollment_arm_1'",
    ):
        import_redcap(*pair("longitudinal"))


def test_longitudinal_export_keeps_the_chosen_event(tmp_path):
    raw = import_redcap(*pair("longitudinal"), event="enrollment_arm_1", site="s", role="patient")
    study = validated(raw, tmp_path)
    # longitudinal__data.csv: enrollment_arm_1 rows are records 100 and 220
    assert study.participants["participant_id"].tolist() == ["100", "220"]
    assert study.participants["age"].tolist() == [31.0, 4.0]
    assert any("event 'enrollment_arm_1'" in n for n in raw.notes)
    # forms of other events are empty at enrollment and left out
    assert "vld1" not in raw.participants.columns


def test_unknown_event_lists_the_events():
    with pytest.raises(
        StudyDataError,
        match=r"found no rows of event 'baseline', expected one "
        r"of the events 'enrollment_arm_1'",
    ):
        import_redcap(*pair("longitudinal"), event="baseline")


def test_event_on_a_classic_project_is_an_error():
    with pytest.raises(
        StudyDataError,
        match=r"found event='baseline' but no column "
        r"'redcap_event_name'.*Fix: leave out event=",
    ):
        import_redcap(*pair("simple"), event="baseline")


def test_repeating_instrument_rows_are_left_out(tmp_path):
    raw = import_redcap(*pair("repeating-instruments"), site="s", role="patient")
    study = validated(raw, tmp_path)
    # 6 rows: records 1 and 2 plus four 'bp' instances
    assert study.participants["participant_id"].tolist() == ["1", "2"]
    assert not {"bp_systolic", "bp_diastolic", "date_bp"} & set(raw.participants.columns)
    assert any(n.startswith("Repeating instruments ('bp')") and "4 row(s)" in n for n in raw.notes)


def test_bom_and_curly_quote_dictionary(tmp_path):
    data, dictionary = (
        DATA / "potentially-problematic__data.csv",
        DATA / "potentially-problematic-dictionary__dictionary.csv",
    )
    assert dictionary.read_bytes().startswith(b"\xef\xbb\xbf")  # the dictionary has a BOM
    raw = import_redcap(data, dictionary, site="s", role="patient")
    validated(raw, tmp_path)
    cb = codebook(raw)
    assert cb.variables["curly_quote_double_left"].label == 'Maybe I don\'t "look the part"'
    assert "\u2212or even ones" in cb.variables["long_dash"].label
    assert cb.variables["v1"].levels == {"0": "No", "1": "Yes", "3": "I should find out"}
    assert cb.variables["curly_quote_single"].levels["0"] == "(0) Never or Almost Never"


# --- made fixtures: API header style, matrix, letters, slider, site/role columns ---------------
def test_matrix_and_likert_blocks_become_scales(tmp_path):
    raw = import_redcap(
        *pair("matrix"), site_column="site_code", role_column="respondent", study="matrix"
    )
    study = validated(raw, tmp_path)
    cb = codebook(raw)
    eng = cb.scales["engagement"]  # matrix_group_name 'engagement'
    assert eng.items == ("eng_1", "eng_2", "eng_3")
    assert (eng.low, eng.high, eng.min_items) == (1, 5, 2)
    assert eng.labels[1] == "Strongly disagree" and eng.labels[5] == "Strongly agree"
    assert eng.missing == ("9",)  # record 102 answered 9 to eng_3
    com = cb.scales["com"]  # three adjacent 5-point radios of one form, no matrix
    assert com.items == ("com_1", "com_2", "com_3")
    # a single 4-point dropdown is not a scale
    assert cb.variables["eng_level"].levels["4"] == "partnership"
    # record 103 answered nothing in the partnership form
    assert study.scored["participant_id"].tolist() == ["101", "102", "104"]
    assert pd.isna(study.scored.set_index("participant_id").loc["102", "eng_3"])
    parts = study.participants.set_index("participant_id")
    assert parts["site"].tolist() == [
        "belgian_hospital",
        "belgian_hospital",
        "quebec_etablissement",
        "quebec_etablissement",
    ]
    assert parts["role"].tolist() == ["patient", "professional", "patient", "professional"]
    assert "email" not in raw.participants.columns
    assert cb.variables["age"].missing == ("UNK",)
    assert (cb.variables["age"].min, cb.variables["age"].max) == (18, 100)
    assert (cb.variables["wellbeing"].min, cb.variables["wellbeing"].max) == (0, 100)
    assert cb.variables["member"].levels == {"0": "No", "1": "Yes"}
    assert parts.loc["103", "condition___diab"] == "Checked"
    assert cb.variables["condition___ca"].label == "Long-term conditions: Cancer"


def test_excel_works_like_csv(tmp_path):
    data, dictionary = pair("matrix")
    xdata, xdict = tmp_path / "records.xlsx", tmp_path / "dictionary.xlsx"
    for src, dst in ((data, xdata), (dictionary, xdict)):
        pd.read_csv(src, dtype=str, keep_default_na=False).to_excel(dst, index=False)
    kwargs = {"site_column": "site_code", "role_column": "respondent"}
    from_csv = import_redcap(data, dictionary, **kwargs)
    from_xlsx = import_redcap(xdata, xdict, **kwargs)
    pd.testing.assert_frame_equal(from_csv.participants, from_xlsx.participants)
    pd.testing.assert_frame_equal(from_csv.survey, from_xlsx.survey)
    validated(from_xlsx, tmp_path)


def test_import_is_deterministic():
    first = import_redcap(*pair("matrix"), site="a", role="patient")
    second = import_redcap(*pair("matrix"), site="a", role="patient")
    assert first.codebook_text == second.codebook_text
    assert first.notes == second.notes


def test_defaults_are_noted():
    raw = import_redcap(*pair("checkboxes-1"))
    assert set(raw.participants["site"]) == {"site_1"}
    assert set(raw.participants["role"]) == {"participant"}  # no study's own role name
    assert any("everyone was given site 'site_1'" in n for n in raw.notes)
    assert any("everyone was given role 'participant'" in n for n in raw.notes)


def test_site_from_data_access_group(tmp_path):
    data, dictionary = pair("matrix")
    records = pd.read_csv(data, dtype=str, keep_default_na=False)
    records.insert(1, "redcap_data_access_group", ["brussels", "brussels", "oslo", "oslo"])
    raw = import_redcap(records, dictionary, role="patient")
    study = validated(raw, tmp_path)
    assert study.participants["site"].tolist() == ["brussels", "brussels", "oslo", "oslo"]
    assert any("Site taken from the source's 'redcap_data_access_group'" in n for n in raw.notes)


# --- bad input -------------------------------------------------------------------------------
def test_dictionary_without_fields():
    data, _ = pair("simple")
    empty = pd.DataFrame({"Variable / Field Name": [""], "Field Type": [""]})
    with pytest.raises(
        StudyDataError,
        match=r"found a dictionary without fields, expected one "
        r"row per REDCap field\. Fix: download",
    ):
        import_redcap(data, empty)


def test_empty_record_id():
    _, dictionary = pair("simple")
    records = pd.DataFrame({"record_id": ["1", ""], "age": ["30", "40"]})
    with pytest.raises(
        StudyDataError,
        match=r"row 3, column 'record_id': found an empty record "
        r"id on row\(s\) 3.*Fix: give every record its id",
    ):
        import_redcap(records, dictionary)


def test_empty_site_name():
    with pytest.raises(
        StudyDataError,
        match=r"found an empty site name, expected a site name\. "
        r"Fix: pass --site NAME",
    ):
        import_redcap(*pair("simple"), site="  ")


def test_dictionary_without_its_columns():
    data, _ = pair("simple")
    bad = pd.DataFrame({"name": ["record_id"], "type": ["text"]})
    with pytest.raises(
        StudyDataError,
        match=r"<REDCap dictionary data frame>: row 1: found the columns 'name', "
        r"'type', expected a REDCap data dictionary with 'Variable / Field "
        r"Name' and 'Field Type' columns .*Fix: download the dictionary",
    ):
        import_redcap(data, bad)


def test_records_without_the_record_id_column():
    _, dictionary = pair("simple")
    records = pd.DataFrame({"study_id": ["1"], "age": ["30"]})
    with pytest.raises(
        StudyDataError,
        match=r"row 1, column 'record_id': found no record id column \(columns: "
        r"'study_id', 'age'\), expected the record id field 'record_id'.*"
        r"Fix: export the records as 'CSV \(raw data\)'",
    ):
        import_redcap(records, dictionary)


def test_repeated_record_ids():
    _, dictionary = pair("simple")
    records = pd.DataFrame({"record_id": ["1", "2", "1"], "age": ["30", "40", "50"]})
    with pytest.raises(
        StudyDataError,
        match=r"row 2, column 'record_id': found record id\(s\) used on several "
        r"rows \('1'\) on row\(s\) 2, 4.*Fix: keep one row per participant",
    ):
        import_redcap(records, dictionary)


def test_missing_role_column():
    with pytest.raises(
        StudyDataError,
        match=r"column 'job': found no such column, expected the column holding "
        r"each participant's role .*Fix: pass role_column=",
    ):
        import_redcap(*pair("matrix"), role_column="job")


def test_empty_role_cells():
    data, dictionary = pair("matrix")
    records = pd.read_csv(data, dtype=str, keep_default_na=False)
    records.loc[2, "respondent"] = ""
    with pytest.raises(
        StudyDataError,
        match=r"row 4, column 'respondent': found no role on 1 row\(s\) \(rows 4\)"
        r", expected a role for every participant",
    ):
        import_redcap(records, dictionary, role_column="respondent")


def test_missing_file():
    _, dictionary = pair("simple")
    with pytest.raises(StudyDataError, match=r"nope\.csv: found no such file"):
        import_redcap(DATA / "nope.csv", dictionary)


# --- malformed and oversized input ------------------------------------------------------------
def test_field_repeated_in_the_dictionary(tmp_path):
    data, dictionary = pair("simple")
    lines = dictionary.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    # lines[9] is the 'sex' field (row 10 as a spreadsheet shows it), lines[8] is 'age'
    assert lines[9].startswith("sex,") and lines[8].startswith("age,")
    repeated = tmp_path / "dictionary.csv"
    repeated.write_text("".join([*lines, lines[9], lines[8]]), encoding="utf-8")
    with pytest.raises(StudyDataError) as caught:
        import_redcap(data, repeated, site="ok_clinic", role="patient")
    message = str(caught.value)
    assert message.startswith("2 problems found in the study data:")
    assert (
        f"{repeated}: row 18, column 'Variable / Field Name': found the field 'sex' a second "
        "time (first on row 10), expected each field once. Fix: remove the repeated row, or "
        "rename the field in REDCap and download the data dictionary again" in message
    )
    assert "row 19, column 'Variable / Field Name': found the field 'age' a second time" in message


def test_column_names_repeated_in_a_data_frame():
    _, dictionary = pair("simple")
    records = pd.DataFrame([["1", "30", "40"]], columns=["record_id", "age", " age"])
    with pytest.raises(
        StudyDataError,
        match=r"<REDCap records data frame>: row 1, column 'age': found the column name a "
        r"second time \(columns 2 and 3\), expected each column name once\. Fix: rename",
    ):
        import_redcap(records, dictionary)


def test_more_columns_than_the_limit(monkeypatch):
    monkeypatch.setattr(_limits, "MAX_COLUMNS", 10)
    data, dictionary = pair("simple")
    with pytest.raises(
        StudyDataError,
        match=r"simple__data\.csv: row 1: found 24 columns, expected at most 10\. Fix: check",
    ):
        import_redcap(data, dictionary)


def test_dictionary_with_more_fields_than_the_limit(monkeypatch):
    monkeypatch.setattr(_limits, "MAX_COLUMNS", 5)
    records = pd.DataFrame({"record_id": ["1"], "q1": ["2"]})
    fields = pd.DataFrame(
        {"field_name": ["record_id", *(f"q{k}" for k in range(1, 7))], "field_type": "text"}
    )
    with pytest.raises(
        StudyDataError,
        match=r"<REDCap dictionary data frame>: found a dictionary of 7 fields, expected at "
        r"most 5\. Fix: check that this is the project's data dictionary",
    ):
        import_redcap(records, fields)


def test_cell_longer_than_the_limit(monkeypatch):
    # simple__data.csv: the first column with a cell over 30 characters is 'address'
    # ("14 Rose Cottage St.\nKenning UK, 323232", 38 characters) on row 2
    monkeypatch.setattr(_limits, "MAX_CELL_CHARS", 30)
    with pytest.raises(
        StudyDataError,
        match=r"simple__data\.csv: row 2, column 'address': found a cell of 38 characters, "
        r"expected at most 30\. Fix: check the quotes around that cell",
    ):
        import_redcap(*pair("simple"))


def test_file_larger_than_the_limit(monkeypatch):
    monkeypatch.setattr(_limits, "MAX_FILE_BYTES", 100)
    data, dictionary = pair("simple")
    size = data.stat().st_size / 1024
    with pytest.raises(
        StudyDataError,
        match=rf"simple__data\.csv: found a file of {size:.1f} kB, expected at most 100 bytes "
        r"for an import\. Fix: check that this is the right file",
    ):
        import_redcap(data, dictionary)


def test_choices_and_labels_are_parsed_in_linear_time():
    """Long runs of spaces or '<' (a damaged or hostile dictionary) once took quadratic time:
    100,000 characters took about 15 seconds."""
    started = time.perf_counter()
    assert _choices(" " * 100_000 + "1, Yes") == {"1": "Yes"}
    assert _clean_label("<" * 100_000 + "b>Age").endswith("< Age")
    assert time.perf_counter() - started < 1
    assert _clean_label('<span style="x">Age</span> <b>(years)</b>') == "Age (years)"


# --- GPL real data, read in place -----------------------------------------------------------
@pytest.mark.skipif(not (REAL / "redcapapi").is_dir(), reason=GPL_SKIP)
def test_api_style_dictionary_from_redcapapi(tmp_path):
    folder = REAL / "redcapapi"
    raw = import_redcap(
        folder / "offlineConnectionFiles__TestRedcapAPI_Records.csv",
        folder / "offlineConnectionFiles__TestRedcapAPI_DataDictionary.csv",
        site="s",
        role="patient",
    )
    study = validated(raw, tmp_path)
    assert len(study.participants) == 20
    raw = import_redcap(
        folder / "extdata__data.csv", folder / "extdata__metadata.csv", site="s", role="patient"
    )
    assert parse_codebook(raw.codebook_text).variables["prereq_checkbox___abc"].levels == {
        "0": "Unchecked",
        "1": "Checked",
    }
    validated(raw, tmp_path / "api")
