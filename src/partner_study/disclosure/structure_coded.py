"""What the qualitative and integration tables release: cells, sums, percentages.

Layer 3 (analysis), part of :mod:`partner_study.disclosure` (the survey tables and the
conventions are in :mod:`~partner_study.disclosure.structure`).

Codes (``codes``, ``codes-by-site``)
    A cell per theme or code and group: participants raising it (protected), with its
    segments and percentage. Facts: the groups add up to ``all`` (the same ``all`` rows in
    both tables); a theme is raised by at least as many participants (and segments) as
    any of its codes and at most by their sum; participants are at most the segments and
    at most the group's coded participants, the denominator of the percentages.
Co-occurrence (``cooccurrence``)
    A cell per pair of codes: participants (protected) and segments, at least as many.
Joint display (``joint-display-roles``, ``joint-display``)
    The shares of the codes table's theme rows by role again, with each role's coded
    participants; an interval, stance, difference, test or meta-inference printed beside
    a hidden share gives it away.
Survey side of the joint display (``joint-display-statistics``)
    The participants of each engagement level (and of all levels) raising a theme, as a
    percentage of the level's printed size; the participants with a score who did and did
    not raise a theme, which add up to those with a score.
Regression by site (``regression-by-site``)
    The respondents of each site (or pooled group of sites).
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

from partner_study.disclosure.release import Release
from partner_study.disclosure.structure import ALL, percent_decimals

__all__ = [
    "THEME_ROW",
    "codes_key",
    "size_key",
    "describe_codes",
    "apply_codes",
    "describe_cooccurrence",
    "apply_cooccurrence",
    "describe_joint_roles",
    "describe_joint_display",
    "describe_statistics",
    "apply_statistics",
    "describe_regression_by_site",
]

#: ``code`` of a theme row (as :data:`partner_study.qualitative.THEME_ROW`).
THEME_ROW = "(theme)"
_STATISTICS = "joint-display-statistics"
#: Columns of the wide joint display that compare two shares (empty beside a hidden one).
_COMPARISONS = (
    "difference_pp",
    "ci_low",
    "ci_high",
    "p_value",
    "stance_a",
    "stance_b",
    "meta_inference",
)


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "").astype(str)


def _num(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype("float64")


def _snake(label: object) -> str:
    """The column-name form of an engagement level (as :mod:`partner_study.integrate`)."""
    text = unicodedata.normalize("NFKD", str(label)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")


# --------------------------------------------------------------------------- codes


def _group_column(frame: pd.DataFrame) -> str:
    if "role" in frame.columns and "site" in frame.columns:
        return "role+site"
    return "role" if "role" in frame.columns else "site"


def _groups(frame: pd.DataFrame, dim: str) -> pd.Series:
    if dim == "role+site":
        site, role = _text(frame["site"]), _text(frame["role"])
        return (site + "/" + role).where(~(site.eq(ALL) & role.eq(ALL)), ALL)
    return _text(frame[dim])


def codes_key(theme: Any, code: Any, dim: str, group: Any, what: str = "participants") -> tuple:
    """Key of a count of a codes table (``what``: participants or segments); the ``all``
    group is the same count in every codes table."""
    return ("codes", what, theme, code, "*" if group == ALL else dim, group)


def size_key(dim: str, group: Any) -> tuple:
    """Key of a group's coded participants (the codes tables' denominators)."""
    return ("codes", "coded", "*" if group == ALL else dim, group)


def _sizes(frame: pd.DataFrame, groups: pd.Series) -> dict[str, float]:
    """Coded participants per group, from the true percentages."""
    n, pct = _num(frame["n_participants"]), _num(frame["pct_participants"])
    ok = (pct > 0) & n.notna()
    size = (100.0 * n[ok] / pct[ok]).round()
    return {str(g): float(v) for g, v in size.groupby(groups[ok]).max().items()}


def describe_codes(release: Release, table: pd.DataFrame, *, name: str) -> None:
    """Add a codes table (``theme, code, <role|site>, n_segments, n_participants,
    pct_participants``) to ``release``."""
    dim = _group_column(table)
    theme, code = _text(table["theme"]), _text(table["code"])
    group = _groups(table, dim)
    n_part, n_seg = _num(table["n_participants"]), _num(table["n_segments"])
    pct = _num(table["pct_participants"])
    decimals = percent_decimals(pct)
    groups = list(pd.unique(group))
    parts = [g for g in groups if g != ALL]
    if not release.released:
        for g, size in _sizes(table, group).items():
            release.unit(size_key(dim, g), size, (name, "coded participants", g), fixed=True)
    for t, c, g, p, s, pc in zip(theme, code, group, n_part, n_seg, pct, strict=True):
        key = codes_key(t, c, dim, g)
        seg = codes_key(t, c, dim, g, "segments")
        release.unit(key, p, (name, f"{t} / {c}", g), extras=[(seg, s)])
        release.at_most(key, [seg])
        release.at_most(key, [size_key(dim, g)])
        release.share(key, size_key(dim, g), pc, decimals=decimals, unit=key)
    if dim != "role+site" and parts and ALL in groups:
        release.equal(size_key(dim, ALL), [size_key(dim, g) for g in parts])
        for t, c in dict.fromkeys(zip(theme, code, strict=True)):
            for what in ("participants", "segments"):
                release.equal(
                    codes_key(t, c, dim, ALL, what), [codes_key(t, c, dim, g, what) for g in parts]
                )
    pairs = pd.DataFrame({"theme": theme, "code": code}).drop_duplicates()
    for t, sub in pairs.groupby("theme", sort=False):
        members = [c for c in sub["code"] if c != THEME_ROW]
        if THEME_ROW not in set(sub["code"]) or not members:
            continue
        for g in groups:
            for what in ("participants", "segments"):
                whole = codes_key(t, THEME_ROW, dim, g, what)
                each = [codes_key(t, c, dim, g, what) for c in members]
                for k in each:
                    release.at_most(k, [whole])
                release.at_most(whole, each)


def apply_codes(release: Release, table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with hidden cells' participants, segments and percentage empty."""
    out = table.copy()
    dim = _group_column(out)
    hidden = release.suppressed()
    mask = np.array(
        [
            codes_key(t, c, dim, g) in hidden
            for t, c, g in zip(
                _text(out["theme"]), _text(out["code"]), _groups(out, dim), strict=True
            )
        ],
        dtype=bool,
    )
    return _blank(out, mask, ["n_participants", "n_segments"], ["pct_participants"])


