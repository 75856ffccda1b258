"""Provenance a reviewer can trust: the commit the inputs come from, which kinds of input
differ from it (in throwaway git copies of a project), every installed distribution, and
a manifest with nothing of the machine, the time or the place."""

import json
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from conftest import make_project
from partner_study import provenance as P
from partner_study.params import load_params
from partner_study.pipeline import _provenance_record, _write_manifest

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        [
            "git",
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.org",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            "-C",
            str(root),
            *args,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project (no git yet) whose package is its own src/partner_study."""
    monkeypatch.delenv(P.GIT_STATE_VARIABLE, raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # no repository above
    root = make_project(tmp_path / "project")
    (root / "requirements.lock").write_text("pandas==3.1.1\n", encoding="utf-8")
    package = root / "src" / "partner_study"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""The package."""\n', encoding="utf-8")
    monkeypatch.setattr(P, "package_dir", lambda: package.resolve())
    for out in ("reports/example", "data/processed/example"):
        (root / out).mkdir(parents=True)
        (root / out / "table.csv").write_text("a\n1\n", encoding="utf-8")
    return root


@pytest.fixture
def repo(project):
    """The project committed to a fresh repository, reports and processed data too."""
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "study")
    return project


def state(root: Path) -> dict:
    return P.git_state(root, load_params(root / "params" / "example.yaml", root=root))


def edit_notebook(root: Path) -> None:
    nb = root / "notebooks" / "02-describe.ipynb"
    data = json.loads(nb.read_text(encoding="utf-8"))
    data["cells"][0]["source"] = "".join(data["cells"][0]["source"]) + "\nEdited."
    nb.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


CLEAN = dict.fromkeys(P.KINDS, "clean")


# --------------------------------------------------------------------------- git state
@needs_git
def test_a_clean_checkout_names_its_commit_and_is_clean(repo):
    assert state(repo) == {"commit": git(repo, "rev-parse", "HEAD"), "state": CLEAN}


@needs_git
def test_a_changed_notebook_makes_the_notebooks_dirty_in_the_manifest(repo):
    head = git(repo, "rev-parse", "HEAD")
    edit_notebook(repo)
    params = load_params(repo / "params" / "example.yaml", root=repo)
    path = repo / "reports" / "example" / "manifest.json"
    _write_manifest(path, repo, params, {}, {})
    manifest = json.loads(path.read_text(encoding="utf-8"))
    assert manifest["provenance"]["commit"] == head
    assert manifest["provenance"]["state"] == {**CLEAN, "notebooks": "dirty"}


@needs_git
def test_changed_or_new_raw_data_make_the_data_dirty(repo):
    survey = repo / "data" / "raw" / "example" / "survey.csv"
    original = survey.read_bytes()
    survey.write_bytes(original.replace(b",2,", b",3,", 1))
    assert state(repo)["state"] == {**CLEAN, "data": "dirty"}
    survey.write_bytes(original)
    assert state(repo)["state"] == CLEAN
    (repo / "data" / "raw" / "example" / "extra.csv").write_text("a\n", encoding="utf-8")
    assert state(repo)["state"] == {**CLEAN, "data": "dirty"}


@needs_git
def test_code_params_and_lock_are_flagged_apart(repo):
    (repo / "src" / "partner_study" / "new.py").write_text("x = 1\n", encoding="utf-8")
    params = repo / "params" / "example.yaml"
    params.write_text(params.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    (repo / "environment.yml").write_text("dependencies: []\n", encoding="utf-8")
    assert state(repo)["state"] == {**CLEAN, "code": "dirty", "params": "dirty", "lock": "dirty"}


@needs_git
def test_reports_and_processed_data_never_count(repo):
    """A reference run regenerated and committed: its manifest, written before that
    commit, names the commit the inputs come from, and so does a run after it."""
    before = state(repo)
    for out in ("reports/example", "data/processed/example"):
        (repo / out / "table.csv").write_text("a\n2\n", encoding="utf-8")
        (repo / out / "new.csv").write_text("b\n", encoding="utf-8")
    assert state(repo) == before
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "reference run regenerated")
    assert state(repo) == before  # not the new HEAD: nothing it changed is an input


@needs_git
def test_data_and_params_not_in_git_say_so(project):
    git(project, "init", "-q")
    git(project, "add", "notebooks", "src", "pyproject.toml", "requirements.lock")
    git(project, "commit", "-q", "-m", "code only")
    assert state(project)["state"] == {**CLEAN, "params": "not in git", "data": "not in git"}


@needs_git
def test_raw_data_with_an_ignored_roster_is_partly_in_git(project):
    (project / ".gitignore").write_text("data/raw/*/roster.*\n", encoding="utf-8")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "study without its roster")
    assert state(project)["state"] == {**CLEAN, "data": "partly in git"}


@needs_git
def test_a_fresh_repository_without_a_commit(project):
    git(project, "init", "-q")
    git(project, "add", "notebooks")
    got = state(project)
    assert got["commit"] is None
    assert got["state"] == dict.fromkeys(P.KINDS, "not in git") | {"notebooks": "dirty"}


def test_outside_git_the_commit_is_null_and_the_state_unknown(project):
    assert state(project) == {"commit": None, "state": dict.fromkeys(P.KINDS, "unknown")}
    params = load_params(project / "params" / "example.yaml", root=project)
    stated = P.report_provenance(project, params)
    assert stated["commit"] is None and set(stated["state"].values()) == {"unknown"}


