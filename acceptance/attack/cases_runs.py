"""Group ``runs``: concurrent runs, runs killed or interrupted mid-way, a read-only project
run by another user, file-size and disk-space limits, unknown stages, missing notebooks,
and hostile leftovers of earlier runs (links in the staging folder, a forged manifest)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

from harness import (
    NOBODY,
    REPO,
    STUDY,
    Ctx,
    Outcome,
    World,
    cli_case,
    diff_states,
    error_problems,
    kill_group,
    register,
    run_cli,
    start_cli,
    success_problems,
    tree_state,
    wait_cli,
)

G = "runs"
RUN = ["run", f"params/{STUDY}.yaml"]


def _wait_for(pred, timeout: float, step: float = 0.05) -> bool:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if pred():
            return True
        time.sleep(step)
    return False


def _stdout_has(path: Path, text: str) -> bool:
    try:
        return text in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def _ks_folders(w: World, pid: int) -> list[str]:
    found = []
    for folder in (w.tmp, Path("/tmp")):
        found += [str(p) for p in folder.glob(f"partner-study-ks-{pid}-*")]
    return found


def _leftovers(w: World) -> list[str]:
    """Staging folders and half-written files a run must not leave behind."""
    out = []
    if (w.project / ".staging").exists():
        # the stages' timings stay, kept for the order of the next run
        left = sorted(
            p.name
            for p in (w.project / ".staging").iterdir()
            if not p.name.endswith(".timings.json")
        )
        if left:
            out.append(".staging/ (" + ", ".join(left[:4]) + ")")
    for base in (w.project / "reports", w.project / "data" / "processed"):
        for p in base.rglob("*") if base.exists() else []:
            if p.name.startswith(".") and (p.name.endswith(".tmp") or ".partial" in p.name):
                out.append(str(p.relative_to(w.project)))
    return out


def _manifest_consistent(w: World) -> list[str]:
    path = w.reports / "manifest.json"
    if not path.is_file():
        return ["no manifest.json"]
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        return [f"manifest.json unreadable ({exc})"]
    probs = []
    outputs = manifest.get("outputs", {})
    for rel, digest in outputs.items():
        f = w.project / rel
        if not f.is_file():
            probs.append(f"listed output missing: {rel}")
        elif hashlib.sha256(f.read_bytes()).hexdigest() != digest:
            probs.append(f"listed output differs: {rel}")
    if not (w.reports / "report.html").is_file():
        probs.append("no report.html")
    if not outputs:
        probs.append("manifest lists no outputs")
    return probs[:3]


# ----------------------------------------------------------------------- concurrency
@register(G, "concurrent", subnames=["second-run-refused", "first-run-completes"], heavy=True)
def concurrent(ctx: Ctx) -> list[Outcome]:
    w = ctx.world()
    raw_before = tree_state(w.raw_root)
    a, a_out, a_err, a_t0 = start_cli(w, RUN, tag="first")
    lock_seen = _wait_for(
        lambda: (
            (w.project / ".staging" / f"{STUDY}.lock.json").exists()
            or _stdout_has(a_out, "running ...")
        ),
        90,
    )
    time.sleep(0.3)
    b = run_cli(w, RUN, timeout=60, tag="second")
    pa = wait_cli(a, a_out, a_err, a_t0, timeout=400)
    probs = error_problems(b, [f"another run of {STUDY} is in progress (pid", f"pid {a.pid}"])
    if not lock_seen:
        probs.append("the first run never reached a stage (precondition)")
    if pa.rc == 0 and b.rc == 0:
        probs.append("both runs exited 0")
    first = (
        success_problems(pa)
        + [f"left behind: {x}" for x in _leftovers(w)]
        + _manifest_consistent(w)
    )
    if diff_states(raw_before, tree_state(w.raw_root)):
        first.append("data/raw changed")
    return [
        Outcome(
            "second-run-refused",
            not probs,
            "; ".join(probs) or f"exit 2: {b.first_err_line(100)}",
            b.seconds,
        ),
        Outcome(
            "first-run-completes",
            not first,
            "; ".join(first) or "exit 0, outputs consistent",
            pa.seconds,
        ),
    ]


# --------------------------------------------------------------------------- kills
def _kill_mid_run(w: World, *, whole_group: bool, sig: int = signal.SIGKILL):
    """Start a run, signal it once a parallel stage is running; return (proc, pid, when)."""
    proc, out, err, t0 = start_cli(w, RUN, tag="killed")
    parallel = re.compile(r"0[234]-[a-z]+\s+running")

    def exited() -> bool:  # without reaping it (wait_cli does, for its peak memory)
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None

    _wait_for(
        lambda: (
            exited() or bool(parallel.search(out.read_text(encoding="utf-8", errors="replace")))
        ),
        120,
    )
    ended_first = exited()
    reached = not ended_first and bool(
        parallel.search(out.read_text(encoding="utf-8", errors="replace"))
    )
    time.sleep(1.0)
    if whole_group:
        kill_group(proc.pid, sig)
    else:
        os.kill(proc.pid, sig)
    signalled = time.monotonic()
    p = wait_cli(proc, out, err, t0, timeout=180, reap_group=False)
    if not reached:
        tail = (p.err.strip().splitlines() or p.out.strip().splitlines() or [""])[-1]
        what = (
            "ended before a parallel stage started"
            if ended_first
            else ("reached no parallel stage in 120 s")
        )
        reached_note = f"the run to interrupt {what} (exit {p.rc}: {tail[:120]!r})"
        return p, proc.pid, reached_note, time.monotonic() - signalled
    return p, proc.pid, True, time.monotonic() - signalled


SIGKILL_SUBS = [
    "rerun-completes",
    "no-staging-left",
    "no-stale-kernel-folder",
    "outputs-consistent",
    "staging-link-target-intact",
    "raw-unchanged",
    "no-orphan-processes",
]


def _orphans(w: World, wait: float = 10.0) -> Outcome:
    """No process of the world's commands may outlive them (waits ``wait`` seconds)."""
    _wait_for(lambda: not w.processes(), wait, step=0.2)
    left = w.processes()
    details = []
    for pid in left[:3]:
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()[:80]
        except OSError:
            cmd = "?"
        details.append(f"{pid}: {cmd}")
    w.kill_leftovers()
    return Outcome(
        "no-orphan-processes",
        not left,
        f"{len(left)} still running {wait:.0f}s later: " + "; ".join(details)
        if left
        else "no process of the run left",
    )


