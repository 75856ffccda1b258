"""The notebook templates run as they are (nbval, lax mode: every cell must execute without
error) in a copy of the project, with their default parameters, in stage order."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from conftest import ROOT, make_project

pytestmark = [pytest.mark.slow, pytest.mark.notebooks, pytest.mark.xdist_group("nbval")]

ORDER = [
    "01-prepare",
    "02-describe",
    "03-qualitative",
    "04-regression",
    "05-integrate",
    "06-report",
]


def test_templates_execute_under_nbval(tmp_path):
    root = make_project(tmp_path / "project")
    # A kernelspec named python3 that runs this interpreter, found before any user or system
    # one (JUPYTER_PATH comes first): the notebooks run on the project's .venv.
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "partner-study",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    env = {
        "JUPYTER_PATH": str(tmp_path / "jupyter"),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    args = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval-lax",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "-q",
        *[f"notebooks/{name}.ipynb" for name in ORDER],
    ]
    proc = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and " failed" not in proc.stdout
    # Run by hand, the notebooks write to the scratch folder .lab/example/, each reading what
    # the one before wrote there; the recorded run in reports/ is left as it was.
    assert not (root / "reports").exists() and not (root / "data" / "processed").exists()
    # Key numbers of the example, written by the notebooks themselves.
    tables = root / ".lab" / "example" / "tables"
    char = pd.read_csv(tables / "characteristics.csv")
    assert char.set_index(["variable", "role"]).loc[("participants", "all"), "n"] == 600
    joint = pd.read_csv(tables / "joint-display.csv").set_index("theme")
    assert joint.loc["information_sharing", "label"] == "divergence"
    assert (root / ".lab" / "example" / "report.html").is_file()
    processed = root / ".lab" / "example" / "processed"
    assert sorted(p.name for p in processed.iterdir()) == sorted(
        p.name for p in (ROOT / "data" / "processed" / "example").iterdir()
    )