def _blank(
    frame: pd.DataFrame, mask: np.ndarray, counts: list[str], others: list[str]
) -> pd.DataFrame:
    for column in [*counts, *others]:
        frame[column] = _num(frame[column])
    frame.loc[mask, [*counts, *others]] = np.nan
    for column in counts:
        frame[column] = frame[column].astype("Int64")
    return frame


# --------------------------------------------------------------------------- co-occurrence


def describe_cooccurrence(release: Release, table: pd.DataFrame) -> None:
    """Add the co-occurrence table (``code_a, code_b, n_segments, n_participants``)."""
    a, b = _text(table["code_a"]), _text(table["code_b"])
    seg = _num(table["n_segments"])
    part = _num(table["n_participants"]) if "n_participants" in table.columns else seg * np.nan
    for x, y, s, p in zip(a, b, seg, part, strict=True):
        key, skey = ("cooccurrence", x, y), ("cooccurrence", "segments", x, y)
        release.unit(key, p, ("cooccurrence", f"{x} / {y}", "n_participants"), extras=[(skey, s)])
        release.at_most(key, [skey])


def apply_cooccurrence(release: Release, table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    hidden = release.suppressed()
    mask = np.array(
        [
            ("cooccurrence", x, y) in hidden
            for x, y in zip(_text(out["code_a"]), _text(out["code_b"]), strict=True)
        ],
        dtype=bool,
    )
    counts = [c for c in ("n_segments", "n_participants") if c in out.columns]
    return _blank(out, mask, counts, [])


# --------------------------------------------------------------------------- joint display


def describe_joint_roles(release: Release, table: pd.DataFrame) -> None:
    """Add the joint display by role (``theme, role, n_coded, n_mentioning,
    pct_mentioning``): the codes table's theme shares by role again; the interval and
    stance of a share, which must be empty where the share is hidden."""
    name = "joint-display-roles"
    coded_role = _num(table["n_coded"]) > 0
    hidden = coded_role & _num(table["pct_mentioning"]).isna()
    for column in ("ci_low", "ci_high", "stance"):
        if column in table.columns:
            leak = hidden & table[column].notna() & _text(table[column]).ne("")
            for t, r in zip(_text(table["theme"])[leak], _text(table["role"])[leak], strict=True):
                release.finding((name, f"{t} / {r}", column), f"{column} beside a suppressed share")
    for t, r, size, n, pct in zip(
        _text(table["theme"]),
        _text(table["role"]),
        _num(table["n_coded"]),
        _num(table["n_mentioning"]),
        _num(table["pct_mentioning"]),
        strict=True,
    ):
        if not (size > 0):  # a role nobody coded: nothing about anyone
            continue
        release.unit(size_key("role", r), size, (name, "coded participants", r), fixed=True)
        key = codes_key(t, THEME_ROW, "role", r)
        release.unit(key, n, (name, t, r))
        release.at_most(key, [size_key("role", r)])
        release.share(key, size_key("role", r), pct, decimals=None, unit=key)


def describe_joint_display(release: Release, table: pd.DataFrame) -> None:
    """Add the wide joint display: the shares of two roles (those of the codes table), the
    shares by engagement level (those of the survey side), and the comparison, which
    must be empty where a share is hidden."""
    name = "joint-display"
    theme = _text(table["theme"])
    for side in ("a", "b"):
        if f"role_{side}" not in table.columns or f"pct_{side}" not in table.columns:
            continue
        for i, (t, r, pct) in enumerate(
            zip(theme, _text(table[f"role_{side}"]), _num(table[f"pct_{side}"]), strict=True)
        ):
            if not r or math.isnan(pct):
                continue
            key = codes_key(t, THEME_ROW, "role", r)
            release.unit(key, math.nan, (name, t, f"pct_{side}"))
            release.share(key, size_key("role", r), pct, decimals=None, unit=key)
            del i
    if {"pct_a", "pct_b", "role_b"} <= set(table.columns):
        two = _text(table["role_b"]).ne("")
        one_hidden = _num(table["pct_a"]).isna() | _num(table["pct_b"]).isna()
        for column in _COMPARISONS:
            if column not in table.columns:
                continue
            leak = two & one_hidden & table[column].notna() & _text(table[column]).ne("")
            for t in theme[leak]:
                release.finding((name, t, column), f"{column} beside a suppressed share")
    for column in table.columns:
        if not str(column).startswith("pct_level_"):
            continue
        level = str(column).removeprefix("pct_level_")
        for t, pct in zip(theme, _num(table[column]), strict=True):
            if math.isnan(pct):
                continue
            key = ("statistics", t, level)
            release.unit(key, math.nan, (name, t, str(column)))
            release.share(key, ("statistics", "size", level), pct, decimals=None, unit=key)


def describe_statistics(release: Release, table: pd.DataFrame) -> None:
    """Add the survey side of the joint display (``theme, measure, group, value, n``)."""
    theme, measure, group = _text(table["theme"]), _text(table["measure"]), _text(table["group"])
    value, n = _num(table["value"]), _num(table["n"])
    is_pct = measure.eq("pct_mentioning")
    levels = [g for g in pd.unique(group[is_pct]) if g != ALL]
    lv = [_snake(g) for g in levels]
    sizes = pd.Series(n[is_pct].to_numpy(), index=group[is_pct].map(_snake).to_numpy())
    sizes = sizes[~sizes.index.duplicated()]
    shown_as = dict(zip(group[is_pct].map(_snake), group[is_pct], strict=True))
    for g, size in sizes.items():
        release.unit(
            ("statistics", "size", g),
            size,
            (_STATISTICS, "participants", shown_as[str(g)]),
            structural=True,
        )
    unlevelled = ("statistics", "size", "(no level)")
    if lv and ALL in sizes.index:
        if not release.released:
            release.quantity(unlevelled, float(sizes[ALL] - sizes[lv].sum()))
        release.equal(
            ("statistics", "size", ALL), [("statistics", "size", g) for g in lv] + [unlevelled]
        )
    for t, m, g, v, size in zip(
        theme[is_pct], measure[is_pct], group[is_pct], value[is_pct], n[is_pct], strict=True
    ):
        count = round(v * size / 100.0) if not (math.isnan(v) or math.isnan(size)) else math.nan
        if size == 0 or (not release.released and math.isnan(count)):
            count = 0.0  # an empty group: nobody to count
        key = ("statistics", t, _snake(g))
        release.unit(key, count, (_STATISTICS, f"{t}: {m}", g))
        release.at_most(key, [("statistics", "size", _snake(g))])
        release.share(key, ("statistics", "size", _snake(g)), v, decimals=None, unit=key)
    themes = list(pd.unique(theme))
    if lv and ALL in sizes.index:
        for t in themes:
            rest = ("statistics", "unlevelled", t)
            if not release.released:
                total = release.values[release.quantity(("statistics", t, ALL))]
                part = sum(release.values[release.quantity(("statistics", t, g))] for g in lv)
                release.quantity(rest, total - part)
            release.equal(("statistics", t, ALL), [("statistics", t, g) for g in lv] + [rest])
            release.at_most(rest, [unlevelled])
    means = ~is_pct
    for t, m, g, size in zip(theme[means], measure[means], group[means], n[means], strict=True):
        release.unit(("statistics", "scored", t, m, g), size, (_STATISTICS, f"{t}: {m}", g))
    for t, m in dict.fromkeys(zip(theme[means], measure[means], strict=True)):
        said, silent = (
            ("statistics", "scored", t, m, "mentioned"),
            ("statistics", "scored", t, m, "not_mentioned"),
        )
        if said not in release or silent not in release:
            continue
        scored = ("statistics", "scored", m)
        if not release.released:
            release.quantity(
                scored, release.values[release.index(said)] + release.values[release.index(silent)]
            )
        release.equal(scored, [said, silent])
        if ALL in sizes.index:
            release.at_most(said, [("statistics", t, ALL)])
            release.fact(
                [(silent, 1.0), (("statistics", t, ALL), 1.0), (("statistics", "size", ALL), -1.0)],
                -math.inf,
                0.0,
            )
            release.at_most(scored, [("statistics", "size", ALL)])


def apply_statistics(release: Release, table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with hidden percentages, group sizes and mean scores (with their n) empty."""
    out = table.copy()
    hidden = release.suppressed()
    theme, measure, group = _text(out["theme"]), _text(out["measure"]), _text(out["group"])
    is_pct = measure.eq("pct_mentioning").to_numpy()
    value_hidden = np.array(
        [
            (("statistics", t, _snake(g)) if p else ("statistics", "scored", t, m, g)) in hidden
            for t, m, g, p in zip(theme, measure, group, is_pct, strict=True)
        ],
        dtype=bool,
    )
    n_hidden = np.array(
        [
            (("statistics", "size", _snake(g)) in hidden)
            if p
            else (("statistics", "scored", t, m, g) in hidden)
            for t, m, g, p in zip(theme, measure, group, is_pct, strict=True)
        ],
        dtype=bool,
    )
    out["value"] = _num(out["value"])
    out["n"] = _num(out["n"])
    out.loc[value_hidden, "value"] = np.nan
    out.loc[n_hidden, "n"] = np.nan
    out["n"] = out["n"].astype("Int64")
    return out


# --------------------------------------------------------------------------- regression


def describe_regression_by_site(release: Release, table: pd.DataFrame) -> None:
    """Add the respondents of each site (or pooled group) of the regression by site."""
    if "n" not in table.columns or "site" not in table.columns:
        return
    first = table.drop_duplicates("site")
    for site, n in zip(_text(first["site"]), _num(first["n"]), strict=True):
        release.unit(("regression-by-site", site), n, ("regression-by-site", site, "n"))
