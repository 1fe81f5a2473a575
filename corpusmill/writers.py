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
from typing import Any, Callable, Iterable, Iterator

import orjson

from corpusmill.record import DROPPED, ERROR, OK, Record

FORMATS = ("jsonl", "parquet")
# Nested fields whose shape varies per record. Corpus files (both formats) store
# them as JSON text, so every file has one schema whatever its records carry and
# `datasets.load_dataset` reads the files of any runs together: its loaders fix
# the types from the first file and refuse a later struct with other keys.
_NESTED = ("source", "metadata", "pages", "provenance")
# A row of another tool's corpus goes back with its own columns as they were,
# plus this one: what corpusmill learned about it, as JSON text.
ADDED_COLUMN = "corpusmill"


def suffix(fmt: str) -> str:
    return {"jsonl": ".jsonl.gz", "parquet": ".parquet"}[fmt]


def corpus_row(record: Record) -> dict[str, Any]:
    """The row of a corpus file (`data/`) for a kept record.

    A record read from another tool's corpus (`source["columns"]`) is its row
    as it was, the text column holding the (scrubbed) text, plus
    `ADDED_COLUMN`: id, text column name, provenance and what stages added to
    `metadata` (`dedup`, `pii`, ...). Our own records are `Record.to_dict()`
    with the nested fields as JSON text.
    """
    columns = record.source.get("columns")
    if columns is None:
        row = record.to_dict()
        for k in _NESTED:
            row[k] = _dumps(row[k]).decode()
        return row
    text_field = record.source.get("text_field", "text")
    row = {c: record.text if c == text_field else record.metadata.get(c) for c in columns}
    added = {"id": record.id, "text_field": text_field, "provenance": record.provenance,
             **{k: v for k, v in record.metadata.items() if k not in row}}
    row[ADDED_COLUMN] = _dumps(added).decode()
    return row


class RecordFileWriter:
    """One output file. `commit()` publishes it; `abort()` removes the partial file.

    A corpus file (`corpus=True`, the run's `data/`) holds `corpus_row`s; other
    files (rejects, intermediate segments) hold `Record.to_dict()` as it is.
    Parquet files are always corpus files. `column_types` (name -> Arrow type)
    keeps the types of another tool's columns as its Parquet input had them.
    """

    def __init__(self, path: Path, fmt: str = "jsonl", rows_per_group: int = 2000, corpus: bool = False,
                 column_types: dict[str, Any] | None = None) -> None:
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
        self._corpus = corpus or fmt == "parquet"
        self._column_types = column_types or {}
        self._spool: Any = None
        self._spool_path = path.with_name(f".{path.name}.{os.getpid()}.rows.tmp")
        if fmt == "jsonl":
            # Level 3: output compression is on the hot path; 6 costs ~2x for ~5% size.
            self._fh = _GzipOut(self._tmp, compresslevel=3)

    def write(self, record: Record) -> None:
        self.count += 1
        row = corpus_row(record) if self._corpus else record.to_dict()
        if self._fh is not None:
            self._fh.write(_dumps(row, orjson.OPT_APPEND_NEWLINE))
            return
        if self._spool is None and self._pq_writer is None and not self._rows and ADDED_COLUMN in row:
            # Another tool's rows: their column types are known only once all rows are seen
            # (a column null in the first thousand rows, text later), so they wait on disk.
            self._spool = gzip.open(self._spool_path, "wb", compresslevel=1)
        if self._spool is not None:
            self._spool.write(_dumps(row, orjson.OPT_APPEND_NEWLINE))
            return
        self._rows.append(row)
        if len(self._rows) >= self._rows_per_group:
            self._flush_parquet()

    def _flush_parquet(self) -> None:
        import pyarrow as pa

        try:
            table = pa.Table.from_pylist(self._rows, schema=_parquet_schema())
        except (UnicodeEncodeError, pa.ArrowInvalid):
            # Lone surrogates somewhere in the group: clean the rows once, not every row always.
            table = pa.Table.from_pylist(_valid_utf8(self._rows), schema=_parquet_schema())
        self._write_table(table)
        self._rows.clear()

    def _write_table(self, table: Any) -> None:
        import pyarrow.parquet as pq

        if self._pq_writer is None:
            self._pq_writer = pq.ParquetWriter(self._tmp, table.schema, compression="zstd")
        self._pq_writer.write_table(table)

    def _spooled_groups(self) -> Iterator[list[dict[str, Any]]]:
        group: list[dict[str, Any]] = []
        with gzip.open(self._spool_path, "rb") as fh:
            for line in fh:
                group.append(orjson.loads(line))
                if len(group) >= self._rows_per_group:
                    yield group
                    group = []
        if group:
            yield group

    def _write_spooled(self) -> None:
        """Another tool's rows, in one schema: the input's column types, else all rows' types unified."""
        import pyarrow as pa

        self._spool.close()
        schema = pa.unify_schemas([pa.Table.from_pylist(g).schema for g in self._spooled_groups()],
                                  promote_options="permissive")
        schema = pa.schema([pa.field(f.name, self._column_types.get(f.name, f.type)) for f in schema])
        for group in self._spooled_groups():
            try:
                table = pa.Table.from_pylist(group, schema=schema)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                # A value the input's type cannot hold (the text changed type?): Arrow's own types.
                table = pa.Table.from_pylist(group).cast(schema)
            self._write_table(table)
        self._spool_path.unlink()

    def commit(self) -> None:
        if self._fh is not None:
            self._fh.close()
        else:
            if self._spool is not None:
                self._write_spooled()
            if self._rows or self._pq_writer is None:
                self._flush_parquet()
            self._pq_writer.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        for closer in (self._fh, self._pq_writer, self._spool):
            if closer is not None:
                try:
                    closer.close()
                except Exception:  # already failing; the tmp file goes anyway
                    pass
        self._tmp.unlink(missing_ok=True)
        self._spool_path.unlink(missing_ok=True)


class _GzipOut(gzip.GzipFile):
    """A gzip file with no name or time in its header, so the same rows give the same bytes
    (gzip.open writes the temporary file's name, which holds the pid, and the clock)."""

    def __init__(self, path: Path, compresslevel: int) -> None:
        self._raw = open(path, "wb")
        super().__init__(filename="", mode="wb", fileobj=self._raw, compresslevel=compresslevel, mtime=0)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


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
    """Routes a shard's records: ok ones to `ok_path`, all others to `rejects_path`.

    `on_reject` is applied to each record before it is written to the rejects
    (the PII stage's `rejects_filter`: no raw text of records it never scrubbed).
    """

    def __init__(self, ok_path: Path, rejects_path: Path, fmt: str, corpus: bool = True,
                 column_types: dict[str, Any] | None = None,
                 on_reject: Callable[[Record], None] | None = None) -> None:
        self.ok = RecordFileWriter(ok_path, fmt, corpus=corpus, column_types=column_types)
        # Rejects are always JSONL: they are for `explain` and people, not training.
        self.rejects = RecordFileWriter(rejects_path, "jsonl")
        self.counts = {OK: 0, DROPPED: 0, ERROR: 0}
        self.on_reject = on_reject

    def write_all(self, records: Iterable[Record]) -> None:
        for r in records:
            r.content = None
            self.counts[r.status] = self.counts.get(r.status, 0) + 1
            if r.status == OK:
                self.ok.write(r)
                continue
            if self.on_reject is not None:
                self.on_reject(r)
            self.rejects.write(r)

    def commit(self) -> None:
        self.ok.commit()
        self.rejects.commit()

    def abort(self) -> None:
        self.ok.abort()
        self.rejects.abort()
