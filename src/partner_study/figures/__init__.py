"""Figures: ``plot_*`` functions return a matplotlib Figure and never save.

Layer 4. Saving goes through :func:`partner_study.writer.write_figure`.
"""

import sys as _sys

from matplotlib.figure import Figure as _Figure

from partner_study.figures.likert import plot_likert, plot_likert_scales
from partner_study.figures.qualitative import plot_joint_display, plot_themes_by_role, pretty_label
from partner_study.figures.regression import (
    plot_engagement_vs,
    plot_engagement_vs_outcomes,
    plot_forest,
    plot_site_effects,
)
from partner_study.figures.scales_by_role import plot_item_differences
from partner_study.figures.style import (
    DOUBLE_COLUMN_MM,
    OKABE_ITO,
    PREVIEW_DPI,
    ROLE_COLOURS,
    SINGLE_COLUMN_MM,
    journal_style,
    new_figure,
    preview,
)


def _show_in_notebooks() -> None:
    """In a Jupyter kernel, display returned figures as PNG (100 dpi, no metadata), so the
    executed notebooks show them and stay byte-identical across runs. A figure just written
    by :func:`partner_study.writer.write_figure` shows its 300 dpi drawing reduced to
    100 dpi (:func:`partner_study.figures.style.preview`) instead of being drawn again."""
    if "IPython" not in _sys.modules:
        return
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return

    def _png(fig: _Figure) -> bytes:
        import io

        buf = io.BytesIO()
        image = preview(fig)
        if image is not None:
            image.save(buf, format="PNG")
        else:
            with journal_style():
                fig.savefig(buf, format="png", dpi=PREVIEW_DPI, metadata={"Software": None})
        return buf.getvalue()

    shell.display_formatter.formatters["image/png"].for_type(_Figure, _png)
    shell.display_formatter.formatters["text/plain"].for_type(
        _Figure, lambda fig, p, cycle: p.text("<Figure>")
    )


_show_in_notebooks()

__all__ = [
    "DOUBLE_COLUMN_MM",
    "OKABE_ITO",
    "ROLE_COLOURS",
    "SINGLE_COLUMN_MM",
    "journal_style",
    "new_figure",
    "plot_likert",
    "plot_likert_scales",
    "plot_item_differences",
    "plot_joint_display",
    "plot_themes_by_role",
    "pretty_label",
    "plot_engagement_vs",
    "plot_engagement_vs_outcomes",
    "plot_forest",
    "plot_site_effects",
]
