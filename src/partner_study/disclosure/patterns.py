"""The patterns of the disclosure gate: identifiers, dates, addresses and roster names.

Layer 3 (analysis), part of :mod:`partner_study.disclosure`. Every pattern is in Python's
:mod:`re` syntax, built once at import; the names of a roster are found by
:mod:`partner_study.disclosure.names`.

The patterns tolerate what typing and transcription do to a string: accents (``Helene`` for
``Hélène``, decomposed Unicode too), German and Scandinavian transliterations (``Mueller``,
``Bjoern``), apostrophes (``O’Brien``), dashes (``‐ – —`` for ``-``) and any whitespace,
no-break spaces and line breaks included (``943⏎476 5921`` is one NHS number). They accept
these variants as they stand, so a replacement covers exactly the characters of the
identifier in the original text and everything else is left as it was.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

__all__ = [
    "REDACTION_KINDS",
    "PASSES",
    "DASH_CHARS",
    "APOS_CHARS",
    "BREAK_CHARS",
    "ZERO_WIDTH",
    "FOLD_LETTERS",
    "MARKS",
    "SPACE",
    "DASH",
    "APOSTROPHE",
    "fold_letters",
]

#: Kinds of identifier the gate removes, in the order of the count columns.
REDACTION_KINDS: tuple[str, ...] = ("email", "url", "phone", "date", "id", "postcode", "name")

# --------------------------------------------------------------------------- characters

#: Dashes and minus signs read as ``-``.
DASH_CHARS = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
#: Apostrophes read as ``'`` (and ``´``, which NFKD makes a space and an accent).
APOS_CHARS = "\u2018\u2019\u02bb\u02bc\u0060\u2032\uff07"
#: Unicode line separators, read as a line break.
BREAK_CHARS = "\x85\u2028\u2029"
#: Zero-width spaces and joiners, read as a space.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"

_SPACE_CC = r"\s\u200b-\u200d\u2060\ufeff"  # whitespace, line breaks, zero-width spaces
_DASH_CC = r"\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d"
_APOS_CC = r"'\u2018\u2019\u02bb\u02bc\u0060\u00b4\u2032\uff07"
#: The combining accents of decomposed (NFD) text, allowed after every letter of a name.
MARKS = r"[\u0300-\u036f]*"
_SP = f"[{_SPACE_CC}]"
_GAP = f"{_SP}{{1,4}}"  # between parts of a number: spaces or a line break and indent
_G = f"(?:{_GAP})?"  # an optional gap
_HY = f"[{_DASH_CC}]"
_GH = f"(?:{_GAP}|{_HY})"  # a gap or a dash
_SEP = f"(?:{_GAP}|[./{_DASH_CC}])"  # between the digits of a phone number
_BREAK = r"(?:[ \t]*[\n\r\u2028\u2029\x85]\s*)"  # a line break and the spaces around it
#: One space of any kind, a line break or a zero-width space (a pattern).
SPACE = _SP
#: One hyphen, dash or minus sign (a pattern).
DASH = _HY
#: One apostrophe of any kind (a pattern).
APOSTROPHE = f"[{_APOS_CC}]"

#: Letters NFKD does not take apart, as they are folded.
FOLD_LETTERS = (
    ("ø", "o"), ("ł", "l"), ("đ", "d"), ("ð", "d"), ("ħ", "h"), ("ŧ", "t"), ("ı", "i"),
    ("ƒ", "f"), ("æ", "ae"), ("œ", "oe"), ("ß", "ss"), ("þ", "th"),
)  # fmt: skip
#: Letters also written out (Müller, Mueller; Bjørn, Bjoern; Åse, Aase).
_TRANSLIT = {"ä": "ae", "ö": "oe", "ü": "ue", "ø": "oe", "å": "aa"}
#: Letter pairs that may be one letter in the text (Claes, Clæs; Janssens, Janßens).
_DIGRAPHS = {"ae": "æä", "oe": "œøö", "ue": "ü", "aa": "å", "ss": "ß", "th": "þ"}


def fold_letters(text: str) -> str:
    """Base letters of a text: NFKD, accents removed, lower case, ``ø æ ß ...`` spelled out.

    Examples
    --------
    >>> fold_letters("Æsa Lefèvre-Øvstebø")
    'aesa lefevre-ovstebo'
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.category(c).startswith("M")).lower()
    for letter, folded in FOLD_LETTERS:
        text = text.replace(letter, folded)
    return text


