"""`text/plain` responses in a WARC are documents: decoded, filtered like pages, never `no_parser`."""
from __future__ import annotations

import io
import json
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import read_out
from tests.jobs.test_warc_job import cli

# Real prose, as a server would send a .txt file (Latin-1, CRLF line ends).
NOTICE = ("Öffentliche Bekanntmachung\r\n\r\nDie Stadtbibliothek bleibt wegen Umbauarbeiten vom 3. bis "
          "zum 14. Juni geschlossen. Bücher können in dieser Zeit am Rückgabeautomaten im Rathaus "
          "abgegeben werden, und die Leihfristen werden automatisch verlängert. Für Fragen erreichen Sie "
          "das Team der Bibliothek während der üblichen Öffnungszeiten telefonisch.\r\n")


def _warc(path: Path) -> Path:
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        url = "https://example.org/notice.txt"
        req = w.create_warc_record(url, "request", payload=io.BytesIO(b"GET /notice.txt HTTP/1.1\r\n\r\n"))
        w.write_record(req)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/plain; charset=iso-8859-1")],
                                   protocol="HTTP/1.1")
        w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(NOTICE.encode("latin-1")),
                                            http_headers=headers))
        empty = StatusAndHeaders("200 OK", [("Content-Type", "text/plain")], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record("https://example.org/empty.txt", "response",
                                            payload=io.BytesIO(b" \r\n\t\r\n"), http_headers=empty))
    return path


def test_a_plain_text_response_is_a_document(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = cli("warc", str(_warc(tmp_path / "t.warc.gz")), "-o", str(out), "--preset", "none", "--no-dedup",
            "--no-pii", "--quiet")
    assert r.returncode == 0, r.stderr
    got = read_out(out)
    [doc] = got["data"]
    assert doc["media_type"] == "text/plain" and doc["source"]["uri"].endswith("notice.txt")
    assert doc["text"] == NOTICE.replace("\r\n", "\n").strip()
    assert doc["metadata"]["language"] == "de"
    assert [p["stage"] for p in doc["provenance"]][:2] == ["warc_reader", "plain_text"]
    reasons = {x["source"]["uri"]: x["provenance"][-1]["reason"] for x in got["rejects"]}
    assert reasons == {"https://example.org/notice.txt": "warc_type:request",
                       "https://example.org/empty.txt": "plain_text:empty_text"}
    assert json.loads((out / "stats.json").read_text())["input"] == 3


def test_no_plain_text_of_the_demo_warc_is_dropped_for_want_of_a_parser(tmp_path: Path) -> None:
    from tests.jobs.test_warc_job import DEMO

    out = tmp_path / "demo"
    r = cli("warc", str(DEMO), "-o", str(out), "--preset", "none", "--no-dedup", "--no-pii", "--quiet")
    assert r.returncode == 0, r.stderr
    got = read_out(out)
    plain = [x for part in got.values() for x in part if x["media_type"] == "text/plain"]
    assert plain and all("plain_text" in [p["stage"] for p in x["provenance"]] for x in plain)
    assert not any("no_parser:text/plain" in (x["provenance"][-1].get("reason") or "") for x in got["rejects"])
