"""Group ``outputs``: a study whose labels and segment texts are spreadsheet formulas,
HTML, Markdown and LaTeX must run, and its outputs must neutralise them: no CSV cell a
spreadsheet would run, no raw tags from the data in Markdown, HTML or SVG, no LaTeX
commands from the data, while the processed Parquet keeps every text exactly.

One full pipeline run for the whole batch.
"""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

from fixtures import col, read_rows, write_rows
from harness import (
    STUDY,
    Ctx,
    Outcome,
    World,
    diff_states,
    outside_project,
    register,
    run_cli,
    short_path,
    stray_writes,
    sub_state,
    success_problems,
    tree_state,
)

G = "outputs"
PER_PAYLOAD = 8

# Segment texts (the whole text, so that a quote starts with it). None holds an identifier,
# so redaction must leave each exactly as written.
PAYLOADS = {
    "equals": '=HYPERLINK("#Sheet1!A1","Click for the minutes")&T(0)',
    "plus": "+cmd|' /C calc'!A0 is what he typed into the form",
    "minus": "-2+3+cmd|' /C notepad'!A0 and then it opened",
    # '@' then a bracket: a spreadsheet formula, not a social-media handle (which the
    # disclosure gate may rightly remove)
    "at": "@(1+1)*cmd|' /C calc'!A0 in the shared sheet",
    "tab": "\t=1+1 a tab before the formula",
    "cr": "\r=1+1 a carriage return before the formula",
    "script": "<script>alert('xss-text')</script> we need words that both of us use",
    "img": '<img src=x onerror=alert("xss-img")> listening matters to me',
    "markdown": "| forged | table | row | with [a link](javascript:alert(1))",
    "latex": "\\input{/etc/passwd} \\write18{touch /tmp/pwned} in the minutes",
}
LABELS = {
    "codes.common_language.label": "<script>alert('xss-code')</script>",
    "codes.listening_skills.label": '<img src=x onerror=alert("xss-label")>',
    "codes.teamwork.label": '=HYPERLINK("#A1","Teamwork")',
    "codes.critical_friend.label": "$\\write18{touch /tmp/pwned}$ Critical friend",
    "codes.supportive_ally.label": "Supportive | ally",
    "themes.information_sharing": "+cmd|' /C calc'!A0",
    "themes.coproduction": "-2+3 Coproduction",
    "themes.facilitation": "@SUM(1+1) Facilitation",
    "scales.trust.label": "\\input{/etc/passwd} Trust",
    "variables.age.label": "=1+1 Age",
}
PREFIXES = {"equals": "=", "plus": "+", "minus": "-", "at": "@", "tab": "\t", "cr": "\r"}
EXACT = ["equals", "plus", "minus", "at", "tab", "cr", "script", "latex"]
SUBNAMES = [
    "run-completes",
    *[f"csv-no-cell-starting-{k}" for k in PREFIXES],
    "md-no-script-tag",
    "md-no-img-tag",
    "md-no-onerror",
    "md-table-pipes-escaped",
    "html-no-script-from-data",
    "html-no-img-from-data",
    "html-no-onerror",
    "svg-no-script-or-handler",
    "tex-no-commands-from-data",
    *[f"parquet-exact-{k}" for k in EXACT],
    "nothing-outside-project",
]
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _set(doc: dict, dotted: str, value) -> None:
    node = doc
    parts = dotted.split(".")
    for p in parts[:-1]:
        node = node[p]
    node[parts[-1]] = value


def plant(w: World) -> dict[str, list[str]]:
    params = w.params_doc()
    params.setdefault("qualitative", {}).update({"quotes_per_theme": 50, "quote_max_chars": 10_000})
    w.write_params(params)
    cb = w.codebook_doc()
    for dotted, value in LABELS.items():
        _set(cb, dotted, value)
    w.write_codebook(cb)
    seg = read_rows(w.raw / "segments.csv")
    sid_c, text_c = col(seg, "segment_id"), col(seg, "text")
    ids = sorted({r[sid_c] for r in seg[1:] if r})
    random.Random(7).shuffle(ids)
    plan: dict[str, list[str]] = {}
    for k, (name, text) in enumerate(PAYLOADS.items()):
        chosen = ids[k * PER_PAYLOAD : (k + 1) * PER_PAYLOAD]
        plan[name] = chosen
        for r in seg[1:]:
            if r and r[sid_c] in chosen:
                r[text_c] = text
    write_rows(w.raw / "segments.csv", seg)
    return plan


def _csv_cells(folder: Path):
    for path in sorted(folder.rglob("*.csv")):
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
            for i, row in enumerate(csv.reader(fh), start=1):
                for cell in row:
                    yield path, i, cell


def _files(folder: Path, pattern: str) -> list[Path]:
    return sorted(folder.rglob(pattern))


def _scan(paths: list[Path], pattern: re.Pattern, w: World) -> tuple[bool, str]:
    hits = []
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        m = pattern.search(text)
        if m:
            hits.append(f"{short_path(str(path), w)}: {m.group(0)[:40]!r}")
    if hits:
        return False, f"{len(hits)} file(s): " + "; ".join(hits[:3])
    return True, f"none in {len(paths)} file(s)"


