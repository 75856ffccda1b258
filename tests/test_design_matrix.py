"""Every pair of study-shape levels, run end to end.

:func:`partner_study.designs.pairwise_shapes` is a covering array of the shapes a study may
have (roles 1/2/3 named in English or French, 1/2/7 scales of 2/4/5/7/10 points stored as
codes or as labels, 1/2/6 sites, 1/2/3 coders, survey and/or qualitative strands, an
engagement scale, an ordinal engagement level or no dependent, with or without a numeric
participant variable). Each shape is simulated small (at most 60 participants and 150 coded
segments), run through the whole pipeline in a throw-away project, and its outputs are
checked from the outputs themselves:

* every stage ran, or is "not applicable" with a reason, as the study's strands say;
* no executed notebook holds a traceback;
* no paper table (``tables/*.md``, or a table of ``report.html``) has a header and no rows;
* every label of the codebook a reader should see (roles singular and plural, sites,
  scales, items, response options, variables, themes, codes) is in ``report.html`` and in
  the paper tables that show it, verbatim, in the tables themselves (a caption naming it
  does not count);
* the n of every caption (``tables/captions.csv``) is the count recomputed from the tidy
  CSV tables.

The helpers (``run_study``, ``check_*``) are shared with ``test_design_studies.py``.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from conftest import make_project
from partner_study import designs
from partner_study.disclosure import printed_total
from partner_study.pipeline import run_pipeline

SHAPES = designs.pairwise_shapes()
STAGES = ("01-prepare", "02-describe", "03-qualitative", "04-regression", "05-integrate")
STAGES += ("06-report",)


# ------------------------------------------------------------------------------ running
@dataclass
class Run:
    """A study run in a throw-away project: where, how long, and what came of it."""

    study: str
    root: Path
    seconds: float
    stages: dict[str, tuple[str, str]]  # name -> (status, reason)
    error: str = ""  # the exception that ended the run, if any

    @property
    def reports(self) -> Path:
        return self.root / "reports" / self.study

    @property
    def tables(self) -> Path:
        return self.reports / "tables"

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw" / self.study


def run_study(dest: Path, raw: Path, study: str, params: str) -> Run:
    """Copy ``raw`` into a project under ``dest`` and run every stage; never raises."""
    root = make_project(dest, raw=raw, study=study, params_text=params)
    start = time.perf_counter()
    try:
        result = run_pipeline(root / "params" / f"{study}.yaml", root=root)
    except Exception as exc:  # noqa: BLE001 - reported by the checks
        error = f"{type(exc).__name__}: {exc}".replace(f"{root}/", "")
        return Run(study, root, time.perf_counter() - start, {}, error)
    stages = {s.name: (s.status, s.reason) for s in result.stages}
    return Run(study, root, time.perf_counter() - start, stages)


_RUNS: dict[str, Run] = {}
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="session")
def shape_run(tmp_path_factory):
    """A function giving the run of a shape (each shape runs once per test worker)."""

    def get(shape: designs.Shape) -> Run:
        if shape.slug not in _RUNS:
            base = tmp_path_factory.mktemp(shape.slug[:40])
            raw = base / "raw" / shape.slug
            designs.write_shape(shape, raw, study=shape.slug)
            run = run_study(
                base / "project", raw, shape.slug, designs.params_text(shape, shape.slug)
            )
            _RUNS[shape.slug] = run
            TIMINGS[shape.slug] = run.seconds
        return _RUNS[shape.slug]

    return get


def _expect(problems: list[str], what: str) -> None:
    assert not problems, f"{len(problems)} problem(s) with {what}:\n" + "\n".join(
        f"  - {p}" for p in problems
    )


# ------------------------------------------------------------------------------- checks
def expected_statuses(shape: designs.Shape) -> dict[str, str]:
    """Which stages a study of this shape has something to do in."""
    survey, qualitative = shape.has_survey, shape.has_qualitative
    # Regression settings are left to the defaults: the codebook's first scale is the
    # dependent, regressed on the others, so 04 needs two scales or more; with an ordinal
    # engagement level (`dependent: none`), one scale is enough to predict it.
    n_scales = shape.n_scales + (shape.engagement == "continuous")  # + the engagement scale
    dependent = survey and (n_scales >= 2 or shape.engagement == "ordinal")
    ran = {
        "01-prepare": True,
        "02-describe": True,
        "03-qualitative": qualitative,
        "04-regression": dependent,
        "05-integrate": qualitative,
        "06-report": True,
    }
    return {k: "ran" if v else "not applicable" for k, v in ran.items()}


def check_stages(run: Run, expected: dict[str, str]) -> list[str]:
    """Every stage ran or says why it is not applicable, as the study's shape says."""
    if run.error:
        return [f"the run failed: {_head(run.error)}"]
    problems = []
    for name in STAGES:
        status, reason = run.stages.get(name, ("absent", ""))
        if status not in ("ran", "not applicable"):
            problems.append(f"{name}: status {status!r}")
        elif status == "not applicable" and not reason.strip():
            problems.append(f"{name}: not applicable without a reason")
        if status != expected[name]:
            problems.append(
                f"{name}: {status!r}{f' ({reason})' if reason else ''}, expected {expected[name]!r}"
            )
    return problems


