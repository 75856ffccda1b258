"""Qualitative code statistics, co-occurrence, exemplar quotes and the disclosure gate.

Layer 3 (analysis): functions take the processed ``segments`` and ``participants``
frames (schemas in ``docs/data-contract.md``) and return new tidy frames. Nothing
here reads or writes files.

Counting unit
-------------
``segments`` holds one row per coded segment **per coder per code**. A segment
(``segment_id``) coded by two coders is one stretch of text, so every count here
is taken over the *union of coders*: a segment counts once for a code when at
least one coder applied that code to it. Intercoder agreement lives in
:mod:`partner_study.agreement`.

Disclosure gate
---------------
Quotes leave the study only through :func:`partner_study.disclosure.redact_text`
(re-exported here as :func:`redact_text`), which replaces e-mail and web addresses,
phone numbers, dates, health and national identifiers, postcodes, participant ids and the
names of a roster with ``[email]``, ``[url]``, ``[phone]``, ``[date]``, ``[id]``,
``[postcode]`` and ``[name]``. :func:`select_quotes` applies it to every quote and
:func:`disclosure_report` states what was removed and checks, names of the roster
included, that nothing detectable is left.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import sparse

from partner_study.arrays import isin
from partner_study.disclosure import (
    REDACTION_KINDS,
    pool_small_groups,
    redact_text,
    suppress_codes,
)
from partner_study.errors import ParamsError, Problem, StudyDataError

__all__ = [
    "silent_members",
    "THEME_ROW",
    "REDACTION_KINDS",
    "table_codes",
    "code_tables",
    "table_cooccurrence",
    "themes_by_role",
    "redact_text",
    "select_quotes",
    "disclosure_report",
    "check_disclosure",
]

#: Value of ``code`` on the theme-level rows of :func:`table_codes`.
THEME_ROW = "(theme)"

_ALL = "all"
_CODES_COLUMNS = ["theme", "code", "n_segments", "n_participants", "pct_participants"]
_COOC_COLUMNS = ["code_a", "code_b", "n_segments", "n_participants"]
_QUOTE_COLUMNS = [
    "theme",
    "code",
    "role",
    "pseudonym",
    "site",
    "segment_id",
    "quote",
    "n_redactions",
]


# --------------------------------------------------------------------------- helpers


def _require(frame: pd.DataFrame, columns: Iterable[str], *, name: str) -> None:
    """Raise StudyDataError when ``frame`` lacks any of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise StudyDataError(
            Problem(
                file=f"{name} (data frame)",
                found=f"no column(s) {', '.join(repr(c) for c in missing)}",
                expected=f"the {name} columns of the data contract",
                fix=f"build '{name}' with partner_study.io (stage 01-prepare) "
                "or add the missing column(s)",
            )
        )


