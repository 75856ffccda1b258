"""The n each caption states, counted from the rows each table or figure shows.

Layer 4. :func:`caption_counts` reads the tidy tables of a run (no file) and gives the
counts :func:`partner_study.report.captions.default_captions` states.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from partner_study.disclosure import printed_total

__all__ = ["caption_counts"]


def _str_keys(series: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in series.items()}


def _by_role(counts: Mapping[str, int]) -> dict[str, int]:
    """Per-role counts without the margin when roles are shown; the margin alone else."""
    roles = {k: int(v) for k, v in counts.items() if k != "all" and int(v) > 0}
    return roles or ({"all": int(counts["all"])} if "all" in counts else {})


def _coded(codes: pd.DataFrame) -> dict[str, int]:
    """Coded participants per group, the denominators of the codes table's percentages."""
    group = "role" if "role" in codes.columns else None
    theme = codes[(codes["code"] == "(theme)") & (pd.to_numeric(codes["pct_participants"]) > 0)]
    if "site" in codes.columns and group and theme["site"].eq("all").any():
        theme = theme[theme["site"] == "all"]
    total = (
        pd.to_numeric(theme["n_participants"]) * 100 / pd.to_numeric(theme["pct_participants"])
    ).round()
    keys = theme[group].astype(str) if group else pd.Series("all", index=theme.index)
    return {str(k): int(v) for k, v in total.groupby(keys).max().items()}


def caption_counts(tables: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """The n each caption states, keyed by table or figure name, computed from the rows
    that table or figure shows.

    - ``characteristics``: participants per role (Table 1's column headers).
    - ``likert`` and ``likert-<scale>``: per role, the largest number of answers to one
      item (of every scale, or of that scale), as the printed counts and percentages tell it.
    - ``scales-by-role``: per role, the largest number of respondents with a score (its
      ``n`` column); ``items-by-role`` and ``item-differences`` the same, for the roles
      they compare (they compare the respondents with a score).
    - ``reliability``, ``regression``, ``regression-forest``, ``regression-sensitivity``:
      the largest n of the table's rows (its n column gives each row's).
    - ``codes``, ``cooccurrence``, ``quotes``, ``themes-by-role``, ``joint-display``:
      coded participants per role (the denominators of the percentages).
    - ``site-heterogeneity``, ``site-effects``: respondents over the site models.
    A name with nothing to count is left out, and its caption states no n.
    """
    out: dict[str, Any] = {}
    char = tables.get("characteristics")
    if char is not None and len(char):
        rows = char[(char["variable"] == "participants") & char["n"].notna()]
        out["characteristics"] = {
            str(r): int(n) for r, n in zip(rows["role"], rows["n"], strict=True)
        }
    likert = tables.get("likert")
    if likert is not None and len(likert):
        cells = likert.assign(
            n=pd.to_numeric(likert["n"]),
            percent=pd.to_numeric(likert["percent"]),
            role=likert["role"].astype(str),
        )
        per_item = (
            cells.groupby(["scale", "item", "role"], sort=False)[["n", "percent"]]
            .apply(lambda c: printed_total(c["n"], c["percent"]))
            .rename("n")
            .dropna()
            .reset_index()
        )
        out["likert"] = _by_role(_str_keys(per_item.groupby("role", sort=False)["n"].max()))
        for scale, rows in per_item.groupby("scale", sort=False):
            counts = _str_keys(rows.groupby("role", sort=False)["n"].max())
            out[f"likert-{scale}"] = _by_role(counts)
    by_role = tables.get("scales-by-role")
    if by_role is not None and len(by_role) and "n" in by_role.columns:
        n = pd.to_numeric(by_role["n"], errors="coerce")
        most = n.groupby(by_role["role"].astype(str), sort=False).max().dropna()
        per_role = _by_role(_str_keys(most))
        if per_role:
            out["scales-by-role"] = per_role
            items = tables.get("items-by-role")
            if items is not None and len(items):
                compared = set(items["role"].astype(str))
                counts = {r: v for r, v in per_role.items() if r in compared}
                out["items-by-role"] = out["item-differences"] = counts
    for name in ("reliability", "regression", "regression-sensitivity"):
        frame = tables.get(name)
        if frame is not None and len(frame) and "n" in frame.columns:
            n = pd.to_numeric(frame["n"], errors="coerce").max()
            if pd.notna(n) and n > 0:
                out[name] = int(n)
    if "regression" in out:
        out["regression-forest"] = out["regression"]
        frame = tables["regression"]
        kind = frame["model"].astype(str).str.removeprefix("joint_")
        n = pd.to_numeric(frame["n"], errors="coerce")
        for k, value in n.groupby(kind).max().items():
            if pd.notna(value) and value > 0:
                out["regression-" + str(k).replace("_", "-")] = int(value)
    by_site = tables.get("regression-by-site")
    if by_site is not None and len(by_site) and "n" in by_site.columns:
        first = by_site[by_site["term"] == by_site["term"].iloc[0]]
        total = pd.to_numeric(first["n"], errors="coerce").sum()
        if total > 0:
            out["site-heterogeneity"] = out["site-effects"] = int(total)
    codes = tables.get("codes")
    if codes is not None and len(codes) and "pct_participants" in codes.columns:
        coded = _by_role(_coded(codes))
        if coded:
            for name in ("codes", "cooccurrence", "quotes", "themes-by-role", "joint-display"):
                out[name] = coded
    return out
