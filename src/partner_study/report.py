"""The study report: one self-contained ``report.html`` from the tables and figures of a run.

Layer 4. :func:`build_report` returns the HTML as a string (the writer saves it); it
reads no file. The page opens offline: CSS inline, SVG figures inline, PNG figures as
``data:`` URIs, no external fonts, scripts or links. The same inputs give the same
string (no dates, sorted package versions), so the report's hash in the manifest only
changes when a result does. :func:`default_captions` drafts journal-style captions for
the figure and table names the pipeline produces.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from partner_study.config import POOLED_SITES, TABLE_NAMES
from partner_study.disclosure import AUDITED_TABLES, printed_total
from partner_study.errors import ParamsError, Problem, StudyDataError
from partner_study.shape import StudyShape
from partner_study.tables import SUPPRESSED, column_alignment
from partner_study.tables._cells import _MODEL_NAMES, _hidden_in_column, _suppression_note

__all__ = [
    "READ_TABLES",
    "REGRESSION_TABLES",
    "not_applicable",
    "PAPER_TABLES",
    "paper_tables",
    "caption_counts",
    "CAPTION_COLUMNS",
    "FIGURE_NAMES",
    "TABLE_NAMES",
    "default_captions",
    "build_report",
]

#: Tables the report reads: the tidy tables it shows, then those its captions count from
#: and those the disclosure audit reads with them.
READ_TABLES: tuple[str, ...] = tuple(
    dict.fromkeys((*TABLE_NAMES, "regression-by-site", "joint-display-roles", *AUDITED_TABLES))
)
#: The paper tables of the regression, one per model kind
#: (:func:`partner_study.tables.regression_displays`).
REGRESSION_TABLES: tuple[str, ...] = (
    "regression-ols",
    "regression-mixed",
    "regression-ordinal",
    "regression-ordinal-probit",
)
#: Table names in report order: the tidy tables, the regression's per-kind tables after it.
_EXTRA_TABLES = {"regression": REGRESSION_TABLES, "joint-display": ("joint-display-scores",)}
_TABLE_ORDER: tuple[str, ...] = tuple(
    n for t in TABLE_NAMES for n in (t, *_EXTRA_TABLES.get(t, ()))
)
#: Columns of a captions frame.
CAPTION_COLUMNS: tuple[str, ...] = ("kind", "name", "number", "caption")
#: Figure names in report order; ``*`` stands for a scale or outcome name.
FIGURE_NAMES: tuple[str, ...] = (
    "likert-*",
    "item-differences",
    "themes-by-role",
    "regression-forest",
    "engagement-vs-*",
    "site-effects",
    "joint-display",
    "joint-display-scores",
)

# Which participants each caption's n describes (keys of ``n`` in default_captions).
_STRAND = {
    "characteristics": "participants",
    "likert": "survey",
    "reliability": "survey",
    "scales-by-role": "survey",
    "items-by-role": "survey",
    "item-differences": "survey",
    "regression": "survey",
    "regression-sensitivity": "survey",
    "site-heterogeneity": "survey",
    "likert-*": "survey",
    "regression-forest": "survey",
    "engagement-vs-*": "survey",
    "site-effects": "survey",
    "codes": "coded",
    "cooccurrence": "coded",
    "quotes": "coded",
    "themes-by-role": "coded",
    "joint-display": "coded",
}

_TABLE_TEXT = {
    "characteristics": (
        "Characteristics of the participants of the {study} study, by {by}{n}. Data are n (%) "
        "of those who answered, mean (SD) or median [first quartile, third quartile]; small "
        "counts, and cells from which they could be derived, are suppressed."
    ),
    "likert": (
        "Responses to each Likert item of the {study} survey, by {by}{n}: number (%) of "
        "respondents choosing each response option; percentages exclude missing answers."
    ),
    "reliability": (
        "Internal consistency of the survey scales of the {study} study{n}: Cronbach's α with "
        "95% confidence interval and McDonald's ω; n is the number of respondents in the "
        "computation."
    ),
    "scales-by-role": (
        "The survey scales of the {study} study in each role{n}: mean (SD) scale score of the "
        "respondents with a score and, side by side, the scale's internal consistency in "
        "each role (Cronbach's α with 95% confidence interval and McDonald's ω, on the "
        "respondents who answered every item), to check that a scale holds together alike "
        "in every role before comparing scores."
    ),
    "items-by-role": (
        "The items of the {study} survey compared between roles{n}: each item's correlation "
        "with the rest of its scale in each role, and the difference in mean answer of each "
        "role from the {reference} with 95% confidence interval (Welch), among the "
        "respondents with a score on the scale."
    ),
    "codes": (
        "Themes and codes of the interviews and focus groups of the {study} study, by "
        "role{n}: number (%) of coded participants who raised each code at least once, "
        "and number of coded segments. Theme rows count a participant once, whichever of "
        "its codes they carry."
    ),
    "cooccurrence": (
        "Co-occurrence of codes in the {study} study{n}: number of coded segments (and "
        "participants) carrying both codes of each pair."
    ),
    "agreement": (
        "Inter-coder agreement per code in the {study} study, on the segments coded by more "
        "than one coder: percent agreement, Cohen's κ and Krippendorff's α (nominal) for the "
        "presence or absence of each code."
    ),
    "quotes": (
        "Exemplar quotations per theme and role from the {study} study{n}, chosen "
        "deterministically and redacted of direct identifiers; speakers are identified by "
        "pseudonym."
    ),
    "regression": (
        "Associations of the outcomes with {dependent} in the {study} study{n}. "
        "Estimates with 95% confidence intervals and two-sided p values: coefficients of "
        "linear models (OLS with robust standard errors; mixed models with a random site "
        "intercept) and of the proportional-odds model of the ordinal dependent; each outcome "
        "in its own models adjusted for the covariates, then all outcomes together."
    ),
    "regression-ols": (
        "Associations of the outcomes with {dependent} in the {study} study{n}: linear "
        "models (OLS, robust standard errors), each outcome in its own model adjusted for "
        "the covariates, then all outcomes together; estimates with 95% confidence "
        "intervals, two-sided p values and Benjamini-Hochberg adjusted p values."
    ),
    "regression-mixed": (
        "Associations of the outcomes with {dependent} in the {study} study{n}: linear "
        "mixed models with a random intercept per {site} (REML), each outcome in its own "
        "model, then all together; estimates with 95% confidence intervals, two-sided p "
        "values and Benjamini-Hochberg adjusted p values."
    ),
    "regression-ordinal": (
        "Associations of the outcomes with {ordinal} in the {study} study{n}: "
        "proportional-odds (ordinal logit) models, coefficients as log-odds with 95% "
        "confidence intervals, two-sided p values and Benjamini-Hochberg adjusted p values; "
        "cut points on the scale of the levels."
    ),
    "regression-ordinal-probit": (
        "Associations of the outcomes with {ordinal} in the {study} study{n}: ordinal "
        "probit models, coefficients on the latent scale with 95% confidence intervals, "
        "two-sided p values and Benjamini-Hochberg adjusted p values."
    ),
    "regression-sensitivity": (
        "Sensitivity analysis of the {study} study{n}: complete-case OLS estimates beside "
        "estimates after multiple imputation by chained equations, with 95% confidence "
        "intervals."
    ),
    "site-heterogeneity": (
        "Between-site heterogeneity of the associations with {dependent} in the {study} "
        "study{n}: the joint model fitted within each site, the inverse-variance pooled "
        "estimate, Cochran's Q, I-squared and the between-site variance."
    ),
    "joint-display-scores": (
        "Survey scores beside the themes of the {study} study: for each theme and scale, the "
        "mean score of the participants of both strands who raised the theme and of those "
        "who did not."
    ),
    "joint-display": (
        "Joint display of the {study} study{n}: for each theme, the percentage of the "
        "participants of each role who raised it (silent focus-group members included) and, "
        "when the study has two roles or more, the two roles compared (with three or more, "
        "the two whose percentages differ most): the difference in percentage points with "
        "its 95% confidence interval counted by unit (a focus group is one unit), the "
        "finding that follows from the interval (divergence, convergence or inconclusive), "
        "the mode of data collection where it coincides with the role, the meta-inference "
        "and an exemplar quotation from each."
    ),
}
_FIGURE_TEXT = {
    "likert-*": (
        "Responses to the {thing} items of the {study} survey, by {by}{n}. Each bar is one "
        "item: segments show the percentage of respondents choosing each response option, "
        "centred on the neutral option, with disagreement to the left and agreement to the "
        "right. A hatched segment, where shown, is the share of answers hidden by disclosure "
        "control (small counts, whatever their options), drawn at the right end."
    ),
    "item-differences": (
        "Difference in mean answer to each item of the {study} survey between roles{n}: "
        "each role minus the {reference}, on the item's response scale as worded, with 95% "
        "confidence intervals (Welch); one panel per scale; the dashed line marks no "
        "difference."
    ),
    "themes-by-role": (
        "Percentage of the coded participants of each role who raised each theme in the "
        "{study} study{n}. Dots show the percentage per role, joined by a line; themes are "
        "sorted by the overall percentage. A percentage hidden by disclosure control is not "
        "drawn."
    ),
    "regression-forest": (
        "Associations of each outcome with {dependent} in the {study} study{n}. "
        "Points are estimates and horizontal lines their 95% confidence intervals, one "
        "marker per model; the vertical line marks no association."
    ),
    "engagement-vs-*": (
        "{Dependent} score against {thing} score in the {study} survey{n}. Each point is a "
        "respondent (slightly jittered), coloured by role; lines are least-squares fits per "
        "role over the observed range."
    ),
    "site-effects": (
        "Associations with {dependent} within each {site} of the {study} study{n}: the "
        "joint model's coefficients fitted in each {site} with 95% confidence intervals, "
        "the inverse-variance pooled estimate (diamond) and the heterogeneity (I-squared); "
        "the vertical line marks no association."
    ),
    "joint-display": (
        "Joint display of the {study} study{n}: percentage of the participants of each "
        "role raising each theme, one marker per role, joined by a line, sorted by the "
        "difference between the roles compared; where the study has two roles or more, "
        "that difference with its 95% confidence interval counted by unit (a focus group is "
        "one unit), the equivalence margin shaded. Shaded rows mark themes where the "
        "interval excludes zero (divergence); a role's mode of data collection is "
        "named beside it where the two coincide. A percentage hidden by disclosure control "
        "is not drawn."
    ),
}


def _pattern(name: str, known: Iterable[str]) -> str | None:
    for pattern in known:
        if pattern == name or (
            pattern.endswith("*") and name.startswith(pattern[:-1]) and len(name) > len(pattern) - 1
        ):
            return pattern
    return None


def _pretty(name: str) -> str:
    text = name.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def _n_text(counts: Any, shape: StudyShape | None = None, by: str = "role") -> str:
    if counts is None:
        return ""
    if isinstance(counts, Mapping):
        parts = [
            f"{int(v):,} {shape.group_label(k, by) if shape is not None else k}"
            for k, v in counts.items()
            if str(k) != "all"
        ]
        if not parts:
            return f" (n = {int(counts['all']):,})" if "all" in counts else ""
        joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f" (n = {joined})"
    return f" (n = {int(counts):,})"


def _in_sentence(label: str) -> str:
    """A label inside a sentence: ``Site`` -> ``site``; ``NHS trust`` stays as it is."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def _requested(names: Any) -> list[tuple[str, str]]:
    if isinstance(names, str):
        names = [names]
    if isinstance(names, Mapping):
        unknown = sorted(set(names) - {"figure", "table"})
        if unknown:
            raise ParamsError(
                f"default_captions: names keys must be 'figure' and/or 'table', not "
                f"{', '.join(map(repr, unknown))}."
            )
        return [(kind, str(n)) for kind in ("table", "figure") for n in names.get(kind, [])]
    pairs = []
    for name in map(str, names):
        kinds = [
            k
            for k, known in (("table", _TABLE_ORDER), ("figure", FIGURE_NAMES))
            if _pattern(name, known)
        ]
        pairs += [(k, name) for k in (kinds or ["figure" if "-" in name else "table"])]
    return pairs