def _letter_variants() -> dict[str, str]:
    """Every lower-case Latin letter that folds to one ASCII letter, by that letter."""
    variants: dict[str, list[str]] = {}
    for cp in itertools.chain(range(0xC0, 0x250), range(0x1E00, 0x1F00)):
        ch = chr(cp)
        base = fold_letters(ch)
        if ch.isalpha() and ch == ch.lower() and len(base) == 1 and "a" <= base <= "z":
            variants.setdefault(base, []).append(ch)
    return {b: "".join(v) for b, v in variants.items()}


_VARIANTS = _letter_variants()


def _letter(base: str) -> str:
    """One folded letter: the letter, its accented forms, trailing combining accents."""
    return f"[{base}{_VARIANTS.get(base, '')}]{MARKS}"


def _tokens(word: str) -> list[str]:
    """Pattern tokens of a word or phrase; ``"SEP"`` between words (case is left to flags)."""
    text = unicodedata.normalize("NFC", word.strip()).lower()
    out: list[str] = []
    i = 0
    while i < len(text):
        ch, pair = text[i], text[i : i + 2]
        i += 1
        if ch.isspace() or ch == "-" or ch in DASH_CHARS:
            if out and out[-1] != "SEP":
                out.append("SEP")
        elif ch in "'\u00b4" or ch in APOS_CHARS:
            out.append(f"[{_APOS_CC}{_SPACE_CC}]?")
        elif ch in _TRANSLIT:  # ä: a, ae, ä
            spelled = _TRANSLIT[ch]
            out.append(f"{_letter(spelled[0])}(?:{_letter(spelled[1])})?")
        elif pair in _DIGRAPHS:  # ae: ae, æ, ä
            out.append(f"(?:[{_DIGRAPHS[pair]}]{MARKS}|{_letter(pair[0])}{_letter(pair[1])})")
            i += 1
        elif ch.isalpha():
            folded = fold_letters(ch)
            if folded in _DIGRAPHS:  # æ: æ, ä, ae
                letters = "".join(_letter(b) for b in folded)
                out.append(f"(?:[{_DIGRAPHS[folded]}]{MARKS}|{letters})")
            elif folded and all("a" <= b <= "z" for b in folded):
                out.extend(_letter(b) for b in folded)
            else:
                out.append(re.escape(ch) + MARKS)
        else:
            out.append(re.escape(ch))
    while out and out[-1] == "SEP":
        out.pop()
    return out


def _tolerant(word: str) -> str:
    """Accent-, dash-, apostrophe- and space-tolerant pattern of a fixed word or phrase."""
    return "".join(f"(?:{_SP}+|{_HY})" if t == "SEP" else t for t in _tokens(word))


def _words(*groups: str) -> str:
    """Tolerant alternation of the space-separated words of ``groups``, longest first."""
    words = sorted({w for g in groups for w in g.split()}, key=lambda w: (-len(w), w))
    return "(?:" + "|".join(_tolerant(w) for w in words) + ")"


# --------------------------------------------------------------------------- patterns

