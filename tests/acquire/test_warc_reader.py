"""WarcReader on sound archives: the dev WARC against its manifest, the real samples, the demo fixture."""
from __future__ import annotations

import collections
import gzip
import hashlib
import json
import zlib
from pathlib import Path

import pytest

from corpusmill.acquire.warc_reader import WarcReader
from corpusmill.record import Record, stable_id

ROOT = Path(__file__).resolve().parents[2]
SHARED_WARC = ROOT / ".." / "shared" / "corpora" / "warc"
DEMO = ROOT / "fixtures" / "warc" / "demo.warc.gz"
needs_shared = pytest.mark.skipif(not (SHARED_WARC / "dev.warc.gz").exists(),
                                  reason="shared/corpora/warc not present beside the project")


def gzip_members(data: bytes) -> list[tuple[int, bytes]]:
    """(offset, compressed bytes) of each gzip member, found independently of the reader."""
    out, pos = [], 0
    while pos < len(data):
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        d.decompress(data[pos:])
        end = len(data) - len(d.unused_data)
        out.append((pos, data[pos:end]))
        pos = end
    return out


def status_key(r: Record) -> tuple:
    return (r.source.get("warc_type"), r.status, r.reason if r.status != "ok" else None)


@needs_shared
def test_dev_warc_every_record_accounted_for() -> None:
    manifest = [json.loads(line) for line in (SHARED_WARC / "dev.manifest.jsonl").open()]
    records = list(WarcReader().read(SHARED_WARC / "dev.warc.gz"))
    assert len(records) == len(manifest) == 3413
    by_offset = {r.source["warc_offset"]: r for r in records}
    assert sorted(by_offset) == sorted(m["offset"] for m in manifest)
    assert len({r.id for r in records}) == len(records)

    expected = collections.Counter()
    for m in manifest:
        if m["warc_type"] != "response":
            expected[(m["warc_type"], "dropped", f"warc_type:{m['warc_type']}")] += 1
        elif m["http_status"] == 200:
            expected[("response", "ok", None)] += 1
        else:
            expected[("response", "dropped", f"http_status:{m['http_status']}")] += 1
    assert collections.Counter(status_key(r) for r in records) == expected

    for m in manifest:
        r = by_offset[m["offset"]]
        assert r.source["warc_record_id"] == m["record_id"]
        assert r.source["warc_type"] == m["warc_type"]
        assert r.id == stable_id("dev.warc.gz", str(m["offset"]))
        if m["warc_type"] == "response":
            assert r.source["payload_sha1"] == m["payload_sha1"], m["offset"]
            assert r.source["http_status"] == m["http_status"]
            assert r.source["charset"] == m["charset_http"]
            assert r.source["content_type"] == m["content_type_header"]
            assert r.source["content_encoding"] == m["content_encoding"]
            assert r.source["uri"] == m["target_uri"]
            assert r.source["fetch_time"] == m["warc_date"]
            if r.ok:
                assert hashlib.sha1(r.content).hexdigest() == m["payload_sha1"]
                assert len(r.content) == m["payload_bytes"]
    media = collections.Counter(r.media_type for r in records if r.ok)
    assert media == {"text/html": 1120, "application/pdf": 5, "image/png": 3, "text/plain": 1}


def test_demo_fixture_offsets_seek_to_their_records() -> None:
    data = DEMO.read_bytes()
    members = gzip_members(data)
    records = list(WarcReader().read(DEMO))
    assert 100 <= len(records) == len(members) <= 150
    assert [r.source["warc_offset"] for r in records] == [off for off, _ in members]
    for r, (_, member) in zip(records, members, strict=True):
        header = gzip.decompress(member).split(b"\r\n\r\n", 1)[0].decode()
        assert f"WARC-Record-ID: {r.source['warc_record_id']}" in header
    statuses = collections.Counter(status_key(r) for r in records)
    assert statuses[("response", "dropped", "http_status:404")] >= 1
    assert statuses[("response", "dropped", "http_status:301")] >= 1
    kinds = {r.media_type for r in records if r.ok}
    assert {"text/html", "application/pdf", "image/png", "text/plain"} <= kinds
    gz = [r for r in records if r.source.get("content_encoding") == "gzip" and r.ok]
    assert gz and all(r.content.lstrip().lower().startswith((b"<!doctype", b"<html", b"<?xml")) for r in gz)
    assert any(r.source.get("charset") not in (None, "utf-8") for r in records if r.ok)


def test_ok_records_carry_payload_and_provenance() -> None:
    for r in WarcReader().read(DEMO):
        if r.ok:
            assert r.content and r.source["payload_sha1"] == hashlib.sha1(r.content).hexdigest()
            assert r.provenance[0]["stage"] == "warc_reader" and r.provenance[0]["action"] == "extracted"
            assert r.source["fetch_time"].endswith("Z")
        else:
            assert r.content is None and r.reason


