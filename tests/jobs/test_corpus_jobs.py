"""`corpusmill dedup` and `corpusmill pii` on an existing Hugging Face style corpus, and explain's cluster view."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

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
    assert kept["url"] == "https://example.org/2"  # the corpus's own columns kept as they were
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
    edits = json.loads(rec["corpusmill"])["pii"]
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


def test_a_runs_output_folder_as_input_reads_its_data_only(tmp_path: Path) -> None:
    """`corpusmill decontam out/web ...` (README): the run's kept records, not its rejects, markers, stats."""
    first = tmp_path / "first"
    r = cli("dedup", str(_corpus(tmp_path)), "-o", str(first), "--quiet")
    assert r.returncode == 0, r.stderr
    kept = len(read_out(first)["data"])
    assert read_out(first)["rejects"] and kept == 7
    out = tmp_path / "second"
    r = cli("pii", str(first), "-o", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    stats = json.loads((out / "stats.json").read_text())
    assert (stats["input"], stats["output"], stats["errors"]) == (kept, kept, 0)


def _hf_corpus(tmp: Path, fmt: str, text_field: str = "text") -> tuple[Path, "datasets.Features"]:
    """A Hugging Face dataset with columns of several types, written by `datasets` itself."""
    datasets = pytest.importorskip("datasets")
    texts = [_text(i) for i in range(5)] + [_text(1)]
    texts[4] = "Write to jane.doe@example.com or call +49 30 12345678 today. " + ARTICLE
    features = datasets.Features({
        text_field: datasets.Value("string"), "url": datasets.Value("string"),
        "meta": {"dump": datasets.Value("string"), "year": datasets.Value("int32")},
        "score": datasets.Value("float32"), "tags": datasets.List(datasets.Value("string")),
    })
    ds = datasets.Dataset.from_dict({
        text_field: texts, "url": [f"https://example.org/{i}" for i in range(6)],
        "meta": [{"dump": "CC-MAIN-2024-10", "year": 2020 + i} for i in range(6)],
        "score": [0.5 + i / 10 for i in range(6)], "tags": [["a"] * i for i in range(6)],
    }, features=features)
    path = tmp / f"hf.{fmt}"
    if fmt == "parquet":
        ds.to_parquet(str(path))
    else:
        ds.to_json(str(path))
    return path, features


def _load(out: Path, fmt: str) -> "datasets.Dataset":
    """A run's corpus (or, given a file, that file) as `datasets` loads it."""
    import datasets

    files = sorted(str(p) for p in (out / "data").glob("[!.]*")) if out.is_dir() else [str(out)]
    return datasets.load_dataset("parquet" if fmt == "parquet" else "json", data_files=files, split="train",
                                 cache_dir=str(out.parent / "hf-cache"))


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_pii_on_a_hf_corpus_keeps_its_columns_and_types(tmp_path: Path, fmt: str) -> None:
    src, _ = _hf_corpus(tmp_path, fmt, text_field="content")
    features = _load(src, fmt).features  # JSON has no int32: compare with how the input itself loads
    out = tmp_path / "pii"
    r = cli("pii", str(src), "-o", str(out), "--quiet", "--format", fmt, "--text-field", "content")
    assert r.returncode == 0, r.stderr
    ds = _load(out, fmt)
    assert ds.column_names == [*features, "corpusmill"]
    for name, feature in features.items():
        assert ds.features[name] == feature, name
    assert ds.features["corpusmill"] == datasets_value("string")
    rows = ds.to_list()
    assert [x["url"] for x in rows] == [f"https://example.org/{i}" for i in range(6)]
    assert [x["meta"]["year"] for x in rows] == list(range(2020, 2026))
    assert [x["tags"] for x in rows] == [["a"] * i for i in range(6)]
    contact = rows[4]
    assert "<EMAIL>" in contact["content"] and "jane.doe" not in contact["content"]
    added = json.loads(contact["corpusmill"])
    assert {e["type"] for e in added["pii"]} == {"EMAIL", "PHONE"}
    assert added["provenance"][-1]["stage"] == "pii"
    # explain finds the row by the id the output carries.
    r = cli("explain", str(out), added["id"])
    assert r.returncode == 0 and "pii" in r.stdout and "https://example.org/4" in r.stdout


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_dedup_then_pii_on_a_hf_corpus_adds_only_one_column(tmp_path: Path, fmt: str) -> None:
    src, _ = _hf_corpus(tmp_path, fmt)
    features = _load(src, fmt).features
    dd = tmp_path / "dd"
    r = cli("dedup", str(src), "-o", str(dd), "--quiet", "--format", fmt)
    assert r.returncode == 0, r.stderr
    ds = _load(dd, fmt)
    assert ds.column_names == [*features, "corpusmill"] and ds.num_rows == 5  # row 5 copies row 1
    assert all(ds.features[n] == f for n, f in features.items())
    kept = json.loads(ds[1]["corpusmill"])
    assert kept["dedup"]["cluster_size"] == 2
    # The deduplicated corpus is a corpus like any other: scrub it, the columns stay.
    pii = tmp_path / "pii"
    r = cli("pii", *sorted(str(p) for p in (dd / "data").glob("[!.]*")), "-o", str(pii), "--quiet",
            "--format", fmt)
    assert r.returncode == 0, r.stderr
    ds2 = _load(pii, fmt)
    assert ds2.column_names == ds.column_names
    assert all(ds2.features[n] == f for n, f in features.items())
    both = json.loads(ds2[1]["corpusmill"])
    assert both["id"] == kept["id"] and both["dedup"] == kept["dedup"] and "pii" in both
    assert [p["stage"] for p in both["provenance"]][-1] == "pii" and len(both["provenance"]) > 1


def datasets_value(t: str) -> object:
    import datasets

    return datasets.Value(t)


def test_text_field_is_a_reader_option_in_a_config(tmp_path: Path) -> None:
    rows = [{"content": "Mail jane.doe@example.com for the minutes.", "url": "https://example.org/m"}]
    src = write_jsonl(tmp_path / "c.jsonl.gz", rows)
    cfg = tmp_path / "pii.yaml"
    cfg.write_text(json.dumps({"reader": "corpus", "inputs": [str(src)], "output": str(tmp_path / "out"),
                               "reader_options": {"text_field": "content"}, "pipeline": [{"stage": "pii"}]}))
    r = cli("run", str(cfg), "--quiet")
    assert r.returncode == 0, r.stderr
    [row] = read_out(tmp_path / "out")["data"]
    assert row["content"] == "Mail <EMAIL> for the minutes." and row["url"] == "https://example.org/m"
    assert set(row) == {"content", "url", "corpusmill"}


def test_a_missing_text_column_is_named_with_the_fix(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "c.jsonl.gz", [{"content": "Some text.", "url": "https://example.org/"}])
    out = tmp_path / "out"
    r = cli("pii", str(src), "-o", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    [err] = read_out(out)["rejects"]
    assert err["status"] == "error"
    assert "no string field 'text' (its columns: content, url); name the text column with --text-field" \
        in err["provenance"][-1]["reason"]
