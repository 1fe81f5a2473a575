"""Writers: records to JSONL.gz or Parquet files, written atomically.

A shard's output becomes visible only when complete (temporary name, then
`os.replace`), so a killed run never leaves half a shard behind and a rerun
that redoes the shard writes the same file name again: no gaps, no duplicates.
"""
from __future__ import annotations

import gzip
import os
import re
from pathlib import Path
from typing import Any, Iterable

import orjson

from corpusmill.record import Record

FORMATS = ("jsonl", "parquet")
# Nested fields whose shape varies per record; Parquet stores them as JSON text
# so every file has one schema and `datasets.load_dataset("parquet")` reads them.
_NESTED = ("source", "metadata", "pages", "provenance")


def suffix(fmt: str) -> str:
    return {"jsonl": ".jsonl.gz", "parquet": ".parquet"}[fmt]


class RecordFileWriter:
    """One output file. `commit()` publishes it; `abort()` removes the partial file."""

    def __init__(self, path: Path, fmt: str = "jsonl", rows_per_group: int = 2000) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")
        self.path = path
        self.fmt = fmt
        self.count = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self._rows: list[dict[str, Any]] = []
        self._rows_per_group = rows_per_group
        self._pq_writer: Any = None
        self._fh: Any = None
        if fmt == "jsonl":
            # Level 3: output compression is on the hot path; 6 costs ~2x for ~5% size.
            self._fh = gzip.open(self._tmp, "wb", compresslevel=3)

    def write(self, record: Record) -> None:
        self.count += 1
        row = record.to_dict()
        if self._fh is not None:
            self._fh.write(_dumps(row, orjson.OPT_APPEND_NEWLINE))
            return
        for k in _NESTED:
            row[k] = _dumps(row[k]).decode()
        self._rows.append(row)
        if len(self._rows) >= self._rows_per_group:
            self._flush_parquet()

    def _flush_parquet(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pa.Table.from_pylist(self._rows, schema=_parquet_schema())
        except (UnicodeEncodeError, pa.ArrowInvalid):
            # Lone surrogates somewhere in the group: clean the rows once, not every row always.
            table = pa.Table.from_pylist(_valid_utf8(self._rows), schema=_parquet_schema())
        if self._pq_writer is None:
            self._pq_writer = pq.ParquetWriter(self._tmp, table.schema, compression="zstd")
        self._pq_writer.write_table(table)
        self._rows.clear()

    def commit(self) -> None:
        if self._fh is not None:
            self._fh.close()
        else:
            if self._rows or self._pq_writer is None:
                self._flush_parquet()
            self._pq_writer.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        for closer in (self._fh, self._pq_writer):
            if closer is not None:
                try:
                    closer.close()
                except Exception:  # already failing; the tmp file goes anyway
                    pass
        self._tmp.unlink(missing_ok=True)


def _dumps(obj: Any, option: int = 0) -> bytes:
    try:
        return orjson.dumps(obj, option=option)
    except orjson.JSONEncodeError:
        # Lone surrogates (from lenient decoding upstream) are not valid UTF-8.
        return orjson.dumps(_valid_utf8(obj), option=option)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid_utf8(obj: Any) -> Any:
    """Replace lone surrogates in every string, so the record can be written as UTF-8."""
    if isinstance(obj, str):
        return _SURROGATE.sub("\ufffd", obj)
    if isinstance(obj, dict):
        return {_valid_utf8(k): _valid_utf8(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_valid_utf8(v) for v in obj]
    return obj


def _parquet_schema() -> Any:
    import pyarrow as pa

    return pa.schema([(k, pa.string()) for k in
                      ("id", "text", "media_type", *_NESTED, "status")])


class ShardWriter:
    """Routes a shard's records: ok ones to `ok_path`, all others to `rejects_path`."""

    def __init__(self, ok_path: Path, rejects_path: Path, fmt: str) -> None:
        self.ok = RecordFileWriter(ok_path, fmt)
        # Rejects are always JSONL: they are for `explain` and people, not training.
        self.rejects = RecordFileWriter(rejects_path, "jsonl")
        self.counts = {"ok": 0, "dropped": 0, "error": 0}

    def write_all(self, records: Iterable[Record]) -> None:
        for r in records:
            r.content = None
            self.counts[r.status] = self.counts.get(r.status, 0) + 1
            (self.ok if r.status == "ok" else self.rejects).write(r)

    def commit(self) -> None:
        self.ok.commit()
        self.rejects.commit()

    def abort(self) -> None:
        self.ok.abort()
        self.rejects.abort()
