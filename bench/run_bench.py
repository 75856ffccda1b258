"""Benchmark the pipeline at study sizes S, M and L (``make bench``).

For each size in ``BENCH_SIZES`` (default ``S,M,L``; sizes from
:data:`partner_study.simulate.SIZES`) a scratch project is built under ``bench/work/<size>/``
(the notebooks, ``params/bench_<size>.yaml`` and the simulated raw study; S is the committed
example) and measured, in one run on this machine:

``cold_s``            ``partner-study run params/bench_<size>.yaml --force`` (subprocess) after
                      deleting the project's ``reports/`` and ``data/processed/``: the
                      median of ``BENCH_COLD_RUNS`` such runs (default 3; one run for a
                      size whose first run takes over a minute), every run in the notes;
``noop_s``            a second ``partner-study run`` with nothing changed (subprocess);
``inproc_s``          the notebooks' code cells exec'd in ONE process (``bench/inproc.py``):
                      no kernels, no papermill; the limit;
``papermill_loop_s``  the notebooks run one after another by plain ``papermill`` CLI calls
                      (the by-hand baseline), on a kernelspec installed under bench/work/ only;
``peak_rss_mb``       peak memory of the cold run's process tree (runner, kernel server,
                      kernels, figure helpers; the highest of the cold runs), as the summed
                      PSS (a page shared by n processes counts 1/n in each; summed RSS would
                      count the stack the forked kernels share once per kernel), sampled
                      every 0.2 s, in MB
                      (10^6 bytes); the summed RSS is in the notes. Where PSS is unreadable,
                      RSS stands in.

Writes ``bench/results.json`` (one record per size) and ``bench/results.md`` and prints the
Markdown table. Environment variables:

``BENCH_SIZES``    sizes to run, e.g. ``S,M`` (default ``S,M,L``)
``BENCH_KEEP=1``   keep L's scratch project (data and outputs, several GB) after measuring
``BENCH_MERGE=1``  keep records of other sizes already in results.json (same machine only)
``BENCH_TIMEOUT``  seconds after which a single measured command is stopped (default: none)
``BENCH_SNAPSHOT=0``  measure the live ``src/`` instead of a snapshot (see below)
``BENCH_COLD_RUNS``  cold runs per size, cold_s being their median (default 3)

Every measured command imports the package from a snapshot of ``src/partner_study`` taken
when the benchmark starts (``bench/work/snapshot``, first on ``PYTHONPATH``; the .venv's
interpreter, console script and kernels are used as they are). Without it, an edit of
``src/`` during the benchmark changes the runner's source fingerprint, so the "no-op" run
reruns every stage, and the runs of one size do not all measure the same code. The snapshot
is compiled to bytecode when taken, as an installed package is.

A size whose run fails keeps None for what was not measured and gets an ``error`` field with
the command's message (for a failed stage: the notebook, cell and exception); the benchmark
goes on with the next size.
"""

from __future__ import annotations

import compileall
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / "work"
KERNEL_PREFIX = WORK / "kernel"
KERNEL_NAME = "partner-study-bench"
SNAPSHOT = WORK / "snapshot"
#: Cold runs per size (``BENCH_COLD_RUNS``); cold_s is their median. A size whose first cold
#: run takes longer than ONE_RUN_ABOVE_S seconds is run once (L: minutes, and steadier).
COLD_RUNS = max(1, int(os.environ.get("BENCH_COLD_RUNS") or 3))
ONE_RUN_ABOVE_S = 60.0
BIN = Path(sys.executable).parent
RESULTS_JSON = BENCH / "results.json"
RESULTS_MD = BENCH / "results.md"
NOTES_JSON = WORK / "notes.json"  # per-stage seconds etc. of the last run, for BENCH_MERGE
FIELDS = (
    "size",
    "n_participants",
    "n_segments",
    "machine",
    "cold_s",
    "noop_s",
    "inproc_s",
    "papermill_loop_s",
    "peak_rss_mb",
)
SAMPLE_EVERY = 0.2


# --------------------------------------------------------------------------------- helpers
def _log(msg: str) -> None:
    print(msg, flush=True)


