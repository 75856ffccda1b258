"""Kernels forked by the kernel server behave as kernels started the usual way."""

from __future__ import annotations

import os
import signal
import time

import pytest

from partner_study.kernels import ALL_ROUNDS, ForkedProcess, KernelServer, fork_supported
from partner_study.pipeline import KernelPool, _close_thread_event_loop

pytestmark = [
    pytest.mark.skipif(not fork_supported(), reason="kernels are forked on Linux only"),
    pytest.mark.xdist_group("kernels"),
]

PROBE = (
    "import sys, os, pandas as pd, matplotlib, partner_study.figures\n"
    "print(pd.get_option('display.max_columns'), matplotlib.get_backend(), os.getcwd())\n"
    "print('partner_study.models' in sys.modules, os.environ.get('PROBE_ENV'))\n"
    "print(os.environ.get('OPENBLAS_NUM_THREADS'), os.environ.get('OMP_NUM_THREADS'))\n"
)


def _run(km, code: str) -> tuple[list[str], list[dict]]:
    """stdout lines and display data of ``code`` run on ``km``'s kernel."""
    kc = km.client()
    kc.start_channels()
    out: list[str] = []
    shown: list[dict] = []

    def hook(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            out.extend(msg["content"]["text"].splitlines())
        elif msg["msg_type"] in ("display_data", "execute_result"):
            shown.append(msg["content"]["data"])

    try:
        kc.wait_for_ready(timeout=60)
        reply = kc.execute_interactive(code, timeout=120, output_hook=hook)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        kc.stop_channels()
    return out, shown


def _in_kernels(root, rounds: tuple[int, ...], code: str) -> list[tuple[list[str], list[dict]]]:
    """``code`` run in one pool kernel per preload round of ``rounds``, in order."""
    pool = KernelPool(root, len(rounds))
    results = []
    try:
        pool.reserve(list(rounds))
        for preload_round in rounds:
            km = pool.take(preload_round)
            try:
                results.append(_run(km, code))
            finally:
                km.shutdown_kernel(now=True)
                _close_thread_event_loop()
    finally:
        pool.close()
    return results


def _kernels(root, monkeypatch, fork: bool) -> list[tuple[list[str], list[dict]]]:
    monkeypatch.setenv("PARTNER_STUDY_FORK_KERNELS", "1" if fork else "0")
    monkeypatch.setenv("PROBE_ENV", "seen")
    return _in_kernels(  # the first forked after the first round
        root,
        (0, ALL_ROUNDS),
        PROBE + "import partner_study.figures as f\nfig = f.new_figure('single', 30)[0]\nfig",
    )


def test_forked_kernels_match_launched_kernels(tmp_path, monkeypatch, capfd):
    forked = _kernels(tmp_path, monkeypatch, fork=True)
    launched = _kernels(tmp_path, monkeypatch, fork=False)
    # nothing on the terminal from the server or the kernels (debugpy warned of frozen
    # modules when the server imported it without the kernels' environment)
    assert capfd.readouterr().err == ""
    for (out_f, shown_f), (out_l, shown_l) in zip(forked, launched, strict=True):
        # same pandas display width, backend, working folder and environment
        assert out_f[0] == out_l[0] == f"20 Agg {tmp_path}"
        assert out_f[1].endswith("seen") and out_l[1].endswith("seen")
        assert out_f[2] == out_l[2] == "1 1"  # numerical libraries on one thread
        # a returned figure shows as the same PNG in both
        assert [sorted(d) for d in shown_f] == [sorted(d) for d in shown_l]
        assert shown_f[-1]["image/png"] == shown_l[-1]["image/png"]
        assert shown_f[-1]["text/plain"] == "<Figure>"
    # kernels forked after the server's second import round have the analysis stack
    assert forked[1][0][1].startswith("True")
    assert forked[0][0][1].startswith("False")  # forked after the first round only


def test_kernel_forked_after_the_round_it_asks_for(tmp_path, monkeypatch):
    """02-describe's kernel (round 1) has the figure stack, not the statistics libraries
    (the server forks it before importing those); a later stage's has everything."""
    monkeypatch.setenv("PARTNER_STUDY_FORK_KERNELS", "1")
    probe = "import sys\nprint('matplotlib' in sys.modules, 'statsmodels' in sys.modules)"
    seen = [out for out, _ in _in_kernels(tmp_path, (1, ALL_ROUNDS), probe)]
    assert seen == [["True False"], ["True True"]]


def test_forked_kernel_is_interrupted_and_killed(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNER_STUDY_FORK_KERNELS", "1")
    pool = KernelPool(tmp_path, 1)
    try:
        km = pool.take()
        process = km.provisioner.process
        assert isinstance(process, ForkedProcess)
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            msg_id = kc.execute("import time; time.sleep(60)")
            time.sleep(0.5)
            km.interrupt_kernel()
            reply = kc.get_shell_msg(timeout=30)
            assert reply["parent_header"]["msg_id"] == msg_id
            assert reply["content"]["ename"] == "KeyboardInterrupt"
        finally:
            kc.stop_channels()
        assert process.poll() is None
        km.shutdown_kernel(now=True)
        assert process.wait(timeout=10) is not None  # the pidfd saw the kernel end
    finally:
        _close_thread_event_loop()
        pool.close()


def test_stage_kernel_is_shut_down_without_an_interrupt(tmp_path, monkeypatch):
    # An interrupt at shutdown could land while the kernel is leaving the last request's
    # handler; the kernel then logged "ERROR | KeyboardInterrupt caught in kernel".
    monkeypatch.setenv("PARTNER_STUDY_FORK_KERNELS", "1")
    pool = KernelPool(tmp_path, 1)
    try:
        km = pool.take()
        process = km.provisioner.process
        signals: list[int] = []
        send = km.provisioner.send_signal

        async def record(signum: int) -> None:
            signals.append(signum)
            await send(signum)

        km.provisioner.send_signal = record
        out, _ = _run(km, "print(6 * 7)")
        assert out == ["42"]
        km.shutdown_kernel()  # graceful: shutdown_request, as nbclient does after a stage
        assert signal.SIGINT not in signals
        assert process.wait(timeout=10) is not None
    finally:
        _close_thread_event_loop()
        pool.close()


def test_server_goes_away_on_close(tmp_path):
    server = KernelServer.start(tmp_path)
    assert server is not None
    server.close()
    assert server.process.poll() is not None
    assert not os.path.exists(server.address)
    assert not os.path.exists(os.path.dirname(server.address))


def test_server_socket_is_private(tmp_path):
    import stat

    server = KernelServer.start(tmp_path)
    assert server is not None
    try:
        folder = os.path.dirname(server.address)
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    finally:
        server.close()


def test_server_answers_a_malformed_request_and_goes_on(tmp_path):
    import json
    import socket

    server = KernelServer.start(tmp_path)
    assert server is not None
    try:
        for line in (b"[1, 2]\n", b'{"round": "late"}\n', b"not json\n"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(120)
                deadline = time.monotonic() + 60
                while True:
                    try:
                        sock.connect(server.address)
                        break
                    except (FileNotFoundError, ConnectionRefusedError):
                        assert time.monotonic() < deadline
                        time.sleep(0.05)
                sock.sendall(line)
                reply = json.loads(sock.makefile("rb").readline())
            assert "error" in reply and "pid" not in reply
        assert server.process.poll() is None  # still serving
    finally:
        server.close()
