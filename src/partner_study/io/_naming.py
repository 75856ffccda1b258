"""Names and texts of a draft study: identifiers, YAML codes, numbers and value lists.

Layer 2 (private to :mod:`partner_study.io`). The importers (:mod:`partner_study.io.redcap`,
:mod:`partner_study.io.spss`, :mod:`partner_study.io.qdpx`, :mod:`partner_study.io.taguette`)
name variables, scales, codes, sites and roles as snake_case identifiers, and quote the
source's values in their notes and messages the same way.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

__all__: list[str] = []


def _identifier(name: str, *, fallback: str = "v", digit_prefix: str = "v_") -> str:
    """A snake_case identifier for ``name``: accents dropped, non-word runs -> ``_``."""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"\W+", "_", text).strip("_")
    text = re.sub(r"_+", "_", text)
    if not text:
        return fallback
    if text[0].isdigit() and digit_prefix:
        text = digit_prefix + text
    return text


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... whichever is not in ``taken`` (then taken)."""
    out, k = name, 2
    while out in taken:
        out, k = f"{name}_{k}", k + 1
    taken.add(out)
    return out


def _slug_values(values: pd.Series) -> pd.Series:
    """Site or role labels as snake_case identifiers (mapped once per distinct value)."""
    uniq = pd.unique(values.to_numpy())
    mapping = {v: _identifier(v, fallback="", digit_prefix="") if v else "" for v in uniq}
    return values.map(mapping)


def _code_key(code: str) -> int | str:
    """A level or missing code as it should appear in YAML: an int when canonical."""
    return int(code) if re.fullmatch(r"-?(0|[1-9]\d*)", code) else code


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _fmt_numbers(series: pd.Series) -> pd.Series:
    """Floats as text the way a person writes them (``1.0`` -> ``1``, NaN -> empty)."""
    numbers = pd.to_numeric(series, errors="coerce")
    text = numbers.astype(str).str.replace(r"\.0$", "", regex=True)
    return text.where(numbers.notna(), "").astype(object)


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as stripped-header text, NaN as ``""``."""
    out = frame.astype(object).where(frame.notna(), "").astype(str)
    out.columns = [str(c).replace("\ufeff", "").strip() for c in out.columns]
    return out


def _shown(values: list[str], limit: int = 6, *, width: int = 60) -> str:
    """The first ``limit`` values quoted (each cut to ``width`` characters), and how many more."""
    head = ", ".join(
        f"'{v}'" if len(str(v)) <= width else f"'{str(v)[: width - 3]}...'" for v in values[:limit]
    )
    return head + (f" and {len(values) - limit} more" if len(values) > limit else "")
