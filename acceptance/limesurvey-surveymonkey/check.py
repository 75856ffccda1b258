"""Checks of one imported and run study (used by run.sh; not part of the package).

    check.py PROJECT STUDY [--absent TEXT ...] [--present TEXT ...]
                           [--same-as OTHER --items PREFIX]

- every ``--absent`` text (identifying values of the export) is found in no file under
  ``data/raw/STUDY``, ``data/processed/STUDY`` or ``reports/STUDY`` (bytes, Parquet too);
- no column listed under "Columns removed as identifying" in ``IMPORT.md`` is a column of
  the study's tables (raw CSV, processed Parquet, output tables);
- every ``--present`` text (question texts, answer labels) is in ``report.html``;
- ``--same-as``: the processed scale items (columns starting with ``--items``) equal those
  of study OTHER (the same battery exported another way).

Prints one line per check; exits 1 when one fails.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path

import pandas as pd


def _files(project: Path, study: str) -> list[Path]:
    folders = [project / "data" / "raw" / study, project / "data" / "processed" / study]
    folders.append(project / "reports" / study)
    return [p for f in folders if f.is_dir() for p in sorted(f.rglob("*")) if p.is_file()]


def _identifying_columns(record: str) -> list[str]:
    part = record.split("## Columns removed as identifying", 1)[-1].split("\n## ", 1)[0]
    return [m.group(1) for m in re.finditer(r"^\| `([^`]+)` \|", part, flags=re.M)]


def _columns(path: Path) -> list[str]:
    if path.suffix == ".parquet":
        return [str(c) for c in pd.read_parquet(path).columns]
    if path.suffix == ".csv":
        return [str(c) for c in pd.read_csv(path, nrows=0).columns]
    return []


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("project", type=Path)
    parser.add_argument("study")
    parser.add_argument("--absent", action="append", default=[])
    parser.add_argument("--present", action="append", default=[])
    parser.add_argument("--same-as")
    parser.add_argument("--items", default="")
    args = parser.parse_args()
    failed = 0
    files = _files(args.project, args.study)
    contents = {p: p.read_bytes() for p in files}
    for text in args.absent:
        hits = [str(p.relative_to(args.project)) for p, b in contents.items() if text.encode() in b]
        failed += bool(hits)
        print(f"  {'FAIL' if hits else 'ok  '} absent  {text!r}" + (f": in {hits}" if hits else ""))
    record = (args.project / "data" / "raw" / args.study / "IMPORT.md").read_text(encoding="utf-8")
    removed = _identifying_columns(record)
    tables = [p for p in files if p.suffix in (".csv", ".parquet")]
    leaked = sorted({c for p in tables for c in _columns(p)} & set(removed))
    failed += bool(leaked)
    print(
        f"  {'FAIL' if leaked else 'ok  '} {len(removed)} identifying column(s) removed "
        f"({', '.join(removed)}) are columns of no table" + (f": {leaked}" if leaked else "")
    )
    report = html.unescape(
        (args.project / "reports" / args.study / "report.html").read_text(encoding="utf-8")
    )
    for text in args.present:
        ok = text in report
        failed += not ok
        print(f"  {'ok  ' if ok else 'FAIL'} present {text!r} in report.html")
    if args.same_as:
        processed = args.project / "data" / "processed"
        a = pd.read_parquet(processed / args.study / "scored.parquet")
        b = pd.read_parquet(processed / args.same_as / "scored.parquet")
        cols = ["participant_id", *[c for c in a.columns if c.startswith(args.items)]]
        same = len(cols) > 1 and a[cols].equals(b[cols])
        failed += not same
        print(
            f"  {'ok  ' if same else 'FAIL'} processed {', '.join(cols[1:])} identical to "
            f"study {args.same_as}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
