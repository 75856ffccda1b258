"""Write the REFI-QDA fixtures of three QDA programs (written for partner-study's tests).

Each folder holds a ``project.qde`` and its ``sources/`` the way that program writes the
REFI-QDA standard (Project-mrt2019.xsd), as its documentation and the exports seen in the
wild show it; the texts and codes are made up. Positions are computed here from the texts,
in the unit each program counts (UTF-16 code units: ATLAS.ti, MAXQDA; code points:
QualCoder), so a change of a text keeps the fixtures consistent. Run from this folder:

    python make_tools.py

- atlasti/: ``origin="ATLAS.ti Windows 23.4.0"``; flat codes named ``Theme: Code``, an
  in-vivo code (a quoted name), code groups as ``<Set>``/``<MemberCode guid=...>`` in the
  codebook, document groups as ``<Set>``/``<MemberSource>``; no cases; two coders; a focus
  group whose speakers only the facesheet (facesheet.csv) names.
- maxqda/: ``origin="MAXQDA 2022 (Release 22.4.0)"``; a code tree whose parent code is
  applied itself; document variables as ``<VariableValue>`` of each ``<TextSource>``;
  document groups as sets; transcripts with ``#hh:mm:ss-d#`` time stamps and speaker
  labels; an emoji before a selection; a memo-only selection.
- qualcoder/: ``origin="QualCoder 3.5"``; categories as codes with ``isCodable="false"``;
  cases with attributes and ``<SourceRef>``; code point positions after an emoji; an
  annotation (selection without a coding).
- codebook-atlasti.qdc, codebook-nvivo.qdc: codebook exchange files (namespaces
  ``urn:QDA-XML:codebook:1.0`` and ``urn:QDA-XML:codebook:1:0``).
"""

# ruff: noqa: E501  (the XML templates keep each element on one line, as the programs write it)
from __future__ import annotations

import shutil
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

HERE = Path(__file__).resolve().parent
NS = 'xmlns="urn:QDA-XML:project:1.0"'


def g(prefix: str, n: int) -> str:
    return f"{prefix}000000-0000-4000-8000-{n:012d}"


def span(text: str, piece: str, utf16: bool, nth: int = 0) -> tuple[int, int]:
    at = -1
    for _ in range(nth + 1):
        at = text.index(piece, at + 1)
    if utf16:
        start = len(text[:at].encode("utf-16-le")) // 2
        return start, start + len(piece.encode("utf-16-le")) // 2
    return at, at + len(piece)


def sel(
    guid: str,
    text: str,
    piece: str,
    codings: list[tuple[str, str, str]],
    utf16: bool,
    user: str = "",
    nth: int = 0,
) -> str:
    start, end = span(text, piece, utf16, nth)
    inner = "".join(
        f'<Coding guid="{cg}"'
        + (f' creatingUser="{cu}"' if cu else "")
        + f'><CodeRef targetGUID="{code}"/></Coding>'
        for cg, code, cu in codings
    )
    by = f' creatingUser="{user}"' if user else ""
    return (
        f'      <PlainTextSelection guid="{guid}" name={quoteattr(piece[:30])} '
        f'startPosition="{start}" endPosition="{end}"{by}>{inner}</PlainTextSelection>\n'
    )


def write(folder: str, qde: str, texts: dict[str, str], bom: bool = True) -> None:
    out = HERE / folder
    shutil.rmtree(out, ignore_errors=True)
    (out / "sources").mkdir(parents=True)
    (out / "project.qde").write_text(qde, encoding="utf-8")
    for guid, text in texts.items():
        data = ("\ufeff" if bom else "") + text
        (out / "sources" / f"{guid}.txt").write_bytes(data.encode("utf-8"))


