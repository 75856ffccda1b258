"""Study designs other than the example's: one coder, one site, one strand."""

import pandas as pd
import pytest

from conftest import make_project
from partner_study.pipeline import run_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("designs")]


def test_single_coder_runs_end_to_end_and_says_why_agreement_is_empty(tmp_path):
    """Reflexive thematic analysis (the Norwegian facilitator study): one coder."""
    root = make_project(tmp_path)
    raw = root / "data" / "raw" / "example"
    seg = pd.read_csv(raw / "segments.csv", dtype=str, keep_default_na=False)
    seg[seg["coder"] == "coder_a"].to_csv(raw / "segments.csv", index=False, lineterminator="\n")
    result = run_pipeline(root / "params" / "example.yaml", root=root)
    assert all(s.status == "ran" for s in result.stages)
    agreement = pd.read_csv(root / "reports" / "example" / "tables" / "agreement.csv")
    assert len(agreement) == 1 and agreement.loc[0, "code"] == "(none)"
    assert "single coder" in agreement.loc[0, "note"]
    assert (root / "reports" / "example" / "report.html").is_file()


def test_single_site_fits_ols_and_skips_the_mixed_model_with_a_reason(tmp_path):
    root = make_project(tmp_path)
    raw = root / "data" / "raw" / "example"
    part = pd.read_csv(raw / "participants.csv", dtype=str, keep_default_na=False)
    keep = set(part.loc[part["site"] == "be_hospital", "participant_id"])
    for name in ("participants", "survey", "segments", "roster"):
        frame = pd.read_csv(raw / f"{name}.csv", dtype=str, keep_default_na=False)
        frame[frame["participant_id"].isin(keep)].to_csv(
            raw / f"{name}.csv", index=False, lineterminator="\n"
        )
    run_pipeline(root / "params" / "example.yaml", root=root, only=["01-prepare", "04-regression"])
    reg = pd.read_csv(root / "reports" / "example" / "tables" / "regression.csv")
    ols = reg[(reg["model"] == "ols") & (reg["term"] == "communication")]
    assert len(ols) == 1 and ols["std_error"].notna().all()
    mixed = reg[reg["model"].isin(["mixed", "joint_mixed"])]
    assert not mixed.empty and (mixed["term"] == "(skipped)").all()
    assert mixed["note"].str.contains("1 site").all()
    nb = (root / "reports" / "example" / "notebooks" / "04-regression.ipynb").read_text()
    assert "mixed model skipped: 1 site" in nb


def test_survey_only_study_skips_the_qualitative_stages_with_a_reason(tmp_path):
    root = make_project(tmp_path)
    raw = root / "data" / "raw" / "example"
    text = (raw / "codebook.yaml").read_text(encoding="utf-8")
    (raw / "codebook.yaml").write_text(text[: text.index("\nthemes:")] + "\n", encoding="utf-8")
    (raw / "segments.csv").unlink()
    result = run_pipeline(
        root / "params" / "example.yaml",
        root=root,
        only=["01-prepare", "03-qualitative", "05-integrate"],
    )
    status = {s.name: (s.status, s.reason) for s in result.stages}
    assert status["03-qualitative"] == (
        "not applicable",
        "the codebook declares no qualitative codes",
    )
    assert status["05-integrate"][0] == "not applicable"


