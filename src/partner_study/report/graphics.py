"""Figures inside the report: SVG inlined, PNG embedded as a ``data:`` URI.

Layer 4. Inlined SVG loses its XML prolog, metadata and external references, and its ids
are prefixed so that several figures' definitions never clash: the page opens offline.
"""

from __future__ import annotations

import base64
import html
import re

from partner_study.errors import Problem, StudyDataError

__all__: list[str] = []

_PNG = b"\x89PNG\r\n\x1a\n"


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
