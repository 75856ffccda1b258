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
