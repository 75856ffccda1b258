"""The command line: user errors are messages with exit 2, and imports are all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from partner_study import cli
from partner_study.errors import Problem, StudyDataError

REDCAP = Path(__file__).resolve().parent / "data" / "import" / "redcap"


def _import(out: Path) -> int:
    return cli.main(
        [
            "import",
            "redcap",
            str(REDCAP / "simple__data.csv"),
            "--dictionary",
            str(REDCAP / "simple__dictionary.csv"),
            "--site",
            "clinic",
            "--role",
            "patient",
            "--out",
            str(out),
        ]
    )


def test_import_writes_the_study_once_valid(tmp_path, capsys):
    out = tmp_path / "data" / "raw" / "fresh"
    assert _import(out) == 0
    assert (out / "codebook.yaml").is_file()
    assert sorted(p.name for p in out.parent.iterdir()) == ["fresh"]  # no partial folder left
    assert "valid" in capsys.readouterr().out


@pytest.mark.parametrize("existing", ["absent", "empty"])
def test_a_failed_import_leaves_out_as_it_found_it(tmp_path, monkeypatch, capsys, existing):
    import partner_study.validate

    def invalid(folder, display=None):
        raise StudyDataError(
            Problem(file=f"{display}/survey.csv", found="x", expected="y", fix="z")
        )

    monkeypatch.setattr(partner_study.validate, "validate_study", invalid)
    out = tmp_path / "fresh"
    if existing == "empty":
        out.mkdir()
    assert _import(out) == 2
    err = capsys.readouterr().err
    assert f"{out}/survey.csv" in err  # named as the user's folder, not the partial one
    assert out.is_dir() == (existing == "empty")
    assert not out.exists() or list(out.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == (["fresh"] if existing == "empty" else [])
    # and a retry is not refused as "not empty"
    monkeypatch.undo()
    assert _import(out) == 0


@pytest.mark.parametrize("kind", ["file", "folder", "link"])
def test_import_out_must_be_a_new_or_empty_folder(tmp_path, capsys, kind):
    out = tmp_path / "out"
    if kind == "file":
        out.write_text("keep", encoding="utf-8")
    elif kind == "folder":
        out.mkdir()
        (out / "mine.txt").write_text("keep", encoding="utf-8")
    else:
        (tmp_path / "target").mkdir()
        out.symlink_to(tmp_path / "target")
    assert _import(out) == 2
    err = capsys.readouterr().err
    assert "expected a new study folder" in err and "Traceback" not in err
    if kind == "file":
        assert out.read_text(encoding="utf-8") == "keep"
    if kind == "link":
        assert list((tmp_path / "target").iterdir()) == []


def test_import_of_a_missing_export_is_a_message(tmp_path, capsys):
    assert cli.main(["import", "taguette", str(tmp_path / "nope.csv"), "--out", "x"]) == 2
    assert "found no such file" in capsys.readouterr().err


def test_validate_checks_the_study_s_params_file_too(tmp_path, capsys, monkeypatch):
    from conftest import make_project

    root = make_project(tmp_path / "project")
    monkeypatch.chdir(root)
    assert cli.main(["validate", "data/raw/example"]) == 0
    assert "params/example.yaml: valid parameters" in capsys.readouterr().out
    (root / "params" / "example.yaml").write_text(
        "study: example\nqualitative: {quotes_per_theme: 0}\n", encoding="utf-8"
    )
    assert cli.main(["validate", "data/raw/example"]) == 2
    err = capsys.readouterr().err
    assert "key 'qualitative.quotes_per_theme': found 0" in err and "Fix:" in err
    assert cli.main(["validate", "data/raw/example", "--params", "params/nope.yaml"]) == 2
    assert "found no such parameters file" in capsys.readouterr().err


def test_import_takes_the_export_as_data_too(tmp_path, capsys):
    """`--data FILE` is the positional FILE: the same study, byte for byte; both or neither
    given is a message, exit 2."""
    args = ["--dictionary", str(REDCAP / "simple__dictionary.csv"), "--site", "clinic"]
    data = str(REDCAP / "simple__data.csv")
    one, two = tmp_path / "a" / "fresh", tmp_path / "b" / "fresh"  # the same study name
    assert cli.main(["import", "redcap", data, *args, "--out", str(one)]) == 0
    assert cli.main(["import", "redcap", "--data", data, *args, "--out", str(two)]) == 0
    assert sorted(p.name for p in one.iterdir()) == sorted(p.name for p in two.iterdir())
    for path in one.iterdir():
        assert path.read_bytes() == (two / path.name).read_bytes(), path.name
    capsys.readouterr()
    other = str(REDCAP / "checkboxes-1__data.csv")
    out = tmp_path / "raw" / "three"
    assert cli.main(["import", "redcap", data, "--data", other, *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "found two exports" in err and "Fix:" in err and "Traceback" not in err
    assert cli.main(["import", "redcap", *args, "--out", str(out)]) == 2
    assert "found no export file" in capsys.readouterr().err
    assert not out.exists()
