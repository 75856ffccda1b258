"""How two versions of an output differ, on small synthetic files: tables, figures,
notebooks, text and binary files, and the list of changed inputs."""

import json
from pathlib import Path

import pandas as pd
import pytest

from partner_study import compare as C


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def pair(tmp_path: Path, name: str, old: str | bytes, new: str | bytes) -> list[str]:
    (tmp_path / "old").mkdir(exist_ok=True)
    (tmp_path / "new").mkdir(exist_ok=True)
    return C.explain(write(tmp_path / "old", name, old), write(tmp_path / "new", name, new))


LIKERT = (
    "scale,item,role,response,n,percent\n"
    "trust,tru_1,patient,1,7,1.9073569\n"
    "trust,tru_1,patient,2,92,25.06812\n"
    "trust,tru_1,patient,3,200,54.495913\n"
    "trust,tru_1,professional,1,3,2.5\n"
)


# --------------------------------------------------------------------------- tables
def test_identical_files_have_no_difference(tmp_path):
    assert pair(tmp_path, "likert.csv", LIKERT, LIKERT) == []


def test_table_names_the_largest_numeric_difference_and_where(tmp_path):
    new = LIKERT.replace("92,25.06812", "92,24.8").replace("200,54.495913", "200,54.5")
    (line,) = pair(tmp_path, "likert.csv", LIKERT, new)
    # the row by number (under the header, as a spreadsheet counts) and its key columns
    assert line == (
        "largest numeric difference 0.26812 in row 3 (scale=trust, item=tru_1, role=patient, "
        "response=2), column 'percent': 25.06812 -> 24.8 (2 numeric cells differ in 1 column)"
    )
    new = new.replace("92,24.8", "91,24.8")
    (line,) = pair(tmp_path, "likert.csv", LIKERT, new)
    assert line.startswith("largest numeric difference 1 in row 3 (scale=trust, item=tru_1, ")
    assert line.endswith("column 'n': 92 -> 91 (3 numeric cells differ in 2 columns)")


def test_table_names_the_first_differing_text_cell(tmp_path):
    old = "theme,label,difference_pp\nsharing,divergence,18.3\nlanguage,convergence,2.0\n"
    new = old.replace("language,convergence", "language,divergence")
    (line,) = pair(tmp_path, "joint-display.csv", old, new)
    assert line == (
        "text differs in 1 cell, first in row 3 (theme=language), column 'label': "
        "'convergence' -> 'divergence'"
    )


def test_table_columns_added_and_removed(tmp_path):
    old = "scale,alpha,omega\ntrust,0.81,0.83\n"
    new = "scale,alpha,n\ntrust,0.81,120\n"
    assert pair(tmp_path, "reliability.csv", old, new) == [
        "column added: 'n'",
        "column removed: 'omega'",
    ]


def test_table_rows_added_and_removed_by_their_key(tmp_path):
    new = (
        LIKERT.replace("trust,tru_1,patient,2,92,25.06812\n", "") + "trust,tru_2,patient,1,4,1.1\n"
    )
    lines = pair(tmp_path, "likert.csv", LIKERT, new)
    assert lines == [
        "1 row added (first: scale=trust, item=tru_2, role=patient, response=1)",
        "1 row removed (first: scale=trust, item=tru_1, role=patient, response=2)",
    ]


def test_table_rows_without_a_key_are_compared_by_position(tmp_path):
    old = "x,y\n0.5,1.5\n0.5,1.5\n"
    new = "x,y\n0.5,1.5\n0.5,1.5\n0.5,2.5\n"
    assert pair(tmp_path, "t.csv", old, new) == ["+1 rows (2 -> 3); rows compared by position"]


def test_table_with_the_same_numbers_written_differently(tmp_path):
    lines = pair(tmp_path, "t.csv", "a,b\nx,1.0\n", "a,b\nx,1\n")
    assert lines == ["same numbers; 1 cells are written differently (e.g. 1.0 -> 1)"]


def test_table_with_the_same_cells_and_other_bytes(tmp_path):
    lines = pair(tmp_path, "t.csv", "a,b\nx,1\n", "a,b\r\nx,1\r\n")
    assert lines == ["same cells; the bytes differ (quoting, line ends or encoding)"]


