"""Regression outputs for any study shape: one paper table per model kind, only the models the
params request, a one-site study (skipped mixed model, no site comparison), the codebook's
labels and reference levels, a dependent other than engagement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from partner_study.codebook import parse_codebook
from partner_study.figures.regression import (
    plot_engagement_vs,
    plot_engagement_vs_outcomes,
    plot_forest,
    plot_site_effects,
)
from partner_study.models import (
    SKIPPED,
    declared_levels,
    fit_by_site,
    fit_models,
    fit_ols,
    fit_sensitivity,
    odds_ratios,
    site_heterogeneity,
    table_diagnostics,
)
from partner_study.shape import study_shape
from partner_study.tables import format_table
from partner_study.tables.regression import REGRESSION_DISPLAY_KINDS, regression_displays

LEVELS = ["information", "consultation", "collaboration", "partnership"]
GENDERS = ["woman", "man", "another gender"]  # declared order: "another gender" sorts first

CODEBOOK = """
study: demo
id: pid
role:
  column: role
  levels:
    patient: {label: Patient, plural: Patients}
    professional: {label: Professional, plural: Professionals}
site:
  column: site
  label: Site
  levels: {s1: Belgian hospital, s2: Quebec establishment, s3: Norwegian municipality}
variables:
  age: {type: integer, label: Age (years)}
  gender: {type: category, levels: {1: woman, 2: man, 3: another gender}, label: Gender}
engagement_level:
  column: eng_level
  levels: {1: information, 2: consultation, 3: collaboration, 4: partnership}
  label: Level of engagement
scales:
  satisfaction: {label: Satisfaction with care, items: [sat_1, sat_2], range: [1, 5]}
  communication: {label: Common language, items: [com_1, com_2], range: [1, 5]}
  trust: {label: Trust in the team, items: [tru_1, tru_2], range: [1, 5]}
"""

FRENCH = """
study: etude
id: pid
role:
  column: role
  levels:
    patient: {label: Patient·e, plural: Patient·es}
    soignant: {label: Soignant·e, plural: Soignant·es}
site:
  column: site
  label: Établissement
  levels: {s1: Hôpital de Liège, s2: CHU de Québec, s3: Kommune Bergen}
variables:
  age: {type: integer, label: Âge (ans)}
  genre: {type: category, levels: {1: femme, 2: homme, 3: autre}, label: Genre}
