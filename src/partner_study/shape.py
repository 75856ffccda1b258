"""The study's shape: what a reader sees of roles, sites, scales, items, variables and themes.

Layer 2. One object, derived from the codebook (and the analysis parameters, for the
dependent), that every display receives: tables, figures, captions and the report take
their labels and their order from it, never from names written in the package.

Example
-------
>>> from partner_study.codebook import parse_codebook
>>> cb = parse_codebook('''
... study: demo
... id: pid
... role: {column: role, levels: {a: {label: Aidant·e, plural: Aidant·es}, b: Bénévole}}
... site: {column: site, levels: {s1: Hôpital de Liège}}
... ''')
>>> shape = study_shape(cb)
>>> shape.role_label("a", plural=True), shape.role_label("b", plural=True), shape.site_name("s1")
('Aidant·es', 'Bénévole', 'Hôpital de Liège')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from partner_study.codebook import Codebook, Role, read_codebook
from partner_study.config import POOLED_SITES

__all__ = ["ALL", "StudyShape", "study_shape", "read_shape"]

#: The margin over every role in tidy tables (``role == "all"``).
ALL = "all"
_ALL_LABEL = "All"


def _pretty(name: str) -> str:
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class StudyShape:
    """Roles, sites, strands and labels of one study, in declared order."""

    study: str
    title: str = ""
    roles: tuple[Role, ...] = ()
    sites: dict[str, str] = field(default_factory=dict)
    site_label: str = "Site"
    #: What the role is called (the codebook's ``role: {label: ...}``), e.g. "Rôle".
    role_title: str = "Role"
    #: Columns of the processed tables (stage 01 names them so whatever the raw names).
    site_column: str = "site"
    role_column: str = "role"
    scales: dict[str, str] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)
    responses: dict[str, dict[int, str]] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    levels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    themes: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    dependent: str | None = None
    ordinal_dependent: str | None = None

    # ------------------------------------------------------------------ strands
    @property
    def has_survey(self) -> bool:
        return bool(self.scales)

    @property
    def has_qualitative(self) -> bool:
        return bool(self.codes)

    @property
    def role_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.roles)

    # ------------------------------------------------------------------ labels
    def role_label(self, role: Any, *, plural: bool = False) -> str:
        """A role's declared label (singular or plural); ``All`` for the margin; the stored
        value for a role the codebook does not declare. Never invents a plural."""
        key = str(role)
        if key == ALL:
            return _ALL_LABEL
        for r in self.roles:
            if r.name == key:
                return r.plural if plural else r.label
        return key

    def site_name(self, site: Any) -> str:
        """A site's declared label, else its stored code; ``Other sites`` for the pooled
        group of a by-site table (:data:`partner_study.config.POOLED_SITES`)."""
        if str(site) == POOLED_SITES:
            return "Other sites"
        return self.sites.get(str(site), str(site))

    def group_label(self, group: Any, by: str = "role", *, plural: bool = True) -> str:
        """The label of a level of a grouping column (role, site or another variable)."""
        if by == "site":
            return _ALL_LABEL if str(group) == ALL else self.site_name(group)
        if by == "role":
            return self.role_label(group, plural=plural)
        return _ALL_LABEL if str(group) == ALL else str(group)

    def level_label(self, variable: Any, level: Any) -> str:
        """A level of a participant variable as a reader sees it (site codes get their
        declared site labels; other levels are stored as their labels)."""
        if str(variable) == self.site_column:
            return self.site_name(level)
        if str(variable) == self.role_column:
            return self.role_label(level)
        return str(level)

    def dependent_label(self) -> str:
        """What the dependent is called in headings and captions (the ordinal dependent's
        label in a study without a continuous one)."""
        if self.dependent:
            return self.label(self.dependent)
        if self.ordinal_dependent:
            return self.label(self.ordinal_dependent)
        return ""

    def label(self, name: Any) -> str:
        """The declared label of a scale, item, variable, theme, code or site; else the
        name made readable (``information_sharing`` -> ``Information sharing``)."""
        key = str(name)
        return self.labels.get(key) or _pretty(key)

    @property
    def labels(self) -> dict[str, str]:
        """Every declared name -> label, for displays that take a ``labels`` mapping."""
        out: dict[str, str] = {}
        for mapping in (self.codes, self.themes, self.variables, self.items, self.scales):
            out.update({k: v for k, v in mapping.items() if v})
        if self.site_label:
            out.setdefault(self.site_column, self.site_label)
        if self.role_title:
            out.setdefault(self.role_column, self.role_title)
        return out

    def labels_for(self, kind: str) -> dict[str, str]:
        """:attr:`labels` with the namespace of a table kind winning name clashes (a code
        and a scale may share a name): codes and themes for qualitative tables, variables
        for Table 1, scales and items for survey and regression tables."""
        first = {
            "characteristics": (self.variables,),
            "codes": (self.codes, self.themes),
            "cooccurrence": (self.codes, self.themes),
            "agreement": (self.codes, self.themes),
            "quotes": (self.codes, self.themes),
            "joint-display": (self.themes, self.codes),
        }.get(kind, (self.scales, self.items, self.variables))
        out = self.labels
        for mapping in reversed(first):
            out.update({k: v for k, v in mapping.items() if v})
        return out

    def group_order(self, values: Iterable[Any], by: str = "role") -> list[str]:
        """Levels present in ``values`` in declared order (undeclared ones after, sorted),
        the margin ``all`` last."""
        present = list(dict.fromkeys(str(v) for v in values))
        declared: list[str] = (
            list(self.role_names) if by == "role" else list(self.sites) if by == "site" else []
        )
        known = [g for g in declared if g in present]
        rest = sorted(g for g in present if g not in known and g != ALL)
        return known + rest + ([ALL] if ALL in present else [])

    def role_list(self, roles: Iterable[Any] | None = None, *, plural: bool = True) -> str:
        """``"Carers and Nurses"``: declared labels joined for a sentence."""
        names = [str(r) for r in (self.role_names if roles is None else roles)]
        labels = [self.role_label(r, plural=plural) for r in names]
        if len(labels) <= 1:
            return "".join(labels)
        return ", ".join(labels[:-1]) + " and " + labels[-1]


def study_shape(codebook: Codebook, regression: Mapping[str, Any] | None = None) -> StudyShape:
    """The shape of a study from its codebook and, optionally, its regression settings.

    Parameters
    ----------
    codebook : Codebook
        The parsed codebook (:func:`partner_study.codebook.read_codebook`).
    regression : mapping, optional
        The ``regression`` section of the parameters (for the dependent's label).

    Returns
    -------
    StudyShape
    """
    reg = regression or {}
    scales = {n: (s.label or _pretty(n)) for n, s in codebook.scales.items()}
    items = {i: s.item_labels.get(i, "") for s in codebook.scales.values() for i in s.items}
    variables = {n: (v.label or _pretty(n)) for n, v in codebook.variables.items()}
    levels = {n: tuple(v.ordered_labels) for n, v in codebook.variables.items() if v.levels}
    if codebook.engagement_level is not None:
        eng = codebook.engagement_level
        variables["engagement_level"] = eng.label or _pretty("engagement_level")
        levels["engagement_level"] = tuple(eng.ordered_labels)
    roles = tuple(codebook.roles[r] for r in codebook.role_levels if r in codebook.roles)
    return StudyShape(
        study=codebook.study,
        title=codebook.title,
        roles=roles,
        sites=dict(codebook.site_labels),
        site_label=codebook.site_label or "Site",
        role_title=codebook.role_title or "Role",
        scales=scales,
        items={k: v for k, v in items.items() if v},
        responses={n: dict(s.labels) for n, s in codebook.scales.items() if s.labels},
        variables=variables,
        levels=levels,
        themes={t: (lbl or _pretty(t)) for t, lbl in codebook.themes.items()},
        codes={c: (code.label or _pretty(c)) for c, code in codebook.codes.items()},
        dependent=reg.get("dependent") or None,  # False: ``dependent: none``
        ordinal_dependent=reg.get("ordinal_dependent"),
    )


def read_shape(processed: Path | str, regression: Mapping[str, Any] | None = None) -> StudyShape:
    """The shape of a prepared study, from the codebook stage 01 copied beside its data."""
    return study_shape(read_codebook(Path(processed) / "codebook.yaml"), regression)
