"""Names and paths from users (DESIGN §9): a study name never reaches a path unchecked,
every path resolves inside the project, and nothing outside ``.staging/<study>``,
``reports/<study>/`` and ``data/processed/<study>/`` is ever changed by a run."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_project
from partner_study.config import StudyPaths, check_study_name, inside_project
from partner_study.errors import ParamsError, PartnerStudyError
from partner_study.params import load_params


@pytest.mark.parametrize(
    "name",
    ["", "..", ".", "../../victim", "/abs/dir", "a/b", "Example", "1study", "a" * 65, "é", "a b"],
)
def test_unsafe_study_names_are_refused(name):
    with pytest.raises(PartnerStudyError, match="expected a study name"):
        check_study_name(name)
    with pytest.raises(PartnerStudyError):
        StudyPaths(Path("/tmp"), name)


@pytest.mark.parametrize("name", ["example", "liege_hospital", "site-2", "a" * 64])
def test_safe_study_names_pass(name):
    assert check_study_name(name) == name


def test_inside_project_refuses_escapes_and_names_the_link(tmp_path):
    root = tmp_path / "project"
    (root / "data" / "raw").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "data" / "raw" / "link").symlink_to(outside)
    assert inside_project(root, "data/raw", where="w") == (root / "data" / "raw").resolve()
    for path in ("../outside", str(outside), "data/../../outside"):
        with pytest.raises(PartnerStudyError, match="expected a path inside the project"):
            inside_project(root, path, where="w")
    with pytest.raises(PartnerStudyError, match="through the symbolic link"):
        inside_project(root, "data/raw/link", where="w")


def _tree(folder: Path) -> dict[str, str]:
    """Every file (and link) under ``folder`` with its content hash."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                out[rel] = "link:" + os.readlink(path)
            elif path.is_file():
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                out[rel] = "dir"
    return out


HOSTILE_STUDIES = [
    '"../../victim"',
    '"../victim"',
    '".."',
    '"."',
    '""',
    "/ABS",
    '"data/raw"',
    '"a\\nb"',
    "[a, b]",
    "{x: 1}",
    "null",
    "123",
    '"example/../../victim"',
    '"ex\\u0000ample"',
]


