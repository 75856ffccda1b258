"""Harness of the hostile-input attack: throwaway worlds, the CLI as a subprocess, checks.

A *world* is a folder holding a minimal project copy (``project/``), sibling folders the
tool must never touch (``victim/``, ``inputs/``) and nothing else; its temporary folder
(``TMPDIR`` of the command) lives beside it, outside the hashed tree. Every case builds its
own world, mutates it, runs ``partner-study`` with a timeout and limits, and checks the
contract:

* a user or environment error exits 2, stderr starts with ``error:`` and holds ``Fix:``, no
  ``Traceback`` anywhere, and the message names what it must name;
* a failing command writes nothing: the tree of the whole world is the same before and after;
* ``data/raw/`` never changes;
* a command that must succeed exits 0 and the case's own safety property holds.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import resource
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
VENV_BIN = REPO / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
CLI: list[str] = (
    [str(VENV_BIN / "partner-study")]
    if (VENV_BIN / "partner-study").exists()
    else [PYTHON, "-m", "partner_study.cli"]
)
STUDY = "example"
MEM_LIMIT = 4 << 30  # RLIMIT_AS of every command (bytes)
NOBODY = 65534

# Set in each worker process by run.py (the folder holding template/ and cases/).
BASE: Path | None = None


# ----------------------------------------------------------------------------- results
@dataclass
class Outcome:
    """One checked property: ``name`` is the case name (or a sub-name of a batch)."""

    name: str
    ok: bool
    detail: str
    seconds: float | None = None


@dataclass
class Case:
    group: str
    name: str
    fn: Callable[[Ctx], list[Outcome] | Outcome]
    subnames: tuple[str, ...] = ()  # a batch case reports one outcome per sub-name
    heavy: bool = False  # runs the whole pipeline (scheduled first)

    @property
    def key(self) -> str:
        return f"{self.group}/{self.name}"

    def count(self) -> int:
        return len(self.subnames) or 1


REGISTRY: list[Case] = []


def register(group: str, name: str, *, subnames: Sequence[str] = (), heavy: bool = False):
    def deco(fn):
        REGISTRY.append(Case(group, name, fn, tuple(subnames), heavy))
        return fn

    return deco


# ------------------------------------------------------------------------------- world
def build_template(base: Path) -> Path:
    """Copy the minimal project and the victim folder once; cases copy the copy."""
    tpl = base / "template"
    project = tpl / "project"
    shutil.copytree(REPO / "notebooks", project / "notebooks")
    (project / "params").mkdir(parents=True)
    shutil.copy2(REPO / "params" / "example.yaml", project / "params" / "example.yaml")
    shutil.copytree(
        REPO / "data" / "raw" / STUDY,
        project / "data" / "raw" / STUDY,
        ignore=shutil.ignore_patterns("expected.txt"),
    )
    (project / "pyproject.toml").write_text("", encoding="utf-8")
    victim = tpl / "victim"
    (victim / "precious").mkdir(parents=True)
    (victim / "precious" / "thesis.txt").write_text("four years of work\n", encoding="utf-8")
    (victim / "staging" / STUDY).mkdir(parents=True)
    (victim / "staging" / STUDY / "keep.txt").write_text("not the tool's\n", encoding="utf-8")
    (victim / "reports").mkdir()
    (victim / "reports" / "keep.txt").write_text("not the tool's\n", encoding="utf-8")
    (victim / "empty").mkdir()
    shutil.copytree(project / "data" / "raw" / STUDY, victim / "raw")
    shutil.copy2(project / "data" / "raw" / STUDY / "codebook.yaml", victim / "codebook.yaml")
    shutil.copy2(project / "params" / "example.yaml", victim / "params.yaml")
    (tpl / "inputs").mkdir()
    return tpl


class World:
    """A throwaway world: ``root/{project,victim,inputs}`` plus ``tmp`` beside it."""

    def __init__(self, case_dir: Path) -> None:
        self.dir = case_dir
        self.root = case_dir / "world"
        # The command's TMPDIR: short, because kernels put unix sockets in it (a socket
        # path holds at most 107 bytes; a long TMPDIR is a case of its own).
        self.tmp = Path(tempfile.mkdtemp(prefix="pst", dir="/tmp"))
        self.logs = case_dir / "logs"
        assert BASE is not None, "harness.BASE is not set"
        shutil.copytree(BASE / "template", self.root, symlinks=True)
        self.logs.mkdir()
        self.secret = "SECRET-" + secrets.token_hex(8)
        (self.victim / "secret.txt").write_text(
            f"root:x:0:0:{self.secret}:/root:/bin/bash\n", encoding="utf-8"
        )
        self._runs = 0
        self.mounts: list[Path] = []

    # paths
    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def victim(self) -> Path:
        return self.root / "victim"

    @property
    def inputs(self) -> Path:
        return self.root / "inputs"

    @property
    def raw(self) -> Path:
        return self.project / "data" / "raw" / STUDY

    @property
    def raw_root(self) -> Path:
        return self.project / "data" / "raw"

    @property
    def params(self) -> Path:
        return self.project / "params" / f"{STUDY}.yaml"

    @property
    def reports(self) -> Path:
        return self.project / "reports" / STUDY

    @property
    def processed(self) -> Path:
        return self.project / "data" / "processed" / STUDY

    # params and codebook as documents
    def params_doc(self) -> dict:
        return yaml.safe_load(self.params.read_text(encoding="utf-8"))

    def write_params(self, doc: Any) -> None:
        self.params.write_text(dump(doc), encoding="utf-8")

    def codebook_doc(self) -> dict:
        return yaml.safe_load((self.raw / "codebook.yaml").read_text(encoding="utf-8"))

    def write_codebook(self, doc: Any) -> None:
        (self.raw / "codebook.yaml").write_text(dump(doc), encoding="utf-8")

    def processes(self) -> list[int]:
        """Processes started by this world's commands (they carry its unique TMPDIR)."""
        mark = f"TMPDIR={self.tmp}".encode()
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                with open(f"/proc/{entry}/environ", "rb") as fh:
                    env = fh.read().split(b"\0")
            except OSError:
                continue
            if mark in env:
                found.append(int(entry))
        return found

    def kill_leftovers(self) -> list[int]:
        """Kill (by id) every process this world's commands left running."""
        pids = self.processes()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        return pids

    def cleanup(self) -> None:
        self.kill_leftovers()
        for mount in reversed(self.mounts):
            subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)
        self.mounts.clear()
        shutil.rmtree(self.tmp, ignore_errors=True)


def dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=10_000)


def set_path(doc: dict, dotted: str, value: Any) -> dict:
    """Set ``a.b.c`` in a nested mapping (creating mappings on the way)."""
    parts = dotted.split(".")
    node = doc
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return doc


def del_path(doc: dict, dotted: str) -> dict:
    parts = dotted.split(".")
    node = doc
    for part in parts[:-1]:
        node = node[part]
    del node[parts[-1]]
    return doc


# ----------------------------------------------------------------------- tree hashing
def _file_digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tree_state(root: Path) -> dict[str, str]:
    """Every entry under ``root`` (not following links): type, mode, content hash or target."""
    out: dict[str, str] = {}
    if not os.path.lexists(root):
        return out
    root_s = str(root)
    for dirpath, dirnames, filenames in os.walk(root_s, followlinks=False):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root_s)
            try:
                st = os.lstat(full)
            except OSError as exc:
                out[rel] = f"unreadable:{exc.errno}"
                continue
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = "link:" + os.readlink(full)
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = f"dir:{mode:o}"
            elif stat.S_ISREG(st.st_mode):
                try:
                    out[rel] = f"file:{mode:o}:{st.st_size}:{_file_digest(full)}"
                except OSError as exc:
                    out[rel] = f"file:{mode:o}:{st.st_size}:unreadable:{exc.errno}"
            elif stat.S_ISFIFO(st.st_mode):
                out[rel] = f"fifo:{mode:o}"
            else:
                out[rel] = f"other:{st.st_mode:o}"
    return out


