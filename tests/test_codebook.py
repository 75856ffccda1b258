import pytest

from partner_study.codebook import parse_codebook, read_codebook
from partner_study.errors import CodebookError

MINIMAL = """\
study: demo
id: participant_id
role: {column: role, levels: [patient, professional]}
site: site
variables:
  age: {type: integer, min: 18, max: 100, missing: [999]}
  gender: {type: category, levels: {1: woman, 2: man}, missing: [9]}
engagement_level:
  column: eng_level
  levels: {1: information, 2: consultation, 3: collaboration, 4: partnership}
scales:
  trust: {items: [tr_1, tr_2, tr_3], range: [1, 5], reverse: [tr_2], min_items: 2}
codes:
  common_language: {theme: foundations, label: Common language}
"""


def test_parse_minimal_codebook():
    cb = parse_codebook(MINIMAL)
    assert cb.study == "demo"
    assert cb.role_levels == ("patient", "professional")
    assert cb.variables["gender"].levels == {"1": "woman", "2": "man"}
    assert cb.variables["age"].missing == ("999",)
    assert cb.scales["trust"].reverse == ("tr_2",)
    assert cb.scales["trust"].responses == [1, 2, 3, 4, 5]
    assert cb.engagement_level.column == "eng_level"
    assert cb.engagement_level.ordered_labels == [
        "information",
        "consultation",
        "collaboration",
        "partnership",
    ]
    assert cb.codes["common_language"].theme == "foundations"
    assert cb.items == ["tr_1", "tr_2", "tr_3"]


def test_example_codebook_reads(root):
    cb = read_codebook(root / "data" / "raw" / "example" / "codebook.yaml")
    assert set(cb.scales) >= {
        "engagement",
        "communication",
        "listening",
        "information_sharing",
        "teamwork",
        "trust",
        "power_sharing",
    }
    assert cb.scales["engagement"].min_items == 5


def test_yaml_syntax_error_names_line():
    text = MINIMAL.replace(
        "role: {column: role, levels: [patient, professional]}",
        "role: {column: role, levels: [patient, professional]",
    )
    with pytest.raises(CodebookError, match=r"codebook\.yaml: line 4: found a YAML syntax error"):
        parse_codebook(text)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("site: site", "site: site\nbogus: 1", r"line 5: found unknown key 'bogus'"),
        ("reverse: [tr_2]", "reverse: [tr_9]", r"line 12: found reverse item 'tr_9' not among"),
        (
            "min_items: 2",
            "min_items: 7",
            r"line 12: found 7 at 'scales.trust.min_items', "
            r"expected an integer from 1 to 3",
        ),
        ("range: [1, 5]", "range: [5, 1]", r"expected \[low, high\] as two integers"),
        ("{type: integer, min: 18", "{type: whole, min: 18", r"found type 'whole'"),
        (
            "{theme: foundations, label: Common language}",
            "{label: Common language}",
            r"found a code without a theme at 'codes.common_language'",
        ),
        ("id: participant_id\n", "", r"found no 'id' key"),
    ],
)
def test_codebook_problems_name_line_and_fix(old, new, message):
    with pytest.raises(CodebookError, match=message) as info:
        parse_codebook(MINIMAL.replace(old, new))
    assert "Fix:" in str(info.value)


def test_all_problems_collected():
    text = MINIMAL.replace("reverse: [tr_2]", "reverse: [tr_9]").replace(
        "site: site", "site: site\nbogus: 1"
    )
    with pytest.raises(CodebookError) as info:
        parse_codebook(text)
    assert len(info.value.problems) == 2


def test_missing_codebook_file(tmp_path):
    with pytest.raises(CodebookError, match=r"codebook\.yaml: found no such file"):
        read_codebook(tmp_path / "codebook.yaml")


def test_codebook_not_utf8(tmp_path):
    (tmp_path / "codebook.yaml").write_bytes("study: d\u00e9mo\n".encode("latin-1"))
    with pytest.raises(CodebookError, match="not UTF-8"):
        read_codebook(tmp_path / "codebook.yaml")


@pytest.mark.parametrize(
    ("section", "text"),
    [
        ("variables", "variables:\n  - age\n  - gender\n"),
        ("codes", "codes:\n  - common_language\n"),
        ("scales", "scales:\n  - trust\n"),
        ("themes", "themes: [a, b]\n"),
    ],
)
def test_a_section_written_as_a_list_is_a_clear_problem(section, text):
    head = "study: demo\nid: participant_id\nrole: {column: role, levels: [a]}\nsite: site\n"
    with pytest.raises(CodebookError, match=rf"found a list at '{section}'.*not as a list"):
        parse_codebook(head + text)


def test_item_labels_as_a_list_and_non_text_labels_are_problems():
    text = MINIMAL.replace(
        "min_items: 2}",
        "min_items: 2, item_labels: [a, b], labels: {1: yes, 5: [x]}}",
    ).replace("levels: {1: woman, 2: man}", "levels: {1: yes, 2: {x: 1}}")
    with pytest.raises(CodebookError) as info:
        parse_codebook(text)
    message = str(info.value)
    assert "found a list at 'scales.trust.item_labels'" in message
    assert "scales.trust.labels.1" not in message  # yes is a label, not a boolean
    assert "at 'scales.trust.labels.5'" in message
    assert "at 'variables.gender.levels.2'" in message


def test_yes_no_levels_stay_the_text_written():
    """YAML 1.1 reads unquoted yes/no/on/off as booleans; a codebook's levels and labels
    are text, so a yes/no question keeps its levels as written."""
    text = MINIMAL.replace("levels: {1: woman, 2: man}", "levels: [yes, no, Off, TRUE]")
    cb = parse_codebook(text)
    assert cb.variables["gender"].levels == {"yes": "yes", "no": "no", "Off": "Off", "TRUE": "TRUE"}
    labels = parse_codebook(MINIMAL.replace("min_items: 2}", "min_items: 2, labels: {1: no}}"))
    assert labels.scales["trust"].labels == {1: "no"}


@pytest.mark.parametrize("rng", ["[1, 10000000]", "[0, 101]"])
def test_a_likert_range_past_101_points_is_refused(rng):
    with pytest.raises(CodebookError, match="at most 101 points"):
        parse_codebook(MINIMAL.replace("range: [1, 5]", f"range: {rng}"))


def test_a_0_100_rating_scale_is_allowed():
    cb = parse_codebook(MINIMAL.replace("range: [1, 5]", "range: [0, 100]"))
    assert cb.scales["trust"].high == 100


def test_a_code_with_a_list_of_themes_is_a_problem():
    text = MINIMAL.replace("{theme: foundations, label", "{theme: [a, b], label")
    with pytest.raises(CodebookError, match="found a list at 'codes.common_language.theme'"):
        parse_codebook(text)


def test_a_scale_declared_twice_is_named():
    text = MINIMAL + "scales:\n  other: {items: [o_1], range: [1, 5]}\n"
    with pytest.raises(CodebookError, match="the key 'scales' a second time"):
        parse_codebook(text)


def test_a_huge_name_gives_a_bounded_message():
    text = MINIMAL.replace("age:", "a" * 1_000_000 + ":", 1)
    with pytest.raises(CodebookError) as info:
        parse_codebook(text)
    assert len(str(info.value)) < 5_000
