"""Disclosure control that survives arithmetic: the audit finds what the released tables
give away, and the suppression leaves nothing to find.

The first tests rebuild the Table 1 the previous suppression released for the example
(counts, percentages to 8 significant digits, the ``all`` column) and show that a reader
derives the hidden counts from it: 2 professionals of another gender, 5 professionals and
10 patients who did not answer, 10 patients of another gender. The rest show that the new
suppression leaves every hidden count at least ``threshold`` possible values, table by
table and for a study with two professionals at one site and a three-person site.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from partner_study import disclosure
from partner_study.codebook import parse_codebook
from partner_study.config import POOLED_SITES
from partner_study.describe import table_characteristics, table_likert
from partner_study.disclosure.audit import audit_release, passes
from partner_study.disclosure.release import Release
from partner_study.disclosure.structure import describe_characteristics
from partner_study.errors import StudyDataError
from partner_study.integrate import table_joint_display
from partner_study.io import read_output_tables
from partner_study.models import fit_by_site
from partner_study.qualitative import code_tables, table_codes
from partner_study.writer import write_table

T = 5  # the threshold of the example's parameters

CB = parse_codebook("""\
study: t
id: participant_id
role: {column: role, levels: [patient, professional]}
site: site
variables:
  gender: {type: category, levels: {1: woman, 2: man, 3: another gender}}
""")


# --------------------------------------------------------------------------- the old release


def old_table1(decimals: int | None = None) -> pd.DataFrame:
    """Gender in the example's Table 1 as the previous suppression released it (counts,
    percentages of those who answered, the ``all`` column, hidden cells empty)."""

    def pct(n: int, answered: int) -> float:
        value = 100 * n / answered
        return round(value, decimals) if decimals is not None else float(f"{value:.8g}")

    rows = [
        ("participants", "", "patient", 421, math.nan, 0),
        ("participants", "", "professional", 179, math.nan, 0),
        ("participants", "", "all", 600, math.nan, 0),
        ("gender", "woman", "patient", 237, pct(237, 411), math.nan),
        ("gender", "man", "patient", 164, pct(164, 411), math.nan),
        ("gender", "another gender", "patient", math.nan, math.nan, math.nan),
        ("gender", "woman", "professional", 91, pct(91, 174), math.nan),
        ("gender", "man", "professional", 81, pct(81, 174), math.nan),
        ("gender", "another gender", "professional", math.nan, math.nan, math.nan),
        ("gender", "woman", "all", 328, pct(328, 585), 15),
        ("gender", "man", "all", 245, pct(245, 585), 15),
        ("gender", "another gender", "all", 12, pct(12, 585), 15),
    ]
    frame = pd.DataFrame(rows, columns=["variable", "level", "role", "n", "percent", "missing"])
    for column in ("mean", "sd", "median", "q1", "q3"):
        frame[column] = math.nan
    frame["suppressed"] = frame["n"].isna()
    return frame


def audit_of(table: pd.DataFrame) -> pd.DataFrame:
    release = Release(threshold=T, released=True)
    describe_characteristics(release, table)
    return audit_release(release).set_index(["row", "column"])


@pytest.mark.parametrize("decimals", [None, 1], ids=["csv-8-digits", "display-1-decimal"])
def test_the_old_release_gives_the_hidden_counts_away(decimals):
    """91 (52.3) and 81 (46.6) professionals make 174 who answered: 179 - 174 = 5 did
    not, 174 - 172 = 2 are of another gender; the ``all`` column then gives the patients'
    10 and 10. The integer programme finds each of them, to one value."""
    audit = audit_of(old_table1(decimals))
    assert audit.loc[("gender: another gender", "professional"), ["lower", "upper"]].tolist() == [
        2,
        2,
    ]
    assert audit.loc[("gender: missing", "professional"), ["lower", "upper"]].tolist() == [5, 5]
    assert audit.loc[("gender: another gender", "patient"), ["lower", "upper"]].tolist() == [10, 10]
    assert audit.loc[("gender: missing", "patient"), ["lower", "upper"]].tolist() == [10, 10]
    # 2 is a small count pinned to one value: the audit fails it; 5 and 10 are not small
    assert not audit.loc[("gender: another gender", "professional"), "ok"]
    assert audit.loc[("gender: missing", "professional"), "ok"]
    with pytest.raises(StudyDataError, match=r"gender: another gender / professional"):
        disclosure.check_audit(audit.reset_index())


def test_a_sum_alone_does_not_give_a_pair_away():
    """Without the percentages the old pattern held: two hidden cells of a group add up
    to a known number, so each can be anything from 0 to it."""
    table = old_table1().assign(percent=math.nan)
    audit = audit_of(table)
    row = audit.loc[("gender: another gender", "professional")]
    assert (row["lower"], row["upper"]) == (0, 7)
    assert row["ok"]


def participants_like_the_example() -> pd.DataFrame:
    """421 patients (237 women, 164 men, 10 of another gender, 10 unanswered) and 179
    professionals (91, 81, 2, 5): the example's gender counts."""
    rows = []
    for role, counts in (
        ("patient", {"woman": 237, "man": 164, "another gender": 10, None: 10}),
        ("professional", {"woman": 91, "man": 81, "another gender": 2, None: 5}),
    ):
        i = 0
        for level, k in counts.items():
            for _ in range(k):
                rows.append(
                    {"participant_id": f"{role}{i}", "site": "s", "role": role, "gender": level}
                )
                i += 1
    return pd.DataFrame(rows)


