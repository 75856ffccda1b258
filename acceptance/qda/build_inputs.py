"""Build the inputs of the QDA import acceptance run (acceptance/qda/run.sh).

Writes into OUT (outside the repository):

- projects zipped from the fixture folders the tests use (tests/data/import/qdpx/tools/:
  ATLAS.ti, MAXQDA and QualCoder layouts) -> atlasti.qdpx, maxqda.qdpx, qualcoder.qdpx;
- from the shared real data (never copied into the repository: LGPL / CC BY-NC), coded
  exports made at run time:
  - qualcoder-examples.qdpx: QualCoder's example transcript (speaker turns "[id1] ...") as
    a QualCoder project, each turn coded by keyword; its cases123.csv is the facesheet;
  - sheffield.qdpx and sheffield-segments.xlsx: three real interview transcripts (speaker
    turns "Ana: ...", "Researcher 1: ...") as a MAXQDA project and as MAXQDA's coded
    segments export, turns coded by keyword; facesheet.xlsx is the facesheet;
- the malformed variants: a truncated project, a project with a damaged member, a
  project without codings, a codebook given as a project, a truncated workbook.

Usage: python build_inputs.py --realdata ../shared/realdata --out /tmp/partner-study-qda/inputs
"""

from __future__ import annotations

import argparse
import re
import shutil
import zipfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

import openpyxl

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tests" / "data" / "import" / "qdpx" / "tools"
NS = 'xmlns="urn:QDA-XML:project:1.0"'
TURN = re.compile(r"^(?:\[(?P<b>[^\]]+)\]|(?P<n>[A-Z][\w ]{0,30}?):)\s*(?P<text>.+)$")
#: keyword rules: code path -> pattern (first match of a turn)
RULES = {
    "Methods\\Interviews": r"\binterview",
    "Methods\\Software": r"\b(software|nvivo|atlas|maxqda|excel)\b",
    "Open research\\Sharing data": r"\bshar",
    "Open research\\Ethics": r"\b(ethic|consent|anonym)",
    "Course\\Workload": r"\b(assignment|too many|too long)",
    "Course\\Learning": r"\b(learn|helped|history)",
    "Course\\Struggling": r"\b(struggl|switched off|too busy)",
}


