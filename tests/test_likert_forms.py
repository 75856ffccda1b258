"""Likert scales of any form: 2 to 11 points, one item, labels in French, long statements,
roles declared in any order and language, scales of different ranges, and a scale nobody
answered. Figures are drawn and every text is checked to lie on the canvas."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from partner_study import designs
from partner_study.codebook import parse_codebook
from partner_study.describe import table_likert
from partner_study.errors import ParamsError, StudyDataError
from partner_study.figures.likert import plot_likert, plot_likert_scales
from partner_study.shape import study_shape
from partner_study.tables import format_table
from partner_study.tables import likert as TL

ROLES = (
    "role: {column: role, levels: {staff: {label: Membre du personnel, plural: Personnel}, "
    "résident: {label: Résident·e, plural: Résident·es}}}"
)
# French response labels by number of points; 10 and 11 points label their ends (and the
# middle of 11) only, as 0-10 ratings do.
FRENCH = {
    2: {0: "Non", 1: "Oui"},
    4: {
        1: "Pas du tout d'accord",
        2: "Plutôt pas d'accord",
        3: "Plutôt d'accord",
        4: "Tout à fait d'accord",
    },
    5: {
        1: "Pas du tout d'accord",
        2: "Pas d'accord",
        3: "Ni en accord ni en désaccord",
        4: "D'accord",
        5: "Tout à fait d'accord",
    },
    7: {
        1: "Tout à fait en désaccord",
        2: "En désaccord",
        3: "Plutôt en désaccord",
        4: "Ni en accord ni en désaccord",
        5: "Plutôt d'accord",
        6: "D'accord",
        7: "Tout à fait d'accord",
    },
    10: {1: "Pas du tout d'accord avec l'énoncé", 10: "Tout à fait d'accord avec l'énoncé"},
    11: {
        0: "Pas du tout d'accord avec l'énoncé",
        5: "Ni en accord ni en désaccord",
        10: "Tout à fait d'accord avec l'énoncé",
    },
}
RANGES = {2: (0, 1), 4: (1, 4), 5: (1, 5), 7: (1, 7), 10: (1, 10), 11: (0, 10)}
STEM = "Au cours de la dernière année, dans le travail du service, l'équipe de soins"


def codebook(scales: dict[str, dict]):
    text = yaml.safe_dump({"scales": scales}, allow_unicode=True, sort_keys=False)
    return parse_codebook(f"study: t\nid: pid\n{ROLES}\nsite: site\n{text}")


def scale_spec(points: int, items=("q1", "q2", "q3"), **more) -> dict:
    low, high = RANGES[points]
    return {"items": list(items), "range": [low, high], "labels": FRENCH[points], **more}


def answers(cb, n: int = 90, seed: int = 7, roles=("staff", "résident")) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({"role": np.resize(np.array(roles, dtype=object), n)})
    for scale in cb.scales.values():
        for item in scale.items:
            data[item] = rng.integers(scale.low, scale.high + 1, n).astype(float)
    return data


def drawn(fig) -> tuple[list[tuple[str, object]], object]:
    """Draw ``fig`` as the writer does (a PNG) and return its visible texts with their
    extents on the canvas, and the canvas box."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "constrained_layout not applied"
        fig.savefig(io.BytesIO(), format="png", dpi=100)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
    renderer = canvas.get_renderer()
    texts = [
        (t.get_text(), t.get_window_extent(renderer))
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip()
    ]
    return texts, fig.bbox


def assert_on_canvas(fig) -> list[str]:
    texts, box = drawn(fig)
    off = [
        f"{text[:40]!r} at {extent.bounds}"
        for text, extent in texts
        if extent.x0 < box.x0 - 0.5
        or extent.y0 < box.y0 - 0.5
        or extent.x1 > box.x1 + 0.5
        or extent.y1 > box.y1 + 0.5
    ]
    assert not off, "texts outside the figure: " + "; ".join(off)
    return [text for text, _ in texts]