def released(tables: dict[str, pd.DataFrame], folder: Path) -> dict[str, pd.DataFrame]:
    """``tables`` as a reader gets them: written by the writer and read back."""
    for name, frame in tables.items():
        write_table(frame, name, folder)
    return read_output_tables(folder, list(tables))


def test_the_new_suppression_leaves_the_threshold_of_values(tmp_path):
    table = table_characteristics(participants_like_the_example(), CB, suppress_below=T)
    # percentages are released at the precision Table 1 shows
    shown = table["percent"].dropna()
    assert np.allclose(shown, shown.round(1))
    audit = disclosure.audit_tables(released({"characteristics": table}, tmp_path), threshold=T)
    assert audit["ok"].all(), audit
    cell = audit.set_index(["row", "column"]).loc[("gender: another gender", "professional")]
    assert cell["released_as"] == "suppressed"
    assert cell["upper"] - cell["lower"] >= T - 1
    # nothing printed is a small count
    for column in ("n", "missing"):
        printed = table[column].dropna().astype(int)
        assert not ((printed > 0) & (printed < T)).any()


def test_the_criterion():
    assert passes(0, 4, 5) and passes(3, 7, 5) and passes(5, 5, 5) and passes(0, math.inf, 5)
    assert not passes(2, 2, 5) and not passes(1, 4, 5) and not passes(0, 3, 5)
    assert not passes(math.nan, math.nan, 5)


def test_suppression_is_deterministic():
    people = participants_like_the_example()
    a = table_characteristics(people, CB, suppress_below=T)
    b = table_characteristics(people.sample(frac=1, random_state=3), CB, suppress_below=T)
    pd.testing.assert_frame_equal(a, b)


def test_a_threshold_of_zero_or_one_changes_nothing():
    people = participants_like_the_example()
    for threshold in (0, 1):
        table = table_characteristics(people, CB, suppress_below=threshold)
        assert not table["suppressed"].any()
        assert disclosure.audit_tables({"characteristics": table}, threshold=threshold).empty


# --------------------------------------------------------------------------- Likert


def test_likert_small_counts_are_hidden_and_protected(tmp_path):
    cb = parse_codebook("""\
study: t
id: participant_id
role: {column: role, levels: [patient, professional]}
site: site
scales:
  trust: {items: [a, b], range: [1, 5], min_items: 1}
""")
    rng = np.random.default_rng(7)
    n = 120
    scored = pd.DataFrame(
        {
            "role": np.where(np.arange(n) < 80, "patient", "professional"),
            "a": rng.choice([1, 2, 3, 4, 5], n, p=[0.02, 0.2, 0.5, 0.26, 0.02]),
            "b": rng.choice([1, 2, 3, 4, 5], n, p=[0.3, 0.3, 0.2, 0.15, 0.05]),
        }
    )
    raw = table_likert(scored, cb)
    table = table_likert(scored, cb, suppress_below=T)
    assert ((raw["n"] > 0) & (raw["n"] < T)).any()
    printed = table["n"].dropna()
    assert not ((printed > 0) & (printed < T)).any()
    audit = disclosure.audit_tables(released({"likert": table}, tmp_path), threshold=T)
    assert len(audit) == int(table["n"].isna().sum()) and audit["ok"].all()


