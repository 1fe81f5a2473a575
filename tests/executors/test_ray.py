"""The Ray executor on a real local cluster: head + 2 worker nodes on 127.0.0.1."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'corpusmill[ray]'")

from corpusmill.config import job_from_config  # noqa: E402
from corpusmill.job import run_job  # noqa: E402
from corpusmill.progress import Progress  # noqa: E402
from tests.conftest import read_out, write_jsonl  # noqa: E402

RAY = str(Path(sys.executable).parent / "ray")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    port = _free_port()
    # A throwaway cluster on loopback: no usage stats, and no token auth (Ray 2.5x turns it on
    # when an earlier local ray.init left a token in ~/.ray, and then worker nodes cannot join).
    settings = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
    saved = {k: os.environ.get(k) for k in settings}
    os.environ.update(settings)  # the driver (ray.init in this process) must agree
    env = dict(os.environ)
    common = ["--node-ip-address", "127.0.0.1", "--disable-usage-stats"]
    for args in (["--head", "--port", str(port), "--num-cpus", "0", "--include-dashboard=false"],
                 ["--address", f"127.0.0.1:{port}", "--num-cpus", "1"],
                 ["--address", f"127.0.0.1:{port}", "--num-cpus", "1"]):
        r = subprocess.run([RAY, "start", *args, *common], env=env, capture_output=True, text=True)
        assert r.returncode == 0, f"ray start {' '.join(args)} failed:\n{r.stderr[-3000:]}"
    yield f"127.0.0.1:{port}"
    ray.shutdown()
    subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True)
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _inputs(tmp: Path, files: int, rows: int) -> list[str]:
    return [str(write_jsonl(tmp / f"in{f}.jsonl.gz",
                            [{"id": f"f{f}-{i}", "text": "" if i % 5 == 0 else f"words {f} {i} " * 4}
                             for i in range(rows)])) for f in range(files)]


def _rows(out: Path) -> dict[str, list[dict]]:
    got = read_out(out)
    return {k: sorted(v, key=lambda r: r["id"]) for k, v in got.items()}


def test_ray_output_identical_to_local(cluster: str, tmp_path: Path) -> None:
    inputs = _inputs(tmp_path, files=4, rows=500)
    base = {"reader": "corpus", "inputs": inputs, "workers": 2, "pipeline": [{"stage": "media_gate"}]}
    local = run_job(job_from_config({**base, "output": str(tmp_path / "local")}), Progress(quiet=True))
    remote = run_job(job_from_config({**base, "output": str(tmp_path / "ray"), "executor": "ray",
                                      "executor_options": {"address": cluster}}), Progress(quiet=True))
    assert remote.to_dict()["executor"] == "ray"
    assert (remote.input, remote.output, remote.dropped) == (local.input, local.output, local.dropped)
    assert _rows(tmp_path / "ray") == _rows(tmp_path / "local")


def test_worker_killed_mid_run_is_retried(cluster: str, tmp_path: Path) -> None:
    files, rows = 6, 40000
    inputs = _inputs(tmp_path, files=files, rows=rows)
    out = tmp_path / "out"
    killed: list[int] = []

    def kill_one_worker() -> None:
        # Wait until a shard task is running in a worker process, then kill that process.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            ps = subprocess.run(["pgrep", "-f", "ray::run_task"], capture_output=True, text=True)
            pids = [int(p) for p in ps.stdout.split()]
            if pids:
                time.sleep(0.3)
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    stats = run_job(job_from_config({"reader": "corpus", "inputs": inputs, "output": str(out),
                                     "workers": 2, "executor": "ray",
                                     "executor_options": {"address": cluster},
                                     "pipeline": [{"stage": "media_gate"}]}), Progress(quiet=True))
    killer.join()
    assert killed, "no worker process was seen running a task"
    assert stats.input == files * rows
    ids = [r["id"] for part in read_out(out).values() for r in part]
    assert len(ids) == len(set(ids)) == files * rows
    shutil.rmtree(out)