def _head(text: str, lines: int = 4) -> str:
    return " | ".join(str(text).strip().splitlines()[:lines])[:600]


def check_notebooks(run: Run) -> list[str]:
    """No executed notebook (kept or failed) holds a traceback."""
    problems = []
    folders = [run.reports / "notebooks", run.reports / "failed"]
    notebooks = sorted(p for f in folders if f.is_dir() for p in f.glob("*.ipynb"))
    if not notebooks:
        problems.append("no executed notebook under reports/<study>/notebooks")
    for path in notebooks:
        text = path.read_text(encoding="utf-8")
        if "Traceback" not in text and '"output_type": "error"' not in text:
            continue
        nb = json.loads(text)
        for i, cell in enumerate(nb.get("cells", [])):
            for out in cell.get("outputs", []):
                blob = json.dumps(out)
                if out.get("output_type") == "error" or "Traceback" in blob:
                    what = f"{out.get('ename', '')}: {out.get('evalue', '')}".strip(": ")
                    if not what:
                        what = _head("".join(out.get("text", "")) or blob)
                    problems.append(
                        f"{path.parent.name}/{path.name} cell {i}: {_head(what, 3)} "
                        f"[source: {_head(''.join(cell.get('source', '')), 2)}]"
                    )
    return problems


def _md_tables(text: str) -> list[tuple[list[str], int]]:
    """(header line, number of body rows) of each pipe table of a Markdown text."""
    out = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if (
            lines[i].startswith("|")
            and i + 1 < len(lines)
            and re.match(r"^\|\s*:?-{3}", lines[i + 1])
        ):
            header = lines[i]
            j = i + 2
            while j < len(lines) and lines[j].startswith("|"):
                j += 1
            out.append((header, j - i - 2))
            i = j
        else:
            i += 1
    return out


def check_empty_tables(run: Run) -> list[str]:
    """No paper table with a header and no body rows (Markdown tables and report.html)."""
    problems = []
    if run.error and not run.tables.is_dir():
        problems.append(f"no tables: the run failed: {_head(run.error, 2)}")
    for path in sorted(run.tables.glob("*.md")):
        tables = _md_tables(path.read_text(encoding="utf-8"))
        if not tables:
            problems.append(f"tables/{path.name}: holds no table")
        for header, rows in tables:
            if rows == 0:
                problems.append(f"tables/{path.name}: header without rows: {header[:120]}")
    report = run.reports / "report.html"
    if report.is_file():
        text = report.read_text(encoding="utf-8")
        for m in re.finditer(r'<figure[^>]*id="([^"]+)"[^>]*>(.*?)</figure>', text, re.S):
            for body in re.findall(r"<tbody>(.*?)</tbody>", m.group(2), re.S):
                if "<tr" not in body:
                    problems.append(f"report.html: table {m.group(1)} has a header and no rows")
            if "<thead>" in m.group(2) and "<tbody>" not in m.group(2):
                problems.append(f"report.html: table {m.group(1)} has a header and no body")
    return problems


