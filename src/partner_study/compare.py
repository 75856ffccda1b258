"""How two versions of a file differ, in a line or two a reviewer can act on.

Layer 2 (reads files; imports only pandas and the standard library). Used by
:func:`partner_study.verify.verify` to explain, for every output a rerun does not
reproduce byte for byte, what changed:

- CSV and Parquet tables: columns or rows added and removed, the largest numeric
  difference (row, column, old -> new value) and the first differing text cell;
- SVG figures: whether their text differs, only their coordinates (and the largest
  coordinate difference), only their element ids (clip paths), or other markup;
- notebooks: the first differing cell and which part of it (source, outputs, metadata);
- other text (HTML, Markdown, LaTeX, YAML, JSON): the first differing line;
- anything else (PDF, PNG, TIFF, DOCX): that the bytes differ, with both sizes.

:func:`changed_inputs` lists the inputs (path -> sha256) that differ from a record, as
``dvc status`` does.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_COMPARED_BYTES",
    "explain",
    "compare_tables",
    "compare_frames",
    "compare_svg",
    "compare_notebooks",
    "compare_text",
    "changed_inputs",
    "changed_packages",
]

#: Files larger than this are compared by size only (a cell-by-cell comparison of a
#: huge file would cost more than the rerun it explains).
MAX_COMPARED_BYTES = 64 * 1024 * 1024

#: Longest value or line excerpt shown.
SHOWN = 60

_TEXT_SUFFIXES = {".html", ".htm", ".md", ".tex", ".txt", ".yaml", ".yml", ".json", ".xml"}


# --------------------------------------------------------------------------------- entry
def explain(old: Path | str, new: Path | str) -> list[str]:
    """How ``new`` differs from ``old``, chosen by the file's suffix.

    Parameters
    ----------
    old, new : path-like
        The two versions of one file (e.g. the committed output and the rerun's).

    Returns
    -------
    list of str
        One to three short lines; empty when the files are the same bytes. Files larger
        than :data:`MAX_COMPARED_BYTES` are not read: their sizes are given.
    """
    old, new = Path(old), Path(new)
    try:
        size_old, size_new = old.stat().st_size, new.stat().st_size
    except OSError as exc:
        return [f"cannot be compared ({exc.strerror or exc})"]
    if max(size_old, size_new) > MAX_COMPARED_BYTES:
        return [f"bytes differ ({_size(size_old)} -> {_size(size_new)}); too large to compare"]
    if size_old == size_new and old.read_bytes() == new.read_bytes():
        return []
    suffix = new.suffix.lower()
    structured = {
        ".csv": compare_tables,
        ".parquet": _compare_parquet,
        ".svg": lambda a, b: compare_svg(_read_text(a), _read_text(b)),
        ".ipynb": lambda a, b: compare_notebooks(_read_text(a), _read_text(b)),
    }
    if suffix in structured:
        try:
            return structured[suffix](old, new)
        except Exception:  # noqa: BLE001 - not what its name says: compared as text or bytes
            pass
    if suffix in _TEXT_SUFFIXES or suffix in (".csv", ".svg", ".ipynb"):
        try:
            return compare_text(_read_text(old), _read_text(new))
        except (OSError, ValueError):
            pass
    return [f"binary, differs ({_size(size_old)} -> {_size(size_new)})"]


def _read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def _size(n: int) -> str:
    return f"{n:,} bytes"


def _show(value: Any) -> str:
    """A value as it is shown in a message: quoted text, shortened."""
    text = "<missing>" if _missing(value) else str(value)
    if len(text) > SHOWN:
        text = text[: SHOWN - 1] + "…"
    return repr(text)


def _missing(value: Any) -> bool:
    try:
        return bool(value is None or value != value)  # NaN, pd.NA
    except (TypeError, ValueError):
        return False


def _number(value: float) -> str:
    return f"{value:.6g}"


# --------------------------------------------------------------------------------- tables
def compare_tables(old: Path | str, new: Path | str) -> list[str]:
    """How the CSV table ``new`` differs from ``old`` (read as text, every cell kept)."""
    import pandas as pd

    def read(path: Path | str) -> pd.DataFrame:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", engine="c")

    lines = compare_frames(read(old), read(new))
    return lines or ["same cells; the bytes differ (quoting, line ends or encoding)"]


def _compare_parquet(old: Path, new: Path) -> list[str]:
    import pandas as pd

    lines = compare_frames(pd.read_parquet(old), pd.read_parquet(new), first_row=1)
    return lines or ["same values; the bytes differ (file metadata or encoding)"]


def compare_frames(old: Any, new: Any, *, first_row: int = 2) -> list[str]:
    """How the table ``new`` differs from ``old``.

    Parameters
    ----------
    old, new : DataFrame
        The two versions. Cells that read as numbers in both are compared as numbers,
        the others as text.
    first_row : int
        Number shown for the first row (2: a CSV file's first data row, under its header,
        as a spreadsheet counts).

    Returns
    -------
    list of str
        Columns added or removed; rows added or removed (by the text columns that
        identify a row, when they do, else by position); the largest numeric difference
        with its row, column and values; the first differing text cell. Empty when every
        cell is equal.
    """
    import pandas as pd

    lines: list[str] = []
    added = [c for c in new.columns if c not in old.columns]
    removed = [c for c in old.columns if c not in new.columns]
    if added:
        lines.append(f"column{'s' if len(added) > 1 else ''} added: {_names(added)}")
    if removed:
        lines.append(f"column{'s' if len(removed) > 1 else ''} removed: {_names(removed)}")
    common = [c for c in old.columns if c in new.columns]
    old = old[common].reset_index(drop=True)
    new = new[common].reset_index(drop=True)
    rows_old, rows_new = len(old), len(new)
    key = _row_key(old, new, leading_only=rows_old == rows_new)
    if key is not None:
        index_old = pd.MultiIndex.from_frame(old[key].astype(str))
        index_new = pd.MultiIndex.from_frame(new[key].astype(str))
        gone = index_old.difference(index_new, sort=False)
        came = index_new.difference(index_old, sort=False)
        if len(came):
            lines.append(
                f"{len(came):,} row{'s' if len(came) > 1 else ''} added "
                f"(first: {_key_label(key, came[0])})"
            )
        if len(gone):
            lines.append(
                f"{len(gone):,} row{'s' if len(gone) > 1 else ''} removed "
                f"(first: {_key_label(key, gone[0])})"
            )
        keep_old = ~index_old.isin(gone)
        keep_new = ~index_new.isin(came)
        numbers = pd.Index(range(rows_old))[keep_old]
        matched = index_new[keep_new].get_indexer(index_old[keep_old])
        old = old[keep_old].reset_index(drop=True)
        new = new[keep_new].reset_index(drop=True).iloc[matched].reset_index(drop=True)
    elif rows_old != rows_new:
        lines.append(
            f"{rows_new - rows_old:+,} rows ({rows_old:,} -> {rows_new:,}); rows compared "
            "by position"
        )
        n = min(rows_old, rows_new)
        old, new = old.iloc[:n], new.iloc[:n]
        numbers = pd.RangeIndex(n)
    else:
        numbers = pd.RangeIndex(rows_old)
    lines += _cell_differences(old, new, numbers + first_row)
    return lines


def _as_text(column: Any) -> Any:
    """A column's cells as texts (a missing value as ``<missing>``), for comparison."""
    cells = column.astype(object)
    return cells.where(cells.notna(), "<missing>").astype(str).to_numpy()


def _names(columns: list[Any]) -> str:
    shown = ", ".join(repr(str(c)) for c in columns[:5])
    return shown + (f" and {len(columns) - 5} more" if len(columns) > 5 else "")


def _numeric(column: Any) -> Any:
    """A column as floats (NaN where a cell is not a number)."""
    import pandas as pd
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    if is_numeric_dtype(column) and not is_bool_dtype(column):
        return column.astype("float64")
    if column.dtype == object or pd.api.types.is_string_dtype(column):
        return pd.to_numeric(column.astype(str).str.strip(), errors="coerce")
    return pd.Series(float("nan"), index=column.index)


def _is_fraction(column: Any) -> bool:
    """Whether a column holds a number that is not whole (a value, never part of a key)."""
    import numpy as np

    values = _numeric(column).to_numpy()
    finite = values[np.isfinite(values)]
    return bool((finite != np.round(finite)).any())


def _text_columns(frame: Any) -> list[Any]:
    """Columns with no cell that reads as a number (ids, names, labels)."""
    return [c for c in frame.columns if not _numeric(frame[c]).notna().any()]


def _row_key(old: Any, new: Any, *, leading_only: bool = False) -> list[Any] | None:
    """Columns that identify a row in both tables, or None: the shortest run of leading
    columns (texts or whole numbers, up to the first fraction) whose values are unique,
    else (unless ``leading_only``) all the text columns if theirs are. Text columns
    further right may be values (a note): with as many rows on each side, rows are then
    better compared by position than reported removed and added for a changed note."""
    leading: list[Any] = []
    for c in old.columns:
        if _is_fraction(old[c]) or _is_fraction(new[c]):
            break
        leading.append(c)
        if not old.duplicated(leading).any() and not new.duplicated(leading).any():
            return leading
    if leading_only:
        return None
    key = [c for c in _text_columns(old) if c in _text_columns(new)]
    if key and not old.duplicated(key).any() and not new.duplicated(key).any():
        return key
    return None


def _key_label(key: list[Any], values: Any) -> str:
    values = values if isinstance(values, tuple) else (values,)
    shown = [f"{k}={_show(v)[1:-1]}" for k, v in zip(key, values, strict=False) if str(v) != ""]
    return ", ".join(shown[:4]) + (", …" if len(shown) > 4 else "") if shown else "-"


def _row_label(old: Any, new: Any, i: int, number: int, column: Any) -> str:
    """``row N (a=x, b=y)``: the row's number (in the old table),
    with the values of the columns that lead the table and are equal in both versions: up
    to four, ending at the differing column or at the first fraction (a value, not a key)."""
    parts: list[str] = []
    for c in old.columns:
        if c == column or len(parts) == 4:
            break
        a, b = old[c].iloc[i], new[c].iloc[i]
        if str(a) != str(b):
            break
        value = float(_numeric(old[c].iloc[i : i + 1]).iloc[0])
        if not math.isnan(value) and not (math.isfinite(value) and value == int(value)):
            break
        if str(a) != "":
            parts.append(f"{c}={_show(a)[1:-1]}")
    label = f"row {int(number)}"
    return f"{label} ({', '.join(parts)})" if parts else label


def _cell_differences(old: Any, new: Any, numbers: Any) -> list[str]:
    """The largest numeric difference and the first differing text cell of two tables
    with the same columns and rows."""
    import numpy as np

    best: tuple[float, int, Any] | None = None
    n_numeric = 0
    numeric_columns: set[Any] = set()
    first_text: tuple[int, int, Any] | None = None  # (row, column order, column)
    n_text = 0
    formatted = 0
    for order, c in enumerate(old.columns):
        a, b = old[c], new[c]
        na, nb = _numeric(a), _numeric(b)
        both = (na.notna() & nb.notna()).to_numpy()
        same_value = (na.to_numpy() == nb.to_numpy()) | (na.isna() & nb.isna()).to_numpy()
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.where(both, np.abs(na.to_numpy() - nb.to_numpy()), 0.0)
        differs = both & ~same_value
        if differs.any():
            n_numeric += int(differs.sum())
            numeric_columns.add(c)
            i = int(np.argmax(np.where(differs, diff, -1.0)))
            if best is None or diff[i] > best[0]:
                best = (float(diff[i]), i, c)
        text_a, text_b = _as_text(a), _as_text(b)
        unequal = text_a != text_b
        formatted += int((unequal & both & same_value).sum())
        text = unequal & ~both
        if text.any():
            n_text += int(text.sum())
            i = int(np.argmax(text))
            if first_text is None or (i, order) < first_text[:2]:
                first_text = (i, order, c)
    lines = []
    if best is not None:
        value, i, c = best
        shown = "infinite" if math.isinf(value) else _number(value)
        where = _row_label(old, new, i, numbers[i], c)
        lines.append(
            f"largest numeric difference {shown} in {where}, column {str(c)!r}: "
            f"{old[c].iloc[i]} -> {new[c].iloc[i]} ({n_numeric:,} numeric cell"
            f"{'s' if n_numeric > 1 else ''} differ{'s' if n_numeric == 1 else ''} in "
            f"{len(numeric_columns)} column{'s' if len(numeric_columns) > 1 else ''})"
        )
    if first_text is not None:
        i, _, c = first_text
        where = _row_label(old, new, i, numbers[i], c)
        lines.append(
            f"text differs in {n_text:,} cell{'s' if n_text > 1 else ''}, first in {where}, "
            f"column {str(c)!r}: {_show(old[c].iloc[i])} -> {_show(new[c].iloc[i])}"
        )
    if not lines and formatted:
        lines.append(f"same numbers; {formatted:,} cells are written differently (e.g. 1.0 -> 1)")
    return lines


# --------------------------------------------------------------------------------- SVG
#: A number in SVG markup: not part of a name (``patch_10``), a colour (``#0072B2``) or
#: another number.
_SVG_NUMBER = re.compile(r"(?<![\w#.])-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_SVG_ID = re.compile(r'\bid="([^"]*)"')
_SVG_TEXT = re.compile(r"<!--(.*?)-->|<text\b[^>]*>(.*?)</text>", re.S)
_TAG = re.compile(r"<[^>]*>")


def compare_svg(old: str, new: str) -> list[str]:
    """How the SVG markup ``new`` differs from ``old``.

    Three questions are answered apart: does the text differ (``<text>`` elements, and
    the comments matplotlib writes with each text it draws as paths); do the element ids
    differ (clip paths, glyphs), with everything else equal once ids are numbered in
    order of appearance; do the numbers differ (coordinates, sizes), with everything else
    equal once numbers are masked, and by how much at most.

    Returns
    -------
    list of str
        One line per kind of difference found, most telling first.
    """
    lines: list[str] = []
    text_old, text_new = _svg_texts(old), _svg_texts(new)
    if text_old != text_new:
        lines.append("text differs: " + _first_item_difference(text_old, text_new))
    bare_old, bare_new = _SVG_TEXT.sub("", old), _SVG_TEXT.sub("", new)
    ids_old, ids_new = _svg_ids(bare_old), _svg_ids(bare_new)
    plain_old, plain_new = _renumber_ids(bare_old, ids_old), _renumber_ids(bare_new, ids_new)
    if plain_old == plain_new:
        if bare_old != bare_new:
            renamed = sum(1 for a, b in zip(ids_old, ids_new, strict=False) if a != b)
            lines.append(
                f"only element ids differ ({renamed} of {len(ids_new)} ids, e.g. clip paths); "
                "the drawing is the same"
            )
        return lines or ["same drawing; the bytes differ (white space or encoding)"]
    nums_old = _SVG_NUMBER.findall(plain_old)
    nums_new = _SVG_NUMBER.findall(plain_new)
    skeleton_old = _SVG_NUMBER.sub("0", plain_old)
    skeleton_new = _SVG_NUMBER.sub("0", plain_new)
    if skeleton_old == skeleton_new and len(nums_old) == len(nums_new):
        largest, where, n = 0.0, 0, 0
        for i, (a, b) in enumerate(zip(nums_old, nums_new, strict=True)):
            if a != b:
                n += 1
                d = abs(float(a) - float(b))
                if d > largest or n == 1:
                    largest, where = d, i
        if n:
            lines.append(
                f"only coordinates differ ({n:,} of {len(nums_new):,} numbers), the largest "
                f"by {_number(largest)}: {nums_old[where]} -> {nums_new[where]}"
            )
        elif not lines:
            lines.append("same numbers; the numbers are written differently")
        return lines
    lines.append(
        "markup differs beyond coordinates and ids: "
        + _first_line_difference(skeleton_old, skeleton_new, shown=(bare_old, bare_new))
    )
    return lines


def _svg_texts(markup: str) -> list[str]:
    out = []
    for comment, text in _SVG_TEXT.findall(markup):
        value = comment if comment else _TAG.sub("", text)
        out.append(" ".join(value.split()))
    return out


def _svg_ids(markup: str) -> list[str]:
    seen: dict[str, None] = {}
    for name in _SVG_ID.findall(markup):
        seen.setdefault(name, None)
    return list(seen)


def _renumber_ids(markup: str, ids: list[str]) -> str:
    """``markup`` with every id and reference to it (``#id``) named by its order."""
    if not ids:
        return markup
    names = {name: f"id{i}" for i, name in enumerate(ids)}
    pattern = re.compile(
        r'(\bid="|#)('
        + "|".join(re.escape(n) for n in sorted(ids, key=len, reverse=True))
        + r')(?=["\)\s])'
    )
    return pattern.sub(lambda m: m.group(1) + names[m.group(2)], markup)


def _first_item_difference(old: list[str], new: list[str]) -> str:
    for i, (a, b) in enumerate(zip(old, new, strict=False)):
        if a != b:
            return f"{_show(a)} -> {_show(b)} (text {i + 1} of {len(new)})"
    if len(new) > len(old):
        return f"{len(new) - len(old)} more text(s), first {_show(new[len(old)])}"
    return f"{len(old) - len(new)} text(s) fewer, first gone {_show(old[len(new)])}"


# --------------------------------------------------------------------------------- notebooks
def compare_notebooks(old: str, new: str) -> list[str]:
    """The first cell of notebook ``new`` that differs from ``old``, and in which part."""
    cells_old = json.loads(old)["cells"]
    cells_new = json.loads(new)["cells"]
    differing = [i for i, (a, b) in enumerate(zip(cells_old, cells_new, strict=False)) if a != b]
    lines = []
    if len(cells_old) != len(cells_new):
        lines.append(f"{len(cells_old)} -> {len(cells_new)} cells")
    if differing:
        i = differing[0]
        a, b = cells_old[i], cells_new[i]
        parts = [
            part
            for part in ("cell_type", "source", "outputs", "metadata", "execution_count")
            if a.get(part) != b.get(part)
        ]
        kind = b.get("cell_type", "?")
        more = f"; {len(differing) - 1} more cell(s) differ" if len(differing) > 1 else ""
        head = f"first difference in cell {i + 1} ({kind}): {', '.join(parts) or 'other keys'}"
        lines.append(head + more)
        for part in parts:
            if part in ("source", "outputs"):
                lines.append(
                    f"{part}: " + _first_line_difference(_cell_text(a, part), _cell_text(b, part))
                )
                break
    elif not lines:
        lines.append("same cells; notebook metadata or formatting differs")
    return lines


def _cell_text(cell: Mapping[str, Any], part: str) -> str:
    value = cell.get(part, "")
    if part == "source":
        return "".join(value) if isinstance(value, list) else str(value)
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False)


# --------------------------------------------------------------------------------- text
def compare_text(old: str, new: str) -> list[str]:
    """The first line of ``new`` that differs from ``old``."""
    return [_first_line_difference(old, new)]


def _first_line_difference(old: str, new: str, *, shown: tuple[str, str] | None = None) -> str:
    """Where ``old`` and ``new`` first differ, by line. ``shown``: texts with the same lines
    to show instead (e.g. the markup whose masked form is compared)."""
    a, b = old.splitlines(), new.splitlines()
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            if shown is not None:
                x, y = shown[0].splitlines()[i], shown[1].splitlines()[i]
            ex, ey = _excerpts(x, y)
            return f"line {i + 1}: {ex} -> {ey}"
    if len(a) != len(b):
        n = min(len(a), len(b))
        more = b[n] if len(b) > len(a) else a[n]
        what = "added" if len(b) > len(a) else "removed"
        return f"{abs(len(b) - len(a))} line(s) {what} after line {n}, first {_show(more)}"
    return "same lines; line ends or a final newline differ"


def _excerpts(a: str, b: str) -> tuple[str, str]:
    """Both lines shown from shortly before where they start to differ."""
    start = len(os.path.commonprefix([a, b]))
    begin = max(0, start - 20)
    lead = "…" if begin else ""
    return _show(lead + a[begin:]), _show(lead + b[begin:])


# --------------------------------------------------------------------------------- inputs
def changed_inputs(
    recorded: Mapping[str, str], current: Mapping[str, str], *, digits: int = 12
) -> list[str]:
    """Inputs (path -> sha256) that differ from a record, one line each.

    Examples
    --------
    >>> changed_inputs({"a.csv": "ab12" * 16}, {"a.csv": "cd34" * 16})
    ['changed input: a.csv (sha256 ab12ab12ab12… in the manifest, cd34cd34cd34… now)']
    """
    lines = []
    for key in sorted(set(recorded) | set(current)):
        old, new = recorded.get(key), current.get(key)
        if new is None:
            lines.append(f"missing input: {key} (in the manifest, not on disk)")
        elif old is None:
            lines.append(f"new input: {key} (not in the manifest)")
        elif old != new:
            lines.append(
                f"changed input: {key} (sha256 {str(old)[:digits]}… in the manifest, "
                f"{new[:digits]}… now)"
            )
    return lines


def changed_packages(
    recorded: Mapping[str, str], current: Mapping[str, str], *, limit: int = 5
) -> list[str]:
    """Installed distributions (name -> version) that differ from a record: at most
    ``limit`` lines, then a count of the others."""
    lines = []
    for name in sorted(set(recorded) | set(current)):
        old, new = recorded.get(name), current.get(name)
        if old == new:
            continue
        if new is None:
            lines.append(f"package {name} {old} in the manifest, not installed now")
        elif old is None:
            lines.append(f"package {name} {new} installed now, not in the manifest")
        else:
            lines.append(f"package {name} {old} in the manifest, {new} now")
    if len(lines) > limit:
        lines = lines[:limit] + [f"... and {len(lines) - limit} more package differences"]
    return lines
