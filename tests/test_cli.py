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


# --------------------------------------------------------------------------- verify
def test_verify_without_a_manifest_cannot_run_exit_2(tmp_path, capsys):
    from conftest import make_project

    root = make_project(tmp_path / "project")
    assert cli.main(["verify", str(root / "params" / "example.yaml")]) == 2
    err = capsys.readouterr().err
    assert "reports/example/manifest.json: found no manifest with outputs" in err
    assert "Fix: run `partner-study run` first" in err and "Traceback" not in err


def _verify_result(rows, inputs=()):
    from partner_study.pipeline import VerifyResult

    return VerifyResult("example", rows, 1.0, list(inputs))


def test_verify_exit_codes_follow_the_outcome(monkeypatch, capsys):
    """0: verified; 1: outputs differ (each with how it differs); 2: the rerun failed."""
    from partner_study import pipeline
    from partner_study.errors import StageError

    same = [("reports/example/tables/likert.csv", "identical", "")]
    monkeypatch.setattr(pipeline, "verify", lambda *a, **k: _verify_result(same))
    assert cli.main(["verify"]) == 0
    assert "verified: a rerun reproduces every output byte for byte." in capsys.readouterr().out

    detail = "the rerun gives other bytes\nlargest numeric difference 1 in row 3, column 'n'"
    differ = [*same, ("reports/example/tables/codes.csv", "different", detail)]
    changed = ["changed input: data/raw/example/survey.csv (sha256 ab… in the manifest, cd… now)"]
    monkeypatch.setattr(pipeline, "verify", lambda *a, **k: _verify_result(differ, changed))
    assert cli.main(["verify"]) == 1
    out, err = capsys.readouterr()
    assert (
        "different  reports/example/tables/codes.csv  (the rerun gives other bytes)\n"
        "             largest numeric difference 1 in row 3, column 'n'\n"
    ) in out
    assert "likert.csv" not in out  # identical files only with --all
    assert "1 difference(s) in the inputs" in err

    def failing(*a, **k):
        raise StageError("02-describe.ipynb", "reports/x/failed/02-describe.ipynb", 4, "E: x")

    monkeypatch.setattr(pipeline, "verify", failing)
    assert cli.main(["verify"]) == 2
    err = capsys.readouterr().err
    assert "stage 02-describe.ipynb failed in cell 4" in err
    assert "the rerun failed, so nothing was compared" in err and "Traceback" not in err


def test_validate_warns_about_a_roster_tracked_by_git(tmp_path, capsys, monkeypatch):
    import subprocess

    from conftest import make_project

    root = make_project(tmp_path / "project")
    monkeypatch.chdir(root)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    assert cli.main(["validate", "data/raw/example"]) == 0
    assert "tracked by git" not in capsys.readouterr().out  # present, not tracked
    subprocess.run([*git, "add", "data/raw/example/roster.csv"], check=True)
    assert cli.main(["validate", "data/raw/example"]) == 0
    out = capsys.readouterr().out
    assert "warning: data/raw/example/roster.csv is tracked by git" in out
    assert "Fix: git rm --cached data/raw/example/roster.csv" in out


def test_progress_lines_from_parallel_stages_never_share_a_line(capfd):
    """Stages finishing together each get a whole line (one write under a lock)."""
    import threading

    lines = [f"  0{i}-stage       done in 1.{i} s ({i} files)" * 20 for i in range(8)]

    def emit(text):
        for _ in range(50):
            cli._line(text)

    threads = [threading.Thread(target=emit, args=(text,)) for text in lines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out = capfd.readouterr().out.splitlines()
    assert len(out) == 8 * 50
    assert set(out) == set(lines)