def _read(run: Run, name: str) -> pd.DataFrame | None:
    path = run.tables / f"{name}.csv"
    if not path.is_file():
        return None
    return pd.read_csv(path, keep_default_na=True, dtype={"role": str, "site": str})


def _levels(spec: Any) -> dict[str, Any]:
    """A codebook ``levels`` entry as a mapping (a list names its levels by themselves)."""
    if isinstance(spec, dict):
        return {str(k): v for k, v in spec.items()}
    if isinstance(spec, list):
        return {str(v): v for v in spec}
    return {}


def _label(value: Any, key: str) -> str:
    if isinstance(value, dict):
        return str(value.get("label", key))
    return str(value)


def _forms(label: str) -> set[str]:
    """The ways a label may appear in HTML: as is, or escaped (quotes escaped or not)."""
    return {label, html.escape(label), html.escape(label, quote=False)}


def _shown(label: str, text: str, *, capital: bool = False) -> bool:
    forms = _forms(label)
    if capital:  # a category level may start a cell with a capital letter
        forms |= {f[:1].upper() + f[1:] for f in forms}
    return any(f in text for f in forms)


def _table_lines(markdown: str) -> str:
    """The rows of a Markdown paper table (header and body), without caption or note: a
    label in the caption does not show it in the table."""
    return "\n".join(line for line in markdown.splitlines() if line.startswith("|"))


def _report_table(report: str, anchor: str) -> str | None:
    """The table of report.html with this id (caption already removed), or None."""
    m = re.search(rf'<figure[^>]*id="{re.escape(anchor)}"[^>]*>(.*?)</figure>', report, re.S)
    return m.group(1) if m else None


def _without_captions(report: str) -> str:
    """report.html without its title, contents and captions (the tables and figures)."""
    for pattern in (r"<head>.*?</head>", r"<nav.*?</nav>", r"<figcaption.*?</figcaption>"):
        report = re.sub(pattern, "", report, flags=re.S)
    return report


