"""Group ``params``: every key of params/example.yaml with a wrong type or range, unknown
keys, wrong document shapes, encodings and YAML parser attacks."""

from __future__ import annotations

import re

from fixtures import alias_bomb, deep_list, deep_map, garbage
from harness import STUDY, World, cli_case, set_path

G = "params"
RUN = ["run", f"params/{STUDY}.yaml"]
FILE = "example.yaml"


def _key(dotted: str) -> re.Pattern:
    """The key as a message would name it: its dotted path or at least its last part."""
    leaf = dotted.split(".")[-1]
    return re.compile(rf"{re.escape(dotted)}|\b{re.escape(leaf)}\b")


def _set(dotted: str, value):
    def setup(w: World) -> None:
        doc = w.params_doc()
        set_path(doc, dotted, value)
        w.write_params(doc)

    return setup


WRONG = [
    # (case, key, value)
    ("seed-string", "seed", "abc"),
    ("seed-negative", "seed", -1),
    ("seed-huge", "seed", 2**70),
    ("seed-float", "seed", 1.5),
    ("seed-bool", "seed", True),
    ("describe-list", "describe", ["by", "role"]),
    ("describe-null", "describe", None),
    ("describe-by-number", "describe.by", 5),
    ("describe-by-unknown-column", "describe.by", "favourite_colour"),
    ("suppress-below-negative", "describe.suppress_below", -3),
    ("suppress-below-huge", "describe.suppress_below", 10**9),
    ("suppress-below-string", "describe.suppress_below", "five"),
    ("suppress-below-nan", "describe.suppress_below", float("nan")),
    ("describe-unknown-key", "describe.colour", "blue"),
    ("quotes-per-theme-zero", "qualitative.quotes_per_theme", 0),
    ("quotes-per-theme-huge", "qualitative.quotes_per_theme", 10**12),
    ("quote-max-chars-negative", "qualitative.quote_max_chars", -1),
    ("divergence-threshold-nan", "qualitative.divergence_threshold", float("nan")),
    ("divergence-threshold-inf", "qualitative.divergence_threshold", float("inf")),
    ("divergence-threshold-negative", "qualitative.divergence_threshold", -20),
    ("qualitative-list", "qualitative", [1, 240, 20]),
    ("qualitative-unknown-key", "qualitative.quotes_per_code", 3),
    ("regression-string", "regression", "ols"),
    ("regression-dependent-unknown", "regression.dependent", "happiness"),
    ("regression-dependent-list", "regression.dependent", ["engagement"]),
    ("regression-outcomes-string", "regression.outcomes", "trust"),
    ("regression-outcomes-unknown", "regression.outcomes", ["trust", "happiness"]),
    ("regression-covariates-mapping", "regression.covariates", [{"age": 1}]),
    ("regression-covariates-unknown", "regression.covariates", ["shoe_size"]),
    ("regression-models-duplicate", "regression.models", ["ols", "ols"]),
    ("regression-models-unknown", "regression.models", ["ols", "bayes"]),
    ("regression-models-string", "regression.models", "ols"),
    ("regression-cov-type-unknown", "regression.cov_type", "HC9"),
    ("regression-standardize-string", "regression.standardize", "yes please"),
    ("regression-groups-unknown", "regression.groups", "planet"),
    ("regression-ordinal-dependent-number", "regression.ordinal_dependent", 5),
    ("imputations-one", "regression.sensitivity.imputations", 1),
    ("imputations-huge", "regression.sensitivity.imputations", 10**7),
    ("sensitivity-list", "regression.sensitivity", [20]),
    ("regression-unknown-key", "regression.alpha", 0.05),
    ("figures-formats-unknown", "figures.formats", ["pdf", "exe"]),
    ("figures-formats-string", "figures.formats", "pdf"),
    ("figures-formats-empty", "figures.formats", []),
    ("figures-unknown-key", "figures.dpi", 5000),
    ("top-level-unknown-key", "colour", "blue"),
]
for _case, _key_name, _value in WRONG:
    cli_case(G, _case, args=RUN, setup=_set(_key_name, _value), mentions=[FILE, _key(_key_name)])


# ------------------------------------------------------------------ document shapes
def _text(text: str | bytes):
    def setup(w: World) -> None:
        if isinstance(text, bytes):
            w.params.write_bytes(text)
        else:
            w.params.write_text(text, encoding="utf-8")

    return setup


