"""Import ATLAS.ti's quotation export (Excel or CSV) as a draft study.

Layer 2. :func:`import_atlasti` reads the table ATLAS.ti writes from the Quotation Manager
(Export > Excel, or CSV): one row per quotation with its ID (``1:1``), Document, the
quotation's text (Quotation Content / Text Content), its Codes (several in one cell, one
per line, or separated by ", " in a CSV), Comment, Created by, Reference or Start/End.
ATLAS.ti's codes are flat: a name written ``Theme: Code`` belongs to the theme before the
colon, an in-vivo code (a quoted text) to the theme "In vivo", and with ``codebook=`` (its
code manager export or a ``.qdc``) a code takes its code group or top-level code as theme.
It returns a :class:`partner_study.io.RawStudy` (see
:func:`partner_study.io.qdpx.table.import_table`).

Example
-------
>>> from partner_study.io.atlasti import import_atlasti
>>> raw = import_atlasti("quotations.xlsx", codebook="codes.qdc")  # doctest: +SKIP
"""

from __future__ import annotations

import re
from pathlib import Path

from partner_study.io import RawStudy
from partner_study.io.qdpx.table import TableFormat, import_table, split_listed

__all__ = ["import_atlasti", "ATLASTI_COLUMNS", "IN_VIVO"]

#: The theme of in-vivo codes (codes named by a quoted text).
IN_VIVO = "In vivo"
#: Accepted header names of each column of the export (compared case-insensitively).
ATLASTI_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "quotation id", "number", "nummer", "número", "numero", "no"),
    "document": ("document", "documents", "dokument", "documento", "primary document"),
    "code": ("codes", "code", "kodes", "códigos", "codigos", "codici"),
    "text": (
        "quotation content",
        "text content",
        "content",
        "quotation",
        "zitat",
        "inhalt",
        "contenido",
        "conteúdo",
        "contenuto",
    ),
    "start": ("start", "initial position", "start position", "anfang", "posição inicial"),
    "end": ("end", "final position", "end position", "ende", "posição final"),
    "coder": ("created by", "creator", "author", "erstellt von", "creado por", "criado por"),
    "count": ("number of codes", "anzahl codes", "número de códigos", "codes count"),
    "group": ("document groups", "document group", "dokumentgruppen"),
}
_QUOTES = "\"'“”„«»‘’"
_PREFIX = re.compile(r"^(?P<theme>[^:]{1,80}?)\s*:\s+(?P<code>\S.*)$", re.DOTALL)


def _code_entry(name: str) -> tuple[str, str, str]:
    """(key, name, theme): ``Theme: Code`` belongs to the theme before the colon; an in-vivo
    code (quoted) to :data:`IN_VIVO`; any other code is its own theme."""
    name = " ".join(name.split())
    if len(name) >= 2 and name[0] in _QUOTES and name[-1] in _QUOTES:
        return name, name, IN_VIVO
    match = _PREFIX.match(name)
    if match:
        return name, name, match.group("theme")
    return name, name, name


ATLASTI = TableFormat(
    kind="atlasti",
    tool="ATLAS.ti",
    columns=ATLASTI_COLUMNS,
    required=("document", "code", "text"),
    export_fix="in ATLAS.ti open the Quotation Manager, select the quotations and choose "
    "Export > Excel (or CSV), keeping the columns Document, Codes and the quotation's "
    "content",
    code_entry=_code_entry,
    split=split_listed,
    theme_note="Themes are the prefixes of the code names ('Theme: Code'), the code groups "
    "of the codebook when given, or the codes themselves; check the theme names and labels.",
    dropped={
        "reference": "position as ATLAS.ti shows it (paragraph); Start/End are kept",
        "name": "the quotation's name",
        "quotation name": "the quotation's name",
        "comment": "memo of the quotation: not analysed",
        "number of codes": "used to split the Codes cell, not kept",
        "density": "links of the quotation",
        "extensão": "length of the quotation",
        "extent": "length of the quotation",
        "length": "length of the quotation",
        "creation date": "date of the quotation",
        "modification date": "date of the quotation",
        "created": "date of the quotation",
        "modified": "date of the quotation",
        "modified by": "who last changed the quotation",
    },
)


def import_atlasti(
    path: str | Path,
    *,
    study: str = "atlasti",
    participant_pattern: str | None = None,
    participants: str | Path | None = None,
    codebook: str | Path | None = None,
    site: str | None = None,
    role: str | None = None,
    site_column: str | None = None,
    role_column: str | None = None,
) -> RawStudy:
    """Turn ATLAS.ti's quotation export into a draft study of coded segments.

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
        ATLAS.ti's code manager export (CSV or Excel: Code, Comment, Code Group 1 ...) or a
        codebook ``.qdc``: known code names (to split the Codes cells) and their themes.
    site, role : str, optional
        The site / role of every participant, when no column gives them.
    site_column, role_column : str, optional
        The facesheet column holding each participant's site / role.

    Returns
    -------
    RawStudy
        ``participants``, ``segments`` (segment_id = the quotation's ID, one row per code of
        the quotation; start and end from Start/End or Initial/Final Position when whole
        numbers; coder = Created by, else ``coder_1``), the draft codebook and the import
        record.

    Raises
    ------
    StudyDataError
        When the file is not an ATLAS.ti quotation export (columns missing; another
        program's export is named), holds no coded quotation, a document name does not
        match the pattern, the facesheet names no document or speaker, or a limit is passed.

    Notes
    -----
    A Codes cell lists the quotation's codes one per line (Excel export) or separated by
    ", ": as a code's name may hold a comma, a cell is split into the number of codes the
    row gives (Number of Codes) with as many known code names as possible (the codebook's,
    and every cell holding one code).
    """
    return import_table(
        path,
        ATLASTI,
        study=study,
        participant_pattern=participant_pattern,
        participants=participants,
        codebook=codebook,
        site=site,
        role=role,
        site_column=site_column,
        role_column=role_column,
    )
