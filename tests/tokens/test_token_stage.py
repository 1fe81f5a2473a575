"""`--tokenizer` on a job: metadata.tokens on kept records, tokens in/out per stage, bad tokenizer refused."""
from __future__ import annotations

import json
from pathlib import Path

from corpusmill.tokens import load_tokenizer
from corpusmill.writers import ADDED_COLUMN
from tests.conftest import read_out, write_jsonl
from tests.jobs.test_warc_job import cli

ARTICLE = ("The committee met on Tuesday to discuss the new budget for the public library system. "
           "Members agreed that opening hours should be extended in the evening. ")


def _tokens(row: dict) -> int:
    """metadata.tokens of a row of another tool's corpus: in the one column corpusmill adds."""
    return json.loads(row[ADDED_COLUMN])["tokens"]


def test_dedup_job_with_tokenizer_counts_tokens_per_stage(tmp_path: Path) -> None:
    rows = [{"id": f"d{i}", "text": f"Document {i}. " + ARTICLE * (i + 1)} for i in range(5)]
    rows.append({"id": "copy", "text": rows[3]["text"]})
    src = write_jsonl(tmp_path / "c.jsonl.gz", rows)
    out = tmp_path / "out"
    r = cli("dedup", str(src), "-o", str(out), "--tokenizer", "cl100k_base")
    assert r.returncode == 0, r.stderr
    assert "tokens in" in r.stdout
    got = read_out(out)
    tok = load_tokenizer("cl100k_base")
    for rec in got["data"]:
        assert _tokens(rec) == tok.count_batch([rec["text"]])[0]
        assert json.loads(rec[ADDED_COLUMN])["tokenizer"] == "cl100k_base"
    stages = {s["name"]: s for s in json.loads((out / "stats.json").read_text())["stages"]}
    total = sum(tok.count_batch([x["text"] for x in rows]))
    kept = sum(_tokens(x) for x in got["data"])
    assert stages["tokens"]["tokens_in"] == total
    assert stages["exact_dedup"]["tokens_in"] == total
    assert stages["minhash_dedup"]["tokens_out"] == kept < total
    html = (out / "report.html").read_text()
    assert "<th>tokens in</th>" in html and f"<td>{total:,}</td>" in html


def test_bad_tokenizer_is_one_line_before_work(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "c.jsonl.gz", [{"id": "a", "text": "x"}])
    not_tok = tmp_path / "vocab.json"
    not_tok.write_text("{}")
    r = cli("pii", str(src), "-o", str(tmp_path / "out"), "--tokenizer", str(not_tok))
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "is not a tokenizer" in r.stderr
    assert not (tmp_path / "out").exists()


def test_final_recount_follows_text_rewrites(tmp_path: Path) -> None:
    """PII replacement changes the text after the first count; the final recount is exact."""
    rows = [{"id": f"p{i}", "text": f"Write to person{i}.name@example.com or call +49 30 1234567{i} today. " + ARTICLE}
            for i in range(4)]
    src = write_jsonl(tmp_path / "c.jsonl.gz", rows)
    out = tmp_path / "out"
    r = cli("pii", str(src), "-o", str(out), "--tokenizer", "o200k_base", "--quiet")
    assert r.returncode == 0, r.stderr
    tok = load_tokenizer("o200k_base")
    got = read_out(out)["data"]
    assert all("@example.com" not in x["text"] for x in got)
    assert [_tokens(x) for x in got] == tok.count_batch([x["text"] for x in got])
    stages = {s["name"]: s for s in json.loads((out / "stats.json").read_text())["stages"]}
    assert stages["tokens"]["tokens_out"] == sum(tok.count_batch([x["text"] for x in rows]))
    assert stages["tokens_final"]["tokens_out"] == sum(_tokens(x) for x in got)
    assert stages["tokens_final"]["tokens_out"] != stages["tokens"]["tokens_out"]
