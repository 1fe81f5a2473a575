"""`corpusmill crawl` outcomes a user acts on: Ctrl-C, refused addresses re-judged on rerun."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from crawl_site import Site
from warcio.archiveiterator import ArchiveIterator

ROOT = Path(__file__).resolve().parents[3]
CLI = [sys.executable, "-m", "corpusmill.cli"]


def _archived_uris(out: Path) -> list[str]:
    uris = []
    for f in sorted((out / "warc").glob("*.warc.gz")):
        with open(f, "rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type == "response":
                    uris.append(rec.rec_headers.get_header("WARC-Target-URI"))
    return uris


def _site(site: Site, pages: int, delay: float) -> str:
    host = site.add_host()
    links = "".join(f'<li><a href="/p{i}">page {i}</a></li>' for i in range(pages))
    site.page(host, "/", f"<html><body><h1>Index</h1><ul>{links}</ul></body></html>")
    for i in range(pages):
        site.page(host, f"/p{i}", f"<html><body><h1>Page {i}</h1><p>Text of page number {i}.</p></body></html>",
                  delay=delay)
    site.start()
    return host


def test_ctrl_c_stops_the_crawl_without_processing_and_a_rerun_finishes(site: Site, tmp_path: Path) -> None:
    host = _site(site, 30, 0.15)
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"http://{host}/\n")
    out = tmp_path / "out"
    args = ["crawl", str(seeds), "-o", str(out), "--allow-private", "--delay", "0", "--concurrency", "1",
            "--render", "never", "--no-dedup"]
    proc = subprocess.Popen([*CLI, *args], cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while len([h for h in site.hits if h.path.startswith("/p")]) < 3:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - t0 < 10
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "run the same command again to resume" in err
    assert not (out / "data").exists(), "an interrupted crawl is not processed as if it had finished"
    first = _archived_uris(out)
    assert 3 <= len([u for u in first if "/p" in u]) < 30

    r = subprocess.run([*CLI, *args, "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    uris = _archived_uris(out)
    pages = sorted(u for u in uris if "/p" in u)
    assert pages == sorted(f"http://{host}/p{i}" for i in range(30)), "every page once, none twice"
    assert (out / "stats.json").exists()


def test_a_refused_seed_is_judged_again_with_allow_private(site: Site, tmp_path: Path) -> None:
    host = _site(site, 2, 0.0)
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"http://{host}/\n")
    out = tmp_path / "out"
    common = ["crawl", str(seeds), "-o", str(out), "--delay", "0", "--render", "never", "--quiet"]
    r = subprocess.run([*CLI, *common], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    assert "fetched nothing" in r.stderr and "--allow-private" in r.stderr and "Traceback" not in r.stderr
    assert not site.hits
    r = subprocess.run([*CLI, *common, "--allow-private"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"http://{host}/" in _archived_uris(out)
    assert any(h.path == "/" for h in site.hits)