def legend_texts(fig) -> list[str]:
    return [t.get_text() for t in fig.legends[0].get_texts()]


def bars(ax) -> np.ndarray:
    """(items x responses) left edges and widths of the bars of a panel, top item first."""
    patches = [p for p in ax.patches]
    ys = sorted({round(p.get_y(), 6) for p in patches}, reverse=True)
    lefts = np.array([[p.get_x() for p in patches if round(p.get_y(), 6) == y] for y in ys])
    widths = np.array([[p.get_width() for p in patches if round(p.get_y(), 6) == y] for y in ys])
    return lefts, widths


# ------------------------------------------------------------------------------ figures
@pytest.mark.parametrize("points", [2, 4, 5, 7, 10, 11])
def test_every_point_count_draws_centred_bars_and_a_whole_legend(points):
    cb = codebook({"accord": scale_spec(points)})
    scale = cb.scales["accord"]
    table = table_likert(answers(cb), cb)
    fig = plot_likert(table, scale, shape=study_shape(cb))
    texts = assert_on_canvas(fig)
    shown = legend_texts(fig)
    assert len(shown) == points
    for value, label in FRENCH[points].items():  # every declared label, never cut
        assert any(label in " ".join(t.split()) for t in shown), (value, label, shown)
    # matplotlib fills legend columns first; entries are reordered to read row by row
    handles = fig.legends[0].legend_handles
    colours = [h.get_facecolor() for h in handles]
    assert len(set(colours)) == points
    for ax in fig.axes:
        lefts, widths = bars(ax)
        assert lefts.shape == (3, points)
        assert np.allclose(widths.sum(axis=1), 100)
        half = points // 2
        if points % 2:  # the neutral response straddles 0
            assert np.allclose(lefts[:, half] + widths[:, half] / 2, 0)
        else:  # centred between the two middle responses
            assert np.allclose(lefts[:, half], 0)
    assert "Personnel (n = 45)" in texts and "Résident·es (n = 45)" in texts


def test_long_response_labels_make_more_legend_rows_not_a_clipped_legend():
    """Measured failure: a 7-point legend in one row ran off both sides of the figure."""
    cb = codebook({"accord": scale_spec(7)})
    fig = plot_likert(table_likert(answers(cb), cb), cb.scales["accord"], shape=study_shape(cb))
    assert fig.legends[0]._ncols < 7
    assert_on_canvas(fig)


def test_a_one_item_yes_no_scale_draws_a_real_figure():
    """Measured failure: one 0/1 item gave a 20 mm figure whose layout collapsed."""
    cb = codebook({"oui_non": scale_spec(2, items=("q1",), label="Accord")})
    data = answers(cb, n=88)  # 44 a role, alternating
    data["q1"] = np.resize([0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], len(data))
    fig = plot_likert(table_likert(data, cb), cb.scales["oui_non"], shape=study_shape(cb))
    assert_on_canvas(fig)  # also: no "constrained_layout not applied" warning
    for ax in fig.axes:
        height_mm = ax.get_position().height * fig.get_size_inches()[1] * 25.4
        assert height_mm > 3.5
        lefts, widths = bars(ax)
        assert np.allclose(widths, [[25, 75]]) and np.allclose(lefts, [[-25, 0]])
    assert legend_texts(fig) == ["Non", "Oui"]


def test_long_item_labels_are_wrapped_never_cut():
    """Measured failure: labels were cut at 45 characters, so these two items read the same."""
    long_a = f"{STEM} m'écoute attentivement quand je parle de mes besoins"
    long_b = f"{STEM} me donne l'information dont j'ai besoin pour décider"
    assert long_a[:50] == long_b[:50]
    items = {"q1": long_a, "q2": long_b, "q3": "Court"}
    cb = codebook({"accord": scale_spec(5, item_labels=items, reverse=["q2"])})
    fig = plot_likert(table_likert(answers(cb), cb), cb.scales["accord"], shape=study_shape(cb))
    assert_on_canvas(fig)
    ticks = [" ".join(t.get_text().split()) for t in fig.axes[0].get_yticklabels()]
    assert ticks == [long_a, f"{long_b} (R)", "Court"]
    assert all(
        len(line) <= 45 for t in fig.axes[0].get_yticklabels() for line in t.get_text().split("\n")
    )
    # the figure grows with the lines of its labels
    short = codebook({"accord": scale_spec(5)})
    plain = plot_likert(table_likert(answers(short), short), short.scales["accord"])
    assert fig.get_size_inches()[1] > plain.get_size_inches()[1]


