"""WarcReader on damaged archives: real demo bytes, broken in the test.

Each damage must cost exactly the damaged record (one `error`/`dropped` Record
saying what and where), never an exception, and every later record must still
come out as it does from the sound file.
"""
from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

import brotli
import pytest

from corpusmill.acquire.warc_reader import WarcReader
from tests.acquire.warc_bytes import DEMO, gzip_members
from corpusmill.record import Record, stable_id

MEMBERS = gzip_members(DEMO.read_bytes())[:22]  # warcinfo + 7 request/response/metadata triples
PLAIN = [gzip.decompress(m) for m in MEMBERS]
RESPONSES = [i for i, p in enumerate(PLAIN) if b"WARC-Type: response" in p.split(b"\r\n\r\n", 1)[0]]


def read(tmp_path: Path, data: bytes, name: str = "damaged.warc.gz", **kw) -> list[Record]:
    path = tmp_path / name
    path.write_bytes(data)
    return list(WarcReader(**kw).read(path))


def key(r: Record) -> tuple:
    # Record ids derive from the file and offset; the WARC-Record-ID says which record it is.
    return (r.source.get("warc_record_id"), r.status, r.reason if r.status != "ok" else None, r.source.get("payload_sha1"))


@pytest.fixture(scope="module")
def baseline() -> list[tuple]:
    return [key(r) for r in WarcReader().read(DEMO)][:len(MEMBERS)]


def set_content_length(record: bytes, delta: int) -> bytes:
    return re.sub(rb"Content-Length: (\d+)", lambda m: b"Content-Length: %d" % (int(m.group(1)) + delta),
                  record, count=1)


def offsets(parts: list[bytes]) -> list[int]:
    out, pos = [], 0
    for p in parts:
        out.append(pos)
        pos += len(p)
    return out


def assert_one_bad(records: list[Record], baseline: list[tuple], bad: int, offset: int, *words: str) -> None:
    """Record `bad` is an error at `offset` whose message has `words`; all others are as in the baseline."""
    assert len(records) == len(baseline)
    err = records[bad]
    assert err.status == "error" and err.content is None
    assert err.source["warc_offset"] == offset
    for w in words:
        assert w in err.reason, err.reason
    assert f"offset {offset}" in err.reason
    assert [key(r) for i, r in enumerate(records) if i != bad] == [b for i, b in enumerate(baseline) if i != bad]


def test_sound_slice_reads_like_the_demo(tmp_path: Path, baseline: list[tuple]) -> None:
    assert [key(r) for r in read(tmp_path, b"".join(MEMBERS))] == baseline


