"""What each role says about a theme, not only how often: stance and meta-inference.

Layer 3 (analysis): frames and arrays in, new ones out.

A segment may carry a stance (valence) code in a ``valence`` column: ``positive``,
``negative``, ``mixed`` or ``neutral`` (any case; empty when not coded). A role's stance
on a theme summarises the segments of its participants who raise the theme; the
meta-inference of Fetters, Curry & Creswell (2013) then says how the two roles' accounts
fit together: confirmation, expansion, discordance or silence.

Rules
-----
Participant: the valences of their segments on the theme (every coder): only positive
(with or without neutral) is ``positive``, only negative is ``negative``, only neutral is
``neutral``; both positive and negative, or any ``mixed``, is ``mixed``.

Role: the stance held by more than half of its participants with a stance on the theme;
``mixed`` when no stance has a majority; missing when none of them has a coded valence.

Meta-inference of two roles on a theme, the first rule that applies:

1. ``silence``: one role raises the theme and nobody of the other does;
2. ``discordance``: both raise it, one role's stance is positive and the other's negative;
3. ``expansion``: both raise it and either their frequencies diverge (the interval of the
   difference excludes 0) or their stances differ otherwise (e.g. one mixed, the other
   positive: one role adds a facet the other does not voice);
4. ``confirmation``: both raise it with the same stance (or no stance coded) and their
   frequencies do not diverge.

Missing when neither role raises the theme, when the roles cannot be compared, or when a
share is hidden by disclosure control.

References
----------
Fetters MD, Curry LA, Creswell JW. Achieving integration in mixed methods designs:
principles and practices. Health Serv Res. 2013;48(6 Pt 2):2134-2156.
doi:10.1111/1475-6773.12117
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from partner_study.config import VALENCES
from partner_study.errors import Problem, StudyDataError

__all__ = [
    "VALENCES",
    "CONFIRMATION",
    "EXPANSION",
    "DISCORDANCE",
    "SILENCE",
    "role_stances",
    "meta_inference",
]

CONFIRMATION = "confirmation"
EXPANSION = "expansion"
DISCORDANCE = "discordance"
SILENCE = "silence"
#: Both roles raise the theme, but neither the interval nor the stances tell how they relate.
INCONCLUSIVE = "inconclusive"


def _valences(segments: pd.DataFrame) -> pd.Series:
    """The ``valence`` column, lower case, missing when empty; unknown codes raise."""
    raw = segments["valence"]
    text = raw.astype(object).where(raw.notna(), "").astype(str).str.strip().str.lower()
    text = text.where(text.ne(""))
    bad = text.notna() & ~text.isin(VALENCES)
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        found = sorted(set(raw[bad].astype(str)))
        raise StudyDataError(
            Problem(
                file="segments (data frame)",
                row=first + 2,
                column="valence",
                found=", ".join(repr(v) for v in found[:5])
                + (f" and {len(found) - 5} more" if len(found) > 5 else ""),
                expected=f"one of {', '.join(VALENCES)}, or an empty cell (no stance coded)",
                fix="correct the stance code of those segments, or leave it empty",
            )
        )
    return text


def role_stances(segments: pd.DataFrame, roles: pd.Series) -> pd.Series:
    """Stance of each role on each theme (module rules).

    Parameters
    ----------
    segments : DataFrame
        Coded segments with ``participant_id``, ``theme`` and, when stances are coded,
        ``valence``.
    roles : Series
        Role of each participant, indexed by participant id (as text).

    Returns
    -------
    Series
        Indexed by (theme, role), the stance: ``positive``, ``negative``, ``mixed`` or
        ``neutral``; only (theme, role) pairs with a stance. Empty when the segments have
        no ``valence`` column.
    """
    empty = pd.Series([], dtype="str", index=pd.MultiIndex.from_arrays([[], []]))
    if "valence" not in segments.columns:
        return empty
    valence = _valences(segments)
    keep = (segments["theme"].notna() & valence.notna()).to_numpy()
    if not keep.any():
        return empty
    theme, themes = pd.factorize(segments["theme"].astype(str).to_numpy()[keep])
    person, people = pd.factorize(segments["participant_id"].astype(str).to_numpy()[keep])
    # distinct (theme, participant) pairs, and which valences each pair has
    pair, first = np.unique(theme * len(people) + person, return_inverse=True)
    code = valence.to_numpy()[keep]
    has = {
        v: np.bincount(first, weights=(code == v), minlength=len(pair)) > 0
        for v in ("positive", "negative", "mixed")
    }
    pos, neg, mix = has["positive"], has["negative"], has["mixed"]
    stance = np.where(mix | (pos & neg), 2, np.where(pos, 0, np.where(neg, 1, 3)))
    role_of = pd.Index(roles.index.astype(str)).get_indexer(pd.Index(people))
    role_names, role_index = np.unique(roles.astype(str).to_numpy(), return_inverse=True)
    role = np.where(role_of >= 0, role_index[np.maximum(role_of, 0)], -1)[pair % len(people)]
    known = role >= 0
    cell = (pair // len(people))[known] * len(role_names) + role[known]
    size = len(themes) * len(role_names)
    counts = np.bincount(cell * 4 + stance[known], minlength=size * 4).reshape(size, 4)
    total = counts.sum(axis=1)
    seen = total > 0
    top = counts.argmax(axis=1)  # ties: no majority, mixed below
    majority = counts.max(axis=1) > total / 2.0
    names = np.array(["positive", "negative", "mixed", "neutral"], dtype=object)
    value = np.where(majority, names[top], "mixed")[seen]
    index = pd.MultiIndex.from_arrays(
        [
            np.repeat(np.asarray(themes, dtype=object), len(role_names))[seen],
            np.tile(role_names.astype(object), len(themes))[seen],
        ]
    )
    return pd.Series(value, index=index, dtype="str")


def meta_inference(
    raises_a: np.ndarray,
    raises_b: np.ndarray,
    stance_a: np.ndarray,
    stance_b: np.ndarray,
    divergent: np.ndarray,
    comparable: np.ndarray,
    convergent: np.ndarray | None = None,
) -> np.ndarray:
    """The meta-inference column (module rules), one value per theme.

    Parameters
    ----------
    raises_a, raises_b : array of bool
        Whether anyone of each role raises the theme.
    stance_a, stance_b : array of object
        Each role's stance (missing when not coded).
    divergent : array of bool
        The interval of the difference excludes 0.
    comparable : array of bool
        The two shares can be compared (two roles with coded participants, no share
        hidden).
    convergent : array of bool, optional
        The interval of the difference lies within the equivalence margin. Where both
        roles raise a theme with no stance coded, only then is the finding a
        confirmation; else ``inconclusive`` (the data cannot tell confirmation from
        expansion). Left out: every theme counts as convergent.

    Returns
    -------
    array of object
        ``silence``, ``discordance``, ``expansion``, ``confirmation``, ``inconclusive``
        or None.

    Examples
    --------
    >>> meta_inference(np.array([True, True, True, True]), np.array([False, True, True, True]),
    ...                np.array([None, "positive", "mixed", None], dtype=object),
    ...                np.array([None, "negative", "positive", None], dtype=object),
    ...                np.array([False, False, False, False]), np.ones(4, bool)).tolist()
    ['silence', 'discordance', 'expansion', 'confirmation']
    """
    a = np.asarray(raises_a, dtype=bool)
    b = np.asarray(raises_b, dtype=bool)
    sa = pd.Series(np.asarray(stance_a, dtype=object)).astype("str")
    sb = pd.Series(np.asarray(stance_b, dtype=object)).astype("str")
    known = (sa.notna() & sb.notna()).to_numpy()
    pair = sa.fillna("") + "/" + sb.fillna("")
    opposite = known & pair.isin(["positive/negative", "negative/positive"]).to_numpy()
    differ = known & (sa.fillna("") != sb.fillna("")).to_numpy()
    out = np.full(len(a), None, dtype=object)
    both = a & b
    alike = known & ~differ  # both stances coded, and the same
    agree = np.ones(len(a), bool) if convergent is None else np.asarray(convergent, dtype=bool)
    out[both] = INCONCLUSIVE
    out[both & (agree | alike)] = CONFIRMATION
    out[both & (np.asarray(divergent, dtype=bool) | differ)] = EXPANSION
    out[both & opposite] = DISCORDANCE
    out[a ^ b] = SILENCE
    out[~np.asarray(comparable, dtype=bool)] = None
    return out
