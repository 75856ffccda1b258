"""Group ``tables``: participants/survey/segments with rows the reader must place right,
encodings, invisible characters, non-finite numbers, ragged rows, workbooks and files that
are not files."""

from __future__ import annotations

import os
import re

from fixtures import (
    col,
    garbage,
    make_fifo,
    read_rows,
    rows_text,
    write_rows,
    write_xlsx,
    xlsx_bomb,
)
from harness import STUDY, World, cli_case

G = "tables"
VALIDATE = ["validate", f"data/raw/{STUDY}"]
RUN = ["run", f"params/{STUDY}.yaml"]


def row(n: int) -> re.Pattern:
    return re.compile(rf"\brow {n}\b")


def column(name: str) -> re.Pattern:
    return re.compile(rf"column '{re.escape(name)}'|'{re.escape(name)}'")


def _valid_600(w: World, p) -> list[str]:
    return (
        []
        if "600 participants" in p.out
        else [f"stdout lacks '600 participants' ({p.out.strip()[:100]!r})"]
    )


def _edit(table: str, fn, encoding: str = "utf-8"):
    """Edit a table's rows with ``fn(rows)`` (returns rows or a full text)."""

    def setup(w: World) -> None:
        path = w.raw / f"{table}.csv"
        rows = read_rows(path)
        out = fn(rows)
        if isinstance(out, (str, bytes)):
            path.write_bytes(out if isinstance(out, bytes) else out.encode(encoding))
        else:
            write_rows(path, out, encoding)

    return setup


def _cell(rows, i: int, name: str, value: str):
    rows[i][col(rows, name)] = value
    return rows


def _set_segment_text(rows, i: int, text: str):
    """Give segment ``rows[i]`` (and every coder's row of that segment) ``text``."""
    sid = rows[i][col(rows, "segment_id")]
    t = col(rows, "text")
    for r in rows[1:]:
        if r and r[col(rows, "segment_id")] == sid:
            r[t] = text
    return rows


# ------------------------------------------------------------------------ row numbers
def _blank_then_bad(rows):
    rows = [list(r) for r in rows]
    rows[10][col(rows, "age")] = "abc"
    return rows_text(rows[:10]) + "\n" + rows_text(rows[10:])


for _args, _suffix in ((VALIDATE, ""), (RUN, "-run")):
    cli_case(
        G,
        f"blank-line-then-bad-row{_suffix}",
        args=_args,
        setup=_edit("participants", _blank_then_bad),
        mentions=["participants.csv", row(12), column("age")],
        forbidden=[row(11)],
    )


def _multiline_then_bad(rows):
    _set_segment_text(rows, 3, rows[3][col(rows, "text")] + "\nand a second line")
    rows[6][col(rows, "start")] = "abc"
    return rows


cli_case(
    G,
    "multiline-cell-then-bad-row",
    args=VALIDATE,
    setup=_edit("segments", _multiline_then_bad),
    mentions=["segments.csv", row(7), column("start")],
    forbidden=[row(8)],
)


def _blank_and_multiline(rows):
    _set_segment_text(rows, 2, rows[2][col(rows, "text")] + "\n\nafter an empty line")
    rows[9][col(rows, "end")] = "xyz"
    return rows_text(rows[:5]) + "\n" + rows_text(rows[5:])


# spreadsheet rows: header 1, records 1..4 rows 2..5, blank row 6, records 5.. from row 7
cli_case(
    G,
    "blank-line-and-multiline-then-bad-row",
    args=VALIDATE,
    setup=_edit("segments", _blank_and_multiline),
    mentions=["segments.csv", row(11), column("end")],
)


def _dup_header(name: str, table: str):
    def fn(rows):
        j = col(rows, name)
        for r in rows:
            r.append(r[j])
        return rows

    return _edit(table, fn)


for _args, _suffix in ((VALIDATE, ""), (RUN, "-run")):
    cli_case(
        G,
        f"duplicated-header-age{_suffix}",
        args=_args,
        setup=_dup_header("age", "participants"),
        mentions=["participants.csv", "'age'"],
        forbidden=["age.1"],
    )
