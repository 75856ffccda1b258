"""The run context of a notebook: its checked parameters, the study's paths, where it writes.

Layer 2. A stage run by the runner writes to the staging folder it is given; a notebook
run by hand writes to a scratch folder, ``.lab/<study>/`` (:data:`LAB_FOLDER`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from partner_study.config import StudyPaths, find_root, inside_project
from partner_study.params.defaults import Params
from partner_study.params.loading import load_params

__all__ = ["LAB_FOLDER", "RunContext", "run_context"]


@dataclass(frozen=True)
class RunContext:
    """What a notebook needs: parameters, the study's paths, and where this stage writes.

    ``out`` is the staging folder the runner gives a stage (outputs are moved into place
    only when the stage succeeds). A notebook run by hand (JupyterLab) has none: it writes
    to a scratch folder, ``.lab/<study>/`` (:attr:`scratch`), so the study's outputs in
    ``reports/`` and ``data/processed/`` stay those of the last recorded run and ``verify``
    keeps agreeing with the manifest; it reads what an earlier notebook wrote there, else
    the recorded outputs.
    """

    params: Params
    paths: StudyPaths
    out: Path | None
    scratch: Path | None = None

    def _read(self, kind: str, final: Path) -> Path:
        if self.scratch is not None and (self.scratch / kind).is_dir():
            return self.scratch / kind
        return final

    @property
    def raw(self) -> Path:
        return self.paths.root / self.params.data[0]

    @property
    def raw_folders(self) -> list[Path]:
        return [self.paths.root / d for d in self.params.data]

    @property
    def processed(self) -> Path:
        return self._read("processed", self.paths.processed)

    @property
    def processed_out(self) -> Path:
        return self.out / "processed" if self.out else self.paths.processed

    @property
    def tables(self) -> Path:
        return self.out / "tables" if self.out else self.paths.tables

    @property
    def figures(self) -> Path:
        return self.out / "figures" if self.out else self.paths.figures

    @property
    def tables_in(self) -> Path:
        """Final tables folder (inputs of stages that read earlier stages' tables)."""
        return self._read("tables", self.paths.tables)

    @property
    def figures_in(self) -> Path:
        return self._read("figures", self.paths.figures)

    @property
    def report_out(self) -> Path:
        return self.out if self.out else self.paths.reports


#: Where notebooks run by hand write, under the project root (git-ignored).
LAB_FOLDER = ".lab"


def run_context(params_path: str, *, root: str = "", out: str = "") -> RunContext:
    """The context of a notebook run: load parameters (checked) and resolve paths.

    ``out`` empty (a notebook run by hand): outputs go to ``.lab/<study>/``, a scratch
    folder, and a line says so and how to run the stage for the study's record."""
    root_p = Path(root).resolve() if root else find_root(Path(params_path).resolve().parent)
    ppath = Path(params_path)
    if not ppath.is_absolute():
        ppath = root_p / ppath
    params = load_params(ppath, root=root_p)
    paths = StudyPaths(root_p, params.study)
    if out:
        out_p = Path(out) if Path(out).is_absolute() else root_p / out
        return RunContext(params, paths, out_p)
    scratch = inside_project(
        root_p, Path(LAB_FOLDER) / params.study, where="run_context", what="scratch folder"
    )
    print(
        f"Run by hand: this notebook writes to {LAB_FOLDER}/{params.study}/ (a scratch folder), "
        f"not to reports/{params.study}/. To record a stage's outputs, run "
        f"'partner-study run {ppath.relative_to(root_p) if ppath.is_relative_to(root_p) else ppath}"
        " --only <stage>' (or 'make run')."
    )
    return RunContext(params, paths, scratch, scratch=scratch)
