import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from partner_study.errors import StudyDataError
from partner_study.validate import MAX_ROWS_LISTED, template_columns, validate_study

DATA = Path(__file__).parent / "data"
MALFORMED = sorted(p for p in (DATA / "malformed").iterdir() if p.is_dir())
WELLFORMED = sorted(p for p in (DATA / "wellformed").iterdir() if p.is_dir())


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_at_least_fifteen_malformed_cases():
    assert len(MALFORMED) >= 15


@pytest.mark.parametrize("case", MALFORMED, ids=[p.name for p in MALFORMED])
def test_malformed_copy_fails_with_message(case):
    expected = (case / "expected.txt").read_text(encoding="utf-8").strip()
    with pytest.raises(StudyDataError) as info:
        validate_study(case)
    message = str(info.value)
    assert re.search(expected, message), message
    for problem in info.value.problems:
        assert problem.file and problem.found and problem.expected and problem.fix
        assert (
            problem.row is not None
            or problem.line is not None
            or "more row(s) (rows" in problem.found
            or "no such file" in problem.found
            or "empty file" in problem.found
            or "files for the table" in problem.found
        )


@pytest.mark.parametrize("case", MALFORMED[:15], ids=[p.name for p in MALFORMED[:15]])
def test_cli_validate_malformed_exits_nonzero_without_traceback(case):
    before = tree_digest(case)
    proc = subprocess.run(
        [sys.executable, "-m", "partner_study.cli", "validate", str(case)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    expected = (case / "expected.txt").read_text(encoding="utf-8").strip()
    assert re.search(expected, proc.stderr), proc.stderr
    assert tree_digest(case) == before  # nothing written, raw data untouched


@pytest.mark.parametrize("case", WELLFORMED, ids=[p.name for p in WELLFORMED])
def test_bom_semicolon_crlf_excel_pass(case):
    study = validate_study(case)
    assert len(study.participants) == 40
    proc = subprocess.run(
        [sys.executable, "-m", "partner_study.cli", "validate", str(case)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "valid" in proc.stdout


def test_typed_tables(data_dir):
    study = validate_study(data_dir / "small")
    p = study.participants
    assert p["age"].dtype == float
    assert set(p["gender"].dropna()) <= {"woman", "man", "another gender"}
    assert p["role"].isin(["patient", "professional"]).all()
    s = study.scored
    assert s["eng_1"].dtype == float
    assert s["eng_1"].dropna().between(1, 5).all()
    assert set(s["engagement_level"].dropna()) <= {
        "information",
        "consultation",
        "collaboration",
        "partnership",
    }
    g = study.segments
    assert str(g["start"].dtype) == "Int64"


def test_missing_codes_become_missing(tmp_path, data_dir):
    import shutil

    shutil.copytree(data_dir / "small", tmp_path / "s")
    path = tmp_path / "s" / "participants.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("age")] = "999"
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")
    study = validate_study(tmp_path / "s")
    assert study.participants["age"].isna().iloc[0]


def test_many_bad_rows_are_summarised(tmp_path, data_dir):
    import shutil

    shutil.copytree(data_dir / "small", tmp_path / "s")
    path = tmp_path / "s" / "survey.csv"
    text = path.read_text(encoding="utf-8").split("\n")
    header = text[0].split(",")
    col = header.index("eng_2")
    for i in range(1, 21):
        cells = text[i].split(",")
        cells[col] = "8"
        text[i] = ",".join(cells)
    path.write_text("\n".join(text), encoding="utf-8")
    with pytest.raises(StudyDataError) as info:
        validate_study(tmp_path / "s")
    listed = [p for p in info.value.problems if p.column == "eng_2"]
    assert len(listed) == MAX_ROWS_LISTED + 1
    assert re.search(r"the same problem on 15 more row\(s\)", str(info.value))


def test_every_problem_collected_across_files(tmp_path, data_dir):
    import shutil

    shutil.copytree(data_dir / "malformed" / "likert-out-of-range", tmp_path / "s")
    shutil.copy(data_dir / "malformed" / "undeclared-code" / "segments.csv", tmp_path / "s")
    with pytest.raises(StudyDataError) as info:
        validate_study(tmp_path / "s")
    files = {Path(p.file).name for p in info.value.problems}
    assert files == {"survey.csv", "segments.csv"}


def test_missing_folder(tmp_path):
    with pytest.raises(StudyDataError, match="found no such folder"):
        validate_study(tmp_path / "nope")


def test_single_strand_study(tmp_path, data_dir):
    """A survey-only study (no codes declared) needs no segments file."""
    import shutil

    shutil.copytree(data_dir / "small", tmp_path / "s")
    cb = tmp_path / "s" / "codebook.yaml"
    text = cb.read_text(encoding="utf-8")
    cb.write_text(text[: text.index("\ncodes:")] + "\n", encoding="utf-8")
    (tmp_path / "s" / "segments.csv").unlink()
    study = validate_study(tmp_path / "s")
    assert study.segments is None and study.scored is not None


def test_template_columns(data_dir):
    from partner_study.codebook import read_codebook

    cols = template_columns(read_codebook(data_dir / "small" / "codebook.yaml"))
    assert cols["participants"][:3] == ["participant_id", "site", "role"]
    assert "eng_level" in cols["survey"]
    assert cols["segments"][0] == "segment_id"


# --------------------------------------------------------------------------- table defects


def _copy_small(tmp_path, data_dir):
    import shutil

    shutil.copytree(data_dir / "small", tmp_path / "s")
    return tmp_path / "s"


def test_row_numbers_after_blank_line_and_multiline_cell(tmp_path, data_dir):
    folder = _copy_small(tmp_path, data_dir)
    path = folder / "participants.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[header.index("age")] = "150"
    cells[header.index("profession")] = '"a nurse,\nthen a teacher"'
    lines[3] = ",".join(cells)
    cells = lines[5].split(",")
    cells[header.index("age")] = "151"
    lines[5] = ",".join(cells)
    lines.insert(2, "")  # a blank row 3
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(StudyDataError) as info:
        validate_study(folder)
    ages = [p for p in info.value.problems if p.column == "age"]
    # header 1, record 2, blank 3, record 4, record 5 (the two-line cell), 6, record 7
    assert [(p.row, p.found) for p in ages] == [(5, "'150'"), (7, "'151'")]


def test_duplicated_header_names_the_column_as_written(tmp_path, data_dir):
    folder = _copy_small(tmp_path, data_dir)
    path = folder / "participants.csv"
    lines = path.read_text(encoding="utf-8").strip().split("\n")
    lines = [line + ("," + line.split(",")[5]) for line in lines]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(
        StudyDataError,
        match=r"participants\.csv: row 1, column 'age': found the column 2 times "
        r"\(columns 6 and 10\)",
    ) as info:
        validate_study(folder)
    assert "age.1" not in str(info.value)


def test_invisible_characters_are_shown(tmp_path, data_dir):
    folder = _copy_small(tmp_path, data_dir)
    path = folder / "participants.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace("BE-0003,be_hospital,patient", "BE-0003\u200b,be_hospital,patient", 1)
    text = text.replace("BE-0004,be_hospital,patient", "BE-0004,be_hospital,pati\ufeffent", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StudyDataError) as info:
        validate_study(folder)
    message = str(info.value)
    assert (
        "participants.csv: row 4, column 'participant_id': found 'BE-0003\\u200b' (an "
        "invisible character, U+200B ZERO WIDTH SPACE), expected an id without invisible"
    ) in message
    assert "row 5, column 'role': found 'pati\\ufeffent', expected one of patient" in message
    assert "found unknown participant 'BE-0003'" in message  # the survey's id is the clean one


def test_invisible_characters_in_codes_and_coders(tmp_path, data_dir):
    folder = _copy_small(tmp_path, data_dir)
    path = folder / "segments.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[1] = lines[1].replace(",coder_a,", ",coder_a\u00a0b,").replace(",information", ",\tinfo")
    lines[2] = lines[2].replace(",teamwork,", ",team\u200dwork,")
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(StudyDataError) as info:
        validate_study(folder)
    message = str(info.value)
    assert "row 2, column 'coder': found 'coder_a\\xa0b' (an invisible character, U+00A0" in (
        message
    )
    assert "row 3, column 'code': found undeclared code 'team\\u200dwork'" in message


@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity", "nan", "NaN", "1e999"])
def test_non_finite_numbers_are_problems(tmp_path, data_dir, value):
    folder = _copy_small(tmp_path, data_dir)
    cb = folder / "codebook.yaml"
    text = cb.read_text(encoding="utf-8")
    cb.write_text(text.replace("age: {type: integer", "age: {type: number"), encoding="utf-8")
    path = folder / "participants.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(",")
    cells = lines[2].split(",")
    cells[header.index("age")] = value
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(
        StudyDataError,
        match=rf"participants\.csv: row 3, column 'age': found '{value}', expected a finite "
        r"number\. Fix:",
    ):
        validate_study(folder)


def test_short_segments_row_is_a_problem_not_nan_text(tmp_path, data_dir):
    folder = _copy_small(tmp_path, data_dir)
    path = folder / "segments.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[5] = ",".join(lines[5].split(",")[:7])  # no text cell, not even an empty one
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(
        StudyDataError,
        match=r"segments\.csv: row 6: found 7 fields \('S\d+,.*'\), expected 8 fields",
    ):
        validate_study(folder)


def test_in_memory_missing_text_is_empty_not_nan(data_dir):
    from partner_study.codebook import read_codebook
    from partner_study.io import read_table
    from partner_study.validate import validate_tables

    small = data_dir / "small"
    segments = read_table(small / "segments.csv").astype(object)
    segments.loc[0, "text"] = None
    segments.loc[1, "text"] = float("nan")
    study = validate_tables(
        read_codebook(small / "codebook.yaml"),
        read_table(small / "participants.csv"),
        read_table(small / "survey.csv"),
        segments,
    )
    assert study.segments["text"].iloc[:2].tolist() == ["", ""]


def test_nul_byte_is_a_problem(tmp_path, data_dir):
    folder = _copy_small(tmp_path, data_dir)
    path = folder / "survey.csv"
    text = path.read_text(encoding="utf-8").split("\n")
    text[3] = text[3][:10] + "\x00" + text[3][10:]
    path.write_text("\n".join(text), encoding="utf-8")
    with pytest.raises(StudyDataError, match=r"survey\.csv: row 4, column '\w+': found a NUL"):
        validate_study(folder)


def test_table_in_two_forms_is_ambiguous(tmp_path, data_dir):
    import pandas as pd

    folder = _copy_small(tmp_path, data_dir)
    pd.read_csv(folder / "survey.csv", dtype=str).to_excel(folder / "survey.xlsx", index=False)
    with pytest.raises(
        StudyDataError,
        match=r"survey\.csv: found 2 files for the table 'survey' \(survey\.csv, survey\.xlsx\)"
        r", expected one file per table\. Fix: keep the file that holds the current data",
    ):
        validate_study(folder)


def test_excel_formula_without_value(tmp_path, data_dir):
    import openpyxl
    import pandas as pd

    folder = _copy_small(tmp_path, data_dir)
    frame = pd.read_csv(folder / "participants.csv", dtype=str, keep_default_na=False)
    frame.to_excel(folder / "participants.xlsx", index=False)
    (folder / "participants.csv").unlink()
    book = openpyxl.load_workbook(folder / "participants.xlsx")
    book.worksheets[0]["F7"] = "=F6+1"
    book.save(folder / "participants.xlsx")
    with pytest.raises(
        StudyDataError,
        match=r"participants\.xlsx: row 7, column 'age': found a formula without a saved value "
        r"in cell F7 \('=F6\+1'\), expected a value\. Fix: open and save the file in Excel, ",
    ):
        validate_study(folder)


def test_likert_cells_may_hold_their_declared_labels(tmp_path, data_dir):
    import shutil

    from partner_study.validate import validate_study

    study = tmp_path / "study"
    shutil.copytree(data_dir / "small", study)
    survey = (study / "survey.csv").read_text(encoding="utf-8").splitlines()
    header = survey[0].split(",")
    j = header.index("com_1")
    rows = [line.split(",") for line in survey[1:]]
    codes = {"1": "strongly  DISAGREE", "4": "Agree", "5": " Strongly agree "}
    expected = []
    for row in rows:
        expected.append(row[j])
        row[j] = codes.get(row[j], row[j])
    lines = [survey[0]] + [",".join(r) for r in rows]
    (study / "survey.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = validate_study(study).scored["com_1"].tolist()
    want = [float(v) if v not in ("", "9") else None for v in expected]
    assert [None if g != g else g for g in got] == want


def test_an_unknown_likert_text_is_never_told_to_go_to_missing(tmp_path, data_dir):
    import shutil

    from partner_study.errors import StudyDataError
    from partner_study.validate import validate_study

    study = tmp_path / "study"
    shutil.copytree(data_dir / "small", study)
    text = (study / "survey.csv").read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    row = text[1].split(",")
    row[header.index("com_1")] = "often"
    row[header.index("com_2")] = "7"
    text[1] = ",".join(row)
    (study / "survey.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(StudyDataError) as info:
        validate_study(study)
    lines = [ln for ln in str(info.value).splitlines() if "column 'com_" in ln]
    often = next(ln for ln in lines if "'often'" in ln)
    seven = next(ln for ln in lines if "found '7'" in ln)
    assert "declare the scale's labels" in often and "add it to 'missing'" not in often
    assert "widen scales.communication.range" in seven


def test_segments_may_carry_a_stance_code(tmp_path, data_dir):
    """An optional `valence` column (positive, negative, mixed, neutral; any case; empty:
    none) is checked cell by cell and kept for the joint display's meta-inference."""
    import pandas as pd

    folder = _copy_small(tmp_path, data_dir)
    path = folder / "segments.csv"
    segments = pd.read_csv(path, dtype=str, keep_default_na=False)
    stances = ["Positive", "negative", "", "mixed", "neutral"]
    segments["valence"] = [stances[i % len(stances)] for i in range(len(segments))]
    segments.to_csv(path, index=False)
    study = validate_study(folder)
    assert study.segments["valence"].tolist()[:5] == [
        "positive",
        "negative",
        "",
        "mixed",
        "neutral",
    ]
    segments.loc[3, "valence"] = "supportive"
    segments.to_csv(path, index=False)
    with pytest.raises(StudyDataError) as info:
        validate_study(folder)
    (problem,) = info.value.problems
    assert (Path(problem.file).name, problem.row, problem.column) == ("segments.csv", 5, "valence")
    assert (
        "supportive" in problem.found and "positive, negative, mixed, neutral" in problem.expected
    )
