"""Checks of one imported and run study (acceptance/importers/run.sh).

    python check.py PROJECT STUDY

1. The identifying columns IMPORT.md lists as removed: their names appear nowhere under
   data/raw/STUDY (but in IMPORT.md, which records them), data/processed/STUDY or
   reports/STUDY, and none of their values (the source export's cells) does either.
2. The report shows the platform's texts: every scale's statements (item labels) and
   answer labels of the codebook the import drafted, and the question texts (labels) of
   its variables other than free text.
Exit 0 when both hold; each failure is printed.
"""

from __future__ import annotations

import csv
import html
import io
import re
import sys
import zipfile
from pathlib import Path

import pandas as pd
import yaml

TEXT = {".csv", ".md", ".tex", ".html", ".json", ".svg", ".yaml", ".txt", ".ipynb"}


def _texts(folder: Path) -> dict[Path, str]:
    """Every file of a folder as text (Parquet as CSV, .docx as its XML)."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix in TEXT:
            out[path] = path.read_text(encoding="utf-8", errors="replace")
        elif path.suffix == ".parquet":
            out[path] = pd.read_parquet(path).to_csv()
        elif path.suffix == ".docx":
            with zipfile.ZipFile(path) as z:
                out[path] = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return out


def _identifying(record: str) -> list[str]:
    part = record.split("## Columns removed as identifying", 1)[1].split("\n## ", 1)[0]
    return [m.split(" (")[0] for m in re.findall(r"^\| `([^`]+)` \|", part, re.M)]


def _source_values(source: Path, columns: list[str]) -> set[str]:
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8-sig"), newline="")))
    header = rows[0]
    values = set()
    for name in columns:
        if name in header:
            j = header.index(name)
            values |= {r[j].strip() for r in rows[3:] if j < len(r) and len(r[j].strip()) >= 4}
    return values


def main(project: Path, study: str, source: Path | None) -> int:
    raw = project / "data" / "raw" / study
    record = (raw / "IMPORT.md").read_text(encoding="utf-8")
    columns = _identifying(record)
    files = {}
    for folder in (raw, project / "data" / "processed" / study, project / "reports" / study):
        files.update(_texts(folder))
    failures = []
    values = _source_values(source, columns) if source and source.suffix == ".csv" else set()
    for path, text in files.items():
        for name in columns:
            if name in text and path.name != "IMPORT.md":
                failures.append(f"{path}: holds the identifying column name '{name}'")
        for value in values:
            if value in text:
                failures.append(f"{path}: holds the identifying value '{value}'")
    report = html.unescape(re.sub(r"<[^>]+>", " ", (project / "reports" / study / "report.html")
                                  .read_text(encoding="utf-8")))  # fmt: skip
    report = " ".join(report.split())
    codebook = yaml.safe_load((raw / "codebook.yaml").read_text(encoding="utf-8"))
    shown = []
    for name, scale in (codebook.get("scales") or {}).items():
        wanted = [*(scale.get("item_labels") or {}).values(), *(scale.get("labels") or {}).values()]
        for text in wanted:
            if " ".join(str(text).split()) not in report:
                failures.append(f"report.html: does not show '{text}' (scale {name})")
            else:
                shown.append(text)
    for name, var in (codebook.get("variables") or {}).items():
        label = var.get("label") if isinstance(var, dict) else None
        if label and var.get("type") != "text":
            if " ".join(str(label).split()) not in report:
                failures.append(f"report.html: does not show '{label}' (variable {name})")
            else:
                shown.append(label)
    for failure in failures:
        print(f"FAILED: {failure}")
    print(
        f"{study}: {len(columns)} identifying column(s) removed ({', '.join(columns) or 'none'}); "
        f"{len(values)} of their values and their names found in none of {len(files)} output "
        f"files (names only in IMPORT.md); report shows {len(shown)} question, statement "
        f"and answer texts of the platform{' (e.g. ' + repr(shown[0]) + ')' if shown else ''}."
        if not failures
        else f"{study}: {len(failures)} failure(s)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(main(Path(args[0]), args[1], Path(args[2]) if len(args) > 2 else None))