cli_case(
    G,
    "duplicated-header-survey-item",
    args=VALIDATE,
    setup=_dup_header("eng_1", "survey"),
    mentions=["survey.csv", "'eng_1'"],
    forbidden=["eng_1.1"],
)
cli_case(
    G,
    "duplicated-header-segments-text",
    args=VALIDATE,
    setup=_dup_header("text", "segments"),
    mentions=["segments.csv", "'text'"],
    forbidden=["text.1"],
)

# -------------------------------------------------------------------------- encodings
cli_case(
    G,
    "utf16-with-bom",
    args=VALIDATE,
    setup=lambda w: (w.raw / "participants.csv").write_bytes(
        (w.raw / "participants.csv").read_text(encoding="utf-8").encode("utf-16")
    ),
    expect="error_or_ok",
    mentions=["participants.csv"],
    check=_valid_600,
)
cli_case(
    G,
    "utf16-le-without-bom",
    args=VALIDATE,
    setup=lambda w: (w.raw / "participants.csv").write_bytes(
        (w.raw / "participants.csv").read_text(encoding="utf-8").encode("utf-16-le")
    ),
    expect="error_or_ok",
    mentions=["participants.csv"],
    check=_valid_600,
)
cli_case(
    G,
    "utf16-bad-cell-row",
    args=VALIDATE,
    setup=_edit("participants", lambda rows: _cell(rows, 6, "age", "abc"), encoding="utf-16"),
    mentions=["participants.csv", row(7), column("age")],
)
for _args, _suffix in ((VALIDATE, ""), (RUN, "-run")):
    cli_case(
        G,
        f"latin1-cell{_suffix}",
        args=_args,
        setup=_edit(
            "participants",
            lambda rows: rows_text(_cell(rows, 4, "group_id", "FG-BÉ-01")),
            encoding="latin-1",
        ),
        mentions=["participants.csv", row(5)],
    )
cli_case(
    G,
    "nul-byte-in-cell",
    args=VALIDATE,
    setup=_edit("participants", lambda rows: _cell(rows, 3, "group_id", "FG\x00X")),
    mentions=["participants.csv", row(4)],
)
cli_case(
    G,
    "binary-garbage",
    args=VALIDATE,
    setup=lambda w: (w.raw / "participants.csv").write_bytes(garbage(4096, seed=5)),
    mentions=["participants.csv"],
)

# ----------------------------------------------------------------- invisible characters
_ZW = re.compile(r"200b", re.I)
for _args, _suffix in ((VALIDATE, ""), (RUN, "-run")):
    cli_case(
        G,
        f"zero-width-space-in-id{_suffix}",
        args=_args,
        setup=_edit("survey", lambda rows: _cell(rows, 2, "participant_id", rows[2][0] + "\u200b")),
        mentions=["survey.csv", row(3), _ZW],
        forbidden=["\u200b"],
    )
cli_case(
    G,
    "zero-width-space-in-header",
    args=VALIDATE,
    setup=_edit(
        "participants", lambda rows: (rows[0].__setitem__(col(rows, "age"), "age\u200b"), rows)[1]
    ),
    mentions=["participants.csv", _ZW],
    forbidden=["\u200b"],
)
cli_case(
    G,
    "bidi-override-in-id",
    args=VALIDATE,
    setup=_edit("segments", lambda rows: _cell(rows, 5, "participant_id", "\u202eBE-0001")),
    mentions=["segments.csv", row(6), re.compile("202e", re.I)],
    forbidden=["\u202e"],
)

# ------------------------------------------------------------------- non-finite numbers
for _value in ("inf", "nan", "-inf", "Infinity"):
    cli_case(
        G,
        f"age-{_value.lower()}",
        args=VALIDATE,
        setup=_edit("participants", lambda rows, v=_value: _cell(rows, 5, "age", v)),
        mentions=["participants.csv", row(6), column("age")],
    )
for _value in ("inf", "1e999", "NaN"):
    cli_case(
        G,
        f"survey-item-{_value.lower()}",
        args=VALIDATE,
        setup=_edit("survey", lambda rows, v=_value: _cell(rows, 4, "eng_1", v)),
        mentions=["survey.csv", row(5), column("eng_1")],
    )

