"""The five designs of the studies behind the project, committed in tests/data/designs/.

Each design is a raw study folder (``<name>/raw/``) and its minimal parameters
(``<name>/params.yaml``), made by :data:`partner_study.designs.DESIGNS`. Regenerate them
with ``partner-study simulate --design all --out tests/data/designs`` (or
``python -m partner_study.designs tests/data/designs``): the first test checks that the
committed bytes are what the generator gives.

(a) be-focus-groups: 30 patients in 6 focus groups, 30 professionals interviewed, French
    labels, qualitative strand only; the focus-group id is kept.
(b) qc-establishments: an establishment survey whose dependent is the ordinal engagement
    continuum (information < consultation < collaboration < partnership), with the level of
    the health system as a categorical covariate.
(c) no-facilitators: 6 internal facilitators (one role), 4 municipalities, one coder, no
    survey.
(d) coproduction: power sharing and capacity building among the outcome scales, two roles
    rating the same items.
(e) msk-partnership: patients and staff rating the same items, one site.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from partner_study import designs
from test_design_matrix import (
    Run,
    check_captions,
    check_empty_tables,
    check_labels,
    check_notebooks,
    check_stages,
    expected_statuses,
    run_study,
)

DESIGNS_DIR = Path(__file__).resolve().parent / "data" / "designs"
NAMES = list(designs.DESIGNS)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_regenerating_the_designs_gives_the_committed_bytes(tmp_path):
    designs.write_designs(tmp_path)
    fresh, committed = _files(tmp_path), _files(DESIGNS_DIR)
    assert sorted(fresh) == sorted(committed)
    changed = [name for name in fresh if fresh[name] != committed[name]]
    assert not changed, f"regenerate tests/data/designs: {changed} differ"
    big = {name: len(data) for name, data in committed.items() if len(data) >= 100_000}
    assert not big, f"files of 100 KB or more: {big}"
    assert sorted({name.split("/")[0] for name in committed}) == sorted(NAMES)


def test_the_committed_designs_are_the_designs_they_say():
    """The sizes the studies behind the designs have."""
    folder = DESIGNS_DIR

    def table(name: str, file: str) -> pd.DataFrame:
        return pd.read_csv(folder / name / "raw" / file, dtype=str, keep_default_na=False)

    part = table("be-focus-groups", "participants.csv")
    patients = part[part["role"] == "patient"]
    assert len(patients) == 30 and (patients["collection"] == "focus_group").all()
    assert patients["group_id"].nunique() == 6
    assert patients.groupby("group_id")["site"].nunique().eq(1).all()  # a group meets at a site
    others = part[part["role"] != "patient"]
    assert len(others) == 30 and (others["collection"] == "interview").all()
    assert not (folder / "be-focus-groups" / "raw" / "survey.csv").exists()

    survey = table("qc-establishments", "survey.csv")
    assert "eng_level" in survey.columns
    assert set(table("qc-establishments", "participants.csv")["system_level"]) == {"1", "2", "3"}
    assert not (folder / "qc-establishments" / "raw" / "segments.csv").exists()

    part = table("no-facilitators", "participants.csv")
    assert len(part) == 6 and part["role"].nunique() == 1 and part["site"].nunique() == 4
    assert set(table("no-facilitators", "segments.csv")["coder"]) == {"coder_a"}
    assert not (folder / "no-facilitators" / "raw" / "survey.csv").exists()

    cb = (folder / "coproduction" / "raw" / "codebook.yaml").read_text(encoding="utf-8")
    assert "power_sharing:" in cb and "capacity_building:" in cb

    part = table("msk-partnership", "participants.csv")
    assert set(part["role"]) == {"patient", "staff"} and part["site"].nunique() == 1


def test_shapes_refuse_what_a_study_cannot_be():
    from partner_study.errors import PartnerStudyError

    with pytest.raises(PartnerStudyError, match="engagement: found a dependent without"):
        designs.Shape(strands="qualitative", engagement="continuous")
    with pytest.raises(PartnerStudyError, match="points: found 3"):
        designs.Shape(points=3)
    with pytest.raises(PartnerStudyError, match="role_counts"):
        designs.Shape(role_counts=(10, 10), n_participants=40)
    with pytest.raises(PartnerStudyError, match="expected 1 to 3"):
        designs.role_set(4, "fr")
    assert designs.role_set(3, "fr")[2] == ("proche_aidant", "Proche aidant·e", "Proches aidant·es")


def test_a_shape_gives_its_codebook_tables_and_minimal_params(tmp_path):
    from partner_study.codebook import read_codebook
    from partner_study.validate import validate_study

    shape = designs.Shape(
        roles=designs.role_set(3, "fr"),
        language="fr",
        points=2,
        labels_as_text=True,
        strands="survey",
        engagement="ordinal",
        categorical_only=True,
    )
    written = designs.write_shape(shape, tmp_path / "demo")
    assert sorted(p.name for p in written) == ["codebook.yaml", "participants.csv", "survey.csv"]
    cb = read_codebook(tmp_path / "demo" / "codebook.yaml")
    assert cb.study == "demo" and cb.role_label("proche_aidant", plural=True) == "Proches aidant·es"
    assert not cb.codes and "age" not in cb.variables and cb.engagement_level is not None
    survey = pd.read_csv(tmp_path / "demo" / "survey.csv", dtype=str, keep_default_na=False)
    assert {"Oui", "Non"} <= set(survey["hea_1"])  # the labels, not the codes 0/1
    assert len(validate_study(tmp_path / "demo").participants) == shape.n_participants
    params = designs.params_text(shape, "demo")
    assert "\n  dependent: none" in params and "covariates: [gender, role]" in params
    assert "regression:" not in designs.params_text(designs.Shape(engagement="none"), "demo")
    # the same shape and seed give the same bytes; another seed other ones
    again = designs.write_shape(shape, tmp_path / "again", study="demo")
    assert [p.read_bytes() for p in written] == [p.read_bytes() for p in again]
    other = designs.simulate_shape(designs.Shape(seed=2))
    assert not other.participants.equals(designs.simulate_shape(designs.Shape()).participants)


def test_cli_writes_a_design_and_all_designs(tmp_path, monkeypatch, capsys):
    from partner_study.cli import main

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "data" / "raw" / "copro"
    rc = main(
        ["simulate", "--design", "coproduction", "--out", "data/raw/copro", "--params", "p.yaml"]
    )
    assert rc == 0
    assert (out / "segments.csv").is_file() and (out / "survey.csv").is_file()
    params = (tmp_path / "p.yaml").read_text(encoding="utf-8")
    assert "study: copro" in params and "data: data/raw/copro" in params
    assert main(["simulate", "--design", "all", "--out", "designs"]) == 0
    assert _files(tmp_path / "designs") == _files(DESIGNS_DIR)
    capsys.readouterr()
    assert main(["simulate", "--design", "nope", "--out", "x"]) == 2
    assert "expected one of" in capsys.readouterr().err
    assert main(["simulate", "--design", "coproduction", "--size", "M", "--out", "y"]) == 2


# ------------------------------------------------------------------------ end to end
_RUNS: dict[str, Run] = {}


@pytest.fixture(scope="session")
def design_run(tmp_path_factory):
    """A function giving the run of a committed design (once per test worker)."""

    def get(name: str) -> Run:
        if name not in _RUNS:
            base = tmp_path_factory.mktemp(name)
            params = (DESIGNS_DIR / name / "params.yaml").read_text(encoding="utf-8")
            _RUNS[name] = run_study(base, DESIGNS_DIR / name / "raw", name, params)
        return _RUNS[name]

    return get


def _design(name: str):
    marks = [pytest.mark.slow, pytest.mark.xdist_group(f"design-{name}")]
    return pytest.param(name, id=name, marks=marks)


DESIGN_PARAMS = [_design(n) for n in NAMES]
CHECKS = {
    "stages": lambda run, name: check_stages(run, expected_statuses(designs.DESIGNS[name])),
    "notebooks": lambda run, name: check_notebooks(run),
    "paper-tables": lambda run, name: check_empty_tables(run),
    "labels": lambda run, name: check_labels(run),
    "captions": lambda run, name: check_captions(run),
}


@pytest.mark.parametrize("check", list(CHECKS))
@pytest.mark.parametrize("name", DESIGN_PARAMS)
def test_design_runs_end_to_end(name, check, design_run):
    run = design_run(name)
    problems = CHECKS[check](run, name)
    assert not problems, f"{len(problems)} problem(s) ({check}) in {name}:\n" + "\n".join(
        f"  - {p}" for p in problems
    )


def _ran(run: Run, stage: str) -> None:
    assert not run.error, run.error
    assert run.stages[stage][0] == "ran", run.stages[stage]


def _table(run: Run, name: str) -> pd.DataFrame:
    return pd.read_csv(run.tables / f"{name}.csv")


@pytest.mark.parametrize("name", [_design("be-focus-groups")])
def test_focus_groups_are_kept_and_silent_members_count(name, design_run):
    """The focus-group id travels through processing; a member who said nothing coded
    stays in the denominator of member-level shares (DESIGN §8)."""
    from partner_study.io import read_processed

    run = design_run(name)
    _ran(run, "03-qualitative")
    study = read_processed(run.root / "data" / "processed" / name)
    groups = study.participants.loc[study.participants["collection"] == "focus_group"]
    assert groups["group_id"].nunique() == 6 and len(groups) == 30
    codes = _table(run, "codes")
    theme = codes[(codes["code"] == "(theme)") & (codes["role"] == "patient")]
    theme = theme[theme["pct_participants"] > 0]
    denominators = (theme["n_participants"] / theme["pct_participants"] * 100).round()
    assert (denominators == 30).all(), denominators.tolist()


@pytest.mark.parametrize("name", [_design("qc-establishments")])
def test_the_engagement_continuum_is_the_ordinal_dependent(name, design_run):
    """The continuum (information < consultation < collaboration < partnership) is the
    ordinal dependent, in its declared order, with the system level as a covariate. The
    params leave the continuous dependent to the default (the first declared scale), so
    the ordinal model has the other scales as predictors."""
    run = design_run(name)
    _ran(run, "04-regression")
    reg = _table(run, "regression")
    ordinal = reg[reg["model"].str.contains("ordinal")]
    assert not ordinal.empty and not (ordinal["term"] == "(skipped)").all()
    fitted = set(ordinal["term"].astype(str))
    for scale in ("information", "teamwork"):
        assert scale in fitted, f"{scale} not a predictor of the ordinal model: {sorted(fitted)}"
    assert any("system_level" in t for t in fitted), sorted(fitted)
    cuts = [t for t in ordinal["term"].astype(str).unique() if "|" in t]
    assert cuts == [
        "information|consultation",
        "consultation|collaboration",
        "collaboration|partenariat",
    ], cuts


@pytest.mark.parametrize("name", [_design("no-facilitators")])
def test_one_coder_one_role_four_municipalities(name, design_run):
    run = design_run(name)
    _ran(run, "03-qualitative")
    agreement = _table(run, "agreement")
    assert len(agreement) == 1 and "single coder" in str(agreement.loc[0, "note"])
    by_site = _table(run, "codes-by-site")
    # six facilitators at four municipalities: no municipality, nor any pool of them but
    # all four, has 5 coded participants, so the codes by site are withheld (disclosure
    # control) and the report says why
    assert by_site.empty
    report = (run.reports / "report.html").read_text(encoding="utf-8")
    assert "Codes by site: withheld" in report


@pytest.mark.parametrize("name", [_design("coproduction")])
def test_power_sharing_and_capacity_building_are_outcomes(name, design_run):
    run = design_run(name)
    _ran(run, "04-regression")
    reg = _table(run, "regression")
    for outcome in ("power_sharing", "capacity_building"):
        rows = reg[(reg["model"] == "ols") & (reg["term"] == outcome)]
        assert len(rows) == 1 and rows["std_error"].notna().all(), outcome
    likert = _table(run, "likert")
    roles = likert[likert["role"] != "all"].groupby("item")["role"].nunique()
    assert (roles == 2).all()


@pytest.mark.parametrize("name", [_design("msk-partnership")])
def test_patients_and_staff_rate_the_same_items_at_one_site(name, design_run):
    run = design_run(name)
    _ran(run, "04-regression")
    likert = _table(run, "likert")
    roles = likert[likert["role"] != "all"].groupby("item")["role"].agg(set)
    assert (roles == {"patient", "staff"}).all()
    reg = _table(run, "regression")
    mixed = reg[reg["model"].isin(["mixed", "joint_mixed"])]
    assert not mixed.empty and mixed["note"].str.contains("1 site").all()
