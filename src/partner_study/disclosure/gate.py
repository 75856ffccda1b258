"""The disclosure gate: redaction of texts and segments, document pseudonyms, the roster.

Layer 3 (analysis), part of :mod:`partner_study.disclosure`. Every segment text passes
:func:`redact_text` before anything is processed or reported (stage 01-prepare, through
:func:`redact_segments`), and every quote passes it again, with the names of the roster,
before it is written (stage 03-qualitative). Functions take and return frames;
:func:`read_roster` is the one reader and goes through :mod:`partner_study.io`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from partner_study.disclosure.names import (
    Roster,
    build_id_roster,
    build_roster,
    find_names,
    name_inputs,
)
from partner_study.disclosure.patterns import PASSES, REDACTION_KINDS
from partner_study.disclosure.prefilter import candidates, fold_texts, re2_class, to_re2
from partner_study.errors import Problem, StudyDataError
from partner_study.io import find_table, read_table

__all__ = ["redact_text", "redact_segments", "pseudonymise_documents", "read_roster"]

_Pass = tuple[str, re.Pattern[str], str, str]


def _compile(kind: str, pattern: str, replacement: str, prefilter: str) -> _Pass:
    return kind, re.compile(pattern), replacement, to_re2(prefilter)


@functools.cache
def _identifier_passes() -> tuple[_Pass, ...]:
    """(kind, pattern, replacement, RE2 prefilter) of every pass but names, built once."""
    return tuple(_compile(*p) for p in PASSES)


def _word_rows(folded: pa.Array, roster: Roster, present: np.ndarray) -> np.ndarray:
    """Rows where the names (or ids) of a roster may be (every present row if unsure)."""
    if not roster.keys:
        return np.zeros(len(present), dtype=bool)
    if roster.prefilter is None:
        return present.copy()
    return candidates(folded, roster.prefilter, present)


def _replace_spans(text: str, spans: list[tuple[int, int]], tag: str) -> str:
    """``text`` with each (start, end) span, in order and apart, replaced by ``tag``."""
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start] + tag)
        last = end
    return "".join(out) + text[last:]


def redact_text(
    texts: pd.Series | Sequence[str],
    *,
    names: Iterable[object] = (),
    ids: Iterable[object] = (),
) -> tuple[pd.Series, pd.DataFrame]:
    """Remove direct identifiers from free text (the disclosure gate).

    Parameters
    ----------
    texts : Series or sequence of str
        Texts (segment texts, quotes). Missing values stay missing.
    names : iterable of str
        Full names of the people on the study roster (participants, staff, relatives
        named in transcripts); see :func:`partner_study.disclosure.build_roster` for
        what of a name is matched.
    ids : iterable of str
        Participant ids, removed where a text quotes them (``BE-0002 said ...``) as
        ``[id]``; see :func:`partner_study.disclosure.names.build_id_roster`.

    Returns
    -------
    redacted : Series
        The texts, each identifier replaced by ``[email]``, ``[url]``, ``[phone]``,
        ``[date]``, ``[id]``, ``[postcode]`` or ``[name]``; same index as ``texts``.
        Everything else is left exactly as it was (spaces and line breaks included).
    counts : DataFrame
        Same index, one int column per kind of :data:`REDACTION_KINDS`
        (``email, url, phone, date, id, postcode, name``): replacements in each text.
        ``counts.sum()`` gives the totals.

    Notes
    -----
    Detected, in this order (where two overlap, the earlier wins):

    - web addresses (``https://…``, ``www.…``), profiles without a scheme
      (``linkedin.com/in/jane-doe``, ``facebook.com/jane``, ``x.com/jane``,
      ``twitter.com/jane``, ``instagram.com/jane``) and handles (``@janedoe``);
    - e-mail addresses, also split by a line break (``john.doe@⏎example.org``) or
      spelled out (``jane dot doe at gmail dot com``, ``jane[at]gmail[dot]com``,
      ``jane (at) gmail.com``, ``jean point dupont arobase gmail point com``,
      ``ana arroba correo punto es``, ``ola krøllalfa nav punktum no``);
    - the number after an identifier's name (``MRN 00482913``, ``NHS number is …``,
      ``numéro de dossier 123456``, ``fødselsnummer …``, ``DNI …``); the name stays;
    - international phone numbers (``+32 470 12 34 56``, ``+1 (514) 555-0199``);
    - identifiers: Belgian national numbers (``85.07.30-033.61``, ``850730-033-62``),
      Norwegian fødselsnummer (``170365 12345``, ``170365-12345``), Swedish and Danish
      personal numbers (``19650317-1234``), French NIR (``1 65 03 75 123 456 78``),
      NHS/CHI numbers (``943 476 5919``), Canadian SIN (``046 454 286``), Quebec RAMQ
      (``ABCD 1234 5678``), UK National Insurance (``QQ 12 34 56 C``), Spanish DNI/NIE
      (``12345678Z``, ``X1234567L``) and social security numbers, Dutch BSN
      (``1234.56.782``), German tax and pension numbers, letters and six or more digits
      (``dubm56121235``, ``A123456789``) and any run of 9+ digits (11+ from 0);
    - dates with day, month and year: ``17/03/1965``, ``17.03.65``, ``1965-03-17``,
      ``17031965``, ``17th of March 1965``, ``March 17, 1965``, ``18-Mar-1966``,
      ``le 17 mars 1965``, ``17. März 1965``, ``17 de marzo de 1965``, ``17 maart 1965``
      (month names and abbreviations in English, French, Dutch, German, Norwegian and
      Spanish, with or without accents);
    - postcodes: British (``BN1 9PH``, ``SW1A 1AA``) and Canadian (``H3T 1C5``);
    - national phone numbers: North American (``(514) 555-0199``, ``514-555-0199``),
      European with trunk 0 (``0470 12 34 56``, ``06 12 34 56 78``, ``07700 900123``),
      Norwegian (``912 34 567``, ``22 12 34 56``) and Spanish (``612 34 56 78``);
    - participant ids given in ``ids`` (``BE-0002``, ``be 0002``);
    - roster names (:func:`partner_study.disclosure.build_roster`).

    Digits may be separated by any whitespace, a line break included, a dash of any
    kind, a dot or a slash. Not redacted: years alone (``in 2019``), month and year, day
    and month without a year, ages, scores (``7/10``), times (``10:30``), percentages,
    doses, short numbers (``10 patients``, ``level 3``), round thousands
    (``125 000 000``), words that merely contain a name (``annual`` for ``Ann``). The kind
    given to an ambiguous string (an unspaced 11-digit number may be a phone or a
    fødselsnummer) is a best guess; the string is removed either way. Patterns cannot
    catch every identifier (nicknames, places, rare events): read quotes before
    publication.

    A prefilter (:mod:`partner_study.disclosure.prefilter`) first picks, for each kind,
    the texts the full pattern may match, so a million short texts take seconds.

    Examples
    --------
    >>> redacted, counts = redact_text(
    ...     ["Call Helene on +32 470\\n12 34 57, born 17 mars 1965"], names=["Hélène Côté"]
    ... )
    >>> redacted.iloc[0]
    'Call [name] on [phone], born [date]'
    >>> int(counts.to_numpy().sum())
    3
    """
    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype="str")
    out = series.reset_index(drop=True).astype("str")
    values = out.to_numpy(dtype=object)
    counts = np.zeros((len(out), len(REDACTION_KINDS)), dtype=np.int64)
    present = out.notna().to_numpy()
    if present.any():
        passes = _identifier_passes()
        words = [
            ("id", build_id_roster(name_inputs(ids))),
            ("name", build_roster(name_inputs(names))),
        ]
        folded, exotic = fold_texts(out)
        compat = _has_compat(out) & present
        wanted = [_word_rows(folded, roster, present) for _, roster in words]
        # one scan with every prefilter at once, then each prefilter on the rows it kept
        anywhere = "(?is)(?:" + "|".join(pre.removeprefix("(?is)") for *_, pre in passes) + ")"
        hit = candidates(folded, anywhere, present) | exotic | np.logical_or.reduce(wanted)
        picked = np.flatnonzero(hit & ~compat)
        folded, exotic, part = folded.take(picked), exotic[picked], out.iloc[picked]
        every = np.ones(len(picked), dtype=bool)
        for kind, pattern, replacement, prefilter in passes:
            rows = candidates(folded, prefilter, every) | exotic
            if not rows.any():
                continue
            before = part[rows]
            after = before.str.replace(pattern, replacement, regex=True)
            tag = re.escape(f"[{kind}]")
            found = after.str.count(tag).to_numpy(np.int64) - before.str.count(tag).to_numpy(
                np.int64
            )
            counts[picked[rows], REDACTION_KINDS.index(kind)] += found
            part = part.mask(pd.Series(rows, index=part.index), after)
        kept = part.to_numpy(dtype=object)
        for (kind, roster), rows in zip(words, wanted, strict=True):
            for k in np.flatnonzero(rows[picked]):  # a set lookup per word of these texts
                spans = find_names(kept[k], roster)
                if spans:
                    kept[k] = _replace_spans(kept[k], spans, f"[{kind}]")
                    counts[picked[k], REDACTION_KINDS.index(kind)] += len(spans)
        values[picked] = kept
        for row in np.flatnonzero(compat):  # full-width forms, ligatures, ...: rare
            values[row], kinds = _redact_compatible(values[row], passes, words)
            counts[row] = [kinds.count(kind) for kind in REDACTION_KINDS]
    redacted = pd.Series(values, index=series.index, dtype="str")
    return redacted, pd.DataFrame(counts, index=series.index, columns=list(REDACTION_KINDS))


@functools.cache
def _compat_forms() -> tuple[frozenset[str], frozenset[str]]:
    """Characters whose texts skip the prefilters, and those of them read as their NFKD form.

    Read as their NFKD form: full-width and half-width forms (``０４７０``, ``＠``, ``．``),
    letter-like and mathematical letters, ligatures (``ﬁ``, ``ĳ``), circled and squared
    forms. Also skipping the prefilters, read as they are: symbols that NFKD turns into
    letters (``™``, ``№``). Superscripts, fractions and ordinals (``m²``, ``½``, ``1º``)
    are letters or digits already.
    """
    tags = ("<font>", "<compat>", "<square>", "<circle>", "<narrow>", "<wide>", "<small>")
    expanded, symbols = set(), set()
    for cp in range(0x80, 0x20000):
        ch = chr(cp)
        form = unicodedata.normalize("NFKD", ch)
        if form == ch:
            continue
        letters = any(c.isalnum() for c in form)
        decomposition = unicodedata.decomposition(ch)
        if decomposition.startswith(tags) and ch.isalnum() and letters:
            expanded.add(ch)
        elif decomposition.startswith(("<wide>", "<narrow>", "<small>")) and form in "@.":
            expanded.add(ch)
        elif not ch.isalnum() and letters:
            symbols.add(ch)
    return frozenset(expanded | symbols), frozenset(expanded)


@functools.cache
def _compat_class() -> str:
    return re2_class(map(ord, _compat_forms()[0]))


def _has_compat(texts: pd.Series) -> np.ndarray:
    """Texts holding a character of :func:`_compat_forms`."""
    hit = texts.str.contains(_compat_class(), regex=True, na=False)
    return hit.to_numpy(dtype=bool)


def _redact_compatible(
    text: str, passes: tuple[_Pass, ...], words: list[tuple[str, Roster]]
) -> tuple[str, list[str]]:
    """The gate on one text with compatibility characters (NFKD: ``０`` is ``0``).

    The passes run on the text with those characters replaced by their NFKD forms; each
    match found there is mapped back to the characters it came from, and only those are
    replaced in the original text.
    """
    compat = _compat_forms()[1]
    pieces, origin = [], []
    for i, ch in enumerate(text):
        form = unicodedata.normalize("NFKD", ch) if ch in compat else ch
        pieces.append(form)
        origin.extend([i] * len(form))
    work = "".join(pieces)
    spans: list[tuple[int, int, str]] = []
    for kind, pattern, _, _ in passes:
        found = []
        for match in pattern.finditer(work):
            start = match.end("keyword") if "keyword" in pattern.groupindex else match.start()
            if match.end() > start:
                found.append((start, match.end(), kind))
        for start, end, _ in found:
            work = work[:start] + "\x00" * (end - start) + work[end:]
        spans.extend(found)
    for kind, roster in words:
        found = [(start, end, kind) for start, end in find_names(work, roster)]
        for start, end, _ in found:
            work = work[:start] + "\x00" * (end - start) + work[end:]
        spans.extend(found)
    out, last = [], 0
    for start, end, kind in sorted(spans):
        first, stop = origin[start], origin[end - 1] + 1
        out.append(text[last:first] + f"[{kind}]")
        last = stop
    return "".join(out) + text[last:], [kind for _, _, kind in spans]


def redact_segments(
    segments: pd.DataFrame, *, names: Iterable[object] = (), ids: Iterable[object] = ()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The gate on the ``text`` of coded segments, with counts per kind of identifier.

    Parameters
    ----------
    segments : DataFrame
        Coded segments with ``segment_id`` and ``text`` (one row per segment, coder and
        code; a segment coded several times is counted once).
    names : iterable of str
        Roster names (see :func:`partner_study.disclosure.build_roster`).
    ids : iterable of str
        Participant ids (see :func:`redact_text`).

    Returns
    -------
    redacted : DataFrame
        A copy of ``segments`` with redacted texts.
    counts : DataFrame
        One row per kind of :data:`REDACTION_KINDS` and a final ``total`` row:

        - ``kind`` : str
        - ``n_redactions`` : int, identifiers replaced (each segment counted once)
        - ``n_segments`` : Int64, segments with at least one such replacement
          (missing on the ``total`` row)

    Notes
    -----
    Each distinct text runs through :func:`redact_text` once, so a million rows that
    repeat a few thousand texts cost a few thousand texts.
    """
    counts = np.zeros(len(REDACTION_KINDS), dtype=np.int64)
    n_segments = np.zeros(len(REDACTION_KINDS), dtype=np.int64)
    out = segments.copy()
    if len(segments):
        codes, unique = pd.factorize(segments["text"])
        redacted, per_text = redact_text(pd.Series(unique, dtype="str"), names=names, ids=ids)
        valid = codes >= 0
        text = np.full(len(codes), None, dtype=object)
        text[valid] = redacted.to_numpy(dtype=object)[codes[valid]]
        out["text"] = pd.Series(text, index=segments.index).astype(segments["text"].dtype)
        first = ~segments["segment_id"].duplicated().to_numpy() & valid
        per_segment = per_text.to_numpy()[codes[first]]
        counts, n_segments = per_segment.sum(axis=0), (per_segment > 0).sum(axis=0)
    table = pd.DataFrame(
        {
            "kind": pd.Series([*REDACTION_KINDS, "total"], dtype="str"),
            "n_redactions": [*(int(c) for c in counts), int(counts.sum())],
            "n_segments": pd.array([*(int(n) for n in n_segments), None], dtype="Int64"),
        }
    )
    return out, table


