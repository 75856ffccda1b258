"""The self-contained HTML report and the default captions."""

from __future__ import annotations

import base64
import html
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pandas as pd
import pytest
from matplotlib.figure import Figure

from conftest import ROOT
from partner_study import report as R
from partner_study import tables as T
from partner_study.codebook import read_codebook
from partner_study.errors import ParamsError, StudyDataError
from partner_study.figures.style import journal_style, new_figure
from partner_study.shape import study_shape
from partner_study.writer import figure_bytes

SHAPE = study_shape(read_codebook(ROOT / "data" / "raw" / "example" / "codebook.yaml"))

PROVENANCE = {
    "commit": "0123456789abcdef0123456789abcdef01234567",
    "state": {
        "code": "clean",
        "notebooks": "dirty",
        "params": "clean",
        "lock": "clean",
        "data": "not in git",
    },
    "params_sha256": "9f" * 32,
    "source_sha256": "5e" * 32,
    "files": {
        "notebooks/02-describe.ipynb": "b2" * 32,
        "notebooks/01-prepare.ipynb": "a1" * 32,
        "params/example.yaml": "c3" * 32,
        "requirements.lock": "d4" * 32,
    },
    "python": "3.11.9",
    "packages": 142,
    "manifest": "manifest.json",
}


def _figure(kind: str) -> Figure:
    with journal_style():
        fig, ax = new_figure("single", height_mm=40)
        ax.bar(["patients", "professionals"], [46.5, 50.9], color=["#0072B2", "#E69F00"])
        ax.plot([0, 1], [20, 40] if kind == "a" else [40, 20], color="black")
        ax.set_ylabel("Mentioning the theme (%)")
    return fig


@pytest.fixture(scope="module")
def inputs():
    reliability = pd.DataFrame(
        {
            "scale": ["trust", "information_sharing"],
            "n_items": [4, 4],
            "n": [473, 472],
            "alpha": [0.8512, 0.8181],
            "alpha_ci_low": [0.8291, 0.7897],
            "alpha_ci_high": [0.8712, 0.8435],
            "omega": [0.8519, 0.8184],
        }
    )
    codes = pd.DataFrame(
        {
            "theme": ["coproduction"] * 2,
            "code": ["(theme)", "power_sharing"],
            "role": ["all", "all"],
            "n_segments": [94, 54],
            "n_participants": [80, 53],
            "pct_participants": [47.9, 31.7],
        }
    )
    tables = {
        "reliability": T.format_table(reliability, "reliability"),
        "codes": T.format_table(codes, "codes"),
    }
    figures = {
        "themes-by-role": figure_bytes(_figure("a"), "svg"),
        "likert-trust": figure_bytes(_figure("b"), "png"),
        "joint-display": figure_bytes(_figure("b"), "svg"),
    }
    names = {"table": list(tables), "figure": list(figures)}
    captions = R.default_captions("example", names, n={"survey": {"patient": 380}})
    return {
        "study": "example",
        "tables": tables,
        "figures": figures,
        "captions": captions,
        "provenance": PROVENANCE,
    }


# --------------------------------------------------------------------------- captions


def test_default_captions_order_numbers_and_study_name():
    names = [
        "joint-display",
        "regression-forest",
        "likert-trust",
        "likert-communication",
        "characteristics",
        "likert",
        "engagement-vs-information_sharing",
        "extra-thing",
    ]
    captions = R.default_captions("PARTNER-2024", names)
    assert list(captions.columns) == ["kind", "name", "number", "caption"]
    tables = captions[captions["kind"] == "table"]
    figures = captions[captions["kind"] == "figure"]
    # joint-display is both a table and a figure; tables in report order.
    assert tables["name"].tolist() == ["characteristics", "likert", "joint-display"]
    assert figures["name"].tolist() == [
        "likert-trust",
        "likert-communication",
        "regression-forest",
        "engagement-vs-information_sharing",
        "joint-display",
        "extra-thing",
    ]
    assert tables["number"].tolist() == [1, 2, 3]
    assert figures["number"].tolist() == [1, 2, 3, 4, 5, 6]
    assert captions["caption"].str.contains("PARTNER-2024").all()
    text = dict(zip(figures["name"], figures["caption"], strict=True))
    assert text["likert-trust"].startswith("Responses to the Trust items")
    assert "Information sharing score" in text["engagement-vs-information_sharing"]
    assert "95% confidence intervals" in text["regression-forest"]
    assert text["extra-thing"] == "Extra thing, PARTNER-2024 study."