# ----------------------------------------------------------------------------------------------
def atlasti() -> None:
    u1, u2 = g("0a", 1), g("0a", 2)
    c = {k: g("0c", k) for k in range(1, 8)}
    d = {k: g("05", k) for k in range(1, 4)}
    amal = (
        "Interviewer: How do you and your care team talk?\r\n"
        "Amal: We found words that both of us use.\r\n"
        "Amal: My nurse tells me the test results first, we are a team.\r\n"
    )
    bruno = (
        "Interviewer: What gets in the way?\r\n"
        "Bruno: Time. There is never enough time to listen properly.\r\n"
        "Bruno: I trust patients to tell me what matters to them.\r\n"
    )
    group = (
        "Moderator: Who should be told about your results?\r\n"
        "Carla: Only my doctor and me.\r\n"
        "Dev: My family too, they help me at home.\r\n"
        "Moderator: And do you feel heard?\r\n"
        "Carla: Mostly, when the nurse has time.\r\n"
    )
    s = 0

    def nxt() -> str:
        nonlocal s
        s += 1
        return g("5e", s)

    k = 0

    def kg() -> str:
        nonlocal k
        k += 1
        return g("c0", k)

    sa = (
        sel(nxt(), amal, "We found words that both of us use.", [(kg(), c[1], u1)], True, u1)
        + sel(nxt(), amal, "We found words that both of us use.", [(kg(), c[1], u2)], True, u2)
        + sel(
            nxt(),
            amal,
            "My nurse tells me the test results first, we are a team.",
            [(kg(), c[3], u1), (kg(), c[7], u1)],
            True,
            u1,
        )
        + sel(
            nxt(),
            amal,
            "My nurse tells me the test results first, we are a team.",
            [(kg(), c[3], u2)],
            True,
            u2,
        )
    )
    sb = sel(
        nxt(),
        bruno,
        "Time. There is never enough time to listen properly.",
        [(kg(), c[6], u1), (kg(), c[2], u1)],
        True,
        u1,
    ) + sel(
        nxt(),
        bruno,
        "I trust patients to tell me what matters to them.",
        [(kg(), c[5], u2)],
        True,
        u2,
    )
    sg = (
        sel(nxt(), group, "Only my doctor and me.", [(kg(), c[4], u1)], True, u1)
        + sel(nxt(), group, "My family too, they help me at home.", [(kg(), c[4], u1)], True, u1)
        + sel(nxt(), group, "And do you feel heard?", [(kg(), c[2], u1)], True, u1)
        + sel(
            nxt(),
            group,
            "Mostly, when the nurse has time.",
            [(kg(), c[2], u1), (kg(), c[6], u1)],
            True,
            u1,
        )
    )
    names = {
        1: "Communication: shared words",
        2: "Communication: being heard",
        3: "Information: test results",
        4: "Information: who is told",
        5: "Trust",
        6: "Time pressure",
        7: "\u201cwe are a team\u201d",
    }
    codes = "".join(
        f'      <Code guid="{c[n]}" name={quoteattr(name)} isCodable="true" color="#46AA00"/>\n'
        for n, name in names.items()
    )
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project {NS} name="Partnership interviews" origin="ATLAS.ti Windows 23.4.0" creatingUserGUID="{u1}">
  <Users>
    <User guid="{u1}" name="Marie"/>
    <User guid="{u2}" name="Tom"/>
  </Users>
  <CodeBook>
    <Codes>
{codes}    </Codes>
    <Sets>
      <Set guid="{g("5f", 1)}" name="Relationship"><MemberCode guid="{c[5]}"/></Set>
      <Set guid="{g("5f", 2)}" name="Barriers"><MemberCode guid="{c[6]}"/></Set>
    </Sets>
  </CodeBook>
  <Sources>
    <TextSource guid="{d[1]}" name="Interview Amal" plainTextPath="internal://{d[1]}.txt" richTextPath="internal://{d[1]}.docx">
{sa}    </TextSource>
    <TextSource guid="{d[2]}" name="Interview Bruno" plainTextPath="internal://{d[2]}.txt">
{sb}    </TextSource>
    <TextSource guid="{d[3]}" name="Focus group 1" plainTextPath="internal://{d[3]}.txt">
{sg}    </TextSource>
  </Sources>
  <Sets>
    <Set guid="{g("5f", 3)}" name="Patients"><MemberSource targetGUID="{d[1]}"/><MemberSource targetGUID="{d[3]}"/></Set>
    <Set guid="{g("5f", 4)}" name="Professionals"><MemberSource targetGUID="{d[2]}"/></Set>
  </Sets>
