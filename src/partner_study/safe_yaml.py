"""YAML with limits: the one way the package reads a YAML document written by a user.

Layer 1 (imports only :mod:`partner_study.errors`).

A codebook or parameters file may come from anyone (a shared study, a downloaded
template), so it is read as hostile input. Before anything is built from it, the
document's events are scanned (libyaml's parser, no Python recursion) and it is refused,
with its line, when it

- is larger than :data:`MAX_BYTES`;
- nests mappings and lists deeper than :data:`MAX_DEPTH`;
- would expand, once every alias is replaced by what it names, to more than
  :data:`MAX_NODES` nodes (the "billion laughs" alias bomb, even under a key nobody reads);
- holds a scalar longer than :data:`MAX_SCALAR`.

Only the safe loader builds the document (no Python tags). Anchors and aliases used in
moderation (one label set shared by several scales) remain allowed.
"""

from __future__ import annotations

from typing import Any

import yaml

from partner_study.errors import Problem, StudyDataError

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "MAX_SCALAR", "load_yaml"]

#: Largest YAML document read (codebooks and parameters are a few kilobytes).
MAX_BYTES = 5_000_000
#: Deepest nesting of mappings and lists.
MAX_DEPTH = 50
#: Most nodes once aliases are expanded.
MAX_NODES = 500_000
#: Longest scalar (a label, a path, a title).
MAX_SCALAR = 100_000

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


class _TextLoader(_LOADER):  # type: ignore[valid-type,misc]
    """The safe loader without YAML 1.1 booleans: ``yes``, ``no``, ``on``, ``off``, ``true``
    stay the text they are (a level named ``no`` is not ``False``)."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _LOADER.yaml_implicit_resolvers.items()
}


def _problem(source: str, line: int | None, found: str, expected: str, fix: str) -> Problem:
    return Problem(file=source, line=line, found=found, expected=expected, fix=fix)


def _syntax_problem(source: str, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if context is not None and mark is not None and context.line != mark.line:
        kind = (
            (getattr(exc, "context", None) or "block")
            .replace("while parsing a ", "")
            .replace("while parsing ", "")
        )
        problem += f", in the {kind} that starts on line {context.line + 1}"
    return _problem(
        source,
        (mark.line + 1) if mark else None,
        f"a YAML syntax error ({problem})",
        "valid YAML",
        "check indentation, colons and quotes on that line (tabs are not allowed)",
    )


def _limit(source: str, line: int | None, found: str, fix: str) -> StudyDataError:
    return StudyDataError(_problem(source, line, found, "a plain description of the study", fix))


def _check_events(text: str, source: str) -> None:
    """Walk the document's events once and raise at the first limit passed."""
    total = 0  # nodes read so far, every alias counted as the nodes it names
    # open collections: [expanded size, anchor, keys seen (mappings) or None (lists),
    # whether the next node of a mapping is a key]
    stack: list[list[Any]] = []
    anchored: dict[str, int] = {}  # expanded size of each closed anchored node

    def node_done(key: str | None, line: int | None) -> None:
        """A node of the innermost collection ended: in a mapping, keys and values
        alternate, and a key seen twice is reported (YAML would keep the last)."""
        if not stack or stack[-1][2] is None:
            return
        entry = stack[-1]
        if entry[3] and key is not None:
            if key in entry[2]:
                raise StudyDataError(
                    _problem(
                        source,
                        line,
                        f"the key '{key[:80]}' a second time in one mapping (first on line "
                        f"{entry[2][key]})",
                        "each key once (YAML would silently keep only the last)",
                        "remove or rename one of the two",
                    )
                )
            entry[2][key] = line
        entry[3] = not entry[3]

    for event in yaml.parse(text, Loader=_LOADER):
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchored:
                if any(entry[1] == event.anchor for entry in stack):
                    raise _limit(
                        source,
                        line,
                        f"the alias *{event.anchor} inside the value it names (a loop)",
                        "remove the alias or write the value out",
                    )
                continue  # undefined: the loader reports it with its line
            n = anchored[event.anchor]
        elif isinstance(event, yaml.ScalarEvent):
            if len(event.value) > MAX_SCALAR:
                raise StudyDataError(
                    _problem(
                        source,
                        line,
                        f"a value of {len(event.value):,} characters",
                        f"at most {MAX_SCALAR:,} characters",
                        "shorten the value (labels and names are short texts)",
                    )
                )
            n = 1
            if event.anchor:
                anchored[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise _limit(
                    source,
                    line,
                    f"mappings or lists nested more than {MAX_DEPTH} deep",
                    "remove the extra nesting (brackets or indentation) on that line",
                )
            total += 1
            mapping = isinstance(event, yaml.MappingStartEvent)
            stack.append([1, event.anchor, {} if mapping else None, True])
            continue
        elif isinstance(event, yaml.CollectionEndEvent):
            size, anchor, _, _ = stack.pop()
            if anchor:
                anchored[anchor] = size
            if stack:
                stack[-1][0] += size
            node_done(None, line)
            continue
        else:
            continue
        node_done(event.value if isinstance(event, yaml.ScalarEvent) else None, line)
        total += n
        if stack:
            stack[-1][0] += n
        if total > MAX_NODES:
            raise _limit(
                source,
                line,
                f"a document that expands to more than {MAX_NODES:,} values (aliases "
                "repeating aliases)",
                "write the values out instead of nesting aliases (*name) of aliases",
            )


def load_yaml(text: str, *, source: str, booleans: bool = True) -> Any:
    """Load a YAML document written by a user, within the limits of this module.

    Parameters
    ----------
    text : str
        The document.
    source : str
        The file's name as the user would type it, for messages.
    booleans : bool
        Read ``true``/``false``/``yes``/``no``/``on``/``off`` as booleans (default); with
        False they stay text (a codebook's levels and labels are text).

    Returns
    -------
    object
        The document (mappings, lists, strings, numbers, booleans, None).

    Raises
    ------
    StudyDataError
        With one :class:`~partner_study.errors.Problem` (file and line): a syntax error or
        a limit passed.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise StudyDataError(
            _problem(
                source,
                None,
                f"a file of {size:,} bytes",
                f"at most {MAX_BYTES:,} bytes",
                "check that this is the right file (a codebook or parameters file is a few "
                "kilobytes)",
            )
        )
    try:
        _check_events(text, source)
        loader = _LOADER if booleans else _TextLoader
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise StudyDataError(_syntax_problem(source, exc)) from None
    except RecursionError:  # pragma: no cover - the depth limit comes first
        raise StudyDataError(
            _problem(
                source,
                None,
                "nesting too deep to read",
                f"at most {MAX_DEPTH} levels",
                "remove the extra nesting",
            )
        ) from None
