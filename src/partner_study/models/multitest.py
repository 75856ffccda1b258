"""Multiplicity: adjusted p values within each family of models.

Layer 3 (analysis), part of :mod:`partner_study.models`; never reads or writes files.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from partner_study.errors import ParamsError
from partner_study.models._tidy import ALL_OUTCOMES, _join

#: Note of a row left out of the Benjamini-Hochberg family.
_NOT_IN_FAMILY = (
    "not in the Benjamini-Hochberg family: the model did not converge, so its p value "
    "is not adjusted"
)

__all__ = ["adjust_pvalues"]


def adjust_pvalues(
    frame: pd.DataFrame,
    *,
    by: Sequence[str] = ("model", "dependent"),
    terms: Sequence[str] | None = None,
    method: str = "fdr_bh",
) -> pd.DataFrame:
    """Fill ``p_adjusted``: Benjamini-Hochberg within each model family.

    Parameters
    ----------
    frame : DataFrame
        Tidy regression frame (needs ``term``, ``p_value``, ``outcome`` and the ``by``
        columns). Not modified.
    by : sequence of str
        Columns defining one family of hypotheses (default: one family per model
        kind and dependent variable, across the outcome-specific models).
    terms : sequence of str, optional
        Terms to adjust. Default: the outcome terms, i.e. rows whose ``term`` equals
        their ``outcome`` and, in joint models (``outcome == "(all)"``), rows whose
        term is one of the outcomes of the frame.
    method : str
        Any method of :func:`statsmodels.stats.multitest.multipletests`
        (``"fdr_bh"`` = Benjamini-Hochberg, ``"holm"``, ``"bonferroni"`` ...).

    Returns
    -------
    DataFrame
        Copy of ``frame`` with ``p_adjusted`` set for the adjusted rows and NaN
        elsewhere (covariates, intercepts, cut points, variance components). A row of a
        fit that did not converge (``converged`` False) is left out of its family: its
        ``p_adjusted`` is NaN and its note says why (its p value is not the optimum's).

    Raises
    ------
    ParamsError
        Unknown ``method`` or ``by`` column.

    Notes
    -----
    BH: sort the m p-values, :math:`p^{adj}_{(i)} = \\min_{j \\ge i} \\min(1, m\\,p_{(j)}/j)`.
    Covariate terms are not adjusted: they are not hypotheses of the study.

    References
    ----------
    Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: a
    practical and powerful approach to multiple testing. Journal of the Royal
    Statistical Society B, 57(1), 289-300.
    https://doi.org/10.1111/j.2517-6161.1995.tb02031.x
    """
    missing = [c for c in [*by, "term", "p_value"] if c not in frame.columns]
    if missing:
        raise ParamsError(f"adjust_pvalues: column(s) {', '.join(missing)} not in the frame.")
    out = frame.copy()
    out["p_adjusted"] = np.nan
    if terms is not None:
        rows = out["term"].isin(list(terms))
    else:
        if "outcome" not in out.columns:
            raise ParamsError("adjust_pvalues: pass terms=[...] for a frame without 'outcome'.")
        outcomes = set(out["outcome"]) - {ALL_OUTCOMES, ""}
        rows = (out["term"] == out["outcome"]) | (
            (out["outcome"] == ALL_OUTCOMES) & out["term"].isin(outcomes)
        )
    rows &= out["p_value"].notna()
    if "converged" in out.columns:
        # False as a bool or, in a table read back from its CSV, as text
        flags = out["converged"].astype(object)
        failed = rows & np.array(
            [str(v).strip().lower() in ("false", "0", "0.0") for v in flags], dtype=bool
        )
        if failed.any():
            before = out["note"] if "note" in out.columns else pd.Series("", index=out.index)
            out.loc[failed, "note"] = [
                _join(note if isinstance(note, str) else "", _NOT_IN_FAMILY)
                for note in before[failed]
            ]
            rows &= ~failed
    if not rows.any():
        return out
    try:
        for _, idx in out.loc[rows].groupby(list(by), sort=False).groups.items():
            p = out.loc[idx, "p_value"].to_numpy(dtype=float)
            out.loc[idx, "p_adjusted"] = multipletests(p, method=method)[1]
    except ValueError as exc:
        raise ParamsError(f"adjust_pvalues: method {method!r} is not known ({exc}).") from None
    return out
