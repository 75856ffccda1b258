"""Analysis parameters (``params/<study>.yaml``): loading, defaults and validation.

Layer 2. Parameters say what to analyse (which scale is engagement, which scales are the
experience outcomes, covariates, grouping, model kinds, thresholds); the codebook says
what the data are. :func:`load_params` checks the whole file before any notebook runs:
every key's type and range against one schema (:data:`SCHEMA`, JSON Schema), the study
name (it becomes a folder name), the data folders (inside the project), and every name
against the codebook. Each problem names the file, the key, what was found, what was
expected and the fix; the notebooks receive only checked values.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from partner_study.codebook import Codebook, read_codebook
from partner_study.config import (
    FIGURE_FORMATS,
    MODEL_KINDS,
    ORDINAL_SITES,
    StudyPaths,
    check_study_name,
    find_root,
    inside_project,
)
from partner_study.errors import ParamsError, PartnerStudyError, StudyDataError
from partner_study.safe_yaml import load_yaml

__all__ = [
    "DEFAULTS",
    "SCHEMA",
    "Params",
    "RunContext",
    "load_params",
    "check_params",
    "run_context",
    "params_hash",
    "schema_problems",
]

DEFAULTS: dict[str, Any] = {
    "seed": 20231121,
    "describe": {"by": "role", "suppress_below": 5},
    "qualitative": {"quotes_per_theme": 1, "quote_max_chars": 240, "divergence_threshold": 20},
    "regression": {
        "dependent": None,  # default: the codebook's first scale
        "outcomes": None,  # default: every other scale
        "covariates": [],
        "groups": None,  # default: the codebook's site column
        "models": list(MODEL_KINDS),
        "ordinal_dependent": None,  # default: the codebook's engagement_level, if declared
        "ordinal_levels": None,  # default: the order the codebook declares
        "ordinal_site": None,  # default: cluster under cov_type cluster, else none
        "cov_type": "HC3",
        "standardize": False,
        "sensitivity": {"imputations": 20},
    },
    "figures": {"formats": list(FIGURE_FORMATS)},
}
_COV_TYPES = ("HC0", "HC1", "HC2", "HC3", "cluster", "nonrobust")


def _int(low: int, high: int, what: str) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high, "x-expected": what}


def _name(what: str) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": 200, "x-expected": what}


def _names(what: str) -> dict[str, Any]:
    return {
        "type": "array",
        "items": _name(what),
        "maxItems": 1000,
        "x-expected": f"a list of {what}s, e.g. [a, b]",
    }


def _section(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "x-expected": "a mapping of the keys " + ", ".join(sorted(properties)),
    }


#: Every key a parameters file may hold, with its type and range (JSON Schema 2020-12).
#: ``x-expected`` says in words what a key expects, for messages.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["study"],
    "properties": {
        "study": _name("the study name"),
        "data": {
            "anyOf": [_name("a folder"), {**_names("folder"), "minItems": 1}],
            "x-expected": "a raw study folder inside the project (or a list of them), e.g. "
            "data/raw/<study>",
        },
        "seed": _int(0, 2**32 - 1, "a whole number from 0 to 4294967295"),
        "describe": _section(
            {
                "by": _name("a grouping column (role, site or a category variable)"),
                "suppress_below": _int(
                    0, 100, "a whole number from 0 (no suppression) to 100; 5 is usual"
                ),
            }
        ),
        "qualitative": _section(
            {
                "quotes_per_theme": _int(1, 50, "a whole number from 1 to 50"),
                "quote_max_chars": _int(20, 10_000, "a whole number of characters, 20 to 10000"),
                "divergence_threshold": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 100,
                    "x-expected": "a number of percentage points from 0 to 100",
                },
            }
        ),
        "regression": _section(
            {
                "dependent": {
                    "anyOf": [
                        {"type": "null"},
                        {"const": False},
                        _name("a scale of the codebook"),
                    ],
                    "x-expected": "a scale of the codebook (or nothing: its first scale; or "
                    "none: no continuous dependent, every scale predicts the ordinal one)",
                },
                "outcomes": {
                    "anyOf": [{"type": "null"}, _names("scale")],
                    "x-expected": "a list of scales of the codebook (or nothing: every "
                    "other scale)",
                },
                "covariates": {
                    "anyOf": [{"type": "null"}, _names("covariate")],
                    "x-expected": "a list of variables of the codebook (role, site, ...)",
                },
                "groups": {
                    "anyOf": [{"type": "null"}, _name("a column")],
                    "x-expected": "the column whose groups get a random intercept (site)",
                },
                "models": {
                    "type": "array",
                    "items": {"enum": list(MODEL_KINDS)},
                    "uniqueItems": True,
                    "x-item": "model kind",
                    "x-expected": f"some of {list(MODEL_KINDS)}",
                },
                "ordinal_dependent": {
                    "anyOf": [{"type": "null"}, _name("a column")],
                    "x-expected": "engagement_level or an ordered category variable",
                },
                "ordinal_levels": {
                    "anyOf": [
                        {"type": "null"},
                        {**_names("level"), "minItems": 2, "uniqueItems": True},
                    ],
                    "x-expected": "the ordinal dependent's levels from lowest to highest, e.g. "
                    "[low, medium, high] (or nothing: the codebook's order)",
                },
                "ordinal_site": {
                    "anyOf": [{"type": "null"}, {"enum": list(ORDINAL_SITES)}],
                    "x-expected": "how site (regression.groups) enters the ordinal model: "
                    "cluster (cluster-robust errors), fixed (a fixed effect) or none (or "
                    "nothing: cluster under cov_type cluster, else none)",
                },
                "cov_type": {"enum": list(_COV_TYPES), "x-expected": f"one of {list(_COV_TYPES)}"},
                "standardize": {"type": "boolean", "x-expected": "true or false"},
                "sensitivity": _section(
                    {
                        "imputations": _int(
                            2, 1000, "a whole number of imputed data sets from 2 to 1000"
                        )
                    }
                ),
            }
        ),
        "figures": _section(
            {
                "formats": {
                    "type": "array",
                    "items": {"enum": list(FIGURE_FORMATS)},
                    "x-item": "figure format",
                    "minItems": 1,
                    "uniqueItems": True,
                    "x-expected": f"some of {list(FIGURE_FORMATS)} as a list, e.g. [pdf, png]",
                }
            }
        ),
    },
    "x-expected": "a mapping with the keys study, data, "
    + ", ".join(k for k in ("seed", "describe", "qualitative", "regression", "figures")),
}
_VALIDATOR = Draft202012Validator(SCHEMA)


def _schema_node(path: list[Any]) -> dict[str, Any]:
    node: dict[str, Any] = SCHEMA
    for part in path:
        if isinstance(part, int):
            node = node.get("items", node)
            continue
        props = node.get("properties", {})
        if part not in props:
            break
        node = props[part]
    return node


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, dict | list) else json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _non_finite(value: Any, key: str = "") -> list[tuple[str, float]]:
    """(key, value) of every NaN or infinite number in a document (JSON Schema's ranges let
    NaN through: every comparison with it is false)."""
    if isinstance(value, float) and not math.isfinite(value):
        return [(key or "(document)", value)]
    if isinstance(value, dict):
        return [kv for k, v in value.items() for kv in _non_finite(v, f"{key}.{k}".strip("."))]
    if isinstance(value, list):
        return [kv for v in value for kv in _non_finite(v, key)]
    return []


def schema_problems(doc: dict[str, Any], source: str) -> list[str]:
    """Every key of ``doc`` (a parameters file as read) that breaks :data:`SCHEMA`.

    Each problem reads ``FILE: key 'a.b': found X, expected Y. Fix: Z``.
    """
    out: list[str] = [
        f"{source}: key '{key}': found {value!r}, expected a finite number. Fix: write a "
        "number (YAML reads .nan and .inf as not-a-number and infinity)."
        for key, value in _non_finite(doc)
    ]
    seen: set[tuple[str, str]] = set()
    for error in sorted(_VALIDATOR.iter_errors(doc), key=lambda e: [str(p) for p in e.path]):
        path = [p for p in error.absolute_path]
        if error.validator == "additionalProperties":
            parent = ".".join(str(p) for p in path)
            allowed = sorted(_schema_node(path).get("properties", {}))
            for key in sorted(set(error.instance) - set(allowed), key=str):
                where = f"{parent}.{key}" if parent else str(key)
                out.append(
                    f"{source}: key '{where}': found an unknown key, expected one of "
                    f"{allowed}. Fix: remove it or correct its spelling."
                )
            continue
        in_list = bool(path) and isinstance(path[-1], int)
        key = ".".join(str(p) for p in (path[:-1] if in_list else path))
        node = _schema_node(path[:-1] if in_list else path)
        expected = node.get("x-expected", error.message)
        found = _shown(error.instance)
        if in_list:
            found = f"unknown {node.get('x-item', 'value')} {found}"
        if (key, found) in seen:
            continue
        seen.add((key, found))
        if error.validator == "required":
            out.append(
                f"{source}: found no 'study:' key, expected the study name. "
                "Fix: add e.g. 'study: example'."
            )
            continue
        out.append(
            f"{source}: key '{key or '(document)'}': found {found}, expected "
            f"{expected}. Fix: correct the value (see params/example.yaml for every key)."
        )
    return out


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
    doc = _read_document(path)
    src = str(path)
    if not isinstance(doc, dict) or "study" not in doc:
        raise ParamsError(
            f"{path}: found no 'study:' key, expected the study name. "
            "Fix: add e.g. 'study: example'."
        )
    try:
        study = check_study_name(doc["study"], where=f"{path}: key 'study'")
    except PartnerStudyError as exc:
        raise ParamsError(str(exc)) from None
    problems = schema_problems(doc, src)
    if problems:
        raise ParamsError(
            f"{len(problems)} problem(s) in {path}:\n" + "\n".join(f"  {p}" for p in problems)
        )
    data = doc.get("data", f"data/raw/{study}")
    data_t = tuple(str(d) for d in (data if isinstance(data, list) else [data]))
    for folder in data_t:
        try:
            full = inside_project(
                root, folder, where=f"{path}: key 'data'", what="raw study folder"
            )
            # what it holds too: a link in a study folder must not lead out of the project
            for dirpath, dirnames, filenames in os.walk(full):
                for entry in sorted(dirnames + filenames):
                    inside_project(
                        root,
                        Path(dirpath) / entry,
                        where=f"{path}: key 'data'",
                        what="file of a raw study folder",
                    )
        except PartnerStudyError as exc:
            raise ParamsError(str(exc)) from None
    values = _merge(DEFAULTS, {k: v for k, v in doc.items() if k not in ("study", "data")})
    params = Params(study=study, data=data_t, values=values, source=src)
    if check:
        problems = check_params(params, root=root)
        if problems:
            raise ParamsError(
                f"{len(problems)} problem(s) in {path}:\n" + "\n".join(f"  {p}" for p in problems)
            )
    return params


def _read_document(path: Path) -> Any:
    """The parameters file's YAML document, read as UTF-8 within the YAML limits."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ParamsError(
            f"{path}: found a file that cannot be read ({exc.strerror}), expected a readable "
            "parameters file. Fix: check the file's permissions."
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParamsError(
            f"{path}: found bytes that are not UTF-8 (byte {exc.start}: "
            f"{raw[exc.start : exc.start + 1]!r}), expected a UTF-8 text file. Fix: save it as "
            f"UTF-8 (e.g. `iconv -f latin1 -t utf-8 {path.name} > fixed.yaml`)."
        ) from None
    try:
        return load_yaml(text, source=str(path)) or {}
    except StudyDataError as exc:
        raise ParamsError("\n".join(str(p) for p in exc.problems)) from None


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