def test_the_likert_figure_draws_what_the_table_prints():
    """Hidden answers make one hatched segment at the end of the bar; the bar still adds
    up to 100% and the printed shares are drawn as printed."""
    from partner_study.figures.likert import SUPPRESSED_LABEL, plot_likert

    cb = parse_codebook("""\
study: t
id: participant_id
role: {column: role, levels: [patient]}
site: site
scales:
  trust: {items: [a], range: [1, 3], min_items: 1}
""")
    scored = pd.DataFrame({"role": ["patient"] * 40, "a": [1] * 2 + [2] * 20 + [3] * 18})
    table = table_likert(scored, cb, suppress_below=T)
    assert table["n"].isna().any()
    fig = plot_likert(table, cb.scales["trust"])
    bars = [p for p in fig.axes[0].patches if p.get_width() > 0]
    assert sum(p.get_width() for p in bars) == pytest.approx(100, abs=0.2)
    assert any(p.get_hatch() for p in bars)
    assert SUPPRESSED_LABEL in [t.get_text() for t in fig.legends[0].get_texts()]


# --------------------------------------------------------------------------- qualitative


def coded_study(sizes: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Participants at sites of the given sizes (half patients), each with segments coded
    with a few of six codes of two themes; one code rarely raised."""
    people, segments = [], []
    rng = np.random.default_rng(11)
    codes = {"a1": "a", "a2": "a", "a3": "a", "b1": "b", "b2": "b", "rare": "b"}
    k = 0
    for site, size in sizes.items():
        for i in range(size):
            pid = f"{site}-{i}"
            people.append(
                {"participant_id": pid, "site": site, "role": ["patient", "professional"][i % 2]}
            )
            for code, theme in codes.items():
                if rng.random() < (0.03 if code == "rare" else 0.5):
                    k += 1
                    segments.append(
                        {
                            "segment_id": f"S{k}",
                            "participant_id": pid,
                            "theme": theme,
                            "code": code,
                            "coder": "c",
                        }
                    )
    return pd.DataFrame(segments), pd.DataFrame(people)


def test_a_three_person_site_is_pooled_and_codes_are_protected(tmp_path):
    segments, people = coded_study({"big": 40, "mid": 30, "tiny": 3, "other": 25})
    codes, by_site = code_tables(segments, people, suppress_below=T)
    sites = set(by_site["site"])
    assert POOLED_SITES in sites and "tiny" not in sites
    raw_site = table_codes(segments, people, by="site")
    assert ((raw_site["n_participants"] > 0) & (raw_site["n_participants"] < T)).any()
    for frame in (codes, by_site):
        printed = frame["n_participants"].dropna()
        assert not ((printed > 0) & (printed < T)).any()
        hidden = frame["n_participants"].isna()
        assert frame.loc[hidden, ["n_segments", "pct_participants"]].isna().all().all()
    # the two tables print the same "all" rows
    both = ["theme", "code", "n_segments", "n_participants"]
    left = codes[codes["role"] == "all"][both].reset_index(drop=True)
    right = by_site[by_site["site"] == "all"][both].reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right)
    tables = released({"codes": codes, "codes-by-site": by_site}, tmp_path)
    audit = disclosure.audit_tables(tables, threshold=T)
    assert len(audit) and audit["ok"].all(), audit[~audit["ok"]]


def test_a_count_hidden_in_one_table_and_printed_in_another_is_found(tmp_path):
    segments, people = coded_study({"big": 40, "mid": 30, "tiny": 3, "other": 25})
    codes, by_site = code_tables(segments, people, suppress_below=T)
    hidden = codes[codes["n_participants"].isna()]
    assert len(hidden)
    # the table by site printed with its true "all" rows
    leaky = by_site.copy()
    true_site = table_codes(
        segments, people.assign(site=people["site"].replace({"tiny": POOLED_SITES})), by="site"
    )
    all_rows = leaky["site"] == "all"
    leaky.loc[all_rows, ["n_participants", "n_segments", "pct_participants"]] = true_site.loc[
        true_site["site"] == "all", ["n_participants", "n_segments", "pct_participants"]
    ].to_numpy()
    audit = disclosure.audit_tables(
        released({"codes": codes, "codes-by-site": leaky}, tmp_path), threshold=T
    )
    assert not audit["ok"].all()


def test_the_joint_display_compares_no_hidden_share(tmp_path):
    from partner_study.integrate import joint_display_roles

    segments, people = coded_study({"big": 40, "mid": 30, "other": 25})
    codes, _ = code_tables(segments, people, suppress_below=T)
    codes = codes.copy()
    # say the theme share of professionals for theme b is hidden
    hide = (
        (codes["theme"] == "b") & (codes["code"] == "(theme)") & (codes["role"] == "professional")
    )
    codes.loc[hide, ["n_participants", "n_segments", "pct_participants"]] = np.nan
    by_role = disclosure.hide_like_codes(
        joint_display_roles(segments, people, roles=["patient", "professional"]),
        codes,
        count="n_mentioning",
        percent="pct_mentioning",
    )
    joint = table_joint_display(by_role, roles=["patient", "professional"])
    row = joint.set_index("theme").loc["b"]
    assert math.isnan(row["pct_b"]) and math.isnan(row["difference_pp"])
    assert math.isnan(row["ci_low"]) and math.isnan(row["ci_high"])
    assert pd.isna(row["meta_inference"]) and row["label"] == "suppressed"
    # the hidden share's own interval is hidden with it
    hidden = by_role.set_index(["theme", "role"]).loc[("b", "professional")]
    assert hidden[["pct_mentioning", "ci_low", "ci_high"]].isna().all()
    # a difference or an interval printed beside the hidden share gives it away: the
    # audit says so
    leaky = joint.copy()
    leaky.loc[leaky["theme"] == "b", ["difference_pp", "ci_low"]] = [12.3, -4.0]
    leaky_roles = by_role.copy()
    leaky_roles.loc[(by_role["theme"] == "b") & (by_role["role"] == "professional"), "ci_low"] = 9
    audit = disclosure.audit_tables(
        released({"joint-display-roles": leaky_roles, "joint-display": leaky}, tmp_path),
        threshold=T,
    )
    for column in ("difference_pp", "ci_low"):
        found = audit[audit["released_as"].str.contains(column)]
        assert not found["ok"].any(), column
    assert len(audit[audit["released_as"].str.contains("difference_pp")]) == 1
    assert len(audit[audit["released_as"].str.contains("ci_low")]) == 2


def test_cooccurrence_small_pairs_are_hidden():
    table = pd.DataFrame(
        {
            "code_a": ["a", "a", "b"],
            "code_b": ["b", "c", "c"],
            "n_segments": [12, 3, 9],
            "n_participants": [10, 2, 4],
        }
    )
    out = disclosure.suppress_cooccurrence(table, threshold=T)
    assert out["n_participants"].isna().tolist() == [False, True, True]
    assert out["n_segments"].isna().tolist() == [False, True, True]


# --------------------------------------------------------------------------- by site


def test_regression_by_site_pools_a_three_person_site():
    rng = np.random.default_rng(5)
    sizes = {"s1": 60, "s2": 50, "s3": 3, "s4": 45}
    site = np.repeat(list(sizes), list(sizes.values()))
    n = len(site)
    x = rng.normal(size=n)
    scored = pd.DataFrame(
        {"site": site, "x": x, "z": rng.normal(size=n), "y": x + rng.normal(size=n)}
    )
    spec = {"dependent": "y", "outcomes": ["x", "z"], "covariates": [], "groups": "site"}
    plain = fit_by_site(scored, spec)
    assert set(plain.loc[plain["n"] < T, "site"]) == {"s3"}
    pooled = fit_by_site(scored, spec, pool_below=T)
    assert "s3" not in set(pooled["site"]) and POOLED_SITES in set(pooled["site"])
    assert (pooled["n"] >= T).all()
    # two sites of which one too small: nothing to compare, nothing shown
    few = fit_by_site(scored[scored["site"].isin(["s1", "s3"])], spec, pool_below=T)
    assert few.empty and "disclosure control" in few.attrs["note"]


def test_pooling():
    assert disclosure.pool_small_groups({"a": 9, "b": 7}, threshold=5) == {"a": "a", "b": "b"}
    pooled = disclosure.pool_small_groups({"a": 40, "b": 1, "c": 2, "d": 30}, threshold=5)
    assert pooled == {"a": "a", "b": POOLED_SITES, "c": POOLED_SITES, "d": POOLED_SITES}
    assert disclosure.pool_small_groups({"a": 2, "b": 2}, threshold=5) is None


# --------------------------------------------------------------------------- a small study


def small_study(dest: Path) -> Path:
    """A project with the example's data, but two professionals left at the Sussex site and
    three Belgian patients moved to a site of their own."""
    shutil.copytree(ROOT / "notebooks", dest / "notebooks")
    (dest / "params").mkdir(parents=True)
    raw = dest / "data" / "raw" / "small"
    shutil.copytree(ROOT / "data" / "raw" / "example", raw)
    params = (ROOT / "params" / "example.yaml").read_text(encoding="utf-8")
    (dest / "params" / "small.yaml").write_text(
        params.replace("study: example", "study: small").replace(
            "data/raw/example", "data/raw/small"
        ),
        encoding="utf-8",
    )
    (dest / "pyproject.toml").write_text("", encoding="utf-8")
    read = {
        n: pd.read_csv(raw / f"{n}.csv", dtype=str, keep_default_na=False)
        for n in ("participants", "survey", "segments", "roster")
    }
    p, coded = read["participants"], set(read["segments"]["participant_id"])
    staff = p[(p["site"] == "uk_sussex_msk") & (p["role"] == "professional")]
    keep = {
        staff.loc[staff["participant_id"].isin(coded), "participant_id"].iloc[0],
        staff.loc[~staff["participant_id"].isin(coded), "participant_id"].iloc[0],
    }
    drop = set(staff["participant_id"]) - keep
    be = p[(p["site"] == "be_hospital") & (p["role"] == "patient")]
    moved = [
        *be.loc[be["participant_id"].isin(coded), "participant_id"].iloc[:2],
        be.loc[~be["participant_id"].isin(coded), "participant_id"].iloc[0],
    ]
    mine = p["participant_id"].isin(moved)
    p.loc[mine, ["site", "group_id", "collection"]] = ["lu_clinic", "", "interview"]
    for name, frame in read.items():
        frame = p if name == "participants" else frame
        frame[~frame["participant_id"].isin(drop)].to_csv(raw / f"{name}.csv", index=False)
    codebook = (raw / "codebook.yaml").read_text(encoding="utf-8")
    (raw / "codebook.yaml").write_text(
        codebook.replace(
            "    uk_sussex_msk: Sussex MSK partnership\n",
            "    uk_sussex_msk: Sussex MSK partnership\n    lu_clinic: Luxembourg clinic\n",
        ),
        encoding="utf-8",
    )
    return dest


@pytest.mark.slow
def test_a_study_with_two_professionals_at_a_site_releases_no_small_count(tmp_path):
    """The whole pipeline on the small study: the audit written by the report stage passes,
    and every count from 1 to 4 of the true tables is hidden with a range of 5 values."""
    from partner_study.io import read_processed
    from partner_study.pipeline import run_pipeline

    root = small_study(tmp_path / "p")
    run_pipeline(root / "params" / "small.yaml", root=root)
    tables = root / "reports" / "small" / "tables"
    audit = pd.read_csv(tables / "disclosure-audit.csv")
    assert audit["ok"].all(), audit[~audit["ok"]]
    study = read_processed(root / "data" / "processed" / "small")
    truth = table_characteristics(study.participants, study.codebook, suppress_below=0)
    small = truth[(truth["n"] > 0) & (truth["n"] < T)]
    assert len(small) >= 4  # the 2 professionals and the 3 patients at their sites, ...
    ranges = audit[audit["table"] == "characteristics"].set_index(["row", "column"])
    for row in small.itertuples():
        label = f"{row.variable}: {row.level}" if row.level else f"{row.variable}: answered"
        cell = ranges.loc[(label, row.role)]
        assert cell["released_as"] == "suppressed"
        assert cell["lower"] <= row.n <= cell["upper"] and cell["upper"] - cell["lower"] >= T - 1
    by_site = pd.read_csv(tables / "codes-by-site.csv")
    assert POOLED_SITES in set(by_site["site"]) and "lu_clinic" not in set(by_site["site"])
    regression = pd.read_csv(tables / "regression-by-site.csv")
    assert (regression["n"] >= T).all() and "lu_clinic" not in set(regression["site"])
    report = (root / "reports" / "small" / "report.html").read_text(encoding="utf-8")
    assert "Codes by site: sites with fewer than 5 coded participants" in report
