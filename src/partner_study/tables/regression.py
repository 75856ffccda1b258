"""Regression estimates and between-site heterogeneity.

:func:`regression_displays` gives the paper tables of a regression frame, one per model
kind (narrow: outcome, term, estimate [95% CI], p, BH-adjusted p); the ``regression`` kind
of :func:`partner_study.tables.format_table` keeps the wide view with every kind side by
side.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from partner_study.errors import ParamsError
from partner_study.models.mixed import FEW_GROUPS, FEW_GROUPS_MARK
from partner_study.shape import StudyShape
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
    _require,
    _text,
    format_estimate,
    format_p_value,
)

__all__: list[str] = ["regression_displays", "REGRESSION_DISPLAY_KINDS"]

#: Model kinds of :func:`regression_displays`, in table order (others follow as they come).
REGRESSION_DISPLAY_KINDS: tuple[str, ...] = (
    "ols",
    "mixed",
    "ordinal",
    "ordinal_probit",
    "ols_mice",
)
_SKIPPED = "(skipped)"


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
_VARIANCE = re.compile(r"var\((.+)\)")


def _role_column(shape: StudyShape) -> str:
    """The processed data's role column (``role``)."""
    return str(getattr(shape, "role_column", "role"))


def _site_column(shape: StudyShape) -> str:
    """The processed data's site column (``site``)."""
    return str(getattr(shape, "site_column", "site"))


def _factor_label(
    variable: str, level: str, labels: Mapping[str, str] | None, shape: StudyShape | None
) -> str:
    """``"Gender: man"``: the variable's label, then the level (a role or site as declared)."""
    if shape is not None and variable == _role_column(shape):
        return f"{_pretty(variable, labels)}: {shape.role_label(level)}"
    if shape is not None and variable == _site_column(shape):
        return f"{shape.site_label}: {shape.site_name(level)}"
    return f"{_pretty(variable, labels)}: {level}"


def _group_label(group: str, labels: Mapping[str, str] | None, shape: StudyShape | None) -> str:
    """The label of a grouping column (``site`` -> the codebook's site label)."""
    if shape is not None and group == _site_column(shape):
        return shape.site_label
    return _pretty(group, labels)


def _few_groups_sentence(
    t: pd.DataFrame, labels: Mapping[str, str] | None, shape: StudyShape | None
) -> str:
    """The warning of a random intercept estimated from fewer than 5 groups, for a table's
    note (empty when no model of ``t`` has it)."""
    flagged = t[t["note"].str.contains(FEW_GROUPS_MARK, regex=False)]
    if flagged.empty:
        return ""
    groups = [m.group(1) for m in map(_VARIANCE.fullmatch, flagged["term"]) if m]
    group = next((g for g in groups if g != "residual"), "")
    label = _group_label(group, labels, shape) if group else "group"
    counts = sorted({int(v) for v in flagged["n_groups"] if not _is_missing(v)})
    how_many = " or ".join(str(c) for c in counts) or f"fewer than {FEW_GROUPS}"
    return (
        f"Warning: the random intercept rests on {how_many} groups ({label}), fewer than "
        f"{FEW_GROUPS}: its variance is imprecise (often estimated as 0) and intervals of "
        "what varies between groups are too narrow; with so few, take "
        f"{label[:1].lower() + label[1:]} as a fixed effect instead"
        + (f" (covariates: [{group}])." if group else ".")
    )


