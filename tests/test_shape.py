"""The study's shape comes from the codebook: roles, sites, labels, reference levels,
variables asked in the survey, and regression settings derived when left out."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from conftest import ROOT
from partner_study.codebook import parse_codebook
from partner_study.errors import CodebookError
from partner_study.params import check_params, load_params
from partner_study.shape import study_shape

FRENCH = """\
study: etude
id: pid
role:
  column: statut
  label: Rôle
  levels:
    patient: {label: Patient·e, plural: Patient·es}
    professionnel: {label: Professionnel·le, plural: Professionnel·les}
    proche: Proche aidant·e
site:
  column: lieu
  label: Établissement
  levels: {chu_liege: CHU de Liège, chum: CHUM Montréal}
variables:
  genre: {type: category, levels: {1: homme, 2: femme, 3: autre}, reference: femme}
  langue: {type: category, levels: [français, anglais]}
scales:
  ecoute: {label: Être écouté·e, items: [e1, e2], range: [1, 5]}
  confiance: {label: Confiance, items: [c1, c2], range: [1, 5]}
codes:
  ecoute_active: {theme: relation, label: Écoute active}
themes:
  relation: Relation de soin
"""


def test_roles_any_names_with_declared_labels_and_plurals():
    cb = parse_codebook(FRENCH)
    shape = study_shape(cb)
    assert cb.role_column == "statut" and cb.site == "lieu"
    assert shape.role_names == ("patient", "professionnel", "proche")
    assert shape.role_label("professionnel", plural=True) == "Professionnel·les"
    assert shape.role_label("professionnel") == "Professionnel·le"
    # a label without a plural: the label, never a guessed "s"
    assert shape.role_label("proche", plural=True) == "Proche aidant·e"
    assert shape.role_label("all", plural=True) == "All"
    assert shape.role_list() == "Patient·es, Professionnel·les and Proche aidant·e"
    assert shape.site_name("chum") == "CHUM Montréal"
    assert shape.site_name("unknown_site") == "unknown_site"
    assert shape.level_label("site", "chu_liege") == "CHU de Liège"
    assert shape.label("ecoute") == "Être écouté·e"
    assert shape.labels_for("codes")["relation"] == "Relation de soin"
    # the role itself has its declared label too (a regression term "Rôle: Proche aidant·e")
    assert cb.role_title == "Rôle" and shape.label("role") == "Rôle"
    assert study_shape(parse_codebook(FRENCH.replace("  label: Rôle\n", ""))).label("role") == (
        "Role"
    )


def test_one_role_and_a_list_of_roles():
    one = parse_codebook(
        FRENCH.replace(
            FRENCH[FRENCH.index("role:") : FRENCH.index("site:")],
            "role: {column: statut, levels: [animateur]}\n",
        )
    )
    assert study_shape(one).role_names == ("animateur",)
    assert study_shape(one).role_label("animateur", plural=True) == "animateur"


@pytest.mark.parametrize(
    "role, message",
    [
        ("role: statut\n", "a column without its levels"),
        ("role: {column: statut}\n", "one or more roles"),
        ("role: {column: statut, levels: [], colour: red}\n", "unknown key 'colour'"),
        ("role: {column: statut, levels: {a: {label: A, plurals: As}}}\n", "unknown key"),
    ],
)
def test_role_declarations_that_cannot_name_roles_are_problems(role, message):
    text = FRENCH.replace(FRENCH[FRENCH.index("role:") : FRENCH.index("site:")], role)
    with pytest.raises(CodebookError, match=message):
        parse_codebook(text)


def test_reference_level_first_declared_or_named():
    cb = parse_codebook(FRENCH)
    assert cb.variables["genre"].reference_label == "femme"  # named (a label)
    assert cb.variables["langue"].reference_label == "français"  # the first declared
    with pytest.raises(CodebookError, match="reference 'inconnu'"):
        parse_codebook(FRENCH.replace("reference: femme", "reference: inconnu"))


def _project(tmp_path):
    from conftest import make_project

    return make_project(tmp_path)


def test_a_yes_no_question_in_the_survey_is_a_participant_variable(tmp_path):
    """Before: declared under variables, validation then demanded it in participants.csv."""
    from partner_study.describe import table_characteristics
    from partner_study.prepare import prepare_study
    from partner_study.validate import validate_study

    root = _project(tmp_path)
    raw = root / "data" / "raw" / "example"
    survey = pd.read_csv(raw / "survey.csv", dtype=str, keep_default_na=False)
    survey["prior_partner"] = ["yes" if i % 3 else "no" for i in range(len(survey))]
    survey.to_csv(raw / "survey.csv", index=False, lineterminator="\n")
    text = (raw / "codebook.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "variables:\n",
        "variables:\n  prior_partner: {type: category, levels: [yes, no], label: Prior partner}\n",
        1,
    )
    (raw / "codebook.yaml").write_text(text, encoding="utf-8")
    study = prepare_study(validate_study(raw))
    assert set(study.scored["prior_partner"].dropna()) == {"yes", "no"}
    table = table_characteristics(study.participants, study.codebook, suppress_below=0)
    rows = table[(table["variable"] == "prior_partner") & (table["role"] == "all")]
    assert rows["level"].tolist() == ["yes", "no"]
    assert int(rows["n"].sum()) == len(survey)
    assert int(rows["missing"].iloc[0]) == len(study.participants) - len(survey)


def test_a_variable_in_both_tables_is_a_problem(tmp_path):
    from partner_study.errors import StudyDataError
    from partner_study.validate import validate_study

    root = _project(tmp_path)
    raw = root / "data" / "raw" / "example"
    survey = pd.read_csv(raw / "survey.csv", dtype=str, keep_default_na=False)
    survey["gender"] = "1"
    survey.to_csv(raw / "survey.csv", index=False, lineterminator="\n")
    with pytest.raises(StudyDataError, match="in both participants.csv and survey.csv"):
        validate_study(raw)


def test_regression_settings_left_out_come_from_the_codebook(tmp_path):
    root = tmp_path
    shutil.copytree(ROOT / "data" / "raw" / "example", root / "data" / "raw" / "demo")
    (root / "params").mkdir()
    path = root / "params" / "demo.yaml"
    path.write_text("study: demo\ndata: data/raw/demo\n", encoding="utf-8")
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    params = load_params(path, root=root)
    assert check_params(params, root=root) == []
    reg = params.regression
    cb_text = (root / "data" / "raw" / "demo" / "codebook.yaml").read_text(encoding="utf-8")
    first_scale = parse_codebook(cb_text).scales
    assert reg["dependent"] == next(iter(first_scale))
    assert reg["outcomes"] == [s for s in first_scale if s != reg["dependent"]]
    assert reg["ordinal_dependent"] == "engagement_level"
    # no engagement level declared: no ordinal dependent (the model is skipped, not failed)
    text = cb_text[: cb_text.index("engagement_level:")] + cb_text[cb_text.index("scales:") :]
    (root / "data" / "raw" / "demo" / "codebook.yaml").write_text(text, encoding="utf-8")
    params = load_params(path, root=root)
    assert check_params(params, root=root) == []
    assert params.regression["ordinal_dependent"] is None


def test_a_scale_with_no_answer_stops_at_validation(tmp_path):
    """Before: every cell a declared missing code passed validation and the study ran with
    no score for the scale (stage 02 stopped only after 01 had written)."""
    from partner_study.errors import StudyDataError
    from partner_study.validate import validate_study

    root = _project(tmp_path)
    raw = root / "data" / "raw" / "example"
    survey = pd.read_csv(raw / "survey.csv", dtype=str, keep_default_na=False)
    for item in ("tru_1", "tru_2", "tru_3", "tru_4"):
        if item in survey.columns:
            survey[item] = "9"
    survey.to_csv(raw / "survey.csv", index=False, lineterminator="\n")
    with pytest.raises(StudyDataError, match="no answer to any item of scale 'trust'") as info:
        validate_study(raw)
    assert "Fix:" in str(info.value)