def diff_states(before: dict[str, str], after: dict[str, str], limit: int = 4) -> str:
    """A short description of what changed between two tree states ('' when nothing)."""
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    parts = []
    for label, items in (("added", added), ("removed", removed), ("changed", changed)):
        if items:
            shown = ", ".join(items[:limit]) + (
                f" (+{len(items) - limit})" if len(items) > limit else ""
            )
            parts.append(f"{label}: {shown}")
    return "; ".join(parts)


def sub_state(state: dict[str, str], prefix: str) -> dict[str, str]:
    """Entries of a world state under ``prefix`` (a relative folder, e.g. 'project/data/raw')."""
    pre = prefix.rstrip("/") + "/"
    return {k: v for k, v in state.items() if k.startswith(pre) or k == prefix}


def stray_writes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Entries a run added or changed anywhere but its study's output folders."""
    allowed = (f"project/reports/{STUDY}/", f"project/data/processed/{STUDY}/")
    parents = {
        "project/reports",
        "project/data/processed",
        f"project/reports/{STUDY}",
        f"project/data/processed/{STUDY}",
        "project/data",
    }
    # the runner's own record of the stages' times (orders the next run's stages)
    parents |= {"project/.staging", f"project/.staging/{STUDY}.timings.json"}
    out = []
    for key, value in after.items():
        if before.get(key) == value or key in parents or key.startswith(allowed):
            continue
        out.append(key)
    return sorted(out)


def outside_project(state: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in state.items() if not (k == "project" or k.startswith("project/"))}


# -------------------------------------------------------------------------- commands
@dataclass
class Proc:
    argv: list[str]
    rc: int | None
    out: str
    err: str
    seconds: float
    maxrss_mb: float
    timed_out: bool = False
    signal: int | None = None

    def first_err_line(self, n: int = 160) -> str:
        """The message's first line; when it only counts problems, the first problem too."""
        lines = [ln.strip() for ln in self.err.splitlines() if ln.strip()]
        if not lines:
            return ""
        text = lines[0]
        if len(lines) > 1 and text.endswith(":"):
            text = f"{text} {lines[1]}"
        return text[:n]


def _limits(fsize: int | None, mem: int | None) -> Callable[[], None]:
    def pre() -> None:
        if mem:
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return pre


