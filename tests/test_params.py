import pytest

from partner_study import params
from partner_study.errors import ParamsError
from partner_study.params import load_params, params_hash


def write(tmp_path, text):
    (tmp_path / "params").mkdir(exist_ok=True)
    path = tmp_path / "params" / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path, root):
    import shutil

    shutil.copytree(root / "data" / "raw" / "example", tmp_path / "data" / "raw" / "t")
    return tmp_path


BASE = """\
study: t
data: data/raw/t
regression:
  dependent: engagement
  outcomes: [communication, trust]
  covariates: [age, role]
  models: [ols, mixed]
"""


def test_defaults_filled(project):
    p = load_params(write(project, BASE), root=project)
    assert p.study == "t"
    assert p["describe"]["suppress_below"] == 5
    assert p.regression["groups"] == "site"
    assert len(params_hash(p)) == 64


def test_example_params_load(root):
    p = load_params(root / "params" / "example.yaml", root=root)
    assert p.regression["outcomes"][0] == "communication"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "outcomes: [communication, trust]",
            "outcomes: [communication, happiness]",
            r"key 'regression\.outcomes': found unknown scale 'happiness', expected some of "
            r"\['communication'",
        ),
        (
            "covariates: [age, role]",
            "covariates: [age, income]",
            r"key 'regression\.covariates': found unknown covariate 'income', expected some of "
            r"\['role', 'site', 'age'",
        ),
        (
            "models: [ols, mixed]",
            "models: [ols, bayes]",
            r"key 'regression\.models': found unknown model kind 'bayes', expected some of "
            r"\['ols', 'mixed', 'joint', 'ordinal'\]",
        ),
        (
            "dependent: engagement",
            "dependent: happiness",
            r"key 'regression\.dependent': found 'happiness', "
            r"expected one of the codebook's scales",
        ),
        ("study: t", "study: t\nplots: 1", r"key 'plots': found an unknown key"),
        (
            "  models: [ols, mixed]",
            "  models: [ols, mixed]\n  robust: yes",
            r"key 'regression\.robust': found an unknown key",
        ),
        (
            "data: data/raw/t",
            "data: data/raw/none",
            r"key 'data': found 'data/raw/none' without "
            r"a codebook\.yaml",
        ),
    ],
)
def test_bad_params_name_key_and_allowed_values(project, old, new, message):
    with pytest.raises(ParamsError, match=message):
        load_params(write(project, BASE.replace(old, new)), root=project)


def test_yaml_error_names_line(project):
    with pytest.raises(ParamsError, match=r"t\.yaml: line \d+: found a YAML syntax error"):
        load_params(write(project, BASE.replace("[age, role]", "[age, role")), root=project)


def test_missing_file(tmp_path):
    with pytest.raises(ParamsError, match="no such parameters file"):
        load_params(tmp_path / "params" / "nope.yaml", root=tmp_path)


