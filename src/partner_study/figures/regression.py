"""Figures of the regression stage: forest plot, dependent-against-outcome scatter plots and
between-site estimates.

Layer 4. Functions take the tidy frames of :mod:`partner_study.models` or the
scored survey and return a matplotlib Figure; they never save (the writer does).
Given the study's shape (:func:`partner_study.shape.read_shape`), axis labels, tick
labels and legends use the codebook's labels (the dependent, the outcomes, roles and
sites), long ones wrapped, never cut.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from partner_study.arrays import published
from partner_study.errors import ParamsError, Problem, StudyDataError
from partner_study.figures.style import (
    DOUBLE_COLUMN_MM,
    OKABE_ITO,
    ROLE_COLOURS,
    journal_style,
    new_figure,
)
from partner_study.shape import StudyShape

__all__ = [
    "plot_site_effects",
    "plot_engagement_vs_outcomes",
    "MODEL_LABELS",
    "plot_forest",
    "plot_engagement_vs",
    "pretty_name",
]

#: Legend labels of the model names of the regression frame.
MODEL_LABELS: dict[str, str] = {
    "ols": "OLS",
    "mixed": "Mixed model (random site intercept)",
    "joint_ols": "OLS, all outcomes together",
    "joint_mixed": "Mixed model, all outcomes together",
    "ordinal": "Ordinal logit",
    "ordinal_probit": "Ordinal probit",
    "joint_ordinal": "Ordinal logit, all outcomes together",
    "ols_mice": "OLS after multiple imputation",
}

_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "h")
_ALL = "(all)"
_ORDINAL_PREFIXES = ("ordinal", "joint_ordinal")


def pretty_name(name: str) -> str:
    """``"information_sharing"`` -> ``"Information sharing"``."""
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _wrap(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width`` characters at spaces (a longer word
    stays whole): a label is wrapped, never cut."""
    lines = textwrap.wrap(str(text), width, break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines) or str(text)


def _label(name: Any, shape: StudyShape | None) -> str:
    """A scale or variable as the codebook labels it, else its name made readable."""
    return shape.label(name) if shape is not None else pretty_name(str(name))


def _model_label(model: str, regression: pd.DataFrame, shape: StudyShape | None) -> str:
    """A model's legend label; with the shape, a mixed model names its grouping as the
    codebook labels it ("random intercept per établissement")."""
    label = MODEL_LABELS.get(model, pretty_name(model))
    if shape is None or not model.endswith("mixed"):
        return label
    terms = regression.loc[regression["model"] == model, "term"].astype(str)
    groups = [t[4:-1] for t in terms if t.startswith("var(") and t != "var(residual)"]
    if not groups:
        return label
    name = shape.site_label if groups[0] == "site" else shape.label(groups[0])
    name = name[:1].lower() + name[1:]
    together = ", all outcomes together" if model.startswith("joint_") else ""
    return f"Mixed model (random intercept per {name}){together}"


def _outcome_rows(regression: pd.DataFrame) -> pd.DataFrame:
    needed = ["model", "term", "estimate", "ci_low", "ci_high", "outcome"]
    missing = [c for c in needed if c not in regression.columns]
    if missing:
        raise ParamsError(
            f"plot_forest needs a tidy regression frame; column(s) {', '.join(missing)} missing."
        )
    outcomes = set(regression["outcome"]) - {_ALL, ""}
    rows = (regression["term"] == regression["outcome"]) | (
        (regression["outcome"] == _ALL) & regression["term"].isin(outcomes)
    )
    return regression.loc[rows & regression["estimate"].notna()]


def _not_converged(rows: pd.DataFrame) -> np.ndarray:
    """Rows of a fit that did not converge (``converged`` False, as a bool or, read back from
    its CSV, as text); none when the frame has no ``converged`` column."""
    if "converged" not in rows.columns:
        return np.zeros(len(rows), dtype=bool)
    flags = rows["converged"].astype(object)
    return np.array([str(v).strip().lower() in ("false", "0", "0.0") for v in flags], dtype=bool)