@dataclass(frozen=True)
class RunContext:
    """What a notebook needs: parameters, the study's paths, and where this stage writes.

    ``out`` is the staging folder the runner gives a stage (outputs are moved into place
    only when the stage succeeds). A notebook run by hand (JupyterLab) has none: it writes
    to a scratch folder, ``.lab/<study>/`` (:attr:`scratch`), so the study's outputs in
    ``reports/`` and ``data/processed/`` stay those of the last recorded run and ``verify``
    keeps agreeing with the manifest; it reads what an earlier notebook wrote there, else
    the recorded outputs.
    """

    params: Params
    paths: StudyPaths
    out: Path | None
    scratch: Path | None = None

    def _read(self, kind: str, final: Path) -> Path:
        if self.scratch is not None and (self.scratch / kind).is_dir():
            return self.scratch / kind
        return final

    @property
    def raw(self) -> Path:
        return self.paths.root / self.params.data[0]

    @property
    def raw_folders(self) -> list[Path]:
        return [self.paths.root / d for d in self.params.data]

    @property
    def processed(self) -> Path:
        return self._read("processed", self.paths.processed)

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
        return self._read("tables", self.paths.tables)

    @property
    def figures_in(self) -> Path:
        return self._read("figures", self.paths.figures)

    @property
    def report_out(self) -> Path:
        return self.out if self.out else self.paths.reports