@pytest.mark.parametrize("study", HOSTILE_STUDIES)
def test_hostile_study_changes_nothing_anywhere(tmp_path, study):
    """Run the CLI in a throwaway project whose params name a hostile study: exit 2, one
    message, no traceback, and the whole tree (project and its neighbours) unchanged."""
    world = tmp_path / "world"
    root = make_project(world / "project")
    victim = world / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me", encoding="utf-8")
    abs_target = world / "abs"
    abs_target.mkdir()
    (abs_target / "file.txt").write_text("keep me too", encoding="utf-8")
    text = f"study: {study.replace('/ABS', str(abs_target))}\ndata: data/raw/example\n"
    (root / "params" / "x.yaml").write_text(text, encoding="utf-8")
    before = _tree(world)
    proc = subprocess.run(
        [sys.executable, "-m", "partner_study.cli", "run", "params/x.yaml"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "error:" in proc.stderr and "Fix:" in proc.stderr
    assert _tree(world) == before


def test_data_outside_the_project_is_refused(tmp_path):
    root = make_project(tmp_path / "project")
    params = root / "params" / "x.yaml"
    for data in (str(tmp_path), "../", "/etc"):
        params.write_text(f"study: example\ndata: {data}\n", encoding="utf-8")
        with pytest.raises(ParamsError, match="inside the project"):
            load_params(params, root=root)


def test_a_link_out_of_the_project_in_a_study_folder_is_named(tmp_path):
    root = make_project(tmp_path / "project")
    secret = tmp_path / "secret.csv"
    secret.write_text("participant_id\nX\n", encoding="utf-8")
    (root / "data" / "raw" / "example" / "participants.xlsx").symlink_to(secret)
    with pytest.raises(ParamsError, match="through the symbolic link"):
        load_params(root / "params" / "example.yaml", root=root)


def test_reports_linked_out_of_the_project_is_refused(tmp_path):
    from partner_study.pipeline import run_pipeline

    root = make_project(tmp_path / "project")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "reports").symlink_to(elsewhere)
    with pytest.raises(PartnerStudyError, match="symbolic link"):
        run_pipeline(root / "params" / "example.yaml", root=root)
    assert list(elsewhere.iterdir()) == []
    assert not (root / ".staging").exists()


def test_new_site_from_an_unsafe_source_is_refused(tmp_path):
    from partner_study.scaffold import new_site

    root = make_project(tmp_path / "project")
    with pytest.raises(PartnerStudyError):
        new_site("fresh", root=root, source="../../etc")
    assert not (root / "data" / "raw" / "fresh").exists()


def test_a_forged_manifest_never_removes_a_file_outside_the_study_outputs(tmp_path):
    """The runner removes a stage's earlier outputs as its manifest lists them: a manifest
    naming files elsewhere (raw data, a neighbour folder) is ignored, nothing is removed."""
    import json

    from partner_study.pipeline import run_pipeline

    world = tmp_path / "world"
    root = make_project(world / "project")
    victim = world / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep", encoding="utf-8")
    reports = root / "reports" / "example"
    reports.mkdir(parents=True)
    forged = {
        "version": 1,
        "stages": {
            "01-prepare": {
                "hash": "x",
                "outputs": {
                    "../victim/precious.txt": "0" * 64,
                    "data/raw/example/roster.csv": "0" * 64,
                    str(victim / "precious.txt"): "0" * 64,
                },
            },
            "02-describe": "not a record",
        },
    }
    (reports / "manifest.json").write_text(json.dumps(forged), encoding="utf-8")
    raw_before = _tree(root / "data" / "raw")
    lines: list[str] = []
    run_pipeline(
        root / "params" / "example.yaml", root=root, only=["01-prepare"], progress=lines.append
    )
    assert (victim / "precious.txt").read_text(encoding="utf-8") == "keep"
    assert _tree(root / "data" / "raw") == raw_before
    assert any("it is ignored" in line for line in lines)


@pytest.mark.parametrize("depth", [200_000])
def test_a_deeply_nested_manifest_is_ignored_not_a_traceback(tmp_path, depth):
    from partner_study.provenance import read_manifest

    path = tmp_path / "manifest.json"
    path.write_text("[" * depth + "]" * depth, encoding="utf-8")
    assert read_manifest(path) == {}


def test_a_params_file_linked_from_elsewhere_does_not_move_the_project(tmp_path):
    from partner_study.pipeline import run_pipeline

    root = make_project(tmp_path / "project")
    other = make_project(tmp_path / "other")
    (root / "params" / "linked.yaml").symlink_to(other / "params" / "example.yaml")
    with pytest.raises(PartnerStudyError, match="params/linked.yaml"):
        run_pipeline(root / "params" / "linked.yaml")
    assert not (other / "reports").exists() and not (root / "reports").exists()


@pytest.mark.parametrize("linked", ["data/raw", "params"])
def test_new_site_never_writes_through_a_link_out_of_the_project(tmp_path, linked):
    import shutil

    from partner_study.scaffold import new_site

    root = make_project(tmp_path / "project")
    outside = tmp_path / "outside"
    shutil.move(root / linked, outside)
    (root / linked).symlink_to(outside)
    before = _tree(outside)
    with pytest.raises(PartnerStudyError, match="symbolic link"):
        new_site("fresh", root=root)
    assert _tree(outside) == before


def test_validate_refuses_a_codebook_linked_out_of_the_project(tmp_path):
    from partner_study.errors import StudyDataError
    from partner_study.validate import validate_study

    root = make_project(tmp_path / "project")
    outside = tmp_path / "codebook.yaml"
    study = root / "data" / "raw" / "example"
    (study / "codebook.yaml").rename(outside)
    (study / "codebook.yaml").symlink_to(outside)
    with pytest.raises(StudyDataError, match="codebook.yaml: found a symbolic link"):
        validate_study(study)


@pytest.mark.parametrize("study", ["../../victim", "Study\nName"])
def test_import_study_name_is_checked(tmp_path, capsys, study):
    from partner_study import cli

    data = Path(__file__).resolve().parent / "data" / "import" / "taguette"
    export = sorted(data.glob("*.csv"))[0]
    out = tmp_path / "out"
    assert cli.main(["import", "taguette", str(export), "--out", str(out), "--study", study]) == 2
    assert "expected a study name" in capsys.readouterr().err
    assert not out.exists() and sorted(tmp_path.iterdir()) == []
