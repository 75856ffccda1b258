"""Exception types and the problem record used in every user-facing message.

Layer 1 (imports nothing from the package).

Every problem found in user input is reported in one shape::

    data/raw/site-a/survey.csv: row 17, column 'eng_3': found '7', expected 1-5.
    Fix: correct the value or add 7 to 'missing' for eng_3 in codebook.yaml.

Validation collects all problems first and raises one :class:`StudyDataError`
listing them; the command-line interface prints that message (no traceback)
and exits with status 2.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Problem",
    "PartnerStudyError",
    "StudyDataError",
    "CodebookError",
    "ParamsError",
    "StageError",
]


@dataclass(frozen=True)
class Problem:
    """One problem in one place of the user's input.

    Parameters
    ----------
    file : str
        Path of the file, as the user would type it.
    found : str
        What was found there.
    expected : str
        What was expected instead.
    fix : str
        What the user should do.
    row : int, optional
        Row number as a spreadsheet shows it (header = row 1, first data row = row 2).
    column : str, optional
        Column name.
    line : int, optional
        Line number in a text file (YAML).
    """

    file: str
    found: str
    expected: str
    fix: str
    row: int | None = None
    column: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = [self.file]
        place = []
        if self.line is not None:
            place.append(f"line {self.line}")
        if self.row is not None:
            place.append(f"row {self.row}")
        if self.column is not None:
            place.append(f"column '{self.column}'")
        head = f"{self.file}: {', '.join(place)}" if place else where[0]
        return (
            f"{_cut(head)}: found {_cut(self.found)}, expected {_cut(self.expected)}. "
            f"Fix: {_cut(self.fix)}"
        )


#: Longest part of a message (a 1 MB column name or cell is shown by its start).
MAX_SHOWN = 500


def _cut(text: str) -> str:
    if len(text) <= MAX_SHOWN:
        return text
    return f"{text[: MAX_SHOWN - 40]}... ({len(text):,} characters in all)"


class PartnerStudyError(Exception):
    """Base class of errors caused by the user's data, parameters or command line."""


class StudyDataError(PartnerStudyError, ValueError):
    """The study's input data break the data contract.

    Carries every problem found, so a user can fix them all in one pass.
    """

    def __init__(self, problems: list[Problem] | Problem, *, limit: int = 50) -> None:
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        lines = [str(p) for p in self.problems[:limit]]
        more = len(self.problems) - limit
        if more > 0:
            lines.append(f"... and {more} more problem(s) of the same kinds.")
        n = len(self.problems)
        header = f"{n} problem{'s' if n != 1 else ''} found in the study data:"
        super().__init__(header + "\n" + "\n".join(f"  {line}" for line in lines))


class CodebookError(StudyDataError):
    """The codebook (``codebook.yaml``) is malformed or inconsistent."""


class ParamsError(PartnerStudyError, ValueError):
    """A parameters file (``params/<study>.yaml``) names something that does not exist."""


class StageError(PartnerStudyError):
    """A pipeline stage (notebook) failed.

    Parameters
    ----------
    notebook : str
        The notebook that failed.
    executed : str
        Where papermill's executed copy (with the error cell) was kept.
    cell : int, optional
        Index of the failing code cell (as papermill counts, from 1).
    detail : str
        The error's name and message.
    """

    def __init__(self, notebook: str, executed: str, cell: int | None, detail: str) -> None:
        self.notebook, self.executed, self.cell, self.detail = notebook, executed, cell, detail
        where = f"cell {cell}" if cell is not None else "an unknown cell"
        super().__init__(
            f"stage {notebook} failed in {where}: {detail}\n"
            f"  The executed notebook with the error is kept at {executed}"
        )
