"""The run report renders in a real headless Chromium, offline, with its figures."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from corpusmill.config import job_from_config
from corpusmill.job import run_job
from corpusmill.progress import Progress
from tests.conftest import write_jsonl

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium binary (make test installs Debian's chromium)")


@pytest.fixture
def run_out(tmp_path: Path) -> Path:
    rows = [{"id": f"d{i}", "text": ("" if i % 9 == 0 else "Ein kurzer Satz über nichts. " * (1 + i % 40)),
             "language": "de"} for i in range(400)]
    inp = write_jsonl(tmp_path / "in.jsonl.gz", rows)
    out = tmp_path / "out"
    run_job(job_from_config({"reader": "corpus", "inputs": [str(inp)], "output": str(out),
                             "pipeline": [{"stage": "media_gate"}]}), Progress(quiet=True))
    return out


def test_report_renders_in_chromium_without_errors_or_network(run_out: Path, tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    report = run_out / "report.html"
    assert report.is_file()
    console_errors: list[str] = []
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console_errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        charts = page.locator("svg.chart")
        titles = [page.locator("section h2").nth(i).inner_text() for i in range(page.locator("section h2").count())]
        n_charts = charts.count()
        funnel_bars = page.locator("section").first.locator("rect").count()
        kpis = page.locator(".kpi b").all_inner_texts()
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert console_errors == []
    assert requests == [report.as_uri()], f"the report fetched something: {requests}"
    assert {"Funnel", "Drop reasons", "Text length, kept vs dropped", "Throughput", "Errors"} <= set(titles)
    assert n_charts >= 4
    assert funnel_bars >= 8  # 2 stages x 4 series
    assert kpis[0] == "400" and "balanced" in kpis
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_report_rebuilds_from_output_alone(run_out: Path) -> None:
    from corpusmill.cli import main

    (run_out / "report.html").unlink()
    assert main(["report", str(run_out)]) == 0
    html = (run_out / "report.html").read_text()
    assert "media_gate:empty_text" in html
    assert "<script" not in html and "http://" not in html and "https://" not in html


def test_the_funnel_shows_warc_records_that_are_not_documents_apart_from_drops(tmp_path: Path) -> None:
    import json
    import re

    from tests.jobs.test_warc_job import DEMO, cli

    out = tmp_path / "demo"
    r = cli("warc", str(DEMO), "-o", str(out), "--no-dedup", "--no-pii")
    assert r.returncode == 0, r.stderr
    stats = json.loads((out / "stats.json").read_text())
    reader = stats["stages"][0]["dropped"]
    not_docs = sum(n for reason, n in reader.items() if reason.startswith("warc_type:"))
    assert not_docs >= 2
    # The end-of-run summary says so too, and that the accounting holds.
    assert f"({not_docs} of them not documents" in r.stdout and "[ok]" in r.stdout
    html = (out / "report.html").read_text()
    kpis = dict((k, v) for v, k in re.findall(r'<div class="kpi"><b[^>]*>([^<]*)</b><span>([^<]*)</span>', html))
    assert kpis["not documents"] == f"{not_docs:,}"
    assert kpis["documents"] == f"{stats['input'] - not_docs:,}"
    assert kpis["dropped"] == f"{stats['dropped'] - not_docs:,}"
    assert "not documents: " in html.lower() and "warc_type:request" not in html.split("Drop reasons")[1]
    # The funnel has a "not documents" series whose reader bar holds them all.
    assert f"warc_reader not documents: {not_docs}" in html
