"""The one deterministic writer: tables, figures and processed data.

Layer 4. Same object in -> same bytes out, across runs and processes: no dates or
software versions in figure metadata, a fixed SVG hash salt, fixed float formatting
for CSV, fixed Parquet settings. Every file is written to a temporary name and renamed,
so a reader never sees half a file. CSV text cells that a spreadsheet would run as a
formula are neutralised (:func:`neutralise_formulas`).
"""

from __future__ import annotations

import contextlib
import csv
import gc
import io
import json
import os
import sys
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from partner_study.arrays import PUBLISHED_DIGITS
from partner_study.config import FIGURE_FORMATS

if TYPE_CHECKING:
    # matplotlib is imported when a figure is written (stage 01 writes none); pandas is
    # never imported here: the runner writes the manifest with this module, and frames
    # come with their own methods.
    import pandas as pd
    from matplotlib.figure import Figure
    from PIL import Image

__all__ = [
    "FLOAT_FORMAT",
    "FORMULA_TRIGGERS",
    "neutralise_formulas",
    "write_bytes",
    "write_text",
    "write_json",
    "write_csv",
    "write_table",
    "write_parquet",
    "write_figure",
    "write_figures",
    "figure_bytes",
    "write_raw_study",
    "write_paper_tables",
    "write_processed_study",
]

#: CSV float format: :data:`partner_study.arrays.PUBLISHED_DIGITS` significant digits. More
#: than any paper reports, and few enough that last-digit differences between machines (BLAS,
#: compilers) do not change the bytes; figures are drawn from the same rounded values.
FLOAT_FORMAT = f"%.{PUBLISHED_DIGITS}g"
_DPI = 300

#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = "=+-@\t\r"
# A text cell to neutralise: one that starts with a trigger, after any quotes (a cell that
# already starts with a quote gets one more, so that reading back is exact).
_FORMULA_START = r"'*[=+\-@\t\r]"
# Text that is a plain number: a spreadsheet reads it as that number, not as a formula.
_PLAIN_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"


