"""`corpusmill pdf` end to end: a zip, a folder with a scan, and a WARC with a PDF in one run."""
from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

from tests.conftest import FIXTURES, read_out
from tests.jobs.test_warc_job import DEMO, cli


def test_pdf_job_over_every_input_kind(tmp_path: Path) -> None:
    archive = tmp_path / "papers.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(FIXTURES / "pdf" / "ntgclass--brief-sample.pdf", "letters/brief.pdf")
        z.writestr("letters/not-a-pdf.pdf", b"<html>this is not a pdf</html>")
    scans = tmp_path / "scans"
    scans.mkdir()
    shutil.copy(FIXTURES / "layout" / "oup-template-p0004-degraded.jpg", scans / "page.jpg")
    out = tmp_path / "out"
    r = cli("pdf", str(archive), str(scans), str(DEMO), "-o", str(out), "--workers", "2", "--quiet")
    assert r.returncode == 0, r.stderr
    stats = json.loads((out / "stats.json").read_text())
    assert stats["input"] == stats["output"] + stats["dropped"] + stats["errors"]
    got = read_out(out)
    def kept(suffix: str) -> dict:
        return next(x for x in got["data"] if (x["source"].get("path") or "").endswith(suffix)
                    or (x["source"].get("member") or "").endswith(suffix))

    brief = kept("brief.pdf")
    assert {p["route"] for p in brief["pages"]} == {"text-layer"}
    assert brief["source"]["page_count"] == len(brief["pages"]) >= 1
    scan = kept("page.jpg")
    assert {p["route"] for p in scan["pages"]} == {"ocr"}
    assert "numbered, bulleted" in scan["text"]
    web_pdf = [v for v in got["data"] if v["media_type"] == "application/pdf" and v["source"].get("warc_file")]
    assert len(web_pdf) == 1 and web_pdf[0]["text"].strip()
    fake = [x for x in got["rejects"] if (x["source"].get("member") or "").endswith("not-a-pdf.pdf")]
    assert len(fake) == 1 and fake[0]["media_type"] != "application/pdf"
    # The WARC's web pages are accounted for too: named as having no parser in a PDF job.
    pages = [x for x in got["rejects"] if x["media_type"] == "text/html" and x["source"].get("http_status") == 200]
    assert pages and all(x["provenance"][-1]["reason"] == "media_gate:no_parser:text/html" for x in pages)
    assert all(x["provenance"][-1].get("reason") for x in got["rejects"])
