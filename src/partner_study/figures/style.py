"""One journal style for every figure.

Layer 4. Sizes follow common journal columns: single column 85 mm, double
column 174 mm. Fonts are sized for print (7-8 pt). The palette is Okabe-Ito
(colour-blind safe); diverging Likert colours come from a ColorBrewer RdBu
ramp, also safe for the common colour-vision deficiencies.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import matplotlib
from cycler import cycler


def use_agg() -> None:
    """Draw with Agg, whatever backend the session chose: figures are written to files and
    shown in notebooks as PNG by :mod:`partner_study.figures`, never in a window."""
    matplotlib.use("Agg")


use_agg()

from matplotlib.figure import Figure  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType
    from PIL import Image

__all__ = [
    "MM",
    "SINGLE_COLUMN_MM",
    "DOUBLE_COLUMN_MM",
    "OKABE_ITO",
    "ROLE_COLOURS",
    "ROLE_MARKERS",
    "ROLE_PALETTE",
    "role_colours",
    "role_markers",
    "RCPARAMS",
    "diverging_colours",
    "journal_style",
    "new_figure",
    "keep_preview",
    "preview",
    "PREVIEW_DPI",
    "use_agg",
    "empty_panels",
]

MM = 1 / 25.4
SINGLE_COLUMN_MM = 85.0
DOUBLE_COLUMN_MM = 174.0

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

#: Colours of the roles, by declared position (:attr:`StudyShape.role_names`): the first
#: declared role is blue, the second orange, then the rest of Okabe-Ito; never by name.
ROLE_PALETTE: tuple[str, ...] = OKABE_ITO
#: Markers of the roles, by declared position, so the roles differ without colour too.
ROLE_MARKERS: tuple[str, ...] = ("o", "D", "s", "^", "v", "P", "X", "p")

#: Deprecated and empty: colours go by declared position (:func:`role_colours`), not by
#: a role's name. Kept so that code still reading it falls back on the palette.
ROLE_COLOURS: Mapping[str, str] = MappingProxyType({})


def role_colours(roles: Iterable[Any]) -> dict[str, str]:
    """Colour of each role in ``roles`` (declared order), from :data:`ROLE_PALETTE`,
    cycling after eight roles.

    >>> role_colours(["staff", "resident"])
    {'staff': '#0072B2', 'resident': '#E69F00'}
    """
    names = [str(r) for r in roles]
    return {r: ROLE_PALETTE[i % len(ROLE_PALETTE)] for i, r in enumerate(names)}


def role_markers(roles: Iterable[Any]) -> dict[str, str]:
    """Marker of each role in ``roles`` (declared order), from :data:`ROLE_MARKERS`."""
    names = [str(r) for r in roles]
    return {r: ROLE_MARKERS[i % len(ROLE_MARKERS)] for i, r in enumerate(names)}


_RDBU = {
    2: ["#ca0020", "#0571b0"],
    3: ["#ef8a62", "#d9d9d9", "#67a9cf"],
    4: ["#ca0020", "#f4a582", "#92c5de", "#0571b0"],
    5: ["#ca0020", "#f4a582", "#d9d9d9", "#92c5de", "#0571b0"],
    6: ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"],
    7: ["#b2182b", "#ef8a62", "#fddbc7", "#d9d9d9", "#d1e5f0", "#67a9cf", "#2166ac"],
}

RCPARAMS: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 7,
    "axes.titlesize": 8,
    "axes.labelsize": 7,
    "xtick.labelsize": 6.5,
    "ytick.labelsize": 6.5,
    "legend.fontsize": 6.5,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "lines.linewidth": 1.0,
    "axes.prop_cycle": cycler(color=list(OKABE_ITO)),
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "svg.hashsalt": "partner-study",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "path.simplify": False,
}


def diverging_colours(n: int) -> list[str]:
    """``n`` colours from disagreement (red) to agreement (blue), a neutral grey in the middle."""
    if n in _RDBU:
        return list(_RDBU[n])
    cmap = matplotlib.colormaps["RdBu"]
    return [matplotlib.colors.to_hex(cmap(0.1 + 0.8 * i / (n - 1))) for i in range(n)]


@contextmanager
def journal_style() -> Iterator[None]:
    """Context in which matplotlib uses the journal style."""
    with matplotlib.rc_context(RCPARAMS):
        yield


def new_figure(width: str | float = "single", height_mm: float = 60.0, **subplots) -> tuple:
    """A figure of journal width and its axes, in the journal style.

    Parameters
    ----------
    width : {"single", "double"} or float
        Single column (85 mm), double column (174 mm), or a width in mm.
    height_mm : float
        Height in millimetres.
    **subplots
        Passed to :meth:`matplotlib.figure.Figure.subplots` (``nrows``, ``ncols``, ...).

    Returns
    -------
    (Figure, Axes or array of Axes)
    """
    w = {"single": SINGLE_COLUMN_MM, "double": DOUBLE_COLUMN_MM}.get(width, width)  # type: ignore[arg-type]
    with journal_style():
        fig = Figure(figsize=(float(w) * MM, height_mm * MM), layout="constrained")
        axes = fig.subplots(**subplots)
    fig._partner_study_style = True  # type: ignore[attr-defined]
    return fig, axes


#: Notebook previews: the 300 dpi raster reduced 3 x 3 pixels to one, i.e. 100 dpi.
PREVIEW_REDUCTION = 3
PREVIEW_DPI = int(RCPARAMS["savefig.dpi"]) // PREVIEW_REDUCTION  # type: ignore[call-overload]
_PREVIEW = "_partner_study_preview"


def keep_preview(fig: Figure, raster: Image.Image) -> None:
    """Keep a notebook preview of ``fig`` made from ``raster``, the 300 dpi drawing just
    written to file (reduced to 100 dpi now: the full raster is not kept for the figure's
    lifetime), so that showing the figure in a notebook does not draw it again.

    The preview holds while the figure stays as it was drawn: any later change marks the
    figure stale and any later drawing (``savefig``, another write) drops the preview;
    :func:`preview` then returns ``None`` and the figure is drawn afresh.
    """
    vars(fig)[_PREVIEW] = raster.reduce(PREVIEW_REDUCTION)
    if not getattr(fig, "_partner_study_preview_watch", False):
        fig.canvas.mpl_connect("draw_event", _drop_preview)
        fig._partner_study_preview_watch = True  # type: ignore[attr-defined]


def _drop_preview(event) -> None:
    vars(event.canvas.figure).pop(_PREVIEW, None)


def preview(fig: Figure) -> Image.Image | None:
    """The notebook preview (100 dpi) kept by :func:`keep_preview`, if the figure is
    unchanged since."""
    image = vars(fig).get(_PREVIEW)
    return None if image is None or fig.stale else image


def _finite(values: Any) -> bool:
    import numpy as np

    array: np.ndarray = np.ma.filled(np.ma.asarray(values, dtype=float), np.nan)
    finite = np.isfinite(array)
    if array.ndim == 2:  # points: a point needs every coordinate
        finite = finite.all(axis=1)
    return bool(array.size) and bool(finite.any())


def _in_data(artist: Any, ax: Any) -> bool:
    """Whether ``artist`` is placed by the data (not a reference line spanning the axes)."""
    return bool(artist.get_transform().contains_branch(ax.transData))


def _panel_has_data(ax: Any) -> bool:
    if ax.images:
        return True
    for line in ax.lines:
        if _in_data(line, ax) and _finite(line.get_xydata()):
            return True
    for patch in ax.patches:
        if patch.get_data_transform() == ax.transData:
            return True
    for collection in ax.collections:
        offsets = collection.get_offsets()
        if len(offsets) and collection.get_offset_transform().contains_branch(ax.transData):
            if _finite(offsets):
                return True
        elif _in_data(collection, ax) and any(
            _finite(path.vertices) for path in collection.get_paths()
        ):
            return True
    return False


def empty_panels(fig: Figure) -> list[str]:
    """The panels of ``fig`` that show no data: visible axes, with their axis lines on, in
    which no line, marker, bar, image or collection is placed by data coordinates (a
    reference line across the axes does not count). Each is named by its title or axis
    labels, else by its position. A display leaves out a panel it has nothing for; the
    writer refuses a figure with one (:func:`partner_study.writer.write_figure`)."""
    empty = []
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible() or not ax.axison or _panel_has_data(ax):
            continue
        name = ax.get_title() or ax.get_title(loc="left") or ax.get_xlabel() or ax.get_ylabel()
        empty.append(repr(name) if name else f"panel {i + 1}")
    return empty