def test_cli_bad_params_fails_before_any_notebook(project, tmp_path):
    import subprocess
    import sys

    path = write(project, BASE.replace("models: [ols, mixed]", "models: [ols, bayes]"))
    proc = subprocess.run(
        [sys.executable, "-m", "partner_study.cli", "run", str(path)],
        capture_output=True,
        text=True,
        cwd=project,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "unknown model kind 'bayes'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (project / "reports").exists() and not (project / "data" / "processed").exists()


@pytest.mark.parametrize(
    ("extra", "key", "found"),
    [
        ("describe: {suppress_below: five}", "describe.suppress_below", "'five'"),
        ("describe: {suppress_below: -1}", "describe.suppress_below", "-1"),
        ("describe: 5", "describe", "5"),
        ("seed: abc", "seed", "'abc'"),
        ("seed: 1.5", "seed", "1.5"),
        ("figures: {formats: pdf}", "figures.formats", "'pdf'"),
        ("figures: {formats: []}", "figures.formats", "[]"),
        ("figures: {formats: [pdf, pdf]}", "figures.formats", '["pdf", "pdf"]'),
        ("qualitative: {divergence_threshold: '20'}", "qualitative.divergence_threshold", "'20'"),
        ("qualitative: {quotes_per_theme: 0}", "qualitative.quotes_per_theme", "0"),
        ("qualitative: {quote_max_chars: long}", "qualitative.quote_max_chars", "'long'"),
        ("qualitative: {quote_max_chars: true}", "qualitative.quote_max_chars", "True"),
        (
            "regression: {sensitivity: {imputations: -3}}",
            "regression.sensitivity.imputations",
            "-3",
        ),
        ("regression: {standardize: maybe}", "regression.standardize", "'maybe'"),
        ("regression: {cov_type: HC9}", "regression.cov_type", "'HC9'"),
        ("regression: {ordinal_site: random}", "regression.ordinal_site", "'random'"),
        ("regression: {covariates: age}", "regression.covariates", "'age'"),
        ("regression: {sensitivity: 20}", "regression.sensitivity", "20"),
    ],
)
def test_every_parameter_is_typed_and_ranged(project, extra, key, found):
    text = "study: t\ndata: data/raw/t\n" + extra + "\n"
    with pytest.raises(ParamsError) as info:
        load_params(write(project, text), root=project)
    message = str(info.value)
    assert f"key '{key}': found {found}, expected " in message, message
    assert "t.yaml" in message and "Fix:" in message


def test_unknown_keys_at_any_depth(project):
    text = "study: t\nqualitative: {quotes: 2}\nregression: {sensitivity: {m: 5}}\nplots: 1\n"
    with pytest.raises(ParamsError) as info:
        load_params(write(project, text), root=project)
    message = str(info.value)
    for key in ("qualitative.quotes", "regression.sensitivity.m", "plots"):
        assert f"key '{key}': found an unknown key" in message


def test_latin1_params_file_is_a_clear_error(project):
    path = write(project, "")
    path.write_bytes("study: t\ntitle: Liège\n".encode("latin-1"))
    with pytest.raises(ParamsError, match=r"not UTF-8 .*iconv -f latin1"):
        load_params(path, root=project)


def test_alias_bomb_in_params_is_refused(project):
    bomb = "seed: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"k{i}: &b{i} [" + ", ".join([f"*{'a' if i == 0 else f'b{i - 1}'}"] * 9) + "]\n"
        for i in range(8)
    )
    with pytest.raises(ParamsError, match="expands to more than"):
        load_params(write(project, "study: t\n" + bomb), root=project)


def test_deeply_nested_title_is_refused(project):
    text = "study: t\ntitle: " + "[" * 20000 + "]" * 20000 + "\n"
    with pytest.raises(ParamsError, match="nested more than"):
        load_params(write(project, text), root=project)


