"""The params ``regression`` spec (dependent, outcomes, covariates, groups, models ...),
read and checked against the scored data; shared by the params-driven functions
(``fit_models``, ``fit_sensitivity``, ``table_diagnostics``, ``fit_by_site``).

Layer 3 (analysis), part of :mod:`partner_study.models`; never reads or writes files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from partner_study.config import MODEL_KINDS, ORDINAL_SITES
from partner_study.errors import ParamsError
from partner_study.models._formula import _check_frame, _is_categorical

__all__: list[str] = []


@dataclass(frozen=True)
class _Spec:
    dependent: str | None  # None: no continuous dependent (params ``dependent: none``)
    outcomes: tuple[str, ...]
    covariates: tuple[str, ...]
    groups: str | None
    models: tuple[str, ...]
    ordinal_dependent: str | None
    ordinal_levels: tuple | None
    ordinal_link: str
    ordinal_site: str  # how groups enter the ordinal model: cluster, fixed or none
    cov_type: str
    standardize: bool

    @property
    def y(self) -> str:
        """The continuous dependent, for the linear models (never asked for without one)."""
        if self.dependent is None:
            raise ParamsError("the model spec has no continuous dependent ('dependent: none').")
        return self.dependent


def _read_spec(scored: pd.DataFrame, spec: Mapping) -> _Spec:
    _check_frame(scored)
    if not isinstance(spec, Mapping):
        raise ParamsError(f"the model spec must be a mapping, got {type(spec).__name__}.")
    no_dependent = _no_dependent(spec.get("dependent"))
    for key in ("outcomes",) if no_dependent else ("dependent", "outcomes"):
        if not spec.get(key):
            raise ParamsError(f"the model spec needs '{key}' (see params/example.yaml).")
    outcomes = spec["outcomes"]
    if isinstance(outcomes, str) or not isinstance(outcomes, Sequence):
        raise ParamsError("'outcomes' must be a list of scale names.")
    default = ("ols", "mixed") if spec.get("groups") else ("ols",)
    models = tuple(spec.get("models") or default)
    unknown = [m for m in models if m not in MODEL_KINDS]
    if unknown:
        raise ParamsError(
            f"models {', '.join(repr(u) for u in unknown)} unknown; choose from "
            f"{', '.join(MODEL_KINDS)}."
        )
    ordinal_dependent = spec.get("ordinal_dependent") or None
    levels = spec.get("ordinal_levels") or None
    if levels is None and ordinal_dependent in scored.columns:
        levels = _levels_from_codes(scored, str(ordinal_dependent))
    parsed = _Spec(
        dependent=None if no_dependent else str(spec["dependent"]),
        outcomes=tuple(str(o) for o in outcomes),
        covariates=tuple(str(c) for c in spec.get("covariates") or ()),
        groups=spec.get("groups") or None,
        models=models,
        ordinal_dependent=ordinal_dependent,
        ordinal_levels=tuple(levels) if levels is not None else None,
        ordinal_link=str(spec.get("ordinal_link", "logit")),
        ordinal_site=_ordinal_site(spec),
        cov_type=str(spec.get("cov_type", "HC3")),
        standardize=bool(spec.get("standardize", False)),
    )
    if "mixed" in models and parsed.groups is None:
        raise ParamsError("models include 'mixed' but 'groups' (e.g. site) is not set.")
    if set(models) == {"ordinal"} and parsed.ordinal_dependent is None:
        # beside other models, the ordinal one is skipped with a note (see fit_models)
        raise ParamsError("models include 'ordinal' but 'ordinal_dependent' is not set.")
    if no_dependent and ("ordinal" not in models or parsed.ordinal_dependent is None):
        raise ParamsError(
            "the model spec has no continuous dependent ('dependent: none'), so the ordinal "
            "model is all there is to fit, but "
            + (
                "'ordinal' is not among the models"
                if parsed.ordinal_dependent
                else "'ordinal_dependent' is not set"
            )
            + ". Fix: add 'ordinal' to 'models' and set 'ordinal_dependent', or name a "
            "scale as the dependent."
        )
    if parsed.cov_type == "cluster" and parsed.groups is None:
        raise ParamsError("cov_type 'cluster' needs 'groups' (the cluster column).")
    if parsed.ordinal_site != "none" and parsed.groups is None:
        raise ParamsError(f"ordinal_site {parsed.ordinal_site!r} needs 'groups' (e.g. site).")
    named = [*([parsed.dependent] if parsed.dependent else []), *parsed.outcomes]
    named += list(parsed.covariates)
    named += [c for c in (parsed.groups,) if c]
    if "ordinal" in models and parsed.ordinal_dependent:
        named.append(parsed.ordinal_dependent)
    missing = [c for c in dict.fromkeys(named) if c not in scored.columns]
    if missing:
        raise ParamsError(
            f"the model spec names {', '.join(repr(m) for m in missing)}, not a column of "
            f"the scored data (columns: {', '.join(map(str, scored.columns))}). Fix the "
            "params file."
        )
    return parsed


def _no_dependent(value: object) -> bool:
    """``dependent: none`` (or ``false``): no continuous dependent, only the ordinal one."""
    return value is False or (isinstance(value, str) and value.strip().lower() == "none")


def _ordinal_site(spec: Mapping) -> str:
    """``ordinal_site`` of the spec; by default the ordinal model follows ``cov_type``
    (clustered by ``groups`` under ``cluster``, else no site term)."""
    value = spec.get("ordinal_site")
    if value is None:
        return "cluster" if spec.get("cov_type") == "cluster" else "none"
    if value not in ORDINAL_SITES:
        raise ParamsError(
            f"ordinal_site {value!r} is not one of {', '.join(ORDINAL_SITES)}: cluster "
            "(cluster-robust errors by groups), fixed (groups as a fixed effect) or none."
        )
    return str(value)


def _levels_from_codes(scored: pd.DataFrame, dependent: str) -> list | None:
    """Order of string labels taken from their ``<dependent>_code`` column, if there is one.

    The scored survey carries ``engagement_level`` (labels) beside
    ``engagement_level_code`` (1-4); the codes give the order of the labels.
    """
    series, code = scored[dependent], f"{dependent}_code"
    plain = _is_categorical(series) and not isinstance(series.dtype, pd.CategoricalDtype)
    if not plain or code not in scored.columns:
        return None
    pairs = scored[[dependent, code]].dropna().drop_duplicates()
    if pairs[dependent].duplicated().any() or pairs[code].duplicated().any():
        raise ParamsError(
            f"'{dependent}' and '{code}' do not match one to one, so the order of the "
            "levels is unclear; set regression.ordinal_levels in the params file."
        )
    return pairs.sort_values(code)[dependent].tolist()


def _ols_kwargs(spec: _Spec) -> dict:
    if spec.cov_type == "cluster":
        return {"groups": spec.groups}
    return {"cov_type": spec.cov_type}