def test_a_number_that_becomes_empty_is_a_text_difference(tmp_path):
    (line,) = pair(tmp_path, "t.csv", "a,b\nx,0.25\n", "a,b\nx,\n")
    assert line == "text differs in 1 cell, first in row 2 (a=x), column 'b': '0.25' -> ''"


def test_parquet_tables_are_compared_by_value(tmp_path):
    frame = pd.DataFrame({"participant_id": ["BE-1", "BE-2"], "engagement": [3.5, 2.25]})
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    frame.to_parquet(tmp_path / "old" / "scored.parquet")
    frame.assign(engagement=[3.5, 2.5]).to_parquet(tmp_path / "new" / "scored.parquet")
    (line,) = C.explain(tmp_path / "old" / "scored.parquet", tmp_path / "new" / "scored.parquet")
    assert line == (
        "largest numeric difference 0.25 in row 2 (participant_id=BE-2), column "
        "'engagement': 2.25 -> 2.5 (1 numeric cell differs in 1 column)"
    )


def test_a_table_that_does_not_parse_is_compared_as_text(tmp_path):
    old = 'a,b\n"x,1\n'  # an unclosed quote
    lines = pair(tmp_path, "t.csv", old, old.replace("1", "2"))
    assert lines == ["line 2: '\"x,1' -> '\"x,2'"]


# --------------------------------------------------------------------------- SVG
SVG = """<?xml version="1.0" encoding="utf-8"?>
<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="240pt" height="100pt">
 <defs><clipPath id="p1a2b3c"><rect x="10" y="5" width="200" height="80"/></clipPath>
  <path id="DejaVuSans-31" d="M 794 531 L 1825 531 z"/></defs>
 <g id="patch_1">
  <path d="M 23.30024 62.414292 L 244.583933 62.414292 z" clip-path="url(#p1a2b3c)"
   style="fill: #ca0020"/>
 </g>
 <g id="text_1">
  <!-- Patients (n = 378) -->
  <use xlink:href="#DejaVuSans-31" x="20.5" y="90"/>
 </g>
 <text x="5" y="9">Percent of <tspan>answers</tspan></text>
</svg>
"""


def test_svg_with_only_other_ids(tmp_path):
    (line,) = pair(tmp_path, "f.svg", SVG, SVG.replace("p1a2b3c", "pff00ee"))
    assert line == (
        "only element ids differ (1 of 4 ids, e.g. clip paths); the drawing is the same"
    )


def test_svg_with_only_other_coordinates_names_the_largest_difference(tmp_path):
    new = SVG.replace("23.30024", "23.5").replace("244.583933", "245.8")
    (line,) = pair(tmp_path, "f.svg", SVG, new)
    assert line.startswith("only coordinates differ (2 of ")
    assert line.endswith("the largest by 1.21607: 244.583933 -> 245.8")


def test_svg_with_other_text(tmp_path):
    lines = pair(tmp_path, "f.svg", SVG, SVG.replace("n = 378", "n = 377"))
    assert lines == ["text differs: 'Patients (n = 378)' -> 'Patients (n = 377)' (text 1 of 2)"]
    lines = pair(tmp_path, "f.svg", SVG, SVG.replace("answers", "replies"))
    assert lines == ["text differs: 'Percent of answers' -> 'Percent of replies' (text 2 of 2)"]


def test_svg_with_other_markup_names_the_line(tmp_path):
    (line,) = pair(tmp_path, "f.svg", SVG, SVG.replace("#ca0020", "#0571b0"))
    assert line.startswith("markup differs beyond coordinates and ids: line 7: ")
    assert "#ca0020" in line and "#0571b0" in line


def test_svg_text_and_coordinates_are_told_apart(tmp_path):
    new = SVG.replace("n = 378", "n = 377").replace("62.414292", "61.9")
    lines = pair(tmp_path, "f.svg", SVG, new)
    assert lines[0].startswith("text differs: 'Patients (n = 378)'")
    assert lines[1].startswith("only coordinates differ (2 of ")


# --------------------------------------------------------------------------- notebooks
def notebook(*cells: dict) -> str:
    return json.dumps({"cells": list(cells), "metadata": {}, "nbformat": 4}, indent=1)