def default_captions(
    study: str,
    names: Mapping[str, Iterable[str]] | Iterable[str],
    *,
    n: Mapping[str, int | Mapping[str, int]] | None = None,
    shape: StudyShape | None = None,
    by: str = "role",
) -> pd.DataFrame:
    """Journal-style captions for the figures and tables a run produced.

    Parameters
    ----------
    study : str
        Study name, used in every caption ("the example study").
    names : mapping or iterable of str
        ``{"figure": [...], "table": [...]}``, or plain names; a plain name gets a caption
        for every kind it is known as (``joint-display`` is both a figure and a table).
        Known figures: ``likert-<scale>``, ``themes-by-role``, ``regression-forest``,
        ``engagement-vs-<outcome>``, ``site-effects``, ``joint-display``; known tables:
        :data:`TABLE_NAMES`. Other names get a plain caption.
    n : mapping, optional
        Counts stated in the captions, by table or figure name (:func:`caption_counts`),
        else by strand: ``"participants"`` (Table 1),
        ``"survey"`` (survey tables and figures), ``"coded"`` (qualitative ones); each an
        int or a mapping role -> count (``{"a": 421, "b": 179}``).
    shape : StudyShape, optional
        Role labels (plural, as the codebook declares them) for the counts.
    by : str
        The grouping of Table 1 and the Likert tables (params ``describe.by``): its
        counts are named by the group's labels (roles, sites) and captions say "by ...".

    Returns
    -------
    DataFrame
        ``kind`` ("figure" or "table"), ``name``, ``number`` (int, from 1 per kind, in the
        report order of :data:`TABLE_NAMES` and :data:`FIGURE_NAMES`, unknown names last,
        given order kept within a pattern), ``caption`` (str, without "Table n.").

    Raises
    ------
    ParamsError
        ``names`` is a mapping with keys other than "figure" and "table".

    Examples
    --------
    >>> default_captions("example", ["reliability"]).loc[0, "caption"][:40]
    'Internal consistency of the survey scale'
    """
    counts = n or {}
    roles = shape.role_list() if shape is not None and shape.roles else "by role"
    site = _in_sentence(shape.site_label) if shape is not None else "site"
    ordinal = (
        shape.label(shape.ordinal_dependent)
        if shape is not None and shape.ordinal_dependent
        else "the ordinal dependent"
    )
    by_text = (
        "role"
        if by == "role" or shape is None
        else shape.site_label
        if by == "site"
        else shape.label(by)
    )
    dependent = (shape.dependent_label() if shape is not None else "") or "the dependent"
    reference = (
        _in_sentence(shape.role_label(shape.role_names[0], plural=True))
        if shape is not None and shape.roles
        else "first role"
    )
    rows = []
    for kind, name in dict.fromkeys(_requested(names)):
        order = _TABLE_ORDER if kind == "table" else FIGURE_NAMES
        texts = _TABLE_TEXT if kind == "table" else _FIGURE_TEXT
        pattern = _pattern(name, order)
        if pattern is None and kind == "table" and name.startswith("likert-"):
            pattern = "likert"  # one Likert table per response set
        vs = re.fullmatch(r"(.+)-vs-(.+)", name) if kind == "figure" else None
        if pattern is None and vs:  # <dependent>-vs-<outcome>, whatever the dependent
            pattern, name_part = "engagement-vs-*", vs.group(2)
        else:
            name_part = name[len(pattern) - 1 :] if pattern and pattern.endswith("*") else ""
        grouped = pattern in ("characteristics", "likert", "likert-*")
        group_by = by if grouped else "role"
        if name in counts:
            n_text = _n_text(counts[name], shape, group_by)
        else:
            n_text = _n_text(counts.get(_STRAND.get(pattern or "", "")), shape) if pattern else ""
        if pattern is None:
            caption = f"{_pretty(name)}, {study} study."
        else:
            part = name_part
            thing = (shape.label(part) if shape is not None else _pretty(part)) if part else ""
            caption = texts[pattern].format(
                study=study,
                n=n_text,
                thing=thing,
                roles=roles,
                dependent=dependent,
                Dependent=dependent[:1].upper() + dependent[1:],
                by=by_text,
                site=site,
                ordinal=ordinal,
                reference=reference,
            )
        rank = order.index(pattern) if pattern else len(order)
        rows.append({"kind": kind, "name": name, "caption": caption, "_rank": rank})
    frame = pd.DataFrame(rows, columns=["kind", "name", "caption", "_rank"])
    frame = frame.sort_values(
        ["kind", "_rank"],
        kind="mergesort",
        key=lambda s: s.map({"table": 0, "figure": 1}) if s.name == "kind" else s,
    )
    frame["number"] = frame.groupby("kind").cumcount() + 1
    return (
        frame[list(CAPTION_COLUMNS)]
        .reset_index(drop=True)
        .astype({"kind": "object", "name": "object", "number": "int64", "caption": "object"})
    )


