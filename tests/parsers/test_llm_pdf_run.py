"""`corpusmill pdf` with the LLM fallback against a real server on 127.0.0.1: concurrency and budget hold."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pymupdf

from tests.conftest import ROOT, read_out
from tests.parsers.test_llm_fallback import server  # noqa: F401 - the fixture

PAGES = 6


def _formula_pdf(path: Path) -> None:
    """Formula-dense pages (routed to the LLM); each page's text names the server's scenario and the page."""
    doc = pymupdf.open()
    for n in range(PAGES):
        page = doc.new_page()
        for i in range(12):
            page.insert_text((40, 60 + 20 * i), "a + b = c * d / e - f < g > h", fontsize=10, fontname="Symbol")
        page.insert_text((40, 400), f"where the letters are numbers SCENARIO:busy page{n}", fontsize=10)
    doc.save(path)


def test_pdf_run_honours_llm_concurrency_and_page_budget(server, tmp_path: Path) -> None:  # noqa: F811
    (tmp_path / "in").mkdir()
    _formula_pdf(tmp_path / "in" / "formulas.pdf")
    endpoint = f"http://127.0.0.1:{server.server_address[1]}/v1"
    r = subprocess.run([sys.executable, "-m", "corpusmill.cli", "pdf", str(tmp_path / "in"), "-o",
                        str(tmp_path / "out"), "--llm-endpoint", endpoint, "--llm-model", "test-vlm",
                        "--llm-concurrency", "3", "--llm-budget-pages", "4", "--no-dedup", "--no-pii", "--quiet"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert len(server.requests) == 4, "the page budget stops requests"
    assert server.max_in_flight == 3, "pages go to the server concurrently, at most --llm-concurrency"
    (rec,) = read_out(tmp_path / "out")["data"]
    routes = [p["route"] for p in rec["pages"]]
    assert routes.count("llm") == 4 and routes.count("text-layer") == 2
    over = [p for p in rec["pages"] if p["route"] == "text-layer"]
    assert all("LLM failed (budget_pages)" in p["route_reason"] for p in over)
    for p in rec["pages"]:
        if p["route"] == "llm":
            assert f"page{p['number'] - 1}" in rec["text"]


MISBEHAVIOURS = ["emptybody", "listbody", "badusage", "hang", "trickle", "retry500", "good"]


def test_pdf_run_keeps_text_layer_when_the_llm_server_misbehaves(server, tmp_path: Path) -> None:  # noqa: F811
    """Each page meets another broken answer; every page keeps its text, the run stays in its budget."""
    (tmp_path / "in").mkdir()
    doc = pymupdf.open()
    for n, scenario in enumerate(MISBEHAVIOURS):
        page = doc.new_page()
        for i in range(12):
            page.insert_text((40, 60 + 20 * i), "a + b = c * d / e - f < g > h", fontsize=10, fontname="Symbol")
        page.insert_text((40, 400), f"where the letters are numbers SCENARIO:{scenario} page{n}", fontsize=10)
    doc.save(tmp_path / "in" / "formulas.pdf")
    endpoint = f"http://127.0.0.1:{server.server_address[1]}/v1"
    # A page gets 8 s: the LLM may take 6 s of it (all attempts and waits), the rest keeps the text layer.
    r = subprocess.run([sys.executable, "-m", "corpusmill.cli", "pdf", str(tmp_path / "in"), "-o",
                        str(tmp_path / "out"), "--llm-endpoint", endpoint, "--llm-model", "test-vlm",
                        "--llm-concurrency", str(len(MISBEHAVIOURS)), "--page-timeout", "8",
                        "--no-dedup", "--no-pii", "--quiet"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = read_out(tmp_path / "out")
    assert out["rejects"] == []
    (rec,) = out["data"]
    pages = {p["number"]: p for p in rec["pages"]}
    for n, scenario in enumerate(MISBEHAVIOURS):
        page = pages[n + 1]
        assert f"page{n}" in rec["text"], scenario              # the page's text is in the document
        if scenario in ("badusage", "good"):
            assert page["route"] == "llm", (scenario, page["route_reason"])
        else:
            assert page["route"] == "text-layer", (scenario, page["route_reason"])
            assert page["llm_failed"] and "LLM failed" in page["route_reason"], scenario
    assert pages[MISBEHAVIOURS.index("retry500") + 1]["llm_failed"] == "http_500; page budget spent"
    assert server.hits["retry500"] == 1                            # no retry sleeps past the budget
    parsed = next(p for p in rec["provenance"] if p["stage"] == "pdf_parse")
    assert parsed["scores"]["pages_llm_failed"] == 5 and parsed["scores"]["pages_failed"] == 0