def _term_label(
    term: str, labels: Mapping[str, str] | None, shape: StudyShape | None = None
) -> str:
    if labels and term in labels:
        return str(labels[term])
    if term == "Intercept":
        return "Intercept"
    match = _VARIANCE.fullmatch(term)
    if match:
        return (
            "Residual variance"
            if match.group(1) == "residual"
            else f"Random-intercept variance ({_pretty(match.group(1), labels)})"
        )
    if _CUT.match(term):
        a, b = term.split("|")
        return f"Cut point: {a} | {b}"  # levels as declared, never another name's label
    match = _FACTOR.match(term)
    if match:
        return _factor_label(match.group(1).strip(), match.group(2), labels, shape)
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
    model ran and did not converge."""
    text = _int(n)
    if not _is_missing(n_groups) and n_groups > 0:
        text += f" ({_int(n_groups)} group{'' if n_groups == 1 else 's'})"
    return text + ("" if converged else " †")


def _skip_reason(note: str) -> str:
    """Why a model was skipped, from its note: ``"mixed model skipped: 1 site (...)"`` ->
    ``"1 site (...)"``; a failure message is kept whole."""
    parts = [p.strip() for p in str(note).split("; ") if p.strip()]
    for part in parts:
        match = re.search(r"\bskipped:\s*(.+)$", part)
        if match:
            return match.group(1)
    for part in parts:
        if "fail" in part or "not fitted" in part:
            return part
    return parts[0] if parts else "not fitted"


def _frame_rows(frame: pd.DataFrame, pcols: tuple[str, ...]) -> pd.DataFrame:
    """The regression frame as plain columns: text, numbers, flags; ``kind`` (the model
    without ``joint_``), ``outcome`` ``(all)`` for joint models, ``skipped``."""
    t = pd.DataFrame(
        {
            "term": _text(frame["term"]),
            "model": _text(_col(frame, "model", "")),
            "dependent": _text(_col(frame, "dependent", "")),
            "outcome": _text(_col(frame, "outcome", "")),
            "note": _text(_col(frame, "note", "")),
            "cov_type": _text(_col(frame, "cov_type", "")),
            "converged": ~_col(frame, "converged", True)
            .astype(object)
            .map(lambda v: str(v).strip().lower() in ("false", "0", "0.0"))
            .astype(bool),
            **{
                c: pd.to_numeric(_col(frame, c), errors="coerce")
                for c in dict.fromkeys(["estimate", "ci_low", "ci_high", *pcols, "n", "n_groups"])
            },
        }
    )
    t = t[t["term"] != ""]
    t["kind"] = t["model"].str.removeprefix("joint_")
    t.loc[t["model"].str.startswith("joint_") & (t["outcome"] == ""), "outcome"] = _JOINT_ALL
    t["skipped"] = t["term"].eq(_SKIPPED)
    return t


def _regression(
    frame: pd.DataFrame,
    *,
    digits: int,
    labels: Mapping[str, str] | None,
    terms: str,
    adjusted_p: bool,
    shape: StudyShape | None = None,
    **_: Any,
) -> pd.DataFrame:
    if terms not in ("all", "outcome"):
        raise ParamsError(f"terms must be 'all' or 'outcome', not {terms!r}.")
    pcol = "p_adjusted" if adjusted_p else "p_value"
    t = _frame_rows(frame, (pcol,))
    outcomes = set(t["outcome"]) - {"", _JOINT_ALL}
    t["rank"] = [_term_rank(a, b, outcomes) for a, b in zip(t["term"], t["outcome"], strict=True)]
    if terms == "outcome":
        t = t[(t["rank"] == 0) | t["skipped"]]
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
    # its cost): key -> (outcome, term, estimates by kind, p values by kind). A skipped
    # model has no term of its own: its Observations cell says so.
    cells: dict[tuple[int, int, int], tuple[str, str, dict[str, str], dict[str, str]]] = {}
    for key, o, term, k, cell, p, skipped in zip(
        zip(t["_s"], t["rank"], t["_f"], strict=True),
        t["outcome"],
        t["term"],
        t["kind"],
        t["cell"],
        t["p"],
        t["skipped"],
        strict=True,
    ):
        if skipped:
            continue
        estimates, p_values = cells.setdefault(key, (o, term, {}, {}))[2:]
        estimates.setdefault(k, cell)
        p_values.setdefault(k, p)
    # One "Observations" row per section: n (groups) per model; † marks non-convergence
    # of a model that ran; a skipped model reads "skipped".
    fits: dict[tuple[int, str], dict[str, list[int]]] = {}  # row positions by model
    for i, (s, o, k) in enumerate(zip(t["_s"], t["outcome"], t["kind"], strict=True)):
        fits.setdefault((s, o), {}).setdefault(k, []).append(i)
    n, n_groups, converged, skipped = (
        t[c].to_numpy() for c in ("n", "n_groups", "converged", "skipped")
    )
    ran_ok = converged | skipped
    if "n" in frame.columns or not ran_ok.all() or skipped.any():
        for (s, o), models in fits.items():
            cells[(s, 9, 0)] = (  # rank 9: after the section's terms
                o,
                "\x00n",
                {
                    k: "skipped"
                    if skipped[i].all()
                    else _fit_cell(_largest(n[i]), _largest(n_groups[i]), bool(ran_ok[i].all()))
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
        "Observations" if term == "\x00n" else _term_label(term, labels, shape)
        for _o, term, _est, _p in rows
    ]
    odds = t["note"].str.contains("odds ratio", regex=False)
    has_p = pcol in frame.columns
    for k in kinds:
        mine = (t["kind"] == k) & ~t["skipped"]
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
    if not ran_ok.all():
        note += " †: the model did not converge; its estimates are unreliable" + (
            " and its p values are left out of the Benjamini-Hochberg adjustment."
            if adjusted_p
            else "."
        )
    few = _few_groups_sentence(t[~t["skipped"]], labels, shape)
    if few:
        note += " " + few
    reasons = list(dict.fromkeys(_skip_reason(x) for x in t.loc[t["skipped"], "note"]))
    if reasons:
        note += " Skipped (not fitted): " + "; ".join(reasons) + "."
    return _display(data, note)


# --------------------------------------------------------------------------- one table a kind


def _display_term(term: str, labels: Mapping[str, str] | None, shape: StudyShape | None) -> str:
    """A term as a paper table names it, labels verbatim (cut points keep their case)."""
    match = _VARIANCE.fullmatch(term)
    if match and not (labels and term in labels):
        group = match.group(1)
        if group == "residual":
            return "Residual variance"
        return f"Random-intercept variance ({_group_label(group, labels, shape)})"
    if _CUT.match(term) and not (labels and term in labels):
        a, b = term.split("|")
        return f"Cut point: {a} | {b}"
    return _term_label(term, labels, shape)


def _declared(variable: str, shape: StudyShape | None) -> tuple[str, ...]:
    if shape is None:
        return ()
    if variable == _role_column(shape):
        return shape.role_names
    if variable == _site_column(shape):
        return tuple(shape.sites)
    return tuple(shape.levels.get(variable, ()))


def _references(
    terms: Any, labels: Mapping[str, str] | None, shape: StudyShape | None
) -> list[str]:
    """``["Gender: woman", ...]``: the reference category of each factor among ``terms``,
    when the codebook's levels leave exactly one declared level without a term."""
    present: dict[str, list[str]] = {}
    for term in terms:
        match = _FACTOR.match(str(term))
        if match:
            present.setdefault(match.group(1).strip(), []).append(match.group(2))
    out = []
    for variable, levels in present.items():
        missing = [lv for lv in _declared(variable, shape) if lv not in levels]
        if len(missing) == 1:
            out.append(_factor_label(variable, missing[0], labels, shape))
    return out


