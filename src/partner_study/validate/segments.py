"""Validation of the coded segments table.

Layer 2. Each row is one segment coded by one coder with one code: ids filled and free of
invisible characters, participants known, codes declared in the codebook, character
offsets whole and ordered, each (segment, coder, code) once, and one participant per
segment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from partner_study.codebook import Codebook
from partner_study.config import VALENCES
from partner_study.validate._collect import _Collector, _invisible, _isin, _unknown_ids
from partner_study.validate.columns import (
    _SEGMENT_REQUIRED,
    SEGMENT_COLUMNS,
    SEGMENT_OPTIONAL,
    _check_columns,
)

__all__: list[str] = []


def _validate_segments(
    col: _Collector,
    file: str,
    raw: pd.DataFrame,
    cb: Codebook,
    cb_name: str,
    known_ids: set[str] | None,
    pfile: str,
) -> pd.DataFrame:
    if not _check_columns(
        col,
        file,
        raw,
        _SEGMENT_REQUIRED,
        (*SEGMENT_COLUMNS, *SEGMENT_OPTIONAL),
        cb_name,
        "required by the data contract",
    ):
        return pd.DataFrame()
    get = {
        c: (
            raw[c].astype(str).str.strip()
            if c in raw.columns
            else pd.Series("", index=raw.index, dtype="str")
        )
        for c in SEGMENT_COLUMNS
    }
    col.rows(
        file,
        get["segment_id"].eq(""),
        get["segment_id"],
        "segment_id",
        "a segment id",
        "give every coded segment an id",
    )
    for c, what in (("segment_id", "a segment id"), ("document", "a document name")):
        _invisible(col, file, get[c], c, what)
    _invisible(col, file, get["coder"], "coder", "a coder name")
    ids = get["participant_id"]
    _unknown_ids(col, file, ids, "participant_id", known_ids, pfile)
    code = get["code"]
    col.rows(
        file,
        ~_isin(code, list(cb.codes)),
        code,
        "code",
        "a code declared under codes: in codebook.yaml",
        f"correct the spelling, or declare the code with its theme in {cb_name}",
        found="undeclared code '{}'",
    )
    coder = get["coder"].where(get["coder"].ne(""), "coder_1")
    positions = {}
    for c in ("start", "end"):
        if c in raw.columns:
            vals = pd.to_numeric(get[c].where(get[c].ne("")), errors="coerce")
            bad = get[c].ne("") & (vals.isna() | (vals % 1 != 0) | (vals < 0))
            col.rows(
                file,
                bad,
                get[c],
                c,
                "a whole number of characters >= 0 (or empty)",
                "correct the offset or leave it empty",
            )
            positions[c] = vals.where(~bad)
        else:
            positions[c] = pd.Series(np.nan, index=raw.index)
    inverted = (
        positions["start"].notna()
        & positions["end"].notna()
        & (positions["start"] > positions["end"])
    )
    col.rows(
        file, inverted, get["end"], "end", "end >= start", "swap start and end or correct them"
    )
    key = pd.DataFrame({"s": get["segment_id"], "c": coder, "k": code})
    dup = key.duplicated() & get["segment_id"].ne("")
    col.rows(
        file,
        dup,
        get["segment_id"],
        "segment_id",
        "each (segment_id, coder, code) once",
        "remove the repeated row",
        found="segment '{}' coded twice with the same code by the same coder",
    )
    owners = pd.DataFrame({"s": get["segment_id"], "p": ids}).drop_duplicates()
    multi = owners["s"].duplicated(keep=False) & owners["s"].ne("")
    if multi.any():
        bad = _isin(get["segment_id"], owners.loc[multi, "s"]) & ids.ne(
            get["segment_id"].map(owners.drop_duplicates("s").set_index("s")["p"])
        )
        col.rows(
            file,
            bad,
            get["segment_id"],
            "participant_id",
            "one participant per segment_id",
            "give segments of different participants different ids",
            found="segment '{}' also assigned to another participant",
        )
    out = pd.DataFrame(
        {
            "segment_id": get["segment_id"],
            "participant_id": ids,
            "document": get["document"],
            "start": positions["start"].astype("Int64"),
            "end": positions["end"].astype("Int64"),
            "coder": coder,
            "code": code,
            "text": raw["text"].astype(str) if "text" in raw.columns else "",
        }
    )
    if "valence" in raw.columns:  # a stance code per segment (optional; empty: none)
        valence = raw["valence"].astype(str).str.strip().str.lower()
        col.rows(
            file,
            valence.ne("") & ~_isin(valence, list(VALENCES)),
            raw["valence"].astype(str),
            "valence",
            f"a stance code: one of {', '.join(VALENCES)}, or an empty cell (no stance coded)",
            "correct the stance code (case does not matter), or leave the cell empty",
        )
        out["valence"] = valence
    return out
