"""WARC (and ARC) files to `Record`s: one Record per archive record, good or bad.

Reading is FastWARC's job while the file is sound. Damage is found three ways:
FastWARC raises (gzip data errors, an unparseable header), a payload comes out
shorter than its Content-Length (a cut file), or our own framing of a record
disagrees with what FastWARC read (a wrong Content-Length swallows or leaves
bytes, which FastWARC only notices one record later - so each record is held
back until the next one has parsed). Then `_Framer` checks the suspect bytes
itself, turns them into one `error` Record with the offset and what is wrong,
finds the next record start (the next gzip member that inflates to `WARC/`, or
the next `WARC/` line) and FastWARC resumes there. `read()` never raises for bad
input; every record that can be read comes out, so the run's counts add up.

Offsets are byte offsets into the file (the start of the gzip member for
record-gzipped files), except for a whole-file gzip (one deflate stream, not
seekable per record): that is inflated to a temporary file first (in
$CORPUSMILL_TMP or the system temp dir; unlinked as it is created, so a killed
run leaves nothing behind; at most `MAX_RATIO` times the file's size, beyond
which the rest is one error Record) and its offsets are positions in the
decompressed stream (`source.warc_offset_in`).

Record ids derive from the file name and the record's offset, so they are
unique within a run even where files reuse each other's WARC-Record-IDs (kept
in `source.warc_record_id`), and the same on every run. zstd/lz4 WARCs are read by
FastWARC alone, and ARC files by warcio; neither can resynchronise, so damage
there ends the file with one error Record.
"""
from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import re
import tempfile
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import BinaryIO, Callable, Iterator

from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from corpusmill.acquire.http_payload import (
    MAX_RATIO,
    PayloadError,
    PayloadTooLarge,
    decode_content,
    dechunk,
    parse_content_type,
)
from corpusmill.acquire.media_type import resolve_media_type
from corpusmill.readers import Reader
from corpusmill.record import ERROR, EXTRACTED, Record, stable_id

STAGE = "warc_reader"
VERSION = "1"

_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_LZ4_MAGIC = b"\x04\x22\x4d\x18"
_VERSION_LINE = re.compile(rb"WARC/\d+\.\d+\r?\n")
_GZIP_HEADER = re.compile(rb"\x1f\x8b\x08[\x00-\x1f]", re.DOTALL)  # magic, deflate, no reserved flag bits
_CONTENT_LENGTH = re.compile(rb"^content-length:[ \t]*(\d+)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_WARC_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2,3})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")
_UTC_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_ARC_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$")

_MAX_HEADER = 64 << 10
_MAX_HTTP_HEADER = 512 << 10
_CHUNK = 1 << 16
_PAYLOAD_TYPES = ("response", "resource")
_CRAWLER_SCHEMES = {"metadata", "dns", "whois", "warcinfo"}
# Our crawler stores the DOM of a page rendered in Chromium as a `conversion`
# record with this resource type, referring to the response it came from.
RENDERED_DOM = "rendered-dom"


class FrameError(ValueError):
    """The bytes at an offset are not one well-formed record."""


class MultiRecordMember(FrameError):
    """A gzip member holds more than one record (a whole-file gzip)."""


@dataclass(frozen=True)
class _Frame:
    start: int
    end: int  # first byte after the record (after its gzip member, or its CRLFCRLF)


