"""Exemplar quotes per theme and role, chosen deterministically and redacted.

Layer 3 (analysis). Quotes leave the study only through
:func:`partner_study.disclosure.redact_text`; redaction happens before shortening, so an
identifier is never cut in half.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from partner_study.disclosure import redact_text
from partner_study.errors import ParamsError
from partner_study.qualitative._frames import _attach, _require

__all__ = ["select_quotes"]

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
