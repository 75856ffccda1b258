"""Build the validation fixtures in tests/data/: a small valid study and malformed copies.

Run from the project root: ``.venv/bin/python tests/data/make_cases.py``. Each case folder
holds one defect and ``expected.txt``: a regular expression the validation message must
match (it names the file, the row or line, and the column).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from partner_study.simulate import simulate_study
from partner_study.writer import write_raw_study

HERE = Path(__file__).parent
BASE = HERE / "small"
CASES = HERE / "malformed"
GOOD = HERE / "wellformed"


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_edit(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell (row as a spreadsheet counts: header = 1)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")


def case(name: str, expected: str) -> Path:
    folder = CASES / name
    shutil.copytree(BASE, folder)
    (folder / "truth.json").unlink()
    (folder / "expected.txt").write_text(expected + "\n", encoding="utf-8")
    return folder


def main() -> None:
    shutil.rmtree(BASE, ignore_errors=True)
    shutil.rmtree(CASES, ignore_errors=True)
    shutil.rmtree(GOOD, ignore_errors=True)
    sim = simulate_study(seed=7, n_sites=2, n_participants=40, n_segments=60, study="small")
    write_raw_study(sim, BASE)

    f = case("missing-file", r"participants\.csv: found no such file")
    (f / "participants.csv").unlink()
    f = case("missing-column", r"survey\.csv: row 1, column 'eng_3': found no such column")
    edit(f / "survey.csv", ",eng_3,", ",eng_3x,")
    f = case(
        "unknown-column",
        r"participants\.csv: row 1, column 'postcode': "
        r"found a column the codebook does not declare",
    )
    edit(f / "participants.csv", "profession\n", "profession,postcode\n")
    p = f / "participants.csv"
    p.write_text(
        "\n".join(
            line + ",1000" if i else line
            for i, line in enumerate(p.read_text(encoding="utf-8").strip().split("\n"))
        )
        + "\n",
        encoding="utf-8",
    )
    f = case(
        "duplicate-id",
        r"participants\.csv: row 5, column 'participant_id': found duplicate id 'BE-0003'",
    )
    line_edit(f / "participants.csv", 5, "participant_id", "BE-0003")
    f = case(
        "unknown-participant-survey",
        r"survey\.csv: row 3, column 'participant_id': found unknown participant 'XX-9999'",
    )
    line_edit(f / "survey.csv", 3, "participant_id", "XX-9999")
    f = case(
        "unknown-participant-segments",
        r"segments\.csv: row 4, column 'participant_id': found unknown participant 'ZZ-0001'",
    )
    line_edit(f / "segments.csv", 4, "participant_id", "ZZ-0001")
    f = case(
        "likert-out-of-range",
        r"survey\.csv: row 6, column 'eng_3': found '7', expected a whole number in 1-5",
    )
    line_edit(f / "survey.csv", 6, "eng_3", "7")
    f = case(
        "likert-not-numeric",
        r"survey\.csv: row 2, column 'com_2': found 'often', expected a whole number in 1-5",
    )
    line_edit(f / "survey.csv", 2, "com_2", "often")
    f = case(
        "undeclared-level",
        r"participants\.csv: row 4, column 'gender': found '5', "
        r"expected one of the levels of 'gender'",
    )
    line_edit(f / "participants.csv", 4, "gender", "5")
    f = case(
        "age-out-of-range",
        r"participants\.csv: row 7, column 'age': found '150', expected a value in 18-100",
    )
    line_edit(f / "participants.csv", 7, "age", "150")
    f = case(
        "undeclared-code",
        r"segments\.csv: row 3, column 'code': found undeclared code 'empowerment'",
    )
    line_edit(f / "segments.csv", 3, "code", "empowerment")
    f = case(
        "bad-role",
        r"participants\.csv: row 2, column 'role': found 'doctor', "
        r"expected one of patient, professional",
    )
    line_edit(f / "participants.csv", 2, "role", "doctor")
    f = case(
        "missing-id",
        r"participants\.csv: row 3, column 'participant_id': found '', expected a participant id",
    )
    line_edit(f / "participants.csv", 3, "participant_id", "")
    f = case(
        "segment-end-before-start",
        r"segments\.csv: row 2, column 'end': found '3', expected end >= start",
    )
    line_edit(f / "segments.csv", 2, "start", "10")
    line_edit(f / "segments.csv", 2, "end", "3")
    f = case(
        "bad-encoding", r"participants\.csv: row 3, column 'site': found bytes that are not UTF-8"
    )
    raw = (f / "participants.csv").read_bytes().split(b"\n")
    raw[2] = raw[2].replace(b"be_hospital", "be_h\u00f4pital".encode("latin-1"))
    (f / "participants.csv").write_bytes(b"\n".join(raw))
    f = case("empty-file", r"survey\.csv: found an empty file")
    (f / "survey.csv").write_bytes(b"")
    f = case(
        "yaml-syntax", r"codebook\.yaml: line 7: found a YAML syntax error \(.*starts on line 6\)"
    )
    edit(
        f / "codebook.yaml",
        "role: {column: role, levels: [patient, professional]}",
        "role: {column: role, levels: [patient, professional]",
    )
    f = case(
        "codebook-unknown-item",
        r"survey\.csv: row 1, column 'eng_7': found no such column in the header",
    )
    edit(
        f / "codebook.yaml",
        "items: [eng_1, eng_2, eng_3, eng_4, eng_5, eng_6]",
        "items: [eng_1, eng_2, eng_3, eng_4, eng_5, eng_6, eng_7]",
    )
    f = case(
        "codebook-reverse-not-item",
        r"codebook\.yaml: line \d+: found reverse item 'eng_9' not among the items",
    )
    edit(f / "codebook.yaml", "reverse: [eng_4]", "reverse: [eng_9]")
    f = case(
        "codebook-missing-theme",
        r"codebook\.yaml: line \d+: found a code without a theme at 'codes\.common_language_2'",
    )
    edit(
        f / "codebook.yaml",
        "common_language: {theme: foundations_of_partnership, label: Common language}",
        "common_language: Common language\n  common_language_2: {label: Common language}",
    )
    f = case(
        "engagement-level-undeclared",
        r"survey\.csv: row 4, column 'eng_level': found '6', "
        r"expected one of the levels of 'engagement_level'",
    )
    line_edit(f / "survey.csv", 4, "eng_level", "6")
    table_cases()

    # Well-formed variants that must pass: BOM, ';' separators, CRLF line ends, Excel,
    # UTF-16 and UTF-32, blank rows and cells holding line breaks.
    for name in ("bom", "semicolon", "crlf", "excel", "utf16", "blank-lines"):
        folder = GOOD / name
        shutil.copytree(BASE, folder)
        (folder / "truth.json").unlink()
    wellformed_text_variants()
    for table in ("participants", "survey", "segments"):
        src = BASE / f"{table}.csv"
        (GOOD / "bom" / f"{table}.csv").write_bytes(b"\xef\xbb\xbf" + src.read_bytes())
        import pandas as pd

        frame = pd.read_csv(src, dtype=str, keep_default_na=False)
        (GOOD / "semicolon" / f"{table}.csv").write_text(
            frame.to_csv(sep=";", index=False, lineterminator="\n"), encoding="utf-8"
        )
        (GOOD / "crlf" / f"{table}.csv").write_bytes(src.read_bytes().replace(b"\n", b"\r\n"))
        (GOOD / "excel" / f"{table}.csv").unlink()
        frame.to_excel(GOOD / "excel" / f"{table}.xlsx", index=False)


def table_cases() -> None:
    """Defects of the table itself, and values whose defect a spreadsheet does not show."""
    import openpyxl
    import pandas as pd

    def frame(path: Path) -> pd.DataFrame:
        return pd.read_csv(path, dtype=str, keep_default_na=False)

    def csv_text(table: pd.DataFrame) -> str:
        return table.to_csv(index=False, lineterminator="\n")

    f = case(
        "blank-line-and-multiline-cell",
        r"segments\.csv: row 5, column 'code': found undeclared code 'empowerment'",
    )
    seg = frame(f / "segments.csv")
    seg.loc[1, "text"] = "It started slowly.\nThen we met every week."
    seg.loc[2, "code"] = "empowerment"
    header, first, rest = csv_text(seg).split("\n", 2)
    # header = row 1, first record = row 2, blank row 3, two-line cell = row 4, then row 5
    (f / "segments.csv").write_text(f"{header}\n{first}\n\n{rest}", encoding="utf-8")

    f = case(
        "duplicate-header",
        r"participants\.csv: row 1, column 'age': found the column 2 times "
        r"\(columns 6 and 10\), expected each column once",
    )
    part = frame(f / "participants.csv")
    text = csv_text(part).split("\n")
    ages = ["age", *part["age"]]
    text = [f"{line},{age}" for line, age in zip(text, ages, strict=False)] + [""]
    (f / "participants.csv").write_text("\n".join(text).rstrip(",\n") + "\n", encoding="utf-8")

    f = case(
        "invisible-id",
        r"participants\.csv: row 3, column 'participant_id': found 'BE-\d+\\u200b' "
        r"\(an invisible character, U\+200B ZERO WIDTH SPACE\)",
    )
    part = frame(f / "participants.csv")
    line_edit(f / "participants.csv", 3, "participant_id", part.loc[1, "participant_id"] + "\u200b")

    f = case(
        "infinite-number",
        r"participants\.csv: row 4, column 'age': found 'inf', expected a finite number",
    )
    line_edit(f / "participants.csv", 4, "age", "inf")

    f = case(
        "short-row",
        r"segments\.csv: row 4: found 7 fields \(.*\), expected 8 fields, one per column",
    )
    lines = (f / "segments.csv").read_text(encoding="utf-8").split("\n")
    lines[3] = ",".join(next(iter(__import__("csv").reader([lines[3]])))[:7])
    (f / "segments.csv").write_text("\n".join(lines), encoding="utf-8")

    f = case(
        "nul-byte",
        r"participants\.csv: row 5, column 'site': found a NUL byte in 'be_\w*\\x00\w*'",
    )
    part = frame(f / "participants.csv")
    site = part.loc[3, "site"]
    line_edit(f / "participants.csv", 5, "site", site[:3] + "\x00" + site[3:])

    f = case(
        "ambiguous-table",
        r"participants\.csv: found 2 files for the table 'participants' "
        r"\(participants\.csv, participants\.xlsx\)",
    )
    frame(f / "participants.csv").to_excel(f / "participants.xlsx", index=False)

    f = case(
        "excel-formula",
        r"participants\.xlsx: row 4, column 'age': found a formula without a saved value in "
        r"cell F4",
    )
    frame(f / "participants.csv").to_excel(f / "participants.xlsx", index=False)
    (f / "participants.csv").unlink()
    book = openpyxl.load_workbook(f / "participants.xlsx")
    book.worksheets[0]["F4"] = "=20+30"  # openpyxl saves no value for a formula
    book.save(f / "participants.xlsx")


def wellformed_text_variants() -> None:
    """UTF-16 and UTF-32 files; blank rows, an empty row and a cell with line breaks."""
    import pandas as pd

    part = (BASE / "participants.csv").read_text(encoding="utf-8")
    folder = GOOD / "utf16"
    (folder / "participants.csv").unlink()
    # Excel's "Unicode Text": UTF-16 with a byte-order mark, tab-separated, CRLF
    tsv = pd.read_csv(BASE / "participants.csv", dtype=str, keep_default_na=False).to_csv(
        sep="\t", index=False, lineterminator="\r\n"
    )
    (folder / "participants.txt").write_bytes(tsv.encode("utf-16"))
    survey = (BASE / "survey.csv").read_text(encoding="utf-8")
    (folder / "survey.csv").write_bytes(survey.encode("utf-16-le"))  # no byte-order mark
    segments = (BASE / "segments.csv").read_text(encoding="utf-8")
    (folder / "segments.csv").write_bytes(segments.encode("utf-32"))

    folder = GOOD / "blank-lines"
    lines = part.split("\n")
    width = lines[0].count(",")
    lines[1:1] = [""]
    lines[10:10] = ["", "," * width]
    (folder / "participants.csv").write_text("\n\n".join(["", "\n".join(lines)]) + "\n\n")
    seg = pd.read_csv(BASE / "segments.csv", dtype=str, keep_default_na=False)
    seg.loc[0, "text"] = "First line,\r\nsecond line\n\nand a third."
    (folder / "segments.csv").write_text(
        seg.to_csv(index=False, lineterminator="\n"), encoding="utf-8", newline=""
    )


if __name__ == "__main__":
    main()