def _standard_errors(cov_types: list[str], labels: Mapping[str, str] | None, shape: Any) -> str:
    texts = []
    for cov in cov_types:
        match = re.fullmatch(r"(cluster|CR2)\((.+)\)", cov)
        if match:
            group = _group_label(match.group(2), labels, shape).lower()
            if match.group(1) == "CR2":
                texts.append(
                    f"cluster-robust standard errors by {group} (CR2, Bell-McCaffrey) with a "
                    "t reference on Imbens-Kolesár degrees of freedom, which stay accurate "
                    "with few clusters"
                )
            else:
                texts.append(f"cluster-robust standard errors by {group} (Stata's CR1)")
        elif cov in ("HC0", "HC1", "HC2", "HC3"):
            texts.append(f"heteroskedasticity-consistent ({cov}) standard errors")
        elif cov == "nonrobust":
            texts.append("model-based (non-robust) standard errors")
    return "; ".join(dict.fromkeys(texts))


def _kind_note(
    t: pd.DataFrame,
    kind: str,
    *,
    labels: Mapping[str, str] | None,
    shape: StudyShape | None,
    sections: list[str],
    has_adjusted: bool,
) -> str:
    ran = t[~t["skipped"]]
    dependent = next((d for d in t["dependent"] if d), "")
    parts = []
    if ran.empty:  # nothing was fitted: the reason is the table
        if dependent:
            parts.append(f"Dependent: {_pretty(dependent, labels)}.")
        parts.append("Skipped: the model could not be fitted on these data, for the reason given.")
        return " ".join(parts)
    if dependent:
        text = f"Dependent: {_pretty(dependent, labels)}"
        cuts = [str(x).split("|") for x in pd.unique(ran["term"]) if _CUT.match(str(x))]
        if kind.startswith("ordinal") and cuts:
            order = [cuts[0][0], *[b for _a, b in cuts]]
            text += f", ordered {' < '.join(order)}"
        parts.append(text + ".")
    odds: Any = kind.startswith("ordinal") and len(ran) > 0
    odds = (
        odds
        and ran.loc[~ran["term"].str.contains("|", regex=False), "note"]
        .str.contains("odds ratio", regex=False)
        .all()
    )
    if kind == "ordinal":
        if odds:
            parts.append(
                "OR: odds ratio of a higher level of the dependent per unit of the predictor "
                "(exp of the log-odds of the proportional-odds logistic model; OR > 1: higher "
                "levels more likely), with its 95% confidence interval; cut points stay on "
                "the log-odds scale."
            )
        else:
            parts.append(
                "log-odds: coefficient of the proportional-odds (ordinal logistic) model, the "
                "change in the log-odds of a higher level of the dependent per unit of the "
                "predictor (positive: higher levels more likely), with its 95% confidence "
                "interval; cut points are on the log-odds scale."
            )
    elif kind.startswith("ordinal"):
        parts.append(
            "B: coefficient of the ordinal (cumulative link) model on the latent scale, with "
            "its 95% confidence interval; cut points are on the same scale."
        )
    elif kind == "mixed":
        groups = [m.group(1) for m in map(_VARIANCE.fullmatch, ran["term"]) if m]
        group = next((g for g in groups if g != "residual"), "")
        per = f" for each {_group_label(group, labels, shape).lower()}" if group else ""
        parts.append(
            "B: fixed-effect coefficient of a linear mixed model with a random intercept"
            f"{per} (REML), with its 95% Wald confidence interval; the variances have no "
            "interval."
        )
    else:
        cov = _standard_errors(list(pd.unique(ran["cov_type"])), labels, shape)
        what = "OLS after multiple imputation (Rubin's rules)" if kind == "ols_mice" else "OLS"
        parts.append(
            f"B: regression coefficient ({what}), the change in the dependent per unit of the "
            "predictor, with its 95% confidence interval" + (f"; {cov}." if cov else ".")
        )
    if ran["note"].str.contains("standardized:", regex=False).any():
        parts.append("Numeric variables are z-scored: coefficients are in standard deviations.")
    own = [s for s in sections if s not in ("", _JOINT_ALL)]
    if own:
        parts.append(
            "Each outcome has its own model, adjusted for the covariates listed"
            + (
                "; 'All outcomes together' holds every outcome in one model."
                if _JOINT_ALL in sections
                else "."
            )
        )
    elif _JOINT_ALL in sections:
        parts.append("'All outcomes together': every outcome in one model.")
    references = _references(pd.unique(ran["term"]), labels, shape)
    if references:
        parts.append("Reference categories: " + "; ".join(references) + ".")
    p_text = "p: two-sided"
    if has_adjusted:
        p_text += (
            "; p (BH): Benjamini-Hochberg adjusted over the outcome terms (one family for "
            "the outcomes' own models, another for the outcomes of the joint model); "
            "covariates are not adjusted"
        )
    parts.append(p_text + ".")
    if (~ran["converged"]).any():
        parts.append(
            "†: the model did not converge; its estimates are unreliable"
            + (
                " and its p values are left out of the Benjamini-Hochberg adjustment."
                if has_adjusted
                else "."
            )
        )
    few = _few_groups_sentence(ran, labels, shape)
    if few:
        parts.append(few)
    if t["skipped"].any():
        parts.append("Skipped: the model could not be fitted on these data, for the reason given.")
    return " ".join(parts)


