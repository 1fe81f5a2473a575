"""WARC/ARC reading bounded against hostile files, and record ids unique across the files of a run."""
from __future__ import annotations

import gzip
import os
import shutil
import tracemalloc
import zlib
from pathlib import Path

import pytest

from corpusmill.acquire.warc_reader import WarcReader, _Framer
from corpusmill.record import Record
from tests.acquire.warc_bytes import DEMO, gzip_members

MEMBERS = gzip_members(DEMO.read_bytes())[:6]
PLAIN = [gzip.decompress(m) for m in MEMBERS]


class _CountingBytes(bytes):
    """Bytes that count what slicing copies out of them (the framer's reads of the file)."""

    copied = 0

    def __getitem__(self, key):  # type: ignore[override]
        out = super().__getitem__(key)
        if isinstance(key, slice):
            type(self).copied += len(out)
        return out


@pytest.mark.parametrize("gzipped", [False, True])
def test_resynchronising_past_dense_junk_reads_each_byte_a_bounded_number_of_times(gzipped: bool) -> None:
    # Junk where every few bytes looks like a record start: "WARC/1.0" lines, or gzip magics.
    unit = b"WARC/1.0\r\nX: y\r\n\r\n" if not gzipped else b"\x1f\x8b\x08\x00\x00\x00\x00\x00"
    junk = unit * ((256 << 10) // len(unit))
    nxt = (MEMBERS if gzipped else PLAIN)[1]
    data = _CountingBytes(junk + nxt)
    _CountingBytes.copied = 0
    framer = _Framer(data, gzipped, 64 << 20)
    assert framer.next_start(0) == len(junk)
    # Before: 64 KiB (plain) or 4 KiB (gzip) copied for each of the ~20k-30k candidates.
    assert _CountingBytes.copied < 70 * len(data)


def _records(path: Path, **kw: int) -> list[Record]:
    return list(WarcReader(**kw).read(path))


@pytest.mark.parametrize(("gzipped", "size"), [(False, 4 << 20), (True, 1 << 20)])
def test_a_megabytes_long_junk_region_costs_one_error(tmp_path: Path, gzipped: bool, size: int) -> None:
    # A candidate record start every 4 (gzip) or 10 bytes: each judged in bounded work.
    unit = b"WARC/1.0 \n" if not gzipped else b"\x1f\x8b\x08\x00"
    parts = MEMBERS if gzipped else PLAIN
    junk = unit * (size // len(unit))
    p = tmp_path / ("j.warc.gz" if gzipped else "j.warc")
    p.write_bytes(b"".join(parts[:2]) + junk + b"".join(parts[2:]))
    got = _records(p)
    errors = [r for r in got if r.status == "error"]
    assert len(got) == len(parts) + 1 and len(errors) == 1
    assert f"{len(junk)} bytes skipped to the next record" in errors[0].reason
    assert [r.source["warc_record_id"] for r in got if r.status != "error"] == [
        r.source["warc_record_id"] for r in _records(DEMO)[:len(parts)]]


def _whole_file_bomb(path: Path, body_bytes: int) -> None:
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    head = (b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:bomb>\r\n"
            b"WARC-Target-URI: http://example.com/z\r\nWARC-Date: 2024-01-02T03:04:05Z\r\n"
            b"Content-Type: application/http;msgtype=response\r\nContent-Length: %d\r\n\r\n"
            % (len(http) + body_bytes))
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    with open(path, "wb") as f:
        f.write(c.compress(PLAIN[0] + PLAIN[1] + head + http))
        zeros = bytes(1 << 20)
        for _ in range(body_bytes >> 20):
            f.write(c.compress(zeros))
        f.write(c.compress(b"\r\n\r\n" + PLAIN[2]) + c.flush())


def test_a_whole_file_gzip_bomb_is_capped_and_its_temp_file_is_never_visible(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "bomb.warc.gz"
    _whole_file_bomb(p, 160 << 20)
    limit = 64 << 20                       # the floor: one record at its largest (4 x 1 MiB payload, 64 MiB)
    assert p.stat().st_size * 200 < limit
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("CORPUSMILL_TMP", str(tmp))
    seen_in_tmp: list[list[str]] = []
    got = []
    for rec in WarcReader(max_payload_bytes=1 << 20).read(p):
        seen_in_tmp.append(os.listdir(tmp))   # while the inflated copy is open
        got.append(rec)
    assert seen_in_tmp and all(not names for names in seen_in_tmp) and not os.listdir(tmp)
    assert [r.status for r in got[:2]] == [r.status for r in _records(DEMO)[:2]]
    assert got[-1].status == "error" and "decompression bomb guard" in got[-1].reason
    assert f"inflates past {limit} bytes" in got[-1].reason and len(got) == 3


def test_a_whole_file_gzip_without_room_to_inflate_is_one_error(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "whole.warc.gz"
    p.write_bytes(gzip.compress(b"".join(PLAIN)))
    assert [r.status for r in _records(p)] == [r.status for r in _records(DEMO)[:len(PLAIN)]]
    monkeypatch.setenv("CORPUSMILL_TMP", str(tmp_path / "no-such-folder"))
    (err,) = _records(p)
    assert err.status == "error" and "set CORPUSMILL_TMP" in err.reason


def test_an_arc_record_over_the_payload_limit_is_dropped_without_being_held(tmp_path: Path) -> None:
    body = bytes(48 << 20)
    http = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body)
    desc = b"1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n"
    small = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<p>small page</p>"
    p = tmp_path / "t.arc.gz"
    with open(p, "wb") as f:
        f.write(gzip.compress(b"filedesc://t.arc 0.0.0.0 20050614070144 text/plain %d\n" % len(desc) + desc + b"\n"))
        f.write(gzip.compress(b"http://example.com/big 1.2.3.4 20050614070159 text/html %d\n"
                              % (len(http) + len(body)) + http + body + b"\n", compresslevel=1))
        f.write(gzip.compress(b"http://example.com/small 1.2.3.4 20050614070201 text/html %d\n" % len(small)
                              + small + b"\n"))
    tracemalloc.start()
    try:
        got = _records(p, max_payload_bytes=1 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [(r.status, r.reason) for r in got] == [
        ("dropped", "warc_type:warcinfo"), ("dropped", "payload_too_large"), ("ok", None)]
    assert got[1].source["uri"] == "http://example.com/big" and got[1].source["warc_offset"] > 0
    assert got[2].content == b"<p>small page</p>"
    # The 48 MiB record is never held (it was, twice, before); warcio inflates 16 KiB reads whole.
    assert peak < 32 << 20, peak


def test_a_record_id_reused_in_another_file_gives_distinct_record_ids(tmp_path: Path) -> None:
    a, b = tmp_path / "a.warc.gz", tmp_path / "sub" / "b.warc.gz"
    b.parent.mkdir()
    a.write_bytes(b"".join(MEMBERS))
    shutil.copyfile(a, b)                                  # a copy: every WARC-Record-ID reused
    ra, rb = _records(a), _records(b)
    assert [r.source["warc_record_id"] for r in ra] == [r.source["warc_record_id"] for r in rb]
    assert len({r.id for r in ra + rb}) == 2 * len(ra)
    assert [r.id for r in _records(a)] == [r.id for r in ra]    # the same on every run