def _sigkill_then_rerun(ctx: Ctx, whole_group: bool) -> list[Outcome]:
    w = ctx.world()
    raw_before = tree_state(w.raw_root)
    p, pid, reached, _ = _kill_mid_run(w, whole_group=whole_group)
    pre = [] if reached is True else [f"precondition: {reached}"]
    # a hostile leftover: a link in the killed run's staging folder to a folder outside
    staging = w.project / ".staging" / STUDY
    staging.mkdir(parents=True, exist_ok=True)
    link = staging / "zz-link"
    if not link.exists():
        os.symlink(w.victim / "precious", link)
    victim_before = tree_state(w.victim)
    if not whole_group:
        time.sleep(2.0)  # orphaned kernels of the killed runner may still be working
    r = run_cli(w, RUN, timeout=400, tag="rerun")
    out = []
    probs = pre + success_problems(r)
    out.append(
        Outcome(
            "rerun-completes",
            not probs,
            "; ".join(probs) or f"exit 0 in {r.seconds:.0f}s",
            r.seconds,
        )
    )
    left = _leftovers(w)
    out.append(
        Outcome("no-staging-left", not left, "; ".join(left) or "no .staging, no partial files")
    )
    ks = _ks_folders(w, pid)
    out.append(
        Outcome(
            "no-stale-kernel-folder",
            not ks,
            f"left: {ks[:2]}" if ks else f"no partner-study-ks-{pid}-* folder",
        )
    )
    cons = _manifest_consistent(w) if r.rc == 0 else ["rerun failed"]
    out.append(
        Outcome("outputs-consistent", not cons, "; ".join(cons) or "manifest matches every output")
    )
    d = diff_states(victim_before, tree_state(w.victim))
    out.append(
        Outcome("staging-link-target-intact", not d, d or "the linked folder outside is intact")
    )
    d = diff_states(raw_before, tree_state(w.raw_root))
    out.append(Outcome("raw-unchanged", not d, d or "data/raw unchanged"))
    out.append(_orphans(w))
    return out


@register(G, "sigkill-group", subnames=[f"sigkill-group-{s}" for s in SIGKILL_SUBS], heavy=True)
def sigkill_group(ctx: Ctx) -> list[Outcome]:
    res = _sigkill_then_rerun(ctx, whole_group=True)
    for o in res:
        o.name = f"sigkill-group-{o.name}"
    return res


@register(G, "sigkill-runner", subnames=[f"sigkill-runner-{s}" for s in SIGKILL_SUBS], heavy=True)
def sigkill_runner(ctx: Ctx) -> list[Outcome]:
    res = _sigkill_then_rerun(ctx, whole_group=False)
    for o in res:
        o.name = f"sigkill-runner-{o.name}"
    return res