def test_truncated_gzip_member(tmp_path: Path, baseline: list[tuple]) -> None:
    i = RESPONSES[1]
    parts = MEMBERS[:i] + [MEMBERS[i][: len(MEMBERS[i]) // 2]] + MEMBERS[i + 1:]
    records = read(tmp_path, b"".join(parts))
    assert_one_bad(records, baseline, i, offsets(parts)[i], "gzip")


def test_garbage_between_records(tmp_path: Path, baseline: list[tuple]) -> None:
    i = RESPONSES[2]
    garbage = b"this is not a gzip member\r\n" * 3
    parts = MEMBERS[:i] + [garbage] + MEMBERS[i:]
    records = read(tmp_path, b"".join(parts))
    assert len(records) == len(baseline) + 1
    err = records[i]
    assert err.status == "error" and err.source["warc_offset"] == offsets(parts)[i]
    assert f"{len(garbage)} bytes skipped to the next record at offset {offsets(parts)[i + 1]}" in err.reason
    assert [key(r) for r in records[:i] + records[i + 1:]] == baseline


def test_garbage_between_plain_records(tmp_path: Path, baseline: list[tuple]) -> None:
    i = RESPONSES[2]
    garbage = b"GARBAGE\r\nnot a record\r\n\r\n"
    parts = PLAIN[:i] + [garbage] + PLAIN[i:]
    records = read(tmp_path, b"".join(parts), "damaged.warc")
    assert len(records) == len(baseline) + 1
    assert records[i].status == "error" and records[i].source["warc_offset"] == offsets(parts)[i]
    assert [key(r) for r in records[:i] + records[i + 1:]] == baseline


# FastWARC absorbs a Content-Length off by up to 4 bytes into the record's CRLF CRLF end
# (a known limit: such a record comes out ok, a few bytes short or long).
@pytest.mark.parametrize("delta", [-100, +100, -5])
def test_wrong_content_length_gzip(tmp_path: Path, baseline: list[tuple], delta: int) -> None:
    i = RESPONSES[0]
    parts = MEMBERS[:i] + [gzip.compress(set_content_length(PLAIN[i], delta))] + MEMBERS[i + 1:]
    records = read(tmp_path, b"".join(parts))
    assert_one_bad(records, baseline, i, offsets(parts)[i], "Content-Length")


@pytest.mark.parametrize("delta", [-100, +100, +7])
def test_wrong_content_length_plain(tmp_path: Path, baseline: list[tuple], delta: int) -> None:
    i = RESPONSES[0]
    parts = PLAIN[:i] + [set_content_length(PLAIN[i], delta)] + PLAIN[i + 1:]
    records = read(tmp_path, b"".join(parts), "damaged.warc")
    assert_one_bad(records, baseline, i, offsets(parts)[i], "Content-Length")


def test_record_cut_mid_payload_gzip(tmp_path: Path, baseline: list[tuple]) -> None:
    i = RESPONSES[3]
    parts = MEMBERS[:i] + [gzip.compress(PLAIN[i][: len(PLAIN[i]) // 2])] + MEMBERS[i + 1:]
    records = read(tmp_path, b"".join(parts))
    assert_one_bad(records, baseline, i, offsets(parts)[i], "cut mid-payload")


def test_record_cut_mid_payload_plain(tmp_path: Path, baseline: list[tuple]) -> None:
    i = RESPONSES[3]
    parts = PLAIN[:i] + [PLAIN[i][: len(PLAIN[i]) // 2]] + PLAIN[i + 1:]
    records = read(tmp_path, b"".join(parts), "damaged.warc")
    assert_one_bad(records, baseline, i, offsets(parts)[i], "Content-Length")


@pytest.mark.parametrize("plain", [False, True])
def test_file_cut_mid_payload(tmp_path: Path, baseline: list[tuple], plain: bool) -> None:
    i = RESPONSES[-1]
    src = PLAIN if plain else MEMBERS
    parts = src[:i] + [src[i][: len(src[i]) * 2 // 3]]
    records = read(tmp_path, b"".join(parts), "cut.warc" if plain else "cut.warc.gz")
    assert len(records) == i + 1
    assert [key(r) for r in records[:i]] == baseline[:i]
    assert records[i].status == "error" and records[i].source["warc_offset"] == offsets(parts)[i]
    assert "cut mid-payload" in records[i].reason or "truncated" in records[i].reason


def test_whole_file_gzip_cut(tmp_path: Path, baseline: list[tuple]) -> None:
    whole = gzip.compress(b"".join(PLAIN))
    records = read(tmp_path, whole[: len(whole) * 2 // 3], "whole.warc.gz")
    good = [r for r in records if r.status != "error"]
    assert [key(r) for r in good] == baseline[:len(good)] and len(good) >= 10
    assert len(records) == len(good) + 1
    assert "gzip stream truncated" in records[-1].reason
    assert records[-1].source["warc_offset_in"] == "decompressed"


def test_zstd_warc(tmp_path: Path, baseline: list[tuple]) -> None:
    from fastwarc.stream_io import ZstdWriter

    path = tmp_path / "demo.warc.zst"
    writer = ZstdWriter(str(path))
    for record in PLAIN:
        writer.write(record)
    writer.close()
    assert [key(r) for r in WarcReader().read(path)] == baseline
    cut = path.read_bytes()
    records = read(tmp_path, cut[: len(cut) // 2], "cut.warc.zst")
    assert records and records[-1].status == "error"
    assert [key(r) for r in records[:-1]] == baseline[:len(records) - 1]


def test_trailing_garbage_and_padding(tmp_path: Path, baseline: list[tuple]) -> None:
    padded = read(tmp_path, b"".join(MEMBERS) + b"\r\n\r\n", "padded.warc.gz")
    assert [key(r) for r in padded] == baseline
    records = read(tmp_path, b"".join(MEMBERS) + b"trailing junk" * 10)
    assert [key(r) for r in records[:-1]] == baseline
    assert records[-1].status == "error" and records[-1].source["warc_offset"] == len(b"".join(MEMBERS))
    assert "to the end of the file skipped" in records[-1].reason


def test_garbage_before_first_record(tmp_path: Path, baseline: list[tuple]) -> None:
    records = read(tmp_path, b"\x00junk" * 20 + b"".join(MEMBERS))
    assert records[0].status == "error" and records[0].source["warc_offset"] == 0
    assert [key(r) for r in records[1:]] == baseline


def test_not_a_warc_and_empty_files(tmp_path: Path) -> None:
    records = read(tmp_path, b"<html>just a page</html>\n" * 10, "page.warc")
    assert len(records) == 1 and records[0].status == "error"
    assert read(tmp_path, b"", "empty.warc.gz") == []
    missing = list(WarcReader().read(tmp_path / "absent.warc.gz"))
    assert len(missing) == 1 and "cannot open" in missing[0].reason


# -- payload-level damage, in records made from a real page --------------------------------------

PAGE = next(p for p in PLAIN if b"WARC-Type: response" in p and b"charset=UTF-8" in p)
PAGE_BODY = PAGE.split(b"\r\n\r\n", 2)[2][:-4]


def response(body: bytes, *http_headers: str, status: str = "200 OK", record_id: str | None = "x-1") -> bytes:
    http = f"HTTP/1.1 {status}\r\n" + "".join(h + "\r\n" for h in http_headers) + "\r\n"
    block = http.encode() + body
    warc = ["WARC/1.1", "WARC-Type: response", "WARC-Target-URI: http://example.com/page",
            "WARC-Date: 2024-01-02T03:04:05Z", "Content-Type: application/http;msgtype=response",
            f"Content-Length: {len(block)}"]
    if record_id:
        warc.insert(2, f"WARC-Record-ID: <urn:uuid:{record_id}>")
    return ("\r\n".join(warc) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


def read_one(tmp_path: Path, record: bytes, **kw) -> Record:
    """The record, followed by a sound one that must still come out."""
    data = gzip.compress(record) + MEMBERS[RESPONSES[0]]
    records = read(tmp_path, data, "one.warc.gz", **kw)
    assert len(records) == 2 and key(records[1]) == [b for b in baseline_keys() if b[0] == records[1].source["warc_record_id"]][0]
    return records[0]


def baseline_keys() -> list[tuple]:
    return [key(r) for r in WarcReader().read(DEMO)]


def test_body_claiming_gzip_that_is_not(tmp_path: Path) -> None:
    r = read_one(tmp_path, response(PAGE_BODY, "Content-Type: text/html", "Content-Encoding: gzip"))
    assert r.ok and r.content == PAGE_BODY and r.source["content_encoding"] == "gzip"
    assert "not gzip; kept as stored" in r.provenance[-1]["detail"]


def test_corrupt_gzip_body(tmp_path: Path) -> None:
    broken = gzip.compress(PAGE_BODY)[:20] + b"\xff" * 200
    r = read_one(tmp_path, response(broken, "Content-Type: text/html", "Content-Encoding: gzip"))
    assert r.status == "error" and "content-encoding gzip: invalid data" in r.reason


def test_corrupt_body_of_an_error_page_is_dropped_for_its_status(tmp_path: Path) -> None:
    broken = gzip.compress(PAGE_BODY)[:20] + b"\xff" * 200
    r = read_one(tmp_path, response(broken, "Content-Encoding: gzip", status="500 Internal Server Error"))
    assert r.status == "dropped" and r.reason == "http_status:500" and "invalid data" in r.provenance[-1]["detail"]


@pytest.mark.parametrize("coding, encode", [
    ("gzip", gzip.compress), ("x-gzip", gzip.compress), ("br", brotli.compress),
    ("deflate", zlib.compress), ("deflate", lambda b: zlib.compress(b, wbits=-15)),
])
def test_content_encodings(tmp_path: Path, coding: str, encode) -> None:
    r = read_one(tmp_path, response(encode(PAGE_BODY), "Content-Type: text/html; charset=UTF-8",
                                    f"Content-Encoding: {coding}"))
    assert r.ok and r.content == PAGE_BODY and r.source["charset"] == "utf-8"


def test_chunked_body(tmp_path: Path) -> None:
    chunks = [PAGE_BODY[i:i + 1000] for i in range(0, len(PAGE_BODY), 1000)]
    body = b"".join(b"%x\r\n" % len(c) + c + b"\r\n" for c in chunks) + b"0\r\n\r\n"
    r = read_one(tmp_path, response(body, "Content-Type: text/html", "Transfer-Encoding: chunked"))
    assert r.ok and r.content == PAGE_BODY


def test_chunked_and_gzip_body(tmp_path: Path) -> None:
    packed = gzip.compress(PAGE_BODY)
    body = b"".join(b"%x\r\n" % len(c) + c + b"\r\n" for c in (packed[:500], packed[500:])) + b"0\r\n\r\n"
    r = read_one(tmp_path, response(body, "Transfer-Encoding: chunked", "Content-Encoding: gzip"))
    assert r.ok and r.content == PAGE_BODY and r.media_type == "text/html"


def test_crawler_truncated_payload_is_noted(tmp_path: Path) -> None:
    record = response(PAGE_BODY[:1000], "Content-Type: text/html").replace(
        b"WARC-Type: response\r\n", b"WARC-Type: response\r\nWARC-Truncated: length\r\n")
    r = read_one(tmp_path, record)
    assert r.ok and r.content == PAGE_BODY[:1000]
    assert "WARC-Truncated: length" in r.provenance[-1]["detail"]


def test_odd_headers(tmp_path: Path) -> None:
    record = response(PAGE_BODY, "Content-Type: text/html; charset=\"Windows-1252\"", "Set-Cookie: " + "a" * 70000)
    r = read_one(tmp_path, record.replace(b"http://example.com/page", b"http://example.com/p\xe4ge"))
    assert r.ok and r.source["charset"] == "windows-1252" and r.content == PAGE_BODY
    assert r.source["uri"].startswith("http://example.com/p")


def test_empty_body(tmp_path: Path) -> None:
    r = read_one(tmp_path, response(b"", "Content-Type: text/html", "Content-Length: 0"))
    assert r.status == "dropped" and r.reason == "empty_payload"


def test_missing_record_id_gets_an_offset_id(tmp_path: Path) -> None:
    r = read_one(tmp_path, response(PAGE_BODY, "Content-Type: text/html", record_id=None))
    assert r.ok and r.id == stable_id("one.warc.gz", "0")


def test_decompression_bomb(tmp_path: Path) -> None:
    bomb = gzip.compress(b"\0" * (20 << 20))
    r = read_one(tmp_path, response(bomb, "Content-Type: text/html", "Content-Encoding: gzip"))
    assert r.status == "error" and "decompression bomb" in r.reason


def test_encoded_payload_over_the_limit(tmp_path: Path) -> None:
    packed = gzip.compress(PAGE_BODY * 20)
    r = read_one(tmp_path, response(packed, "Content-Encoding: gzip"), max_payload_bytes=len(PAGE_BODY) * 10)
    assert r.status == "dropped" and r.reason == "payload_too_large"
    assert r.provenance[-1]["scores"]["payload_bytes"] > len(PAGE_BODY) * 10


def test_status_and_media_type(tmp_path: Path) -> None:
    r = read_one(tmp_path, response(b"%PDF-1.4\n...", "Content-Type: text/html"))
    assert r.ok and r.media_type == "application/pdf" and "sniffed application/pdf" in r.provenance[-1]["detail"]
    r = read_one(tmp_path, response(PAGE_BODY, "Content-Type: text/html", status="404 Not Found"))
    assert r.status == "dropped" and r.reason == "http_status:404" and r.source["http_status"] == 404
    r = read_one(tmp_path, response(b"", "Location: https://example.com/", status="301 Moved Permanently"))
    assert r.reason == "http_status:301"


def test_fifty_megabyte_body(tmp_path: Path) -> None:
    body = b"<html>" + b"a" * (50 * 2**20)
    parts = [response(body, "Content-Type: text/html")] + PLAIN[:3]
    records = read(tmp_path, b"".join(parts), "big.warc")
    assert len(records) == 4
    big = records[0]
    assert big.status == "dropped" and big.reason == "payload_too_large" and big.content is None
    assert big.provenance[-1]["scores"]["payload_bytes"] == len(body)
    assert [key(r) for r in records[1:]] == baseline_keys()[:3]


@pytest.mark.parametrize("warc_type", ["revisit", "conversion", "continuation", "x-custom"])
def test_other_record_types_are_dropped(tmp_path: Path, warc_type: str) -> None:
    record = response(PAGE_BODY, "Content-Type: text/html").replace(
        b"WARC-Type: response", b"WARC-Type: " + warc_type.encode())
    r = read_one(tmp_path, record)
    assert r.status == "dropped" and r.reason == f"warc_type:{warc_type}" and r.content is None
    assert r.source["uri"] == "http://example.com/page" and r.source["fetch_time"] == "2024-01-02T03:04:05Z"


def test_non_http_response_is_dropped(tmp_path: Path) -> None:
    record = response(b"", record_id="dns-1").replace(
        b"Content-Type: application/http;msgtype=response", b"Content-Type: text/dns")
    r = read_one(tmp_path, record)
    assert r.status == "dropped" and r.reason == "not_http"
