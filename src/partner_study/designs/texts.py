"""The text files of a simulated study besides its tables: the codebook
(``codebook.yaml``) and the minimal parameters (``params/<study>.yaml``)."""

from __future__ import annotations

import json
from typing import Any

from partner_study.config import check_study_name
from partner_study.designs.shape import Shape
from partner_study.designs.vocabulary import (
    _ENGAGEMENT_LEVELS,
    _RESPONSES,
    _ROLE_HEADING,
    _SCALE_MISSING,
    _SCALE_PREFIX,
    _SITE_HEADING,
    _THEMES,
    _VOCAB,
    _WORDS,
    CODE_SETS,
)

__all__ = ["params_text"]


def _quote_yaml(text: str) -> str:
    """A YAML scalar for a label: always double-quoted (JSON strings are YAML)."""
    return json.dumps(str(text), ensure_ascii=False)


def _flow_labels(labels: dict[Any, str]) -> str:
    return "{" + ", ".join(f"{k}: {_quote_yaml(v)}" for k, v in labels.items()) + "}"


def _scale_specs(shape: Shape) -> list[dict[str, Any]]:
    """Name, label, items, item labels and reverse items of every scale, in codebook order."""
    lang = shape.language
    specs = []
    names = ["engagement"] if shape.engagement == "continuous" else []
    for name in [*names, *shape.experience_scales]:
        prefix = _SCALE_PREFIX.get(name, "eng")
        stem = _VOCAB["stem"][name, lang][0]
        endings = _VOCAB["item"][name, lang]
        items = [f"{prefix}_{j + 1}" for j in range(len(endings))]
        reverse = [items[-1]] if name == "engagement" else []
        specs.append(
            {
                "name": name,
                "label": _VOCAB["scale"][name, lang][0],
                "items": items,
                "item_labels": {i: f"{stem}, {e}" for i, e in zip(items, endings, strict=True)},
                "reverse": reverse,
            }
        )
    return specs


def _codebook_text(shape: Shape, study: str) -> str:
    lang = shape.language
    words = _WORDS[lang]
    title = shape.title or words["title"]
    out = [
        f"# Codebook of a simulated study (partner_study.designs, seed {shape.seed}).",
        f"study: {study}",
        f"title: {_quote_yaml(title)}",
        "id: participant_id",
        "role:",
        "  column: role",
        f"  label: {_quote_yaml(_ROLE_HEADING[lang])}",
        "  levels:",
    ]
    for name, label, plural in shape.roles:
        out.append(f"    {name}: {{label: {_quote_yaml(label)}, plural: {_quote_yaml(plural)}}}")
    out += ["site:", "  column: site", f"  label: {_quote_yaml(_SITE_HEADING[lang])}", "  levels:"]
    for code, label in shape.site_list:
        out.append(f"    {code}: {_quote_yaml(label)}")
    gender_label, gender_levels = words["gender"], words["genders"]
    out += [
        "variables:",
        f"  gender: {{type: category, levels: {_flow_labels(dict(enumerate(gender_levels, 1)))}, "
        f"missing: [9], label: {_quote_yaml(gender_label)}}}",
    ]
    if not shape.categorical_only:
        out.append(
            "  age: {type: integer, min: 18, max: 100, missing: [999], "
            f"label: {_quote_yaml(words['age'])}}}"
        )
    if shape.system_level:
        sys_label, sys_levels = words["system_level"], words["system_levels"]
        out.append(
            f"  system_level: {{type: category, levels: "
            f"{_flow_labels(dict(enumerate(sys_levels, 1)))}, label: {_quote_yaml(sys_label)}}}"
        )
    if shape.engagement == "ordinal":
        levels = dict(enumerate(_ENGAGEMENT_LEVELS[lang], 1))
        out += [
            "engagement_level:",
            "  column: eng_level",
            f"  levels: {_flow_labels(levels)}",
            "  missing: [9]",
            f"  label: {_quote_yaml(words['engagement_level'])}",
        ]
    if shape.has_survey:
        low, high = (0, 1) if shape.points == 2 else (1, shape.points)
        labels = _RESPONSES[shape.points][lang]
        out.append("scales:")
        for spec in _scale_specs(shape):
            k = len(spec["items"])
            out += [
                f"  {spec['name']}:",
                f"    label: {_quote_yaml(spec['label'])}",
                f"    items: [{', '.join(spec['items'])}]",
            ]
            if spec["reverse"]:
                out.append(f"    reverse: [{', '.join(spec['reverse'])}]")
            out += [
                f"    range: [{low}, {high}]",
                f"    min_items: {max(1, k - 1)}",
                f"    missing: [{_SCALE_MISSING}]",
                f"    labels: {_flow_labels(labels)}",
                "    item_labels:",
            ]
            out += [f"      {i}: {_quote_yaml(t)}" for i, t in spec["item_labels"].items()]
    if shape.has_qualitative:
        out.append("themes:")
        for theme in CODE_SETS[shape.code_set]:
            out.append(f"  {theme}: {{label: {_quote_yaml(_VOCAB['theme'][theme, lang][0])}}}")
        out.append("codes:")
        for theme in CODE_SETS[shape.code_set]:
            for code in _THEMES[theme]:
                label = _quote_yaml(_VOCAB["code"][code, lang][0])
                out.append(f"  {code}: {{theme: {theme}, label: {label}}}")
    return "\n".join(out) + "\n"


def params_text(shape: Shape, study: str) -> str:
    """The minimal ``params/<study>.yaml`` of a study of ``shape``.

    Only what the codebook cannot say: the seed; for a study with a dependent (a survey
    with an engagement scale or an engagement level), the covariates (gender, age when
    numeric, role when there are several, the system level when declared) and, for an
    engagement scale without an ordinal level, ``ordinal_dependent: null``; for an ordinal
    engagement level without a scale, ``dependent: none`` (every scale predicts the level,
    by the ordinal model). Everything else
    (dependent, outcomes, groups, models, thresholds) is left to the package's defaults
    and the codebook.
    """
    study = check_study_name(study, where="params_text: study")
    lines = [
        f"# Parameters of a simulated study of shape {shape.slug} (partner_study.designs).",
        f"study: {study}",
        f"data: data/raw/{study}",
        f"seed: {shape.seed}",
    ]
    if shape.has_survey and shape.engagement != "none":
        covariates = ["gender"]
        if not shape.categorical_only:
            covariates.append("age")
        if shape.system_level:
            covariates.append("system_level")
        if len(shape.roles) > 1:
            covariates.append("role")
        lines += ["regression:", f"  covariates: [{', '.join(covariates)}]"]
        if shape.engagement == "continuous":
            lines.append("  ordinal_dependent: null   # no engagement level in this codebook")
        else:  # the engagement level is the dependent; every scale predicts it
            lines.append("  dependent: none   # no continuous dependent: the level is modelled")
    # SVG only: the report embeds it, and a small test study needs no print formats
    lines += ["figures:", "  formats: [svg]"]
    return "\n".join(lines) + "\n"