_MONTH = _words(
    # English
    "january february march april may june july august september october november december"
    " jan feb mar apr jun jul aug sep sept oct nov dec",
    # French (Belgium, Quebec)
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
    " janv févr fév avr juil aoû déc",
    # Dutch (Belgium)
    "januari februari maart april mei juni juli augustus september oktober november december"
    " mrt okt",
    # German
    "januar jänner februar feber märz april mai juni juli august september oktober november"
    " dezember mär okt dez",
    # Norwegian ("des" left out: French "17 des 2000 patients")
    "januar februar mars april mai juni juli august september oktober november desember",
    # Spanish
    "enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre"
    " diciembre ene abr ago dic",
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MON = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_DAY_SUFFIX = r"(?:st|nd|rd|th|er|re|e|ème|eme|º|°|\.)"
_OF = rf"(?:of|de|del|d[{_APOS_CC}])"
_DATE = (
    "(?i:"
    + "|".join(
        [
            # 17th of March 1965, le 17 mars 1965, 17. März 1965, 17 de marzo de 1965, 1er mai 1965
            rf"(?<![\w.]){_DAY}{_DAY_SUFFIX}?{_SP}*(?:{_OF}{_SP}*)?{_MONTH}\.?,?{_SP}*"
            rf"(?:{_OF}{_SP}*)?(?:\d{{4}}|['’]\d\d)(?!\w)",
            # 18-Mar-1966, 18/mar/66, 18.Mär.1966
            rf"(?<![\w.]){_DAY}(?:{_HY}|[/.]){_MONTH}\.?(?:{_HY}|[/.])(?:\d{{4}}|\d\d)(?!\w)",
            # March 17, 1965; March 17th 1965
            rf"(?<!\w){_MONTH}\.?{_SP}+{_DAY}(?:st|nd|rd|th)?,?{_SP}+\d{{4}}(?!\w)",
            # 1965-03-17, 1965/03/17, 1965.03.17
            rf"(?<![\w.]){_YEAR}(?:{_HY}{_MON}{_HY}|/{_MON}/|\.{_MON}\.){_DAY}(?!\w|\.\d)",
            # 17/03/1965, 03/17/1965, 17/3/65
            rf"(?<![\w./]){_DAY}/{_DAY}/(?:\d{{4}}|\d\d)(?![\w/]|\.\d)",
            # 17.03.1965, 17-03-1965, 17.3.65
            rf"(?<![\w.]){_DAY}(?:\.{_MON}\.|{_HY}{_MON}{_HY})(?:\d{{4}}|\d\d)(?!\w|\.\d)",
            # 17031965, 19650317
            r"(?<![\w.])(?:(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])(?:19|20)\d\d"
            r"|(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(?!\w|\.\d)",
        ]
    )
    + ")"
)

_NUMBER_WORD = r"(?i:number|no\.?|nr\.?|n[°º]\.?|nummer|num[ée]ro|n[úu]mero|id|#)"
#: Acronyms that name an identifier on their own (upper case: "sin" is Spanish for "without").
_ID_ACRONYM = r"\b(?:MRN|SIN|NAS|NIR|NISS|INSZ|DNI|NIE|NIF|NSS|NUSS|BSN|RAMQ|SSN|AVS|KVNR)"
#: Words that name an identifier only with "number" ("NHS 111" is a phone service).
_ID_NEEDS_NUMBER = (
    r"(?:\b(?:NHS|CHI)|(?i:\b(?:"
    + "|".join(
        _tolerant(w)
        for w in (
            "medical record",
            "hospital",
            "patient",
            "health card",
            "health insurance",
            "insurance",
            "social security",
            "case",
            "chart",
        )
    )
    + ")))"
)
#: Words that name an identifier by themselves.
_ID_WORD = (
    r"(?i:\b(?:"
    + _words(
        "fødselsnummer personnummer personnr d-nummer rijksregisternummer insz-nummer"
        " patiëntnummer dossiernummer ziekenfondsnummer versichertennummer patientennummer"
        " krankenversichertennummer sozialversicherungsnummer steueridentifikationsnummer"
        " steuer-id"
    )
    + "|"
    + "|".join(
        _tolerant(w)
        for w in (
            "numéro de dossier",
            "numéro de sécurité sociale",
            "numéro d'assurance maladie",
            "numéro d'assurance sociale",
            "numéro de patient",
            "número de historia clínica",
            "historia clínica",
            "número de la seguridad social",
            "número de afiliación",
            "tarjeta sanitaria",
        )
    )
    + rf"|n[°º]{_SP}*(?:de{_SP}+)?dossier))"
)
_ID_KEYWORD = (
    rf"(?:{_ID_ACRONYM}(?:{_SP}*{_NUMBER_WORD})?|{_ID_NEEDS_NUMBER}{_SP}*{_NUMBER_WORD}"
    rf"|{_ID_WORD})(?:{_SP}*[:#=]|{_SP}+(?i:is|est|er|ist|es))?{_SP}*"
)
#: A number after an identifier's name (MRN 00482913, NHS no 9434765919, fødselsnummer:
#: 11036112345). The name stays (group ``keyword``), the number goes.
_ID_AFTER_KEYWORD = (
    rf"(?P<keyword>{_ID_KEYWORD})(?:[A-Z]{{1,3}}{_G})?\d{{2,}}(?:{_SEP}?\d{{2,}}){{0,4}}(?!\w)"
)
_ID = "|".join(
    [
        # Belgian national register number: 85.07.30-033.61, 850730-033-62, 850730 033 62
        rf"(?<![\w.])\d\d(?:\.\d\d\.\d\d|\d{{4}})(?:{_GH}|\.)?\d{{3}}(?:{_GH}|\.)?\d\d(?!\w)",
        # Norwegian fødselsnummer and D-number: 170365 12345, 170365-12345
        rf"(?<![\w+])\d{{6}}{_GH}\d{{5}}(?!\w)",
        # Swedish personnummer, Danish CPR: 19650317-1234, 650317-1234, 650317+1234
        rf"(?<![\w+])(?:19|20)?\d{{6}}(?:{_HY}|\+)\d{{4}}(?!\w)",
        # French NIR: 1 65 03 75 123 456 78 (2A/2B for Corsica)
        rf"(?<![\w+])[12]{_G}\d\d{_G}(?:0[1-9]|1[0-2]|[2-9]\d){_G}(?:\d\d|2[ABab]){_G}"
        rf"\d{{3}}{_G}\d{{3}}(?:{_G}\d\d)?(?!\w)",
        # NHS and CHI numbers: 943 476 5919
        rf"(?<![\w+])\d{{3}}{_GAP}\d{{3}}{_GAP}\d{{4}}(?!\w)",
        # Canadian social insurance number: 046 454 286, 046-454-286 (not 125 000 000)
        rf"(?<![\w+])\d{{3}}{_GH}(?!000)\d{{3}}{_GH}(?!000)\d{{3}}(?!\w)",
        # German tax identification number: 12 345 678 901
        rf"(?<![\w+])\d\d{_GAP}(?!000)\d{{3}}{_GAP}(?!000)\d{{3}}{_GAP}\d{{3}}(?!\w)",
        # Dutch BSN: 1234.56.782
        r"(?<![\w+.])\d{4}\.\d\d\.\d{3}(?!\w|\.\d)",
        # German pension insurance number: 12 170365 M 123
        rf"(?<!\w)\d\d{_G}\d{{6}}{_G}[A-Z]{_G}\d{{3}}(?!\w)",
        # Quebec RAMQ: ABCD 1234 5678; UK National Insurance: QQ 12 34 56 C
        rf"(?<!\w)[A-Z]{{4}}{_G}\d{{4}}{_G}\d{{4}}(?!\w)",
        rf"(?<!\w)[A-Z]{{2}}{_G}\d\d{_G}\d\d{_G}\d\d{_G}[A-D](?!\w)",
        # Spanish DNI and NIE: 12345678Z, 12345678-Z, X1234567L
        rf"(?<!\w)(?:[XYZ]\d{{7}}|\d{{8}}){_GH}?[A-HJ-NP-TV-Z](?!\w)",
        # Spanish social security number: 28/12345678/90
        rf"(?<![\w/])\d\d(?:/|{_GAP})\d{{8}}(?:/|{_GAP})\d\d(?!\w)",
        # letters and 6+ digits: dubm56121235, A123456789 (not trial registrations)
        r"(?<!\w)(?!(?i:nct|isrctn|doi)\d)[A-Za-z]{1,6}\d{6,}(?!\w)",
        # long digit runs: 9+ digits not starting with 0, or 11+ digits
        r"(?<![\w+])(?:[1-9]\d{8,}|\d{11,})(?!\w)",
    ]
)

_PHONE_INTERNATIONAL = (
    rf"(?<![\w+])(?:\+|\b00)[1-9]\d{{0,2}}"
    rf"(?:{_SEP}?(?:\(0\){_SEP}?)?\(?\d{{1,4}}\)?){{2,6}}(?!\w)"
)
#: A trunk 0 and 8 to 11 more digits. Its prefilter is what the lookahead asks for (a
#: lookahead is dropped from a prefilter, and without it any 0 and two digits would do).
_TRUNK_DIGITS = rf"0(?:{_SEP}?\d){{8,11}}"
_TRUNK_PHONE = (
    rf"(?<![\w+])0(?=(?:{_SEP}?\d){{8,11}}(?!\d))\d{{1,4}}(?:{_SEP}?\d{{2,6}}){{1,4}}(?!\w)"
)
_PHONE_NATIONAL_PARTS = (
    # North America: (514) 555-0199, 514-555-0199, 1-800-555-0199, 514.555.0199
    rf"(?<!\w)\(\d{{3}}\){_SP}{{0,2}}\d{{3}}{_SEP}\d{{4}}(?!\w)",
    rf"(?<![\w+])(?:1{_SEP})?\d{{3}}(?:{_HY}|\.)\d{{3}}(?:{_HY}|\.)\d{{4}}(?!\w)",
    # Europe, trunk prefix 0 and 8 to 11 more digits: 0470 12 34 56, 02 555 12 34,
    # 07700 900123, 020 7946 0958, 06 12 34 56 78, 0151 2345 6789
    _TRUNK_PHONE,
    # Norway, 8 digits: 912 34 567, 22 12 34 56 (not 30 40 50 60), 91234567
    rf"(?<![\w+])[2-9]\d\d{_GAP}\d\d{_GAP}\d{{3}}(?!\w)",
    rf"(?<![\w+])(?!(?:\d0{_GAP}){{3}}\d0(?!\w))[2-9]\d(?:{_GAP}\d\d){{3}}(?!\w)",
    r"(?<![\w+])[49]\d{7}(?!\w)",
    # Spain, 9 digits: 612 34 56 78
    rf"(?<![\w+])[6-9]\d\d(?:{_GAP}\d\d){{3}}(?!\w)",
)
_PHONE_NATIONAL = "|".join(_PHONE_NATIONAL_PARTS)
_PHONE_NATIONAL_PREFILTER = "|".join(
    _TRUNK_DIGITS if part == _TRUNK_PHONE else part for part in _PHONE_NATIONAL_PARTS
)

_LOCAL = r"[\w%+\-]+"
_EMAIL_PLAIN = (  # a line break may follow a dot or sit around the @
    rf"(?<![\w.%+\-]){_LOCAL}(?:\.{_BREAK}?{_LOCAL})*(?:[ \t]?|{_BREAK})[@\uff20]"
    rf"(?:[ \t]?|{_BREAK})[\w\-]+(?:\.(?:{_BREAK}(?=[a-z0-9]))?[\w\-]+)*"
    rf"\.(?:{_BREAK}(?=[a-z]))?[A-Za-z]{{2,}}(?!\w)"
)
_AT_WORDS = _words(
    "arobase arrobe arroba arrobas apenstaartje klammeraffe krøllalfa alfakrøll snabel-a"
)
_DOT_WORDS = _words("dot point punt punkt punktum punto prikk")
_AT_STRONG = (
    rf"(?:{_SP}*[\[({{<]{_SP}*(?:at|{_AT_WORDS}){_SP}*[\])}}>]{_SP}*"
    rf"|{_SP}+{_AT_WORDS}{_SP}+|{_SP}*[@\uff20]{_SP}*)"
)
_AT_ANY = rf"(?:{_AT_STRONG}|{_SP}+at{_SP}+)"
_DOT_BRACKET = rf"{_SP}*[\[({{<]{_SP}*{_DOT_WORDS}{_SP}*[\])}}>]{_SP}*"
_DOT_ANY = rf"(?:{_DOT_BRACKET}|{_SP}+{_DOT_WORDS}{_SP}+|\.)"
#: "point", "punt", "punto" are ordinary words: with "at" and a top-level domain that is
#: also a word ("at this point no one ..."), only "dot", "punkt(um)", "prikk" or "." count.
_DOT_STRONG = rf"(?:{_DOT_BRACKET}|{_SP}+(?:dot|punkt|punktum|prikk){_SP}+|\.)"
_TLD = "(?:com|org|net|edu|gov|info|fr|nl|uk|ca|se|dk|ch|lu|ie|qc|quebec|fi|pt|pl|eu|ac|int)"
_TLD_WORD = "(?:be|de|es|no|it|at|us|io|me|co)"
_DOMAIN = rf"[\w\-]+(?:{_DOT_ANY}[\w\-]+)*?"
_EMAIL_SPELLED = (
    rf"(?i:(?<![\w.%+\-]){_LOCAL}(?:{_DOT_ANY}{_LOCAL})*?"
    rf"(?:{_AT_ANY}{_DOMAIN}{_DOT_ANY}{_TLD}|{_AT_ANY}{_DOMAIN}{_DOT_STRONG}{_TLD_WORD}"
    rf"|{_AT_STRONG}{_DOMAIN}{_DOT_ANY}{_TLD_WORD})(?!\w))"
)
_EMAIL = f"{_EMAIL_PLAIN}|{_EMAIL_SPELLED}"

_URL_CHARS = r"[^\s<>\"'\[\]{}|\\^`]"
_URL_END = r"[^\s<>\"'\[\]{}|\\^`.,;:!?)]"
_PROFILE_SITES = (
    r"linkedin\.com|facebook\.com|fb\.com|fb\.me|twitter\.com|x\.com|instagram\.com"
    r"|tiktok\.com|youtube\.com|youtu\.be|threads\.net|github\.com|bsky\.app|snapchat\.com"
    r"|pinterest\.com|vimeo\.com|reddit\.com|mastodon\.social|t\.me|wa\.me|vk\.com"
)
_URL = "|".join(
    [
        # any web address: https://..., http://..., www....
        rf"(?i:\b(?:https?://|www\.)){_URL_CHARS}*{_URL_END}",
        # profiles without a scheme: linkedin.com/in/jane-doe, x.com/janedoe
        rf"(?i:(?<![\w.\-/@])(?:[\w\-]+\.)*(?:{_PROFILE_SITES})/){_URL_CHARS}*{_URL_END}",
        # handles: @janedoe
        r"(?<![\w@./])@[A-Za-z_][\w.]*\w",
    ]
)

_POSTCODE = "|".join(
    [
        # United Kingdom: BN1 9PH, SW1A 1AA, M1 1AE
        rf"(?<!\w)[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?{_G}\d[ABD-HJLNP-UW-Z]{{2}}(?!\w)",
        # Canada: H3T 1C5, h3t1c5
        rf"(?<!\w)(?i:[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]{_GH}?\d[ABCEGHJ-NPRSTV-Z]\d)(?!\w)",
    ]
)

#: (kind, pattern, replacement, source of its prefilter), applied in this order. Where two
#: overlap the earlier wins: a web address before the e-mail in it, a number after an
#: identifier's name before anything else, international phone numbers before other
#: identifiers (``+1 514 555 0199``), identifiers before dates (a Belgian national number
#: starts with a date), dates before national phone numbers (``12.03.1961``), names last
#: (the name in an e-mail address goes with the address).
PASSES: tuple[tuple[str, str, str, str], ...] = (
    ("url", _URL, "[url]", _URL),
    ("email", _EMAIL, "[email]", _EMAIL),
    ("id", _ID_AFTER_KEYWORD, r"\g<keyword>[id]", _ID_AFTER_KEYWORD),
    ("phone", _PHONE_INTERNATIONAL, "[phone]", _PHONE_INTERNATIONAL),
    ("id", _ID, "[id]", _ID),
    ("date", _DATE, "[date]", _DATE),
    ("postcode", _POSTCODE, "[postcode]", _POSTCODE),
    ("phone", _PHONE_NATIONAL, "[phone]", _PHONE_NATIONAL_PREFILTER),
)
