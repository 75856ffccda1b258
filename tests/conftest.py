"""Shared fixtures: paths of the test data and a throw-away project to run the pipeline in."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


def make_project(
    dest: Path, *, raw: Path | None = None, study: str = "example", params_text: str | None = None
) -> Path:
    """A minimal project (notebooks, params, one raw study) under ``dest``."""
    shutil.copytree(ROOT / "notebooks", dest / "notebooks")
    (dest / "params").mkdir(parents=True)
    src_raw = raw or ROOT / "data" / "raw" / "example"
    shutil.copytree(
        src_raw, dest / "data" / "raw" / study, ignore=shutil.ignore_patterns("expected.txt")
    )
    text = params_text or (ROOT / "params" / "example.yaml").read_text(encoding="utf-8")
    text = text.replace("study: example", f"study: {study}").replace(
        "data: data/raw/example", f"data: data/raw/{study}"
    )
    (dest / "params" / f"{study}.yaml").write_text(text, encoding="utf-8")
    (dest / "pyproject.toml").write_text("", encoding="utf-8")
    return dest
