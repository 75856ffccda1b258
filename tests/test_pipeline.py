"""End-to-end: the runner executes the notebooks with papermill on a copy of the example."""

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import make_project
from partner_study.errors import PartnerStudyError
from partner_study.pipeline import run_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]

STAGES_01_02 = ["01-prepare", "02-describe"]


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("project"))
    result = run_pipeline(root / "params" / "example.yaml", root=root, only=STAGES_01_02)
    return root, result


def test_outputs_and_contract_columns(ran):
    root, result = ran
    assert [s.status for s in result.stages] == ["ran", "ran"]
    rep = root / "reports" / "example"
    for nb in STAGES_01_02:
        assert (rep / "notebooks" / f"{nb}.ipynb").is_file()
    cols = {
        "characteristics": [
            "variable",
            "level",
            "role",
            "n",
            "percent",
            "mean",
            "sd",
            "median",
            "q1",
            "q3",
            "missing",
            "suppressed",
        ],
        "likert": ["scale", "item", "role", "response", "n", "percent"],
        "reliability": ["scale", "n_items", "n", "alpha", "alpha_ci_low", "alpha_ci_high", "omega"],
    }
    for name, expected in cols.items():
        assert list(pd.read_csv(rep / "tables" / f"{name}.csv").columns) == expected
    for fmt in ("pdf", "svg", "png"):
        assert (rep / "figures" / f"likert-engagement.{fmt}").is_file()
    processed = root / "data" / "processed" / "example"
    assert {p.name for p in processed.iterdir()} >= {
        "participants.parquet",
        "scored.parquet",
        "segments.parquet",
        "codebook.yaml",
    }


def test_key_numbers(ran):
    root, _ = ran
    rep = root / "reports" / "example" / "tables"
    char = pd.read_csv(rep / "characteristics.csv")
    sizes = char[char["variable"] == "participants"].set_index("role")["n"]
    assert sizes["all"] == 600
    rel = pd.read_csv(rep / "reliability.csv").set_index("scale")
    assert (rel["alpha"] > 0.7).all()  # items simulated from one true score per scale
    scored = pd.read_parquet(root / "data" / "processed" / "example" / "scored.parquet")
    assert (
        len(scored) == 549
        and scored["engagement"].between(1, 5).all() | scored["engagement"].isna().any()
    )


def test_manifest(ran):
    root, _ = ran
    manifest = json.loads((root / "reports" / "example" / "manifest.json").read_text())
    assert manifest["study"] == "example"
    assert set(manifest["stages"]) == set(STAGES_01_02)
    for rel, digest in manifest["outputs"].items():
        assert hashlib.sha256((root / rel).read_bytes()).hexdigest() == digest
    assert "data/raw/example/survey.csv" in manifest["inputs"]
    assert manifest["environment"]["packages"]["pandas"]
    assert manifest["stages"]["01-prepare"]["seconds"] > 0


def test_second_run_skips_everything(ran):
    root, _ = ran
    again = run_pipeline(root / "params" / "example.yaml", root=root, only=STAGES_01_02)
    assert [s.status for s in again.stages] == ["skipped", "skipped"]


def test_cold_rerun_is_byte_identical(ran):
    root, _ = ran
    rep, processed = root / "reports" / "example", root / "data" / "processed" / "example"
    before = {
        **digests(rep / "tables"),
        **digests(rep / "figures"),
        **{f"p/{k}": v for k, v in digests(processed).items()},
        **{f"n/{k}": v for k, v in digests(rep / "notebooks").items()},
    }
    shutil.rmtree(root / "reports")
    shutil.rmtree(root / "data" / "processed")
    run_pipeline(root / "params" / "example.yaml", root=root, only=STAGES_01_02)
    after = {
        **digests(rep / "tables"),
        **digests(rep / "figures"),
        **{f"p/{k}": v for k, v in digests(processed).items()},
        **{f"n/{k}": v for k, v in digests(rep / "notebooks").items()},
    }
    assert after == before


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
