"""The names of a roster, found in text however they are written.

Layer 3 (analysis), part of :mod:`partner_study.disclosure`. A roster becomes a set of keys
(:func:`build_roster`): each full name, every run of its consecutive words and each given or
family name, folded. A text is cut into words and each run of words that holds one key is a
name (:func:`find_names`). A set lookup costs the same for twenty names as for twenty
thousand, so the roster's size does not slow the gate down.

Words match whatever their accents (``Helene Lefevre`` for ``Hélène Lefèvre``, decomposed
Unicode and full-width forms too), case, German and Scandinavian spelling (``Mueller`` or
``Muller`` for ``Müller``, ``Bjoern`` for ``Bjørn``, ``Aase`` for ``Åse``, ``Clæs`` for
``Claes``), apostrophe (``O’Brien``, ``OBrien``) and the spaces, line break or dash between
them (``Anne Marie`` for ``Anne-Marie``).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from partner_study.disclosure.patterns import APOS_CHARS, APOSTROPHE, DASH, SPACE, fold_letters
from partner_study.disclosure.prefilter import fold_char, re2_char
from partner_study.errors import Problem, StudyDataError

__all__ = [
    "MAX_NAME_CHARS",
    "Roster",
    "build_id_roster",
    "build_roster",
    "find_names",
    "name_inputs",
    "word_keys",
]

#: Longest name accepted on a roster (longer is not a person's name).
MAX_NAME_CHARS = 200
#: Most words of a name matched as one (longer names are matched in parts).
_MAX_RUN = 6

#: Name particles never redacted on their own (they are ordinary words).
_PARTICLES = frozenset(
    "de van von der den du des la le di da dos del ter ten het op af al el st mc mac y".split()
)
#: A word: letters and digits, with the accents of decomposed text.
_WORD = re.compile(r"[^\W_](?:[^\W_]|[\u0300-\u036f])*")
#: What may stand between the words of one name, and between the parts of an id.
_GAP = re.compile(f"{SPACE}{{1,4}}|{SPACE}{{0,2}}{DASH}{SPACE}{{0,2}}|{APOSTROPHE}")
_ID_GAP = re.compile(f"{SPACE}{{1,2}}|{SPACE}?(?:{DASH}|[_./#:]){SPACE}?")
#: Letters that are also written out (Müller, Mueller; Bjørn, Bjoern; Åse, Aase).
_SPELLED = {"ä": "ae", "ö": "oe", "ü": "ue", "å": "aa", "ø": "oe"}
_DIGRAPHS = ("ae", "oe", "ue", "aa")


@functools.lru_cache(maxsize=1 << 16)
def word_keys(word: str) -> tuple[str, ...]:
    """The keys of a word: folded with ``ä ö ü å ø`` written out, and with them as base letters.

    Examples
    --------
    >>> word_keys("Bjørn"), word_keys("Lefèvre"), word_keys("Clæs")
    (('bjoern', 'bjorn'), ('lefevre',), ('claes',))
    """
    low = unicodedata.normalize("NFC", word).lower()
    spelled = fold_letters("".join(_SPELLED.get(c, c) for c in low))
    base = fold_letters(low)
    return (spelled,) if spelled == base else (spelled, base)


def name_inputs(names: Iterable[object]) -> tuple[str, ...]:
    """The distinct non-blank names of a roster, stripped and sorted (missing values skipped).

    Examples
    --------
    >>> name_inputs(["Ann Smith ", None, "", "Ann Smith", "Bo Li"])
    ('Ann Smith', 'Bo Li')
    """
    if isinstance(names, str):
        names = [names]
    return tuple(sorted({n.strip() for n in names if isinstance(n, str) and n.strip()}))


@dataclass(frozen=True)
class Roster:
    """The names of a roster as keys (tuples of :func:`word_keys`), ready to be found.

    ``longest`` is the most words in a key; ``gap`` what may stand between two words of
    a key in a text; ``prefilter`` an RE2 pattern that matches the
    folded copy (:func:`partner_study.disclosure.prefilter.fold_texts`) of every text in
    which :func:`find_names` finds a name, or ``None`` when every text must be searched.
    """

    keys: frozenset[tuple[str, ...]]
    longest: int
    prefilter: str | None
    gap: re.Pattern[str] = _GAP

    @functools.cached_property
    def first(self) -> frozenset[str]:
        """The first words of the keys (a quick test before trying runs of words)."""
        return frozenset(key[0] for key in self.keys)


def _word_lists(name: str) -> set[tuple[str, ...]]:
    """The words of a name, as written and with words joined across apostrophes (OBrien)."""
    spans = [m.span() for m in _WORD.finditer(name)]
    words = [name[a:b] for a, b in spans]
    joined = words[:1]
    for (_, end), (start, _), word in zip(spans, spans[1:], words[1:], strict=False):
        gap = name[end:start]
        if gap and all(c == "'" or c in APOS_CHARS for c in gap):
            joined[-1] += word
        else:
            joined.append(word)
    return {tuple(words), tuple(joined)} if words else set()


def _collapsed(key: str) -> set[str]:
    """A key with each ``ae oe ue aa`` also as one letter (what ``ä ö ü å ø`` fold to)."""
    parts = re.split(f"({'|'.join(_DIGRAPHS)})", key)
    options = [(p, p[0]) if p in _DIGRAPHS else (p,) for p in parts]
    if sum(len(o) > 1 for o in options) > 8:
        raise OverflowError
    return {"".join(choice) for choice in itertools.product(*options)}


def _prefilter(first_keys: set[str]) -> str | None:
    """RE2 pattern matching, as a whole word of folded text, every first word of a key.

    A word of the text is a whole word of its folded copy too: letters and digits fold to
    letters and digits, accents vanish, and anything else folds to something else.
    """
    try:
        folded = {"".join(fold_char(c) for c in k) for key in first_keys for k in _collapsed(key)}
    except OverflowError:
        return None
    tree: dict[str, dict] = {}
    for word in folded:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        branches = [re2_char(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = "|".join(branches)
        if "" in node:
            return f"(?:{body})?"
        return body if len(branches) == 1 else f"(?:{body})"

    return rf"(?i)\b(?:{emit(tree)})\b" if folded else None


@functools.lru_cache(maxsize=8)
def build_roster(names: tuple[str, ...]) -> Roster:
    """The keys of the names of a roster.

    Parameters
    ----------
    names : tuple of str
        Full names (:func:`name_inputs`).

    Returns
    -------
    Roster
        Keys for each full name, every run of two or more of its consecutive words (up to
        six) unless all are particles ("van den"), and each word of at least two letters
        that is not a particle ("de", "van", "la", ...).

    Raises
    ------
    StudyDataError
        When a name is longer than :data:`MAX_NAME_CHARS` characters.
    """
    keys: set[tuple[str, ...]] = set()
    for name in names:
        if len(name) > MAX_NAME_CHARS:
            raise StudyDataError(
                Problem(
                    file="roster.csv",
                    column="name",
                    found=f"a name of {len(name)} characters ('{name[:20]}...')",
                    expected=f"a person's name of at most {MAX_NAME_CHARS} characters",
                    fix="correct the name on the roster (one person's full name per row)",
                )
            )
        for words in _word_lists(name):
            forms = [word_keys(w) for w in words]
            base = [f[-1] for f in forms]
            for i, j in itertools.combinations(range(len(words) + 1), 2):
                if j - i > _MAX_RUN:
                    continue
                if j - i == 1 and (sum(c.isalpha() for c in words[i]) < 2 or base[i] in _PARTICLES):
                    continue
                if j - i > 1 and all(b in _PARTICLES for b in base[i:j]):
                    continue
                keys.update(itertools.product(*forms[i:j]))
    longest = max((len(k) for k in keys), default=0)
    return Roster(frozenset(keys), longest, _prefilter({k[0] for k in keys}))


@functools.lru_cache(maxsize=8)
def build_id_roster(ids: tuple[str, ...]) -> Roster:
    """The keys of participant ids, to find them in text (``BE-0002``, ``be 0002``, ``BE0002``).

    Parameters
    ----------
    ids : tuple of str
        Identifiers (:func:`name_inputs`). Only whole ids are keys, never their parts, and
        only ids that cannot be ordinary words or numbers: at least four letters and
        digits with a letter and a digit among them, or six digits or more.

    Returns
    -------
    Roster
        Between the parts of an id the text may have a space, a dash, ``_ . / # :``.
    """
    keys: set[tuple[str, ...]] = set()
    for text in ids:
        plain = [c for c in text if c.isalnum()]
        letters, digits = sum(c.isalpha() for c in plain), sum(c.isdigit() for c in plain)
        if len(text) > MAX_NAME_CHARS or not (
            (len(plain) >= 4 and letters and digits) or (digits >= 6 and not letters)
        ):
            continue
        words = [m.group() for m in _WORD.finditer(text)]
        keys.update(itertools.product(*(word_keys(w) for w in words)))
        keys.update(itertools.product(word_keys("".join(words))))
    longest = max((len(k) for k in keys), default=0)
    return Roster(frozenset(keys), longest, _prefilter({k[0] for k in keys}), _ID_GAP)


def find_names(text: str, roster: Roster) -> list[tuple[int, int]]:
    """Where the names of a roster are in a text: ``(start, end)`` of each, in order.

    Parameters
    ----------
    text : str
        Any text.
    roster : Roster
        Output of :func:`build_roster`.

    Returns
    -------
    list of (int, int)
        Character spans of ``text``, not overlapping. At each word the longest run of
        words that is a key wins, so a full name is one span. A name is a whole word: not
        a part of a longer word ("annual" holds no "Ann") nor of ``[name]``.

    Examples
    --------
    >>> roster = build_roster(("Hélène Lefèvre", "Seán O'Brien"))
    >>> text = "Helene\\nLefevre met O’Brien."
    >>> [text[a:b] for a, b in find_names(text, roster)]
    ['Helene\\nLefevre', 'O’Brien']
    """
    if not roster.keys:
        return []
    words = [(m.start(), m.end(), word_keys(m.group())) for m in _WORD.finditer(text)]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        start, _, keys = words[i]
        found = 0
        if not (start and text[start - 1] in "[_") and not roster.first.isdisjoint(keys):
            for n in range(min(roster.longest, len(words) - i), 0, -1):
                end = words[i + n - 1][1]
                if end < len(text) and text[end] in "]_":
                    continue
                if any(
                    roster.gap.fullmatch(text, words[k][1], words[k + 1][0]) is None
                    for k in range(i, i + n - 1)
                ):
                    continue
                run = itertools.product(*(w[2] for w in words[i : i + n]))
                if not roster.keys.isdisjoint(run):
                    spans.append((start, end))
                    found = n
                    break
        i += found or 1
    return spans
