"""The runner on bad input: it stops with the message, writes nothing, leaves raw data alone.

The runs on good input (outputs, manifest, skipping, byte-identical reruns) are in
test_runner.py, on one shared full run of the example."""

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_project
from partner_study.errors import PartnerStudyError
from partner_study.pipeline import run_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_bad_data_stops_with_message_and_writes_nothing(tmp_path, data_dir):
    root = make_project(tmp_path, raw=data_dir / "malformed" / "likert-out-of-range")
    raw_before = digests(root / "data" / "raw")
    with pytest.raises(PartnerStudyError, match=r"survey\.csv: row 6, column 'eng_3'"):
        run_pipeline(root / "params" / "example.yaml", root=root, only=["01-prepare"])
    assert not (root / "reports").exists() or not any((root / "reports").rglob("*.csv"))
    assert not (root / "data" / "processed").exists()
    assert digests(root / "data" / "raw") == raw_before


def test_cli_run_bad_data_no_traceback(tmp_path, data_dir):
    root = make_project(tmp_path, raw=data_dir / "malformed" / "undeclared-code")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "partner_study.cli",
            "run",
            "params/example.yaml",
            "--only",
            "01-prepare",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert "undeclared code 'empowerment'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (root / "data" / "processed").exists()
