"""What a parsed codebook holds: the study's shape, its variables, scales, codes and roles.

Layer 2. :class:`Codebook` is what :func:`partner_study.codebook.read_codebook` returns;
every label a reader sees (roles, sites, themes, scales, variables) comes from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["VARIABLE_TYPES", "Role", "Variable", "Scale", "Code", "Codebook"]

VARIABLE_TYPES = ("integer", "number", "category", "text")


@dataclass(frozen=True)
class Variable:
    """A participant variable (demographics) or the engagement level.

    ``levels`` maps the stored code (as text) to its label; a list of labels in the
    YAML means the labels are stored as they are.
    """

    name: str
    type: str
    column: str
    levels: dict[str, str] | None = None
    min: float | None = None
    max: float | None = None
    missing: tuple[str, ...] = ()
    label: str = ""
    roles: tuple[str, ...] = ()
    reference: str | None = None

    @property
    def ordered_labels(self) -> list[str]:
        return list(self.levels.values()) if self.levels else []

    @property
    def reference_label(self) -> str | None:
        """The reference level of a category in models: ``reference:`` when declared (a
        code or a label), else the first declared level."""
        if not self.levels:
            return None
        if self.reference is not None:
            return self.levels.get(self.reference, self.reference)
        return next(iter(self.levels.values()))


@dataclass(frozen=True)
class Scale:
    """A Likert scale: its items, response range, reverse-keyed items and scoring rule."""

    name: str
    items: tuple[str, ...]
    low: int
    high: int
    reverse: tuple[str, ...] = ()
    min_items: int = 1
    labels: dict[int, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    label: str = ""
    item_labels: dict[str, str] = field(default_factory=dict)

    @property
    def responses(self) -> list[int]:
        return list(range(self.low, self.high + 1))


@dataclass(frozen=True)
class Code:
    """A qualitative code and the theme it belongs to."""

    name: str
    theme: str
    label: str = ""


@dataclass(frozen=True)
class Role:
    """A participant role as declared: its stored value and how a reader sees it."""

    name: str
    label: str
    plural: str


@dataclass(frozen=True)
class Codebook:
    """A parsed, checked codebook."""

    study: str
    id: str
    role_column: str
    role_levels: tuple[str, ...]
    site: str
    roles: dict[str, Role] = field(default_factory=dict)
    site_labels: dict[str, str] = field(default_factory=dict)
    site_label: str = ""
    #: What the role itself is called in displays (``role: {label: Rôle}``); "" if not said.
    role_title: str = ""
    collection: str = "collection"
    title: str = ""
    variables: dict[str, Variable] = field(default_factory=dict)
    engagement_level: Variable | None = None
    scales: dict[str, Scale] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    themes: dict[str, str] = field(default_factory=dict)
    source: str = "codebook.yaml"

    @property
    def items(self) -> list[str]:
        """Every Likert item, in scale order."""
        return [item for s in self.scales.values() for item in s.items]

    def role_label(self, role: str, *, plural: bool = False) -> str:
        """A role's label as declared (singular or plural); the stored value when the
        codebook gives none. Never guesses a plural."""
        r = self.roles.get(str(role))
        if r is None:
            return str(role)
        return r.plural if plural else r.label

    def site_name(self, site: str) -> str:
        """A site's label as declared, else its stored value."""
        return self.site_labels.get(str(site), str(site))

    def theme_label(self, theme: str) -> str:
        return self.themes.get(theme) or theme.replace("_", " ").capitalize()

    def scale_label(self, scale: str) -> str:
        s = self.scales.get(scale)
        return s.label if s and s.label else scale.replace("_", " ").capitalize()

    def variable_label(self, name: str) -> str:
        v = self.variables.get(name)
        return v.label if v and v.label else name.replace("_", " ").capitalize()