@register(
    G,
    "sigint",
    subnames=[
        "sigint-exits-promptly",
        "sigint-no-staging-left",
        "sigint-no-kernel-folder-left",
        "sigint-no-orphan-processes",
    ],
    heavy=True,
)
def sigint(ctx: Ctx) -> list[Outcome]:
    w = ctx.world()
    raw_before = tree_state(w.raw_root)
    p, pid, reached, after = _kill_mid_run(w, whole_group=True, sig=signal.SIGINT)
    probs = [] if reached is True else [f"precondition: {reached}"]
    if diff_states(raw_before, tree_state(w.raw_root)):
        probs.append("data/raw changed")
    if p.timed_out:
        probs.append("did not exit (killed)")
    if p.rc == 0:
        probs.append("exit 0 after an interrupt")
    if "Traceback" in p.out or "Traceback" in p.err:
        probs.append("a Traceback was printed")
    if after > 20:
        probs.append(f"took {after:.0f}s to exit after the interrupt")
    left = _leftovers(w)
    ks = _ks_folders(w, pid)
    return [
        Outcome(
            "sigint-exits-promptly",
            not probs,
            "; ".join(probs) or f"exit {p.rc} {after:.1f}s after Ctrl-C: {p.first_err_line(60)}",
        ),
        Outcome("sigint-no-staging-left", not left, "; ".join(left) or "nothing left"),
        Outcome(
            "sigint-no-kernel-folder-left", not ks, f"left: {ks[:2]}" if ks else "nothing left"
        ),
        _renamed(_orphans(w), "sigint-no-orphan-processes"),
    ]


def _renamed(o: Outcome, name: str) -> Outcome:
    o.name = name
    return o


# ----------------------------------------------------------- another user, read-only
def _world_readable(w: World) -> None:
    for folder in (w.dir, *w.dir.parents):
        if str(folder) in ("/", "/tmp"):
            break
        os.chmod(folder, os.stat(folder).st_mode | 0o755)
    subprocess.run(["chmod", "-R", "a+rX", str(w.dir)], check=True)
    os.chmod(w.tmp, 0o1777)


PERM = re.compile(r"writ|permission|read-only|not allowed", re.I)
if os.geteuid() == 0:
    cli_case(
        G,
        "read-only-project-other-user-run",
        args=RUN,
        setup=_world_readable,
        user=NOBODY,
        mentions=[PERM],
    )
    cli_case(
        G,
        "read-only-project-other-user-validate",
        args=["validate", f"data/raw/{STUDY}"],
        setup=_world_readable,
        user=NOBODY,
        expect="ok",
        check=lambda w, p: (
            [] if "600 participants" in p.out else ["validate did not report the study"]
        ),
    )
    cli_case(
        G,
        "read-only-project-other-user-new-site",
        args=["new-site", "fresh"],
        setup=_world_readable,
        user=NOBODY,
        mentions=[PERM],
    )
    cli_case(
        G,
        "read-only-project-other-user-import",
        args=lambda w: [
            "import",
            "taguette",
            str(REPO / "tests/data/import/taguette/highlights_old.csv"),
            "--out",
            "data/raw/imported",
        ],
        setup=_world_readable,
        user=NOBODY,
        mentions=[PERM],
    )
else:

    def _read_only(w: World) -> None:
        subprocess.run(["chmod", "-R", "a-w", str(w.project)], check=True)

    cli_case(G, "read-only-project-run", args=RUN, setup=_read_only, mentions=[PERM])


# ---------------------------------------------------------------- machine limits
FSIZE = 256 * 1024


@register(G, "file-size-limit", heavy=True)
def file_size_limit(ctx: Ctx) -> Outcome:
    w = ctx.world()
    raw_before = tree_state(w.raw_root)
    victim_before = tree_state(w.victim)
    p = run_cli(w, RUN, timeout=300, fsize=FSIZE)
    probs = error_problems(
        p,
        [
            re.compile(r"ulimit|file size|too large", re.I),
            re.compile(r"(reports|processed|\.staging)/\S+"),
        ],
    )
    probs += [f"left behind: {x}" for x in _leftovers(w)]
    cut = [
        str(f.relative_to(w.project))
        for f in w.project.rglob("*")
        if f.is_file() and not f.is_symlink() and f.stat().st_size == FSIZE
    ]
    if cut:
        probs.append(f"truncated file(s) at the limit: {cut[:3]}")
    if diff_states(raw_before, tree_state(w.raw_root)):
        probs.append("data/raw changed")
    if diff_states(victim_before, tree_state(w.victim)):
        probs.append("victim changed")
    ok = f"exit 2: {p.first_err_line(100)}"
    return Outcome("file-size-limit", not probs, "; ".join(probs) or ok, p.seconds)


