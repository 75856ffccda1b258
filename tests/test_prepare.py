"""Tests of partner_study.prepare: the disclosure gate on a study, pseudonyms, summaries."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from partner_study import disclosure, prepare
from partner_study.validate import validate_study


@pytest.fixture(scope="module")
def raw(root):
    """The example study, one document named after a person and one name in a text."""
    study = validate_study(root / "data" / "raw" / "example")
    segments = study.segments.copy()
    first = segments["participant_id"] == segments["participant_id"].iloc[0]
    segments.loc[first, "document"] = "interview_sofie_claes.docx"
    name = study.roster["name"].iloc[0]
    segments.loc[segments.index[:3], "text"] = f"Ask {name} on 0470 12 34 56 about it."
    segments.loc[segments.index[3:5], "text"] = "BE-0002 said exactly the same thing."
    return dataclasses.replace(study, segments=segments)


def test_redact_segments_pseudonymises_documents_and_drops_the_roster(raw):
    redacted, table = prepare.redact_segments(raw)
    assert redacted.roster is None
    documents = redacted.segments["document"]
    assert documents.str.fullmatch(r"D\d{3}").all()
    # sorted names -> numbers: the same document keeps one code, different ones differ
    original = raw.segments["document"]
    assert (pd.crosstab(original, documents) > 0).sum(axis=1).eq(1).all()
    assert documents.nunique() == original.nunique()
    ids = set(raw.participants["participant_id"])
    assert not documents.isin(ids).any()
    text = "\n".join(redacted.segments["text"])
    assert "sofie" not in text.lower() and "0470" not in text
    assert "Ask [name] on [phone] about it." in text
    assert "[id] said exactly the same thing." in text and "BE-0002" not in text
    counts = table.set_index("kind")
    assert counts.loc["name", "n_redactions"] >= 1 and counts.loc["phone", "n_redactions"] >= 1
    assert table["kind"].tolist() == [*disclosure.REDACTION_KINDS, "total"]
    # the input study is left as it was
    assert (raw.segments["document"] == "interview_sofie_claes.docx").any()


def test_redact_segments_without_segments(raw):
    survey_only = dataclasses.replace(raw, segments=None)
    redacted, table = prepare.redact_segments(survey_only)
    assert redacted.segments is None and redacted.roster is None
    assert table["n_redactions"].sum() == 0


def test_prepared_segments_keep_the_document_pseudonyms(raw):
    redacted, _ = prepare.redact_segments(raw)
    study = prepare.prepare_study(redacted)
    assert study.segments["document"].str.fullmatch(r"D\d{3}").all()
    assert "interview_sofie_claes.docx" not in set(study.segments["document"])


def test_summarise_scores_shows_no_participant(raw):
    study = prepare.prepare_study(prepare.redact_segments(raw)[0])
    table = prepare.summarise_scores(study)
    assert list(table.columns) == ["scale", "role", "n", "mean", "sd"]
    scales = list(study.codebook.scales)
    assert table["scale"].drop_duplicates().tolist() == scales
    assert table.groupby("scale")["role"].last().eq("all").all()
    all_rows = table[table["role"] == "all"].set_index("scale")
    assert all_rows.loc[scales[0], "n"] == study.scored[scales[0]].notna().sum()
    assert all_rows.loc[scales[0], "mean"] == pytest.approx(study.scored[scales[0]].mean())
    ids = set(study.participants["participant_id"]) | set(study.participants["pseudonym"])
    assert not table.isin(ids).any().any()


def test_summarise_scores_hides_the_means_of_small_groups(raw):
    study = prepare.prepare_study(prepare.redact_segments(raw)[0])
    few = dataclasses.replace(study, scored=study.scored.groupby("role").head(3))
    table = prepare.summarise_scores(few, suppress_below=5)
    by_role = table[table["role"] != "all"]
    assert (by_role["n"] <= 3).all() and by_role[["mean", "sd"]].isna().all().all()
    everyone = table[table["role"] == "all"]
    assert (everyone["n"] >= 5).all() and everyone["mean"].notna().all()


def test_summarise_scores_without_a_survey(raw):
    study = prepare.prepare_study(dataclasses.replace(raw, scored=None, roster=None))
    table = prepare.summarise_scores(study)
    assert table.empty and list(table.columns) == ["scale", "role", "n", "mean", "sd"]