def _kind_display(
    t: pd.DataFrame,
    kind: str,
    *,
    outcomes: set[str],
    digits: int,
    labels: Mapping[str, str] | None,
    shape: StudyShape | None,
    has_adjusted: bool,
    has_p: bool = True,
) -> pd.DataFrame:
    sections = list(pd.unique(t["outcome"]))
    if _JOINT_ALL in sections:  # the joint model comes last
        sections = [s for s in sections if s != _JOINT_ALL] + [_JOINT_ALL]
    position = {s: i for i, s in enumerate(sections)}
    t = t.assign(
        _s=t["outcome"].map(position),
        _rank=[_term_rank(a, b, outcomes) for a, b in zip(t["term"], t["outcome"], strict=True)],
        _pos=np.arange(len(t)),
    )
    ran = t[~t["skipped"]].sort_values(["_s", "_rank", "_pos"], kind="mergesort")
    ran = ran.drop_duplicates(["outcome", "term"])
    rows: list[tuple[str, str, str, str, str]] = []
    skipped_sections: dict[str, str] = {}
    for section in sections:
        mine = t[t["outcome"] == section]
        shown = ran[ran["outcome"] == section]
        for r in shown.itertuples(index=False):
            cell = format_estimate(
                r.estimate,
                r.ci_low,
                r.ci_high,
                digits=_row_digits(r.estimate, r.ci_low, r.ci_high, digits),
            )
            rows.append(
                (
                    section,
                    _display_term(r.term, labels, shape),
                    cell,
                    _p_text(r.p_value),
                    _p_text(r.p_adjusted) if has_adjusted else "",
                )
            )
        if shown.empty:
            reason = _skip_reason(next(iter(mine.loc[mine["skipped"], "note"]), ""))
            skipped_sections[section] = reason
            fit = f"skipped: {reason}"
        else:
            n = _largest(mine["n"].to_numpy())
            groups = _largest(mine["n_groups"].to_numpy())
            fit = _fit_cell(n, groups, bool(shown["converged"].all()))
        if fit:  # a frame without n (and converged) has nothing to say here
            rows.append((section, "Observations", fit, "", ""))
    if len(sections) > 1 and len(skipped_sections) == len(sections):
        if len(set(skipped_sections.values())) == 1:  # one reason for every model: one row
            rows = [("\x00every", "Observations", rows[0][2], "", "")]

    def outcome_name(section: str) -> str:
        if section == _JOINT_ALL:
            return "All outcomes together"
        if section == "\x00every":
            return "All outcomes"
        return _pretty(section, labels)

    if kind == "ordinal":
        odds = ~ran["term"].str.contains("|", regex=False)
        is_or = (
            bool(odds.any()) and ran.loc[odds, "note"].str.contains("odds ratio", regex=False).all()
        )
        symbol = "OR" if is_or else "log-odds"
    elif kind.startswith("ordinal"):
        symbol = f"B ({kind.removeprefix('ordinal_')})"
    else:
        symbol = "B"
    data: dict[str, Any] = {}
    if any(s != "" for s in sections):
        data["Outcome"] = _blank_repeats(
            pd.Series([outcome_name(r[0]) for r in rows], dtype=object)
        )
    data["Term"] = [r[1] for r in rows]
    data[f"{symbol} [95% CI]"] = [r[2] for r in rows]
    if has_p:
        data["p"] = [r[3] for r in rows]
    if has_adjusted:
        data["p (BH)"] = [r[4] for r in rows]
    note = _kind_note(
        t, kind, labels=labels, shape=shape, sections=sections, has_adjusted=has_adjusted
    )
    out = _display(data, note)
    out.attrs["skipped"] = bool(t["skipped"].all())  # no model of this kind was fitted
    return out


