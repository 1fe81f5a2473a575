"""The reader protocol, and the reader of existing corpora (ours or Hugging Face style JSONL/Parquet)."""
from __future__ import annotations

import gzip
import io
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Iterator

import orjson

from corpusmill.record import RECORD_FIELDS, Record, stable_id
from corpusmill.writers import ADDED_COLUMN


class Reader(ABC):
    """Turns one input (a file, or for some readers a folder) into records.

    Every record it reads is yielded: a part it cannot read becomes an error
    record with a message, and reading goes on. `suffixes` are the file name
    endings it takes when a job is given a folder (None: every file, so that
    what is not a document is accounted for by name rather than passed over).
    """

    name: ClassVar[str]
    version: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...] | None] = None

    @classmethod
    def takes(cls, path: str | os.PathLike[str]) -> bool:
        """Whether a file found in a folder is one for this reader."""
        return cls.suffixes is None or os.fspath(path).lower().endswith(cls.suffixes)

    @abstractmethod
    def read(self, path: str | os.PathLike[str]) -> Iterator[Record]:
        """The records of one input, in a stable order."""


def _open_binary(path: Path) -> Any:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")
    if path.name.endswith(".zst"):
        import zstandard

        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(open(path, "rb")))
    return open(path, "rb")


# The longest JSONL line read: a row longer than this is an error, read past in bounded steps.
MAX_LINE_BYTES = 64 << 20
_SKIP_STEP = 1 << 20


class LineTooLong(ValueError):
    """A JSONL line over the line-length cap (skipped without holding it in memory)."""


def iter_rows(path: Path, tolerant: bool = False, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[Any]:
    """Rows of a JSONL(.gz/.zst) or Parquet file, streamed (Parquet by row group).

    With `tolerant`, a JSONL line that does not parse, or is longer than
    `max_line_bytes`, is yielded as the exception instead of raising, so the
    caller can account for it.
    """
    if path.name.endswith(".parquet"):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        for i in range(pf.num_row_groups):
            yield from pf.read_row_group(i).to_pylist()
        return
    with _open_binary(path) as fh:
        while line := fh.readline(max_line_bytes + 1):
            if len(line) > max_line_bytes and not line.endswith(b"\n"):
                size = len(line) + _skip_line(fh)
                too_long = LineTooLong(f"line of {size} bytes exceeds the limit of {max_line_bytes} bytes")
                if not tolerant:
                    raise too_long
                yield too_long
                continue
            if not line.strip():
                continue
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError as e:
                if not tolerant:
                    raise
                yield e


def _skip_line(fh: Any) -> int:
    """Read past the rest of the current line in bounded steps; the number of bytes skipped."""
    skipped = 0
    while chunk := fh.readline(_SKIP_STEP):
        skipped += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return skipped


class CorpusReader(Reader):
    """Reads a corpus file; every row becomes a record.

    Our own output rows come back as the records they were. A row of another
    tool's corpus (a Hugging Face style dataset) keeps its columns: all but the
    text column go to `metadata` (so stages can use `language`, `url`, ...),
    and `source["columns"]` lists them in order, so the writer gives the row
    back as it was with only our column (`corpusmill`, JSON text) added. Rows
    without an id get one derived from the file and row number, stable across
    runs. A row that cannot be parsed becomes an error record, and reading
    goes on.
    """

    name = "corpus_reader"
    version = "1"
    suffixes = (".jsonl", ".jsonl.gz", ".json.gz", ".jsonl.zst", ".parquet", ".json")

    def __init__(self, text_field: str = "text", id_field: str = "id", max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.text_field = text_field
        self.id_field = id_field
        self.max_line_bytes = max_line_bytes

    def read(self, path: str | os.PathLike[str]) -> Iterator[Record]:
        path = Path(path)
        n = 0
        try:
            for n, row in enumerate(iter_rows(path, tolerant=True, max_line_bytes=self.max_line_bytes)):
                yield self._row_record(row, path, n)
        except Exception as e:  # unreadable file (a broken stream): one error record, the run goes on
            rec = Record(id=stable_id(str(path), "file-error", str(n)), source={"path": str(path)})
            rec.fail(self.name, self.version, f"unreadable file after row {n}: {type(e).__name__}: {e}")
            yield rec

    def _row_record(self, row: Any, path: Path, n: int) -> Record:
        """One row's record; a row that is not a readable object is an error record of its own."""
        if isinstance(row, dict):
            try:
                return self._to_record(row, path, n)
            except Exception as e:  # noqa: BLE001 - a malformed row costs that row only
                why = f"{type(e).__name__}: {e}"
        elif isinstance(row, Exception):
            why = str(row)
        else:
            why = f"a JSON {_JSON_KINDS.get(type(row), type(row).__name__)}, not an object"
        rec = Record(id=stable_id(str(path), str(n)), source={"path": str(path), "row": n})
        rec.fail(self.name, self.version, f"unreadable row {n}: {why}")
        return rec

    def _to_record(self, row: dict[str, Any], path: Path, n: int) -> Record:
        if all(k in row for k in RECORD_FIELDS):
            return Record.from_dict(row)  # our own output
        ours = _decode(row.get(ADDED_COLUMN))  # what an earlier corpusmill run added to this row
        text_field = ours.get("text_field") or self.text_field
        columns = [k for k in row if k != ADDED_COLUMN]
        text = row.get(text_field)
        rid = ours.get("id", row.get(self.id_field))
        source: dict[str, Any] = {"path": str(path), "row": n}
        if isinstance(row.get("url"), str):
            source["uri"] = row["url"]
        source.update(text_field=text_field, columns=columns)
        metadata = {k: row[k] for k in columns if k != text_field}
        metadata.update({k: v for k, v in ours.items() if k not in _ADDED_KEYS})
        rec = Record(
            id=str(rid) if rid is not None else stable_id(str(path), str(n)),
            text=text if isinstance(text, str) else "",
            media_type=str(row.get("media_type") or "text/plain"),
            source=source,
            metadata=metadata,
            provenance=list(ours.get("provenance") or []),
        )
        if not isinstance(text, str):
            rec.fail(self.name, self.version, f"row {n} has no string field {text_field!r}"
                     f" (its columns: {', '.join(columns)}); name the text column with --text-field")
        return rec


_JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "boolean",
               type(None): "null"}

# Keys of the added column that are not metadata.
_ADDED_KEYS = ("id", "text_field", "provenance")


def _decode(v: Any) -> dict[str, Any]:
    if isinstance(v, str) and v:
        try:
            d = orjson.loads(v)
        except orjson.JSONDecodeError:
            return {}
        return d if isinstance(d, dict) else {}
    return v if isinstance(v, dict) else {}