def _neutralised(values: pd.Series) -> pd.Series | None:
    """``values`` with a quote before each formula-like text cell, or ``None`` if none is."""
    try:
        risky = values.str.match(_FORMULA_START, na=False).to_numpy(dtype=bool, copy=True)
    except AttributeError:  # objects that are not text (dates, decimals): nothing to do
        return None
    if risky.any():
        where = risky.nonzero()[0]
        plain = values.iloc[where].str.fullmatch(_PLAIN_NUMBER, na=False).to_numpy(dtype=bool)
        risky[where[plain]] = False
    if not risky.any():
        return None
    if values.dtype.name == "str":
        return values.mask(risky, "'" + values)
    out = values.to_numpy(dtype=object, copy=True)  # text among other objects
    for i in risky.nonzero()[0]:
        out[i] = "'" + out[i]
    return type(values)(out, index=values.index, name=values.name, dtype=object)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with text cells that a spreadsheet cannot run as formulas.

    A text cell (or column name) that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a single quote ``'`` in front, as OWASP advises against CSV
    injection; so does one that already starts with quotes before such a character, which
    keeps the change reversible (:func:`partner_study.io.read_output_table` removes the
    quote). Text that is a plain number (``-0.25``, ``+3``, ``-1e-05``) is left as it is:
    a spreadsheet reads it as a number. Numeric, boolean and date columns are never changed.

    Parameters
    ----------
    frame : DataFrame

    Returns
    -------
    DataFrame
        ``frame`` itself when nothing needs a change, else a new frame (``frame`` is not
        modified).

    Examples
    --------
    >>> import pandas as pd
    >>> neutralise_formulas(pd.DataFrame({"a": ["=1+1", "-0.5", "ok"]}))["a"].tolist()
    ["'=1+1", '-0.5', 'ok']
    """
    out = frame
    for j, dtype in enumerate(frame.dtypes):
        values = frame.iloc[:, j]
        if dtype.name == "category":
            categories = values.cat.categories
            renamed = _neutralised(categories.to_series()) if categories.dtype.kind == "O" else None
            if renamed is not None:
                out = frame.copy() if out is frame else out
                out.isetitem(j, values.cat.rename_categories(list(renamed)).array)
        elif dtype.kind == "O":
            new = _neutralised(values)
            if new is not None:
                out = frame.copy() if out is frame else out
                out.isetitem(j, new.array)
    names = _neutralised(frame.columns.astype(str).to_series())
    if names is not None:
        out = out.set_axis(list(names), axis=1)
    return out


def write_bytes(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path | str, text: str) -> Path:
    """Write UTF-8 text with ``\\n`` line ends."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: Path | str, obj: object) -> Path:
    """Write JSON with sorted keys and a fixed indent."""
    return write_text(path, json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def write_csv(
    path: Path | str, frame: pd.DataFrame, *, float_format: str | None = FLOAT_FORMAT
) -> Path:
    """Write a DataFrame as CSV (UTF-8, ``\\n``, no index, fixed float format).

    Text cells a spreadsheet would run as formulas are neutralised first
    (:func:`neutralise_formulas`); ``frame`` itself is not changed. A file with a carriage
    return inside a cell has every cell quoted.
    """
    frame = neutralise_formulas(frame)
    text = frame.to_csv(
        index=False,
        lineterminator="\n",
        float_format=float_format,
        quoting=csv.QUOTE_ALL if _holds_carriage_return(frame) else csv.QUOTE_MINIMAL,
    )
    return write_text(path, text)


def _holds_carriage_return(frame: pd.DataFrame) -> bool:
    """Whether a text cell or column name holds a carriage return. Python's CSV writer
    quotes a cell only for the line end it writes (``\\n``), and a reader takes a bare
    ``\\r`` for the end of a row: such a file is written with every cell quoted."""
    if any("\r" in str(c) for c in frame.columns):
        return True
    for j, dtype in enumerate(frame.dtypes):
        values = frame.iloc[:, j]
        if dtype.name == "category":
            values = values.cat.categories.to_series()
        elif dtype.kind != "O":
            continue
        try:
            if values.str.contains("\r", regex=False, na=False).any():
                return True
        except AttributeError:  # objects that are not text
            continue
    return False


def write_table(frame: pd.DataFrame, name: str, folder: Path | str) -> Path:
    """Write a tidy output table as ``<folder>/<name>.csv`` (see :func:`write_csv`); read it
    back with :func:`partner_study.io.read_output_table`, which restores the exact text."""
    return write_csv(Path(folder) / f"{name}.csv", frame)


def write_parquet(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write processed data as Parquet (pyarrow, zstd, no index), deterministically."""
    buf = io.BytesIO()
    frame.to_parquet(buf, engine="pyarrow", compression="zstd", index=False)
    return write_bytes(path, buf.getvalue())


def _raster(fig: Figure) -> Image.Image:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(_DPI)
    canvas.draw()
    image = Image.frombuffer(
        "RGBA", canvas.get_width_height(), bytes(canvas.buffer_rgba()), "raw", "RGBA", 0, 1
    )
    # An opaque figure (the journal style's white background) needs no alpha channel: RGB
    # is what TIFF stores, and a quarter less for PNG to compress.
    return image.convert("RGB") if image.getchannel("A").getextrema() == (255, 255) else image


#: OpenType layout tables a PDF never uses (see :func:`_glyph_only_font_subsets`).
_LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "kern")


@contextlib.contextmanager
def _glyph_only_font_subsets() -> Iterator[None]:
    """While writing one PDF: embed font subsets without the OpenType layout tables.

    matplotlib's PDF backend subsets the fonts it embeds with ``fontTools.subset``. A PDF
    shows glyphs at the positions written in the page: the viewer never shapes text, so
    the substitution and positioning tables (GSUB, GPOS, GDEF, kern, ...) are dead weight,
    and subsetting them is most of the cost of writing a PDF figure (DejaVu Sans has large
    ones). The page looks the same; the file is smaller. Done by handing the backend a
    view of ``fontTools.subset`` whose ``Options`` also drop those tables.
    """
    from fontTools import subset
    from matplotlib.backends import _backend_pdf_ps

    class GlyphOnly:
        Subsetter = subset.Subsetter

        @staticmethod
        def load_font(*args, **kwargs):
            # Removed before the subsetter sees them: it would otherwise decompile them
            # (fontTools reads the layout tables first, to compact them) only to drop them.
            font = subset.load_font(*args, **kwargs)
            for tag in _LAYOUT_TABLES:
                if tag in font:
                    del font[tag]
            return font

        @staticmethod
        def Options(**kwargs) -> subset.Options:  # noqa: N802 - fontTools' name
            options = subset.Options(**kwargs)
            options.drop_tables += list(_LAYOUT_TABLES)
            return options

    saved = _backend_pdf_ps.subset
    _backend_pdf_ps.subset = GlyphOnly  # type: ignore[assignment]
    try:
        yield
    finally:
        _backend_pdf_ps.subset = saved


def _encode(fig: Figure, fmt: str, raster: Image.Image | None = None) -> bytes:
    from matplotlib.backends.backend_pdf import FigureCanvasPdf
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    buf = io.BytesIO()
    if fmt == "pdf":
        with _glyph_only_font_subsets():
            FigureCanvasPdf(fig).print_pdf(
                buf, metadata={"Creator": None, "Producer": None, "CreationDate": None}
            )
    elif fmt == "svg":
        FigureCanvasSVG(fig).print_svg(buf, metadata={"Date": None, "Creator": None})
    elif fmt == "png":
        # zlib level 3: files 12% larger than at the default level 6, written in 2/3 the time
        (raster or _raster(fig)).save(buf, format="PNG", dpi=(_DPI, _DPI), compress_level=3)
    elif fmt == "tiff":
        image = raster or _raster(fig)
        image = image if image.mode == "RGB" else image.convert("RGB")
        image.save(buf, format="TIFF", dpi=(_DPI, _DPI), compression="tiff_lzw")
    else:
        raise ValueError(f"unknown figure format {fmt!r}; expected one of {FIGURE_FORMATS}")
    return buf.getvalue()


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """Render ``fig`` to bytes in ``fmt`` (pdf, svg, png, tiff) without any date or version."""
    import matplotlib

    from partner_study.figures.style import RCPARAMS

    with matplotlib.rc_context(RCPARAMS):
        return _encode(fig, fmt)


def _helpers_allowed() -> bool:
    """Whether a figure format may be written by a forked helper process (Linux, 2+ cores;
    ``PARTNER_STUDY_FIGURE_HELPERS=0`` turns it off)."""
    return (
        hasattr(os, "fork")
        and (os.cpu_count() or 1) > 1
        and os.environ.get("PARTNER_STUDY_FIGURE_HELPERS", "1") != "0"
    )


class _Helper:
    """``task()`` run in a forked copy of this process; :meth:`join` waits for it and
    raises its error. The child writes files only: it never prints (in a Jupyter kernel
    its output streams would lead to sockets it does not own) and ends with ``_exit``."""

    def __init__(self, task) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            # Short-lived: no garbage collection, which would walk (and copy from the
            # parent, page by page) every object the parent holds.
            gc.disable()
            os.close(read)
            status = 0
            try:
                os.environ["PARTNER_STUDY_FIGURE_HELPERS"] = "0"  # no helpers of helpers
                sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # the parent draws the same figure
                    task()
            except BaseException as exc:  # noqa: BLE001 - sent to the parent
                os.write(write, f"{type(exc).__name__}: {exc}".encode()[:4000])
                status = 1
            finally:
                os._exit(status)
        os.close(write)
        self.pid, self.read = pid, read

    def join(self) -> None:
        chunks = []
        while chunk := os.read(self.read, 4096):
            chunks.append(chunk)
        os.close(self.read)
        _, status = os.waitpid(self.pid, 0)
        if status != 0:
            message = b"".join(chunks).decode(errors="replace") or f"exit status {status}"
            raise RuntimeError(f"writing a figure in a helper process failed: {message}")


def write_figure(
    fig: Figure, name: str, folder: Path | str, formats: Iterable[str] = FIGURE_FORMATS
) -> list[Path]:
    """Write ``fig`` as ``<folder>/<name>.<fmt>`` for each format; return the paths.

    The raster (300 dpi) is drawn once for PNG and TIFF, and the layout is computed once:
    the first drawing places the axes (constrained layout), the other formats reuse those
    positions instead of solving the layout again on every drawing. With a spare core the
    PDF is written by a forked helper while this process writes the other formats; the
    bytes are the same either way (each format depends only on the laid-out figure)."""
    import matplotlib
    from fontTools import subset  # noqa: F401

    # The backends a helper uses are imported here, once: a helper is a fork and would
    # otherwise import them afresh every time.
    from matplotlib.backends import backend_pdf, backend_svg  # noqa: F401

    from partner_study.figures.style import RCPARAMS, empty_panels, keep_preview

    empty = empty_panels(fig)
    if empty:
        raise ValueError(
            f"figure {name!r}: {len(empty)} panel(s) without data ({', '.join(empty)}); a "
            "display leaves out a panel it has nothing to show for, or draws no figure."
        )
    formats = list(formats)
    paths = {fmt: Path(folder) / f"{name}.{fmt}" for fmt in formats}
    with matplotlib.rc_context(RCPARAMS):
        if {"png", "tiff"} & set(formats):
            raster = _raster(fig)
        else:
            raster = None
            fig.draw_without_rendering()
        engine = fig.get_layout_engine()
        if engine is not None:
            fig.set_layout_engine("none")  # keeps the positions just computed
        try:
            here = formats
            helper = None
            if "pdf" in formats and len(formats) > 1 and _helpers_allowed():
                here = [f for f in formats if f != "pdf"]
                helper = _Helper(lambda: write_bytes(paths["pdf"], _encode(fig, "pdf")))
            try:
                for fmt in here:
                    write_bytes(paths[fmt], _encode(fig, fmt, raster))
            finally:
                if helper is not None:
                    helper.join()
            if raster is not None:
                keep_preview(fig, raster)  # a notebook shows the figure without redrawing it
            return [paths[fmt] for fmt in formats]
        finally:
            if engine is not None:
                fig.set_layout_engine(engine)


def _in_two(items: list, work) -> None:
    """``work(items)``, with every other item done by a forked helper when allowed."""
    if len(items) > 1 and _helpers_allowed():
        helper = _Helper(lambda: work(items[1::2]))
        try:
            work(items[0::2])
        finally:
            helper.join()
    else:
        work(items)


def write_figures(
    figures: dict[str, Figure], folder: Path | str, formats: Iterable[str] = FIGURE_FORMATS
) -> list[Path]:
    """Write several figures (``{name: Figure}``), each in every format; with a spare core,
    every other figure is written by a forked helper (same bytes)."""
    formats = list(formats)

    def work(names: list[str]) -> None:
        for name in names:
            write_figure(figures[name], name, folder, formats)

    _in_two(list(figures), work)
    return [Path(folder) / f"{name}.{fmt}" for name in figures for fmt in formats]


def write_raw_study(study, folder: Path | str) -> list[Path]:
    """Write a study in the raw data contract (:class:`partner_study.io.RawStudy` or
    :class:`partner_study.simulate.SimulatedStudy`) as a study folder: ``codebook.yaml``,
    ``participants.csv``, ``survey.csv``, ``segments.csv`` and ``roster.csv`` when present,
    ``truth.json`` for a simulated study, and ``IMPORT.md`` for an imported one (what the
    import did, :mod:`partner_study.io.record`)."""
    folder = Path(folder)
    paths = [
        write_text(folder / "codebook.yaml", study.codebook_text),
        write_csv(folder / "participants.csv", study.participants, float_format=None),
    ]
    for name in ("survey", "segments", "roster"):
        frame = getattr(study, name, None)
        if frame is not None:
            paths.append(write_csv(folder / f"{name}.csv", frame, float_format=None))
    truth = getattr(study, "truth", None)
    if truth:
        paths.append(write_json(folder / "truth.json", truth))
    record = getattr(study, "import_record", "")
    if record:
        paths.append(write_text(folder / "IMPORT.md", record))
    return paths


def write_processed_study(study, folder: Path | str) -> list[Path]:
    """Write a prepared :class:`partner_study.io.Study` as Parquet plus its codebook."""
    folder = Path(folder)
    out = [
        write_text(
            folder / "codebook.yaml", Path(study.codebook.source).read_text(encoding="utf-8-sig")
        )
        if Path(study.codebook.source).is_file()
        else None
    ]
    for key in ("participants", "scored", "segments"):
        frame = getattr(study, key)
        if frame is not None:
            out.append(write_parquet(frame, folder / f"{key}.parquet"))
    return [p for p in out if p is not None]


def write_paper_tables(
    displays: dict[str, pd.DataFrame],
    captions: pd.DataFrame,
    folder: Path | str,
    *,
    formats: Iterable[str] = ("md", "tex", "docx"),
    names: Iterable[str] | None = None,
) -> list[Path]:
    """Write display tables as ``<name>.md``, ``.tex`` and ``.docx`` with their captions."""
    from partner_study.tables import table_bytes

    wanted = set(names) if names is not None else set(displays)
    cap = captions[captions["kind"] == "table"].set_index("name")
    formats = list(formats)
    chosen = [name for name in displays if name in wanted]

    def work(names: list[str]) -> None:
        for name in names:
            caption = str(cap.loc[name, "caption"]) if name in cap.index else None
            number = int(cap["number"][name]) if name in cap.index else None
            for fmt in formats:
                data = table_bytes(
                    displays[name], fmt, caption=caption, label=f"tab:{name}", number=number
                )
                write_bytes(Path(folder) / f"{name}.{fmt}", data)

    _in_two(chosen, work)  # Word files take a while: every other table by a helper
    return [Path(folder) / f"{name}.{fmt}" for name in chosen for fmt in formats]
