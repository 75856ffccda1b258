"""The prefilter of the disclosure gate: which texts are worth the full patterns.

Layer 3 (analysis), part of :mod:`partner_study.disclosure`. The patterns of
:mod:`partner_study.disclosure.patterns` run in Python's :mod:`re` (they need lookbehinds),
one text at a time. A prefilter first picks the texts worth it: an RE2 pattern derived from
each full pattern (:func:`to_re2`), run by pyarrow over all texts at once on a folded copy
of them (:func:`fold_texts`: accents removed, lower case, other scripts' letters as ``a``).
Text and pattern are folded the same way, so wherever a full pattern matches a text, its
prefilter matches the folded copy; on plain-ASCII text RE2 runs as a small automaton.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from partner_study.disclosure.patterns import (
    APOS_CHARS,
    BREAK_CHARS,
    DASH_CHARS,
    FOLD_LETTERS,
    MARKS,
    ZERO_WIDTH,
    fold_letters,
)

__all__ = ["candidates", "fold_char", "fold_texts", "re2_class", "re2_char", "to_re2"]


def fold_char(ch: str) -> str:
    r"""What the folded copy of :func:`fold_texts` makes of one character.

    Examples
    --------
    >>> [fold_char(c) for c in "Aø–’ß\u00a0λ€"]
    ['A', 'o', '-', "'", 'ss', ' ', 'a', '\x01']
    """
    if ch.isascii():
        return ch
    out = []
    for c in fold_letters(ch):
        if c.isascii():
            out.append(c)
        elif c in DASH_CHARS:
            out.append("-")
        elif c in APOS_CHARS:
            out.append("'")
        elif c in BREAK_CHARS:
            out.append("\n")
        elif c.isspace() or c in ZERO_WIDTH:
            out.append(" ")
        elif c.isalnum():
            out.append("a")
        else:
            out.append("\x01")
    return "".join(out)


def re2_class(chars: Iterable[int]) -> str:
    r"""An RE2 class of code points, written as ranges.

    Examples
    --------
    >>> print(re2_class([0x41, 0x42, 0x43, 0xE9]))
    [\x{41}-\x{43}\x{e9}]
    """
    parts: list[str] = []
    for _, run in itertools.groupby(enumerate(sorted(chars)), lambda p: p[1] - p[0]):
        points = [cp for _, cp in run]
        first, last = points[0], points[-1]
        parts.append(f"\\x{{{first:x}}}" + (f"-\\x{{{last:x}}}" if last != first else ""))
    return "[" + "".join(parts) + "]"


#: Spaces NFKD leaves as they are (the others become " ").
_SPACES_KEPT_BY_NFKD = "".join(
    chr(cp)
    for cp in range(0x80, 0x20000)
    if chr(cp).isspace() and not unicodedata.normalize("NFKD", chr(cp)).isascii()
    and chr(cp) not in BREAK_CHARS
)  # fmt: skip


@functools.cache
def _other_digits() -> str:
    """Decimal digits of other scripts (``\\d`` matches them), as an RE2 class."""
    return re2_class(cp for cp in range(128, 0x20000) if unicodedata.category(chr(cp)) == "Nd")


def fold_texts(texts: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """The folded copy of ``texts`` that the prefilters search.

    Parameters
    ----------
    texts : Series of str
        Texts, missing values allowed.

    Returns
    -------
    folded : pyarrow Array
        Same length. Texts with only ASCII characters are unchanged; the others go
        through NFKD, lose their accents, are lower-cased, get ``ø æ œ ß þ ł đ ð`` spelled
        out, dashes as ``-``, apostrophes as ``'``, Unicode line separators as a line
        break, other spaces as a space and any other non-ASCII character (letters of
        other scripts, symbols) as ``a``. The copy is only searched, never shown.
    exotic : ndarray of bool
        Texts holding decimal digits of other scripts, which no prefilter judges: they
        go through the full patterns.
    """
    array = pa.array(texts, type=pa.large_string(), from_pandas=True)
    plain = pc.fill_null(pc.string_is_ascii(array), True)
    exotic = np.zeros(len(array), dtype=bool)
    if pc.all(plain).as_py():
        return array, exotic
    mixed = pc.invert(plain)
    part = pc.filter(array, mixed)
    exotic[np.flatnonzero(mixed.to_numpy(zero_copy_only=False))] = pc.match_substring_regex(
        part, pattern=_other_digits()
    ).to_numpy(zero_copy_only=False)
    part = pc.utf8_normalize(part, form="NFKD")
    part = pc.utf8_lower(pc.replace_substring_regex(part, pattern=r"\p{M}+", replacement=""))
    for letter, folded in FOLD_LETTERS:
        part = pc.replace_substring(part, pattern=letter, replacement=folded)
    for chars, replacement in (
        (DASH_CHARS, "-"),
        (APOS_CHARS, "'"),
        (BREAK_CHARS, "\n"),
        (ZERO_WIDTH + _SPACES_KEPT_BY_NFKD, " "),
    ):
        part = pc.replace_substring_regex(
            part, pattern=re2_class(map(ord, chars)), replacement=replacement
        )
    part = pc.replace_substring_regex(part, pattern=r"[^\x00-\x7f\p{L}\p{N}]", replacement="\x01")
    part = pc.replace_substring_regex(part, pattern=r"[^\x00-\x7f]", replacement="a")
    return pc.replace_with_mask(array, mixed, part), exotic


#: RE2 members of the Python shorthands, on folded text (which is ASCII).
_SHORTHANDS = {"d": "0-9", "w": "a-z0-9_", "s": r"\t-\r\x1c-\x1f "}
_CONTROLS = {"n": "\n", "r": "\r", "t": "\t", "f": "\f", "v": "\v", "a": "\a"}


def re2_char(ch: str) -> str:
    """One character as RE2 writes it, inside or outside a class."""
    if ch.isascii() and (ch.isalnum() or ch == " "):
        return ch
    if ch.isascii() and ch.isprintable():
        return "\\" + ch
    return f"\\x{{{ord(ch):x}}}"


def _read(pattern: str, i: int) -> tuple[str | None, str | None, int]:
    """The character, or shorthand class, at ``pattern[i]`` and the index after it."""
    if pattern[i] != "\\":
        return pattern[i], None, i + 1
    nxt = pattern[i + 1]
    if nxt in _SHORTHANDS:
        return None, _SHORTHANDS[nxt], i + 2
    if nxt in "ux":
        width = 4 if nxt == "u" else 2
        return chr(int(pattern[i + 2 : i + 2 + width], 16)), None, i + 2 + width
    if nxt in _CONTROLS:
        return _CONTROLS[nxt], None, i + 2
    if nxt.isalnum():
        raise ValueError(f"\\{nxt} has no prefilter translation")
    return nxt, None, i + 2


def to_re2(pattern: str) -> str:
    r"""The prefilter of a pattern: RE2 syntax, for the folded text of :func:`fold_texts`.

    Parameters
    ----------
    pattern : str
        A pattern of :mod:`partner_study.disclosure.patterns` (Python ``re`` syntax).

    Returns
    -------
    str
        An RE2 pattern that matches the folded copy of every text in which ``pattern``
        finds a match (a superset test).

    Raises
    ------
    ValueError
        For syntax the translation does not know (then there is no prefilter to trust).

    Notes
    -----
    Lookarounds and ``\b`` are dropped (they only narrow a match), each character is
    folded as the text is and case is ignored.
    """
    pattern = pattern.replace(MARKS, "")
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("\\b", i):
            i += 2
        elif pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            i = _group_end(pattern, i)
        elif pattern[i] == "[":
            token, i = _fold_class(pattern, i)
            out.append(token)
        elif pattern[i] == "\\" or not pattern[i].isascii():
            ch, shorthand, i = _read(pattern, i)
            if ch is None:
                out.append(f"[{shorthand}]")
            else:
                folded = fold_char(ch)
                text = "".join(re2_char(c) for c in folded)
                out.append(text if len(folded) == 1 else f"(?:{text})")
        else:
            out.append(pattern[i])
            i += 1
    return "(?is)" + "".join(out)


def _fold_class(pattern: str, start: int) -> tuple[str, int]:
    """RE2 form of the character class at ``pattern[start]``, its members folded.

    A member that folds to several characters (``æ`` -> ``ae``) keeps the first: each such
    class in the patterns stands beside the spelled-out alternative.
    """
    i = start + 1
    negated = pattern.startswith("^", i)
    i += negated
    items: list[str] = []
    while pattern[i] != "]":
        ch, shorthand, i = _read(pattern, i)
        if negated and ch is not None and not ch.isascii():
            raise ValueError("a negated class must be ASCII (folding would widen it)")
        if ch is not None and pattern[i] == "-" and pattern[i + 1] != "]":
            end, _, i = _read(pattern, i + 1)
            assert end is not None
            if end.isascii():
                members = [f"{re2_char(ch)}-{re2_char(end)}"]
            else:
                members = sorted(
                    {re2_char(fold_char(chr(c))[:1] or " ") for c in range(ord(ch), ord(end) + 1)}
                )
        elif ch is not None:
            members = [re2_char(fold_char(ch)[:1] or " ")]
        else:
            members = [str(shorthand)]
        items.extend(m for m in members if m not in items)
    body = "".join(items)
    if not negated and len(items) == 1 and len(body) == 1:
        return body, i + 1
    return f"[{'^' if negated else ''}{body}]", i + 1


def _group_end(pattern: str, start: int) -> int:
    """Index just after the group that opens at ``pattern[start]``."""
    depth, i, in_class = 0, start, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            i += pattern.startswith("[^", i)
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced group at {start}")


def candidates(folded: pa.Array, prefilter: str, present: np.ndarray) -> np.ndarray:
    """Rows whose folded text a prefilter matches.

    Parameters
    ----------
    folded : pyarrow Array
        Output of :func:`fold_texts`.
    prefilter : str
        Output of :func:`to_re2`.
    present : ndarray of bool
        Rows with a text; all of them are returned when RE2 cannot run the prefilter.

    Returns
    -------
    ndarray of bool
    """
    try:
        hit = pc.match_substring_regex(folded, pattern=prefilter)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return present
    return pc.fill_null(hit, False).to_numpy(zero_copy_only=False).astype(bool)