</Project>
"""
    write("atlasti", qde, {d[1]: amal, d[2]: bruno, d[3]: group})
    (HERE / "facesheet.csv").write_text(
        "Pseudonym,Role,Site,Age,Email\n"
        "Amal,patient,site_a,61,amal@example.org\n"
        "Bruno,nurse,site_a,44,bruno@example.org\n"
        "Carla,patient,site_b,58,\n"
        "Dev,patient,site_b,70,\n",
        encoding="utf-8",
    )


# ----------------------------------------------------------------------------------------------
def maxqda() -> None:
    u1 = g("0a", 11)
    c = {k: g("0c", 10 + k) for k in range(1, 8)}
    d = {k: g("05", 10 + k) for k in range(1, 4)}
    v = {k: g("0e", 10 + k) for k in range(1, 3)}
    p01 = (
        "#00:00:05-1# Interviewer: What does partnership mean to you?\n"
        "#00:00:09-4# P01: Deciding together \U0001f91d with my doctor.\n"
        "#00:00:21-0# Interviewer: And information?\n"
        "#00:00:24-7# P01: I want my results the same day.\n"
    )
    p02 = (
        "#00:00:03-2# Interviewer: What does partnership mean to you?\n"
        "#00:00:08-9# P02: Being told what happens next.\n"
        "#00:00:15-3# Interviewer: Anything that gets in the way?\n"
        "#00:00:18-0# P02: The hierarchy on the ward.\n"
    )
    n01 = (
        "#00:00:02-0# Interviewer: What does partnership mean to you?\n"
        "#00:00:06-6# N01: Sharing decisions, even when we are short of time.\n"
    )
    s = 100

    def nxt() -> str:
        nonlocal s
        s += 1
        return g("5e", s)

    k = 100

    def kg() -> str:
        nonlocal k
        k += 1
        return g("c0", k)

    sp1 = (
        sel(
            nxt(), p01, "Deciding together \U0001f91d with my doctor.", [(kg(), c[2], u1)], True, u1
        )
        + sel(
            nxt(),
            p01,
            "I want my results the same day.",
            [(kg(), c[4], u1), (kg(), c[1], u1)],
            True,
            u1,
        )
        + f'      <PlainTextSelection guid="{nxt()}" startPosition="0" endPosition="12">'
        f'<NoteRef targetGUID="{g("0d", 1)}"/></PlainTextSelection>\n'
    )
    sp2 = sel(nxt(), p02, "Being told what happens next.", [(kg(), c[3], u1)], True, u1) + sel(
        nxt(), p02, "The hierarchy on the ward.", [(kg(), c[7], u1)], True, u1
    )
    sn1 = sel(
        nxt(),
        n01,
        "Sharing decisions, even when we are short of time.",
        [(kg(), c[2], u1), (kg(), c[6], u1)],
        True,
        u1,
    )

    def values(age: int, role: str) -> str:
        return (
            f'<VariableValue><VariableRef targetGUID="{v[1]}"/><IntegerValue>{age}</IntegerValue>'
            f'</VariableValue><VariableValue><VariableRef targetGUID="{v[2]}"/>'
            f"<TextValue>{escape(role)}</TextValue></VariableValue>"
        )

    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:QDA-XML:project:1.0 http://schema.qdasoftware.org/versions/Project/v1.0/Project.xsd" name="Partnership study" origin="MAXQDA 2022 (Release 22.4.0)" {NS}>
 <Users>
  <User guid="{u1}" name="MK"/>
 </Users>
 <CodeBook>
  <Codes>
   <Code guid="{c[1]}" name="Partnership" isCodable="true" color="#ef8256">
    <Code guid="{c[2]}" name="Shared decisions" isCodable="true" color="#ef8256"/>
    <Code guid="{c[3]}" name="Being informed" isCodable="true" color="#ef8256">
     <Code guid="{c[4]}" name="Test results" isCodable="true" color="#ef8256"/>
    </Code>
   </Code>
   <Code guid="{c[5]}" name="Barriers" isCodable="true" color="#32bd59">
    <Code guid="{c[6]}" name="Time" isCodable="true" color="#32bd59"/>
    <Code guid="{c[7]}" name="Hierarchy" isCodable="true" color="#32bd59"/>
   </Code>
  </Codes>
 </CodeBook>
 <Variables>
  <Variable guid="{v[1]}" name="Age" typeOfVariable="Integer"/>
  <Variable guid="{v[2]}" name="Role" typeOfVariable="Text"/>
 </Variables>
 <Sources>
  <TextSource guid="{d[1]}" name="P01 patient interview" plainTextPath="internal://{d[1]}.txt" creatingUser="{u1}">
{sp1}   {values(57, "Patient")}
  </TextSource>
  <TextSource guid="{d[2]}" name="P02 patient interview" plainTextPath="internal://{d[2]}.txt" creatingUser="{u1}">
{sp2}   {values(66, "Patient")}
  </TextSource>
  <TextSource guid="{d[3]}" name="N01 nurse interview" plainTextPath="internal://{d[3]}.txt" creatingUser="{u1}">
{sn1}   {values(39, "Professional")}
  </TextSource>
 </Sources>
 <Notes>
  <Note guid="{g("0d", 1)}" name="Memo"><PlainTextContent>Recorded at home.</PlainTextContent></Note>
 </Notes>
 <Sets>
  <Set guid="{g("5f", 11)}" name="Site A"><MemberSource targetGUID="{d[1]}"/><MemberSource targetGUID="{d[3]}"/></Set>
  <Set guid="{g("5f", 12)}" name="Site B"><MemberSource targetGUID="{d[2]}"/></Set>
 </Sets>
</Project>
"""
    write("maxqda", qde, {d[1]: p01, d[2]: p02, d[3]: n01})