class _Framer:
    """Our own record boundaries, for checking FastWARC and resynchronising after damage."""

    def __init__(self, mm: mmap.mmap | bytes, gzipped: bool, max_record: int) -> None:
        self.mm = mm
        self.size = len(mm)
        self.gzipped = gzipped
        self.max_record = max_record

    def frame(self, pos: int) -> _Frame:
        return self._frame_gzip(pos) if self.gzipped else self._frame_plain(pos)

    def skipped(self, pos: int, resume: int | None) -> str:
        if resume is None:
            return f"{self.size - pos} bytes to the end of the file skipped"
        return f"{resume - pos} bytes skipped to the next record at offset {resume}"

    def record_bytes(self, frame: _Frame) -> bytes:
        """The (inflated) bytes of a framed record."""
        raw = self.mm[frame.start:frame.end]
        return zlib.decompress(raw, 16 + zlib.MAX_WBITS) if self.gzipped else bytes(raw)

    def next_start(self, pos: int) -> int | None:
        """The first offset after `pos` where a record plausibly starts, or None."""
        return self._next_gzip(pos) if self.gzipped else self._next_plain(pos)

    def only_padding_after(self, pos: int) -> bool:
        """Whether nothing but CR, LF and NUL padding follows `pos`."""
        for p in range(pos, self.size, 1 << 20):
            if bytes(self.mm[p:p + (1 << 20)]).strip(b"\r\n\x00"):
                return False
        return True

    def _frame_gzip(self, pos: int) -> _Frame:
        mm, size = self.mm, self.size
        if mm[pos:pos + 2] != _GZIP_MAGIC:
            raise FrameError("not the start of a gzip member")
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        head = b""  # the output until the WARC header is complete
        after = b""  # up to 16 output bytes after the record block
        total = 0
        need: int | None = None  # header + Content-Length, once the header is read
        p = pos
        while not d.eof:
            if p >= size:
                raise FrameError("gzip member truncated (the file ends inside it)")
            chunk = mm[p:p + _CHUNK]
            p += len(chunk)
            try:
                out = d.decompress(chunk)
            except zlib.error as e:
                raise FrameError(f"gzip member truncated or corrupt ({e})") from None
            out_start = total
            total += len(out)
            if total > self.max_record:
                raise FrameError(f"gzip member inflates beyond {self.max_record} bytes")
            if need is None:
                head += out
                need = self._parse_head(head, final=d.eof or len(head) >= _MAX_HEADER)
                if need is not None:
                    after = head[need:need + 16]
                    head = b""
            elif len(after) < 16 and total > need:
                lo = max(need + len(after), out_start)
                after += out[lo - out_start:need + 16 - out_start]
            if need is not None and total > need + 4 and after.lstrip(b"\r\n").startswith(b"WARC/"):
                # Early, so that detecting a whole-file gzip does not inflate the whole file.
                raise MultiRecordMember("gzip member holds more than one record")
        if need is None:
            need = self._parse_head(head, final=True)
            after = head[need:need + 16]
        assert need is not None
        if total < need:
            raise FrameError(f"record cut mid-payload or Content-Length wrong: the block runs "
                             f"{need - total} bytes past the end of its gzip member")
        if total > need + 4 or not _only_crlf(after):
            self._check_after(after)
        return _Frame(pos, p - len(d.unused_data))

    @staticmethod
    def _check_after(after: bytes) -> None:
        """Raise unless the bytes after a record block inside its gzip member are its CRLF CRLF."""
        rest = after.lstrip(b"\r\n")
        if rest.startswith(b"WARC/"):
            raise MultiRecordMember("gzip member holds more than one record")
        raise FrameError("Content-Length wrong: the record block does not end where its gzip member does")

    @staticmethod
    def _parse_head(head: bytes, final: bool) -> int | None:
        """Header length + Content-Length, None while the header is incomplete."""
        if not head.startswith(b"WARC/"):
            if len(head) >= 5 or final:
                raise FrameError("no WARC/ version line")
            return None
        end = head.find(b"\r\n\r\n")
        sep = 4
        if end < 0:
            end, sep = head.find(b"\n\n"), 2
        if end < 0:
            if final:
                raise FrameError("WARC header not terminated")
            return None
        header = head[:end + sep]
        if not _VERSION_LINE.match(header):
            raise FrameError("malformed WARC/ version line")
        m = _CONTENT_LENGTH.search(header)
        if m is None:
            raise FrameError("WARC header without Content-Length")
        return len(header) + int(m.group(1))

    def _frame_plain(self, pos: int) -> _Frame:
        mm, size = self.mm, self.size
        while mm[pos:pos + 1] in (b"\r", b"\n") and pos < size:  # stray blank lines between records
            pos += 1
        head = bytes(mm[pos:pos + _MAX_HEADER])
        need = self._parse_head(head, final=True)
        assert need is not None
        end = pos + need
        if end > size:
            raise FrameError(f"record cut mid-payload: {end - size} of its bytes missing (the file ends)")
        trailer = bytes(mm[end:end + 4])
        if trailer != b"\r\n\r\n" and not (end + len(trailer) == size and _only_crlf(trailer)):
            raise FrameError(f"Content-Length wrong: no record end (CRLF CRLF) at offset {end}")
        return _Frame(pos, end + len(trailer))

    def _next_gzip(self, pos: int) -> int | None:
        # Junk can hold a gzip magic every few bytes: each candidate costs a bounded amount of
        # work (header flags checked, then at most 16 bytes inflated from its first bytes).
        mm = self.mm
        i = pos
        while True:
            m = _GZIP_HEADER.search(mm, i + 1)
            if m is None:
                return None
            i = m.start()
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                out = d.decompress(mm[i:i + 64], 16)
                if len(out) < 5 and not d.eof:  # a long header (file name, extra field) needs more
                    out += d.decompress(d.unconsumed_tail + mm[i + 64:i + 4096], 16 - len(out))
            except zlib.error:
                continue
            if out.startswith(b"WARC/"):
                return i

    def _next_plain(self, pos: int) -> int | None:
        # A cut record leaves the next one mid-line, so any `WARC/x.y` line start is a
        # candidate; a complete header with a Content-Length confirms it. Junk can hold a
        # candidate every few bytes, so each is judged in constant time: the next header end and
        # Content-Length line are searched once and reused by every candidate before them, which
        # keeps the whole search linear in the bytes skipped.
        mm = self.mm
        ahead = _Ahead(mm, self.size + _MAX_HEADER)
        i = pos
        while True:
            m = _VERSION_LINE.search(mm, i + 1)
            if m is None:
                return None
            i = m.start()
            limit = i + _MAX_HEADER  # the header must end within this, as _parse_head reads it
            crlf, lf = ahead.find(b"\r\n\r\n", i), ahead.find(b"\n\n", i)
            end = crlf + 4 if crlf + 4 <= limit else lf + 2
            if end > limit:
                # Every candidate before the next header end less the limit fails the same way.
                i = max(i, min(crlf, lf) - _MAX_HEADER - 1)
                continue
            if ahead.search(_CONTENT_LENGTH, i) >= end:
                continue
            try:
                if self._parse_head(bytes(mm[i:limit]), final=True) is not None:
                    return i
            except FrameError:
                continue


