import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from partner_study.figures.style import new_figure
from partner_study.writer import figure_bytes, write_csv, write_figure, write_parquet


def sample_figure():
    fig, ax = new_figure("single", 50)
    ax.plot([0, 1, 2], [1, 3, 2], label="a")
    ax.set_xlabel("x")
    ax.legend()
    return fig


def test_figure_bytes_identical_within_process():
    for fmt in ("pdf", "svg", "png", "tiff"):
        assert figure_bytes(sample_figure(), fmt) == figure_bytes(sample_figure(), fmt), fmt


def test_figure_bytes_identical_across_processes(tmp_path):
    code = (
        "import sys; sys.path.insert(0, {!r})\n"
        "from test_writer import sample_figure\n"
        "from partner_study.writer import write_figure\n"
        "write_figure(sample_figure(), 'f', sys.argv[1])\n"
    ).format(str(__import__("pathlib").Path(__file__).parent))
    for d in ("a", "b"):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / d)], check=True, timeout=120)
    for fmt in ("pdf", "svg", "png", "tiff"):
        assert (tmp_path / "a" / f"f.{fmt}").read_bytes() == (
            tmp_path / "b" / f"f.{fmt}"
        ).read_bytes()


def test_no_dates_in_vector_formats():
    pdf = figure_bytes(sample_figure(), "pdf")
    assert b"CreationDate" not in pdf
    svg = figure_bytes(sample_figure(), "svg")
    assert b"<dc:date>" not in svg


def test_png_is_300_dpi(tmp_path):
    from PIL import Image

    paths = write_figure(sample_figure(), "f", tmp_path, formats=["png", "tiff"])
    for p in paths:
        with Image.open(p) as im:
            assert round(im.info["dpi"][0]) == 300
            assert abs(im.size[0] - 85 / 25.4 * 300) <= 1  # single column, 85 mm


