"""The disclosure gate of the quotes: what redaction removed, and the check that stops a run.

Layer 3 (analysis). :func:`disclosure_report` states what
:func:`partner_study.disclosure.redact_text` removed from the quotes of
:func:`partner_study.qualitative.quotes.select_quotes` and re-runs the detectors, names of
the roster included, on the released quotes; :func:`check_disclosure` stops when anything
detectable is left.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from partner_study.disclosure import REDACTION_KINDS, redact_text
from partner_study.errors import Problem, StudyDataError
from partner_study.qualitative.quotes import _quotes_and_counts

__all__ = ["disclosure_report", "check_disclosure"]


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
