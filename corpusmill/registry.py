"""The one stage registry: names used in pipeline configs -> the classes that implement them.

Every stage a config can name is here, whether per-record (`Stage`) or
whole-corpus (`CorpusStage`). Imports are lazy, so a pipeline that does not use
an optional part (PDF models, the crawler) does not need its extra installed.
"""
from __future__ import annotations

import importlib
import inspect
from typing import Any

from corpusmill.corpus_stage import CorpusStage
from corpusmill.readers import Reader
from corpusmill.stage import Stage

# name -> "module:Class"; each class's `name` is its key.
STAGES: dict[str, str] = {
    # payloads -> text
    "html_extract": "corpusmill.extract.stage:HtmlExtract",
    "plain_text": "corpusmill.extract.plain_text:PlainText",
    "pdf_parse": "corpusmill.parsers.pdf_stage:PdfParse",
    "media_gate": "corpusmill.media_gate:MediaGate",
    # quality filters
    "url": "corpusmill.curate.filters.url_filter:UrlFilter",
    "language": "corpusmill.curate.filters.language:LanguageFilter",
    "gopher_repetition": "corpusmill.curate.filters.gopher_repetition:GopherRepetition",
    "gopher_quality": "corpusmill.curate.filters.gopher_quality:GopherQuality",
    "c4_quality": "corpusmill.curate.filters.c4_quality:C4Quality",
    "fineweb_quality": "corpusmill.curate.filters.fineweb_quality:FineWebQuality",
    "line_corrections": "corpusmill.curate.filters.line_corrections:LineCorrections",
    # model-based selection (corpus stages: a fraction needs every score first)
    "quality_classifier": "corpusmill.curate.quality_classifier.stage:QualityClassifier",
    # dedup (corpus stages)
    "exact_dedup": "corpusmill.curate.dedup.exact:ExactDedup",
    "minhash_dedup": "corpusmill.curate.dedup.minhash:MinHashDedup",
    "substring_dedup": "corpusmill.curate.dedup.substring:SubstringDedup",
    "paragraph_dedup": "corpusmill.curate.dedup.paragraph_bloom:ParagraphBloomDedup",
    "semantic_dedup": "corpusmill.curate.dedup.semantic:SemanticDedup",
    # PII
    "pii": "corpusmill.curate.pii:PiiScrub",
    "tokens": "corpusmill.tokens.stage:TokenCount",
    "decontaminate": "corpusmill.curate.decontam:Decontaminate",
    # model-based selection (a corpus stage: keep_fraction needs every shard's scores)
    "perplexity": "corpusmill.curate.selection.perplexity_stage:Perplexity",
    "dsir": "corpusmill.curate.selection.dsir_stage:Dsir",
}

READERS: dict[str, str] = {
    "warc": "corpusmill.acquire.warc_reader:WarcReader",
    "pdf": "corpusmill.acquire.pdf_archive:PdfArchiveReader",
    "corpus": "corpusmill.readers:CorpusReader",
}


def _load(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def stage_class(name: str) -> type[Stage] | type[CorpusStage]:
    if name not in STAGES:
        raise KeyError(f"unknown stage {name!r}; use one of {', '.join(sorted(STAGES))}")
    return _load(STAGES[name])


def build_stage(spec: dict[str, Any]) -> Stage | CorpusStage:
    """`{"stage": name, **kwargs}` -> a constructed stage."""
    kwargs = {k: v for k, v in spec.items() if k not in ("stage", "enabled")}
    cls = stage_class(spec["stage"])
    wrong = _not_numbers(cls, kwargs)
    if wrong:  # else a filter would compare a word with a count on every record: all errors, exit 0
        raise ValueError(f"bad settings for stage {spec['stage']!r}: {wrong}")
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ValueError(f"bad settings for stage {spec['stage']!r}: {e}") from e


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _not_numbers(cls: type, kwargs: dict[str, Any]) -> str:
    """Settings whose default is a number (every such setting is typed int/float, or None) given another kind."""
    params = inspect.signature(cls).parameters
    return "; ".join(f"{key} must be a number (default {params[key].default!r}), not {value!r}"
                     for key, value in kwargs.items()
                     if key in params and _is_number(params[key].default) and value is not None
                     and not _is_number(value))


def reader_class(kind: str) -> type[Reader]:
    if kind not in READERS:
        raise KeyError(f"unknown reader {kind!r}; use one of {sorted(READERS)}")
    return _load(READERS[kind])


def build_reader(kind: str, options: dict[str, Any] | None = None) -> Reader:
    return reader_class(kind)(**(options or {}))
