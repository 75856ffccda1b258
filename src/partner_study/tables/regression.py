"""Regression estimates and between-site heterogeneity."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from partner_study.errors import ParamsError
from partner_study.tables._cells import (
    _JOINT_ALL,
    _MODEL_NAMES,
    _blank_repeats,
    _col,
    _display,
    _int,
    _is_missing,
    _num,
    _p_text,
    _pretty,
    _text,
    format_estimate,
    format_p_value,
)

__all__: list[str] = []


def _site_heterogeneity(
    frame: pd.DataFrame, *, digits: int, labels: Mapping[str, str] | None, **_: Any
) -> pd.DataFrame:
    data: dict[str, Any] = {"Outcome": frame["term"].map(lambda v: _pretty(v, labels))}
    data["Sites"] = frame["n_sites"].map(_int)
    data["Pooled [95% CI]"] = [
        format_estimate(a, b, c, digits=digits)
        for a, b, c in zip(
            frame["pooled"], frame["pooled_ci_low"], frame["pooled_ci_high"], strict=True
        )
    ]
    data["Q (df)"] = [
        f"{_num(q, digits)} ({_int(d)})" for q, d in zip(frame["q"], frame["df"], strict=True)
    ]
    data["p"] = frame["p_value"].map(_p_text)
    data["I² (%)"] = frame["i2"].map(lambda v: _num(100 * v, 0))
    data["τ²"] = frame["tau2"].map(lambda v: _num(v, 3))
    return _display(
        data,
        "Site estimates from the joint model fitted within each site; pooled by inverse "
        "variance; Q: Cochran's heterogeneity statistic; I²: share of variation due to "
        "between-site differences; τ²: DerSimonian-Laird between-site variance.",
    )


_CUT = re.compile(r"^[^|]+\|[^|]+$")
_FACTOR = re.compile(r"^(?:C\()?([^\[\(\),]+)(?:,[^\)]*)?\)?\[T\.(.+)\]$")


def _term_label(term: str, labels: Mapping[str, str] | None) -> str:
    if labels and term in labels:
        return str(labels[term])
    if term == "Intercept":
        return "Intercept"
    match = re.fullmatch(r"var\((.+)\)", term)
    if match:
        return (
            "Residual variance"
            if match.group(1) == "residual"
            else (f"Variance between {_pretty(match.group(1), labels).lower()}s")
        )
    if _CUT.match(term):
        a, b = term.split("|")
        return f"Cut point: {_pretty(a, labels).lower()} | {_pretty(b, labels).lower()}"
    match = _FACTOR.match(term)
    if match:
        return f"{_pretty(match.group(1).strip(), labels)}: {match.group(2)}"
    return _pretty(term, labels)


def _term_rank(term: str, outcome: str, outcomes: set[str]) -> int:
    if term == outcome or (outcome == _JOINT_ALL and term in outcomes):
        return 0
    if term == "Intercept":
        return 2
    if term.startswith("var("):
        return 3
    if _CUT.match(term):
        return 4
    return 1


def _row_digits(estimate: Any, low: Any, high: Any, digits: int) -> int:
    """``digits`` decimals; more (up to ``digits + 2``, for two significant figures) when
    estimate and bounds would all print as 0.0x or less (age per year: 0.0029)."""
    values = [abs(float(v)) for v in (estimate, low, high) if not _is_missing(v)]
    largest = max(values, default=0.0)
    if largest == 0 or not math.isfinite(largest) or largest >= 5 * 10.0**-digits:
        return digits
    return int(min(max(digits, 1 - math.floor(math.log10(largest))), digits + 2))


def _largest(values: np.ndarray) -> Any:
    """The largest non-missing value (NaN when there is none), as pandas' ``max``."""
    present = [v for v in values if not _is_missing(v)]
    return max(present) if present else np.nan


def _fit_cell(n: Any, n_groups: Any, converged: bool) -> str:
    """A model's ``Observations`` cell, ``"513 (4 groups)"``; ``" †"`` appended when the
    model did not converge."""
    text = _int(n)
    if not _is_missing(n_groups) and n_groups > 0:
        text += f" ({_int(n_groups)} groups)"
    return text + ("" if converged else " †")