def _md_pipes(paths: list[Path], w: World) -> tuple[bool, str]:
    """Every row of every Markdown table has as many cell separators as its header."""
    bad = []
    for path in paths:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        header_n = None
        for n, line in enumerate(lines, start=1):
            if not line.lstrip().startswith("|"):
                header_n = None
                continue
            count = len(re.findall(r"(?<!\\)\|", line))
            if header_n is None:
                header_n = count
            elif count != header_n:
                bad.append(f"{short_path(str(path), w)} line {n}: {count} '|' vs {header_n}")
    if bad:
        return False, f"{len(bad)} row(s) with forged cells: " + "; ".join(bad[:3])
    return True, f"{len(paths)} file(s) consistent"


@register(G, "batch", subnames=SUBNAMES, heavy=True)
def outputs_batch(ctx: Ctx) -> list[Outcome]:
    w = ctx.world()
    plan = plant(w)
    raw_segments = {r[0]: r for r in read_rows(w.raw / "segments.csv")[1:] if r}
    before = tree_state(w.root)
    p = run_cli(w, ["run", f"params/{STUDY}.yaml"], timeout=400)
    after = tree_state(w.root)
    out: list[Outcome] = []
    probs = success_problems(p)
    raw_diff = diff_states(
        sub_state(before, "project/data/raw"), sub_state(after, "project/data/raw")
    )
    if raw_diff:
        probs.append(f"data/raw changed ({raw_diff})")
    out.append(
        Outcome(
            "run-completes", not probs, "; ".join(probs) or f"exit 0 in {p.seconds:.0f}s", p.seconds
        )
    )
    if p.rc != 0:
        why = f"run failed (exit {p.rc}: {p.first_err_line(100)!r}); nothing to check"
        out += [Outcome(n, False, why) for n in SUBNAMES[1:]]
        return out

    reports = w.reports
    cells = list(_csv_cells(reports))
    carried = sum(
        1 for _, _, c in cells if "cmd|" in c or "HYPERLINK(" in c or "(1+1)" in c or "=1+1" in c
    )
    for key, prefix in PREFIXES.items():
        bad = [
            (path, i, c) for path, i, c in cells if c.startswith(prefix) and not NUMBER.fullmatch(c)
        ]
        if bad:
            path, i, c = bad[0]
            detail = f"{len(bad)} cell(s), e.g. {short_path(str(path), w)} row {i}: {c[:40]!r}"
            out.append(Outcome(f"csv-no-cell-starting-{key}", False, detail))
        elif carried == 0:
            out.append(
                Outcome(
                    f"csv-no-cell-starting-{key}",
                    False,
                    "vacuous: no planted formula reached any CSV",
                )
            )
        else:
            out.append(
                Outcome(
                    f"csv-no-cell-starting-{key}",
                    True,
                    f"{len(cells)} cells checked, {carried} carry a planted formula",
                )
            )

    md = _files(reports, "tables/*.md")
    for name, pat in (
        ("md-no-script-tag", r"<script"),
        ("md-no-img-tag", r"<img"),
        ("md-no-onerror", r"<[^<>]*\bonerror\s*="),
    ):
        ok, detail = _scan(md, re.compile(pat, re.I), w)
        out.append(Outcome(name, ok, detail))
    ok, detail = _md_pipes(md, w)
    out.append(Outcome("md-table-pipes-escaped", ok, detail))

    html = [reports / "report.html"] if (reports / "report.html").is_file() else []
    for name, pat in (
        ("html-no-script-from-data", r"<script>\s*alert\("),
        ("html-no-img-from-data", r"<img\s+src=x"),
        ("html-no-onerror", r"<[^<>]*\bonerror\s*="),
    ):
        if not html:
            out.append(Outcome(name, False, "no report.html"))
            continue
        ok, detail = _scan(html, re.compile(pat, re.I), w)
        out.append(Outcome(name, ok, detail))
    ok, detail = _scan(
        _files(reports, "figures/*.svg"), re.compile(r"<script|<[^<>]*\bonerror\s*=", re.I), w
    )
    out.append(Outcome("svg-no-script-or-handler", ok, detail))
    ok, detail = _scan(_files(reports, "tables/*.tex"), re.compile(r"\\input\{|\\write18"), w)
    out.append(Outcome("tex-no-commands-from-data", ok, detail))

    import pandas as pd

    seg_path = w.processed / "segments.parquet"
    frame = pd.read_parquet(seg_path) if seg_path.is_file() else None
    for key in EXACT:
        name = f"parquet-exact-{key}"
        if frame is None:
            out.append(Outcome(name, False, "no segments.parquet"))
            continue
        want = PAYLOADS[key]
        rows = frame[frame["segment_id"].isin(plan[key])]
        got = sorted(set(rows["text"].astype(str)))
        if len(rows) and got == [want]:
            out.append(Outcome(name, True, f"{len(rows)} rows keep {want[:24]!r}..."))
        else:
            shown = got[0][:40] if got else "(segments missing)"
            out.append(Outcome(name, False, f"expected {want[:40]!r}, found {shown!r}"))
    assert all(raw_segments.get(s) for s in plan["equals"])

    d = diff_states(outside_project(before), outside_project(after))
    stray = stray_writes(before, after)
    if stray:
        d = (
            d + "; " if d else ""
        ) + f"written in the project outside its study's output folders: {stray[:3]}"
    out.append(
        Outcome(
            "nothing-outside-project", not d, d or "victim and inputs unchanged, outputs confined"
        )
    )
    return out