def test_default_captions_state_n_by_strand():
    n = {"participants": {"patient": 421, "professional": 179}, "coded": 167}
    captions = R.default_captions(
        "example", {"table": ["characteristics", "codes", "likert"]}, n=n, shape=SHAPE
    )
    text = dict(zip(captions["name"], captions["caption"], strict=True))
    assert "(n = 421 Patients and 179 Professionals)" in text["characteristics"]
    assert "(n = 167)" in text["codes"]
    assert "(n =" not in text["likert"]  # no survey n given


def test_default_captions_rejects_unknown_kinds():
    with pytest.raises(ParamsError, match="names keys must be 'figure' and/or 'table'"):
        R.default_captions("example", {"figures": ["likert-trust"]})


# --------------------------------------------------------------------------- report


class _Collector(HTMLParser):
    """Tags, attributes and a balance check of the non-void elements."""

    VOID = {
        "meta",
        "img",
        "br",
        "hr",
        "link",
        "input",
        "path",
        "use",
        "rect",
        "circle",
        "line",
        "polyline",
        "polygon",
        "ellipse",
        "stop",
    }

    def __init__(self) -> None:
        super().__init__()
        self.attrs: list[tuple[str, str, str]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.attrs += [(tag, k, v or "") for k, v in attrs]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.attrs += [(tag, k, v or "") for k, v in attrs]

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
            return
        self.stack.pop()


def _parse(text: str) -> _Collector:
    parser = _Collector()
    parser.feed(text)
    parser.close()
    return parser


def test_report_holds_every_caption_table_and_figure(inputs):
    page = R.build_report(**inputs)
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    for row in inputs["captions"].itertuples(index=False):
        label = "Table" if row.kind == "table" else "Figure"
        assert f"{label} {row.number}.</span> {html.escape(row.caption)}" in page
        assert f'id="{row.kind}-{row.name}"' in page
        assert f'href="#{row.kind}-{row.name}"' in page  # table of contents
    for display in inputs["tables"].values():
        for cell in [*display.columns, *display.to_numpy().ravel()]:
            if cell:
                assert f">{html.escape(cell)}</t" in page
        assert html.escape(display.attrs["note"]) in page
    # SVG inline (two figures), PNG as a data URI that decodes to the same bytes.
    assert page.count("<svg ") == 2 and "<?xml" not in page and "<!DOCTYPE svg" not in page
    match = re.search(r'src="data:image/png;base64,([^"]+)"', page)
    assert base64.b64decode(match.group(1)) == inputs["figures"]["likert-trust"]
    for value in (PROVENANCE["commit"], PROVENANCE["params_sha256"], "3.11.9"):
        assert value in page
    parser = _parse(page)
    assert parser.errors == [] and parser.stack == []


def test_report_footer_states_the_provenance_with_short_hashes(inputs):
    footer = R.build_report(**inputs).split('<footer id="provenance">')[1]
    assert f"<dt>Commit</dt><dd>{PROVENANCE['commit']}</dd>" in footer
    assert (
        "<dt>Differs from the commit</dt><dd>notebooks: uncommitted changes; raw data: not in "
        "git</dd>"
    ) in footer
    assert "<dt>Package source (SHA-256)</dt><dd>5e5e5e5e5e5e</dd>" in footer
    assert (
        "<dd>notebooks/01-prepare.ipynb a1a1a1a1a1a1, notebooks/02-describe.ipynb b2b2b2b2b2b2, "
        "params/example.yaml c3c3c3c3c3c3, requirements.lock d4d4d4d4d4d4</dd>"
    ) in footer
    assert "<dt>Packages</dt><dd>142 installed, each with its version in manifest.json</dd>" in (
        footer
    )
    assert "5e" * 7 not in footer  # hashes short; the manifest has them in full
    clean = dict(PROVENANCE, state=dict.fromkeys(PROVENANCE["state"], "clean"))
    page = R.build_report(**dict(inputs, provenance=clean))
    assert "<dd>nothing (all as committed)</dd>" in page
    unknown = dict(PROVENANCE, commit=None, state=dict.fromkeys(PROVENANCE["state"], "unknown"))
    page = R.build_report(**dict(inputs, provenance=unknown))
    assert "<dt>Commit</dt><dd>unknown</dd>" in page
    assert "<dd>unknown (not a git checkout)</dd>" in page


def test_report_is_self_contained(inputs):
    page = R.build_report(**inputs)
    attrs = _parse(page).attrs
    for tag, name, value in attrs:
        if name in ("src", "href", "xlink:href", "action", "srcset", "poster", "data"):
            assert not re.match(r"\s*(https?:)?//", value), (tag, name, value)
    assert not any(tag in ("script", "link", "iframe", "object", "embed") for tag, _, _ in attrs)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", page)
    ids = [v for _, name, v in attrs if name == "id"]
    assert len(ids) == len(set(ids))  # figure ids prefixed: two SVGs never clash
    for _, name, value in attrs:
        if name in ("href", "xlink:href") and value.startswith("#"):
            assert value[1:] in ids, value


def test_report_is_deterministic(inputs):
    first = R.build_report(**inputs)
    shuffled = dict(
        inputs,
        provenance=dict(PROVENANCE, files=dict(reversed(list(PROVENANCE["files"].items())))),
    )
    assert R.build_report(**shuffled) == first
    assert R.build_report(**inputs) == first
    assert not re.search(r"20\d\d-\d\d-\d\d", first)  # no date


def test_report_orders_by_caption_number_and_drafts_missing_captions(inputs):
    captions = inputs["captions"].copy()
    captions.loc[captions["name"] == "reliability", "number"] = 9
    captions = captions[captions["name"] != "codes"]
    extra = pd.DataFrame(
        {
            "kind": ["table"],
            "name": ["not-produced"],
            "number": [3],
            "caption": ["A table no run made."],
        }
    )
    page = R.build_report(**dict(inputs, captions=pd.concat([captions, extra])))
    assert "not-produced" not in page
    # codes had no caption: drafted and numbered after the given ones.
    assert page.index('id="table-reliability"') < page.index('id="table-codes"')
    assert '<span class="label">Table 10.</span> Themes and codes' in page


def test_report_errors(inputs):
    with pytest.raises(StudyDataError, match=r"no column\(s\) 'caption'"):
        R.build_report(**dict(inputs, captions=inputs["captions"].drop(columns="caption")))
    with pytest.raises(StudyDataError, match="expected an SVG or PNG image"):
        R.build_report(**dict(inputs, figures={"themes-by-role": b"%PDF-1.4"}))


def test_report_without_optional_provenance_or_objects():
    page = R.build_report(
        study="empty",
        tables={},
        figures={},
        captions=R.default_captions("empty", []),
        provenance={},
    )
    assert "<dt>Commit</dt><dd>unknown</dd>" in page
    assert "Tables</h2>" not in page and "Figures</h2>" not in page


def test_report_renders_in_headless_chromium(inputs, tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium not installed (apt-get install chromium)")
    from PIL import Image

    page = tmp_path / "report.html"
    page.write_text(R.build_report(**inputs), encoding="utf-8")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,3000",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    image = Image.open(shot).convert("L")
    assert image.size[0] >= 1000  # the window width (device scale may enlarge it)
    histogram = image.histogram()
    dark = sum(histogram[:128])  # text, rules and figure ink
    assert dark > 0.001 * image.size[0] * image.size[1]
    assert image.getextrema()[0] < 64 and image.getextrema()[1] > 240


def test_inline_svg_prefixes_ids_and_drops_external_references():
    from partner_study.report import _inline_svg

    svg = (
        '<?xml version="1.0"?>\n<svg xmlns:xlink="http://www.w3.org/1999/xlink">'
        "<metadata>made by</metadata> "
        '<defs><path id="g1" d="M0 0"/><clipPath id="c1"/></defs>'
        '<use xlink:href="#g1"/><g clip-path="url(#c1)" data-id="keep"><path _id="z"/></g>'
        '<a href="#elsewhere">t</a><image xlink:href="https://cdn.example/x.png"/></svg>'
    )
    out = _inline_svg(svg, prefix="fig1-", alt='A "figure"')
    assert out.startswith('<svg role="img" aria-label="A &quot;figure&quot;"')
    assert "<metadata>" not in out and "<?xml" not in out
    assert 'id="fig1-g1"' in out and 'id="fig1-c1"' in out
    assert 'xlink:href="#fig1-g1"' in out and "url(#fig1-c1)" in out
    assert 'href="#elsewhere"' in out  # not an id of this figure: left as it is
    assert 'data-id="fig1-keep"' in out and '_id="z"' in out  # "\bid": after "-", not "_"
    assert "cdn.example" not in out and "<image/>" in out


def test_not_applicable_says_why_in_one_sentence_each():
    from partner_study.codebook import parse_codebook
    from partner_study.shape import study_shape

    qual_only = study_shape(
        parse_codebook(
            "study: s\nid: pid\nrole: {column: role, levels: [facilitator]}\nsite: site\n"
            "codes:\n  a: {theme: t}\n"
        )
    )
    agreement = pd.DataFrame(
        {"code": ["(none)"], "note": ["a single coder: no agreement to compute"]}
    )
    sentences = R.not_applicable(qual_only, {"agreement": agreement})
    assert sentences == [
        "Survey results (Likert responses, reliability, regression): the codebook declares "
        "no survey scales.",
        "Joint display of themes with survey scores: the study has no survey strand.",
        "Comparison of roles in the joint display: the study has one role (facilitator).",
        "Inter-coder agreement: a single coder: no agreement to compute.",
    ]
    regression = pd.DataFrame(
        {"model": ["mixed", "mixed"], "term": ["(skipped)"] * 2, "note": ["1 site"] * 2}
    )
    assert R.not_applicable(SHAPE, {"regression": regression}, models=["ols", "mixed"]) == [
        "Mixed model: 1 site."
    ]
    html_text = R.build_report(
        study="s",
        tables={},
        figures={},
        captions=R.default_captions("s", []),
        provenance=PROVENANCE,
        not_applicable=sentences,
    )
    assert "Not applicable to this study" in html_text
    assert "declares no survey scales" in html_text


def test_captions_name_the_dependent_and_roles_of_the_study_not_the_example():
    """Before: captions spoke of "engagement" and "patients and professionals" whatever
    the study."""
    from partner_study.codebook import parse_codebook
    from partner_study.shape import study_shape

    cb = parse_codebook(
        "study: s\nid: pid\nsite: site\n"
        "role: {column: role, levels: {staff: {label: Staff member, plural: Staff}, "
        "resident: {label: Resident, plural: Residents}}}\n"
        "scales:\n  satisfaction: {label: Satisfaction with care, items: [s1], range: [1, 5]}\n"
        "  trust: {items: [t1], range: [1, 5]}\ncodes:\n  a: {theme: t}\n"
    )
    shape = study_shape(cb, {"dependent": "satisfaction"})
    names = {
        "table": ["regression-ols", "joint-display"],
        "figure": ["satisfaction-vs-trust", "themes-by-role", "site-effects"],
    }
    counts = {"joint-display": {"staff": 5, "resident": 7}}
    captions = R.default_captions("s", names, shape=shape, n=counts)
    text = " ".join(captions["caption"])
    assert "engagement" not in text.lower() and "patient" not in text.lower()
    assert "Satisfaction with care" in text and "(n = 5 Staff and 7 Residents)" in text
    by_name = dict(zip(captions["name"], captions["caption"], strict=True))
    assert by_name["satisfaction-vs-trust"].startswith("Satisfaction with care score against")
    assert "within each site" in by_name["site-effects"]


def test_the_joint_display_survey_scores_are_a_table_of_their_own():
    """Before: the joint display had 23 columns, 16 of them hidden in the HTML."""
    joint = pd.DataFrame(
        {
            "theme": ["t1", "t2"],
            "label": ["convergence", "divergence"],
            **{
                f"mean_s{i}_{w}": [3.0, 3.5]
                for i in range(6)
                for w in ("mentioned", "not_mentioned")
            },
        }
    )
    displays = R.paper_tables({"joint-display": joint})
    assert list(displays) == ["joint-display", "joint-display-scores"]
    assert displays["joint-display"].shape[1] <= 10
    scores = displays["joint-display-scores"]
    assert list(scores.columns) == [
        "Theme",
        "Scale",
        "Mean score, raised the theme",
        "Mean score, did not",
    ]
    assert len(scores) == 12 and scores["Scale"].tolist()[:2] == ["S0", "S1"]


def test_scales_by_role_captions_count_each_role_and_one_role_says_why():
    from partner_study.codebook import parse_codebook
    from partner_study.shape import study_shape

    two = study_shape(
        parse_codebook(
            "study: s\nid: pid\nsite: site\n"
            "role: {column: role, levels: {staff: {label: Staff member, plural: Staff}, "
            "resident: {label: Resident, plural: Residents}}}\n"
            "scales:\n  trust: {items: [t1, t2, t3], range: [1, 5]}\n"
        )
    )
    by_role = pd.DataFrame(
        {
            "scale": ["trust", "trust", "voice", "voice"],
            "role": ["staff", "resident", "staff", "resident"],
            "n": [40, 61, 42, float("nan")],  # a hidden count is not a row's n
            "n_complete": [38, 55, 40, float("nan")],
        }
    )
    items = pd.DataFrame(
        {"scale": ["trust"] * 2, "item": ["t1"] * 2, "role": ["staff", "resident"]}
    )
    counts = R.caption_counts({"scales-by-role": by_role, "items-by-role": items})
    assert counts["scales-by-role"] == counts["item-differences"] == {"staff": 42, "resident": 61}
    names = {"table": ["scales-by-role", "items-by-role"], "figure": ["item-differences"]}
    captions = R.default_captions("s", names, shape=two, n=counts)
    by_name = dict(zip(captions["name"], captions["caption"], strict=True))
    assert "(n = 42 Staff and 61 Residents)" in by_name["scales-by-role"]
    assert "from the staff with 95% confidence interval" in by_name["items-by-role"]
    assert "each role minus the staff" in by_name["item-differences"]
    assert not any(
        "Scales by role" in s for s in R.not_applicable(two, {"scales-by-role": by_role})
    )
    one = study_shape(
        parse_codebook(
            "study: s\nid: pid\nsite: site\nrole: {column: role, levels: {f: {label: "
            "Facilitateur·rice, plural: Facilitateur·rices}}}\n"
            "scales:\n  trust: {items: [t1, t2, t3], range: [1, 5]}\n"
        )
    )
    assert R.not_applicable(one, {})[:2] == [
        "Regression: the codebook declares one scale, so there is nothing to regress it on.",
        "Scales by role (scores, reliability and items compared between roles): the study "
        "has one role (Facilitateur·rices).",
    ]


def test_the_report_says_when_disclosure_control_is_off():
    sentences = R.not_applicable(SHAPE, {}, suppress_below=0)
    assert any(
        s.startswith("Disclosure control (small counts hidden): off") and "do not share" in s
        for s in sentences
    )
    assert not any(s.startswith("Disclosure control") for s in R.not_applicable(SHAPE, {}))
    assert not any(
        s.startswith("Disclosure control") for s in R.not_applicable(SHAPE, {}, suppress_below=5)
    )
