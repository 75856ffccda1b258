"""Group ``codebook``: codebook.yaml with parser attacks, wrong section shapes, labels that
are not text, impossible ranges, missing keys, bad encodings and names that would become
paths."""

from __future__ import annotations

import re

from fixtures import alias_bomb, deep_list, deep_map, garbage
from harness import STUDY, World, cli_case, del_path, set_path

G = "codebook"
VALIDATE = ["validate", f"data/raw/{STUDY}"]
RUN = ["run", f"params/{STUDY}.yaml"]
FILE = "codebook.yaml"


def _key(dotted: str) -> re.Pattern:
    leaf = dotted.split(".")[-1]
    return re.compile(rf"{re.escape(dotted)}|\b{re.escape(leaf)}\b")


def _set(dotted: str, value):
    def setup(w: World) -> None:
        doc = w.codebook_doc()
        set_path(doc, dotted, value)
        w.write_codebook(doc)

    return setup


def _del(dotted: str):
    def setup(w: World) -> None:
        doc = w.codebook_doc()
        del_path(doc, dotted)
        w.write_codebook(doc)

    return setup


def _text(text: str | bytes):
    def setup(w: World) -> None:
        path = w.raw / "codebook.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))

    return setup


def _append(text: str):
    def setup(w: World) -> None:
        path = w.raw / "codebook.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")

    return setup


def _replace(old: str, new: str):
    def setup(w: World) -> None:
        path = w.raw / "codebook.yaml"
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return setup


def _as_list(section: str):
    def setup(w: World) -> None:
        doc = w.codebook_doc()
        value = doc[section] if "." not in section else None
        node = doc
        parts = section.split(".")
        for p in parts[:-1]:
            node = node[p]
        value = node[parts[-1]]
        node[parts[-1]] = [{k: v} for k, v in value.items()] if isinstance(value, dict) else [value]
        w.write_codebook(doc)

    return setup


# ---------------------------------------------------------------------- parser attacks
cli_case(
    G,
    "alias-bomb-unknown-key",
    args=VALIDATE,
    setup=_append(alias_bomb("x_notes")),
    mentions=[FILE],
    time_limit=10,
)


def _bomb_in_labels(w: World) -> None:
    path = w.raw / "codebook.yaml"
    text = path.read_text(encoding="utf-8")
    old = (
        "labels: {1: Strongly disagree, 2: Disagree, 3: Neutral, 4: Agree, 5: Strongly agree}"
        "\n    item_labels"
    )
    assert old in text
    text = alias_bomb("x_defs") + text.replace(old, "labels: *a8\n    item_labels", 1)
    path.write_text(text, encoding="utf-8")


cli_case(
    G, "alias-bomb-in-labels", args=VALIDATE, setup=_bomb_in_labels, mentions=[FILE], time_limit=10
)
cli_case(
    G,
    "alias-bomb-run",
    args=RUN,
    setup=_append(alias_bomb("x_notes")),
    mentions=[FILE],
    time_limit=10,
)
cli_case(
    G,
    "deep-list-20000",
    args=VALIDATE,
    setup=_append(deep_list("x_deep")),
    mentions=[FILE],
    time_limit=10,
)
cli_case(
    G,
    "deep-map-20000",
    args=VALIDATE,
    setup=_append(deep_map("x_deep")),
    mentions=[FILE],
    time_limit=10,
)
cli_case(
    G,
    "python-tag",
    args=VALIDATE,
    setup=lambda w: _append(
        f'x_tag: !!python/object/apply:os.system ["touch {w.victim / "pwned"}"]\n'
    )(w),
    mentions=[FILE],
)
cli_case(
    G,
    "huge-file-6mb",
    args=VALIDATE,
    setup=_append(("# " + "x" * 98 + "\n") * 60_000),
    mentions=[FILE],
    time_limit=10,
)
cli_case(
    G,
    "long-title-200k",
    args=VALIDATE,
    setup=_set("title", "t" * 200_000),
    mentions=[FILE],
    time_limit=10,
)
cli_case(G, "empty-file", args=VALIDATE, setup=_text(""), mentions=[FILE])
cli_case(G, "only-comments", args=VALIDATE, setup=_text("# to do\n"), mentions=[FILE])
cli_case(G, "binary-garbage", args=VALIDATE, setup=_text(garbage(4096, seed=11)), mentions=[FILE])
cli_case(
    G,
    "not-utf8-latin1",
    args=VALIDATE,
    setup=lambda w: (w.raw / "codebook.yaml").write_bytes(
        (w.raw / "codebook.yaml")
        .read_text(encoding="utf-8")
        .replace("label: Age (years)", "label: Âge (années)")
        .encode("latin-1")
    ),
    mentions=[FILE],
)
cli_case(
    G,
    "yaml-syntax-error",
    args=VALIDATE,
    setup=_replace("  age: {type: integer", "  age: {type: integer,, ]"),
    mentions=[FILE, re.compile(r"line \d+")],
)
cli_case(G, "document-is-a-list", args=VALIDATE, setup=_text("- study: example\n"), mentions=[FILE])
cli_case(
    G,
    "codebook-is-a-folder",
    args=VALIDATE,
    setup=lambda w: ((w.raw / "codebook.yaml").unlink(), (w.raw / "codebook.yaml").mkdir()),
    mentions=[FILE],
)
cli_case(
    G,
    "duplicate-scale",
    args=VALIDATE,
    setup=_replace(
        "  communication:\n    label: Common language", "  engagement:\n    label: Common language"
    ),
    mentions=[FILE, "engagement"],
)
cli_case(
    G,
    "duplicate-code",
    args=VALIDATE,
    setup=_replace(
        "  listening_skills: {theme: foundations_of_partnership, label: Listening skills}",
        "  common_language: {theme: information_sharing, label: Listening skills}",
    ),
    mentions=[FILE, "common_language"],
)

