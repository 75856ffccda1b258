import subprocess
import sys

import pandas as pd

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
