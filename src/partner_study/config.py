"""Paths and constants: the one module that knows where things live.

Layer 1 (imports only :mod:`partner_study.errors`).

A project root holds ``params/``, ``data/raw/``, ``data/processed/``, ``reports/``
and ``notebooks/``. Nothing else in the package builds paths from strings.

Names that become paths (a study's name) are checked against :data:`STUDY_NAME`, and
every path built here resolves inside the project root (:func:`inside_project`): a
parameters file written by someone else can never make the tool read, write or remove
anything outside the project.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from partner_study.errors import PartnerStudyError

__all__ = [
    "SEED",
    "STUDY_NAME",
    "check_study_name",
    "inside_project",
    "StudyPaths",
    "find_root",
    "study_paths",
    "package_dir",
    "notebook_dir",
    "TABLE_NAMES",
    "FIGURE_FORMATS",
    "MODEL_KINDS",
    "ORDINAL_SITES",
    "POOLED_SITES",
    "VALENCES",
]

#: Stance codes a coded segment's optional ``valence`` column may hold (the joint display's
#: meta-inference reads them; validation checks them).
VALENCES: tuple[str, ...] = ("positive", "negative", "mixed", "neutral")

#: Model kinds a params file may ask for (see :mod:`partner_study.models`).
MODEL_KINDS: tuple[str, ...] = ("ols", "mixed", "joint", "ordinal")

#: How site (the groups column) may enter the ordinal model: cluster-robust errors, a
#: fixed effect, or not at all (params ``regression.ordinal_site``).
ORDINAL_SITES: tuple[str, ...] = ("cluster", "fixed", "none")

#: Seed of the bundled example study.
SEED: int = 20231121

#: Figure formats written for every figure.
FIGURE_FORMATS: tuple[str, ...] = ("pdf", "svg", "png", "tiff")

#: The group of a by-site table that pools the sites too small to be shown on their own
#: (disclosure control); parentheses keep it apart from every site name.
POOLED_SITES = "(other sites)"

#: Tidy output tables (DESIGN §5), in report order; the one list the package uses.
TABLE_NAMES: tuple[str, ...] = (
    "characteristics",
    "likert",
    "reliability",
    "scales-by-role",
    "items-by-role",
    "codes",
    "cooccurrence",
    "agreement",
    "quotes",
    "regression",
    "regression-sensitivity",
    "site-heterogeneity",
    "joint-display",
)


#: A study's name: it becomes a folder name under data/, reports/ and .staging/.
STUDY_NAME = re.compile(r"[a-z][a-z0-9_-]{0,63}")


def check_study_name(name: object, *, where: str = "study") -> str:
    """Return ``name`` if it is a safe study name, else raise :class:`PartnerStudyError`.

    A study name starts with a lower-case letter and holds at most 64 lower-case letters,
    digits, ``_`` or ``-``: it is used as a folder name, so nothing like ``..``, ``/abs``
    or an empty name can ever reach a path.

    Parameters
    ----------
    name : object
        The name as given (a params file's ``study:``, a command-line argument).
    where : str
        Where the name comes from, for the message (e.g. ``params/x.yaml: key 'study'``).
    """
    if isinstance(name, str) and STUDY_NAME.fullmatch(name):
        return name
    shown = repr(name) if isinstance(name, str) else f"{type(name).__name__} {name!r}"
    if len(shown) > 80:
        shown = shown[:77] + "..."
    raise PartnerStudyError(
        f"{where}: found {shown}, expected a study name of lower-case letters, digits, '_' "
        "or '-' starting with a letter (at most 64 characters; it becomes a folder name). "
        "Fix: use a name such as 'liege_hospital'."
    )


def inside_project(root: Path, path: Path | str, *, where: str, what: str = "path") -> Path:
    """Resolve ``path`` (relative to ``root`` unless absolute) and check it is inside ``root``.

    Symbolic links are followed: a link that leads out of the project is refused and named.

    Returns
    -------
    Path
        The resolved path.

    Raises
    ------
    PartnerStudyError
        When the path resolves outside the project root.
    """
    root_r = Path(root).resolve()
    given = Path(path)
    full = given if given.is_absolute() else root_r / given
    try:
        resolved = full.resolve()
    except (RuntimeError, OSError):  # a symbolic link that leads back to itself
        raise PartnerStudyError(
            f"{where}: found {str(path)!r}, a symbolic link that loops back to itself, "
            f"expected a {what} inside the project {root_r}. Fix: replace the link with the "
            "file or folder it should name."
        ) from None
    if resolved == root_r or resolved.is_relative_to(root_r):
        return resolved
    link = next(
        (p for p in (full, *full.parents) if p.is_symlink()),
        None,
    )
    how = f" (through the symbolic link {link} -> {os.readlink(link)})" if link is not None else ""
    raise PartnerStudyError(
        f"{where}: found {str(path)!r}, which resolves to {resolved}{how}, expected a {what} "
        f"inside the project {root_r}. Fix: "
        + (
            "replace the link with a copy of what it points to, inside the project."
            if link is not None
            else "use a path inside the project (relative to its root), e.g. data/raw/<study>."
        )
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

    def __post_init__(self) -> None:
        check_study_name(self.study)

    @property
    def staging(self) -> Path:
        """Where the runner stages this study's outputs (the one folder it ever removes)."""
        return self.root / ".staging" / self.study

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
