"""Checks of the parameters against the codebook: every name the parameters use.

Layer 2. :func:`check_params` checks the regression's dependent, outcomes, covariates,
groups, model kinds, ordinal levels and covariance, and the grouping of the descriptive
tables, against the scales and variables the codebook declares, and fills the defaults
that depend on the codebook (the first scale as dependent, every other as outcome, the
declared order of the ordinal levels).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from partner_study.codebook import Codebook, read_codebook
from partner_study.config import MODEL_KINDS
from partner_study.params.defaults import Params
from partner_study.params.schema import _COV_TYPES, schema_problems

__all__ = ["check_params"]


def check_params(
    params: Params, *, root: Path | str, codebook: Codebook | None = None
) -> list[str]:
    """Problems in ``params`` (unknown keys and names), each naming the key and allowed values."""
    src = params.source
    out = schema_problems({"study": params.study, "data": list(params.data), **params.values}, src)
    if out:
        return out  # names are checked against the codebook once the types are right
    root = Path(root)
    if codebook is None:
        folder = root / params.data[0]
        if not (folder / "codebook.yaml").is_file():
            out.append(
                f"{src}: key 'data': found '{params.data[0]}' without a codebook.yaml, "
                "expected a raw study folder. Fix: correct the path (relative to the "
                "project root) or create the study with `partner-study new-site`."
            )
            return out
        try:
            codebook = read_codebook(folder / "codebook.yaml")
        except Exception:
            return out  # the codebook's own problems are reported by validation
    out += _check_regression(params, codebook)
    by = params.values.get("describe", {}).get("by", "role")
    allowed_by = [codebook.role_column, "role", "site", *codebook.variables]
    if by not in allowed_by:
        out.append(
            f"{src}: key 'describe.by': found '{by}', expected one of {allowed_by}."
            " Fix: group by one of those columns (role, site or a category variable)."
        )
    return out


def _no_dependent(value: Any, scales: list[str]) -> bool:
    """Whether ``regression.dependent`` says the study has no continuous dependent
    (``none`` or ``false``; a scale really named ``none`` keeps its name)."""
    if value is False:
        return True
    return isinstance(value, str) and value.strip().lower() == "none" and value not in scales


def _check_ordinal_only(params: Params, cb: Codebook, reg: dict[str, Any]) -> list[str]:
    """``dependent: none``: every scale predicts the ordinal dependent, nothing else is
    regressed. Stored as ``dependent: False``; the ordinal model must be possible."""
    src, scales = params.source, list(cb.scales)
    reg["dependent"] = False
    out: list[str] = []
    if reg.get("outcomes") is None:
        reg["outcomes"] = scales
    for o in reg["outcomes"]:
        if o not in scales:
            out.append(
                f"{src}: key 'regression.outcomes': found unknown scale '{o}', expected some "
                f"of {scales}. Fix: list scales declared in the codebook, or leave "
                "'outcomes' out to use every scale."
            )
    ordinal = reg.get("ordinal_dependent")
    if "ordinal" not in (reg.get("models") or []) or not ordinal:
        out.append(
            f"{src}: key 'regression.dependent': found none (no continuous dependent), "
            "expected an ordinal model to fit instead, but "
            + (
                "'ordinal' is not in regression.models"
                if ordinal
                else "there is no ordinal dependent (the codebook declares no engagement_level)"
            )
            + ". Fix: add 'ordinal' to regression.models and name regression.ordinal_dependent"
            " (an ordered category variable), or name a scale as the dependent."
        )
        return out
    # the rest (covariates, groups, ordinal levels, cov_type) as for any dependent
    return out + _check_regression_common(params, cb)


def _check_regression(params: Params, cb: Codebook) -> list[str]:
    src = params.source
    reg = params.values["regression"]
    out: list[str] = []
    scales = list(cb.scales)
    if reg.get("ordinal_dependent") is None and cb.engagement_level is not None:
        reg["ordinal_dependent"] = "engagement_level"
    if not scales:
        return out
    if _no_dependent(reg.get("dependent"), scales):
        return out + _check_ordinal_only(params, cb, reg)
    if reg.get("dependent") is None:
        reg["dependent"] = scales[0]  # the first scale the codebook declares
    if reg.get("dependent") not in scales:
        out.append(
            f"{src}: key 'regression.dependent': found '{reg.get('dependent')}', "
            f"expected one of the codebook's scales {scales}. Fix: name the scale whose "
            "score is the dependent, as declared under 'scales:' in the codebook."
        )
    outcomes = reg.get("outcomes")
    if outcomes is None:
        reg["outcomes"] = [s for s in scales if s != reg.get("dependent")]
    else:
        for o in outcomes:
            if o not in scales or o == reg.get("dependent"):
                out.append(
                    f"{src}: key 'regression.outcomes': found unknown scale '{o}', "
                    f"expected some of {[s for s in scales if s != reg.get('dependent')]}. "
                    "Fix: list scales declared in the codebook (not the dependent), or leave "
                    "'outcomes' out to use every other scale."
                )
    return out + _check_regression_common(params, cb)


def _check_regression_common(params: Params, cb: Codebook) -> list[str]:
    """Covariates, groups, model kinds, ordinal levels and covariance, whatever the
    dependent."""
    src = params.source
    reg = params.values["regression"]
    out: list[str] = []
    covariate_names = ["role", "site", *cb.variables]
    for c in reg.get("covariates") or []:
        if c not in covariate_names:
            out.append(
                f"{src}: key 'regression.covariates': found unknown covariate '{c}', "
                f"expected some of {covariate_names}. Fix: list variables declared in the "
                "codebook, or correct the spelling."
            )
    groups = reg.get("groups") or "site"
    reg["groups"] = groups
    if groups not in ["site", *cb.variables]:
        out.append(
            f"{src}: key 'regression.groups': found '{groups}', expected one of "
            f"{['site', *cb.variables]}. Fix: group by site or a variable of the codebook."
        )
    for m in reg.get("models") or []:
        if m not in MODEL_KINDS:
            out.append(
                f"{src}: key 'regression.models': found unknown model kind '{m}', "
                f"expected some of {list(MODEL_KINDS)}. Fix: remove it or correct the "
                "spelling."
            )
    ordinal = reg.get("ordinal_dependent")
    variable = cb.variables.get(str(ordinal)) if ordinal else None
    if variable is not None and variable.levels:
        declared = list(variable.levels.values())
        if reg.get("ordinal_levels") is None:
            reg["ordinal_levels"] = declared  # the codebook's order
        for level in reg["ordinal_levels"]:
            if level not in declared:
                out.append(
                    f"{src}: key 'regression.ordinal_levels': found '{level}', expected "
                    f"levels of '{ordinal}' as the codebook declares them {declared}. Fix: "
                    "list those labels from lowest to highest."
                )
    if ordinal and "ordinal" in (reg.get("models") or []):
        if cb.engagement_level is None and reg["ordinal_dependent"] not in cb.variables:
            out.append(
                f"{src}: key 'regression.ordinal_dependent': found "
                f"'{reg['ordinal_dependent']}', expected the codebook's engagement_level "
                "or a category variable. Fix: declare engagement_level in the codebook, name "
                "a category variable, or remove 'ordinal' from regression.models."
            )
    if reg.get("cov_type") not in _COV_TYPES:
        out.append(
            f"{src}: key 'regression.cov_type': found '{reg.get('cov_type')}', expected "
            f"one of {list(_COV_TYPES)}. Fix: choose one of those."
        )
    return out
