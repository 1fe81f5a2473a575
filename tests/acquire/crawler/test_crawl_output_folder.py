"""A crawl's output folder: the user's files are never deleted, a moved folder resumes, one crawl at a time."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from crawl_site import Site
from warc_check import read_warcs

from corpusmill.acquire.crawler import CrawlConfig, crawl
from corpusmill.output_folder import OutputInUse

ROOT = Path(__file__).resolve().parents[3]
CLI = [sys.executable, "-m", "corpusmill.cli"]
PAGES = 12


def _chain(site: Site, delay: float = 0.0) -> str:
    """One host whose pages link in a chain: p0 -> p1 -> ... (a crawl stopped at N pages has p0..p(N-1))."""
    host = site.add_host()
    site.page(host, "/robots.txt", "", "text/plain")
    for n in range(PAGES):
        nxt = f'<a href="/p{n + 1}">next</a>' if n + 1 < PAGES else ""
        site.page(host, f"/p{n}", f"<html><body><h1>Page {n}</h1><p>Text of page {n}.</p>{nxt}</body></html>",
                  delay=delay)
    site.start()
    return host


def _config(max_pages: int) -> CrawlConfig:
    return CrawlConfig(max_pages=max_pages, max_depth=100, allow_private=True, delay=0.0, concurrency=2,
                       render="never", quiet=True)


def _pages(warc_dir: Path) -> Counter[str]:
    recs = read_warcs(sorted(warc_dir.glob("*.warc.gz")))
    return Counter(r.uri for r in recs if r.type == "response" and not r.uri.endswith("/robots.txt"))


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_crawl_into_a_folder_of_the_users_files_refuses_and_deletes_nothing(site: Site, tmp_path: Path) -> None:
    host = _chain(site)
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"http://{host}/p0\n")
    out = tmp_path / "archive"
    (out / "warc").mkdir(parents=True)
    (out / "warc" / "their-2019.warc.gz").write_bytes(b"a WARC the user made elsewhere")
    (out / "data").mkdir()
    (out / "data" / "00000.jsonl.gz").write_bytes(b"the user's corpus")
    (out / "rejects").mkdir()
    (out / "rejects" / "notes.txt").write_text("the user's notes")
    before = _tree(out)
    for extra in ([], ["--overwrite"]):
        r = subprocess.run([*CLI, "crawl", str(seeds), "-o", str(out), "--allow-private", "--render", "never",
                            "--quiet", *extra], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert "not written by corpusmill" in r.stderr and r.stderr.strip().count("\n") == 0, r.stderr
        assert _tree(out) == before
    assert not [h for h in site.hits if h.path.startswith("/p")], "nothing was fetched either"


def test_a_warc_the_crawl_did_not_write_survives_a_resume(site: Site, tmp_path: Path) -> None:
    host = _chain(site)
    out = tmp_path / "crawl"
    crawl([f"http://{host}/p0"], out, _config(4))
    theirs = out / "warc" / "added-by-hand.warc.gz"
    theirs.write_bytes(b"not ours")
    crawl([f"http://{host}/p0"], out, _config(PAGES))
    assert theirs.read_bytes() == b"not ours"


def test_a_moved_crawl_folder_resumes_with_its_first_warcs_and_every_page_once(site: Site, tmp_path: Path) -> None:
    host = _chain(site)
    first = crawl([f"http://{host}/p0"], tmp_path / "a", _config(5))
    assert first.pages_total_archived == 5
    first_warcs = sorted(p.name for p in (tmp_path / "a" / "warc").glob("*.warc.gz"))
    shutil.move(tmp_path / "a", tmp_path / "b")
    result = crawl([f"http://{host}/p0"], tmp_path / "b", _config(PAGES))
    warc_dir = tmp_path / "b" / "warc"
    assert set(first_warcs) <= {p.name for p in warc_dir.glob("*.warc.gz")}, "the first crawl's WARC is kept"
    pages = _pages(warc_dir)
    assert set(pages) == {f"http://{host}/p{n}" for n in range(PAGES)}, "no page lost"
    assert max(pages.values()) == 1, "none archived twice"
    assert result.pages_total_archived == PAGES and result.pages_archived == PAGES - 5


def test_a_second_crawl_says_who_holds_the_folder(site: Site, tmp_path: Path) -> None:
    host = _chain(site, delay=1.0)
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"http://{host}/p0\n")
    out = tmp_path / "out"
    args = ["crawl", str(seeds), "-o", str(out), "--allow-private", "--render", "never", "--delay", "0",
            "--max-depth", "100", "--quiet", "--no-dedup"]
    holder = subprocess.Popen([*CLI, *args], cwd=ROOT, start_new_session=True, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not [h for h in site.hits if h.path.startswith("/p")]:
            assert holder.poll() is None and time.monotonic() < deadline, holder.communicate()
            time.sleep(0.02)
        with pytest.raises(OutputInUse, match=f"pid {holder.pid}"):
            crawl([f"http://{host}/p0"], out, _config(PAGES))
        r = subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert "is in use" in r.stderr and f"pid {holder.pid}" in r.stderr and "corpusmill crawl" in r.stderr
        assert holder.poll() is None, "the refused crawls left the running one alone"
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()
    # kill -9 released the lock: the same command resumes and finishes, every page once.
    r = subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    pages = _pages(out / "warc")
    assert set(pages) == {f"http://{host}/p{n}" for n in range(PAGES)} and max(pages.values()) == 1
