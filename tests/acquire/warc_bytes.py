"""Real WARC bytes for the reader's damage and fuzz tests."""
from __future__ import annotations

import zlib
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "warc" / "demo.warc.gz"


def gzip_members(data: bytes) -> list[bytes]:
    """The gzip members of a gzip-per-record WARC, byte for byte."""
    out, pos = [], 0
    while pos < len(data):
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        d.decompress(data[pos:])
        end = len(data) - len(d.unused_data)
        out.append(data[pos:end])
        pos = end
    return out