def _scale(model: str, note: object) -> str:
    # note is NaN where empty in a regression table read back from its CSV
    if isinstance(note, str) and "odds ratio" in note:
        return "Odds ratio (95% CI)"
    if model.startswith(_ORDINAL_PREFIXES):
        return "Log-odds (95% CI)"
    return "Coefficient (95% CI)"


def plot_forest(
    regression: pd.DataFrame,
    *,
    models: Sequence[str] | None = None,
    outcomes: Sequence[str] | None = None,
    shape: StudyShape | None = None,
) -> Figure:
    """Forest plot of the outcome coefficients, one row per outcome, models dodged.

    Parameters
    ----------
    regression : DataFrame
        Tidy regression frame (:func:`partner_study.models.fit_models`). The rows
        plotted are the outcome terms: ``term == outcome`` and, for joint models
        (``outcome == "(all)"``), the outcome terms of the joint model.
    models : sequence of str, optional
        Models to show, in legend order (default: all, in order of appearance).
    outcomes : sequence of str, optional
        Outcomes to show, top to bottom (default: all, in order of appearance).
    shape : StudyShape, optional
        Outcome labels (the codebook's scale labels, wrapped) and, as each panel's
        title, the label of the panel's dependent. Without it, names made readable and
        no titles.

    Returns
    -------
    Figure
        Double-column figure. One panel per scale present (coefficients of linear
        models; log-odds or odds ratios of ordinal models), each with a reference
        line at no effect (0, or 1 on a log axis for odds ratios), point estimates
        with 95% CI bars, one colour and marker per model (only the models in the
        frame, skipped ones having no estimate); outcome names as labelled
        ("Information sharing"). The estimate of a fit that did not converge is drawn
        as an open symbol, and the legend says so.

    Raises
    ------
    ParamsError
        Not a regression frame, or ``models``/``outcomes`` name something absent.
    StudyDataError
        No outcome term to plot.
    """
    # drawn from the values as the tidy table publishes them: the figure is then as
    # reproducible across machines as the table (see partner_study.arrays.published)
    rows = published(_outcome_rows(regression))
    present_models = list(dict.fromkeys(rows["model"]))
    present_outcomes = list(dict.fromkeys(rows["term"]))
    models = list(models) if models is not None else present_models
    outcomes = list(outcomes) if outcomes is not None else present_outcomes
    absent = [m for m in models if m not in present_models]
    absent += [o for o in outcomes if o not in present_outcomes]
    if absent:
        raise ParamsError(
            f"plot_forest: {', '.join(repr(a) for a in absent)} not among the plotted rows "
            f"(models: {', '.join(present_models)}; outcomes: {', '.join(present_outcomes)})."
        )
    rows = rows.loc[rows["model"].isin(models) & rows["term"].isin(outcomes)]
    if rows.empty:
        raise StudyDataError(
            Problem(
                file="regression table",
                found="no outcome coefficient with an estimate",
                expected="rows whose term is an outcome",
                fix="run fit_models with at least one outcome and model",
            )
        )
    scales = list(
        dict.fromkeys(_scale(m, n) for m, n in zip(rows["model"], rows["note"], strict=True))
    )
    n_out, n_mod = len(outcomes), len(models)
    names = [_wrap(_label(o, shape), 28) for o in outcomes]
    lines = max(n.count("\n") + 1 for n in names)
    height = float(np.clip(22 + 6.5 * n_out * max(1.0, n_mod / 3, lines / 2), 45, 220))
    fig, axes = new_figure(
        "double", height_mm=height, ncols=len(scales), sharey=True, squeeze=False
    )
    axes = axes[0]
    position = {o: i for i, o in enumerate(outcomes)}
    row_scale = np.array([_scale(m, n) for m, n in zip(rows["model"], rows["note"], strict=True)])
    with journal_style():
        for ax, scale in zip(axes, scales, strict=True):
            odds = scale.startswith("Odds")
            ax.axvline(1.0 if odds else 0.0, color="0.5", linewidth=0.6, linestyle="--", zorder=0)
            panel = rows.loc[row_scale == scale]
            shown = [m for m in models if (panel["model"] == m).any()]
            offsets = (np.arange(len(shown)) - (len(shown) - 1) / 2) * (0.7 / len(shown))
            for model, offset in zip(shown, offsets, strict=True):
                j = models.index(model)
                sub = panel.loc[panel["model"] == model]
                y = sub["term"].map(position).to_numpy(dtype=float) + offset
                est = sub["estimate"].to_numpy(dtype=float)
                low, high = sub["ci_low"].to_numpy(float), sub["ci_high"].to_numpy(float)
                err = np.vstack([est - low, high - est])
                ax.errorbar(
                    est,
                    y,
                    xerr=err,
                    fmt=_MARKERS[j % len(_MARKERS)],
                    markersize=3.5,
                    color=OKABE_ITO[j % len(OKABE_ITO)],
                    ecolor=OKABE_ITO[j % len(OKABE_ITO)],
                    elinewidth=0.9,
                    capsize=0,
                    label=_model_label(model, regression, shape),
                )
                failed = _not_converged(sub)
                if failed.any():  # an open symbol over the estimate: not the optimum
                    ax.plot(
                        est[failed],
                        y[failed],
                        _MARKERS[j % len(_MARKERS)],
                        markersize=3.5,
                        markerfacecolor="white",
                        markeredgecolor=OKABE_ITO[j % len(OKABE_ITO)],
                        linestyle="none",
                    )
            if odds:
                ax.set_xscale("log")
            ax.set_xlabel(scale)
            dependents = [
                d
                for d in pd.unique(panel.get("dependent", pd.Series([], dtype=object)))
                if isinstance(d, str) and d
            ]
            if shape is not None and len(dependents) == 1:
                width = 60 if len(scales) == 1 else 36
                ax.set_title(_wrap(shape.label(dependents[0]), width), loc="left")
            ax.set_yticks(range(n_out), names)
            ax.set_ylim(n_out - 0.5, -0.5)
            ax.tick_params(axis="y", length=0)
        handles, labels = [], []
        for ax in axes:
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        if _not_converged(rows).any():
            (handle,) = axes[0].plot(
                [], [], "o", markersize=3.5, markerfacecolor="white", markeredgecolor="0.3"
            )
            handles.append(handle)
            labels.append("Open symbol: the model did not converge (estimate unreliable)")
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 3))
    return fig


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope and intercept in closed form, summed in a fixed order (no LAPACK
    call, whose last bits depend on the machine's BLAS kernel), rounded as published."""
    mx, my = math.fsum(x) / len(x), math.fsum(y) / len(y)
    dx = x - mx
    slope = math.fsum(dx * (y - my)) / math.fsum(dx * dx)
    return published(slope), published(my - slope * mx)


def plot_engagement_vs(
    scored: pd.DataFrame,
    *,
    outcome: str,
    dependent: str = "engagement",
    by: str | None = "role",
    seed: int = 0,
    shape: StudyShape | None = None,
) -> Figure:
    """Scatter of the dependent against one outcome with fitted OLS lines per group.

    Parameters
    ----------
    scored : DataFrame
        Scored survey, one row per respondent. Not modified.
    outcome : str
        Scale on the x axis (e.g. ``"information_sharing"``).
    dependent : str
        Scale on the y axis.
    by : str or None
        Column defining groups (colours and one line each); None for one group.
    seed : int
        Seed of the jitter (a numpy Generator): the same seed gives the same figure.
    shape : StudyShape, optional
        Axis labels from the codebook's scale labels (wrapped), groups in declared
        order with their declared labels (roles, sites). Without it, names made
        readable and groups in the fixed role order, then sorted.

    Returns
    -------
    Figure
        Single-column figure: points jittered by up to 1.5% of each axis range (the
        lines are fitted to the unjittered data), one least-squares line
        :math:`\\hat y = a + b x` per group over its observed x range, legend with
        group sizes.

    Raises
    ------
    ParamsError
        A named column is not in ``scored``.
    StudyDataError
        No row with both scores.
    """
    needed = [outcome, dependent] + ([by] if by is not None else [])
    missing = [c for c in needed if c not in scored.columns]
    if missing:
        raise ParamsError(
            f"plot_engagement_vs: {', '.join(repr(m) for m in missing)} not a column of the "
            "scored data."
        )
    data = scored.loc[scored[needed].notna().all(axis=1), needed]
    if data.empty:
        raise StudyDataError(
            Problem(
                file="scored survey",
                found=f"no respondent with both {outcome!r} and {dependent!r}",
                expected="some respondents with both scale scores",
                fix="check the scoring of these scales",
            )
        )
    rng = np.random.default_rng(seed)
    x = data[outcome].to_numpy(dtype=float)
    y = data[dependent].to_numpy(dtype=float)
    jx = rng.uniform(-1, 1, len(x)) * 0.015 * max(np.ptp(x), 1e-12)
    jy = rng.uniform(-1, 1, len(y)) * 0.015 * max(np.ptp(y), 1e-12)
    if by is None:
        keys = np.zeros(len(data), dtype=int)
        groups: list[str | None] = [None]
    else:
        values = data[by].astype(str).to_numpy()
        present = set(values)
        if shape is not None:
            groups = list(shape.group_order(present, by))
        else:
            known = [r for r in ROLE_COLOURS if r in present]
            groups = [*known, *sorted(present - set(known))]
        keys = np.asarray(pd.Categorical(values, categories=groups).codes)
    fig, ax = new_figure("single", height_mm=65)
    with journal_style():
        for i, group in enumerate(groups):
            mask = keys == i
            if group is None:
                colour, name = OKABE_ITO[0], "All"
            else:
                colour, name = ROLE_COLOURS.get(group, OKABE_ITO[i % len(OKABE_ITO)]), group
            if shape is not None and group is not None:
                name = shape.group_label(group, by or "role", plural=False)
            else:
                name = pretty_name(name)
            label = f"{name} (n = {int(mask.sum())})"
            ax.scatter(
                x[mask] + jx[mask],
                y[mask] + jy[mask],
                s=5,
                alpha=0.45,
                color=colour,
                linewidths=0,
                rasterized=len(x) > 5000,
            )
            gx, gy = x[mask], y[mask]
            if len(gx) >= 2 and np.ptp(gx) > 0:
                slope, intercept = _line(gx, gy)
                grid = np.array([gx.min(), gx.max()])
                ax.plot(
                    grid,
                    published(intercept + slope * grid),
                    color=colour,
                    linewidth=1.3,
                    label=label,
                )
            else:
                ax.plot([], [], color=colour, label=label)
        ax.set_xlabel(_wrap(f"{_label(outcome, shape)} (scale score)", 56))
        ax.set_ylabel(_wrap(f"{_label(dependent, shape)} (scale score)", 44))
        if by is not None:
            ax.legend(loc="upper left")  # "best" scans every point: slow at survey scale
    return fig


def plot_engagement_vs_outcomes(
    scored: pd.DataFrame, spec: Mapping[str, Any], *, shape: StudyShape | None = None
) -> dict[str, Figure]:
    """One :func:`plot_engagement_vs` figure per outcome of a params ``regression`` spec,
    keyed ``<dependent>-vs-<outcome>`` (``engagement-vs-trust``); labels from ``shape``.
    None without a continuous dependent (``dependent: none``): the ordinal level is shown
    by the forest plot of its model."""
    if not spec.get("dependent"):
        return {}
    return {
        f"{spec['dependent']}-vs-{o}": plot_engagement_vs(
            scored, outcome=o, dependent=spec["dependent"], shape=shape
        )
        for o in spec["outcomes"]
    }


def plot_site_effects(
    by_site: pd.DataFrame,
    heterogeneity: pd.DataFrame,
    *,
    shape: StudyShape | None = None,
) -> Figure | None:
    """Between-site heterogeneity: each site's estimate of each outcome effect with its 95% CI
    and the inverse-variance pooled estimate (diamond), with I-squared per outcome.

    Parameters
    ----------
    by_site : DataFrame
        :func:`partner_study.models.fit_by_site`.
    heterogeneity : DataFrame
        :func:`partner_study.models.site_heterogeneity`.
    shape : StudyShape, optional
        Site labels and order, outcome labels (wrapped), the dependent's label in the axis
        label; without it, names made readable and sites sorted.

    Returns
    -------
    Figure or None
        Double-column figure, one row per outcome, sites dodged in colour. None when fewer
        than 2 sites have an estimate: there is nothing to compare (a study of one site),
        and an empty panel would say nothing.
    """
    data = published(by_site.dropna(subset=["estimate"]))
    if data["site"].nunique() < 2:
        return None
    heterogeneity = published(heterogeneity)
    terms = list(dict.fromkeys(data["term"]))
    present = [str(v) for v in data["site"].unique()]
    sites = list(shape.group_order(present, "site")) if shape is not None else sorted(present)
    data = data.assign(site=data["site"].astype(str))
    het = heterogeneity.set_index("term")
    names = [_wrap(_label(t, shape), 30) for t in terms]
    lines = max(n.count("\n") + 2 for n in names)
    height = 20 + 4.5 * max(2, lines) * max(1, len(terms))
    with journal_style():
        fig, ax = new_figure("double", height)
        offsets = np.linspace(-0.3, 0.3, len(sites) + 1)
        for i, site in enumerate(sites):
            sub = data[data["site"] == site].set_index("term").reindex(terms)
            y = np.arange(len(terms))[::-1] + offsets[i]
            colour = OKABE_ITO[i % len(OKABE_ITO)]
            name = shape.site_name(site) if shape is not None else pretty_name(site)
            ax.errorbar(
                sub["estimate"],
                y,
                xerr=[sub["estimate"] - sub["ci_low"], sub["ci_high"] - sub["estimate"]],
                fmt="o",
                color=colour,
                markersize=3,
                elinewidth=0.8,
                capsize=0,
                label=_wrap(name, 30),
            )
        y = np.arange(len(terms))[::-1] + offsets[-1]
        pooled = het.reindex(terms)
        if pooled["pooled"].notna().any():
            ax.errorbar(
                pooled["pooled"],
                y,
                xerr=[
                    pooled["pooled"] - pooled["pooled_ci_low"],
                    pooled["pooled_ci_high"] - pooled["pooled"],
                ],
                fmt="D",
                color="black",
                markersize=4,
                elinewidth=1.0,
                capsize=0,
                label="Pooled (inverse variance)",
            )
        ax.axvline(0, color="0.5", linewidth=0.6, linestyle="--")
        ax.set_yticks(np.arange(len(terms))[::-1])
        labels = [
            f"{name}\nI\u00b2 = {100 * het.loc[t, 'i2']:.0f}%"
            if t in het.index and pd.notna(het.loc[t, "i2"])
            else name
            for t, name in zip(terms, names, strict=True)
        ]
        ax.set_yticklabels(labels)
        site_word = shape.site_label if shape is not None else "Site"
        site_word = site_word[:1].lower() + site_word[1:]
        dependent = shape.dependent_label() if shape is not None else ""
        xlabel = f"Coefficient within each {site_word} (95% CI)"
        ax.set_xlabel(
            _wrap(f"{dependent}: {xlabel[:1].lower()}{xlabel[1:]}", 90) if dependent else xlabel
        )
        # as many legend columns as fit the width (about 1.3 mm a character at 6.5 pt)
        entries = ax.get_legend_handles_labels()[1]
        longest = max(len(line) for text in entries for line in text.split("\n"))
        ncols = int(np.clip((DOUBLE_COLUMN_MM - 6) // (10 + 1.3 * longest), 1, 5))
        fig.legend(loc="outside lower center", ncols=min(ncols, len(entries)))
    return fig
