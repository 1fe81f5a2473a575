"""Ctrl-C: a real SIGINT to a real CLI run's process group stops it promptly, cleanly, resumably."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from tests.conftest import FIXTURES, ROOT, read_out

DEMO = FIXTURES / "warc" / "demo.warc.gz"


def _split_warc(src: Path, folder: Path, parts: int) -> list[Path]:
    """The demo WARC's gzip members dealt into `parts` files, in order (each record in one file)."""
    data = src.read_bytes()
    with open(src, "rb") as f:
        it = ArchiveIterator(f)
        offsets = []
        for _ in it:
            offsets.append(it.get_record_offset())
    ends = offsets[1:] + [len(data)]
    per = -(-len(offsets) // parts)
    folder.mkdir()
    files = []
    for k in range(parts):
        chunk = b"".join(data[a:b] for a, b in list(zip(offsets, ends))[k * per:(k + 1) * per])
        files.append(folder / f"part{k}.warc.gz")
        files[-1].write_bytes(chunk)
    return files


def _start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "corpusmill.cli", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def test_ctrl_c_stops_the_warc_job_and_a_rerun_completes_it(tmp_path: Path) -> None:
    inputs = _split_warc(DEMO, tmp_path / "in", 12)
    out = tmp_path / "out"
    args = ["warc", *map(str, inputs), "-o", str(out), "--no-dedup", "--workers", "1"]
    proc = _start(args)
    markers = out / "_markers" / "segment0"
    deadline = time.monotonic() + 120
    while not (markers.is_dir() and any(markers.glob("*.json"))):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - t0 < 10, "stopped promptly"
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "run the same command again to resume" in err
    done = len(list(markers.glob("*.json")))
    assert 1 <= done < len(inputs), "it stopped instead of working through the queued shards"
    assert not list(out.rglob(".*.tmp")), "nothing half-written is left"
    assert not (out / "stats.json").exists()
    # Only finished shards have output files.
    assert len(list((out / "data").glob("[!.]*"))) == done

    r = subprocess.run([sys.executable, "-m", "corpusmill.cli", *args, "--quiet"], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    got = read_out(out)
    ids = [rec["id"] for part in got.values() for rec in part]
    assert len(ids) == len(set(ids)) == 121  # every record of the demo WARC once