def check_labels(run: Run) -> list[str]:
    """Every codebook label a reader should see is in report.html (its tables and figures,
    not only a caption) and in the relevant paper tables (their rows, not only the caption),
    verbatim (HTML-escaped in the report)."""
    cb = yaml.safe_load((run.raw / "codebook.yaml").read_text(encoding="utf-8"))
    report_path = run.reports / "report.html"
    if not report_path.is_file():
        return ["report.html: not written"]
    report = _without_captions(report_path.read_text(encoding="utf-8"))
    md = {p.stem: _table_lines(p.read_text(encoding="utf-8")) for p in run.tables.glob("*.md")}
    # the regression's paper tables, one per model kind, read together
    kinds = sorted(k for k in md if re.fullmatch(r"regression-(ols|mixed|ordinal.*)", k))
    if kinds:
        md["regression"] = "\n".join(md[k] for k in kinds)
    problems: list[str] = []

    seen: set[tuple[str, str]] = set()

    def want(kind: str, label: str, where: str, *, capital: bool = False) -> None:
        if (label, where) in seen:  # e.g. response options shared by several scales
            return
        seen.add((label, where))
        if where == "report.html":
            if not _shown(label, report, capital=capital):
                problems.append(f"report.html: {kind} {label!r} not shown")
        elif where.startswith("report.html#"):
            shown = _report_table(report, where.split("#", 1)[1])
            if shown is None:
                problems.append(f"{where}: no such table (it should show {kind} {label!r})")
            elif not _shown(label, shown, capital=capital):
                problems.append(f"{where}: {kind} {label!r} not shown")
        elif where not in md:
            problems.append(f"tables/{where}.md: not written (it should show {kind} {label!r})")
        elif not _shown(label, md[where], capital=capital):
            problems.append(f"tables/{where}.md: {kind} {label!r} not shown")

    roles = {k: v for k, v in _levels(cb["role"]["levels"]).items()}
    plural = {
        k: (v.get("plural", v.get("label", k)) if isinstance(v, dict) else str(v))
        for k, v in roles.items()
    }
    singular = {k: _label(v, k) for k, v in roles.items()}
    site = cb["site"] if isinstance(cb["site"], dict) else {"levels": {}}
    sites = {k: _label(v, k) for k, v in _levels(site.get("levels")).items()}
    variables = cb.get("variables") or {}
    scales = cb.get("scales") or {}
    themes = {k: _label(v, k) for k, v in (cb.get("themes") or {}).items()}
    codes = {k: _label(v, k) for k, v in (cb.get("codes") or {}).items()}
    stages = run.stages

    # roles: Table 1 by role; qualitative tables by role; regression terms of the role
    for label in plural.values():
        want("role plural", label, "report.html")
        want("role plural", label, "characteristics")
    codes_csv = _read(run, "codes")
    coded_roles = (
        [r for r in codes_csv["role"].astype(str).unique() if r != "all"]
        if codes_csv is not None
        else []
    )
    for role in coded_roles:
        if role in plural:
            want("role plural", plural[role], "codes")
            if "joint-display" in md:
                want("role plural", plural[role], "joint-display")
    quotes = _read(run, "quotes")
    if quotes is not None and len(quotes):
        for role in quotes["role"].astype(str).unique():
            if role in singular:
                want("role label", singular[role], "report.html")
    reg_terms = set()
    reg = _read(run, "regression")
    if reg is not None:
        reg_terms = set(reg["term"].astype(str))
    for role in list(roles)[1:]:
        if any(t.startswith("role[") and role in t for t in reg_terms):
            want("role label", singular[role], "regression")

    # sites: Table 1 (heading and every site)
    if site.get("label"):
        want("site heading", str(site["label"]), "characteristics")
    for label in sites.values():
        want("site label", label, "report.html")
        want("site label", label, "characteristics")

    # participant variables: Table 1 (label and category levels)
    for name, spec in variables.items():
        label = str(spec.get("label", name))
        want("variable label", label, "characteristics")
        for level in _levels(spec.get("levels")).values():
            want(f"level of {name}", str(level), "characteristics", capital=True)

    # scales, items and response options
    outcomes = list(scales)[1:]  # the default dependent is the first declared scale
    for name, spec in scales.items():
        label = str(spec.get("label", name))
        want("scale label", label, "report.html")
        want("scale label", label, "reliability")
        # the Likert table (in the report only) shows each item and each response option
        for item, text in (spec.get("item_labels") or {}).items():
            want(f"item label ({item})", str(text), "report.html#table-likert")
        for value, text in (spec.get("labels") or {}).items():
            want(f"response label ({value})", str(text), "report.html#table-likert")
    if stages.get("04-regression", ("",))[0] == "ran":
        for name in outcomes:
            want("outcome scale label", str(scales[name].get("label", name)), "regression")
    joint = _read(run, "joint-display")
    if joint is not None:
        for name, spec in scales.items():
            if any(re.search(rf"(^|_){re.escape(name)}(_|$)", c) for c in joint.columns):
                # the survey scores beside the themes are a table of their own
                want("scale label", str(spec.get("label", name)), "joint-display-scores")
    level_spec = cb.get("engagement_level")
    if level_spec and stages.get("04-regression", ("",))[0] == "ran":
        levels = [str(v) for v in _levels(level_spec.get("levels")).values()]
        for level in levels:
            want("engagement level", level, "report.html", capital=True)
        # cut points of the ordinal model are named by their two adjacent levels, as declared
        # (a level may share its text with the name of a scale: it stays the level)
        cuts = any("|" in t for t in reg_terms)
        if cuts and "regression" in md:
            for low, high in itertools.pairwise(levels):
                pattern = (
                    rf"(?:\|\s|:\s){re.escape(low)}\s*(?:\\\||\||/|–|-|→|to)\s*"
                    rf"{re.escape(high)}\s*(?:\||$)"
                )
                if not re.search(pattern, md["regression"], re.M | re.I):
                    problems.append(
                        f"tables/regression.md: cut point {low!r} | {high!r} not shown as such"
                    )

    # themes and codes
    for label in themes.values():
        want("theme label", label, "report.html")
    if codes_csv is not None:
        for theme in codes_csv["theme"].astype(str).unique():
            if theme in themes:
                want("theme label", themes[theme], "codes")
        for code in codes_csv["code"].astype(str).unique():
            if code in codes:
                want("code label", codes[code], "codes")
                want("code label", codes[code], "report.html")
    if joint is not None and "theme" in joint.columns:
        for theme in joint["theme"].astype(str).unique():
            if theme in themes:
                want("theme label", themes[theme], "joint-display")
    agreement = _read(run, "agreement")
    if agreement is not None:
        for code in agreement["code"].astype(str).unique():
            if code in codes:
                want("code label", codes[code], "agreement")
    return problems


