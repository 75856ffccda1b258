"""Project-level contracts: exports, pinned environment, layering, notebooks."""

import ast
import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest

import partner_study

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(m.name for m in pkgutil.walk_packages(partner_study.__path__, "partner_study."))


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete(name):
    """Every public function or class a module defines is listed in its __all__."""
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), name
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    public = {
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.ClassDef) and not n.name.startswith("_")
    }
    assert public <= set(module.__all__), public - set(module.__all__)
    for item in module.__all__:
        assert hasattr(module, item), f"{name}.{item}"


LAYERS = {
    "config": 1,
    "errors": 1,
    "arrays": 1,
    "safe_yaml": 1,
    "codebook": 2,
    "shape": 2,
    "io": 2,
    "validate": 2,
    "params": 2,
    "compare": 2,
    "scales": 3,
    "scales_by_role": 3,
    "describe": 3,
    "qualitative": 3,
    "agreement": 3,
    "models": 3,
    "integrate": 3,
    "simulate": 3,
    "designs": 3,
    "prepare": 3,
    "disclosure": 3,
    "tables": 4,
    "figures": 4,
    "writer": 4,
    "report": 4,
    "pipeline": 5,
    "stages": 5,
    "execution": 5,
    "kernelpool": 5,
    "verify": 5,
    "kernels": 5,
    "runlock": 5,
    "provenance": 5,
    "cli": 5,
    "importing": 5,
    "scaffold": 5,
    "bench": 5,
    "__main__": 5,
}


def _layer(module: str) -> int:
    top = module.split(".")[1] if module.count(".") else module
    return LAYERS[top]


@pytest.mark.parametrize("name", [m for m in MODULES if m.split(".")[1] in LAYERS])
def test_imports_only_go_downward(name):
    path = Path(importlib.import_module(name).__file__)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = _layer(name)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("partner_study.")
        ):
            target = node.module
            if target.split(".")[1] == name.split(".")[1]:
                continue
            assert _layer(target) <= own, f"{name} (layer {own}) imports {target}"


def _pins(text: str) -> dict[str, str]:
    return dict(re.findall(r"^\s*-?\s*([A-Za-z0-9_.\-]+)==([^\s#]+)", text, re.M))


def test_lock_and_environment_pin_the_same_set():
    lock = _pins((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    env = _pins((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert lock and lock == env


def test_environment_matches_lock_installed():
    from importlib import metadata

    lock = _pins((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    for name in ("pandas", "numpy", "statsmodels", "matplotlib", "papermill", "scipy"):
        assert metadata.version(name) == lock[name], name


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_are_thin_templates(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    assert cells[0]["cell_type"] == "markdown" and "partner-study run" in "".join(
        cells[0]["source"]
    )
    assert "parameters" in cells[1]["metadata"].get("tags", [])
    params = "".join(cells[1]["source"])
    assert all(re.match(r"^[A-Z_]+ = ", line) for line in params.splitlines() if line)
    assert "".join(cells[2]["source"]).strip() == "import partner_study as ps"
    for cell in cells:
        if cell["cell_type"] == "code":
            src = "".join(cell["source"])
            assert not cell.get("outputs"), "outputs committed"
            assert not re.search(r"^\s*(def|class|for|while)\s", src, re.M), src
            assert "import " not in src or src.strip() == "import partner_study as ps"


def test_readme_starts_with_the_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^make \w+", text, re.M)
    assert commands[:2] == ["make run", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_rosters_of_new_studies_are_never_committed():
    """A roster holds real names: git ignores every study's roster but the simulated one."""
    import shutil
    import subprocess

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    paths = ["data/raw/liege/roster.csv", "data/raw/liege/roster.xlsx"]
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *paths],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert ignored == paths
    example = subprocess.run(
        ["git", "check-ignore", "--no-index", "data/raw/example/roster.csv"], cwd=ROOT
    )
    assert example.returncode == 1  # the simulated example's roster stays tracked


def _git(cwd, *args):
    import subprocess

    base = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    return subprocess.run([*base, *args], cwd=cwd, check=True, capture_output=True, text=True)


def test_make_clean_keeps_the_committed_reference_run(tmp_path):
    """make clean removes what runs generate (other studies' outputs, staging, the Lab
    scratch folder) and leaves the committed reference run as committed: git stays clean."""
    import shutil
    import subprocess

    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for rel in ("reports/example/report.html", "data/processed/example/scored.parquet"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("committed\n", encoding="utf-8")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "reference")
    for rel in ("reports/site_b/report.html", "data/processed/site_b/x.parquet", ".lab/a/b"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("generated\n", encoding="utf-8")
    (tmp_path / "reports/example/report.html").write_text("rerun\n", encoding="utf-8")
    (tmp_path / "reports/example/failed").mkdir()
    proc = subprocess.run(["make", "clean"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "committed reference run" in proc.stdout
    assert not (tmp_path / "reports/site_b").exists()
    assert not (tmp_path / "data/processed/site_b").exists()
    assert not (tmp_path / ".lab").exists()
    assert (tmp_path / "reports/example/report.html").read_text() == "committed\n"
    assert _git(tmp_path, "status", "--porcelain").stdout == ""


def test_make_lab_passes_lab_args_and_runs_as_root():
    import os
    import subprocess

    proc = subprocess.run(
        [
            "make",
            "-s",
            "--no-print-directory",
            "-n",
            "-o",
            ".venv/.installed",
            "lab",
            "LAB_ARGS=--no-browser --port 8899",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    command = next(line for line in proc.stdout.splitlines() if "jupyter lab" in line)
    assert command.startswith(".venv/bin/jupyter lab notebooks/")
    assert command.endswith("--no-browser --port 8899")
    assert ("--allow-root" in command) == (os.getuid() == 0)


def test_test_groups_keep_to_one_worker(tmp_path):
    """`make test` relies on `--dist loadgroup`: the tests of one xdist_group share a
    fixture (a design-matrix study's run, the coverage simulations) computed once per worker.
    pytest 9.2 with pytest-xdist 3.8 silently stopped grouping (pytest-xdist issue 1386),
    which ran every matrix study twice: pinned pytest keeps it, and this test says when an
    upgrade breaks it."""
    import subprocess
    import sys

    (tmp_path / "test_grouped.py").write_text(
        "import os\nimport pytest\n\npytestmark = pytest.mark.xdist_group('one')\n\n"
        + "".join(
            f"def test_{i}():\n"
            f"    (__import__('pathlib').Path(__file__).parent / 'w{i}').write_text("
            f"os.environ['PYTEST_XDIST_WORKER'])\n\n"
            for i in range(4)
        ),
        encoding="utf-8",
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    workers = {(tmp_path / f"w{i}").read_text() for i in range(4)}
    assert len(workers) == 1, workers