def test_plain_and_whole_file_gzip_read_like_record_gzip(tmp_path: Path) -> None:
    members = gzip_members(DEMO.read_bytes())
    plain = b"".join(gzip.decompress(m) for _, m in members)
    (tmp_path / "demo.warc").write_bytes(plain)
    (tmp_path / "whole.warc.gz").write_bytes(gzip.compress(plain))
    base = [status_key(r) for r in WarcReader().read(DEMO)]
    ids = [r.source["warc_record_id"] for r in WarcReader().read(DEMO)]
    from_plain = list(WarcReader().read(tmp_path / "demo.warc"))
    from_whole = list(WarcReader().read(tmp_path / "whole.warc.gz"))
    assert [status_key(r) for r in from_plain] == base == [status_key(r) for r in from_whole]
    assert [r.source["warc_record_id"] for r in from_plain] == ids == [r.source["warc_record_id"] for r in from_whole]
    # Ids come from the file and the offset: the same record in two files is two records of a run.
    assert [r.id for r in from_plain] == [stable_id("demo.warc", str(r.source["warc_offset"])) for r in from_plain]
    assert not {r.id for r in from_plain} & {r.id for r in from_whole}
    # Plain offsets are file positions; whole-file gzip offsets are decompressed positions.
    for r in from_plain:
        assert plain[r.source["warc_offset"]:].startswith(b"WARC/1.1\r\n")
    assert [r.source["warc_offset"] for r in from_whole] == [r.source["warc_offset"] for r in from_plain]
    assert all(r.source["warc_offset_in"] == "decompressed" for r in from_whole)


@needs_shared
@pytest.mark.parametrize("name, total, ok", [
    ("cc-main-2020-34_excerpt.resiliparse-tests.warc.gz", 50, 16),
    ("cc-main-2024-22_single-page.whirlwind.warc.gz", 4, 1),
    ("clueweb09-ja_quirks.resiliparse-tests.warc.gz", 30, 29),
    ("wget-2024_sample-0000.dolma-tests.warc.gz", 48, 22),
    ("wget-2024_sample-0001.dolma-tests.warc.gz", 34, 15),
])
def test_real_samples(name: str, total: int, ok: int) -> None:
    records = list(WarcReader().read(SHARED_WARC / "real_samples" / name))
    assert len(records) == total
    assert sum(r.ok for r in records) == ok
    assert not [r.reason for r in records if r.status == "error"]
    for r in records:
        if r.ok:
            assert r.source["uri"].startswith("http") and not r.source["uri"].startswith("<")
            assert r.source["fetch_time"] and r.media_type


@needs_shared
def test_clueweb09_quirks() -> None:
    records = list(WarcReader().read(
        SHARED_WARC / "real_samples" / "clueweb09-ja_quirks.resiliparse-tests.warc.gz"))
    page = records[1]
    # WARC/0.18 with day-of-year dates: 2008-10-294 is the 294th day of 2008.
    assert page.source["fetch_time"] == "2008-10-20T12:21:46Z"
    # LF-only HTTP headers, and a Content-Encoding: gzip header over a body stored decoded.
    assert page.source["charset"] == "euc-jp" and page.source["content_encoding"] == "gzip"
    assert page.content.startswith(b"<html>") and page.media_type == "text/html"
    assert "not gzip; kept as stored" in page.provenance[-1]["detail"]


@needs_shared
def test_wget_metadata_resources_are_dropped() -> None:
    records = list(WarcReader().read(SHARED_WARC / "real_samples" / "wget-2024_sample-0000.dolma-tests.warc.gz"))
    resources = [r for r in records if r.source["warc_type"] == "resource"]
    # wget's arguments and log, stored as resource records with metadata:// URIs: not web documents.
    assert len(resources) == 2 and all(r.reason == "uri_scheme:metadata" for r in resources)
    # wget wraps target URIs in angle brackets; the reader unwraps them.
    assert all(not r.source["uri"].startswith("<") for r in records if r.source.get("uri"))


def test_arc_file(tmp_path: Path) -> None:
    body = b"<html><head><title>ARC</title></head><body>old crawl</body></html>"
    http = (b"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=ISO-8859-1\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body
    missing = b"HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\n\r\ngone"
    desc_body = b"1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n"
    head = b"filedesc://test.arc 0.0.0.0 20050614070144 text/plain %d\n" % len(desc_body)
    arc_records = [
        head + desc_body + b"\n",
        b"http://example.com/ 93.184.216.34 20050614070159 text/html %d\n" % len(http) + http + b"\n",
        b"http://example.com/gone 93.184.216.34 20050614070201 text/html %d\n" % len(missing) + missing + b"\n",
    ]
    (tmp_path / "t.arc").write_bytes(b"".join(arc_records))
    (tmp_path / "t.arc.gz").write_bytes(b"".join(gzip.compress(r) for r in arc_records))
    (tmp_path / "whole.arc.gz").write_bytes(gzip.compress(b"".join(arc_records)))
    for name in ("t.arc", "t.arc.gz", "whole.arc.gz"):
        records = list(WarcReader().read(tmp_path / name))
        assert [status_key(r) for r in records] == [
            ("warcinfo", "dropped", "warc_type:warcinfo"),
            ("response", "ok", None),
            ("response", "dropped", "http_status:404"),
        ]
        page = records[1]
        assert page.content == body and page.source["charset"] == "iso-8859-1"
        assert page.source["uri"] == "http://example.com/"
        assert page.source["fetch_time"] == "2005-06-14T07:01:59Z"