def _append(text: str):
    def setup(w: World) -> None:
        w.params.write_text(w.params.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")

    return setup


def _encoded(encoding: str, extra: str = ""):
    def setup(w: World) -> None:
        text = w.params.read_text(encoding="utf-8") + extra
        w.params.write_bytes(text.encode(encoding))

    return setup


cli_case(
    G,
    "document-is-a-list",
    args=RUN,
    setup=_text("- study: example\n- data: data/raw/example\n"),
    mentions=[FILE],
)
cli_case(G, "document-is-a-string", args=RUN, setup=_text('"hello"\n'), mentions=[FILE])
cli_case(G, "empty-file", args=RUN, setup=_text(""), mentions=[FILE])
cli_case(G, "only-comments", args=RUN, setup=_text("# nothing here\n"), mentions=[FILE])
cli_case(G, "binary-garbage", args=RUN, setup=_text(garbage(4096)), mentions=[FILE])
cli_case(
    G,
    "latin1-file",
    args=RUN,
    setup=_encoded("latin-1", "# paramètres du site de Liège\n"),
    mentions=[FILE],
)
cli_case(
    G,
    "utf16-file",
    args=RUN,
    setup=_encoded("utf-16"),
    expect="error_or_ok",
    mentions=[FILE],
    heavy=True,
    timeout=240,
)
cli_case(G, "nul-byte", args=RUN, setup=_append("seed: 1\x002\n"), mentions=[FILE])
cli_case(
    G,
    "tab-indentation",
    args=RUN,
    setup=_text("study: example\ndescribe:\n\tby: role\n"),
    mentions=[FILE, re.compile(r"line 3\b")],
)
cli_case(
    G, "alias-bomb", args=RUN, setup=_append(alias_bomb("x_bomb")), mentions=[FILE], time_limit=10
)
cli_case(
    G,
    "alias-bomb-in-known-key",
    args=RUN,
    setup=_text(
        "study: example\ndata: data/raw/example\n"
        + alias_bomb("regression").replace("a8: &a8", "outcomes: &a8")
    ),
    mentions=[FILE],
    time_limit=10,
)
cli_case(
    G, "alias-loop", args=RUN, setup=_append("x_loop: &x [*x]\n"), mentions=[FILE], time_limit=10
)
cli_case(
    G,
    "deep-list-20000",
    args=RUN,
    setup=_append(deep_list("x_deep")),
    mentions=[FILE],
    time_limit=10,
)
cli_case(
    G, "deep-map-20000", args=RUN, setup=_append(deep_map("x_deep")), mentions=[FILE], time_limit=10
)


def _python_tag(tag_text: str):
    def setup(w: World) -> None:
        pwned = w.victim / "pwned"
        text = w.params.read_text(encoding="utf-8")
        w.params.write_text(text + tag_text.replace("PWNED", str(pwned)) + "\n", encoding="utf-8")

    return setup


cli_case(
    G,
    "python-tag-os-system",
    args=RUN,
    setup=_python_tag('x_tag: !!python/object/apply:os.system ["touch PWNED"]'),
    mentions=[FILE],
)
cli_case(
    G,
    "python-tag-name",
    args=RUN,
    setup=_python_tag("x_tag: !!python/name:os.system"),
    mentions=[FILE],
)
cli_case(
    G,
    "python-tag-in-seed",
    args=RUN,
    setup=lambda w: w.params.write_text(
        w.params.read_text(encoding="utf-8").replace(
            "seed: 20231121",
            f'seed: !!python/object/apply:os.system ["touch {w.victim / "pwned"}"]',
        ),
        encoding="utf-8",
    ),
    mentions=[FILE],
)
cli_case(
    G,
    "long-string-1mb",
    args=RUN,
    setup=_set("describe.by", "r" * 1_000_000),
    mentions=[FILE],
    time_limit=10,
)
cli_case(
    G,
    "long-study-1mb",
    args=RUN,
    setup=_set("study", "s" * 1_000_000),
    mentions=[FILE],
    time_limit=10,
)
cli_case(
    G,
    "file-6mb",
    args=RUN,
    setup=_append(("# " + "x" * 98 + "\n") * 60_000),
    mentions=[FILE],
    time_limit=10,
)
cli_case(
    G,
    "duplicate-key-study",
    args=RUN,
    setup=lambda w: w.params.write_text(
        w.params.read_text(encoding="utf-8").replace(
            "study: example", "study: example\nstudy: ../../victim"
        ),
        encoding="utf-8",
    ),
    mentions=[FILE, "study"],
)
cli_case(G, "duplicate-key-seed", args=RUN, setup=_append("seed: 42\n"), mentions=[FILE, "seed"])
cli_case(
    G,
    "duplicate-key-nested",
    args=RUN,
    setup=lambda w: w.params.write_text(
        w.params.read_text(encoding="utf-8").replace(
            "  suppress_below: 5", "  suppress_below: 5\n  suppress_below: 0"
        ),
        encoding="utf-8",
    ),
    mentions=[FILE, "suppress_below"],
)
cli_case(G, "integer-key", args=RUN, setup=_append("1: one\n"), mentions=[FILE])
cli_case(G, "control-char-key", args=RUN, setup=_append('"se\\x07ed": 1\n'), mentions=[FILE])
cli_case(
    G, "data-empty-list", args=RUN, setup=_set("data", []), mentions=[FILE, re.compile(r"\bdata\b")]
)