# ---------------------------------------------------------------------- ragged rows
cli_case(
    G,
    "short-segments-row",
    args=VALIDATE,
    setup=_edit("segments", lambda rows: (rows.__setitem__(8, rows[8][:5]), rows)[1]),
    mentions=["segments.csv", row(9)],
)
cli_case(
    G,
    "long-participants-row",
    args=VALIDATE,
    setup=_edit("participants", lambda rows: (rows[10].append("extra"), rows)[1]),
    mentions=["participants.csv", row(11)],
)


def _unclosed_quote(rows):
    text = rows_text(rows)
    lines = text.split("\n")
    lines[5] = lines[5].replace(",FG-", ',"FG-', 1) if ",FG-" in lines[5] else lines[5] + ',"open'
    return "\n".join(lines)


cli_case(
    G,
    "unclosed-quote",
    args=VALIDATE,
    setup=_edit("participants", _unclosed_quote),
    mentions=["participants.csv", row(6)],
)

# ----------------------------------------------------------------------- bad values
cli_case(
    G,
    "role-not-a-level",
    args=VALIDATE,
    setup=_edit("participants", lambda rows: _cell(rows, 6, "role", "doctor")),
    mentions=["participants.csv", row(7), column("role")],
)
cli_case(
    G,
    "survey-out-of-range",
    args=VALIDATE,
    setup=_edit("survey", lambda rows: _cell(rows, 8, "eng_2", "7")),
    mentions=["survey.csv", row(9), column("eng_2")],
)
cli_case(
    G,
    "survey-unknown-participant",
    args=VALIDATE,
    setup=_edit("survey", lambda rows: _cell(rows, 3, "participant_id", "ZZ-9999")),
    mentions=["survey.csv", row(4), "ZZ-9999"],
)
cli_case(
    G,
    "segment-start-after-end",
    args=VALIDATE,
    setup=_edit("segments", lambda rows: _cell(rows, 10, "start", "999999")),
    mentions=["segments.csv", row(11)],
)
cli_case(
    G,
    "segment-negative-start",
    args=VALIDATE,
    setup=_edit("segments", lambda rows: _cell(rows, 11, "start", "-5")),
    mentions=["segments.csv", row(12), column("start")],
)
cli_case(
    G,
    "segment-unknown-code",
    args=VALIDATE,
    setup=_edit("segments", lambda rows: _cell(rows, 12, "code", "no_such_code")),
    mentions=["segments.csv", row(13), column("code")],
)


# -------------------------------------------------------------------------- workbooks
def _both(w: World) -> None:
    write_xlsx(w.raw / "participants.xlsx", read_rows(w.raw / "participants.csv"))


cli_case(
    G,
    "csv-and-xlsx-both-present",
    args=VALIDATE,
    setup=_both,
    mentions=["participants.csv", "participants.xlsx"],
)


def _formula(w: World) -> None:
    rows = read_rows(w.raw / "participants.csv")
    write_xlsx(w.raw / "participants.xlsx", rows, formulas={(3, col(rows, "age")): "=50+4"})
    (w.raw / "participants.csv").unlink()


for _args, _suffix in ((VALIDATE, ""), (RUN, "-run")):
    cli_case(
        G,
        f"xlsx-formula-without-value{_suffix}",
        args=_args,
        setup=_formula,
        mentions=["participants.xlsx", row(4), column("age")],
    )


def _xlsx_garbage(w: World) -> None:
    (w.raw / "participants.xlsx").write_bytes(b"PK\x03\x04" + garbage(8192, seed=9))
    (w.raw / "participants.csv").unlink()


cli_case(G, "xlsx-corrupt", args=VALIDATE, setup=_xlsx_garbage, mentions=["participants.xlsx"])


def _xlsx_bomb(w: World) -> None:
    xlsx_bomb(w.raw / "participants.xlsx", int(1.2 * 2**30))
    (w.raw / "participants.csv").unlink()


cli_case(
    G,
    "xlsx-zip-bomb-1.2gb",
    args=VALIDATE,
    setup=_xlsx_bomb,
    mentions=["participants.xlsx"],
    time_limit=15,
)