def _tool(name: str) -> str:
    exe = BIN / name
    if exe.is_file():
        return str(exe)
    found = shutil.which(name)
    if not found:
        raise SystemExit(
            f"bench: found no '{name}' next to {sys.executable} or on PATH. "
            "Fix: run `make bench` (it uses the project's .venv)."
        )
    return found


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of the measured commands: the project root is found from the params file,
    git does not look above the scratch project (its provenance is "not a git checkout",
    as for a user's fresh project, and the lead's repository is never touched)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PARTNER_STUDY_ROOT", "PARTNER_STUDY_GIT_STATE")
    }
    env["GIT_CEILING_DIRECTORIES"] = str(WORK)
    if _snapshot_on():
        env["PYTHONPATH"] = os.pathsep.join(
            [str(SNAPSHOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def _snapshot_on() -> bool:
    return os.environ.get("BENCH_SNAPSHOT", "1") != "0"


def take_snapshot() -> None:
    """Copy the package source the measured commands will import (see the module docstring)."""
    shutil.rmtree(SNAPSHOT, ignore_errors=True)
    shutil.copytree(
        ROOT / "src" / "partner_study",
        SNAPSHOT / "partner_study",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    # Compiled to bytecode now, as an installed package is (and as src/ is after its first
    # import): otherwise the first measured run, S's cold run, would also compile it.
    compileall.compile_dir(SNAPSHOT, quiet=1)


def package_hash() -> str:
    """sha256 over the source the measured commands import (as the runner fingerprints it)."""
    base = (SNAPSHOT if _snapshot_on() else ROOT / "src") / "partner_study"
    h = hashlib.sha256()
    for path in sorted(base.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".yaml", ".html", ".css", ".md"):
            h.update(str(path.relative_to(base)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _memory(pid: int) -> tuple[int, int] | None:
    """(RSS, PSS) of a process in bytes, from /proc (Linux); where ``smaps_rollup`` cannot
    be read, RSS stands in for PSS. None when the process is gone."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
            rss = int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None
    pss = rss
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError):
        pass
    return rss, pss


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from /proc/<pid>/task/*/children (only this tree is
    read, not every process of the machine); psutil where that file does not exist."""
    if not os.path.exists(f"/proc/{pid}/task/{pid}/children"):
        try:
            top = psutil.Process(pid)
            return [pid, *(c.pid for c in top.children(recursive=True))]
        except psutil.NoSuchProcess:
            return []
    out, i = [pid], 0
    while i < len(out):
        current = out[i]
        i += 1
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as fh:
                    out.extend(int(x) for x in fh.read().split())
            except (OSError, ValueError):
                continue
    return out


class TreeSampler(threading.Thread):
    """Peak memory of a process and all its descendants, sampled: the summed PSS
    (proportional set size: a page shared by n processes counts 1/n in each, so the sum is
    the tree's real memory) and, for comparison, the summed RSS (counts a shared page once
    per process: forked kernels and helpers share the imported stack and their parent's
    pages, so this sum overstates). Sampling reads /proc only for the measured tree, every
    0.2 s: cheap enough not to slow the run it measures on a 2-core machine."""

    def __init__(self, pid: int, every: float = SAMPLE_EVERY) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak = self.peak_rss = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            pids = _tree(self.pid)
            if not pids:
                break
            total = total_rss = 0
            for pid in pids:
                mem = _memory(pid)
                if mem is not None:
                    total_rss += mem[0]
                    total += mem[1]
            self.peak = max(self.peak, total)
            self.peak_rss = max(self.peak_rss, total_rss)
            self._halt.wait(self.every)

    def stop(self) -> int:
        self._halt.set()
        self.join()
        return self.peak


class RunFailed(Exception):
    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"{what}: {detail}")
        self.what, self.detail = what, detail


def _tail(path: Path, n: int = 25) -> str:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(lines[-n:])


def _stop_tree(proc: subprocess.Popen) -> None:
    """Stop a command we started and its descendants (kernels run in their own sessions)."""
    try:
        procs = [psutil.Process(proc.pid)]
        procs += procs[0].children(recursive=True)
    except psutil.NoSuchProcess:
        procs = []
    for p in procs:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=10)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    proc.wait()


def timed(
    cmd: list[str],
    *,
    cwd: Path,
    log: Path,
    sample: bool = False,
    env: dict[str, str] | None = None,
    memory: dict[str, int] | None = None,
) -> tuple[float, int, float]:
    """Run ``cmd``; return (wall seconds, peak tree memory in bytes or 0, CPU seconds).

    The peak is the summed PSS of the tree (see :class:`TreeSampler`); ``memory``, if
    given, also receives ``{"pss": ..., "rss": ...}`` (bytes).

    CPU seconds are user + system time of the command and every descendant it waited for
    (the runner waits for its kernels): less sensitive than wall time to other people's
    work on a shared machine. Raises RunFailed."""
    log.parent.mkdir(parents=True, exist_ok=True)
    timeout = float(os.environ.get("BENCH_TIMEOUT") or 0) or None
    with open(log, "wb") as fh:
        fh.write(("$ " + " ".join(cmd) + "\n").encode())
        fh.flush()
        cpu0 = _children_cpu()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env or _env(), stdout=fh, stderr=subprocess.STDOUT
        )
        sampler = TreeSampler(proc.pid) if sample else None
        if sampler:
            sampler.start()
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop_tree(proc)
            rc = None
        except BaseException:
            _stop_tree(proc)
            raise
        seconds = time.perf_counter() - t0
        cpu = _children_cpu() - cpu0
        peak = sampler.stop() if sampler else 0
        if sampler and memory is not None:
            memory.update(pss=sampler.peak, rss=sampler.peak_rss)
    if rc is None:
        raise RunFailed(
            Path(cmd[0]).name,
            f"stopped after BENCH_TIMEOUT={timeout:g} s (log: {_rel(log)})\n{_tail(log)}",
        )
    if rc != 0:
        raise RunFailed(Path(cmd[0]).name, f"exit status {rc} (log: {_rel(log)})\n{_tail(log)}")
    return seconds, peak, cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------------- projects
def study_name(size: str) -> str:
    return f"bench_{size.lower()}"


def ensure_kernel() -> None:
    """A kernelspec for the plain papermill loop, installed under bench/work/ only."""
    spec = KERNEL_PREFIX / "share" / "jupyter" / "kernels" / KERNEL_NAME / "kernel.json"
    if spec.is_file() and json.loads(spec.read_text())["argv"][0] == sys.executable:
        return
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ipykernel",
            "install",
            "--prefix",
            str(KERNEL_PREFIX),
            "--name",
            KERNEL_NAME,
            "--display-name",
            "partner-study bench (.venv)",
        ],
        check=True,
        capture_output=True,
    )


def _data_key(size: str, dims: dict[str, int], seed: int) -> str:
    src = (SNAPSHOT if _snapshot_on() else ROOT / "src") / "partner_study"
    h = hashlib.sha256(json.dumps({"size": size, "seed": seed, **dims}, sort_keys=True).encode())
    simulator = sorted((src / "simulate").glob("*.py"))
    for p in [*simulator, src / "writer.py", src / "templates" / "codebook.yaml"]:
        h.update(p.read_bytes() if p.is_file() else b"")
    if size == "S":
        for p in sorted((ROOT / "data" / "raw" / "example").iterdir()):
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def build_project(size: str, dims: dict[str, int]) -> tuple[Path, str, float | None]:
    """Scratch project for ``size``; returns (root, params path relative to it, seconds
    spent generating and writing data, or None when the data were reused)."""
    from partner_study.config import SEED

    project = WORK / size
    study = study_name(size)
    project.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(project / "notebooks", ignore_errors=True)
    shutil.copytree(
        ROOT / "notebooks",
        project / "notebooks",
        ignore=shutil.ignore_patterns(".ipynb_checkpoints"),
    )
    if (ROOT / "requirements.lock").is_file():  # part of the runner's environment fingerprint
        shutil.copyfile(ROOT / "requirements.lock", project / "requirements.lock")
    text = (ROOT / "params" / "example.yaml").read_text(encoding="utf-8")
    text, n_study = re.subn(r"^study:.*$", f"study: {study}", text, count=1, flags=re.M)
    text, n_data = re.subn(r"^data:.*$", f"data: data/raw/{study}", text, count=1, flags=re.M)
    if not (n_study and n_data):
        raise RunFailed(
            "params", "params/example.yaml has no top-level 'study:' or 'data:' line to rewrite"
        )
    params_rel = f"params/{study}.yaml"
    (project / "params").mkdir(exist_ok=True)
    (project / params_rel).write_text(text, encoding="utf-8")

    raw = project / "data" / "raw" / study
    marker = project / "data-key.txt"
    key = _data_key(size, dims, SEED)
    if raw.is_dir() and marker.is_file() and marker.read_text().strip() == key:
        return project, params_rel, None
    shutil.rmtree(raw, ignore_errors=True)
    marker.unlink(missing_ok=True)
    t0 = time.perf_counter()
    if size == "S":
        shutil.copytree(ROOT / "data" / "raw" / "example", raw)
    else:
        _log(
            f"  generating {dims['n_participants']:,} participants, ~{dims['n_segments']:,} "
            "segments ..."
        )
        made = subprocess.run(
            [
                sys.executable,
                str(BENCH / "make_data.py"),
                "--size",
                size,
                "--study",
                study,
                "--out",
                str(raw),
            ],
            capture_output=True,
            text=True,
            env=_env(),
        )
        if made.returncode != 0:
            raise RunFailed("make_data", made.stdout + made.stderr)
        _log(made.stdout.rstrip())
    seconds = time.perf_counter() - t0
    marker.write_text(key + "\n")
    return project, params_rel, seconds


def clean_outputs(project: Path) -> None:
    for sub in ("reports", "data/processed", ".staging", "bench-out"):
        shutil.rmtree(project / sub, ignore_errors=True)


def _stage_seconds(project: Path, study: str) -> dict[str, float]:
    """Seconds of each stage of the last run, as the runner keeps them (not in the
    manifest, whose bytes the same inputs reproduce)."""
    timings = project / ".staging" / f"{study}.timings.json"
    try:
        seconds = json.loads(timings.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(seconds, dict):
        return {}
    return {name: float(value) for name, value in sorted(seconds.items())}


# --------------------------------------------------------------------------------- measure
def measure(size: str, dims: dict[str, int], notes: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {
        "size": size,
        "n_participants": dims["n_participants"],
        "n_segments": dims["n_segments"],
        "machine": machine(),
        "cold_s": None,
        "noop_s": None,
        "inproc_s": None,
        "papermill_loop_s": None,
        "peak_rss_mb": None,
    }
    project, params_rel, gen_s = build_project(size, dims)
    study = study_name(size)
    if gen_s is not None and size != "S":
        notes["data_s"] = round(gen_s, 2)
    notes["load_before"] = os.getloadavg()[0]
    raw = project / "data" / "raw" / study
    segs = raw / "segments.csv"
    if segs.is_file():  # the actual number of coded segment rows (all coders)
        with open(segs, "rb") as fh:
            notes["segment_rows"] = sum(1 for _ in fh) - 1
    logs = project / "logs"
    cli = _tool("partner-study")

    # cold: every stage, from an empty reports/ and data/processed/; the median of
    # COLD_RUNS runs (one run for a size whose first run is long)
    source_before = package_hash()
    runs: list[dict[str, Any]] = []
    while len(runs) < COLD_RUNS and not (runs and runs[0]["secs"] > ONE_RUN_ABOVE_S):
        clean_outputs(project)
        _log(f"  cold run {len(runs) + 1} ...")
        try:
            memory: dict[str, int] = {}
            secs, peak, cpu = timed(
                [cli, "run", params_rel, "--force"],
                cwd=project,
                log=logs / ("cold.log" if not runs else f"cold-{len(runs) + 1}.log"),
                sample=True,
                memory=memory,
            )
        except RunFailed as exc:
            _log(f"  cold run FAILED: {exc.detail}")
            if not runs:
                record["error"] = f"cold run: {exc.detail}"
                return record
            notes["cold_run_failed"] = f"cold run {len(runs) + 1}: {exc.detail}"
            break  # the runs that went well are measured
        runs.append(
            {
                "secs": secs,
                "peak": peak,
                "cpu": cpu,
                "rss": memory.get("rss", 0),
                "stages": _stage_seconds(project, study),
            }
        )
        _log(f"  cold  {secs:8.2f} s, peak memory {peak / 1e6:,.0f} MB")
    # the median; of an even number of runs, the slower of the two middle ones
    median = sorted(runs, key=lambda r: r["secs"])[len(runs) // 2]
    record["cold_s"] = median["secs"]
    record["peak_rss_mb"] = max(r["peak"] for r in runs) / 1e6  # the highest of the runs
    notes["cpu"] = {"cold": median["cpu"]}
    notes["cold_runs_s"] = [round(r["secs"], 2) for r in runs]
    notes["cold_peak_rss_sum_mb"] = round(max(r["rss"] for r in runs) / 1e6, 2)
    notes["cold_stages"] = median["stages"]

    # no-op: nothing changed, every stage skipped
    try:
        secs, _, cpu = timed([cli, "run", params_rel], cwd=project, log=logs / "noop.log")
        notes["cpu"]["noop"] = cpu
        record["noop_s"] = secs
        text = (logs / "noop.log").read_text(encoding="utf-8", errors="replace")
        if "0 stage(s) ran" not in text:
            why = (
                "the package source changed during the measurement (src/ edited meanwhile), "
                "so every stage was out of date"
                if package_hash() != source_before
                else "see logs/noop.log"
            )
            notes["noop_warning"] = f"the second run re-ran stages, noop_s is not a no-op: {why}"
            _log(f"  WARNING: {notes['noop_warning']}")
        _log(f"  no-op {secs:8.2f} s")
    except RunFailed as exc:
        record["error"] = f"no-op run: {exc.detail}"
        _log(f"  no-op run FAILED: {exc.detail}")

    # in-process: the notebooks' code in one interpreter, no kernels
    clean_outputs(project)
    timings = project / "bench-out" / "inproc-timings.json"
    timings.parent.mkdir(parents=True, exist_ok=True)
    try:
        secs, peak, cpu = timed(
            [
                sys.executable,
                str(BENCH / "inproc.py"),
                "--root",
                str(project),
                "--params",
                params_rel,
                "--out",
                "",
                "--timings",
                str(timings),
            ],
            cwd=project,
            log=logs / "inproc.log",
            sample=True,
        )
        record["inproc_s"] = secs
        notes["cpu"]["inproc"] = cpu
        notes["inproc_peak_rss_mb"] = round(peak / 1e6, 2)
        notes["inproc_stages"] = {
            k: v for k, v in json.loads(timings.read_text()).items() if k != "total"
        }
        _log(f"  inproc {secs:7.2f} s")
    except RunFailed as exc:
        record.setdefault("error", f"in-process run: {exc.detail}")
        _log(f"  in-process run FAILED: {exc.detail}")

    # papermill loop: what a user would do by hand
    clean_outputs(project)
    ensure_kernel()
    pm = _tool("papermill")
    env = _env({"JUPYTER_PATH": str(KERNEL_PREFIX / "share" / "jupyter")})
    out_dir = project / "bench-out" / "papermill"
    out_dir.mkdir(parents=True, exist_ok=True)
    loop: dict[str, float] = {}
    loop_cpu = 0.0
    try:
        t0 = time.perf_counter()
        for nb in sorted((project / "notebooks").glob("[0-9][0-9]-*.ipynb")):
            secs, _, cpu = timed(
                [
                    pm,
                    f"notebooks/{nb.name}",
                    _rel_to(out_dir / nb.name, project),
                    "-p",
                    "PARAMS",
                    params_rel,
                    "-p",
                    "ROOT",
                    ".",
                    "-p",
                    "OUT",
                    "",
                    "-k",
                    KERNEL_NAME,
                    "--cwd",
                    str(project),
                ],
                cwd=project,
                log=logs / f"papermill-{nb.stem}.log",
                env=env,
            )
            loop[nb.stem] = secs
            loop_cpu += cpu
        record["papermill_loop_s"] = time.perf_counter() - t0
        notes["papermill_stages"] = loop
        notes["cpu"]["papermill_loop"] = loop_cpu
        _log(f"  papermill loop {record['papermill_loop_s']:7.2f} s")
    except RunFailed as exc:
        record.setdefault("error", f"papermill loop: {exc.detail}")
        _log(f"  papermill loop FAILED: {exc.detail}")
    notes["load_after"] = os.getloadavg()[0]
    if package_hash() != source_before:
        notes["source_changed"] = True
    return record


def _rel_to(path: Path, base: Path) -> str:
    return path.relative_to(base).as_posix()


# --------------------------------------------------------------------------------- report
def _r(x: Any) -> Any:
    return round(x, 2) if isinstance(x, float) else x


def _f(x: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if x is None else fmt.format(x)


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def markdown(records: list[dict[str, Any]], notes: dict[str, dict[str, Any]]) -> str:
    m = records[0]["machine"] if records else machine()
    lines = [
        "# partner-study benchmark",
        "",
        f"Machine: {m['platform']}, {m['cpu_count']} CPUs, Python {m['python']}. "
        "Seconds of wall time (cold_s: the median of the cold runs listed in the notes); "
        "peak_rss_mb: peak memory of the cold runs' process tree (runner, "
        "kernel server, kernels, figure helpers) as summed PSS, shared pages counted once, "
        "in MB (10^6 bytes; the summed RSS, which counts them once per process, is in the "
        "notes). "
        + (
            "All runs import the package from a snapshot of src/ taken when the benchmark started."
            if _snapshot_on()
            else "The package was imported from the live src/."
        ),
        "",
        "| size | participants | segments | cold_s | noop_s | inproc_s | papermill_loop_s "
        "| peak_rss_mb | cold / inproc | papermill loop / cold |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in records:
        lines.append(
            f"| {r['size']} | {r['n_participants']:,} | {r['n_segments']:,} "
            f"| {_f(r['cold_s'])} | {_f(r['noop_s'])} | {_f(r['inproc_s'])} "
            f"| {_f(r['papermill_loop_s'])} | {_f(r['peak_rss_mb'])} "
            f"| {_f(_ratio(r['cold_s'], r['inproc_s']))} "
            f"| {_f(_ratio(r['papermill_loop_s'], r['cold_s']))} |"
        )
    by = {r["size"]: r for r in records}
    if "M" in by and "L" in by:
        ml = _ratio(by["L"]["cold_s"], by["M"]["cold_s"])
        lines += [
            "",
            f"M -> L time ratio (cold_s L / cold_s M): {_f(ml)} "
            "(10x the participants and segments).",
        ]
    errors = [r for r in records if r.get("error")]
    if errors:
        lines += ["", "## Errors", ""]
        for r in errors:
            lines += [f"{r['size']}:", "", "```", r["error"], "```", ""]
    stage_rows = []
    for r in records:
        n = notes.get(r["size"], {})
        cold, inp, loop = (
            n.get("cold_stages", {}),
            n.get("inproc_stages", {}),
            n.get("papermill_stages", {}),
        )
        for stage in sorted(set(cold) | set(inp) | set(loop)):
            stage_rows.append(
                f"| {r['size']} | {stage} | {_f(cold.get(stage))} "
                f"| {_f(inp.get(stage))} | {_f(loop.get(stage))} |"
            )
    if stage_rows:
        lines += [
            "",
            "## Seconds per stage",
            "",
            "Cold: the runner's timings (stages 02-04 run in parallel on "
            f"{m['cpu_count']} CPUs, on kernels forked ahead by the kernel server; a stage's "
            "time runs from when a worker starts it, waiting for its kernel included, and "
            "stages running together share the processors). "
            "In-process: each stage's cells (the first also imports the package). "
            "Papermill: one CLI call per notebook, kernel start-up included.",
            "",
            "| size | stage | cold | in-process | papermill |",
            "|---|---|--:|--:|--:|",
            *stage_rows,
        ]
    extra = []
    for r in records:
        n = notes.get(r["size"], {})
        bits = []
        if "segment_rows" in n:
            bits.append(f"{n['segment_rows']:,} segment rows in segments.csv (all coders)")
        if "data_s" in n:
            bits.append(f"data generated and written in {n['data_s']:.2f} s")
        if "load_before" in n:
            bits.append(
                f"1-minute load average {n['load_before']:.1f} before, "
                f"{n.get('load_after', float('nan')):.1f} after (machine shared)"
            )
        if len(n.get("cold_runs_s", [])) > 1:
            bits.append(
                "cold_s is the median of the cold runs "
                + ", ".join(f"{v:.2f}" for v in n["cold_runs_s"])
                + " s"
            )
        if n.get("cpu"):
            shown = ", ".join(f"{k.replace('_', ' ')} {v:,.1f}" for k, v in n["cpu"].items())
            bits.append(f"CPU seconds (user + system, all processes): {shown}")
        if "cold_peak_rss_sum_mb" in n:
            bits.append(f"cold run peak summed RSS {n['cold_peak_rss_sum_mb']:,.0f} MB")
        if "inproc_peak_rss_mb" in n:
            bits.append(f"in-process peak memory {n['inproc_peak_rss_mb']:,.0f} MB")
        if n.get("source_changed"):
            bits.append(
                "the package source (src/) changed while this size was measured: its runs "
                "did not all use the same code"
            )
        if "noop_warning" in n:
            bits.append(n["noop_warning"])
        if "cold_run_failed" in n:
            bits.append(f"FAILED (cold_s from the runs before it): {n['cold_run_failed']}")
        if bits:
            extra.append(f"- {r['size']}: " + "; ".join(bits) + ".")
    if extra:
        lines += ["", "## Notes", "", *extra]
    return "\n".join(lines) + "\n"


def main() -> int:
    from partner_study.simulate import SIZES

    wanted = [
        s.strip().upper() for s in os.environ.get("BENCH_SIZES", "S,M,L").split(",") if s.strip()
    ]
    unknown = [s for s in wanted if s not in SIZES]
    if unknown:
        raise SystemExit(
            f"BENCH_SIZES: found unknown size {unknown[0]!r}, expected some of "
            f"{list(SIZES)} (e.g. BENCH_SIZES=S,M)."
        )
    keep = os.environ.get("BENCH_KEEP") == "1"
    WORK.mkdir(parents=True, exist_ok=True)
    if _snapshot_on():
        take_snapshot()
    records: list[dict[str, Any]] = []
    notes: dict[str, dict[str, Any]] = {}
    if os.environ.get("BENCH_MERGE") == "1" and RESULTS_JSON.is_file():
        old = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
        records = [r for r in old if r.get("machine") == machine() and r["size"] not in wanted]
        if NOTES_JSON.is_file():
            saved = json.loads(NOTES_JSON.read_text(encoding="utf-8"))
            notes.update({r["size"]: saved[r["size"]] for r in records if r["size"] in saved})
    for size in wanted:
        _log(f"{size}: {SIZES[size]}")
        notes[size] = {}
        try:
            record = measure(size, SIZES[size], notes[size])
        except Exception as exc:  # noqa: BLE001 - go on with the next size
            detail = exc.detail if isinstance(exc, RunFailed) else f"{type(exc).__name__}: {exc}"
            _log(f"  {size} FAILED: {detail}")
            record = {
                "size": size,
                "n_participants": SIZES[size]["n_participants"],
                "n_segments": SIZES[size]["n_segments"],
                "machine": machine(),
                **{k: None for k in FIELDS[4:]},
                "error": detail,
            }
        finally:
            if size == "L" and not keep:
                shutil.rmtree(WORK / size, ignore_errors=True)
        records.append({k: _r(v) for k, v in record.items()})
    order = {s: i for i, s in enumerate(SIZES)}
    records.sort(key=lambda r: order.get(r["size"], 99))
    RESULTS_JSON.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    NOTES_JSON.write_text(json.dumps(notes, indent=2) + "\n", encoding="utf-8")
    md = markdown(records, notes)
    RESULTS_MD.write_text(md, encoding="utf-8")
    _log(f"\nwrote {_rel(RESULTS_JSON)} and {_rel(RESULTS_MD)}\n")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