def test_panels_follow_the_declared_roles_and_their_plural_labels():
    """Measured failure: panels were sorted (résident before staff) and titled with the
    stored name plus an invented 's' ("Staffs")."""
    cb = codebook({"accord": scale_spec(5)})
    fig = plot_likert(table_likert(answers(cb), cb), cb.scales["accord"], shape=study_shape(cb))
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == ["Personnel (n = 45)", "Résident·es (n = 45)"]
    assert not any("All" in t or "Staffs" in t for t in assert_on_canvas(fig))


def test_a_group_without_answers_has_no_panel_and_a_scale_without_answers_no_figure():
    cb = codebook({"accord": scale_spec(5), "oui_non": scale_spec(2, items=("y1",))})
    data = answers(cb)
    data.loc[data["role"] == "staff", ["q1", "q2", "q3"]] = np.nan
    table = table_likert(data, cb)
    shape = study_shape(cb)
    fig = plot_likert(table, cb.scales["accord"], shape=shape)
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["Résident·es (n = 45)"]
    # a table read back with a scale nobody answered (table_likert itself refuses one)
    empty = table.assign(n=np.where(table["scale"] == "oui_non", 0, table["n"]))
    assert plot_likert(empty, cb.scales["oui_non"], shape=shape) is None
    assert list(plot_likert_scales(empty, cb, shape=shape)) == ["likert-accord"]


def test_without_a_role_split_the_margin_is_the_only_panel():
    cb = codebook({"accord": scale_spec(5)})
    table = table_likert(answers(cb), cb)
    fig = plot_likert(table[table["role"] == "all"], cb.scales["accord"], shape=study_shape(cb))
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["All (n = 90)"]


def test_panels_by_site_follow_the_declared_sites():
    cb = parse_codebook(
        f"study: t\nid: pid\n{ROLES}\n"
        "site: {column: site, levels: {zz: Zürich, aa: Hôpital d'Anvers}}\n"
        "scales: {accord: {items: [q1], range: [1, 5]}}\n"
    )
    data = answers(cb).assign(site=np.resize(["aa", "zz", "zz"], 90))
    table = table_likert(data, cb, by="site")
    assert list(dict.fromkeys(table["role"])) == ["zz", "aa", "all"]
    fig = plot_likert(table, cb.scales["accord"], shape=study_shape(cb), by="site")
    assert [ax.get_title(loc="left") for ax in fig.axes] == [
        "Zürich (n = 60)",
        "Hôpital d'Anvers (n = 30)",
    ]


def test_the_example_figures_keep_their_size():
    """Items of one line: the sizes the example's figures had (14 + 6 mm an item)."""
    for n in (4, 6):
        items = [f"i{k}" for k in range(n)]
        cb = codebook({"s": {"items": items, "range": [1, 5], "labels": FRENCH[5]}})
        fig = plot_likert(table_likert(answers(cb), cb), cb.scales["s"], shape=study_shape(cb))
        assert fig.get_size_inches()[1] * 25.4 == pytest.approx(14 + 6 * n)


def test_many_roles_go_on_several_rows_of_panels():
    roles = [f"r{k}" for k in range(5)]
    levels = ", ".join(f"{r}: {{label: Rôle {r}, plural: Rôles {r}}}" for r in roles)
    cb = parse_codebook(
        f"study: t\nid: pid\nrole: {{column: role, levels: {{{levels}}}}}\nsite: site\n"
        f"scales: {{accord: {{items: [q1, q2], range: [1, 7], labels: {FRENCH[7]}}}}}\n"
    )
    fig = plot_likert(
        table_likert(answers(cb, n=100, roles=roles), cb),
        cb.scales["accord"],
        shape=study_shape(cb),
    )
    assert [ax.get_title(loc="left") for ax in fig.axes] == [f"Rôles {r} (n = 20)" for r in roles]
    assert_on_canvas(fig)


