"""IMPORT.md: the record every importer writes beside the data, and what the CLI adds."""

import hashlib
from pathlib import Path

from partner_study import cli
from partner_study.io.record import ImportRecord


def test_record_counts_rows_by_reason_and_groups_identical_recodes(tmp_path):
    source = tmp_path / "export.csv"
    data = b"a,b\n1,2\n"
    source.write_bytes(data)
    rec = ImportRecord("demo", unit="responses")
    rec.source(source)
    rec.kept(7)
    rec.dropped(2, "unfinished", rows=[4, 9])
    rec.dropped(1, "unfinished", rows=[12])
    rec.dropped(0, "never shown")
    rec.removed("IPAddress", "identifying: IP address", identifying=True)
    rec.removed("Q1_DO", "display order")
    rec.recoded(["Q2_1"], {"10": 1})
    rec.recoded("Q2_2", {"10": 1})
    rec.guessed("a | b\u200b`c`")
    text = rec.render()
    assert text == rec.render()  # deterministic: no time, no folder
    assert f"| `export.csv` | export | `{hashlib.sha256(data).hexdigest()}` | 8 |" in text
    assert "- kept: 7 of 10\n- dropped: 3\n  - 3: unfinished (rows 4, 9, 12)\n" in text
    assert "never shown" not in text
    assert (
        "## Columns removed as identifying\n\n| column | why |\n|---|---|\n| `IPAddress` |" in text
    )
    assert "| `Q1_DO` | display order |" in text
    assert "| `Q2_1`, `Q2_2` | `10` -> `1` |" in text
    assert "- a \\| b\\u200b'c'" in text  # a cell cannot break the table or hide characters
    assert str(tmp_path) not in text
    assert rec.identifying == ["IPAddress"] and rec.dropped_counts == {"unfinished": 3}


def test_an_importer_without_a_record_gets_one_from_the_cli(tmp_path, capsys):
    redcap = Path(__file__).resolve().parent / "data" / "import" / "redcap"
    out = tmp_path / "rc"
    data, dictionary = redcap / "simple__data.csv", redcap / "simple__dictionary.csv"
    args = ["import", "redcap", str(data), "--dictionary", str(dictionary), "--out", str(out)]
    args += ["--site", "a", "--role", "b"]
    assert cli.main([*args, "--dry-run"]) == 0
    assert not out.exists()
    assert "| `simple__dictionary.csv` |" in capsys.readouterr().out
    assert cli.main(args) == 0
    record = (out / "IMPORT.md").read_text(encoding="utf-8")
    assert "- kept: 5 of 5" in record and "identifiers in the dictionary" in record
