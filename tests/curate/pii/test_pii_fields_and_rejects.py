"""PII outside `text`: page and PDF metadata, web URIs; and no raw text of unscrubbed records in rejects/.

Real runs of `corpusmill warc` and `corpusmill pdf` on files written here, checked on the bytes
of every file the run writes.
"""
from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pymupdf
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from corpusmill.curate.pii import PiiScrub
from corpusmill.explain import explain, render
from corpusmill.record import Record
from tests.conftest import read_out
from tests.jobs.test_warc_job import cli

EMAIL = "jane.roe@example.org"
PHONE = "(415) 555-0134"
PHONE_DE = "+49 30 1234 5678"
IBAN = "DE89 3704 0044 0532 0130 00"
SSN = "078-05-1120"
CARD = "4111 1111 1111 1111"
PROSE = ("The city library stays closed from the third to the fourteenth of June while the reading rooms "
         "are renovated. Books can be returned at the machine in the town hall, and loans are extended "
         "automatically. The new rooms will have more seats, longer opening hours and a quiet floor for "
         "study groups. ")
PAGE = f"""<html><head><title>Library team: Jane Roe {EMAIL}</title>
<meta name="author" content="Jane Roe, {PHONE_DE}">
<meta name="description" content="Write to {EMAIL} or call {PHONE}">
</head><body><article><p>{PROSE * 3}</p>
<p>For the schedule write to {EMAIL}.</p></article></body></html>"""
URI = f"https://example.org/team?contact={EMAIL}"


def _warc(path: Path) -> Path:
    """One page, and the same page at a second address: exact dedup drops it before the PII stage."""
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        for url in (URI, f"https://mirror.example.net/team?contact={EMAIL}&copy=1"):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(PAGE.encode()),
                                                http_headers=headers))
    return path


def _written(out: Path) -> str:
    """Everything the run wrote that a person or a training job reads, as text."""
    parts = []
    for f in sorted(out.rglob("*")):
        if f.is_file():
            data = f.read_bytes()
            parts.append((gzip.decompress(data) if f.name.endswith(".gz") else data).decode("utf-8", "replace"))
    return "\n".join(parts)


def _run_warc(tmp_path: Path, *extra: str) -> tuple[Path, dict[str, list[dict]]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = tmp_path / "out"
    r = cli("warc", str(_warc(tmp_path / "t.warc.gz")), "-o", str(out), "--preset", "none", "--quiet", *extra)
    assert r.returncode == 0, r.stderr
    return out, read_out(out)


def test_web_page_metadata_and_uri_are_scrubbed_and_the_edits_recorded(tmp_path: Path) -> None:
    out, got = _run_warc(tmp_path)
    [doc] = got["data"]
    for value in (EMAIL, PHONE, PHONE_DE, "Jane Roe"):
        assert value not in json.dumps(doc), value
    assert doc["metadata"]["title"] == "Library team: <PERSON> <EMAIL>"
    assert doc["source"]["uri"] == "https://example.org/team?contact=<EMAIL>"
    fields = {(e["field"], e["type"]) for e in doc["metadata"]["pii_fields"]}
    assert {("metadata.title", "EMAIL"), ("metadata.author", "PHONE"), ("metadata.description", "EMAIL"),
            ("metadata.description", "PHONE"), ("source.uri", "EMAIL")} <= fields
    for e in doc["metadata"]["pii_fields"]:  # positions are in the scrubbed value
        field, _, key = e["field"].partition(".")
        assert doc[field][key][e["start"]:e["end"]] == f"<{e['type']}>"
    pii = next(p for p in doc["provenance"] if p["stage"] == "pii")
    assert pii["action"] == "modified" and "source.uri (EMAIL)" in pii["detail"]
    assert pii["scores"]["EMAIL"] == 5  # text, title, description, canonical URL, URI
    # The duplicate was dropped before the PII stage: its rejects entry holds no raw text.
    [dup] = got["rejects"]
    assert dup["provenance"][-1]["stage"] == "exact_dedup" and dup["text"] == ""
    assert dup["metadata"]["text_withheld"]["chars"] == len(doc["text"].replace("<EMAIL>", EMAIL))
    assert {e["field"] for e in dup["metadata"]["pii_fields"]} >= {"metadata.title", "source.uri"}
    assert Record.from_dict(dup).reason.startswith("exact_dedup:")  # still why it is not in the corpus
    info = explain(out, dup["id"])
    assert info is not None and "withheld: " in render(info)
    assert {m["id"]: m["chars"] for m in info["cluster"]}[dup["id"]] == dup["metadata"]["text_withheld"]["chars"]
    written = _written(out)
    for value in (EMAIL, PHONE, PHONE_DE):
        assert value not in written, value


def test_rejects_text_scrub_and_raw_are_what_the_user_asked(tmp_path: Path) -> None:
    _, scrubbed = _run_warc(tmp_path / "scrub", "--rejects-text", "scrub")
    [dup] = scrubbed["rejects"]
    assert "<EMAIL>" in dup["text"] and EMAIL not in json.dumps(dup)
    _, raw = _run_warc(tmp_path / "raw", "--rejects-text", "raw")
    [dup] = raw["rejects"]
    assert EMAIL in dup["text"] and EMAIL in dup["source"]["uri"]   # asked for: kept as it was


def test_every_pdf_info_field_is_scrubbed(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_textbox(pymupdf.Rect(50, 50, 550, 800), PROSE * 4, fontsize=11)
    info = {"title": f"Statement for Jane Roe {EMAIL}", "author": f"Jane Roe {PHONE_DE}",
            "subject": f"Account {IBAN}", "keywords": f"SSN {SSN}", "creator": f"card {CARD}",
            "producer": f"call {PHONE}"}
    doc.set_metadata(info)
    doc.save(tmp_path / "in" / "statement.pdf")
    out = tmp_path / "out"
    r = cli("pdf", str(tmp_path / "in"), "-o", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    [rec] = read_out(out)["data"]
    for value in (EMAIL, PHONE, PHONE_DE, IBAN, SSN, CARD):
        assert value not in json.dumps(rec), value
    assert {e["type"] for e in rec["metadata"]["pii_fields"]} >= {"EMAIL", "PHONE", "IBAN", "US_SSN", "CREDIT_CARD"}
    assert {e["field"] for e in rec["metadata"]["pii_fields"]} == {f"metadata.{k}" for k in info}
    assert rec["metadata"]["subject"] == "Account <IBAN>"


@pytest.mark.parametrize("mode", ["drop", "annotate"])
def test_pii_only_in_a_field_counts_in_drop_and_annotate_modes(mode: str) -> None:
    rec = Record(id="a", text=PROSE, metadata={"title": f"Mail {EMAIL}", "language": "en"})
    [out] = list(PiiScrub(mode=mode)([rec]))
    assert out.metadata["pii"] == [] and out.metadata["pii_fields"][0]["field"] == "metadata.title"
    assert out.status == ("dropped" if mode == "drop" else "ok")
    assert out.metadata["title"] == f"Mail {EMAIL}"   # neither mode rewrites
    assert out.provenance[-1]["scores"] == {"EMAIL": 1}