# Captions whose n is checked, by the tidy table it is recomputed from.
_CAPTION_SOURCE = {
    ("table", "characteristics"): "participants",
    ("table", "likert"): "respondents",
    ("table", "reliability"): "reliability",
    ("table", "scales-by-role"): "scored",
    ("table", "items-by-role"): "scored:compared",
    ("figure", "item-differences"): "scored:compared",
    ("table", "codes"): "coded",
    ("table", "cooccurrence"): "coded",
    ("table", "quotes"): "coded",
    ("table", "joint-display"): "coded",
    ("table", "regression"): "regression",
    ("table", "regression-ols"): "regression",
    ("table", "regression-mixed"): "regression",
    ("table", "regression-ordinal"): "regression",
    ("table", "regression-ordinal-probit"): "regression",
    ("table", "regression-sensitivity"): "regression-sensitivity",
    ("table", "site-heterogeneity"): "by-site",
    ("figure", "themes-by-role"): "coded",
    ("figure", "joint-display"): "coded",
    ("figure", "regression-forest"): "regression",
    ("figure", "site-effects"): "by-site",
}


def caption_counts(run: Run) -> dict[str, list[dict[str, int]]]:
    """Counts a caption may state, recomputed from the tidy tables: by source, a list of
    acceptable ``{role: n, ..., "all": n}`` (roles omitted when only a total is known)."""
    out: dict[str, list[dict[str, int]]] = {}
    char = _read(run, "characteristics")
    if char is not None:
        rows = char[char["variable"] == "participants"]
        out["participants"] = [
            {str(r): int(n) for r, n in zip(rows["role"], rows["n"], strict=True)}
        ]
    likert = _read(run, "likert")
    if likert is not None and len(likert):
        # answers to an item: the sum of its counts, or, where small counts are hidden,
        # what its printed counts and percentages tell (nothing when they do not)
        per_item = (
            likert.groupby(["scale", "item", "role"])[["n", "percent"]]
            .apply(lambda c: printed_total(c["n"], c["percent"]))
            .rename("n")
            .dropna()
            .reset_index()
        )
        out["respondents"] = [per_item.groupby("role")["n"].max().astype(int).to_dict()]
        for scale, rows in per_item.groupby("scale"):
            out[f"respondents:{scale}"] = [rows.groupby("role")["n"].max().astype(int).to_dict()]
    rel = _read(run, "reliability")
    if rel is not None and len(rel):
        accepted = [{"all": int(rel["n"].max())}]
        accepted += [{"all": c["all"]} for c in out.get("respondents", []) if "all" in c]
        out["reliability"] = accepted
    by_role = _read(run, "scales-by-role")
    if by_role is not None and by_role["n"].notna().any():
        # respondents with a score: per role, the largest n a row of the table prints
        most = by_role.dropna(subset=["n"]).groupby("role")["n"].max().astype(int).to_dict()
        out["scored"] = [most]
        items = _read(run, "items-by-role")
        if items is not None and len(items):
            compared = set(items["role"].astype(str))
            out["scored:compared"] = [{r: n for r, n in most.items() if r in compared}]
    codes = _read(run, "codes")
    if codes is not None and len(codes):
        theme = codes[(codes["code"] == "(theme)") & (codes["pct_participants"] > 0)]
        total = (theme["n_participants"] / (theme["pct_participants"] / 100)).round()
        per = total.groupby(theme["role"]).agg(["min", "max"])
        if (per["min"] == per["max"]).all():
            out["coded"] = [per["max"].astype(int).to_dict()]
        else:
            out["coded"] = []  # the denominators disagree between themes: nothing fits
    # model tables: an n the table reports (complete cases and imputed sets may differ)
    for name in ("regression", "regression-sensitivity"):
        frame = _read(run, name)
        if frame is not None and frame["n"].notna().any():
            values = sorted({int(v) for v in frame["n"].dropna()}, reverse=True)
            out[name] = [{"all": v} for v in values]
    by_site = _read(run, "regression-by-site")
    if by_site is not None and len(by_site):
        first = by_site[by_site["term"] == by_site["term"].iloc[0]]
        pooled = [{"all": int(first["n"].sum())}]
        out["by-site"] = pooled + [a for a in out.get("regression", []) if a not in pooled]
    return out