def pseudonymise_documents(documents: pd.Series, *, prefix: str = "D") -> pd.Series:
    """Replace source document names by ``D001``, ``D002``, ... (sorted, deterministic).

    Parameters
    ----------
    documents : Series of str
        Document names as imported; file names such as ``interview_sofie_claes.docx``
        often name a person.
    prefix : str
        Letters before the number.

    Returns
    -------
    Series
        Same index; each distinct non-blank name becomes ``prefix`` and its rank among the
        sorted distinct names, zero-padded to at least three digits. Blank and missing
        values are kept. The same names always give the same codes.

    Examples
    --------
    >>> import pandas as pd
    >>> pseudonymise_documents(pd.Series(["b.docx", "a.docx", "b.docx", ""])).tolist()
    ['D002', 'D001', 'D002', '']
    """
    values = documents.astype("str")
    blank = (values.isna() | values.str.strip().eq("")).to_numpy()
    codes, uniques = pd.factorize(values[~blank], sort=True)
    width = max(3, len(str(len(uniques))))
    labels = np.array([f"{prefix}{k + 1:0{width}d}" for k in range(len(uniques))], dtype=object)
    out = values.copy()
    out[~blank] = labels[codes]
    return out


def read_roster(folders: Sequence[Path | str]) -> pd.DataFrame:
    """The names on the roster (``roster.csv``) of the raw study folder(s).

    Parameters
    ----------
    folders : sequence of path-like
        Raw study folders (``RunContext.raw_folders``). A folder without a roster adds
        nothing.

    Returns
    -------
    DataFrame
        ``name`` : str, the distinct non-blank names of every roster, sorted. They only
        feed :func:`redact_text`; they are never processed, written or shown.

    Raises
    ------
    StudyDataError
        When a roster has no ``name`` column.
    """
    names: set[str] = set()
    for folder in folders:
        path = find_table(folder, "roster")
        if path is None:
            continue
        table = read_table(path)
        if "name" not in table.columns:
            raise StudyDataError(
                Problem(
                    file=str(path),
                    found="no column 'name'",
                    expected="the roster columns participant_id, name",
                    fix="name the column of full names 'name'",
                )
            )
        names.update(n.strip() for n in table["name"].astype(str) if n.strip())
    return pd.DataFrame({"name": pd.Series(sorted(names), dtype="str")})
