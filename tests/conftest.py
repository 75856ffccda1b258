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


#: Test groups (``xdist_group``) that take longest, longest first: `make test` hands them out
#: before the short tests, so the two workers end together instead of one waiting for the
#: other's last long group.
LONG_GROUPS = ("runner", "coverage", "nbval", "designs", "pipeline", "design-", "kernels")


def _group(item: pytest.Item) -> str:
    mark = item.get_closest_marker("xdist_group")
    return str(mark.args[0]) if mark is not None and mark.args else ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long groups first, then the design matrix's studies, then the rest; otherwise the
    collection order (a stable sort)."""

    def rank(item: pytest.Item) -> int:
        group = _group(item)
        for i, prefix in enumerate(LONG_GROUPS):
            if group == prefix or (prefix.endswith("-") and group.startswith(prefix)):
                return i
        return len(LONG_GROUPS) + (0 if group.startswith("matrix-") else 1)

    items.sort(key=rank)