def _regression(
    frame: pd.DataFrame,
    *,
    digits: int,
    labels: Mapping[str, str] | None,
    terms: str,
    adjusted_p: bool,
    **_: Any,
) -> pd.DataFrame:
    if terms not in ("all", "outcome"):
        raise ParamsError(f"terms must be 'all' or 'outcome', not {terms!r}.")
    pcol = "p_adjusted" if adjusted_p else "p_value"
    t = pd.DataFrame(
        {
            "term": _text(frame["term"]),
            "model": _text(_col(frame, "model", "")),
            "outcome": _text(_col(frame, "outcome", "")),
            "note": _text(_col(frame, "note", "")),
            "converged": ~_col(frame, "converged", True)
            .astype(object)
            .map(lambda v: str(v).strip().lower() in ("false", "0", "0.0"))
            .astype(bool),
            **{
                c: pd.to_numeric(_col(frame, c), errors="coerce")
                for c in ["estimate", "ci_low", "ci_high", pcol, "n", "n_groups"]
            },
        }
    )
    t = t[t["term"] != ""]
    t["kind"] = t["model"].str.removeprefix("joint_")
    t.loc[t["model"].str.startswith("joint_") & (t["outcome"] == ""), "outcome"] = _JOINT_ALL
    outcomes = set(t["outcome"]) - {"", _JOINT_ALL}
    t["rank"] = [_term_rank(a, b, outcomes) for a, b in zip(t["term"], t["outcome"], strict=True)]
    if terms == "outcome":
        t = t[t["rank"] == 0]
    kinds = list(pd.unique(t["kind"]))
    sections = list(pd.unique(t["outcome"]))
    if _JOINT_ALL in sections:  # the joint models come last
        sections = [s for s in sections if s != _JOINT_ALL] + [_JOINT_ALL]
    t["_s"] = t["outcome"].map({s: i for i, s in enumerate(sections)})
    first = {k: i for i, k in enumerate(pd.unique(t["outcome"] + "\x00" + t["term"]))}
    t["_f"] = (t["outcome"] + "\x00" + t["term"]).map(first)
    t["cell"] = [
        format_estimate(e, lo, hi, digits=_row_digits(e, lo, hi, digits))
        for e, lo, hi in zip(t["estimate"], t["ci_low"], t["ci_high"], strict=True)
    ]
    t["p"] = format_p_value(t[pcol].to_numpy()).to_numpy() if len(t) else []
    # Display rows in reading order: section, term rank, first appearance (each (outcome,
    # term) has its own _f, so the key is unique); per model kind the estimate and p value
    # of the first row (what a pivot table with aggfunc="first" gives, at a fraction of
    # its cost): key -> (outcome, term, estimates by kind, p values by kind).
    cells: dict[tuple[int, int, int], tuple[str, str, dict[str, str], dict[str, str]]] = {}
    for key, o, term, k, cell, p in zip(
        zip(t["_s"], t["rank"], t["_f"], strict=True),
        t["outcome"],
        t["term"],
        t["kind"],
        t["cell"],
        t["p"],
        strict=True,
    ):
        estimates, p_values = cells.setdefault(key, (o, term, {}, {}))[2:]
        estimates.setdefault(k, cell)
        p_values.setdefault(k, p)
    # One "Observations" row per section: n (groups) per model; † marks non-convergence.
    fits: dict[tuple[int, str], dict[str, list[int]]] = {}  # row positions by model
    for i, (s, o, k) in enumerate(zip(t["_s"], t["outcome"], t["kind"], strict=True)):
        fits.setdefault((s, o), {}).setdefault(k, []).append(i)
    n, n_groups, converged = (t[c].to_numpy() for c in ("n", "n_groups", "converged"))
    if "n" in frame.columns or not converged.all():
        for (s, o), models in fits.items():
            cells[(s, 9, 0)] = (  # rank 9: after the section's terms
                o,
                "\x00n",
                {
                    k: _fit_cell(_largest(n[i]), _largest(n_groups[i]), bool(converged[i].all()))
                    for k, i in models.items()
                },
                {},
            )
    rows = [cells[key] for key in sorted(cells)]
    data: dict[str, Any] = {}
    if any(s != "" for s in sections):
        outcome_names = [
            "All outcomes together" if o == _JOINT_ALL else _pretty(o, labels)
            for o, _term, _est, _p in rows
        ]
        data["Outcome"] = _blank_repeats(pd.Series(outcome_names, dtype=object))
    data["Term"] = [
        "Observations" if term == "\x00n" else _term_label(term, labels)
        for _o, term, _est, _p in rows
    ]
    odds = t["note"].str.contains("odds ratio", regex=False)
    has_p = pcol in frame.columns
    for k in kinds:
        mine = t["kind"] == k
        symbol = (
            ("OR" if odds[mine].all() and mine.any() else "log-odds")
            if k.startswith("ordinal")
            else "B"
        )
        name = _MODEL_NAMES.get(k, _pretty(k, labels)) if k else "Estimate"
        data[f"{name}: {symbol} [95% CI]" if k else "Estimate [95% CI]"] = [
            est.get(k, "") for _o, _term, est, _p in rows
        ]
        if has_p:
            data[f"{name}: p" if k else "p"] = [p.get(k, "") for _o, _term, _est, p in rows]
    note = (
        "B: regression coefficient; OR: odds ratio; log-odds: ordinal-model coefficient; "
        "[95% CI]: 95% confidence interval. Each outcome has its own models, adjusted for "
        "the covariates shown; 'All outcomes together' holds every outcome in one model. "
        "P values are two-sided"
        + (", Benjamini-Hochberg adjusted over the outcome terms." if adjusted_p else ".")
    )
    if not t["converged"].all():
        note += " †: the model did not converge; its estimates are unreliable."
    return _display(data, note)