# ---------------------------------------------------------------------------- sizes
cli_case(
    G,
    "cell-10mb-segment-text",
    args=VALIDATE,
    setup=_edit("segments", lambda rows: _set_segment_text(rows, 1, "x" * 10_000_000)),
    expect="error_or_ok",
    mentions=["segments.csv"],
    time_limit=30,
)
cli_case(
    G,
    "cell-10mb-group-id",
    args=VALIDATE,
    setup=_edit("participants", lambda rows: _cell(rows, 1, "group_id", "g" * 10_000_000)),
    expect="error_or_ok",
    mentions=["participants.csv"],
    time_limit=30,
)
cli_case(
    G,
    "columns-20001",
    args=VALIDATE,
    setup=_edit(
        "participants",
        lambda rows: [
            r + [f"x{i}" if k == 0 else "" for i in range(20_001)] for k, r in enumerate(rows)
        ],
    ),
    expect="error_or_ok",
    mentions=["participants.csv"],
    time_limit=30,
)
cli_case(
    G,
    "million-blank-lines",
    args=VALIDATE,
    setup=_edit("participants", lambda rows: rows_text(rows) + "\n" * 1_000_000),
    expect="error_or_ok",
    mentions=["participants.csv"],
    check=_valid_600,
    time_limit=30,
)

# ------------------------------------------------------------------ files that are not
cli_case(
    G,
    "fifo-instead-of-file",
    args=VALIDATE,
    setup=lambda w: make_fifo(w.raw / "participants.csv"),
    mentions=["participants"],
    time_limit=10,
    timeout=30,
)
cli_case(
    G,
    "fifo-instead-of-file-run",
    args=RUN,
    setup=lambda w: make_fifo(w.raw / "survey.csv"),
    mentions=["survey"],
    time_limit=30,
    timeout=60,
)


def _loop(w: World) -> None:
    (w.raw / "participants.csv").unlink()
    os.symlink("participants.csv", w.raw / "participants.csv")


cli_case(G, "symlink-loop", args=VALIDATE, setup=_loop, mentions=["participants"])
cli_case(
    G,
    "table-is-a-folder",
    args=VALIDATE,
    setup=lambda w: ((w.raw / "survey.csv").unlink(), (w.raw / "survey.csv").mkdir()),
    mentions=["survey"],
)
cli_case(
    G,
    "empty-file",
    args=VALIDATE,
    setup=lambda w: (w.raw / "participants.csv").write_bytes(b""),
    mentions=["participants.csv"],
)
cli_case(
    G,
    "header-only",
    args=VALIDATE,
    setup=_edit("participants", lambda rows: rows[:1]),
    mentions=["participants.csv"],
)

# ------------------------------------------------------------- tolerated layouts
cli_case(
    G,
    "bom-and-semicolons",
    args=VALIDATE,
    setup=_edit("participants", lambda rows: "\ufeff" + rows_text(rows).replace(",", ";")),
    expect="ok",
    check=_valid_600,
)
cli_case(
    G,
    "cr-only-line-endings",
    args=VALIDATE,
    setup=_edit("participants", lambda rows: rows_text(rows).replace("\n", "\r")),
    expect="error_or_ok",
    mentions=["participants.csv"],
    check=_valid_600,
)


# ------------------------------------------------------------- messages stay readable
def _many_bad(rows):
    for r in rows[1:]:
        if r:
            r[col(rows, "age")] = "abc"
    return rows


cli_case(
    G,
    "message-bounded-600-bad-rows",
    args=VALIDATE,
    setup=_edit("participants", _many_bad),
    mentions=["participants.csv", row(2), column("age")],
    max_err_bytes=100_000,
)
cli_case(
    G,
    "message-bounded-1mb-cell",
    args=VALIDATE,
    setup=_edit("participants", lambda rows: _cell(rows, 2, "age", "9" * 1_000_000)),
    mentions=["participants.csv", row(3), column("age")],
    max_err_bytes=20_000,
)
cli_case(
    G,
    "message-bounded-1mb-header",
    args=VALIDATE,
    setup=_edit(
        "participants",
        lambda rows: [r + (["h" * 1_000_000] if k == 0 else [""]) for k, r in enumerate(rows)],
    ),
    mentions=["participants.csv"],
    max_err_bytes=20_000,
)
cli_case(
    G,
    "message-bounded-1mb-id",
    args=VALIDATE,
    setup=_edit("survey", lambda rows: _cell(rows, 2, "participant_id", "Z" * 1_000_000)),
    mentions=["survey.csv", row(3)],
    max_err_bytes=20_000,
)
