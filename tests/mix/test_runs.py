"""`mix` and `pack` as runs: the same bytes on 1 or 2 workers (and on Ray), and after kill -9 or Ctrl-C + rerun."""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from corpusmill.mix import load_recipe
from corpusmill.mix.pack_command import run_pack
from corpusmill.mix.passes import RunOptions
from corpusmill.mix.sample import run_mix
from tests.conftest import ROOT, write_jsonl

WORDS = ("river market engine theory garden signal harbor lantern winter protein algebra museum "
         "copper violin desert orbit ledger canyon").split()


def _corpus(tmp: Path, files: int, docs: int) -> dict[str, Path]:
    """Three sources of `files` files each; `docs` documents a file, of 5 to 400 words."""
    rng = random.Random(11)
    sources = {}
    for s in ("web", "code", "books"):
        folder = tmp / s
        folder.mkdir()
        for f in range(files):
            write_jsonl(folder / f"part{f:02d}.jsonl.gz", [
                {"id": f"{s}{f}-{i}", "text": " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 400)))}
                for i in range(docs)])
        sources[s] = folder
    return sources


def _recipe(tmp: Path, sources: dict[str, Path], tokens: int, shard_tokens: int) -> Path:
    r = {"sources": {k: str(v) for k, v in sources.items()}, "domain": "source",
         "shares": {"web": 0.5, "code": 0.3, "books": 0.2}, "tokens": tokens, "tokenizer": "whitespace",
         "max_epochs": 3, "seed": 0, "output": str(tmp / "mix"), "shard_tokens": shard_tokens,
         "phases": [{"name": "main", "fraction": 0.8}, {"name": "anneal", "fraction": 0.2,
                                                        "shares": {"code": 0.7, "books": 0.3}}]}
    p = tmp / "recipe.yaml"
    p.write_text(yaml.safe_dump(r))
    return p


def _outputs(out: Path) -> dict[str, bytes]:
    """What a run writes for its users (markers hold timings and hosts, the run's own bookkeeping)."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and (p.parent == out / "data" or p.parent == out and p.name in ("manifest.json", "pack.json"))}


def _pack(out: Path, src: Path, options: RunOptions) -> None:
    run_pack([str(src)], out, 128, "cl100k_base", window_tokens=3000, options=options)


def test_worker_count_does_not_change_a_byte(tmp_path: Path) -> None:
    recipe = load_recipe(_recipe(tmp_path, _corpus(tmp_path, files=3, docs=60), tokens=60_000, shard_tokens=12_000))
    run_mix(recipe, options=RunOptions(workers=1, quiet=True))
    one = _outputs(tmp_path / "mix")
    assert len([n for n in one if n.startswith("data/mix-p00")]) >= 4
    run_mix(recipe, overwrite=True, options=RunOptions(workers=2, quiet=True))
    assert _outputs(tmp_path / "mix") == one
    _pack(tmp_path / "p1", tmp_path / "mix", RunOptions(workers=1, quiet=True))
    _pack(tmp_path / "p2", tmp_path / "mix", RunOptions(workers=2, quiet=True))
    packed = _outputs(tmp_path / "p1")
    assert len([n for n in packed if n.startswith("data/tokens-")]) >= 5
    assert _outputs(tmp_path / "p2") == packed


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "corpusmill.cli", *args]


def _stop_midway(cmd: list[str], markers: Path, sig: int) -> subprocess.Popen[str]:
    """Start `cmd`, and send `sig` to its process group once a task of the pass `markers` has finished.

    The run is started at the lowest priority: on a loaded machine the watcher must see the first
    marker before the run has finished the whole pass, or the stop lands after it."""
    proc = subprocess.Popen(cmd, cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, preexec_fn=lambda: os.nice(19))
    deadline = time.monotonic() + 300
    while not (markers.is_dir() and any(markers.glob("*.json"))):
        assert proc.poll() is None, f"the run ended before it could be stopped: {proc.communicate()}"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(proc.pid, sig)
    return proc


def _marker_times(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out / "_markers")): p.stat().st_mtime_ns for p in (out / "_markers").rglob("*.json")}


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_mix_and_pack_stopped_midway_resume_to_the_same_bytes(tmp_path: Path, sig: int) -> None:
    recipe = _recipe(tmp_path, _corpus(tmp_path, files=8, docs=300), tokens=800_000, shard_tokens=50_000)
    out = tmp_path / "mix"
    # The uninterrupted runs, on 2 workers, are the reference.
    assert subprocess.run(_cli("mix", str(recipe), "--workers", "2", "--quiet"), cwd=ROOT).returncode == 0
    ref_mix = _outputs(out)
    pack = _cli("pack", str(out), "-o", str(tmp_path / "packed"), "--seq-len", "256", "--tokenizer", "cl100k_base",
                "--window-tokens", "10000", "--quiet")
    assert subprocess.run(pack, cwd=ROOT).returncode == 0
    ref_pack = _outputs(tmp_path / "packed")
    shutil.rmtree(out)
    proc = _stop_midway(_cli("mix", str(recipe), "--quiet"), out / "_markers" / "mix:sample", sig)
    _, err = proc.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "run the same command again to resume" in err, err
        assert "Traceback" not in err
    done = _marker_times(out)
    sampled = [k for k in done if k.startswith("mix:sample/")]
    assert 0 < len(sampled) < 24, "stopped mid-pass"
    assert not (out / "manifest.json").exists()
    r = subprocess.run(_cli("mix", str(recipe), "--quiet"), cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert _outputs(out) == ref_mix, "no gap, no duplicate: the same bytes as an uninterrupted run"
    after = _marker_times(out)
    assert {k: after[k] for k in done} == done, "finished tasks were not redone"
    assert not list(out.rglob("*.tmp")) and not (out / "_work").exists()

    # pack, stopped in its window pass, then resumed.
    shutil.rmtree(tmp_path / "packed")
    proc = _stop_midway(pack, tmp_path / "packed" / "_markers" / "pack:window", sig)
    _, err = proc.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "Traceback" not in err, err
    done = _marker_times(tmp_path / "packed")
    assert 0 < len([k for k in done if k.startswith("pack:window/")]) < len([n for n in ref_pack if "tokens-" in n])
    assert not (tmp_path / "packed" / "pack.json").exists()
    r = subprocess.run(pack, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    got = _outputs(tmp_path / "packed")
    assert got == ref_pack
    after = _marker_times(tmp_path / "packed")
    assert {k: after[k] for k in done} == done


def test_ray_executor_writes_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'corpusmill[ray]'")
    # A private local Ray instance: no usage stats, no token auth (see tests/executors/test_ray.py).
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    recipe = load_recipe(_recipe(tmp_path, _corpus(tmp_path, files=2, docs=60), tokens=40_000, shard_tokens=10_000))
    run_mix(recipe, options=RunOptions(quiet=True))
    local = _outputs(tmp_path / "mix")
    _pack(tmp_path / "p_local", tmp_path / "mix", RunOptions(quiet=True))
    try:
        on_ray = RunOptions(workers=2, executor="ray", quiet=True)
        _pack(tmp_path / "p_ray", tmp_path / "mix", on_ray)
        manifest = run_mix(recipe, overwrite=True, options=on_ray)
    finally:
        ray.shutdown()
    assert manifest["run"]["executor"] == "ray"
    assert _outputs(tmp_path / "mix") == local
    assert _outputs(tmp_path / "p_ray") == _outputs(tmp_path / "p_local")