class _Ahead:
    """The next occurrence of a string or pattern at or after a position that only moves forward.

    Each is searched again only once the position has passed it, so all the searches of one
    scan together read each byte about once.
    """

    def __init__(self, data: mmap.mmap | bytes, missing: int) -> None:
        self.data = data
        self.missing = missing   # what "not found" reads as: beyond any limit
        self._next: dict[object, int] = {}

    def find(self, needle: bytes, pos: int) -> int:
        hit = self._next.get(needle, -1)
        if hit < pos:
            found = self.data.find(needle, pos)
            hit = self._next[needle] = found if found >= 0 else self.missing
        return hit

    def search(self, pattern: re.Pattern[bytes], pos: int) -> int:
        hit = self._next.get(pattern, -1)
        if hit < pos:
            m = pattern.search(self.data, pos)
            hit = self._next[pattern] = m.start() if m else self.missing
        return hit


def _only_crlf(b: bytes) -> bool:
    return not b.strip(b"\r\n")


class WarcReader(Reader):
    """Reads a WARC/ARC file (plain, gzip per record, whole-file gzip) into one Record per record."""

    name = STAGE
    version = VERSION
    suffixes = (".warc", ".warc.gz", ".arc", ".arc.gz", ".warc.zst", ".warc.lz4")

    def __init__(self, max_payload_bytes: int = 50 * 2**20) -> None:
        self.max_payload_bytes = max_payload_bytes

    # -- entry point -----------------------------------------------------------------------------

    def read(self, path: str | os.PathLike[str]) -> Iterator[Record]:
        return _prefer_rendered(self._read(path))

    def _read(self, path: str | os.PathLike[str]) -> Iterator[Record]:
        path = os.fspath(path)
        warc_file = os.path.basename(path)
        try:
            kind = _detect(path, self._max_record)
        except OSError as e:
            yield self._error(warc_file, 0, f"cannot open: {e}")
            return
        if kind == "empty":
            return
        if kind in ("arc", "arc_gz"):
            yield from self._read_arc(path, warc_file)
        elif kind == "arc_gz_stream":
            yield from self._read_gzip_stream(path, warc_file, self._read_arc_file)
        elif kind == "gzip_stream":
            yield from self._read_gzip_stream(path, warc_file)
        elif kind == "other_compressed":
            yield from self._read_opaque(path, warc_file)
        else:
            yield from self._read_framed(path, warc_file, kind == "gzip_members")

    @property
    def _max_record(self) -> int:
        return max(4 * self.max_payload_bytes, 64 << 20)

    # -- framed files: FastWARC with our own resynchronisation ------------------------------------

    def _read_framed(self, path: str, warc_file: str, gzipped: bool) -> Iterator[Record]:
        with open(path, "rb") as f:
            yield from self._read_framed_file(f, warc_file, gzipped)

    def _read_framed_file(self, f: BinaryIO, warc_file: str, gzipped: bool) -> Iterator[Record]:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            framer = _Framer(mm, gzipped, self._max_record)
            pos: int | None = 0
            while pos is not None and pos < size:
                f.seek(pos)
                pos = yield from self._segment(f, framer, pos, warc_file)

    def _segment(self, f, framer: _Framer, start: int, warc_file: str) -> Iterator[Record]:
        """FastWARC from `start` until the end (returns None) or damage (returns where to resume)."""
        it = iter(ArchiveIterator(f, parse_http=False))
        pending: Record | None = None
        while True:
            try:
                wr = next(it)
            except StopIteration:
                return (yield from self._finish(framer, pending, start, warc_file))
            except Exception as e:  # FastWARC raises OSError (and ValueError) on bad bytes
                return (yield from self._after_failure(framer, pending, start, warc_file, e))
            offset = wr.stream_pos
            try:
                rec = self._build(wr, warc_file, offset)
            except OSError as e:  # the stream broke inside this record's payload
                if pending is not None:
                    yield pending
                return (yield from self._recover(framer, offset, warc_file, str(e)))
            except Exception as e:  # a record we fail to understand costs that record only
                rec = self._error(warc_file, offset, f"record at offset {offset}: {type(e).__name__}: {e}")
            if pending is not None:
                yield pending
            pending = rec

    def _finish(self, framer: _Framer, pending: Record | None, start: int, warc_file: str) -> Iterator[Record]:
        """FastWARC found no more records: make sure nothing but padding follows the last one."""
        why = "bytes FastWARC skipped"
        if pending is None:
            if framer.only_padding_after(start):
                return None
            return (yield from self._recover(framer, start, warc_file, why))
        return (yield from self._settle(framer, pending, warc_file, why))

    def _after_failure(self, framer: _Framer, pending: Record | None, start: int, warc_file: str,
                       exc: Exception) -> Iterator[Record]:
        """FastWARC failed after `pending`: either `pending` is bad, or the bytes after it are."""
        why = f"{type(exc).__name__}: {exc}"
        if pending is None:
            return (yield from self._recover(framer, start, warc_file, why))
        return (yield from self._settle(framer, pending, warc_file, why))

    def _settle(self, framer: _Framer, pending: Record, warc_file: str, why: str) -> Iterator[Record]:
        """Check the held-back record against our own framing, yield it, return where to go on."""
        offset = pending.source["warc_offset"]
        try:
            end = framer.frame(offset).end
        except FrameError as e:
            resume = framer.next_start(offset)
            if pending.status != "error":
                pending.fail(STAGE, VERSION, f"record at offset {offset}: {e}; {framer.skipped(offset, resume)}")
            yield pending
            return resume
        yield pending
        if end >= framer.size or framer.only_padding_after(end):
            return None
        return (yield from self._recover(framer, end, warc_file, why))

    def _recover(self, framer: _Framer, pos: int, warc_file: str,
                 why: str) -> Iterator[Record]:
        """The record at `pos` read our own way, or one error Record for the unreadable bytes
        there; returns where the next record starts."""
        try:
            frame = framer.frame(pos)
        except FrameError as e:
            resume = framer.next_start(pos)
            yield self._error(warc_file, pos, f"record at offset {pos}: {e}; {framer.skipped(pos, resume)}")
            return resume
        # Sound by our framing although FastWARC stumbled near it: parse its bytes alone.
        try:
            wr = WarcRecord.from_bytes(framer.record_bytes(frame))
            rec = self._build(wr, warc_file, frame.start)
        except Exception as e:
            rec = self._error(warc_file, pos, f"record at offset {pos}: unparseable ({why}; "
                                              f"{type(e).__name__}: {e})")
        yield rec
        return frame.end

    # -- whole-file gzip, other compressions, ARC ---------------------------------------------------

    def _read_gzip_stream(self, path: str, warc_file: str,
                          read_plain: Callable[..., Iterator[Record]] | None = None) -> Iterator[Record]:
        """One deflate stream: inflate to a temporary file, then read that like a plain WARC (or ARC).

        The file is unlinked from the start (a kill -9 leaves nothing) and holds at most
        MAX_RATIO times the compressed size (the floor: one record at its largest).
        """
        read_plain = read_plain or partial(self._read_framed_file, gzipped=False)
        tmp_dir = os.environ.get("CORPUSMILL_TMP") or None
        limit = max(self._max_record, os.path.getsize(path) * MAX_RATIO)
        with contextlib.ExitStack() as stack:
            try:
                # Unbuffered: a failed write (disk full) leaves nothing to flush on close.
                tmp = stack.enter_context(tempfile.TemporaryFile(prefix="warc-", suffix=".warc", dir=tmp_dir,
                                                                 buffering=0))
                problem = _gunzip_all(path, tmp, limit)
                tmp.seek(0)
            except OSError as e:  # no room, or no such folder
                yield self._error(warc_file, 0, f"whole-file gzip: cannot inflate it into a temporary file "
                                  f"({e}); set CORPUSMILL_TMP to a folder with room")
                return
            last: Record | None = None
            for rec in read_plain(tmp, warc_file):
                rec.source["warc_offset_in"] = "decompressed"
                if last is not None:
                    yield last
                last = rec
            if problem is not None and last is not None and last.status == ERROR:
                # The cut record and the broken stream are one damage: one error Record.
                last.provenance[-1]["reason"] += f"; {problem[1]}"
            elif problem is not None:
                if last is not None:
                    yield last
                last = self._error(warc_file, problem[0], problem[1])
                last.source["warc_offset_in"] = "decompressed"
            if last is not None:
                yield last

    def _read_opaque(self, path: str, warc_file: str) -> Iterator[Record]:
        """zstd/lz4 WARCs: FastWARC only; damage ends the file with one error Record."""
        count = 0
        offset = 0
        try:
            for wr in ArchiveIterator(path, parse_http=False):
                offset = wr.stream_pos
                rec = self._build(wr, warc_file, offset)
                # FastWARC's position of the compressed frame the record starts in, not the record's own.
                rec.source["warc_offset_in"] = "compressed frame"
                yield rec
                count += 1
        except Exception as e:
            yield self._error(warc_file, offset, f"unreadable after record {count} "
                              f"(offset {offset}): {type(e).__name__}: {e}; rest of the file skipped",
                              after=count > 0)

    def _read_arc(self, path: str, warc_file: str) -> Iterator[Record]:
        """ARC (the WARC predecessor) through warcio, which converts each record to a WARC record.

        ARC records have no ids (warcio invents random ones), so ids derive from
        the offset. warcio cannot resynchronise: damage ends the file with one error Record.
        """
        with open(path, "rb") as f:
            yield from self._read_arc_file(f, warc_file)

    def _read_arc_file(self, f: BinaryIO, warc_file: str) -> Iterator[Record]:
        from warcio.archiveiterator import ArchiveIterator as WarcioIterator

        offset = 0
        it = WarcioIterator(f, arc2warc=True)
        try:
            for rec in it:
                if rec.length > self.max_payload_bytes:
                    # Judged on the ARC header's length, before anything is read into memory.
                    yield self._arc_too_large(rec, warc_file, it)
                    continue
                data = _warcio_to_bytes(rec)  # before get_record_offset(), which ends the record
                offset = it.get_record_offset()
                try:
                    wr = WarcRecord.from_bytes(data)
                except OSError as e:
                    yield self._error(warc_file, offset, f"ARC record at offset {offset}: {e}")
                    continue
                out = self._build(wr, warc_file, offset)
                out.source["warc_record_id"] = None
                yield out
        except Exception as e:
            yield self._error(warc_file, offset, f"ARC unreadable after offset {offset}: "
                              f"{type(e).__name__}: {e}; rest of the file skipped", after=True)

    def _arc_too_large(self, rec, warc_file: str, it) -> Record:
        """A dropped Record for an ARC record over the payload limit; its bytes are skipped, not held."""
        headers = rec.rec_headers
        offset = it.get_record_offset()  # reads past the record in bounded steps
        out = Record(id=_record_id(warc_file, offset), source={
            "uri": headers.get_header("WARC-Target-URI"), "fetch_time": headers.get_header("WARC-Date"),
            "http_status": None, "content_type": None, "charset": None, "content_encoding": None,
            "payload_sha1": None, "warc_file": warc_file, "warc_offset": offset, "warc_record_id": None,
            "warc_type": rec.rec_type})
        out.drop(STAGE, VERSION, "payload_too_large", {"payload_bytes": rec.length,
                 "max_payload_bytes": self.max_payload_bytes})
        return out

    # -- one record ----------------------------------------------------------------------------------

    def _build(self, wr: WarcRecord, warc_file: str, offset: int) -> Record:
        """A Record from a FastWARC record positioned after its WARC header (reads its block).

        Raises OSError only when the underlying stream breaks; everything wrong
        with the record itself becomes a dropped or error Record.
        """
        headers = wr.headers
        warc_type = _type_name(wr, headers)
        raw_id = headers.get("WARC-Record-ID")
        rec_id = _record_id(warc_file, offset)
        date = headers.get("WARC-Date")
        source: dict = {
            "uri": _strip_brackets(headers.get("WARC-Target-URI")),
            "fetch_time": _iso_time(wr, date),
            "http_status": None,
            "content_type": None,
            "charset": None,
            "content_encoding": None,
            "payload_sha1": None,
            "warc_file": warc_file,
            "warc_offset": offset,
            "warc_record_id": raw_id,
            "warc_type": warc_type,
        }
        rec = Record(id=rec_id, source=source)
        if date and source["fetch_time"] is None:
            source["warc_date"] = date  # unparseable: keep what the file said
        rendered = warc_type == "conversion" and (headers.get("WARC-Resource-Type") or "") == RENDERED_DOM
        if rendered:
            source["refers_to"] = headers.get("WARC-Refers-To")
        if warc_type not in _PAYLOAD_TYPES and not rendered:
            remaining = wr.content_length
            got = wr.consume()
            if got < remaining:
                rec.fail(STAGE, VERSION, _cut(offset, remaining, got))
            else:
                rec.drop(STAGE, VERSION, f"warc_type:{warc_type}")
            return rec
        if warc_type == "response":
            return self._response(wr, rec, headers)
        return self._resource(wr, rec, headers)

    def _response(self, wr: WarcRecord, rec: Record, headers) -> Record:
        source = rec.source
        offset = source["warc_offset"]
        warc_ct = (headers.get("Content-Type") or "").lower()
        if "application/http" not in warc_ct:
            # dns:, whois: and other non-HTTP captures carry no web document.
            wr.consume()
            rec.drop(STAGE, VERSION, "not_http", detail=f"WARC Content-Type {warc_ct or 'none'}")
            return rec
        try:
            # quirks_mode: LF-only header lines (ClueWeb09); long Set-Cookie blocks are real.
            wr.parse_http(quirks_mode=True, max_header_len=_MAX_HTTP_HEADER)
        except OSError as e:
            rec.fail(STAGE, VERSION, f"record at offset {offset}: invalid HTTP header block ({e})")
            return rec
        http = wr.http_headers
        status = http.status_code if http is not None else None
        if status is None:
            rec.fail(STAGE, VERSION, f"record at offset {offset}: no HTTP status line")
            return rec
        content_type = http.get("Content-Type")
        source["http_status"] = status
        source["content_type"] = content_type
        source["charset"] = parse_content_type(content_type)[1]
        encoding = http.get("Content-Encoding")
        source["content_encoding"] = encoding.strip().lower() if encoding else None
        body = self._block(wr, rec)
        if body is None:
            return rec
        notes: list[str] = []
        truncated = headers.get("WARC-Truncated")
        if truncated:  # Common Crawl cuts bodies at 1 MiB and says so
            notes.append(f"payload truncated by the crawler (WARC-Truncated: {truncated})")
        try:
            if "chunked" in (http.get("Transfer-Encoding") or "").lower():
                body, note = dechunk(body)
                if note:
                    notes.append(note)
            body, note = decode_content(body, encoding, self.max_payload_bytes)
            if note:
                notes.append(note)
        except (PayloadTooLarge, PayloadError) as e:
            if status != 200:  # dropped for its status anyway: the body does not matter
                rec.drop(STAGE, VERSION, f"http_status:{status}", detail=str(e))
            elif isinstance(e, PayloadTooLarge):
                rec.drop(STAGE, VERSION, "payload_too_large", {"payload_bytes": e.size,
                         "max_payload_bytes": self.max_payload_bytes}, detail=str(e))
            else:
                rec.fail(STAGE, VERSION, f"record at offset {offset}: {e}")
            return rec
        self._payload(rec, body, content_type, notes)
        if status != 200:
            rec.drop(STAGE, VERSION, f"http_status:{status}")
        elif not body:
            rec.drop(STAGE, VERSION, "empty_payload")
        return rec

    def _resource(self, wr: WarcRecord, rec: Record, headers) -> Record:
        scheme = (rec.source["uri"] or "").partition(":")[0].lower()
        if scheme in _CRAWLER_SCHEMES:
            # The crawler's own files (wget stores its arguments and log as metadata:// resources).
            wr.consume()
            rec.drop(STAGE, VERSION, f"uri_scheme:{scheme}")
            return rec
        content_type = headers.get("Content-Type")
        rec.source["content_type"] = content_type
        rec.source["charset"] = parse_content_type(content_type)[1]
        body = self._block(wr, rec)
        if body is not None:
            self._payload(rec, body, content_type, [])
            if not body:
                rec.drop(STAGE, VERSION, "empty_payload")
        return rec

    def _block(self, wr: WarcRecord, rec: Record) -> bytes | None:
        """The rest of the record's block, or None with the record dropped/failed."""
        remaining = wr.content_length
        offset = rec.source["warc_offset"]
        if remaining > self.max_payload_bytes:
            got = wr.consume()
            if got < remaining:
                rec.fail(STAGE, VERSION, _cut(offset, remaining, got))
            else:
                rec.drop(STAGE, VERSION, "payload_too_large", {"payload_bytes": remaining,
                         "max_payload_bytes": self.max_payload_bytes})
            return None
        body = wr.reader.read()
        if len(body) < remaining:
            rec.fail(STAGE, VERSION, _cut(offset, remaining, len(body)))
            return None
        return body

    def _payload(self, rec: Record, body: bytes, content_type: str | None, notes: list[str]) -> None:
        rec.source["payload_sha1"] = hashlib.sha1(body).hexdigest()
        rec.media_type, note = resolve_media_type(content_type, body)
        if note:
            notes.append(note)
        rec.content = body
        rec.log(STAGE, VERSION, EXTRACTED, detail="; ".join(notes) if notes else None)

    def _error(self, warc_file: str, offset: int, message: str, after: bool = False) -> Record:
        """An error Record for the bytes at `offset`; `after`: for what follows the record read there."""
        rid = stable_id(warc_file, str(offset), "after") if after else _record_id(warc_file, offset)
        rec = Record(id=rid, source={
            "warc_file": warc_file, "warc_offset": offset, "warc_record_id": None, "warc_type": None})
        rec.fail(STAGE, VERSION, message)
        return rec