def test_multi_site_params_pool_site_folders_and_show_heterogeneity(tmp_path):
    """A params file listing two site folders: each site is validated, the data are pooled
    (site as grouping), and per-site estimates with their heterogeneity are reported."""
    from conftest import ROOT

    root = make_project(tmp_path)
    src = ROOT / "data" / "raw" / "example"
    part = pd.read_csv(src / "participants.csv", dtype=str, keep_default_na=False)
    for site in ("be_hospital", "qc_establishment"):
        folder = root / "data" / "raw" / site
        folder.mkdir(parents=True)
        (folder / "codebook.yaml").write_text((src / "codebook.yaml").read_text())
        ids = set(part.loc[part["site"] == site, "participant_id"])
        for name in ("participants", "survey", "segments"):
            frame = pd.read_csv(src / f"{name}.csv", dtype=str, keep_default_na=False)
            frame[frame["participant_id"].isin(ids)].to_csv(
                folder / f"{name}.csv", index=False, lineterminator="\n"
            )
    params = root / "params" / "example.yaml"
    params.write_text(
        params.read_text().replace(
            "data: data/raw/example", "data: [data/raw/be_hospital, data/raw/qc_establishment]"
        )
    )
    run_pipeline(params, root=root, only=["01-prepare", "04-regression"])
    tables = root / "reports" / "example" / "tables"
    by_site = pd.read_csv(tables / "regression-by-site.csv")
    assert set(by_site["site"]) == {"be_hospital", "qc_establishment"}
    het = pd.read_csv(tables / "site-heterogeneity.csv")
    assert (het["n_sites"] == 2).all() and het["i2"].between(0, 1).all()
    reg = pd.read_csv(tables / "regression.csv")
    assert (reg.loc[reg["model"] == "mixed", "n_groups"].dropna() == 2).all()
    assert (root / "reports" / "example" / "figures" / "site-effects.png").is_file()


def test_sites_with_different_codebooks_are_refused(tmp_path, data_dir):
    import shutil

    from partner_study.errors import StudyDataError
    from partner_study.validate import validate_sites

    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(data_dir / "small", a)
    shutil.copytree(data_dir / "small", b)
    cb = b / "codebook.yaml"
    cb.write_text(cb.read_text().replace("reverse: [eng_4]", "reverse: [eng_5]"))
    with pytest.raises(StudyDataError, match=r"b/codebook\.yaml: found scales that differ"):
        validate_sites([a, b])


def _drop_block(text: str, key: str) -> str:
    """The codebook text without its top-level block ``key``."""
    import re

    return re.sub(rf"(?ms)^{key}:.*?(?=^\S)", "", text)


def test_codebook_without_numeric_variable_reports_table_1(tmp_path):
    root = make_project(tmp_path)
    raw = root / "data" / "raw" / "example"
    cb = raw / "codebook.yaml"
    lines = cb.read_text().splitlines(keepends=True)
    cb.write_text("".join(line for line in lines if not line.startswith("  age:")))
    part = pd.read_csv(raw / "participants.csv", dtype=str, keep_default_na=False)
    part.drop(columns=["age"]).to_csv(raw / "participants.csv", index=False, lineterminator="\n")
    params = root / "params" / "example.yaml"
    params.write_text(params.read_text().replace("[age, gender, role]", "[gender, role]"))
    result = run_pipeline(params, root=root, only=["01-prepare", "02-describe", "06-report"])
    assert result.stages[-1].name == "06-report" and result.stages[-1].status == "ran"
    table1 = (root / "reports" / "example" / "tables" / "characteristics.md").read_text()
    assert "Mean (SD)" not in table1 and "Gender" in table1


def test_no_engagement_level_skips_the_ordinal_model_with_a_reason(tmp_path):
    root = make_project(tmp_path)
    raw = root / "data" / "raw" / "example"
    cb = raw / "codebook.yaml"
    cb.write_text(_drop_block(cb.read_text(), "engagement_level"))
    survey = pd.read_csv(raw / "survey.csv", dtype=str, keep_default_na=False)
    survey.drop(columns=["eng_level"]).to_csv(raw / "survey.csv", index=False, lineterminator="\n")
    params = root / "params" / "example.yaml"
    params.write_text(
        params.read_text().replace("ordinal_dependent: engagement_level", "ordinal_dependent: null")
    )
    result = run_pipeline(
        params,
        root=root,
        only=["01-prepare", "03-qualitative", "04-regression", "05-integrate"],
    )
    status = {s.name: s.status for s in result.stages}
    assert status["04-regression"] == "ran" and status["05-integrate"] == "ran"
    reg = pd.read_csv(root / "reports" / "example" / "tables" / "regression.csv")
    ordinal = reg[reg["model"].str.contains("ordinal")]
    assert len(ordinal) == 1 and ordinal["term"].eq("(skipped)").all()
    assert ordinal["note"].str.contains("ordinal model skipped: no ordinal dependent").all()
    stats = pd.read_csv(root / "reports" / "example" / "tables" / "joint-display-statistics.csv")
    assert set(stats.loc[stats["measure"] == "pct_mentioning", "group"]) == {"all"}