#: Where notebooks run by hand write, under the project root (git-ignored).
LAB_FOLDER = ".lab"


def run_context(params_path: str, *, root: str = "", out: str = "") -> RunContext:
    """The context of a notebook run: load parameters (checked) and resolve paths.

    ``out`` empty (a notebook run by hand): outputs go to ``.lab/<study>/``, a scratch
    folder, and a line says so and how to run the stage for the study's record."""
    root_p = Path(root).resolve() if root else find_root(Path(params_path).resolve().parent)
    ppath = Path(params_path)
    if not ppath.is_absolute():
        ppath = root_p / ppath
    params = load_params(ppath, root=root_p)
    paths = StudyPaths(root_p, params.study)
    if out:
        out_p = Path(out) if Path(out).is_absolute() else root_p / out
        return RunContext(params, paths, out_p)
    scratch = inside_project(
        root_p, Path(LAB_FOLDER) / params.study, where="run_context", what="scratch folder"
    )
    print(
        f"Run by hand: this notebook writes to {LAB_FOLDER}/{params.study}/ (a scratch folder), "
        f"not to reports/{params.study}/. To record a stage's outputs, run "
        f"'partner-study run {ppath.relative_to(root_p) if ppath.is_relative_to(root_p) else ppath}"
        " --only <stage>' (or 'make run')."
    )
    return RunContext(params, paths, scratch, scratch=scratch)
