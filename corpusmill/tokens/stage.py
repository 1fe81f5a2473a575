"""The `tokens` stage: `metadata.tokens` (and the tokenizer's name) on every ok record, batch-encoded."""
from __future__ import annotations

import time
from typing import Any, Iterable, Iterator

from corpusmill.record import OK, Record
from corpusmill.stage import Stage
from corpusmill.tokens.tokenizer import load_tokenizer

_BATCH = 512


class TokenCount(Stage):
    """Counts tokens of ok records in batches (the Rust encoders parallelise a batch).

    Every later stage's stats then carry tokens in/out, summed from `metadata.tokens`. A second
    instance at the end of a pipeline (`name: tokens_final`) recounts what text-rewriting stages
    (line corrections, PII replacement, decontamination cuts) changed.
    """

    name = "tokens"
    version = "1"

    def __init__(self, tokenizer: str = "o200k_base", name: str = "tokens") -> None:
        self.name = name
        super().__init__()
        self.tokenizer_name = tokenizer
        self.tokenizer = load_tokenizer(tokenizer)

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        batch: list[Record] = []
        for record in records:
            batch.append(record)
            if len(batch) >= _BATCH:
                yield from self._flush(batch)
                batch = []
        yield from self._flush(batch)

    def _flush(self, batch: list[Record]) -> Iterator[Record]:
        todo = [r for r in batch if r.status == OK]
        t0 = time.perf_counter()
        try:
            counts = self.tokenizer.count_batch([r.text for r in todo])
        except Exception:  # one bad text must not fail its neighbours: count one by one
            counts = [self._count_one(r) for r in todo]
        for r, n in zip(todo, counts):
            if n is not None:
                r.metadata["tokens"] = n
                r.metadata["tokenizer"] = self.tokenizer_name
        self.stats.seconds += time.perf_counter() - t0
        for r in todo:
            self.stats.count(r)
        yield from batch

    def _count_one(self, record: Record) -> int | None:
        try:
            return self.tokenizer.count_batch([record.text])[0]
        except Exception as e:
            record.fail(self.name, self.version, f"tokenize: {type(e).__name__}: {e}"[:500])
            return None


# Stages that turn raw bytes into text: tokens are counted right after them, so every later
# stage's stats show the tokens it let through.
_TEXT_MAKERS = ("html_extract", "pdf_parse")


def insert_token_stage(pipeline: list[dict[str, Any]], tokenizer: str) -> list[dict[str, Any]]:
    """The pipeline with a `tokens` stage after the extraction stage (or first for text corpora),
    and a `tokens_final` recount at the end when stages follow it, so `metadata.tokens` is exact.

    Loads the tokenizer once here so a bad name or path fails before any work starts.
    """
    load_tokenizer(tokenizer)
    at = max((i + 1 for i, st in enumerate(pipeline) if st.get("stage") in _TEXT_MAKERS), default=0)
    out = [*pipeline[:at], {"stage": "tokens", "tokenizer": tokenizer}, *pipeline[at:]]
    if at < len(pipeline):
        out.append({"stage": "tokens", "tokenizer": tokenizer, "name": "tokens_final"})
    return out