def regression_displays(
    frame: pd.DataFrame,
    *,
    shape: StudyShape | None = None,
    digits: int = 2,
    labels: Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """The paper tables of a regression frame: one narrow display per model kind.

    Parameters
    ----------
    frame : DataFrame
        Tidy regression frame (:func:`partner_study.models.fit_models`, ``fit_sensitivity``
        or ``tables/regression.csv`` read back). Not modified. Needs ``term`` and
        ``estimate``; other columns of the contract are used when present.
    shape : StudyShape, optional
        Labels of scales, variables, roles and sites as the codebook declares them
        (:func:`partner_study.shape.read_shape`); without it, stored names made readable.
    digits : int
        Decimals of estimates (two significant figures for small per-unit coefficients).
    labels : mapping, optional
        Further name -> label overrides.

    Returns
    -------
    dict of str to DataFrame
        Keyed ``"regression-<kind>"`` with ``_`` as ``-`` (``regression-ols``,
        ``regression-mixed``, ``regression-ordinal``, ``regression-ordinal-probit``,
        ``regression-ols-mice``), one per model kind present, in that order (others
        after, as they come); a joint model (``joint_<kind>``) is the last section,
        "All outcomes together", of its kind's table. Columns: ``Outcome`` (left out
        when the frame has no outcome), ``Term``, ``"<symbol> [95% CI]"`` (``B``; for the
        ordinal logit ``log-odds``, or ``OR`` when the frame holds odds ratios), ``p``
        and, when the frame has ``p_adjusted``, ``p (BH)`` (Benjamini-Hochberg, outcome
        terms only). Each outcome's rows: the outcome term, covariates (``"Gender: man"``,
        role and site levels as declared), intercept, variances, cut points, then an
        ``Observations`` row: ``n`` with ``(k groups)`` for grouped models, ``" †"`` when
        a model that ran did not converge, ``"skipped: <reason>"`` for a model that was
        not fitted (one row for the whole table when every model was skipped for one
        reason). ``attrs["note"]`` names the dependent (``"Dependent: <label>."``), the
        estimate, the standard errors, the reference categories (when the shape tells
        them) and the symbols. An empty frame gives ``{}``.

    Examples
    --------
    >>> f = pd.DataFrame({"model": ["ols", "ols"], "dependent": "y", "outcome": "x",
    ...                   "term": ["Intercept", "x"], "estimate": [1.0, 0.5],
    ...                   "ci_low": [0.5, 0.25], "ci_high": [1.5, 0.75],
    ...                   "p_value": [0.001, 0.02], "p_adjusted": [None, 0.04], "n": 80})
    >>> out = regression_displays(f)["regression-ols"]
    >>> out.columns.tolist()
    ['Outcome', 'Term', 'B [95% CI]', 'p', 'p (BH)']
    >>> out.iloc[0].tolist()
    ['X', 'X', '0.50 [0.25, 0.75]', '0.02', '0.04']
    """
    _require(frame, ["term", "estimate"], kind="regression")
    names = {**(shape.labels_for("regression") if shape is not None else {}), **(labels or {})}
    has_adjusted = "p_adjusted" in frame.columns
    t = _frame_rows(frame, ("p_value", "p_adjusted"))
    if t.empty:
        return {}
    outcomes = set(t["outcome"]) - {"", _JOINT_ALL}
    if shape is not None:  # a joint model alone: its outcomes are the declared scales
        outcomes |= set(shape.scales) - {shape.dependent, ""}
    order = {k: i for i, k in enumerate(REGRESSION_DISPLAY_KINDS)}
    kinds = sorted(pd.unique(t["kind"]), key=lambda k: order.get(k, len(order)))
    return {
        ("regression-" + k.replace("_", "-")) if k else "regression": _kind_display(
            t[t["kind"] == k],
            k,
            outcomes=outcomes,
            digits=digits,
            labels=names or None,
            shape=shape,
            has_adjusted=has_adjusted,
            has_p="p_value" in frame.columns,
        )
        for k in kinds
    }
