"""Second-stage check of semantic dedup: a contextual sentence encoder on the pairs static vectors leave open.

Static token vectors cannot tell a reworded text from another text on the same topic
(bench/semantic_dedup.py: hand-written paraphrases have residual cosines 0.50-0.89 and word
overlaps 0.40-0.77, the range of same-topic different pages). all-MiniLM-L6-v2 reads words
in context and can, but costs ~0.3 ms of CPU per token, so it runs only on *candidates*: pairs
in one k-means cluster that the static rule did not flag but that come close (residual cosine
>= `candidate_cosine`, word overlap >= `candidate_overlap`), of similar length (a rewording
keeps a text's length; an excerpt is the static rule's business) and both in a language the
check is measured for (`languages`, from `metadata["language"]`).

A pair is compared on its texts' first windows (`WINDOW` tokens) first; only a pair whose
leads pass the threshold and that has more text reads on: up to `MAX_WINDOWS` windows of
each, every window of the shorter matched to its best window of the other
(`contextual_embeddings.best_match`), which must pass too (a shared boilerplate opening
alone does not make two pages one). Window vectors are computed once per record per task.

The collect half saves what the check needs (the pass tasks never see records): each
text as UTF-8 in `text/<shard>.bin` with offsets in `text/<shard>.npy`, and whether the
record's language is one the check runs on in `ctx_lang/<shard>.npy`.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from corpusmill.curate.dedup.contextual_embeddings import ContextualEmbedder, best_match, contextual_embedder
from corpusmill.curate.dedup.side_files import read_npy, split_nodes, temporary, write_npy

# Tokens a window holds ([CLS] and [SEP] included): the length the model was trained at (its
# limit is 256). Measured on bench/semantic_dedup.py's pairs: paraphrases score the same as with
# 256, and two pages that share a boilerplate opening score lower (lead 0.74 vs 0.85 at 256), since
# the shared part is a smaller share of the window; the lead screen also costs half as much.
WINDOW = 128
MAX_WINDOWS = 8  # windows of a text read at most (~1,000 tokens): bounds the cost of one long pair
MAX_LENGTH_RATIO = 1.5  # longer / shorter text (characters) of a candidate pair


class TextStore:
    """The collect half: a shard's texts, streamed to a temporary file, and language flags."""

    def __init__(self, stage_dir: Path, shard_id: str, languages: frozenset[str]) -> None:
        self.stage_dir, self.shard_id, self.languages = stage_dir, shard_id, languages
        self.path = stage_dir / "text" / f"{shard_id}.bin"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = temporary(self.path)
        self.file = open(self.tmp, "wb")  # noqa: SIM115 - closed in `write`
        self.offsets = [0]
        self.in_language: list[bool] = []

    def add(self, text: str, language: object) -> None:
        data = text.encode("utf-8", "replace")  # a lone surrogate becomes "?"
        self.file.write(data)
        self.offsets.append(self.offsets[-1] + len(data))
        self.in_language.append(isinstance(language, str) and language in self.languages)

    def write(self) -> None:
        self.file.close()
        os.replace(self.tmp, self.path)
        write_npy(self.stage_dir / "text" / f"{self.shard_id}.npy", np.array(self.offsets, dtype=np.int64))
        write_npy(self.stage_dir / "ctx_lang" / f"{self.shard_id}.npy", np.array(self.in_language, dtype=bool))


class ContextualCheck:
    """The pass half, for one task: candidate test and pair scores over a task's records.

    `nodes` are the task's record keys; indices given to `candidate` and `score` index them.
    """

    def __init__(self, stage_dir: Path, shard_ids: list[str], nodes: np.ndarray, lengths: np.ndarray,
                 threshold: float, candidate_cosine: float, candidate_overlap: float,
                 embedder: ContextualEmbedder | None = None) -> None:
        self.threshold, self.candidate_cosine, self.candidate_overlap = threshold, candidate_cosine, candidate_overlap
        self.shard_ids, self.stage_dir = shard_ids, stage_dir
        self.shard, self.pos = split_nodes(nodes)
        self.lengths = lengths.astype(np.float64)
        self.in_language = np.zeros(len(nodes), dtype=bool)
        for i, s in enumerate(shard_ids):
            at = self.shard == i
            if at.any():
                self.in_language[at] = np.asarray(read_npy(stage_dir / "ctx_lang" / f"{s}.npy"))[self.pos[at]]
        self.embedder = embedder
        self._leads: dict[int, np.ndarray] = {}
        self._all: dict[int, np.ndarray] = {}
        self._windows: dict[int, list[np.ndarray]] = {}
        self.pairs = 0  # pairs scored
        self.windows = 0  # windows run through the model
        self.seconds = 0.0  # process CPU time in the model and its tokenizer

    def candidates(self, i: int, cols: np.ndarray, cosine: np.ndarray, overlap: np.ndarray) -> np.ndarray:
        """Which pairs (i, cols) the check looks at, given their residual cosines and word overlaps."""
        if not self.in_language[i]:
            return np.zeros(len(cols), dtype=bool)
        lo = np.minimum(self.lengths[cols], self.lengths[i])
        hi = np.maximum(self.lengths[cols], self.lengths[i])
        return (self.in_language[cols] & (cosine >= self.candidate_cosine) & (overlap >= self.candidate_overlap)
                & (hi <= MAX_LENGTH_RATIO * np.maximum(lo, 1.0)))

    def score(self, i: int, j: int) -> float:
        """The pair's contextual similarity (leads first; the windowed best match if the leads pass)."""
        t0 = time.process_time()
        try:
            self.pairs += 1
            lead = float(self._lead(i) @ self._lead(j))
            if lead < self.threshold or (len(self._token_windows(i)) == 1 and len(self._token_windows(j)) == 1):
                return lead
            return best_match(self._every(i), self._every(j))
        finally:
            self.seconds += time.process_time() - t0

    def _text(self, k: int) -> str:
        s, p = int(self.shard[k]), int(self.pos[k])
        offsets = read_npy(self.stage_dir / "text" / f"{self.shard_ids[s]}.npy")
        lo, hi = int(offsets[p]), int(offsets[p + 1])
        with open(self.stage_dir / "text" / f"{self.shard_ids[s]}.bin", "rb") as f:
            f.seek(lo)
            return f.read(hi - lo).decode("utf-8", "replace")

    def _model(self) -> ContextualEmbedder:
        if self.embedder is None:
            self.embedder = contextual_embedder()
        return self.embedder

    def _token_windows(self, k: int) -> list[np.ndarray]:
        if k not in self._windows:
            self._windows[k] = self._model().token_windows(self._text(k), WINDOW)[:MAX_WINDOWS]
        return self._windows[k]

    def _lead(self, k: int) -> np.ndarray:
        if k not in self._leads:
            self._leads[k] = self._model().forward(self._token_windows(k)[:1])[0]
            self.windows += 1
        return self._leads[k]

    def _every(self, k: int) -> np.ndarray:
        if k not in self._all:
            w = self._token_windows(k)
            self._all[k] = self._model().forward(w) if len(w) > 1 else self._lead(k)[None, :]
            self.windows += len(w) if len(w) > 1 else 0
        return self._all[k]
