"""A real ``tensorboard --logdir`` server serves ember's scalars and graph over its HTTP API."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

import ember
import ember.nn as nn

pytest.importorskip("tensorboardX")
pytest.importorskip("tensorboard")
from ember.utils.tensorboard import SummaryWriter  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return r.read()


def test_tensorboard_serves_scalars_and_graph(tmp_path):
    with SummaryWriter(str(tmp_path / "run1")) as w:
        for step in range(3):
            w.add_scalar("loss", 1.0 / (step + 1), step)
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
        w.add_graph(model, ember.randn(2, 3))
    port = _free_port()
    cmd = [sys.executable, "-m", "tensorboard.main", "--logdir", str(tmp_path)]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--load_fast", "false"]
    cmd += ["--reload_interval", "1"]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 30
        tags = {}
        while time.monotonic() < deadline and not tags.get("run1"):
            if proc.poll() is not None:
                pytest.fail(f"tensorboard exited: {proc.stdout.read().decode()[-2000:]}")
            try:
                tags = json.loads(_get(port, "/data/plugin/scalars/tags"))
            except OSError:
                pass
            time.sleep(0.3)
        assert "loss" in tags.get("run1", {}), f"no scalars served within 30 s: {tags}"
        series = json.loads(_get(port, "/data/plugin/scalars/scalars?run=run1&tag=loss"))
        assert [(s, v) for _, s, v in series] == [
            (0, 1.0),
            (1, 0.5),
            (2, pytest.approx(1 / 3)),
        ]
        assert json.loads(_get(port, "/data/plugin/graphs/info"))["run1"]["run_graph"] is True
        graph = _get(port, "/data/plugin/graphs/graph?run=run1").decode()
        for name in ("input/input.0", "Sequential/0/weight", "Sequential/1/Relu_0"):
            assert f'name: "{name}"' in graph
        assert "size: 4" in graph  # the shapes on the edges
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