# ----------------------------------------------------------------------------------------------
def qualcoder() -> None:
    u1, u2 = g("0a", 21), g("0a", 22)
    c = {k: g("0c", 20 + k) for k in range(1, 7)}
    d = {k: g("05", 20 + k) for k in range(1, 3)}
    v = {k: g("0e", 20 + k) for k in range(1, 3)}
    id1 = (
        "[Interviewer] How was the course?\n"
        "[ID1] I liked it \U0001f600 a lot, the tutor listened to us.\n"
        "[Interviewer] Anything hard?\n"
        "[ID1] Too many assignments for the short semester.\n"
    )
    id2 = (
        "[Interviewer] How was the course?\n"
        "[ID2] I am struggling with the lecture slides.\n"
        "[ID2] I will ask the tutor for more help.\n"
    )
    s = 200

    def nxt() -> str:
        nonlocal s
        s += 1
        return g("5e", s)

    k = 200

    def kg() -> str:
        nonlocal k
        k += 1
        return g("c0", k)

    s1 = (
        sel(nxt(), id1, "the tutor listened to us.", [(kg(), c[2], u1)], False, u1)
        + sel(nxt(), id1, "the tutor listened to us.", [(kg(), c[2], u2)], False, u2)
        + sel(
            nxt(),
            id1,
            "Too many assignments for the short semester.",
            [(kg(), c[4], u1)],
            False,
            u1,
        )
        + f'      <PlainTextSelection guid="{nxt()}" startPosition="0" endPosition="5">'
        f'<NoteRef targetGUID="{g("0d", 21)}"/></PlainTextSelection>\n'
    )
    s2 = sel(
        nxt(), id2, "I am struggling with the lecture slides.", [(kg(), c[5], u1)], False, u1
    ) + sel(nxt(), id2, "I will ask the tutor for more help.", [(kg(), c[6], u2)], False, u2)

    def case(n: int, name: str, age: str, gender: str, doc: str) -> str:
        return (
            f'  <Case guid="{g("0f", 20 + n)}" name="{name}">\n'
            f'   <VariableValue><VariableRef targetGUID="{v[1]}"/><TextValue>{age}</TextValue>'
            "</VariableValue>\n"
            f'   <VariableValue><VariableRef targetGUID="{v[2]}"/><TextValue>{gender}</TextValue>'
            "</VariableValue>\n"
            f'   <SourceRef targetGUID="{doc}"/>\n  </Case>\n'
        )

    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project {NS} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:QDA-XML:project:1.0 Project.xsd" name="course feedback" origin="QualCoder 3.5" creatingUserGUID="{u1}">
 <Users>
  <User guid="{u1}" name="default"/>
  <User guid="{u2}" name="jane"/>
 </Users>
 <CodeBook>
  <Codes>
   <Code guid="{c[1]}" name="Teaching" isCodable="false">
    <Code guid="{c[2]}" name="tutor support" isCodable="true" color="#F781F3"/>
    <Code guid="{c[3]}" name="Workload" isCodable="false">
     <Code guid="{c[4]}" name="assignments" isCodable="true"/>
    </Code>
   </Code>
   <Code guid="{c[5]}" name="struggling" isCodable="true"/>
   <Code guid="{c[6]}" name="help seeking" isCodable="true"/>
  </Codes>
 </CodeBook>
 <Variables>
  <Variable guid="{v[1]}" name="Age" typeOfVariable="Text"/>
  <Variable guid="{v[2]}" name="gender" typeOfVariable="Text"/>
 </Variables>
 <Cases>
{case(1, "ID1", "20", "f", d[1])}{case(2, "ID2", "22", "m", d[2])} </Cases>
 <Sources>
  <TextSource guid="{d[1]}" name="ID1.txt" plainTextPath="internal://{d[1]}.txt" creatingUser="{u1}">
{s1}  </TextSource>
  <TextSource guid="{d[2]}" name="ID2.txt" plainTextPath="internal://{d[2]}.txt" creatingUser="{u1}">
{s2}  </TextSource>
 </Sources>
 <Notes>
  <Note guid="{g("0d", 21)}" creatingUser="{u1}"><PlainTextContent>annotation</PlainTextContent></Note>
 </Notes>
