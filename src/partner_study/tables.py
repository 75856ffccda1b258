"""Paper-ready tables: display versions of the tidy output tables, in Markdown, LaTeX and DOCX.

Layer 4. The tidy CSV tables of the output contract (DESIGN §5) stay as they are; the
functions here turn one of them into a *display* DataFrame (every cell a formatted
string, columns named for a reader) and render a display as Markdown, LaTeX (booktabs)
or a Word document. Nothing here reads data files; :func:`to_docx` given a path writes
it atomically through :func:`partner_study.writer.write_bytes`.

Formatting conventions (one journal style for every table)
-----------------------------------------------------------
- Counts: integers with a thousands comma (``1,234``). Percentages: one decimal.
- Table 1: ``n (%)`` for categories (percent of those who answered), ``mean (SD)`` and
  ``median [Q1, Q3]`` for numeric variables (one decimal by default), a ``Missing`` row
  (count) where any group has missing answers. Suppressed cells show one marker,
  ``"suppressed"`` by default, whatever the hidden value: complementary suppression also
  hides counts at or above the threshold, so ``"<5"`` would be false for those cells.
- Estimates, coefficients, alpha, omega, kappa: two decimals; intervals in brackets,
  ``0.42 [0.31, 0.53]``; ``-0.00`` is printed ``0.00``. Regression rows whose estimate and
  bounds are all below 0.05 in magnitude get up to two more decimals (two significant
  figures), so a per-year coefficient reads ``0.0029 [-0.0011, 0.0069]``, not ``0.00 [0.00,
  0.01]``.
- P values, NEJM/BMJ convention (leading zero kept): ``<0.001``; three decimals below
  0.01 (``0.004``); two decimals from 0.01 (``0.03``, ``0.47``), except that values from
  0.045 to just under 0.05 keep three decimals and are truncated, not rounded (``0.049``),
  so a p below 0.05 is never printed ``0.05``; values above 0.99 are ``>0.99``.
- Names (variables, scales, terms, themes, codes) are prettified
  (``information_sharing`` -> ``Information sharing``) unless ``labels`` maps them.
- Explanations a reader needs (symbols, suppression) travel in ``display.attrs["note"]``
  and are printed under the table by every renderer.

Determinism: the same display gives the same Markdown/LaTeX text and the same DOCX
bytes, across runs and processes (fixed core-property dates, fixed zip entry dates,
order and compression; see :func:`docx_bytes`).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import docx
import numpy as np
import pandas as pd
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Pt

from partner_study.config import TABLE_NAMES
from partner_study.errors import ParamsError, Problem, StudyDataError
from partner_study.writer import write_bytes

__all__ = [
    "TABLE_KINDS",
    "TABLE_FORMATS",
    "SUPPRESSED",
    "format_table",
    "format_p_value",
    "format_estimate",
    "column_alignment",
    "to_markdown",
    "to_latex",
    "to_docx",
    "docx_bytes",
    "table_bytes",
]

#: Kinds understood by :func:`format_table` (a table's name in ``tables/`` works too).
TABLE_KINDS: tuple[str, ...] = TABLE_NAMES
#: Formats of :func:`table_bytes`.
TABLE_FORMATS: tuple[str, ...] = ("md", "tex", "docx")
#: Default marker of a suppressed cell.
SUPPRESSED = "suppressed"

_ALL = "all"
_ROLE_NAMES = {"patient": "Patients", "professional": "Professionals", _ALL: "All"}
_THEME_ROW = "(theme)"
_JOINT_ALL = "(all)"
_MODEL_NAMES = {
    "ols": "OLS",
    "mixed": "Mixed",
    "ordinal": "Ordinal logit",
    "ordinal_probit": "Ordinal probit",
    "ols_mice": "OLS, imputed",
}
_LABEL_NAMES = {
    "convergence": "Convergence",
    "divergence": "Divergence",
    "not_comparable": "Not comparable",
}
_FIXED_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_NUMERIC_CELL = re.compile(
    r"^\s*(?:[<>]?[+-]?\d[\d,]*(?:\.\d+)?%?(?:\s*[†‡*]+)?"
    r"(?:\s*[\(\[][^\)\]]*[\)\]])?|suppressed|[<>]\d+)\s*$"
)


# --------------------------------------------------------------------------- cells


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _num(value: Any, digits: int) -> str:
    """A number with ``digits`` decimals; '' when missing; no negative zero."""
    if _is_missing(value):
        return ""
    text = f"{float(value):.{digits}f}"
    return text[1:] if re.fullmatch(r"-0(\.0*)?", text) else text


def _int(value: Any) -> str:
    return "" if _is_missing(value) else f"{int(round(float(value))):,}"


def _p_text(p: Any) -> str:
    if _is_missing(p):
        return ""
    p = float(p)
    if p < 0.001:
        return "<0.001"
    if p < 0.01:
        return f"{p:.3f}"
    if 0.045 <= p < 0.05:
        return f"{math.floor(p * 1000 + 1e-9) / 1000:.3f}"
    if p > 0.99:
        return ">0.99"
    return f"{p:.2f}"


def format_p_value(p: Any) -> Any:
    """Format p values to the NEJM/BMJ convention.

    Parameters
    ----------
    p : float or array-like of float
        P values (NaN gives an empty string).

    Returns
    -------
    str or Series of str
        ``"<0.001"``; three decimals below 0.01; two decimals from 0.01, except
        0.045 <= p < 0.05, which keeps three decimals truncated (``"0.049"``) so a p
        below 0.05 never reads ``"0.05"``; ``">0.99"`` above 0.99.

    References
    ----------
    Harrington D, et al. New guidelines for statistical reporting in the journal. N Engl J
    Med 2019;381:285-286. doi:10.1056/NEJMe1906559

    Examples
    --------
    >>> format_p_value(0.0004), format_p_value(0.0123), format_p_value(0.0496)
    ('<0.001', '0.01', '0.049')
    """
    if np.ndim(p) == 0:
        return _p_text(p)
    return pd.Series(p, dtype="float64").map(_p_text).astype(object)


def format_estimate(
    estimate: Any, ci_low: Any = None, ci_high: Any = None, *, digits: int = 2
) -> str:
    """``"0.42 [0.31, 0.53]"``: an estimate with its interval ('' when missing).

    Parameters
    ----------
    estimate, ci_low, ci_high : float
        Point estimate and interval bounds; the interval is left out when a bound
        is missing.
    digits : int
        Decimals.

    Returns
    -------
    str

    Examples
    --------
    >>> format_estimate(0.4213, 0.3101, 0.5349)
    '0.42 [0.31, 0.53]'
    """
    if _is_missing(estimate):
        return ""
    text = _num(estimate, digits)
    if _is_missing(ci_low) or _is_missing(ci_high):
        return text
    return f"{text} [{_num(ci_low, digits)}, {_num(ci_high, digits)}]"


def _pretty(name: Any, labels: Mapping[str, str] | None = None) -> str:
    key = str(name)
    if labels and key in labels:
        return str(labels[key])
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _role(name: Any, labels: Mapping[str, str] | None) -> str:
    key = str(name)
    if labels and key in labels:
        return str(labels[key])
    return _ROLE_NAMES.get(key, _pretty(key))


def _col(frame: pd.DataFrame, name: str, default: Any = np.nan) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(default, index=frame.index, dtype=object)


def _text(series: pd.Series) -> pd.Series:
    """Strings, with missing values (and CSV-read empty strings) as ''."""
    return series.astype(object).map(lambda v: "" if _is_missing(v) else str(v))


def _flag(series: pd.Series) -> pd.Series:
    """Booleans from bool, 0/1 or 'True'/'False' text (a CSV read back); missing = False."""
    return (
        series.astype(object)
        .map(lambda v: False if _is_missing(v) else str(v).strip().lower() in ("true", "1", "1.0"))
        .astype(bool)
    )


def _blank_repeats(values: pd.Series) -> pd.Series:
    """Show a group label on its first row only, as tables in papers do."""
    repeated = values.eq(values.shift())
    return values.where(~repeated, "")


def _require(frame: pd.DataFrame, columns: Sequence[str], *, kind: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise StudyDataError(
            Problem(
                file=f"{kind} table (data frame)",
                found=f"no column(s) {', '.join(repr(c) for c in missing)}",
                expected=f"the tidy {kind} columns of the output contract (DESIGN §5)",
                fix=f"pass the tidy table tables/{kind}.csv (or the frame that made it)",
            )
        )


def _display(columns: Mapping[str, Sequence[str] | pd.Series], note: str = "") -> pd.DataFrame:
    out = pd.DataFrame({k: list(v) for k, v in columns.items()}, dtype=object)
    out.attrs["note"] = note
    return out.reset_index(drop=True)


def _group_order(values: Iterable[Any]) -> list[str]:
    """Patients, professionals, other groups (sorted), then the margin ``all``."""
    present = list(dict.fromkeys(str(v) for v in values))
    known = [r for r in ("patient", "professional") if r in present]
    rest = sorted(r for r in present if r not in known and r != _ALL)
    return known + rest + ([_ALL] if _ALL in present else [])


# --------------------------------------------------------------------------- kinds


def _characteristics(
    frame: pd.DataFrame,
    *,
    digits: int,
    marker: str,
    suppress_below: int,
    numeric: str,
    labels: Mapping[str, str] | None,
    **_: Any,
) -> pd.DataFrame:
    if numeric not in ("both", "mean", "median"):
        raise ParamsError(f"numeric must be 'both', 'mean' or 'median', not {numeric!r}.")
    t = pd.DataFrame(
        {
            "variable": _text(frame["variable"]),
            "level": _text(frame["level"]),
            "role": _text(frame["role"]),
            "suppressed": _flag(_col(frame, "suppressed", False)),
            **{
                c: pd.to_numeric(_col(frame, c), errors="coerce")
                for c in ["n", "percent", "mean", "sd", "median", "q1", "q3", "missing"]
            },
        }
    )
    roles = _group_order(t["role"])
    size = t[t["variable"] == "participants"].drop_duplicates("role").set_index("role")
    headers = {}
    for r in roles:
        n = size["n"].get(r, np.nan)
        headers[r] = (
            f"{_role(r, labels)} (n = {_int(n)})" if not _is_missing(n) else _role(r, labels)
        )
    body = t[t["variable"] != "participants"]
    numeric_var = body.groupby("variable", sort=False)["level"].transform(lambda s: (s == "").all())

    cat = body[~numeric_var]
    cat_cell = np.where(
        cat["suppressed"],
        marker,
        np.where(
            cat["percent"].isna(),
            cat["n"].map(_int),
            cat["n"].map(_int) + " (" + cat["percent"].map(lambda v: _num(v, 1)) + ")",
        ),
    )
    pieces = [cat.assign(cell=cat_cell, _k=0)]
    num = body[numeric_var]
    for k, key in enumerate(["mean", "median"], start=1):
        if numeric not in ("both", key) or num.empty:  # no numeric variable: nothing to show
            continue
        fmt = {
            c: num[c].map(lambda v: _num(v, digits)) for c in ["mean", "sd", "median", "q1", "q3"]
        }
        if key == "mean":
            level, centre, has_spread = "Mean (SD)", fmt["mean"], num["sd"].notna()
            full = fmt["mean"] + " (" + fmt["sd"] + ")"
        else:
            level, centre = "Median [Q1, Q3]", fmt["median"]
            has_spread = num["q1"].notna() & num["q3"].notna()
            full = fmt["median"] + " [" + fmt["q1"] + ", " + fmt["q3"] + "]"
        cell = np.where(num["suppressed"], marker, np.where(has_spread, full, centre))
        pieces.append(num.assign(level=level, cell=cell, _k=k))
    # Missing rows: one per variable and group; NaN while other cells are shown = suppressed.
    per = (
        body.groupby(["variable", "role"], sort=False).agg(missing=("missing", "max")).reset_index()
    )
    has_missing_col = "missing" in frame.columns
    shown = per["missing"].fillna(0).gt(0) | (per["missing"].isna() & has_missing_col)
    show_vars = set(per.loc[shown, "variable"])
    miss = per[per["variable"].isin(show_vars)]
    miss_cell = np.where(
        miss["missing"].isna(), marker if has_missing_col else "", miss["missing"].map(_int)
    )
    pieces.append(
        miss.assign(level="Missing", cell=miss_cell, _k=3)[
            ["variable", "level", "role", "cell", "_k"]
        ]
    )

    long = pd.concat(
        [p[["variable", "level", "role", "cell", "_k"]] for p in pieces], ignore_index=True
    )
    var_rank = {v: i for i, v in enumerate(pd.unique(body["variable"]))}
    level_rank = {
        key: i for i, key in enumerate(pd.unique(body["variable"] + "\x00" + body["level"]))
    }
    long["_v"] = long["variable"].map(var_rank)
    long["_l"] = (long["variable"] + "\x00" + long["level"]).map(level_rank).fillna(0)
    wide = long.pivot_table(
        index=["_v", "_k", "_l", "variable", "level"],
        columns="role",
        values="cell",
        aggfunc="first",
        sort=True,
    )
    wide = wide.reindex(columns=roles).reset_index()
    data: dict[str, Any] = {
        "Characteristic": _blank_repeats(wide["variable"].map(lambda v: _pretty(v, labels))),
        "Category": wide["level"],
    }
    for r in roles:
        data[headers[r]] = wide[r].map(lambda v: "" if _is_missing(v) else v)
    parts = ["Data are n (%) of those who answered"]
    if numeric in ("both", "mean"):
        parts.append("mean (SD)")
    if numeric in ("both", "median"):
        parts.append("median [Q1, Q3]")
    note = ", ".join(parts[:-1]) + " or " + parts[-1] + "." if len(parts) > 1 else parts[0] + "."
    if (wide[roles] == marker).any().any():
        note += (
            f" Cells marked '{marker}' hide a count from 1 to {suppress_below - 1} or a "
            "value from which such a count could be derived (disclosure control)."
        )
    if wide[roles].isna().any().any():
        note += " Blank: not asked of that group."
    return _display(data, note)


def _likert(frame: pd.DataFrame, *, labels: Mapping[str, str] | None, **_: Any) -> pd.DataFrame:
    t = frame.assign(
        _scale=_text(frame["scale"]),
        _item=_text(frame["item"]),
        _role=_text(frame["role"]),
        _resp=pd.to_numeric(frame["response"], errors="coerce"),
        _n=pd.to_numeric(frame["n"], errors="coerce"),
        _pct=pd.to_numeric(_col(frame, "percent"), errors="coerce"),
    )
    t["_cell"] = np.where(
        t["_pct"].isna(),
        t["_n"].map(_int),
        t["_n"].map(_int) + " (" + t["_pct"].map(lambda v: _num(v, 1)) + ")",
    )
    order = {r: i for i, r in enumerate(_group_order(t["_role"]))}
    key = t["_scale"] + "\x00" + t["_item"]
    t["_o"] = key.map({k: i for i, k in enumerate(pd.unique(key))})
    t["_r"] = t["_role"].map(order)
    wide = t.pivot_table(
        index=["_o", "_r", "_scale", "_item", "_role"],
        columns="_resp",
        values="_cell",
        aggfunc="first",
        sort=True,
    ).reset_index()
    responses = [c for c in wide.columns if not str(c).startswith("_")]
    data: dict[str, Any] = {
        "Scale": _blank_repeats(wide["_scale"].map(lambda v: _pretty(v, labels))),
        "Item": _blank_repeats(wide["_item"].map(lambda v: labels.get(v, v) if labels else v)),
        "Group": wide["_role"].map(lambda v: _role(v, labels)),
    }
    for r in responses:
        name = f"{r:g}" if isinstance(r, float) else str(r)
        data[labels.get(name, name) if labels else name] = wide[r].map(
            lambda v: "" if _is_missing(v) else v
        )
    return _display(data, "Data are n (%) of the group's answers to the item, by response option.")


def _reliability(
    frame: pd.DataFrame, *, digits: int, labels: Mapping[str, str] | None, **_: Any
) -> pd.DataFrame:
    data: dict[str, Any] = {"Scale": frame["scale"].map(lambda v: _pretty(v, labels))}
    if "n_items" in frame.columns:
        data["Items"] = frame["n_items"].map(_int)
    if "n" in frame.columns:
        data["n"] = frame["n"].map(_int)
    lo, hi = _col(frame, "alpha_ci_low"), _col(frame, "alpha_ci_high")
    data["α [95% CI]"] = [
        format_estimate(a, b, c, digits=digits)
        for a, b, c in zip(frame["alpha"], lo, hi, strict=True)
    ]
    if "omega" in frame.columns:
        data["ω"] = frame["omega"].map(lambda v: _num(v, digits))
    return _display(
        data, "α: Cronbach's alpha with 95% confidence interval; ω: McDonald's omega (total)."
    )


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


def _group_column(frame: pd.DataFrame) -> str | None:
    return next((c for c in ("role", "site") if c in frame.columns), None)


def _codes(frame: pd.DataFrame, *, labels: Mapping[str, str] | None, **_: Any) -> pd.DataFrame:
    group = _group_column(frame)
    if group == "role" and "site" in frame.columns and frame["site"].eq(_ALL).any():
        frame = frame[frame["site"] == _ALL]  # by=("site", "role"): the role margins
    t = pd.DataFrame(
        {
            "theme": _text(frame["theme"]),
            "code": _text(frame["code"]),
            "group": _text(frame[group]) if group else _ALL,
            "n": pd.to_numeric(frame["n_participants"], errors="coerce"),
            "pct": pd.to_numeric(_col(frame, "pct_participants"), errors="coerce"),
            "seg": pd.to_numeric(_col(frame, "n_segments"), errors="coerce"),
        }
    )
    groups = _group_order(t["group"])
    t["cell"] = np.where(
        t["pct"].isna(),
        t["n"].map(_int),
        t["n"].map(_int) + " (" + t["pct"].map(lambda v: _num(v, 1)) + ")",
    )
    key = t["theme"] + "\x00" + t["code"]
    t["_o"] = key.map({k: i for i, k in enumerate(pd.unique(key))})
    wide = (
        t.pivot_table(
            index=["_o", "theme", "code"],
            columns="group",
            values="cell",
            aggfunc="first",
            sort=True,
        )
        .reindex(columns=groups)
        .reset_index()
    )
    is_theme = wide["code"] == _THEME_ROW
    data: dict[str, Any] = {
        "Theme": np.where(
            is_theme | ~wide["theme"].eq(wide["theme"].shift()),
            wide["theme"].map(lambda v: _pretty(v, labels)),
            "",
        ),
        "Code": np.where(is_theme, "(any code)", wide["code"].map(lambda v: _pretty(v, labels))),
    }
    base = t[(t["pct"] > 0) & t["n"].notna()]
    sizes = (
        (base["n"] * 100 / base["pct"])
        .round()
        .groupby(base["group"])
        .agg(lambda s: s.mode().iloc[0])
    )
    for g in groups:
        header = _role(g, labels) if group != "site" else _pretty(g, labels)
        if g in sizes.index:
            header += f" (n = {_int(sizes[g])})"
        data[header] = wide[g].map(lambda v: "" if _is_missing(v) else v)
    segments = t[t["group"] == (_ALL if _ALL in groups else groups[0] if groups else _ALL)]
    if "n_segments" in frame.columns and len(segments):
        data["Segments"] = wide["_o"].map(segments.set_index("_o")["seg"]).map(_int)
    note = (
        "Data are participants who raised the code at least once, n (% of the group's coded "
        "participants); (any code): the theme as a whole, a participant counted once."
    )
    if "Segments" in data:
        note += " Segments: coded segments carrying the code (all groups)."
    return _display(data, note)


def _cooccurrence(
    frame: pd.DataFrame, *, labels: Mapping[str, str] | None, **_: Any
) -> pd.DataFrame:
    data: dict[str, Any] = {
        "Code": frame["code_a"].map(lambda v: _pretty(v, labels)),
        "Co-occurring code": frame["code_b"].map(lambda v: _pretty(v, labels)),
        "Segments": frame["n_segments"].map(_int),
    }
    if "n_participants" in frame.columns:
        data["Participants"] = frame["n_participants"].map(_int)
    return _display(data, "Segments (participants) coded with both codes.")


def _agreement(
    frame: pd.DataFrame, *, digits: int, labels: Mapping[str, str] | None, **_: Any
) -> pd.DataFrame:
    data: dict[str, Any] = {"Code": frame["code"].map(lambda v: _pretty(v, labels))}
    columns = [
        ("n_units", "Units", _int),
        ("n_coders", "Coders", _int),
        ("percent_agreement", "Agreement, %", lambda v: _num(v, 1)),
        ("cohen_kappa", "Cohen's κ", lambda v: _num(v, digits)),
        ("krippendorff_alpha", "Krippendorff's α", lambda v: _num(v, digits)),
    ]
    for name, header, fmt in columns:
        if name in frame.columns:
            data[header] = pd.to_numeric(frame[name], errors="coerce").map(fmt)
    if "note" in frame.columns and _text(frame["note"]).ne("").any():
        data["Note"] = _text(frame["note"])
    return _display(
        data,
        "Agreement on the presence of each code in the double-coded "
        "segments; κ: Cohen's kappa; α: Krippendorff's alpha (nominal).",
    )


def _quotes(frame: pd.DataFrame, *, labels: Mapping[str, str] | None, **_: Any) -> pd.DataFrame:
    data: dict[str, Any] = {
        "Theme": _blank_repeats(frame["theme"].map(lambda v: _pretty(v, labels)))
    }
    if "code" in frame.columns:
        data["Code"] = frame["code"].map(lambda v: _pretty(v, labels))
    data["Role"] = frame["role"].map(lambda v: _role(v, labels).removesuffix("s"))
    if "pseudonym" in frame.columns:
        data["Speaker"] = _text(frame["pseudonym"])
    data["Quote"] = _text(frame["quote"]).map(lambda q: f"\u201c{q}\u201d" if q else "")
    return _display(
        data,
        "Quotes are redacted of direct identifiers ([name], [email], ...); "
        "speakers are identified by pseudonym.",
    )


def _joint_display(
    frame: pd.DataFrame, *, digits: int, labels: Mapping[str, str] | None, **_: Any
) -> pd.DataFrame:
    data: dict[str, Any] = {"Theme": frame["theme"].map(lambda v: _pretty(v, labels))}
    known = {
        "pct_patients": ("Patients, %", lambda v: _num(v, 1)),
        "pct_professionals": ("Professionals, %", lambda v: _num(v, 1)),
        "difference_pp": (
            "Difference, pp",
            lambda v: (
                ("+" if not _is_missing(v) and float(v) > 0 and _num(v, 1) != "0.0" else "")
                + _num(v, 1)
            ),
        ),
    }
    for name in frame.columns:
        if name == "theme":
            continue
        values = frame[name]
        if name in known:
            header, fmt = known[name]
            data[header] = pd.to_numeric(values, errors="coerce").map(fmt)
        elif name == "label":
            data["Finding"] = _text(values).map(lambda v: _LABEL_NAMES.get(v, _pretty(v)))
        elif name in ("patient_quote", "professional_quote"):
            data[_pretty(name.removesuffix("_quote")) + " quote"] = _text(values)
        elif name.startswith("pct_level_"):
            level = name.removeprefix("pct_level_")
            data[f"{_pretty(level, labels)}, %"] = pd.to_numeric(values, errors="coerce").map(
                lambda v: _num(v, 1)
            )
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            pct = name.startswith("pct_") or "percent" in name
            data[_pretty(name, labels)] = values.map(lambda v, d=(1 if pct else digits): _num(v, d))
        else:
            data[_pretty(name, labels)] = _text(values)
    return _display(
        data,
        "Percentages of coded participants of each role who raised the "
        "theme; difference in percentage points (pp), patients minus "
        "professionals.",
    )


_FORMATTERS: dict[str, tuple[Callable[..., pd.DataFrame], int, list[str], list[str]]] = {
    # kind: (formatter, default digits, required columns, leading columns of an empty display)
    "characteristics": (
        _characteristics,
        1,
        ["variable", "level", "role", "n"],
        ["Characteristic", "Category"],
    ),
    "likert": (_likert, 1, ["scale", "item", "role", "response", "n"], ["Scale", "Item", "Group"]),
    "reliability": (_reliability, 2, ["scale", "alpha"], []),
    "codes": (_codes, 1, ["theme", "code", "n_participants"], ["Theme", "Code"]),
    "cooccurrence": (_cooccurrence, 0, ["code_a", "code_b", "n_segments"], []),
    "agreement": (_agreement, 2, ["code"], []),
    "quotes": (_quotes, 0, ["theme", "role", "quote"], []),
    "regression": (_regression, 2, ["term", "estimate"], ["Term"]),
    "regression-sensitivity": (_regression, 2, ["term", "estimate"], ["Term"]),
    "joint-display": (_joint_display, 2, ["theme"], []),
    "site-heterogeneity": (_site_heterogeneity, 2, ["term", "pooled"], ["Outcome"]),
}


def format_table(
    frame: pd.DataFrame,
    kind: str,
    *,
    digits: int | None = None,
    labels: Mapping[str, str] | None = None,
    suppress_below: int = 5,
    suppressed_marker: str = SUPPRESSED,
    numeric: str = "both",
    terms: str = "all",
    adjusted_p: bool = False,
) -> pd.DataFrame:
    """A paper-ready display of one tidy output table.

    Parameters
    ----------
    frame : DataFrame
        A tidy table of the output contract (DESIGN §5), as returned by the analysis
        function or read back from ``tables/<kind>.csv``. Not modified. Optional columns
        may be absent; their display columns are then left out.
    kind : str
        One of :data:`TABLE_KINDS`: ``characteristics`` (Table 1), ``likert``,
        ``reliability``, ``codes``, ``cooccurrence``, ``agreement``, ``quotes``,
        ``regression`` (or ``regression-sensitivity``), ``joint-display``.
    digits : int, optional
        Decimals of means/SDs (characteristics, default 1) or of estimates, alpha, omega
        and kappa (default 2). Percentages always have one decimal.
    labels : mapping, optional
        Display names for variables, scales, terms, themes, codes, groups or Likert
        response values (e.g. from the codebook), overriding the prettified names.
    suppress_below : int
        Characteristics: the disclosure threshold the tidy table was suppressed with
        (stated in the table note).
    suppressed_marker : str
        Characteristics: what a suppressed cell shows (default ``"suppressed"``).
    numeric : {"both", "mean", "median"}
        Characteristics: summaries of numeric variables.
    terms : {"all", "outcome"}
        Regression: every term, or only the outcome terms (a compact main table).
    adjusted_p : bool
        Regression: show the Benjamini-Hochberg ``p_adjusted`` instead of ``p_value``.

    Returns
    -------
    DataFrame
        Every cell a string ('' for nothing to show), columns named for a reader, rows
        in reading order; ``attrs["note"]`` explains the symbols. By kind:

        - characteristics: ``Characteristic, Category`` then one column per group
          (``"Patients (n = 421)"``, ..., ``"All (n = 600)"``); ``n (%)`` per category,
          ``Mean (SD)`` and ``Median [Q1, Q3]`` rows per numeric variable, a ``Missing``
          row (count) where a group has missing answers.
        - likert: ``Scale, Item, Group`` then one column per response value, ``n (%)``.
        - reliability: ``Scale, Items, n, α [95% CI], ω``.
        - codes: ``Theme, Code`` then ``n (%)`` of participants per group (header with the
          group's coded n), ``Segments``.
        - cooccurrence: ``Code, Co-occurring code, Segments, Participants``.
        - agreement: ``Code, Units, Coders, Agreement, %, Cohen's κ, Krippendorff's α``
          (``Note`` when any).
        - quotes: ``Theme, Code, Role, Speaker, Quote``.
        - regression: ``Outcome, Term`` then, per model kind (joint models go in the
          same column under ``All outcomes together``), ``"<Model>: B [95% CI]"`` and
          ``"<Model>: p"``; an ``Observations`` row per outcome gives n (groups).
        - joint-display: ``Theme, Patients, %, Professionals, %, Difference, pp,
          Finding, Patient quote, Professional quote`` and any further columns
          (``pct_level_*`` as ``"<Level>, %"``).

    Raises
    ------
    ParamsError
        Unknown ``kind``, ``numeric`` or ``terms``.
    StudyDataError
        A required column of the tidy table is missing.

    Notes
    -----
    P values follow :func:`format_p_value`; intervals :func:`format_estimate`. The
    suppressed marker is the same for primary and complementary suppression, since the
    tidy table cannot tell them apart and a complementary cell may hide a count above
    the threshold.

    Examples
    --------
    >>> rel = pd.DataFrame({"scale": ["trust"], "n_items": [4], "n": [480], "alpha": [0.8123],
    ...                     "alpha_ci_low": [0.781], "alpha_ci_high": [0.84], "omega": [0.82]})
    >>> format_table(rel, "reliability").iloc[0].tolist()
    ['Trust', '4', '480', '0.81 [0.78, 0.84]', '0.82']
    """
    if kind not in _FORMATTERS:
        raise ParamsError(f"unknown table kind {kind!r}; expected one of {', '.join(TABLE_KINDS)}.")
    formatter, default_digits, required, empty = _FORMATTERS[kind]
    _require(frame, required, kind=kind)
    if frame.empty and empty:
        return _display({name: [] for name in empty})
    return formatter(
        frame.copy(),
        digits=default_digits if digits is None else digits,
        labels=labels,
        marker=suppressed_marker,
        suppress_below=suppress_below,
        numeric=numeric,
        terms=terms,
        adjusted_p=adjusted_p,
    )


# --------------------------------------------------------------------------- renderers


def column_alignment(display: pd.DataFrame) -> list[str]:
    """``"r"`` for columns whose every non-empty cell is numeric-looking, else ``"l"``.

    Parameters
    ----------
    display : DataFrame
        A display table (cells are strings).

    Returns
    -------
    list of str
        One of ``"l"``/``"r"`` per column; the first column is always ``"l"``.
    """
    out = []
    for i, name in enumerate(display.columns):
        cells = [str(v) for v in display[name] if not _is_missing(v) and str(v) != ""]
        numeric = bool(cells) and i > 0 and all(_NUMERIC_CELL.match(c) for c in cells)
        out.append("r" if numeric else "l")
    return out


def _cells(display: pd.DataFrame) -> list[list[str]]:
    return [
        ["" if _is_missing(v) else str(v) for v in row]
        for row in display.itertuples(index=False, name=None)
    ]


def _note(display: pd.DataFrame) -> str:
    return str(display.attrs.get("note", "") or "")


def _md_escape(text: str) -> str:
    """A cell or caption for a Markdown table: ``\\`` and ``|`` escaped, HTML's ``&`` ``<``
    ``>`` written as entities (a Markdown renderer passes raw HTML on, scripts included),
    ``](`` written ``]\\(`` (no link or image from data, ``javascript:`` included), line
    breaks as spaces."""
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    text = text.replace("](", "]\\(")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"\s*[\r\n]+\s*", " ", text)


def _caption_text(caption: str | None, number: int | str | None) -> str:
    head = f"Table {number}." if number is not None else ""
    return " ".join(x for x in (head, caption or "") if x)


def to_markdown(
    display: pd.DataFrame, *, caption: str | None = None, number: int | str | None = None
) -> str:
    """Render a display table as a Markdown (pipe) table.

    Parameters
    ----------
    display : DataFrame
        From :func:`format_table` (or any DataFrame; cells are printed with ``str``).
    caption : str, optional
        Printed before the table as a pandoc caption line ``Table: <caption>``.
    number : int or str, optional
        Table number, prefixed to the caption (``Table: Table 2. ...``).

    Returns
    -------
    str
        Header row, separator row (``---`` left, ``---:`` right-aligned numeric columns),
        one row per display row; ``|`` in cells escaped as ``\\|``, ``&`` ``<`` ``>`` as
        HTML entities (no markup gets through), line breaks as spaces; the note after a
        blank line. Ends with a newline.
    """
    align = column_alignment(display)
    head = [_md_escape(str(c)) for c in display.columns]
    lines = []
    text = _caption_text(caption, number)
    if text:
        lines += [f"Table: {_md_escape(text)}", ""]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("| " + " | ".join("---:" if a == "r" else "---" for a in align) + " |")
    for row in _cells(display):
        lines.append("| " + " | ".join(_md_escape(c) for c in row) + " |")
    if _note(display):
        lines += ["", f"*Note.* {_md_escape(_note(display))}"]
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "α": r"$\alpha$",
    "κ": r"$\kappa$",
    "ω": r"$\omega$",
    "†": r"\textdagger{}",
    "‡": r"\textdaggerdbl{}",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "−": r"$-$",
    "\n": " ",
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIAL))


def _latex_escape(text: str) -> str:
    escaped = _LATEX_RE.sub(lambda m: _LATEX_SPECIAL[m.group(0)], text)
    # A minus sign before a number (not a hyphen inside a word or identifier).
    return re.sub(r"(?<![\w$])-(?=\d)", r"$-$", escaped)


def to_latex(display: pd.DataFrame, *, caption: str | None = None, label: str | None = None) -> str:
    """Render a display table as a LaTeX ``table`` with a booktabs ``tabular``.

    Parameters
    ----------
    display : DataFrame
        From :func:`format_table`.
    caption : str, optional
        ``\\caption{...}`` (escaped; LaTeX numbers the table).
    label : str, optional
        ``\\label{...}``, e.g. ``"tab:characteristics"``: letters, digits and ``:-_.``.

    Returns
    -------
    str
        ``\\begin{table}[htbp]``, ``\\centering``, caption and label, a ``tabular`` with
        ``\\toprule``, the header, ``\\midrule``, the rows, ``\\bottomrule``, then the note
        in ``\\footnotesize``. Cells are escaped (``& % $ # _ { } ~ ^ \\ < >`` and the Greek
        letters of the headers); long text columns become ``p{4.5cm}``. Needs
        ``\\usepackage{booktabs}``.

    Raises
    ------
    ParamsError
        ``label`` holds characters a LaTeX label cannot.
    """
    if label is not None and not re.fullmatch(r"[A-Za-z0-9:_.\-]+", label):
        raise ParamsError(
            f"LaTeX label {label!r} may only hold letters, digits and ':', '_', '.', '-'."
        )
    rows = _cells(display)
    spec = []
    for i, a in enumerate(column_alignment(display)):
        longest = max([len(r[i]) for r in rows] + [0])
        spec.append("p{4.5cm}" if a == "l" and longest > 40 else a)
    lines = [r"\begin{table}[htbp]", r"\centering"]
    if caption:
        lines.append(rf"\caption{{{_latex_escape(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    lines += [rf"\begin{{tabular}}{{{''.join(spec)}}}", r"\toprule"]
    for i, row in enumerate([[str(c) for c in display.columns], *rows]):
        cells = [_latex_escape(c) for c in row]
        if cells and cells[0].startswith("["):  # else read as the optional argument of \\
            cells[0] = "{}" + cells[0]
        lines.append(" & ".join(cells) + r" \\")
        if i == 0:
            lines.append(r"\midrule")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if _note(display):
        lines.append(
            rf"\par\smallskip{{\footnotesize \textit{{Note.}} "
            rf"{_latex_escape(_note(display))}\par}}"
        )
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


# Elements that follow w:tblBorders in w:tblPr and w:tcBorders in w:tcPr (ECMA-376 §17.4).
_SUCCESSORS = {
    "w:tblBorders": (
        "w:shd",
        "w:tblLayout",
        "w:tblCellMar",
        "w:tblLook",
        "w:tblCaption",
        "w:tblDescription",
        "w:tblPrChange",
    ),
    "w:tcBorders": (
        "w:shd",
        "w:noWrap",
        "w:tcMar",
        "w:textDirection",
        "w:tcFitText",
        "w:vAlign",
        "w:hideMark",
        "w:headers",
        "w:cellIns",
        "w:cellDel",
        "w:cellMerge",
        "w:tcPrChange",
    ),
}


def _border(parent: Any, edges: Mapping[str, int], tag: str) -> None:
    borders = OxmlElement(tag)
    # Table borders: every edge (nil = none); cell borders: only the given edges, as a
    # cell's nil edge would override the table's rule there.
    edge_names = ("top", "left", "bottom", "right", "insideH", "insideV")
    for edge in edge_names if tag == "w:tblBorders" else [e for e in edge_names if e in edges]:
        el = OxmlElement(f"w:{edge}")
        size = edges.get(edge, 0)
        el.set(qn("w:val"), "single" if size else "nil")
        if size:
            el.set(qn("w:sz"), str(size))
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "000000")
        borders.append(el)
    # Word rejects properties out of schema order: insert before the elements that follow.
    parent.insert_element_before(borders, *_SUCCESSORS[tag])


_RUN_PATH = f"./{qn('w:tc')}/{qn('w:p')}/{qn('w:r')}"
_BREAKS = re.compile(r"[\t\r\n]")


def _append_row_copies(tbl: Any, template: Any, rows: Sequence[Sequence[str]]) -> None:
    """Append to ``tbl`` one copy of the data row ``template`` per row of ``rows``.

    Parameters
    ----------
    tbl : CT_Tbl
        The table element.
    template : CT_Row
        A finished data row (paragraph spacing, alignment, one 9 pt run per cell); its
        copies differ from it only in their text.
    rows : sequence of sequence of str
        Cell texts, one sequence per new row; missing trailing cells are left empty.

    Notes
    -----
    The copies are made from ``template`` with its runs' text removed (run properties
    kept), then each run gets the content ``paragraph.add_run(text)`` writes: nothing for
    an empty string; one ``w:t`` for text without tabs or line breaks (``CT_R.add_t``, the
    method the run text setter uses, with ``xml:space="preserve"`` when the text has
    leading or trailing white space); otherwise the run text setter itself (``w:tab`` for
    a tab, ``w:br`` for a line break). So the copies serialise exactly as rows built cell
    by cell would.
    """
    blank = copy.deepcopy(template)
    for run in blank.iterfind(_RUN_PATH):
        run.clear_content()
    for values in rows:
        tr = copy.deepcopy(blank)
        for c, run in enumerate(tr.iterfind(_RUN_PATH)):
            text = values[c] if c < len(values) else ""
            if _BREAKS.search(text):
                run.text = text  # CT_R.text: w:t, w:tab and w:br pieces
            elif text:
                run.add_t(text)  # the setter's own call, without its content clean-up
        tbl.append(tr)


def docx_bytes(
    display: pd.DataFrame, *, caption: str | None = None, number: int | str | None = None
) -> bytes:
    """The Word document of :func:`to_docx` as bytes, identical for identical input.

    Parameters
    ----------
    display : DataFrame
        From :func:`format_table`.
    caption : str, optional
        Caption paragraph above the table (style ``Caption``), ``"Table <number>."`` first
        when ``number`` is given.
    number : int or str, optional
        Table number.

    Returns
    -------
    bytes
        A .docx file: caption, a real Word table (repeating bold header row; booktabs
        rules: 1.5 pt above and below the table, 0.75 pt under the header; no vertical
        lines; numeric columns right-aligned; 9 pt), the note below; landscape when the
        table has more than 6 columns.

    Notes
    -----
    The header row and the first data row are built with python-docx; the other data rows
    are copies of the first with their text replaced (``_append_row_copies``): the same XML
    as building every cell with python-docx, in a fraction of the time.

    Determinism: the core properties (created, modified, last printed) are set to
    2000-01-01T00:00:00Z, author and last-modified-by to ``partner-study``, revision 1; the
    zip written by python-docx is then rewritten with every entry dated 1980-01-01 00:00:00,
    ``[Content_Types].xml`` first and the other entries sorted by name, deflate level 6,
    fixed creator system and permissions. Byte-identity holds for the same python-docx and
    zlib versions (both pinned).
    """
    document = docx.Document()
    props = document.core_properties
    props.created = props.modified = props.last_printed = _FIXED_DATE
    props.author = props.last_modified_by = "partner-study"
    props.revision = 1
    props.title = _caption_text(caption, number)[:255]  # Word limits properties to 255 characters
    props.comments = ""
    package_rels = document.part.package.rels  # drop the template's unrelated thumbnail
    for rel_id in [k for k, rel in package_rels.items() if rel.reltype == RT.THUMBNAIL]:
        package_rels.pop(rel_id)
    ncol = max(len(display.columns), 1)
    if ncol > 6:
        section = document.sections[0]
        width, height = int(section.page_width or 0), int(section.page_height or 0)
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Emu(max(width, height)), Emu(min(width, height))
    text = _caption_text(caption, number)
    if text:
        paragraph = document.add_paragraph(style="Caption")
        if number is not None:
            paragraph.add_run(f"Table {number}.").bold = True
            paragraph.add_run(f" {caption}" if caption else "")
        else:
            paragraph.add_run(text)
    rows = _cells(display)
    # Header and first data row through python-docx; the other data rows are copies of
    # the first (python-docx's per-cell setters cost ~0.2 ms a cell).
    table = document.add_table(rows=1 + min(len(rows), 1), cols=ncol)
    _border(table._tbl.tblPr, {"top": 12, "bottom": 12}, "w:tblBorders")
    align = column_alignment(display)
    for r, row in enumerate(table.rows):
        values = [str(c) for c in display.columns] if r == 0 else rows[r - 1]
        if r == 0:
            tr_pr = row._tr.get_or_add_trPr()
            header = OxmlElement("w:tblHeader")
            header.set(qn("w:val"), "true")
            tr_pr.append(header)
        for c, cell in enumerate(row.cells):
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.space_after = Pt(0)
            if c < len(align) and align[c] == "r":
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            run = paragraph.add_run(values[c] if c < len(values) else "")
            run.font.size = Pt(9)
            run.bold = r == 0 or None
            if r == 0:
                _border(cell._tc.get_or_add_tcPr(), {"bottom": 6}, "w:tcBorders")
    if len(rows) > 1:
        _append_row_copies(table._tbl, table.rows[1]._tr, rows[1:])
    if _note(display):
        paragraph = document.add_paragraph()
        note = paragraph.add_run("Note. ")
        note.italic = True
        note.font.size = Pt(9)
        paragraph.add_run(_note(display)).font.size = Pt(9)
    raw = io.BytesIO()
    document.save(raw)
    return _normalise_zip(raw.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry dates, order, compression and attributes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        names = zin.namelist()
        first = [n for n in names if n == "[Content_Types].xml"]
        order = first + sorted(n for n in names if n not in first)
        with zipfile.ZipFile(out, "w") as zout:
            for name in order:
                info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3
                info.external_attr = 0o644 << 16
                zout.writestr(info, zin.read(name), compresslevel=6)
    return out.getvalue()


def to_docx(
    display: pd.DataFrame,
    path_or_buffer: str | Path | IO[bytes],
    *,
    caption: str | None = None,
    number: int | str | None = None,
) -> None:
    """Write a display table as a Word document (see :func:`docx_bytes`).

    Parameters
    ----------
    display : DataFrame
        From :func:`format_table`.
    path_or_buffer : str, Path or binary file object
        A path is written atomically (temporary file + rename); a buffer gets ``write``.
    caption : str, optional
        Caption paragraph above the table.
    number : int or str, optional
        Table number (``"Table 2."`` before the caption).

    Returns
    -------
    None
    """
    data = docx_bytes(display, caption=caption, number=number)
    if isinstance(path_or_buffer, str | Path):
        write_bytes(path_or_buffer, data)
    else:
        path_or_buffer.write(data)


def table_bytes(
    display: pd.DataFrame,
    fmt: str,
    *,
    caption: str | None = None,
    label: str | None = None,
    number: int | str | None = None,
) -> bytes:
    """A display table rendered as ``fmt`` bytes, for an atomic writer.

    Parameters
    ----------
    display : DataFrame
        From :func:`format_table`.
    fmt : {"md", "tex", "docx"}
        Markdown (:func:`to_markdown`), LaTeX (:func:`to_latex`, which numbers the table
        itself, so ``number`` is not used) or Word (:func:`docx_bytes`).
    caption : str, optional
        Caption without the "Table n." prefix.
    label : str, optional
        LaTeX label (``tex`` only).
    number : int or str, optional
        Table number for Markdown and Word.

    Returns
    -------
    bytes
        UTF-8 text (``\\n`` line ends) for md and tex; the .docx file for docx.

    Raises
    ------
    ParamsError
        Unknown ``fmt``.
    """
    if fmt == "md":
        return to_markdown(display, caption=caption, number=number).encode("utf-8")
    if fmt == "tex":
        return to_latex(display, caption=caption, label=label).encode("utf-8")
    if fmt == "docx":
        return docx_bytes(display, caption=caption, number=number)
    raise ParamsError(f"unknown table format {fmt!r}; expected one of {', '.join(TABLE_FORMATS)}.")
