import pytest

from partner_study.errors import ParamsError
from partner_study.params import load_params, params_hash


def write(tmp_path, text):
    (tmp_path / "params").mkdir(exist_ok=True)
    path = tmp_path / "params" / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path, root):
    import shutil

    shutil.copytree(root / "data" / "raw" / "example", tmp_path / "data" / "raw" / "t")
    return tmp_path


BASE = """\
study: t
data: data/raw/t
regression:
  dependent: engagement
  outcomes: [communication, trust]
  covariates: [age, role]
  models: [ols, mixed]
"""


def test_defaults_filled(project):
    p = load_params(write(project, BASE), root=project)
    assert p.study == "t"
    assert p["describe"]["suppress_below"] == 5
    assert p.regression["groups"] == "site"
    assert len(params_hash(p)) == 64


def test_example_params_load(root):
    p = load_params(root / "params" / "example.yaml", root=root)
    assert p.regression["outcomes"][0] == "communication"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "outcomes: [communication, trust]",
            "outcomes: [communication, happiness]",
            r"key 'regression\.outcomes': found unknown scale 'happiness', expected some of "
            r"\['communication'",
        ),
        (
            "covariates: [age, role]",
            "covariates: [age, income]",
            r"key 'regression\.covariates': found unknown covariate 'income', expected some of "
            r"\['role', 'site', 'age'",
        ),
        (
            "models: [ols, mixed]",
            "models: [ols, bayes]",
            r"key 'regression\.models': found unknown model kind 'bayes', expected some of "
            r"\['ols', 'mixed', 'joint', 'ordinal'\]",
        ),
        (
            "dependent: engagement",
            "dependent: happiness",
            r"key 'regression\.dependent': found 'happiness', "
            r"expected one of the codebook's scales",
        ),
        ("study: t", "study: t\nplots: 1", r"key 'plots': found an unknown key"),
        (
            "  models: [ols, mixed]",
            "  models: [ols, mixed]\n  robust: yes",
            r"key 'regression\.robust': found an unknown key",
        ),
        (
            "data: data/raw/t",
            "data: data/raw/none",
            r"key 'data': found 'data/raw/none' without "
            r"a codebook\.yaml",
        ),
    ],
)
def test_bad_params_name_key_and_allowed_values(project, old, new, message):
    with pytest.raises(ParamsError, match=message):
        load_params(write(project, BASE.replace(old, new)), root=project)


def test_yaml_error_names_line(project):
    with pytest.raises(ParamsError, match=r"t\.yaml: line \d+: found a YAML syntax error"):
        load_params(write(project, BASE.replace("[age, role]", "[age, role")), root=project)


def test_missing_file(tmp_path):
    with pytest.raises(ParamsError, match="no such parameters file"):
        load_params(tmp_path / "params" / "nope.yaml", root=tmp_path)


def test_cli_bad_params_fails_before_any_notebook(project, tmp_path):
    import subprocess
    import sys

    path = write(project, BASE.replace("models: [ols, mixed]", "models: [ols, bayes]"))
    proc = subprocess.run(
        [sys.executable, "-m", "partner_study.cli", "run", str(path)],
        capture_output=True,
        text=True,
        cwd=project,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "unknown model kind 'bayes'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (project / "reports").exists() and not (project / "data" / "processed").exists()
