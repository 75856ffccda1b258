"""A study in memory: raw (:class:`RawStudy`) or validated (:class:`Study`).

Layer 2 (a part of :mod:`partner_study.io`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from partner_study.codebook import Codebook

__all__ = ["RawStudy", "Study"]


@dataclass(frozen=True)
class RawStudy:
    """A study in the raw data contract, in memory: what an importer or the simulator makes.

    ``participants``, ``survey`` and ``segments`` hold text cells exactly as they will be
    written to ``participants.csv``, ``survey.csv`` and ``segments.csv`` (``survey`` or
    ``segments`` may be ``None`` for a single-strand study); ``codebook_text`` is the YAML of
    ``codebook.yaml``; ``notes`` are messages for the user (what was assumed, what to check);
    ``import_record`` is the text of ``IMPORT.md`` (see :mod:`partner_study.io.record`), empty
    when there is none.
    """

    codebook_text: str
    participants: pd.DataFrame
    survey: pd.DataFrame | None = None
    segments: pd.DataFrame | None = None
    roster: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()
    import_record: str = ""


@dataclass(frozen=True)
class Study:
    """A validated (or processed) study: codebook and typed tables.

    ``scored`` is the survey with scale scores (after :func:`partner_study.scales.score_scales`);
    before scoring it holds the typed item answers. ``segments`` is ``None`` when the study
    has no qualitative strand, ``scored`` is ``None`` when it has no survey.
    """

    codebook: Codebook
    participants: pd.DataFrame
    scored: pd.DataFrame | None
    segments: pd.DataFrame | None
    roster: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return self.codebook.study
