"""Write the MAXQDA and ATLAS.ti table exports used by partner-study's tests (made up data).

The columns, their order and their cell conventions follow what each program writes, as
its manual describes it and as real exports show it (a real MAXQDA 24 "Coded Segments"
export: Color, Document group, Document name, Code, Beginning, End, Weight score, Segment;
ATLAS.ti 23 for Windows, Quotation Manager > Export > Excel: ID, Quotation Name, Document,
Quotation Content, Codes one per line, Reference, Density, Comment, Created by ...). Run
from this folder:

    python make_exports.py

- coded-segments.xlsx: MAXQDA 2022 (English), codes as ``Parent\\Child``, two coders on
  one segment, a focus group transcript with speaker labels, a segment text that a
  spreadsheet would run as a formula, and the newer columns (Comment, Created by, Area,
  Coverage %).
- facesheet.xlsx: the participants of coded-segments.xlsx (Name, Role, Site, Age, Phone).
- kodierte-segmente.csv: the German interface's CSV (``;``, UTF-8 with BOM).
- ../atlasti/quotations.xlsx: ATLAS.ti 23 for Windows, codes one per line.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
WHEN = dt.datetime(2023, 5, 2, 10, 30)


def book(path: Path, header: list[str], rows: list[list[object]]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(header)
    for row in rows:
        ws.append(row)
    for line in ws.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text, as the program writes it, not a formula
    wb.properties.created = WHEN
    wb.properties.modified = WHEN
    wb.save(path)


def maxqda() -> None:
    header = [
        "Color",
        "Document group",
        "Document name",
        "Code",
        "Beginning",
        "End",
        "Weight score",
        "Segment",
        "Comment",
        "Created by",
        "Created",
        "Area",
        "Coverage %",
    ]
    rows = [
        [
            "●",
            "Interviews",
            "P01 interview",
            "Partnership\\Shared decisions",
            2,
            2,
            0,
            "P01: Deciding together with my doctor.",
            "",
            "MK",
            WHEN,
            39,
            14.2,
        ],
        [
            "●",
            "Interviews",
            "P01 interview",
            "Partnership\\Shared decisions",
            2,
            2,
            0,
            "P01: Deciding together with my doctor.",
            "",
            "AB",
            WHEN,
            39,
            14.2,
        ],
        [
            "●",
            "Interviews",
            "P01 interview",
            "Partnership\\Being informed\\Test results",
            4,
            4,
            0,
            "P01: I want my results the same day.",
            "check wording",
            "MK",
            WHEN,
            36,
            13.1,
        ],
        [
            "●",
            "Interviews",
            "P01 interview",
            "Barriers\\Time",
            4,
            4,
            0,
            "P01: I want my results the same day.",
            "",
            "AB",
            WHEN,
            36,
            13.1,
        ],
        [
            "●",
            "Interviews",
            "N01 interview",
            "Barriers\\Time",
            2,
            3,
            0,
            "N01: Sharing decisions, even when we are short of time.\n\nN01: It is hard.",
            "",
            "MK",
            WHEN,
            66,
            40.0,
        ],
        [
            "●",
            "Interviews",
            "N01 interview",
            "Partnership",
            5,
            5,
            0,
            "=1+1 is what the nurse wrote on the board",
            "",
            "MK",
            WHEN,
            41,
            20.0,
        ],
        [
            "●",
            "Focus groups",
            "FG1",
            "Partnership\\Being informed",
            2,
            2,
            0,
            "Anna: Being told what happens next.",
            "",
            "MK",
            WHEN,
            35,
            8.0,
        ],
        [
            "●",
            "Focus groups",
            "FG1",
            "Barriers\\Hierarchy",
            3,
            3,
            0,
            "Ben: The hierarchy on the ward.",
            "",
            "MK",
            WHEN,
            30,
            7.0,
        ],
        [
            "●",
            "Focus groups",
            "FG1",
            "Partnership\\Shared decisions",
            4,
            4,
            0,
            "Moderator: So decisions are shared?",
            "",
            "MK",
            WHEN,
            34,
            7.5,
        ],
        [
            "●",
            "Focus groups",
            "FG1",
            "Partnership\\Shared decisions",
            5,
            5,
            0,
            "Anna: Sometimes, with the right nurse.",
            "",
            "MK",
            WHEN,
            37,
            8.1,
        ],
        [
            "●",
            "Focus groups",
            "FG1",
            "Barriers\\Hierarchy",
            6,
            6,
            0,
            "Moderator: And the doctors?",
            "",
            "MK",
            WHEN,
            27,
            6.0,
        ],
    ]
    book(HERE / "coded-segments.xlsx", header, rows)
    book(
        HERE / "facesheet.xlsx",
        ["Name", "Role", "Site", "Age", "Phone"],
        [
            ["P01", "patient", "north", 61, "0470 00 00 01"],
            ["N01", "nurse", "north", 44, "0470 00 00 02"],
            ["Anna", "patient", "south", 58, ""],
            ["Ben", "patient", "south", 70, ""],
        ],
    )
    german = [
        "Farbe;Dokumentgruppe;Dokumentname;Code;Anfang;Ende;Gewicht;Segment",
        "●;Interviews;P01 Interview;Partnerschaft\\Gemeinsam entscheiden;2;2;0;"
        '"P01: Wir entscheiden gemeinsam, mein Arzt und ich."',
        '●;Interviews;P01 Interview;Hindernisse\\Zeit;3;3;0;"P01: Es fehlt die Zeit."',
        "●;Interviews;P02 Interview;Partnerschaft\\Informiert sein;2;2;0;"
        '"P02: Ich will wissen, was als Nächstes passiert."',
    ]
    (HERE / "kodierte-segmente.csv").write_bytes(
        b"\xef\xbb\xbf" + ("\r\n".join(german) + "\r\n").encode("utf-8")
    )


def atlasti() -> None:
    header = [
        "ID",
        "Quotation Name",
        "Document",
        "Quotation Content",
        "Codes",
        "Reference",
        "Density",
        "Comment",
        "Created by",
        "Modified by",
        "Created",
        "Modified",
    ]
    rows = [
        [
            "1:1",
            "We found words that both of us use.",
            "Interview Amal",
            "We found words that both of us use.",
            "Communication: shared words",
            "2:7 – 2:42",
            0,
            "",
            "Marie",
            "Marie",
            WHEN,
            WHEN,
        ],
        [
            "1:2",
            "My nurse tells me the test results…",
            "Interview Amal",
            "My nurse tells me the test results first, we are a team.",
            "Information: test results\n“we are a team”",
            "3:7 – 3:63",
            0,
            "",
            "Marie",
            "Marie",
            WHEN,
            WHEN,
        ],
        [
            "2:1",
            "Time. There is never enough time to…",
            "Interview Bruno",
            "Time. There is never enough time to listen properly.",
            "Time pressure\nCommunication: being heard",
            "2:8 – 2:59",
            0,
            "memo",
            "Tom",
            "Tom",
            WHEN,
            WHEN,
        ],
        [
            "2:2",
            "I trust patients to tell me what ma…",
            "Interview Bruno",
            "I trust patients to tell me what matters to them.",
            "Trust",
            "3:8 – 3:56",
            0,
            "",
            "Tom",
            "Tom",
            WHEN,
            WHEN,
        ],
        [
            "2:3",
            "",
            "Interview Bruno",
            "Bruno: (laughs)",
            "",
            "4:1 – 4:15",
            0,
            "",
            "Tom",
            "Tom",
            WHEN,
            WHEN,
        ],
    ]
    book(HERE.parent / "atlasti" / "quotations.xlsx", header, rows)


if __name__ == "__main__":
    maxqda()
    atlasti()