# --------------------------------------------------------------------------- HTML

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #1a1a1a;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", "Liberation Sans", sans-serif; }
main { max-width: 900px; margin: 0 auto; padding: 2rem 1.25rem 3rem; }
h1 { font-size: 1.8rem; line-height: 1.25; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2.5rem 0 1rem; padding-bottom: .25rem;
  border-bottom: 1px solid #d0d0d0; }
.subtitle { color: #555; margin: 0 0 1.5rem; }
nav ol { padding-left: 1.5rem; margin: .25rem 0; }
nav li { margin: .15rem 0; }
a { color: #0b5cad; text-decoration: none; }
a:hover, a:focus { text-decoration: underline; }
figure { margin: 0 0 2.5rem; }
figcaption { font-size: .95rem; margin: .5rem 0; }
figcaption .label { font-weight: 600; }
.graphic svg, .graphic img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: .85rem; line-height: 1.35;
  font-variant-numeric: tabular-nums; border-top: 2px solid #1a1a1a;
  border-bottom: 2px solid #1a1a1a; margin: 0 auto 0 0; }
thead th { border-bottom: 1px solid #1a1a1a; font-weight: 600; vertical-align: bottom; }
th, td { padding: .3rem .6rem; text-align: left; vertical-align: top; }
td.r, th.r { text-align: right; white-space: nowrap; }
tbody tr:hover { background: #f4f6f8; }
.note { font-size: .8rem; color: #444; margin: .4rem 0 0; }
footer { margin-top: 3rem; font-size: .85rem; color: #333; }
footer dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
footer dt { font-weight: 600; }
footer dd { margin: 0; overflow-wrap: anywhere; font-family: ui-monospace, "SFMono-Regular",
  Menlo, Consolas, "Liberation Mono", monospace; }
footer table { font-size: .8rem; }
@media print { main { max-width: none; } a { color: inherit; } figure { break-inside: avoid; } }
""".strip()

_PNG = b"\x89PNG\r\n\x1a\n"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"


def _figure_markup(name: str, data: bytes, anchor: str, alt: str) -> str:
    if data.startswith(_PNG):
        encoded = base64.b64encode(data).decode("ascii")
        return f'<img src="data:image/png;base64,{encoded}" alt="{html.escape(alt)}">'
    head = data[:2048].lstrip()
    if head.startswith(b"<?xml") or head.startswith(b"<svg") or b"<svg" in head:
        return _inline_svg(data.decode("utf-8"), prefix=f"{anchor}-", alt=alt)
    raise StudyDataError(
        Problem(
            file=f"figure {name!r}",
            found=f"bytes starting {data[:8]!r}",
            expected="an SVG or PNG image",
            fix="pass the figure rendered by partner_study.writer.figure_bytes(fig, 'svg')",
        )
    )


def _inline_svg(svg: str, *, prefix: str, alt: str) -> str:
    """SVG markup ready to sit in HTML: no XML prolog, metadata or external references;
    ids prefixed so that several figures' definitions (clip paths, glyphs) never clash."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    # The patterns start with literal text, which the regex engine finds fast (a figure's
    # SVG is up to a few hundred kB); an ``id`` attribute is one not preceded by a word
    # character (``\bid``).
    ids = {m.group(1) for m in _SVG_ID.finditer(svg) if _attribute_start(svg, m.start())}
    svg = _SVG_ID.sub(
        lambda m: f'id="{prefix}{m.group(1)}"' if _attribute_start(svg, m.start()) else m[0],
        svg,
    )
    svg = _SVG_REF.sub(
        lambda m: m.group(1) + (prefix + m.group(2) if m.group(2) in ids else m.group(2)),
        svg,
    )
    # No external resource may be referenced (the report must open offline).
    if _SVG_EXTERNAL_HINT.search(svg):
        svg = re.sub(r'\s(?:xlink:)?href="(?:https?:)?//[^"]*"', "", svg)
    return svg.replace("<svg", f'<svg role="img" aria-label="{html.escape(alt)}"', 1)


_SVG_ID = re.compile(r'id="([^"]+)"')
_SVG_REF = re.compile(r'(href="#|url\(#)([^")]+)')  # also the end of xlink:href="#
_SVG_EXTERNAL_HINT = re.compile(r'href="(?:https?:)?//')


def _attribute_start(text: str, i: int) -> bool:
    return i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")


def _cell_text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return html.escape(str(value))


def _table_markup(display: pd.DataFrame) -> str:
    align = column_alignment(display)
    cls = ["" if a == "l" else ' class="r"' for a in align]
    head = "".join(
        f'<th scope="col"{c}>{html.escape(str(name))}</th>'
        for name, c in zip(display.columns, cls, strict=True)
    )
    body = []
    for row in display.itertuples(index=False, name=None):
        cells = "".join(f"<td{c}>{_cell_text(v)}</td>" for v, c in zip(row, cls, strict=True))
        body.append(f"<tr>{cells}</tr>")
    note = str(display.attrs.get("note", "") or "")
    note_html = f'\n<p class="note"><em>Note.</em> {html.escape(note)}</p>' if note else ""
    return (
        f'<div class="scroll"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
        + "\n".join(body)
        + "\n</tbody>\n</table></div>"
        + note_html
    )


def _ordered(
    kind: str, objects: Mapping[str, Any], captions: pd.DataFrame, study: str
) -> list[tuple[str, int, str]]:
    """(name, number, caption) of every object, in caption order; missing captions drafted."""
    mine = captions[captions["kind"].astype(str) == kind].drop_duplicates("name")
    numbers = pd.to_numeric(mine["number"]).astype("int64")
    given = {
        str(name): (int(number), str(caption))
        for name, number, caption in zip(mine["name"], numbers, mine["caption"], strict=True)
    }
    missing = [name for name in objects if name not in given]
    if missing:
        drafted = default_captions(study, {kind: missing})
        start = max([num for num, _ in given.values()], default=0)
        for offset, row in enumerate(drafted.itertuples(index=False), start=1):
            given[str(row.name)] = (start + offset, str(row.caption))
    items = [(name, *given[name]) for name in objects]
    return sorted(items, key=lambda item: (item[1], item[0]))


#: How the footer names each kind of input whose state against the commit it states.
_KIND_LABELS = {
    "code": "code",
    "notebooks": "notebooks",
    "params": "parameters",
    "lock": "lock",
    "data": "raw data",
}
_STATE_LABELS = {
    "dirty": "uncommitted changes",
    "not in git": "not in git",
    "partly in git": "partly in git (files git ignores)",
    "unknown": "unknown",
}
#: Hex digits of a hash shown in the footer (the manifest has them in full).
_SHORT = 12


def _provenance_markup(provenance: Mapping[str, Any]) -> str:
    def value(key: str) -> str:
        v = provenance.get(key)
        return html.escape(str(v)) if v not in (None, "") else "unknown"

    def short(digest: Any) -> str:
        return html.escape(str(digest)[:_SHORT])

    manifest = html.escape(str(provenance.get("manifest") or "manifest.json"))
    rows = [f"<dt>Commit</dt><dd>{value('commit')}</dd>"]
    state = provenance.get("state")
    if isinstance(state, Mapping) and state:
        if all(s == "unknown" for s in state.values()):
            differs = "unknown (not a git checkout)"
        else:
            parts = [
                f"{_KIND_LABELS.get(str(k), str(k))}: {_STATE_LABELS.get(str(s), str(s))}"
                for k, s in state.items()
                if s != "clean"
            ]
            differs = "; ".join(parts) if parts else "nothing (all as committed)"
        rows.append(f"<dt>Differs from the commit</dt><dd>{html.escape(differs)}</dd>")
    if provenance.get("source_sha256"):
        rows.append(
            f"<dt>Package source (SHA-256)</dt><dd>{short(provenance['source_sha256'])}</dd>"
        )
    files = provenance.get("files")
    if isinstance(files, Mapping) and files:
        listed = ", ".join(
            f"{html.escape(str(name))} {short(files[name])}" for name in sorted(files, key=str)
        )
        rows.append(f"<dt>Notebooks, parameters, lock (SHA-256)</dt><dd>{listed}</dd>")
    rows.append(f"<dt>Parameters (SHA-256)</dt><dd>{value('params_sha256')}</dd>")
    rows.append(f"<dt>Python</dt><dd>{value('python')}</dd>")
    count = provenance.get("packages")
    if count is None and isinstance(provenance.get("versions"), Mapping):
        count = len(provenance["versions"])
    if count is not None:
        rows.append(
            f"<dt>Packages</dt><dd>{html.escape(str(count))} installed, each with its version "
            f"in {manifest}</dd>"
        )
    return (
        '<footer id="provenance">\n<h2>Provenance</h2>\n<dl>\n'
        + "\n".join(rows)
        + f"\n</dl>\n<p>Every input and output with its full SHA-256: {manifest}.</p>\n</footer>"
    )


def build_report(
    *,
    study: str,
    tables: Mapping[str, pd.DataFrame],
    figures: Mapping[str, bytes],
    captions: pd.DataFrame,
    provenance: Mapping[str, Any],
    not_applicable: Iterable[str] = (),
) -> str:
    """The self-contained HTML report of one run.

    Parameters
    ----------
    study : str
        Study name (title).
    tables : mapping of str to DataFrame
        Display tables by name (:func:`partner_study.tables.format_table`); their
        ``attrs["note"]`` is printed under the table.
    figures : mapping of str to bytes
        Figures by name, as SVG (inlined) or PNG (embedded as a ``data:`` URI) bytes.
    captions : DataFrame
        :data:`CAPTION_COLUMNS` (kind "figure"/"table", name, number, caption), e.g. from
        :func:`default_captions`. Objects without a caption get a drafted one, numbered
        after the given ones; captions without an object are ignored.
    provenance : mapping
        What :func:`partner_study.provenance.report_provenance` returns: ``commit``,
        ``state`` (kind of input -> state against the commit), ``source_sha256``,
        ``files`` (path -> sha256 of the notebooks, parameters file and lock files),
        ``params_sha256``, ``python``, ``packages`` (how many are installed) and
        ``manifest`` (where the full list is). Hashes are shown short; ``commit``,
        ``params_sha256`` and ``python`` read "unknown" when missing, the others are left
        out.
    not_applicable : iterable of str
        One sentence per analysis that does not apply to the study, with its reason
        (:func:`not_applicable`), listed after the contents.

    Returns
    -------
    str
        An HTML5 document: title, table of contents, the tables (caption above, note
        below) then the figures (caption below), each numbered and anchored
        (``#table-<name>``, ``#figure-<name>``), and a provenance footer. CSS is inline
        (system font stack, 900 px measure, booktabs-like table rules); no external
        resource, script or date, so equal inputs give an equal string.

    Raises
    ------
    StudyDataError
        ``captions`` lacks a column, or a figure is neither SVG nor PNG.
    """
    absent = [c for c in CAPTION_COLUMNS if c not in captions.columns]
    if absent:
        raise StudyDataError(
            Problem(
                file="captions (data frame)",
                found=f"no column(s) {', '.join(repr(c) for c in absent)}",
                expected=f"the columns {', '.join(CAPTION_COLUMNS)}",
                fix="pass the frame returned by partner_study.report.default_captions()",
            )
        )
    title = f"{study}: study report"
    toc: list[str] = []
    sections: list[str] = []
    parts: list[tuple[str, Mapping[str, Any], str]] = [
        ("table", tables, "Tables"),
        ("figure", figures, "Figures"),
    ]
    for kind, objects, heading in parts:
        items = _ordered(kind, objects, captions, study)
        if not items:
            continue
        label = kind.capitalize()
        entries, blocks = [], []
        for name, number, caption in items:
            anchor = f"{kind}-{_slug(name)}"
            cap = (
                f'<figcaption><span class="label">{label} {number}.</span> '
                f"{html.escape(caption)}</figcaption>"
            )
            entries.append(
                f'<li><a href="#{anchor}">{label} {number}. '
                f"{html.escape(_first_sentence(caption))}</a></li>"
            )
            if kind == "table":
                blocks.append(
                    f'<figure class="table" id="{anchor}">\n{cap}\n'
                    f"{_table_markup(objects[name])}\n</figure>"
                )
            else:
                graphic = _figure_markup(name, objects[name], anchor, f"{label} {number}")
                blocks.append(
                    f'<figure class="figure" id="{anchor}">\n'
                    f'<div class="graphic">{graphic}</div>\n{cap}\n</figure>'
                )
        section_id = heading.lower()
        toc.append(
            f'<li><a href="#{section_id}">{heading}</a>\n<ol>\n'
            + "\n".join(entries)
            + "\n</ol></li>"
        )
        sections.append(
            f'<section id="{section_id}">\n<h2>{heading}</h2>\n'
            + "\n".join(blocks)
            + "\n</section>"
        )
    toc.append('<li><a href="#provenance">Provenance</a></li>')
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)}</title>",
            f"<style>\n{_CSS}\n</style>",
            "</head>",
            "<body>",
            "<main>",
            f'<header>\n<h1>{html.escape(title)}</h1>\n<p class="subtitle">Tables and figures '
            f"produced by partner-study from the {html.escape(study)} study; the provenance at "
            "the end identifies the code, parameters and software.</p>\n</header>",
            f'<nav aria-label="Contents">\n<h2>Contents</h2>\n<ol>\n{chr(10).join(toc)}\n</ol>\n'
            "</nav>",
            *_not_applicable_markup(not_applicable),
            *sections,
            _provenance_markup(provenance),
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _not_applicable_markup(sentences: Iterable[str]) -> list[str]:
    items = [f"<li>{html.escape(str(s))}</li>" for s in sentences]
    if not items:
        return []
    return [
        '<section id="not-applicable">\n<h2>Not applicable to this study</h2>\n<ul>\n'
        + "\n".join(items)
        + "\n</ul>\n</section>"
    ]


def not_applicable(
    shape: StudyShape,
    tables: Mapping[str, pd.DataFrame],
    *,
    models: Iterable[str] = (),
    suppress_below: int = 0,
) -> list[str]:
    """One sentence per analysis the study's shape or data rule out, with the reason.

    Parameters
    ----------
    shape : StudyShape
        The study's shape (strands, roles).
    tables : mapping of str to DataFrame
        The tidy tables of the run (agreement notes, regression skips, site rows).
    models : iterable of str
        The model kinds the parameters ask for.
    suppress_below : int
        The disclosure threshold, for the sentences on sites pooled or withheld in the
        analyses by site (0: none).

    Returns
    -------
    list of str
        Sentences in report order; empty when everything applies.
    """
    out: list[str] = []
    if not shape.has_survey:
        out.append(
            "Survey results (Likert responses, reliability, regression): the codebook "
            "declares no survey scales."
        )
    elif len(shape.scales) == 1:
        out.append(
            "Regression: the codebook declares one scale, so there is nothing to regress it on."
        )
    by_role = tables.get("scales-by-role")
    if shape.has_survey and (len(shape.roles) < 2 or (by_role is not None and not len(by_role))):
        who = f"the study has one role ({shape.role_list()})" if len(shape.roles) < 2 else ""
        out.append(
            "Scales by role (scores, reliability and items compared between roles): "
            + (who or "the survey was answered in one role only")
            + "."
        )
    if not shape.has_qualitative:
        out.append(
            "Qualitative results (codes, agreement, quotations): the codebook declares no "
            "qualitative codes."
        )
    if not shape.has_qualitative:
        out.append("Joint displays: they need coded interviews or focus groups.")
    elif not shape.has_survey:
        out.append("Joint display of themes with survey scores: the study has no survey strand.")
    if shape.has_qualitative and len(shape.roles) < 2:
        out.append(
            f"Comparison of roles in the joint display: the study has one role "
            f"({shape.role_list()})."
        )
    shares = tables.get("joint-display-roles")
    if shares is not None and len(shares) and "pct_mentioning" in shares.columns:
        if pd.to_numeric(shares["pct_mentioning"], errors="coerce").isna().all():
            out.append(
                "Figures of themes by role and of the joint display: disclosure control "
                f"hides every share (fewer than {suppress_below} coded participants in a "
                "role, or shares from which such a count could be derived)."
            )
    agreement = tables.get("agreement")
    if agreement is not None and len(agreement) and "note" in agreement.columns:
        notes = agreement["note"].dropna().astype(str)
        notes = notes[notes.str.len() > 0]
        if len(notes) and (agreement["code"].astype(str) == "(none)").all():
            out.append(f"Inter-coder agreement: {notes.iloc[0].rstrip('.')}.")
    regression = tables.get("regression")
    if regression is not None and len(regression) and "note" in regression.columns:
        skipped = regression[regression["term"].astype(str) == "(skipped)"]
        for model, note in dict(zip(skipped["model"], skipped["note"], strict=True)).items():
            if str(model) in set(models) or not models:
                name = _MODEL_NAMES.get(str(model), _pretty(str(model)))
                out.append(f"{name} model: {str(note).rstrip('.')}.")
    if suppress_below > 1 and len(shape.sites) > 1:
        out += _by_site_sentences(tables, suppress_below)
    return out


def _by_site_sentences(tables: Mapping[str, pd.DataFrame], threshold: int) -> list[str]:
    """What disclosure control did to the analyses by site, one sentence each."""
    out = []
    analyses = (
        ("codes-by-site", "codes", "Codes by site", "coded participants"),
        ("regression-by-site", "regression", "Regression by site", "complete cases"),
    )
    for name, parent, what, unit in analyses:
        frame, whole = tables.get(name), tables.get(parent)
        if frame is None or whole is None or not len(whole):
            continue
        if not len(frame):
            out.append(
                f"{what}: withheld, since fewer than two sites (or pooled groups of sites) "
                f"have {threshold} or more {unit} (disclosure control)."
            )
        elif "site" in frame.columns and frame["site"].astype(str).eq(POOLED_SITES).any():
            out.append(
                f"{what}: sites with fewer than {threshold} {unit} are not shown on their "
                f"own but pooled, with the smallest other sites where they are still too "
                f"few, as 'Other sites' (disclosure control)."
            )
    return out


def _first_sentence(caption: str) -> str:
    """The caption's first sentence (for the table of contents), without its full stop."""
    match = re.match(r"(.+?[.:])(?:\s|$)", caption)
    text = match.group(1) if match else caption
    return text.rstrip(".:")


#: Tables that go in a paper, also written as Markdown, LaTeX and DOCX.
PAPER_TABLES: tuple[str, ...] = (
    "characteristics",
    "reliability",
    "scales-by-role",
    "items-by-role",
    *REGRESSION_TABLES,
    "codes",
    "agreement",
    "joint-display",
    "joint-display-scores",
)


def paper_tables(
    tables: Mapping[str, pd.DataFrame],
    *,
    suppress_below: int = 5,
    shape: StudyShape | None = None,
) -> dict[str, pd.DataFrame]:
    """Display versions (:func:`partner_study.tables.format_table`) of the tidy tables,
    in report order. A tidy table with no rows (a study without a survey has no Likert
    or reliability rows) gives no paper table: a header alone tells a reader nothing."""
    from partner_study.tables import format_table

    return (
        {
            name: format_table(frame, name, suppress_below=suppress_below, shape=shape)
            for name, frame in tables.items()
            if len(frame)
            and name in TABLE_NAMES
            and name not in ("regression", "likert", "joint-display")
        }
        | _likert_tables(tables.get("likert"), shape, suppress_below)
        | _regression_tables(tables.get("regression"), shape)
        | _joint_tables(
            tables.get("joint-display"),
            shape,
            tables.get("joint-display-roles"),
            suppress_below=suppress_below,
            statistics=tables.get("joint-display-statistics"),
        )
    )


_MEAN = re.compile(r"^mean_(.+?)_(not_mentioned|mentioned)$")


def _joint_tables(
    frame: pd.DataFrame | None,
    shape: StudyShape | None,
    per_role: pd.DataFrame | None = None,
    *,
    suppress_below: int = 5,
    statistics: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """The joint display, its survey scores apart (one row per theme and scale) so that no
    table is too wide to read: ``joint-display`` and ``joint-display-scores``. With three
    roles or more, every role's share is shown beside the two compared."""
    from partner_study.tables import format_table

    if frame is None or not len(frame):
        return {}
    means = [c for c in frame.columns if _MEAN.match(str(c))]
    display = format_table(
        frame.drop(columns=means), "joint-display", shape=shape, suppress_below=suppress_below
    )
    if per_role is not None and per_role["role"].nunique() > 2:
        share = per_role.pivot_table(
            index="theme",
            columns="role",
            values="pct_mentioning",
            aggfunc="first",
            sort=False,
            dropna=False,
        )
        coded = pd.to_numeric(per_role["n_coded"], errors="coerce").groupby(per_role["role"]).max()
        roles = shape.group_order(share.columns) if shape is not None else list(share.columns)
        for i, role in enumerate(r for r in roles if r in share.columns):
            name = f"{shape.role_label(role, plural=True) if shape else role}, %"
            values = frame["theme"].astype(str).map(share[role])
            hidden = values.isna() & bool(coded.get(role, 0) > 0)
            cells = [
                SUPPRESSED if h else "" if pd.isna(v) else f"{float(v):.1f}"
                for v, h in zip(values, hidden, strict=True)
            ]
            display.insert(1 + i, name, cells, allow_duplicates=True)
    out = {"joint-display": display}
    if not means:
        return out
    rows = []
    for theme, sub in frame.set_index("theme")[means].iterrows():
        for column, value in sub.items():
            scale, which = _MEAN.match(str(column)).groups()  # type: ignore[union-attr]
            rows.append({"theme": theme, "scale": scale, "which": which, "value": value})
    wide = (
        pd.DataFrame(rows)
        .pivot_table(
            index=["theme", "scale"], columns="which", values="value", aggfunc="first", sort=False
        )
        .reset_index()
    )
    themes = shape.labels_for("joint-display") if shape is not None else {}
    names: pd.Series = wide["theme"].map(lambda t: themes.get(str(t)) or _pretty(str(t)))
    scale = wide["scale"].map(lambda v: shape.label(v) if shape is not None else _pretty(str(v)))

    def mean(column: str) -> list[str]:
        values = wide[column] if column in wide.columns else pd.Series(float("nan"), wide.index)
        hidden = _hidden_means(wide, column, statistics)
        if hidden is None:  # without the survey side's counts: missing among printed means
            hidden = _hidden_in_column(values)
        return [
            SUPPRESSED if h else "" if pd.isna(v) else f"{float(v):.2f}"
            for v, h in zip(values, hidden, strict=True)
        ]

    display = pd.DataFrame(
        {
            "Theme": names.where(names.ne(names.shift()), ""),
            "Scale": scale,
            "Mean score, raised the theme": mean("mentioned"),
            "Mean score, did not": mean("not_mentioned"),
        },
        dtype=object,
    ).reset_index(drop=True)
    display.attrs["note"] = (
        "Mean scale scores of the participants who took part in both strands, by whether "
        "they raised the theme."
    )
    if any(SUPPRESSED in display[c].tolist() for c in display.columns[2:]):
        display.attrs["note"] += _suppression_note(SUPPRESSED, suppress_below)
    out["joint-display-scores"] = display
    return out


def _hidden_means(
    wide: pd.DataFrame, column: str, statistics: pd.DataFrame | None
) -> pd.Series | None:
    """Which means of the joint display's survey scores are hidden by disclosure control:
    those whose group size the survey side (``joint-display-statistics``) leaves empty
    (an empty group has size 0 and no mean to hide). None without that table."""
    if statistics is None or not {"theme", "measure", "group", "n"} <= set(statistics.columns):
        return None
    n = pd.to_numeric(statistics["n"], errors="coerce")
    keys = statistics["theme"].astype(str) + "\x00" + statistics["measure"].astype(str)
    hidden = dict(zip(keys + "\x00" + statistics["group"].astype(str), n.isna(), strict=True))
    wanted = wide["theme"].astype(str) + "\x00mean_" + wide["scale"].astype(str) + "\x00" + column
    return wanted.map(lambda k: bool(hidden.get(k, False)))


def _likert_tables(
    frame: pd.DataFrame | None, shape: StudyShape | None, suppress_below: int = 5
) -> dict[str, pd.DataFrame]:
    """The Likert paper table, or one per response set when scales differ in range."""
    from partner_study.tables import likert_displays

    if frame is None or not len(frame):
        return {}
    return likert_displays(frame, shape=shape, suppress_below=suppress_below)


def _regression_tables(
    frame: pd.DataFrame | None, shape: StudyShape | None
) -> dict[str, pd.DataFrame]:
    """One paper table per model kind; a kind every model of which was skipped gives none
    (the report's "not applicable" list says why)."""
    from partner_study.tables import regression_displays

    if frame is None or not len(frame):
        return {}
    return {
        k: d
        for k, d in regression_displays(frame, shape=shape).items()
        if not d.attrs.get("skipped")
    }


def _str_keys(series: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in series.items()}


def _by_role(counts: Mapping[str, int]) -> dict[str, int]:
    """Per-role counts without the margin when roles are shown; the margin alone else."""
    roles = {k: int(v) for k, v in counts.items() if k != "all" and int(v) > 0}
    return roles or ({"all": int(counts["all"])} if "all" in counts else {})


def _coded(codes: pd.DataFrame) -> dict[str, int]:
    """Coded participants per group, the denominators of the codes table's percentages."""
    group = "role" if "role" in codes.columns else None
    theme = codes[(codes["code"] == "(theme)") & (pd.to_numeric(codes["pct_participants"]) > 0)]
    if "site" in codes.columns and group and theme["site"].eq("all").any():
        theme = theme[theme["site"] == "all"]
    total = (
        pd.to_numeric(theme["n_participants"]) * 100 / pd.to_numeric(theme["pct_participants"])
    ).round()
    keys = theme[group].astype(str) if group else pd.Series("all", index=theme.index)
    return {str(k): int(v) for k, v in total.groupby(keys).max().items()}


def caption_counts(tables: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """The n each caption states, keyed by table or figure name, computed from the rows
    that table or figure shows.

    - ``characteristics``: participants per role (Table 1's column headers).
    - ``likert`` and ``likert-<scale>``: per role, the largest number of answers to one
      item (of every scale, or of that scale), as the printed counts and percentages tell it.
    - ``scales-by-role``: per role, the largest number of respondents with a score (its
      ``n`` column); ``items-by-role`` and ``item-differences`` the same, for the roles
      they compare (they compare the respondents with a score).
    - ``reliability``, ``regression``, ``regression-forest``, ``regression-sensitivity``:
      the largest n of the table's rows (its n column gives each row's).
    - ``codes``, ``cooccurrence``, ``quotes``, ``themes-by-role``, ``joint-display``:
      coded participants per role (the denominators of the percentages).
    - ``site-heterogeneity``, ``site-effects``: respondents over the site models.
    A name with nothing to count is left out, and its caption states no n.
    """
    out: dict[str, Any] = {}
    char = tables.get("characteristics")
    if char is not None and len(char):
        rows = char[(char["variable"] == "participants") & char["n"].notna()]
        out["characteristics"] = {
            str(r): int(n) for r, n in zip(rows["role"], rows["n"], strict=True)
        }
    likert = tables.get("likert")
    if likert is not None and len(likert):
        cells = likert.assign(
            n=pd.to_numeric(likert["n"]),
            percent=pd.to_numeric(likert["percent"]),
            role=likert["role"].astype(str),
        )
        per_item = (
            cells.groupby(["scale", "item", "role"], sort=False)[["n", "percent"]]
            .apply(lambda c: printed_total(c["n"], c["percent"]))
            .rename("n")
            .dropna()
            .reset_index()
        )
        out["likert"] = _by_role(_str_keys(per_item.groupby("role", sort=False)["n"].max()))
        for scale, rows in per_item.groupby("scale", sort=False):
            counts = _str_keys(rows.groupby("role", sort=False)["n"].max())
            out[f"likert-{scale}"] = _by_role(counts)
    by_role = tables.get("scales-by-role")
    if by_role is not None and len(by_role) and "n" in by_role.columns:
        n = pd.to_numeric(by_role["n"], errors="coerce")
        most = n.groupby(by_role["role"].astype(str), sort=False).max().dropna()
        per_role = _by_role(_str_keys(most))
        if per_role:
            out["scales-by-role"] = per_role
            items = tables.get("items-by-role")
            if items is not None and len(items):
                compared = set(items["role"].astype(str))
                counts = {r: v for r, v in per_role.items() if r in compared}
                out["items-by-role"] = out["item-differences"] = counts
    for name in ("reliability", "regression", "regression-sensitivity"):
        frame = tables.get(name)
        if frame is not None and len(frame) and "n" in frame.columns:
            n = pd.to_numeric(frame["n"], errors="coerce").max()
            if pd.notna(n) and n > 0:
                out[name] = int(n)
    if "regression" in out:
        out["regression-forest"] = out["regression"]
        frame = tables["regression"]
        kind = frame["model"].astype(str).str.removeprefix("joint_")
        n = pd.to_numeric(frame["n"], errors="coerce")
        for k, value in n.groupby(kind).max().items():
            if pd.notna(value) and value > 0:
                out["regression-" + str(k).replace("_", "-")] = int(value)
    by_site = tables.get("regression-by-site")
    if by_site is not None and len(by_site) and "n" in by_site.columns:
        first = by_site[by_site["term"] == by_site["term"].iloc[0]]
        total = pd.to_numeric(first["n"], errors="coerce").sum()
        if total > 0:
            out["site-heterogeneity"] = out["site-effects"] = int(total)
    codes = tables.get("codes")
    if codes is not None and len(codes) and "pct_participants" in codes.columns:
        coded = _by_role(_coded(codes))
        if coded:
            for name in ("codes", "cooccurrence", "quotes", "themes-by-role", "joint-display"):
                out[name] = coded
    return out
