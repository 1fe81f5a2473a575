"""The `perplexity` stage: score each record with its language's n-gram model, keep the likely ones.

A corpus stage, because a threshold by percentile (`keep_fraction`: keep the lowest-perplexity
fraction of each language) needs every shard's scores: `collect` scores a shard and saves the
scores, one pass computes each language's cut-off from all shards, `apply` keeps or drops. A
threshold by value (`max_perplexity`, one number or one per language) skips the pass. Decisions
are all made in `apply`, so the run's funnel shows them in one place, and the same records give
the same cut-offs whatever the sharding or worker count.

The score lands in provenance as `perplexity`. A record in a language without a model is kept
with reason `perplexity:no_model` (or dropped, `no_model: drop`); a record with no words in it is
dropped as `perplexity:empty_text`. A model key `*` serves every language without its own model.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from corpusmill.corpus_stage import CorpusStage, RunContext
from corpusmill.curate.dedup.side_files import read_json, read_npy, write_json, write_npy
from corpusmill.curate.selection.ngram_lm import WORDFREQ, ModelError, Scorer, load_info, load_scorer
from corpusmill.record import KEPT, Record
from corpusmill.stage import Stage
from corpusmill.tasks import Pass, Task

ANY_LANGUAGE = "*"
# Side-file scores that are no perplexity: the record's language has no model / it has no words.
NO_MODEL, EMPTY = -1.0, -2.0


class Perplexity(CorpusStage):
    name = "perplexity"
    version = "1"

    def __init__(self, models: dict[str, str], max_perplexity: float | dict[str, float] | None = None,
                 keep_fraction: float | None = None, no_model: str = "keep") -> None:
        if not isinstance(models, dict) or not models:
            raise ValueError("perplexity: `models` maps languages to model files, e.g. {en: en.bin, de: wordfreq}")
        if (max_perplexity is None) == (keep_fraction is None):
            raise ValueError("perplexity: give one of max_perplexity or keep_fraction")
        if keep_fraction is not None and not 0 < keep_fraction <= 1:
            raise ValueError("perplexity: keep_fraction is a fraction in (0, 1]")
        if no_model not in ("keep", "drop"):
            raise ValueError("perplexity: no_model is keep or drop")
        self.models = {str(k): str(v) for k, v in models.items()}
        self.max_perplexity = max_perplexity
        self.keep_fraction = keep_fraction
        self.no_model = no_model
        # Loaded (and so checked) now: a wrong model file fails the run before its first record.
        self.scorers: dict[str, Scorer] = {
            lang: load_scorer(path, lang if lang != ANY_LANGUAGE else _trained_for(path))
            for lang, path in self.models.items()}

    def limit_for(self, lang: str) -> float | None:
        if isinstance(self.max_perplexity, dict):
            value = self.max_perplexity.get(lang, self.max_perplexity.get(ANY_LANGUAGE))
            return None if value is None else float(value)
        return None if self.max_perplexity is None else float(self.max_perplexity)

    def limits(self, record: Record) -> dict[str, str]:
        lang = _language(record)
        limit = self.limit_for(lang)
        if limit is not None:
            return {"perplexity": f"<= {limit:g}"}
        if self.keep_fraction is not None:
            return {"perplexity": f"lowest {self.keep_fraction:.0%} of language {lang or '?'}"}
        return {}

    def score(self, record: Record) -> float:
        scorer = self.scorers.get(_language(record)) or self.scorers.get(ANY_LANGUAGE)
        if scorer is None:
            return NO_MODEL
        ppl = scorer.perplexity(record.text)
        return EMPTY if ppl is None else ppl

    # ---------------------------------------------------------------- corpus stage

    def collect(self, ctx: RunContext, shard_id: str) -> Stage:
        return _Score(self, ctx.stage_dir(self.name), shard_id)

    def passes(self, ctx: RunContext, shard_ids: list[str]) -> list[Pass]:
        if self.keep_fraction is None:
            return []
        d = str(ctx.stage_dir(self.name))
        return [Pass("perplexity_cutoffs", [Task("cutoffs", _cutoffs, (d, shard_ids, self.keep_fraction))])]

    def apply(self, ctx: RunContext, shard_id: str) -> Stage:
        d = ctx.stage_dir(self.name)
        if not (d / f"{shard_id}.ids.json").exists():  # no ok record reached collect in this shard
            return _Decide(self, np.empty(0), [], {})
        cutoffs = read_json(d / "cutoffs.json") if self.keep_fraction is not None else {}
        return _Decide(self, read_npy(d / f"{shard_id}.npy", mmap=False), read_json(d / f"{shard_id}.ids.json"),
                       cutoffs)


def _language(record: Record) -> str:
    return str(record.metadata.get("language") or "")


def _trained_for(path: str) -> str:
    """The language a catch-all (`*`) model was trained for; the wordfreq lists need a real one."""
    if path == WORDFREQ:
        raise ModelError("perplexity: the wordfreq baseline needs a language key, not '*'")
    return load_info(Path(path)).lang


class _Score(Stage):
    """Saves the perplexity of each ok record of the shard, by position (decisions come in apply)."""

    def __init__(self, owner: Perplexity, stage_dir: Path, shard_id: str) -> None:
        self.name, self.version = owner.name, owner.version
        super().__init__()
        self.owner = owner
        self.stage_dir = stage_dir
        self.shard_id = shard_id
        self.ids: list[str] = []
        self.scores: list[float] = []
        self.langs: list[str] = []

    def process(self, record: Record) -> None:
        score = self.owner.score(record)
        self.ids.append(record.id)
        self.scores.append(score)
        self.langs.append(_language(record) or "?")

    def close(self) -> None:
        write_npy(self.stage_dir / f"{self.shard_id}.npy", np.asarray(self.scores, dtype=np.float64))
        write_json(self.stage_dir / f"{self.shard_id}.langs.json", self.langs)
        write_json(self.stage_dir / f"{self.shard_id}.ids.json", self.ids)  # last: the shard is complete


def _cutoffs(stage_dir: str, shard_ids: list[str], keep_fraction: float) -> dict[str, Any]:
    """Per language, the perplexity at the `keep_fraction` quantile over all shards (a pass task)."""
    d = Path(stage_dir)
    by_lang: dict[str, list[np.ndarray]] = {}
    for sid in shard_ids:
        if not (d / f"{sid}.ids.json").exists():
            continue
        scores = read_npy(d / f"{sid}.npy", mmap=False)
        langs = np.asarray(read_json(d / f"{sid}.langs.json"), dtype=object)
        scored = scores >= 0
        for lang in sorted(set(langs[scored].tolist())):
            by_lang.setdefault(lang, []).append(scores[scored & (langs == lang)])
    cutoffs: dict[str, float] = {}
    for lang, parts in sorted(by_lang.items()):
        values = np.sort(np.concatenate(parts))
        cutoffs[lang] = float(values[max(1, math.ceil(keep_fraction * len(values))) - 1])
    write_json(d / "cutoffs.json", cutoffs)
    return {"languages": len(cutoffs)}


class _Decide(Stage):
    """Keeps or drops a shard's records from their saved scores."""

    def __init__(self, owner: Perplexity, scores: np.ndarray, ids: list[str], cutoffs: dict[str, float]) -> None:
        self.name, self.version = owner.name, owner.version
        super().__init__()
        self.owner = owner
        self.scores = scores
        self.ids = ids
        self.cutoffs = cutoffs
        self._n = 0

    def process(self, record: Record) -> None:
        pos = self._n
        self._n += 1
        if pos >= len(self.ids) or self.ids[pos] != record.id:
            raise RuntimeError(f"perplexity scores for position {pos} are not for record {record.id!r}: "
                               "side files do not match this shard")
        score = float(self.scores[pos])
        lang = _language(record)
        if score == NO_MODEL:
            detail = f"no model for language {lang or '(none)'}"
            if self.owner.no_model == "drop":
                self.drop(record, "no_model", detail=detail)
            else:
                record.log(self.name, self.version, KEPT, reason=f"{self.name}:no_model", detail=detail)
            return
        if score == EMPTY:
            self.drop(record, "empty_text", detail="no words to score")
            return
        scores = {"perplexity": round(score, 2)}
        if self.owner.keep_fraction is None:
            limit = self.owner.limit_for(lang)
            if limit is not None and score > limit:
                self.drop(record, "too_high", scores, detail=f"{score:.1f} > {limit:g} ({lang})")
            else:
                self.keep(record, scores)
            return
        cutoff = self.cutoffs[lang or "?"]
        if score > cutoff:
            self.drop(record, "above_fraction", scores,
                      detail=f"{score:.1f} > {cutoff:.1f}, the {self.owner.keep_fraction:.0%} cut-off of {lang or '?'}")
        else:
            self.keep(record, scores, detail=f"cut-off {cutoff:.1f} ({lang or '?'})")
