"""Figures: ``plot_*`` functions return a matplotlib Figure and never save.

Layer 4. Saving goes through :func:`partner_study.writer.write_figure`.
"""

from partner_study.figures.likert import plot_likert, plot_likert_scales
from partner_study.figures.qualitative import plot_joint_display, plot_themes_by_role, pretty_label
from partner_study.figures.regression import (
    plot_engagement_vs,
    plot_engagement_vs_outcomes,
    plot_forest,
)
from partner_study.figures.style import (
    DOUBLE_COLUMN_MM,
    OKABE_ITO,
    ROLE_COLOURS,
    SINGLE_COLUMN_MM,
    journal_style,
    new_figure,
)

__all__ = [
    "DOUBLE_COLUMN_MM",
    "OKABE_ITO",
    "ROLE_COLOURS",
    "SINGLE_COLUMN_MM",
    "journal_style",
    "new_figure",
    "plot_likert",
    "plot_likert_scales",
    "plot_joint_display",
    "plot_themes_by_role",
    "pretty_label",
    "plot_engagement_vs",
    "plot_engagement_vs_outcomes",
    "plot_forest",
]
