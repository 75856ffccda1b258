"""Import MAXQDA's coded segments export (Excel or CSV) as a draft study.

Layer 2. :func:`import_maxqda` reads the table MAXQDA writes from "Retrieved Segments" or
"Overview of Coded Segments" > Export (Excel ``.xlsx``, or CSV): one row per coded segment
with the columns Color, Document group, Document name, Code, Beginning, End, Weight score,
Segment, and in newer versions Comment, Created by, Created, Area, Coverage %
(German: Farbe, Dokumentgruppe, Dokumentname, Code, Anfang, Ende, Gewicht, Segment ...).
A code is written with its parents, ``Parent\\Child\\Grandchild``: the top-level code is
its theme. It returns a :class:`partner_study.io.RawStudy` (see
:func:`partner_study.io.qdpx.table.import_table`).

Example
-------
>>> from partner_study.io.maxqda import import_maxqda
>>> raw = import_maxqda("Coded Segments.xlsx", site="site_a")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from partner_study.io import RawStudy
from partner_study.io.qdpx.codebook import PATH_SEPARATOR
from partner_study.io.qdpx.table import TableFormat, import_table

__all__ = ["import_maxqda", "MAXQDA_COLUMNS"]

#: Accepted header names of each column of the export (compared case-insensitively),
#: in the languages of MAXQDA's interface.
MAXQDA_COLUMNS: dict[str, tuple[str, ...]] = {
    "document": (
        "document name",
        "dokumentname",
        "nombre del documento",
        "nom du document",
        "nome do documento",
        "nome documento",
    ),
    "code": ("code", "código", "codigo", "codice", "kod"),
    "text": ("segment", "segmento", "coded segment", "codiertes segment"),
    "start": ("beginning", "begin", "anfang", "inicio", "début", "debut", "início", "inizio"),
    "end": ("end", "ende", "fin", "final", "fim", "fine"),
    "coder": (
        "created by",
        "author",
        "erstellt von",
        "autor",
        "creado por",
        "créé par",
        "criado por",
        "creato da",
    ),
    "group": (
        "document group",
        "dokumentgruppe",
        "grupo de documentos",
        "groupe de documents",
        "gruppo di documenti",
    ),
}


def _code_entry(name: str) -> tuple[str, str, str]:
    """(key, label, theme) of ``Parent\\Child``: the full path, the last part, the first."""
    parts = [p.strip() for p in name.split(PATH_SEPARATOR) if p.strip()] or [name]
    return PATH_SEPARATOR.join(parts), parts[-1], parts[0]


MAXQDA = TableFormat(
    kind="maxqda",
    tool="MAXQDA",
    columns=MAXQDA_COLUMNS,
    required=("document", "code", "text"),
    export_fix="in MAXQDA activate the documents and codes, open Analysis > Retrieved "
    "Segments (or Reports > Overview of Coded Segments) and export it as Excel (.xlsx), "
    "keeping the columns Document name, Code and Segment",
    code_entry=_code_entry,
    theme_note="Themes are the top-level codes of the export (Parent in Parent\\Child); "
    "check the theme names and labels, and merge codes that mean the same.",
    dropped={
        "color": "the code's colour",
        "farbe": "the code's colour",
        "weight score": "coding weight: not part of the data contract",
        "weight": "coding weight: not part of the data contract",
        "gewicht": "coding weight: not part of the data contract",
        "comment": "memo of the coding: not analysed",
        "kommentar": "memo of the coding: not analysed",
        "created": "date of the coding",
        "modified": "date of the coding",
        "modified by": "who last changed the coding",
        "area": "size of the segment",
        "coverage": "share of the document",
    },
)


def import_maxqda(
    path: str | Path,
    *,
    study: str = "maxqda",
    participant_pattern: str | None = None,
    participants: str | Path | None = None,
    codebook: str | Path | None = None,
    site: str | None = None,
    role: str | None = None,
    site_column: str | None = None,
    role_column: str | None = None,
) -> RawStudy:
    """Turn MAXQDA's coded segments export into a draft study of coded segments.

    Parameters
    ----------
    path : path-like
        The export (``.xlsx``, or ``.csv``: UTF-8 or UTF-16, ``,`` ``;`` or tab separated).
    study : str
        The study name written in the codebook.
    participant_pattern : str, optional
        Regular expression finding the participant id in a document name (its first group,
        or the whole match); default: each document is one participant, named by it.
    participants : path-like, optional
        A facesheet (CSV or Excel, one row per participant), matched on the column naming
        the documents or the speakers; its columns become participant variables.
    codebook : path-like, optional
        A codebook (``.qdc``, a project, or a code list) giving themes and labels.
    site, role : str, optional
        The site / role of every participant, when no column gives them.
    site_column, role_column : str, optional
        The facesheet column (or ``document_group``) holding each participant's site / role.

    Returns
    -------
    RawStudy
        ``participants`` (participant_id, site, role, collection, group_id for focus
        groups, document_group, facesheet variables), ``segments`` (segment_id: one per
        distinct document, Beginning, End and text; participant_id, document, start and end
        = Beginning and End, which MAXQDA counts in paragraphs; coder = Created by, else
        ``coder_1``; code; text = Segment), the draft codebook and the import record.

    Raises
    ------
    StudyDataError
        When the file is not a MAXQDA export (columns missing; another program's export is
        named), holds no coded segment, a document name does not match the pattern, the
        facesheet names no document or speaker, or a limit is passed.
    """
    return import_table(
        path,
        MAXQDA,
        study=study,
        participant_pattern=participant_pattern,
        participants=participants,
        codebook=codebook,
        site=site,
        role=role,
        site_column=site_column,
        role_column=role_column,
    )