def _caption_n(caption: str) -> list[tuple[int, str]] | None:
    """The (count, label) parts of a caption's ``(n = ...)``, or None when it states none."""
    m = re.search(r"\(n = ([^)]*)\)", caption)
    if not m:
        return None
    parts = []
    for part in re.split(r",\s+(?=\d)|\s+and\s+(?=\d)|\s+et\s+(?=\d)", m.group(1)):
        pm = re.match(r"^\s*(\d[\d,]*)\s*(.*?)\s*$", part)
        if not pm:
            return [(-1, part)]
        parts.append((int(pm.group(1).replace(",", "")), pm.group(2)))
    return parts


def check_captions(run: Run) -> list[str]:
    """The n of each caption equals the count recomputed from the tidy tables: a total
    ``(n = T)``, or one count per role named by its declared plural."""
    path = run.tables / "captions.csv"
    if not path.is_file():
        return ["tables/captions.csv: not written"]
    cb = yaml.safe_load((run.raw / "codebook.yaml").read_text(encoding="utf-8"))
    plural = {
        k: (v.get("plural", v.get("label", k)) if isinstance(v, dict) else str(v))
        for k, v in _levels(cb["role"]["levels"]).items()
    }
    by_label = {v: k for k, v in plural.items()}
    counts = caption_counts(run)
    captions = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems = []
    for row in captions.itertuples(index=False):
        source = _CAPTION_SOURCE.get((row.kind, row.name))
        if source is None and row.kind == "figure" and row.name.startswith("likert-"):
            source = f"respondents:{row.name[len('likert-') :]}"
        if source is None:
            continue
        where = f"{row.kind} {row.name}"
        stated = _caption_n(row.caption)
        accepted = counts.get(source)
        if accepted is None:
            problems.append(f"{where}: no tidy table to recompute its n from ({source})")
            continue
        if stated is None:
            problems.append(
                f"{where}: states no n (expected {_show(accepted)}): {row.caption[:100]}"
            )
            continue
        if not any(_matches(stated, a, by_label) for a in accepted):
            shown = "; ".join(f"{n} {lab}".strip() for n, lab in stated)
            problems.append(f"{where}: caption n = {shown}, recomputed {_show(accepted)}")
    return problems


def _show(accepted: list[dict[str, int]]) -> str:
    if not accepted:
        return "(no consistent count)"
    return " or ".join(", ".join(f"{k}={v}" for k, v in a.items()) for a in accepted)


def _matches(
    stated: list[tuple[int, str]], counts: dict[str, int], by_label: dict[str, str]
) -> bool:
    roles = {k: v for k, v in counts.items() if k != "all"}
    total = counts.get("all", sum(roles.values()) if roles else None)
    if len(stated) == 1 and not stated[0][1]:
        return stated[0][0] == total
    if any(not label for _, label in stated):
        return False
    got = {}
    for n, label in stated:
        if label not in by_label:
            return False  # not a declared plural, verbatim
        got[by_label[label]] = n
    want = {r: n for r, n in roles.items() if n > 0}
    return got == want


# ------------------------------------------------------------------------------- tests
def _param(shape: designs.Shape):
    return pytest.param(
        shape,
        id=shape.slug,
        marks=[pytest.mark.slow, pytest.mark.xdist_group(f"matrix-{shape.slug}")],
    )


MATRIX = [_param(s) for s in SHAPES]