def code(source: str, output: str = "") -> dict:
    outputs = [{"output_type": "stream", "name": "stdout", "text": [output]}] if output else []
    return {"cell_type": "code", "source": [source], "outputs": outputs, "metadata": {}}


def test_notebook_names_the_first_differing_cell_and_part(tmp_path):
    old = notebook(code("x = 1"), code("print(x)", "1\n"), code("y = 2"))
    new = notebook(code("x = 1"), code("print(x)", "2\n"), code("y = 3"))
    lines = pair(tmp_path, "n.ipynb", old, new)
    assert lines[0] == "first difference in cell 2 (code): outputs; 1 more cell(s) differ"
    assert lines[1] == """outputs: line 6: '   "1\\\\n"' -> '   "2\\\\n"'"""
    lines = pair(tmp_path, "n.ipynb", old, notebook(code("x = 10"), code("print(x)", "1\n")))
    assert lines == [
        "3 -> 2 cells",
        "first difference in cell 1 (code): source",
        "source: line 1: 'x = 1' -> 'x = 10'",
    ]


# --------------------------------------------------------------------------- text, binary
def test_text_names_the_first_differing_line(tmp_path):
    old = "<dl>\n<dt>Python</dt><dd>3.11</dd><dt>Commit</dt><dd>" + "a" * 40 + "</dd>\n</dl>\n"
    (line,) = pair(tmp_path, "report.html", old, old.replace("a" * 40, "b" * 40))
    # from shortly before the first difference, shortened
    assert line.startswith("line 2: '…><dt>Commit</dt><dd>aaaaaaaa")
    assert "…' -> '…><dt>Commit</dt><dd>bbbbbbbb" in line and line.endswith("…'")
    (line,) = pair(tmp_path, "t.md", "a\nb\n", "a\nb\nc\n")
    assert line == "1 line(s) added after line 2, first 'c'"


def test_binary_files_differ_by_size(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + bytes(100)
    assert pair(tmp_path, "f.png", png, png + b"\0") == ["binary, differs (108 bytes -> 109 bytes)"]
    assert pair(tmp_path, "f.pdf", b"%PDF-1.4 a", b"%PDF-1.4 b") == [
        "binary, differs (10 bytes -> 10 bytes)"
    ]


def test_files_too_large_are_compared_by_size(tmp_path, monkeypatch):
    monkeypatch.setattr(C, "MAX_COMPARED_BYTES", 10)
    lines = pair(tmp_path, "t.csv", LIKERT, LIKERT.replace("92", "93"))
    assert lines == [
        f"bytes differ ({len(LIKERT):,} bytes -> {len(LIKERT):,} bytes); too large to compare"
    ]


# --------------------------------------------------------------------------- inputs
def test_changed_inputs_name_changed_new_and_missing_files():
    recorded = {"data/raw/s/survey.csv": "ab12" * 16, "data/raw/s/gone.csv": "00" * 32}
    current = {"data/raw/s/survey.csv": "cd34" * 16, "data/raw/s/extra.csv": "11" * 32}
    assert C.changed_inputs(recorded, current) == [
        "new input: data/raw/s/extra.csv (not in the manifest)",
        "missing input: data/raw/s/gone.csv (in the manifest, not on disk)",
        "changed input: data/raw/s/survey.csv (sha256 ab12ab12ab12… in the manifest, "
        "cd34cd34cd34… now)",
    ]
    assert C.changed_inputs(current, current) == []


@pytest.mark.parametrize("limit", [2, 5])
def test_changed_packages_are_listed_up_to_a_limit(limit):
    recorded = {"numpy": "2.4.6", "pandas": "3.1.1", "gone": "1.0"}
    current = {"numpy": "2.5.0", "pandas": "3.1.1", "new-one": "0.1", "other": "1.2"}
    lines = C.changed_packages(recorded, current, limit=limit)
    expected = [
        "package gone 1.0 in the manifest, not installed now",
        "package new-one 0.1 installed now, not in the manifest",
        "package numpy 2.4.6 in the manifest, 2.5.0 now",
        "package other 1.2 installed now, not in the manifest",
    ]
    assert lines == (
        expected if limit >= 4 else expected[:2] + ["... and 2 more package differences"]
    )