@pytest.mark.parametrize(
    "extra",
    [
        "describe: {suppress_below: five}",
        "qualitative: {quotes_per_theme: 0}",
        "regression: {sensitivity: {imputations: -3}}",
        "figures: {formats: pdf}",
        "describe: 5",
    ],
)
def test_cli_bad_values_fail_before_anything_is_written(project, extra):
    import subprocess
    import sys

    path = write(project, f"study: t\ndata: data/raw/t\n{extra}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "partner_study.cli", "run", str(path)],
        capture_output=True,
        text=True,
        cwd=project,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "t.yaml: key '" in proc.stderr
    assert not (project / "reports").exists() and not (project / "data" / "processed").exists()
    assert not (project / ".staging").exists()


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_not_a_number_is_refused(project, value):
    text = f"study: t\nqualitative: {{divergence_threshold: {value}}}\n"
    with pytest.raises(ParamsError, match="divergence_threshold': found .*expected a finite"):
        load_params(write(project, text), root=project)


@pytest.mark.parametrize(
    "extra",
    [
        "describe: {by: shoe_size}",
        "regression: {dependent: happiness}",
        "regression: {outcomes: [happiness]}",
        "regression: {covariates: [income]}",
        "regression: {groups: ward}",
    ],
)
def test_every_codebook_name_problem_has_a_fix(project, extra):
    with pytest.raises(ParamsError) as info:
        load_params(write(project, f"study: t\ndata: data/raw/t\n{extra}\n"), root=project)
    for line in str(info.value).splitlines()[1:]:
        assert "Fix: " in line, line


def test_ordinal_levels_is_a_parameter_with_the_codebook_order_as_default(project):
    text = BASE + "  ordinal_dependent: gender\n"
    p = load_params(write(project, text.replace("models: [ols, mixed]", "models: [ordinal]")))
    assert p.regression["ordinal_levels"] == ["woman", "man", "another gender"]
    chosen = text + "  ordinal_levels: [man, woman, another gender]\n"
    p = load_params(write(project, chosen.replace("models: [ols, mixed]", "models: [ordinal]")))
    assert p.regression["ordinal_levels"] == ["man", "woman", "another gender"]


def test_an_ordinal_level_the_codebook_does_not_declare_is_named(project):
    text = BASE + "  ordinal_dependent: gender\n  ordinal_levels: [woman, man, other]\n"
    with pytest.raises(ParamsError, match=r"ordinal_levels': found 'other'.*Fix: list those"):
        load_params(write(project, text), root=project)


def test_a_notebook_run_by_hand_writes_to_the_scratch_folder(tmp_path, capsys):
    """No staging folder (JupyterLab): outputs go to .lab/<study>/, inputs come from there
    once an earlier notebook wrote them, else from the recorded run; a line says how to
    record a stage."""
    from conftest import make_project

    root = make_project(tmp_path / "project")
    ctx = params.run_context("params/example.yaml", root=str(root))
    lab = root / ".lab" / "example"
    assert (ctx.tables, ctx.figures, ctx.processed_out, ctx.report_out) == (
        lab / "tables",
        lab / "figures",
        lab / "processed",
        lab,
    )
    assert ctx.processed == root / "data" / "processed" / "example"  # nothing in .lab yet
    assert ctx.tables_in == root / "reports" / "example" / "tables"
    (lab / "processed").mkdir(parents=True)
    assert ctx.processed == lab / "processed"
    said = capsys.readouterr().out
    assert "writes to .lab/example/ (a scratch folder)" in said
    assert "partner-study run params/example.yaml --only <stage>" in said
    staged = params.run_context("params/example.yaml", root=str(root), out=str(tmp_path / "s"))
    assert staged.tables == tmp_path / "s" / "tables"
    assert staged.processed == root / "data" / "processed" / "example"


def test_a_new_site_params_file_follows_its_codebook(tmp_path):
    """`new-site` keeps the source's analysis choices but not the names of its scales: a
    student who renames the scales in the new codebook runs the params file as is."""
    import yaml

    from conftest import make_project
    from partner_study.scaffold import new_site

    root = make_project(tmp_path / "project")
    new_site("lyon", root=root)
    codebook = root / "data" / "raw" / "lyon" / "codebook.yaml"
    declared = yaml.safe_load(codebook.read_text(encoding="utf-8"))["scales"]
    first, *others = declared
    renamed = {f"{name}_fr": spec for name, spec in declared.items()}
    text = codebook.read_text(encoding="utf-8")
    for name in declared:
        text = text.replace(f"\n  {name}:\n", f"\n  {name}_fr:\n")
    codebook.write_text(text, encoding="utf-8")
    assert list(yaml.safe_load(text)["scales"]) == list(renamed)

    loaded = load_params(root / "params" / "lyon.yaml", root=root)
    reg = loaded.values["regression"]
    assert reg["dependent"] == f"{first}_fr"
    assert reg["outcomes"] == [f"{name}_fr" for name in others]
    source = load_params(root / "params" / "example.yaml", root=root).values
    for key in ("models", "cov_type", "covariates", "sensitivity", "standardize"):
        assert reg[key] == source["regression"][key]
    assert loaded.values["figures"] == source["figures"]
    assert loaded.values["seed"] == source["seed"]


def test_dependent_none_makes_every_scale_a_predictor_of_the_ordinal_level(tmp_path):
    from conftest import make_project

    root = make_project(tmp_path / "project")
    path = root / "params" / "example.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "  dependent: engagement\n", "  dependent: none\n"
    )
    text = "\n".join(line for line in text.splitlines() if "outcomes:" not in line) + "\n"
    path.write_text(text, encoding="utf-8")
    reg = load_params(path, root=root).values["regression"]
    assert reg["dependent"] is False
    assert reg["outcomes"][0] == "engagement" and len(reg["outcomes"]) == 7
    assert reg["ordinal_dependent"] == "engagement_level"
    path.write_text(text.replace("models: [ols, mixed, joint, ordinal]", "models: [ols]"))
    with pytest.raises(ParamsError, match="found none .*Fix: add 'ordinal'"):
        load_params(path, root=root)
