from pathlib import Path

import pytest

from corpusmill.readers import CorpusReader, iter_rows
from corpusmill.record import Record
from corpusmill.writers import RecordFileWriter, ShardWriter


def _rec(i: int, status: str = "ok") -> Record:
    r = Record(id=f"r{i}", text=f"text {i} \u00e9\u4e2d", media_type="text/html",
               source={"uri": f"http://example.com/{i}", "http_status": 200},
               metadata={"title": f"t{i}", "language": "de"})
    r.log("html_extract", "1", "extracted", scores={"chars": 10.123456789}, detail="corpusmill")
    if status == "dropped":
        r.drop("gopher", "1", "gopher:too_short", scores={"words": 3})
    return r


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_roundtrip_and_atomic_publish(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / ("a.jsonl.gz" if fmt == "jsonl" else "a.parquet")
    w = RecordFileWriter(path, fmt, rows_per_group=3)
    for i in range(10):
        w.write(_rec(i))
    assert not path.exists(), "a shard is visible only when committed"
    w.commit()
    rows = list(iter_rows(path))
    assert [r["id"] for r in rows] == [f"r{i}" for i in range(10)]
    back = list(CorpusReader().read(path))
    assert back[3].metadata["title"] == "t3"
    assert back[3].provenance[0]["scores"]["chars"] == pytest.approx(10.123457)
    assert back[3].text == "text 3 \u00e9\u4e2d"
    assert list(tmp_path.iterdir()) == [path], "no temporary files left"


def test_abort_leaves_nothing(tmp_path: Path) -> None:
    w = ShardWriter(tmp_path / "data" / "0.jsonl.gz", tmp_path / "rejects" / "0.jsonl.gz", "jsonl")
    w.write_all([_rec(1), _rec(2, "dropped")])
    w.abort()
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_shard_writer_routes_by_status(tmp_path: Path) -> None:
    w = ShardWriter(tmp_path / "data" / "0.parquet", tmp_path / "rejects" / "0.jsonl.gz", "parquet")
    w.write_all([_rec(1), _rec(2, "dropped"), _rec(3)])
    w.commit()
    assert w.counts == {"ok": 2, "dropped": 1, "error": 0}
    assert [r["id"] for r in iter_rows(tmp_path / "data" / "0.parquet")] == ["r1", "r3"]
    rej = list(iter_rows(tmp_path / "rejects" / "0.jsonl.gz"))
    assert rej[0]["provenance"][-1]["reason"] == "gopher:too_short"


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        RecordFileWriter(tmp_path / "x", "csv")


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_lone_surrogates_are_written_as_replacement_chars(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / ("s.jsonl.gz" if fmt == "jsonl" else "s.parquet")
    w = RecordFileWriter(path, fmt)
    r = _rec(1)
    r.text = "bad \ud800 text"
    r.metadata["title"] = "\udc80title"
    w.write(r)
    w.commit()
    row = list(iter_rows(path))[0]
    assert row["text"] == "bad \ufffd text"
    assert "\ufffdtitle" in str(row["metadata"])


def test_another_tools_rows_in_parquet_get_one_schema_over_all_row_groups(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "data" / "0.parquet"
    w = RecordFileWriter(path, "parquet", rows_per_group=3, column_types={"n": pa.int32()})
    for i in range(8):  # `note` is null in the first row groups, text in the last one
        row = {"text": f"doc {i}", "note": None if i < 7 else "late", "n": i}
        rec = list(CorpusReader().read(_jsonl(tmp_path / f"in{i}.jsonl", [row])))[0]
        w.write(rec)
    w.commit()
    table = pq.read_table(path)
    assert table.schema.field("note").type == pa.string() and table.schema.field("n").type == pa.int32()
    assert table.column("note").to_pylist() == [None] * 7 + ["late"]
    assert table.column_names == ["text", "note", "n", "corpusmill"]
    assert sorted(p.name for p in path.parent.iterdir()) == ["0.parquet"], "no spool left behind"


def _jsonl(path: Path, rows: list[dict]) -> Path:
    import orjson

    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path