if os.geteuid() == 0:

    @register(G, "disk-full", heavy=True)
    def disk_full(ctx: Ctx) -> Outcome:
        w = ctx.world()
        target = w.project / "reports"
        target.mkdir()
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(target)],
            capture_output=True,
            text=True,
        )
        if mounted.returncode != 0:
            return Outcome(
                "disk-full",
                False,
                f"cannot mount a small tmpfs here: {mounted.stderr.strip()[:80]}",
            )
        w.mounts.append(target)
        raw_before = tree_state(w.raw_root)
        p = run_cli(w, RUN, timeout=300)
        probs = error_problems(p, [re.compile(r"space|disk|full", re.I)])
        probs += [f"left behind: {x}" for x in _leftovers(w)]
        if diff_states(raw_before, tree_state(w.raw_root)):
            probs.append("data/raw changed")
        return Outcome(
            "disk-full",
            not probs,
            "; ".join(probs) or f"exit 2: {p.first_err_line(100)}",
            p.seconds,
        )


# ------------------------------------------------------------------- command line
cli_case(G, "only-unknown-stage", args=[*RUN, "--only", "UNKNOWN"], mentions=["UNKNOWN"])
cli_case(
    G, "only-path-like-stage", args=[*RUN, "--only", "../../victim"], mentions=["../../victim"]
)
cli_case(
    G,
    "missing-notebook",
    args=RUN,
    setup=lambda w: (w.project / "notebooks" / "03-qualitative.ipynb").unlink(),
    mentions=["03-qualitative"],
)
cli_case(
    G,
    "notebooks-folder-missing",
    args=RUN,
    setup=lambda w: subprocess.run(["rm", "-r", str(w.project / "notebooks")], check=True),
    mentions=["notebooks"],
)


# ------------------------------------------------------------- hostile leftovers
def _forged_manifest(w: World) -> None:
    """A manifest (as an earlier run would leave it) whose stages list files outside the
    project and in data/raw as their previous outputs."""
    manifest = json.loads((REPO / "reports" / STUDY / "manifest.json").read_text(encoding="utf-8"))
    stage = manifest["stages"]["01-prepare"]
    stage["outputs"]["../victim/precious/thesis.txt"] = "0" * 64
    stage["outputs"][str(w.victim / "secret.txt")] = "0" * 64
    stage["outputs"][f"data/raw/{STUDY}/roster.csv"] = "0" * 64
    w.reports.mkdir(parents=True)
    (w.reports / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")


cli_case(
    G,
    "forged-manifest-lists-outside-files",
    args=RUN,
    setup=_forged_manifest,
    expect="error_or_ok",
    mentions=["manifest"],
    heavy=True,
    timeout=400,
)


def _deep_manifest(w: World) -> None:
    w.reports.mkdir(parents=True)
    (w.reports / "manifest.json").write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")


cli_case(
    G,
    "manifest-nested-200000",
    args=RUN,
    setup=_deep_manifest,
    expect="error_or_ok",
    mentions=["manifest"],
    heavy=True,
    timeout=400,
)


def _processed_link(w: World) -> None:
    w.processed.mkdir(parents=True)
    os.symlink(w.victim / "precious" / "thesis.txt", w.processed / "segments.parquet")


cli_case(
    G,
    "processed-file-symlink-outside",
    args=RUN,
    setup=_processed_link,
    expect="error_or_ok",
    mentions=["segments.parquet"],
    heavy=True,
    timeout=400,
)


def _long_tmpdir(w: World) -> dict:
    folder = w.dir / ("t" * 60) / ("m" * 60)
    folder.mkdir(parents=True, exist_ok=True)
    return {"TMPDIR": str(folder)}


cli_case(
    G,
    "long-tmpdir",
    args=RUN,
    env=_long_tmpdir,
    expect="error_or_ok",
    mentions=[re.compile("TMPDIR|temporary|too long", re.I)],
    heavy=True,
    timeout=400,
)


def _tmpdir_of(n: int):
    """A TMPDIR of exactly ``n`` characters (kernel sockets live in it: a unix socket path
    holds at most 107 bytes)."""

    def env(w: World) -> dict:
        base = str(w.tmp) + "/"
        folder = Path(base + "d" * (n - len(base)))
        folder.mkdir(parents=True, exist_ok=True)
        assert len(str(folder)) == n
        return {"TMPDIR": str(folder)}

    return env


for _n in (60, 68, 80):
    cli_case(
        G,
        f"tmpdir-{_n}-chars",
        args=RUN,
        env=_tmpdir_of(_n),
        expect="error_or_ok",
        mentions=[re.compile("TMPDIR|temporary|too long", re.I)],
        heavy=True,
        timeout=400,
    )
