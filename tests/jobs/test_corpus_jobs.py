"""`corpusmill dedup` and `corpusmill pii` on an existing Hugging Face style corpus, and explain's cluster view."""
from __future__ import annotations

import json
import random
from pathlib import Path

from tests.conftest import read_out, write_jsonl
from tests.jobs.test_warc_job import cli

ARTICLE = ("The committee met on Tuesday to discuss the new budget for the public library system. "
           "Members agreed that opening hours should be extended in the evening, and that the "
           "children's section needs new books and more staff during the school holidays. ")


def _text(seed: int) -> str:
    """A distinct document: the article's words in a seeded order (no shared 5-grams to speak of)."""
    words = ARTICLE.split()
    random.Random(seed).shuffle(words)
    return " ".join(words * 2) + "."


def _corpus(tmp: Path) -> Path:
    rows = [{"id": f"doc{i}", "text": _text(i), "url": f"https://example.org/{i}"} for i in range(6)]
    rows.append({"id": "copy", "text": rows[2]["text"], "url": "https://mirror.example.net/x"})
    rows.append({"id": "near", "text": rows[3]["text"].replace("library", "archive", 1),
                 "url": "https://example.com/near"})
    rows.append({"id": "contact", "text": "Write to jane.doe@example.com or call +49 30 12345678 today. "
                 + ARTICLE, "url": "https://example.de/c"})
    return write_jsonl(tmp / "hf.jsonl.gz", rows)


def test_dedup_command_and_explain_show_the_cluster(tmp_path: Path) -> None:
    out = tmp_path / "dd"
    r = cli("dedup", str(_corpus(tmp_path)), "-o", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    got = read_out(out)
    removed = {x["id"]: x["metadata"]["dedup"] for x in got["rejects"]}
    assert removed["copy"]["duplicate_of"] == "doc2"
    assert removed["near"]["duplicate_of"] == "doc3"
    assert {x["id"] for x in got["data"]} == {"doc0", "doc1", "doc2", "doc3", "doc4", "doc5", "contact"}
    kept = next(x for x in got["data"] if x["id"] == "doc2")
    assert kept["metadata"]["url"] == "https://example.org/2"  # extra columns kept
    r = cli("explain", str(out), "copy")
    assert r.returncode == 0
    assert "duplicate cluster" in r.stdout and "kept" in r.stdout and "doc2" in r.stdout
    r = cli("explain", str(out), "doc3")
    assert "near" in r.stdout and "removed" in r.stdout


def test_pii_command_replaces_and_records_positions_not_values(tmp_path: Path) -> None:
    out = tmp_path / "pii"
    r = cli("pii", str(_corpus(tmp_path)), "-o", str(out), "--quiet", "--format", "parquet")
    assert r.returncode == 0, r.stderr
    stats = json.loads((out / "stats.json").read_text())
    assert stats["input"] == stats["output"] == 9
    rec = next(x for x in read_out(out)["data"] if x["id"] == "contact")
    assert "<EMAIL>" in rec["text"] and "<PHONE>" in rec["text"]
    assert "jane.doe" not in json.dumps(rec)
    edits = json.loads(rec["metadata"])["pii"]
    assert {e["type"] for e in edits} == {"EMAIL", "PHONE"}
    for e in edits:
        assert rec["text"][e["start"]:e["end"]] == f"<{e['type']}>"


def test_a_corpus_folder_reads_only_corpus_files(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    _corpus(folder)
    (folder / "README.md").write_text("not a corpus file")
    out = tmp_path / "out"
    r = cli("pii", str(folder), "-o", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "stats.json").read_text())["input"] == 9
