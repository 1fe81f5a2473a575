"""Deduplication stages: exact (text hash, URL), MinHash near-dup, exact substring, paragraphs.

All are `CorpusStage`s (collect per shard, global passes, apply per shard),
so the kept record of every group is the first by (shard id, position) or by
the configured policy - the same output whatever the worker count. Configs
name them through `corpusmill.registry`; constructor keyword arguments are
the config keys.
"""
from __future__ import annotations

from corpusmill.curate.dedup.exact import ExactDedup
from corpusmill.curate.dedup.minhash import MinHashDedup
from corpusmill.curate.dedup.paragraph_bloom import ParagraphBloomDedup
from corpusmill.curate.dedup.substring import SubstringDedup

__all__ = ["ExactDedup", "MinHashDedup", "ParagraphBloomDedup", "SubstringDedup"]