def test_one_scale_study_skips_the_regression_with_a_reason(tmp_path):
    import re

    root = make_project(tmp_path)
    raw = root / "data" / "raw" / "example"
    cb = raw / "codebook.yaml"
    text = cb.read_text()
    # keep the first scale (the dependent), drop every other one
    start, end = text.index("\nscales:\n"), text.index("\nthemes:")
    scales = text[start:end]
    second = re.search(r"(?m)^  \w+:\n", scales[len("\nscales:\n") + 1 :])
    assert second is not None
    cut = start + len("\nscales:\n") + 1 + second.start()
    cb.write_text(text[:cut] + text[end:])
    survey = pd.read_csv(raw / "survey.csv", dtype=str, keep_default_na=False)
    kept = text[start:cut]
    drop = [c for c in survey.columns if re.fullmatch(r"[a-z]+_\d+", c) and c not in kept]
    survey.drop(columns=drop).to_csv(raw / "survey.csv", index=False, lineterminator="\n")
    params = root / "params" / "example.yaml"
    params.write_text(re.sub(r"(?m)^  outcomes:.*\n", "", params.read_text()))
    result = run_pipeline(
        params, root=root, only=["01-prepare", "03-qualitative", "04-regression", "05-integrate"]
    )
    status = {s.name: (s.status, s.reason) for s in result.stages}
    assert status["04-regression"] == (
        "not applicable",
        "one scale: nothing to regress the dependent on",
    )
    assert status["05-integrate"][0] == "ran"


def test_qualitative_only_study_runs_end_to_end_without_empty_tables(tmp_path):
    """Focus groups and interviews, no survey (the Belgian design's qualitative strand):
    02 still gives Table 1, 04 is not applicable with its reason, 05 compares the roles
    (the theme-by-survey display says the survey is missing), and the report holds no
    header-only table and numbers its tables without gaps."""
    import re

    root = make_project(tmp_path)
    raw = root / "data" / "raw" / "example"
    text = (raw / "codebook.yaml").read_text(encoding="utf-8")
    text = _drop_block(_drop_block(text, "engagement_level"), "scales")
    (raw / "codebook.yaml").write_text(text, encoding="utf-8")
    (raw / "survey.csv").unlink()
    result = run_pipeline(root / "params" / "example.yaml", root=root)
    status = {s.name: (s.status, s.reason) for s in result.stages}
    assert status["02-describe"][0] == status["03-qualitative"][0] == "ran"
    assert status["06-report"][0] == "ran"
    assert status["04-regression"] == ("not applicable", "the codebook declares no survey scales")
    assert status["05-integrate"][0] == "ran"
    reports = root / "reports" / "example"
    assert not (reports / "failed").exists()
    html = (reports / "report.html").read_text(encoding="utf-8")
    numbers = [int(n) for n in re.findall(r'<span class="label">Table (\d+)\.', html)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 4
    # no Likert or reliability table; the report says in one sentence why
    assert 'id="table-likert"' not in html and "Internal consistency" not in html
    assert "the codebook declares no survey scales" in html
    assert "Joint display of themes with survey scores: the study has no survey strand" in html
    assert (reports / "tables" / "joint-display.md").exists()
    for name in ("likert", "reliability"):
        assert not (reports / "tables" / f"{name}.md").exists()