# -- helpers ---------------------------------------------------------------------------------------


def _prefer_rendered(records: Iterator[Record]) -> Iterator[Record]:
    """A rendered DOM replaces the response it was rendered from; file order is kept.

    The crawler writes a page's records together, so holding back the records
    from one ok response up to the next response is enough to pair them; the
    superseded response is dropped with a reason naming its replacement.
    """
    held: list[Record] = []  # an ok response and the records after it
    for rec in records:
        refers = rec.source.get("refers_to")
        if held and refers and refers == held[0].source.get("warc_record_id"):
            held[0].drop(STAGE, VERSION, "superseded:rendered_dom", detail=f"rendered DOM in record {rec.id}")
            yield from held
            yield rec
            held = []
        elif rec.ok and rec.source.get("warc_type") == "response":
            yield from held
            held = [rec]
        elif held:
            held.append(rec)
        else:
            yield rec
    yield from held


def _cut(offset: int, declared: int, got: int) -> str:
    return (f"record at offset {offset}: record cut mid-payload (truncated): "
            f"Content-Length promises {declared} more bytes, only {got} present")


def _detect(path: str, max_record: int) -> str:
    """plain | gzip_members | gzip_stream | arc | arc_gz | arc_gz_stream | other_compressed | empty."""
    with open(path, "rb") as f:
        head = f.read(4096)
        if not head:
            return "empty"
        if head.startswith(_GZIP_MAGIC):
            inflated = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                first = inflated.decompress(head + f.read(_CHUNK), 64)
            except zlib.error:
                return "gzip_members"  # damaged from the start: resynchronise from byte 0
            if first.startswith(b"filedesc://"):
                f.seek(0)
                return "arc_gz_stream" if _arc_member_holds_more(f) else "arc_gz"
            f.seek(0)
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                try:
                    _Framer(mm, True, max_record).frame(0)
                except MultiRecordMember:
                    return "gzip_stream"
                except FrameError:
                    pass
            return "gzip_members"
        if head.startswith((_ZSTD_MAGIC, _LZ4_MAGIC)):
            return "other_compressed"
        if head.startswith(b"filedesc://"):
            return "arc"
        if head.startswith(b"WARC/"):
            return "plain"
        # Junk first: gzip-per-record if a gzip member that inflates to a WARC header follows.
        f.seek(0)
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            first_gzip = _Framer(mm, True, max_record).next_start(-1)
            first_plain = mm.find(b"WARC/")
        if first_gzip is not None and (first_plain < 0 or first_gzip < first_plain):
            return "gzip_members"
        return "plain"