# ----------------------------------------------------------------- sections as lists
for _section in (
    "variables",
    "codes",
    "scales",
    "themes",
    "scales.engagement.item_labels",
    "scales.engagement.labels",
    "role",
):
    cli_case(
        G,
        f"{_section.replace('.', '-').replace('_', '-')}-as-list",
        args=VALIDATE,
        setup=_as_list(_section),
        mentions=[FILE, _key(_section)],
    )

# -------------------------------------------------------------- labels that are not text
# YAML's true/false/yes/no are text in a codebook (a level or label named "no" is "no"):
# those labels are valid and validation passes.
TEXT_LABELS = [
    ("scale-label-boolean", "scales.engagement.label", True),
    ("code-label-boolean", "codes.common_language.label", False),
    ("theme-label-boolean", "themes.information_sharing", True),
    (
        "response-labels-booleans",
        "scales.engagement.labels",
        {1: True, 2: False, 3: "Neutral", 4: True, 5: False},
    ),
]
for _case, _k, _v in TEXT_LABELS:
    cli_case(G, _case, args=VALIDATE, setup=_set(_k, _v), expect="ok")

LABELS = [
    ("variable-label-list", "variables.age.label", ["Age", "years"]),
    ("item-label-mapping", "scales.engagement.item_labels.eng_1", {"en": "x"}),
    ("title-list", "title", ["a", "b"]),
]
for _case, _k, _v in LABELS:
    cli_case(G, _case, args=VALIDATE, setup=_set(_k, _v), mentions=[FILE, _key(_k)])

# ------------------------------------------------------------------ values and ranges
VALUES = [
    ("range-ten-million", "scales.engagement.range", [1, 10_000_000]),
    ("range-reversed", "scales.engagement.range", [5, 1]),
    ("range-string", "scales.engagement.range", "1-5"),
    ("range-float-huge", "scales.engagement.range", [1, 1e308]),
    ("range-three-values", "scales.engagement.range", [1, 3, 5]),
    ("items-string", "scales.engagement.items", "eng_1"),
    ("min-items-too-many", "scales.engagement.min_items", 100),
    ("min-items-negative", "scales.engagement.min_items", -1),
    ("reverse-unknown-item", "scales.engagement.reverse", ["eng_99"]),
    ("variable-type-unknown", "variables.age.type", "complex"),
    ("variable-min-string", "variables.age.min", "eighteen"),
    ("code-theme-list", "codes.common_language.theme", ["information_sharing", "teamwork"]),
    ("role-levels-empty", "role.levels", []),
    ("engagement-levels-string", "engagement_level.levels", "1-4"),
    ("missing-codes-mapping", "variables.age.missing", {"a": 1}),
]
for _case, _k, _v in VALUES:
    cli_case(G, _case, args=VALIDATE, setup=_set(_k, _v), mentions=[FILE, _key(_k)])

cli_case(
    G,
    "range-ten-million-run",
    args=RUN,
    setup=_set("scales.engagement.range", [1, 10_000_000]),
    mentions=[FILE, "range"],
    time_limit=30,
)

for _case, _k in (("missing-id", "id"), ("missing-role", "role"), ("missing-site", "site")):
    cli_case(G, _case, args=VALIDATE, setup=_del(_k), mentions=[FILE, _key(_k)])


# ------------------------------------------------------------ names that become paths
def _rename_scale(new: str):
    """Rename the scale 'trust' to ``new`` in the codebook and in the parameters."""

    def setup(w: World) -> None:
        name = new(w) if callable(new) else new
        doc = w.codebook_doc()
        doc["scales"] = {(name if k == "trust" else k): v for k, v in doc["scales"].items()}
        w.write_codebook(doc)
        params = w.params_doc()
        params["regression"]["outcomes"] = [
            name if o == "trust" else o for o in params["regression"]["outcomes"]
        ]
        w.write_params(params)

    return setup


# A scale's name reaches figure file names (likert-<scale>, engagement-vs-<scale>): it must
# be refused, or written only inside the study's output folders.
cli_case(
    G,
    "scale-name-path-traversal",
    args=RUN,
    setup=_rename_scale("../../../../victim/pwned"),
    expect="error_or_ok",
    confine=True,
    mentions=[FILE, "victim/pwned"],
    heavy=True,
    timeout=400,
)
cli_case(
    G,
    "scale-name-absolute",
    args=RUN,
    setup=_rename_scale(lambda w: str(w.victim / "pwned")),
    expect="error_or_ok",
    confine=True,
    mentions=[FILE, "pwned"],
    heavy=True,
    timeout=400,
)
cli_case(
    G,
    "scale-name-dotdot-reports",
    args=RUN,
    setup=_rename_scale("../../../.."),
    expect="error_or_ok",
    confine=True,
    mentions=[FILE, "../../../.."],
    heavy=True,
    timeout=400,
)
