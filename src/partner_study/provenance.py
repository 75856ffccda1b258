"""Provenance: file hashes, where a run's code and data come from, and the environment.

Layer 5. The manifest (``reports/<study>/manifest.json``) lists every input (raw data,
notebooks, the parameters file, the lock files) and every output with its sha256, the
parameters, the environment (Python and every installed distribution) and the commit
the inputs come from, with, for each kind of input, whether it differs from that commit
(:func:`git_state`). The report's footer states the same (:func:`report_provenance`);
:func:`partner_study.verify.verify` compares a rerun with the manifest.

Nothing recorded depends on the machine's name, the time, the project's location or
the state of ``reports/`` and ``data/processed/``: the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from partner_study.compare import changed_inputs, changed_packages
from partner_study.config import notebook_dir, package_dir
from partner_study.params import Params, params_hash

__all__ = [
    "KINDS",
    "STATES",
    "LOCK_FILES",
    "GIT_STATE_VARIABLE",
    "sha256_file",
    "sha256_files",
    "source_hash",
    "normalise_name",
    "package_versions",
    "environment",
    "read_manifest",
    "input_paths",
    "input_files",
    "git_state",
    "report_provenance",
    "manifest_changes",
]

#: The kinds of input whose state against the commit is recorded, in the order shown.
KINDS = ("code", "notebooks", "params", "lock", "data")

#: What a kind of input can be, against the commit:
#: ``clean`` (as committed), ``dirty`` (uncommitted changes or untracked files),
#: ``not in git`` (none of its files tracked; for code: the package imported is not the
#: project's ``src/``), ``partly in git`` (raw data with files git ignores, e.g. a roster)
#: and ``unknown`` (not a git checkout, or git missing).
STATES = ("clean", "dirty", "not in git", "partly in git", "unknown")

#: The pinned environment's files (the ``lock`` kind).
LOCK_FILES = ("requirements.lock", "environment.yml")

#: Environment variable holding a git state (JSON: ``commit``, ``state``) that
#: :func:`git_state` returns as it is. :func:`partner_study.verify.verify` sets it for
#: its rerun, which runs in a scratch folder outside the repository.
GIT_STATE_VARIABLE = "PARTNER_STUDY_GIT_STATE"

_COMMIT = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")


# --------------------------------------------------------------------------------- hashes
def sha256_file(path: Path | str, *, chunk: int = 1 << 20) -> str:
    """sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_files(paths: dict[str, Path]) -> dict[str, str]:
    """sha256 of each file, keyed as given."""
    return {key: sha256_file(p) for key, p in sorted(paths.items())}


