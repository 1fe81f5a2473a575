"""The WARC job end to end through the CLI: accounting, formats, explain, resume, bad input."""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT, read_out

DEMO = FIXTURES / "warc" / "demo.warc.gz"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "corpusmill.cli", *args], cwd=ROOT, capture_output=True,
                          text=True)


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    r = cli("warc", str(DEMO), "-o", str(out), "--workers", "2")
    assert r.returncode == 0, r.stderr
    assert "corpusmill run summary" in r.stdout
    return out


def test_every_warc_record_is_accounted_for(demo_out: Path) -> None:
    stats = json.loads((demo_out / "stats.json").read_text())
    assert stats["input"] == 121  # records in the demo WARC, every type
    assert stats["input"] == stats["output"] + stats["dropped"] + stats["errors"]
    got = read_out(demo_out)
    ids = [r["id"] for part in got.values() for r in part]
    assert len(ids) == len(set(ids)) == 121
    reasons = {r["provenance"][-1].get("reason") for r in got["rejects"]}
    assert {"warc_type:request", "warc_type:metadata", "http_status:404"} <= reasons
    # Non-HTML payloads are accounted for by name, never skipped silently.
    assert any(r["media_type"] == "image/png" and r["status"] == "dropped" for r in got["rejects"])
    assert stats["output"] > 10


def test_kept_records_carry_text_metadata_and_provenance(demo_out: Path) -> None:
    data = read_out(demo_out)["data"]
    for r in data:
        assert r["text"].strip() and r["status"] == "ok"
        assert r["source"]["warc_file"] == "demo.warc.gz" and isinstance(r["source"]["warc_offset"], int)
        stages = [p["stage"] for p in r["provenance"]]
        assert "html_extract" in stages and "language" in stages
        assert r["metadata"].get("language")
    langs = {r["metadata"]["language"] for r in data}
    assert len(langs) >= 2


def test_datasets_reads_the_corpus(demo_out: Path) -> None:
    datasets = pytest.importorskip("datasets")
    ds = datasets.load_dataset("json", data_files=str(demo_out / "data" / "*.jsonl.gz"), split="train")
    n = json.loads((demo_out / "stats.json").read_text())["output"]
    assert ds.num_rows == n and "text" in ds.column_names


def test_parquet_output_reads_with_datasets(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    out = tmp_path / "pq"
    r = cli("warc", str(DEMO), "-o", str(out), "--preset", "refinedweb", "--format", "parquet", "--quiet")
    assert r.returncode == 0, r.stderr
    ds = datasets.load_dataset("parquet", data_files=str(out / "data" / "*.parquet"), split="train")
    assert ds.num_rows == json.loads((out / "stats.json").read_text())["output"] > 0
    assert json.loads(ds[0]["provenance"])[0]["stage"]


def test_explain_tells_why(demo_out: Path) -> None:
    got = read_out(demo_out)
    kept = got["data"][0]
    r = cli("explain", str(demo_out), kept["id"])
    assert r.returncode == 0 and kept["source"]["uri"] in r.stdout and "html_extract" in r.stdout
    dropped = next(x for x in got["rejects"] if x["provenance"][-1].get("reason", "").startswith("http_status"))
    r = cli("explain", str(demo_out), dropped["id"])
    assert "http_status:404" in r.stdout and "[dropped]" in r.stdout
    assert cli("explain", str(demo_out), "no-such-id").returncode == 1


def test_corrupt_warc_among_good_ones_is_an_error_record_and_the_run_goes_on(tmp_path: Path) -> None:
    raw = DEMO.read_bytes()
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(raw[: len(raw) // 2] + b"\x00garbage" * 50)  # cut mid-record, trailing junk
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(gzip.compress(b""))
    out = tmp_path / "out"
    r = cli("warc", str(DEMO), str(bad), str(empty), "-o", str(out), "--quiet", "--workers", "2")
    assert r.returncode == 0, r.stderr
    stats = json.loads((out / "stats.json").read_text())
    assert stats["errors"] >= 1 and stats["input"] > 121
    assert stats["input"] == stats["output"] + stats["dropped"] + stats["errors"]
    errs = [x for x in read_out(out)["rejects"] if x["status"] == "error"]
    assert all(x["provenance"][-1]["reason"] for x in errs)


def test_dev_warc_every_record_accounted_for(shared_corpora: Path, tmp_path: Path) -> None:
    dev = shared_corpora / "warc" / "dev.warc.gz"
    manifest = [json.loads(l) for l in (shared_corpora / "warc" / "dev.manifest.jsonl").open()]
    out = tmp_path / "dev"
    r = cli("warc", str(dev), "-o", str(out), "--quiet", "--no-dedup", "--no-pii", "--workers", "2")
    assert r.returncode == 0, r.stderr
    stats = json.loads((out / "stats.json").read_text())
    assert stats["input"] == len(manifest) == 3413
    assert stats["input"] == stats["output"] + stats["dropped"] + stats["errors"]
    assert stats["errors"] == 0
    got = read_out(out)
    by_id = {r["source"]["warc_record_id"]: r for part in got.values() for r in part}
    assert len(by_id) == 3413
    # Every PDF in the dump is accounted for under its media type.
    pdf_ids = [m["record_id"] for m in manifest if (m.get("content_type_header") or "").startswith("application/pdf")]
    assert pdf_ids and all(by_id[i]["media_type"] == "application/pdf" for i in pdf_ids)
    # Pages that lie about their charset (claim UTF-8, are not) come out without mojibake.
    liars = [m["record_id"] for m in manifest
             if m.get("warc_type") == "response" and m.get("charset_meta") == "utf-8"
             and m.get("payload_valid_utf8") is False]
    assert liars
    for rid in liars:
        text = by_id[rid]["text"]
        assert "\ufffd" not in text and "Ã¤" not in text and "Ã¶" not in text and "Ã¼" not in text