def _pair_keys(levels: dict[str, Any]) -> set[tuple]:
    keys = [f for f in designs.FACTORS if f in levels]
    return {(a, str(levels[a]), b, str(levels[b])) for a, b in itertools.combinations(keys, 2)}


def _matters(shape: designs.Shape) -> dict[str, Any]:
    """The factor levels of a shape that take effect, read from the shape itself: survey
    factors need the survey strand, coders the qualitative strand."""
    levels: dict[str, Any] = {
        "roles": f"{len(shape.roles)}{shape.language}",
        "sites": shape.n_sites,
        "strands": shape.strands,
        "categorical_only": shape.categorical_only,
        "engagement": shape.engagement,
    }
    if shape.has_survey:
        levels |= {
            "scales": shape.n_scales,
            "points": shape.points,
            "labels": "text" if shape.labels_as_text else "codes",
        }
    if shape.has_qualitative:
        levels["coders"] = shape.n_coders
    return levels


def test_the_matrix_covers_every_feasible_pair_of_levels():
    """A pair is feasible unless it needs a strand the other level rules out: a survey
    level (scales, points, labels, a dependent) with the qualitative strand alone, or a
    number of coders with the survey strand alone."""
    survey_only = {"scales", "points", "labels"}
    feasible = set()
    for (fa, la), (fb, lb) in itertools.combinations(
        [(f, lv) for f, levels in designs.FACTORS.items() for lv in levels], 2
    ):
        if fa == fb:
            continue
        pair = dict([(fa, la), (fb, lb)])
        strands = pair.get("strands")
        survey = fa in survey_only or fb in survey_only or pair.get("engagement", "none") != "none"
        if strands == "qualitative" and survey:
            continue
        if strands == "survey" and "coders" in pair:
            continue
        a, b = sorted([(fa, la), (fb, lb)], key=lambda x: list(designs.FACTORS).index(x[0]))
        feasible.add((a[0], str(a[1]), b[0], str(b[1])))
    covered = set().union(*(_pair_keys(_matters(s)) for s in SHAPES))
    missing = sorted(feasible - covered)
    assert not missing, f"{len(missing)} pairs not covered, e.g. {missing[:5]}"
    assert len(SHAPES) >= 40
    assert len({s.slug for s in SHAPES}) == len(SHAPES)


def test_the_matrix_is_deterministic_and_tiny():
    again = designs.pairwise_shapes()
    assert [s.slug for s in again] == [s.slug for s in SHAPES]
    for shape in SHAPES:
        assert shape.n_participants <= 60
        sim = designs.simulate_shape(shape, study="tiny")
        assert len(sim.participants) == shape.n_participants
        if sim.segments is not None:
            assert sim.segments["segment_id"].nunique() <= 150, shape.slug
        assert (sim.survey is not None) == shape.has_survey
        assert (sim.segments is not None) == shape.has_qualitative
        again = designs.simulate_shape(shape, study="tiny")
        assert again.participants.equals(sim.participants)


@pytest.mark.parametrize("shape", MATRIX)
def test_stages_run_or_say_why_not(shape, shape_run):
    run = shape_run(shape)
    _expect(check_stages(run, expected_statuses(shape)), f"the stages of {shape.slug}")


@pytest.mark.parametrize("shape", MATRIX)
def test_no_traceback_in_executed_notebooks(shape, shape_run):
    run = shape_run(shape)
    _expect(check_notebooks(run), f"the notebooks of {shape.slug}")


@pytest.mark.parametrize("shape", MATRIX)
def test_no_paper_table_without_rows(shape, shape_run):
    run = shape_run(shape)
    _expect(check_empty_tables(run), f"the paper tables of {shape.slug}")


@pytest.mark.parametrize("shape", MATRIX)
def test_codebook_labels_are_shown_verbatim(shape, shape_run):
    run = shape_run(shape)
    _expect(check_labels(run), f"the labels shown by {shape.slug}")


@pytest.mark.parametrize("shape", MATRIX)
def test_caption_counts_match_the_tidy_tables(shape, shape_run):
    run = shape_run(shape)
    _expect(check_captions(run), f"the captions of {shape.slug}")
