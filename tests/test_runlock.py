"""One run per study, errors of the machine as clear messages, and what killed runs leave."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import make_project
from partner_study.config import StudyPaths
from partner_study.errors import PartnerStudyError
from partner_study.runlock import study_lock


def test_a_second_run_stops_at_once_naming_the_first(tmp_path):
    root = make_project(tmp_path / "project")
    with study_lock(StudyPaths(root, "example")):
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "partner_study.cli", "run", "params/example.yaml"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert time.perf_counter() - t0 < 60
    assert proc.returncode == 2, proc.stderr
    assert f"another run of example is in progress (pid {os.getpid()}, started " in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (root / "reports").exists()
    assert not (root / ".staging").exists()  # the lock's files go with the lock


def test_other_studies_are_not_locked(tmp_path):
    root = tmp_path
    with study_lock(StudyPaths(root, "one")), study_lock(StudyPaths(root, "two")):
        with pytest.raises(PartnerStudyError, match="another run of one"):
            with study_lock(StudyPaths(root, "one")):
                pass


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path):
    code = (
        "import sys, time; from pathlib import Path\n"
        "from partner_study.config import StudyPaths\n"
        "from partner_study.runlock import study_lock\n"
        f"with study_lock(StudyPaths(Path({str(tmp_path)!r}), 'example')):\n"
        "    print('locked', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    with pytest.raises(PartnerStudyError, match=f"pid {proc.pid}"):
        with study_lock(StudyPaths(tmp_path, "example")):
            pass
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    with study_lock(StudyPaths(tmp_path, "example")):  # taken over, nothing to clear by hand
        assert (tmp_path / ".staging" / "example.lock").exists()
    assert not (tmp_path / ".staging").exists()


def test_stale_kernel_folders_of_dead_runners_are_removed():
    from partner_study.kernels import private_temp_folder, remove_stale_sockets

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = Path(tempfile.mkdtemp(prefix=f"partner-study-ks-{dead.pid}-"))
    (stale / "socket").write_text("", encoding="utf-8")
    mine = Path(private_temp_folder())  # this process is alive: kept
    try:
        removed = remove_stale_sockets()
        assert str(stale) in removed and not stale.exists()
        assert mine.exists()
    finally:
        os.rmdir(mine)


def test_environment_errors_in_a_stage_are_user_errors():
    from partner_study.pipeline import _environment_error, _StageFailure

    for code, words in ((errno.EFBIG, "file too large"), (errno.ENOSPC, "no space")):
        failure = _StageFailure(
            "OSError",
            f"[Errno {code}] {os.strerror(code)}: 'reports/x/tables/a.csv'",
            3,
            Path("/p/.staging/x/01-prepare/notebooks/01-prepare.ipynb"),
        )
        message = _environment_error(failure)
        assert message is not None and words in message and "reports/x/tables/a.csv" in message
    assert _environment_error(_StageFailure("ValueError", "x", 1, Path("a.ipynb"))) is None


def test_cli_turns_an_os_error_into_a_message(monkeypatch, capsys):
    from partner_study import cli

    def fail(args):
        raise PermissionError(errno.EACCES, "Permission denied", "reports/example/x.csv")

    monkeypatch.setattr(cli.commands, "_cmd_validate", fail)
    assert cli.main(["validate", "data/raw/example"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: reports/example/x.csv: found 'Permission denied'")
    assert "Fix: make it writable" in err


def test_a_read_only_project_fails_before_anything_runs(tmp_path, monkeypatch):
    from partner_study.pipeline import run_pipeline

    root = make_project(tmp_path / "project")
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(PartnerStudyError, match="a folder you may not write to"):
        run_pipeline(root / "params" / "example.yaml", root=root)
    assert not (root / "reports").exists() and not (root / ".staging").exists()


def test_a_move_across_file_systems_copies_then_renames(tmp_path, monkeypatch):
    from partner_study import pipeline

    src = tmp_path / "staged.csv"
    src.write_text("a\n1\n", encoding="utf-8")
    target = tmp_path / "out" / "final.csv"
    target.parent.mkdir()
    real = os.replace

    def replace(a, b):
        if Path(a) == src:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real(a, b)

    monkeypatch.setattr(pipeline.os, "replace", replace)
    pipeline._move(src, target)
    assert target.read_text(encoding="utf-8") == "a\n1\n" and not src.exists()
    assert [p.name for p in target.parent.iterdir()] == ["final.csv"]


_AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def _nobody_can_run_the_package() -> bool:
    """Another user can run this checkout's interpreter and package (not so when the
    checkout lives in a folder only its owner may enter)."""
    if os.geteuid() != 0:
        return False
    try:
        return (
            subprocess.run(
                [*_AS_NOBODY, sys.executable, "-c", "import partner_study.cli"],
                capture_output=True,
                timeout=60,
                cwd="/",
            ).returncode
            == 0
        )
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.mark.skipif(
    not _nobody_can_run_the_package(),
    reason="needs root, setpriv, and a checkout another user may read",
)
def test_a_project_another_user_owns_gives_a_message_not_a_traceback(tmp_path):
    root = make_project(tmp_path / "project")
    for folder in (tmp_path, *tmp_path.parents):
        if folder == Path("/"):
            break
        os.chmod(folder, os.stat(folder).st_mode | 0o005)
    proc = subprocess.run(
        [*_AS_NOBODY, sys.executable, "-m", "partner_study.cli", "run", "params/example.yaml"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert proc.returncode == 2, proc.stderr
    assert "you may not write to" in proc.stderr and "Traceback" not in proc.stderr