def g(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def zip_folder(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(folder / "project.qde", "project.qde")
        for source in sorted((folder / "sources").iterdir()):
            zf.write(source, f"sources/{source.name}")
    return out


def coded_turns(text: str) -> list[tuple[int, int, str, str, str]]:
    """(start, end, speaker, turn text, code path) of each turn a keyword rule codes."""
    out = []
    at = 0
    for line in text.splitlines(keepends=True):
        match = TURN.match(line.strip("\ufeff").rstrip("\r\n"))
        if match:
            speaker = (match.group("b") or match.group("n")).strip()
            body = match.group("text").strip()
            start = at + line.index(body)
            for path, pattern in RULES.items():
                if re.search(pattern, body, re.IGNORECASE):
                    out.append((start, start + len(body), speaker, body, path))
                    break
        at += len(line)
    return out


def project(name: str, origin: str, documents: dict[str, str], utf16: bool) -> bytes:
    """A REFI-QDA project.qde: the rule codes as a tree, each document's coded turns."""
    paths = sorted({p for text in documents.values() for *_, p in coded_turns(text)})
    parents = sorted({p.split("\\")[0] for p in paths})
    guid = {p: g(1000 + i) for i, p in enumerate(parents + paths)}
    codes = "".join(
        f'<Code guid="{guid[top]}" name={quoteattr(top)} isCodable="false">'
        + "".join(
            f'<Code guid="{guid[p]}" name={quoteattr(p.split(chr(92))[1])} isCodable="true"/>'
            for p in paths
            if p.split("\\")[0] == top
        )
        + "</Code>"
        for top in parents
    )
    sources, k = [], 0
    for i, (doc, text) in enumerate(documents.items()):
        sels = []
        for start, end, _, body, path in coded_turns(text):
            k += 1
            if utf16:
                start = len(text[:start].encode("utf-16-le")) // 2
                end = start + len(body.encode("utf-16-le")) // 2
            sels.append(
                f'<PlainTextSelection guid="{g(5000 + k)}" startPosition="{start}" '
                f'endPosition="{end}" creatingUser="{g(1)}"><Coding guid="{g(9000 + k)}" '
                f'creatingUser="{g(1)}"><CodeRef targetGUID="{guid[path]}"/></Coding>'
                "</PlainTextSelection>"
            )
        sources.append(
            f'<TextSource guid="{g(100 + i)}" name={quoteattr(doc)} '
            f'plainTextPath="internal://{g(100 + i)}.txt">{"".join(sels)}</TextSource>'
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<Project {NS} name={quoteattr(name)} '
        f'origin={quoteattr(origin)}><Users><User guid="{g(1)}" name="acceptance"/></Users>'
        f"<CodeBook><Codes>{codes}</Codes></CodeBook><Sources>{''.join(sources)}</Sources>"
        "</Project>"
    ).encode()


def write_project(out: Path, qde: bytes, documents: dict[str, str]) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", qde)
        for i, text in enumerate(documents.values()):
            zf.writestr(f"sources/{g(100 + i)}.txt", ("\ufeff" + text).encode("utf-8"))
    return out


def segments_table(out: Path, documents: dict[str, str]) -> Path:
    """MAXQDA's coded segments export of the same keyword codings (paragraph numbers)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        [
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
        ]
    )
    for doc, text in documents.items():
        lines = text.splitlines()
        for start, _, speaker, body, path in coded_turns(text):
            paragraph = text[:start].count("\n") + 1
            ws.append(
                [
                    "●",
                    "Interviews",
                    doc,
                    path,
                    paragraph,
                    paragraph,
                    0,
                    f"{speaker}: {body}",
                    "",
                    "acceptance",
                ]
            )
        del lines
    wb.save(out)
    return out


def malformed(out: Path, good: Path) -> None:
    data = good.read_bytes()
    (out / "truncated.qdpx").write_bytes(data[: len(data) // 2])
    broken = bytearray(data)
    at = broken.find(b"sources/") + 60
    broken[at : at + 8] = b"\xff" * 8
    (out / "damaged-member.qdpx").write_bytes(bytes(broken))
    with zipfile.ZipFile(out / "no-codings.qdpx", "w") as zf:
        zf.writestr(
            "project.qde",
            f'<Project {NS} name="codes only" origin="MAXQDA 24 (Release 24.7.0)"><CodeBook>'
            '<Codes><Code guid="a" name="Barriers" isCodable="true"><Code guid="b" name="Time" '
            'isCodable="true"/></Code></Codes></CodeBook><Sources><TextSource guid="s" '
            'name="P01" plainTextPath="internal://s.txt"/></Sources></Project>',
        )
        zf.writestr("sources/s.txt", "P01: nothing coded yet")
    shutil.copyfile(TOOLS / "codebook-atlasti.qdc", out / "codebook-as-project.qdpx")
    book = (ROOT / "tests" / "data" / "import" / "maxqda" / "coded-segments.xlsx").read_bytes()
    (out / "truncated.xlsx").write_bytes(book[: len(book) // 2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--realdata", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    out = args.out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for tool in ("atlasti", "maxqda", "qualcoder"):
        zip_folder(TOOLS / tool, out / f"{tool}.qdpx")
    qc = args.realdata / "qualcoder-examples"
    transcript = {"transcript": (qc / "Examples__transcript.txt").read_text(encoding="utf-8")}
    write_project(
        out / "qualcoder-examples.qdpx",
        project("QualCoder examples", "QualCoder 3.5", transcript, utf16=False),
        transcript,
    )
    shutil.copyfile(qc / "Examples__cases123.csv", out / "qualcoder-cases.csv")
    sh = args.realdata / "sheffield-interviews"
    interviews = {
        name: (sh / f"{name}.txt").read_text(encoding="utf-8-sig")
        for name in ("Ana", "David", "Jessica")
    }
    write_project(
        out / "sheffield.qdpx",
        project("Sheffield interviews", "MAXQDA 24 (Release 24.7.0)", interviews, utf16=True),
        interviews,
    )
    segments_table(out / "sheffield-segments.xlsx", interviews)
    shutil.copyfile(sh / "facesheet.xlsx", out / "sheffield-facesheet.xlsx")
    malformed(out, out / "maxqda.qdpx")
    for path in sorted(out.iterdir()):
        print(f"  {path.name}")


if __name__ == "__main__":
    main()