scales:
  satisfaction: {label: Satisfaction à l'égard des soins, items: [sat_1, sat_2], range: [1, 5]}
  communication: {label: Langage commun, items: [com_1, com_2], range: [1, 5]}
  trust: {label: Confiance envers l'équipe soignante, items: [tru_1, tru_2], range: [1, 5]}
"""


def _study(
    *,
    seed: int = 11,
    n: int = 360,
    sites: tuple[str, ...] = ("s1", "s2", "s3"),
    dependent: str = "satisfaction",
    roles: tuple[str, str] = ("patient", "professional"),
    gender: str = "gender",
    genders: tuple[str, ...] = tuple(GENDERS),
) -> pd.DataFrame:
    """A scored survey with known effects: dependent = 1 + 0.4 communication + 0.2 trust +
    0.3 (second gender) - 0.4 (third gender) + site + noise; an ordered level cut from it."""
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "communication": rng.normal(3, 0.7, n),
            "trust": rng.normal(3, 0.7, n),
            "site": rng.choice(list(sites), n),
            "role": rng.choice(list(roles), n, p=[0.6, 0.4]),
            gender: rng.choice(list(genders), n, p=[0.5, 0.35, 0.15]),
            "age": rng.integers(20, 80, n).astype(float),
        }
    )
    shift = data[gender].map(dict(zip(genders, [0.0, 0.3, -0.4], strict=True)))
    site = data["site"].map({s: 0.2 * i for i, s in enumerate(sites)})
    y = 1 + 0.4 * data["communication"] + 0.2 * data["trust"] + shift + site
    data[dependent] = y + rng.normal(0, 0.5, n)
    cuts = np.quantile(data[dependent], [0.25, 0.5, 0.75])
    data["engagement_level"] = np.array(LEVELS)[np.searchsorted(cuts, data[dependent])]
    data.loc[rng.random(n) < 0.06, "trust"] = np.nan
    return data


def _spec(**changes) -> dict:
    spec = {
        "dependent": "satisfaction",
        "outcomes": ["communication", "trust"],
        "covariates": ["age", "gender", "role"],
        "groups": "site",
        "models": ["ols", "mixed", "joint", "ordinal"],
        "ordinal_dependent": "engagement_level",
        "ordinal_levels": LEVELS,
        "cov_type": "HC3",
    }
    spec.update(changes)
    return spec


@pytest.fixture(scope="module")
def codebook():
    return parse_codebook(CODEBOOK)


@pytest.fixture(scope="module")
def shape(codebook):
    return study_shape(codebook, {"dependent": "satisfaction", "ordinal_dependent": LEVELS})


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    return _study()


@pytest.fixture(scope="module")
def fits(study, codebook) -> pd.DataFrame:
    return fit_models(study, _spec(), levels=declared_levels(codebook))


def _cells(display: pd.DataFrame) -> str:
    return " ".join(display.astype(str).to_numpy().ravel()) + " " + " ".join(display.columns)


def _flat(text: str) -> str:
    return text.replace("\n", " ")


# --------------------------------------------------------------------------- displays


def test_one_narrow_display_per_model_kind_with_bh_adjusted_p(fits, shape):
    displays = regression_displays(fits, shape=shape)
    assert list(displays) == ["regression-ols", "regression-mixed", "regression-ordinal"]
    for name, display in displays.items():
        assert display.shape[1] <= 9, name
        assert list(display.columns)[-2:] == ["p", "p (BH)"], name
        assert "Benjamini-Hochberg" in display.attrs["note"]
    ols = displays["regression-ols"]
    assert list(ols.columns) == ["Outcome", "Term", "B [95% CI]", "p", "p (BH)"]
    rows = ols.assign(Outcome=ols["Outcome"].replace("", np.nan).ffill())
    # the outcome term of each model carries its BH-adjusted p, covariates none
    own = rows[rows["Outcome"] == rows["Term"]]
    assert own["Term"].tolist() == ["Common language", "Trust in the team"]
    assert (own["p (BH)"] != "").all()
    comm = fits[(fits["model"] == "ols") & (fits["term"] == "communication")].iloc[0]
    expected = "<0.001" if comm["p_adjusted"] < 0.001 else f"{comm['p_adjusted']:.2f}"
    assert own.iloc[0]["p (BH)"] == expected
    covariates = rows[rows["Term"].str.startswith(("Gender", "Role", "Age"))]
    assert (covariates["p (BH)"] == "").all() and (covariates["p"] != "").all()
    # the joint model is the last section of its kind's table, with its own BH family
    joint = rows[rows["Outcome"] == "All outcomes together"].set_index("Term")
    assert joint.loc["Common language", "p (BH)"] != ""
    assert joint.loc["Observations", "B [95% CI]"] == str(
        int(fits.loc[fits["model"] == "joint_ols", "n"].iloc[0])
    )
    mixed = displays["regression-mixed"]
    obs = mixed.loc[mixed["Term"] == "Observations", "B [95% CI]"]
    assert obs.str.fullmatch(r"\d+ \(3 groups\)").all()
    assert "Random-intercept variance (Site)" in set(mixed["Term"])


def test_codebook_labels_reference_categories_and_the_dependent_in_the_note(fits, shape):
    ols = regression_displays(fits, shape=shape)["regression-ols"]
    terms = set(ols["Term"])
    assert {"Gender: man", "Gender: another gender", "Role: Professional", "Age (years)"} <= terms
    assert "Gender: woman" not in terms and "Role: Patient" not in terms
    note = ols.attrs["note"]
    assert note.startswith("Dependent: Satisfaction with care.")
    assert "Reference categories: Gender: woman; Role: Patient." in note
    assert "ngagement" not in note + _cells(ols)  # nothing speaks of engagement
    assert "HC3" in note and "†" not in note + _cells(ols)


def test_ordinal_display_says_log_odds_or_odds_ratios(fits, shape):
    ordinal = regression_displays(fits, shape=shape)["regression-ordinal"]
    assert "log-odds [95% CI]" in ordinal.columns
    note = ordinal.attrs["note"]
    assert "log-odds" in note and "Dependent: Level of engagement, ordered " in note
    assert "information < consultation < collaboration < partnership" in note
    assert "Cut point: information | consultation" in set(ordinal["Term"])
    odds = regression_displays(odds_ratios(fits), shape=shape)["regression-ordinal"]
    assert "OR [95% CI]" in odds.columns and "odds ratio" in odds.attrs["note"]


def test_display_of_a_table_read_back_from_csv(fits, shape, tmp_path):
    path = tmp_path / "regression.csv"
    fits.to_csv(path, index=False)
    again = regression_displays(pd.read_csv(path), shape=shape)
    for name, display in regression_displays(fits, shape=shape).items():
        pd.testing.assert_frame_equal(again[name], display)


def test_every_display_kind_is_named():
    frame = pd.DataFrame(
        {"model": ["ols_mice", "ordinal_probit"], "term": ["x", "x"], "estimate": [0.1, 0.2]}
    )
    assert list(regression_displays(frame)) == ["regression-ordinal-probit", "regression-ols-mice"]
    assert set(REGRESSION_DISPLAY_KINDS) >= {"ols", "mixed", "ordinal", "ols_mice"}
    assert regression_displays(frame.iloc[:0]) == {}


# --------------------------------------------------------------------------- requested models


def test_only_requested_models_are_fitted_shown_and_drawn(study, shape):
    ols = fit_models(study, _spec(models=["ols"]))
    assert set(ols["model"]) == {"ols"}
    assert list(regression_displays(ols, shape=shape)) == ["regression-ols"]
    wide = format_table(ols, "regression", shape=shape)
    assert not [c for c in wide.columns if "Mixed" in c or "Ordinal" in c]
    legend = [t.get_text() for t in plot_forest(ols, shape=shape).legends[0].get_texts()]
    assert legend == ["OLS"]
    # "joint" adds the joint version of the requested kinds only: no joint mixed model
    joint = fit_models(study, _spec(models=["ols", "joint"]))
    assert list(dict.fromkeys(joint["model"])) == ["ols", "joint_ols"]
    mixed = fit_models(study, _spec(models=["mixed", "joint"]))
    assert list(dict.fromkeys(mixed["model"])) == ["mixed", "joint_mixed"]


# --------------------------------------------------------------------------- one site


def test_one_site_skips_the_mixed_model_with_its_reason_and_no_dagger(shape):
    one = _study(sites=("s1",))
    fits = fit_models(one, _spec(models=["ols", "mixed", "joint"]))
    skipped = fits[fits["model"].isin(["mixed", "joint_mixed"])]
    assert skipped["term"].eq(SKIPPED).all() and len(skipped) == 3
    displays = regression_displays(fits, shape=shape)
    mixed = displays["regression-mixed"]
    assert mixed.shape == (1, 5) and mixed.attrs["skipped"]
    assert mixed.iloc[0].tolist()[:3] == [
        "All outcomes",
        "Observations",
        "skipped: 1 site (a random intercept needs at least 2 groups)",
    ]
    for display in displays.values():
        assert "†" not in _cells(display) + display.attrs["note"]
    assert not displays["regression-ols"].attrs["skipped"]
    wide = format_table(fits, "regression", shape=shape)
    assert "†" not in _cells(wide) + wide.attrs["note"]
    assert "(skipped)" not in set(wide["Term"])
    assert set(wide.loc[wide["Term"] == "Observations", "Mixed: B [95% CI]"]) == {"skipped"}
    assert "1 site (a random intercept needs at least 2 groups)" in wide.attrs["note"]


def test_one_site_has_no_site_comparison(shape):
    one = _study(sites=("s1",))
    by_site = fit_by_site(one, _spec())
    heterogeneity = site_heterogeneity(by_site)
    assert heterogeneity.empty
    assert list(heterogeneity.columns)[:2] == ["term", "n_sites"]
    assert heterogeneity.attrs["note"] == (
        "Between-site heterogeneity is not estimated: the data hold 1 site, and a "
        "comparison needs at least 2."
    )
    assert len(format_table(heterogeneity, "site-heterogeneity", shape=shape)) == 0
    assert plot_site_effects(by_site, heterogeneity, shape=shape) is None


def test_ordinal_model_with_one_observed_level_is_skipped_with_its_reason(study):
    flat = study.assign(engagement_level="consultation")
    fits = fit_models(flat, _spec(models=["ols", "ordinal"]))
    ordinal = fits[fits["model"] == "ordinal"]
    assert ordinal["term"].eq(SKIPPED).all()
    assert ordinal["note"].str.startswith("ordinal model skipped: 1 observed level").all()
    display = regression_displays(fits)["regression-ordinal"]
    assert display.iloc[0]["log-odds [95% CI]"].startswith("skipped: 1 observed level")


# --------------------------------------------------------------------------- reference levels


def test_declared_levels_put_the_reference_first():
    cb = parse_codebook(
        CODEBOOK.replace("label: Gender}", "label: Gender, reference: man}")  # a declared reference
    )
    levels = declared_levels(cb)
    assert levels["gender"] == ("man", "woman", "another gender")
    assert levels["role"] == ("patient", "professional")
    assert levels["site"] == ("s1", "s2", "s3")
    assert declared_levels(parse_codebook(CODEBOOK))["gender"] == tuple(GENDERS)


def test_reference_level_is_the_first_declared_level_in_every_model(study, codebook, fits):
    assert sorted(GENDERS)[0] != GENDERS[0]  # the declared reference is not alphabetical
    coded = fits[fits["term"].str.startswith("gender[")]
    assert set(coded["term"]) == {"gender[T.man]", "gender[T.another gender]"}
    assert set(coded["model"]) == {
        "ols",
        "mixed",
        "ordinal",
        "joint_ols",
        "joint_mixed",
        "joint_ordinal",
    }
    # the intercept is the declared reference group's (woman, patient): explicit dummies agree
    dummies = study.assign(
        is_man=(study["gender"] == "man").astype(float),
        is_another=(study["gender"] == "another gender").astype(float),
        is_professional=(study["role"] == "professional").astype(float),
    )
    by_hand = fit_ols(
        dummies, "satisfaction ~ communication + age + is_man + is_another + is_professional"
    ).set_index("term")["estimate"]
    ols = fits[(fits["model"] == "ols") & (fits["outcome"] == "communication")]
    ols = ols.set_index("term")["estimate"]
    assert_allclose(ols["Intercept"], by_hand["Intercept"], rtol=1e-10)
    assert_allclose(ols["gender[T.man]"], by_hand["is_man"], rtol=1e-10)
    assert_allclose(ols["gender[T.another gender]"], by_hand["is_another"], rtol=1e-10)
    assert_allclose(ols["role[T.professional]"], by_hand["is_professional"], rtol=1e-10)
    # the known truth: man +0.3, another gender -0.4 against woman
    assert (
        abs(ols["gender[T.man]"] - 0.3) < 0.2 and abs(ols["gender[T.another gender]"] + 0.4) < 0.3
    )


def test_reference_levels_change_no_outcome_estimate(study, codebook, fits):
    alphabetical = fit_models(study, _spec())
    assert "gender[T.woman]" in set(alphabetical["term"])
    key = ["model", "outcome", "term"]
    both = alphabetical.merge(fits, on=key, suffixes=("_a", "_d"))
    own = both[both["term"].isin(["communication", "trust"])]
    assert len(own) == 2 * 6  # two outcome terms in each of the six kinds' models
    for col in ("estimate", "std_error", "p_value", "p_adjusted"):
        assert_allclose(own[f"{col}_a"], own[f"{col}_d"], rtol=1e-9, atol=1e-12)


def test_reference_levels_in_sensitivity_by_site_and_diagnostics(study, codebook):
    levels = declared_levels(codebook)
    spec = _spec()
    plain = fit_sensitivity(study, spec, n_imputations=3)
    declared = fit_sensitivity(study, spec, n_imputations=3, levels=levels)
    assert "gender[T.another gender]" in set(declared["term"])
    assert "gender[T.woman]" not in set(declared["term"])
    key = ["model", "outcome", "term"]
    both = plain.merge(declared, on=key, suffixes=("_a", "_d"))
    own = both[both["term"] == both["outcome"]]
    assert set(own["model"]) == {"ols", "ols_mice"}  # the imputations are the same
    assert_allclose(own["estimate_a"], own["estimate_d"], rtol=1e-9)
    vif = table_diagnostics(study, spec, levels=levels)
    assert {"gender[T.man]", "gender[T.another gender]"} <= set(vif["term"])
    by_site = fit_by_site(study, spec, levels=levels, min_n=20)
    assert_allclose(by_site["estimate"], fit_by_site(study, spec, min_n=20)["estimate"], rtol=1e-9)


def test_a_declared_level_nobody_has_is_left_out(study):
    levels = {"gender": ("woman", "nonbinary", "man", "another gender")}
    fits = fit_models(study, _spec(models=["ols"]), levels=levels)
    assert "gender[T.nonbinary]" not in set(fits["term"])
    assert "gender[T.man]" in set(fits["term"])


# --------------------------------------------------------------------------- labels


def test_a_dependent_other_than_engagement_labels_displays_and_figures(study, fits, shape):
    forest = plot_forest(fits, shape=shape)
    titles = [ax.get_title(loc="left") for ax in forest.axes]
    assert titles == ["Satisfaction with care", "Level of engagement"]
    ticks = [t.get_text() for t in forest.axes[0].get_yticklabels()]
    assert ticks == ["Common language", "Trust in the team"]
    scatter = plot_engagement_vs_outcomes(study, _spec(), shape=shape)
    assert list(scatter) == ["satisfaction-vs-communication", "satisfaction-vs-trust"]
    (ax,) = scatter["satisfaction-vs-trust"].axes
    assert _flat(ax.get_ylabel()) == "Satisfaction with care (scale score)"
    assert _flat(ax.get_xlabel()) == "Trust in the team (scale score)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert [t.split(" (n = ")[0] for t in legend] == ["Patient", "Professional"]
    by_site = fit_by_site(study, _spec(), min_n=20)
    het = site_heterogeneity(by_site)
    fig = plot_site_effects(by_site, het, shape=shape)
    (ax,) = fig.axes
    assert _flat(ax.get_xlabel()).startswith("Satisfaction with care: coefficient within each site")
    names = [t.get_text() for t in fig.legends[0].get_texts()]
    assert names[:3] == ["Belgian hospital", "Quebec establishment", "Norwegian municipality"]
    assert names[-1] == "Pooled (inverse variance)"


def test_french_labels_verbatim_and_long_labels_wrapped_not_cut():
    long = "Confiance envers l'équipe soignante et les autres professionnels de la santé"
    cb = parse_codebook(FRENCH.replace("Confiance envers l'équipe soignante", long))
    shape = study_shape(cb, {"dependent": "satisfaction"})
    data = _study(
        roles=("patient", "soignant"), gender="genre", genders=("femme", "homme", "autre")
    )
    spec = _spec(covariates=["age", "genre", "role"], models=["ols", "mixed", "joint"])
    fits = fit_models(data, spec, levels=declared_levels(cb))
    display = regression_displays(fits, shape=shape)["regression-ols"]
    terms = set(display["Term"])
    assert {"Genre: homme", "Genre: autre", "Role: Soignant·e", "Âge (ans)", long} <= terms
    assert "Langage commun" in set(display["Outcome"])
    note = display.attrs["note"]
    assert note.startswith("Dependent: Satisfaction à l'égard des soins.")
    assert "Reference categories: Genre: femme; Role: Patient·e." in note
    mixed = regression_displays(fits, shape=shape)["regression-mixed"]
    assert "Random-intercept variance (Établissement)" in set(mixed["Term"])
    forest = plot_forest(fits, shape=shape)
    ticks = [t.get_text() for t in forest.axes[0].get_yticklabels()]
    assert "\n" in ticks[1] and _flat(ticks[1]) == long  # wrapped, every word kept
    legend = [t.get_text() for t in forest.legends[0].get_texts()]
    assert "Mixed model (random intercept per établissement)" in legend
    fig = plot_engagement_vs(data, outcome="trust", dependent="satisfaction", shape=shape)
    assert _flat(fig.axes[0].get_xlabel()) == f"{long} (scale score)"
    by_site = fit_by_site(data, spec, min_n=20)
    sites = plot_site_effects(by_site, site_heterogeneity(by_site), shape=shape)
    names = [t.get_text() for t in sites.legends[0].get_texts()]
    assert names[:3] == ["Hôpital de Liège", "CHU de Québec", "Kommune Bergen"]
    assert "établissement" in sites.axes[0].get_xlabel()


# --------------------------------------------------------------------------- end to end


@pytest.mark.slow
@pytest.mark.xdist_group("designs")
def test_one_site_study_end_to_end(tmp_path):
    """A one-site study with models [ols, mixed, joint]: no ordinal rows, the mixed model
    skipped with its reason, no site comparison (the notebook says why), declared
    reference levels in regression.csv."""
    from conftest import make_project
    from partner_study.pipeline import run_pipeline
    from partner_study.shape import read_shape

    root = make_project(tmp_path)
    raw = root / "data" / "raw" / "example"
    part = pd.read_csv(raw / "participants.csv", dtype=str, keep_default_na=False)
    keep = set(part.loc[part["site"] == "be_hospital", "participant_id"])
    for name in ("participants", "survey", "segments", "roster"):
        frame = pd.read_csv(raw / f"{name}.csv", dtype=str, keep_default_na=False)
        frame[frame["participant_id"].isin(keep)].to_csv(
            raw / f"{name}.csv", index=False, lineterminator="\n"
        )
    params = root / "params" / "example.yaml"
    params.write_text(
        params.read_text().replace(
            "models: [ols, mixed, joint, ordinal]", "models: [ols, mixed, joint]"
        )
    )
    run_pipeline(params, root=root, only=["01-prepare", "04-regression"])
    rep = root / "reports" / "example"
    reg = pd.read_csv(rep / "tables" / "regression.csv")
    assert set(reg["model"]) == {"ols", "mixed", "joint_ols", "joint_mixed"}
    assert "gender[T.another gender]" in set(reg["term"])
    assert "gender[T.woman]" not in set(reg["term"])
    assert pd.read_csv(rep / "tables" / "site-heterogeneity.csv").empty
    assert not list((rep / "figures").glob("site-effects.*"))
    notebook = (rep / "notebooks" / "04-regression.ipynb").read_text(encoding="utf-8")
    assert "Between-site heterogeneity is not estimated: the data hold 1 site" in notebook
    assert "No site-effects figure" in notebook
    shape = read_shape(root / "data" / "processed" / "example", {"dependent": "engagement"})
    displays = regression_displays(reg, shape=shape)
    assert list(displays) == ["regression-ols", "regression-mixed"]
    assert displays["regression-mixed"].iloc[0, 2].startswith("skipped: 1 site")
    assert all("†" not in _cells(d) for d in displays.values())
    assert (
        "Reference categories: Gender: woman; Role: Patient."
        in (displays["regression-ols"].attrs["note"])
    )


# ------------------------------------------------------------------ few groups, convergence


def test_three_sites_warn_in_the_mixed_table_note_and_the_report(fits, shape):
    from partner_study.report import CAPTION_COLUMNS, build_report, paper_tables

    mixed = fits[fits["model"] == "mixed"]
    assert mixed["note"].str.contains("few groups: the random intercept for site rests on 3").all()
    warning = (
        "Warning: the random intercept rests on 3 groups (Site), fewer than 5: its variance "
        "is imprecise (often estimated as 0) and intervals of what varies between groups are "
        "too narrow; with so few, take site as a fixed effect instead (covariates: [site])."
    )
    displays = regression_displays(fits, shape=shape)
    assert warning in displays["regression-mixed"].attrs["note"]
    assert "Warning" not in displays["regression-ols"].attrs["note"]
    page = build_report(
        study="demo",
        tables=paper_tables({"regression": fits}, shape=shape),
        figures={},
        captions=pd.DataFrame(columns=list(CAPTION_COLUMNS)),
        provenance={},
    )
    assert warning in page


def test_cr2_standard_errors_are_named_in_the_note(study, shape):
    fits = fit_models(study, _spec(models=["ols"], cov_type="cluster"))
    assert fits["cov_type"].eq("CR2(site)").all()
    note = regression_displays(fits, shape=shape)["regression-ols"].attrs["note"]
    assert (
        "cluster-robust standard errors by site (CR2, Bell-McCaffrey) with a t reference on "
        "Imbens-Kolesár degrees of freedom"
    ) in note


def test_a_fit_that_did_not_converge_is_marked_in_the_forest_plot(fits, shape):
    def legend(frame: pd.DataFrame) -> list[str]:
        figure = plot_forest(frame, shape=shape)
        return [t.get_text() for t in figure.legends[0].get_texts()]

    mark = "Open symbol: the model did not converge (estimate unreliable)"
    assert mark not in legend(fits)
    failed = fits.assign(
        converged=(fits["model"] != "mixed") | (fits["outcome"] != "trust")
    ).astype({"converged": str})  # as read back from regression.csv
    assert mark in legend(failed)
