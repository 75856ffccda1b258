"""Typed values: each declared variable's text converted to its type, Likert items to
their scale.

Layer 2. A category accepts its codes and its labels; a number must be finite and within
the declared bounds; a Likert item a whole number in the scale's range or one of its
response labels (case and spaces ignored). Declared missing codes and empty cells become
missing values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from partner_study.codebook import Scale, Variable
from partner_study.validate._collect import _Collector

__all__: list[str] = []


def _typed_values(
    col: _Collector, file: str, values: pd.Series, var: Variable, cb_name: str
) -> pd.Series:
    """Convert one text column by its codebook declaration; record problems."""
    text = values.str.strip()
    missing = text.eq("") | text.isin(var.missing)
    if var.type == "text":
        return text.where(~missing)
    if var.type == "category":
        levels = var.levels or {}
        label_of = {**{v: v for v in levels.values()}, **levels}
        mapped = text.map(label_of)
        bad = ~missing & mapped.isna()
        shown = ", ".join(f"{k}={v}" if k != v else k for k, v in levels.items())
        col.rows(
            file,
            bad,
            text,
            var.column,
            f"one of the levels of '{var.name}' ({shown})",
            f"correct the value, or declare it under variables.{var.name}.levels "
            f"(or its missing codes) in {cb_name}",
        )
        return mapped.where(~missing & ~bad).astype(object)
    numbers = pd.to_numeric(text.where(~missing), errors="coerce")
    bad_num = ~missing & numbers.isna()
    # 'inf' and 'nan' read as numbers that are not: no statistic can use them
    nonfinite = ~missing & (
        np.isinf(numbers) | (bad_num & text.str.lower().isin(["nan", "+nan", "-nan"]))
    )
    bad_num &= ~nonfinite
    col.rows(
        file,
        bad_num,
        text,
        var.column,
        f"a number{' (whole)' if var.type == 'integer' else ''}",
        f"correct the value, leave the cell empty, or declare the code under "
        f"variables.{var.name}.missing in {cb_name}",
    )
    col.rows(
        file,
        nonfinite,
        text,
        var.column,
        "a finite number",
        "write the value as a number, or leave the cell empty if it is not known",
    )
    ok = ~missing & ~bad_num & ~nonfinite
    if var.type == "integer":
        frac = ok & (numbers % 1 != 0)
        col.rows(
            file,
            frac,
            text,
            var.column,
            "a whole number",
            "round the value or declare the variable as type: number",
        )
        ok &= ~frac
    lo, hi = var.min, var.max
    if lo is not None or hi is not None:
        out = ok & (
            (numbers < (lo if lo is not None else -np.inf))
            | (numbers > (hi if hi is not None else np.inf))
        )
        rng = f"{lo if lo is not None else '-inf'}-{hi if hi is not None else 'inf'}"
        col.rows(
            file,
            out,
            text,
            var.column,
            f"a value in {rng}",
            f"correct the value, or add it to 'missing' for {var.name} in {cb_name}",
        )
        ok &= ~out
    return numbers.where(ok).astype(float)


def _likert_block(
    col: _Collector, file: str, raw: pd.DataFrame, items: list[str], scale: Scale, cb_name: str
) -> pd.DataFrame:
    """Convert all of a scale's item columns at once (one vectorised pass); record problems."""
    n = len(raw)
    flat = pd.Series(raw[items].to_numpy(dtype=object).ravel(order="F")).astype(str).str.strip()
    missing = flat.eq("") | flat.isin(scale.missing)
    # A cell may hold a response's declared label ("Agree") as well as its code: case and
    # spaces ignored.
    by_label = {_label_key(label): str(code) for code, label in scale.labels.items()}
    if by_label:
        coded = _label_keys(flat).map(by_label)
        flat_codes = flat.where(coded.isna(), coded)
    else:
        flat_codes = flat
    numbers = pd.to_numeric(flat_codes.where(~missing), errors="coerce")
    not_number = ~missing & numbers.isna()
    out_of_range = (
        ~missing
        & ~not_number
        & ((numbers % 1 != 0) | (numbers < scale.low) | (numbers > scale.high))
    )
    bad = not_number | out_of_range
    values = (
        numbers.where(~missing & ~bad).astype(float).to_numpy().reshape((n, len(items)), order="F")
    )
    labels = ", ".join(f"{k}: {v}" for k, v in scale.labels.items())
    expected = (
        f"a whole number in {scale.low}-{scale.high}"
        + (f" or one of the labels {{{labels}}}" if labels else "")
        + f" (scale '{scale.name}'), or an empty cell"
    )
    fixes = (
        (
            not_number,
            f"correct the value; if it is a response label, declare the scale's labels "
            f"(scales.{scale.name}.labels: {{{scale.low}: ..., {scale.high}: ...}}) in "
            f"{cb_name}; only a code that means 'not answered' belongs in 'missing'",
        ),
        (
            out_of_range,
            f"correct the value; if the scale has more points, widen scales.{scale.name}."
            f"range in {cb_name} (and its labels)",
        ),
    )
    text = flat.to_numpy().reshape((n, len(items)), order="F")
    for mask, fix in fixes:
        block = mask.to_numpy().reshape((n, len(items)), order="F")
        for j in np.flatnonzero(block.any(axis=0)):
            col.rows(file, block[:, j], pd.Series(text[:, j]), items[j], expected, fix)
    if n and not bad.any() and not np.isfinite(values).any():
        # Every cell empty or a declared missing code: the scale would have no score, and
        # its tables no answer.
        codes = f" or one of its missing codes {list(scale.missing)}" if scale.missing else ""
        col.add(
            file=file,
            row=col.header_row(file),
            column=items[0],
            found=(
                f"no answer to any item of scale '{scale.name}' ({', '.join(items)}) in "
                f"{n:,} row(s): every cell is empty{codes}"
            ),
            expected=f"answers {scale.low}-{scale.high} to at least one item of the scale",
            fix=(
                f"check that these columns hold the answers of '{scale.name}' (an export may "
                f"leave a question's columns empty) and that scales.{scale.name}.missing in "
                f"{cb_name} lists only codes that mean 'not answered'; if the scale was not "
                "asked, remove it from the codebook"
            ),
        )
    return pd.DataFrame(values, columns=items, index=raw.index)


def _label_key(label: str) -> str:
    return " ".join(str(label).split()).casefold()


def _label_keys(values: pd.Series) -> pd.Series:
    return values.str.split().str.join(" ").str.casefold()
