"""``geomon serve`` on a real Streamlit child and ``geomon health`` against it (GH issue 18).

The server test starts ``python -m geomon.cli serve`` as an operator's service manager would,
waits for the app, probes it with ``geomon health``, sends SIGTERM to ``geomon serve`` and checks
that its Streamlit child is gone too.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from geomon import config
from geomon.cli import main, serve

ROOT = Path(__file__).parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has stopped


@pytest.mark.parametrize(
    ("env", "want"),
    [({}, "localhost"), ({"GEOMON_ADDRESS": "0.0.0.0"}, "0.0.0.0"),
     ({"GEOMON_ADDRESS": "  "}, "localhost")],
)  # fmt: skip
def test_address_setting(env: dict[str, str], want: str) -> None:
    assert config.from_env(env).address == want


def test_command_line_listens_where_asked() -> None:
    cmd = serve.streamlit_command("0.0.0.0", 8080)
    assert "--server.address=0.0.0.0" in cmd and "--server.port=8080" in cmd
    assert cmd[1:4] == ["-m", "streamlit", "run"]
    # a served app does not watch its sources (the watcher walks every module per rerun)
    assert "--server.fileWatcherType=none" in cmd and "--server.runOnSave=false" in cmd


def test_health_without_an_app_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    port = _free_port()  # nothing listens there
    assert main(["health", "--url", f"http://127.0.0.1:{port}", "--json", "--timeout", "2"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["http_status"] == 0 and doc["status"] == "unreachable"
    assert main(["health", "--url", "ftp://x"]) == 2


@pytest.mark.slow
def test_serve_answers_health_and_stops_its_child_on_sigterm(tiny_store: Path, tmp_path) -> None:
    port = _free_port()
    env = {**os.environ, "GEOMON_STORE": str(tiny_store), "GEOMON_ADDRESS": "127.0.0.1",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "geomon.cli", "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        children = _children(proc.pid)
        assert len(children) == 1 and _alive(children[0])
        child_env = Path(f"/proc/{children[0]}/environ").read_bytes().split(b"\0")
        assert b"MALLOC_ARENA_MAX=2" in child_env  # two heaps: see geomon.cli.serve
        done = subprocess.run(
            [sys.executable, "-m", "geomon.cli", "health", "--url", base, "--json"],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        doc = json.loads(done.stdout)
        assert (doc["status"], doc["http_status"], doc["store"]) == ("ok", 200, str(tiny_store))

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0  # Streamlit stops cleanly on the forwarded SIGTERM
        deadline = time.monotonic() + 5
        while _alive(children[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(children[0])
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
