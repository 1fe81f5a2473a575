"""--print-config writes every setting; running the printed config is the same run."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES, ROOT, read_out, write_jsonl


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "corpusmill.cli", *args], cwd=ROOT, capture_output=True,
                          text=True)


def _same_run(direct: Path, printed: Path) -> None:
    assert (direct / "_markers" / "job.json").read_bytes() == (printed / "_markers" / "job.json").read_bytes()
    a, b = read_out(direct), read_out(printed)
    for part in ("data", "rejects"):
        # Another tool's rows keep their own columns (`content` here) and carry no status of ours.
        assert [(r["id"], r.get("text", r.get("content")), r.get("status")) for r in a[part]] == \
               [(r["id"], r.get("text", r.get("content")), r.get("status")) for r in b[part]]


def _print_then_run(tmp_path: Path, args: list[str]) -> dict:
    r = cli(*args, "-o", str(tmp_path / "printed"), "--print-config")
    assert r.returncode == 0, r.stderr
    cfg = yaml.safe_load(r.stdout)
    (tmp_path / "p.yaml").write_text(r.stdout)
    r = cli("run", str(tmp_path / "p.yaml"), "--quiet")
    assert r.returncode == 0, r.stderr
    r = cli(*args, "-o", str(tmp_path / "direct"), "--quiet")
    assert r.returncode == 0, r.stderr
    _same_run(tmp_path / "direct", tmp_path / "printed")
    return cfg


def test_corpus_job_round_trip_keeps_reader_options(tmp_path: Path) -> None:
    rows = [{"id": str(i), "content": f"document number {i} " + "words of text " * 30, "url": f"u{i}"}
            for i in range(6)]
    rows.append({"id": "dup", "content": rows[0]["content"], "url": "u-dup"})
    src = write_jsonl(tmp_path / "c.jsonl.gz", rows)
    cfg = _print_then_run(tmp_path, ["dedup", str(src), "--text-field", "content", "--workers", "2"])
    assert cfg["reader_options"] == {"text_field": "content", "id_field": "id",
                                    "max_line_bytes": 64 << 20}
    assert cfg["executor_options"] == {"retries": 2} and cfg["workers"] == 2
    minhash = next(s for s in cfg["pipeline"] if s["stage"] == "minhash_dedup")
    assert minhash["bands"] == 14 and minhash["rows"] == 8  # defaults are printed
    assert len(read_out(tmp_path / "printed")["data"]) == 6


def test_warc_job_round_trip_prints_every_stage_setting(tmp_path: Path) -> None:
    cfg = _print_then_run(tmp_path, ["warc", str(FIXTURES / "warc" / "demo.warc.gz"), "--no-dedup"])
    stages = {s["stage"]: s for s in cfg["pipeline"]}
    assert stages["gopher_repetition"]["top_n_grams"] == {"2": 0.2, "3": 0.18, "4": 0.16}
    assert stages["c4_quality"]["filter_no_terminal_punct"] is False
    assert stages["pdf_parse"]["timeout_s"] == 120.0
    assert cfg["files_per_shard"] == 1


def test_pdf_job_prints_files_per_shard_and_parser_settings(tmp_path: Path) -> None:
    r = cli("pdf", str(FIXTURES / "pdf"), "-o", str(tmp_path / "o"), "--files-per-shard", "3", "--dpi", "150",
            "--print-config")
    assert r.returncode == 0, r.stderr
    cfg = yaml.safe_load(r.stdout)
    assert cfg["files_per_shard"] == 3 and cfg["reader"] == "pdf"
    assert cfg["pipeline"][0]["stage"] == "pdf_parse" and cfg["pipeline"][0]["dpi"] == 150
