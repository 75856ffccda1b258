"""Analysis parameters (``params/<study>.yaml``): loading, defaults and validation.

Layer 2. Parameters say what to analyse (which scale is engagement, which scales are the
experience outcomes, covariates, grouping, model kinds, thresholds); the codebook says
what the data are. :func:`load_params` checks every name against the codebook before any
notebook runs and reports each unknown name with its key and the allowed values.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from partner_study.codebook import Codebook, read_codebook
from partner_study.config import FIGURE_FORMATS, MODEL_KINDS, StudyPaths, find_root
from partner_study.errors import ParamsError

__all__ = [
    "DEFAULTS",
    "Params",
    "RunContext",
    "load_params",
    "check_params",
    "run_context",
    "params_hash",
]

DEFAULTS: dict[str, Any] = {
    "seed": 20231121,
    "describe": {"by": "role", "suppress_below": 5},
    "qualitative": {"quotes_per_theme": 1, "quote_max_chars": 240, "divergence_threshold": 20},
    "regression": {
        "dependent": "engagement",
        "outcomes": None,  # default: every other scale
        "covariates": [],
        "groups": None,  # default: the codebook's site column
        "models": list(MODEL_KINDS),
        "ordinal_dependent": "engagement_level",
        "cov_type": "HC3",
        "standardize": False,
        "sensitivity": {"imputations": 20},
    },
    "figures": {"formats": list(FIGURE_FORMATS)},
}
_COV_TYPES = ("HC0", "HC1", "HC2", "HC3", "cluster", "nonrobust")


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class Params:
    """Parameters of one study run, defaults filled in."""

    study: str
    data: tuple[str, ...]
    values: dict[str, Any]
    source: str

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def regression(self) -> dict[str, Any]:
        return self.values["regression"]


def params_hash(params: Params) -> str:
    """sha256 of the parameters in canonical JSON."""
    blob = json.dumps(
        {"study": params.study, "data": list(params.data), **params.values},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def load_params(path: Path | str, *, root: Path | str | None = None, check: bool = True) -> Params:
    """Read ``params/<study>.yaml``, fill defaults, and check it against the codebook.

    Raises
    ------
    ParamsError
        Missing file, YAML error, or an unknown key, scale, covariate or model kind.
    """
    path = Path(path)
    root = Path(root) if root else find_root(path.parent)
    if not path.is_file():
        raise ParamsError(
            f"{path}: no such parameters file. Fix: give the path of a "
            "params/<study>.yaml (params/example.yaml is the example study)."
        )
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f": line {mark.line + 1}" if mark else ""
        raise ParamsError(
            f"{path}{line}: found a YAML syntax error "
            f"({getattr(exc, 'problem', exc)}), expected valid YAML. Fix: check "
            "indentation, colons and quotes on that line."
        ) from None
    if not isinstance(doc, dict) or "study" not in doc:
        raise ParamsError(
            f"{path}: found no 'study:' key, expected the study name. "
            "Fix: add e.g. 'study: example'."
        )
    study = str(doc["study"])
    data = doc.get("data", f"data/raw/{study}")
    data_t = tuple(str(d) for d in (data if isinstance(data, list) else [data]))
    values = _merge(DEFAULTS, {k: v for k, v in doc.items() if k not in ("study", "data")})
    params = Params(study=study, data=data_t, values=values, source=str(path))
    if check:
        problems = check_params(params, root=root)
        if problems:
            raise ParamsError(
                f"{len(problems)} problem(s) in {path}:\n" + "\n".join(f"  {p}" for p in problems)
            )
    return params


def check_params(
    params: Params, *, root: Path | str, codebook: Codebook | None = None
) -> list[str]:
    """Problems in ``params`` (unknown keys and names), each naming the key and allowed values."""
    src = params.source
    out: list[str] = []
    for key in params.values:
        if key not in DEFAULTS:
            out.append(
                f"{src}: key '{key}': found an unknown key, expected one of "
                f"{sorted(['study', 'data', *DEFAULTS])}. Fix: remove it or correct "
                "its spelling."
            )
    for section, defaults in DEFAULTS.items():
        value = params.values.get(section)
        if isinstance(defaults, dict):
            if not isinstance(value, dict):
                out.append(f"{src}: key '{section}': found {value!r}, expected a mapping.")
                continue
            for key in value:
                if key not in defaults:
                    out.append(
                        f"{src}: key '{section}.{key}': found an unknown key, expected "
                        f"one of {sorted(defaults)}. Fix: remove it or correct its "
                        "spelling."
                    )
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
    fmts = params.values.get("figures", {}).get("formats", [])
    for f in fmts if isinstance(fmts, list) else [fmts]:
        if f not in FIGURE_FORMATS:
            out.append(
                f"{src}: key 'figures.formats': found '{f}', expected one of "
                f"{list(FIGURE_FORMATS)}."
            )
    by = params.values.get("describe", {}).get("by", "role")
    allowed_by = [codebook.role_column, "role", "site", *codebook.variables]
    if by not in allowed_by:
        out.append(f"{src}: key 'describe.by': found '{by}', expected one of {allowed_by}.")
    return out


def _check_regression(params: Params, cb: Codebook) -> list[str]:
    src = params.source
    reg = params.values["regression"]
    out: list[str] = []
    scales = list(cb.scales)
    if not scales:
        return out
    if reg.get("dependent") not in scales:
        out.append(
            f"{src}: key 'regression.dependent': found '{reg.get('dependent')}', "
            f"expected one of the codebook's scales {scales}."
        )
    outcomes = reg.get("outcomes")
    if outcomes is None:
        reg["outcomes"] = [s for s in scales if s != reg.get("dependent")]
    else:
        for o in outcomes:
            if o not in scales or o == reg.get("dependent"):
                out.append(
                    f"{src}: key 'regression.outcomes': found unknown scale '{o}', "
                    f"expected some of {[s for s in scales if s != reg.get('dependent')]}."
                )
    covariate_names = ["role", "site", *cb.variables]
    for c in reg.get("covariates") or []:
        if c not in covariate_names:
            out.append(
                f"{src}: key 'regression.covariates': found unknown covariate '{c}', "
                f"expected some of {covariate_names}."
            )
    groups = reg.get("groups") or "site"
    reg["groups"] = groups
    if groups not in ["site", *cb.variables]:
        out.append(
            f"{src}: key 'regression.groups': found '{groups}', expected one of "
            f"{['site', *cb.variables]}."
        )
    for m in reg.get("models") or []:
        if m not in MODEL_KINDS:
            out.append(
                f"{src}: key 'regression.models': found unknown model kind '{m}', "
                f"expected some of {list(MODEL_KINDS)}."
            )
    if reg.get("ordinal_dependent") and "ordinal" in (reg.get("models") or []):
        if cb.engagement_level is None and reg["ordinal_dependent"] not in cb.variables:
            out.append(
                f"{src}: key 'regression.ordinal_dependent': found "
                f"'{reg['ordinal_dependent']}', expected the codebook's engagement_level "
                "or a category variable."
            )
    if reg.get("cov_type") not in _COV_TYPES:
        out.append(
            f"{src}: key 'regression.cov_type': found '{reg.get('cov_type')}', expected "
            f"one of {list(_COV_TYPES)}."
        )
    return out


@dataclass(frozen=True)
class RunContext:
    """What a notebook needs: parameters, the study's paths, and where this stage writes.

    ``out`` is the staging folder the runner gives a stage (outputs are moved into place
    only when the stage succeeds); when empty, outputs go straight to their final places.
    """

    params: Params
    paths: StudyPaths
    out: Path | None

    @property
    def raw(self) -> Path:
        return self.paths.root / self.params.data[0]

    @property
    def raw_folders(self) -> list[Path]:
        return [self.paths.root / d for d in self.params.data]

    @property
    def processed(self) -> Path:
        return self.paths.processed

    @property
    def processed_out(self) -> Path:
        return self.out / "processed" if self.out else self.paths.processed

    @property
    def tables(self) -> Path:
        return self.out / "tables" if self.out else self.paths.tables

    @property
    def figures(self) -> Path:
        return self.out / "figures" if self.out else self.paths.figures

    @property
    def tables_in(self) -> Path:
        """Final tables folder (inputs of stages that read earlier stages' tables)."""
        return self.paths.tables

    @property
    def figures_in(self) -> Path:
        return self.paths.figures

    @property
    def report_out(self) -> Path:
        return self.out if self.out else self.paths.reports


def run_context(params_path: str, *, root: str = "", out: str = "") -> RunContext:
    """The context of a notebook run: load parameters (checked) and resolve paths."""
    root_p = Path(root).resolve() if root else find_root(Path(params_path).resolve().parent)
    ppath = Path(params_path)
    if not ppath.is_absolute():
        ppath = root_p / ppath
    params = load_params(ppath, root=root_p)
    out_p = None
    if out:
        out_p = Path(out) if Path(out).is_absolute() else root_p / out
    return RunContext(params, StudyPaths(root_p, params.study), out_p)