# ------------------------------------------------------------------------------- tables
def test_likert_table_groups_follow_the_declared_roles():
    cb = codebook({"accord": scale_spec(5)})
    table = table_likert(answers(cb), cb)
    assert list(dict.fromkeys(table["role"])) == ["staff", "résident", "all"]


def test_a_scale_nobody_answered_is_a_clear_error():
    """Measured failure: every cell a missing code gave empty tables and 0% bars, silently."""
    cb = codebook(
        {"accord": scale_spec(5), "oui_non": scale_spec(2, items=("y1", "y2"), missing=[0])}
    )
    data = answers(cb)
    data[["y1", "y2"]] = np.nan  # what validation makes of cells holding the missing code 0
    with pytest.raises(StudyDataError) as info:
        table_likert(data, cb)
    (problem,) = info.value.problems
    text = str(problem)
    assert "scale 'oui_non'" in text and "y1, y2" in text and "['0']" in text
    assert "scales.oui_non.missing" in text and "remove it from the codebook" in text
    assert "accord" not in text


def test_validation_stops_undeclared_labels_and_a_scale_with_no_answer(tmp_path):
    """An undeclared label and a scale whose every cell is a declared missing code both
    stop at validation, before anything is written; table_likert keeps its own check for
    frames built another way."""
    from partner_study.validate import validate_study

    shape = designs.Shape(
        roles=(
            ("staff", "Membre du personnel", "Personnel"),
            ("résident", "Résident·e", "Résident·es"),
        ),
        strands="survey",
        engagement="none",
        language="fr",
        n_scales=1,
    )
    raw = tmp_path / "raw"
    designs.write_shape(shape, raw, study="forms")
    cb_text = (raw / "codebook.yaml").read_text(encoding="utf-8")
    survey = pd.read_csv(raw / "survey.csv", dtype=str, keep_default_na=False)
    scale_name, spec = next(iter(yaml.safe_load(cb_text)["scales"].items()))
    items = spec["items"]
    missing = str(spec["missing"][0])
    survey.loc[0, items[0]] = "Sans avis"  # not a declared label
    survey.to_csv(raw / "survey.csv", index=False)
    with pytest.raises(StudyDataError, match="Sans avis"):
        validate_study(raw)
    survey[items] = missing
    survey.to_csv(raw / "survey.csv", index=False)
    with pytest.raises(StudyDataError, match=f"no answer to any item of scale '{scale_name}'"):
        validate_study(raw)
    scored = pd.DataFrame({"participant_id": ["a"], **{i: [float("nan")] for i in items}})
    scored["role"] = "staff"
    with pytest.raises(StudyDataError, match=f"scale '{scale_name}'"):
        table_likert(scored, parse_codebook(cb_text))


def test_response_labels_head_the_columns_of_the_display():
    cb = codebook({"accord": scale_spec(5)})
    shape = study_shape(cb)
    table = table_likert(answers(cb), cb)
    display = format_table(table, "likert", shape=shape)
    assert list(display.columns) == ["Scale", "Item", "Group", *FRENCH[5].values()]
    assert display["Group"].tolist()[:3] == ["Personnel", "Résident·es", "All"]
    assert TL.likert_displays(table, shape=shape)["likert"].equals(display)


def test_partly_labelled_responses_are_codes_with_the_labels_in_the_note():
    cb = codebook({"note": scale_spec(11, items=("q1",))})
    display = format_table(table_likert(answers(cb), cb), "likert", shape=study_shape(cb))
    assert list(display.columns)[3:] == [str(v) for v in range(11)]
    note = display.attrs["note"]
    assert "0 = Pas du tout d'accord avec l'énoncé" in note and "5 = Ni en accord" in note


