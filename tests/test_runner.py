"""The whole pipeline on a copy of the example: outputs, disclosure gate, skipping,
dependency tracking, verification and recovery after SIGKILL."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from conftest import make_project
from partner_study.pipeline import STAGES, run_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("runner")]

# 20 identifiers planted in segment texts: roster names, e-mails, phones, dates of birth,
# health and national identifiers. None may appear anywhere under reports/.
ROSTER = {
    "BE-0001": "Griet Vandenbroucke",
    "BE-0002": "Jef Verhaegen",
    "QC-0001": "Mathilde Lapointe",
    "NO-0001": "Solveig Haugland",
}
PLANTED = [
    "Griet Vandenbroucke",
    "Jef Verhaegen",
    "Mathilde Lapointe",
    "Solveig Haugland",
    "Vandenbroucke",
    "griet.vandenbroucke@azsintjan.be",
    "m.lapointe@ciusss.qc.ca",
    "solveig@kommune.no",
    "+32 470 12 34 56",
    "0470 98 76 54",
    "(514) 555-0199",
    "+47 912 34 567",
    "07700 900123",
    "12/03/1961",
    "1958-11-02",
    "943 476 5919",
    "85.07.30-033.61",
    "LAPM 6205 1234",
    "01017012345",
    "MRN 00482913",
]


def plant(project: Path) -> None:
    raw = project / "data" / "raw" / "example"
    seg = pd.read_csv(raw / "segments.csv", dtype=str, keep_default_na=False)
    first = seg.drop_duplicates("segment_id").index[: len(PLANTED)]
    for i, ident in zip(first, PLANTED, strict=True):
        seg.loc[i, "text"] = f"{seg.loc[i, 'text']} Ask about {ident} please."
    seg.to_csv(raw / "segments.csv", index=False, lineterminator="\n")
    roster = pd.read_csv(raw / "roster.csv", dtype=str)
    extra = pd.DataFrame({"participant_id": list(ROSTER), "name": list(ROSTER.values())})
    pd.concat([roster[~roster["participant_id"].isin(ROSTER)], extra]).to_csv(
        raw / "roster.csv", index=False, lineterminator="\n"
    )


def digests(root: Path) -> dict[str, str]:
    out = {}
    for base in (root / "reports", root / "data" / "processed"):
        for p in sorted(base.rglob("*")):
            if p.is_file() and p.name != "manifest.json":
                out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("full"))
    plant(root)
    result = run_pipeline(root / "params" / "example.yaml", root=root)
    assert all(s.status == "ran" for s in result.stages)
    return root, digests(root)


def test_every_output_of_the_contract(project):
    root, _ = project
    rep = root / "reports" / "example"
    for name in (
        "characteristics",
        "likert",
        "reliability",
        "scales-by-role",
        "items-by-role",
        "codes",
        "cooccurrence",
        "agreement",
        "quotes",
        "regression",
        "regression-sensitivity",
        "joint-display",
    ):
        assert (rep / "tables" / f"{name}.csv").is_file(), name
    for name in (
        "characteristics",
        "reliability",
        "scales-by-role",
        "items-by-role",
        "regression-ols",
        "regression-mixed",
        "regression-ordinal",
        "codes",
        "joint-display",
    ):
        for fmt in ("md", "tex", "docx"):
            assert (rep / "tables" / f"{name}.{fmt}").is_file(), (name, fmt)
    for name in (
        "likert-engagement",
        "item-differences",
        "regression-forest",
        "themes-by-role",
        "joint-display",
        "engagement-vs-communication",
    ):
        for fmt in ("pdf", "svg", "png", "tiff"):
            assert (rep / "figures" / f"{name}.{fmt}").is_file(), (name, fmt)
    html = (rep / "report.html").read_text(encoding="utf-8")
    assert "Table 1." in html and "regression-forest" in html
    assert "http://" not in html.replace("http://www.w3.org", "")


def test_manifest_lists_every_input_and_output_with_its_hash(project):
    root, _ = project
    manifest = json.loads((root / "reports" / "example" / "manifest.json").read_text())
    assert manifest["study"] == "example"
    assert set(manifest["stages"]) == {
        "01-prepare",
        "02-describe",
        "03-qualitative",
        "04-regression",
        "05-integrate",
        "06-report",
    }
    for rel, digest in manifest["outputs"].items():
        assert hashlib.sha256((root / rel).read_bytes()).hexdigest() == digest
    assert "data/raw/example/survey.csv" in manifest["inputs"]
    assert "notebooks/04-regression.ipynb" in manifest["inputs"]
    assert "params/example.yaml" in manifest["inputs"]
    assert manifest["environment"]["packages"]["pandas"]
    assert len(manifest["environment"]["packages"]) > 30  # every installed distribution
    assert manifest["parameters"]["regression"]["dependent"] == "engagement"
    # the same inputs give the same bytes: no duration, time or path of this machine
    assert all(
        set(stage) == {"hash", "notebook", "outputs"} for stage in manifest["stages"].values()
    )
    text = (root / "reports" / "example" / "manifest.json").read_text(encoding="utf-8")
    assert str(root) not in text and "platform" not in manifest["environment"]
    assert manifest["provenance"]["commit"] is None  # the copy is no git checkout
    assert set(manifest["provenance"]["state"].values()) == {"unknown"}
    timings = json.loads((root / ".staging" / "example.timings.json").read_text())
    assert set(timings) == set(manifest["stages"]) and all(t > 0 for t in timings.values())


def test_key_numbers_of_the_example(project):
    root, _ = project
    tables = root / "reports" / "example" / "tables"
    char = pd.read_csv(tables / "characteristics.csv")
    assert char.set_index(["variable", "role"]).loc[("participants", "all"), "n"] == 600
    rel = pd.read_csv(tables / "reliability.csv").set_index("scale")
    assert (rel["alpha"] > 0.7).all()  # items simulated from one true score per scale
    scored = pd.read_parquet(root / "data" / "processed" / "example" / "scored.parquet")
    assert len(scored) == 549
    assert scored["engagement"].dropna().between(1, 5).all()


def test_known_effects_inside_their_confidence_intervals(project):
    root, _ = project
    truth = json.loads((root / "data" / "raw" / "example" / "truth.json").read_text())
    reg = pd.read_csv(root / "reports" / "example" / "tables" / "regression.csv")
    joint = reg[
        reg["model"].isin(["joint_ols", "joint_mixed"]) & reg["term"].isin(truth["effects"])
    ]
    assert len(joint) == 2 * len(truth["effects"])
    for _, row in joint.iterrows():
        assert row["ci_low"] <= truth["effects"][row["term"]] <= row["ci_high"], row["term"]


def test_planted_divergence_shows(project):
    root, _ = project
    joint = pd.read_csv(root / "reports" / "example" / "tables" / "joint-display.csv")
    row = joint.set_index("theme").loc["information_sharing"]
    assert (row["role_a"], row["role_b"]) == ("patient", "professional")
    assert row["label"] == "divergence" and row["pct_a"] > row["pct_b"]
    assert joint.set_index("theme").loc["foundations_of_partnership", "label"] == "convergence"


def _all_text_under(folder: Path) -> str:
    chunks = []
    for p in folder.rglob("*"):
        if not p.is_file():
            continue
        if p.suffix == ".docx":
            with zipfile.ZipFile(p) as z:
                chunks += [z.read(n).decode("utf-8", "ignore") for n in z.namelist()]
        elif p.suffix in (".csv", ".md", ".tex", ".html", ".ipynb", ".json", ".svg"):
            chunks.append(p.read_text(encoding="utf-8", errors="ignore"))
    return "\n".join(chunks)


def test_no_planted_identifier_reaches_reports(project):
    root, _ = project
    text = _all_text_under(root / "reports")
    text_processed = "\n".join(
        pd.read_parquet(root / "data" / "processed" / "example" / "segments.parquet")["text"]
    )
    for ident in PLANTED:
        assert ident not in text, ident
        assert ident not in text_processed, ident
    disclosure = pd.read_csv(root / "reports" / "example" / "tables" / "disclosure.csv")
    assert disclosure.set_index("kind").loc["total", "n_redactions"] >= 20


def test_second_run_executes_no_notebook(project):
    root, _ = project
    result = run_pipeline(root / "params" / "example.yaml", root=root)
    assert {s.status for s in result.stages} == {"skipped"}


def test_touching_one_notebook_reruns_it_and_its_dependants(project):
    root, before = project
    nb = root / "notebooks" / "03-qualitative.ipynb"
    data = json.loads(nb.read_text(encoding="utf-8"))
    data["cells"][0]["source"] = "".join(data["cells"][0]["source"]) + "\n"
    nb.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    result = run_pipeline(root / "params" / "example.yaml", root=root)
    status = {s.name: s.status for s in result.stages}
    assert status == {
        "01-prepare": "skipped",
        "02-describe": "skipped",
        "03-qualitative": "ran",
        "04-regression": "skipped",
        "05-integrate": "ran",
        "06-report": "ran",
    }
    after = digests(root)
    changed = {k for k in before if before[k] != after.get(k)}
    # the report's footer states each notebook's hash
    assert changed == {
        "reports/example/notebooks/03-qualitative.ipynb",
        "reports/example/report.html",
    }


def _cli_verify(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "partner_study.cli", "verify", "params/example.yaml"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_verify_passes_then_names_a_changed_file(project):
    root, _ = project
    proc = _cli_verify(root)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "every input as the manifest records it" in proc.stdout
    assert "verified: a rerun reproduces every output byte for byte." in proc.stdout
    target = root / "reports" / "example" / "tables" / "reliability.csv"
    original = target.read_bytes()
    target.write_bytes(original[:-2] + b"9\n")
    try:
        proc = _cli_verify(root)
    finally:
        target.write_bytes(original)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    at = lines.index(
        "different  reports/example/tables/reliability.csv  (the file on disk differs from the "
        "manifest; the rerun reproduces the manifest's)"
    )
    assert lines[at + 1].strip().startswith("largest numeric difference ")
    assert "column 'omega'" in lines[at + 1]  # the last cell of the table


def test_verify_names_a_changed_answer_and_how_the_outputs_differ(project):
    """One Likert answer changed in the raw survey: verify names the input before the
    rerun, then the outputs that differ, a table by its largest numeric difference."""
    root, _ = project
    survey = root / "data" / "raw" / "example" / "survey.csv"
    original = survey.read_bytes()
    frame = pd.read_csv(survey, dtype=str, keep_default_na=False)
    row = frame.index[frame["eng_1"].isin(["2", "3"])][0]
    frame.loc[row, "eng_1"] = "3" if frame.loc[row, "eng_1"] == "2" else "2"
    frame.to_csv(survey, index=False, lineterminator="\n")
    try:
        proc = _cli_verify(root)
    finally:
        survey.write_bytes(original)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    out = proc.stdout
    before_rerun = out[: out.index("rerunning example in a scratch folder")]
    assert "changed input: data/raw/example/survey.csv (sha256 " in before_rerun
    assert "… in the manifest, " in before_rerun
    lines = out.splitlines()
    at = lines.index("different  reports/example/tables/likert.csv  (the rerun gives other bytes)")
    assert lines[at + 1].strip().startswith("largest numeric difference 1 in row ")
    assert "item=eng_1" in lines[at + 1]
    assert "different  data/processed/example/scored.parquet" in out
    assert "difference(s) in the inputs, listed before the rerun" in proc.stderr


@pytest.mark.parametrize(("coretype", "threads"), [("Prescott", "2")], ids=["prescott-2"])
def test_verify_under_another_blas_kernel(project, coretype, threads):
    """The run was made with the machine's own OpenBLAS kernel; a rerun with another kernel
    and thread count (whose matrix products differ in the last bits) writes the same bytes:
    figures are drawn from the values as published, not from the full-precision results.
    (Every kernel of this machine, with 1 and 2 threads: acceptance/blas-kernels.sh.)"""
    root, _ = project
    env = {
        **os.environ,
        "OPENBLAS_CORETYPE": coretype,
        "OPENBLAS_NUM_THREADS": threads,
        "OMP_NUM_THREADS": threads,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "partner_study.cli", "verify", "params/example.yaml"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verified" in proc.stdout


def test_run_json_and_quiet_progress(project):
    """--json: one JSON object per line (a stage event each, then 'finished'); --quiet:
    nothing on stdout. The run is up to date, so every stage is skipped."""
    root, _ = project
    before = digests(root)
    cmd = [sys.executable, "-m", "partner_study.cli", "run", "params/example.yaml"]
    proc = subprocess.run([*cmd, "--json"], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    stages = [e for e in events if e["event"] == "skipped"]
    assert sorted(e["stage"] for e in stages) == sorted(s.name for s in STAGES)
    finished = events[-1]
    assert finished["event"] == "finished" and finished["study"] == "example"
    assert finished["ran"] == [] and len(finished["skipped"]) == len(STAGES)
    assert finished["report"].endswith("reports/example/report.html")
    quiet = subprocess.run([*cmd, "--quiet"], cwd=root, capture_output=True, text=True)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    both = subprocess.run([*cmd, "--quiet", "--json"], cwd=root, capture_output=True, text=True)
    assert both.returncode == 2 and "not allowed with" in both.stderr
    assert digests(root) == before


def test_a_failing_stage_keeps_what_the_others_finished(project):
    """02 (touched) and 03 (made to fail) run side by side: the run stops with the failed
    notebook kept and 02's new result recorded: with 03 put back, the next run finds 02
    and 03 up to date, and removes the failed notebook."""
    from partner_study.errors import StageError

    root, _ = project
    notebooks = root / "notebooks"

    def edit(name: str, change) -> str:
        original = (notebooks / name).read_text(encoding="utf-8")
        data = json.loads(original)
        change(data["cells"])
        (notebooks / name).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        return original

    def touch(cells: list) -> None:
        cells[0]["source"] = "".join(cells[0]["source"]) + "\n"

    def fail(cells: list) -> None:
        cells[-1]["source"] = "".join(cells[-1]["source"]) + "\nraise RuntimeError('planted')"

    edit("02-describe.ipynb", touch)
    original_03 = edit("03-qualitative.ipynb", fail)
    failed = root / "reports" / "example" / "failed" / "03-qualitative.ipynb"
    with pytest.raises(StageError, match="planted"):
        run_pipeline(root / "params" / "example.yaml", root=root)
    assert failed.is_file()
    (notebooks / "03-qualitative.ipynb").write_text(original_03, encoding="utf-8")
    result = run_pipeline(root / "params" / "example.yaml", root=root)
    status = {s.name: s.status for s in result.stages}
    assert status["02-describe"] == status["03-qualitative"] == "skipped"  # 02 was recorded
    assert not failed.parent.exists()


def test_after_a_failure_no_waiting_stage_starts(project):
    """02, 03 and 04 are due and each fails in its first code cell; one worker: the first
    to start fails, and the two waiting for the worker never start. Put back, the next run
    completes."""
    from partner_study.errors import StageError

    root, _ = project
    notebooks = root / "notebooks"
    names = ("02-describe.ipynb", "03-qualitative.ipynb", "04-regression.ipynb")
    originals = {name: (notebooks / name).read_text(encoding="utf-8") for name in names}
    for name in names:
        data = json.loads(originals[name])
        cells = [c for c in data["cells"] if c["cell_type"] == "code"]
        cells[1]["source"] = "".join(cells[1]["source"]) + "\nraise RuntimeError('planted')"
        (notebooks / name).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    progress: list[str] = []
    with pytest.raises(StageError, match="planted"):
        run_pipeline(root / "params" / "example.yaml", root=root, jobs=1, progress=progress.append)
    started = [line.split()[0] for line in progress if line.endswith("running ...")]
    assert len(started) == 1 and started[0] + ".ipynb" in names, progress
    for name in names:
        (notebooks / name).write_text(originals[name], encoding="utf-8")
    result = run_pipeline(root / "params" / "example.yaml", root=root)
    assert all(s.status in ("ran", "skipped") for s in result.stages)
    assert not (root / "reports" / "example" / "failed").exists()


def test_sigkill_at_five_moments_then_rerun_is_complete(project, tmp_path):
    """Five runs killed with SIGKILL at different moments, each resumed by the next; a final
    run then completes, and reports/ holds exactly the outputs of an uninterrupted run."""
    reference_root, reference = project
    root = make_project(tmp_path / "killed")
    plant(root)
    for name in ("notebooks",):  # the same notebooks as the reference (03 was touched above)
        shutil.rmtree(root / name)
        shutil.copytree(reference_root / name, root / name)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for delay in (1.5, 4.0, 7.0, 11.0, 16.0):
        proc = subprocess.Popen(
            [sys.executable, "-m", "partner_study.cli", "run", "params/example.yaml"],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)  # the runner and its kernels
        proc.wait()
    final = run_pipeline(root / "params" / "example.yaml", root=root)
    assert all(s.status in ("ran", "skipped") for s in final.stages)
    manifest = json.loads((root / "reports" / "example" / "manifest.json").read_text())
    for rel, digest in manifest["outputs"].items():
        assert hashlib.sha256((root / rel).read_bytes()).hexdigest() == digest, rel
    assert digests(root) == {k: v for k, v in digests(reference_root).items() if "failed" not in k}
    # nothing left of the runs but the stages' timings, kept for the next run's order
    assert sorted(p.name for p in (root / ".staging").iterdir()) == ["example.timings.json"]
