"""YAML read as hostile input: limits on size, depth and alias expansion, each an error
with its line, never a traceback or gigabytes of memory."""

from __future__ import annotations

import resource
import time

import pytest

from partner_study import safe_yaml
from partner_study.codebook import parse_codebook
from partner_study.errors import CodebookError, StudyDataError
from partner_study.safe_yaml import load_yaml

#: "Billion laughs": nine aliases of nine aliases ... nine levels deep (9**9 values).
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n"
    for i in range(8)
)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_alias_bomb_is_refused_quickly_with_its_line():
    before = _peak_mb()
    t0 = time.perf_counter()
    with pytest.raises(StudyDataError, match=r"t\.yaml: line \d+: found a document that expands"):
        load_yaml(BOMB, source="t.yaml")
    assert time.perf_counter() - t0 < 2
    assert _peak_mb() - before < 100


def test_alias_bomb_under_an_unknown_codebook_key_is_a_codebook_error():
    text = "study: s\nid: id\nrole: role\nsite: site\nunknown_key:\n" + "".join(
        "  " + line + "\n" for line in BOMB.splitlines()
    )
    with pytest.raises(CodebookError, match="expands to more than"):
        parse_codebook(text, source="codebook.yaml")


def test_deep_nesting_is_refused_not_a_recursion_error():
    text = "title: " + "[" * 20_000 + "]" * 20_000 + "\n"
    with pytest.raises(StudyDataError, match="nested more than 50 deep"):
        load_yaml(text, source="t.yaml")


def test_a_loop_of_aliases_is_refused():
    with pytest.raises(StudyDataError, match="inside the value it names"):
        load_yaml("a: &x [1, *x]\n", source="t.yaml")


def test_moderate_aliases_are_allowed():
    doc = load_yaml("l: &l {1: no, 5: yes}\ns1: {labels: *l}\ns2: {labels: *l}\n", source="t")
    assert doc["s1"]["labels"] == doc["s2"]["labels"]


def test_size_and_scalar_limits(monkeypatch):
    monkeypatch.setattr(safe_yaml, "MAX_BYTES", 100)
    with pytest.raises(StudyDataError, match="a file of 2,000 bytes"):
        load_yaml("a: " + "x" * 1997, source="t")
    monkeypatch.setattr(safe_yaml, "MAX_BYTES", 10**9)
    with pytest.raises(StudyDataError, match="a value of 200,000 characters"):
        load_yaml("a: " + "x" * 200_000, source="t")


def test_python_tags_are_refused():
    with pytest.raises(StudyDataError, match="line 1"):
        load_yaml("a: !!python/object/apply:os.system ['echo hi']\n", source="t")


def test_syntax_error_names_the_line():
    with pytest.raises(StudyDataError, match=r"t: line 2: found a YAML syntax error"):
        load_yaml("a: 1\nb: ]\nc: 2\n", source="t")


@pytest.mark.parametrize(
    "text",
    ["seed: 1\ndescribe: {by: role}\nseed: 2\n", "a: {x: 1, y: 2, x: 3}\n", "- {k: 1, k: 1}\n"],
)
def test_a_key_given_twice_is_named_with_both_lines(text):
    with pytest.raises(StudyDataError, match=r"a second time in one mapping \(first on line"):
        load_yaml(text, source="t")


def test_equal_keys_in_different_mappings_are_fine():
    assert load_yaml("a: {k: 1}\nb: {k: 2}\nc: [{k: 1}, {k: 2}]\n", source="t")["b"] == {"k": 2}