def _attach(
    coded: pd.DataFrame, participants: pd.DataFrame, columns: Sequence[str]
) -> pd.DataFrame:
    """Add participant columns (role, site, ...) from the roster; unknown ids are an error."""
    _require(participants, ["participant_id", *columns], name="participants")
    roster = participants[["participant_id", *columns]].drop_duplicates("participant_id")
    # Row of each coded id in the roster, from one factorisation of both id columns (a
    # merge or isin on a million text ids costs seconds).
    ids = pd.concat([roster["participant_id"], coded["participant_id"]], ignore_index=True)
    codes = pd.factorize(ids)[0]
    lookup = np.full(max(int(codes.max(initial=-1)) + 1, 1), -1, dtype=np.int64)
    lookup[codes[: len(roster)][codes[: len(roster)] >= 0]] = np.flatnonzero(
        codes[: len(roster)] >= 0
    )
    wanted = codes[len(roster) :]
    pos = np.where(wanted >= 0, lookup[np.maximum(wanted, 0)], -1)
    unknown = pd.unique(coded.loc[pos < 0, "participant_id"])
    if len(unknown):
        shown = ", ".join(repr(str(u)) for u in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise StudyDataError(
            Problem(
                file="segments (data frame)",
                column="participant_id",
                found=f"{shown}{more}",
                expected="participant ids listed in participants",
                fix="add the participant(s) to participants.csv or correct segments.csv",
            )
        )
    out = coded.reset_index(drop=True)
    for column in columns:
        out[column] = roster[column].array.take(pos)
    return out


def _group_order(values: pd.Series) -> pd.Series:
    """Sort key putting the margin ``"all"`` after the real groups."""
    return values.astype(str).where(values != _ALL, "\uffff")


def _check_by(by: str | Sequence[str]) -> list[str]:
    keys = [by] if isinstance(by, str) else list(by)
    if not keys or any(k not in ("role", "site") for k in keys) or len(set(keys)) != len(keys):
        raise ParamsError(f"by={by!r} is not supported; use 'role', 'site' or ('site', 'role')")
    return keys


# --------------------------------------------------------------------------- code tables


def table_codes(
    segments: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    by: str | Sequence[str] = "role",
) -> pd.DataFrame:
    """Segments and participants per code and theme, by role (or site).

    Parameters
    ----------
    segments : DataFrame
        Coded segments (segment_id, participant_id, theme, code; one row per
        segment per coder per code).
    participants : DataFrame
        Roster with participant_id and the ``by`` columns (role, site). Role and
        site are taken from here.
    by : {"role", "site"} or sequence of them
        Grouping column(s). ``("site", "role")`` gives both columns.

    Returns
    -------
    DataFrame
        One row per theme, code and group, zeros included, sorted by theme, code
        (the theme row first) and group (``"all"`` last):

        - ``theme`` : str
        - ``code`` : str, or ``"(theme)"`` for the theme as a whole (any of its codes)
        - ``role`` and/or ``site`` : str, the group, ``"all"`` for the margin
        - ``n_segments`` : int, distinct segments carrying the code
        - ``n_participants`` : int, distinct participants with at least one such segment
        - ``pct_participants`` : float, ``100 * n_participants / N_g`` (full precision;
          round when printing)

    Notes
    -----
    ``N_g`` is the number of participants of group ``g`` with at least one coded
    segment (any code), so percentages answer "of those who were interviewed and
    coded, how many raised this". A segment coded by several coders counts once
    (union of coders). Theme rows count a segment or participant once however many
    of the theme's codes they carry, so they are not sums of the code rows.
    Groups with no coded participant are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> seg = pd.DataFrame({"segment_id": ["s1", "s1", "s2"], "participant_id": ["a", "a", "b"],
    ...                     "theme": ["t", "t", "t"], "code": ["c", "c", "c"],
    ...                     "coder": ["A", "B", "A"]})
    >>> ppl = pd.DataFrame({"participant_id": ["a", "b"], "role": ["carer", "nurse"],
    ...                     "site": ["BE", "BE"]})
    >>> table = table_codes(seg, ppl)
    >>> table.query("code == 'c' and role == 'all'")[["n_segments", "n_participants"]]
       n_segments  n_participants
    5           2               2
    """
    keys = _check_by(by)
    _require(segments, ["segment_id", "participant_id", "theme", "code"], name="segments")
    coded = segments[["segment_id", "participant_id", "theme", "code"]].dropna()
    seg = pd.factorize(coded["segment_id"])[0]
    part, part_names = pd.factorize(coded["participant_id"])
    # units: (theme, code) pairs, then whole themes
    theme, theme_names = pd.factorize(coded["theme"])
    code, code_names = pd.factorize(coded["code"])
    pair, pair_keys = pd.factorize(theme.astype(np.int64) * max(len(code_names), 1) + code)
    pair_theme = theme_names.take(pair_keys // max(len(code_names), 1))
    pair_code = code_names.take(pair_keys % max(len(code_names), 1))
    n_units = len(pair_keys) + len(theme_names)
    silent = silent_members(part_names, participants)
    people = _attach(pd.DataFrame({"participant_id": [*part_names, *silent]}), participants, keys)
    if not len(seg):
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in _codes_columns(keys)})
    units = pd.DataFrame(
        {
            "theme": np.concatenate([np.asarray(pair_theme), np.asarray(theme_names)]),
            "code": np.concatenate(
                [np.asarray(pair_code), np.full(len(theme_names), THEME_ROW, dtype=object)]
            ),
        }
    )
    unit = np.concatenate([pair, theme + len(pair_keys)])
    seg, part = np.concatenate([seg, seg]), np.concatenate([part, part])
    # union of coders: one row per (segment, unit); one per (participant, unit)
    seg_unit = _distinct(seg.astype(np.int64) * n_units + unit)
    seg_rows = (seg_unit % n_units, _first_part(seg, part)[seg_unit // n_units])
    part_unit = _distinct(part.astype(np.int64) * n_units + unit)
    part_rows = (part_unit % n_units, part_unit // n_units)

    parts = []
    for collapse in itertools.product((False, True), repeat=len(keys)):
        margin = {k: _ALL for k, c in zip(keys, collapse, strict=True) if c}
        labels = people[keys].assign(**margin)
        g = labels.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
        groups = labels.drop_duplicates()  # first appearance, the order of ngroup(sort=False)
        n_groups = len(groups)
        n_seg = np.bincount(seg_rows[0] * n_groups + g[seg_rows[1]], minlength=n_units * n_groups)
        n_part = np.bincount(
            part_rows[0] * n_groups + g[part_rows[1]], minlength=n_units * n_groups
        )
        denominator = np.bincount(g, minlength=n_groups)
        block = units.merge(groups, how="cross")
        block["n_segments"] = n_seg
        block["n_participants"] = n_part
        block["pct_participants"] = 100.0 * n_part / np.tile(denominator, n_units)
        parts.append(block)
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(
        ["theme", "code", *keys],
        key=lambda s: _group_order(s) if s.name in keys else s,
        kind="mergesort",
    )
    out = out.astype({c: "str" for c in ["theme", "code", *keys]})
    return out[_codes_columns(keys)].reset_index(drop=True)


def _group_sizes(table: pd.DataFrame, by: str) -> dict[str, int]:
    """Coded participants of each group of a :func:`table_codes` table (its denominators,
    from the theme rows' counts and full-precision percentages)."""
    rows = table[
        (table["code"] == THEME_ROW) & (table[by] != _ALL) & (table["pct_participants"] > 0)
    ]
    size = (100.0 * rows["n_participants"] / rows["pct_participants"]).round()
    return {str(g): int(v) for g, v in size.groupby(rows[by].astype(str)).max().items()}


def code_tables(
    segments: pd.DataFrame, participants: pd.DataFrame, *, suppress_below: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The codes tables by role and by site (:func:`table_codes`), as they may be released.

    Parameters
    ----------
    segments, participants : DataFrame
        As for :func:`table_codes`.
    suppress_below : int
        The disclosure threshold (``describe.suppress_below``); 0 or 1: off.

    Returns
    -------
    (DataFrame, DataFrame)
        ``tables/codes`` (by role) and ``tables/codes-by-site``. Sites with fewer than
        ``suppress_below`` coded participants are pooled into one group,
        :data:`partner_study.config.POOLED_SITES` (with the smallest other sites when they
        are still too few, :func:`partner_study.disclosure.pool_small_groups`); when that
        leaves fewer than two groups the table by site has no rows (withheld). Then the
        small counts of both tables, and the cells from which they could be derived, are
        suppressed together (:func:`partner_study.disclosure.suppress_codes`): the two
        tables print the same ``all`` rows.
    """
    codes = table_codes(segments, participants, by="role")
    by_site = table_codes(segments, participants, by="site")
    if suppress_below > 1 and len(by_site):
        mapping = pool_small_groups(_group_sizes(by_site, "site"), threshold=suppress_below)
        if mapping is None:
            by_site = by_site.iloc[:0]
        elif any(group != site for site, group in mapping.items()):
            site = participants["site"].astype(str)
            people = participants.assign(site=site.map(lambda v: mapping.get(v, v)))
            by_site = table_codes(segments, people, by="site")
    protected, released = suppress_codes(codes, by_site, threshold=suppress_below)
    return protected, cast(pd.DataFrame, released)


def silent_members(coded_ids: Any, participants: pd.DataFrame) -> list[str]:
    """Members of a coded focus group who have no coded segment themselves.

    A focus group is one unit of data collection: a member who said nothing that was coded
    was there and could have raised the theme, so member-level shares keep them in the
    denominator (DESIGN §8). Groups are the non-empty ``group_id`` values of participants
    whose ``collection`` is ``focus_group`` (any collection when the column is absent).
    """
    if "group_id" not in participants.columns:
        return []
    people = participants[["participant_id", "group_id"]].astype(object)
    in_group = people["group_id"].notna() & people["group_id"].astype(str).str.strip().ne("")
    if "collection" in participants.columns:
        in_group &= participants["collection"].astype(str).eq("focus_group")
    members = people[in_group]
    given = coded_ids if isinstance(coded_ids, pd.Series | pd.Index) else list(coded_ids)
    coded = pd.Series(pd.unique(pd.Series(given).astype("str")), dtype="str")
    ids = members["participant_id"].astype("str")
    group = members["group_id"].astype("str")
    spoke = isin(ids, coded)  # pyarrow's is_in: pandas' isin on text ids costs seconds
    silent = ids[isin(group, group[spoke]) & ~spoke]
    return list(silent)


def _distinct(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int array (sort-based, faster than hashing here)."""
    keys = np.sort(keys)
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys


def _first_part(seg: np.ndarray, part: np.ndarray) -> np.ndarray:
    """Participant of each segment index (a segment belongs to one participant)."""
    owner = np.zeros(int(seg.max(initial=-1)) + 1, dtype=np.int64)
    owner[seg] = part
    return owner


def _codes_columns(keys: Sequence[str]) -> list[str]:
    return [*_CODES_COLUMNS[:2], *keys, *_CODES_COLUMNS[2:]]


def _dtype(column: str) -> str:
    if column.startswith("n_"):
        return "int64"
    if column.startswith("pct_") or column in ("value",):
        return "float64"
    return "str"


def themes_by_role(
    segments: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    roles: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Share of the participants of each role mentioning each theme.

    Parameters
    ----------
    segments : DataFrame
        Coded segments (segment_id, participant_id, theme, code).
    participants : DataFrame
        Roster with participant_id and role.
    roles : sequence of str, optional
        The roles the codebook declares, in declared order
        (:attr:`partner_study.shape.StudyShape.role_names`), any number and any names:
        rows follow that order (roles not declared after them, sorted) and a declared
        role with no coded participant is kept, with 0 participants and a missing
        percentage. Default: the roles of the coded participants, sorted.

    Returns
    -------
    DataFrame
        One row per theme and role (zeros included, ``role == "all"`` for everyone,
        last), themes sorted:

        - ``theme`` : str
        - ``role`` : str
        - ``n_participants`` : int, participants with at least one segment in the theme
        - ``pct_participants`` : float, ``100 * n_participants / N_role`` (NaN when
          ``N_role`` is 0)

    Notes
    -----
    Same definitions as the theme rows (``code == "(theme)"``) of :func:`table_codes`:
    ``N_role`` counts participants of the role with at least one coded segment.
    """
    codes = table_codes(segments, participants, by="role")
    themes = codes.loc[codes["code"] == THEME_ROW]
    out = themes[["theme", "role", "n_participants", "pct_participants"]].reset_index(drop=True)
    if roles is None or out.empty:
        return out
    declared = [roles] if isinstance(roles, str) else [str(r) for r in roles]
    present = [r for r in pd.unique(out["role"]) if r != _ALL]
    order = [*declared, *sorted(r for r in present if r not in declared), _ALL]
    grid = pd.MultiIndex.from_product([pd.unique(out["theme"]), order], names=["theme", "role"])
    out = out.drop_duplicates(["theme", "role"]).set_index(["theme", "role"]).reindex(grid)
    out["n_participants"] = out["n_participants"].fillna(0).astype("int64")
    out = out.reset_index().astype({"theme": "str", "role": "str"})
    return out[["theme", "role", "n_participants", "pct_participants"]]


# --------------------------------------------------------------------------- co-occurrence


def _pairs_in_rows(indptr: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, ...]:
    """All (row, col_i, col_j), col_i < col_j, of the nonzeros of each CSR row.

    Vectorised; the work is sum over rows of k*(k-1)/2 for k nonzeros per row.
    """
    k = np.diff(indptr)
    rows = np.repeat(np.arange(len(k)), k)
    local = np.arange(len(indices)) - indptr[rows]
    partners = k[rows] - 1 - local
    first = np.repeat(np.arange(len(indices)), partners)
    starts = np.cumsum(partners) - partners
    offset = np.arange(len(first)) - np.repeat(starts, partners)
    second = first + 1 + offset
    return rows[first], indices[first], indices[second]


def table_cooccurrence(segments: pd.DataFrame, *, within: str = "segment") -> pd.DataFrame:
    """Pairs of codes applied to the same segment (or by the same participant).

    Parameters
    ----------
    segments : DataFrame
        Coded segments (segment_id, participant_id, code; one row per segment per
        coder per code).
    within : {"segment", "participant"}
        Unit within which two codes co-occur.

    Returns
    -------
    DataFrame
        One row per co-occurring pair, ``code_a < code_b``, sorted by code_a, code_b:

        - ``code_a``, ``code_b`` : str
        - ``n_segments`` : int, segments carrying both codes
        - ``n_participants`` : int; ``within="segment"``: participants with at least
          one segment carrying both codes; ``within="participant"``: participants
          who used both codes, in the same or different segments

        With ``within="segment"`` pairs with ``n_segments > 0`` are listed, with
        ``within="participant"`` pairs with ``n_participants > 0`` (``n_segments``
        may then be 0).

    Notes
    -----
    Let X be the binary segment-by-code incidence matrix (union of coders). Then
    ``n_segments = X'X`` (off-diagonal upper triangle), computed as a sparse product.
    At participant level P (participant-by-code, ``P = 1[Q X > 0]`` with Q the
    participant-by-segment incidence) gives ``n_participants = P'P``. The
    segment-level participant count needs the pairs inside each segment; they are
    enumerated from X's rows, so the cost grows with the square of the number of
    codes per segment (small), never with the square of the number of segments.
    """
    if within not in ("segment", "participant"):
        raise ParamsError(f"within={within!r} is not supported; use 'segment' or 'participant'")
    _require(segments, ["segment_id", "participant_id", "code"], name="segments")
    coded = segments[["segment_id", "participant_id", "code"]].dropna()
    seg_idx, _ = pd.factorize(coded["segment_id"])
    code_idx, code_names = pd.factorize(coded["code"], sort=True)
    part_idx, _ = pd.factorize(coded["participant_id"])
    n_seg, n_code = int(seg_idx.max(initial=-1)) + 1, len(code_names)
    if n_code < 2:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in _COOC_COLUMNS})
    ones = np.ones(len(seg_idx), dtype=np.int64)
    x = sparse.csr_matrix((ones, (seg_idx, code_idx)), shape=(n_seg, n_code))
    x.sum_duplicates()
    x.data[:] = 1
    x.sort_indices()
    seg_counts = sparse.triu(x.T @ x, k=1).tocsr()

    seg_part = np.zeros(n_seg, dtype=np.int64)
    seg_part[seg_idx] = part_idx
    if within == "segment":
        rows, a, b = _pairs_in_rows(x.indptr, x.indices)
        key = (seg_part[rows] * n_code + a) * n_code + b
        uniq = _distinct(key) % (n_code * n_code)
        part_counts = np.bincount(uniq, minlength=n_code * n_code).reshape(n_code, n_code)
        coo = seg_counts.tocoo()
        a, b, n_s = coo.row, coo.col, coo.data
        n_p = part_counts[a, b]
    else:
        q = sparse.csr_matrix(
            (np.ones(n_seg, dtype=np.int64), (seg_part, np.arange(n_seg))),
            shape=(int(part_idx.max()) + 1, n_seg),
        )
        p = q @ x
        p.data[:] = 1
        coo = sparse.triu(p.T @ p, k=1).tocoo()
        a, b, n_p = coo.row, coo.col, coo.data
        n_s = np.asarray(seg_counts[a, b]).ravel()
    keep = n_s > 0 if within == "segment" else n_p > 0
    order = np.lexsort((b[keep], a[keep]))
    names = np.asarray(code_names, dtype=object)
    return pd.DataFrame(
        {
            "code_a": pd.array(names[a[keep][order]], dtype="str"),
            "code_b": pd.array(names[b[keep][order]], dtype="str"),
            "n_segments": n_s[keep][order].astype("int64"),
            "n_participants": n_p[keep][order].astype("int64"),
        }
    )


# --------------------------------------------------------------------------- quotes


def _truncate(texts: pd.Series, max_chars: int) -> pd.Series:
    """Shorten texts longer than ``max_chars`` at a word boundary, marking the cut with "[…]"."""
    long = texts.str.len() > max_chars
    if not long.any():
        return texts
    cut = texts[long].str.slice(0, max_chars - 4).str.replace(r"\s+\S*$", "", regex=True)
    return texts.mask(long, cut.str.rstrip(" ,;:") + " […]")


def _pick_quotes(
    segments: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    per_theme: int,
    max_chars: int,
    target_chars: int | None,
    roles: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Deterministic choice of exemplar segments per theme and role (unredacted text)."""
    if not isinstance(per_theme, int | np.integer) or per_theme < 1:
        raise ParamsError(f"per_theme must be a whole number >= 1, got {per_theme!r}")
    if not isinstance(max_chars, int | np.integer) or max_chars < 40:
        raise ParamsError(f"max_chars must be a whole number >= 40, got {max_chars!r}")
    target = int(round(2 * max_chars / 3)) if target_chars is None else int(target_chars)
    _require(segments, ["segment_id", "participant_id", "theme", "code", "text"], name="segments")
    coded = segments[["segment_id", "participant_id", "theme", "code", "text"]].dropna(
        subset=["theme", "code", "text"]
    )
    coded = _attach(coded, participants, ["role", "site", "pseudonym"])
    length = coded["text"].astype("str").str.strip().str.len().to_numpy()
    keep = length > 0
    coded, length = coded.loc[keep].reset_index(drop=True), length[keep]
    # The ranking works on integer codes whose order is the text order (sorted
    # factorisation; a missing value last, as sort_values puts it): sorting and
    # de-duplicating a million rows of text is what made this slow.
    key = {}
    for column in ("theme", "role", "segment_id", "participant_id"):
        codes, uniques = pd.factorize(coded[column], sort=True)
        key[column] = np.where(codes < 0, len(uniques), codes)
    if roles is not None:
        # declared roles first, in declared order; others after them, sorted; missing last
        declared = [roles] if isinstance(roles, str) else [str(r) for r in roles]
        codes, uniques = pd.factorize(coded["role"], sort=True)
        rank = {r: i for i, r in enumerate(declared)}
        ranks = [rank.get(str(u), len(declared) + i) for i, u in enumerate(uniques)]
        position = np.array([*ranks, len(declared) + len(uniques)], dtype=np.int64)
        key["role"] = position[codes]  # code -1 (missing) takes the last position
    n_seg = int(key["segment_id"].max(initial=0)) + 1
    unit_key = key["theme"].astype(np.int64) * n_seg + key["segment_id"]
    # one candidate per segment and theme (its first row)
    first = np.sort(np.unique(unit_key, return_index=True)[1])
    cand = pd.DataFrame(
        {
            "theme": key["theme"][first],
            "role": key["role"][first],
            "participant": key["participant_id"][first],
            "distance": np.abs(length[first] - target),
            "segment": key["segment_id"][first],
            "row": first,
        }
    )
    cand = cand.sort_values(["theme", "role", "distance", "segment"], kind="mergesort")
    # best segment of each participant first, so several quotes come from different people
    cand["turn"] = cand.groupby(["theme", "role", "participant"], sort=False).cumcount()
    cand = cand.sort_values(["theme", "role", "turn", "distance", "segment"], kind="mergesort")
    head = cand.groupby(["theme", "role"], sort=False).head(per_theme)
    rows = head["row"].to_numpy()
    picked = coded.iloc[rows].drop(columns="code")
    picked["distance"] = head["distance"].to_numpy()
    picked["turn"] = head["turn"].to_numpy()
    # the codes of each picked segment within its theme, "; "-joined (few rows)
    unit = ["theme", "segment_id"]
    mine = np.isin(unit_key, unit_key[rows])
    code_lists = (
        coded.loc[mine, [*unit, "code"]]
        .drop_duplicates()
        .sort_values([*unit, "code"])
        .groupby(unit, sort=False)["code"]
        .agg("; ".join)
    )
    picked = picked.join(code_lists, on=unit).reset_index(drop=True)
    # transcripts break lines and double spaces; a quote is one line
    picked["text"] = picked["text"].astype("str").str.replace(r"\s+", " ", regex=True).str.strip()
    return picked


def _quotes_and_counts(
    segments: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    per_theme: int,
    max_chars: int,
    names: Iterable[str],
    target_chars: int | None,
    roles: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    picked = _pick_quotes(
        segments,
        participants,
        per_theme=per_theme,
        max_chars=max_chars,
        target_chars=target_chars,
        roles=roles,
    )
    ids = participants["participant_id"]
    redacted, counts = redact_text(picked["text"], names=names, ids=ids)
    quotes = picked.assign(
        quote=_truncate(redacted, max_chars),
        n_redactions=counts.sum(axis=1).astype("int64"),
    )[_QUOTE_COLUMNS]
    return quotes.astype({"segment_id": "str", "quote": "str"}), counts


def select_quotes(
    segments: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    per_theme: int = 1,
    max_chars: int = 240,
    names: Iterable[str] = (),
    target_chars: int | None = None,
    roles: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Exemplar quotes per theme and role, chosen deterministically and redacted.

    Parameters
    ----------
    segments : DataFrame
        Coded segments with ``text``.
    participants : DataFrame
        Roster with participant_id, pseudonym, site and role. Participants are
        shown only by pseudonym.
    per_theme : int
        Quotes per theme and role.
    max_chars : int
        Longest quote; longer texts are cut at a word boundary and end in "[…]".
    names : iterable of str
        Roster names to redact (see :func:`partner_study.disclosure.build_roster`);
        stage 03 passes the names of the raw roster
        (:func:`partner_study.disclosure.read_roster`).
    target_chars : int, optional
        Preferred quote length; default two thirds of ``max_chars``.
    roles : sequence of str, optional
        The declared roles in declared order
        (:attr:`partner_study.shape.StudyShape.role_names`): quotes of a theme follow
        that order (undeclared roles after them, sorted). Default: roles sorted.

    Returns
    -------
    DataFrame
        One row per quote, ordered by theme, role and preference:

        - ``theme`` : str
        - ``code`` : str, the segment's code(s) within the theme, ``"; "``-joined
        - ``role``, ``pseudonym``, ``site`` : str, from the roster
        - ``segment_id`` : str
        - ``quote`` : str, whitespace-normalised, redacted (roster names and participant
          ids included), at most ``max_chars``
        - ``n_redactions`` : int, identifiers replaced in this quote

    Notes
    -----
    Selection rule (never random): candidates are the distinct segments of the
    theme and role (union of coders) with non-blank text. They are ranked by
    ``|len(text) - target|`` (length of the text stripped of outer whitespace)
    and then by segment_id; each participant's best segment is taken before
    anyone's second, so ``per_theme > 1`` quotes come from different people when
    possible. The same data always give the same quotes, whatever the row order.
    Redaction happens before shortening, so an identifier is never cut in half.
    Totals by kind: :func:`disclosure_report`.
    """
    quotes, _ = _quotes_and_counts(
        segments,
        participants,
        per_theme=per_theme,
        max_chars=max_chars,
        names=names,
        target_chars=target_chars,
        roles=roles,
    )
    return quotes


def disclosure_report(
    segments: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    per_theme: int = 1,
    max_chars: int = 240,
    names: Iterable[str] = (),
    target_chars: int | None = None,
    roles: Sequence[str] | None = None,
) -> pd.DataFrame:
    """What the disclosure gate removed from the quotes of :func:`select_quotes`.

    Takes the same arguments as :func:`select_quotes` (``roles`` orders the selection
    only) and makes the same (deterministic) selection.

    Returns
    -------
    DataFrame
        One row per kind of :data:`REDACTION_KINDS` and a final ``"total"`` row:

        - ``kind`` : str
        - ``n_redactions`` : int, identifiers of that kind replaced
        - ``n_quotes`` : int, quotes with at least one such replacement
        - ``n_remaining`` : int, identifiers the detectors still find in the
          released quotes (must be 0; anything else is a bug to report)

    Notes
    -----
    ``n_remaining`` re-runs the detectors, roster names included, on the final quotes; it
    is the check a pipeline stage stops on before writing ``tables/quotes.csv``. Pass the
    roster's names: the processed data no longer hold them.
    """
    quotes, counts = _quotes_and_counts(
        segments,
        participants,
        per_theme=per_theme,
        max_chars=max_chars,
        names=names,
        target_chars=target_chars,
        roles=roles,
    )
    _, remaining = redact_text(quotes["quote"], names=names, ids=participants["participant_id"])
    report = pd.DataFrame(
        {
            "kind": list(REDACTION_KINDS),
            "n_redactions": counts.sum().to_numpy(dtype="int64"),
            "n_quotes": (counts > 0).sum().to_numpy(dtype="int64"),
            "n_remaining": remaining.sum().to_numpy(dtype="int64"),
        }
    )
    total = pd.DataFrame(
        {
            "kind": ["total"],
            "n_redactions": [int(report["n_redactions"].sum())],
            "n_quotes": [int((counts.sum(axis=1) > 0).sum())],
            "n_remaining": [int(report["n_remaining"].sum())],
        }
    )
    return pd.concat([report, total], ignore_index=True).astype({"kind": "str"})


def check_disclosure(report: pd.DataFrame) -> pd.DataFrame:
    """Stop when the disclosure gate left anything detectable in the quotes.

    Parameters
    ----------
    report : DataFrame
        Output of :func:`disclosure_report`.

    Returns
    -------
    DataFrame
        ``report`` unchanged, when ``n_remaining`` is 0 on every row.

    Raises
    ------
    StudyDataError
        When an identifier survived redaction (nothing reaches ``reports/``).
    """
    left = report[report["n_remaining"] > 0]
    if len(left):
        kinds = ", ".join(
            f"{k} ({n})" for k, n in zip(left["kind"], left["n_remaining"], strict=True)
        )
        raise StudyDataError(
            Problem(
                file="quotes",
                found=f"identifiers left after redaction: {kinds}",
                expected="no e-mail or web address, phone, date, identifier, postcode or "
                "roster name in a quote",
                fix="add the names to roster.csv or report the pattern; no quote was written",
            )
        )
    return report