def _arc_member_holds_more(f) -> bool:
    """Whether a gzip'ed ARC's first member runs past its first record (a whole-file gzip)."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = b""
    need: int | None = None
    while not d.eof:
        chunk = f.read(_CHUNK)
        if not chunk:
            return False
        try:
            out += d.decompress(chunk)
        except zlib.error:
            return False
        if need is None and b"\n" in out:
            line = out.split(b"\n", 1)[0]
            length = line.rsplit(b" ", 1)[-1]
            if not length.isdigit():
                return False
            need = len(line) + 1 + int(length)
        if need is not None and len(out) > need + 2:
            return bool(out[need:].strip(b"\r\n"))
    return False


def _gunzip_all(path: str, out: BinaryIO, limit: int) -> tuple[int, str] | None:
    """Inflate every gzip member of `path` into `out`, at most `limit` bytes, in bounded steps;
    (offset, message) of a failure, or None."""
    with open(path, "rb") as f:
        pos = 0  # compressed offset of `chunk`
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        member_start = 0
        written = 0
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                if not d.eof and pos > member_start:
                    return out.tell(), f"gzip stream truncated: member at offset {member_start} ends early"
                return None
            while chunk:
                try:
                    piece = d.decompress(chunk, _CHUNK)
                except zlib.error as e:
                    return out.tell(), (f"gzip stream corrupt near offset {pos} ({e}); "
                                        f"the rest of the file is unreadable")
                if written + len(piece) > limit:
                    out.write(piece[:limit - written])
                    return limit, (f"whole-file gzip inflates past {limit} bytes ({MAX_RATIO}x the file; "
                                   f"decompression bomb guard); the rest of the file skipped")
                written += len(piece)
                out.write(piece)
                if d.eof:
                    pos += len(chunk) - len(d.unused_data)
                    chunk = d.unused_data
                    if chunk and not chunk.startswith(_GZIP_MAGIC[:len(chunk)]):
                        if chunk.strip(b"\r\n\x00"):
                            return out.tell(), f"{len(chunk)}+ bytes of non-gzip data at offset {pos}"
                        return None
                    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    member_start = pos
                else:
                    pos += len(chunk) - len(d.unconsumed_tail)
                    chunk = d.unconsumed_tail


def _warcio_to_bytes(rec) -> bytes:
    """A warcio record (converted from ARC) serialised as WARC bytes for FastWARC."""
    from warcio.warcwriter import BufferWARCWriter

    writer = BufferWARCWriter(gzip=False)
    writer.write_record(rec)
    return writer.get_contents()


def _type_name(wr: WarcRecord, headers) -> str:
    t = wr.record_type
    if t == WarcRecordType.unknown or t == WarcRecordType.no_type:
        raw = (headers.get("WARC-Type") or "").strip().lower()
        return raw or "unknown"
    return str(t)


def _strip_brackets(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    return value


def _record_id(warc_file: str, offset: int) -> str:
    # Where the record sits, not its WARC-Record-ID: files copied or merged reuse those.
    return stable_id(warc_file, str(offset))


def _iso_time(wr: WarcRecord, raw: str | None) -> str | None:
    """WARC-Date as ISO 8601 UTC ('...Z'); copes with ClueWeb09's day-of-year dates."""
    if raw and _UTC_SECONDS.match(raw):
        return raw  # already the canonical form (most WARC 1.1 writers)
    try:
        dt = wr.record_date
    except (ValueError, OSError):
        dt = None
    if dt is None and raw:
        dt = _parse_date(raw.strip())
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _parse_date(raw: str) -> datetime | None:
    m = _WARC_DATE.match(raw)
    if m is None:
        a = _ARC_DATE.match(raw)
        if a is None:
            return None
        try:
            return datetime(*map(int, a.groups()), tzinfo=timezone.utc)
        except ValueError:
            return None
    year, month, day, hh, mm, ss, frac, tz = m.groups()
    try:
        if len(day) == 3:  # ClueWeb09 wrote the day of the year where the day of the month goes
            base = datetime(int(year), 1, 1) + timedelta(days=int(day) - 1)
        else:
            base = datetime(int(year), int(month), int(day))
        dt = base.replace(hour=int(hh), minute=int(mm), second=int(ss),
                          microsecond=int(float(frac) * 1e6) if frac else 0)
    except ValueError:
        return None
    if tz in (None, "Z"):
        return dt.replace(tzinfo=timezone.utc)
    sign = 1 if tz[0] == "+" else -1
    digits = tz[1:].replace(":", "")
    return dt.replace(tzinfo=timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))))