def command_env(world: World, *, user: int | None = None, extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTNER_STUDY_")}
    env["TMPDIR"] = str(world.tmp)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONPATH", None)
    if user is not None:
        home = world.tmp / "home"
        home.mkdir(exist_ok=True)
        os.chmod(home, 0o777)
        env["HOME"] = str(home)
        env["MPLCONFIGDIR"] = str(home / "mpl")
    env.update(extra or {})
    return env


def start_cli(
    world: World,
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    user: int | None = None,
    fsize: int | None = None,
    mem: int | None = MEM_LIMIT,
    env_extra: dict | None = None,
    tag: str | None = None,
) -> tuple[subprocess.Popen, Path, Path, float]:
    """Start the CLI in its own session (its own process group); output goes to files."""
    world._runs += 1
    tag = tag or f"run{world._runs}"
    out_path = world.logs / f"{tag}.out"
    err_path = world.logs / f"{tag}.err"
    argv = [*CLI, *[str(a) for a in args]]
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--", *argv]
    with open(out_path, "wb") as out_fh, open(err_path, "wb") as err_fh:
        proc = subprocess.Popen(
            argv,
            cwd=str(cwd or world.project),
            stdin=subprocess.DEVNULL,
            stdout=out_fh,
            stderr=err_fh,
            env=command_env(world, user=user, extra=env_extra),
            preexec_fn=_limits(fsize, mem),
            start_new_session=True,
        )
    return proc, out_path, err_path, time.monotonic()


def kill_group(pgid: int, sig: int = signal.SIGKILL) -> None:
    """Signal the process group this harness created for one command (by its id)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def wait_cli(
    proc: subprocess.Popen,
    out_path: Path,
    err_path: Path,
    t0: float,
    *,
    timeout: float,
    reap_group: bool = True,
) -> Proc:
    """Wait for a started command (reaping it with wait4 for its peak memory)."""
    timed_out = False
    status = ru = None
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - t0 > timeout:
            timed_out = True
            kill_group(proc.pid)
            pid, status, ru = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    seconds = time.monotonic() - t0
    rc = os.waitstatus_to_exitcode(status)
    proc.returncode = rc
    if reap_group:
        kill_group(proc.pid)  # kernels or helpers the command left behind, if any
    sig = -rc if rc < 0 else None
    return Proc(
        argv=list(proc.args),
        rc=rc,
        out=out_path.read_bytes().decode("utf-8", "replace"),
        err=err_path.read_bytes().decode("utf-8", "replace"),
        seconds=seconds,
        maxrss_mb=(ru.ru_maxrss / 1024) if ru else 0.0,
        timed_out=timed_out,
        signal=sig,
    )


def run_cli(
    world: World, args: Sequence[str], *, timeout: float = 120, reap_group: bool = True, **kw: Any
) -> Proc:
    proc, out_path, err_path, t0 = start_cli(world, args, **kw)
    return wait_cli(proc, out_path, err_path, t0, timeout=timeout, reap_group=reap_group)


def lingering(world: World, grace: float = 5.0) -> list[str]:
    """Processes of the world's commands still running ``grace`` seconds after the command
    ended (then killed, by id)."""
    t0 = time.monotonic()
    while world.processes() and time.monotonic() - t0 < grace:
        time.sleep(0.1)
    out = []
    for pid in world.processes():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            cmd = "?"
        out.append(f"{pid} {cmd[-60:]}")
    world.kill_leftovers()
    return out


# ---------------------------------------------------------------------------- checks
Mention = str | re.Pattern


def _found(m: Mention, text: str) -> bool:
    if isinstance(m, re.Pattern):
        return m.search(text) is not None
    return m in text


def _shown(m: Mention) -> str:
    return f"/{m.pattern}/" if isinstance(m, re.Pattern) else repr(m)


def error_problems(
    p: Proc, mentions: Iterable[Mention] = (), forbidden: Iterable[Mention] = ()
) -> list[str]:
    """What is wrong with ``p`` as a user/environment error (empty list: nothing)."""
    probs: list[str] = []
    if p.timed_out:
        probs.append(f"timed out after {p.seconds:.0f}s (killed)")
    if p.rc != 2:
        probs.append(f"exit {p.rc}, expected 2")
    if not p.err.startswith("error:"):
        probs.append(f"stderr does not start with 'error:' ({p.first_err_line(90)!r})")
    if "Fix:" not in p.err:
        probs.append("no 'Fix:' in stderr")
    if "Traceback" in p.out or "Traceback" in p.err:
        probs.append("a Traceback was printed")
    for m in mentions:
        if not _found(m, p.err):
            probs.append(f"message lacks {_shown(m)}")
    for m in forbidden:
        if _found(m, p.err):
            probs.append(f"message holds {_shown(m)}")
    return probs


def success_problems(p: Proc) -> list[str]:
    probs: list[str] = []
    if p.timed_out:
        probs.append(f"timed out after {p.seconds:.0f}s (killed)")
    if p.rc != 0:
        probs.append(f"exit {p.rc}, expected 0 ({p.first_err_line(140)!r})")
    if "Traceback" in p.out or "Traceback" in p.err:
        probs.append("a Traceback was printed")
    return probs


def outcome(name: str, probs: list[str], ok_detail: str, seconds: float | None = None) -> Outcome:
    if probs:
        return Outcome(name, False, "; ".join(probs), seconds)
    return Outcome(name, True, ok_detail, seconds)


class Ctx:
    """What a case function receives: a factory of worlds (cleaned up by the runner)."""

    def __init__(self, case_dir: Path) -> None:
        self.case_dir = case_dir
        self.worlds: list[World] = []

    def world(self) -> World:
        folder = self.case_dir / f"w{len(self.worlds)}"
        folder.mkdir(parents=True)
        w = World(folder)
        self.worlds.append(w)
        return w

    def cleanup(self) -> None:
        for w in self.worlds:
            w.cleanup()


Setup = Callable[[World], Any] | None
Args = Sequence[str] | Callable[[World], Sequence[str]]
Check = Callable[[World, Proc], list[str]] | None


def cli_case(
    group: str,
    name: str,
    *,
    args: Args,
    setup: Setup = None,
    expect: str = "error",
    mentions: Sequence[Mention] | Callable[[World], Sequence[Mention]] = (),
    forbidden: Sequence[Mention] | Callable[[World], Sequence[Mention]] = (),
    check: Check = None,
    time_limit: float | None = None,
    timeout: float = 120,
    user: int | None = None,
    fsize: int | None = None,
    raw_ignore: str | None = None,
    heavy: bool = False,
    env: Callable[[World], dict] | None = None,
    confine: bool = False,
    max_err_bytes: int | None = None,
) -> None:
    """Register a case that runs one command and checks the contract.

    expect: ``error`` (exit 2, standard message, world unchanged), ``ok`` (exit 0, ``check``
    holds, nothing outside the project changed) or ``error_or_ok`` (either, each checked).
    """

    def fn(ctx: Ctx) -> Outcome:
        w = ctx.world()
        if setup is not None:
            setup(w)
        argv = list(args(w) if callable(args) else args)
        want = list(mentions(w) if callable(mentions) else mentions)
        avoid = list(forbidden(w) if callable(forbidden) else forbidden)
        before = tree_state(w.root)
        p = run_cli(
            w,
            argv,
            timeout=timeout,
            user=user,
            fsize=fsize,
            env_extra=env(w) if env else None,
            reap_group=False,
        )
        left = lingering(w)
        after = tree_state(w.root)
        probs: list[str] = []
        if left:
            probs.append(
                f"{len(left)} process(es) still running after the command ended: {left[:2]}"
            )
        raw_b = sub_state(before, "project/data/raw")
        raw_a = sub_state(after, "project/data/raw")
        if raw_ignore:  # a folder the command may create (an import's --out)

            def keep(k: str) -> bool:
                return not (k == raw_ignore or k.startswith(raw_ignore + "/"))

            raw_b = {k: v for k, v in raw_b.items() if keep(k)}
            raw_a = {k: v for k, v in raw_a.items() if keep(k)}
        raw_diff = diff_states(raw_b, raw_a)
        if raw_diff:
            probs.append(f"data/raw changed ({raw_diff})")
        mode = expect
        if expect == "error_or_ok":
            mode = "ok" if p.rc == 0 else "error"
        if mode == "error":
            probs += error_problems(p, want, avoid)
            d = diff_states(before, after)
            if d and not raw_diff:
                probs.append(f"world changed ({d})")
        else:
            probs += success_problems(p)
            d = diff_states(outside_project(before), outside_project(after))
            if d:
                probs.append(f"files outside the project changed ({d})")
            if confine:
                stray = stray_writes(before, after)
                if stray:
                    probs.append(
                        f"written outside reports/{STUDY} and data/processed/{STUDY}: {stray[:3]}"
                    )
            if check is not None and p.rc == 0:
                probs += check(w, p)
        if max_err_bytes is not None and len(p.err.encode()) > max_err_bytes:
            probs.append(f"message of {len(p.err.encode()):,} bytes, limit {max_err_bytes:,}")
        if time_limit is not None and p.seconds > time_limit:
            probs.append(f"took {p.seconds:.1f}s, limit {time_limit:.0f}s")
        ok_detail = (
            f"exit {p.rc}: {p.first_err_line(110)}"
            if p.rc
            else f"exit 0 (peak {p.maxrss_mb:.0f} MB)"
        )
        return outcome(name, probs, ok_detail, p.seconds)

    REGISTRY.append(Case(group, name, fn, (), heavy))


# ---------------------------------------------------------------------- text search
def folded(text: str) -> str:
    """Lower case, accents removed, every run of whitespace one space (for searching)."""
    import unicodedata

    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"[\s\u200b\u00a0]+", " ", text).lower()


def texts_of_tree(folder: Path) -> list[tuple[str, str]]:
    """Every readable text of the files under ``folder``: plain files decoded, JSON and
    notebooks with their strings decoded, zip-based documents (docx, xlsx) member by
    member, HTML with entities decoded. Figures in binary formats hold their text as
    glyphs, not characters: they are searched only as bytes decoded as UTF-8."""
    import html
    import json
    import zipfile

    out: list[tuple[str, str]] = []
    if not folder.exists():
        return out
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        rel = str(path)
        data = path.read_bytes()
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                for info in z.infolist():
                    if info.file_size < 50_000_000:
                        member = z.read(info).decode("utf-8", "replace")
                        out.append((f"{rel}:{info.filename}", member))
                        out.append(
                            (
                                f"{rel}:{info.filename}(unescaped)",
                                html.unescape(re.sub(r"<[^>]+>", "", member)),
                            )
                        )
            continue
        text = data.decode("utf-8", "replace")
        out.append((rel, text))
        if path.suffix in (".json", ".ipynb"):
            try:
                doc = json.loads(text)
            except ValueError:
                doc = None
            strings: list[str] = []
            _json_strings(doc, strings)
            out.append((f"{rel}(strings)", "\n".join(strings)))
        if path.suffix in (".html", ".htm", ".svg", ".xml", ".md"):
            out.append((f"{rel}(unescaped)", html.unescape(text)))
    return out


def _json_strings(node: Any, strings: list[str]) -> None:
    """Every string (keys too) of a JSON document, decoded, depth first."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            strings.append(item)
        elif isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            for k, v in reversed(list(item.items())):
                stack.append(v)
                stack.append(str(k))


def parquet_texts(folder: Path, *, skip_columns: Sequence[str] = ()) -> list[tuple[str, str]]:
    """String cells of every Parquet file under ``folder`` (one text per column)."""
    import pandas as pd

    out: list[tuple[str, str]] = []
    for path in sorted(folder.glob("*.parquet")):
        frame = pd.read_parquet(path)
        for col in frame.columns:
            if str(col) in skip_columns:
                continue
            series = frame[col]
            values = [v for v in series.tolist() if isinstance(v, str)]
            if values:
                out.append((f"{path}:{col}", "\n".join(values)))
        out.append((f"{path}:(column names)", "\n".join(map(str, frame.columns))))
    return out


def flexible(needle: str) -> re.Pattern:
    """A pattern for ``needle`` in folded text: whitespace runs match any whitespace or none
    between digits, everything else literally."""
    n = folded(needle)
    parts = re.split(r"( )", n)
    pat = "".join(r"\s*" if part == " " else re.escape(part) for part in parts)
    return re.compile(pat)


def where_found(pattern: re.Pattern, corpus: Iterable[tuple[str, str]]) -> list[str]:
    hits = []
    for source, text in corpus:
        if pattern.search(folded(text)):
            hits.append(source)
    return hits


def short_path(path: str, world: World) -> str:
    return path.replace(str(world.project) + "/", "")
