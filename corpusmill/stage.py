"""The stage protocol (README.md, "How it is built"): a named callable from records to records.

Most stages decide one record at a time: subclass `Stage` and implement
`process(record)`, which logs its decision with `keep`, `modify`, `drop` or
`duplicate`, or raises (the record is then marked `error` with the message and
the run goes on).
Stages that need to see many records at once override `__call__` and use
`self.stats` directly. Either way a stage yields every record it was given and
passes non-ok records through untouched.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from corpusmill.record import DROPPED, ERROR, KEPT, MODIFIED, OK, Record


@dataclass
class StageStats:
    """What a stage did on one shard: in = out + sum(dropped) + errors."""

    name: str
    input: int = 0
    output: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    seconds: float = 0.0
    # Tokens (from `metadata.tokens`, set by the `tokens` stage of a run with --tokenizer).
    tokens_in: int = 0
    tokens_out: int = 0

    def count(self, record: Record) -> None:
        """Count a record that entered this stage ok, by how it left."""
        self.input += 1
        tokens = record.metadata.get("tokens")
        if isinstance(tokens, int):
            self.tokens_in += tokens
            if record.status == OK:
                self.tokens_out += tokens
        if record.status == OK:
            self.output += 1
        elif record.status == DROPPED:
            key = _reason_key(record.reason)
            self.dropped[key] = self.dropped.get(key, 0) + 1
        elif record.status == ERROR:
            self.errors += 1

    def merge(self, other: "StageStats") -> None:
        self.input += other.input
        self.output += other.output
        for k, v in other.dropped.items():
            self.dropped[k] = self.dropped.get(k, 0) + v
        self.errors += other.errors
        self.seconds += other.seconds
        self.tokens_in += other.tokens_in
        self.tokens_out += other.tokens_out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "in": self.input,
            "out": self.output,
            "dropped": dict(sorted(self.dropped.items(), key=lambda kv: -kv[1])),
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            **({"tokens_in": self.tokens_in, "tokens_out": self.tokens_out} if self.tokens_in else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "StageStats":
        return cls(d["name"], d["in"], d["out"], dict(d["dropped"]), d["errors"], d["seconds"],
                   d.get("tokens_in", 0), d.get("tokens_out", 0))


def _reason_key(reason: str | None) -> str:
    # Reasons look like "gopher_quality:too_few_words" or "http_status:404";
    # stats group by the whole reason, which stays a short, closed vocabulary.
    return reason or "unknown"


class Stage:
    """Base class for per-record stages."""

    name: str = "stage"
    version: str = "1"

    def __init__(self) -> None:
        self.stats = StageStats(self.name)

    def handles(self, record: Record) -> bool:
        """Whether this stage is for this record (e.g. a parser for its media type).

        Records it does not handle pass through untouched and uncounted, so a
        stage's in/out say how many records it actually worked on.
        """
        return True

    def limits(self, record: Record) -> dict[str, str]:
        """Score name -> the bound a record needs on it to be kept here, as text (">= 50, <= 100000").

        For `corpusmill explain`, which shows each score next to the
        threshold it was compared with; stages without thresholds have none.
        """
        return {}

    def process(self, record: Record) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        stats = self.stats
        for record in records:
            if record.status != OK or not self.handles(record):
                yield record
                continue
            t0 = time.perf_counter()
            try:
                self.process(record)
            except Exception as e:  # one bad record must not stop the run
                record.fail(self.name, self.version, f"{type(e).__name__}: {e}"[:500])
            stats.seconds += time.perf_counter() - t0
            stats.count(record)
            yield record

    def close(self) -> None:
        """Called once after the shard's stream is exhausted (flush side data)."""

    def drop(self, record: Record, reason: str, scores: dict[str, float] | None = None,
             detail: str | None = None) -> None:
        """Drop with a reason namespaced by this stage ("stage:reason")."""
        record.drop(self.name, self.version, f"{self.name}:{reason}", scores, detail)

    def duplicate(self, record: Record, reason: str, scores: dict[str, float] | None = None,
                  detail: str | None = None) -> None:
        """Mark a duplicate, with a reason namespaced by this stage ("stage:reason")."""
        record.mark_duplicate(self.name, self.version, f"{self.name}:{reason}", scores, detail)

    def keep(self, record: Record, scores: dict[str, float] | None = None,
             detail: str | None = None) -> None:
        record.log(self.name, self.version, KEPT, scores=scores, detail=detail)

    def modify(self, record: Record, scores: dict[str, float] | None = None,
               detail: str | None = None) -> None:
        """Log that this stage changed the record's text (and kept it)."""
        record.log(self.name, self.version, MODIFIED, scores=scores, detail=detail)


def chain(records: Iterable[Record], *stages: Stage) -> Iterator[Record]:
    """Compose stages in-process: `for r in chain(WarcReader().read(p), HtmlExtract(), GopherQuality())`.

    The same stage objects the executors run, for notebooks and tests; the
    executors add sharding, workers, writers and resume on top.
    """
    stream: Iterable[Record] = records
    for st in stages:
        stream = st(stream)
    yield from stream