def test_csv_and_parquet_deterministic(tmp_path):
    frame = pd.DataFrame({"a": [1.0 / 3, 2.0], "b": ["x", "y"]})
    write_csv(tmp_path / "a.csv", frame)
    assert (tmp_path / "a.csv").read_text() == "a,b\n0.33333333,x\n2,y\n"
    write_parquet(frame, tmp_path / "a.parquet")
    write_parquet(frame, tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_figure_helper_gives_the_same_bytes(tmp_path, monkeypatch):
    """The PDF written by a forked helper equals the one written in process."""
    write_figure(sample_figure(), "f", tmp_path / "helper")
    monkeypatch.setenv("PARTNER_STUDY_FIGURE_HELPERS", "0")
    write_figure(sample_figure(), "f", tmp_path / "inline")
    for fmt in ("pdf", "svg", "png", "tiff"):
        assert (tmp_path / "helper" / f"f.{fmt}").read_bytes() == (
            tmp_path / "inline" / f"f.{fmt}"
        ).read_bytes(), fmt


def test_figure_helper_failure_is_raised(tmp_path, monkeypatch):
    import pytest

    import partner_study.writer as writer

    if not writer._helpers_allowed():
        pytest.skip("no forked helpers on this machine (one core or no fork)")
    real = writer._encode

    def broken(fig, fmt, raster=None):
        if fmt == "pdf":
            raise OSError("disk full")
        return real(fig, fmt, raster)

    monkeypatch.setattr(writer, "_encode", broken)
    with pytest.raises(RuntimeError, match="helper process failed: OSError: disk full"):
        write_figure(sample_figure(), "f", tmp_path)
    assert not (tmp_path / "f.pdf").exists()


def test_pdf_fonts_carry_no_layout_tables():
    """Embedded font subsets leave out GSUB/GPOS (unused by PDF viewers), keep the glyphs."""
    import io
    import re

    from fontTools.ttLib import TTFont

    pdf = figure_bytes(sample_figure(), "pdf")
    streams = re.findall(rb"/Length1 (\d+).*?stream\r?\n(.*?)endstream", pdf, re.S)
    assert streams, "no embedded TrueType font"
    import zlib

    font = TTFont(io.BytesIO(zlib.decompress(streams[0][1])))
    assert "glyf" in font and "GPOS" not in font and "GSUB" not in font


def test_written_figure_keeps_a_preview_until_it_changes(tmp_path):
    """A notebook shows a figure just written from its 300 dpi raster reduced to 100 dpi;
    a change or a later drawing drops that preview, and the figure is drawn afresh."""
    import io

    from PIL import Image

    from partner_study.figures.style import PREVIEW_DPI, preview

    fig = sample_figure()
    assert preview(fig) is None  # never drawn
    write_figure(fig, "f", tmp_path, formats=["png", "svg"])
    kept = preview(fig)
    with Image.open(tmp_path / "f.png") as png:
        reduced = png.reduce(3)  # 300 dpi -> 100 dpi
    assert kept is not None and kept.size == reduced.size and kept.tobytes() == reduced.tobytes()
    fig.axes[0].set_title("changed")
    assert preview(fig) is None  # stale: the file no longer shows the figure
    write_figure(fig, "f", tmp_path, formats=["png"])
    assert preview(fig) is not None
    fig.savefig(io.BytesIO(), format="png", dpi=PREVIEW_DPI)
    assert preview(fig) is None  # drawn again since
    write_figure(fig, "g", tmp_path, formats=["pdf", "svg"])  # no raster: nothing kept
    assert preview(fig) is None


# --------------------------------------------------------------------------- CSV injection

TRIGGERS = ["=1+1", "+x", "-x", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://e.x")']


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(tmp_path):
    import csv

    frame = pd.DataFrame(
        {
            "term": [*TRIGGERS, "-0.25", "+3", "-1e-05", "a=b", "'=x", " =y", "-"],
            "estimate": [
                -0.5,
                1.0,
                -2.0,
                3.0,
                -4.0,
                5.0,
                -6.0,
                7.0,
                8.0,
                9.0,
                10.0,
                11.0,
                12.0,
                -13.0,
            ],
        }
    )
    before = frame.copy()
    write_csv(tmp_path / "t.csv", frame)
    with open(tmp_path / "t.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["term", "estimate"]
    terms = [r[0] for r in rows[1:]]
    assert terms == [
        *("'" + t for t in TRIGGERS),
        "-0.25",  # plain numbers stay readable as numbers
        "+3",
        "-1e-05",
        "a=b",
        "''=x",  # one quote more: reading back is exact
        " =y",
        "'-",
    ]
    assert [r[1] for r in rows[1:3]] == ["-0.5", "1"]  # numeric columns are never changed
    pd.testing.assert_frame_equal(frame, before)  # the frame itself is not modified


def test_neutralised_csv_reads_back_exactly(tmp_path):
    from partner_study.io import read_output_table
    from partner_study.writer import write_table

    text = [*TRIGGERS, "'=x", "''-y", "'", "ok", "-0.25", "'-0.25", None]
    frame = pd.DataFrame(
        {
            "quote": pd.Series(text, dtype="str"),
            "mixed": pd.Series([*text[:-1], 3], dtype=object),
            "level": pd.Categorical(text[:-1] + ["ok"]),
            "n": range(len(text)),
            "=col": [-1.5] * len(text),
        }
    )
    write_table(frame, "quotes", tmp_path)
    back = read_output_table(tmp_path, "quotes")
    assert list(back.columns) == ["quote", "mixed", "level", "n", "=col"]
    assert back["quote"].tolist()[:-1] == text[:-1] and pd.isna(back["quote"].iloc[-1])
    assert back["mixed"].tolist()[:-1] == text[:-1]
    assert back["level"].tolist() == text[:-1] + ["ok"]
    assert back["n"].tolist() == list(range(len(text))) and back["=col"].eq(-1.5).all()


def test_carriage_return_inside_a_cell_cannot_start_a_row(tmp_path):
    """A bare CR ends a row for a spreadsheet: unquoted, 'a\\r=cmd' would put a formula at
    the start of a new row."""
    from partner_study.io import read_output_table

    frame = pd.DataFrame({"quote": ["a\r=cmd()", "b"], "n": [1, 2]})
    write_csv(tmp_path / "q.csv", frame)
    assert (tmp_path / "q.csv").read_bytes().startswith(b'"quote","n"\n"a\r=cmd()","1"\n')
    assert read_output_table(tmp_path, "q").equals(frame)


def test_raw_study_tables_are_neutralised_and_read_back_exactly(tmp_path):
    from partner_study.io import RawStudy, read_table
    from partner_study.writer import write_raw_study

    participants = pd.DataFrame(
        {"participant_id": ["P1", "P2"], "note": ["=cmd|' /C calc'!A0", "-"]}
    )
    write_raw_study(RawStudy(codebook_text="study: x\n", participants=participants), tmp_path)
    assert "'=cmd" in (tmp_path / "participants.csv").read_text(encoding="utf-8")
    assert read_table(tmp_path / "participants.csv").equals(participants.astype("str"))


def test_neutralising_a_million_rows_is_fast():
    import time

    from partner_study.writer import neutralise_formulas

    n = 1_000_000
    frame = pd.DataFrame({"id": pd.Series([f"S{i}" for i in range(n)], dtype="str"), "x": range(n)})
    start = time.perf_counter()
    assert neutralise_formulas(frame) is frame  # nothing to change, nothing copied
    assert time.perf_counter() - start < 2


def test_objects_that_are_not_text_are_written_as_before(tmp_path):
    import datetime
    import decimal

    frame = pd.DataFrame(
        {
            "day": pd.Series([datetime.date(2024, 1, 2)] * 2, dtype=object),
            "amount": pd.Series([decimal.Decimal("-1.5")] * 2, dtype=object),
            "mixed": pd.Series(["-b", -2], dtype=object),
        }
    )
    write_csv(tmp_path / "d.csv", frame)
    assert (tmp_path / "d.csv").read_text(encoding="utf-8") == (
        "day,amount,mixed\n2024-01-02,-1.5,'-b\n2024-01-02,-1.5,-2\n"
    )


def test_a_figure_with_a_panel_without_data_is_not_written(tmp_path):
    """A reference line or a title is not data: a panel with nothing else is refused, named,
    and nothing is written; the same figure with an estimate in the panel is written."""
    from partner_study.figures.style import empty_panels, new_figure
    from partner_study.writer import write_figure

    fig, axes = new_figure("double", 50, ncols=2)
    axes[0].errorbar([0.2], [0], xerr=[[0.1], [0.1]], fmt="o")
    axes[1].axvline(1.0, linestyle="--")
    axes[1].errorbar([np.nan], [0], fmt="o")  # a skipped model: no estimate
    axes[1].set_title("Odds ratio")
    assert empty_panels(fig) == ["'Odds ratio'"]
    with pytest.raises(ValueError, match="1 panel\\(s\\) without data \\('Odds ratio'\\)"):
        write_figure(fig, "forest", tmp_path, ["svg"])
    assert list(tmp_path.iterdir()) == []
    axes[1].errorbar([1.3], [0], fmt="o")
    assert empty_panels(fig) == []
    assert [p.name for p in write_figure(fig, "forest", tmp_path, ["svg"])] == ["forest.svg"]
    hidden, ax = new_figure("single", 40)
    ax.set_axis_off()  # a legend-only or spacer panel is not a data panel
    assert empty_panels(hidden) == []