def source_hash() -> str:
    """sha256 over the package's source files (names and bytes)."""
    h = hashlib.sha256()
    base = package_dir()
    for path in sorted(base.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".yaml", ".html", ".css", ".md"):
            h.update(str(path.relative_to(base)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


# --------------------------------------------------------------------------------- environment
def normalise_name(name: str) -> str:
    """A distribution's name as the package index compares them (PEP 503):
    lower case, runs of ``-``, ``_`` and ``.`` as one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def package_versions() -> dict[str, str]:
    """Every installed distribution (as this interpreter imports them) with its version,
    by normalised name, sorted. A distribution found twice on the path counts once, as
    the one imported (the first)."""
    out: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if not name:
            continue
        out.setdefault(normalise_name(str(name)), str(dist.version))
    return dict(sorted(out.items()))


def environment() -> dict[str, Any]:
    """Python, operating system, processor type and every installed distribution.

    Only what results can depend on: no host name, no kernel release, no path.
    """
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "system": platform.system(),
        "machine": platform.machine(),
        "packages": package_versions(),
    }


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest at ``path``, or an empty one when absent, unreadable or not a mapping
    (a manifest is data from disk: what it lists is checked again before it is used)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------------- inputs
def _relative(root: Path, path: Path | str) -> str:
    """``path`` relative to ``root``, with ``/`` (as given when it is not inside)."""
    full = Path(path) if Path(path).is_absolute() else Path(root) / path
    try:
        return full.resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def input_paths(root: Path | str, params: Params) -> dict[str, list[str]]:
    """The paths (relative to ``root``) of each kind of input of :data:`KINDS`.

    ``code``: ``src`` and ``pyproject.toml``; ``notebooks``: the notebook folder;
    ``params``: the parameters file; ``lock``: :data:`LOCK_FILES`; ``data``: the study's
    raw data folders. ``reports/`` and ``data/processed/`` are outputs, never inputs.
    """
    root = Path(root)
    return {
        "code": ["src", "pyproject.toml"],
        "notebooks": [_relative(root, notebook_dir(root))],
        "params": [_relative(root, params.source)],
        "lock": list(LOCK_FILES),
        "data": [_relative(root, folder) for folder in params.data],
    }


def input_files(root: Path | str, params: Params) -> dict[str, str]:
    """sha256 of the inputs besides the raw data: the notebooks, the parameters file and
    the lock files, by path relative to ``root``."""
    root = Path(root)
    files: dict[str, Path] = {}
    folder = notebook_dir(root)
    if folder.is_dir():
        for nb in sorted(folder.glob("*.ipynb")):
            if nb.is_file() and not nb.name.startswith("."):
                files[_relative(root, nb)] = nb
    source = Path(params.source)
    files[_relative(root, source)] = source if source.is_absolute() else root / source
    for name in LOCK_FILES:
        if (root / name).is_file():
            files[name] = root / name
    return sha256_files(files)


# --------------------------------------------------------------------------------- git
class _NoGit(Exception):
    """Not a git checkout, or git cannot be run."""


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "GIT_OPTIONAL_LOCKS": "0",  # reading never takes the index lock
        "GIT_LITERAL_PATHSPECS": "1",  # a path is a path, never a pattern
        "LC_ALL": "C",
    }
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            timeout=30,
            env=env,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise _NoGit(str(exc)) from None
    if check and proc.returncode != 0:
        raise _NoGit(proc.stderr.decode("utf-8", "replace"))
    return proc


def _listed(proc: subprocess.CompletedProcess) -> list[str]:
    return [p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def _belongs(path: str, specs: list[str]) -> bool:
    return any(path == s or path.startswith(s.rstrip("/") + "/") for s in specs)


def _override() -> dict[str, Any] | None:
    """The git state given by :data:`GIT_STATE_VARIABLE`, when it is one."""
    text = os.environ.get(GIT_STATE_VARIABLE)
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    commit, state = data.get("commit"), data.get("state")
    if not (commit is None or isinstance(commit, str) and _COMMIT.match(commit)):
        return None
    if not (isinstance(state, dict) and set(state) == set(KINDS)):
        return None
    if not all(state[k] in STATES for k in KINDS):
        return None
    return {"commit": commit, "state": {k: state[k] for k in KINDS}}


def _unknown() -> dict[str, Any]:
    return {"commit": None, "state": dict.fromkeys(KINDS, "unknown")}


def git_state(
    root: Path | str, params: Params, *, like: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The commit the study's inputs come from, and whether each kind differs from it.

    The commit is the last one (at or before ``HEAD``) that changed an input of
    :func:`input_paths`: commits that change only reports, processed data or documents
    leave it as it was, so a reference run committed after it was made (its manifest
    written before that commit) still names the commit it was made from, and a rerun on
    a later checkout names the same one.

    Parameters
    ----------
    root : path-like
        The project root.
    params : Params
        The study (its parameters file and raw data folders).
    like : mapping, optional
        A recorded state (a manifest's ``provenance``): when its commit is another one
        whose inputs are exactly the files of the working copy, that commit is named.

    Returns
    -------
    dict
        ``commit`` (40 hex digits, or None) and ``state``: for each kind of
        :data:`KINDS`, one of :data:`STATES`. Outside a git checkout (a tarball, git
        missing): commit None and every kind ``unknown``. :data:`GIT_STATE_VARIABLE`,
        when set to a valid state, is returned instead.
    """
    given = _override()
    if given is not None:
        return given
    try:
        return _git_state(Path(root), input_paths(root, params), like)
    except _NoGit:
        return _unknown()


def _git_state(
    root: Path, kinds: dict[str, list[str]], like: Mapping[str, Any] | None
) -> dict[str, Any]:
    if _git(root, "rev-parse", "--is-inside-work-tree").stdout.strip() != b"true":
        raise _NoGit("not a work tree")
    specs = [s for paths in kinds.values() for s in paths]
    head_proc = _git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False)
    head = head_proc.stdout.decode().strip() if head_proc.returncode == 0 else None
    commit = None
    if head:
        last = _git(root, "log", "-1", "--format=%H", "HEAD", "--", *specs)
        commit = last.stdout.decode().strip() or head
    recorded = like.get("commit") if isinstance(like, Mapping) else None
    if (
        commit is not None
        and isinstance(recorded, str)
        and recorded != commit
        and _COMMIT.match(recorded)
        and _same_inputs(root, recorded, specs)
    ):
        commit = recorded
    tracked = _listed(_git(root, "ls-files", "-z", "--", *specs))
    untracked = _listed(
        _git(root, "ls-files", "-z", "--others", "--exclude-standard", "--", *specs)
    )
    if commit is not None:
        changed = _listed(
            _git(root, "diff", "--name-only", "--relative", "-z", commit, "--", *specs)
        )
    else:  # no commit yet: whatever is tracked is uncommitted
        changed = tracked
    ignored = _listed(
        _git(
            root,
            "ls-files",
            "-z",
            "--others",
            "--ignored",
            "--exclude-standard",
            "--",
            *kinds["data"],
        )
    )
    state: dict[str, str] = {}
    for kind, paths in kinds.items():
        if not any(_belongs(p, paths) for p in tracked):
            state[kind] = "not in git"
        elif any(_belongs(p, paths) for p in (*changed, *untracked)):
            state[kind] = "dirty"
        elif kind == "data" and any(
            _belongs(p, paths) and not Path(p).name.startswith(".") for p in ignored
        ):
            state[kind] = "partly in git"
        else:
            state[kind] = "clean"
    if not package_dir().is_relative_to((root / "src").resolve()):
        state["code"] = "not in git"  # the package imported is not this project's
    return {"commit": commit, "state": state}


def _same_inputs(root: Path, commit: str, specs: list[str]) -> bool:
    """Whether the working copy's inputs are exactly those of ``commit``."""
    if _git(root, "cat-file", "-e", f"{commit}^{{commit}}", check=False).returncode != 0:
        return False
    if _git(root, "diff", "--quiet", commit, "--", *specs, check=False).returncode != 0:
        return False
    return not _listed(_git(root, "ls-files", "-z", "--others", "--exclude-standard", "--", *specs))


# --------------------------------------------------------------------------------- report
def report_provenance(root: Path | str, params: Params) -> dict[str, Any]:
    """What the report's footer states, as the manifest records it.

    Returns
    -------
    dict
        ``commit`` (or None) and ``state`` (:func:`git_state`); ``params_sha256`` (of the
        parameters as read, :func:`partner_study.params.params_hash`); ``source_sha256``
        (:func:`source_hash`); ``files``: sha256 of the notebooks, the parameters file
        and the lock files (:func:`input_files`); ``python``; ``packages``: how many
        distributions are installed (the manifest lists them with their versions);
        ``manifest``: where that list is, relative to the report.
    """
    git = git_state(root, params)
    return {
        "commit": git["commit"],
        "state": git["state"],
        "params_sha256": params_hash(params),
        "source_sha256": source_hash(),
        "files": input_files(root, params),
        "python": sys.version.split()[0],
        "packages": len(package_versions()),
        "manifest": "manifest.json",
    }


# --------------------------------------------------------------------------------- changes
def manifest_changes(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """What differs between a manifest and the inputs as they are now, one line each.

    Parameters
    ----------
    recorded : mapping
        The manifest (``inputs``, ``provenance``, ``environment``).
    current : mapping
        The same parts, as they are now.

    Returns
    -------
    list of str
        ``changed input: <path> (sha256 … in the manifest, … now)``, ``new input: …``,
        ``missing input: …``; ``changed input: package source (…)``; ``changed
        provenance: …`` (the commit, or a kind's state against it); ``changed
        environment: …`` (Python, operating system, packages). Empty when all agree.
        A manifest of an earlier format records only the raw files and a few packages:
        only those are compared, and a note says so.
    """
    lines: list[str] = []
    old_inputs = _mapping(recorded.get("inputs"))
    new_inputs = dict(current.get("inputs", {}))
    old_prov = recorded.get("provenance")
    if not isinstance(old_prov, Mapping):
        lines.append(
            "note: the manifest (an earlier format) records no hashes of the notebooks, "
            "parameters file, lock or package source, and no git state: only its raw "
            "inputs and packages are compared"
        )
        data = tuple(_mapping(recorded.get("parameters")).get("data") or ())
        new_inputs = {k: v for k, v in new_inputs.items() if _belongs(k, [str(d) for d in data])}
    lines += changed_inputs(old_inputs, new_inputs)
    prov = current.get("provenance", {})
    if isinstance(old_prov, Mapping):
        if old_prov.get("source_sha256") != prov.get("source_sha256"):
            lines.append(
                f"changed input: package source (sha256 {_short(old_prov.get('source_sha256'))} "
                f"in the manifest, {_short(prov.get('source_sha256'))} now)"
            )
        if old_prov.get("commit") != prov.get("commit"):
            lines.append(
                f"changed provenance: commit {_short(old_prov.get('commit'))} in the manifest, "
                f"{_short(prov.get('commit'))} now"
            )
        old_state, new_state = _mapping(old_prov.get("state")), prov.get("state", {})
        for kind in KINDS:
            if old_state.get(kind) != new_state.get(kind):
                lines.append(
                    f"changed provenance: {kind} {old_state.get(kind, 'not recorded')} in the "
                    f"manifest, {new_state.get(kind)} now (against the commit)"
                )
    old_env, env = _mapping(recorded.get("environment")), current.get("environment", {})
    for key in ("python", "implementation", "system", "machine"):
        if key in old_env and old_env.get(key) != env.get(key):
            lines.append(
                f"changed environment: {key} {old_env.get(key)} in the manifest, {env.get(key)} now"
            )
    old_packages = _mapping(old_env.get("packages"))
    packages = dict(env.get("packages", {}))
    if not isinstance(old_prov, Mapping):  # an earlier manifest listed a few packages only
        old_packages = {normalise_name(str(k)): v for k, v in old_packages.items()}
        packages = {k: v for k, v in packages.items() if k in old_packages}
    lines += [f"changed environment: {line}" for line in changed_packages(old_packages, packages)]
    return lines


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _short(value: Any) -> str:
    return f"{value[:12]}…" if isinstance(value, str) and len(value) > 12 else str(value)
