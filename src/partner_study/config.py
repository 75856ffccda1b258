"""Paths and constants: the one module that knows where things live.

Layer 1 (imports nothing from the package).

A project root holds ``params/``, ``data/raw/``, ``data/processed/``, ``reports/``
and ``notebooks/``. Nothing else in the package builds paths from strings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ROLES",
    "SEED",
    "StudyPaths",
    "find_root",
    "study_paths",
    "package_dir",
    "notebook_dir",
    "TABLE_NAMES",
    "FIGURE_FORMATS",
    "MODEL_KINDS",
]

#: Model kinds a params file may ask for (see :mod:`partner_study.models`).
MODEL_KINDS: tuple[str, ...] = ("ols", "mixed", "joint", "ordinal")

#: The two participant roles of a partnership study.
ROLES: tuple[str, ...] = ("patient", "professional")

#: Seed of the bundled example study.
SEED: int = 20231121

#: Figure formats written for every figure.
FIGURE_FORMATS: tuple[str, ...] = ("pdf", "svg", "png", "tiff")

#: Tidy output tables (DESIGN §5), in report order; the one list the package uses.
TABLE_NAMES: tuple[str, ...] = (
    "characteristics",
    "likert",
    "reliability",
    "codes",
    "cooccurrence",
    "agreement",
    "quotes",
    "regression",
    "regression-sensitivity",
    "site-heterogeneity",
    "joint-display",
)


def package_dir() -> Path:
    """Folder of the installed package."""
    return Path(__file__).resolve().parent


def find_root(start: Path | str | None = None) -> Path:
    """Return the project root: the nearest folder upward holding ``params/`` or ``pyproject.toml``.

    ``PARTNER_STUDY_ROOT`` overrides the search.
    """
    env = os.environ.get("PARTNER_STUDY_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "params").is_dir() or (folder / "pyproject.toml").is_file():
            return folder
    return here


def notebook_dir(root: Path) -> Path:
    """Folder of the notebook templates of a project."""
    return root / "notebooks"


@dataclass(frozen=True)
class StudyPaths:
    """Where one study's data and outputs live, relative to a project root."""

    root: Path
    study: str

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw" / self.study

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed" / self.study

    @property
    def reports(self) -> Path:
        return self.root / "reports" / self.study

    @property
    def tables(self) -> Path:
        return self.reports / "tables"

    @property
    def figures(self) -> Path:
        return self.reports / "figures"

    @property
    def notebooks(self) -> Path:
        return self.reports / "notebooks"

    @property
    def manifest(self) -> Path:
        return self.reports / "manifest.json"

    @property
    def params(self) -> Path:
        return self.root / "params" / f"{self.study}.yaml"


def study_paths(study: str, root: Path | str | None = None) -> StudyPaths:
    """Paths of ``study`` under ``root`` (default: :func:`find_root`)."""
    return StudyPaths(Path(root).resolve() if root else find_root(), study)
