"""Provenance: file hashes, the manifest, and the fingerprint of the code and environment.

Layer 5. The manifest (``reports/<study>/manifest.json``) lists every input and output
with its sha256, the parameters, package versions, Python, the git commit and stage
timings; :func:`partner_study.pipeline.verify` compares a rerun with it.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from partner_study.config import package_dir

__all__ = [
    "KEY_PACKAGES",
    "sha256_file",
    "sha256_files",
    "source_hash",
    "package_versions",
    "git_commit",
    "environment",
    "read_manifest",
    "CODE_PATHS",
    "code_commit",
    "report_provenance",
]

#: What the outputs are made from: a commit touching none of these leaves them as they are.
CODE_PATHS = ("src", "notebooks", "params", "data/raw", "requirements.lock", "pyproject.toml")

KEY_PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "matplotlib",
    "pyarrow",
    "papermill",
    "nbformat",
    "ipykernel",
    "pyyaml",
    "pillow",
    "openpyxl",
    "pyreadstat",
    "python-docx",
    "partner-study",
)


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


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that produce numbers and files."""
    out = {}
    for name in KEY_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def git_commit(root: Path) -> str | None:
    """The checked-out commit of ``root`` (with ``-dirty`` when tracked files changed)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def environment() -> dict[str, Any]:
    """Python, platform and package versions."""
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
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


def code_commit(root: Path) -> str | None:
    """The last commit that changed the code, parameters or raw data (:data:`CODE_PATHS`),
    with ``-dirty`` when they have uncommitted changes; ``PARTNER_STUDY_COMMIT`` overrides.

    Commits that change only reports or documents leave it unchanged, so a committed
    report still names the commit it was made from.
    """
    env = os.environ.get("PARTNER_STUDY_COMMIT")
    if env:
        return env
    paths = [p for p in CODE_PATHS if (Path(root) / p).exists()]
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "log", "-1", "--format=%H", "--", *paths],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "--", *paths],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (head + ("-dirty" if dirty else "")) if head else None


def report_provenance(root: Path, params_sha256: str) -> dict[str, Any]:
    """What the report footer states: code commit, parameters hash, Python, versions."""
    env = environment()
    return {
        "commit": code_commit(root) or "unknown (not a git checkout)",
        "params_sha256": params_sha256,
        "python": env["python"],
        "versions": env["packages"],
    }
