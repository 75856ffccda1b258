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
    seg[seg["coder"] == "coder_a"].to_csv(raw / "segments.csv", index=False,
                                          lineterminator="\n")
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
        frame[frame["participant_id"].isin(keep)].to_csv(raw / f"{name}.csv", index=False,
                                                         lineterminator="\n")
    run_pipeline(root / "params" / "example.yaml", root=root,
                 only=["01-prepare", "04-regression"])
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
    (raw / "codebook.yaml").write_text(text[: text.index("\nthemes:")] + "\n",
                                       encoding="utf-8")
    (raw / "segments.csv").unlink()
    result = run_pipeline(root / "params" / "example.yaml", root=root,
                          only=["01-prepare", "03-qualitative", "05-integrate"])
    status = {s.name: (s.status, s.reason) for s in result.stages}
    assert status["03-qualitative"] == ("not applicable",
                                        "the codebook declares no qualitative codes")
    assert status["05-integrate"][0] == "not applicable"
