"""Reading WARCs back with warcio (an independent implementation) and checking digests."""
from __future__ import annotations

import base64
import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator


@dataclass
class Rec:
    type: str
    uri: str
    headers: dict[str, str]
    http_status: int | None
    http_headers: dict[str, str]
    payload: bytes
    file: str


def _b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def read_warcs(paths: list[Path]) -> list[Rec]:
    """All records; raises if any digest is wrong or a file does not parse to its end."""
    out: list[Rec] = []
    for path in paths:
        # warcio stops quietly at a cut-off gzip member; gzip itself raises EOFError on one.
        gzip.decompress(path.read_bytes())
        with open(path, "rb") as f:
            for r in ArchiveIterator(f, check_digests="raise"):
                headers = dict(r.rec_headers.headers)
                payload = r.content_stream().read()
                status = int(r.http_headers.get_statuscode()) if r.http_headers and r.rec_type == "response" else None
                http = dict(r.http_headers.headers) if r.http_headers else {}
                if "WARC-Payload-Digest" in headers:
                    # our own check too: payload digest over the stored (decoded) payload
                    assert headers["WARC-Payload-Digest"] == _b32(payload), (path, headers["WARC-Target-URI"])
                out.append(Rec(r.rec_type, headers.get("WARC-Target-URI", ""), headers, status, http, payload,
                               path.name))
    return out


def responses(recs: list[Rec]) -> dict[str, Rec]:
    out: dict[str, Rec] = {}
    for r in recs:
        if r.type == "response":
            assert r.uri not in out, f"{r.uri} archived twice"
            out[r.uri] = r
    return out
