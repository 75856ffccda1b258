"""The provenance section that ends the report.

Layer 4. What :func:`partner_study.provenance.report_provenance` returns, as an HTML
footer: the commit, what differs from it, short hashes of the package source, notebooks,
parameters and lock, Python, and where the manifest lists everything in full.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

__all__: list[str] = []


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