@needs_git
def test_a_recorded_commit_whose_inputs_are_the_files_now_is_kept(repo):
    first = git(repo, "rev-parse", "HEAD")
    original = (repo / "notebooks" / "02-describe.ipynb").read_bytes()
    edit_notebook(repo)
    git(repo, "commit", "-q", "-am", "edit")
    edited = git(repo, "rev-parse", "HEAD")
    (repo / "notebooks" / "02-describe.ipynb").write_bytes(original)
    git(repo, "commit", "-q", "-am", "revert")
    last = git(repo, "rev-parse", "HEAD")
    params = load_params(repo / "params" / "example.yaml", root=repo)
    assert P.git_state(repo, params)["commit"] == last
    assert P.git_state(repo, params, like={"commit": first}) == {"commit": first, "state": CLEAN}
    assert P.git_state(repo, params, like={"commit": edited})["commit"] == last
    for forged in ("--output=/tmp/x", "0" * 40, None, 7):
        assert P.git_state(repo, params, like={"commit": forged})["commit"] == last


def test_the_state_variable_is_taken_when_valid(project, monkeypatch):
    params = load_params(project / "params" / "example.yaml", root=project)
    given = {"commit": "a" * 40, "state": {**CLEAN, "data": "not in git"}}
    monkeypatch.setenv(P.GIT_STATE_VARIABLE, json.dumps(given))
    assert P.git_state(project, params) == given
    for bad in ("{", "[]", json.dumps({**given, "commit": "HEAD"}), json.dumps({"commit": None})):
        monkeypatch.setenv(P.GIT_STATE_VARIABLE, bad)
        assert P.git_state(project, params)["state"]["code"] == "unknown"


# --------------------------------------------------------------------------- environment
def test_every_installed_distribution_is_listed_by_normalised_name():
    packages = P.package_versions()
    assert len(packages) > 30
    assert list(packages) == sorted(packages)
    assert all(name == P.normalise_name(name) for name in packages)
    for name in ("pandas", "numpy", "papermill", "partner-study", "python-docx", "pyyaml"):
        assert packages.get(name), name
    assert P.normalise_name("Jupyter_Client.Extra") == "jupyter-client-extra"


def test_the_environment_holds_nothing_of_the_machine_but_its_kind():
    env = P.environment()
    assert set(env) == {"python", "implementation", "system", "machine", "packages"}
    host = socket.gethostname()
    if len(host) > 3:
        assert host not in json.dumps(env)


def test_the_manifest_record_holds_no_path_time_or_duration(project):
    params = load_params(project / "params" / "example.yaml", root=project)
    record = _provenance_record(project, params)
    text = json.dumps(record)
    assert str(project) not in text and str(Path.home()) not in text
    assert set(record) == {"inputs", "provenance", "environment"}
    assert set(record["provenance"]) == {"commit", "state", "source_sha256"}
    assert set(record["inputs"]) == {
        *(f"notebooks/{p.name}" for p in (project / "notebooks").glob("*.ipynb")),
        *(f"data/raw/example/{p.name}" for p in (project / "data/raw/example").iterdir()),
        "params/example.yaml",
        "requirements.lock",
    }
    assert record["provenance"]["source_sha256"] == P.source_hash()


# --------------------------------------------------------------------------- changes
def test_manifest_changes_name_inputs_provenance_and_environment(project):
    params = load_params(project / "params" / "example.yaml", root=project)
    recorded = _provenance_record(project, params)
    now = json.loads(json.dumps(recorded))
    assert P.manifest_changes(recorded, now) == []
    now["inputs"]["data/raw/example/survey.csv"] = "cd34" * 16
    now["provenance"]["state"]["notebooks"] = "dirty"
    now["environment"]["packages"]["pandas"] = "9.9.9"
    lines = P.manifest_changes(recorded, now)
    old_survey = recorded["inputs"]["data/raw/example/survey.csv"]
    assert lines == [
        f"changed input: data/raw/example/survey.csv (sha256 {old_survey[:12]}… in the "
        "manifest, cd34cd34cd34… now)",
        "changed provenance: notebooks unknown in the manifest, dirty now (against the commit)",
        f"changed environment: package pandas {recorded['environment']['packages']['pandas']} "
        "in the manifest, 9.9.9 now",
    ]


def test_a_manifest_of_the_earlier_format_is_compared_on_what_it_has(project):
    params = load_params(project / "params" / "example.yaml", root=project)
    now = _provenance_record(project, params)
    raw = {k: v for k, v in now["inputs"].items() if k.startswith("data/raw/")}
    earlier = {
        "version": 1,
        "parameters": {"data": ["data/raw/example"]},
        "inputs": raw,
        "environment": {"python": now["environment"]["python"], "packages": {"pandas": "0.1"}},
        "git_commit": "0" * 40 + "-dirty",
    }
    lines = P.manifest_changes(earlier, now)
    assert lines[0].startswith("note: the manifest (an earlier format) records no hashes")
    assert lines[1:] == [
        "changed environment: package pandas 0.1 in the manifest, "
        f"{now['environment']['packages']['pandas']} now"
    ]
