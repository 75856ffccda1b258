"""The self-contained HTML page of the report.

Layer 4. :func:`build_report` returns the HTML as a string (the writer saves it); it
reads no file. The page opens offline: CSS inline, SVG figures inline, PNG figures as
``data:`` URIs, no external fonts, scripts or links. The same inputs give the same
string (no dates, sorted package versions), so the report's hash in the manifest only
changes when a result does.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from partner_study.errors import Problem, StudyDataError
from partner_study.report.captions import default_captions
from partner_study.report.footer import _provenance_markup
from partner_study.report.graphics import _figure_markup
from partner_study.report.names import CAPTION_COLUMNS
from partner_study.tables import column_alignment

__all__ = ["build_report"]

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


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"


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


def _first_sentence(caption: str) -> str:
    """The caption's first sentence (for the table of contents), without its full stop."""
    match = re.match(r"(.+?[.:])(?:\s|$)", caption)
    text = match.group(1) if match else caption
    return text.rstrip(".:")