def test_scales_of_different_ranges_get_one_display_each():
    """Measured failure: 1-5 and 1-7 scales shared one table, columns 1..7 mixed."""
    cb = codebook(
        {
            "accord": scale_spec(5, items=("a1", "a2")),
            "confiance": scale_spec(7, items=("c1",)),
            "soutien": scale_spec(5, items=("s1",)),
        }
    )
    shape = study_shape(cb)
    table = table_likert(answers(cb), cb)
    out = TL.likert_displays(table, shape=shape)
    assert list(out) == ["likert-1-5", "likert-1-7"]
    five, seven = out["likert-1-5"], out["likert-1-7"]
    assert list(five.columns)[3:] == list(FRENCH[5].values())
    assert list(seven.columns)[3:] == list(FRENCH[7].values())
    assert [s for s in five["Scale"] if s] == ["Accord", "Soutien"]
    assert [s for s in seven["Scale"] if s] == ["Confiance"]
    with pytest.raises(ParamsError, match="likert_displays"):
        format_table(table, "likert", shape=shape)
    with pytest.raises(ParamsError, match="likert_displays"):
        format_table(table, "likert")  # the ranges differ whatever the labels


def test_same_range_with_other_labels_is_another_display():
    other = {1: "Jamais", 2: "Rarement", 3: "Parfois", 4: "Souvent", 5: "Toujours"}
    cb = codebook(
        {
            "accord": scale_spec(5, items=("a1",)),
            "frequence": {"items": ["f1"], "range": [1, 5], "labels": other},
        }
    )
    out = TL.likert_displays(table_likert(answers(cb), cb), shape=study_shape(cb))
    assert list(out) == ["likert-1-5-accord", "likert-1-5-frequence"]
    assert list(out["likert-1-5-frequence"].columns)[3:] == list(other.values())
    assert TL.likert_displays(table_likert(answers(cb), cb).iloc[:0]) == {}


# --------------------------------------------------------------------------- end to end
@pytest.mark.slow
def test_stage_02_draws_declared_roles_and_every_form(tmp_path):
    """Stages 01 and 02 on a French study with a 7-point scale and a one-item 0/1 scale."""
    from conftest import make_project
    from partner_study.pipeline import run_pipeline

    shape = designs.Shape(
        roles=(
            ("staff", "Membre du personnel", "Personnel"),
            ("résident", "Résident·e", "Résident·es"),
        ),
        strands="survey",
        language="fr",
        n_scales=1,
        points=7,
        labels_as_text=True,
    )
    raw = tmp_path / "raw"
    designs.write_shape(shape, raw, study="forms")
    cb = yaml.safe_load((raw / "codebook.yaml").read_text(encoding="utf-8"))
    cb["scales"]["oui_non"] = {
        "label": "Oui ou non",
        "items": ["yn_1"],
        "range": [0, 1],
        "labels": FRENCH[2],
    }
    (raw / "codebook.yaml").write_text(
        yaml.safe_dump(cb, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    survey = pd.read_csv(raw / "survey.csv", dtype=str, keep_default_na=False)
    survey["yn_1"] = np.resize(["Oui", "Non", "1"], len(survey))
    survey.to_csv(raw / "survey.csv", index=False)
    root = make_project(
        tmp_path / "p", raw=raw, study="forms", params_text=designs.params_text(shape, "forms")
    )
    result = run_pipeline(
        root / "params" / "forms.yaml", root=root, only=["01-prepare", "02-describe"]
    )
    assert all(s.status == "ran" for s in result.stages if s.name in ("01-prepare", "02-describe"))
    out = root / "reports" / "forms"
    likert = pd.read_csv(out / "tables" / "likert.csv", keep_default_na=False)
    assert list(dict.fromkeys(likert["role"])) == ["staff", "résident", "all"]
    for name in cb["scales"]:
        assert (out / "figures" / f"likert-{name}.svg").is_file()