</Project>
"""
    write("qualcoder", qde, {d[1]: id1, d[2]: id2}, bom=False)


# ----------------------------------------------------------------------------------------------
def codebooks() -> None:
    (HERE / "codebook-atlasti.qdc").write_text(
        f"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:QDA-XML:codebook:0:4 Codebook.xsd" origin="ATLAS.ti Win 23.4.0" xmlns="urn:QDA-XML:codebook:1.0">
  <Codes>
    <Code guid="{g("0c", 1)}" name="Communication: shared words" color="#46AA00" isCodable="true"><Description>Words both sides use</Description></Code>
    <Code guid="{g("0c", 2)}" name="Communication: being heard" isCodable="true"/>
    <Code guid="{g("0c", 5)}" name="Trust" isCodable="true"/>
    <Code guid="{g("0c", 6)}" name="Time pressure" isCodable="true"/>
    <Code guid="{g("0c", 8)}" name="Hospital rules" isCodable="true"/>
  </Codes>
  <Sets>
    <Set name="Relationship" guid="{g("5f", 1)}"><MemberCode guid="{g("0c", 5)}"/></Set>
    <Set name="Barriers" guid="{g("5f", 2)}"><MemberCode guid="{g("0c", 6)}"/><MemberCode guid="{g("0c", 8)}"/></Set>
  </Sets>
</CodeBook>
""",
        encoding="utf-8",
    )
    (HERE / "codebook-nvivo.qdc").write_text(
        f"""<?xml version="1.0" encoding="UTF-8" standalone="no" ?><CodeBook origin="NVivo 12 For Mac" xmlns="urn:QDA-XML:codebook:1:0"><Codes><Code guid="{g("0c", 31)}" isCodable="true" name="Partnership"><Code guid="{g("0c", 32)}" isCodable="true" name="Shared decisions"/><Code guid="{g("0c", 33)}" isCodable="true" name="Being informed"><Code guid="{g("0c", 34)}" isCodable="true" name="Test results"/></Code></Code><Code guid="{g("0c", 35)}" isCodable="true" name="Barriers"/></Codes></CodeBook>
""",
        encoding="utf-8",
    )


if __name__ == "__main__":
    atlasti()
    maxqda()
    qualcoder()
    codebooks()
