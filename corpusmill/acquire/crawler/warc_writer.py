"""WARC/1.1 writer: one gzip member per record, groups of records written with one append.

Crash safety: a page's records (redirect hops, request/response pairs, rendered DOM) are
serialised in memory and appended with a single unbuffered write, after which the caller commits
(file, end offset) to the crawl state in the same transaction that marks the URL done. On resume,
`truncate_to` cuts every file back to its last committed offset, so a member half-written by a
killed process never stays in the archive and no page is archived twice. Each session writes new
files (never appends to an old one), so every file ends on a complete gzip member.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Callable


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def warc_date(ts: float | None = None) -> str:
    dt = datetime.now(UTC) if ts is None else datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


@dataclass(slots=True)
class WarcRecord:
    """One record before serialisation; headers in the order they are written."""
    type: str
    headers: list[tuple[str, str]]
    block: bytes
    payload_offset: int | None = None   # where the payload starts inside block (HTTP records)
    record_id: str = ""

    def __post_init__(self) -> None:
        if not self.record_id:
            self.record_id = new_record_id()

    def serialise(self) -> bytes:
        head = [("WARC-Type", self.type), ("WARC-Record-ID", self.record_id)]
        head += self.headers
        head.append(("WARC-Block-Digest", sha1_b32(self.block)))
        if self.payload_offset is not None:
            head.append(("WARC-Payload-Digest", sha1_b32(self.block[self.payload_offset:])))
        head.append(("Content-Length", str(len(self.block))))
        text = "WARC/1.1\r\n" + "".join(f"{k}: {_clean(v)}\r\n" for k, v in head) + "\r\n"
        raw = text.encode("utf-8") + self.block + b"\r\n\r\n"
        # Level 6: most of the size win of 9 at a third of the CPU.
        return gzip.compress(raw, compresslevel=6, mtime=0)


def _clean(value: str) -> str:
    """Header values may not contain line breaks (a URL with a raw CR/LF would forge headers)."""
    return value.replace("\r", "%0D").replace("\n", "%0A")


class WarcWriter:
    """Appends record groups to `<dir>/<prefix>-<n>.warc.gz`, rotating at `max_bytes`."""

    def __init__(self, directory: Path, prefix: str, max_bytes: int, warcinfo_fields: dict[str, str],
                 on_open: Callable[[Path], None] | None = None) -> None:
        self.directory = directory
        self.on_open = on_open  # called with a file's path before the file is created
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.warcinfo_fields = warcinfo_fields
        self.files: list[Path] = []
        self._fd: int | None = None
        self._size = 0
        self.warcinfo_id = ""
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def current(self) -> Path | None:
        return self.files[-1] if self._fd is not None else None

    def _open_next(self) -> None:
        self.close()
        path = self.directory / f"{self.prefix}-{len(self.files):05d}.warc.gz"
        if self.on_open is not None:
            self.on_open(path)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self._size = 0
        self.files.append(path)
        body = "".join(f"{k}: {v}\r\n" for k, v in self.warcinfo_fields.items()).encode("utf-8")
        info = WarcRecord("warcinfo", [("WARC-Date", warc_date()), ("WARC-Filename", path.name),
                                       ("Content-Type", "application/warc-fields")], body)
        self.warcinfo_id = info.record_id
        self._write(info.serialise())

    def _write(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        self._size += len(data)

    def write_group(self, records: list[WarcRecord]) -> tuple[Path, int]:
        """Append records as one write; returns (file, offset after them) for the caller to commit."""
        if self._fd is None or self._size >= self.max_bytes:
            self._open_next()
        for r in records:
            r.headers.append(("WARC-Warcinfo-ID", self.warcinfo_id))
        self._write(b"".join(r.serialise() for r in records))
        return self.files[-1], self._size

    def close(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None


def truncate_to(path: Path, committed: int) -> int:
    """Cut a WARC file of an earlier session back to its committed length; returns bytes removed."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    if size > committed:
        with open(path, "r+b") as f:
            f.truncate(committed)
            os.fsync(f.fileno())
        return size - committed
    return 0
